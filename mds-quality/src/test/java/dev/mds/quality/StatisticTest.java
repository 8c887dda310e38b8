package dev.mds.quality;

import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.testing.MdsPostgres;
import java.math.BigDecimal;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Column statistics bounded as Great Expectations' expect_column_min/max/mean/sum/stdev_to_be_between: each equals
 * PostgreSQL's aggregate over the non-NULL values, is compared exactly with inclusive bounds, and is part of the one
 * scan.
 */
@MdsPostgres
class StatisticTest {
    private static void orders(DataSource ds, String schema) {
        sql(ds, "create schema " + schema, "create table " + schema + ".o (id int, amount numeric(10,2), qty int, score float8,"
                + " note text, region text)", "insert into " + schema + ".o values (1, 10.00, 1, 0.5, 'a', 'eu'),"
                + " (2, 20.00, 2, 1.5, 'b', 'eu'), (3, 30.10, 3, null, 'c', 'us'), (4, null, 4, 2.5, 'd', 'us')");
    }

    @Test
    void eachStatisticIsPostgresAggregateComparedExactlyWithInclusiveBounds(DataSource ds) {
        orders(ds, "st");
        QualityReport r = QualitySuite.on(ds).table("st.o", t -> t
                .statistic(Statistic.MEAN, "amount", 20.033, 20.04)                   // 60.10 / 3 = 20.0333…
                .statistic(Statistic.MIN, "amount", new BigDecimal("10.00"), null)   // exactly at the bound
                .statistic(Statistic.MAX, "qty", null, 3)                           // 4: above
                .statistic(Statistic.SUM, "qty", 10, 10)
                .statistic(Statistic.STDDEV, "score", 0.9, 1.1)).run();              // 1.0 over 0.5, 1.5, 2.5
        assertThat(r.queries()).isEqualTo(1);
        assertThat(r.check("st.o", "mean_amount").orElseThrow().status()).isEqualTo(Status.PASS);
        // 20.0333333333333333 as PostgreSQL's avg gives it, shown to 6 significant digits (still above 20.033)
        assertThat(strings(ds, "select avg(amount)::text from st.o")).containsExactly("20.0333333333333333");
        assertThat(r.check("st.o", "mean_amount").orElseThrow().observed()).isEqualTo("mean 20.0333");
        assertThat(r.check("st.o", "min_amount").orElseThrow().status()).isEqualTo(Status.PASS);
        CheckResult max = r.check("st.o", "max_qty").orElseThrow();
        assertThat(max.status()).isEqualTo(Status.FAIL);
        assertThat(max.message()).isEqualTo("max of qty is 4, expected within [-∞, 3]");
        assertThat(max.kind()).isEqualTo("statistic");
        assertThat(r.check("st.o", "sum_qty").orElseThrow().status()).isEqualTo(Status.PASS);
        assertThat(r.check("st.o", "stddev_score").orElseThrow().status()).isEqualTo(Status.PASS);
        assertThat(r.check("st.o", "stddev_score").orElseThrow().observed()).isEqualTo("stddev 1");

        // a where() applies; a WARN severity warns
        QualityReport eu = QualitySuite.on(ds).table("st.o", t -> t.where("region = 'eu'")
                .statistic(Statistic.MEAN, "amount", 15, 15).statistic(Statistic.SUM, "qty", 4, null).warn()).run();
        assertThat(eu.check("st.o", "mean_amount").orElseThrow().status()).isEqualTo(Status.PASS);
        assertThat(eu.check("st.o", "sum_qty").orElseThrow().status()).isEqualTo(Status.WARN);
    }

