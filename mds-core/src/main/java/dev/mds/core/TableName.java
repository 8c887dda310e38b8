package dev.mds.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A table (or view) name: schema and name. Immutable, with value equality.
 *
 * <pre>{@code
 * TableName t = TableName.parse("raw.users");          // schema raw, name users
 * TableName q = TableName.parse("\"Raw\".\"My Table\""); // quoted parts are kept exactly
 * TableName e = TableName.of("data_lake", "Transactions"); // exact names, no case folding
 * String sql = "select * from " + t.quoted();            // "raw"."users"
 * }</pre>
 *
 * {@link #parse(String)} reads a name the way PostgreSQL reads it in SQL: unquoted parts have their ASCII letters
 * folded to lower case (other letters stay as written, as in a UTF8 database), quoted parts are kept as written, a missing schema means {@code public}.
 * An unquoted part must be what PostgreSQL reads as one name (a letter or {@code _}, then letters, digits, {@code _} or
 * {@code $}); {@code my table}, {@code 1abc} and {@code a-b} are refused and need quotes ({@code "my table"}). {@link #of(String, String)}
 * takes the parts exactly. Both refuse parts over 63 bytes rather than let PostgreSQL truncate them.
 */
public final class TableName {
    /** The schema a name without one lives in. */
    public static final String DEFAULT_SCHEMA = "public";

    private final String schema;
    private final String name;

    private TableName(String schema, String name) {
        this.schema = Identifiers.check(schema);
        this.name = Identifiers.check(name);
    }

    /** The table {@code name} in {@code schema}, both exactly as given. */
    public static TableName of(String schema, String name) {
        return new TableName(Objects.requireNonNull(schema, "schema"), Objects.requireNonNull(name, "name"));
    }

    /**
     * Parses {@code name}, {@code schema.name} or their quoted forms ({@code "My Schema"."a.b"}).
     *
     * @throws IllegalArgumentException naming the input for an empty part, an unterminated quote, more than two parts,
     *     a part over 63 bytes or an unquoted part PostgreSQL would not read as a name ({@code my table},
     *     {@code 1abc}, {@code a-b}: quote them)
     */
    public static TableName parse(String qualified) {
        Objects.requireNonNull(qualified, "qualified");
        List<String> parts = new ArrayList<>(2);
        int i = 0;
        int n = qualified.length();
        while (true) {
            while (i < n && isSqlSpace(qualified.charAt(i))) {
                i++;
            }
            if (i < n && qualified.charAt(i) == '"') {
                StringBuilder part = new StringBuilder();
                i++;
                while (true) {
                    if (i >= n) {
                        throw new IllegalArgumentException("unterminated quote in table name '" + qualified + "'");
                    }
                    char c = qualified.charAt(i++);
                    if (c == '"') {
                        if (i < n && qualified.charAt(i) == '"') {
                            part.append('"');
                            i++;
                        } else {
                            break;
                        }
                    } else {
                        part.append(c);
                    }
                }
                parts.add(part.toString());
                while (i < n && isSqlSpace(qualified.charAt(i))) {
                    i++;   // white space between a quoted part and the dot, as PostgreSQL's scanner skips it
                }
            } else {
                int dot = qualified.indexOf('.', i);
                int end = dot < 0 ? n : dot;
                String part = trimSqlSpace(qualified.substring(i, end));
                if (part.isEmpty() || part.indexOf('"') >= 0) {
                    throw new IllegalArgumentException("cannot read table name '" + qualified
                            + "': expected name or schema.name, quoted with \" where needed");
                }
                checkUnquoted(qualified, part);
                parts.add(foldAscii(part));
                i = end;
            }
            if (i >= n) {
                break;
            }
            if (qualified.charAt(i) != '.') {
                throw new IllegalArgumentException("cannot read table name '" + qualified + "': unexpected '"
                        + qualified.charAt(i) + "' at position " + i);
            }
            i++;
        }
        if (parts.size() > 2) {
            throw new IllegalArgumentException("cannot read table name '" + qualified
                    + "': expected name or schema.name, found " + parts.size() + " parts");
        }
        try {
            return parts.size() == 1 ? new TableName(DEFAULT_SCHEMA, parts.get(0)) : new TableName(parts.get(0), parts.get(1));
        } catch (IllegalArgumentException e) {
            // an empty quoted part, a NUL, more than 63 bytes: said with the input, so the setting that holds it is found
            throw new IllegalArgumentException("cannot read table name '" + qualified.replace("\0", "\\0") + "': "
                    + e.getMessage(), e);
        }
    }

    /**
     * Refuses an unquoted part PostgreSQL's scanner would not read as one identifier: it starts with a letter or
     * {@code _} and goes on with letters, digits, {@code _} and {@code $}, where every non-ASCII character counts as a
     * letter (as in a UTF8 database). {@code my table}, {@code 1abc} and {@code a-b} need quotes.
     */
    private static void checkUnquoted(String qualified, String part) {
        for (int i = 0; i < part.length(); i++) {
            char c = part.charAt(i);
            boolean letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
            boolean ok = i == 0 ? letter : letter || (c >= '0' && c <= '9') || c == '$';
            if (!ok) {
                String what = i == 0 ? "starts with '" + c + "'" : "has '" + c + "' at position " + (i + 1);
                throw new IllegalArgumentException("cannot read table name '" + qualified + "': the unquoted part '"
                        + part + "' " + what + ", which PostgreSQL reads only in a quoted name: write \""
                        + part + "\" (an unquoted name is a letter or _, then letters, digits, _ or $)");
            }
        }
    }

    /**
     * Folds {@code A}-{@code Z} to lower case and keeps every other character, as PostgreSQL folds unquoted
     * identifiers in a UTF8 database ({@code create table Äpfel} makes {@code "Äpfel"}; Unicode lower-casing
     * would also change the Kelvin sign into {@code k} and {@code İ} into two characters).
     */
    private static String foldAscii(String part) {
        char[] chars = part.toCharArray();
        for (int i = 0; i < chars.length; i++) {
            if (chars[i] >= 'A' && chars[i] <= 'Z') {
                chars[i] = (char) (chars[i] + ('a' - 'A'));
            }
        }
        return new String(chars);
    }

    /** The schema, as written (unquoted). */
    public String schema() {
        return schema;
    }

    /** The table name, as written (unquoted). */
    public String name() {
        return name;
    }

    /** The same schema with another table name, e.g. {@code t.withName(t.name() + "_rejected")}. */
    public TableName withName(String newName) {
        return new TableName(schema, newName);
    }

    /** {@code "schema"."name"}, ready for SQL. */
    public String quoted() {
        return Identifiers.quote(schema, name);
    }

    /**
     * The name as {@link #parse(String)} reads it back: {@code raw.users}, with quotes only around parts that
     * need them ({@code raw."My Table"}).
     */
    @Override
    public String toString() {
        return readable(schema) + '.' + readable(name);
    }

    private static String readable(String part) {
        boolean plain = !part.isEmpty() && (Character.isLowerCase(part.charAt(0)) || part.charAt(0) == '_');
        for (int i = 0; plain && i < part.length(); i++) {
            char c = part.charAt(i);
            plain = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        }
        return plain ? part : '"' + part.replace("\"", "\"\"") + '"';
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TableName t && schema.equals(t.schema) && name.equals(t.name);
    }

    @Override
    public int hashCode() {
        return 31 * schema.hashCode() + name.hashCode();
    }

    /**
     * The text without the white space PostgreSQL's scanner skips around a name (space, tab, newline, carriage return,
     * form feed, vertical tab); other Unicode spaces, such as U+3000, are part of an unquoted name.
     */
    private static String trimSqlSpace(String s) {
        int from = 0;
        int to = s.length();
        while (from < to && isSqlSpace(s.charAt(from))) {
            from++;
        }
        while (to > from && isSqlSpace(s.charAt(to - 1))) {
            to--;
        }
        return s.substring(from, to);
    }

    private static boolean isSqlSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\u000B';
    }
}
