package dev.mds.vault;

import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.MdsException;
import dev.mds.testing.MdsPostgres;
import java.time.LocalDate;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** A PIT's table whose primary key holds one row per hash key, where the PIT writes one per (key, as-of date). */
@MdsPostgres
class PitKeyTest {
    /**
     * A PIT table keyed on the hash key alone failed a load of two as-of dates with PostgreSQL's 'duplicate key
     * value violates unique constraint "pit_k_pkey"' from inside the write. Now it is refused before anything is
     * written, naming the table, its key and the as-of date it lacks; a PIT table without a key loads both rows.
     */
    @Test
    void aPitKeyWithoutTheAsOfDateIsRefusedBeforeWriting(DataSource ds) {
        Vault vault = Vault.on(ds);
        sql(ds, "create schema if not exists raw", "create table raw.pit_k (id text, email text, name text, age int, ld date)",
                "insert into raw.pit_k values ('1', null, 'a', 1, '2024-01-02'), ('1', null, 'b', 1, '2024-01-03')");
        Stage stage = VaultFixtures.customers("raw.pit_k", "crm");
        vault.createStage(stage);
        Hub hub = vault.hub("dds.pit_k_hub").hashKey("customer_hk").businessKey("id").from(stage);
        hub.createTable();
        hub.load();
        Satellite sat = vault.satellite("dds.pit_k_sat").parent("customer_hk").hashDiff("customer_hashdiff")
                .payload("name").from(stage);
        sat.createTable();
        sat.load();
        List<Object> asOf = List.of(LocalDate.of(2024, 1, 2), LocalDate.of(2024, 1, 3));
        for (String t : new String[] {"pit_k", "pit_k_nokey"}) {
            vault.pit("dds." + t).hub("dds.pit_k_hub", "customer_hk").satellites("dds.pit_k_sat").asOf(asOf).createTable();
        }
        sql(ds, "alter table dds.pit_k drop constraint pit_k_pkey, add primary key (customer_hk)",
                "alter table dds.pit_k_nokey drop constraint pit_k_nokey_pkey");
        Pit pit = vault.pit("dds.pit_k").hub("dds.pit_k_hub", "customer_hk").satellites("dds.pit_k_sat").asOf(asOf);
        assertThatThrownBy(pit::load).isInstanceOf(MdsException.class)
                .hasMessageStartingWith("pit dds.pit_k: ")
                .hasMessageContaining("primary key (customer_hk)")
                .hasMessageContaining("[as_of_date]")
                .hasMessageNotContaining("duplicate key");
        assertThat(strings(ds, "select count(*) from dds.pit_k")).containsExactly("0");
        Pit noKey = vault.pit("dds.pit_k_nokey").hub("dds.pit_k_hub", "customer_hk").satellites("dds.pit_k_sat").asOf(asOf);
        assertThat(noKey.load().rowsInserted()).isEqualTo(2);
    }
}
