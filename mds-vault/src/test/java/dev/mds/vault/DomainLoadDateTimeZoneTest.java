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

    /**
     * An effectivity satellite's stage effective-from of a domain over date, stored in a timestamptz start_date (a
     * table made by hand or by AutomateDV): its midnight UTC, as a plain date's, under every session TimeZone.
     */
    @Test
    void anEffectiveFromOfADomainOverDateStartsAtItsMidnightUtcUnderEverySessionTimeZone(DataSource ds) throws Exception {
        sql(ds, "create schema if not exists raw", "create schema if not exists dds",
                "drop domain if exists raw.dz_eday cascade", "create domain raw.dz_eday as date");
        for (String zone : List.of("UTC", "Pacific/Kiritimati", "America/Los_Angeles")) {
            String z = zone.replaceAll("\\W", "_").toLowerCase();
            sql(ds, "create table raw.dz_e_" + z + " (customer text, product text, since raw.dz_eday, ld timestamptz)",
                    "insert into raw.dz_e_" + z + " values ('c1', 'p1', '2024-01-02', '2024-01-02 00:00:00+00')",
                    "create table dds.dz_eff_" + z + " (link_hk bytea not null, customer_hk bytea not null,"
                            + " start_date timestamptz, end_date timestamptz not null, load_date timestamptz not null,"
                            + " record_source text not null, primary key (link_hk, load_date))");
            Vault vault = Vault.on(PitModelTest.inTimeZone(ds, zone));
            Stage stage = Stage.of("raw.dz_e_" + z).into("stg.dz_e_" + z).loadDate("ld").recordSource("src")
                    .hashKey("customer_hk", "customer").hashKey("link_hk", "customer", "product");
            vault.createStage(stage);
            EffectivitySatellite eff = vault.effectivitySatellite("dds.dz_eff_" + z).link("link_hk").drivingKey("customer_hk")
                    .effectiveFrom("since").from(stage);
            assertThat(eff.load().rowsInserted()).isEqualTo(1);
            assertThat(strings(ds, "select (start_date at time zone 'UTC')::text from dds.dz_eff_" + z)).as(zone)
                    .containsExactly("2024-01-02 00:00:00");
        }
    }

    private static Stage stage(String which, String z) {
        return Stage.of("raw.dz_" + which + "_" + z).into("stg.dz_" + which + "_" + z).loadDate("ld").recordSource("src")
                .hashKey("hk", "id");
    }
}
