package dev.mds.quality;

import static dev.mds.testing.TestSql.sql;
import static dev.mds.quality.Bounds.atLeast;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import dev.mds.testing.MdsPostgres;

@MdsPostgres
class QualitySuiteTest {

    /** The session's enable_presorted_aggregate, or null on a server without it. */
    private static String presortedAggregate(Connection c) throws Exception {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select current_setting('enable_presorted_aggregate', true)")) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** 10 clean rows in {@code schema.t}, plus a parent table {@code schema.customers}. */
    static void cleanTables(DataSource ds, String schema) throws Exception {
        sql(ds, "create schema " + schema,
                "create table " + schema + ".customers (customer_id int primary key)",
                "insert into " + schema + ".customers select g from generate_series(1, 5) g",
                "create table " + schema + ".t (id int primary key, customer_id int, currency text, quantity int,"
                        + " email text, start_date date, end_date date, loaded_at timestamptz)",
                "insert into " + schema + ".t select g, 1 + g % 5, (array['EUR','USD','GBP'])[1 + g % 3], g,"
                        + " 'u' || g || '@x.org', date '2024-01-01', date '2024-01-02', now() - interval '1 minute'"
                        + " from generate_series(1, 10) g");
    }

    @Test
    void rowLevelChecksOfOneTableRunAsOneQueryAndUniqueAndRelationshipsAddOneEach(DataSource ds) throws Exception {
        cleanTables(ds, "one");
        Consumer<TableChecks> rowLevel = t -> t
                .notNull("id", "customer_id")
                .acceptedValues("currency", "EUR", "USD", "GBP")
                .range("quantity", 1, null)
                .matches("email", "^[^@]+@[^@]+$")
                .rowCount(atLeast(1))
                .freshness("loaded_at", Duration.ofHours(2))
                .expression("valid_dates", "end_date >= start_date");
        QualityReport scanOnly = QualitySuite.on(ds).table("one.t", rowLevel).run();
        assertThat(scanOnly.checks()).hasSize(8).allMatch(c -> c.status() == Status.PASS);
        assertThat(scanOnly.queries()).isEqualTo(1);
        assertThat(scanOnly.checks().get(0).sql()).startsWith("select count(*) as n");
        assertThat(scanOnly.passed()).isTrue();
        // what sql() shows before a run is exactly what the run executed
        QualitySuite shown = QualitySuite.on(ds).table("one.t", rowLevel);
        assertThat(shown.sql()).containsExactly(scanOnly.checks().get(0).sql());

        QualityReport all = QualitySuite.on(ds).table("one.t", t -> t
                .notNull("id").unique("id").unique("customer_id", "currency", "quantity")
                .relationships("customer_id", "one.customers", "customer_id"))
                .run();
        assertThat(all.checks()).allMatch(c -> c.status() == Status.PASS, "all pass");
        // the primary key guarantees unique(id): no query; the composite key needs its fingerprint pass
        assertThat(all.check("one.t", "unique_id").orElseThrow().observed()).isEqualTo("guaranteed by unique index one.t_pkey");
        assertThat(all.queries()).isEqualTo(3);
        assertThat(all.checks()).extracting(CheckResult::id)
                .containsExactly("not_null_id", "unique_id", "unique_customer_id_currency_quantity", "relationships_customer_id");
        assertThat(all.checks()).filteredOn(c -> !c.id().equals("unique_id")).allMatch(c -> c.checkedRows() == 10);
    }

    @Test
    void eachCheckCountsItsFailingRowsAndIgnoresNullsLikeDbt(DataSource ds) throws Exception {
        sql(ds, "create schema bad",
                "create table bad.customers (customer_id int)",
                "insert into bad.customers values (1), (2), (null)",
                "create table bad.t (id int, customer_id int, currency text, quantity numeric, email text, a int, b int)",
                "insert into bad.t values"
                        + " (1, 1, 'EUR', 1, 'a@x', 1, 1),"
                        + " (2, 9, 'XXX', 0, 'nope', 1, 1),"       // orphan, bad currency, out of range, bad email, dup (a,b)
                        + " (3, null, null, null, null, 1, null)," // NULLs everywhere: only notNull counts them
                        + " (3, 2, 'usd', 99, 'b@x', 2, null),"    // duplicate id, bad currency (case), above max
                        + " (null, 1, 'USD', 5, 'c@x', 3, 3),"     // NULL id: not a duplicate
                        + " (null, 1, 'USD', 5, 'c@x', 3, 3)");    // NULL id again
        QualityReport r = QualitySuite.on(ds).samples(0).table("bad.t", t -> t
                .notNull("id", "customer_id", "currency")
                .unique("id")
                .unique("a", "b")
                .acceptedValues("currency", "EUR", "USD")
                .relationships("customer_id", "bad.customers", "customer_id")
                .range("quantity", 1, 10)
                .matches("email", "^[^@]+@[^@]+$")
                .expression("b_le_a", "b <= a"))
                .run();
        Map<String, Long> failing = new java.util.LinkedHashMap<>();
        r.checks().forEach(c -> failing.put(c.id(), c.failingRows()));
        assertThat(failing).containsExactly(
                Map.entry("not_null_id", 2L),
                Map.entry("not_null_customer_id", 1L),
                Map.entry("not_null_currency", 1L),
                Map.entry("unique_id", 2L),          // id 3 twice; the two NULL ids are not duplicates
                Map.entry("unique_a_b", 4L),         // (1,1) twice and (3,3) twice; (1,null), (2,null) ignored
                Map.entry("accepted_values_currency", 2L),
                Map.entry("relationships_customer_id", 1L),
                Map.entry("range_quantity", 2L),
                Map.entry("matches_email", 1L),
                Map.entry("b_le_a", 0L));            // NULL b passes, as dbt's expression_is_true
        assertThat(r.checks()).allMatch(c -> c.checkedRows() == 6);
        assertThat(r.check("bad.t", "unique_a_b").orElseThrow().observed()).startsWith("2 duplicated keys");
        assertThat(r.check("bad.t", "not_null_id").orElseThrow().failingPercent()).isCloseTo(33.33, org.assertj.core.data.Offset.offset(0.01));
        assertThat(r.withStatus(Status.FAIL)).hasSize(9);
        assertThat(r.passed()).isFalse();
    }

    @Test
    void uniqueOnTextAndCompositeKeysPassesInOneQueryAndNotNullConstraintNeedsNoPerRowWork(DataSource ds) throws Exception {
        sql(ds, "create table u (id text not null, a int, b text)",
                "insert into u select 'k' || g, g % 7, 'x' || (g / 7) from generate_series(1, 1000) g",
                "insert into u values ('k1001', null, null), ('k1002', null, null)");
        QualityReport r = QualitySuite.on(ds).table("u", t -> t.notNull("id").unique("id").unique("a", "b")).run();
        assertThat(r.checks()).allMatch(c -> c.status() == Status.PASS && c.failingRows() == 0 && c.checkedRows() == 1002);
        assertThat(r.queries()).isEqualTo(3); // scan (count only) + one fingerprint pass per unique check
        assertThat(r.checks().get(0).observed()).contains("NOT NULL constraint");
        assertThat(r.checks().get(0).sql()).doesNotContain("\"id\" is null");
        assertThat(r.checks().get(1).sql()).contains("count(distinct fp)", "hashtextextended");
        sql(ds, "insert into u values ('k5', 5, 'x0')");
        QualityReport dup = QualitySuite.on(ds).samples(0).table("u", t -> t.unique("id").unique("a", "b")).run();
        assertThat(dup.checks()).extracting(CheckResult::failingRows).containsExactly(2L, 2L);
        assertThat(dup.checks().get(0).observed()).isEqualTo("1 duplicated key in 2 of 1003 rows");
        // the planner setting changed for the fingerprint pass is put back in the caller's transaction
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            String before = presortedAggregate(c);   // "on" by default; null before PostgreSQL 16, which lacks it
            QualitySuite.create().table("u", t -> t.unique("id")).run(c);
            assertThat(presortedAggregate(c)).isEqualTo(before);
            c.rollback();
        }
    }

