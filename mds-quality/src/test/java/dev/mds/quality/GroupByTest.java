package dev.mds.quality;

import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.testing.MdsPostgres;
import java.sql.Connection;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** dbt-utils' {@code group_by_columns}: at_least_one, not_constant, sequential_values and the row count comparisons per group. */
@MdsPostgres
class GroupByTest {

    private static void table(DataSource ds, String schema) throws Exception {
        sql(ds, "create schema " + schema,
                "create table " + schema + ".t (id int primary key, country text, email text, plan text, n int)",
                "insert into " + schema + ".t values"
                        + " (1, 'DE', 'a@x', 'basic', 1), (2, 'DE', null, 'basic', 2),"   // DE: constant plan
                        + " (3, 'FR', null, 'pro', 1), (4, 'FR', null, 'pro', 2),"         // FR: no email, constant plan
                        + " (5, 'US', 'b@x', 'basic', 1), (6, 'US', 'c@x', 'pro', 3),"     // US: a gap in n
                        + " (7, null, 'd@x', 'basic', 1), (8, null, null, 'basic', 2),"    // the NULL group: constant plan
                        + " (9, 'XX', null, null, null)",                                  // XX: only NULLs
                "create table " + schema + ".o (id int primary key, country text)",
                "insert into " + schema + ".o values (1, 'DE'), (2, 'DE'), (3, 'FR'), (4, 'US'), (5, 'US'), (6, null),"
                        + " (7, null), (8, 'ES')");
    }

    @Test
    void atLeastOneAndNotConstantJudgeEachGroupAndNameTheFailingOnes(DataSource ds) throws Exception {
        table(ds, "grp");
        QualityReport r = QualitySuite.on(ds).table("grp.t", t -> t
                .atLeastOne("email").groupBy("country")
                .notConstant("plan").groupBy("country")
                .atLeastOne("email").id("whole_table")).run();
        CheckResult one = r.checks().get(0);
        assertThat(one.status()).isEqualTo(Status.FAIL);
        assertThat(one.failingRows()).isEqualTo(2);              // FR and XX; NULL emails are not values
        assertThat(one.checkedRows()).isEqualTo(5);              // five groups, the NULL country one of them
        assertThat(one.observed()).isEqualTo("2 of 5 groups by country have no non-NULL email: FR, XX");
        assertThat(one.columns()).containsExactly("email", "country");
        assertThat(one.samples()).containsExactly(Map.of("country", "FR", "rows", 2L), Map.of("country", "XX", "rows", 1L));
        assertThat(one.message()).isEqualTo("2 failing groups (40.00%), more than the threshold of 0 groups");

        CheckResult constant = r.checks().get(1);
        assertThat(constant.failingRows()).isEqualTo(3);         // XX (no value at all) passes, as in dbt-utils
        assertThat(constant.observed()).isEqualTo("3 of 5 groups by country have one distinct plan: DE, FR, NULL");
        assertThat(constant.samples()).extracting(m -> m.get("country")).containsExactly("DE", "FR", null);
        assertThat(constant.samples()).extracting(m -> m.get("plan")).containsExactly("basic", "pro", "basic");
        assertThat(r.checks().get(2).status()).isEqualTo(Status.PASS);  // ungrouped: still in the single scan
        assertThat(r.queries()).isEqualTo(1 + 1 + 2);                   // the scan, one query for both grouped checks, samples
        assertThat(constant.sql()).isEqualTo(one.sql());
        try (Connection c = ds.getConnection()) {
            assertThat(QualitySuite.create().table("grp.t", t -> t.atLeastOne("email").groupBy("country")
                    .notConstant("plan").groupBy("country")).sql(c)).containsExactly(one.sql());
        }

        // a threshold counts groups; severity WARN warns; an empty table (after where) has no groups and passes
        QualityReport tolerated = QualitySuite.on(ds).table("grp.t", t -> t.atLeastOne("email").groupBy("country")
                .threshold(Threshold.rows(2)).notConstant("plan").groupBy("country").warnIf(Threshold.percent(50))
                .errorIf(Threshold.percent(50))).run();
        assertThat(tolerated.checks()).extracting(CheckResult::status).containsExactly(Status.PASS, Status.FAIL);
        assertThat(tolerated.checks().get(0).message()).isEqualTo("2 failing groups (40.00%), within the threshold > 2 groups");
        assertThat(tolerated.checks().get(1).decidedBy()).isEqualTo("error_if > 50.0%");
        assertThat(QualitySuite.on(ds).table("grp.t", t -> t.atLeastOne("email").groupBy("country").warn()).run()
                .checks().get(0).status()).isEqualTo(Status.WARN);
        assertThat(QualitySuite.on(ds).table("grp.t", t -> t.where("id < 0").atLeastOne("email").groupBy("country")).run()
                .checks().get(0).status()).isEqualTo(Status.PASS);
    }

