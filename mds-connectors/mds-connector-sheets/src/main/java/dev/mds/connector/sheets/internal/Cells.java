package dev.mds.connector.sheets.internal;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A cell of a {@code values} answer as text; blank cells (white space only, as Python's {@code str.strip()} has it) are
 * NULL, as Airbyte reads them.
 */
public final class Cells {
    private Cells() {
    }

    /** The cell's text, or null when it is missing, null or blank. */
    public static String text(JsonNode cell) {
        if (cell == null || cell.isNull() || cell.isMissingNode()) {
            return null;
        }
        String s;
        if (cell.isTextual()) {
            s = cell.textValue();
        } else if (cell.isBigDecimal() || cell.isDouble() || cell.isFloat()) {
            s = cell.decimalValue().stripTrailingZeros().toPlainString();
        } else if (cell.isBoolean()) {
            s = cell.booleanValue() ? "TRUE" : "FALSE";
        } else {
            s = cell.asText();
        }
        return blank(s) ? null : s;
    }

    /** Whether a text holds only white space (Python's {@code str.strip()} white space, no-break spaces included). */
    public static boolean blank(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (!space(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /**
     * The text without leading and trailing white space, white space as {@link #blank} has it (no-break spaces
     * included, which {@link String#strip()} keeps).
     */
    public static String strip(String s) {
        int from = 0;
        int to = s.length();
        while (from < to && space(s.charAt(from))) {
            from++;
        }
        while (to > from && space(s.charAt(to - 1))) {
            to--;
        }
        return s.substring(from, to);
    }

    /**
     * Python's {@code str.isspace()}: Java's white space, the space separators (no-break spaces included) and U+0085
     * NEXT LINE, which Python counts (bidirectional class B) and Java does not.
     */
    private static boolean space(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085';
    }
}
