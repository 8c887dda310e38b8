package dev.mds.quality;

import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Accepted values counting values (dbt's accepted_values, {@code countValues()}): the table's scan counts the failing
 * rows and the listed values found, aggregates PostgreSQL runs in parallel workers, and only when rows fail does a
 * query of its own count their distinct values. The results are those of counting both with {@code count(distinct …)}
 * in the scan, as before: the same failing values, distinct values, status, threshold wording, stored failures and
 * history.
 */
@MdsPostgres
class CountedAcceptedValuesTest {

    private static final String ACCEPTED = "array['placed', 'shipped', 'completed']";
    private static final String DEFAULT_ID = "accepted_values_orders_status__placed__shipped__completed";
    private static final List<String> IDS = List.of(DEFAULT_ID, "status_errors_over_2", "status_errors_over_3",
            "status_in_eu", "status_in_eu_errors_over_2");

    private static Path orders() {
        try {
            return Path.of(CountedAcceptedValuesTest.class.getResource("/dbt/counted/orders.yml").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long scalar(DataSource ds, String query) {
        return Long.parseLong(strings(ds, query).get(0));
    }

    /** What the scan's {@code count(distinct …)} aggregates gave, the same query run here by hand. */
    private static void assertCountedAsBefore(DataSource ds, QualityReport r, String id, String where) {
        String from = " from cav.orders" + (where.isEmpty() ? "" : " where " + where);
        long failingValues = scalar(ds, "select count(distinct status) filter (where status <> all(" + ACCEPTED + "))" + from);
        long values = scalar(ds, "select count(distinct status)" + from);
        long rows = scalar(ds, "select count(*)" + from);
        CheckResult c = r.check("cav.orders", id).orElseThrow();
        assertThat(c.failingRows()).as(id + " failing values").isEqualTo(failingValues);
        assertThat(c.checkedRows()).as(id + " distinct values").isEqualTo(values);
        assertThat(c.observed()).as(id).isEqualTo(failingValues + " of " + values + " distinct values not in [placed, shipped,"
                + " completed] (" + rows + " rows)");
    }

    @Test
    void aDbtAcceptedValuesTestCountsFailingValuesAsBeforeWithTheirDistinctCountOnlyWhenRowsFail(DataSource ds)
            throws SQLException {
        sql(ds, "create schema cav", "create schema cav_audit",
                "create table cav.orders (id int, status text, region text)",
                "insert into cav.orders values (1, 'placed', 'eu'), (2, 'placed', 'us'), (3, 'shipped', 'eu'),"
                        + " (4, null, 'eu'), (5, null, 'us'), (6, 'completed', 'us')");
        QualitySuite suite = QualitySuite.on(ds).samples(0).storeFailures("cav_audit").history("cav_audit.runs")
                .dbtTests(orders(), DbtRelations.schema("cav"));

        // sql(): the scan holds no count(distinct …); each test's query of its failing values follows it
        // (the tests with a where have a scan of their own)
        List<String> statements = suite.sql();
        List<String> scans = statements.stream().filter(s -> s.startsWith("select count(*) as n")).toList();
        assertThat(scans).hasSize(2).noneMatch(s -> s.contains("count(distinct"));
        List<String> failingValues = statements.stream().filter(s -> s.contains("as failing_values")).toList();
        assertThat(failingValues).hasSize(IDS.size()).allSatisfy(s -> assertThat(s)
                .startsWith("select count(distinct \"status\") as failing_values\nfrom \"cav\".\"orders\"\nwhere "));
        assertThat(failingValues).filteredOn(s -> s.contains("region = 'eu'")).hasSize(2);
        assertThat(statements.indexOf(failingValues.get(0))).isEqualTo(statements.indexOf(scans.get(0)) + 1);
        for (String scan : scans) {
            assertScanRunsInParallel(ds, scan);
        }

        QualityReport clean = suite.run();
        for (String id : IDS) {
            assertThat(clean.check("cav.orders", id).orElseThrow().status()).as(id).isEqualTo(Status.PASS);
            assertThat(clean.check("cav.orders", id).orElseThrow().sql()).as(id).doesNotContain("failing_values");
        }
        assertCountedAsBefore(ds, clean, DEFAULT_ID, "");
        assertCountedAsBefore(ds, clean, "status_in_eu", "region = 'eu'");

        // several rows per bad value, more NULLs; 'Placed' is not 'placed'
        sql(ds, "insert into cav.orders values (7, 'lost', 'eu'), (8, 'lost', 'eu'), (9, 'lost', 'us'), (10, 'returned', 'us'),"
                + " (11, 'returned', 'us'), (12, 'Placed', 'eu'), (13, null, 'eu'), (14, 'shipped', 'us')");
        QualityReport failing = suite.run();
        for (String id : IDS) {
            assertCountedAsBefore(ds, failing, id, id.startsWith("status_in_eu") ? "region = 'eu'" : "");
            assertThat(failing.check("cav.orders", id).orElseThrow().sql()).as(id).contains("as failing_values");
        }
        // the second query ran once per test whose rows failed, and never on clean rows
        assertThat(failing.queries() - clean.queries()).isEqualTo(IDS.size());
        assertThat(failing.checks()).extracting(c -> c.id() + " " + c.status() + " " + c.failingRows() + " "
                + c.decidedBy()).containsExactly(
                        DEFAULT_ID + " FAIL 3 error_if > 0 values",
                        "status_errors_over_2 FAIL 3 error_if > 2 values",      // 3 values exceed 2
                        "status_errors_over_3 WARN 3 warn_if > 2 values",       // 3 do not exceed 3
                        "status_in_eu FAIL 2 error_if > 1 value",               // lost, Placed
                        "status_in_eu_errors_over_2 WARN 2 warn_if > 0 values");
        // stored failures are the failing rows; the history holds the values counted
        assertThat(strings(ds, "select count(*) from cav_audit.orders__status_errors_over_2")).containsExactly("6");
        assertThat(strings(ds, "select count(*) from cav_audit.orders__status_in_eu")).containsExactly("3");
        assertThat(strings(ds, "select check_id || ' ' || status || ' ' || failing_rows || ' ' || checked_rows from"
                + " cav_audit.runs where check_id like 'status%' order by run_at, check_id")).containsExactly(
                        "status_errors_over_2 PASS 0 3", "status_errors_over_3 PASS 0 3", "status_in_eu PASS 0 2",
                        "status_in_eu_errors_over_2 PASS 0 2",
                        "status_errors_over_2 FAIL 3 6", "status_errors_over_3 WARN 3 6", "status_in_eu FAIL 2 4",
                        "status_in_eu_errors_over_2 WARN 2 4");
    }

    /** With parallel query made free, the scan aggregates in parallel workers: no count(distinct …) keeps it serial. */
    private static void assertScanRunsInParallel(DataSource ds, String scan) throws SQLException {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("set parallel_setup_cost = 0");
            st.execute("set parallel_tuple_cost = 0");
            st.execute("set min_parallel_table_scan_size = 0");
            st.execute("set max_parallel_workers_per_gather = 2");
            StringBuilder plan = new StringBuilder();
            try (ResultSet rs = st.executeQuery("explain (costs off) " + scan)) {
                while (rs.next()) {
                    plan.append(rs.getString(1)).append('\n');
                }
            }
            assertThat(plan.toString()).contains("Partial Aggregate", "Parallel Seq Scan");
        }
    }

    /**
     * Values equal under the column's type or collation (listed twice, {@code 1} and {@code 1.0}, case-insensitive
     * text, blank-padded char), composite and array columns, a domain, and a list longer than a bigint's bits: the
     * distinct values and failing values are what {@code count(distinct …)} counts, on rows that pass and on rows that
     * fail.
     */
    @Test
    void distinctValuesAreCountedAsCountDistinctCountsThemForEveryKindOfColumn(DataSource ds) throws SQLException {
        sql(ds, "create schema cat", "create collation cat.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false)",
                "create type cat.pt as (x int, y int)", "create domain cat.code as text check (value <> '')",
                "create table cat.t (ci text collate cat.ci, num numeric, ch char(3), arr int[], comp cat.pt, dom cat.code,"
                        + " wide int)",
                "insert into cat.t values ('a', 1, 'ab', '{1,2}', '(1,2)', 'x', 0), ('A', 1.00, 'ab ', '{1,2}', '(1,2)', 'x', 5),"
                        + " ('b', 2, 'cd', '{3}', '(3,4)', 'y', 64), ('B', 3, 'ef', '{4}', '(5,6)', 'z', 69),"
                        + " (null, null, null, null, null, null, 69), ('c', 3, 'ef', '{4}', '(5,6)', 'z', 100),"
                        + " ('C', 3, 'gh', null, null, 'z', 100)");
        Object[] wideAll = new Object[101];
        Object[] wideSome = new Object[70];
        for (int i = 0; i < wideAll.length; i++) {
            wideAll[i] = i;
            if (i < wideSome.length) {
                wideSome[i] = i;
            }
        }
        QualitySuite suite = QualitySuite.on(ds).samples(0).table("cat.t", t -> t
                .acceptedValues("ci", "a", "A", "b", "c").countValues().id("ci_all")
                .acceptedValues("ci", "A", "a").countValues().id("ci_some")
                .acceptedValues("num", 1, new java.math.BigDecimal("1.0"), 2, 3).countValues().id("num_all")
                .acceptedValues("num", new java.math.BigDecimal("1.0"), 1).countValues().id("num_some")
                .acceptedValues("ch", "ab", "cd", "ef", "gh", "ab").countValues().id("ch_all")
                .acceptedValues("ch", "ab ").countValues().id("ch_some")
                .acceptedValues("arr", "{1,2}", "{3}", "{4}").countValues().id("arr_all")
                .acceptedValues("arr", "{3}").countValues().id("arr_some")
                .acceptedValues("comp", "(1,2)", "(3,4)", "(5,6)").countValues().id("comp_all")
                .acceptedValues("comp", "(5,6)").countValues().id("comp_some")
                .acceptedValues("dom", "x", "y", "z").countValues().id("dom_all")
                .acceptedValues("dom", "z").countValues().id("dom_some")
                .acceptedValues("wide", wideAll).countValues().id("wide_all")
                .acceptedValues("wide", wideSome).countValues().id("wide_some"));
        assertScanRunsInParallel(ds, suite.sql().get(0));   // a list of more than 63 values too (bits of a bit string)
        QualityReport r = suite.run();
        Map<String, String> expected = Map.ofEntries(
                Map.entry("ci_all", count(ds, "ci", "'a', 'b', 'c'")), Map.entry("ci_some", count(ds, "ci", "'a'")),
                Map.entry("num_all", count(ds, "num", "1, 2, 3")), Map.entry("num_some", count(ds, "num", "1")),
                Map.entry("ch_all", count(ds, "ch", "'ab', 'cd', 'ef', 'gh'")), Map.entry("ch_some", count(ds, "ch", "'ab'")),
                Map.entry("arr_all", count(ds, "arr", "'{1,2}', '{3}', '{4}'")), Map.entry("arr_some", count(ds, "arr", "'{3}'")),
                Map.entry("comp_all", count(ds, "comp", "'(1,2)'::cat.pt, '(3,4)'::cat.pt, '(5,6)'::cat.pt")),
                Map.entry("comp_some", count(ds, "comp", "'(5,6)'::cat.pt")),
                Map.entry("dom_all", count(ds, "dom", "'x', 'y', 'z'")), Map.entry("dom_some", count(ds, "dom", "'z'")),
                Map.entry("wide_all", count(ds, "wide", "select generate_series(0, 100)")),
                Map.entry("wide_some", count(ds, "wide", "select generate_series(0, 69)")));
        for (CheckResult c : r.checks()) {
            assertThat(c.status()).as(c.id() + ": " + c.message()).isNotEqualTo(Status.ERROR);
            assertThat(c.failingRows() + " of " + c.checkedRows()).as(c.id()).isEqualTo(expected.get(c.id()));
            assertThat(c.status()).as(c.id()).isEqualTo(c.id().endsWith("_all") ? Status.PASS : Status.FAIL);
        }
        assertThat(expected).containsEntry("ci_some", "2 of 3").containsEntry("ch_some", "3 of 4")
                .containsEntry("wide_some", "1 of 5");
    }

    /** {@code count(distinct …)} of the failing values and of all values, as the scan counted them before. */
    private static String count(DataSource ds, String column, String in) {
        return strings(ds, "select count(distinct " + column + ") filter (where " + column + " not in (" + in + ")) || ' of ' || count(distinct "
                + column + ") from cat.t").get(0);
    }
}
