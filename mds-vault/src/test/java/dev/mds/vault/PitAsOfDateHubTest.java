package dev.mds.vault;

import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.MdsException;
import dev.mds.testing.MdsPostgres;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** As-of values against a hub whose load date is a {@code date}, found while writing {@link PitModelTest}. */
@MdsPostgres
class PitAsOfDateHubTest {
    /**
     * A value with an offset is refused against a {@code date} load date, as against a {@code timestamp} one: cast to
     * {@code date}, PostgreSQL dropped the offset, so one instant gave two as-of dates by how it was written
     * (2024-01-02T20:00-05:00 was 2 January, the same instant as an Instant, 2024-01-03T01:00Z, was 3 January), and
     * the PIT silently held rows of a date the caller had not asked for. A LocalDate loads.
     */
    @Test
    void aValueWithAnOffsetIsRefusedAgainstADateHubLoadDate(DataSource ds) {
        Vault vault = Vault.on(ds);
        sql(ds, "create schema if not exists raw", "create table raw.pit_dh (id text, email text, name text, age int, ld date)",
                "insert into raw.pit_dh values ('1', null, 'a', 1, '2024-01-02'), ('1', null, 'b', 1, '2024-01-03')");
        Stage stage = VaultFixtures.customers("raw.pit_dh", "crm");
        vault.createStage(stage);
        Hub hub = vault.hub("dds.pit_dh_hub").hashKey("customer_hk").businessKey("id").from(stage);
        hub.createTable();
        hub.load();
        Satellite sat = vault.satellite("dds.pit_dh_sat").parent("customer_hk").hashDiff("customer_hashdiff").payload("name").from(stage);
        sat.createTable();
        sat.load();
        OffsetDateTime evening = OffsetDateTime.of(2024, 1, 2, 20, 0, 0, 0, ZoneOffset.ofHours(-5));
        for (Object asOf : List.<Object>of(evening, evening.toInstant(), evening.atZoneSameInstant(java.time.ZoneId.of("America/New_York")))) {
            Pit pit = vault.pit("dds.pit_dh").hub("dds.pit_dh_hub", "customer_hk").satellites("dds.pit_dh_sat").asOf(List.of(asOf));
            pit.createTable();
            assertThatThrownBy(pit::load).isInstanceOf(MdsException.class).hasMessageContaining("pit dds.pit_dh")
                    .hasMessageContaining("has an offset").hasMessageContaining("is date");
        }
        assertThat(strings(ds, "select count(*) from dds.pit_dh")).containsExactly("0");
        Pit pit = vault.pit("dds.pit_dh").hub("dds.pit_dh_hub", "customer_hk").satellites("dds.pit_dh_sat")
                .asOf(List.of(LocalDate.of(2024, 1, 3)));
        assertThat(pit.load().rowsInserted()).isEqualTo(1);
        assertThat(strings(ds, "select as_of_date || ' ' || pit_dh_sat_ldts from dds.pit_dh")).containsExactly("2024-01-03 2024-01-03");
    }
}
