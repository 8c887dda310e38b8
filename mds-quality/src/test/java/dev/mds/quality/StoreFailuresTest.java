package dev.mds.quality;

import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mds.testing.MdsPostgres;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * dbt's store_failures: the failing rows of each check that failed or warned, in a table of their own in a
 * configured schema, replaced on each run.
 */
@MdsPostgres
class StoreFailuresTest {

    /**
     * {@code schema.t}: 10 rows; v NULL in rows 1-3; code 'dup' in rows 4-5, 'odd' (not accepted) in row 6; pid 99
     * (no parent) in rows 7-8; {@code schema.parent} holds pids 1-5.
     */
    private static void dirty(DataSource ds, String schema) {
        sql(ds, "create schema " + schema,
                "create table " + schema + ".parent (pid int primary key)",
                "insert into " + schema + ".parent select g from generate_series(1, 5) g",
                "create table " + schema + ".t (id int primary key, v int, code text, pid int)",
                "insert into " + schema + ".t select g, case when g <= 3 then null else g end,"
                        + " case when g in (4, 5) then 'dup' when g = 6 then 'odd' else 'c' || g end,"
                        + " case when g in (7, 8) then 99 else 1 + g % 5 end from generate_series(1, 10) g");
    }

    private static Consumer<TableChecks> checks(String schema) {
        return t -> t.notNull("v")
                .acceptedValues("code", "dup", "c1", "c2", "c3", "c7", "c8", "c9", "c10").warn()
                .unique("code")
                .relationships("pid", schema + ".parent", "pid")
                .range("id", 1, 10)
                .rowCount(Bounds.atLeast(100));
    }

    private static List<String> ids(DataSource ds, String table) {
        return strings(ds, "select id from " + table + " order by id");
    }

    private static Map<String, Object> statusesAndMessages(QualityReport r) {
        Map<String, Object> m = new LinkedHashMap<>();
        r.checks().forEach(c -> m.put(c.id(), c.status() + " " + c.failingRows()));
        return m;
    }

    @Test
    void failingRowsOfChecksThatFailedOrWarnedAreStoredOneTablePerCheckWithAllTheirColumns(DataSource ds) throws Exception {
        dirty(ds, "sf");
        sql(ds, "create schema audit");
        QualityReport r = QualitySuite.on(ds).storeFailures("audit").table("sf.t", checks("sf")).run();
        Map<String, String> tables = new LinkedHashMap<>();
        r.checks().forEach(c -> tables.put(c.id(), c.failuresTable()));
        assertThat(tables).containsExactly(Map.entry("not_null_v", "audit.t__not_null_v"),
                Map.entry("accepted_values_code", "audit.t__accepted_values_code"),
                Map.entry("unique_code", "audit.t__unique_code"),
                Map.entry("relationships_pid", "audit.t__relationships_pid"),
                Map.entry("range_id", ""), Map.entry("row_count", ""));
        assertThat(r.check("sf.t", "accepted_values_code").orElseThrow().status()).isEqualTo(Status.WARN);

        assertThat(ids(ds, "audit.t__not_null_v")).containsExactly("1", "2", "3");
        assertThat(ids(ds, "audit.t__accepted_values_code")).containsExactly("6");
        assertThat(ids(ds, "audit.t__unique_code")).containsExactly("4", "5");
        assertThat(ids(ds, "audit.t__relationships_pid")).containsExactly("7", "8");
        // every column of the failing rows, as many rows as the check counted
        assertThat(strings(ds, "select string_agg(column_name, ',' order by ordinal_position) from information_schema.columns"
                + " where table_schema = 'audit' and table_name = 't__not_null_v'")).containsExactly("id,v,code,pid");
        for (CheckResult c : r.checks()) {
            if (!c.failuresTable().isEmpty()) {
                assertThat(strings(ds, "select count(*) from " + c.failuresTable())).as(c.id())
                        .containsExactly(Long.toString(c.failingRows()));
            }
        }
        // a passing check and a table-level check store nothing
        assertThat(strings(ds, "select string_agg(tablename, ',' order by tablename) from pg_tables where schemaname = 'audit'"))
                .containsExactly("t__accepted_values_code,t__not_null_v,t__relationships_pid,t__unique_code");
        assertThat(strings(ds, "select obj_description('audit.t__unique_code'::regclass, 'pg_class')"))
                .containsExactly("mds-quality failing rows of check unique_code on sf.t");
        // storing is not a query of the checks
        assertThat(r.queries()).isEqualTo(QualitySuite.on(ds).table("sf.t", checks("sf")).run().queries());
    }

