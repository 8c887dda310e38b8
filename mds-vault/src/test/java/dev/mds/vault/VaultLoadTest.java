package dev.mds.vault;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.Row.row;
import static dev.mds.vault.VaultFixtures.batch;
import static dev.mds.vault.VaultFixtures.customers;
import static dev.mds.vault.VaultFixtures.day;
import static dev.mds.vault.VaultFixtures.effectivityLoad;
import static dev.mds.vault.VaultFixtures.raw;
import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.MdsException;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TableFixture;
import java.sql.Connection;

import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@MdsPostgres
class VaultLoadTest {
    @Test
    void hubLoadsEachBusinessKeyOnceWithItsEarliestLoadDateOverThreeBatches(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        Stage stage = customers("raw.c_hub", "crm");
        raw(ds, "raw.c_hub", row("1001", "a@x", "Ann", 30, day(2)), row("1001", "a@x", "Ann", 30, day(1)),
                row("1001", "a@x", "Ann", 30, day(1)), row(null, "n@x", "Null", 1, day(1)), row("", "e@x", "Empty", 1, day(1)),
                row("1002", "b@x", "Bob", 40, day(1)));
        vault.createStage(stage);
        Hub hub = vault.hub("dds.hub_customer").hashKey("customer_hk").businessKey("id").from(stage);
        hub.createTable();
        assertThat(hub.sql().get(2)).contains("DISTINCT ON").contains("NOT EXISTS");
        assertThat(hub.load().rowsInserted()).isEqualTo(3);      // 1001, 1002 and '' (an empty string is a value under CANONICAL)
        assertThat(hub.load().rowsInserted()).isZero();
        assertThatTable(ds, "dds.hub_customer").columns("id", "load_date", "record_source")
                .containsExactlyInAnyOrder(row("1001", day(1), "crm"), row("1002", day(1), "crm"), row("", day(1), "crm"));
        batch(ds, "raw.c_hub", row("1002", "b@x", "Bob", 40, day(2)), row("1003", "c@x", "Cy", 50, day(2)));
        assertThat(hub.load().rowsInserted()).isEqualTo(1);
        batch(ds, "raw.c_hub", row("1004", "d@x", "Di", 50, day(3)), row("1001", "a@x", "Ann", 30, day(3)));
        assertThat(hub.load().rowsInserted()).isEqualTo(1);
        assertThatTable(ds, "dds.hub_customer").hasRowCount(5);
        assertThat(strings(ds, "select count(*) from dds.hub_customer where id = '1001' and load_date = '2024-01-01T00:00:00Z'"))
                .containsExactly("1");
    }

