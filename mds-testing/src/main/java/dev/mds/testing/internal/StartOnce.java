package dev.mds.testing.internal;

import dev.mds.core.MdsException;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Something started at most once per JVM, on first need: the value once it started, or, once it failed, that failure
 * again at once, without trying again (a server that did not start for one test class would make every later class
 * wait for its start timeout only to fail the same way).
 */
public final class StartOnce<T> {
    private final String what;
    private final Supplier<T> start;
    private T value;
    private RuntimeException failure;

    /** {@code what}: what is started, as a failure names it ({@code "the embedded PostgreSQL"}). */
    public StartOnce(String what, Supplier<T> start) {
        this.what = Objects.requireNonNull(what, "what");
        this.start = Objects.requireNonNull(start, "start");
    }

    /**
     * The started value, starting it on the first call.
     *
     * @throws RuntimeException the start's failure on the call that tried; later, an {@link MdsException} saying that
     *     it failed before, with that failure's message, caused by it
     */
    public synchronized T get() {
        if (value != null) {
            return value;
        }
        if (failure != null) {
            throw new MdsException(what + " failed to start earlier in this JVM, and is not tried again: "
                    + failure.getMessage(), failure);
        }
        try {
            value = Objects.requireNonNull(start.get(), "started value");
            return value;
        } catch (RuntimeException e) {
            failure = e;
            throw e;
        }
    }
}
