package dev.mds.vault;

import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import java.time.LocalDate;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A load date of a domain over timestamptz (or over date) meets a date or timestamp of another relation in UTC, as a
 * plain timestamptz does, whatever the session's TimeZone: the domain's name is not "timestamp with time zone", and
 * the conversion was left to PostgreSQL's casts, which use the session's zone.
 */
@MdsPostgres
class DomainLoadDateTimeZoneTest {
    @Test
    void aDomainOverTimestamptzMeetsDatesInUtcUnderEverySessionTimeZone(DataSource ds) throws Exception {
        sql(ds, "create schema if not exists raw", "create schema if not exists dds",
                "drop domain if exists raw.dz_ldts cascade", "create domain raw.dz_ldts as timestamptz",
                "drop domain if exists raw.dz_day cascade", "create domain raw.dz_day as date");
        for (String zone : List.of("UTC", "Pacific/Kiritimati", "America/Los_Angeles")) {
            String z = zone.replaceAll("\\W", "_").toLowerCase();
            sql(ds, "create table raw.dz_a_" + z + " (id text, name text, ld raw.dz_ldts)",
                    "insert into raw.dz_a_" + z + " values ('a', 'Ann', '2024-01-01 23:00:00+00')",
                    "create table raw.dz_b_" + z + " (id text, name text, ld date)",
                    "insert into raw.dz_b_" + z + " values ('b', 'Bob', '2024-01-02')",
                    "create table raw.dz_c_" + z + " (id text, name text, ld timestamptz)",
                    "insert into raw.dz_c_" + z + " values ('c', 'Cy', '2024-01-01 23:00:00+00')",
                    "create table raw.dz_d_" + z + " (id text, name text, ld raw.dz_day)",
                    "insert into raw.dz_d_" + z + " values ('d', 'Di', '2024-01-02')",
                    // a satellite AutomateDV (or a user) made with a date load date
                    "create table dds.dz_sat_" + z + " (hk bytea not null, hd bytea not null, name text,"
                            + " load_date date not null, record_source text not null, primary key (hk, load_date))");
            Vault vault = Vault.on(PitModelTest.inTimeZone(ds, zone));
            Stage a = stage("a", z).hashDiff("hd", "name");
            Stage b = stage("b", z);
            Stage c = stage("c", z);
            Stage d = stage("d", z);
            for (Stage s : List.of(a, b, c, d)) {
                vault.createStage(s);
            }
            // the hub's load date is the first stage's domain over timestamptz; the others' are read as UTC
            Hub hub = vault.hub("dds.dz_hub_" + z).hashKey("hk").businessKey("id").from(a, b);
            hub.createTable();
            hub.load();
            assertThat(strings(ds, "select id || ' ' || (load_date at time zone 'UTC')::text from dds.dz_hub_" + z
                    + " order by id")).as(zone).containsExactly("a 2024-01-01 23:00:00", "b 2024-01-02 00:00:00");
            // the hub's load date is a plain timestamptz; a stage's domain over date is read as its midnight UTC
            Hub hubC = vault.hub("dds.dz_hubc_" + z).hashKey("hk").businessKey("id").from(c, d);
            hubC.createTable();
            hubC.load();
            assertThat(strings(ds, "select id || ' ' || (load_date at time zone 'UTC')::text from dds.dz_hubc_" + z
                    + " order by id")).as(zone).containsExactly("c 2024-01-01 23:00:00", "d 2024-01-02 00:00:00");
            // a date satellite stores the domain's timestamptz as its UTC day
            Satellite sat = vault.satellite("dds.dz_sat_" + z).parent("hk").hashDiff("hd").payload("name").from(a);
            sat.load();
            assertThat(strings(ds, "select load_date::text from dds.dz_sat_" + z)).as(zone).containsExactly("2024-01-01");
            // a PIT's LocalDate as-of against the hub's domain over timestamptz is midnight UTC
            Pit pit = vault.pit("dds.dz_pit_" + z).hub("dds.dz_hub_" + z, "hk").satellites("dds.dz_sat_" + z)
                    .asOf(List.of(LocalDate.of(2024, 1, 2)));
            pit.createTable();
            pit.load();
            assertThat(strings(ds, "select (as_of_date at time zone 'UTC')::text || ' ' || dz_sat_" + z + "_ldts from dds.dz_pit_"
                    + z + " where dz_sat_" + z + "_pk <> '\\x00000000000000000000000000000000'")).as(zone)
                    .containsExactly("2024-01-02 00:00:00 2024-01-01");
        }
    }

    private static Stage stage(String which, String z) {
        return Stage.of("raw.dz_" + which + "_" + z).into("stg.dz_" + which + "_" + z).loadDate("ld").recordSource("src")
                .hashKey("hk", "id");
    }
}
