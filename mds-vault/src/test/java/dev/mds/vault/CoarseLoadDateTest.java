package dev.mds.vault;

import static dev.mds.testing.Row.row;
import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static dev.mds.vault.VaultFixtures.batch;
import static dev.mds.vault.VaultFixtures.customers;
import static dev.mds.vault.VaultFixtures.day;
import static dev.mds.vault.VaultFixtures.raw;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A table whose load date is a {@code date} (made by hand, or by AutomateDV) loaded from a stage of timestamps: the
 * rows of one key and day are one (key, load date), and the one stored is the day's last, its state at the end of the
 * day, whatever the hashdiffs' byte order.
 */
@MdsPostgres
class CoarseLoadDateTest {
    /**
     * Two keys change from A to B and from B to A within one day (09:00, then 23:00): each stores its 23:00 state, into
     * an empty satellite and into one holding rows, and the next day's batch with those states stores nothing. Before,
     * the smaller hashdiff was stored: for one of the two keys the 09:00 state, and the next day stored a "change" to
     * what it had been since the day before.
     */
    @Test
    void aSatelliteOfDatesStoresTheDaysLastRowOfAKey(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        // one email and age: the hashdiff tells the names apart only, so one key goes up in hashdiff order and one down
        raw(ds, "raw.cl_sat", row("1", "a", "A", 1, day(2).plusHours(9)), row("1", "a", "B", 1, day(2).plusHours(23)),
                row("2", "a", "B", 1, day(2).plusHours(9)), row("2", "a", "A", 1, day(2).plusHours(23)));
        sql(ds, "create table raw.cl_sat_day1 as select id, email, name, age, ld - interval '1 day' as ld from raw.cl_sat"
                + " where ld = '2024-01-02 09:00Z'");
        Stage stage = customers("raw.cl_sat", "crm");
        Stage day1 = customers("raw.cl_sat_day1", "crm");
        vault.createStage(stage);
        vault.createStage(day1);
        sql(ds, "create schema if not exists dds");
        for (String t : List.of("dds.cl_sat_empty", "dds.cl_sat_held")) {
            sql(ds, "create table " + t + " (customer_hk bytea not null, customer_hashdiff bytea not null, id text, name text,"
                    + " load_date date not null, record_source text not null, primary key (customer_hk, load_date))");
        }
        assertThat(sat(vault, "dds.cl_sat_held", day1).load().rowsInserted()).isEqualTo(2);   // day 1: 1 A, 2 B
        for (String t : List.of("dds.cl_sat_empty", "dds.cl_sat_held")) {
            assertThat(sat(vault, t, stage).load().rowsInserted()).as(t).isEqualTo(2);
            assertThat(strings(ds, "select id || ':' || name from " + t + " where load_date = '2024-01-02' order by id"))
                    .as(t).containsExactly("1:B", "2:A");
        }
        // day 3: each key as it was at the end of day 2
        batch(ds, "raw.cl_sat", row("1", "a", "B", 1, day(3)), row("2", "a", "A", 1, day(3)));
        for (String t : List.of("dds.cl_sat_empty", "dds.cl_sat_held")) {
            assertThat(sat(vault, t, stage).load().rowsInserted()).as(t).isZero();
        }
    }

    private static Satellite sat(Vault vault, String table, Stage stage) {
        return vault.satellite(table).parent("customer_hk").hashDiff("customer_hashdiff").payload("id", "name").from(stage);
    }