    @Test
    void noValueNaNAndInfinityAndAColumnThatIsNotANumber(DataSource ds) {
        orders(ds, "sn");
        sql(ds, "create table sn.f (x float8)", "insert into sn.f values ('Infinity'), (1)", "create table sn.nan (x float8)",
                "insert into sn.nan values ('NaN')");
        QualityReport r = QualitySuite.on(ds)
                .table("sn.o", t -> t.where("id > 100").statistic(Statistic.MEAN, "amount", 0, 100)
                        .statistic(Statistic.MIN, "note", 0, 1))
                .table("sn.f", t -> t.statistic(Statistic.MAX, "x", null, 1e300).statistic(Statistic.MIN, "x", 1, null))
                .table("sn.nan", t -> t.statistic(Statistic.MEAN, "x", 0, 1)).run();
        CheckResult none = r.check("sn.o", "mean_amount").orElseThrow();
        assertThat(none.status()).isEqualTo(Status.FAIL);
        assertThat(none.message()).isEqualTo("mean of amount: no mean (no non-NULL value), expected within [0, 100]");
        CheckResult text = r.check("sn.o", "min_note").orElseThrow();
        assertThat(text.status()).isEqualTo(Status.ERROR);
        assertThat(text.message()).contains("column \"note\" of sn.o is not a number");
        assertThat(r.check("sn.f", "max_x").orElseThrow().status()).isEqualTo(Status.FAIL);     // Infinity > 1e300
        assertThat(r.check("sn.f", "max_x").orElseThrow().observed()).isEqualTo("max Infinity");
        assertThat(r.check("sn.f", "min_x").orElseThrow().status()).isEqualTo(Status.PASS);
        assertThat(r.check("sn.nan", "mean_x").orElseThrow().message()).contains("mean is NaN");
    }

    @Test
    void badDeclarationsAreRefusedAtOnce(DataSource ds) {
        assertThatThrownBy(() -> QualitySuite.on(ds).table("x.t", t -> t.statistic(Statistic.MEAN, "a", null, null)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("give a minimum, a maximum or both");
        assertThatThrownBy(() -> QualitySuite.on(ds).table("x.t", t -> t.statistic(Statistic.MEAN, "a", 5, 1)))
                .hasMessageContaining("minimum 5 is above maximum 1");
        assertThatThrownBy(() -> QualitySuite.on(ds).table("x.t", t -> t.statistic(Statistic.SUM, "a", Double.NaN, 1)))
                .hasMessageContaining("a bound must be a finite number, not NaN");
        // it has no failing rows, so no threshold
        assertThatThrownBy(() -> QualitySuite.on(ds).table("x.t", t -> t.statistic(Statistic.MAX, "a", 0, 1)
                .threshold(Threshold.rows(5)))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("max_a");
    }

    @Test
    void medianIsTheMiddleValueOrTheMeanOfTheTwoMiddleValuesExactly(DataSource ds) {
        sql(ds, "create table med (id int, even numeric(10,2), odd int, f float8)",
                "insert into med values (1, 1.00, 1, 0.1), (2, 2.00, 2, 0.2), (3, 3.00, 10, null), (4, 4.01, null, 0.4),"
                        + " (5, null, null, null)");
        QualityReport r = QualitySuite.on(ds).table("med", t -> t
                .statistic(Statistic.MEDIAN, "even", new BigDecimal("2.505"), new BigDecimal("2.505"))   // exactly 2.5, so 2.505 fails
                .id("even_exact")
                .statistic(Statistic.MEDIAN, "even", 2.5, 2.5)
                .statistic(Statistic.MEDIAN, "odd", 2, 2)
                .statistic(Statistic.MEDIAN, "f", 0.2, 0.2)).run();
        assertThat(r.queries()).as("in the one scan").isEqualTo(1);
        assertThat(r.check("public.med", "even_exact").orElseThrow().status()).isEqualTo(Status.FAIL);
        CheckResult even = r.check("public.med", "median_even").orElseThrow();
        assertThat(even.status()).isEqualTo(Status.PASS);
        assertThat(new BigDecimal(even.observed().substring("median ".length()))).isEqualByComparingTo("2.5");
        assertThat(r.check("public.med", "median_odd").orElseThrow().status()).isEqualTo(Status.PASS);
        assertThat(r.check("public.med", "median_f").orElseThrow().observed()).isEqualTo("median 0.2");
        assertThat(r.check("public.med", "median_f").orElseThrow().status()).isEqualTo(Status.PASS);
    }
}
