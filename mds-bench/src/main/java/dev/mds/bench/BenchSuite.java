package dev.mds.bench;

/**
 * One benchmark suite: measures a baseline and mds in the same run and prints {@code RATIO} lines through
 * {@link BenchContext#ratio}. A suite named {@code load} is the class {@code dev.mds.bench.suites.LoadSuite}.
 */
public interface BenchSuite {
    /** Runs the suite; throw when the bench itself fails (a wrong result, a crash), not when a goal is missed. */
    void run(BenchContext context) throws Exception;
}
