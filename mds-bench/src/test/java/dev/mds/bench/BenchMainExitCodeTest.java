package dev.mds.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The exit codes of shared/BENCHMARKS.md: 0 when goals are missed, non-zero only when the bench itself failed. */
class BenchMainExitCodeTest {

    @Test
    void aMissedGoalExitsZero() {
        assertThat(BenchMain.run(new String[] {"--quick", "missesItsGoal"})).isZero();
    }

    @Test
    void aFailedCheckExitsOne() {
        assertThat(BenchMain.run(new String[] {"--quick", "failsItsCheck"})).isEqualTo(1);
    }

    @Test
    void anErrorThatIsNoAssertionErrorFailsTheSuiteAndTheNextSuiteStillRuns() {
        assertThat(BenchMain.run(new String[] {"--quick", "throwsAnError", "missesItsGoal"})).isEqualTo(1);
    }

    @Test
    void badArgumentsExitTwoBeforeAnySuiteRuns() {
        assertThat(BenchMain.run(new String[] {"--quick", "missesItsGoal", "lod"})).isEqualTo(2);
        assertThat(BenchMain.run(new String[] {"--rounds", "2", "missesItsGoal"})).isEqualTo(2);
        assertThat(BenchMain.run(new String[] {})).isEqualTo(2);
    }
}