    /**
     * A multi-active satellite of dates: of the sets of one key and day, the one of the latest stage timestamp is
     * stored, the key's set at the end of the day (see {@link #aMultiActiveSetThatShrinksWithinADayStoresTheDaysLastSet});
     * the next day's batch with the sets as they were at the end of the day stores nothing. Before d5621a3e, the smaller
     * hashdiff of a child key was stored: for one of two keys the 09:00 phone, and the next day stored a "changed" set.
     */
    @Test
    void aMultiActiveSatelliteOfDatesStoresAChildKeysLastRowOfTheDay(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        sql(ds, "create schema if not exists raw", "create schema if not exists dds",
                "create table raw.cl_ma (email text, phone_type text, phone text, ld timestamptz)",
                "insert into raw.cl_ma values ('a@x', 'home', '4', '2024-01-02 09:00Z'), ('a@x', 'work', '6', '2024-01-02 09:00Z'),"
                        + " ('a@x', 'home', '5', '2024-01-02 23:00Z'), ('a@x', 'work', '7', '2024-01-02 23:00Z'),"
                        + " ('b@x', 'home', '5', '2024-01-02 09:00Z'), ('b@x', 'home', '4', '2024-01-02 23:00Z')",
                "create table dds.cl_ma (user_hk bytea not null, phone_type text not null, phone_hashdiff bytea not null,"
                        + " phone text, load_date date not null, record_source text not null,"
                        + " primary key (user_hk, phone_type, load_date))");
        Stage stage = Stage.of("raw.cl_ma").into("stg.cl_ma").loadDate("ld").recordSource("crm")
                .hashKey("user_hk", "email").hashDiff("phone_hashdiff", "phone");
        vault.createStage(stage);
        MultiActiveSatellite ma = vault.multiActiveSatellite("dds.cl_ma").parent("user_hk").childKeys("phone_type")
                .hashDiff("phone_hashdiff").payload("phone").from(stage);
        assertThat(ma.load().rowsInserted()).isEqualTo(3);
        assertThat(strings(ds, "select string_agg(phone_type || '=' || phone, ',' order by phone_type) from dds.cl_ma"
                + " group by user_hk order by 1")).containsExactly("home=4", "home=5,work=7");
        // day 3: the sets as they were at the end of day 2
        sql(ds, "truncate raw.cl_ma", "insert into raw.cl_ma values ('a@x', 'home', '5', '2024-01-03 00:00Z'),"
                + " ('a@x', 'work', '7', '2024-01-03 00:00Z'), ('b@x', 'home', '4', '2024-01-03 00:00Z')");
        assertThat(ma.load().rowsInserted()).isZero();
    }

    /**
     * A multi-active satellite of dates whose set shrinks within one day (09:00 {home, work}, 23:00 {home}) stores the
     * day's last set, {home}, as a table of timestamps stores two sets of which {home} is the latest; one that grows
     * stores the grown set. Into a table holding the 09:00 set the day before, the shrink is a change; the next day's
     * batch with the end-of-day sets, and a re-load, store nothing. Before, the day's rows were merged per child key:
     * the union {home, work} was stored, a work phone no longer active at the end of the day; into the table holding
     * {home, work} nothing was stored at all (the union equalled it), so the shrink was lost.
     */
    @Test
    void aMultiActiveSetThatShrinksWithinADayStoresTheDaysLastSet(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        sql(ds, "create schema if not exists raw", "create schema if not exists dds",
                "create table raw.cl_shrink (email text, phone_type text, phone text, ld timestamptz)",
                "insert into raw.cl_shrink values ('a@x', 'home', '1', '2024-01-02 09:00Z'), ('a@x', 'work', '2', '2024-01-02 09:00Z'),"
                        + " ('a@x', 'home', '1', '2024-01-02 23:00Z'),"
                        + " ('b@x', 'home', '1', '2024-01-02 09:00Z'),"
                        + " ('b@x', 'home', '1', '2024-01-02 23:00Z'), ('b@x', 'work', '2', '2024-01-02 23:00Z')",
                "create table raw.cl_shrink_day1 as select * from raw.cl_shrink where email = 'a@x'"
                        + " and ld = '2024-01-02 09:00Z'",
                "update raw.cl_shrink_day1 set ld = ld - interval '1 day'");
        Stage stage = Stage.of("raw.cl_shrink").into("stg.cl_shrink").loadDate("ld").recordSource("crm")
                .hashKey("user_hk", "email").hashDiff("phone_hashdiff", "phone_type", "phone");
        Stage day1 = Stage.of("raw.cl_shrink_day1").into("stg.cl_shrink_day1").loadDate("ld").recordSource("crm")
                .hashKey("user_hk", "email").hashDiff("phone_hashdiff", "phone_type", "phone");
        vault.createStage(stage);
        vault.createStage(day1);
        for (String t : List.of("dds.cl_shrink_empty", "dds.cl_shrink_held")) {
            sql(ds, "create table " + t + " (user_hk bytea not null, phone_type text not null, phone_hashdiff bytea not null,"
                    + " phone text, load_date date not null, record_source text not null,"
                    + " primary key (user_hk, phone_type, load_date))");
        }
        assertThat(ma(vault, "dds.cl_shrink_held", day1).load().rowsInserted()).isEqualTo(2);   // day 1: a {home, work}
        for (String t : List.of("dds.cl_shrink_empty", "dds.cl_shrink_held")) {
            assertThat(ma(vault, t, stage).load().rowsInserted()).as(t).isEqualTo(3);
            assertThat(strings(ds, "select s.email || ' ' || string_agg(t.phone_type, ',' order by t.phone_type) from " + t
                    + " as t join (select distinct email, user_hk from stg.cl_shrink) as s using (user_hk)"
                    + " where t.load_date = '2024-01-02' group by s.email order by 1"))
                    .as(t).containsExactly("a@x home", "b@x home,work");
            assertThat(ma(vault, t, stage).load().rowsInserted()).as(t).isZero();
        }
        // day 3: the sets as they were at the end of day 2
        sql(ds, "truncate raw.cl_shrink", "insert into raw.cl_shrink values ('a@x', 'home', '1', '2024-01-03 08:00Z'),"
                + " ('b@x', 'home', '1', '2024-01-03 08:00Z'), ('b@x', 'work', '2', '2024-01-03 08:00Z')");
        for (String t : List.of("dds.cl_shrink_empty", "dds.cl_shrink_held")) {
            assertThat(ma(vault, t, stage).load().rowsInserted()).as(t).isZero();
        }
    }

