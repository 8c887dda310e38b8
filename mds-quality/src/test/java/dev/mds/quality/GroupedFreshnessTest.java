package dev.mds.quality;

import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.testing.MdsPostgres;
import java.sql.Connection;
import java.time.Duration;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** dbt-utils' recency with {@code group_by_columns}: freshness per group, sharing the grouped query. */
@MdsPostgres
class GroupedFreshnessTest {

    private static void table(DataSource ds, String schema) throws Exception {
        sql(ds, "create schema " + schema,
                "create table " + schema + ".ev (id int primary key, source text, loaded_at timestamptz, naive timestamp,"
                        + " email text)",
                "insert into " + schema + ".ev values"
                        // a: newest 10 minutes old (an older row too): fresh
                        + " (1, 'a', now() - interval '10 minutes', (now() at time zone 'UTC') - interval '10 minutes', 'x'),"
                        + " (2, 'a', now() - interval '5 hours', (now() at time zone 'UTC') - interval '5 hours', null),"
                        // b: newest 3 hours old: stale
                        + " (3, 'b', now() - interval '3 hours', (now() at time zone 'UTC') - interval '3 hours', null),"
                        + " (4, 'b', '2020-01-01 00:00:00+00', '2020-01-01 00:00:00', null),"
                        // c: only NULLs: no freshness to tell, fails
                        + " (5, 'c', null, null, 'y'),"
                        // the NULL group: fresh
                        + " (6, null, now() - interval '5 minutes', (now() at time zone 'UTC') - interval '5 minutes', 'z'),"
                        // f: a value in the future is fresh, as for the ungrouped check
                        + " (7, 'f', now() + interval '1 day', (now() at time zone 'UTC') + interval '1 day', 'w'),"
                        // i: -infinity is infinitely old; j: infinity is fresh
                        + " (8, 'i', '-infinity', '-infinity', 'v'), (9, 'j', 'infinity', 'infinity', 'u')");
    }

    @Test
    void eachGroupsNewestValueMustBeWithinTheMaximumAgeAndStaleGroupsAreCountedAndShown(DataSource ds) throws Exception {
        table(ds, "gf");
        sql(ds, "create schema gf_audit");
        QualityReport r = QualitySuite.on(ds).storeFailures("gf_audit").table("gf.ev", t -> t
                .freshness("loaded_at", Duration.ofHours(1)).groupBy("source")
                .freshness("naive", Duration.ofHours(1)).groupBy("source")
                .atLeastOne("email").groupBy("source")
                .freshness("loaded_at", Duration.ofHours(1)).id("whole_table")).run();
        CheckResult fresh = r.checks().get(0);
        assertThat(fresh.id()).isEqualTo("freshness_loaded_at");
        assertThat(fresh.kind()).isEqualTo("freshness");
        assertThat(fresh.columns()).containsExactly("loaded_at", "source");
        assertThat(fresh.status()).isEqualTo(Status.FAIL);
        assertThat(fresh.failingRows()).isEqualTo(3);                   // b, c (only NULLs) and i
        assertThat(fresh.checkedRows()).isEqualTo(7);                   // seven groups, the NULL one of them
        assertThat(fresh.observed()).isEqualTo("3 of 7 groups by source have no loaded_at in the last 1h 0m: b, c, i");
        assertThat(fresh.message()).isEqualTo("3 failing groups (42.86%), more than the threshold of 0 groups");
        assertThat(fresh.samples()).extracting(m -> m.get("source")).containsExactly("b", "c", "i");
        assertThat(fresh.samples()).extracting(m -> m.get("rows")).containsExactly(2L, 1L, 1L);
        assertThat(fresh.samples().get(0).get("loaded_at")).isNotNull();  // b's newest: three hours ago
        assertThat(fresh.samples().get(1)).containsEntry("loaded_at", null);
        assertThat(fresh.samples().get(2)).containsEntry("loaded_at", "-infinity");
        // a timestamp without time zone is read as UTC, as the ungrouped check reads it: the same groups fail
        CheckResult naive = r.checks().get(1);
        assertThat(naive.observed()).isEqualTo("3 of 7 groups by source have no naive in the last 1h 0m: b, c, i");
        assertThat(naive.samples().get(2)).containsEntry("naive", "-infinity");
        // one grouped query for the three checks grouped by source; the ungrouped check stays in the table's scan
        assertThat(r.checks().get(2).status()).isEqualTo(Status.FAIL);  // b has no email
        assertThat(naive.sql()).isEqualTo(fresh.sql());
        assertThat(r.checks().get(2).sql()).isEqualTo(fresh.sql());
        assertThat(r.checks().get(3).status()).isEqualTo(Status.PASS);  // the whole table's newest is 'infinity'
        assertThat(r.queries()).isEqualTo(1 + 1 + 3);                   // the scan, the grouped query, three samples
        assertThat(fresh.failuresTable()).isEqualTo("gf_audit.ev__freshness_loaded_at");
        try (Connection c = ds.getConnection(); var st = c.createStatement(); var rs = st.executeQuery(
                "select string_agg(source || ':' || coalesce(loaded_at::text, 'NULL'), ',' order by source)"
                        + " from gf_audit.ev__freshness_loaded_at where source <> 'b'")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("c:NULL,i:-infinity");
        }
        try (Connection c = ds.getConnection()) {
            assertThat(QualitySuite.create().table("gf.ev", t -> t.freshness("loaded_at", Duration.ofHours(1)).groupBy("source")
                    .freshness("naive", Duration.ofHours(1)).groupBy("source").atLeastOne("email").groupBy("source")).sql(c))
                    .containsExactly(fresh.sql());
        }
        // a looser age: only c and i
        QualityReport day = QualitySuite.on(ds).table("gf.ev", t -> t.freshness("loaded_at", Duration.ofDays(1))
                .groupBy("source")).run();
        assertThat(day.checks().get(0).observed()).isEqualTo("2 of 7 groups by source have no loaded_at in the last 1d 0h: c, i");
    }

