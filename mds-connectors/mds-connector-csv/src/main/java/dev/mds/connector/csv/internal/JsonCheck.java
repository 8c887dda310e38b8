package dev.mds.connector.csv.internal;

import java.math.BigDecimal;

/**
 * Whether a text is a value PostgreSQL's jsonb input takes: JSON as RFC 8259 writes it (white space of space, tab, CR
 * and LF; {@code true}, {@code false}, {@code null} in lower case; no NaN, no leading zeros or plus signs), strings
 * without raw control characters, without {@code \u0000} and with surrogate escapes in pairs, and numbers numeric
 * holds. Nesting is followed on a stack of its own, not by recursion.
 */
final class JsonCheck {
    private final String s;
    private final int n;
    private int i;

    private JsonCheck(String s) {
        this.s = s;
        this.n = s.length();
    }

    static boolean valid(String text) {
        return new JsonCheck(text).value();
    }

    private boolean value() {
        StringBuilder open = new StringBuilder();   // 'o' for an object, 'a' for an array, innermost last
        while (true) {
            ws();
            if (i >= n) {
                return false;
            }
            char c = s.charAt(i);
            if (c == '{' || c == '[') {
                i++;
                ws();
                char close = c == '{' ? '}' : ']';
                if (i < n && s.charAt(i) == close) {
                    i++;
                } else {
                    open.append(c == '{' ? 'o' : 'a');
                    if (c == '{' && !key()) {
                        return false;
                    }
                    continue;
                }
            } else if (c == '"') {
                if (!string()) {
                    return false;
                }
            } else if (c == '-' || c >= '0' && c <= '9') {
                if (!number()) {
                    return false;
                }
            } else if (!literal("true") && !literal("false") && !literal("null")) {
                return false;
            }
            // a value ends: close what it ends, or go on to the next one
            while (true) {
                ws();
                if (open.length() == 0) {
                    return i == n;
                }
                if (i >= n) {
                    return false;
                }
                char top = open.charAt(open.length() - 1);
                char d = s.charAt(i);
                if (d == ',') {
                    i++;
                    ws();
                    if (top == 'o' && !key()) {
                        return false;
                    }
                    break;
                }
                if (top == 'o' && d == '}' || top == 'a' && d == ']') {
                    i++;
                    open.setLength(open.length() - 1);
                    continue;
                }
                return false;
            }
        }
    }

    /** A key and its colon. */
    private boolean key() {
        if (i >= n || s.charAt(i) != '"' || !string()) {
            return false;
        }
        ws();
        if (i >= n || s.charAt(i) != ':') {
            return false;
        }
        i++;
        return true;
    }

    private void ws() {
        while (i < n) {
            char c = s.charAt(i);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            i++;
        }
    }

    private boolean literal(String word) {
        if (s.startsWith(word, i)) {
            i += word.length();
            return true;
        }
        return false;
    }

    private boolean string() {
        i++;    // the opening quote
        while (i < n) {
            char c = s.charAt(i++);
            if (c == '"') {
                return true;
            }
            if (c < 0x20) {
                return false;
            }
            if (c == '\\') {
                if (i >= n) {
                    return false;
                }
                char e = s.charAt(i++);
                switch (e) {
                    case '"', '\\', '/', 'b', 'f', 'n', 'r', 't' -> {
                    }
                    case 'u' -> {
                        int u = hex4();
                        if (u <= 0 || Character.isLowSurrogate((char) u)) {
                            return false;     // not four hex digits, \u0000 (jsonb holds no NUL), half a pair
                        }
                        if (Character.isHighSurrogate((char) u)) {
                            if (!s.startsWith("\\u", i)) {
                                return false;
                            }
                            i += 2;
                            int low = hex4();
                            if (low < 0 || !Character.isLowSurrogate((char) low)) {
                                return false;
                            }
                        }
                    }
                    default -> {
                        return false;
                    }
                }
            }
        }
        return false;
    }

    /** Four hex digits as a number, or -1. */
    private int hex4() {
        if (i + 4 > n) {
            return -1;
        }
        int v = 0;
        for (int k = 0; k < 4; k++) {
            int d = Character.digit(s.charAt(i + k), 16);
            if (d < 0 || s.charAt(i + k) > 'f') {
                return -1;
            }
            v = v * 16 + d;
        }
        i += 4;
        return v;
    }

    private boolean number() {
        int start = i;
        if (s.charAt(i) == '-') {
            i++;
        }
        if (i < n && s.charAt(i) == '0') {
            i++;
        } else if (!digits()) {
            return false;
        }
        if (i < n && s.charAt(i) == '.') {
            i++;
            if (!digits()) {
                return false;
            }
        }
        if (i < n && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
            i++;
            if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
                i++;
            }
            if (!digits()) {
                return false;
            }
        }
        try {
            return !Values.beyondNumeric(new BigDecimal(s.substring(start, i)));
        } catch (NumberFormatException e) {
            return false;     // an exponent beyond an int: beyond numeric too
        }
    }

    private boolean digits() {
        int from = i;
        while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
            i++;
        }
        return i > from;
    }
}
