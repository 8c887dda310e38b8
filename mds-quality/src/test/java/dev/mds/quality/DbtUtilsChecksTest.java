package dev.mds.quality;

import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.testing.MdsPostgres;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Period;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * The checks of dbt-utils and Great Expectations beyond dbt's four: not accepted values, value lengths, not constant,
 * at least one, sequential values, mutually exclusive ranges, row count comparisons and schema expectations.
 */
@MdsPostgres
class DbtUtilsChecksTest {

    private static CheckResult check(QualityReport r, String table, String id) {
        return r.check(table, id).orElseThrow(() -> new AssertionError("no check " + id + " in " + r.checks()));
    }

    private static List<Object> sampleKeys(CheckResult r, String key) {
        return r.samples().stream().map(m -> m.get(key)).toList();
    }

    @Test
    void notAcceptedValuesCountsTheRowsHoldingAForbiddenValueAndIgnoresNulls(DataSource ds) throws Exception {
        sql(ds, "create schema nav", "create table nav.t (id int primary key, status text, n int)",
                "insert into nav.t values (1, 'ok', 1), (2, 'deleted', 0), (3, 'ok', 2), (4, null, null),"
                        + " (5, 'test', 3), (6, 'deleted', 4), (7, 'Deleted', 5)");
        QualityReport r = QualitySuite.on(ds).table("nav.t", t -> t
                .notAcceptedValues("status", "deleted", "test")
                .notAcceptedValues("n", 0).id("n_not_zero")
                .notAcceptedValues("status", "archived").id("never_archived")).run();
        CheckResult status = check(r, "nav.t", "not_accepted_values_status");
        assertThat(status.status()).isEqualTo(Status.FAIL);
        assertThat(status.failingRows()).isEqualTo(3);     // 2, 5, 6; 'Deleted' differs by case, NULL is ignored
        assertThat(status.kind()).isEqualTo("not_accepted_values");
        assertThat(sampleKeys(status, "id")).containsExactly(2, 5, 6);
        assertThat(status.samples().get(0)).containsEntry("status", "deleted");
        assertThat(check(r, "nav.t", "n_not_zero").failingRows()).isEqualTo(1);
        assertThat(check(r, "nav.t", "never_archived").status()).isEqualTo(Status.PASS);
        assertThat(r.queries()).isEqualTo(1 + 2); // one scan, samples of the two failing checks

        // a threshold counts the failing rows: 3 of 6 non-NULL statuses is 50%
        QualityReport tolerated = QualitySuite.on(ds).samples(0).table("nav.t", t -> t
                .notAcceptedValues("status", "deleted", "test").threshold(Threshold.percentOfNonNull(50))).run();
        assertThat(tolerated.checks().get(0).status()).isEqualTo(Status.PASS);
        assertThat(tolerated.checks().get(0).message()).contains("3 failing rows", "50.00% of 6 non-null rows", "within");
        QualityReport exceeded = QualitySuite.on(ds).samples(0).table("nav.t", t -> t
                .notAcceptedValues("status", "deleted", "test").threshold(Threshold.rows(2))).run();
        assertThat(exceeded.checks().get(0).status()).isEqualTo(Status.FAIL);
    }

