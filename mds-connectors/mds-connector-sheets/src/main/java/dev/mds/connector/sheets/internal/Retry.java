package dev.mds.connector.sheets.internal;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Truncated exponential backoff, as Google asks of API clients: the n-th retry waits {@code first × 2^(n-1)}, at most
 * {@code max}, plus up to a quarter more at random so that clients do not retry in step.
 *
 * @param maxAttempts how many times a request is sent at most (1: never retried)
 * @param first the wait before the first retry
 * @param max the longest wait computed by backoff (a server's Retry-After is honoured as given, up to 5 minutes)
 */
public record Retry(int maxAttempts, Duration first, Duration max) {
    /**
     * What a source retries with unless told otherwise: 7 attempts, waits from 1 s doubling up to 32 s, so 63 s or
     * more in all: longer than the minute after which Google refills a read quota that answered 429.
     */
    public static final Retry DEFAULT = new Retry(7, Duration.ofSeconds(1), Duration.ofSeconds(32));

    /** The longest Retry-After honoured. */
    public static final Duration MAX_RETRY_AFTER = Duration.ofMinutes(5);

    /** The wait after the {@code attempt}-th attempt failed (1-based). */
    public Duration backoff(int attempt) {
        long base = first.toNanos();
        for (int i = 1; i < attempt && base < max.toNanos(); i++) {
            base *= 2;
        }
        base = Math.min(base, max.toNanos());
        long jitter = base / 4 == 0 ? 0 : ThreadLocalRandom.current().nextLong(base / 4);
        return Duration.ofNanos(Math.min(base + jitter, max.toNanos()));
    }
}
