package dev.mds.vault;

import static dev.mds.testing.Row.row;
import static dev.mds.testing.TestSql.strings;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** The lookup indexes of multi-active satellites, effectivity satellites and links, named per table. */
@MdsPostgres
class IndexNamesTest {
    /** The table's valid indexes on exactly {@code columns} (comma-separated, in order), by name. */
    private static List<String> indexesOn(DataSource ds, String table, String columns) {
        return strings(ds, "select ic.relname::text from pg_index i join pg_class ic on ic.oid = i.indexrelid"
                + " where i.indrelid = '" + table + "'::regclass and (select string_agg(a.attname, ',' order by k.n)"
                + " from unnest(i.indkey::int2[]) with ordinality k(attnum, n)"
                + " join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum) = '" + columns + "'");
    }

    /**
     * Tables ma_a_b (parent c_hk) and ma_a (parent b_c_hk) both named their lookup index ma_a_b_c_hk_idx; the second
     * CREATE INDEX IF NOT EXISTS found the first table's and skipped its own, so the second satellite had no index to
     * find a key's latest set by. Creating both tables again creates no second index on either.
     */
    @Test
    void indexNamesThatTwoTablesWouldShareGetANumberAndRecreatingAddsNone(DataSource ds) throws Exception {
        VaultFixtures.raw(ds, "raw.idx_names", row("1", "a@x", "Ann", 30, VaultFixtures.day(1)));
        Vault vault = Vault.on(ds);
        Stage stage = Stage.of("raw.idx_names").into("stg.idx_names").loadDate("ld").recordSource("src")
                .hashKey("c_hk", "id").hashKey("b_c_hk", "email").hashDiff("hd", "name", "age");
        vault.createStage(stage);
        MultiActiveSatellite first = vault.multiActiveSatellite("dds.ma_a_b").parent("c_hk").childKeys("email")
                .hashDiff("hd").payload("name").from(stage);
        MultiActiveSatellite second = vault.multiActiveSatellite("dds.ma_a").parent("b_c_hk").childKeys("email")
                .hashDiff("hd").payload("name").from(stage);
        first.createTable();
        second.createTable();
        assertThat(indexesOn(ds, "dds.ma_a_b", "c_hk,load_date")).containsExactly("ma_a_b_c_hk_idx");
        assertThat(indexesOn(ds, "dds.ma_a", "b_c_hk,load_date")).containsExactly("ma_a_b_c_hk_idx1");

        first.createTable();
        second.createTable();
        assertThat(first.createTableSql()).noneMatch(s -> s.contains("INDEX"));
        assertThat(indexesOn(ds, "dds.ma_a_b", "c_hk,load_date")).containsExactly("ma_a_b_c_hk_idx");
        assertThat(indexesOn(ds, "dds.ma_a", "b_c_hk,load_date")).containsExactly("ma_a_b_c_hk_idx1");
        assertThat(first.load().rowsInserted()).isEqualTo(1);
        assertThat(second.load().rowsInserted()).isEqualTo(1);
    }

    /**
     * A link's two references whose index names are another table's: each takes its own free name, and the
     * effectivity satellite over a table whose name another relation (a plain table) holds does too.
     */
    @Test
    void aLinksIndexesAndAnEffectivitySatellitesIndexAvoidEveryTakenName(DataSource ds) throws Exception {
        VaultFixtures.raw(ds, "raw.idx_links", row("1", "a@x", "Ann", 30, VaultFixtures.day(1)));
        dev.mds.testing.TestSql.sql(ds, "create schema if not exists dds");
        dev.mds.testing.TestSql.sql(ds, "create table dds.lnk_c_hk_idx (x int)");
        dev.mds.testing.TestSql.sql(ds, "create table dds.eff_hk_idx (x int)");
        Vault vault = Vault.on(ds);
        Stage stage = Stage.of("raw.idx_links").into("stg.idx_links").loadDate("ld").recordSource("src")
                .hashKey("c_hk", "id").hashKey("e_hk", "email").hashKey("l_hk", "id", "email").hashKey("hk", "name");
        vault.createStage(stage);
        Link link = vault.link("dds.lnk").hashKey("l_hk").refs("c_hk", "e_hk").from(stage);
        link.createTable();
        EffectivitySatellite eff = vault.effectivitySatellite("dds.eff").link("l_hk").drivingKey("hk")
                .effectiveFrom("ld").from(stage);
        eff.createTable();
        assertThat(indexesOn(ds, "dds.lnk", "c_hk")).containsExactly("lnk_c_hk_idx1");
        assertThat(indexesOn(ds, "dds.lnk", "e_hk")).containsExactly("lnk_e_hk_idx");
        assertThat(indexesOn(ds, "dds.eff", "hk,load_date")).containsExactly("eff_hk_idx1");
        link.createTable();
        eff.createTable();
        assertThat(indexesOn(ds, "dds.lnk", "c_hk")).containsExactly("lnk_c_hk_idx1");
        assertThat(indexesOn(ds, "dds.eff", "hk,load_date")).containsExactly("eff_hk_idx1");
    }

    /**
     * Long names: the index names of ma_<50 x>_b (parent c_hk) and ma_<50 x> (parent b_c_hk) are cut to 51 bytes and end
     * with the hash of the full name, which the two share; the second takes the next number's (cut) name.
     */
    @Test
    void longIndexNamesThatTwoTablesWouldShareGetDistinctCutNames(DataSource ds) throws Exception {
        VaultFixtures.raw(ds, "raw.idx_long", row("1", "a@x", "Ann", 30, VaultFixtures.day(1)));
        Vault vault = Vault.on(ds);
        Stage stage = Stage.of("raw.idx_long").into("stg.idx_long").loadDate("ld").recordSource("src")
                .hashKey("c_hk", "id").hashKey("b_c_hk", "email").hashDiff("hd", "name", "age");
        vault.createStage(stage);
        String x = "x".repeat(50);
        MultiActiveSatellite first = vault.multiActiveSatellite("dds.ma_" + x + "_b").parent("c_hk").childKeys("email")
                .hashDiff("hd").payload("name").from(stage);
        MultiActiveSatellite second = vault.multiActiveSatellite("dds.ma_" + x).parent("b_c_hk").childKeys("email")
                .hashDiff("hd").payload("name").from(stage);
        first.createTable();
        second.createTable();
        first.createTable();
        second.createTable();
        List<String> a = indexesOn(ds, "dds.ma_" + x + "_b", "c_hk,load_date");
        List<String> b = indexesOn(ds, "dds.ma_" + x, "b_c_hk,load_date");
        assertThat(a).hasSize(1);
        assertThat(b).hasSize(1);
        assertThat(a.get(0)).isNotEqualTo(b.get(0)).startsWith("ma_" + x.substring(0, 48));
    }
}
