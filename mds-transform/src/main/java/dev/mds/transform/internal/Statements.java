package dev.mds.transform.internal;

import java.util.Optional;

/**
 * Finds where a PostgreSQL statement ends, reading string constants ({@code '…'}, {@code E'…'}), quoted
 * identifiers, dollar-quoted strings ({@code $tag$…$tag$}) and comments ({@code --}, nested {@code /* *}{@code /})
 * as the server's lexer does, so that a {@code ;} inside them does not count.
 */
final class Statements {
    private Statements() {
    }

    /**
     * The offset of a {@code ;} in {@code sql} after which another statement starts (anything but white space,
     * comments and more {@code ;}), or -1 when {@code sql} is one statement.
     */
    static int secondStatement(String sql) {
        int n = sql.length();
        int end = -1;
        int i = 0;
        while (i < n) {
            char ch = sql.charAt(i);
            if (ch == ';') {
                if (end < 0) {
                    end = i;
                }
                i++;
            } else if (Character.isWhitespace(ch)) {
                i++;
            } else if (sql.startsWith("--", i)) {
                i = commentEnd(sql, i);
            } else if (sql.startsWith("/*", i)) {
                i = blockCommentEnd(sql, i);
            } else {
                if (end >= 0) {
                    return end;
                }
                i = tokenEnd(sql, i);
            }
        }
        return -1;
    }

    /**
     * The offset of the first {@code ;} in {@code sql} outside constants, quoted names and comments, else its length:
     * where its one statement ends (build() refused any SQL after that {@code ;}, so only comments can follow it).
     */
    static int statementEnd(String sql) {
        int n = sql.length();
        int i = 0;
        while (i < n) {
            char ch = sql.charAt(i);
            if (ch == ';') {
                return i;
            } else if (Character.isWhitespace(ch)) {
                i++;
            } else if (sql.startsWith("--", i)) {
                i = commentEnd(sql, i);
            } else if (sql.startsWith("/*", i)) {
                i = blockCommentEnd(sql, i);
            } else {
                i = tokenEnd(sql, i);
            }
        }
        return n;
    }

    /**
     * Where the CTEs of ephemeral models go in {@code sql}: the offset right after its leading {@code with} (and
     * {@code recursive}) keyword when the statement starts with a WITH clause, else -1 (the CTEs then go in a WITH
     * clause of their own before it). White space and comments before the keywords are skipped.
     */
    static int afterLeadingWith(String sql) {
        int i = skipBlank(sql, 0);
        if (!keywordAt(sql, i, "with")) {
            return -1;
        }
        int end = i + 4;
        int next = skipBlank(sql, end);
        return keywordAt(sql, next, "recursive") ? next + "recursive".length() : end;
    }

    /** Whether {@code sql} holds nothing but white space, comments and {@code ;}. */
    static boolean isEmpty(String sql) {
        int i = skipBlank(sql, 0);
        while (i < sql.length() && sql.charAt(i) == ';') {
            i = skipBlank(sql, i + 1);
        }
        return i >= sql.length();
    }

    /** The offset of the first character at or after {@code i} that is neither white space nor in a comment. */
    private static int skipBlank(String sql, int i) {
        int j = i;
        while (j < sql.length()) {
            if (Character.isWhitespace(sql.charAt(j))) {
                j++;
            } else if (sql.startsWith("--", j)) {
                j = commentEnd(sql, j);
            } else if (sql.startsWith("/*", j)) {
                j = blockCommentEnd(sql, j);
            } else {
                break;
            }
        }
        return j;
    }

    /** Whether the keyword {@code word} (any case) stands at {@code i}, not followed by a word character. */
    private static boolean keywordAt(String sql, int i, String word) {
        return sql.regionMatches(true, i, word, 0, word.length())
                && (i + word.length() == sql.length() || !isWordChar(sql.charAt(i + word.length())));
    }

    /**
     * Whether {@code expression} is one piece of SQL that can stand in a statement: no {@code ;} outside constants,
     * quoted names and comments, no string, quoted name or comment left open (which would swallow what follows it,
     * as a {@code --} comment does).
     */
    static boolean isOneExpression(String expression) {
        String probe = expression + "; select 1";
        return secondStatement(probe) == expression.length() && !expression.strip().isEmpty();
    }

    /**
     * A string constant, quoted name, dollar-quoted string or block comment that is never closed.
     *
     * @param at where it starts in the SQL
     * @param what what it is, for a message ({@code a string constant})
     */
    record Unclosed(int at, String what) {
    }

