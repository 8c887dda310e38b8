package dev.mds.quality;

import static dev.mds.quality.Threshold.mostly;
import static dev.mds.quality.Threshold.percent;
import static dev.mds.quality.Threshold.percentOfNonNull;
import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.testing.MdsPostgres;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * The denominator of a percentage threshold: all rows checked ({@link Threshold#percent}, the default, NULLs
 * included) or only the non-NULL ones ({@link Threshold#percentOfNonNull}, {@link Threshold#mostly}, as Great
 * Expectations computes {@code mostly}).
 */
@MdsPostgres
class NonNullPercentTest {

    /**
     * 100 rows. currency: NULL in 50, 'XXX' (not accepted) in 4 of the other 50 (4% of all, 8% of non-NULL).
     * q: NULL in 60, out of range 1..10 in 5 of the other 40 (5% of all, 12.5% of non-NULL). pid: NULL in 80, no parent
     * in 2 of the other 20 (2% of all, 10% of non-NULL). email: NULL in 50, no '@' in 5 of the other 50.
     */
    private static void mostlyNull(DataSource ds) {
        sql(ds, "drop table if exists nn, nn_parent",
                "create table nn_parent (pid int primary key)", "insert into nn_parent select g from generate_series(1, 10) g",
                "create table nn (id int primary key, currency text, q int, pid int, email text, must text not null)",
                "insert into nn select g,"
                        + " case when g <= 50 then null when g <= 54 then 'XXX' else 'EUR' end,"
                        + " case when g <= 60 then null when g <= 65 then 99 else 5 end,"
                        + " case when g <= 80 then null when g <= 82 then 42 else 1 + g % 10 end,"
                        + " case when g <= 50 then null when g <= 55 then 'nobody' else 'u' || g || '@x.org' end,"
                        + " case when g <= 9 then 'bad' else 'ok' end"
                        + " from generate_series(1, 100) g");
    }

    private static CheckResult check(QualityReport r, String id) {
        return r.check("nn", id).orElseThrow(() -> new AssertionError("no check " + id + " in " + r.checks()));
    }

    @Test
    void percentCountsNullRowsInTheDenominatorAndPercentOfNonNullLeavesThemOut(DataSource ds) {
        mostlyNull(ds);
        QualityReport r = QualitySuite.on(ds).table("nn", t -> t
                .acceptedValues("currency", "EUR").id("av_all").threshold(percent(5))             // 4% of 100: PASS
                .acceptedValues("currency", "EUR").id("av_non_null").threshold(percentOfNonNull(5)) // 8% of 50: FAIL
                .acceptedValues("currency", "EUR").id("av_mostly_95").threshold(mostly(0.95))      // = percentOfNonNull(5)
                .acceptedValues("currency", "EUR").id("av_mostly_92").threshold(mostly(0.92))      // 8% <= 8%: PASS
                .range("q", 1, 10).id("range_all").threshold(percent(10))                          // 5%: PASS
                .range("q", 1, 10).id("range_non_null").threshold(percentOfNonNull(10))            // 12.5%: FAIL
                .matches("email", "@").id("matches_non_null").threshold(percentOfNonNull(9))       // 10%: FAIL
                .matches("email", "@").id("matches_all").threshold(percent(9))                     // 5%: PASS
                .relationships("pid", "nn_parent", "pid").id("rel_all").threshold(percent(5))      // 2%: PASS
                .relationships("pid", "nn_parent", "pid").id("rel_non_null").threshold(percentOfNonNull(5))) // 10%: FAIL
                .run();
        assertThat(r.checks()).extracting(CheckResult::id, CheckResult::status).containsExactly(
                org.assertj.core.groups.Tuple.tuple("av_all", Status.PASS),
                org.assertj.core.groups.Tuple.tuple("av_non_null", Status.FAIL),
                org.assertj.core.groups.Tuple.tuple("av_mostly_95", Status.FAIL),
                org.assertj.core.groups.Tuple.tuple("av_mostly_92", Status.PASS),
                org.assertj.core.groups.Tuple.tuple("range_all", Status.PASS),
                org.assertj.core.groups.Tuple.tuple("range_non_null", Status.FAIL),
                org.assertj.core.groups.Tuple.tuple("matches_non_null", Status.FAIL),
                org.assertj.core.groups.Tuple.tuple("matches_all", Status.PASS),
                org.assertj.core.groups.Tuple.tuple("rel_all", Status.PASS),
                org.assertj.core.groups.Tuple.tuple("rel_non_null", Status.FAIL));
        CheckResult av = check(r, "av_non_null");
        assertThat(av.message()).isEqualTo("4 failing rows (8.00% of 50 non-null rows), more than the threshold > 5.0% of non-null rows");
        assertThat(av.decidedBy()).isEqualTo("error_if > 5.0% of non-null rows");
        // failingPercent stays the share of all rows checked; the message gives the share of the non-NULL ones
        assertThat(av.failingPercent()).isEqualTo(4.0);
        assertThat(av.checkedRows()).isEqualTo(100);
        assertThat(check(r, "av_mostly_92").message()).isEqualTo("4 failing rows (8.00% of 50 non-null rows), within the threshold > 8.0% of non-null rows");
        assertThat(check(r, "range_non_null").message()).contains("5 failing rows (12.50% of 40 non-null rows)");
        assertThat(check(r, "rel_non_null").message()).contains("2 failing rows (10.00% of 20 non-null rows)");
        // the plain percentage, as before
        assertThat(check(r, "av_all").message()).isEqualTo("4 failing rows (4.00%), within the threshold > 5.0%");
    }

    @Test
    void uniqueDividesByTheRowsWithNoNullInTheKey(DataSource ds) {
        sql(ds, "create table nu (id int primary key, a int, b int)",
                // 20 rows: b NULL in 10; of the 10 complete keys, (1, 1) twice: 2 failing rows, 10% of all, 20% of complete
                "insert into nu select g, 1, case when g <= 10 then null when g <= 12 then 1 else g end from generate_series(1, 20) g");
        QualityReport r = QualitySuite.on(ds).table("nu", t -> t
                .unique("a", "b").id("u_all").threshold(percent(15))
                .unique("a", "b").id("u_non_null").threshold(percentOfNonNull(15)))
                .run();
        assertThat(r.check("nu", "u_all").orElseThrow().status()).isEqualTo(Status.PASS);
        CheckResult u = r.check("nu", "u_non_null").orElseThrow();
        assertThat(u.status()).isEqualTo(Status.FAIL);
        assertThat(u.message()).contains("2 failing rows (20.00% of 10 non-null rows)");
        assertThat(u.sql()).contains("as non_null");
        assertThat(r.check("nu", "u_all").orElseThrow().sql()).doesNotContain("non_null");
    }

    @Test
    void notNullAndExpressionDivideByAllRowsWhateverTheThresholdSays(DataSource ds) {
        mostlyNull(ds);
        QualityReport r = QualitySuite.on(ds).table("nn", t -> t
                // 50 NULLs of 100 rows: 50% (of non-NULL rows it would be 100%)
                .notNull("currency").threshold(percentOfNonNull(60))
                .expression("no_xxx", "currency <> 'XXX'").threshold(percentOfNonNull(5)))  // 4 of 100: PASS
                .run();
        assertThat(r.checks()).allSatisfy(c -> assertThat(c.status()).as(c.id()).isEqualTo(Status.PASS));
        // worded as applied: a percentage of all rows
        assertThat(r.checks().get(0).message()).isEqualTo("50 failing rows (50.00%), within the threshold > 60.0%");
        QualityReport strict = QualitySuite.on(ds).table("nn", t -> t.notNull("currency").errorIf(percentOfNonNull(40))).run();
        assertThat(strict.checks().get(0).decidedBy()).isEqualTo("error_if > 40.0%");
    }

    @Test
    void theScanCountsNonNullRowsOnlyForChecksWhoseThresholdNeedsThem(DataSource ds) {
        mostlyNull(ds);
        String plain = scanSql(QualitySuite.on(ds).table("nn", t -> t.acceptedValues("currency", "EUR").threshold(percent(5))
                .acceptedValues("must", "ok").id("must_ok").threshold(percent(5))));
        assertThat(plain).doesNotContain("\"currency\" is null");
        // a NOT NULL column's non-NULL rows are all its rows: nothing more to count
        String nonNull = scanSql(QualitySuite.on(ds).table("nn", t -> t
                .acceptedValues("currency", "EUR").threshold(percentOfNonNull(5))
                .acceptedValues("must", "ok").id("must_ok").threshold(percentOfNonNull(5))));
        assertThat(occurrences(nonNull, "count(*) filter (where \"currency\" is null)")).isEqualTo(1);
        assertThat(nonNull).doesNotContain("\"must\" is null");
        // a not null check of the same column shares the count
        String shared = scanSql(QualitySuite.on(ds).table("nn", t -> t.notNull("currency")
                .acceptedValues("currency", "EUR").warnIf(percentOfNonNull(5)).errorIf(percent(50))));
        assertThat(occurrences(shared, "count(*) filter (where \"currency\" is null)")).isEqualTo(1);

        QualityReport r = QualitySuite.on(ds).table("nn", t -> t.notNull("currency").threshold(percent(50))
                .acceptedValues("currency", "EUR").warnIf(percentOfNonNull(5)).errorIf(percent(50))
                .acceptedValues("must", "ok").id("must_ok").threshold(percentOfNonNull(5)))
                .run();
        assertThat(r.queries()).isEqualTo(3); // the scan, then samples of the two that warned or failed
        assertThat(r.check("nn", "accepted_values_currency").orElseThrow().status()).isEqualTo(Status.WARN);
        assertThat(r.check("nn", "accepted_values_currency").orElseThrow().decidedBy()).isEqualTo("warn_if > 5.0% of non-null rows");
        assertThat(r.check("nn", "must_ok").orElseThrow().message()).contains("9 failing rows (9.00% of 100 non-null rows)");
    }

    @Test
    void withNoNonNullRowsAPercentOfThemIsNeverExceededAndNothingDividesByZero(DataSource ds) throws Exception {
        sql(ds, "create table all_null (id int, v text, ref int)", "insert into all_null select g, null, null from generate_series(1, 5) g",
                "create table all_null_parent (ref int)");
        for (String where : List.of("true", "id > 100")) {
            QualityReport r = QualitySuite.on(ds).table("all_null", t -> t.where(where)
                    .acceptedValues("v", "a").threshold(percentOfNonNull(0))
                    .range("v", "a", "b").threshold(mostly(1))
                    .matches("v", "^x").warnIf(percentOfNonNull(0)).errorIf(percentOfNonNull(50))
                    .unique("v").threshold(percentOfNonNull(0))
                    .relationships("ref", "all_null_parent", "ref").threshold(mostly(0.5))
                    .notNull("v").threshold(percentOfNonNull(100))).run();
            assertThat(r.checks()).as(where).allSatisfy(c -> {
                assertThat(c.status()).isEqualTo(Status.PASS);
                assertThat(c.failingPercent()).isFinite();
                assertThat(c.decidedBy()).isEmpty();
            });
            new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.toJson()); // no NaN in the JSON
        }
    }

    @Test
    void badPercentagesAreRefusedNamingTheValue() {
        assertThatThrownBy(() -> percentOfNonNull(-1)).hasMessageContaining("between 0 and 100, was -1");
        assertThatThrownBy(() -> percentOfNonNull(Double.NaN)).hasMessageContaining("was NaN");
        assertThatThrownBy(() -> mostly(1.2)).hasMessageContaining("mostly must be between 0 and 1, was 1.2");
        assertThatThrownBy(() -> mostly(Double.NaN)).hasMessageContaining("mostly");
        assertThatThrownBy(() -> new Threshold(3, -1, Threshold.PercentOf.NON_NULL_ROWS))
                .hasMessageContaining("row-count threshold (3 rows)");
        assertThatThrownBy(() -> new Threshold(-1, 5, null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("percentOf");
        assertThat(mostly(0.95)).isEqualTo(percentOfNonNull(5));
        assertThat(mostly(1)).isEqualTo(percentOfNonNull(0));
        assertThat(new Threshold(-1, 5)).isEqualTo(percent(5));
        assertThat(percentOfNonNull(2.5)).hasToString("> 2.5% of non-null rows");
    }

    /**
     * The scan counts a column's NULLs with {@code count(*) filter (where col is null)}; for a composite column (or a
     * domain over one) {@code is null} is also true for a row value whose fields are all NULL, so there it counts the
     * values, {@code count(col)}. Either way only SQL NULLs fail: a row value of NULL fields, an array holding a NULL
     * and an empty string are values.
     */
    @Test
    void nullsAreSqlNullsOnlyForScalarArrayCompositeAndDomainColumns(DataSource ds) {
        sql(ds, "drop table if exists nulls_kinds", "drop domain if exists pair_d", "drop type if exists pair",
                "create type pair as (x int, y int)", "create domain pair_d as pair",
                "create table nulls_kinds (id int primary key, p pair, pd pair_d, arr int[], s text)",
                "insert into nulls_kinds values (1, row(null, null), row(null, null), '{NULL}', ''),"
                        + " (2, null, null, null, null), (3, row(1, 2), row(1, 2), '{1}', 'a'), (4, row(1, null), null, '{}', null)");
        QualitySuite suite = QualitySuite.on(ds).table("nulls_kinds", t -> t.notNull("p", "pd", "arr", "s")
                .atLeastOne("p").atLeastOne("s")
                .acceptedValues("s", "a").id("s_a").threshold(percentOfNonNull(40)));
        QualityReport r = suite.run();
        assertThat(r.check("nulls_kinds", "not_null_p").orElseThrow().failingRows()).isEqualTo(1);
        assertThat(r.check("nulls_kinds", "not_null_pd").orElseThrow().failingRows()).isEqualTo(2);
        assertThat(r.check("nulls_kinds", "not_null_arr").orElseThrow().failingRows()).isEqualTo(1);
        assertThat(r.check("nulls_kinds", "not_null_s").orElseThrow().failingRows()).isEqualTo(2);
        assertThat(r.check("nulls_kinds", "at_least_one_p").orElseThrow().observed()).isEqualTo("3 non-NULL of 4 rows");
        assertThat(r.check("nulls_kinds", "at_least_one_s").orElseThrow().observed()).isEqualTo("2 non-NULL of 4 rows");
        // '' of the 2 non-NULL values is not accepted: 50% > 40% of the non-NULL rows (25% of all rows would pass)
        assertThat(r.check("nulls_kinds", "s_a").orElseThrow().status()).isEqualTo(Status.FAIL);
        String scan = scanSql(suite);
        assertThat(scan).contains("count(\"p\")", "count(\"pd\")", "count(*) filter (where \"arr\" is null)",
                "count(*) filter (where \"s\" is null)").doesNotContain("\"p\" is null", "\"pd\" is null", "count(\"s\")");
        // the not null, at least one and non-NULL counts of a column share one aggregate
        assertThat(occurrences(scan, "\"s\" is null")).isEqualTo(1);
    }

    private static String scanSql(QualitySuite suite) {
        List<String> sql = suite.sql();
        assertThat(sql).hasSize(1);
        return sql.get(0);
    }

    private static int occurrences(String text, String part) {
        Matcher m = Pattern.compile(Pattern.quote(part)).matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }
}
