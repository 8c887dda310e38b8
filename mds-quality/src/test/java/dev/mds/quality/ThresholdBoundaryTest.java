package dev.mds.quality;

import static dev.mds.quality.Threshold.mostly;
import static dev.mds.quality.Threshold.percent;
import static dev.mds.quality.Threshold.percentOfNonNull;
import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A percentage threshold is exact at its boundary: exactly the tolerated share passes and one row more fails, whatever
 * the fraction's binary rounding and however many rows.
 */
@MdsPostgres
class ThresholdBoundaryTest {

    /** Exactly the tolerated share passes, as Great Expectations' {@code success_ratio >= mostly}. */
    @Test
    void exactlyTheToleratedShareOfARealTablePassesAndOneRowMoreFails(DataSource ds) {
        // 20 non-NULL values, 1 of them not accepted (5%, 95% pass), and 20 NULLs (so 2.5% of all rows)
        sql(ds, "create table tb (id int, c text)",
                "insert into tb select g, case when g <= 20 then null when g = 21 then 'bad' else 'ok' end"
                        + " from generate_series(1, 40) g",
                // 10 values of which 1 fails (10%, 90% pass): 1 - 0.9 is 0.09999999999999998 in doubles
                "create table tb9 (id int, c text)",
                "insert into tb9 select g, case when g = 1 then 'bad' else 'ok' end from generate_series(1, 10) g");
        QualityReport r = QualitySuite.on(ds)
                .table("tb", t -> t
                        .acceptedValues("c", "ok").id("mostly_95").threshold(mostly(0.95))
                        .acceptedValues("c", "ok").id("mostly_96").threshold(mostly(0.96))
                        .acceptedValues("c", "ok").id("non_null_5").threshold(percentOfNonNull(5))
                        .acceptedValues("c", "ok").id("percent_2_5").threshold(percent(2.5))
                        .acceptedValues("c", "ok").id("percent_2_4").threshold(percent(2.4)))
                .table("tb9", t -> t
                        .acceptedValues("c", "ok").id("mostly_90").threshold(mostly(0.9))
                        .acceptedValues("c", "ok").id("mostly_0_9_computed").threshold(mostly(1 - 0.1))
                        .acceptedValues("c", "ok").id("percent_10").threshold(percent(10))
                        .acceptedValues("c", "ok").id("percent_9_99").threshold(percent(9.99)))
                .run();
        Map<String, Status> statuses = new LinkedHashMap<>();
        r.checks().forEach(c -> statuses.put(c.id(), c.status()));
        assertThat(statuses).containsExactly(Map.entry("mostly_95", Status.PASS), Map.entry("mostly_96", Status.FAIL),
                Map.entry("non_null_5", Status.PASS), Map.entry("percent_2_5", Status.PASS),
                Map.entry("percent_2_4", Status.FAIL), Map.entry("mostly_90", Status.PASS),
                Map.entry("mostly_0_9_computed", Status.PASS), Map.entry("percent_10", Status.PASS),
                Map.entry("percent_9_99", Status.FAIL));
    }

    /** Every fraction of hundredths and every tenth of a percent, against every share of up to 200 rows. */
    @Test
    void everyDecimalThresholdAgreesWithExactArithmeticAtEveryShareOfSmallTables() {
        for (int k = 0; k <= 100; k++) {
            BigDecimal fraction = BigDecimal.valueOf(k, 2);
            Threshold t = mostly(fraction.doubleValue());
            for (long of = 1; of <= 200; of++) {
                for (long failing = 0; failing <= of; failing++) {
                    // GE: (of - failing) / of >= mostly passes
                    boolean passes = BigDecimal.valueOf(of - failing).compareTo(fraction.multiply(BigDecimal.valueOf(of))) >= 0;
                    assertThat(t.exceededBy(failing, of, of)).as("mostly(%s), %d of %d failing", fraction, failing, of)
                            .isEqualTo(!passes);
                }
            }
        }
        for (int k = 0; k <= 1000; k++) {
            BigDecimal pct = BigDecimal.valueOf(k, 1);
            Threshold t = percent(pct.doubleValue());
            for (long of = 1; of <= 200; of++) {
                for (long failing = 0; failing <= of; failing++) {
                    boolean exceeded = BigDecimal.valueOf(failing * 100).compareTo(pct.multiply(BigDecimal.valueOf(of))) > 0;
                    assertThat(t.exceededBy(failing, of)).as("percent(%s), %d of %d failing", pct, failing, of)
                            .isEqualTo(exceeded);
                }
            }
        }
    }

    /**
     * Before, the share was computed as {@code failing * 100.0 / of} in doubles: from about 2^53 / 100 rows, a count
     * one row past the threshold rounded to it and passed.
     */
    @Test
    void oneRowPastTheThresholdFailsAtAnyRowCount() {
        long of = 1_000_000_000_000_000_000L;
        assertThat(mostly(0.95).exceededBy(50_000_000_000_000_000L, of, of)).isFalse();
        assertThat(mostly(0.95).exceededBy(50_000_000_000_000_001L, of, of)).isTrue();
        assertThat(percent(5).exceededBy(50_000_000_000_000_001L, of)).isTrue();
        assertThat(percentOfNonNull(0.001).exceededBy(10_000_000_000_001L, Long.MAX_VALUE, of)).isTrue();
        assertThat(percentOfNonNull(0.001).exceededBy(10_000_000_000_000L, Long.MAX_VALUE, of)).isFalse();
        // just over half of Long.MAX_VALUE rows (an odd number)
        assertThat(percent(50).exceededBy(1L << 62, Long.MAX_VALUE)).isTrue();
        assertThat(percent(50).exceededBy((1L << 62) - 1, Long.MAX_VALUE)).isFalse();
        assertThat(percent(100).exceededBy(Long.MAX_VALUE, Long.MAX_VALUE)).isFalse();
        assertThat(percent(0).exceededBy(1, Long.MAX_VALUE)).isTrue();
        assertThat(mostly(1).exceededBy(1, Long.MAX_VALUE, Long.MAX_VALUE)).isTrue();
        // no rows to take a share of: nothing is exceeded
        assertThat(percent(0).exceededBy(0, 0)).isFalse();
        assertThat(mostly(1).exceededBy(0, 5, 0)).isFalse();
    }

    @Test
    void minusZeroPercentIsZeroPercent() {
        assertThat(percent(-0.0)).isEqualTo(percent(0));
        assertThat(percent(-0.0).toString()).isEqualTo("> 0.0%");
        assertThat(mostly(1.0)).isEqualTo(percentOfNonNull(0));
    }
}