    @Test
    void sequentialValuesFollowTheSequenceWithinEachGroup(DataSource ds) throws Exception {
        table(ds, "grs");
        QualityReport r = QualitySuite.on(ds).table("grs.t", t -> t.sequentialValues("n").groupBy("country")
                .sequentialValues("n").id("whole")).run();
        CheckResult grouped = r.checks().get(0);
        assertThat(grouped.failingRows()).isEqualTo(1);           // 3 after 1 in US; the NULL n of XX is ignored
        assertThat(grouped.checkedRows()).isEqualTo(9);
        assertThat(grouped.observed()).isEqualTo("1 of 9 rows in 1 group by country do not follow the previous value by 1");
        assertThat(grouped.samples()).hasSize(1);
        assertThat(grouped.samples().get(0)).containsEntry("id", 6).containsEntry("country", "US").containsEntry("previous_n", 1);
        assertThat(grouped.sql()).contains("lag(\"n\") over (partition by \"country\" order by \"n\")");
        assertThat(r.checks().get(1).failingRows()).isEqualTo(5); // without groups: three repeated 1s, two repeated 2s
    }

    @Test
    void rowCountComparisonsCompareEachGroupAndAMissingGroupCountsAsZero(DataSource ds) throws Exception {
        table(ds, "grc");
        sql(ds, "create schema grc_audit");
        QualityReport r = QualitySuite.on(ds).storeFailures("grc_audit").table("grc.t", t -> t
                .equalRowCount("grc.o").groupBy("country")
                .fewerRowsThan("grc.o").groupBy("country")).run();
        CheckResult equal = r.checks().get(0);
        assertThat(equal.status()).isEqualTo(Status.FAIL);
        assertThat(equal.failingRows()).isEqualTo(3);            // FR 2 vs 1, XX 1 vs none, ES none vs 1; NULL 2 vs 2 is equal
        assertThat(equal.checkedRows()).isEqualTo(6);
        assertThat(equal.observed()).isEqualTo(
                "3 of 6 groups by country differ in rows from grc.o (9 rows, grc.o 8 rows): ES, FR, XX");
        assertThat(equal.samples()).containsExactly(
                Map.of("country", "ES", "rows", 0L, "other_rows", 1L),
                Map.of("country", "FR", "rows", 2L, "other_rows", 1L),
                Map.of("country", "XX", "rows", 1L, "other_rows", 0L));
        assertThat(equal.failuresTable()).isEqualTo("grc_audit.t__equal_row_count_o");
        try (Connection c = ds.getConnection(); var st = c.createStatement();
                var rs = st.executeQuery("select string_agg(country, ',' order by country) from grc_audit.t__equal_row_count_o")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("ES,FR,XX");
        }
        CheckResult fewer = r.checks().get(1);
        assertThat(fewer.failingRows()).isEqualTo(5);            // every group here has at least as many rows; ES passes
        assertThat(fewer.observed()).startsWith("5 of 6 groups by country have no fewer rows than grc.o");
        assertThat(r.toConsoleTable()).contains("equal_row_count_o");
        assertThat(r.toJson()).contains("\"other_rows\"");
        assertThat(r.toHtml()).contains("ES, FR, XX");
        // the table's where applies here, not to the other table
        QualityReport filtered = QualitySuite.on(ds).table("grc.t", t -> t.where("id = 1")
                .fewerRowsThan("grc.o").groupBy("country")).run();
        assertThat(filtered.checks().get(0).status()).isEqualTo(Status.PASS);
        assertThat(filtered.checks().get(0).checkedRows()).isEqualTo(5);
        try (Connection c = ds.getConnection()) {
            assertThat(QualitySuite.create().table("grc.t", t -> t.equalRowCount("grc.o").groupBy("country")
                    .fewerRowsThan("grc.o").groupBy("country")).sql(c)).containsExactly(equal.sql());
            assertThat(fewer.sql()).isEqualTo(equal.sql());             // both compared with grc.o: one query
        }
    }

    @Test
    void aMissingGroupColumnIsAnErrorNamingItWhileTheOtherChecksRun(DataSource ds) throws Exception {
        table(ds, "grm");
        QualityReport r = QualitySuite.on(ds).table("grm.t", t -> t
                .atLeastOne("email").groupBy("region")
                .equalRowCount("grm.o").groupBy("plan")
                .sequentialValues("n").groupBy("nope")
                .notConstant("plan").groupBy("country")).run();
        assertThat(r.checks()).extracting(CheckResult::status).containsExactly(Status.ERROR, Status.ERROR, Status.ERROR,
                Status.FAIL);
        assertThat(r.checks().get(0).message()).contains("\"region\"", "does not exist in grm.t");
        assertThat(r.checks().get(1).message()).isEqualTo(
                "group column \"plan\" does not exist in the table to compare with grm.o (columns: id, country)");
        assertThat(r.checks().get(2).message()).contains("\"nope\"");
        assertThat(r.queries()).isEqualTo(2);                    // the not constant query and its samples

        QualitySuite suite = QualitySuite.on(ds);
        assertThatThrownBy(() -> suite.table("grm.t", t -> t.notNull("email").groupBy("country")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("grm.t: groupBy(country) on check"
                        + " 'not_null_email': a not_null check cannot be grouped");
        assertThatThrownBy(() -> suite.table("grm.t", t -> t.atLeastOne("email").groupBy("email")))
                .hasMessageContaining("column email is the checked column itself");
        assertThatThrownBy(() -> suite.table("grm.t", t -> t.atLeastOne("email").groupBy("a").groupBy("b")))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("already grouped by a");
        assertThatThrownBy(() -> suite.table("grm.t", t -> t.atLeastOne("email").threshold(Threshold.rows(1)).groupBy("a")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(".groupBy(...) before the threshold");
        assertThatThrownBy(() -> suite.table("grm.t", t -> t.groupBy("a")))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("groupBy(...) must follow a check");
    }
}
