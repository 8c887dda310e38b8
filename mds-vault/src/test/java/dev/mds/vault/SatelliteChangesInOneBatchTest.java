package dev.mds.vault;

import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Several changes of one key in one batch: stage rows of one key and load date told apart by their effective-from.
 * The table keeps one row per (key, load date); it must be the key's state at the end of the batch.
 */
@MdsPostgres
class SatelliteChangesInOneBatchTest {
    /**
     * Three keys each change name three times in the batch of 2 January, in a different order each; under CANONICAL the
     * hashdiffs order as Mia < Zed < Amy, so keeping the smallest hashdiff stored Mia for every key. In the batch of 3
     * January, key 1 goes through Mia back to its stored Zed and key 3 through Mia back to Amy (no change at the end of
     * the batch), key 2 ends on Amy after Zed. Both inserts are exercised: into the empty table, then beside stored rows.
     */
    @Test
    void theRowWithTheLatestEffectiveFromOfAKeyAndLoadDateIsStored(DataSource ds) throws Exception {
        sql(ds, "create schema if not exists raw", "create table raw.batch_changes (id text, name text, upd timestamptz, ld timestamptz)",
                "insert into raw.batch_changes values"
                        + " ('1', 'Amy', '2024-01-01 08:00Z', '2024-01-02Z'), ('1', 'Mia', '2024-01-01 09:00Z', '2024-01-02Z'),"
                        + " ('1', 'Zed', '2024-01-01 10:00Z', '2024-01-02Z'),"
                        + " ('2', 'Zed', '2024-01-01 08:00Z', '2024-01-02Z'), ('2', 'Amy', '2024-01-01 09:00Z', '2024-01-02Z'),"
                        + " ('2', 'Mia', '2024-01-01 10:00Z', '2024-01-02Z'),"
                        + " ('3', 'Mia', '2024-01-01 08:00Z', '2024-01-02Z'), ('3', 'Zed', '2024-01-01 09:00Z', '2024-01-02Z'),"
                        + " ('3', 'Amy', '2024-01-01 10:00Z', '2024-01-02Z')");
        Vault vault = Vault.on(ds);
        Stage stage = Stage.of("raw.batch_changes").into("stg.batch_changes").loadDate("ld").recordSource("crm")
                .hashKey("customer_hk", "id").hashDiff("customer_hashdiff", "name");
        vault.createStage(stage);
        assertThat(strings(ds, "select name from stg.batch_changes where id = '1' order by customer_hashdiff"))
                .containsExactly("Mia", "Zed", "Amy");
        Satellite sat = vault.satellite("dds.sat_batch_changes").parent("customer_hk").hashDiff("customer_hashdiff")
                .payload("name").effectiveFrom("upd").from(stage);
        sat.createTable();
        String rows = "select s.id || ' ' || t.name || ' ' || to_char(t.effective_from at time zone 'UTC', 'DD HH24')"
                + " || ' ' || to_char(t.load_date at time zone 'UTC', 'DD') from dds.sat_batch_changes t"
                + " join (select distinct id, customer_hk from stg.batch_changes) s using (customer_hk) order by 1";

        assertThat(sat.load().rowsInserted()).isEqualTo(3);
        assertThat(strings(ds, rows)).containsExactly("1 Zed 01 10 02", "2 Mia 01 10 02", "3 Amy 01 10 02");
        assertThat(sat.load().rowsInserted()).isZero();

        sql(ds, "truncate raw.batch_changes", "insert into raw.batch_changes values"
                + " ('1', 'Mia', '2024-01-02 10:00Z', '2024-01-03Z'), ('1', 'Zed', '2024-01-02 11:00Z', '2024-01-03Z'),"
                + " ('2', 'Zed', '2024-01-02 09:00Z', '2024-01-03Z'), ('2', 'Amy', '2024-01-02 10:00Z', '2024-01-03Z'),"
                + " ('3', 'Amy', '2024-01-02 10:00Z', '2024-01-03Z'), ('3', 'Mia', '2024-01-02 08:00Z', '2024-01-03Z')");
        assertThat(sat.load().rowsInserted()).isEqualTo(1);
        assertThat(sat.load().rowsInserted()).isZero();
        assertThat(strings(ds, rows)).containsExactly("1 Zed 01 10 02", "2 Amy 02 10 03", "2 Mia 01 10 02", "3 Amy 01 10 02");
    }
}
