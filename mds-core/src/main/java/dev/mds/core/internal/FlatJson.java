package dev.mds.core.internal;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Writes and reads one flat JSON object whose values are strings, numbers, booleans or null. Enough for source
 * positions, so mds-core needs no JSON library.
 */
public final class FlatJson {
    private FlatJson() {
    }

    public static String write(Map<String, ?> values) {
        StringBuilder s = new StringBuilder("{");
        boolean first = true;
        for (Map.Entry<String, ?> e : values.entrySet()) {
            if (!first) {
                s.append(',');
            }
            first = false;
            string(s, e.getKey());
            s.append(':');
            Object v = e.getValue();
            if (v == null) {
                s.append("null");
            } else if (v instanceof String str) {
                string(s, str);
            } else if (v instanceof Number n) {
                s.append(numberText(n).orElseThrow(() -> new IllegalArgumentException(
                        "cannot write " + n + " as a JSON number (value of '" + e.getKey() + "')")));
            } else if (v instanceof Boolean) {
                s.append(v);
            } else {
                throw new IllegalArgumentException("cannot write " + v.getClass().getName() + " as flat JSON");
            }
        }
        return s.append('}').toString();
    }

    private static final Pattern JSON_NUMBER = Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?");

    /**
     * The JSON text of a number, or empty when JSON cannot carry it: NaN and the infinities (RFC 8259 has no such
     * numbers, and PostgreSQL's json and jsonb refuse them), or a {@link Number} whose text is not a JSON number.
     */
    public static Optional<String> numberText(Number n) {
        if (n instanceof Double d && !Double.isFinite(d) || n instanceof Float f && !Float.isFinite(f)) {
            return Optional.empty();
        }
        String text = n instanceof BigDecimal d ? d.toString() : n.toString();
        return JSON_NUMBER.matcher(text).matches() ? Optional.of(text) : Optional.empty();
    }

    /**
     * The value {@link #parse} reads from a JSON number's text, the same for every text of one value (jsonb keeps a
     * number's value, not its text: {@code 1E+3} comes back as {@code 1000}): a {@link Long} for a whole number within
     * a long ({@code 1000.0} included), otherwise a {@link BigDecimal} without trailing zeros after the point (a
     * whole number written with all its digits).
     *
     * @throws NumberFormatException when it is not a number, or one that PostgreSQL's numeric (and so jsonb) cannot
     *     hold: more than 131072 digits before the point, or more than 16383 after it (trailing zeros not counted)
     */
    public static Object number(String text) {
        if (text.length() > MAX_TEXT) {
            // reading it would take a while (BigDecimal reads a million digits in seconds), only to refuse it
            throw new NumberFormatException("number " + excerpt(text, 0) + " is far longer than any number"
                    + " PostgreSQL's numeric (and so jsonb) can hold: " + MAX_WHOLE_DIGITS + " digits before the point"
                    + " and " + MAX_SCALE + " after it");
        }
        BigDecimal d = new BigDecimal(text);
        if (d.compareTo(LONG_MIN) >= 0 && d.compareTo(LONG_MAX) <= 0) {
            try {
                return d.longValueExact();
            } catch (ArithmeticException fractional) {
                // not a whole number
            }
        }
        // digits before the point, the same before and after stripping zeros: asked first, as stripping the zeros of
        // 100e2147483647 overflows the scale
        if (d.signum() != 0 && d.precision() - (long) d.scale() > MAX_WHOLE_DIGITS) {
            // written with all its digits, 1e1000000000 would take a billion digits (and minutes, then memory)
            throw new NumberFormatException("number " + excerpt(text, 0) + " has more than " + MAX_WHOLE_DIGITS
                    + " digits before the point, more than PostgreSQL's numeric (and so jsonb) can hold");
        }
        BigDecimal stripped = stripZeros(d);
        if (stripped.scale() > MAX_SCALE) {
            // jsonb refuses it ('value overflows numeric format'): a state store's put would fail on every run
            throw new NumberFormatException("number " + text + " has " + stripped.scale() + " digits after the point,"
                    + " more than the " + MAX_SCALE + " PostgreSQL's numeric (and so jsonb) can hold");
        }
        return stripped.scale() < 0 ? stripped.setScale(0) : stripped;   // a whole number: its digits, no exponent
    }

    /**
     * {@code d} without trailing zeros, as {@link BigDecimal#stripTrailingZeros} makes it, which divides by ten once per
     * zero: about 10 s for the 131071 zeros of the largest whole number jsonb holds. This counts the zeros in the
     * digits' text and divides once.
     */
    private static BigDecimal stripZeros(BigDecimal d) {
        java.math.BigInteger unscaled = d.unscaledValue();
        int twos = unscaled.getLowestSetBit();   // 10^k divides it only if 2^k does
        if (twos < 32) {
            return d.stripTrailingZeros();   // fewer than 32 zeros: quick as it is
        }
        String digits = unscaled.toString();
        int zeros = 0;
        for (int i = digits.length() - 1; i > 0 && zeros < twos && digits.charAt(i) == '0'; i--) {
            zeros++;
        }
        // the scale cannot overflow: the digits before the point are counted and limited before this
        return new BigDecimal(unscaled.divide(java.math.BigInteger.TEN.pow(zeros)), d.scale() - zeros);
    }

