package dev.mds.vault;

import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.MdsException;
import dev.mds.testing.MdsPostgres;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A stage view mds did not build (by hand, or AutomateDV's) whose {@code load_date} is text: every structure orders
 * and compares load dates, which as text go by characters ({@code '1/10/2024'} before {@code '1/9/2024'}), so it
 * is refused, as {@code createStage} refuses a text load-date column of a stage mds builds.
 */
@MdsPostgres
class ForeignStageLoadDateTypeTest {

    /**
     * createTable() of a hub, link, satellite, multi-active satellite, effectivity satellite and transactional link
     * from a stage whose load_date is text is refused naming the structure, the stage, the column and its type, and
     * creates nothing; a hub's load into a table created by hand with a text load_date is refused the same way, writing
     * nothing. Before, createTable() made load_date a text column for each of them, and a hub fed key 1 on 1/9/2024
     * and again on 1/10/2024 stored it with 1/10/2024 (the first by text), not 1/9/2024 (the first in time).
     */
    @Test
    void aStageWhoseLoadDateIsTextIsRefusedByEveryStructureNamingIt(DataSource ds) {
        sql(ds, "create schema if not exists raw", "create schema if not exists stg", "create schema if not exists dds",
                "create table raw.visits (id text, shop text, name text, ld text)",
                "insert into raw.visits values ('1', 's', 'Ann', '1/9/2024'), ('1', 's', 'Ann', '1/10/2024')",
                "create view stg.visits as select v.*, ld as load_date, 'crm'::text as record_source, date '2024-01-01' as eff,"
                        + " decode(md5(upper(id)), 'hex') as hk, decode(md5(upper(shop)), 'hex') as shop_hk,"
                        + " decode(md5(upper(id || '||' || shop)), 'hex') as link_hk,"
                        + " decode(md5(upper(name)), 'hex') as hd from raw.visits v");
        Vault vault = Vault.on(ds).standard(HashStandard.AUTOMATEDV);
        Stage stage = Stage.of("raw.visits").into("stg.visits").loadDate("ld");
        java.util.List<Structure> structures = java.util.List.of(
                vault.hub("dds.v_hub").hashKey("hk").businessKey("id").from(stage),
                vault.link("dds.v_link").hashKey("link_hk").refs("hk", "shop_hk").from(stage),
                vault.satellite("dds.v_sat").parent("hk").hashDiff("hd").payload("name").from(stage),
                vault.multiActiveSatellite("dds.v_ma").parent("hk").childKeys("shop").hashDiff("hd").payload("name").from(stage),
                vault.effectivitySatellite("dds.v_eff").link("link_hk").drivingKey("hk").effectiveFrom("eff").from(stage),
                vault.transactionalLink("dds.v_tlink").hashKey("link_hk").refs("hk", "shop_hk").from(stage));
        for (Structure s : structures) {
            assertThatThrownBy(s::createTable).as(s.name()).isInstanceOf(MdsException.class)
                    .hasMessageContaining(s.name())
                    .hasMessageContaining("stg.visits")
                    .hasMessageContaining("'load_date' of stg.visits is text")
                    .hasMessageContaining("date, timestamp or timestamptz");
        }
        assertThat(strings(ds, "select count(*) from pg_class where relnamespace = 'dds'::regnamespace")).containsExactly("0");

        // a hub table made by hand with a text load_date (as AutomateDV's dbt would make it from that stage)
        sql(ds, "create table dds.v_hub (hk bytea not null, id text, load_date text not null, record_source text not null)");
        Hub hub = vault.hub("dds.v_hub").hashKey("hk").businessKey("id").from(stage);
        assertThatThrownBy(hub::load).isInstanceOf(MdsException.class)
                .hasMessageContaining("hub dds.v_hub").hasMessageContaining("'load_date' of stg.visits is text");
        assertThat(strings(ds, "select count(*) from dds.v_hub")).containsExactly("0");
    }
}
