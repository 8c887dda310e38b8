package dev.mds.load.internal;

/**
 * How messages show a value of the batch: whole up to {@value #MAX_CHARS} characters, a longer one as its first
 * {@value #MAX_CHARS} and its length ({@code xxxx… (20000 characters)}), so that a 20,000-character key or value does
 * not make a 20,000-character message (and one a key appears in twice, twice that).
 *
 * <pre>{@code
 * Shown.value("x".repeat(20_000))   // "xxx…x… (20000 characters)", 200 x's
 * Shown.serverText(pgMessage)       // PostgreSQL's message with its long quoted values cut so
 * }</pre>
 */
final class Shown {
    /** Most characters of one value a message shows. */
    static final int MAX_CHARS = 200;
    /** Most characters of PostgreSQL's message (or detail) a message shows, once its quoted values are cut. */
    static final int MAX_SERVER_CHARS = 1_000;

    private Shown() {
    }

    /** {@code text} whole, or its first {@value #MAX_CHARS} characters, "…" and its length. */
    static String value(String text) {
        return cut(text, MAX_CHARS);
    }

    /** A value as {@code String.valueOf} gives it, bounded as {@link #value(String)}. */
    static String value(Object v) {
        return value(String.valueOf(v));
    }

    /**
     * A text of the server's (its message or detail, which may quote a value of the batch whole: 'invalid input syntax
     * for type bigint: "…"', 'Key (id)=(…) already exists.'): the values of a key and each double-quoted part longer
     * than {@value #MAX_CHARS} characters are cut as {@link #value(String)} cuts a value, and what is still longer than
     * {@value #MAX_SERVER_CHARS} characters is cut there (a value holding quotes itself).
     */
    static String serverText(String text) {
        if (text == null || text.length() <= MAX_CHARS) {
            return text;
        }
        text = keyValues(text);
        StringBuilder s = new StringBuilder();
        int from = 0;
        while (true) {
            int open = text.indexOf('"', from);
            int close = open < 0 ? -1 : text.indexOf('"', open + 1);
            if (close < 0) {
                s.append(text, from, text.length());
                break;
            }
            s.append(text, from, open + 1).append(value(text.substring(open + 1, close))).append('"');
            from = close + 1;
        }
        return cut(s.toString(), MAX_SERVER_CHARS);
    }

    /** How PostgreSQL's details end the values of {@code Key (id)=(…)}. */
    private static final String[] KEY_ENDS = {") already exists", ") is not present", ") is still referenced",
        ") conflicts with existing key"};

    /**
     * {@code text} with the values of each {@code Key (cols)=(values)} of a detail ({@code Key (id)=(…) already
     * exists.}, {@code … is not present in table "t".}) cut as {@link #value(String)} cuts a value.
     */
    private static String keyValues(String text) {
        StringBuilder s = new StringBuilder();
        int from = 0;
        while (true) {
            int eq = text.indexOf(")=(", from);
            if (eq < 0) {
                break;
            }
            int start = eq + 3;
            int end = -1;
            for (String e : KEY_ENDS) {
                int at = text.indexOf(e, start);
                if (at >= 0 && (end < 0 || at < end)) {
                    end = at;
                }
            }
            if (end < 0 && text.endsWith(").") && text.length() - 2 >= start) {
                end = text.length() - 2;   // the last values of a detail (an exclusion's "existing key (r)=(…).")
            }
            if (end < 0) {
                break;
            }
            s.append(text, from, start).append(value(text.substring(start, end)));
            from = end;
        }
        return s.append(text, from, text.length()).toString();
    }

    /**
     * A value read from the table as its first {@value #MAX_CHARS} characters ({@code left(v, 200)}) and its length
     * ({@code length(v)}), shown as {@link #value(String)} shows it (NULL as {@code NULL}, as keys show it).
     */
    static String cutAt(String first, long length) {
        return first == null ? "NULL" : length > MAX_CHARS ? first + "… (" + length + " characters)" : first;
    }

    /** {@code text} whole when it has at most {@code max} characters (code points, as PostgreSQL counts them). */
    private static String cut(String text, int max) {
        if (text == null || text.length() <= max || text.codePointCount(0, text.length()) <= max) {
            return text;
        }
        return text.substring(0, text.offsetByCodePoints(0, max)) + "… (" + text.codePointCount(0, text.length())
                + " characters)";
    }
}
