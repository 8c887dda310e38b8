package dev.mds.bench.suites;

import dev.mds.bench.BenchContext;
import dev.mds.bench.BenchSuite;

/** A suite for BenchMainExitCodeTest: runs to its end and misses its goal. */
public final class MissesItsGoalSuite implements BenchSuite {
    @Override
    public void run(BenchContext context) {
        context.ratio("slow_vs_fast", 0.10, ">=", 1.00);
    }
}