    @Test
    void thresholdsCountStaleGroupsSeverityWarnsAndAnEmptyTableFails(DataSource ds) throws Exception {
        table(ds, "gft");
        QualityReport r = QualitySuite.on(ds).table("gft.ev", t -> t
                .freshness("loaded_at", Duration.ofHours(1)).groupBy("source").threshold(Threshold.rows(3)).id("tolerated")
                .freshness("loaded_at", Duration.ofHours(1)).groupBy("source").warnIf(Threshold.rows(0))
                        .errorIf(Threshold.percent(50)).id("warned")
                .freshness("loaded_at", Duration.ofHours(1)).groupBy("source").errorIf(">2").id("failed")
                .freshness("loaded_at", Duration.ofHours(1)).groupBy("source").warn().id("warn_severity")).run();
        assertThat(r.checks()).extracting(CheckResult::status).containsExactly(Status.PASS, Status.WARN, Status.FAIL,
                Status.WARN);
        assertThat(r.checks().get(0).message()).isEqualTo("3 failing groups (42.86%), within the threshold > 3 groups");
        assertThat(r.checks().get(1).decidedBy()).isEqualTo("warn_if > 0 groups");
        assertThat(r.checks().get(2).decidedBy()).isEqualTo("error_if > 2 groups");

        // no rows after where: no group to judge, which fails as the ungrouped check fails, whatever the threshold
        QualityReport empty = QualitySuite.on(ds).table("gft.ev", t -> t.where("id < 0")
                .freshness("loaded_at", Duration.ofHours(1)).groupBy("source").threshold(Threshold.rows(10))
                .freshness("naive", Duration.ofHours(1)).groupBy("source").warn()
                .atLeastOne("email").groupBy("source")).run();
        assertThat(empty.checks()).extracting(CheckResult::status).containsExactly(Status.FAIL, Status.WARN, Status.PASS);
        assertThat(empty.checks().get(0).observed()).isEqualTo("no rows");
        assertThat(empty.checks().get(0).message()).isEqualTo(
                "no rows with a loaded_at: cannot tell freshness of any group by source");
        assertThat(empty.checks().get(0).samples()).isEmpty();
        assertThat(empty.queries()).isEqualTo(1);

        // a group of fresh values only passes
        assertThat(QualitySuite.on(ds).table("gft.ev", t -> t.where("source in ('a', 'f', 'j') or source is null")
                .freshness("loaded_at", Duration.ofHours(1)).groupBy("source")).run().checks().get(0).status())
                .isEqualTo(Status.PASS);
    }

