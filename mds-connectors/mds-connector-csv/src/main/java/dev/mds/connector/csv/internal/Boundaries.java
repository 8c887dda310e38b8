package dev.mds.connector.csv.internal;

/**
 * Finds where a record ends. The single definition of a record boundary, shared by the scanner (which cuts
 * chunks) and the parser (which recovers after a bad row), so both always agree.
 *
 * <p>Without escape characters, comments or lenient quoting a boundary is a line feed after an even number of
 * quote characters since the record's start: in valid RFC 4180 text every quote toggles "inside a quoted field"
 * (a doubled quote toggles twice). With those options a small state machine is used instead.
 */
final class Boundaries {
    private static final int FIELD_START = 0;
    private static final int UNQUOTED = 1;
    private static final int QUOTED = 2;
    private static final int AFTER_QUOTE = 3;
    /** Before the record's first byte: a comment marker there makes it a comment line. */
    private static final int RECORD_START = 4;
    private static final int COMMENT = 5;

    private final Format format;
    private final boolean parity;
    private final byte quote;
    private final byte delimiter;
    /** Line feeds seen by the last {@link #find} and the {@link #findMore} calls after it, the ending one included. */
    int newlines;
    /** Bytes examined by all calls, for tests that the scanner's search stays linear in its input. */
    long examined;

    /* where the last search stopped without a boundary, for findMore: the quote parity or state, and line feeds */
    private boolean inQuotes;
    private int state;
    private boolean escaped;
    private int lf;

    Boundaries(Format format) {
        this.format = format;
        this.parity = format.parityExact();
        this.quote = format.quote();
        this.delimiter = format.delimiter();
    }

    /**
     * The index of the line feed that ends the record starting at {@code from}, or -1 when {@code to} comes
     * first (the record continues past the data, or it is the file's last record without a final newline).
     */
    int find(byte[] b, int from, int to) {
        inQuotes = false;
        state = RECORD_START;
        escaped = false;
        lf = 0;
        return findMore(b, from, to);
    }

    /**
     * Goes on with the record whose last {@link #find} (or findMore) returned -1, at the byte {@code from} it had
     * reached, so that a record arriving in many reads is examined once, not again from its start after each.
     */
    int findMore(byte[] b, int from, int to) {
        examined += Math.max(0, to - from);
        return parity ? findByParity(b, from, to) : findByState(b, from, to);
    }

    private int findByParity(byte[] b, int from, int to) {
        final byte q = quote;
        boolean inQ = inQuotes;
        int n = lf;
        for (int i = from; i < to; i++) {
            byte c = b[i];
            if (c == q) {
                inQ = !inQ;
            } else if (c == Format.LF) {
                n++;
                if (!inQ) {
                    newlines = n;
                    return i;
                }
            }
        }
        inQuotes = inQ;
        lf = n;
        newlines = n;
        return -1;
    }

    private int findByState(byte[] b, int from, int to) {
        int comment = format.comment();
        int escape = format.escape();
        boolean trim = format.trim();
        int state = this.state;
        boolean escaped = this.escaped;
        int lf = this.lf;
        for (int i = from; i < to; i++) {
            byte c = b[i];
            if (c == Format.LF) {
                lf++;
            }
            if (escaped) {
                escaped = false;
                if (state == FIELD_START) {
                    state = UNQUOTED;
                }
                continue;
            }
            if (state == RECORD_START) {
                state = comment >= 0 && c == (byte) comment ? COMMENT : FIELD_START;
            }
            switch (state) {
                case COMMENT -> {
                    if (c == Format.LF) {
                        newlines = lf;
                        return i;
                    }
                }
                case FIELD_START -> {
                    if (c == quote) {
                        state = QUOTED;
                    } else if (escape >= 0 && c == (byte) escape) {
                        escaped = true;
                        state = UNQUOTED;
                    } else if (c == Format.LF) {
                        newlines = lf;
                        return i;
                    } else if (c != delimiter && !(trim && (c == ' ' || c == '\t'))) {
                        state = UNQUOTED;
                    }
                }
                case UNQUOTED -> {
                    if (c == delimiter) {
                        state = FIELD_START;
                    } else if (c == Format.LF) {
                        newlines = lf;
                        return i;
                    } else if (escape >= 0 && c == (byte) escape) {
                        escaped = true;
                    }
                }
                case QUOTED -> {
                    if (c == quote) {
                        state = AFTER_QUOTE;
                    } else if (escape >= 0 && c == (byte) escape) {
                        escaped = true;
                    }
                }
                default -> {
                    if (c == quote) {
                        state = QUOTED;
                    } else if (c == delimiter) {
                        state = FIELD_START;
                    } else if (c == Format.LF) {
                        newlines = lf;
                        return i;
                    } else {
                        state = UNQUOTED;
                    }
                }
            }
        }
        this.state = state;
        this.escaped = escaped;
        this.lf = lf;
        newlines = lf;
        return -1;
    }

    /** Whether the record {@code [from, to)} (line feed excluded) is a blank line or a comment: not a record. */
    boolean skipped(byte[] b, int from, int to) {
        int len = to - from;
        if (len == 0 || (len == 1 && b[from] == Format.CR)) {
            return true;
        }
        return format.comment() >= 0 && b[from] == (byte) format.comment();
    }
}
