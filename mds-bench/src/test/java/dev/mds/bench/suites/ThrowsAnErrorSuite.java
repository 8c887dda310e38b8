package dev.mds.bench.suites;

import dev.mds.bench.BenchContext;
import dev.mds.bench.BenchSuite;

/** A suite for BenchMainExitCodeTest: ends with an Error that is no AssertionError (as an OutOfMemoryError). */
public final class ThrowsAnErrorSuite implements BenchSuite {
    @Override
    public void run(BenchContext context) {
        throw new StackOverflowError("deep");
    }
}
