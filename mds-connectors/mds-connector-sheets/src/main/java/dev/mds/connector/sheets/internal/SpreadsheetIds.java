package dev.mds.connector.sheets.internal;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Turns what a user pastes (a spreadsheet's URL or its bare id) into the id. */
public final class SpreadsheetIds {
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]+");
    private static final Pattern IN_URL = Pattern.compile("/spreadsheets/(?:u/\\d+/)?d/(?:e/)?([A-Za-z0-9_-]+)");

    private SpreadsheetIds() {
    }

    /**
     * The id of {@code idOrUrl}: a URL such as {@code https://docs.google.com/spreadsheets/d/<id>/edit#gid=0}, or the
     * id itself.
     *
     * @throws IllegalArgumentException when it is neither, saying what was expected
     */
    public static String parse(String idOrUrl) {
        String s = idOrUrl.strip();
        if (s.startsWith("http://") || s.startsWith("https://") || s.contains("/")) {
            Matcher m = IN_URL.matcher(s);
            if (m.find()) {
                return m.group(1);
            }
            throw new IllegalArgumentException("'" + idOrUrl + "' is not a spreadsheet URL: expected"
                    + " https://docs.google.com/spreadsheets/d/<id>/... or the bare id");
        }
        if (s.length() < 10 || !ID.matcher(s).matches()) {
            throw new IllegalArgumentException("'" + idOrUrl + "' is not a spreadsheet id (letters, digits, '-' and"
                    + " '_', as in the URL after /spreadsheets/d/) nor a spreadsheet URL");
        }
        return s;
    }
}
