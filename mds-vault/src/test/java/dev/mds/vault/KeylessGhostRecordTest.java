package dev.mds.vault;

import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Ghost records of tables without a primary key (as AutomateDV creates them, which mds loads as they are): a second
 * {@code insertGhostRecord()} inserts nothing, as into a keyed table, and as AutomateDV's {@code sat} inserts its
 * ghost only where the table does not hold it.
 */
@MdsPostgres
class KeylessGhostRecordTest {
    /**
     * A satellite without a key, with a timestamptz, a timestamp and a date load date, under both standards: one ghost
     * row, whatever the session's TimeZone. Before, every call inserted another one ({@code ON CONFLICT DO NOTHING}
     * had no key to conflict on), and a PIT's as-of dates all pointed at a ghost key with two rows.
     */
    @Test
    void aSecondGhostRecordOfAKeylessSatelliteInsertsNothing(DataSource ds) throws Exception {
        sql(ds, "create schema if not exists dds");
        for (HashStandard std : HashStandard.values()) {
            for (String ldType : List.of("timestamptz", "timestamp", "date")) {
                String t = "dds.kg_sat_" + std.name().toLowerCase() + "_" + ldType;
                sql(ds, "create table " + t + " (hk bytea, hd bytea, name text, load_date " + ldType + ", record_source text)");
                Vault vault = Vault.on(PitModelTest.inTimeZone(ds, "Pacific/Kiritimati")).standard(std);
                Satellite sat = vault.satellite(t).parent("hk").hashDiff("hd").payload("name")
                        .from(Stage.of("raw.kg").into("stg.kg"));
                assertThat(sat.insertGhostRecord().rowsInserted()).as(t).isEqualTo(1);
                assertThat(sat.insertGhostRecord().rowsInserted()).as(t).isZero();
                assertThat(strings(ds, "select count(*) || ' ' || load_date::date from " + t + " group by load_date"))
                        .as(t).containsExactly("1 1900-01-01");
            }
        }
    }
}
