package dev.mds.quality;

import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.testing.MdsPostgres;
import java.sql.Connection;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Great Expectations' expect_column_unique_value_count_to_be_between and
 * expect_column_proportion_of_unique_values_to_be_between, in the table's single scan.
 */
@MdsPostgres
class UniqueValueProportionTest {

    private static void table(DataSource ds, String schema) throws Exception {
        sql(ds, "create schema " + schema,
                "create table " + schema + ".t (id int primary key, cur text, email text, nn int not null, nothing text,"
                        + " doc json)",
                "insert into " + schema + ".t values (1, 'EUR', 'a', 1, null, '{}'), (2, 'EUR', 'b', 1, null, '{}'),"
                        + " (3, 'USD', 'c', 2, null, null), (4, 'GBP', 'd', 3, null, null), (5, null, null, 4, null, null),"
                        + " (6, null, 'e', 5, null, null)");
    }

    private static long occurrences(String text, String part) {
        return (text.length() - text.replace(part, "").length()) / part.length();
    }

    @Test
    void distinctNonNullValuesAndTheirProportionOfNonNullRowsAreBoundedExactlyInOneScan(DataSource ds) throws Exception {
        table(ds, "pv");
        QualityReport r = QualitySuite.on(ds).table("pv.t", t -> t
                .uniqueValueCount("cur", 3, 3)
                .uniqueValueCount("cur", 4, null).id("too_few")
                .proportionOfUniqueValues("cur", 0.75, 1)                           // exactly on the bound: passes
                .proportionOfUniqueValues("cur", 0.76, null).id("not_distinct_enough")
                .proportionOfUniqueValues("email", 1, null)                         // NULLs are not values
                .proportionOfUniqueValues("nn", null, 0.8333)                       // 5/6 is above 0.8333
                .proportionOfUniqueValues("nothing", 0, 1)                          // no value: 0, as Great Expectations
                .proportionOfUniqueValues("nothing", 0.5, null).id("nothing_unique")
                .uniqueValueCount("email", 10, null).warn()).run();
        assertThat(r.checks()).extracting(CheckResult::status).containsExactly(Status.PASS, Status.FAIL, Status.PASS,
                Status.FAIL, Status.PASS, Status.FAIL, Status.PASS, Status.FAIL, Status.WARN);
        CheckResult count = r.checks().get(0);
        assertThat(count.id()).isEqualTo("unique_value_count_cur");
        assertThat(count.kind()).isEqualTo("unique_value_count");
        assertThat(count.observed()).isEqualTo("3 distinct values in 6 rows");
        assertThat(r.checks().get(1).message()).isEqualTo("unique value count of cur is 3, expected within [4, ∞]");
        CheckResult proportion = r.checks().get(2);
        assertThat(proportion.id()).isEqualTo("proportion_of_unique_values_cur");
        assertThat(proportion.kind()).isEqualTo("proportion_of_unique_values");
        assertThat(proportion.observed()).isEqualTo("proportion 0.75 (3 distinct values of 4 non-NULL values)");
        assertThat(r.checks().get(3).message()).isEqualTo("proportion of unique values of cur is 0.75 (3 distinct values"
                + " of 4 non-NULL values), expected within [0.76, ∞]");
        assertThat(r.checks().get(4).observed()).isEqualTo("proportion 1 (5 distinct values of 5 non-NULL values)");
        assertThat(r.checks().get(5).observed()).isEqualTo("proportion 0.83333 (5 distinct values of 6 non-NULL values)");
        assertThat(r.checks().get(6).observed()).isEqualTo("proportion 0 (0 distinct values of 0 non-NULL values)");
        assertThat(r.checks().get(8).message()).isEqualTo("unique value count of email is 5, expected within [10, ∞]");
        assertThat(r.checks()).allSatisfy(c -> assertThat(c.samples()).isEmpty());
        // one grouping per column, shared by the column's checks (text grouped bytewise), none in the table's scan
        assertThat(r.queries()).isEqualTo(4);
        assertThat(r.checks().subList(0, 4)).extracting(CheckResult::sql).containsOnly(count.sql());
        assertThat(occurrences(count.sql(), "select \"cur\" collate \"C\" as v, count(*) as c from \"pv\".\"t\" group by 1"))
                .isEqualTo(1);
        assertThat(r.checks().get(5).sql()).contains("select \"nn\" as v");
        try (Connection c = ds.getConnection()) {
            assertThat(QualitySuite.create().table("pv.t", t -> t.uniqueValueCount("cur", 3, 3)
                    .proportionOfUniqueValues("cur", 0.75, 1)).sql(c)).containsExactly(count.sql());
        }
        QualityReport withScan = QualitySuite.on(ds).table("pv.t", t -> t.notNull("id").proportionOfUniqueValues("cur", 0, 1)
                .uniqueValueCount("cur", 0, null)).run();
        assertThat(withScan.queries()).isEqualTo(2);
        assertThat(withScan.checks().get(0).sql()).doesNotContain("distinct");
        // where applies; an empty table has no value: a count of 0, a proportion of 0
        QualityReport some = QualitySuite.on(ds).table("pv.t", t -> t.where("id <= 2").uniqueValueCount("cur", 2, null)
                .proportionOfUniqueValues("cur", 0.5, 0.5)).run();
        assertThat(some.checks()).extracting(CheckResult::observed).containsExactly("1 distinct value in 2 rows",
                "proportion 0.5 (1 distinct value of 2 non-NULL values)");
        assertThat(some.checks()).extracting(CheckResult::status).containsExactly(Status.FAIL, Status.PASS);
        QualityReport none = QualitySuite.on(ds).table("pv.t", t -> t.where("id < 0").uniqueValueCount("cur", 1, null)
                .proportionOfUniqueValues("cur", null, 1)).run();
        assertThat(none.checks()).extracting(CheckResult::status).containsExactly(Status.FAIL, Status.PASS);
    }

