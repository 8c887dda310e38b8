package dev.mds.connector.sheets.internal;

import java.util.regex.Pattern;

/** A1 notation: column letters, quoted sheet names, cell and row-range references. */
public final class A1 {
    private static final Pattern PLAIN_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern CELL_LIKE = Pattern.compile("(?i)[a-z]{1,3}[0-9]+|r[0-9]*c[0-9]*");

    private A1() {
    }

    /** The letters of a 0-based column: 0 is A, 25 is Z, 26 is AA. */
    public static String column(int index) {
        if (index < 0) {
            throw new IllegalArgumentException("column index " + index);
        }
        StringBuilder s = new StringBuilder();
        int n = index + 1;
        while (n > 0) {
            int r = (n - 1) % 26;
            s.append((char) ('A' + r));
            n = (n - 1) / 26;
        }
        return s.reverse().toString();
    }

    /** The sheet name as a request range needs it: always in single quotes, quotes inside doubled. */
    public static String quoted(String sheet) {
        return '\'' + sheet.replace("'", "''") + '\'';
    }

    /** The sheet name as a person types it: bare when it is a plain word, else quoted. */
    public static String display(String sheet) {
        return PLAIN_NAME.matcher(sheet).matches() && !CELL_LIKE.matcher(sheet).matches() ? sheet : quoted(sheet);
    }

    /** {@code pricing!F7} for a 0-based column and a 1-based row. */
    public static String cell(String sheet, int column, long row) {
        return display(sheet) + '!' + column(column) + row;
    }

    /** {@code 'pricing'!2:201}: whole rows, 1-based and inclusive, for a request. */
    public static String rows(String sheet, long first, long last) {
        return quoted(sheet) + '!' + first + ':' + last;
    }
}
