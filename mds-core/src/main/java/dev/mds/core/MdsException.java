package dev.mds.core;

/**
 * The unchecked base of every exception mds throws for a failure at run time (bad input, a database that
 * refuses, a schema that does not match). Programmer errors use the JDK's exceptions
 * ({@link IllegalArgumentException}, {@link IllegalStateException}).
 */
public class MdsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** An error described by {@code message}. */
    public MdsException(String message) {
        super(message);
    }

    /** An error described by {@code message}, caused by {@code cause}. */
    public MdsException(String message, Throwable cause) {
        super(message, cause);
    }
}