    @Test
    void aMissingColumnOrATypeWithoutEqualityIsAnErrorNamingItAndTheOtherChecksReport(DataSource ds) throws Exception {
        table(ds, "pve");
        QualityReport r = QualitySuite.on(ds).table("pve.t", t -> t
                .uniqueValueCount("nope", 1, null)
                .uniqueValueCount("doc", 1, null)
                .proportionOfUniqueValues("doc", 0, 1)
                .uniqueValueCount("cur", 3, 3)).run();
        assertThat(r.checks()).extracting(CheckResult::status).containsExactly(Status.ERROR, Status.ERROR, Status.ERROR,
                Status.PASS);
        assertThat(r.checks().get(0).message()).isEqualTo(
                "column \"nope\" does not exist in pve.t (columns: id, cur, email, nn, nothing, doc)");
        assertThat(r.checks().get(1).message()).startsWith("check unique_value_count_doc (unique_value_count on column"
                + " \"doc\" of type json) of pve.t could not run: ERROR: could not identify an equality operator for type json");
        assertThat(r.checks().get(2).message()).startsWith("check proportion_of_unique_values_doc (proportion_of_unique_values"
                + " on column \"doc\" of type json) of pve.t could not run");
        assertThat(QualitySuite.on(ds).table("pve.nowhere", t -> t.uniqueValueCount("cur", 1, null)).run().checks().get(0)
                .message()).isEqualTo("table pve.nowhere does not exist (or is not visible to this user)");

        QualitySuite suite = QualitySuite.on(ds);
        assertThatThrownBy(() -> suite.table("pve.t", t -> t.uniqueValueCount("cur", null, null)))
                .hasMessage("pve.t: uniqueValueCount(cur): give a minimum, a maximum or both");
        assertThatThrownBy(() -> suite.table("pve.t", t -> t.uniqueValueCount("cur", 1.5, null)))
                .hasMessage("pve.t: uniqueValueCount(cur): a bound must be a whole number of values, 0 or more, was 1.5");
        assertThatThrownBy(() -> suite.table("pve.t", t -> t.uniqueValueCount("cur", -1, null)))
                .hasMessageContaining("0 or more, was -1");
        assertThatThrownBy(() -> suite.table("pve.t", t -> t.uniqueValueCount("cur", 5, 2)))
                .hasMessage("pve.t: uniqueValueCount(cur): minimum 5 is above maximum 2");
        assertThatThrownBy(() -> suite.table("pve.t", t -> t.proportionOfUniqueValues("cur", 95, null)))
                .hasMessage("pve.t: proportionOfUniqueValues(cur): a bound must be a proportion between 0 and 1, was 95");
        assertThatThrownBy(() -> suite.table("pve.t", t -> t.proportionOfUniqueValues("cur", Double.NaN, null)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("proportionOfUniqueValues(cur)");
        assertThatThrownBy(() -> suite.table("pve.t", t -> t.proportionOfUniqueValues("cur", 0.9, 0.1)))
                .hasMessage("pve.t: proportionOfUniqueValues(cur): minimum 0.9 is above maximum 0.1");
        assertThatThrownBy(() -> suite.table("pve.t", t -> t.uniqueValueCount("cur", 1, null).threshold(Threshold.rows(1))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("a unique_value_count check passes or fails as a whole");
        assertThatThrownBy(() -> suite.table("pve.t", t -> t.proportionOfUniqueValues("cur", 0, 1).groupBy("id")))
                .hasMessageContaining("a proportion_of_unique_values check cannot be grouped");
    }

    @Test
    void aProportionOnABoundGivenAsAFractionPassesAsInGreatExpectations(DataSource ds) throws Exception {
        sql(ds, "create schema upf", "create table upf.t (v text)", "insert into upf.t values ('a'), ('a'), ('b'), (null)");
        // 2 distinct of 3 non-NULL values: Great Expectations computes 2 / 3 as a float, equal to the bound 2.0 / 3
        QualityReport r = QualitySuite.on(ds).table("upf.t", t -> t
                .proportionOfUniqueValues("v", 1.0 / 3, 2.0 / 3).id("between_thirds")
                .proportionOfUniqueValues("v", 2.0 / 3, null).id("at_least_two_thirds")
                .proportionOfUniqueValues("v", null, 0.6666).id("below")
                .proportionOfUniqueValues("v", 0.6667, null).id("above")).run();
        assertThat(r.checks()).extracting(CheckResult::id, CheckResult::status).containsExactly(
                org.assertj.core.groups.Tuple.tuple("between_thirds", Status.PASS),
                org.assertj.core.groups.Tuple.tuple("at_least_two_thirds", Status.PASS),
                org.assertj.core.groups.Tuple.tuple("below", Status.FAIL),
                org.assertj.core.groups.Tuple.tuple("above", Status.FAIL));
        assertThat(r.checks().get(0).observed()).isEqualTo("proportion 0.6667 (2 distinct values of 3 non-NULL values)");
        assertThat(r.checks().get(2).message()).isEqualTo("proportion of unique values of v is 0.6667 (2 distinct values"
                + " of 3 non-NULL values), expected within [-∞, 0.6666]");
    }
}
