package dev.mds.quality;

import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mds.core.MdsException;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.Sessions;
import java.io.ByteArrayInputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

/** Findings of an adversarial review as a user of dbt tests and Great Expectations, each fixed. */
@MdsPostgres
class AdversarialReviewTest {

    private static CheckResult check(QualityReport r, String table, String id) {
        return r.check(table, id).orElseThrow(() -> new AssertionError("no check " + table + " " + id));
    }

    /**
     * pgjdbc reads a money value as a double and fails on {@code $1,000.50}: one money column among the sampled ones
     * lost every sample of the check. Numeric NaN and infinities are text; JSON keeps every value.
     */
    @Test
    void samplesOfATableWithMoneyNumericInfinityAndFloatNanKeepEveryValue(DataSource ds) throws Exception {
        sql(ds, "create table priced (id int primary key, price money, ratio numeric, score float8, qty int)",
                "insert into priced values (1, 1000.5, 'Infinity', 'NaN', -1), (2, -3, 'NaN', '-Infinity', -2),"
                        + " (3, 0, 1e-20, 1.5, -3), (4, 1, 1, 1, 1)");
        QualityReport r = QualitySuite.on(ds).table("priced", t -> t.key("id", "price", "ratio", "score")
                .range("qty", 0, null)).run();
        CheckResult range = check(r, "public.priced", "range_qty");
        assertThat(range.message()).doesNotContain("samples unavailable");
        List<Map<String, Object>> samples = range.samples();
        assertThat(samples).hasSize(3);
        List<String> prices = strings(ds, "select price::text from priced order by id"); // $1,000.50 under lc_monetary C
        assertThat(samples.get(0)).containsEntry("id", 1).containsEntry("price", prices.get(0))
                .containsEntry("ratio", "Infinity").containsEntry("score", Double.NaN).containsEntry("qty", -1);
        assertThat(samples.get(1)).containsEntry("price", prices.get(1)).containsEntry("ratio", "NaN")
                .containsEntry("score", Double.NEGATIVE_INFINITY);
        assertThat(samples.get(2)).containsEntry("ratio", new BigDecimal("1E-20")).containsEntry("score", 1.5);

        JsonNode json = new ObjectMapper().readTree(r.toJson());
        JsonNode first = json.get("checks").get(0).get("samples").get(0);
        assertThat(first.get("price").asText()).isEqualTo(prices.get(0));
        assertThat(first.get("ratio").asText()).isEqualTo("Infinity");
        assertThat(first.get("score").asText()).isEqualTo("NaN");
        assertThat(json.get("checks").get(0).get("samples").get(2).get("ratio").decimalValue())
                .isEqualByComparingTo("1E-20");
    }

    /**
     * A unique key column named like the samples' count ("duplicates"): the ORDER BY of the samples query was
     * ambiguous, so the failed check had no samples.
     */
    @Test
    void uniqueSamplesOfAKeyColumnNamedDuplicates(DataSource ds) {
        sql(ds, "create table dup (id int primary key, duplicates text, duplicates_ int)",
                "insert into dup values (1, 'x', 7), (2, 'x', 7), (3, 'y', 7), (4, 'y', 8)");
        QualityReport r = QualitySuite.on(ds).table("dup", t -> t.unique("duplicates").unique("duplicates", "duplicates_"))
                .run();
        CheckResult one = check(r, "public.dup", "unique_duplicates");
        assertThat(one.message()).doesNotContain("samples unavailable");
        assertThat(one.samples()).containsExactly(Map.of("duplicates", "x", "duplicates_", 2L),
                Map.of("duplicates", "y", "duplicates_", 2L));
        CheckResult two = check(r, "public.dup", "unique_duplicates_duplicates_");
        assertThat(two.samples()).containsExactly(Map.of("duplicates", "x", "duplicates_", 7, "duplicates__", 2L));
    }

