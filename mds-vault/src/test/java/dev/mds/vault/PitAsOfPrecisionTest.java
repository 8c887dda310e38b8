package dev.mds.vault;

import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * An as-of value finer than the hub's load date holds is cut to it, never rounded up: PostgreSQL rounds a
 * timestamp to its precision, so an as-of a fraction before a satellite row's load date became that load date and
 * the row was in effect "as of" an instant before it was loaded. Found while writing {@link PitModelTest}.
 */
@MdsPostgres
class PitAsOfPrecisionTest {
    private static Pit loaded(DataSource ds, String name, String ldType, String rowLd) {
        Vault vault = Vault.on(ds);
        sql(ds, "create schema if not exists raw", "create table raw." + name + " (id text, email text, name text, age int, ld " + ldType + ")",
                "insert into raw." + name + " values ('1', null, 'a', 1, '" + rowLd + "')");
        Stage stage = VaultFixtures.customers("raw." + name, "crm");
        vault.createStage(stage);
        Hub hub = vault.hub("dds." + name + "_hub").hashKey("customer_hk").businessKey("id").from(stage);
        hub.createTable();
        hub.load();
        Satellite sat = vault.satellite("dds." + name + "_sat").parent("customer_hk").hashDiff("customer_hashdiff").payload("name").from(stage);
        sat.createTable();
        sat.load();
        return vault.pit("dds." + name).hub("dds." + name + "_hub", "customer_hk").satellites("dds." + name + "_sat");
    }

    /** 900 nanoseconds after midnight is midnight in a timestamptz (microseconds), not the row loaded 1 microsecond after it. */
    @Test
    void anAsOfInstantWithNanosecondsIsCutToMicrosecondsNotRoundedUpToALaterRow(DataSource ds) {
        Pit pit = loaded(ds, "pit_ns", "timestamptz", "2024-01-01 00:00:00.000001+00");
        pit.asOf(List.of(Instant.parse("2024-01-01T00:00:00.000000900Z"))).createTable();
        assertThat(pit.load().rowsInserted()).isEqualTo(1);
        assertThat(strings(ds, "select (as_of_date at time zone 'UTC') || ' ' || encode(pit_ns_sat_pk, 'hex') from dds.pit_ns"))
                .containsExactly("2024-01-01 00:00:00 " + "0".repeat(32));
    }

    /** 00:00:00.6 against a timestamp(0) is 00:00:00, not 00:00:01, when the satellite's only row was loaded at 00:00:01. */
    @Test
    void anAsOfFinerThanATimestampZeroHubIsCutToTheSecond(DataSource ds) {
        Pit pit = loaded(ds, "pit_s0", "timestamp(0)", "2024-01-01 00:00:01");
        pit.asOf(List.of(LocalDateTime.parse("2024-01-01T00:00:00.600"))).createTable();
        assertThat(pit.load().rowsInserted()).isEqualTo(1);
        assertThat(strings(ds, "select as_of_date || ' ' || encode(pit_s0_sat_pk, 'hex') from dds.pit_s0"))
                .containsExactly("2024-01-01 00:00:00 " + "0".repeat(32));
    }
}
