package dev.mds.quality.internal;

/** A count and its noun as reports print them: {@code 1 group}, {@code 2 groups}, {@code 0 rows}. */
public final class Plural {
    private Plural() {
    }

    /** {@code n} and {@code noun}, with an {@code s} added unless {@code n} is 1. */
    public static String count(long n, String noun) {
        return count(n, noun, noun + "s");
    }

    /** {@code n} and {@code one} when it is 1, {@code many} otherwise. */
    public static String count(long n, String one, String many) {
        return n + " " + (n == 1 ? one : many);
    }
}
