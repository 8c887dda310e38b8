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

    private final Format format;
    private final boolean parity;
    private final byte quote;
    private final byte delimiter;
    /** Line feeds seen by the last {@link #find} call, the ending one included. */
    int newlines;

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
        return parity ? findByParity(b, from, to) : findByState(b, from, to);
    }

    private int findByParity(byte[] b, int from, int to) {
        final byte q = quote;
        boolean inQuotes = false;
        int lf = 0;
        for (int i = from; i < to; i++) {
            byte c = b[i];
            if (c == q) {
                inQuotes = !inQuotes;
            } else if (c == Format.LF) {
                lf++;
                if (!inQuotes) {
                    newlines = lf;
                    return i;
                }
            }
        }
        newlines = lf;
        return -1;
    }

    private int findByState(byte[] b, int from, int to) {
        int lf = 0;
        int comment = format.comment();
        if (comment >= 0 && from < to && b[from] == (byte) comment) {
            for (int i = from; i < to; i++) {
                if (b[i] == Format.LF) {
                    newlines = 1;
                    return i;
                }
            }
            newlines = 0;
            return -1;
        }
        int escape = format.escape();
        boolean trim = format.trim();
        boolean escaped = false;
        int state = FIELD_START;
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
            switch (state) {
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