    /** PostgreSQL's numeric holds up to 131072 digits before the decimal point. */
    private static final int MAX_WHOLE_DIGITS = dev.mds.core.PostgresDialect.NUMERIC_MAX_DIGITS;
    /** PostgreSQL's numeric holds up to 16383 digits after the decimal point. */
    private static final int MAX_SCALE = dev.mds.core.PostgresDialect.NUMERIC_MAX_SCALE;
    /**
     * Twice the longest text of a number numeric holds (its digits before and after the point): a longer text is no
     * such number however many of its zeros are stripped, and is refused before BigDecimal spends seconds reading it.
     */
    private static final int MAX_TEXT = 2 * (MAX_WHOLE_DIGITS + MAX_SCALE);
    private static final BigDecimal LONG_MIN = BigDecimal.valueOf(Long.MIN_VALUE);
    private static final BigDecimal LONG_MAX = BigDecimal.valueOf(Long.MAX_VALUE);

    /** Appends {@code v} as a JSON string: quoted, with quotes, backslashes and control characters escaped. */
    public static void string(StringBuilder s, String v) {
        s.append('"');
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            switch (c) {
                case '"' -> s.append("\\\"");
                case '\\' -> s.append("\\\\");
                case '\n' -> s.append("\\n");
                case '\r' -> s.append("\\r");
                case '\t' -> s.append("\\t");
                default -> {
                    if (c < 0x20) {
                        s.append(String.format("\\u%04x", (int) c));
                    } else {
                        s.append(c);
                    }
                }
            }
        }
        s.append('"');
    }

    /**
     * Parses a flat object. Numbers become what {@link #number} makes of them: {@link Long} for whole ones that fit,
     * {@link BigDecimal} for the others.
     *
     * @throws IllegalArgumentException on anything but a flat object, with the position
     */
    public static Map<String, Object> parse(String json) {
        Parser p = new Parser(json);
        Map<String, Object> out = new LinkedHashMap<>();
        p.skip();
        p.expect('{');
        p.skip();
        if (p.peek() == '}') {
            p.pos++;
            p.end();
            return out;
        }
        while (true) {
            p.skip();
            String key = p.string();
            p.skip();
            p.expect(':');
            p.skip();
            out.put(key, p.value());
            p.skip();
            char c = p.next();
            if (c == '}') {
                break;
            }
            if (c != ',') {
                throw p.error("expected , or }");
            }
        }
        p.end();
        return out;
    }

    /** The most characters of a text a message quotes. */
    private static final int EXCERPT = 200;

    /**
     * {@code text} for a message: all of it when short; else the part around {@code at} (where a fault is), marked
     * with … where cut, and the text's length, so that a large value does not make a message as large.
     */
    public static String excerpt(String text, int at) {
        if (text.length() <= EXCERPT) {
            return text;
        }
        int from = Math.max(0, Math.min(at - EXCERPT / 2, text.length() - EXCERPT));
        int to = from + EXCERPT;
        if (from > 0 && Character.isLowSurrogate(text.charAt(from))) {
            from++;   // never half of a surrogate pair, which UTF-8 cannot encode
        }
        if (Character.isHighSurrogate(text.charAt(to - 1))) {
            to--;
        }
        return (from > 0 ? "…" : "") + text.substring(from, to) + (to < text.length() ? "…" : "")
                + " (" + text.length() + " characters)";
    }

    private static boolean isHexDigit(int c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    private static final class Parser {
        private final String s;
        private int pos;

        Parser(String s) {
            this.s = s;
        }

        char peek() {
            if (pos >= s.length()) {
                throw error("unexpected end");
            }
            return s.charAt(pos);
        }

        char next() {
            char c = peek();
            pos++;
            return c;
        }

        void skip() {
            while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
                pos++;
            }
        }

        void expect(char c) {
            if (next() != c) {
                throw error("expected " + c);
            }
        }

        void end() {
            skip();
            if (pos != s.length()) {
                throw error("trailing characters");
            }
        }

        IllegalArgumentException error(String what) {
            return new IllegalArgumentException("not a flat JSON object at position " + pos + " (" + what + "): "
                    + excerpt(s, pos));
        }

        String string() {
            expect('"');
            StringBuilder b = new StringBuilder();
            while (true) {
                char c = next();
                if (c == '"') {
                    return b.toString();
                }
                if (c == '\\') {
                    char e = next();
                    switch (e) {
                        case 'n' -> b.append('\n');
                        case 'r' -> b.append('\r');
                        case 't' -> b.append('\t');
                        case 'b' -> b.append('\b');
                        case 'f' -> b.append('\f');
                        case 'u' -> {
                            // four hex digits: Integer.parseInt would also take a sign ("\\u-001" as U+FFFF)
                            if (pos + 4 > s.length() || !s.substring(pos, pos + 4).chars().allMatch(FlatJson::isHexDigit)) {
                                throw error("bad \\u escape");
                            }
                            b.append((char) Integer.parseInt(s.substring(pos, pos + 4), 16));
                            pos += 4;
                        }
                        case '"', '\\', '/' -> b.append(e);
                        default -> {
                            pos--;
                            throw error("bad escape \\" + e);
                        }
                    }
                } else {
                    b.append(c);
                }
            }
        }

        Object value() {
            char c = peek();
            if (c == '"') {
                return string();
            }
            if (s.startsWith("null", pos)) {
                pos += 4;
                return null;
            }
            if (s.startsWith("true", pos)) {
                pos += 4;
                return Boolean.TRUE;
            }
            if (s.startsWith("false", pos)) {
                pos += 5;
                return Boolean.FALSE;
            }
            int start = pos;
            while (pos < s.length() && "+-0123456789.eE".indexOf(s.charAt(pos)) >= 0) {
                pos++;
            }
            String num = s.substring(start, pos);
            if (num.isEmpty()) {
                throw error("expected a value");
            }
            try {
                return number(num);
            } catch (NumberFormatException e) {
                // number()'s own refusals say why (too many digits); BigDecimal's say little
                String why = e.getMessage();
                throw error(why != null && why.startsWith("number ") ? "bad " + why : "bad number " + excerpt(num, 0));
            }
        }
    }
}
