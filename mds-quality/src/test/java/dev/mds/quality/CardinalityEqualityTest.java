package dev.mds.quality;

import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.testing.MdsPostgres;
import java.sql.Connection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** dbt-utils' cardinality_equality: each value appears in as many rows here as in the other table's column. */
@MdsPostgres
class CardinalityEqualityTest {

    private static Map<String, Object> row(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private static Map<String, Object> nullable(Object... kv) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private static void tables(DataSource ds, String schema) throws Exception {
        sql(ds, "create schema " + schema,
                "create table " + schema + ".t (id int primary key, status text, n int)",
                "insert into " + schema + ".t values (1, 'a', 1), (2, 'a', 1), (3, 'b', 2), (4, 'c', 3), (5, 'c', 3),"
                        + " (6, 'c', 3), (7, null, 4), (8, null, 4), (9, 'd', 5)",
                "create table " + schema + ".o (id int primary key, state text, m bigint)",
                "insert into " + schema + ".o values (1, 'a', 1), (2, 'a', 1), (3, 'b', 2), (4, 'b', 2), (5, 'c', 3),"
                        + " (6, 'c', 3), (7, 'c', 3), (8, null, 4), (9, 'e', 5)");
    }

    @Test
    void valuesWhoseRowCountsDifferFailAndNullIsAValue(DataSource ds) throws Exception {
        tables(ds, "ce");
        sql(ds, "create schema ce_audit");
        QualityReport r = QualitySuite.on(ds).storeFailures("ce_audit").table("ce.t", t -> t
                .cardinalityEquality("status", "ce.o", "state")
                .cardinalityEquality("status", "ce.t", "status").id("with_itself")).run();
        CheckResult c = r.checks().get(0);
        assertThat(c.id()).isEqualTo("cardinality_equality_status");
        assertThat(c.kind()).isEqualTo("cardinality_equality");
        assertThat(c.columns()).containsExactly("status");
        assertThat(c.status()).isEqualTo(Status.FAIL);
        assertThat(c.failingRows()).isEqualTo(4);         // b 1 vs 2, d only here, e only there, NULL 2 vs 1; a and c equal
        assertThat(c.checkedRows()).isEqualTo(6);         // a, b, c, d, e and NULL
        assertThat(c.observed()).isEqualTo(
                "4 of 6 values of status differ in rows from ce.o.\"state\" (9 rows, ce.o 9 rows): b, d, e, NULL");
        assertThat(c.message()).isEqualTo("4 failing values (66.67%), more than the threshold of 0 values");
        assertThat(c.samples()).containsExactly(
                row("status", "b", "rows", 1L, "other_rows", 2L),
                row("status", "d", "rows", 1L, "other_rows", 0L),
                row("status", "e", "rows", 0L, "other_rows", 1L),
                nullable("status", null, "rows", 2L, "other_rows", 1L));
        assertThat(c.failuresTable()).isEqualTo("ce_audit.t__cardinality_equality_status");
        try (Connection cn = ds.getConnection(); var st = cn.createStatement(); var rs = st.executeQuery(
                "select string_agg(coalesce(status, 'NULL') || ':' || \"rows\" || ':' || other_rows, ',' order by status)"
                        + " from ce_audit.t__cardinality_equality_status")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("b:1:2,d:1:0,e:0:1,NULL:2:1");
        }
        assertThat(r.checks().get(1).status()).isEqualTo(Status.PASS);
        assertThat(r.checks().get(1).observed()).isEqualTo(
                "0 of 5 values of status differ in rows from ce.t.\"status\" (9 rows, ce.t 9 rows)");
        assertThat(r.queries()).isEqualTo(2 + 1);          // one query per check, samples of the failing one
        try (Connection cn = ds.getConnection()) {
            assertThat(QualitySuite.create().table("ce.t", t -> t.cardinalityEquality("status", "ce.o", "state")).sql(cn))
                    .containsExactly(c.sql());
        }
        // integer against bigint: the union resolves them; the table's where applies here only
        QualityReport typed = QualitySuite.on(ds).table("ce.t", t -> t.where("id <> 9")
                .cardinalityEquality("n", "ce.o", "m")).run();
        assertThat(typed.checks().get(0).observed()).isEqualTo(
                "3 of 5 values of n differ in rows from ce.o.\"m\" (8 rows, ce.o 9 rows): 2, 4, 5");
        // a column named like a label: the labels step aside
        sql(ds, "create table ce.r (\"rows\" text)", "insert into ce.r values ('b')");
        assertThat(QualitySuite.on(ds).table("ce.r", t -> t.cardinalityEquality("rows", "ce.o", "state")
                .id("r")).run().checks().get(0).samples().get(0)).isEqualTo(row("rows", "a", "rows_", 0L, "other_rows", 2L));
        // two empty tables pass
        sql(ds, "create table ce.e1 (v text)", "create table ce.e2 (v text)");
        assertThat(QualitySuite.on(ds).table("ce.e1", t -> t.cardinalityEquality("v", "ce.e2", "v")).run().checks().get(0)
                .status()).isEqualTo(Status.PASS);
    }

    @Test
    void thresholdsCountValuesAndSeverityWarns(DataSource ds) throws Exception {
        tables(ds, "cet");
        QualityReport r = QualitySuite.on(ds).table("cet.t", t -> t
                .cardinalityEquality("status", "cet.o", "state").threshold(Threshold.rows(4)).id("tolerated")
                .cardinalityEquality("status", "cet.o", "state").errorIf(">3").id("failed")
                .cardinalityEquality("status", "cet.o", "state").errorIf(">4").id("warned")
                .cardinalityEquality("status", "cet.o", "state").threshold(Threshold.percentOfNonNull(70)).id("percent")
                .cardinalityEquality("status", "cet.o", "state").warn().id("warn_severity")).run();
        assertThat(r.checks()).extracting(CheckResult::status).containsExactly(Status.PASS, Status.FAIL, Status.WARN,
                Status.PASS, Status.WARN);
        assertThat(r.checks().get(0).message()).isEqualTo("4 failing values (66.67%), within the threshold > 4 values");
        assertThat(r.checks().get(1).decidedBy()).isEqualTo("error_if > 3 values");
        assertThat(r.checks().get(2).decidedBy()).isEqualTo("warn_if > 0 values");
        // all in the table: a percentage of the values, not of non-NULL rows
        assertThat(r.checks().get(3).message()).isEqualTo("4 failing values (66.67%), within the threshold > 70.0%");
    }

    @Test
    void aMissingTableOrColumnIsAnErrorNamingItAndTheOtherChecksRun(DataSource ds) throws Exception {
        tables(ds, "cee");
        QualityReport r = QualitySuite.on(ds).table("cee.t", t -> t
                .cardinalityEquality("nope", "cee.o", "state")
                .cardinalityEquality("status", "cee.o", "nope").id("other_column")
                .cardinalityEquality("status", "cee.nowhere", "state").id("other_table")
                .cardinalityEquality("n", "cee.o", "state")                 // integer against text: refused
                .cardinalityEquality("status", "cee.o", "state")).run();
        assertThat(r.checks()).extracting(CheckResult::status).containsExactly(Status.ERROR, Status.ERROR, Status.ERROR,
                Status.ERROR, Status.FAIL);
        assertThat(r.checks().get(0).message()).isEqualTo("column \"nope\" does not exist in cee.t (columns: id, status, n)");
        assertThat(r.checks().get(1).message()).isEqualTo(
                "column \"nope\" does not exist in the table to compare with cee.o (columns: id, state, m)");
        assertThat(r.checks().get(2).message()).isEqualTo(
                "table to compare with cee.nowhere does not exist (or is not visible to this user)");
        assertThat(r.checks().get(3).message()).startsWith("check cardinality_equality_n (cardinality_equality on column"
                + " \"n\" of type integer to cee.o.\"state\") of cee.t could not run: ERROR: UNION types integer and text"
                + " cannot be matched");

        QualitySuite suite = QualitySuite.on(ds);
        assertThatThrownBy(() -> suite.table("cee.t", t -> t.cardinalityEquality("status", " ", "state")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cee.t: cardinalityEquality(status): give the table to compare with");
        assertThatThrownBy(() -> suite.table("cee.t", t -> t.cardinalityEquality("status", "cee.o", "")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> suite.table("cee.t", t -> t.cardinalityEquality("status", "cee.o", "state")
                .groupBy("id"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("a cardinality_equality check cannot be grouped");
    }
}
