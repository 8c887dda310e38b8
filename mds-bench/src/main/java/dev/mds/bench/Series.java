package dev.mds.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * The timings of one side of a comparison (a baseline or mds) over the rounds of a run. Round 0 is the
 * warm-up: timed and printed, not counted.
 *
 * <pre>{@code
 * Series copy = context.series("raw COPY");
 * for (int round = 0; round <= context.rounds(); round++) {
 *     reset();
 *     long rows = copy.time(round, () -> copyRows());
 * }
 * double median = copy.medianSeconds();
 * }</pre>
 */
public final class Series {
    private final String label;
    private final List<Long> nanos = new ArrayList<>();

    Series(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    /** Times {@code work}, prints the round's time and returns what the work returned. */
    public <T> T time(int round, Callable<T> work) throws Exception {
        long t0 = System.nanoTime();
        T result = work.call();
        long elapsed = System.nanoTime() - t0;
        if (round > 0) {
            nanos.add(elapsed);
        }
        System.out.printf(Locale.ROOT, "  %-40s round %d%s: %8.3f s%n", label, round, round == 0 ? " (warm-up)" : "", elapsed / 1e9);
        return result;
    }

    /** Records a time measured elsewhere (for example inside a child process). */
    public void record(int round, long elapsedNanos) {
        if (round > 0) {
            nanos.add(elapsedNanos);
        }
        System.out.printf(Locale.ROOT, "  %-40s round %d%s: %8.3f s%n", label, round, round == 0 ? " (warm-up)" : "", elapsedNanos / 1e9);
    }

    public double medianSeconds() {
        List<Long> sorted = sorted();
        int n = sorted.size();
        double m = n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2.0;
        return m / 1e9;
    }

    public double minSeconds() {
        return sorted().get(0) / 1e9;
    }

    public double maxSeconds() {
        List<Long> s = sorted();
        return s.get(s.size() - 1) / 1e9;
    }

    private List<Long> sorted() {
        if (nanos.isEmpty()) {
            throw new IllegalStateException(label + ": no timed rounds (round 0 is the warm-up)");
        }
        List<Long> s = new ArrayList<>(nanos);
        s.sort(null);
        return s;
    }

    /** {@code label: median 1.234 s (min 1.200, max 1.300, n 5)}. */
    public String summary() {
        return String.format(Locale.ROOT, "%s: median %.3f s (min %.3f, max %.3f, n %d)", label, medianSeconds(), minSeconds(),
                maxSeconds(), nanos.size());
    }
}
