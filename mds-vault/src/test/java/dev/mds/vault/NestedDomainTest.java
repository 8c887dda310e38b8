package dev.mds.vault;

import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A domain over a domain (over a domain…) counts as its base type wherever a domain over that type does: a load date
 * or effective-from of a domain over a domain over timestamptz (or date) is that base type, read in UTC against a date
 * or timestamp, whatever the session's TimeZone; a multi-active satellite's ghost child key has its base type's
 * empty value.
 */
@MdsPostgres
class NestedDomainTest {
    private static final String ZONE = "Pacific/Kiritimati";   // UTC+14: a UTC evening is the next day there

    @Test
    void aLoadDateOfADomainOverADomainIsItsBaseTypeUnderASessionTimeZone(DataSource ds) throws Exception {
        sql(ds, "create schema if not exists raw", "create schema if not exists dds",
                "drop domain if exists raw.nd_ts2 cascade", "drop domain if exists raw.nd_ts1 cascade",
                "create domain raw.nd_ts1 as timestamptz", "create domain raw.nd_ts2 as raw.nd_ts1",
                "drop domain if exists raw.nd_day2 cascade", "drop domain if exists raw.nd_day1 cascade",
                "create domain raw.nd_day1 as date", "create domain raw.nd_day2 as raw.nd_day1",
                "drop table if exists raw.nd_a, raw.nd_b cascade",
                "create table raw.nd_a (id text, phone_type text, phone text, name text, since raw.nd_day2, ld raw.nd_ts2)",
                "insert into raw.nd_a values ('a', 'home', '555', 'Ann', '2024-01-02', '2024-01-01 23:00:00+00')",
                "create table raw.nd_b (id text, name text, ld raw.nd_day2)",
                "insert into raw.nd_b values ('b', 'Bob', '2024-01-02')",
                // a satellite and a multi-active satellite AutomateDV (or a user) made with a date load date
                "drop table if exists dds.nd_hub, dds.nd_sat, dds.nd_ma_sat cascade",
                "create table dds.nd_sat (hk bytea not null, hd bytea not null, name text, effective_from timestamptz,"
                        + " load_date date not null, record_source text not null, primary key (hk, load_date))",
                "create table dds.nd_ma_sat (hk bytea not null, phone_type text not null, mhd bytea not null, phone text,"
                        + " effective_from timestamptz, load_date date not null, record_source text not null,"
                        + " primary key (hk, phone_type, load_date))");
        Vault vault = Vault.on(PitModelTest.inTimeZone(ds, ZONE));
        Stage a = Stage.of("raw.nd_a").into("stg.nd_a").loadDate("ld").recordSource("src").hashKey("hk", "id")
                .hashDiff("hd", "name").hashDiff("mhd", "phone_type", "phone");
        Stage b = Stage.of("raw.nd_b").into("stg.nd_b").loadDate("ld").recordSource("src").hashKey("hk", "id");
        vault.createStage(a);
        vault.createStage(b);

        // the hub's load date is the first stage's domain over a domain over timestamptz; the second's date is UTC
        Hub hub = vault.hub("dds.nd_hub").hashKey("hk").businessKey("id").from(a, b);
        hub.createTable();
        hub.load();
        assertThat(strings(ds, "select id || ' ' || (load_date at time zone 'UTC')::text from dds.nd_hub order by id"))
                .containsExactly("a 2024-01-01 23:00:00", "b 2024-01-02 00:00:00");

        // a date satellite stores the timestamptz as its UTC day; a date effective-from starts at its midnight UTC
        Satellite sat = vault.satellite("dds.nd_sat").parent("hk").hashDiff("hd").payload("name").effectiveFrom("since")
                .from(a);
        assertThat(sat.load().rowsInserted()).isEqualTo(1);
        assertThat(strings(ds, "select load_date::text || ' ' || (effective_from at time zone 'UTC')::text from dds.nd_sat"))
                .containsExactly("2024-01-01 2024-01-02 00:00:00");

        MultiActiveSatellite ma = vault.multiActiveSatellite("dds.nd_ma_sat").parent("hk").childKeys("phone_type")
                .hashDiff("mhd").payload("phone").effectiveFrom("since").from(a);
        assertThat(ma.load().rowsInserted()).isEqualTo(1);
        assertThat(strings(ds, "select phone_type || ' ' || load_date::text || ' ' || (effective_from at time zone 'UTC')::text"
                + " from dds.nd_ma_sat")).containsExactly("home 2024-01-01 2024-01-02 00:00:00");
        // a re-load inserts nothing: the stored load date is found again as the same UTC day
        assertThat(hub.load().rowsInserted()).isZero();
        assertThat(sat.load().rowsInserted()).isZero();
        assertThat(ma.load().rowsInserted()).isZero();
    }

