package dev.mds.vault;

import static dev.mds.testing.Row.row;
import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static dev.mds.vault.VaultFixtures.batch;
import static dev.mds.vault.VaultFixtures.day;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.MdsException;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.Row;
import dev.mds.testing.TableFixture;
import java.time.LocalDate;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A table holding a NOT NULL column (without a default, identity or generation) that the definition loading it does
 * not fill is refused by every structure before anything is written, by load() and sql() alike, naming the structure,
 * the table and the columns: not by PostgreSQL's "null value in column" from inside the insert. Extra columns an
 * insert may leave out (nullable, with a DEFAULT, an identity) load as before, as an AutomateDV table's extra
 * nullable columns do.
 */
@MdsPostgres
class UnfilledNotNullColumnsTest {

    /** A raw sales table (customer, product, email, name, ld) and its stage: customer, product and sale hash keys. */
    private static Stage stage(Vault vault, DataSource ds, String name, Row... rows) {
        TableFixture.on(ds, "raw." + name).columns("customer text", "product text", "email text", "name text", "ld timestamptz")
                .rows(rows);
        Stage stage = Stage.of("raw." + name).into("stg." + name).loadDate("ld").recordSource("crm")
                .hashKey("customer_hk", "customer").hashKey("product_hk", "product").hashKey("sale_hk", "customer", "product")
                .hashDiff("customer_hashdiff", "email", "name");
        vault.createStage(stage);
        return stage;
    }

    /** Adds a NOT NULL column without a default to a table holding rows (each gets 'x'). */
    private static void addRequired(DataSource ds, String table, String column) {
        sql(ds, "alter table " + table + " add column " + column + " text not null default 'x'",
                "alter table " + table + " alter column " + column + " drop default");
    }

    /** The table's rows as text, to compare before and after a refused load. */
    private static List<String> rows(DataSource ds, String table) {
        return strings(ds, "select t::text from " + table + " as t order by t::text");
    }

    @Test
    void aHubTableWithAnExtraNotNullColumnIsRefusedByNameBeforeAnythingIsWritten(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        Stage stage = stage(vault, ds, "unf_hub", row("c1", "p1", "a@x", "Ann", day(1)));
        Hub hub = vault.hub("dds.unf_hub").hashKey("customer_hk").businessKey("customer").from(stage);
        hub.createTable();
        assertThat(hub.load().rowsInserted()).isEqualTo(1);
        addRequired(ds, "dds.unf_hub", "region");
        batch(ds, "raw.unf_hub", row("c2", "p1", "b@x", "Bob", day(2)));
        List<String> before = rows(ds, "dds.unf_hub");
        assertThatThrownBy(hub::load).isInstanceOf(MdsException.class)
                .hasMessageStartingWith("hub dds.unf_hub: dds.unf_hub has NOT NULL column(s) [region] that this definition"
                        + " does not fill")
                .hasMessageNotContaining("null value");
        assertThatThrownBy(hub::sql).isInstanceOf(MdsException.class)
                .hasMessageStartingWith("hub dds.unf_hub: dds.unf_hub has NOT NULL column(s) [region]");
        assertThat(rows(ds, "dds.unf_hub")).isEqualTo(before).hasSize(1);
        // the definition the table now has (a second business key) loads
        Stage withRegion = Stage.of("raw.unf_hub").into("stg.unf_hub_r").loadDate("ld").recordSource("crm")
                .hashKey("customer_hk", "customer").derived("region", "'eu'");
        vault.createStage(withRegion);
        Hub both = vault.hub("dds.unf_hub").hashKey("customer_hk").businessKey("customer", "region").from(withRegion);
        assertThat(both.load().rowsInserted()).isEqualTo(1);
    }

