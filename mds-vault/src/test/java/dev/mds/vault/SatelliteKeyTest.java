package dev.mds.vault;

import static dev.mds.testing.Row.row;
import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static dev.mds.vault.VaultFixtures.day;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.MdsException;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TableFixture;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A satellite's table whose primary key (or a unique index) holds fewer rows than the satellite writes: one per hash
 * key, or one per load date, where it writes one per (key, load date).
 */
@MdsPostgres
class SatelliteKeyTest {
    private static Stage users(DataSource ds, String name) {
        TableFixture.on(ds, "raw." + name).columns("email text", "name text", "ld timestamptz")
                .rows(row("a@x", "Ann", day(1)), row("b@x", "Bob", day(1)), row("a@x", "Anna", day(2)));
        return Stage.of("raw." + name).into("stg." + name).loadDate("ld").recordSource("crm")
                .hashKey("user_hk", "email").hashDiff("user_hashdiff", "name");
    }

    private static String satTable(String name, String key) {
        return "create table dds." + name + " (user_hk bytea not null, user_hashdiff bytea not null, name text,"
                + " load_date timestamptz not null, record_source text not null, " + key + ")";
    }

    private static Satellite sat(Vault vault, String table, Stage stage) {
        return vault.satellite("dds." + table).parent("user_hk").hashDiff("user_hashdiff").payload("name").from(stage);
    }

    /**
     * A satellite table keyed on the hash key alone failed the load with PostgreSQL's 'duplicate key value violates
     * unique constraint "sat_hk_pkey"' from inside the insert (a@x's second version); one with a unique index on the
     * load date alone likewise (a@x and b@x on day 1). Now both are refused before anything is written, naming the
     * table, its key and the column it lacks.
     */
    @Test
    void aSatelliteKeyWithoutTheHashKeyOrLoadDateIsRefusedBeforeWriting(DataSource ds) {
        Vault vault = Vault.on(ds);
        Stage stage = users(ds, "sat_bad");
        vault.createStage(stage);
        sql(ds, "create schema if not exists dds", satTable("sat_hk", "primary key (user_hk)"),
                satTable("sat_ld", "check (true)"), "create unique index sat_ld_one on dds.sat_ld (load_date)");
        Satellite hk = sat(vault, "sat_hk", stage);
        assertThatThrownBy(hk::load).isInstanceOf(MdsException.class)
                .hasMessageStartingWith("satellite dds.sat_hk: ")
                .hasMessageContaining("primary key (user_hk)")
                .hasMessageContaining("[load_date]")
                .hasMessageNotContaining("duplicate key");
        assertThatThrownBy(hk::sql).isInstanceOf(MdsException.class).hasMessageContaining("[load_date]");
        assertThatThrownBy(sat(vault, "sat_ld", stage)::load).isInstanceOf(MdsException.class)
                .hasMessageStartingWith("satellite dds.sat_ld: ")
                .hasMessageContaining("unique index sat_ld_one (load_date)")
                .hasMessageContaining("[user_hk]");
        assertThat(strings(ds, "select count(*) from dds.sat_hk")).containsExactly("0");
        assertThat(strings(ds, "select count(*) from dds.sat_ld")).containsExactly("0");
    }

    /**
     * Tables whose keys hold a row per (key, load date): without any key (as AutomateDV's dbt tables are), the key
     * createTable() makes, in another order or with more columns, a unique index over columns the load does not
     * write, load as before.
     */
    @Test
    void satelliteTablesWithoutAKeyOrWithKeysHoldingKeyAndLoadDateLoad(DataSource ds) {
        Vault vault = Vault.on(ds);
        Stage stage = users(ds, "sat_ok");
        vault.createStage(stage);
        Satellite made = sat(vault, "sat_made", stage);
        made.createTable();
        sql(ds, satTable("sat_nokey", "check (true)"), satTable("sat_order", "primary key (load_date, user_hk)"),
                satTable("sat_more", "primary key (user_hk, load_date, record_source)"),
                satTable("sat_extra", "id bigint generated always as identity unique"));
        assertThat(made.load().rowsInserted()).isEqualTo(3);
        for (String t : new String[] {"sat_nokey", "sat_order", "sat_more", "sat_extra"}) {
            assertThat(sat(vault, t, stage).load().rowsInserted()).as(t).isEqualTo(3);
        }
    }
}
