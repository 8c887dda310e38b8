package dev.mds.quality;

import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Grouped checks of one table that share its where and their grouping columns run as one grouped query, and report
 * exactly what each reports when run alone.
 */
@MdsPostgres
class GroupedMergeTest {

    private static void tables(DataSource ds, String schema) throws Exception {
        sql(ds, "create schema " + schema,
                "create table " + schema + ".t (id int primary key, country text, email text, plan text, n int, doc json)",
                "insert into " + schema + ".t values"
                        + " (1, 'DE', 'a@x', 'basic', 1, '{}'), (2, 'DE', null, 'basic', 2, '{}'),"
                        + " (3, 'FR', null, 'pro', 1, '{}'), (4, 'FR', null, 'pro', 2, '[]'),"
                        + " (5, 'US', 'b@x', 'basic', 1, null), (6, 'US', 'c@x', 'pro', 3, null),"
                        + " (7, null, 'd@x', 'basic', 1, '1'), (8, null, null, 'basic', 2, '1'),"
                        + " (9, 'XX', null, null, null, null)",
                "create table " + schema + ".o (id int primary key, country text, plan text)",
                "insert into " + schema + ".o values (1, 'DE', 'basic'), (2, 'DE', 'pro'), (3, 'FR', 'pro'), (4, 'US', 'basic'),"
                        + " (5, 'US', 'pro'), (6, null, 'basic'), (7, null, 'basic'), (8, 'ES', null)",
                "create table " + schema + ".p (id int primary key, country text)",
                "insert into " + schema + ".p values (1, 'DE')");
    }

    /** What a report says about a check, apart from its SQL and how long it took. */
    private static List<Object> outcome(CheckResult r) {
        return List.of(r.table(), r.id(), r.kind(), r.columns(), r.severity(), r.status(), r.observed(), r.failingRows(),
                r.checkedRows(), r.failingPercent(), r.samples(), r.message(), r.decidedBy(), r.failuresTable());
    }

    /** Each check of {@code checks} run in a suite of its own: what the merged run must report, check by check. */
    private static List<List<Object>> alone(DataSource ds, String table, List<Consumer<TableChecks>> checks) {
        List<List<Object>> out = new ArrayList<>();
        for (Consumer<TableChecks> c : checks) {
            out.add(outcome(QualitySuite.on(ds).table(table, c).run().checks().get(0)));
        }
        return out;
    }

    private static Consumer<TableChecks> all(List<Consumer<TableChecks>> checks) {
        return t -> checks.forEach(c -> c.accept(t));
    }

    @Test
    void groupedChecksSharingTheirGroupsRunAsOneQueryAndReportWhatEachReportsAlone(DataSource ds) throws Exception {
        tables(ds, "gm");
        List<Consumer<TableChecks>> checks = List.of(
                t -> t.atLeastOne("email").groupBy("country"),                     // fails: FR, XX
                t -> t.notConstant("plan").groupBy("country"),                     // fails: DE, FR, NULL
                t -> t.atLeastOne("plan").groupBy("country").id("plan_values"),    // fails: XX only
                t -> t.notConstant("n").groupBy("country").threshold(Threshold.rows(3)), // passes: no group is constant but XX
                t -> t.atLeastOne("id").groupBy("country"),                        // passes
                t -> t.notConstant("email").groupBy("country").warn(),             // warns: DE, US? (US has two) -> DE, NULL
                t -> t.equalRowCount("gm.o").groupBy("country"),                   // fails: ES, FR, XX
                t -> t.fewerRowsThan("gm.o").groupBy("country").id("fewer"),       // fails
                t -> t.equalRowCount("gm.p").groupBy("country").id("vs_p"));       // another table: a query of its own
        QualityReport merged = QualitySuite.on(ds).table("gm.t", all(checks)).run();
        assertThat(merged.checks()).extracting(GroupedMergeTest::outcome).containsExactlyElementsOf(alone(ds, "gm.t", checks));
        assertThat(merged.checks()).extracting(CheckResult::status).containsExactly(Status.FAIL, Status.FAIL, Status.FAIL,
                Status.PASS, Status.PASS, Status.WARN, Status.FAIL, Status.FAIL, Status.FAIL);

        // one query for the six checks of this table alone, one for the two compared with gm.o, one for gm.p
        List<String> sql = merged.checks().stream().map(CheckResult::sql).distinct().toList();
        assertThat(sql).hasSize(3);
        assertThat(merged.checks().subList(0, 6)).extracting(CheckResult::sql).containsOnly(sql.get(0));
        assertThat(merged.checks().subList(6, 8)).extracting(CheckResult::sql).containsOnly(sql.get(1));
        long failed = merged.checks().stream().filter(c -> c.failingRows() > 0 && c.status() != Status.PASS).count();
        assertThat(merged.queries()).isEqualTo(3 + failed);        // the three grouped queries, then the samples
        try (Connection c = ds.getConnection()) {
            assertThat(QualitySuite.create().table("gm.t", all(checks)).sql(c)).containsExactlyElementsOf(sql);
        }
        assertThat(QualitySuite.create().table("gm.t", all(checks)).sql()).hasSize(3);
        assertThat(QualitySuite.on(ds).table("gm.t", all(checks)).sql()).containsExactlyElementsOf(sql);
    }

