package dev.mds.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RatioLineTest {

    @Test
    void aValueJustUnderItsGoalIsPrintedAsAMissNotAsTheGoal() {
        assertThat(BenchContext.ratioLine("load", "upsert50_vs_copy", 0.4996, ">=", 0.50))
                .isEqualTo("RATIO load.upsert50_vs_copy 0.49 goal >= 0.50 MISS");
        assertThat(BenchContext.ratioLine("quality", "ten_vs_scan", 4.004, "<=", 4.00))
                .isEqualTo("RATIO quality.ten_vs_scan 4.01 goal <= 4.00 MISS");
    }

    @Test
    void aValueMeetingItsGoalPassesWithTwoDecimals() {
        assertThat(BenchContext.ratioLine("load", "upsert50_vs_copy", 0.5, ">=", 0.50))
                .isEqualTo("RATIO load.upsert50_vs_copy 0.50 goal >= 0.50 PASS");
        assertThat(BenchContext.ratioLine("csv", "parallel_parse_vs_commons", 6.2449, ">=", 1.6))
                .isEqualTo("RATIO csv.parallel_parse_vs_commons 6.24 goal >= 1.60 PASS");
        assertThat(BenchContext.ratioLine("vault", "reload_vs_automatedv", 0.29, "<=", 0.30))
                .isEqualTo("RATIO vault.reload_vs_automatedv 0.29 goal <= 0.30 PASS");
        assertThat(BenchContext.ratioLine("vault", "first_load_vs_automatedv", 0.8549, "<=", 0.50))
                .isEqualTo("RATIO vault.first_load_vs_automatedv 0.86 goal <= 0.50 MISS");
        // 0.29 * 100 is 28.999999999999996 in binary: still printed 0.29, and meets >= 0.29
        assertThat(BenchContext.ratioLine("x", "y", 0.29, ">=", 0.29)).isEqualTo("RATIO x.y 0.29 goal >= 0.29 PASS");
    }

    @Test
    void aValueThatIsNoNumberFailsTheBenchInsteadOfPrintingAFigure() {
        assertThatThrownBy(() -> BenchContext.ratioLine("quality", "ten_vs_scan", Double.NaN, "<=", 4.00))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("quality.ten_vs_scan");
        assertThatThrownBy(() -> BenchContext.ratioLine("load", "insert_vs_copy", Double.POSITIVE_INFINITY, ">=", 0.80))
                .isInstanceOf(IllegalStateException.class);
    }
}
