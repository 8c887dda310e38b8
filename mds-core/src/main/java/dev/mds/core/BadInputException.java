package dev.mds.core;

/**
 * Input that mds cannot accept, with where it is: {@code transactions.csv line 1042, column 'price': "Two
 * Hundred" is not a decimal}. The {@link #location()} carries the parts separately for programs.
 */
public class BadInputException extends MdsException {
    private static final long serialVersionUID = 1L;

    private final InputLocation location;
    private final String reason;

    /** Bad input at {@code location}, for {@code reason}. */
    public BadInputException(InputLocation location, String reason) {
        this(location, reason, null);
    }

    /** Bad input at {@code location}, for {@code reason}, found through {@code cause}. */
    public BadInputException(InputLocation location, String reason, Throwable cause) {
        super(location.describe() + ": " + reason, cause);
        this.location = location;
        this.reason = reason;
    }

    /** Where the bad input is. */
    public InputLocation location() {
        return location;
    }

    /** What is wrong with it, without the location. */
    public String reason() {
        return reason;
    }
}