    /**
     * Write-audit-publish with a history table the run cannot write (here: another shape): the run throws, and the
     * caller's transaction was left aborted, so the loader could not even record the failure before rolling back.
     */
    @Test
    void aHistoryTableThatCannotBeWrittenThrowsAndLeavesTheCallersTransactionUsable(DataSource ds) throws Exception {
        sql(ds, "create table loaded (id int)", "create table wrong_history (x int)", "create table load_log (note text)");
        QualitySuite audit = QualitySuite.create().history("wrong_history").table("loaded", t -> t.notNull("id"));
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute("insert into loaded values (1)");
            }
            assertThatThrownBy(() -> audit.run(c)).isInstanceOf(MdsException.class)
                    .hasMessageContaining("column \"run_id\" of relation \"wrong_history\" does not exist");
            try (Statement st = c.createStatement()) {
                st.execute("insert into load_log values ('audit failed')");
            }
            c.commit();
        }
        assertThat(strings(ds, "select id::text from loaded")).containsExactly("1");
        assertThat(strings(ds, "select note from load_log")).containsExactly("audit failed");
        assertThat(strings(ds, "select count(*)::text from wrong_history")).containsExactly("0");
    }

    /**
     * A multi-line check id and sample values holding line breaks, a tab and an ANSI escape sequence: the console
     * table printed them raw, so one check took several lines, a sample row spilled over lines and the terminal
     * obeyed the escape. A very long id with an emoji is cut without splitting the surrogate pair.
     */
    @Test
    void consoleTableKeepsEachCheckAndEachSampleOnOneLineAndPrintsNoControlCharacters(DataSource ds) {
        sql(ds, "create table notes (id int primary key, v text)",
                "insert into notes values (1, 'line1' || chr(10) || 'line2' || chr(27) || '[2J' || chr(9) || 'end')");
        String longId = "x".repeat(68) + "\uD83D\uDE00" + "tail";
        QualityReport r = QualitySuite.on(ds).table("notes", t -> t.acceptedValues("v", "ok")
                .expression("multi\nline", "v = 'ok'").expression(longId, "v = 'ok'")).run();
        String console = r.toConsoleTable();
        assertThat(console).doesNotContain("\u001b", "\t", "\r");
        List<String> lines = console.lines().toList();
        assertThat(lines.stream().filter(l -> l.startsWith("public.notes"))).hasSize(3)
                .anySatisfy(l -> assertThat(l).contains("multi line"))
                .anySatisfy(l -> assertThat(l).contains("x".repeat(68) + "…"));
        assertThat(lines).contains("  {id=1, v=line1\\nline2\\u001b[2J\\tend}", "samples of public.notes multi\\nline:");
        // no half of a surrogate pair, which UTF-8 cannot encode
        assertThat(new String(console.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8)).isEqualTo(console);
    }

    /**
     * The session dies while a unique check's first query runs: putting the planner setting back then failed on the
     * closed connection, that failure hid the server's reason, and the run went on to report the check (and the
     * following ones) as ERROR "connection has been closed" instead of stopping with why.
     */
    @Test
    void aSessionThatDiesDuringAUniqueCheckStopsTheRunWithTheServersReason(DataSource ds) throws Exception {
        sql(ds, "create table dies (id int, code text)", "insert into dies values (1, 'a')");
        QualitySuite suite = QualitySuite.create().table("dies", t -> t.unique("code").where("pg_sleep(30) is not null"));
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            CompletableFuture<QualityReport> run = CompletableFuture.supplyAsync(() -> suite.run(c));
            Sessions.terminateWhenRunning(ds, "pg_sleep(30)");
            Throwable thrown = catchThrowable(run::join);
            assertThat(thrown).isInstanceOf(CompletionException.class);
            assertThat(thrown.getCause()).isInstanceOf(MdsException.class)
                    .hasMessageContaining("terminating connection")
                    .hasMessageNotContaining("has been closed");
        }
    }

    /**
     * The session is ended while idle between two statements of a run (an idle-in-transaction timeout, an admin's
     * pg_terminate_backend): the next SAVEPOINT failed outside the session-lost handling, so each check became ERROR
     * ("connection has been closed") and run(connection) returned a report instead of stopping with the server's
     * reason. The connection here is a real one whose backend is terminated just before the scan's savepoint.
     */
    @Test
    void aSessionEndedBetweenTwoStatementsStopsTheRunWithTheServersReason(DataSource ds) throws Exception {
        sql(ds, "create table idle_end (id int)", "insert into idle_end values (1)");
        QualitySuite suite = QualitySuite.create().table("idle_end", t -> t.notNull("id").rowCount(Bounds.atLeast(1)));
        try (Connection real = ds.getConnection()) {
            real.setAutoCommit(false);
            long pid = ((Number) scalar(real, "select pg_backend_pid()")).longValue();
            AtomicInteger savepoints = new AtomicInteger();
            Connection hooked = (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(),
                    new Class<?>[] {Connection.class}, (proxy, method, args) -> {
                        // the first savepoint guards the catalog read, the second the scan
                        if (method.getName().equals("setSavepoint") && savepoints.incrementAndGet() == 2) {
                            sql(ds, "select pg_terminate_backend(" + pid + ", 10000)");
                        }
                        try {
                            return method.invoke(real, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
            assertThatThrownBy(() -> suite.run(hooked)).isInstanceOf(MdsException.class)
                    .hasMessageContaining("terminating connection")
                    .hasMessageNotContaining("has been closed");
        }
    }

    /**
     * sql() of a suite without a data source showed a unique check's grouping query, which a run only reaches when
     * the fingerprint pass it runs first finds a possible duplicate: for a table with no constraints it now shows
     * what a run executes first, the same as sql() with the catalog read.
     */
    @Test
    void sqlWithoutADataSourceShowsTheStatementsARunExecutesFirst(DataSource ds) {
        sql(ds, "create table planned (id int, code text, n int)", "create table planned_parent (id int)");
        java.util.function.Consumer<TableChecks> checks = t -> t.notNull("id").unique("code", "n")
                .relationships("id", "planned_parent", "id").where("n > 0");
        List<String> planned = QualitySuite.create().table("planned", checks).sql();
        assertThat(planned).hasSize(3).isEqualTo(QualitySuite.on(ds).table("planned", checks).sql());
        assertThat(planned.get(1)).contains("count(distinct fp)");
    }

    /**
     * A NUL character (or half a surrogate pair) in a value, pattern, condition or check id: in a literal it failed
     * the whole run with an IllegalArgumentException naming no check; in an expression or where(...) it broke the
     * protocol and the run stopped as if the session were lost; in an id it failed the history insert. Now each is
     * refused where it is declared, naming the check.
     */
    @Test
    void textPostgresCannotReceiveIsRefusedWhereItIsDeclared(DataSource ds) {
        QualitySuite suite = QualitySuite.on(ds);
        Map<String, java.util.function.Consumer<TableChecks>> bad = new java.util.LinkedHashMap<>();
        bad.put("acceptedValues(c)", t -> t.acceptedValues("c", "a", "b\u0000"));
        bad.put("matches(c)", t -> t.matches("c", "^a\u0000"));
        bad.put("range(c)", t -> t.range("c", "a\u0000", null));
        bad.put("expression(e)", t -> t.expression("e", "c = 'a'\u0000 or true"));
        bad.put("where", t -> t.notNull("c").where("c = 'a'\u0000"));
        bad.put("check id", t -> t.notNull("c").id("x\u0000y"));
        bad.put("acceptedValues(d)", t -> t.acceptedValues("d", "half \uD800 a pair"));
        bad.forEach((where, checks) -> assertThatThrownBy(() -> suite.table("nul", checks))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith(where + ": "));
    }

    /**
     * A table with inheritance children (legacy partitioning, TimescaleDB chunks): a query of it reads the
     * children's rows, which its unique indexes do not cover, yet the unique check passed as "guaranteed by unique
     * index" with duplicates in them. A partitioned table's index still stands in for the check.
     */
    @Test
    void uniqueIndexOfATableWithInheritanceChildrenDoesNotStandInForTheCheck(DataSource ds) {
        sql(ds, "create table events (id int primary key, code text unique)",
                "create table events_2024 () inherits (events)",
                "insert into events values (1, 'a')", "insert into events_2024 values (1, 'a'), (2, 'b'), (2, 'c')",
                "create table parts (id int, k int, primary key (id, k)) partition by list (k)",
                "create table parts_1 partition of parts for values in (1)", "insert into parts values (1, 1), (2, 1)");
        QualityReport r = QualitySuite.on(ds).table("events", t -> t.unique("id").unique("code"))
                .table("parts", t -> t.unique("id", "k")).run();
        assertThat(check(r, "public.events", "unique_id").status()).isEqualTo(Status.FAIL);
        assertThat(check(r, "public.events", "unique_id").failingRows()).isEqualTo(4);
        assertThat(check(r, "public.events", "unique_code").failingRows()).isEqualTo(2);
        assertThat(check(r, "public.parts", "unique_id_k").observed()).isEqualTo("guaranteed by unique index parts_pkey");
    }

    /** A table of no columns has rows to count, but was reported as not existing. */
    @Test
    void aTableWithNoColumnsIsCountedNotReportedMissing(DataSource ds) {
        sql(ds, "create table no_columns ()", "insert into no_columns default values", "insert into no_columns default values");
        QualityReport r = QualitySuite.on(ds).table("no_columns", t -> t.rowCount(Bounds.exactly(2)).expression("e", "true"))
                .table("no_such_table", t -> t.rowCount(Bounds.atLeast(0))).run();
        assertThat(check(r, "public.no_columns", "row_count").status()).isEqualTo(Status.PASS);
        assertThat(check(r, "public.no_columns", "e").status()).isEqualTo(Status.PASS);
        assertThat(check(r, "public.no_such_table", "row_count").message()).contains("does not exist");
    }

    /**
     * The table's scan fails for a reason that is about no check (here a lock_timeout: another session holds an
     * ACCESS EXCLUSIVE lock; a statement_timeout or cancel is alike): every check was then run alone to find the
     * culprit, each waiting out the same timeout again, so the table cost (checks + 1) timeouts; a unique check's
     * first pass was followed by its grouping query. Now its checks are ERROR with the reason after the one scan.
     */
    @Test
    void aScanThatTimesOutIsNotRetriedOnceForEachOfItsChecks(DataSource ds) throws Exception {
        sql(ds, "create table locked (id int, v text)", "insert into locked values (1, 'a')");
        QualitySuite suite = QualitySuite.create().table("locked", t -> t.notNull("id", "v").acceptedValues("v", "a")
                .rowCount(Bounds.atLeast(1)).unique("v"));
        try (Connection holder = ds.getConnection(); Connection c = ds.getConnection()) {
            holder.setAutoCommit(false);
            try (Statement st = holder.createStatement()) {
                st.execute("lock table locked in access exclusive mode");
            }
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute("set local lock_timeout = '100ms'");
            }
            QualityReport r = suite.run(c);
            assertThat(r.checks()).hasSize(5).allSatisfy(x -> {
                assertThat(x.status()).isEqualTo(Status.ERROR);
                assertThat(x.message()).contains("lock timeout");
            });
            assertThat(r.queries()).isEqualTo(2); // the scan, and the unique check's first pass (not also its grouping)
            holder.rollback();
            c.rollback();
        }
    }

    /** Sample values of jsonb, array, bytea, interval and infinite timestamps go through JSON and HTML unchanged. */
    @Test
    void oddSampleValuesRoundTripThroughJsonAndHtml(DataSource ds) throws Exception {
        sql(ds, "create table odd_values (id bigint primary key, j jsonb, a text[], b bytea, i interval, ts timestamptz,"
                + " big numeric, bad int)",
                "insert into odd_values values (9223372036854775807, '{\"k\": [1, \"<x>&\"]}', '{\"a,b\",NULL}', '\\x00ff',"
                        + " '-1 year 2 days', 'infinity', 123456789012345678901234567890.123, -1)");
        QualityReport r = QualitySuite.on(ds).table("odd_values", t -> t.key("id", "j", "a", "b", "i", "ts", "big")
                .range("bad", 0, null)).run();
        // a numeric is a JSON number with every digit (read it as BigDecimal to keep them)
        JsonNode sample = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .readTree(r.toJson()).get("checks").get(0).get("samples").get(0);
        assertThat(sample.get("id").asLong()).isEqualTo(Long.MAX_VALUE);
        assertThat(sample.get("j").asText()).isEqualTo("{\"k\": [1, \"<x>&\"]}");
        assertThat(sample.get("a").asText()).isEqualTo("{\"a,b\",NULL}");
        assertThat(sample.get("b").asText()).isEqualTo("\\x00ff");
        assertThat(sample.get("i").asText()).isEqualTo("-1 years +2 days");
        assertThat(sample.get("ts").asText()).isEqualTo("infinity");
        assertThat(sample.get("big").decimalValue()).isEqualByComparingTo("123456789012345678901234567890.123");

        Document page = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(r.toHtml().getBytes(StandardCharsets.UTF_8)));
        assertThat(page.getDocumentElement().getTextContent()).contains("{\"k\": [1, \"<x>&\"]}", "{\"a,b\",NULL}",
                "\\x00ff", "-1 years +2 days", "123456789012345678901234567890.123");
    }

    /**
     * A composite-typed column: not_null counts SQL NULLs as a NOT NULL constraint does (a row value whose fields
     * are all NULL is not NULL), but its samples asked "is null", which is true for that row value too, so they
     * showed a row the count did not count.
     */
    @Test
    void notNullSamplesOfACompositeColumnAreTheRowsItCounts(DataSource ds) {
        sql(ds, "create type money_pair as (amount int, currency text)",
                "create table paired (id int primary key, p money_pair)",
                "insert into paired values (1, row(null, null)), (2, null), (3, row(1, 'EUR'))");
        QualityReport r = QualitySuite.on(ds).table("paired", t -> t.notNull("p")).run();
        CheckResult p = check(r, "public.paired", "not_null_p");
        assertThat(p.failingRows()).isEqualTo(1);
        assertThat(p.samples()).hasSize(1);
        assertThat(p.samples().get(0)).containsEntry("id", 2).containsEntry("p", null);
    }

    /**
     * Hostile names everywhere the history goes: a history table and schema with quotes, spaces and an apostrophe,
     * a checked table of 63 bytes with a quote and accents, a check id with a quote; the anomaly reads back the runs.
     */
    @Test
    void historyAndAnomalyWorkWithHostileNamesOf63Bytes(DataSource ds) {
        String table = "T\u00e4\"b'le " + "\u00e9".repeat(27);
        String quoted = "\"Sch ema\"\"\".\"" + table.replace("\"", "\"\"") + "\"";
        assertThat(table.getBytes(StandardCharsets.UTF_8)).hasSize(63);
        sql(ds, "create schema \"Sch ema\"\"\"", "create table " + quoted + " (\"Id\" int)",
                "insert into " + quoted + " select generate_series(1, 10)");
        QualitySuite suite = QualitySuite.on(ds).history("\"Hist \"\"ory\".\"Ru ns'\"")
                .table(quoted, t -> t.notNull("Id").id("id \"required\"").rowCountAnomaly(1, 5));
        suite.run();
        suite.run();
        sql(ds, "insert into " + quoted + " select generate_series(11, 30)");
        QualityReport third = suite.run();
        String name = third.checks().get(0).table();
        assertThat(check(third, name, "id \"required\"").status()).isEqualTo(Status.PASS);
        CheckResult anomaly = check(third, name, "row_count_anomaly");
        assertThat(anomaly.status()).isEqualTo(Status.FAIL);
        assertThat(anomaly.observed()).startsWith("30 rows; last 2 runs mean 10.0");
        assertThat(strings(ds, "select distinct check_id from \"Hist \"\"ory\".\"Ru ns'\" order by 1"))
                .containsExactly("id \"required\"", "row_count_anomaly");
    }

    /**
     * A role granted only some columns: the checks on a column it may not read are ERROR naming the permission, the
     * others (row count and an expression on granted columns included) are computed, samples too, and the caller's
     * transaction stays usable.
     */
    @Test
    void columnsTheRoleMayNotReadAreErrorsWhileItsOtherColumnsAreChecked(DataSource ds) throws Exception {
        sql(ds, "create table partly (id int primary key, a int, secret text)",
                "insert into partly values (1, null, 's'), (2, 2, null)",
                "create role partly_reader", "grant select (id, a) on partly to partly_reader");
        QualitySuite suite = QualitySuite.create().table("partly", t -> t.notNull("a", "secret").unique("secret")
                .rowCount(Bounds.atLeast(1)).expression("a_positive", "a > 0"));
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute("set local role partly_reader");
            }
            QualityReport r = suite.run(c);
            Map<String, Status> statuses = new java.util.LinkedHashMap<>();
            r.checks().forEach(x -> statuses.put(x.id(), x.status()));
            assertThat(statuses).containsExactly(Map.entry("not_null_a", Status.FAIL),
                    Map.entry("not_null_secret", Status.ERROR), Map.entry("unique_secret", Status.ERROR),
                    Map.entry("row_count", Status.PASS), Map.entry("a_positive", Status.PASS));
            assertThat(r.withStatus(Status.ERROR)).allSatisfy(x -> assertThat(x.message()).contains("permission denied"));
            assertThat(check(r, "public.partly", "not_null_a").samples()).hasSize(1);
            assertThat(scalar(c, "select count(*) from partly")).isEqualTo(2L);
            c.rollback();
        }
    }

    private static Object scalar(Connection c, String query) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(query)) {
            rs.next();
            return rs.getObject(1);
        }
    }
}