    /**
     * Two stages into one multi-active satellite of dates: each gives the day its last set, and the day's set is
     * their union (the CRM's home phone at 09:00, the web shop's mobile at 10:00), as the sets two stages give one load
     * date are; the CRM's set that shrank within the day counts as shrunk. Guards d8762e21's day's last set, which taken
     * over both stages at once kept the web shop's 10:00 rows only and dropped the CRM's phones.
     */
    @Test
    void aMultiActiveSatelliteOfDatesUnionsTheDaysLastSetOfEachStage(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        sql(ds, "create schema if not exists raw", "create schema if not exists dds",
                "create table raw.cl_crm (email text, phone_type text, phone text, ld timestamptz)",
                "create table raw.cl_web (email text, phone_type text, phone text, ld timestamptz)",
                "insert into raw.cl_crm values ('a@x', 'home', '1', '2024-01-02 08:00Z'), ('a@x', 'work', '2', '2024-01-02 08:00Z'),"
                        + " ('a@x', 'home', '1', '2024-01-02 09:00Z')",
                "insert into raw.cl_web values ('a@x', 'mobile', '3', '2024-01-02 10:00Z')",
                "create table dds.cl_two (user_hk bytea not null, phone_type text not null, phone_hashdiff bytea not null,"
                        + " phone text, load_date date not null, record_source text not null,"
                        + " primary key (user_hk, phone_type, load_date))");
        Stage crm = Stage.of("raw.cl_crm").into("stg.cl_crm").loadDate("ld").recordSource("crm")
                .hashKey("user_hk", "email").hashDiff("phone_hashdiff", "phone_type", "phone");
        Stage web = Stage.of("raw.cl_web").into("stg.cl_web").loadDate("ld").recordSource("web")
                .hashKey("user_hk", "email").hashDiff("phone_hashdiff", "phone_type", "phone");
        vault.createStage(crm);
        vault.createStage(web);
        MultiActiveSatellite ma = vault.multiActiveSatellite("dds.cl_two").parent("user_hk").childKeys("phone_type")
                .hashDiff("phone_hashdiff").payload("phone").from(crm, web);
        assertThat(ma.load().rowsInserted()).isEqualTo(2);
        assertThat(strings(ds, "select phone_type || ' ' || record_source from dds.cl_two order by 1"))
                .containsExactly("home crm", "mobile web");
        assertThat(ma.load().rowsInserted()).isZero();
    }

    private static MultiActiveSatellite ma(Vault vault, String table, Stage stage) {
        return vault.multiActiveSatellite(table).parent("user_hk").childKeys("phone_type").hashDiff("phone_hashdiff")
                .payload("phone").from(stage);
    }