    @Test
    void aSatelliteTableWithAnOmittedNotNullPayloadColumnIsRefusedByName(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        Stage stage = stage(vault, ds, "unf_sat", row("c1", "p1", "a@x", "Ann", day(1)));
        Satellite full = vault.satellite("dds.unf_sat").parent("customer_hk").hashDiff("customer_hashdiff")
                .payload("email", "name").from(stage);
        full.createTable();
        assertThat(full.load().rowsInserted()).isEqualTo(1);
        sql(ds, "alter table dds.unf_sat alter column name set not null");
        batch(ds, "raw.unf_sat", row("c1", "p1", "a2@x", "Ann", day(2)));
        List<String> before = rows(ds, "dds.unf_sat");
        Satellite emailOnly = vault.satellite("dds.unf_sat").parent("customer_hk").hashDiff("customer_hashdiff")
                .payload("email").from(stage);
        assertThatThrownBy(emailOnly::load).isInstanceOf(MdsException.class)
                .hasMessageStartingWith("satellite dds.unf_sat: dds.unf_sat has NOT NULL column(s) [name] that this definition"
                        + " does not fill")
                .hasMessageNotContaining("null value");
        assertThatThrownBy(emailOnly::sql).isInstanceOf(MdsException.class)
                .hasMessageStartingWith("satellite dds.unf_sat: dds.unf_sat has NOT NULL column(s) [name]");
        // its ghost record, whose payload is NULL, too
        assertThatThrownBy(full::insertGhostRecord).isInstanceOf(MdsException.class)
                .hasMessageStartingWith("satellite dds.unf_sat: dds.unf_sat has NOT NULL column(s) [name] that the ghost"
                        + " record leaves NULL")
                .hasMessageNotContaining("null value");
        assertThat(rows(ds, "dds.unf_sat")).isEqualTo(before).hasSize(1);
        assertThat(full.load().rowsInserted()).isEqualTo(1);
    }

    @Test
    void aLinkTableWithAnExtraNotNullColumnIsRefusedByName(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        Stage stage = stage(vault, ds, "unf_link", row("c1", "p1", "a@x", "Ann", day(1)));
        Link link = vault.link("dds.unf_link").hashKey("sale_hk").refs("customer_hk", "product_hk").from(stage);
        link.createTable();
        assertThat(link.load().rowsInserted()).isEqualTo(1);
        addRequired(ds, "dds.unf_link", "channel");
        batch(ds, "raw.unf_link", row("c2", "p1", "b@x", "Bob", day(2)));
        List<String> before = rows(ds, "dds.unf_link");
        assertThatThrownBy(link::load).isInstanceOf(MdsException.class)
                .hasMessageStartingWith("link dds.unf_link: dds.unf_link has NOT NULL column(s) [channel] that this"
                        + " definition does not fill")
                .hasMessageNotContaining("null value");
        assertThatThrownBy(link::sql).isInstanceOf(MdsException.class)
                .hasMessageStartingWith("link dds.unf_link: dds.unf_link has NOT NULL column(s) [channel]");
        assertThat(rows(ds, "dds.unf_link")).isEqualTo(before).hasSize(1);
    }

    /**
     * A transactional link and a multi-active satellite whose payload omits a NOT NULL column of their table; the
     * multi-active satellite's ghost record (NULL payload) is refused by name too.
     */
    @Test
    void aTransactionalLinkAndAMultiActiveSatelliteOmittingANotNullPayloadColumnAreRefusedByName(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        Stage stage = stage(vault, ds, "unf_tma", row("c1", "p1", "a@x", "Ann", day(1)));
        TransactionalLink tFull = vault.transactionalLink("dds.unf_tlink").hashKey("sale_hk").refs("customer_hk", "product_hk")
                .payload("email", "name").effectiveFrom("ld").from(stage);
        MultiActiveSatellite maFull = vault.multiActiveSatellite("dds.unf_ma").parent("customer_hk").childKeys("product")
                .hashDiff("customer_hashdiff").payload("email", "name").from(stage);
        tFull.createTable();
        maFull.createTable();
        assertThat(tFull.load().rowsInserted()).isEqualTo(1);
        assertThat(maFull.load().rowsInserted()).isEqualTo(1);
        sql(ds, "alter table dds.unf_tlink alter column name set not null", "alter table dds.unf_ma alter column name set not null");
        batch(ds, "raw.unf_tma", row("c2", "p2", "b@x", "Bob", day(2)));
        List<String> tBefore = rows(ds, "dds.unf_tlink");
        List<String> maBefore = rows(ds, "dds.unf_ma");
        TransactionalLink t = vault.transactionalLink("dds.unf_tlink").hashKey("sale_hk").refs("customer_hk", "product_hk")
                .payload("email").effectiveFrom("ld").from(stage);
        MultiActiveSatellite ma = vault.multiActiveSatellite("dds.unf_ma").parent("customer_hk").childKeys("product")
                .hashDiff("customer_hashdiff").payload("email").from(stage);
        assertThatThrownBy(t::load).isInstanceOf(MdsException.class)
                .hasMessageStartingWith("transactional link dds.unf_tlink: dds.unf_tlink has NOT NULL column(s) [name]")
                .hasMessageNotContaining("null value");
        assertThatThrownBy(ma::load).isInstanceOf(MdsException.class)
                .hasMessageStartingWith("multi-active satellite dds.unf_ma: dds.unf_ma has NOT NULL column(s) [name]")
                .hasMessageNotContaining("null value");
        assertThatThrownBy(maFull::insertGhostRecord).isInstanceOf(MdsException.class)
                .hasMessageStartingWith("multi-active satellite dds.unf_ma: dds.unf_ma has NOT NULL column(s) [name] that"
                        + " the ghost record leaves NULL");
        assertThat(rows(ds, "dds.unf_tlink")).isEqualTo(tBefore).hasSize(1);
        assertThat(rows(ds, "dds.unf_ma")).isEqualTo(maBefore).hasSize(1);
    }

