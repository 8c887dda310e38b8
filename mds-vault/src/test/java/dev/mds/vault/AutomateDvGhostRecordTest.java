package dev.mds.vault;

import static dev.mds.testing.Row.row;
import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static dev.mds.vault.VaultFixtures.customers;
import static dev.mds.vault.VaultFixtures.day;
import static dev.mds.vault.VaultFixtures.raw;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * AutomateDV's ghost record on PostgreSQL: its {@code binary_ghost} renders {@code CAST('000…0' AS BYTEA)}, which
 * is the text's bytes (32 bytes {@code 0x30} under MD5), not 16 zero bytes. A satellite AutomateDV created and gave
 * its ghost record is loaded by an AUTOMATEDV vault all the same: the ghost is not taken for the table's hash width.
 * Under AUTOMATEDV a PIT points at that ghost row where the satellite holds it (and not mds's), and
 * {@code insertGhostRecord()} takes it for the satellite's ghost record.
 */
@MdsPostgres
class AutomateDvGhostRecordTest {
    @Test
    void satelliteHoldingAutomateDvsGhostRecordLoadsAndKeepsIt(DataSource ds) throws Exception {
        raw(ds, "raw.adv_ghost", row("1", "a@x", "Ann", 30, day(1)), row("2", "b@x", "Bob", 40, day(1)));
        Vault vault = Vault.on(ds).standard(HashStandard.AUTOMATEDV);
        Stage stage = customers("raw.adv_ghost", "crm");
        vault.createStage(stage);
        // the satellite as AutomateDV made it (no width check), its ghost record first
        sql(ds, "create schema if not exists dds");
        sql(ds, "create table dds.adv_sat (customer_hk bytea not null, customer_hashdiff bytea not null, email text,"
                + " name text, age int, load_date timestamptz not null, record_source text not null,"
                + " primary key (customer_hk, load_date))");
        sql(ds, "insert into dds.adv_sat values (CAST('00000000000000000000000000000000' AS BYTEA),"
                + " CAST('00000000000000000000000000000000' AS BYTEA), NULL, NULL, NULL, '1900-01-01 00:00:00+00', 'AUTOMATE_DV_SYSTEM')");
        Satellite sat = vault.satellite("dds.adv_sat").parent("customer_hk").hashDiff("customer_hashdiff")
                .payload("email", "name", "age").from(stage);
        assertThat(sat.load().rowsInserted()).isEqualTo(2);
        assertThat(sat.load().rowsInserted()).isZero();
        assertThat(strings(ds, "select octet_length(customer_hk) || ' ' || record_source from dds.adv_sat order by load_date, name"))
                .containsExactly("32 AUTOMATE_DV_SYSTEM", "16 crm", "16 crm");
    }

    /** An AutomateDV satellite (no width check) holding AutomateDV's ghost record, its load date as {@code ghostDate}. */
    private static void automateDvSatellite(DataSource ds, String table, String ghostDate) {
        sql(ds, "create schema if not exists dds");
        sql(ds, "create table " + table + " (customer_hk bytea not null, customer_hashdiff bytea not null, email text,"
                + " name text, age int, load_date timestamptz not null, record_source text not null,"
                + " primary key (customer_hk, load_date))");
        sql(ds, "insert into " + table + " values (CAST('00000000000000000000000000000000' AS BYTEA),"
                + " CAST('00000000000000000000000000000000' AS BYTEA), NULL, NULL, NULL, '" + ghostDate + "', 'AUTOMATE_DV_SYSTEM')");
    }

    @Test
    void pitUnderAutomateDvPointsAtTheGhostRowOfAnAutomateDvSatellite(DataSource ds) throws Exception {
        raw(ds, "raw.adv_pit", row("1", "a@x", "Ann", 30, day(2)), row("2", "b@x", "Bob", 40, day(2)));
        Vault vault = Vault.on(ds).standard(HashStandard.AUTOMATEDV);
        Stage stage = customers("raw.adv_pit", "crm");
        vault.createStage(stage);
        Hub hub = vault.hub("dds.adv_pit_hub").hashKey("customer_hk").businessKey("id").from(stage);
        hub.createTable();
        hub.load();
        // AutomateDV's satellite, its ghost dated in a dbt session whose TimeZone is not UTC (CAST('1900-01-01' AS
        // timestamptz) is read in the session's zone), and a satellite mds made, with mds's ghost record
        automateDvSatellite(ds, "dds.adv_pit_sat", "1900-01-01 00:00:00-00:01:15");
        vault.satellite("dds.adv_pit_sat").parent("customer_hk").hashDiff("customer_hashdiff").payload("email", "name", "age")
                .from(stage).load();
        Satellite own = vault.satellite("dds.adv_pit_own").parent("customer_hk").hashDiff("customer_hashdiff")
                .payload("email", "name", "age").from(stage);
        own.createTable();
        own.insertGhostRecord();
        own.load();
        Pit pit = vault.pit("dds.adv_pit").hub("dds.adv_pit_hub", "customer_hk").satellites("dds.adv_pit_sat", "dds.adv_pit_own")
                .asOf(java.util.List.of(day(1), day(3)));
        pit.createTable();
        pit.load();
        // as of day 1 no satellite row is in effect: each satellite's own ghost row, which the PIT's keys find
        assertThat(strings(ds, "select p.as_of_date::date || ' ' || coalesce(s.record_source, 'none') || ' '"
                + " || coalesce(o.record_source, 'none') from dds.adv_pit p"
                + " left join dds.adv_pit_sat s on s.customer_hk = p.adv_pit_sat_pk and s.load_date = p.adv_pit_sat_ldts"
                + " left join dds.adv_pit_own o on o.customer_hk = p.adv_pit_own_pk and o.load_date = p.adv_pit_own_ldts"
                + " order by 1"))
                .containsExactly("2024-01-01 AUTOMATE_DV_SYSTEM AUTOMATE_DV_SYSTEM", "2024-01-01 AUTOMATE_DV_SYSTEM AUTOMATE_DV_SYSTEM",
                        "2024-01-03 crm crm", "2024-01-03 crm crm");
        assertThat(strings(ds, "select distinct octet_length(adv_pit_sat_pk) || ' ' || octet_length(adv_pit_own_pk)"
                + " from dds.adv_pit where as_of_date < '2024-01-02'")).containsExactly("32 16");
        assertThat(pit.load().rowsInserted()).isZero();
    }

    @Test
    void insertGhostRecordUnderAutomateDvTakesAutomateDvsGhostRowForTheSatellitesOwn(DataSource ds) {
        raw(ds, "raw.adv_ghost2", row("1", "a@x", "Ann", 30, day(1)));
        Vault vault = Vault.on(ds).standard(HashStandard.AUTOMATEDV);
        Stage stage = customers("raw.adv_ghost2", "crm");
        vault.createStage(stage);
        automateDvSatellite(ds, "dds.adv_ghost2_sat", "1900-01-01 00:00:00+00");
        Satellite sat = vault.satellite("dds.adv_ghost2_sat").parent("customer_hk").hashDiff("customer_hashdiff")
                .payload("email", "name", "age").from(stage);
        assertThat(sat.insertGhostRecord().rowsInserted()).isZero();
        assertThat(strings(ds, "select count(*)::text from dds.adv_ghost2_sat")).containsExactly("1");
    }
}