    @Test
    void onlyImmediateNonPartialUniqueIndexesStandInForTheUniqueScan(DataSource ds) throws Exception {
        sql(ds, "create table ix (a int, b int, c int, d int)",
                "create unique index ix_ab on ix (a, b)",
                "create unique index ix_c_partial on ix (c) where c > 0",
                "alter table ix add constraint ix_d_deferred unique (d) deferrable initially deferred",
                "insert into ix values (1, 1, 0, 1), (1, 2, 0, 2)");
        QualityReport r = QualitySuite.on(ds).samples(0).table("ix", t -> t
                .unique("a", "b").unique("a", "b", "c").unique("c").unique("d").unique("a")).run();
        assertThat(r.checks()).extracting(CheckResult::observed).containsExactly(
                "guaranteed by unique index ix_ab", "guaranteed by unique index ix_ab",
                "1 duplicated key in 2 of 2 rows", "0 duplicated keys in 2 rows", "1 duplicated key in 2 of 2 rows");
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute("insert into ix values (3, 3, 3, 1)"); // violates the deferred constraint until commit
            }
            QualityReport wap = QualitySuite.create().samples(0).table("ix", t -> t.unique("d")).run(c);
            assertThat(wap.checks().get(0).failingRows()).isEqualTo(2);
            c.rollback();
        }
    }

    @Test
    void columnsOfTypesMdsCannotMapDoNotStopTheChecks(DataSource ds) throws Exception {
        sql(ds, "create table odd (id int not null, span interval, addr inet)",
                "insert into odd values (1, interval '1 day', '10.0.0.1'), (2, null, '10.0.0.1'), (3, interval '2 days', null)");
        QualityReport r = QualitySuite.on(ds).samples(0).table("odd", t -> t
                .notNull("id", "span").unique("addr").matches("addr", "^10\\.").range("span", "1 hour", "1 day")).run();
        assertThat(r.checks()).extracting(CheckResult::id, CheckResult::failingRows).containsExactly(
                org.assertj.core.groups.Tuple.tuple("not_null_id", 0L), org.assertj.core.groups.Tuple.tuple("not_null_span", 1L),
                org.assertj.core.groups.Tuple.tuple("unique_addr", 2L), org.assertj.core.groups.Tuple.tuple("matches_addr", 0L),
                org.assertj.core.groups.Tuple.tuple("range_span", 1L));
        assertThat(r.checks().get(0).observed()).contains("NOT NULL constraint");
    }

    @Test
    void acceptedValuesCompareBytesUnderDeterministicCollationsAndKeepANondeterministicOne(DataSource ds) throws Exception {
        sql(ds, "create collation ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false)",
                "create table av (t text, v varchar(5), b char(4), ci text collate ci, tc text collate \"C\")",
                "insert into av values ('EUR', 'EUR', 'EUR', 'EUR', 'EUR'), ('eur', 'eur', 'eur ', 'eur', 'eur'),"
                        + " ('USD', 'USD', 'USD', 'usd', 'USD'), ('XXX', 'XXX', 'XXX', 'XXX', 'XXX'), (null, null, null, null, null)");
        String[] columns = {"t", "v", "b", "ci", "tc"};
        QualitySuite suite = QualitySuite.on(ds).samples(0).table("av", t -> {
            for (String c : columns) {
                t.acceptedValues(c, "EUR", "USD");
            }
        });
        QualityReport r = suite.run();
        String scan = r.checks().get(0).sql();
        assertThat(scan).contains("\"t\" collate \"C\" <> all(", "\"v\" collate \"C\" <> all(",
                "\"b\" collate \"C\" <> all(", "\"tc\" collate \"C\" <> all(", "\"ci\" <> all(");
        // the same counts as PostgreSQL's own comparison under each column's collation
        for (int i = 0; i < columns.length; i++) {
            long expected;
            try (Connection c = ds.getConnection(); Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("select count(*) from av where " + columns[i] + " not in ('EUR', 'USD')")) {
                rs.next();
                expected = rs.getLong(1);
            }
            assertThat(r.checks().get(i).failingRows()).as(columns[i]).isEqualTo(expected);
        }
        assertThat(r.checks()).extracting(CheckResult::failingRows).containsExactly(2L, 2L, 2L, 1L, 2L);
    }

    @Test
    void rangeWithBothBoundsCountsEachFailingRowOnceEvenWhenTheBoundsAreReversed(DataSource ds) throws Exception {
        sql(ds, "create table rg (n int, d date)",
                "insert into rg select g, date '2024-01-01' + g from generate_series(-2, 12) g union all select null, null");
        QualityReport r = QualitySuite.on(ds).samples(0).table("rg", t -> t
                .range("n", 1, 10).id("in_order")
                .range("n", 10, 1).id("reversed")
                .range("n", new java.math.BigDecimal("0.5"), 10.5).id("decimals")
                .range("d", java.time.LocalDate.of(2024, 1, 2), java.time.LocalDate.of(2024, 1, 11)).id("dates")
                .range("n", "1", "10").id("strings"))
                .run();
        Map<String, Long> failing = new java.util.LinkedHashMap<>();
        r.checks().forEach(c -> failing.put(c.id(), c.failingRows()));
        // -2..0 below, 11..12 above; reversed: every non-NULL row is below 10 or above 1, counted once
        assertThat(failing).containsExactly(Map.entry("in_order", 5L), Map.entry("reversed", 15L),
                Map.entry("decimals", 5L), Map.entry("dates", 5L), Map.entry("strings", 5L));
        assertThat(r.checks().get(0).sql()).contains("count(*) filter (where \"n\" < 1)", "count(*) filter (where \"n\" > 10)",
                "\"n\" < 10 or \"n\" > 1", "\"n\" < '1' or \"n\" > '10'");
    }

    @Test
    void literalPatternsAreMatchedWithoutRegexAndCountTheSameAsTheRegex(DataSource ds) throws Exception {
        sql(ds, "create table m (v text)", "insert into m values ('abc'), ('xabc'), ('abcx'), ('ab'), ('a.c'), (null), ('ABC')");
        String[] patterns = {"abc", "^abc", "abc$", "^abc$", "a.c", "^a\\.c$", "b"};
        QualitySuite suite = QualitySuite.on(ds).samples(0).table("m", t -> {
            for (int i = 0; i < patterns.length; i++) {
                t.matches("v", patterns[i]).id("p" + i);
            }
        });
        assertThat(suite.sql().get(0)).contains("strpos(\"v\", 'abc') = 0", "not starts_with(\"v\", 'abc')",
                "right(\"v\", 3) <> 'abc'", "\"v\" <> 'abc'", "\"v\" !~ 'a.c'");
        QualityReport r = suite.run();
        for (int i = 0; i < patterns.length; i++) {
            long expected;
            try (Connection c = ds.getConnection(); java.sql.PreparedStatement ps =
                    c.prepareStatement("select count(*) from m where v !~ ?")) {
                ps.setString(1, patterns[i]);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    expected = rs.getLong(1);
                }
            }
            assertThat(r.checks().get(i).failingRows()).as(patterns[i]).isEqualTo(expected);
        }
    }

    /**
     * A literal pattern becomes a comparison only where equality is the bytes': on char(n) the regular expression
     * sees the blank padding that equality ignores, and citext matches ignoring case where starts_with does not.
     */
    @Test
    void literalPatternsOnCharAndCitextCountAsTheRegexDoes(DataSource ds) throws Exception {
        sql(ds, "create extension if not exists citext", "create table mc (id int primary key, code char(5), mail citext)",
                "insert into mc values (1, 'ab', 'ABc'), (2, 'abcde', 'abc'), (3, null, 'xab')");
        QualitySuite suite = QualitySuite.on(ds).samples(0).table("mc", t -> t
                .matches("code", "^ab$").id("code_exact")
                .matches("mail", "^ab").id("mail_prefix")
                .matches("mail", "^abc$").id("mail_exact"));
        assertThat(suite.sql().get(0)).contains("\"code\" !~ '^ab$'", "\"mail\" !~ '^ab'", "\"mail\" !~ '^abc$'")
                .doesNotContain("starts_with", "<>");
        QualityReport r = suite.run();
        for (String[] check : new String[][] {{"code_exact", "code", "^ab$"}, {"mail_prefix", "mail", "^ab"}, {"mail_exact", "mail", "^abc$"}}) {
            long expected;
            try (Connection c = ds.getConnection(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("select count(*) from mc where " + check[1] + " !~ '" + check[2] + "'")) {
                rs.next();
                expected = rs.getLong(1);
            }
            assertThat(r.check("public.mc", check[0]).orElseThrow().failingRows()).as(check[0]).isEqualTo(expected);
        }
        // 'ab' padded to char(5) is not '^ab$' (NULL is not counted); citext matches 'ABc' ignoring case, 'xab' fails both
        assertThat(r.checks()).extracting(CheckResult::failingRows).containsExactly(2L, 1L, 1L);
    }

    /** citext keys that differ only in case are one key to PostgreSQL (GROUP BY, a unique index): so to the check. */
    @Test
    void uniqueOnCitextFindsKeysThatDifferOnlyInCase(DataSource ds) throws Exception {
        sql(ds, "create extension if not exists citext", "create table ci (id int primary key, email citext, code text)",
                "insert into ci values (1, 'Ann@x.com', 'A'), (2, 'ann@x.com', 'a'), (3, 'bob@x.com', 'b')");
        QualityReport r = QualitySuite.on(ds).table("ci", t -> t.unique("email").unique("code")).run();
        CheckResult email = r.check("public.ci", "unique_email").orElseThrow();
        assertThat(email.status()).as(email.observed()).isEqualTo(Status.FAIL);
        assertThat(email.failingRows()).isEqualTo(2);
        // text is compared as its collation says: 'A' and 'a' differ under the database's deterministic default
        assertThat(r.check("public.ci", "unique_code").orElseThrow().status()).isEqualTo(Status.PASS);
        assertThat(r.check("public.ci", "unique_code").orElseThrow().sql()).contains("hashtextextended(\"code\", 0)");
    }

    @Test
    void thresholdsToleratePartOfTheRowsByCountOrByPercent(DataSource ds) throws Exception {
        sql(ds, "create table th (id int primary key, v int)",
                "insert into th select g, case when g <= 5 then null else g end from generate_series(1, 100) g");
        QualityReport r = QualitySuite.on(ds).table("th", t -> t
                .notNull("v").id("rows_5").threshold(Threshold.rows(5))
                .expression("rows_4", "v is not null").threshold(Threshold.rows(4))
                .expression("pct_5", "v is not null").threshold(Threshold.percent(5))
                .expression("pct_4_9", "v is not null").threshold(Threshold.percent(4.9)))
                .run();
        assertThat(r.check("public.th", "rows_5").orElseThrow().status()).isEqualTo(Status.PASS);
        assertThat(r.check("public.th", "rows_5").orElseThrow().message()).contains("within the threshold");
        assertThat(r.check("public.th", "rows_4").orElseThrow().status()).isEqualTo(Status.FAIL);
        assertThat(r.check("public.th", "pct_5").orElseThrow().status()).isEqualTo(Status.PASS);
        assertThat(r.check("public.th", "pct_4_9").orElseThrow().status()).isEqualTo(Status.FAIL);
        assertThat(r.check("public.th", "pct_4_9").orElseThrow().message()).contains("5 failing rows (5.00%)", "> 4.9%");
        assertThat(r.queries()).isEqualTo(1 + 2); // one scan, samples for the two failed checks
    }

    @Test
    void warnSeverityReportsWarnAndDoesNotFailTheReport(DataSource ds) throws Exception {
        sql(ds, "create table w (id int, email text)", "insert into w values (1, 'a@b'), (2, 'broken')");
        QualityReport r = QualitySuite.on(ds).table("w", t -> t
                .notNull("id")
                .matches("email", "@").severity(Severity.WARN)
                .acceptedValues("id", 1, 2, 3).acceptedValues("id", 1).id("only_one").warn())
                .run();
        assertThat(r.check("public.w", "accepted_values_id").orElseThrow().status()).isEqualTo(Status.PASS);
        QualityReport defaults = QualitySuite.on(ds).table("w", t -> t.warn().matches("email", "@")
                .expression("id_small", "id < 2").severity(Severity.ERROR)).run();
        assertThat(defaults.checks()).extracting(CheckResult::status).containsExactly(Status.WARN, Status.FAIL);
        assertThat(r.check("public.w", "only_one").orElseThrow().failingRows()).isEqualTo(1);
        CheckResult email = r.check("public.w", "matches_email").orElseThrow();
        assertThat(email.status()).isEqualTo(Status.WARN);
        assertThat(email.samples()).containsExactly(Map.of("email", "broken"));
        assertThat(r.passed()).isTrue();
        r.assertPassed();
    }

    @Test
    void missingTableColumnOrBadExpressionIsAnErrorNamingItWhileOtherChecksRun(DataSource ds) throws Exception {
        sql(ds, "create table e (id int, v text)", "insert into e values (1, 'a'), (null, 'b')");
        QualityReport r = QualitySuite.on(ds)
                .table("e", t -> t
                        .notNull("id", "no_such_column")
                        .acceptedValues("v", "a", "b")
                        .expression("broken_sql", "v >>> 1")
                        .expression("bad_cast", "v::int > 0")
                        .unique("missing_too")
                        .relationships("id", "public.nowhere", "id"))
                .table("public.no_such_table", t -> t.notNull("id").rowCount(atLeast(1)))
                .run();
        assertThat(r.check("public.e", "not_null_id").orElseThrow().status()).isEqualTo(Status.FAIL);
        assertThat(r.check("public.e", "not_null_id").orElseThrow().failingRows()).isEqualTo(1);
        assertThat(r.check("public.e", "accepted_values_v").orElseThrow().status()).isEqualTo(Status.PASS);
        CheckResult missing = r.check("public.e", "not_null_no_such_column").orElseThrow();
        assertThat(missing.status()).isEqualTo(Status.ERROR);
        assertThat(missing.message()).contains("\"no_such_column\"", "does not exist in public.e");
        assertThat(r.check("public.e", "broken_sql").orElseThrow().status()).isEqualTo(Status.ERROR);
        assertThat(r.check("public.e", "broken_sql").orElseThrow().message()).contains("could not run", ">>>");
        assertThat(r.check("public.e", "bad_cast").orElseThrow().message()).contains("invalid input syntax");
        assertThat(r.check("public.e", "unique_missing_too").orElseThrow().message()).contains("\"missing_too\"");
        assertThat(r.check("public.e", "relationships_id").orElseThrow().message()).contains("public.nowhere does not exist",
                "(referenced by \"id\" of public.e)");
        assertThat(r.withStatus(Status.ERROR).stream().filter(c -> c.table().equals("public.no_such_table")))
                .hasSize(2).allMatch(c -> c.message().contains("table public.no_such_table does not exist"));
        assertThat(r.toConsoleTable()).contains("ERROR", "no_such_column");
        assertThatThrownBy(r::assertPassed).isInstanceOf(QualityException.class)
                .hasMessageContaining("did not pass").hasMessageContaining("broken_sql").hasMessageContaining("not_null_id");
    }

    /**
     * Samples are read from the table under its own name, as the scan reads it: an expression or a where(...) that
     * qualifies columns with the table's name works in both, and a relationship of a table to itself compares the
     * checked row, not the referenced one.
     */
    @Test
    void samplesWorkWithColumnsQualifiedByTheTableNameAndForASelfReference(DataSource ds) throws Exception {
        sql(ds, "create schema hr", "create table hr.emp (id int primary key, manager_id int, hired date, left_on date)",
                "insert into hr.emp values (1, null, '2020-01-01', null), (2, 1, '2021-01-01', '2020-06-01'),"
                        + " (3, 9, '2022-01-01', null), (4, 2, '2023-01-01', '2024-01-01')");
        QualityReport r = QualitySuite.on(ds).table("hr.emp", t -> t
                .expression("left_after_hired", "emp.left_on >= emp.hired")
                .relationships("manager_id", "hr.emp", "id")
                .where("hr.emp.id > 1")).run();
        CheckResult dates = r.check("hr.emp", "left_after_hired").orElseThrow();
        assertThat(dates.message()).doesNotContain("samples unavailable");
        assertThat(dates.failingRows()).isEqualTo(1);
        assertThat(dates.samples()).containsExactly(Map.of("id", 2));
        CheckResult managers = r.check("hr.emp", "relationships_manager_id").orElseThrow();
        assertThat(managers.failingRows()).isEqualTo(1);
        assertThat(managers.checkedRows()).isEqualTo(3);
        assertThat(managers.samples()).containsExactly(Map.of("id", 3, "manager_id", 9));
    }

    @Test
    void samplesCarryKeyColumnsAndOffendingValuesOnlyForFailedChecks(DataSource ds) throws Exception {
        sql(ds, "create table s (k1 text, k2 int, qty int, code text, primary key (k1, k2))",
                "insert into s select 'k' || (g % 3), g, case when g % 10 = 0 then null else g end,"
                        + " case when g = 7 then 'BAD' else 'OK' end from generate_series(1, 30) g",
                "create table s2 (code text, n int)", "insert into s2 values ('a', 1), ('a', 2), ('b', 3), ('a', 4), ('b', 5), ('c', 6)");
        sql(ds, "create table s_codes (code text primary key)", "insert into s_codes values ('OK')");
        QualityReport r = QualitySuite.on(ds).samples(2)
                .table("s", t -> t.notNull("qty").acceptedValues("code", "OK").range("k2", 1, 30))
                .table("s2", t -> t.key("n").unique("code").notNull("n"))
                .table("s", t -> t.relationships("code", "s_codes", "code").where("k2 > 1"))
                .run();
        CheckResult orphan = r.check("public.s", "relationships_code").orElseThrow();
        assertThat(orphan.failingRows()).isEqualTo(1);
        assertThat(orphan.checkedRows()).isEqualTo(29);
        assertThat(orphan.samples()).containsExactly(Map.of("k1", "k1", "k2", 7, "code", "BAD"));
        CheckResult qty = r.check("public.s", "not_null_qty").orElseThrow();
        assertThat(qty.failingRows()).isEqualTo(3);
        assertThat(qty.samples()).hasSize(2);
        assertThat(qty.samples().get(0)).containsOnlyKeys("k1", "k2", "qty");
        assertThat(qty.samples().get(0)).containsEntry("k1", "k0").containsEntry("k2", 30).containsEntry("qty", null);
        CheckResult code = r.check("public.s", "accepted_values_code").orElseThrow();
        assertThat(code.samples()).containsExactly(Map.of("k1", "k1", "k2", 7, "code", "BAD"));
        assertThat(r.check("public.s", "range_k2").orElseThrow().samples()).isEmpty();
        CheckResult unique = r.check("public.s2", "unique_code").orElseThrow();
        assertThat(unique.samples()).containsExactly(Map.of("code", "a", "duplicates", 3L), Map.of("code", "b", "duplicates", 2L));
        assertThat(unique.failingRows()).isEqualTo(5);
        // s: 1 scan + 2 samples; s2: 1 scan + unique (fingerprint pass finds a duplicate, then exact grouping)
        // + 1 sample; s again: relationships + 1 sample
        assertThat(r.queries()).isEqualTo(9);
    }

    /**
     * A sample shows a bytea key (a vault's hash key) as PostgreSQL prints it, not as Java's "[B@1f2e"; a timestamp
     * with its offset; a very long value cut to a bounded length that says how long it was.
     */
    @Test
    void samplesShowValuesAsPostgresPrintsThemAndCutVeryLongOnes(DataSource ds) throws Exception {
        sql(ds, "create table hashed (hk bytea, at timestamptz, note text)",
                "insert into hashed values ('\\x0102', '2024-01-01 00:00:00+00', repeat('x', 5000))");
        QualityReport r = QualitySuite.on(ds).table("hashed", t -> t.key("hk", "at").range("note", "a", "b")).run();
        Map<String, Object> sample = r.check("public.hashed", "range_note").orElseThrow().samples().get(0);
        assertThat(sample).containsEntry("hk", "\\x0102");
        assertThat((String) sample.get("at")).startsWith("202").matches(".*[+-]\\d\\d(:\\d\\d)?$");
        assertThat((String) sample.get("note")).startsWith("xxx").endsWith("… (5000 characters)").hasSize(1000 + "… (5000 characters)".length());
        assertThat(r.toHtml()).contains("\\x0102");
    }

    @Test
    void rowCountBoundsAndFreshnessFailWhenDataIsMissingOrStale(DataSource ds) throws Exception {
        sql(ds, "create table f (ts timestamptz, d date)", "create table f_empty (ts timestamptz)",
                "insert into f values (now() - interval '3 hours', current_date - 2), (now() - interval '5 hours', current_date - 3)");
        QualityReport r = QualitySuite.on(ds)
                .table("f", t -> t.rowCount(Bounds.between(3, 10)).freshness("ts", Duration.ofHours(2))
                        .freshness("d", Duration.ofDays(3)))
                .table("f_empty", t -> t.rowCount(atLeast(1)).freshness("ts", Duration.ofHours(1)))
                .table("f", t -> t.where("ts > now() - interval '4 hours'").rowCount(Bounds.exactly(1)).id("recent_row_count")
                        .freshness("ts", Duration.ofHours(4)).id("recent_freshness_ts"))
                .run();
        List<CheckResult> c = r.checks();
        assertThat(c.get(0).status()).isEqualTo(Status.FAIL);
        assertThat(c.get(0).message()).isEqualTo("2 rows, expected 3..10");
        assertThat(c.get(1).status()).isEqualTo(Status.FAIL);
        assertThat(c.get(1).message()).contains("3h 0m old, more than 2h 0m");
        assertThat(c.get(2).status()).isEqualTo(Status.PASS);
        assertThat(c.get(3).status()).isEqualTo(Status.FAIL);
        assertThat(c.get(3).message()).isEqualTo("0 rows, expected >= 1");
        assertThat(c.get(4).status()).isEqualTo(Status.FAIL);
        assertThat(c.get(4).message()).contains("no rows");
        assertThat(c.get(5).status()).isEqualTo(Status.PASS);
        assertThat(c.get(6).status()).isEqualTo(Status.PASS);
        assertThat(r.queries()).isEqualTo(3);
    }

    /**
     * A timestamp without time zone (and a date) is read as UTC: now() - max(ts) read it in the session's TimeZone,
     * which pgjdbc takes from the JVM, so a row written an hour ago (UTC wall clock) was 15 hours old on a machine
     * in Pacific/Kiritimati (+14).
     */
    @Test
    void freshnessOfATimestampWithoutTimeZoneDoesNotDependOnTheSessionTimeZone(DataSource ds) throws Exception {
        sql(ds, "create table naive (ts timestamp, d date)",
                "insert into naive values ((now() at time zone 'UTC') - interval '1 hour', (now() at time zone 'UTC')::date)");
        QualitySuite suite = QualitySuite.create().table("naive", t -> t.freshness("ts", Duration.ofHours(2))
                .freshness("d", Duration.ofHours(25)));
        for (String zone : List.of("Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC")) {
            QualityReport r = runIn(ds, zone, suite);
            assertThat(r.checks()).as(zone).extracting(CheckResult::status).containsExactly(Status.PASS, Status.PASS);
            assertThat(r.checks().get(0).observed()).as(zone).contains("(age 1h 0m)");
        }
    }

    /**
     * Freshness shows the newest timestamptz as printed in UTC: printed in the session's TimeZone, the same run
     * reported (and wrote to the history) 'newest 2024-01-02 21:00:00-05' from New York and '2024-01-03 11:00:00+09'
     * from Tokyo.
     */
    @Test
    void freshnessShowsTheNewestTimestamptzInUtcWhateverTheSessionTimeZone(DataSource ds) throws Exception {
        sql(ds, "create table zoned_fresh (ts timestamptz)", "insert into zoned_fresh values ('2024-01-03 02:00:00+00')");
        QualitySuite suite = QualitySuite.create().samples(0).table("zoned_fresh", t -> t.freshness("ts", Duration.ofHours(1)));
        for (String zone : List.of("America/New_York", "Asia/Tokyo")) {
            CheckResult r = runIn(ds, zone, suite).checks().get(0);
            assertThat(r.status()).as(zone).isEqualTo(Status.FAIL);
            assertThat(r.observed()).as(zone).startsWith("newest 2024-01-03 02:00:00+00 (age ");
        }
    }

    /**
     * A java.time bound or accepted value is compared with a timestamptz column as UTC when it has no zone (a
     * LocalDate is its midnight UTC), and a value with an offset with a timestamp column as its UTC wall clock.
     * Written as '2024-01-03', PostgreSQL read a LocalDate bound at midnight in the session's TimeZone (pgjdbc takes
     * it from the JVM): from New York the row loaded at 02:00 UTC that day was below it, from Tokyo the one loaded
     * at 22:00 UTC the day before was not; and '2024-01-03T05:00+03:00' as a timestamp dropped its offset.
     */
    @Test
    void rangeAndAcceptedValuesWithJavaTimeValuesDoNotDependOnTheSessionTimeZone(DataSource ds) throws Exception {
        sql(ds, "create table stamps (ts timestamptz, naive timestamp)",
                "insert into stamps values ('2024-01-02 22:00:00+00', '2024-01-02 22:00:00'),"
                        + " ('2024-01-03 02:00:00+00', '2024-01-03 02:00:00'), (null, null)");
        QualitySuite suite = QualitySuite.create().samples(0).table("stamps", t -> t
                .range("ts", java.time.LocalDate.of(2024, 1, 3), null).id("from_day")
                .range("ts", null, java.time.LocalDateTime.of(2024, 1, 3, 1, 0)).id("until_one")
                .range("ts", java.time.LocalDate.of(2024, 1, 3), java.time.LocalDateTime.of(2024, 1, 3, 1, 0)).id("both")
                .range("ts", java.time.ZonedDateTime.of(2024, 1, 3, 1, 0, 0, 0, java.time.ZoneId.of("Europe/Paris")), null)
                .id("zoned")
                .acceptedValues("ts", java.time.LocalDateTime.of(2024, 1, 2, 22, 0), java.time.LocalDate.of(2024, 1, 3))
                .id("accepted")
                .range("naive", java.time.OffsetDateTime.of(2024, 1, 3, 5, 0, 0, 0, java.time.ZoneOffset.ofHours(3)), null)
                .id("naive_from_offset"));
        List<String> found = new ArrayList<>();
        for (String zone : List.of("America/New_York", "Asia/Tokyo")) {
            QualityReport r = runIn(ds, zone, suite);
            found.add(r.checks().stream().map(x -> x.id() + "=" + x.status() + "/" + x.failingRows())
                    .collect(java.util.stream.Collectors.joining(", ")));
        }
        // from_day: 22:00 the day before is below midnight UTC; until_one: 02:00 is above 01:00 UTC; zoned: 01:00 in
        // Paris is 00:00 UTC; accepted: 02:00 UTC is neither value; naive_from_offset: 05:00+03 is 02:00 UTC
        String expected = "from_day=FAIL/1, until_one=FAIL/1, both=FAIL/2, zoned=FAIL/1, accepted=FAIL/1, naive_from_offset=FAIL/1";
        assertThat(found).containsExactly(expected, expected);
    }

    /**
     * matches on a timestamptz column reads the value as printed in UTC: as PostgreSQL prints it in the session's
     * TimeZone (pgjdbc takes it from the JVM), the row loaded at 02:00 UTC on 3 January was '2024-01-02 21:00:00-05'
     * from New York, and the one loaded at 22:00 UTC the day before was '2024-01-03 07:00:00+09' from Tokyo.
     */
    @Test
    void matchesOnATimestamptzColumnReadsItsUtcTextWhateverTheSessionTimeZone(DataSource ds) throws Exception {
        sql(ds, "create table stamped (ts timestamptz)",
                "insert into stamped values ('2024-01-02 22:00:00+00'), ('2024-01-03 02:00:00+00'), ('infinity'),"
                        + " ('0044-03-15 10:00:00+00 BC'), (null)");
        QualitySuite suite = QualitySuite.create().samples(0).table("stamped", t -> t
                .matches("ts", "^2024-01-03").id("day_prefix")
                .matches("ts", "^[0-9-]+ [0-9:]+\\+00( BC)?$|^infinity$").id("utc_offset"));
        List<String> found = new ArrayList<>();
        for (String zone : List.of("America/New_York", "Asia/Tokyo")) {
            QualityReport r = runIn(ds, zone, suite);
            found.add(r.checks().stream().map(x -> x.id() + "=" + x.failingRows())
                    .collect(java.util.stream.Collectors.joining(", ")));
        }
        assertThat(found).containsExactly("day_prefix=3, utc_offset=0", "day_prefix=3, utc_offset=0");
    }

    @Test
    void identifiersAreQuotedAndValuesEscaped(DataSource ds) throws Exception {
        sql(ds, "create schema \"My Schema\"", "create table \"My Schema\".\"we\"\"ird\" (\"Col\"\"1\" text, \"select\" int)",
                "insert into \"My Schema\".\"we\"\"ird\" values ('it''s', 1), ('a\\b\"c', 2), ('x', 3), (null, null)");
        QualitySuite suite = QualitySuite.on(ds).table("\"My Schema\".\"we\"\"ird\"", t -> t
                .acceptedValues("Col\"1", "it's", "a\\b\"c")
                .range("select", 1, 2)
                .unique("Col\"1", "select"));
        assertThat(suite.sql()).hasSize(2);
        // a text column under a deterministic collation is compared byte-wise (see Render.failing)
        assertThat(suite.sql().get(0)).contains("\"Col\"\"1\" collate \"C\" <> all(E'{\"it''s\",\"a\\\\\\\\b\\\\\"c\",\"a\\\\\\\\b\\\\\"c\",",
                "from \"My Schema\".\"we\"\"ird\"");
        assertThat(QualitySuite.create().table("\"My Schema\".\"we\"\"ird\"", t -> t.acceptedValues("Col\"1", "it's", "a\\b\"c"))
                .sql().get(0)).contains("\"Col\"\"1\" <> all(E'{\"it''s\"");
        QualityReport r = suite.run();
        assertThat(r.checks()).extracting(CheckResult::failingRows).containsExactly(1L, 1L, 0L);
        assertThat(r.check("\"My Schema\".\"we\"\"ird\"", "accepted_values_Col\"1").orElseThrow().samples())
                .containsExactly(Map.of("Col\"1", "x"));
    }

    @Test
    void runInsideTheCallersTransactionSeesItsRowsAndLeavesItUsable(DataSource ds) throws Exception {
        sql(ds, "create table wap (id int primary key, amount numeric)", "insert into wap values (1, 10)");
        QualitySuite audit = QualitySuite.create().table("wap", t -> t.range("amount", 0, null).notNull("no_col"));
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute("insert into wap values (2, -5), (3, 7)");
            }
            QualityReport r = audit.run(c);
            assertThat(r.check("public.wap", "range_amount").orElseThrow().failingRows()).isEqualTo(1);
            assertThat(r.check("public.wap", "range_amount").orElseThrow().samples())
                    .containsExactly(Map.of("id", 2, "amount", new java.math.BigDecimal("-5")));
            assertThat(r.check("public.wap", "not_null_no_col").orElseThrow().status()).isEqualTo(Status.ERROR);
            // the transaction is still usable after the checks (failed statements were rolled back to a savepoint)
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select count(*) from wap")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(3);
            }
            assertThat(r.passed()).isFalse();
            c.rollback();
        }
        dev.mds.testing.MdsAssertions.assertThatTable(ds, "public.wap").hasRowCount(1);
        assertThatThrownBy(() -> audit.run()).isInstanceOf(IllegalStateException.class).hasMessageContaining("DataSource");
    }

    @Test
    void declaringChecksWronglyFailsAtOnceNamingTheProblem(DataSource ds) {
        QualitySuite s = QualitySuite.on(ds);
        assertThatThrownBy(() -> s.table("x", t -> t.notNull("a").notNull("a")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("two checks with id 'not_null_a'");
        // a table given twice: ids must stay unique per table (the history's key, the report's lookup)
        assertThatThrownBy(() -> s.table("x", t -> t.notNull("a")).table("public.x", t -> t.where("b > 0").notNull("a")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("check id 'not_null_a' is already used");
        assertThat(QualitySuite.create().table("x", t -> t.notNull("a")).table("other.x", t -> t.notNull("a")).sql()).hasSize(2);
        assertThatThrownBy(() -> s.table("x", t -> t.acceptedValues("a")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("acceptedValues(a)");
        assertThatThrownBy(() -> s.table("x", t -> t.notNull("a", "b").id("both")))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("added 2 checks");
        assertThatThrownBy(() -> s.table("x", t -> t.key("a").id("b")))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("must follow a check");
        assertThatThrownBy(() -> s.table("x", t -> t.range("a", null, null)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("range(a)");
        assertThatThrownBy(() -> s.table("x", t -> t.range("a", Double.NaN, 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("finite");
        assertThatThrownBy(() -> s.table("x", t -> { }))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no checks");
        assertThatThrownBy(() -> s.table("x", t -> t.rowCountAnomaly(3, 10)).run())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("history");
        assertThatThrownBy(() -> s.run()).isInstanceOf(IllegalStateException.class).hasMessageContaining("no tables");
        assertThatThrownBy(() -> Threshold.percent(120)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Bounds.between(5, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    /** Runs {@code suite} on a connection whose session TimeZone is {@code zone}, put back afterwards. */
    private static QualityReport runIn(DataSource ds, String zone, QualitySuite suite) throws SQLException {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("set timezone = " + dev.mds.core.Identifiers.literal(zone));
            try {
                return suite.run(c);
            } finally {
                st.execute("reset timezone");
            }
        }
    }

    /**
     * A run whose session dies while a check runs fails with the server's reason, not with the closed connection
     * that the rollback then meets, and returns no report built on checks that could not run.
     */
    @Test
    void runWhoseSessionDiesFailsWithTheServersReason(DataSource ds) throws Exception {
        sql(ds, "create schema dying", "create table dying.t (id int)", "insert into dying.t values (1)");
        QualitySuite suite = QualitySuite.on(ds).table("dying.t", t -> t.expression("slow", "pg_sleep(30) is not null"));
        java.util.concurrent.CompletableFuture<QualityReport> run = java.util.concurrent.CompletableFuture.supplyAsync(suite::run);
        dev.mds.testing.Sessions.terminateWhenRunning(ds, "pg_sleep(30)");
        Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(run::join);
        assertThat(thrown.getCause()).isInstanceOf(dev.mds.core.MdsException.class)
                .hasMessageContaining("terminating connection")
                .hasMessageNotContaining("has been closed")
                .hasMessageNotContaining("is closed");
    }
}