    @Test
    void everyReportFormatNamesTheFailuresTable(DataSource ds) throws Exception {
        dirty(ds, "sr");
        sql(ds, "create schema audit_r");
        QualityReport r = QualitySuite.on(ds).storeFailures("audit_r").table("sr.t", t -> t.notNull("v").notNull("id")).run();
        assertThat(r.toConsoleTable().lines()).contains("failing rows of sr.t not_null_v in audit_r.t__not_null_v");
        JsonNode checks = new ObjectMapper().readTree(r.toJson()).get("checks");
        assertThat(checks.get(0).get("failuresTable").asText()).isEqualTo("audit_r.t__not_null_v");
        assertThat(checks.get(1).get("failuresTable").asText()).isEmpty();
        var f = javax.xml.parsers.DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        var doc = f.newDocumentBuilder().parse(new java.io.ByteArrayInputStream(r.toHtml().getBytes(StandardCharsets.UTF_8)));
        assertThat(doc.getDocumentElement().getTextContent()).contains("failing rows in audit_r.t__not_null_v");
        assertThatThrownBy(r::assertPassed).hasMessageContaining("failing rows of sr.t not_null_v in audit_r.t__not_null_v");
    }

    @Test
    void eachRunReplacesTheTableAndAPassingCheckDropsIt(DataSource ds) {
        dirty(ds, "rr");
        sql(ds, "create schema audit_rr");
        QualitySuite suite = QualitySuite.on(ds).storeFailures("audit_rr").table("rr.t", t -> t.notNull("v"));
        assertThat(suite.run().checks().get(0).failuresTable()).isEqualTo("audit_rr.t__not_null_v");
        assertThat(ids(ds, "audit_rr.t__not_null_v")).containsExactly("1", "2", "3");

        sql(ds, "update rr.t set v = 0 where id = 1");
        assertThat(suite.run().checks().get(0).failingRows()).isEqualTo(2);
        assertThat(ids(ds, "audit_rr.t__not_null_v")).containsExactly("2", "3");

        // a check that cannot run (here: a bad where) leaves the table of the last run that could
        QualityReport broken = QualitySuite.on(ds).storeFailures("audit_rr").table("rr.t", t -> t.notNull("v")
                .where("no_such_column > 0")).run();
        assertThat(broken.checks().get(0).status()).isEqualTo(Status.ERROR);
        assertThat(broken.checks().get(0).failuresTable()).isEmpty();
        assertThat(ids(ds, "audit_rr.t__not_null_v")).containsExactly("2", "3");

        sql(ds, "update rr.t set v = 0 where v is null");
        CheckResult passed = suite.run().checks().get(0);
        assertThat(passed.status()).isEqualTo(Status.PASS);
        assertThat(passed.failuresTable()).isEmpty();
        assertThat(strings(ds, "select count(*) from pg_tables where schemaname = 'audit_rr'")).containsExactly("0");
    }

    /**
     * As dbt's store_failures keeps what the test query returned whatever error_if / warn_if decide: a check that
     * passes under its threshold with failing rows keeps them; before, its table was dropped as if it found none.
     */
    @Test
    void aCheckPassingUnderItsThresholdKeepsItsFailingRowsAndDropsTheTableOnceItFindsNone(DataSource ds) {
        dirty(ds, "pt");
        sql(ds, "create schema audit_pt");
        QualitySuite suite = QualitySuite.on(ds).storeFailures("audit_pt")
                .table("pt.t", t -> t.notNull("v").warnIf(">5").errorIf(">5").notNull("id").threshold(Threshold.percent(50)));
        QualityReport r = suite.run();
        CheckResult v = r.check("pt.t", "not_null_v").orElseThrow();
        assertThat(v.status()).isEqualTo(Status.PASS);
        assertThat(v.failingRows()).isEqualTo(3);
        assertThat(v.failuresTable()).isEqualTo("audit_pt.t__not_null_v");
        assertThat(ids(ds, "audit_pt.t__not_null_v")).containsExactly("1", "2", "3");
        assertThat(r.check("pt.t", "not_null_id").orElseThrow().failuresTable()).isEmpty();
        assertThat(strings(ds, "select string_agg(tablename, ',') from pg_tables where schemaname = 'audit_pt'"))
                .containsExactly("t__not_null_v");
        r.assertPassed();

        sql(ds, "update pt.t set v = 0 where v is null");
        CheckResult clean = suite.run().check("pt.t", "not_null_v").orElseThrow();
        assertThat(clean.failingRows()).isZero();
        assertThat(clean.failuresTable()).isEmpty();
        assertThat(strings(ds, "select count(*) from pg_tables where schemaname = 'audit_pt'")).containsExactly("0");
    }