    @Test
    void lengthCountsTextOutsideItsBoundsInCharactersAndIgnoresNulls(DataSource ds) throws Exception {
        sql(ds, "create schema len", "create table len.t (id int primary key, code text, fixed char(5), n int)",
                "insert into len.t values (1, 'AB', 'ab', 1), (2, 'ABC', 'abc', 2), (3, 'ABCDEFG', 'a', 3),"
                        + " (4, null, null, 4), (5, '', 'abcde', 5), (6, 'ÄÖÜ', 'ä', 6)");
        QualityReport r = QualitySuite.on(ds).table("len.t", t -> t
                .length("code", 2, 5)
                .length("fixed", 2, null)
                .length("code", null, 3).id("code_at_most_3")
                .length("n", 1, 2)                              // not text: ERROR, the others still run
                .notNull("code")).run();
        CheckResult code = check(r, "len.t", "length_code");
        assertThat(code.status()).isEqualTo(Status.FAIL);
        assertThat(code.failingRows()).isEqualTo(2);            // 'ABCDEFG' and ''; 'ÄÖÜ' is 3 characters (6 bytes)
        assertThat(code.observed()).isEqualTo("2 of 6 rows with a length outside [2, 5]");
        assertThat(sampleKeys(code, "id")).containsExactly(3, 5);
        // char(5): the blank padding does not count, so 'a' is 1 character long
        assertThat(check(r, "len.t", "length_fixed").failingRows()).isEqualTo(2); // 'a' and 'ä'
        assertThat(check(r, "len.t", "code_at_most_3").failingRows()).isEqualTo(1);
        CheckResult notText = check(r, "len.t", "length_n");
        assertThat(notText.status()).isEqualTo(Status.ERROR);
        assertThat(notText.message()).contains("\"n\"", "len.t", "is not text");
        assertThat(check(r, "len.t", "not_null_code").failingRows()).isEqualTo(1);
        assertThat(code.sql()).contains("char_length(\"code\") < 2", "char_length(\"code\") > 5");

        QualityReport tolerated = QualitySuite.on(ds).samples(0).table("len.t", t -> t
                .length("code", 2, 5).threshold(Threshold.rows(2))).run();
        assertThat(tolerated.checks().get(0).status()).isEqualTo(Status.PASS);
        QualityReport clean = QualitySuite.on(ds).table("len.t", t -> t.length("code", 0, 7)).run();
        assertThat(clean.checks().get(0).status()).isEqualTo(Status.PASS);
        assertThat(clean.checks().get(0).samples()).isEmpty();
    }