    @Test
    void groupsGivenInAnotherOrderShareTheQueryAndEachCheckNamesItsGroupsInItsOwnOrder(DataSource ds) throws Exception {
        tables(ds, "gmo");
        List<Consumer<TableChecks>> checks = List.of(
                t -> t.atLeastOne("email").groupBy("country", "plan"),
                t -> t.notConstant("n").groupBy("plan", "country"),
                t -> t.equalRowCount("gmo.o").groupBy("country", "plan"),
                t -> t.fewerRowsThan("gmo.o").groupBy("plan", "country"));
        QualityReport merged = QualitySuite.on(ds).table("gmo.t", all(checks)).run();
        assertThat(merged.checks()).extracting(GroupedMergeTest::outcome).containsExactlyElementsOf(alone(ds, "gmo.t", checks));
        assertThat(merged.checks().stream().map(CheckResult::sql).distinct()).hasSize(2);
        assertThat(merged.checks().get(1).observed()).contains("by plan, country").endsWith(": (basic,US), (pro,US)");
    }

    @Test
    void aCheckThatCannotRunInTheMergedQueryIsAnErrorAloneWhileTheOthersKeepTheirResults(DataSource ds) throws Exception {
        tables(ds, "gme");
        // json has no equality: count(distinct doc) cannot run, which failed the merged query
        List<Consumer<TableChecks>> checks = List.of(
                t -> t.atLeastOne("email").groupBy("country"),
                t -> t.notConstant("doc").groupBy("country"),
                t -> t.notConstant("plan").groupBy("country"));
        QualityReport merged = QualitySuite.on(ds).table("gme.t", all(checks)).run();
        assertThat(merged.checks()).extracting(CheckResult::status).containsExactly(Status.FAIL, Status.ERROR, Status.FAIL);
        assertThat(merged.checks()).extracting(GroupedMergeTest::outcome).containsExactlyElementsOf(alone(ds, "gme.t", checks));
        assertThat(merged.checks().get(1).message()).contains("could not run");
    }

