package dev.mds.quality;

import java.util.OptionalLong;

/**
 * Inclusive bounds for a row count.
 *
 * <pre>{@code
 * import static dev.mds.quality.Bounds.atLeast;
 * t -> t.rowCount(atLeast(1))
 * t -> t.rowCount(Bounds.between(1_000, 2_000))
 * }</pre>
 *
 * @param min the smallest count allowed, if any
 * @param max the largest count allowed, if any
 */
public record Bounds(OptionalLong min, OptionalLong max) {
    public Bounds {
        if (min.isPresent() && max.isPresent() && min.getAsLong() > max.getAsLong()) {
            throw new IllegalArgumentException("bounds: min " + min.getAsLong() + " > max " + max.getAsLong());
        }
    }

    /** At least {@code min}. */
    public static Bounds atLeast(long min) {
        return new Bounds(OptionalLong.of(min), OptionalLong.empty());
    }

    /** At most {@code max}. */
    public static Bounds atMost(long max) {
        return new Bounds(OptionalLong.empty(), OptionalLong.of(max));
    }

    /** Between {@code min} and {@code max}, both included. */
    public static Bounds between(long min, long max) {
        return new Bounds(OptionalLong.of(min), OptionalLong.of(max));
    }

    /** Exactly {@code count}. */
    public static Bounds exactly(long count) {
        return between(count, count);
    }

    /** Whether {@code value} lies within the bounds. */
    public boolean contains(long value) {
        return (min.isEmpty() || value >= min.getAsLong()) && (max.isEmpty() || value <= max.getAsLong());
    }

    @Override
    public String toString() {
        if (min.isPresent() && max.isPresent()) {
            return min.getAsLong() == max.getAsLong() ? "= " + min.getAsLong() : min.getAsLong() + ".." + max.getAsLong();
        }
        return min.isPresent() ? ">= " + min.getAsLong() : max.isPresent() ? "<= " + max.getAsLong() : "any";
    }
}