    @Test
    void hubFromSeveralStagesBreaksLoadDateTiesByRecordSourceAndCanMapNullKeysToGhost(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds).standard(HashStandard.AUTOMATEDV);
        raw(ds, "raw.c_web", row("7", "w@x", "W", 1, day(5)), row("8", "w@x", "W", 1, day(5)), row(null, "z", "Z", 1, day(5)));
        raw(ds, "raw.c_app", row("7", "a@x", "A", 1, day(5)), row("8", "a@x", "A", 1, day(4)), row("  ", "z", "Z", 1, day(5)));
        Stage web = customers("raw.c_web", "web");
        Stage app = customers("raw.c_app", "app");
        vault.createStage(web);
        vault.createStage(app);
        Hub hub = vault.hub("dds.hub_multi").hashKey("customer_hk").businessKey("id").from(web, app).nullKeys(NullKeys.GHOST);
        hub.createTable();
        assertThat(hub.load().rowsInserted()).isEqualTo(3);
        assertThatTable(ds, "dds.hub_multi").columns("id", "load_date", "record_source").contains(
                row("7", day(5), "app"), row("8", day(4), "app"));
        assertThat(strings(ds, "select encode(customer_hk, 'hex') from dds.hub_multi where id is null or trim(id) = ''"))
                .containsExactly("00".repeat(16));
    }

    /**
     * Under AUTOMATEDV 'ann' and 'ANN' share a hash key: with the same load date and record source, the stored
     * spelling (and a link's payload) is the smallest by byte order, whatever order the stage rows come in.
     */
    @Test
    void hubAndLinkBreakFullTiesByTheStoredColumnsSoTheResultDoesNotDependOnRowOrder(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds).standard(HashStandard.AUTOMATEDV);
        List<String> stored = new ArrayList<>();
        for (String order : List.of("lower_first", "upper_first")) {
            String raw = "raw.tie_" + order;
            List<String> spellings = order.equals("lower_first") ? List.of("ann", "bob", "ANN", "BOB") : List.of("ANN", "BOB", "ann", "bob");
            TableFixture.on(ds, raw).columns("id text", "product text", "channel text", "ld timestamptz")
                    .rows(row(spellings.get(0), "p1", order.equals("lower_first") ? "web" : "app", day(1)),
                            row(spellings.get(1), "p1", "x", day(1)),
                            row(spellings.get(2), "p1", order.equals("lower_first") ? "app" : "web", day(1)),
                            row(spellings.get(3), "p1", "x", day(1)));
            Stage stage = Stage.of(raw).into("stg.tie_" + order).loadDate("ld").recordSource("crm")
                    .hashKey("customer_hk", "id").hashKey("product_hk", "product").hashKey("sale_hk", "id", "product");
            vault.createStage(stage);
            Hub hub = vault.hub("dds.hub_tie_" + order).hashKey("customer_hk").businessKey("id").from(stage);
            hub.createTable();
            assertThat(hub.load().rowsInserted()).isEqualTo(2);
            Link link = vault.link("dds.link_tie_" + order).hashKey("sale_hk").refs("customer_hk", "product_hk")
                    .payload("channel").from(stage);
            link.createTable();
            assertThat(link.load().rowsInserted()).isEqualTo(2);
            stored.add(String.join(",", strings(ds, "select id from dds.hub_tie_" + order + " order by id collate \"C\""))
                    + " " + String.join(",", strings(ds, "select channel from dds.link_tie_" + order + " order by channel collate \"C\"")));
        }
        assertThat(stored).containsExactly("ANN,BOB app,x", "ANN,BOB app,x");
    }

    /**
     * Two purchases of one link with the same load date and record source: the earlier instant is stored in any
     * session. By text, a Europe/Berlin session on the night clocks go back sorted 02:10+01 (01:10 UTC) before
     * 02:30+02 (00:30 UTC), and DateStyle SQL, DMY sorted 1 February before 2 January.
     */
    @Test
    void linkBreaksTiesOnATimestampPayloadByItsValueSoTheSessionTimeZoneDoesNotMatter(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        OffsetDateTime early = OffsetDateTime.of(2024, 10, 27, 0, 30, 0, 0, ZoneOffset.UTC);
        TableFixture.on(ds, "raw.tie_ts").columns("customer text", "product text", "bought timestamptz", "ld timestamptz")
                .rows(row("c1", "p1", early.plusMinutes(40), day(1)), row("c1", "p1", early, day(1)));
        Stage stage = Stage.of("raw.tie_ts").into("stg.tie_ts").loadDate("ld").recordSource("crm")
                .hashKey("customer_hk", "customer").hashKey("product_hk", "product").hashKey("sale_hk", "customer", "product");
        vault.createStage(stage);
        Link link = vault.link("dds.link_tie_ts").hashKey("sale_hk").refs("customer_hk", "product_hk").payload("bought").from(stage);
        link.createTable();
        loadWith(ds, "timezone = 'Europe/Berlin'", link.sql());
        assertThat(strings(ds, "select (bought at time zone 'UTC')::text from dds.link_tie_ts")).containsExactly("2024-10-27 00:30:00");
    }

    /**
     * A hub and a link fed by a stage with timestamptz load dates and one with date load dates read the date as its
     * midnight UTC in any session: in the stages' UNION ALL PostgreSQL cast the date in the session's TimeZone, so
     * the 3 January row from the daily stage came before the one loaded at 02:00 UTC that day from a UTC or Tokyo
     * session, and after it from a New York one, which stored the other record source and load date.
     */
    @Test
    void hubAndLinkFromStagesWithDateAndTimestamptzLoadDatesStoreTheSameRowInAnySessionTimeZone(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        TableFixture.on(ds, "raw.mix_stream").columns("customer text", "product text", "ld timestamptz")
                .rows(row("c1", "p1", day(3).plusHours(2)));
        TableFixture.on(ds, "raw.mix_daily").columns("customer text", "product text", "ld date")
                .rows(row("c1", "p1", java.time.LocalDate.of(2024, 1, 3)));
        Stage stream = Stage.of("raw.mix_stream").into("stg.mix_stream").loadDate("ld").recordSource("stream")
                .hashKey("customer_hk", "customer").hashKey("product_hk", "product").hashKey("sale_hk", "customer", "product");
        Stage daily = Stage.of("raw.mix_daily").into("stg.mix_daily").loadDate("ld").recordSource("daily")
                .hashKey("customer_hk", "customer").hashKey("product_hk", "product").hashKey("sale_hk", "customer", "product");
        vault.createStage(stream);
        vault.createStage(daily);
        List<String> stored = new ArrayList<>();
        for (String zone : List.of("America/New_York", "Asia/Tokyo")) {
            String suffix = zone.equals("Asia/Tokyo") ? "tokyo" : "new_york";
            Hub hub = vault.hub("dds.hub_mix_" + suffix).hashKey("customer_hk").businessKey("customer").from(stream, daily);
            Link link = vault.link("dds.link_mix_" + suffix).hashKey("sale_hk").refs("customer_hk", "product_hk").from(stream, daily);
            hub.createTable();
            link.createTable();
            for (Structure s : List.of(hub, link)) {
                loadWith(ds, "timezone = '" + zone + "'", s.sql());
            }
            stored.add(String.join("; ", strings(ds, "select record_source || ' ' || (load_date at time zone 'UTC')::text from dds.hub_mix_"
                    + suffix + " union all select record_source || ' ' || (load_date at time zone 'UTC')::text from dds.link_mix_" + suffix)));
        }
        assertThat(stored).containsExactly("daily 2024-01-03 00:00:00; daily 2024-01-03 00:00:00",
                "daily 2024-01-03 00:00:00; daily 2024-01-03 00:00:00");
    }

    /**
     * A link's payload of a type mds has no logical type for, but which PostgreSQL orders (interval, tstzrange), breaks
     * ties by its value, so the stored row does not depend on the session. By text, IntervalStyle iso_8601 sorted
     * 'P1D' before 'PT1H' and postgres '01:00:00' before '1 day'; and a Europe/Berlin session on the night clocks go
     * back sorted a range from 02:10+01 (01:10 UTC) before one from 02:30+02 (00:30 UTC).
     */
    @Test
    void linkBreaksTiesOnAnIntervalOrRangePayloadByItsValueInAnySession(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        TableFixture.on(ds, "raw.tie_other").columns("customer text", "product text", "ld timestamptz").rows(row("c1", "p1", day(1)));
        sql(ds, "alter table raw.tie_other add column span interval, add column valid tstzrange",
                "truncate raw.tie_other",
                "insert into raw.tie_other values ('c1', 'p1', '2024-01-01 00:00:00+00', '1 day', '[2024-10-27 01:10:00+00,)'),"
                        + " ('c1', 'p1', '2024-01-01 00:00:00+00', '01:00:00', '[2024-10-27 00:30:00+00,)')");
        Stage stage = Stage.of("raw.tie_other").into("stg.tie_other").loadDate("ld").recordSource("crm")
                .hashKey("customer_hk", "customer").hashKey("product_hk", "product").hashKey("sale_hk", "customer", "product");
        vault.createStage(stage);
        List<String> stored = new ArrayList<>();
        for (String setting : List.of("intervalstyle = 'iso_8601'", "timezone = 'Europe/Berlin'")) {
            String suffix = setting.contains("intervalstyle") ? "iso" : "berlin";
            Link bySpan = vault.link("dds.link_span_" + suffix).hashKey("sale_hk").refs("customer_hk", "product_hk")
                    .payload("span").from(stage);
            Link byRange = vault.link("dds.link_valid_" + suffix).hashKey("sale_hk").refs("customer_hk", "product_hk")
                    .payload("valid").from(stage);
            for (Link link : List.of(bySpan, byRange)) {
                link.createTable();
                loadWith(ds, setting, link.sql());
            }
            stored.add(strings(ds, "select extract(epoch from span)::text from dds.link_span_" + suffix).get(0) + " "
                    + strings(ds, "select (lower(valid) at time zone 'UTC')::text from dds.link_valid_" + suffix).get(0));
        }
        assertThat(stored).containsExactly("3600.000000 2024-10-27 00:30:00", "3600.000000 2024-10-27 00:30:00");
    }

    @Test
    void linkDropsRowsWithNullReferencesAndLoadsEachCombinationOnce(DataSource ds) {
        TableFixture.on(ds, "raw.orders").columns("order_id int", "customer text", "product text", "ld timestamptz")
                .rows(row(1, "c1", "p1", day(1)), row(2, "c1", "p1", day(2)), row(3, "c1", null, day(1)),
                        row(4, null, "p2", day(1)), row(5, "c2", "p2", day(1)));
        Vault vault = Vault.on(ds);
        Stage orders = Stage.of("raw.orders").into("stg.orders").loadDate("ld").recordSource("shop")
                .hashKey("customer_hk", "customer").hashKey("product_hk", "product").hashKey("order_link_hk", "customer", "product");
        vault.createStage(orders);
        Link link = vault.link("dds.link_order").hashKey("order_link_hk").refs("customer_hk", "product_hk").from(orders);
        link.createTable();
        assertThat(link.load().rowsInserted()).isEqualTo(2);
        assertThat(link.load().rowsInserted()).isZero();
        Link ghosts = vault.link("dds.link_order_ghost").hashKey("order_link_hk").refs("customer_hk", "product_hk")
                .from(orders).nullKeys(NullKeys.GHOST);
        ghosts.createTable();
        assertThat(ghosts.load().rowsInserted()).isEqualTo(4);
        assertThatTable(ds, "dds.link_order").columns("load_date").containsExactlyInAnyOrder(row(day(1)), row(day(1)));
    }

    /** The same scenario from a stage view (hashdiffs computed lazily by the load) and from stage tables. */
    @ParameterizedTest
    @EnumSource(Stage.Materialization.class)
    void satelliteKeepsEveryChangeInOrderHandlesLateRowsAndReloadsIdempotently(Stage.Materialization m, DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        Stage stage = customers("raw.c_sat", "crm").materialized(m);
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("drop schema if exists dds cascade");
            st.execute("drop table if exists raw.c_sat cascade");
            st.execute("drop table if exists stg.c_sat");
        }
        raw(ds, "raw.c_sat",
                row("1", "a@x", "Ann", 30, day(1)), row("1", "a@x", "Ann", 30, day(1)),        // duplicate
                row("1", "a@x", "Anna", 30, day(2)), row("1", "a@x", "Ann", 30, day(3)),       // changed, changed back
                row("2", null, null, null, day(1)), row("2", null, null, null, day(2)),         // NULL payload, no change
                row(null, "x", "x", 1, day(1)));
        vault.createStage(stage);
        Satellite sat = vault.satellite("dds.sat_customer").parent("customer_hk").hashDiff("customer_hashdiff")
                .payload("email", "name", "age").from(stage);
        sat.createTable();
        assertThat(sat.load().rowsInserted()).isEqualTo(4);
        assertThat(sat.load().rowsInserted()).isZero();
        assertThatTable(ds, "dds.sat_customer").columns("name", "load_date").containsExactlyInAnyOrder(
                row("Ann", day(1)), row("Anna", day(2)), row("Ann", day(3)), row(null, day(1)));

        if (m == Stage.Materialization.VIEW) {
            // the load filters on (hash key, load date) before computing the hashdiff: the view's query is inlined
            // with the hashdiff above an inner query that computes the hash key
            assertThat(sat.sql().get(2)).contains("OFFSET 0) AS k").doesNotContain("FROM \"stg\".\"c_sat\"");
        }

        batch(ds, "raw.c_sat", row("1", "a@x", "Ann", 30, day(4)), row("1", "a@x", "Cy", 30, day(6)), row("2", "b@x", "Bo", 2, day(3)));
        refresh(vault, stage);
        assertThat(sat.load().rowsInserted()).isEqualTo(2);        // day 4 equals the latest stored row (day 3)
        assertThat(sat.load().rowsInserted()).isZero();            // day 4 is not stored, and still unchanged

        batch(ds, "raw.c_sat", row("1", "a@x", "Late", 30, day(5)), row("1", "a@x", "Ann", 30, day(4)));
        refresh(vault, stage);
        assertThat(sat.load().rowsInserted()).isEqualTo(1);        // day 5 differs from day 3 (its predecessor); day 4 does not
        assertThat(sat.load().rowsInserted()).isZero();
        assertThat(strings(ds, "select s.name from dds.sat_customer s join stg.c_sat g using (customer_hk)"
                + " where g.load_date = '2024-01-05T00:00:00Z' and s.load_date = g.load_date")).containsExactly("Late");
        assertThatTable(ds, "dds.sat_customer").hasRowCount(7);
        // the hashdiffs the loads computed (lazily, for a view) are the stage's own
        assertThat(strings(ds, "select count(*) from dds.sat_customer s join stg.c_sat g using (customer_hk, load_date)"
                + " where s.customer_hashdiff = g.customer_hashdiff")).containsExactly("1");
        assertThat(sat.createTableSql()).hasSize(2).last().asString()           // the schema exists: no CREATE SCHEMA
                .startsWith("CREATE TABLE IF NOT EXISTS").contains("PRIMARY KEY (\"customer_hk\", \"load_date\")");
    }

    /** A stage table holds the rows of when it was created: re-create it for the next batch (a view needs nothing). */
    /**
     * A satellite with timestamptz load dates loaded from a stage whose load dates are dates stores each date as its
     * midnight UTC in any session, as load date and as effective-from, into a satellite holding rows or an empty one:
     * compared with and stored as timestamptz, PostgreSQL cast it in the session's TimeZone, so the 3 January row was
     * stored at 05:00 UTC from New York and at 15:00 UTC the day before from Tokyo, and a re-load from another zone
     * stored it again.
     */
    @Test
    void satelliteLoadsADateStageIntoATimestamptzSatelliteAtMidnightUtcInAnySessionTimeZone(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        raw(ds, "raw.c_sat_stream", row("1", "a", "A", 1, day(3).plusHours(2)));
        TableFixture.on(ds, "raw.c_sat_daily").columns("id text", "email text", "name text", "age int", "ld date")
                .rows(row("1", "a", "B", 1, java.time.LocalDate.of(2024, 1, 3)));
        Stage stream = customers("raw.c_sat_stream", "stream");
        Stage daily = customers("raw.c_sat_daily", "daily");
        vault.createStage(stream);
        vault.createStage(daily);
        List<String> found = new ArrayList<>();
        for (String zone : List.of("America/New_York", "Asia/Tokyo")) {
            for (boolean empty : List.of(false, true)) {
                String table = "dds.sat_mixed_" + (zone.equals("Asia/Tokyo") ? "tokyo" : "new_york") + (empty ? "_empty" : "");
                Satellite fromStream = vault.satellite(table).parent("customer_hk").hashDiff("customer_hashdiff").payload("name")
                        .effectiveFrom("ld").from(stream);
                fromStream.createTable();
                if (!empty) {
                    fromStream.load();
                }
                Satellite fromDaily = vault.satellite(table).parent("customer_hk").hashDiff("customer_hashdiff").payload("name")
                        .effectiveFrom("ld").from(daily);
                List<String> sql = fromDaily.sql();
                // the lock, then the insert into a satellite holding rows (with its anti-join) or into an empty one
                loadWith(ds, "timezone = '" + zone + "'", List.of(sql.get(0), sql.get(empty ? 3 : 2)));
                found.add(String.join("; ", strings(ds, "select name || ' ' || (load_date at time zone 'UTC')::text || ' '"
                        + " || (effective_from at time zone 'UTC')::text from " + table + " order by load_date")));
            }
        }
        String holding = "B 2024-01-03 00:00:00 2024-01-03 00:00:00; A 2024-01-03 02:00:00 2024-01-03 02:00:00";
        String empty = "B 2024-01-03 00:00:00 2024-01-03 00:00:00";
        assertThat(found).containsExactly(holding, empty, holding, empty);
    }

    private static void refresh(Vault vault, Stage stage) {
        if (stage.materialization() != Stage.Materialization.VIEW) {
            vault.createStage(stage);
        }
    }

    @Test
    void effectivitySatelliteOpensAndClosesLinksOfTheDrivingKey(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        TableFixture.on(ds, "raw.assign").columns("customer text", "product text", "since timestamptz", "ld timestamptz")
                .rows(row("c1", "p1", day(1), day(1)), row("c2", "p1", day(1), day(1)));
        Stage stage = assignStage(vault, "assign");
        EffectivitySatellite eff = effectivity(vault, "dds.eff_assign", stage);
        eff.createTable();
        assertThat(eff.load().rowsInserted()).isEqualTo(2);
        batch(ds, "raw.assign", row("c1", "p2", day(3), day(3)), row("c2", "p1", day(1), day(3)));
        assertThat(eff.load().rowsInserted()).isEqualTo(2);        // c1: close p1, open p2; c2 unchanged
        assertThat(eff.load().rowsInserted()).isZero();
        OffsetDateTime endOfTime = OffsetDateTime.of(9999, 12, 31, 0, 0, 0, 0, ZoneOffset.UTC);
        assertThatTable(ds, "dds.eff_assign").columns("start_date", "end_date", "load_date").containsExactlyInAnyOrder(
                row(day(1), endOfTime, day(1)), row(day(1), endOfTime, day(1)),
                row(day(1), day(3), day(3)), row(day(3), endOfTime, day(3)));
    }

    /**
     * Stage rows of one driving key that tie on link, effective-from and load date but differ in record source store
     * the smallest record source, whatever the stage's row order (before, either).
     */
    @Test
    void effectivitySatelliteTiesOnEverythingButTheRecordSourceStoreTheSmallest(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        List<String> stored = new ArrayList<>();
        for (String order : new String[] {"ab", "ba"}) {
            TableFixture.on(ds, "raw.assign_rs_" + order).columns("customer text", "product text", "since timestamptz",
                    "src text", "ld timestamptz").rows(row("c1", "p1", day(1), order.substring(0, 1) + "_crm", day(1)),
                    row("c1", "p1", day(1), order.substring(1) + "_crm", day(1)));
            Stage stage = Stage.of("raw.assign_rs_" + order).into("stg.assign_rs_" + order).loadDate("ld")
                    .recordSourceColumn("src").hashKey("customer_hk", "customer").hashKey("product_hk", "product")
                    .hashKey("assign_hk", "customer", "product");
            vault.createStage(stage);
            EffectivitySatellite eff = effectivity(vault, "dds.eff_rs_" + order, stage);
            eff.createTable();
            assertThat(eff.load().rowsInserted()).isEqualTo(1);
            stored.addAll(strings(ds, "select record_source from dds.eff_rs_" + order));
        }
        assertThat(stored).containsExactly("a_crm", "a_crm");
    }

    /**
     * With an end-date column (AutomateDV's src_end_date): a link ends without a replacement, a closed driving key
     * opens a new link with no closing row, a row naming another link closes the open one at its start and is
     * stored closed, and re-loads insert nothing.
     */
    @Test
    void effectivitySatelliteEndsALinkWithoutAReplacementFromAnEndDateColumn(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        TableFixture.on(ds, "raw.assign_end").columns("customer text", "product text", "since timestamptz",
                "ended timestamptz", "ld timestamptz").rows(row("c1", "p1", day(1), null, day(1)));
        Stage stage = assignStage(vault, "assign_end");
        EffectivitySatellite eff = effectivity(vault, "dds.eff_end", stage).endDate("ended");
        eff.createTable();
        assertThat(eff.load().rowsInserted()).isEqualTo(1);
        batch(ds, "raw.assign_end", row("c1", "p1", day(1), day(3), day(3)));
        assertThat(eff.load().rowsInserted()).isEqualTo(1);                 // p1 ends, nothing replaces it
        assertThat(eff.load().rowsInserted()).isZero();
        batch(ds, "raw.assign_end", row("c1", "p2", day(5), null, day(5)));
        assertThat(eff.load().rowsInserted()).isEqualTo(1);                 // p2 opens; p1 is already closed
        batch(ds, "raw.assign_end", row("c1", "p3", day(7), day(8), day(8)));
        assertThat(eff.load().rowsInserted()).isEqualTo(2);                 // p2 closes at p3's start; p3 is stored closed
        assertThat(eff.load().rowsInserted()).isZero();
        batch(ds, "raw.assign_end", row("c1", "p3", day(9), null, day(9)));
        assertThat(eff.load().rowsInserted()).isEqualTo(1);                 // p3 re-opens
        assertThat(periods(vault, ds, "dds.eff_end")).containsExactly(
                "p1 2024-01-01 9999-12-31 2024-01-01", "p1 2024-01-01 2024-01-03 2024-01-03",
                "p2 2024-01-05 9999-12-31 2024-01-05", "p2 2024-01-05 2024-01-07 2024-01-08",
                "p3 2024-01-07 2024-01-08 2024-01-08", "p3 2024-01-09 9999-12-31 2024-01-09");
    }

    /**
     * An end-date column of another type (date into timestamptz) is read at midnight UTC; an end at the end of time
     * is open; in one batch, a link's closing row wins over its opening row of the same start and load date.
     */
    @Test
    void effectivitySatelliteReadsEndOfTimeAsOpenAndPrefersTheClosingRowOfABatch(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        TableFixture.on(ds, "raw.assign_end2").columns("customer text", "product text", "since timestamptz",
                "ended date", "ld timestamptz").rows(row("c1", "p1", day(1), java.time.LocalDate.of(9999, 12, 31), day(1)));
        Stage stage = assignStage(vault, "assign_end2");
        EffectivitySatellite eff = effectivity(vault, "dds.eff_end2", stage).endDate("ended");
        eff.createTable();
        assertThat(eff.load().rowsInserted()).isEqualTo(1);
        batch(ds, "raw.assign_end2", row("c1", "p2", day(2), null, day(2)),
                row("c1", "p2", day(2), java.time.LocalDate.of(2024, 1, 4), day(2)));
        assertThat(eff.load().rowsInserted()).isEqualTo(2);
        assertThat(periods(vault, ds, "dds.eff_end2")).containsExactly(
                "p1 2024-01-01 9999-12-31 2024-01-01", "p1 2024-01-01 2024-01-02 2024-01-02",
                "p2 2024-01-02 2024-01-04 2024-01-02");
    }

    /**
     * A driving key whose links are all closed: a late row naming a link with nothing as recent is counted as skipped
     * (the WARN line), a replay of the stored closing row is not, and neither inserts anything.
     */
    @Test
    void effectivitySatelliteCountsLateRowsOfAClosedDrivingKeyAsSkipped(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        TableFixture.on(ds, "raw.assign_end4").columns("customer text", "product text", "since timestamptz",
                "ended timestamptz", "ld timestamptz").rows(row("c1", "p1", day(1), day(3), day(3)));
        Stage stage = assignStage(vault, "assign_end4");
        EffectivitySatellite eff = effectivity(vault, "dds.eff_end4", stage).endDate("ended");
        eff.createTable();
        assertThat(eff.load().rowsInserted()).isEqualTo(1);
        assertThat(effectivityLoad(ds, null, eff.sql())).containsExactly(0L, 0L);                  // the replay
        batch(ds, "raw.assign_end4", row("c1", "p2", day(2), null, day(2)));
        assertThat(effectivityLoad(ds, null, eff.sql())).containsExactly(0L, 1L);                  // late: before p1's end was loaded
        assertThat(periods(vault, ds, "dds.eff_end4")).containsExactly("p1 2024-01-01 2024-01-03 2024-01-03");
    }

    /** A row ending before it starts is refused, naming the structure and the link key, and nothing is loaded. */
    @Test
    void effectivitySatelliteRefusesAnEndBeforeTheStart(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        TableFixture.on(ds, "raw.assign_end3").columns("customer text", "product text", "since timestamptz",
                "ended timestamptz", "ld timestamptz").rows(row("c1", "p1", day(1), null, day(1)), row("c2", "p1", day(5), day(4), day(1)));
        Stage stage = assignStage(vault, "assign_end3");
        EffectivitySatellite eff = effectivity(vault, "dds.eff_end3", stage).endDate("ended");
        eff.createTable();
        String c2p1 = java.util.HexFormat.of().formatHex(vault.hasher(dev.mds.core.Schema.of(
                dev.mds.core.Field.of("customer", dev.mds.core.FieldType.STRING),
                dev.mds.core.Field.of("product", dev.mds.core.FieldType.STRING))).hashKey("c2", "p1").orElseThrow());
        assertThat(eff.sql()).hasSize(4);   // lock, the end-before-start check, the join setting, the load
        assertThatThrownBy(eff::load).isInstanceOf(MdsException.class)
                .hasMessageContaining("effectivity satellite dds.eff_end3").hasMessageContaining("link " + c2p1)
                .hasMessageContaining("ends (ended 2024-01-04").hasMessageContaining("before it starts (since 2024-01-05");
        assertThatTable(ds, "dds.eff_end3").isEmpty();
        assertThatThrownBy(() -> effectivity(vault, "dds.eff_end3", stage).endDate("ended_at").load())
                .isInstanceOf(MdsException.class).hasMessageContaining("effectivity satellite dds.eff_end3").hasMessageContaining("'ended_at'");
        assertThatThrownBy(() -> effectivity(vault, "dds.eff_end3", stage).endDate("x\"; drop table raw.assign_end3; --").load())
                .isInstanceOf(MdsException.class).hasMessageContaining("drop table");   // a name, quoted, that no column has
        assertThatTable(ds, "raw.assign_end3").hasRowCount(2);
    }

    /**
     * An effectivity satellite with timestamptz dates loaded from a stage with date ones reads them as midnight UTC in
     * any session: PostgreSQL cast them in the session's TimeZone, so from New York the driving key moved to its new
     * link at 05:00 UTC, and from Tokyo at 15:00 UTC the day before.
     */
    @Test
    void effectivitySatelliteLoadsADateStageIntoTimestamptzColumnsAtMidnightUtcInAnySessionTimeZone(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        TableFixture.on(ds, "raw.assign_stream").columns("customer text", "product text", "since timestamptz", "ld timestamptz")
                .rows(row("c1", "p1", day(1), day(1)));
        TableFixture.on(ds, "raw.assign_daily").columns("customer text", "product text", "since date", "ld date")
                .rows(row("c1", "p2", java.time.LocalDate.of(2024, 1, 3), java.time.LocalDate.of(2024, 1, 3)));
        List<Stage> stages = List.of(assignStage(vault, "assign_stream"), assignStage(vault, "assign_daily"));
        List<String> found = new ArrayList<>();
        for (String zone : List.of("America/New_York", "Asia/Tokyo")) {
            String table = "dds.eff_mixed_" + (zone.equals("Asia/Tokyo") ? "tokyo" : "new_york");
            EffectivitySatellite fromStream = effectivity(vault, table, stages.get(0));
            fromStream.createTable();
            fromStream.load();
            EffectivitySatellite fromDaily = effectivity(vault, table, stages.get(1));
            loadWith(ds, "timezone = '" + zone + "'", fromDaily.sql());
            found.add(String.join("; ", strings(ds, "select (start_date at time zone 'UTC')::text || ' ' || (end_date at time zone 'UTC')::text"
                    + " || ' ' || (load_date at time zone 'UTC')::text from " + table + " order by load_date, end_date")));
        }
        String expected = "2024-01-01 00:00:00 9999-12-31 00:00:00 2024-01-01 00:00:00; "
                + "2024-01-01 00:00:00 2024-01-03 00:00:00 2024-01-03 00:00:00; 2024-01-03 00:00:00 9999-12-31 00:00:00 2024-01-03 00:00:00";
        assertThat(found).containsExactly(expected, expected);
    }

    /**
     * A row effective before the driving key's open link started (a replayed batch, whatever its load date, or late
     * data) changes nothing: it neither closes the open link before it began nor reopens the old one.
     */
    @Test
    void effectivitySatelliteSkipsRowsOlderThanTheOpenLinkSoReplayedBatchesInsertNothing(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        TableFixture.on(ds, "raw.assign_replay").columns("customer text", "product text", "since timestamptz", "ld timestamptz")
                .rows(row("c1", "p1", day(1), day(1)));
        Stage stage = assignStage(vault, "assign_replay");
        EffectivitySatellite eff = effectivity(vault, "dds.eff_assign_replay", stage);
        eff.createTable();
        assertThat(eff.load().rowsInserted()).isEqualTo(1);
        batch(ds, "raw.assign_replay", row("c1", "p2", day(3), day(3)));
        assertThat(eff.load().rowsInserted()).isEqualTo(2);        // p1 closed at day 3, p2 open since day 3
        List<String> afterTwoBatches = List.of("p1 2024-01-01 9999-12-31 2024-01-01", "p1 2024-01-01 2024-01-03 2024-01-03",
                "p2 2024-01-03 9999-12-31 2024-01-03");
        assertThat(periods(vault, ds, "dds.eff_assign_replay")).containsExactlyElementsOf(afterTwoBatches);

        batch(ds, "raw.assign_replay", row("c1", "p1", day(1), day(1)));       // batch 1 again, as it was
        assertThat(eff.load().rowsInserted()).isZero();
        batch(ds, "raw.assign_replay", row("c1", "p1", day(1), day(5)));       // batch 1's row with a new load date
        assertThat(eff.load().rowsInserted()).isZero();
        batch(ds, "raw.assign_replay", row("c1", "p3", day(2), day(5)));       // late: p3 from day 2, before p2 started
        assertThat(eff.load().rowsInserted()).isZero();
        assertThat(periods(vault, ds, "dds.eff_assign_replay")).containsExactlyElementsOf(afterTwoBatches);

        batch(ds, "raw.assign_replay", row("c1", "p1", day(6), day(6)));       // a real move forward still counts
        assertThat(eff.load().rowsInserted()).isEqualTo(2);
        assertThat(periods(vault, ds, "dds.eff_assign_replay")).containsExactly("p1 2024-01-01 9999-12-31 2024-01-01",
                "p1 2024-01-01 2024-01-03 2024-01-03", "p1 2024-01-06 9999-12-31 2024-01-06",
                "p2 2024-01-03 9999-12-31 2024-01-03", "p2 2024-01-03 2024-01-06 2024-01-06");
    }

    /**
     * A batch whose load date is not after the open link's is skipped like a replay: a second batch with the same
     * load date used to fail on the primary key (link, load date) when it closed the open link, and a batch with an
     * earlier load date but a later effective-from left two links open at once.
     */
    @Test
    void effectivitySatelliteSkipsRowsWhoseLoadDateIsNotAfterTheOpenLinksSoTheTimelineStaysWhole(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        TableFixture.on(ds, "raw.assign_same_ld").columns("customer text", "product text", "since timestamptz", "ld timestamptz")
                .rows(row("c1", "p1", day(1), day(1)));
        Stage stage = assignStage(vault, "assign_same_ld");
        EffectivitySatellite eff = effectivity(vault, "dds.eff_assign_same_ld", stage);
        eff.createTable();
        assertThat(eff.load().rowsInserted()).isEqualTo(1);
        batch(ds, "raw.assign_same_ld", row("c1", "p2", day(2), day(1)));     // same load date as the open p1
        assertThat(eff.load().rowsInserted()).isZero();
        assertThat(periods(vault, ds, "dds.eff_assign_same_ld")).containsExactly("p1 2024-01-01 9999-12-31 2024-01-01");

        batch(ds, "raw.assign_same_ld", row("c1", "p2", day(3), day(10)));
        assertThat(eff.load().rowsInserted()).isEqualTo(2);
        batch(ds, "raw.assign_same_ld", row("c1", "p3", day(5), day(4)));     // later start, earlier load date
        assertThat(eff.load().rowsInserted()).isZero();
        batch(ds, "raw.assign_same_ld", row("c1", "p1", day(6), day(11)));
        assertThat(eff.load().rowsInserted()).isEqualTo(2);
        assertThat(periods(vault, ds, "dds.eff_assign_same_ld")).containsExactly("p1 2024-01-01 9999-12-31 2024-01-01",
                "p1 2024-01-01 2024-01-03 2024-01-10", "p1 2024-01-06 9999-12-31 2024-01-11",
                "p2 2024-01-03 9999-12-31 2024-01-10", "p2 2024-01-03 2024-01-06 2024-01-11");
        assertThat(strings(ds, "select count(*) from (select distinct on (assign_hk) end_date from dds.eff_assign_same_ld"
                + " order by assign_hk, load_date desc) l where end_date = '9999-12-31 00:00:00+00'")).containsExactly("1");
    }

    /** The rows of an effectivity satellite over c1's links to p1..p3: product, start, end and load day (UTC), in that order. */
    private static List<String> periods(Vault vault, DataSource ds, String table) throws Exception {
        Hasher link = vault.hasher(dev.mds.core.Schema.of(dev.mds.core.Field.of("customer", dev.mds.core.FieldType.STRING),
                dev.mds.core.Field.of("product", dev.mds.core.FieldType.STRING)));
        StringBuilder product = new StringBuilder("CASE encode(assign_hk, 'hex')");
        for (String p : List.of("p1", "p2", "p3")) {
            product.append(" WHEN '").append(java.util.HexFormat.of().formatHex(link.hashKey("c1", p).orElseThrow()))
                    .append("' THEN '").append(p).append("'");
        }
        product.append(" END");
        String day = " || ' ' || (%s at time zone 'UTC')::date::text";
        return strings(ds, "select " + product + day.formatted("start_date") + day.formatted("end_date")
                + day.formatted("load_date") + " from " + table + " order by " + product + ", load_date");
    }

    @Test
    void pitPointsAtTheSatelliteRowInEffectOrAtTheGhost(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        Stage stage = customers("raw.c_pit", "crm");
        raw(ds, "raw.c_pit", row("1", "a", "A", 1, day(1)), row("1", "a", "B", 1, day(3)), row("2", "b", "B", 1, day(4)));
        vault.createStage(stage);
        Hub hub = vault.hub("dds.hub_pit").hashKey("customer_hk").businessKey("id").from(stage);
        hub.createTable();
        hub.load();
        Satellite sat = vault.satellite("dds.sat_pit").parent("customer_hk").hashDiff("customer_hashdiff").payload("name").from(stage);
        sat.createTable();
        sat.load();
        assertThat(sat.insertGhostRecord().rowsInserted()).isEqualTo(1);
        assertThat(sat.insertGhostRecord().rowsInserted()).isZero();
        Pit pit = vault.pit("dds.pit_customer").hub("dds.hub_pit", "customer_hk").satellites("dds.sat_pit")
                .asOf(List.of(day(2), day(5)));
        pit.createTable();
        assertThat(pit.load().rowsInserted()).isEqualTo(4);
        assertThat(pit.load().rowsInserted()).isZero();              // a re-run writes nothing
        assertThat(strings(ds, "select (p.sat_pit_ldts at time zone 'UTC')::date::text || ' ' || (encode(p.sat_pit_pk, 'hex') = repeat('0', 32))::text from dds.pit_customer p"
                + " join dds.hub_pit h using (customer_hk) order by h.id, p.as_of_date"))
                .containsExactly("2024-01-01 false", "2024-01-03 false", "1900-01-01 true", "2024-01-04 false");
    }

    /**
     * A LocalDate as-of against a timestamptz load date is midnight UTC: cast in the session it was midnight in the
     * session's TimeZone, so a PIT built from a New York session pointed at a row loaded at 02:00 UTC that day.
     * As-of values naming one instant twice give one row per key (they failed on the primary key).
     */
    @Test
    void pitReadsALocalDateAsOfInUtcWhateverTheSessionTimeZone(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        Stage stage = customers("raw.c_pit_tz", "crm");
        raw(ds, "raw.c_pit_tz", row("1", "a", "A", 1, day(1)), row("1", "a", "B", 1, day(3).plusHours(2)));
        vault.createStage(stage);
        Hub hub = vault.hub("dds.hub_pit_tz").hashKey("customer_hk").businessKey("id").from(stage);
        hub.createTable();
        hub.load();
        Satellite sat = vault.satellite("dds.sat_pit_tz").parent("customer_hk").hashDiff("customer_hashdiff").payload("name").from(stage);
        sat.createTable();
        sat.load();
        Pit pit = vault.pit("dds.pit_tz").hub("dds.hub_pit_tz", "customer_hk").satellites("dds.sat_pit_tz")
                .asOf(List.of(java.time.LocalDate.of(2024, 1, 3), java.time.LocalDate.of(2024, 1, 3), day(3)));
        pit.createTable();
        loadWith(ds, "timezone = 'America/New_York'", pit.sql());
        assertThat(strings(ds, "select (as_of_date at time zone 'UTC')::text || ' ' || (sat_pit_tz_ldts at time zone 'UTC')::text"
                + " from dds.pit_tz")).containsExactly("2024-01-03 00:00:00 2024-01-01 00:00:00");
    }

    /**
     * A PIT whose as-of type differs from a satellite's load-date type compares them in UTC: a date (its midnight) or
     * a timestamp is read as UTC against a timestamptz. PostgreSQL casts the date or timestamp side in the session's
     * TimeZone, so a PIT over a date hub and a timestamptz satellite pointed, as of 3 January, at the row loaded at
     * 02:00 UTC that day from a New York session and at the 1 January row from a Tokyo one; and a date satellite's
     * 3 January row was not yet in effect at midnight UTC from New York.
     */
    @Test
    void pitComparesAsOfAndSatelliteLoadDatesOfDifferentTypesInUtcWhateverTheSessionTimeZone(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        TableFixture.on(ds, "raw.c_pit_day").columns("id text", "email text", "name text", "age int", "ld date")
                .rows(row("1", "a", "A", 1, java.time.LocalDate.of(2024, 1, 1)), row("1", "a", "B", 1, java.time.LocalDate.of(2024, 1, 3)));
        raw(ds, "raw.c_pit_ts", row("1", "a", "A", 1, day(1)), row("1", "a", "B", 1, day(2).plusHours(22)),
                row("1", "a", "C", 1, day(3).plusHours(2)));
        Stage daily = customers("raw.c_pit_day", "crm");
        Stage zoned = customers("raw.c_pit_ts", "crm");
        vault.createStage(daily);
        vault.createStage(zoned);
        for (Stage s : List.of(daily, zoned)) {
            String suffix = s == daily ? "day" : "ts";
            Hub hub = vault.hub("dds.hub_pit_" + suffix).hashKey("customer_hk").businessKey("id").from(s);
            hub.createTable();
            hub.load();
            Satellite sat = vault.satellite("dds.sat_pit_" + suffix).parent("customer_hk").hashDiff("customer_hashdiff")
                    .payload("name").from(s);
            sat.createTable();
            sat.load();
        }
        // a date hub over a timestamptz satellite, and a timestamptz hub over a date satellite
        Pit overZoned = vault.pit("dds.pit_day_over_ts").hub("dds.hub_pit_day", "customer_hk").satellites("dds.sat_pit_ts")
                .asOf(List.of(java.time.LocalDate.of(2024, 1, 3)));
        Pit overDaily = vault.pit("dds.pit_ts_over_day").hub("dds.hub_pit_ts", "customer_hk").satellites("dds.sat_pit_day")
                .asOf(List.of(java.time.LocalDate.of(2024, 1, 3)));
        List<String> rows = new ArrayList<>();
        for (String zone : List.of("America/New_York", "Asia/Tokyo")) {
            List<String> inZone = new ArrayList<>();
            for (Pit pit : List.of(overZoned, overDaily)) {
                pit.createTable();
                loadWith(ds, "timezone = '" + zone + "'", pit.sql());
            }
            inZone.addAll(strings(ds, "select as_of_date::text || ' ' || (sat_pit_ts_ldts at time zone 'UTC')::text from dds.pit_day_over_ts"));
            inZone.addAll(strings(ds, "select (as_of_date at time zone 'UTC')::text || ' ' || sat_pit_day_ldts::text from dds.pit_ts_over_day"));
            rows.add(String.join("; ", inZone));
        }
        assertThat(rows).containsExactly(
                "2024-01-03 2024-01-02 22:00:00; 2024-01-03 00:00:00 2024-01-03",
                "2024-01-03 2024-01-02 22:00:00; 2024-01-03 00:00:00 2024-01-03");
    }

    /**
     * The ghost record's load date is 1900-01-01 midnight UTC, the PIT's ghost load date, in any session: written
     * as '1900-01-01' it was midnight in the session's TimeZone, so a run from another zone added a second ghost
     * row and PIT rows pointing at the ghost named a load date no satellite row had.
     */
    @Test
    void satelliteGhostRecordIsLoadedAtMidnightUtcWhateverTheSessionTimeZone(DataSource ds, dev.mds.testing.TestDatabase db) throws Exception {
        Vault vault = Vault.on(ds);
        Stage stage = customers("raw.c_ghost", "crm");
        raw(ds, "raw.c_ghost", row("1", "a", "A", 1, day(1)));
        vault.createStage(stage);
        vault.satellite("dds.sat_ghost").parent("customer_hk").hashDiff("customer_hashdiff").payload("name").from(stage).createTable();
        try (com.zaxxer.hikari.HikariDataSource newYork = db.newDataSource(1)) {
            try (Connection c = newYork.getConnection(); Statement st = c.createStatement()) {
                st.execute("set timezone = 'America/New_York'");      // the pool's only connection keeps it
            }
            Satellite sat = Vault.on(newYork).satellite("dds.sat_ghost").parent("customer_hk").hashDiff("customer_hashdiff")
                    .payload("name").from(stage);
            assertThat(sat.insertGhostRecord().rowsInserted()).isEqualTo(1);
        }
        Satellite sat = vault.satellite("dds.sat_ghost").parent("customer_hk").hashDiff("customer_hashdiff").payload("name").from(stage);
        assertThat(sat.insertGhostRecord().rowsInserted()).isZero();
        assertThat(strings(ds, "select (load_date at time zone 'UTC')::text from dds.sat_ghost")).containsExactly("1900-01-01 00:00:00");
    }

    /**
     * Rows of one key and load date whose hashdiffs are equal (under AUTOMATEDV 'Ann' and 'ANN ' hash alike) store the
     * same row whatever order the stage gives them in: the smallest payload in byte order, into an empty satellite and
     * into one holding rows. Before, the stored spelling depended on the stage's row order.
     */
    @Test
    void equalHashdiffsOfOneKeyAndLoadDateStoreTheSameRowWhateverTheStageOrder(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds).standard(HashStandard.AUTOMATEDV);
        List<String> stored = new ArrayList<>();
        for (String order : new String[] {"asc", "desc"}) {
            String rawTable = "raw.c_tie_" + order;
            raw(ds, rawTable);
            // physically in one order or the other; a second key is loaded first, so the tie also meets stored rows
            String values = order.equals("asc") ? "('1', 'a@x', 'ANN ', 30, '2024-01-02Z'), ('1', 'a@x', 'Ann', 30, '2024-01-02Z'),"
                    + " ('1', 'a@x', 'ann', 30, '2024-01-02Z')"
                    : "('1', 'a@x', 'ann', 30, '2024-01-02Z'), ('1', 'a@x', 'Ann', 30, '2024-01-02Z'),"
                    + " ('1', 'a@x', 'ANN ', 30, '2024-01-02Z')";
            Stage stage = customers(rawTable, "crm");
            vault.createStage(stage);
            Satellite sat = vault.satellite("dds.sat_tie_" + order).parent("customer_hk").hashDiff("customer_hashdiff")
                    .payload("email", "name", "age").from(stage);
            sat.createTable();
            sql(ds, "insert into " + rawTable + " values ('2', 'b@x', 'Bob', 40, '2024-01-01Z')");
            assertThat(sat.load().rowsInserted()).isEqualTo(1);                 // into an empty satellite
            sql(ds, "insert into " + rawTable + " values " + values);
            assertThat(sat.load().rowsInserted()).isEqualTo(1);                 // into one holding rows
            sql(ds, "truncate " + rawTable, "insert into " + rawTable + " values " + values.replace("2024-01-02", "2024-01-03")
                    .replace("'1', 'a@x', 'ANN ', 30", "'1', 'a@x', 'ANN ', 31").replace("'1', 'a@x', 'ann', 30", "'1', 'a@x', 'ann', 31")
                    .replace("'1', 'a@x', 'Ann', 30", "'1', 'a@x', 'Ann', 31"));
            sql(ds, "create table dds.sat_tie_" + order + "_empty (like dds.sat_tie_" + order + " including all)");
            Satellite fresh = vault.satellite("dds.sat_tie_" + order + "_empty").parent("customer_hk").hashDiff("customer_hashdiff")
                    .payload("email", "name", "age").from(stage);
            assertThat(fresh.load().rowsInserted()).isEqualTo(1);
            assertThat(sat.load().rowsInserted()).isEqualTo(1);
            stored.add(String.join(",", strings(ds, "select name || ' ' || age from dds.sat_tie_" + order
                    + " where age <> 40 order by load_date")) + ";" + String.join(",", strings(ds, "select name || ' ' || age from dds.sat_tie_"
                    + order + "_empty")));
        }
        assertThat(stored).containsExactly("ANN  30,ANN  31;ANN  31", "ANN  30,ANN  31;ANN  31");
    }

    /**
     * As AutomateDV's create_ghost_record: under AUTOMATEDV the ghost's record source is AUTOMATE_DV_SYSTEM and a
     * stored effective-from is 1900-01-01 too; CANONICAL keeps SYSTEM; either can be set.
     */
    @Test
    void ghostRecordSourceFollowsTheStandardAndEffectiveFromIsTheGhostDate(DataSource ds) throws Exception {
        raw(ds, "raw.c_ghost2", row("1", "a", "A", 1, day(1)));
        Stage stage = customers("raw.c_ghost2", "crm");
        Vault automatedv = Vault.on(ds).standard(HashStandard.AUTOMATEDV);
        automatedv.createStage(stage);
        Satellite sat = automatedv.satellite("dds.sat_ghost2").parent("customer_hk").hashDiff("customer_hashdiff")
                .payload("name").effectiveFrom("ld").from(stage);
        sat.createTable();
        sat.load();
        // the statement is shown before it runs, and it is what runs: run by hand it inserts the ghost record
        String ghostSql = sat.ghostRecordSql();
        assertThat(ghostSql).startsWith("INSERT INTO \"dds\".\"sat_ghost2\"").contains("'AUTOMATE_DV_SYSTEM'");
        sql(ds, ghostSql);
        assertThat(sat.insertGhostRecord().rowsInserted()).isZero();
        assertThat(strings(ds, "select record_source || ' ' || (effective_from at time zone 'UTC')::date::text"
                + " || ' ' || (load_date at time zone 'UTC')::date::text from dds.sat_ghost2"
                + " where customer_hk = decode(repeat('0', 32), 'hex')"))
                .containsExactly("AUTOMATE_DV_SYSTEM 1900-01-01 1900-01-01");
        assertThat(Vault.on(ds).ghostRecordSource()).isEqualTo("SYSTEM");
        assertThat(automatedv.ghostRecordSource("dv_system").ghostRecordSource()).isEqualTo("dv_system");
        assertThatThrownBy(() -> automatedv.ghostRecordSource("")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void badInputNamesTheStructureAndTheColumnAndWritesNothing(DataSource ds) {
        raw(ds, "raw.c_bad", row("1", "a", "A", 1, day(1)));
        Stage md5 = customers("raw.c_bad", "crm");
        Vault vault = Vault.on(ds);
        vault.createStage(md5);
        Satellite sat = vault.satellite("dds.sat_bad").parent("customer_hk").hashDiff("customer_hashdiff").payload("name").from(md5);
        sat.createTable();
        assertThatThrownBy(() -> vault.satellite("dds.sat_bad").parent("customer_hk").hashDiff("customer_hashdiff")
                .payload("nmae").from(md5).load())
                .isInstanceOf(MdsException.class).hasMessageContaining("satellite dds.sat_bad").hasMessageContaining("'nmae'");
        Vault sha = vault.algorithm(HashAlgorithm.SHA256);
        sha.createStage(md5);
        assertThatThrownBy(() -> vault.satellite("dds.sat_bad").parent("customer_hk").hashDiff("customer_hashdiff")
                .payload("name").from(md5).load())
                .isInstanceOf(MdsException.class).hasMessageContaining("satellite dds.sat_bad").hasMessageContaining("'customer_hk'")
                .hasMessageContaining("32-byte");
        assertThatThrownBy(() -> vault.hub("dds.hub_bad").hashKey("customer_hk").from(md5).load())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("hub dds.hub_bad").hasMessageContaining("businessKey");
        assertThatThrownBy(() -> vault.hub("dds.hub_missing").hashKey("customer_hk").businessKey("id").from(md5).load())
                .isInstanceOf(MdsException.class).hasMessageContaining("dds.hub_missing does not exist");
        assertThatTable(ds, "dds.sat_bad").isEmpty();
    }

    /** The stage of {@code raw.<name>} (customer, product, since, ld) with the keys of the customer–product link. */
    private static Stage assignStage(Vault vault, String name) {
        Stage stage = Stage.of("raw." + name).into("stg." + name).loadDate("ld").recordSource("crm")
                .hashKey("customer_hk", "customer").hashKey("product_hk", "product").hashKey("assign_hk", "customer", "product");
        vault.createStage(stage);
        return stage;
    }

    /** An effectivity satellite of the customer–product link, driven by the customer, effective from {@code since}. */
    private static EffectivitySatellite effectivity(Vault vault, String table, Stage stage) {
        return vault.effectivitySatellite(table).link("assign_hk").drivingKey("customer_hk").effectiveFrom("since")
                .from(stage);
    }

    /**
     * Runs load statements as {@link Structure#load()} does, in one transaction, with a session setting local to it
     * ({@code timezone = 'Asia/Tokyo'}): the load as a session with other settings would run it.
     */
    private static void loadWith(DataSource ds, String setting, List<String> statements) throws SQLException {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            try {
                st.execute("set local " + setting);
                for (String sql : statements) {
                    st.execute(sql);
                }
                c.commit();
            } finally {
                c.setAutoCommit(true);
            }
        }
    }

    /**
     * A load whose session dies (here while it waits for its table lock) reports its own failure: the statement and
     * the server's reason, not the closed connection that the rollback then meets; and nothing is loaded.
     */
    @Test
    void loadWhoseSessionDiesReportsItsOwnFailureAndLoadsNothing(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        Stage stage = customers("raw.c_dying", "crm");
        raw(ds, "raw.c_dying", row("1001", "a@x", "Ann", 30, day(1)));
        vault.createStage(stage);
        Hub hub = vault.hub("dds.hub_dying").hashKey("customer_hk").businessKey("id").from(stage);
        hub.createTable();
        try (Connection holder = ds.getConnection()) {
            holder.setAutoCommit(false);
            try (Statement st = holder.createStatement()) {
                st.execute("lock table dds.hub_dying in exclusive mode");   // reads pass, the load's lock waits
            }
            java.util.concurrent.CompletableFuture<LoadResult> load = java.util.concurrent.CompletableFuture.supplyAsync(hub::load);
            dev.mds.testing.Sessions.terminateWhenWaiting(ds);
            Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(load::join);
            assertThat(thrown.getCause()).isInstanceOf(MdsException.class)
                    .hasMessageContaining("LOCK TABLE")
                    .hasMessageNotContaining("has been closed")
                    .hasMessageNotContaining("is closed");
            holder.rollback();
        }
        assertThatTable(ds, "dds.hub_dying").hasRowCount(0);
    }
}