    @Test
    void aMissingColumnIsAnErrorNamingItAndAColumnThatIsNoTimestampFailsAloneInTheSharedQuery(DataSource ds)
            throws Exception {
        table(ds, "gfe");
        QualityReport r = QualitySuite.on(ds).table("gfe.ev", t -> t
                .freshness("nope", Duration.ofHours(1)).groupBy("source")
                .freshness("loaded_at", Duration.ofHours(1)).groupBy("region")
                .freshness("email", Duration.ofHours(1)).groupBy("source")      // text: refused, not sent
                .atLeastOne("email").groupBy("source")
                .freshness("loaded_at", Duration.ofHours(1)).groupBy("source").id("fine")).run();
        assertThat(r.checks()).extracting(CheckResult::status).containsExactly(Status.ERROR, Status.ERROR, Status.ERROR,
                Status.FAIL, Status.FAIL);
        assertThat(r.checks().get(0).message()).isEqualTo(
                "column \"nope\" does not exist in gfe.ev (columns: id, source, loaded_at, naive, email)");
        assertThat(r.checks().get(1).message()).startsWith("column \"region\" does not exist in gfe.ev");
        assertThat(r.checks().get(2).message()).isEqualTo(
                "column \"email\" of gfe.ev is of type text, not a date or timestamp: the freshness check needs one");
        assertThat(r.checks().get(4).observed()).startsWith("3 of 7 groups by source");
        QualityReport none = QualitySuite.on(ds).table("gfe.nowhere", t -> t.freshness("loaded_at", Duration.ofHours(1))
                .groupBy("source")).run();
        assertThat(none.checks().get(0).status()).isEqualTo(Status.ERROR);
        assertThat(none.checks().get(0).message()).isEqualTo("table gfe.nowhere does not exist (or is not visible to this user)");

        QualitySuite suite = QualitySuite.on(ds);
        assertThatThrownBy(() -> suite.table("gfe.ev", t -> t.freshness("loaded_at", Duration.ofHours(1))
                .threshold(Threshold.rows(1)).groupBy("source")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(".groupBy(...) before the threshold");
        assertThatThrownBy(() -> suite.table("gfe.ev", t -> t.freshness("loaded_at", Duration.ofHours(1))
                .groupBy("loaded_at"))).hasMessageContaining("column loaded_at is the checked column itself");
    }

    @Test
    void freshnessOfATimeOfDayAnIntervalOrANumberIsAnErrorNamingTheColumnsTypeNotAnAge(DataSource ds) throws Exception {
        sql(ds, "create schema gfk",
                "create table gfk.t (id int, g text, tm time, tz timetz, iv interval, ep bigint, ts timestamptz)",
                "insert into gfk.t values (1, 'a', localtime, current_time, interval '1 minute',"
                        + " extract(epoch from now())::bigint, now())");
        // dbt-utils' recency compares max(field) < a timestamp: PostgreSQL refuses a time, an interval or a number.
        // Before, a time of day, a time with offset and an interval were read as seconds since 1970 (FAIL, 20000 days old)
        QualityReport r = QualitySuite.on(ds).table("gfk.t", t -> t
                .notNull("id")
                .freshness("tm", Duration.ofHours(1)).id("f_time")
                .freshness("tz", Duration.ofHours(1)).id("f_timetz")
                .freshness("iv", Duration.ofHours(1)).id("f_interval")
                .freshness("ep", Duration.ofHours(1)).id("f_epoch")
                .freshness("ts", Duration.ofHours(1)).id("f_ts")
                .freshness("tm", Duration.ofHours(1)).groupBy("g").id("fg_time")
                .freshness("iv", Duration.ofHours(1)).groupBy("g").id("fg_interval")
                .freshness("ts", Duration.ofHours(1)).groupBy("g").id("fg_ts")).run();
        assertThat(r.checks()).extracting(CheckResult::id, CheckResult::status).containsExactly(
                org.assertj.core.groups.Tuple.tuple("not_null_id", Status.PASS),
                org.assertj.core.groups.Tuple.tuple("f_time", Status.ERROR),
                org.assertj.core.groups.Tuple.tuple("f_timetz", Status.ERROR),
                org.assertj.core.groups.Tuple.tuple("f_interval", Status.ERROR),
                org.assertj.core.groups.Tuple.tuple("f_epoch", Status.ERROR),
                org.assertj.core.groups.Tuple.tuple("f_ts", Status.PASS),
                org.assertj.core.groups.Tuple.tuple("fg_time", Status.ERROR),
                org.assertj.core.groups.Tuple.tuple("fg_interval", Status.ERROR),
                org.assertj.core.groups.Tuple.tuple("fg_ts", Status.PASS));
        assertThat(r.checks().get(1).message()).isEqualTo(
                "column \"tm\" of gfk.t is of type time without time zone, not a date or timestamp: the freshness check needs one");
        assertThat(r.checks().get(2).message()).isEqualTo(
                "column \"tz\" of gfk.t is of type time with time zone, not a date or timestamp: the freshness check needs one");
        assertThat(r.checks().get(4).message()).isEqualTo(
                "column \"ep\" of gfk.t is of type bigint, not a date or timestamp: the freshness check needs one");
        assertThat(r.checks().get(7).message()).isEqualTo(
                "column \"iv\" of gfk.t is of type interval, not a date or timestamp: the freshness check needs one");
        assertThat(r.queries()).isEqualTo(2);           // the scan and the grouped query; nothing sent to fail
    }
}
