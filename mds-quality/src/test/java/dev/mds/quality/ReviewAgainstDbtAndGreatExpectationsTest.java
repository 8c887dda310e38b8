package dev.mds.quality;

import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Findings of an adversarial review against what users of dbt tests and Great Expectations expect, each shown on the
 * real server before it was fixed.
 */
@MdsPostgres
class ReviewAgainstDbtAndGreatExpectationsTest {

    private static CheckResult check(QualityReport r, String table, String id) {
        return r.check(table, id).orElseThrow(() -> new AssertionError("no check " + table + " " + id));
    }

    /**
     * A row count exactly k standard deviations from the mean is not more than k away, so it passes (as a z-score
     * of exactly k is no anomaly). The comparison was made in doubles, {@code dev <= k * sd}, where 0.29 * 100 is
     * 28.999999999999996: a count 29 rows (0.29 sd) from the mean failed, saying it was "more than 0.29 standard
     * deviations" away.
     */
    @Test
    void aRowCountExactlyKStandardDeviationsFromTheMeanPasses(DataSource ds) {
        String[] tables = {"at_k_above", "at_k_below", "past_k"};
        for (String table : tables) {
            sql(ds, "create table " + table + " (id int)");
        }
        // earlier runs of 0, 200 and 100 rows: mean 100, sample standard deviation exactly 100
        for (int rows : new int[] {0, 200, 100}) {
            QualitySuite suite = QualitySuite.on(ds).history("public.runs");
            for (String table : tables) {
                sql(ds, "truncate " + table, "insert into " + table + " select generate_series(1, " + rows + ")");
                suite = suite.table(table, t -> t.rowCountAnomaly(0.29, 10));
            }
            suite.run();
        }
        sql(ds, "truncate at_k_above, at_k_below, past_k", "insert into at_k_above select generate_series(1, 129)",
                "insert into at_k_below select generate_series(1, 71)", "insert into past_k select generate_series(1, 130)");
        QualitySuite suite = QualitySuite.on(ds).history("public.runs");
        for (String table : tables) {
            suite = suite.table(table, t -> t.rowCountAnomaly(0.29, 10));
        }
        QualityReport r = suite.run();

        CheckResult above = check(r, "public.at_k_above", "row_count_anomaly");
        assertThat(above.observed()).isEqualTo("129 rows; last 3 runs mean 100.0, stddev 100.0 (0.29 sd away)");
        assertThat(above.status()).isEqualTo(Status.PASS);
        assertThat(check(r, "public.at_k_below", "row_count_anomaly").status()).isEqualTo(Status.PASS);
        CheckResult past = check(r, "public.past_k", "row_count_anomaly");
        assertThat(past.status()).isEqualTo(Status.FAIL);
        assertThat(past.message()).isEqualTo("row count 130 is more than 0.29 standard deviations from the mean 100.0 of the last 3 runs");
    }
}