    /**
     * A multi-active satellite's ghost child keys of a domain over a domain get their base type's empty value: the nil
     * UUID, an enum's first label, 0, 1900-01-01 (midnight UTC under any session TimeZone).
     */
    @Test
    void ghostChildKeysOfADomainOverADomainGetTheirBaseTypesEmptyValue(DataSource ds) throws Exception {
        sql(ds, "create schema if not exists raw", "create schema if not exists dds",
                "drop table if exists raw.nd_g, dds.nd_ma_ghost cascade",
                "drop domain if exists raw.nd_u2 cascade", "drop domain if exists raw.nd_u1 cascade",
                "create domain raw.nd_u1 as uuid", "create domain raw.nd_u2 as raw.nd_u1",
                "drop domain if exists raw.nd_m2 cascade", "drop domain if exists raw.nd_m1 cascade",
                "drop type if exists raw.nd_mood cascade", "create type raw.nd_mood as enum ('sad', 'ok')",
                "create domain raw.nd_m1 as raw.nd_mood", "create domain raw.nd_m2 as raw.nd_m1",
                "drop domain if exists raw.nd_n2 cascade", "drop domain if exists raw.nd_n1 cascade",
                "create domain raw.nd_n1 as numeric(5,2)", "create domain raw.nd_n2 as raw.nd_n1",
                "drop domain if exists raw.nd_t2 cascade", "drop domain if exists raw.nd_t1 cascade",
                "create domain raw.nd_t1 as timestamptz", "create domain raw.nd_t2 as raw.nd_t1",
                "create table raw.nd_g (id text, k_uuid raw.nd_u2, k_enum raw.nd_m2, k_num raw.nd_n2, k_ts raw.nd_t2,"
                        + " phone text, ld date)",
                "insert into raw.nd_g values ('a', gen_random_uuid(), 'ok', 1.5, '2024-01-01 10:00Z', '1', '2024-01-01')");
        Vault vault = Vault.on(PitModelTest.inTimeZone(ds, ZONE));
        Stage stage = Stage.of("raw.nd_g").into("stg.nd_g").loadDate("ld").recordSource("crm").hashKey("hk", "id")
                .hashDiff("hd", "phone");
        vault.createStage(stage);
        MultiActiveSatellite sat = vault.multiActiveSatellite("dds.nd_ma_ghost").parent("hk")
                .childKeys("k_uuid", "k_enum", "k_num", "k_ts").hashDiff("hd").payload("phone").from(stage);
        sat.createTable();
        assertThat(sat.insertGhostRecord().rowsInserted()).isEqualTo(1);
        assertThat(strings(ds, "select concat_ws('|', k_uuid, k_enum, k_num, k_ts at time zone 'UTC', load_date)"
                + " from dds.nd_ma_ghost")).containsExactly(
                        "00000000-0000-0000-0000-000000000000|sad|0.00|1900-01-01 00:00:00|1900-01-01");
        assertThat(sat.insertGhostRecord().rowsInserted()).isZero();
    }

    /**
     * An array of a domain (over a domain) over int hashes under CANONICAL as the same array of int does. Before, the
     * array's element was not resolved through domains: its type was unknown and the stage was refused ('cannot be
     * hashed').
     */
    @Test
    void anArrayOfADomainHashesAsAnArrayOfItsBaseType(DataSource ds) throws Exception {
        sql(ds, "create schema if not exists raw",
                "drop domain if exists raw.nd_i2 cascade", "drop domain if exists raw.nd_i1 cascade",
                "create domain raw.nd_i1 as int", "create domain raw.nd_i2 as raw.nd_i1",
                "drop table if exists raw.nd_arr_int, raw.nd_arr_dom cascade",
                "create table raw.nd_arr_int (vals int[], ld timestamptz)",
                "create table raw.nd_arr_dom (vals raw.nd_i2[], ld timestamptz)",
                "insert into raw.nd_arr_int values ('{1,2,NULL}', '2024-01-01Z'), (NULL, '2024-01-01Z')",
                "insert into raw.nd_arr_dom values ('{1,2,NULL}', '2024-01-01Z'), (NULL, '2024-01-01Z')");
        Vault vault = Vault.on(ds);
        for (String t : List.of("int", "dom")) {
            vault.createStage(Stage.of("raw.nd_arr_" + t).into("stg.nd_arr_" + t).loadDate("ld").recordSource("src")
                    .hashKey("hk", "vals").hashDiff("hd", "vals"));
        }
        String hashes = "select coalesce(encode(hk, 'hex'), '-') || ' ' || encode(hd, 'hex') from stg.nd_arr_%s order by 1";
        assertThat(strings(ds, hashes.formatted("dom"))).isEqualTo(strings(ds, hashes.formatted("int"))).hasSize(2);
    }
}