    @Test
    void hostileNamesAndAnEmptyTableMergeToo(DataSource ds) throws Exception {
        sql(ds, "create schema \"Gm \"\"x\"",
                "create table \"Gm \"\"x\".\"Tâble\" (\"Id\" int, \"Cöuntry \"\"q\"\"\" text, \"e-Mail\" text, \"v\" text, \"s\" text)",
                "insert into \"Gm \"\"x\".\"Tâble\" values (1, 'a', null, 'x', 'y'), (2, 'a', null, 'x', 'z'), (3, null, 'm', 'y', 'y'),"
                        + " (4, null, null, 'z', 'y')",
                "create table \"Gm \"\"x\".\"Öther\" (\"Cöuntry \"\"q\"\"\" text)",
                "insert into \"Gm \"\"x\".\"Öther\" values ('a'), (null)",
                "create table \"Gm \"\"x\".empty (\"Cöuntry \"\"q\"\"\" text, \"e-Mail\" text)");
        String c = "Cöuntry \"q\"";
        List<Consumer<TableChecks>> checks = List.of(
                t -> t.atLeastOne("e-Mail").groupBy(c),
                t -> t.notConstant("v").groupBy(c),
                t -> t.notConstant("s").groupBy(c, "v"),
                t -> t.atLeastOne("s").groupBy("v", c),
                t -> t.equalRowCount("\"Gm \"\"x\".\"Öther\"").groupBy(c),
                t -> t.fewerRowsThan("\"Gm \"\"x\".\"Öther\"").groupBy(c));
        String table = "\"Gm \"\"x\".\"Tâble\"";
        QualityReport merged = QualitySuite.on(ds).table(table, all(checks)).run();
        assertThat(merged.checks()).extracting(GroupedMergeTest::outcome).containsExactlyElementsOf(alone(ds, table, checks));
        assertThat(merged.checks()).extracting(CheckResult::status).doesNotContain(Status.ERROR);
        assertThat(merged.checks().stream().map(CheckResult::sql).distinct()).hasSize(3);

        List<Consumer<TableChecks>> onEmpty = List.of(
                t -> t.atLeastOne("e-Mail").groupBy(c),
                t -> t.notConstant("e-Mail").groupBy(c),
                t -> t.equalRowCount("\"Gm \"\"x\".\"Öther\"").groupBy(c),
                t -> t.fewerRowsThan("\"Gm \"\"x\".\"Öther\"").groupBy(c));
        QualityReport empty = QualitySuite.on(ds).table("\"Gm \"\"x\".empty", all(onEmpty)).run();
        assertThat(empty.checks()).extracting(GroupedMergeTest::outcome)
                .containsExactlyElementsOf(alone(ds, "\"Gm \"\"x\".empty", onEmpty));
        assertThat(empty.checks()).extracting(CheckResult::status).containsExactly(Status.PASS, Status.PASS, Status.FAIL,
                Status.PASS);
    }

    @Test
    void groupedNotConstantComparesMinAndMaxWhereTheTypeHasThemAndCountsDistinctValuesWhereItHasNot(DataSource ds)
            throws Exception {
        String u1 = "'00000000-0000-0000-0000-000000000001'";
        String u2 = "'00000000-0000-0000-0000-000000000002'";
        sql(ds, "create schema gmc",
                "create table gmc.t (g text, i int, u uuid, b boolean, tx text)",
                "insert into gmc.t values"
                        + " ('a', 1, " + u1 + ", true, 'x'), ('a', 1, " + u1 + ", true, 'x'),"          // one value: fails
                        + " ('b', 1, " + u1 + ", true, 'x'), ('b', 2, " + u2 + ", false, 'X'),"         // two: passes
                        + " ('c', null, null, null, null), ('c', null, null, null, null),"              // none: passes
                        + " ('d', 3, " + u2 + ", false, 'y'), ('d', null, null, null, null),"            // one and NULL: fails
                        + " (null, 5, " + u1 + ", true, 'z'), (null, 5, " + u1 + ", true, 'z')");        // the NULL group: fails
        QualityReport r = QualitySuite.on(ds).table("gmc.t", t -> t
                .notConstant("i").groupBy("g")
                .notConstant("u").groupBy("g")
                .notConstant("b").groupBy("g")
                .notConstant("tx").groupBy("g")).run();
        for (CheckResult c : r.checks()) {
            String column = c.columns().get(0);
            assertThat(c.observed()).as(column).isEqualTo("3 of 5 groups by g have one distinct " + column + ": a, d, NULL");
            assertThat(c.samples()).as(column).extracting(m -> m.get("g")).containsExactly("a", "d", null);
            assertThat(c.samples()).as(column).extracting(m -> m.get("rows")).containsExactly(2L, 2L, 2L);
        }
        assertThat(r.checks().get(0).samples()).extracting(m -> m.get("i")).containsExactly(1, 3, 5);
        assertThat(r.checks().get(3).samples()).extracting(m -> m.get("tx")).containsExactly("x", "y", "z");
        String sql = r.checks().get(0).sql();
        assertThat(sql).contains("(min(\"i\") = max(\"i\"))", "(min(\"tx\" collate \"C\") = max(\"tx\" collate \"C\"))",
                "(bool_and(\"b\") = bool_or(\"b\"))", "(count(distinct \"u\") = 1)");
        assertThat(sql).doesNotContain("count(distinct \"i\")");
    }
}
