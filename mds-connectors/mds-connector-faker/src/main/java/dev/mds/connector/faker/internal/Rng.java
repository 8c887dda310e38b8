package dev.mds.connector.faker.internal;

import java.util.List;

/**
 * SplitMix64, written out here so that the numbers never depend on the JDK's implementation of a random
 * generator: the same (seed, stream, id, salt) gives the same draws on every JVM.
 */
final class Rng {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private long state;

    private Rng(long state) {
        this.state = state;
    }

    /** A generator for one record: a mix of the source's seed, the stream, the record's id and a salt. */
    static Rng of(long seed, long stream, long id, long salt) {
        long s = mix(seed + GOLDEN);
        s = mix(s + stream * 0xC2B2AE3D27D4EB4FL + GOLDEN);
        s = mix(s + id * 0x165667B19E3779F9L + GOLDEN);
        s = mix(s + salt * 0xD6E8FEB86659FD93L + GOLDEN);
        return new Rng(s);
    }

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    long nextLong() {
        state += GOLDEN;
        return mix(state);
    }

    /** A number in [0, bound); bound must be positive. */
    long below(long bound) {
        return Long.remainderUnsigned(nextLong(), bound);
    }

    /** A number in [min, max]. */
    long between(long min, long max) {
        return min + below(max - min + 1);
    }

    int between(int min, int max) {
        return (int) between((long) min, (long) max);
    }

    /** True with the given chance in percent. */
    boolean chance(int percent) {
        return below(100) < percent;
    }

    <T> T pick(List<T> values) {
        return values.get((int) below(values.size()));
    }

    /** The pattern with each {@code #} replaced by a random digit. */
    String digits(String pattern) {
        StringBuilder b = new StringBuilder(pattern.length());
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            b.append(c == '#' ? (char) ('0' + below(10)) : c);
        }
        return b.toString();
    }
}
