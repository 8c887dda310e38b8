package dev.mds.vault;

import static dev.mds.testing.Row.row;
import static dev.mds.testing.TestSql.strings;
import static dev.mds.vault.VaultFixtures.batch;
import static dev.mds.vault.VaultFixtures.day;
import static dev.mds.vault.VaultFixtures.raw;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.MdsException;
import dev.mds.testing.MdsPostgres;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A satellite storing the stage's hashdiff under another column name (AutomateDV's
 * {@code src_hashdiff: {source_column: ..., alias: ...}}).
 */
@MdsPostgres
class SatelliteHashDiffAliasTest {
    /**
     * The stage's {@code customer_hashdiff} is stored as {@code hashdiff}; the stage also has a column named
     * {@code hashdiff} (all 0xff), which the load must not read. First load, re-load, a change, ghost record and a
     * PIT all use the satellite's column.
     */
    @Test
    void satelliteStoresTheStagesHashDiffUnderItsOwnNameThroughLoadsReloadsGhostAndPit(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        raw(ds, "raw.c_alias", row("1", "a@x", "Ann", 30, day(1)), row("2", "b@x", "Bob", 40, day(1)));
        Stage stage = Stage.of("raw.c_alias").into("stg.c_alias").loadDate("ld").recordSource("crm")
                .derived("hashdiff", "decode('ffffffffffffffffffffffffffffffff', 'hex')")
                .hashKey("customer_hk", "id").hashDiff("customer_hashdiff", "email", "name", "age");
        vault.createStage(stage);
        Hub hub = vault.hub("dds.hub_c_alias").hashKey("customer_hk").businessKey("id").from(stage);
        Satellite sat = vault.satellite("dds.sat_c_alias").parent("customer_hk").hashDiff("hashdiff", "customer_hashdiff")
                .payload("name", "age").from(stage);
        hub.createTable();
        sat.createTable();
        assertThat(strings(ds, "select string_agg(column_name, ',' order by ordinal_position) from information_schema.columns"
                + " where table_schema = 'dds' and table_name = 'sat_c_alias'"))
                .containsExactly("customer_hk,hashdiff,name,age,load_date,record_source");

        hub.load();
        assertThat(sat.load().rowsInserted()).isEqualTo(2);            // into an empty satellite
        assertThat(sat.load().rowsInserted()).isZero();                // the re-load
        assertThat(strings(ds, "select encode(t.hashdiff, 'hex') from dds.sat_c_alias t order by t.name"))
                .isEqualTo(strings(ds, "select encode(s.customer_hashdiff, 'hex') from stg.c_alias s order by s.name"));

        batch(ds, "raw.c_alias", row("1", "a@x", "Ann", 31, day(2)), row("2", "b@x", "Bob", 40, day(2)),
                row("2", "b@x", "Bob", 40, day(1)));
        assertThat(sat.load().rowsInserted()).isEqualTo(1);            // Ann's change; Bob's unchanged and stored rows skipped
        assertThat(sat.load().rowsInserted()).isZero();
        assertThat(strings(ds, "select name || ' ' || age || ' ' || (encode(hashdiff, 'hex') = 'ff' || repeat('ff', 15))"
                + " from dds.sat_c_alias order by name, load_date")).containsExactly("Ann 30 false", "Ann 31 false", "Bob 40 false");

        assertThat(sat.ghostRecordSql()).contains("\"hashdiff\"").doesNotContain("customer_hashdiff");
        assertThat(sat.insertGhostRecord().rowsInserted()).isEqualTo(1);
        assertThat(strings(ds, "select encode(hashdiff, 'hex') from dds.sat_c_alias where record_source <> 'crm'"))
                .containsExactly("00".repeat(16));

        Pit pit = vault.pit("dds.pit_c_alias").hub("dds.hub_c_alias", "customer_hk").satellites("dds.sat_c_alias")
                .asOf(List.of(day(1), day(2)));
        pit.createTable();
        assertThat(pit.load().rowsInserted()).isEqualTo(4);
        assertThat(strings(ds, "select h.id || ' ' || to_char(p.as_of_date at time zone 'UTC', 'DD') || ' ' || s.age"
                + " from dds.pit_c_alias p join dds.hub_c_alias h on h.customer_hk = p.customer_hk"
                + " join dds.sat_c_alias s on s.customer_hk = p.sat_c_alias_pk and s.load_date = p.sat_c_alias_ldts order by 1"))
                .containsExactly("1 01 30", "1 02 31", "2 01 40", "2 02 40");
        assertThat(pit.load().rowsInserted()).isZero();
    }

    @Test
    void satelliteRefusesAStageHashDiffColumnTheStageDoesNotHaveNamingIt(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        raw(ds, "raw.c_alias_bad", row("1", "a@x", "Ann", 30, day(1)));
        Stage stage = Stage.of("raw.c_alias_bad").into("stg.c_alias_bad").loadDate("ld").recordSource("crm")
                .hashKey("customer_hk", "id").hashDiff("customer_hashdiff", "email", "name", "age");
        vault.createStage(stage);
        Satellite sat = vault.satellite("dds.sat_c_alias_bad").parent("customer_hk").hashDiff("hashdiff", "no_such_hashdiff")
                .payload("name").from(stage);
        // createTable reads the stage's hash columns too: refused before the table is created
        assertThatThrownBy(sat::createTable).isInstanceOf(MdsException.class)
                .hasMessageContaining("dds.sat_c_alias_bad").hasMessageContaining("stg.c_alias_bad")
                .hasMessageContaining("'no_such_hashdiff'");
        assertThat(strings(ds, "select to_regclass('dds.sat_c_alias_bad') is null")).containsExactly("t");
        vault.satellite("dds.sat_c_alias_bad").parent("customer_hk").hashDiff("hashdiff", "customer_hashdiff").payload("name")
                .from(stage).createTable();
        assertThatThrownBy(sat::load).isInstanceOf(MdsException.class)
                .hasMessageContaining("dds.sat_c_alias_bad").hasMessageContaining("stg.c_alias_bad")
                .hasMessageContaining("'no_such_hashdiff'");
        assertThat(strings(ds, "select count(*) from dds.sat_c_alias_bad")).containsExactly("0");
    }
}