    /**
     * The first string constant, quoted name, dollar-quoted string or block comment in {@code sql} that is never
     * closed (it would swallow the rest of the statement mds wraps around the model), read as {@link #secondStatement}
     * reads them; empty when every one is closed.
     */
    static Optional<Unclosed> unclosed(String sql) {
        int n = sql.length();
        int i = 0;
        while (i < n) {
            char ch = sql.charAt(i);
            if (sql.startsWith("--", i)) {
                i = commentEnd(sql, i);
            } else if (sql.startsWith("/*", i)) {
                int end = blockCommentClose(sql, i);
                if (end < 0) {
                    return Optional.of(new Unclosed(i, "a block comment"));
                }
                i = end;
            } else if (ch == '\'' || ch == '"') {
                int end = quotedClose(sql, i, ch, ch == '\'' && escapeString(sql, i));
                if (end < 0) {
                    return Optional.of(new Unclosed(i, ch == '"' ? "a quoted name" : "a string constant"));
                }
                i = end;
            } else if (ch == '$' && !(i > 0 && isWordChar(sql.charAt(i - 1)))) {
                int close = sql.indexOf('$', i + 1);
                if (close > 0 && isTag(sql, i + 1, close)) {
                    String delimiter = sql.substring(i, close + 1);
                    int end = sql.indexOf(delimiter, close + 1);
                    if (end < 0) {
                        return Optional.of(new Unclosed(i, "a dollar-quoted string (" + delimiter + ")"));
                    }
                    i = end + delimiter.length();
                } else {
                    i++;
                }
            } else {
                i++;
            }
        }
        return Optional.empty();
    }

    /** The offset after the closing quote of the constant or identifier quoted at {@code i}, or -1 when it has none. */
    private static int quotedClose(String sql, int i, char quote, boolean backslashEscapes) {
        int j = i + 1;
        while (j < sql.length()) {
            char c = sql.charAt(j);
            if (backslashEscapes && c == '\\') {
                j += 2;
            } else if (c == quote) {
                if (j + 1 < sql.length() && sql.charAt(j + 1) == quote) {
                    j += 2;
                } else {
                    return j + 1;
                }
            } else {
                j++;
            }
        }
        return -1;
    }

    /**
     * The offset after the line break ending the {@code --} comment at {@code i} (the end of the SQL when none does):
     * a line feed or a carriage return, as for PostgreSQL's lexer and the JDBC driver, which run what follows a lone
     * {@code \r} as SQL.
     */
    private static int commentEnd(String sql, int i) {
        for (int j = i + 2; j < sql.length(); j++) {
            char c = sql.charAt(j);
            if (c == '\n' || c == '\r') {
                return j + 1;
            }
        }
        return sql.length();
    }

    /** The offset after the token (or the single character) starting at {@code i}. */
    private static int tokenEnd(String sql, int i) {
        char ch = sql.charAt(i);
        boolean afterWord = i > 0 && isWordChar(sql.charAt(i - 1));
        if (ch == '\'' || ch == '"') {
            int end = quotedClose(sql, i, ch, ch == '\'' && escapeString(sql, i));
            return end < 0 ? sql.length() : end;
        }
        if (ch == '$' && !afterWord) {
            int close = sql.indexOf('$', i + 1);
            if (close > 0 && isTag(sql, i + 1, close)) {
                String delimiter = sql.substring(i, close + 1);
                int end = sql.indexOf(delimiter, close + 1);
                return end < 0 ? sql.length() : end + delimiter.length();
            }
        }
        return i + 1;
    }

    /** Whether {@code sql[from, to)} is a dollar quote's tag: empty, or a letter or _ followed by letters, digits, _. */
    private static boolean isTag(String sql, int from, int to) {
        for (int j = from; j < to; j++) {
            char c = sql.charAt(j);
            boolean ok = Character.isLetter(c) || c == '_' || (j > from && Character.isDigit(c));
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    private static boolean isWordChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '$';
    }

    /** Whether the quote at {@code i} opens an escape string constant ({@code E'…'}, where a backslash escapes). */
    private static boolean escapeString(String sql, int i) {
        return i > 0 && (sql.charAt(i - 1) == 'E' || sql.charAt(i - 1) == 'e') && (i < 2 || !isWordChar(sql.charAt(i - 2)));
    }

    /** The offset after the block comment at {@code i} (the end of the SQL when it never closes); block comments nest. */
    private static int blockCommentEnd(String sql, int i) {
        int end = blockCommentClose(sql, i);
        return end < 0 ? sql.length() : end;
    }

    /** The offset after the block comment at {@code i}, or -1 when it never closes; block comments nest. */
    private static int blockCommentClose(String sql, int i) {
        int depth = 0;
        int j = i;
        while (j < sql.length()) {
            if (sql.startsWith("/*", j)) {
                depth++;
                j += 2;
            } else if (sql.startsWith("*/", j)) {
                depth--;
                j += 2;
                if (depth == 0) {
                    return j;
                }
            } else {
                j++;
            }
        }
        return -1;
    }
}