    @Test
    void notConstantAndAtLeastOneReadNonNullValuesAsDbtUtilsDoes(DataSource ds) throws Exception {
        sql(ds, "create schema nc", "create table nc.t (id int primary key, same text, varied int, empty text, flag boolean,"
                        + " u uuid, d date, req int not null)",
                "insert into nc.t values"
                        + " (1, 'x', 1, null, true, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', date '2024-01-01', 1),"
                        + " (2, 'x', 2, null, true, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', date '2024-01-01', 1),"
                        + " (3, null, 2, null, null, null, date '2024-01-02', 1)");
        QualityReport r = QualitySuite.on(ds).table("nc.t", t -> t
                .notConstant("same").notConstant("varied").notConstant("empty").notConstant("flag").notConstant("u")
                .notConstant("d")
                .atLeastOne("same").atLeastOne("empty").atLeastOne("req")).run();
        Map<String, Status> status = new java.util.LinkedHashMap<>();
        r.checks().forEach(c -> status.put(c.id(), c.status()));
        assertThat(status).containsExactly(
                Map.entry("not_constant_same", Status.FAIL),     // 'x', 'x' and a NULL: NULL is not a value
                Map.entry("not_constant_varied", Status.PASS),
                Map.entry("not_constant_empty", Status.PASS),    // no value at all: count(distinct) is 0, as in dbt-utils
                Map.entry("not_constant_flag", Status.FAIL),
                Map.entry("not_constant_u", Status.FAIL),        // uuid: count(distinct) = 1
                Map.entry("not_constant_d", Status.PASS),
                Map.entry("at_least_one_same", Status.PASS),
                Map.entry("at_least_one_empty", Status.FAIL),
                Map.entry("at_least_one_req", Status.PASS));
        CheckResult same = check(r, "nc.t", "not_constant_same");
        assertThat(same.observed()).isEqualTo("one distinct value (x)");
        assertThat(same.message()).contains("every non-NULL same is the same value (x)");
        assertThat(same.samples()).isEmpty();                     // a table-level check has no failing rows
        assertThat(check(r, "nc.t", "at_least_one_empty").message()).isEqualTo("no non-NULL empty in 3 rows");
        assertThat(r.queries()).isEqualTo(1);                      // all in the single scan, no samples
        // at least one on a table with no rows (after where) fails
        QualityReport none = QualitySuite.on(ds).table("nc.t", t -> t.where("id < 0").atLeastOne("varied")).run();
        assertThat(none.checks().get(0).status()).isEqualTo(Status.FAIL);
        // severity WARN makes a failure a warning; a threshold has nothing to count
        QualityReport warned = QualitySuite.on(ds).table("nc.t", t -> t.notConstant("same").warn()).run();
        assertThat(warned.checks().get(0).status()).isEqualTo(Status.WARN);
        assertThatThrownBy(() -> QualitySuite.on(ds).table("nc.t", t -> t.notConstant("same").threshold(Threshold.rows(1))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not_constant_same");
    }

    /**
     * Types without min and max (name, a composite, uuid) are compared by count(distinct); a timestamptz's constant value
     * is shown in UTC whatever the session's TimeZone; a case-insensitive collation makes 'a' and 'A' one value.
     */
    @Test
    void notConstantComparesEveryTypeAsItsEqualitySays(DataSource ds) throws Exception {
        sql(ds, "create schema nct", "create type nct.pair as (a int, b text)",
                "create collation nct.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false)",
                "create table nct.t (id int primary key, nm name, p nct.pair, ts timestamptz, ci text collate nct.ci,"
                        + " cs text, arr int[])",
                "insert into nct.t values (1, 'n', row(1, 'x'), '2024-01-03 02:00:00+00', 'a', 'a', '{1,2}'),"
                        + " (2, 'n', row(1, 'x'), '2024-01-03 02:00:00+00', 'A', 'A', '{1,2}')");
        QualitySuite suite = QualitySuite.create().table("nct.t", t -> t.notConstant("nm").notConstant("p")
                .notConstant("ts").notConstant("ci").notConstant("cs").notConstant("arr"));
        for (String zone : List.of("Asia/Tokyo", "UTC")) {
            QualityReport r = runIn(ds, zone, suite);
            assertThat(r.checks()).as(zone).extracting(CheckResult::status).containsExactly(Status.FAIL, Status.FAIL,
                    Status.FAIL, Status.FAIL, Status.PASS, Status.FAIL);
            assertThat(check(r, "nct.t", "not_constant_ts").observed()).as(zone)
                    .isEqualTo("one distinct value (2024-01-03 02:00:00+00)");
            assertThat(r.queries()).isEqualTo(1);
        }
    }

    @Test
    void newRowLevelChecksJoinTheSingleScanAndAddNothingToOneThatDoesNotUseThem(DataSource ds) throws Exception {
        QualitySuiteTest.cleanTables(ds, "scan");
        Consumer<TableChecks> checks = t -> t
                .notNull("id", "email")
                .acceptedValues("currency", "EUR", "USD", "GBP")
                .notAcceptedValues("currency", "XXX")
                .length("email", 5, 50)
                .notConstant("quantity")
                .atLeastOne("email")
                .range("quantity", 1, 10);
        QualityReport r = QualitySuite.on(ds).table("scan.t", checks).run();
        assertThat(r.checks()).hasSize(8).allMatch(c -> c.status() == Status.PASS, "all pass");
        assertThat(r.queries()).isEqualTo(1);
        assertThat(QualitySuite.on(ds).table("scan.t", checks).sql()).containsExactly(r.checks().get(0).sql());
        assertThat(r.checks()).extracting(CheckResult::sql).containsOnly(r.checks().get(0).sql());
        // at least one shares not null's count: the same statement as not null alone
        String notNull = QualitySuite.on(ds).table("scan.t", t -> t.notNull("email")).sql().get(0);
        assertThat(QualitySuite.on(ds).table("scan.t", t -> t.notNull("email").atLeastOne("email")).sql())
                .containsExactly(notNull);
        // a suite of the existing checks reads none of the new aggregates
        assertThat(QualitySuite.on(ds).table("scan.t", t -> t.notNull("email").acceptedValues("currency", "EUR")
                .range("quantity", 1, 10)).sql().get(0)).doesNotContain("char_length", "min(", "max(", "distinct", "over (");
    }

    @Test
    void aMissingColumnIsAnErrorNamingItWhileTheOtherChecksOfTheScanRun(DataSource ds) throws Exception {
        QualitySuiteTest.cleanTables(ds, "miss");
        QualityReport r = QualitySuite.on(ds).table("miss.t", t -> t
                .notAcceptedValues("nope", "x")
                .length("gone", 1, 2)
                .notConstant("quantity")
                .atLeastOne("absent")
                .sequentialValues("missing")
                .mutuallyExclusiveRanges("start_date", "no_end")
                .columnType("vanished", "int")
                .sequentialValues("id")).run();
        assertThat(r.checks()).extracting(CheckResult::status).containsExactly(Status.ERROR, Status.ERROR, Status.PASS,
                Status.ERROR, Status.ERROR, Status.ERROR, Status.ERROR, Status.PASS);
        assertThat(check(r, "miss.t", "not_accepted_values_nope").message()).contains("\"nope\"", "does not exist in miss.t");
        assertThat(check(r, "miss.t", "mutually_exclusive_ranges_start_date_no_end").message()).contains("\"no_end\"");
        assertThat(check(r, "miss.t", "column_type_vanished").message()).contains("\"vanished\"");
        assertThat(r.queries()).isEqualTo(2); // the scan (not constant) and the sequential values window of id
    }

    @Test
    void sequentialValuesFailsGapsAndRepeatsAndIgnoresNulls(DataSource ds) throws Exception {
        sql(ds, "create schema seq", "create table seq.t (id int primary key, n int, d date, v numeric)",
                "insert into seq.t values (1, 1, date '2024-01-01', 0), (2, 2, date '2024-01-02', 0.5), (3, 3, date '2024-01-04', 1),"
                        + " (4, 5, null, 1.5), (5, 5, date '2024-01-05', null), (6, null, date '2024-01-06', 2.0)");
        QualityReport r = QualitySuite.on(ds).table("seq.t", t -> t
                .sequentialValues("n")
                .sequentialValues("d", Period.ofDays(1))
                .sequentialValues("v", 0.5)
                .sequentialValues("id").id("ids")).run();
        CheckResult n = check(r, "seq.t", "sequential_values_n");
        assertThat(n.status()).isEqualTo(Status.FAIL);
        assertThat(n.failingRows()).isEqualTo(2);              // 5 after 3 (gap), 5 after 5 (repeat); the NULL is ignored
        assertThat(n.checkedRows()).isEqualTo(6);
        assertThat(n.observed()).isEqualTo("2 of 6 rows do not follow the previous value by 1");
        assertThat(sampleKeys(n, "id")).containsExactly(4, 5);
        assertThat(n.samples()).extracting(m -> m.get("previous_n")).containsExactlyInAnyOrder(3, 5); // the two 5s tie
        CheckResult d = check(r, "seq.t", "sequential_values_d");
        assertThat(d.failingRows()).isEqualTo(1);               // 2024-01-04 after 2024-01-02
        assertThat(sampleKeys(d, "id")).containsExactly(3);
        assertThat(check(r, "seq.t", "sequential_values_v").status()).isEqualTo(Status.PASS);
        assertThat(check(r, "seq.t", "ids").status()).isEqualTo(Status.PASS);
        assertThat(r.queries()).isEqualTo(4 + 2);               // one window query each, samples of the two failing
        assertThat(n.sql()).contains("lag(\"n\") over (order by \"n\")");
        // what sql(connection) shows before a run is what the run executed
        try (Connection c = ds.getConnection()) {
            assertThat(QualitySuite.create().table("seq.t", t -> t.sequentialValues("n").sequentialValues("d", Period.ofDays(1)))
                    .sql(c)).containsExactly(n.sql(), d.sql());
        }

        // where applies before the window; a threshold counts the failing rows; a date steps by whole days
        QualityReport within = QualitySuite.on(ds).samples(0).table("seq.t", t -> t.where("id <= 3")
                .sequentialValues("n").sequentialValues("d", 1).threshold(Threshold.rows(1))).run();
        assertThat(within.checks()).extracting(CheckResult::status).containsExactly(Status.PASS, Status.PASS);
        assertThat(within.checks()).extracting(CheckResult::failingRows).containsExactly(0L, 1L);
        QualityReport wrongType = QualitySuite.on(ds).table("seq.t", t -> t.sequentialValues("n", Duration.ofHours(1))
                .sequentialValues("d", 0.5)).run();
        assertThat(wrongType.checks()).extracting(CheckResult::status).containsOnly(Status.ERROR);
        assertThat(wrongType.checks().get(0).message()).contains("\"n\"", "not a date or timestamp");
        assertThat(wrongType.checks().get(1).message()).contains("whole number of days");
    }

    /** A day is added in UTC: in the session's TimeZone, a day across a DST change is 23 or 25 hours. */
    @Test
    void sequentialTimestampsStepTheSameWhateverTheSessionTimeZone(DataSource ds) throws Exception {
        sql(ds, "create schema seqtz", "create table seqtz.t (id int primary key, ts timestamptz)",
                "insert into seqtz.t values (1, '2024-03-30 12:00:00+00'), (2, '2024-03-31 12:00:00+00'),"
                        + " (3, '2024-04-01 12:00:00+00'), (4, '2024-04-01 13:00:00+00')");
        QualitySuite suite = QualitySuite.create().table("seqtz.t", t -> t.sequentialValues("ts", Period.ofDays(1)));
        for (String zone : List.of("Europe/Paris", "America/New_York", "UTC")) {
            CheckResult r = runIn(ds, zone, suite).checks().get(0);
            assertThat(r.failingRows()).as(zone).isEqualTo(1); // only the last, an hour after the one before
            assertThat(sampleKeys(r, "id")).as(zone).containsExactly(4);
        }
    }

    @Test
    void mutuallyExclusiveRangesFailsOverlapsEmptyRangesAndNullBoundsPerPartition(DataSource ds) throws Exception {
        sql(ds, "create schema mer", "create table mer.t (id int primary key, cust int, lo int, hi int)",
                "insert into mer.t values"
                        + " (1, 1, 1, 3), (2, 1, 3, 5), (3, 1, 4, 6),"   // touching is allowed; 3..5 overlaps 4..6
                        + " (4, 2, 1, 1),"                               // zero-length range
                        + " (5, 2, 2, null),"                            // NULL upper bound
                        + " (6, 2, null, 9),"                            // NULL lower bound (the range before it passes)
                        + " (7, 3, 1, 10), (8, 4, 1, 10),"               // the same range in two partitions
                        + " (9, null, 1, 5), (10, null, 2, 6)");          // NULL partition: one group
        QualityReport r = QualitySuite.on(ds).table("mer.t", t -> t.mutuallyExclusiveRanges("lo", "hi", "cust")).run();
        CheckResult c = r.checks().get(0);
        assertThat(c.status()).isEqualTo(Status.FAIL);
        assertThat(c.failingRows()).isEqualTo(5);
        assertThat(c.checkedRows()).isEqualTo(10);
        assertThat(sampleKeys(c, "id")).containsExactly(2, 4, 5, 6, 9);
        assertThat(c.samples().get(0)).containsEntry("next_lo", 4).containsEntry("cust", 1);
        assertThat(r.queries()).isEqualTo(2);
        // without partition every range meets every other
        QualityReport whole = QualitySuite.on(ds).samples(0).table("mer.t", t -> t.where("id in (1, 2, 7)")
                .mutuallyExclusiveRanges("lo", "hi")).run();
        assertThat(whole.checks().get(0).failingRows()).isEqualTo(2); // 1..3 and 1..10 start together; 1..10 overlaps 3..5
        QualityReport clean = QualitySuite.on(ds).table("mer.t", t -> t.where("id in (1, 2, 7, 8)")
                .mutuallyExclusiveRanges("lo", "hi", "cust").threshold(Threshold.rows(0))).run();
        assertThat(clean.checks().get(0).status()).isEqualTo(Status.PASS);
        assertThat(clean.queries()).isEqualTo(1);
    }

    @Test
    void storedFailuresOfAWindowedCheckHoldTheRowsAndTheirWindowValue(DataSource ds) throws Exception {
        sql(ds, "create schema sfw", "create schema sfw_audit", "create table sfw.t (id int primary key, n int)",
                "insert into sfw.t values (1, 1), (2, 2), (3, 4)");
        QualityReport r = QualitySuite.on(ds).storeFailures("sfw_audit").table("sfw.t", t -> t.sequentialValues("n")).run();
        CheckResult c = r.checks().get(0);
        assertThat(c.failuresTable()).isEqualTo("sfw_audit.t__sequential_values_n");
        try (Connection conn = ds.getConnection(); Statement st = conn.createStatement();
                var rs = st.executeQuery("select id, n, previous_n from sfw_audit.t__sequential_values_n")) {
            assertThat(rs.next()).isTrue();
            assertThat(List.of(rs.getInt(1), rs.getInt(2), rs.getInt(3))).containsExactly(3, 4, 2);
            assertThat(rs.next()).isFalse();
        }
    }

    @Test
    void rowCountComparisonsCountBothTablesInOneQuery(DataSource ds) throws Exception {
        QualitySuiteTest.cleanTables(ds, "rc");
        sql(ds, "create table rc.copy as select * from rc.t");
        QualityReport r = QualitySuite.on(ds).table("rc.t", t -> t
                .equalRowCount("rc.copy")
                .fewerRowsThan("rc.copy")
                .equalRowCount("rc.nope").id("equal_nope")
                .notNull("id")).run();
        CheckResult equal = check(r, "rc.t", "equal_row_count_copy");
        assertThat(equal.status()).isEqualTo(Status.PASS);
        assertThat(equal.observed()).isEqualTo("10 rows, rc.copy 10 rows");
        CheckResult fewer = check(r, "rc.t", "fewer_rows_than_copy");
        assertThat(fewer.status()).isEqualTo(Status.FAIL);           // an equal count fails, as in dbt-utils
        assertThat(fewer.message()).isEqualTo("10 rows, expected fewer than rc.copy's 10");
        CheckResult nope = check(r, "rc.t", "equal_nope");
        assertThat(nope.status()).isEqualTo(Status.ERROR);
        assertThat(nope.message()).contains("rc.nope", "does not exist");
        assertThat(check(r, "rc.t", "not_null_id").status()).isEqualTo(Status.PASS);
        assertThat(r.queries()).isEqualTo(1 + 2);                      // the scan and one query per comparison
        assertThat(equal.sql()).contains("\"rc\".\"copy\"");
        try (Connection c = ds.getConnection()) {
            assertThat(QualitySuite.create().table("rc.t", t -> t.equalRowCount("rc.copy")).sql(c)).containsExactly(equal.sql());
        }
        // the table's where applies to it, not to the other table
        QualityReport filtered = QualitySuite.on(ds).table("rc.t", t -> t.where("id <= 4")
                .equalRowCount("rc.copy").fewerRowsThan("rc.copy").severity(Severity.WARN)).run();
        assertThat(filtered.checks()).extracting(CheckResult::status).containsExactly(Status.FAIL, Status.PASS);
        assertThat(filtered.checks().get(0).checkedRows()).isEqualTo(4);
        assertThatThrownBy(() -> QualitySuite.on(ds).table("rc.t", t -> t.equalRowCount("rc.copy").warnIf(">1")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("equal_row_count_copy");
    }

    @Test
    void columnsAndTypesAreReadFromTheCatalogWithoutAQuery(DataSource ds) throws Exception {
        sql(ds, "create schema sch", "create domain sch.email as text",
                "create table sch.t (id int, email varchar(20), amount numeric(12,2), created timestamptz, mail sch.email)",
                "alter table sch.t drop column mail", "alter table sch.t add column note text");
        QualityReport r = QualitySuite.on(ds).table("sch.t", t -> t
                .columns("id", "email", "amount", "created", "note").id("set")
                .columns(ColumnMatch.IN_ORDER, "id", "amount", "email", "created", "note").id("ordered")
                .columns(ColumnMatch.ANY_ORDER, "id", "email", "amount", "created", "Note").id("case")
                .columns(ColumnMatch.OTHERS_ALLOWED, "created", "id").id("subset")
                .columnType("id", "int4")
                .columnType("email", "varchar")
                .columnType("amount", "numeric(12, 2)")
                .columnType("created", "timestamptz")
                .columnType("note", "character varying").id("note_varchar")
                .columnType("email", "varchar(30)").id("email_30")
                .columnType("id", "nosuchtype").id("unknown_type")).run();
        Map<String, Status> status = new java.util.LinkedHashMap<>();
        r.checks().forEach(c -> status.put(c.id(), c.status()));
        assertThat(status).containsExactly(
                Map.entry("set", Status.PASS),
                Map.entry("ordered", Status.FAIL),
                Map.entry("case", Status.FAIL),
                Map.entry("subset", Status.PASS),
                Map.entry("column_type_id", Status.PASS),
                Map.entry("column_type_email", Status.PASS),
                Map.entry("column_type_amount", Status.PASS),
                Map.entry("column_type_created", Status.PASS),
                Map.entry("note_varchar", Status.FAIL),
                Map.entry("email_30", Status.FAIL),
                Map.entry("unknown_type", Status.ERROR));
        assertThat(check(r, "sch.t", "ordered").message()).contains("in another order", "\"id\", \"amount\", \"email\"");
        assertThat(check(r, "sch.t", "case").message()).contains("missing \"Note\"", "unexpected \"note\"");
        assertThat(check(r, "sch.t", "set").observed()).isEqualTo("columns \"id\", \"email\", \"amount\", \"created\", \"note\"");
        assertThat(check(r, "sch.t", "email_30").message()).isEqualTo(
                "column \"email\" of sch.t is character varying(20), expected varchar(30)");
        assertThat(check(r, "sch.t", "unknown_type").message()).contains("nosuchtype");
        assertThat(r.queries()).isZero();
        // the reports show them (a catalog check has no rows checked), with the catalog query of a type check
        assertThat(r.toConsoleTable()).contains("email_30", "in another order");
        assertThat(r.toJson()).contains("\"column_type\"", "to_regtype");
        assertThat(r.toHtml()).contains("unknown_type");

        sql(ds, "create table sch.d (e sch.email)");
        QualityReport domain = QualitySuite.on(ds).table("sch.d", t -> t.columnType("e", "sch.email")
                .columnType("e", "text").id("base")).run();
        assertThat(domain.checks()).extracting(CheckResult::status).containsExactly(Status.PASS, Status.FAIL);
    }

    @Test
    void badArgumentsAreRefusedNamingTheTableAndTheCheck(DataSource ds) {
        QualitySuite suite = QualitySuite.on(ds);
        assertThatThrownBy(() -> suite.table("s.t", t -> t.length("code", 5, 2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("s.t: length(code): minimum 5 is above maximum 2");
        assertThatThrownBy(() -> suite.table("s.t", t -> t.length("code", null, null)))
                .hasMessageContaining("s.t: length(code)");
        assertThatThrownBy(() -> suite.table("s.t", t -> t.length("code", -1, 2)))
                .hasMessageContaining("s.t: length(code)").hasMessageContaining("negative");
        assertThatThrownBy(() -> suite.table("s.t", t -> t.notAcceptedValues("status")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("s.t: notAcceptedValues(status): give at least one value");
        assertThatThrownBy(() -> suite.table("s.t", t -> t.notAcceptedValues("status", "a", null)))
                .hasMessageContaining("s.t: notAcceptedValues(status)").hasMessageContaining("notNull");
        assertThatThrownBy(() -> suite.table("s.t", t -> t.sequentialValues("n", 0)))
                .hasMessage("s.t: sequentialValues(n): the step must be positive, was 0");
        assertThatThrownBy(() -> suite.table("s.t", t -> t.sequentialValues("d", Period.of(0, 1, -1))))
                .hasMessageContaining("s.t: sequentialValues(d)").hasMessageContaining("positive in every unit");
        assertThatThrownBy(() -> suite.table("s.t", t -> t.mutuallyExclusiveRanges("a", "a")))
                .hasMessageContaining("s.t: mutuallyExclusiveRanges(a, a)");
        assertThatThrownBy(() -> suite.table("s.t", t -> t.columns()))
                .hasMessage("s.t: columns(...): give at least one column name");
        assertThatThrownBy(() -> suite.table("s.t", t -> t.columns("a", "b", "a")))
                .hasMessage("s.t: columns(...): column a is given twice");
        assertThatThrownBy(() -> suite.table("s.t", t -> t.equalRowCount(" ")))
                .hasMessage("s.t: equalRowCount: give the table to compare with");
        assertThatThrownBy(() -> suite.table("s.t", t -> t.columnType("a", " ")))
                .hasMessage("s.t: columnType(a): the type is empty");
    }

    @Test
    void anUnknownTableMakesEveryNewCheckAnErrorNamingIt(DataSource ds) throws Exception {
        QualityReport r = QualitySuite.on(ds).table("nowhere.t", t -> t.notAcceptedValues("a", 1).length("a", 1, 2)
                .notConstant("a").atLeastOne("a").sequentialValues("a").mutuallyExclusiveRanges("a", "b")
                .equalRowCount("nowhere.u").columns("a").columnType("a", "int")).run();
        assertThat(r.checks()).hasSize(9).allMatch(c -> c.status() == Status.ERROR
                && c.message().equals("table nowhere.t does not exist (or is not visible to this user)"));
        assertThat(r.queries()).isZero();
    }

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
}
