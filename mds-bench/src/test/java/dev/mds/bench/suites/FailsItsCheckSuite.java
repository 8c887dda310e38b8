package dev.mds.bench.suites;

import dev.mds.bench.BenchContext;
import dev.mds.bench.BenchSuite;

/** A suite for BenchMainExitCodeTest: its result check fails, as a wrong answer makes it. */
public final class FailsItsCheckSuite implements BenchSuite {
    @Override
    public void run(BenchContext context) {
        throw new AssertionError("expected 100 rows, found 99");
    }
}