    @Test
    void aPitTableWithAnExtraNotNullColumnIsRefusedByName(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        Stage stage = stage(vault, ds, "unf_pit", row("c1", "p1", "a@x", "Ann", day(1)));
        Hub hub = vault.hub("dds.unf_pit_hub").hashKey("customer_hk").businessKey("customer").from(stage);
        hub.createTable();
        hub.load();
        Satellite sat = vault.satellite("dds.unf_pit_sat").parent("customer_hk").hashDiff("customer_hashdiff")
                .payload("email").from(stage);
        sat.createTable();
        sat.load();
        Pit pit = vault.pit("dds.unf_pit").hub("dds.unf_pit_hub", "customer_hk").satellites("dds.unf_pit_sat")
                .asOf(List.of(LocalDate.of(2024, 1, 2)));
        pit.createTable();
        assertThat(pit.load().rowsInserted()).isEqualTo(1);
        addRequired(ds, "dds.unf_pit", "note");
        List<String> before = rows(ds, "dds.unf_pit");
        Pit more = vault.pit("dds.unf_pit").hub("dds.unf_pit_hub", "customer_hk").satellites("dds.unf_pit_sat")
                .asOf(List.of(LocalDate.of(2024, 1, 2), LocalDate.of(2024, 1, 3)));
        assertThatThrownBy(more::load).isInstanceOf(MdsException.class)
                .hasMessageStartingWith("pit dds.unf_pit: dds.unf_pit has NOT NULL column(s) [note]")
                .hasMessageNotContaining("null value");
        assertThat(rows(ds, "dds.unf_pit")).isEqualTo(before).hasSize(1);
    }

    /**
     * Extra columns an insert may leave out: nullable (as AutomateDV's tables have), NOT NULL with a DEFAULT, an
     * identity, a generated column. Hub, satellite (and its ghost record) and PIT load as before.
     */
    @Test
    void extraNullableDefaultedIdentityAndGeneratedColumnsStillLoad(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        Stage stage = stage(vault, ds, "unf_ok", row("c1", "p1", "a@x", "Ann", day(1)));
        Hub hub = vault.hub("dds.unf_ok_hub").hashKey("customer_hk").businessKey("customer").from(stage);
        Satellite sat = vault.satellite("dds.unf_ok_sat").parent("customer_hk").hashDiff("customer_hashdiff")
                .payload("email").from(stage);
        Pit pit = vault.pit("dds.unf_ok_pit").hub("dds.unf_ok_hub", "customer_hk").satellites("dds.unf_ok_sat")
                .asOf(List.of(LocalDate.of(2024, 1, 2)));
        hub.createTable();
        sat.createTable();
        pit.createTable();
        for (String t : List.of("dds.unf_ok_hub", "dds.unf_ok_sat", "dds.unf_ok_pit")) {
            sql(ds, "alter table " + t + " add column note text",
                    "alter table " + t + " add column region text not null default 'eu'",
                    "alter table " + t + " add column seq bigint generated always as identity",
                    "alter table " + t + " add column upper_region text not null generated always as (upper(region)) stored");
        }
        assertThat(hub.load().rowsInserted()).isEqualTo(1);
        assertThat(sat.load().rowsInserted()).isEqualTo(1);
        assertThat(sat.insertGhostRecord().rowsInserted()).isEqualTo(1);
        assertThat(pit.load().rowsInserted()).isEqualTo(1);
        assertThat(strings(ds, "select coalesce(note, '∅') || ' ' || region || ' ' || upper_region from dds.unf_ok_hub"))
                .containsExactly("∅ eu EU");
        assertThat(strings(ds, "select count(*) from dds.unf_ok_sat where region = 'eu' and seq is not null"))
                .containsExactly("2");
    }
}
