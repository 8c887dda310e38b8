package dev.mds.quality;

import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import java.sql.Connection;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.sql.DataSource;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;

/**
 * Grouped freshness, cardinality equality, unique value count and proportion of unique values on quoted, spaced,
 * upper-case table and column names, with stored failures and history, and inside a caller's transaction where
 * some of them are ERROR.
 */
@MdsPostgres
class RecentChecksHostileNamesTest {

    private static Map<String, Object> row(Object... kv) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private static long count(DataSource ds, String query) throws Exception {
        try (Connection cn = ds.getConnection(); var st = cn.createStatement(); var rs = st.executeQuery(query)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void quotedSpacedAndUpperCaseNamesAreCheckedStoredAndRecorded(DataSource ds) throws Exception {
        sql(ds, "create schema \"Adv S\"", "create schema adv_audit",
                "create table \"Adv S\".\"T \"\"q\"\" X\" (\"Id\" int, \"Grp \"\"g\"\"\" text, \"Ts Col\" timestamptz, \"Val\" text)",
                "insert into \"Adv S\".\"T \"\"q\"\" X\" values (1, 'a', now(), 'x'), (2, 'a', now(), 'x'),"
                        + " (3, null, '-infinity', 'y'), (4, 'b', '-infinity', null)",
                "create table \"Adv S\".\"O t\" (\"Oth V\" text)",
                "insert into \"Adv S\".\"O t\" values ('x'), ('y'), ('y'), (null)");
        QualityReport r = QualitySuite.on(ds).storeFailures("adv_audit").history("adv_audit.runs")
                .table("\"Adv S\".\"T \"\"q\"\" X\"", t -> t.key("Id")
                        .freshness("Ts Col", Duration.ofHours(1)).groupBy("Grp \"g\"")
                        .cardinalityEquality("Val", "\"Adv S\".\"O t\"", "Oth V")
                        .uniqueValueCount("Val", 3, 5)
                        .proportionOfUniqueValues("Val", 0.9, 1))
                .run();
        assertThat(r.checks()).extracting(CheckResult::id, CheckResult::status, CheckResult::failingRows,
                CheckResult::checkedRows).containsExactly(
                Tuple.tuple("freshness_Ts Col", Status.FAIL, 2L, 3L),
                Tuple.tuple("cardinality_equality_Val", Status.FAIL, 2L, 3L),
                Tuple.tuple("unique_value_count_Val", Status.FAIL, 0L, 4L),
                Tuple.tuple("proportion_of_unique_values_Val", Status.FAIL, 0L, 4L));
        assertThat(r.checks().get(0).observed()).isEqualTo(
                "2 of 3 groups by Grp \"g\" have no Ts Col in the last 1h 0m: b, NULL");
        assertThat(r.checks().get(0).samples()).containsExactly(
                row("Grp \"g\"", "b", "rows", 1L, "Ts Col", "-infinity"),
                row("Grp \"g\"", null, "rows", 1L, "Ts Col", "-infinity"));
        assertThat(r.checks().get(1).observed()).isEqualTo("2 of 3 values of Val differ in rows from \"Adv S\".\"O t\"."
                + "\"Oth V\" (4 rows, \"Adv S\".\"O t\" 4 rows): x, y");
        assertThat(r.checks().get(1).samples()).containsExactly(
                row("Val", "x", "rows", 2L, "other_rows", 1L), row("Val", "y", "rows", 1L, "other_rows", 2L));
        assertThat(r.checks().get(3).observed()).isEqualTo("proportion 0.6667 (2 distinct values of 3 non-NULL values)");
        assertThat(count(ds, "select count(*) from adv_audit.\"T \"\"q\"\" X__freshness_Ts Col\"")).isEqualTo(2);
        assertThat(count(ds, "select count(*) from adv_audit.\"T \"\"q\"\" X__cardinality_equality_Val\"")).isEqualTo(2);
        assertThat(count(ds, "select count(*) from adv_audit.runs where table_name = '\"Adv S\".\"T \"\"q\"\" X\"'"
                + " and status = 'FAIL'")).isEqualTo(4);
        assertThat(r.queries()).isEqualTo(3 + 2);    // grouped, cardinality, distinct values; samples of two
    }

    @Test
    void insideACallersTransactionAnErrorOfOneLeavesTheOthersToReportAndRollsBackWithIt(DataSource ds) throws Exception {
        sql(ds, "create schema tx", "create table tx.t (id int, g text, ts timestamptz, v text, j json)",
                "insert into tx.t values (1, 'a', '-infinity', 'x', '{}'), (2, 'b', now(), 'x', '{}')",
                "create table tx.o (v text)", "insert into tx.o values ('y')");
        try (Connection cn = ds.getConnection()) {
            cn.setAutoCommit(false);
            QualityReport r = QualitySuite.create().storeFailures("tx_audit").history("tx_audit.runs").table("tx.t", t -> t
                    .uniqueValueCount("nope", 1, 2).id("uvc_missing")
                    .uniqueValueCount("j", 1, 2).id("uvc_json")                   // refused by the server
                    .cardinalityEquality("v", "tx.missing", "v").id("ce_missing")
                    .freshness("ts", Duration.ofHours(1)).groupBy("nope").id("f_missing")
                    .freshness("ts", Duration.ofHours(1)).groupBy("j").id("f_json")  // refused by the server
                    .freshness("ts", Duration.ofHours(1)).groupBy("g").warn().id("f_warn")
                    .cardinalityEquality("v", "tx.o", "v").threshold(Threshold.percent(60)).id("ce_pct")
                    .proportionOfUniqueValues("v", 0.9, 1).warn().id("prop_warn")
                    .uniqueValueCount("v", 2, 2).id("uvc")).run(cn);
            assertThat(r.checks()).extracting(CheckResult::id, CheckResult::status).containsExactly(
                    Tuple.tuple("uvc_missing", Status.ERROR), Tuple.tuple("uvc_json", Status.ERROR),
                    Tuple.tuple("ce_missing", Status.ERROR), Tuple.tuple("f_missing", Status.ERROR),
                    Tuple.tuple("f_json", Status.ERROR), Tuple.tuple("f_warn", Status.WARN),
                    Tuple.tuple("ce_pct", Status.FAIL), Tuple.tuple("prop_warn", Status.WARN), Tuple.tuple("uvc", Status.FAIL));
            assertThat(r.checks().get(2).message()).isEqualTo(
                    "table to compare with tx.missing does not exist (or is not visible to this user)");
            assertThat(r.checks().get(4).message()).startsWith("check f_json (freshness on columns \"ts\" of type timestamp"
                    + " with time zone, \"j\" of type json) of tx.t could not run: ERROR:");
            assertThat(r.checks().get(5).samples()).containsExactly(row("g", "a", "rows", 1L, "ts", "-infinity"));
            try (var st = cn.createStatement(); var rs = st.executeQuery("select count(*) from tx_audit.runs")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(9);
            }
            cn.rollback();
        }
        assertThat(count(ds, "select count(*) from pg_namespace where nspname = 'tx_audit'")).isZero();
    }
}