    /**
     * An effectivity satellite of dates (AutomateDV's tables often have a date load date) from a stage of timestamps:
     * a driving key that moves on the day its link was loaded is a second batch of that load date, skipped as any
     * other (the first loaded wins); the next day's move is stored. Before, the stage's timestamp was compared with the
     * stored day's midnight, taken as later, and the row closing the link had the load date of the row opening it: the
     * load failed on the primary key (link, load date).
     */
    @Test
    void anEffectivitySatelliteOfDatesTakesASecondBatchOfADayAsThatDays(DataSource ds) throws Exception {
        sql(ds, "create schema if not exists raw", "create schema if not exists dds",
                "create table raw.cl_eff (customer text, product text, since timestamptz, ld timestamptz)",
                "insert into raw.cl_eff values ('c1', 'p1', '2024-01-02 01:00Z', '2024-01-02 01:00Z')",
                "create table dds.cl_eff (assign_hk bytea not null, customer_hk bytea not null, start_date timestamptz,"
                        + " end_date timestamptz not null, load_date date not null, record_source text not null,"
                        + " primary key (assign_hk, load_date))");
        Vault vault = Vault.on(ds);
        Stage stage = Stage.of("raw.cl_eff").into("stg.cl_eff").loadDate("ld").recordSource("crm")
                .hashKey("customer_hk", "customer").hashKey("assign_hk", "customer", "product");
        vault.createStage(stage);
        EffectivitySatellite eff = vault.effectivitySatellite("dds.cl_eff").link("assign_hk").drivingKey("customer_hk")
                .effectiveFrom("since").from(stage);
        assertThat(eff.load().rowsInserted()).isEqualTo(1);
        sql(ds, "truncate raw.cl_eff", "insert into raw.cl_eff values ('c1', 'p2', '2024-01-02 10:00Z', '2024-01-02 10:00Z')");
        assertThat(eff.load().rowsInserted()).isZero();
        sql(ds, "truncate raw.cl_eff", "insert into raw.cl_eff values ('c1', 'p2', '2024-01-03 10:00Z', '2024-01-03 10:00Z')");
        assertThat(eff.load().rowsInserted()).isEqualTo(2);
        assertThat(eff.load().rowsInserted()).isZero();
        assertThat(strings(ds, "select (start_date at time zone 'UTC')::text || ' ' || (end_date at time zone 'UTC')::date"
                + " || ' ' || load_date from dds.cl_eff order by load_date, start_date")).containsExactly(
                        "2024-01-02 01:00:00 9999-12-31 2024-01-02",
                        "2024-01-02 01:00:00 2024-01-03 2024-01-03",
                        "2024-01-03 10:00:00 9999-12-31 2024-01-03");
    }

    /**
     * A multi-active satellite whose {@code effective_from} is a date, loaded from a stage whose effective-from is a
     * timestamp: of a child key's rows of one load date, the one with the latest stage effective-from is stored (as a
     * satellite orders them by the stage's column). Before, they were ordered by the effective-from cast to the table's
     * date, so two changes of one day tied and the smaller hashdiff was stored: for one of two keys the earlier phone.
     */
    @Test
    void aMultiActiveSatelliteOfDatesKeepsTheLatestStageEffectiveFrom(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        sql(ds, "create schema if not exists raw", "create schema if not exists dds",
                "create table raw.cl_ma_ef (email text, phone_type text, phone text, since timestamptz, ld timestamptz)",
                "insert into raw.cl_ma_ef values ('a@x', 'home', '4', '2024-01-02 09:00Z', '2024-01-03Z'),"
                        + " ('a@x', 'home', '5', '2024-01-02 23:00Z', '2024-01-03Z'),"
                        + " ('b@x', 'home', '5', '2024-01-02 09:00Z', '2024-01-03Z'),"
                        + " ('b@x', 'home', '4', '2024-01-02 23:00Z', '2024-01-03Z')",
                "create table dds.cl_ma_ef (user_hk bytea not null, phone_type text not null, phone_hashdiff bytea not null,"
                        + " phone text, effective_from date, load_date timestamptz not null, record_source text not null,"
                        + " primary key (user_hk, phone_type, load_date))");
        Stage stage = Stage.of("raw.cl_ma_ef").into("stg.cl_ma_ef").loadDate("ld").recordSource("crm")
                .hashKey("user_hk", "email").hashDiff("phone_hashdiff", "phone");
        vault.createStage(stage);
        MultiActiveSatellite ma = vault.multiActiveSatellite("dds.cl_ma_ef").parent("user_hk").childKeys("phone_type")
                .hashDiff("phone_hashdiff").payload("phone").effectiveFrom("since").from(stage);
        assertThat(ma.load().rowsInserted()).isEqualTo(2);
        assertThat(strings(ds, "select phone || ' ' || effective_from from dds.cl_ma_ef order by phone"))
                .containsExactly("4 2024-01-02", "5 2024-01-02");
        assertThat(strings(ds, "select count(*) from dds.cl_ma_ef where user_hk = (select user_hk from stg.cl_ma_ef"
                + " where email = 'a@x' limit 1) and phone = '5'")).containsExactly("1");
    }
}