    /**
     * Two suites whose tables share a name in different schemas store into one failures schema. A run reads the
     * catalog before it takes the replacement's lock, so one that waited on the lock while the other run made the
     * table had found it missing: before, it then dropped the other check's table and stored its own rows there.
     */
    @Test
    void aTableAnotherCheckMadeWhileThisRunWaitedForTheLockIsLeftAsItIs(DataSource ds) throws Exception {
        dirty(ds, "ra");
        dirty(ds, "rb");
        sql(ds, "create schema audit_race", "update rb.t set v = 0 where id = 1");
        QualitySuite a = QualitySuite.on(ds).storeFailures("audit_race").table("ra.t", t -> t.notNull("v"));
        QualitySuite b = QualitySuite.on(ds).storeFailures("audit_race").table("rb.t", t -> t.notNull("v"));
        String lock = a.sql().stream().filter(x -> x.startsWith("select pg_advisory_xact_lock")).findFirst().orElseThrow();
        assertThat(b.sql()).contains(lock); // one failures table, one lock
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (Connection holder = ds.getConnection()) {
            holder.setAutoCommit(false);
            try (Statement st = holder.createStatement()) {
                st.execute(lock);
            }
            Future<QualityReport> waiting = pool.submit(() -> b.run());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!strings(ds, "select count(*) from pg_locks where locktype = 'advisory' and not granted").equals(List.of("1"))) {
                assertThat(System.nanoTime()).as("b waits on the lock").isLessThan(deadline);
                Thread.sleep(20);
            }
            CheckResult first = a.run(holder).checks().get(0);
            holder.commit();
            assertThat(first.failuresTable()).isEqualTo("audit_race.t__not_null_v");

            CheckResult second = waiting.get(30, TimeUnit.SECONDS).checks().get(0);
            assertThat(second.status()).isEqualTo(Status.FAIL);
            assertThat(second.failingRows()).isEqualTo(2);
            assertThat(second.failuresTable()).isEmpty();
            assertThat(second.message()).contains("failing rows of check not_null_v on rb.t not stored: audit_race.t__not_null_v"
                    + " was made meanwhile by another run, holding the failing rows of another check"
                    + " ('mds-quality failing rows of check not_null_v on ra.t'); it is left as it is");
        } finally {
            pool.shutdownNow();
        }
        assertThat(ids(ds, "audit_race.t__not_null_v")).containsExactly("1", "2", "3");
        assertThat(strings(ds, "select obj_description('audit_race.t__not_null_v'::regclass, 'pg_class')"))
                .containsExactly("mds-quality failing rows of check not_null_v on ra.t");
        // b's run left nothing behind: a later run of b still refuses the table, as it does a table it finds at once
        assertThat(b.run().checks().get(0).message()).contains("holds the failing rows of another check");
    }

    @Test
    void aMissingSchemaIsNamedInTheMessageOfEachFailedCheckAndChangesNothingElse(DataSource ds) {
        dirty(ds, "ms");
        QualityReport without = QualitySuite.on(ds).table("ms.t", checks("ms")).run();
        QualityReport with = QualitySuite.on(ds).storeFailures("no_such_schema").table("ms.t", checks("ms")).run();
        assertThat(statusesAndMessages(with)).isEqualTo(statusesAndMessages(without));
        assertThat(with.checks()).allSatisfy(c -> assertThat(c.failuresTable()).isEmpty());
        CheckResult nn = with.check("ms.t", "not_null_v").orElseThrow();
        assertThat(nn.message()).isEqualTo(without.check("ms.t", "not_null_v").orElseThrow().message()
                + "; failing rows of check not_null_v on ms.t not stored: schema \"no_such_schema\" does not exist"
                + " (create it, or give QualitySuite.storeFailures an existing schema)");
        assertThat(with.check("ms.t", "accepted_values_code").orElseThrow().message())
                .contains("failing rows of check accepted_values_code on ms.t not stored: schema \"no_such_schema\"");
        // a name with capitals, as an unquoted SQL name would be folded: the message says it is taken exactly
        sql(ds, "create schema if not exists audit_ms");
        assertThat(QualitySuite.on(ds).storeFailures("Audit_MS").table("ms.t", checks("ms")).run().check("ms.t", "not_null_v")
                .orElseThrow().message()).endsWith("not stored: schema \"Audit_MS\" does not exist (create it, or give"
                        + " QualitySuite.storeFailures an existing schema; the name is taken exactly as given, not folded to"
                        + " lower case as an unquoted SQL name is)");
        // a passing check says nothing about it
        assertThat(with.check("ms.t", "range_id").orElseThrow().message()).isEmpty();
        assertThat(with.check("ms.t", "row_count").orElseThrow().message()).isEqualTo("10 rows, expected >= 100");
        assertThat(strings(ds, "select count(*) from pg_namespace where nspname = 'no_such_schema'")).containsExactly("0");
    }

    @Test
    void inTheCallersTransactionTheTablesComeAndGoWithItAndAFailedStatementLeavesItUsable(DataSource ds) throws Exception {
        dirty(ds, "tx");
        sql(ds, "create schema audit_tx", "create role sf_writer", "grant usage on schema tx to sf_writer",
                "grant select on all tables in schema tx to sf_writer", "grant usage, create on schema audit_tx to sf_writer");
        QualitySuite suite = QualitySuite.create().storeFailures("audit_tx").table("tx.t", t -> t.notNull("v").unique("code"));
        // rolled back with the caller's transaction (write-audit-publish)
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            QualityReport r = suite.run(c);
            assertThat(r.checks()).allSatisfy(x -> assertThat(x.failuresTable()).startsWith("audit_tx.t__"));
            assertThat(scalar(c, "select count(*) from audit_tx.t__not_null_v")).isEqualTo(3L);
            c.rollback();
        }
        assertThat(strings(ds, "select count(*) from pg_tables where schemaname = 'audit_tx'")).containsExactly("0");

        // a table of an earlier run, owned by another role: sf_writer cannot drop it, the other check's table is stored
        sql(ds, "create table audit_tx.t__unique_code as select 1 as x",
                "comment on table audit_tx.t__unique_code is 'mds-quality failing rows of check unique_code on tx.t'");
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute("set local role sf_writer");
            }
            QualityReport r = suite.run(c);
            CheckResult unique = r.check("tx.t", "unique_code").orElseThrow();
            assertThat(unique.status()).isEqualTo(Status.FAIL);
            assertThat(unique.failuresTable()).isEmpty();
            assertThat(unique.message()).contains("failing rows of check unique_code on tx.t not stored in audit_tx.t__unique_code:",
                    "must be owner");
            assertThat(r.check("tx.t", "not_null_v").orElseThrow().failuresTable()).isEqualTo("audit_tx.t__not_null_v");
            // the transaction is usable, the other table is there, the old one untouched
            try (Statement st = c.createStatement()) {
                st.execute("reset role");
            }
            assertThat(scalar(c, "select count(*) from audit_tx.t__not_null_v")).isEqualTo(3L);
            assertThat(scalar(c, "select x from audit_tx.t__unique_code")).isEqualTo(1);
            c.commit();
        }
        assertThat(ids(ds, "audit_tx.t__not_null_v")).containsExactly("1", "2", "3");
    }

    @Test
    void aRelationOfThatNameNotMadeByMdsQualityIsNeverReplacedOrDropped(DataSource ds) {
        dirty(ds, "own");
        sql(ds, "create schema audit_own", "create table audit_own.t__not_null_v (precious text)",
                "insert into audit_own.t__not_null_v values ('keep me')",
                "create view audit_own.t__range_id as select 1 as x");
        QualityReport r = QualitySuite.on(ds).storeFailures("audit_own").table("own.t", t -> t.notNull("v").range("id", 1, 10)
                .unique("code")).run();
        CheckResult nn = r.check("own.t", "not_null_v").orElseThrow();
        assertThat(nn.status()).isEqualTo(Status.FAIL);
        assertThat(nn.failuresTable()).isEmpty();
        assertThat(nn.message()).contains("failing rows of check not_null_v on own.t not stored: audit_own.t__not_null_v"
                + " exists and was not made by mds-quality");
        assertThat(strings(ds, "select precious from audit_own.t__not_null_v")).containsExactly("keep me");
        // range_id passed: its namesake view is not dropped
        assertThat(strings(ds, "select x from audit_own.t__range_id")).containsExactly("1");
        assertThat(r.check("own.t", "unique_code").orElseThrow().failuresTable()).isEqualTo("audit_own.t__unique_code");
    }

    @Test
    void aFailuresTableOfAnotherSuitesCheckIsNeitherDroppedByAPassNorReplacedByAFailure(DataSource ds) {
        // two pipelines check a table named t in their own schemas, with the same check id, into one audit schema
        sql(ds, "create schema bronze", "create schema silver", "create schema audit_two",
                "create table bronze.t (id int, v int)", "insert into bronze.t values (1, null), (2, null)",
                "create table silver.t (id int, v int)", "insert into silver.t values (3, 3)");
        QualitySuite bronze = QualitySuite.on(ds).storeFailures("audit_two").table("bronze.t", t -> t.notNull("v"));
        QualitySuite silver = QualitySuite.on(ds).storeFailures("audit_two").table("silver.t", t -> t.notNull("v"));
        assertThat(bronze.run().checks().get(0).failuresTable()).isEqualTo("audit_two.t__not_null_v");

        // silver passes: bronze's failing rows stay (they were dropped)
        assertThat(silver.run().checks().get(0).status()).isEqualTo(Status.PASS);
        assertThat(ids(ds, "audit_two.t__not_null_v")).containsExactly("1", "2");

        // silver fails: bronze's rows are not replaced by silver's (they were, silently), and the message says why
        sql(ds, "insert into silver.t values (4, null)");
        CheckResult s = silver.run().checks().get(0);
        assertThat(s.status()).isEqualTo(Status.FAIL);
        assertThat(s.failuresTable()).isEmpty();
        assertThat(s.message()).contains("failing rows of check not_null_v on silver.t not stored: audit_two.t__not_null_v"
                + " holds the failing rows of another check ('mds-quality failing rows of check not_null_v on bronze.t')",
                "another id");
        assertThat(ids(ds, "audit_two.t__not_null_v")).containsExactly("1", "2");

        // bronze still replaces and drops its own table
        sql(ds, "update bronze.t set v = 0 where id = 1");
        assertThat(bronze.run().checks().get(0).failuresTable()).isEqualTo("audit_two.t__not_null_v");
        assertThat(ids(ds, "audit_two.t__not_null_v")).containsExactly("2");
        sql(ds, "update bronze.t set v = 0");
        assertThat(bronze.run().checks().get(0).status()).isEqualTo(Status.PASS);
        assertThat(strings(ds, "select count(*) from pg_tables where schemaname = 'audit_two'")).containsExactly("0");
        // and then silver may store its own
        assertThat(silver.run().checks().get(0).failuresTable()).isEqualTo("audit_two.t__not_null_v");
        assertThat(ids(ds, "audit_two.t__not_null_v")).containsExactly("4");
    }

    @Test
    void twoRunsStoringTheSameTableAtOnceBothStoreItTheSecondAfterTheFirstCommits(DataSource ds) throws Exception {
        dirty(ds, "cc");
        sql(ds, "create schema audit_cc");
        QualitySuite suite = QualitySuite.on(ds).storeFailures("audit_cc").table("cc.t", t -> t.notNull("v"));
        try (Connection first = ds.getConnection()) {
            first.setAutoCommit(false);
            assertThat(suite.run(first).checks().get(0).failuresTable()).isEqualTo("audit_cc.t__not_null_v");
            // the first run's transaction is still open: the second found no table either, and waits for it
            java.util.concurrent.CompletableFuture<QualityReport> second =
                    java.util.concurrent.CompletableFuture.supplyAsync(suite::run);
            long until = System.nanoTime() + 30_000_000_000L;
            while (strings(ds, "select count(*) from pg_stat_activity where datname = current_database()"
                    + " and wait_event_type = 'Lock'").equals(List.of("0")) && !second.isDone()) {
                assertThat(System.nanoTime()).as("the second run waits for a lock").isLessThan(until);
                Thread.onSpinWait();
            }
            sql(ds, "update cc.t set v = 0 where id = 1"); // the second run (REPEATABLE READ) saw rows 1-3 already
            first.commit();
            CheckResult c = second.get(30, java.util.concurrent.TimeUnit.SECONDS).checks().get(0);
            // before: "not stored in audit_cc.t__not_null_v: duplicate key value violates unique constraint pg_type_..."
            assertThat(c.message()).doesNotContain("not stored");
            assertThat(c.failuresTable()).isEqualTo("audit_cc.t__not_null_v");
        }
        assertThat(ids(ds, "audit_cc.t__not_null_v")).containsExactly("1", "2", "3");
    }

    @Test
    void inAutoCommitModeAReplacementThatFailsKeepsTheRowsOfTheRunBefore(DataSource ds) throws Exception {
        dirty(ds, "ac");
        sql(ds, "create schema audit_ac", "create role sf_auto", "grant usage on schema ac to sf_auto",
                "grant select on ac.t to sf_auto", "grant usage, create on schema audit_ac to sf_auto");
        QualitySuite suite = QualitySuite.create().storeFailures("audit_ac").table("ac.t", t -> t.notNull("v"));
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            try {
                assertThat(c.getAutoCommit()).isTrue();
                st.execute("set role sf_auto");
                assertThat(suite.run(c).checks().get(0).failuresTable()).isEqualTo("audit_ac.t__not_null_v");
                // the role still owns the table (it may drop it) but may no longer create one in the schema
                st.execute("reset role");
                st.execute("revoke create on schema audit_ac from sf_auto");
                st.execute("update ac.t set v = 0 where id = 1");
                st.execute("set role sf_auto");
                CheckResult r = suite.run(c).checks().get(0);
                assertThat(r.message()).contains("not stored in audit_ac.t__not_null_v", "permission denied for schema audit_ac");
                assertThat(c.getAutoCommit()).isTrue();
            } finally {
                st.execute("reset role");   // also when an assertion failed: the pool hands this session on
            }
        }
        // before: the drop had committed alone, the last run's rows were gone
        assertThat(ids(ds, "audit_ac.t__not_null_v")).containsExactly("1", "2", "3");
    }

    @Test
    void longOrSharedNamesAreCutAndEndInAStableHash(DataSource ds) {
        String longName = "a_rather_long_table_name_for_the_failures_of_checks_x";
        sql(ds, "create schema ln1", "create schema ln2", "create schema audit_ln",
                "create table ln1." + longName + " (id int primary key, v int)", "insert into ln1." + longName + " values (1, null)",
                "create table ln1.same (id int, v int)", "insert into ln1.same values (1, null)",
                "create table ln2.same (id int, v int)", "insert into ln2.same values (2, null)");
        QualitySuite suite = QualitySuite.on(ds).storeFailures("audit_ln")
                .table("ln1." + longName, t -> t.notNull("v"))
                .table("ln1.same", t -> t.notNull("v"))
                .table("ln2.same", t -> t.notNull("v"));
        QualityReport first = suite.run();
        QualityReport second = suite.run();
        List<String> names = new ArrayList<>();
        first.checks().forEach(c -> names.add(c.failuresTable()));
        assertThat(second.checks()).extracting(CheckResult::failuresTable).containsExactlyElementsOf(names);
        assertThat(names).doesNotHaveDuplicates().allSatisfy(n -> {
            assertThat(n).startsWith("audit_ln.").matches(".*_[0-9a-f]{8}");
            assertThat(n.substring("audit_ln.".length()).getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(63);
        });
        assertThat(names.get(0)).startsWith("audit_ln." + longName + "__"); // cut at 54 bytes, then _ and the hash
        assertThat(names.get(1)).startsWith("audit_ln.same__not_null_v_");
        assertThat(ids(ds, names.get(1))).containsExactly("1");
        assertThat(ids(ds, names.get(2))).containsExactly("2");
        assertThat(strings(ds, "select count(*) from pg_tables where schemaname = 'audit_ln'")).containsExactly("3");
    }

    @Test
    void whenASameNamedTableJoinsOrLeavesTheSuiteTheCheckTableUnderItsFormerNameIsDroppedNotLeftStale(DataSource ds) {
        sql(ds, "create schema sn1", "create schema sn2", "create schema audit_sn",
                "create table sn1.t (id int, v int)", "insert into sn1.t values (1, null)",
                "create table sn2.t (id int, v int)", "insert into sn2.t values (2, null)");
        QualitySuite alone = QualitySuite.on(ds).storeFailures("audit_sn").table("sn1.t", t -> t.notNull("v"));
        QualitySuite both = alone.table("sn2.t", t -> t.notNull("v"));
        assertThat(alone.run().checks().get(0).failuresTable()).isEqualTo("audit_sn.t__not_null_v");

        // sn2.t joins: both names are hashed; before, audit_sn.t__not_null_v stayed forever with sn1.t's rows of then
        sql(ds, "update sn1.t set v = 0", "insert into sn1.t values (3, null)");
        List<String> hashed = new ArrayList<>();
        both.run().checks().forEach(c -> hashed.add(c.failuresTable()));
        assertThat(hashed).allSatisfy(n -> assertThat(n).matches("audit_sn\\.t__not_null_v_[0-9a-f]{8}"));
        assertThat(ids(ds, hashed.get(0))).containsExactly("3");
        assertThat(strings(ds, "select tablename from pg_tables where schemaname = 'audit_sn' order by 1"))
                .containsExactlyInAnyOrder(hashed.get(0).substring(9), hashed.get(1).substring(9));

        // sn2.t leaves: sn1.t's check is back under its plain name, its hashed table goes, sn2.t's is left alone
        assertThat(alone.run().checks().get(0).failuresTable()).isEqualTo("audit_sn.t__not_null_v");
        assertThat(strings(ds, "select tablename from pg_tables where schemaname = 'audit_sn' order by 1"))
                .containsExactlyInAnyOrder("t__not_null_v", hashed.get(1).substring(9));
        // a pass drops it under either name
        sql(ds, "update sn1.t set v = 0");
        both.run();
        assertThat(strings(ds, "select count(*) from pg_tables where schemaname = 'audit_sn' and tablename like 't__not_null_v%'"))
                .containsExactly("1");
        assertThat(ids(ds, hashed.get(1))).containsExactly("2");
    }

    @Test
    void sqlShowsTheStatementsThatStoreFailuresBeforeTheyRunAndTheScanIsUnchanged(DataSource ds) throws Exception {
        dirty(ds, "sq");
        sql(ds, "create schema audit_sq");
        Consumer<TableChecks> checks = t -> t.notNull("v").unique("code").relationships("pid", "sq.parent", "pid");
        List<String> plain = QualitySuite.on(ds).table("sq.t", checks).sql();
        List<String> shown = QualitySuite.on(ds).storeFailures("audit_sq").table("sq.t", checks).sql();
        assertThat(shown.subList(0, plain.size())).isEqualTo(plain);
        assertThat(shown.subList(plain.size(), shown.size())).containsExactly(
                "select pg_advisory_xact_lock(hashtext('mds-quality failing rows of check '),"
                        + " hashtext('\"audit_sq\".\"t__not_null_v\"'))",
                "drop table if exists \"audit_sq\".\"t__not_null_v\"",
                "create table \"audit_sq\".\"t__not_null_v\" as select * from \"sq\".\"t\" where (\"v\" is not distinct from null)",
                "comment on table \"audit_sq\".\"t__not_null_v\" is 'mds-quality failing rows of check not_null_v on sq.t'",
                "select pg_advisory_xact_lock(hashtext('mds-quality failing rows of check '),"
                        + " hashtext('\"audit_sq\".\"t__unique_code\"'))",
                "drop table if exists \"audit_sq\".\"t__unique_code\"",
                "create table \"audit_sq\".\"t__unique_code\" as select * from \"sq\".\"t\" where \"code\" in (select \"code\""
                        + " from \"sq\".\"t\" where \"code\" is distinct from null group by \"code\" having count(*) > 1)",
                "comment on table \"audit_sq\".\"t__unique_code\" is 'mds-quality failing rows of check unique_code on sq.t'",
                "select pg_advisory_xact_lock(hashtext('mds-quality failing rows of check '),"
                        + " hashtext('\"audit_sq\".\"t__relationships_pid\"'))",
                "drop table if exists \"audit_sq\".\"t__relationships_pid\"",
                "create table \"audit_sq\".\"t__relationships_pid\" as select * from \"sq\".\"t\" where \"pid\" is distinct"
                        + " from null and not exists (select 1 from \"sq\".\"parent\" p where p.\"pid\" = \"sq\".\"t\".\"pid\")",
                "comment on table \"audit_sq\".\"t__relationships_pid\" is 'mds-quality failing rows of check relationships_pid on sq.t'");
        // what is shown is what runs: the shown statements leave the tables a run leaves
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            for (String s : shown.subList(plain.size(), shown.size())) {
                st.execute(s);
            }
        }
        List<String> byHand = new ArrayList<>();
        for (String t : List.of("t__not_null_v", "t__unique_code", "t__relationships_pid")) {
            byHand.addAll(ids(ds, "audit_sq." + t));
        }
        QualityReport r = QualitySuite.on(ds).storeFailures("audit_sq").table("sq.t", checks).run();
        List<String> byRun = new ArrayList<>();
        for (CheckResult c : r.checks()) {
            byRun.addAll(ids(ds, c.failuresTable()));
        }
        assertThat(byRun).isEqualTo(byHand).containsExactly("1", "2", "3", "4", "5", "7", "8");
        // without a data source, the plan shows them too
        assertThat(QualitySuite.create().storeFailures("audit_sq").table("sq.t", t -> t.notNull("v")).sql())
                .containsSubsequence("select pg_advisory_xact_lock(hashtext('mds-quality failing rows of check '),"
                        + " hashtext('\"audit_sq\".\"t__not_null_v\"'))", "drop table if exists \"audit_sq\".\"t__not_null_v\"");
    }

    /**
     * sql() is the statements a run executes, in its order: recorded on the connection of a run (every statement the
     * driver is given), those that sql() shows are exactly sql(), in the same order, lock first. Before, sql() left
     * out the advisory lock each replacement takes first and the drop of a check's table under its former name, and
     * showed statements for a table another check owns and for a missing schema, none of which a run executes.
     */
    @Test
    void sqlListsTheStatementsARunExecutesInItsOrderTheLockFirst(DataSource ds) throws Exception {
        sql(ds, "create schema so1", "create schema so2", "create schema audit_so",
                "create table so1.t (id int, v int, code text)", "insert into so1.t values (1, null, 'a'), (2, 2, 'a')",
                "create table so2.t (id int, v int)", "insert into so2.t values (3, null)",
                // a table of that name another module made: never touched, so no statement for it
                "create table audit_so.\"t__unique_code_\" (x int)");
        QualitySuite alone = QualitySuite.create().storeFailures("audit_so").table("so1.t", t -> t.notNull("v"));
        try (Connection c = ds.getConnection()) {
            alone.run(c); // audit_so.t__not_null_v: so1.t's not_null_v under its plain name
        }
        QualitySuite both = QualitySuite.create().storeFailures("audit_so")
                .table("so1.t", t -> t.notNull("v").unique("code").id("unique_code_").range("id", 1, 1))
                .table("so2.t", t -> t.notNull("v"));
        try (Connection c = ds.getConnection()) {
            List<String> shown = both.sql(c);
            String lock = "select pg_advisory_xact_lock(hashtext('mds-quality failing rows of check '), hashtext(";
            assertThat(shown.stream().filter(x -> x.startsWith(lock)).toList()).hasSize(3); // not unique_code_'s
            // so1.t's not_null_v is hashed now (so2.t shares its name): lock, its former table, then the replacement
            int at = shown.indexOf(shown.stream().filter(x -> x.startsWith(lock) && x.contains("t__not_null_v_")).findFirst()
                    .orElseThrow());
            assertThat(shown.get(at + 1)).isEqualTo("drop table if exists \"audit_so\".\"t__not_null_v\"");
            assertThat(shown.get(at + 2)).matches("drop table if exists \"audit_so\"\\.\"t__not_null_v_[0-9a-f]{8}\"");
            assertThat(shown.get(at + 3)).startsWith("create table \"audit_so\".\"t__not_null_v_");
            assertThat(shown.get(at + 4)).startsWith("comment on table \"audit_so\".\"t__not_null_v_");

            List<String> executed = new ArrayList<>();
            QualityReport r = both.samples(0).run(recording(c, executed));
            assertThat(r.checks()).extracting(CheckResult::status)
                    .containsExactly(Status.FAIL, Status.FAIL, Status.FAIL, Status.FAIL);
            assertThat(executed.stream().filter(shown::contains).toList()).isEqualTo(shown);
            assertThat(executed.stream().filter(x -> x.startsWith(lock)).toList()).hasSize(3);
        }
        // a missing failures schema: the run stores nothing, so nothing is shown
        try (Connection c = ds.getConnection()) {
            assertThat(QualitySuite.create().storeFailures("no_such_audit").table("so1.t", t -> t.notNull("v")).sql(c))
                    .isEqualTo(QualitySuite.create().table("so1.t", t -> t.notNull("v")).sql(c));
        }
    }

    /** {@code c}, adding to {@code executed} the text of every statement it is given, in order. */
    private static Connection recording(Connection c, List<String> executed) {
        return (Connection) java.lang.reflect.Proxy.newProxyInstance(Connection.class.getClassLoader(),
                new Class<?>[] {Connection.class}, (proxy, method, args) -> {
                    if (method.getName().startsWith("prepare") && args != null && args[0] instanceof String s) {
                        executed.add(s);
                    }
                    Object out = invoke(method, c, args);
                    if (out instanceof Statement st && !(out instanceof java.sql.PreparedStatement)) {
                        return java.lang.reflect.Proxy.newProxyInstance(Statement.class.getClassLoader(),
                                new Class<?>[] {Statement.class}, (p, m, a) -> {
                                    if (m.getName().startsWith("execute") && a != null && a[0] instanceof String s) {
                                        executed.add(s);
                                    }
                                    return invoke(m, st, a);
                                });
                    }
                    return out;
                });
    }

    private static Object invoke(java.lang.reflect.Method m, Object target, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
        }
    }

    @Test
    void aSchemaNameThatCannotBeAnIdentifierIsRefusedAtOnce() {
        QualitySuite suite = QualitySuite.create();
        assertThatThrownBy(() -> suite.storeFailures("")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("storeFailures");
        assertThatThrownBy(() -> suite.storeFailures("x".repeat(64))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("storeFailures").hasMessageContaining("63");
        assertThatThrownBy(() -> suite.storeFailures(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("schema");
    }

    private static Object scalar(Connection c, String query) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(query)) {
            rs.next();
            return rs.getObject(1);
        }
    }
}
