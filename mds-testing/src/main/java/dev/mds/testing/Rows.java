package dev.mds.testing;

import dev.mds.testing.internal.Values;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * Reading rows and comparing them by meaning, shared by {@link TableAssert}, {@link QueryAssert} and
 * {@link TableChanges}: package-private (not in {@code internal}) because it uses {@link Row}'s package-private parts.
 */
final class Rows {
    /** How many rows a failure shows, and how many missing rows it compares with their nearest found row. */
    static final int SHOWN = 20;

    private Rows() {
    }

    /** The rows a query read, and the names and type names of its columns. */
    record Read(List<String> names, List<String> types, List<Row> rows) {
    }

    /** The rows {@code sql} returns with {@code params} bound by {@code setObject}, each value read as {@link #value} reads it. */
    static Read read(Connection c, String sql, List<Object> params) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.size(); i++) {
                ps.setObject(i + 1, params.get(i));
            }
            try (ResultSet rs = ps.executeQuery()) {
                ResultSetMetaData md = rs.getMetaData();
                int n = md.getColumnCount();
                List<String> names = new ArrayList<>(n);
                List<String> types = new ArrayList<>(n);
                for (int i = 1; i <= n; i++) {
                    names.add(md.getColumnName(i));
                    types.add(md.getColumnTypeName(i));
                }
                List<Object[]> read = new ArrayList<>();
                while (rs.next()) {
                    Object[] values = new Object[n];
                    for (int i = 0; i < n; i++) {
                        values[i] = value(rs, i + 1, md);
                    }
                    read.add(values);
                }
                for (int i = 0; i < n; i++) {
                    if (isCitext(types.get(i)) || isCitext(elementOf(types.get(i)))) {
                        citext(c, read, i);
                    }
                }
                List<Row> out = new ArrayList<>(read.size());
                for (Object[] values : read) {
                    out.add(Row.row(values));
                }
                return new Read(names, types, out);
            }
        }
    }

    private static boolean isNumericRange(String type) {
        return type.equals("numrange") || type.equals("nummultirange");
    }

    /** Whether {@code type} (as pgjdbc names a column's type, schema-qualified when off the search path) is citext. */
    static boolean isCitext(String type) {
        return type != null && (type.equals("citext") || type.endsWith(".\"citext\"") || type.endsWith(".citext"));
    }

    /**
     * A column's type as pgjdbc names it, as SQL: a name on the search path ({@code citext}) quoted, one off it, which
     * pgjdbc gives as {@code "ext"."citext"}, as the schema and the name each quoted (not as one name {@code "ext"."citext"}
     * with its quotes doubled, which no type has).
     */
    static String typeSql(String type) {
        int dot = type.indexOf("\".\"");
        if (type.length() > 4 && type.startsWith("\"") && type.endsWith("\"") && dot > 0) {
            return dev.mds.core.Identifiers.quote(type.substring(1, dot), type.substring(dot + 3, type.length() - 1));
        }
        return dev.mds.core.Identifiers.quote(type);
    }

    /**
     * The element type of an array type as pgjdbc names it ({@code _inet}, {@code "s"."_mood"} off the search path):
     * {@code inet}, {@code "s"."mood"}; null for a type that is no array.
     */
    static String elementOf(String type) {
        if (type.startsWith("_")) {
            return type.substring(1);
        }
        int dot = type.lastIndexOf(".\"_");
        return dot > 0 && type.endsWith("\"") ? type.substring(0, dot + 2) + type.substring(dot + 3) : null;
    }

    /**
     * Column {@code i} of {@code rows}, citext values read as text (or a citext array's elements, in an
     * {@code Object[]}), as {@link Values.Citext}s folded by PostgreSQL's {@code lower()} (as citext's {@code =}
     * compares them), in one statement.
     */
    private static void citext(Connection c, List<Object[]> rows, int i) throws SQLException {
        List<String> texts = new ArrayList<>();
        for (Object[] values : rows) {
            if (values[i] instanceof String text) {
                texts.add(text);
            } else if (values[i] instanceof Object[] elements) {
                citextElements(elements, texts, null);
            }
        }
        if (texts.isEmpty()) {
            return;
        }
        java.util.Iterator<String> folded = lower(c, texts).iterator();
        for (Object[] values : rows) {
            if (values[i] instanceof String text) {
                values[i] = new Values.Citext(text, folded.next());
            } else if (values[i] instanceof Object[] elements) {
                citextElements(elements, null, folded);
            }
        }
    }

    /**
     * The strings of an array of any number of dimensions (its sub-arrays {@code Object[]}s), in order: added to
     * {@code texts}, or, given {@code folded}, replaced by {@link Values.Citext}s of the next folded texts.
     */
    private static void citextElements(Object[] elements, List<String> texts, java.util.Iterator<String> folded) {
        for (int e = 0; e < elements.length; e++) {
            if (elements[e] instanceof Object[] sub) {
                citextElements(sub, texts, folded);
            } else if (elements[e] instanceof String text) {
                if (folded == null) {
                    texts.add(text);
                } else {
                    elements[e] = new Values.Citext(text, folded.next());
                }
            }
        }
    }

    /** PostgreSQL's {@code lower()} of each of {@code texts}, in one statement. */
    static List<String> lower(Connection c, List<String> texts) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "select lower(t) from unnest(cast(? as text[])) with ordinality as u(t, n) order by n")) {
            ps.setArray(1, c.createArrayOf("text", texts.toArray()));
            List<String> out = new ArrayList<>(texts.size());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
            return out;
        }
    }

    /** Expected rows missing from the found ones and found rows not expected, duplicates counted. */
    record Mismatch(List<Row> missing, List<Row> unexpected) {
        boolean none() {
            return missing.isEmpty() && unexpected.isEmpty();
        }
    }

    /**
     * How {@code found} differs from {@code expected}, in any order, duplicates counted: each found row in turn takes
     * the first expected row still missing that it {@linkplain #sameRow matches}. Rows are looked up by their
     * {@link #key}, so that a comparison of many rows takes time in proportion to their number, not its square; a row
     * with a value of a type {@code key} does not know is compared with each expected row still missing, as before.
     */
    static Mismatch inAnyOrder(List<Row> found, Row[] expected) {
        boolean[] taken = new boolean[expected.length];
        Map<List<Object>, ArrayDeque<Integer>> byKey = new HashMap<>();
        List<Integer> unkeyed = new ArrayList<>();   // expected rows without a key, in their order
        for (int i = 0; i < expected.length; i++) {
            List<Object> key = key(expected[i]);
            if (key == null) {
                unkeyed.add(i);
            } else {
                byKey.computeIfAbsent(key, k -> new ArrayDeque<>()).add(i);
            }
        }
        List<Row> unexpected = new ArrayList<>();
        for (Row a : found) {
            List<Object> key = key(a);
            int match = -1;
            if (key == null) {
                for (int i = 0; i < expected.length && match < 0; i++) {
                    if (!taken[i] && sameRow(a, expected[i])) {
                        match = i;
                    }
                }
            } else {
                // the expected rows of the same key are exactly those it matches among the keyed ones
                ArrayDeque<Integer> same = byKey.get(key);
                if (same != null) {
                    while (!same.isEmpty() && taken[same.peekFirst()]) {
                        same.pollFirst();
                    }
                    match = same.isEmpty() ? -1 : same.peekFirst();
                }
                // an unkeyed expected row before it that its equals takes comes first, as in the pairwise order
                for (int i : unkeyed) {
                    if (match >= 0 && i > match) {
                        break;
                    }
                    if (!taken[i] && sameRow(a, expected[i])) {
                        match = i;
                        break;
                    }
                }
            }
            if (match >= 0) {
                taken[match] = true;
            } else {
                unexpected.add(a);
            }
        }
        List<Row> missing = new ArrayList<>();
        for (int i = 0; i < expected.length; i++) {
            if (!taken[i]) {
                missing.add(expected[i]);
            }
        }
        return new Mismatch(missing, unexpected);
    }

    /** The expected rows that match no found row, looked up by {@link #key} as {@link #inAnyOrder} does. */
    static List<Row> missing(List<Row> found, Row[] expected) {
        Set<List<Object>> keys = new HashSet<>();
        List<Row> unkeyed = new ArrayList<>();
        for (Row a : found) {
            List<Object> key = key(a);
            if (key == null) {
                unkeyed.add(a);
            } else {
                keys.add(key);
            }
        }
        List<Row> missing = new ArrayList<>();
        for (Row e : expected) {
            List<Object> key = key(e);
            boolean present = key == null ? found.stream().anyMatch(a -> sameRow(a, e))
                    : keys.contains(key) || unkeyed.stream().anyMatch(a -> sameRow(a, e));
            if (!present) {
                missing.add(e);
            }
        }
        return missing;
    }

    /**
     * A row's values {@linkplain Values#normalize normalized}, as {@link #sameRow} compares them: two keyed rows are
     * equal keys (with equal hash codes) exactly when they match. Null when a value, or an element of an array, is of a
     * type whose equality is not known to be symmetric and to agree with its hash code (a {@code Map}, a user's
     * class ...): such a row is compared pairwise.
     */
    private static List<Object> key(Row r) {
        List<Object> key = new ArrayList<>(r.size());
        for (int i = 0; i < r.size(); i++) {
            Object v = Values.normalize(r.get(i));
            if (!keyed(v)) {
                return null;
            }
            key.add(v);
        }
        return key;
    }

    /**
     * Whether a {@linkplain Values#normalize normalized} value may be looked up by its {@code equals} and
     * {@code hashCode}: of a {@link #KEYED} class, NULL, or a list of such values.
     */
    static boolean keyed(Object v) {
        if (v == null || KEYED.contains(v.getClass())) {
            return true;
        }
        if (v.getClass() == ArrayList.class) {   // what normalize makes of an array or a list
            for (Object o : (List<?>) v) {
                if (!keyed(o)) {
                    return false;
                }
            }
            return true;
        }
        return false;
    }

    /**
     * The classes of normalized values whose {@code equals} holds only for another of the same class, is symmetric and
     * agrees with {@code hashCode} (matched exactly: a subclass may not).
     */
    private static final Set<Class<?>> KEYED = Set.of(String.class, BigDecimal.class, Double.class, Boolean.class,
            LocalDate.class, LocalDateTime.class, LocalTime.class, OffsetTime.class, Instant.class, UUID.class,
            Values.Interval.class, Values.Bytes.class, Values.Jsonb.class, Values.Citext.class,
            Values.NumericRange.class);

    /** The missing and the unexpected rows of a failed comparison, with {@link #differences}, as a failure shows them. */
    static String missingAndUnexpected(List<String> names, Mismatch m) {
        return missingAndUnexpected(names, List.of(), m);
    }

    /** As {@link #missingAndUnexpected(List, Mismatch)}, a found row of a missing row's {@code key} taken as its nearest. */
    static String missingAndUnexpected(List<String> names, List<Integer> key, Mismatch m) {
        return String.format("Missing (expected, not found) %s:%n%s%nUnexpected (found, not expected) %s:%n%s%s",
                m.missing().size(), render(m.missing()), m.unexpected().size(), render(m.unexpected()),
                differences(names, key, m.missing(), m.unexpected()));
    }

    /**
     * For each missing row (the first {@value #SHOWN}), the found row of as many values that differs from it in the
     * fewest columns, when some columns are equal: the columns that differ, with each value's Java type, which the
     * rows alone do not show ({@code 1} and {@code 1L} match, {@code '1'} and {@code 1} do not, nor a
     * {@code LocalDateTime} and a {@code timestamptz}); or that it has another number of values than the columns
     * read. A found row that differs in every column is near when a column of it is shown as the missing row's is (a
     * {@code jsonb} {@code 1} and an {@code Integer 1}, a {@code jsonb null} and NULL), so that the types tell them apart. Empty when
     * no found row is near.
     */
    static String differences(List<String> names, List<Row> missing, List<Row> found) {
        return differences(names, List.of(), missing, found);
    }

    /**
     * As {@link #differences(List, List, List)}; but when the rows hold a table's primary key ({@code key}: the
     * positions of its columns, empty for none), a found row of the missing row's key is its nearest (the one of
     * them that differs in the fewest columns), said so: {@code (2, '') has the key (id) of found (2, null), which
     * differs in column s: expected '' (String), found null}. A missing row whose key no found row has is compared as
     * without a key.
     */
    static String differences(List<String> names, List<Integer> key, List<Row> missing, List<Row> found) {
        StringBuilder s = new StringBuilder();
        for (Row e : missing.subList(0, Math.min(SHOWN, missing.size()))) {
            if (e.size() != names.size()) {
                s.append(System.lineSeparator()).append("  ").append(e).append(" has ").append(e.size())
                        .append(" values, but the rows read have ").append(names.size()).append(": ").append(names);
                continue;
            }
            Row nearest = null;
            List<Integer> nearestDiffer = null;
            if (!key.isEmpty()) {
                for (Row a : found) {
                    if (a.size() == e.size() && key.stream().allMatch(i -> Values.same(a.get(i), e.get(i)))) {
                        List<Integer> differ = differing(a, e);
                        if (nearestDiffer == null || differ.size() < nearestDiffer.size()) {
                            nearest = a;
                            nearestDiffer = differ;
                        }
                    }
                }
                if (nearest != null) {
                    s.append(System.lineSeparator()).append("  ").append(e).append(" has the key (")
                            .append(String.join(", ", key.stream().map(names::get).toList())).append(") of found ")
                            .append(nearest).append(", which differs in");
                    appendDiffering(s, names, e, nearest, nearestDiffer);
                    continue;
                }
            }
            for (Row a : found) {
                if (a.size() != e.size()) {
                    continue;
                }
                List<Integer> differ = differing(a, e);
                // near: some columns equal; or none, but some shown alike (a jsonb 1 and an int 1, a jsonb null and NULL)
                boolean near = differ.size() < a.size() || (nearestDiffer == null && shownAlike(a, e));
                if (near && (nearestDiffer == null || differ.size() < nearestDiffer.size())) {
                    nearest = a;
                    nearestDiffer = differ;
                }
            }
            if (nearest != null) {
                s.append(System.lineSeparator()).append("  ").append(e).append(" is nearest to found ").append(nearest)
                        .append(", which differs in");
                appendDiffering(s, names, e, nearest, nearestDiffer);
            }
        }
        return s.length() == 0 ? "" : System.lineSeparator() + "Nearest found rows:" + s;
    }

    /** Whether some column of {@code a} and {@code e}, of as many values, is shown alike (though its values differ). */
    private static boolean shownAlike(Row a, Row e) {
        for (int i = 0; i < a.size(); i++) {
            if (Row.show(a.get(i)).equals(Row.show(e.get(i)))) {
                return true;
            }
        }
        return false;
    }

    /** The columns in which {@code a} and {@code e}, of as many values, differ. */
    private static List<Integer> differing(Row a, Row e) {
        List<Integer> differ = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            if (!Values.same(a.get(i), e.get(i))) {
                differ.add(i);
            }
        }
        return differ;
    }

    private static void appendDiffering(StringBuilder s, List<String> names, Row e, Row nearest, List<Integer> differ) {
        if (differ.isEmpty()) {
            s.append(" no column");   // equal rows both missing and unexpected: not from one comparison
            return;
        }
        for (int i : differ) {
            s.append(" column ").append(i < names.size() ? names.get(i) : String.valueOf(i + 1))
                    .append(": expected ").append(typed(e.get(i))).append(", found ").append(typed(nearest.get(i)))
                    .append(inExpectedOffset(e.get(i), nearest.get(i))).append(zones(e.get(i), nearest.get(i)))
                    .append(elementShownAlike(e.get(i), nearest.get(i))).append(';');
        }
        s.setLength(s.length() - 1);
    }

    /**
     * For two arrays (or lists) of as many elements that are shown alike ({@code [1, null]} of a {@code jsonb[]} holding
     * a jsonb {@code null} against one holding NULL), the first element that differs, with its types:
     * {@code , element 2 of which: expected null (Jsonb), found null}; empty otherwise (the arrays show how they differ).
     */
    private static String elementShownAlike(Object expected, Object found) {
        List<?> e = elementsOf(expected);
        List<?> f = elementsOf(found);
        if (e == null || f == null || e.size() != f.size() || !Row.show(expected).equals(Row.show(found))) {
            return "";
        }
        for (int k = 0; k < e.size(); k++) {
            if (!Values.same(e.get(k), f.get(k))) {
                return ", element " + (k + 1) + " of which: expected " + typed(e.get(k)) + ", found " + typed(f.get(k));
            }
        }
        return "";
    }

    /** An {@code Object[]}'s or a {@code List}'s elements; null for another value. */
    private static List<?> elementsOf(Object v) {
        return v instanceof Object[] arr ? java.util.Arrays.asList(arr) : v instanceof List<?> list ? list : null;
    }

    /**
     * A found instant in the offset of the expected one, when they differ, so that the two read alike but for what
     * differs ({@code 2024-06-01T12:00:00.123+02:00} against {@code 2024-06-01T10:00:00.123456Z}, which is
     * {@code 12:00:00.123456+02:00}); empty otherwise (infinity has no offset).
     */
    private static String inExpectedOffset(Object expected, Object found) {
        java.time.ZoneOffset offset = expected instanceof java.time.OffsetDateTime o ? o.getOffset()
                : expected instanceof java.time.ZonedDateTime z ? z.getOffset() : null;
        if (offset == null || !(found instanceof java.time.OffsetDateTime f) || f.getOffset().equals(offset)
                || f.equals(java.time.OffsetDateTime.MAX) || f.equals(java.time.OffsetDateTime.MIN)) {
            return "";
        }
        try {
            return " = " + f.withOffsetSameInstant(offset) + " in the expected offset";
        } catch (java.time.DateTimeException outOfRange) {
            return "";
        }
    }

    /**
     * Why a local date-time and an instant never match, when they are what differs: a {@code timestamptz} is an
     * instant, a {@code timestamp} a local date-time, and the one is not taken for the other in any zone.
     */
    private static String zones(Object expected, Object found) {
        boolean expectedLocal = expected instanceof java.time.LocalDateTime;
        boolean foundLocal = found instanceof java.time.LocalDateTime;
        boolean expectedInstant = Values.normalize(expected) instanceof Instant;
        boolean foundInstant = Values.normalize(found) instanceof Instant;
        if (expectedLocal && foundInstant) {
            return " (a timestamptz holds an instant: expect an OffsetDateTime, an Instant or a ZonedDateTime)";
        }
        if (expectedInstant && foundLocal) {
            return " (a timestamp without time zone holds no instant: expect a LocalDateTime)";
        }
        return "";
    }

    /**
     * Why {@code expected} and {@code found}, which do not match, do not, when their texts do not show it: for values
     * shown alike, or a local date-time against an instant, {@code expected 1 (Integer), found 1 (Jsonb)} and the hint
     * {@link #zones} gives; empty when they match, or are shown differently and need no hint.
     */
    static String whyDiffer(Object expected, Object found) {
        if (Values.same(expected, found)) {
            return "";
        }
        String zone = zones(expected, found);
        if (zone.isEmpty() && !Row.show(expected).equals(Row.show(found))) {
            return "";
        }
        return "expected " + typed(expected) + ", found " + typed(found) + zone;
    }

    private static String typed(Object v) {
        // a List as List, not as the JDK's class of it (List12, ListN, ArrayList ...)
        return v == null ? "null" : Row.show(v) + " (" + (v instanceof List<?> ? "List" : v.getClass().getSimpleName()) + ")";
    }

    static boolean sameRow(Row a, Row e) {
        if (a.size() != e.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!Values.same(a.get(i), e.get(i))) {
                return false;
            }
        }
        return true;
    }

    /**
     * One row a line, indented, the first {@value #SHOWN} of them and then how many more there are (a failure on a big
     * table stays readable); {@code (none)} for no row.
     */
    static String render(List<Row> rows) {
        StringBuilder s = new StringBuilder();
        for (Row r : rows.subList(0, Math.min(SHOWN, rows.size()))) {
            s.append("  ").append(r).append(System.lineSeparator());
        }
        if (rows.size() > SHOWN) {
            s.append("  ... ").append(rows.size() - SHOWN).append(" more");
        }
        return s.length() == 0 ? "  (none)" : s.toString().stripTrailing();
    }

    /**
     * The expected rows as the rows read are compared: each value given as JSON text ({@code String} or pgjdbc's
     * {@code PGobject}) for a {@code jsonb} column as a {@link Values.Jsonb} of PostgreSQL's reading of it, so that it
     * compares by meaning (key order and white space do not matter); text that is no JSON stays as it is, and matches
     * nothing. Likewise a string for a column of a type pgjdbc reads as text ({@link #readAsText}: {@code inet},
     * ranges ...) as PostgreSQL prints the value of that type it reads from it (a {@code citext} one as a
     * {@link Values.Citext}, equal to another PostgreSQL lowers alike). An array for a column of an array of such a type
     * ({@code inet[]}, {@code citext[]} ...: a {@code List}, an {@code Object[]} of strings, or an array literal) element
     * by element likewise ({@link #arrays}). A string for a {@code char(n)} column (or in an array for a {@code char(n)[]} one) without its trailing
     * spaces, as {@link #value} reads the column: PostgreSQL ignores a {@code char(n)}'s padding when it compares.
     * {@code of} names what is read, for the error when the database cannot be asked.
     */
    static Row[] expected(DataSource dataSource, List<String> types, Row[] expected, Object of) {
        if (types.contains("bpchar") || types.contains("_bpchar")) {
            expected = expected.clone();
            for (int r = 0; r < expected.length; r++) {
                if (expected[r].size() == types.size()) {
                    Object[] values = expected[r].values().toArray();
                    for (int i = 0; i < values.length; i++) {
                        if (types.get(i).equals("bpchar") || types.get(i).equals("_bpchar")) {
                            values[i] = unpadded(values[i]);
                        }
                    }
                    expected[r] = Row.row(values);
                }
            }
        }
        if (types.stream().noneMatch(t -> readAsText(t) || readAsTextArray(t))) {
            return expected;
        }
        Object[][] values = new Object[expected.length][];
        for (int r = 0; r < expected.length; r++) {
            values[r] = expected[r].size() == types.size() ? expected[r].values().toArray() : null;
        }
        try (Connection c = dataSource.getConnection()) {
            for (int i = 0; i < types.size(); i++) {
                String type = types.get(i);
                if (readAsTextArray(type)) {
                    arrays(c, type, values, i);
                    continue;
                }
                if (!readAsText(type)) {
                    continue;
                }
                // the column's strings (or PGobjects' text), read in one statement
                List<Integer> at = new ArrayList<>();
                List<String> texts = new ArrayList<>();
                for (int r = 0; r < values.length; r++) {
                    Object v = values[r] == null ? null
                            : values[r][i] instanceof org.postgresql.util.PGobject p ? p.getValue() : values[r][i];
                    if (v instanceof String text) {
                        at.add(r);
                        texts.add(text);
                    }
                }
                if (texts.isEmpty()) {
                    continue;
                }
                List<Object> read = readAs(c, type, texts);
                for (int k = 0; k < read.size(); k++) {
                    if (read.get(k) != null) {
                        values[at.get(k)][i] = read.get(k);
                    }
                }
            }
        } catch (SQLException e) {
            throw new AssertionError("cannot read expected values of " + of + ": " + e.getMessage(), e);
        }
        Row[] out = expected.clone();
        for (int r = 0; r < out.length; r++) {
            if (values[r] != null) {
                out[r] = Row.row(values[r]);
            }
        }
        return out;
    }

    /**
     * Each of {@code texts} read as a value of {@code type} and compared as {@link #value} reads a column of it (a
     * {@code jsonb} as a {@link Values.Jsonb}, a {@code citext} as a {@link Values.Citext} ...), null for a text that
     * is no value of the type; in one statement, with {@code pg_input_is_valid} (PostgreSQL 16 and later). Where that
     * statement fails (an older server, a type whose input function cannot report an invalid value softly), each text
     * is read by a statement of its own.
     */
    private static List<Object> readAs(Connection c, String type, List<String> texts) throws SQLException {
        String quoted = typeSql(type);
        // the type's output, as pgjdbc reads the column (an inet's ::text keeps a /32 its output drops)
        String sql = "select x, lower(cast(x as text)) from (select case when pg_input_is_valid(v, ?) then cast(v as "
                + quoted + ") end as x, n from unnest(cast(? as text[])) with ordinality as u(v, n)) s order by n";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, quoted);
            ps.setArray(2, c.createArrayOf("text", texts.toArray()));
            List<Object> out = new ArrayList<>(texts.size());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1) == null ? null : comparedAs(type, rs.getString(1), rs.getString(2)));
                }
            }
            return out;
        } catch (SQLException refused) {
            // no pg_input_is_valid, or a text the type's input refuses outright: one statement a text
        }
        List<Object> out = new ArrayList<>(texts.size());
        try (PreparedStatement ps = c.prepareStatement("select x, lower(cast(x as text)) from (select cast(cast(? as text) as "
                + quoted + ") as x) s")) {
            for (String text : texts) {
                ps.setString(1, text);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    out.add(comparedAs(type, rs.getString(1), rs.getString(2)));
                } catch (SQLException notOfTheType) {
                    out.add(null);   // not a value of the type: compared as given, it matches nothing
                }
            }
        }
        return out;
    }

    /**
     * Column {@code i} of {@code values} (a row null when it has another number of values), an array of a type read as
     * text: each expected array ({@code List}, {@code Object[]} of strings, or an array literal such as
     * {@code "{10.0.0.1/32}"}; nested lists or arrays, or {@code "{{a,b},{c,d}}"}, for more than one dimension) as an
     * {@code Object[]} (of {@code Object[]}s for each further dimension) of its elements each read as {@link #readAs}
     * reads a value of the element type ({@code 10.0.0.1}, a {@link Values.Citext} ...), as {@link #value} reads such
     * a column; in one statement for the column. A text that is no array of the type (sub-arrays of uneven lengths
     * among them) stays as given.
     */
    private static void arrays(Connection c, String type, Object[][] values, int i) throws SQLException {
        List<Integer> at = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        for (int r = 0; r < values.length; r++) {
            String literal = values[r] == null ? null : arrayLiteral(values[r][i]);
            if (literal != null) {
                at.add(r);
                texts.add(literal);
            }
        }
        if (texts.isEmpty()) {
            return;
        }
        List<Object[]> read = readArraysAs(c, type, texts);
        for (int k = 0; k < read.size(); k++) {
            if (read.get(k) != null) {
                values[at.get(k)][i] = read.get(k);
            }
        }
    }

    /**
     * An expected value for an array column as an array literal: a string (or a {@code PGobject}'s text) as it is, a
     * {@code List} or {@code Object[]} of strings and nulls as {@code {"a","b",NULL}}; null for anything else.
     */
    private static String arrayLiteral(Object v) {
        if (v instanceof org.postgresql.util.PGobject p) {
            return p.getValue();
        }
        if (v instanceof String text) {
            return text;
        }
        List<?> elements = v instanceof Object[] arr ? java.util.Arrays.asList(arr) : v instanceof List<?> list ? list : null;
        if (elements == null) {
            return null;
        }
        java.util.StringJoiner literal = new java.util.StringJoiner(",", "{", "}");
        for (Object e : elements) {
            if (e == null) {
                literal.add("NULL");
            } else if (e instanceof String text) {
                literal.add('"' + text.replace("\\", "\\\\").replace("\"", "\\\"") + '"');
            } else if (e instanceof Object[] || e instanceof List<?>) {
                String sub = arrayLiteral(e);   // a sub-array of an array of more dimensions
                if (sub == null) {
                    return null;
                }
                literal.add(sub);
            } else {
                return null;
            }
        }
        return literal.toString();
    }

    /**
     * Each of {@code texts} read as an array of {@code type} (an array type read as text) and its elements as
     * {@link #comparedAs} takes a value of the element type, in an {@code Object[]} (of {@code Object[]}s for each
     * dimension after the first, as pgjdbc reads an array of more than one); null for a text that is no such array. In
     * one statement, with {@code pg_input_is_valid}; where that fails, one statement a text, as {@link #readAs} does.
     */
    private static List<Object[]> readArraysAs(Connection c, String type, List<String> texts) throws SQLException {
        String element = elementOf(type);
        String quoted = typeSql(type);
        String sql = "select u.n, e.k, e.x, lower(cast(e.x as text)), case when u.a is null then 0 else coalesce(array_ndims(u.a), 1) end,"
                + " array_dims(u.a) from (select n, %s as a"
                + " from unnest(cast(? as text[])) with ordinality as v(t, n)) u left join lateral unnest(u.a) with ordinality"
                + " as e(x, k) on true order by u.n, e.k";
        try (PreparedStatement ps = c.prepareStatement(String.format(sql,
                "case when pg_input_is_valid(t, ?) then cast(t as " + quoted + ") end"))) {
            ps.setString(1, quoted);
            ps.setArray(2, c.createArrayOf("text", texts.toArray()));
            return arraysRead(ps, element, texts.size());
        } catch (SQLException refused) {
            // no pg_input_is_valid, or a text the type's input refuses outright: one statement a text
        }
        List<Object[]> out = new ArrayList<>(texts.size());
        try (PreparedStatement ps = c.prepareStatement(String.format(sql, "cast(t as " + quoted + ")"))) {
            for (String text : texts) {
                ps.setArray(1, c.createArrayOf("text", new Object[] {text}));
                try {
                    out.add(arraysRead(ps, element, 1).get(0));
                } catch (SQLException notOfTheType) {
                    out.add(null);   // not an array of the type: compared as given, it matches nothing
                }
            }
        }
        return out;
    }

    /**
     * The {@code count} arrays {@link #readArraysAs}'s statement reads, in order: each array's elements, which
     * {@code unnest} gives in row-major order, shaped by its dimensions.
     */
    private static List<Object[]> arraysRead(PreparedStatement ps, String element, int count) throws SQLException {
        List<Object[]> out = new ArrayList<>(count);
        List<Object> elements = new ArrayList<>();
        long n = 0;
        int[] lengths = null;   // null: NULL, no array of the type
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                if (rs.getLong(1) != n) {
                    if (n > 0) {
                        out.add(lengths == null ? null : shaped(elements, lengths));
                    }
                    n = rs.getLong(1);
                    elements.clear();
                    lengths = rs.getInt(5) == 0 ? null : lengths(rs.getString(6));
                }
                rs.getLong(2);
                if (!rs.wasNull() && lengths != null) {
                    // an empty array, or NULL (no array of the type), has no element: its one row has no k
                    String text = rs.getString(3);
                    elements.add(text == null ? null : comparedAs(element, text, rs.getString(4)));
                }
            }
        }
        if (n > 0) {
            out.add(lengths == null ? null : shaped(elements, lengths));
        }
        return out;
    }

    private static final java.util.regex.Pattern DIMENSION = java.util.regex.Pattern.compile("\\[(-?\\d+):(-?\\d+)]");

    /** The length of each dimension {@code array_dims} gives ({@code [1:2][0:2]}: 2 and 3); none for an empty array (NULL). */
    private static int[] lengths(String dims) {
        if (dims == null) {
            return new int[0];
        }
        java.util.regex.Matcher m = DIMENSION.matcher(dims);
        List<Integer> out = new ArrayList<>();
        while (m.find()) {
            out.add(Integer.parseInt(m.group(2)) - Integer.parseInt(m.group(1)) + 1);
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * {@code elements} in row-major order as an array of these {@code lengths}: an {@code Object[]} of them for one
     * dimension (or none, empty), of {@code Object[]}s for each further one.
     */
    private static Object[] shaped(List<Object> elements, int[] lengths) {
        if (lengths.length <= 1) {
            return elements.toArray();
        }
        int[] inner = java.util.Arrays.copyOfRange(lengths, 1, lengths.length);
        int size = elements.size() / lengths[0];
        Object[] out = new Object[lengths[0]];
        for (int k = 0; k < out.length; k++) {
            out[k] = shaped(elements.subList(k * size, (k + 1) * size), inner);
        }
        return out;
    }

    /** A value of {@code type} PostgreSQL printed as {@code text} (and lowered as {@code lower}), as {@link #value} reads one. */
    private static Object comparedAs(String type, String text, String lower) {
        return type.equals("jsonb") ? new Values.Jsonb(text) : isCitext(type) ? new Values.Citext(text, lower)
                : isNumericRange(type) ? new Values.NumericRange(text) : text;
    }

    /**
     * Types pgjdbc reads as a string-like object of no Java type of its own ({@code inet}, {@code cidr},
     * {@code macaddr}, ranges, enums, {@code tsvector} ...) and {@code jsonb}: their values compare as PostgreSQL prints
     * them, so an expected string is read by PostgreSQL first ({@code '10.0.0.1/32'} for an {@code inet} is
     * {@code 10.0.0.1}, {@code '[1,4]'} for an {@code int4range} is {@code [1,5)}). Not arrays (an array of such a type is {@link #readAsTextArray}), nor types read as a Java
     * value (numbers, dates, times, {@code uuid}, {@code interval}, geometric types), text or {@code json}, whose text
     * PostgreSQL keeps as given.
     */
    private static boolean readAsText(String type) {
        return !type.startsWith("_") && !NOT_READ_AS_TEXT.contains(type);
    }

    /** Whether {@code type} is an array of a type {@link #readAsText read as text} ({@code _inet}, {@code _citext} ...). */
    private static boolean readAsTextArray(String type) {
        String element = elementOf(type);
        return element != null && readAsText(element);
    }

    private static final java.util.Set<String> NOT_READ_AS_TEXT = java.util.Set.of("text", "varchar", "bpchar", "char", "name",
            "json", "xml", "uuid", "bool", "bit", "varbit", "int2", "int4", "int8", "float4", "float8", "numeric", "money",
            "oid", "date", "time", "timetz", "timestamp", "timestamptz", "interval", "bytea", "point", "box", "circle",
            "line", "lseg", "path", "polygon", "hstore", "refcursor", "unknown", "serial", "bigserial");

    /**
     * A column's value, date and time types as {@code java.time} values: pgjdbc's default objects are
     * {@code java.sql} types, which lose what the column holds ({@code Time} keeps milliseconds, not the
     * microseconds of {@code time}; {@code Timestamp} and {@code Date} are built in the JVM's zone, so a
     * {@code timestamp} that does not exist there, inside a daylight-saving gap, comes back shifted by an hour;
     * {@code timestamptz} would lose its instant). A {@code bit(n)} of more than one bit is its text ({@code 101}):
     * pgjdbc would read it as a boolean and fail. An {@code xml} value is its text: pgjdbc's {@code SQLXML} equals nothing.
     * A {@code jsonb} value is a {@link Values.Jsonb}, equal to another of the same meaning; a {@code numrange} or
     * {@code nummultirange} one a {@link Values.NumericRange}, equal to another of equal bounds whatever their scale. A {@code char(n)} value
     * (and each element of a {@code char(n)[]}) is its text without trailing spaces, as {@code ::text} gives it:
     * PostgreSQL ignores the padding when it compares ({@code 'ab'::char(5) = 'ab'}). A {@code citext} value is its
     * text here, made a {@link Values.Citext} by {@link #read}.
     */
    private static Object value(ResultSet rs, int i, ResultSetMetaData md) throws SQLException {
        if (isCitext(md.getColumnTypeName(i))) {
            return rs.getString(i);   // folded by citext(), once the rows are read
        }
        return switch (md.getColumnTypeName(i)) {
            case "bit" -> md.getPrecision(i) == 1 ? rs.getObject(i) : rs.getString(i);
            case "xml" -> rs.getString(i);
            case "bpchar" -> unpadded(rs.getString(i));
            case "_bpchar" -> unpadded(elements(rs.getObject(i)));
            case "jsonb" -> rs.getString(i) == null ? null : new Values.Jsonb(rs.getString(i));
            case "numrange", "nummultirange" -> rs.getString(i) == null ? null : new Values.NumericRange(rs.getString(i));
            case "timestamptz" -> rs.getObject(i, OffsetDateTime.class);
            case "timestamp" -> rs.getObject(i, LocalDateTime.class);
            case "date" -> rs.getObject(i, LocalDate.class);
            case "time" -> rs.getObject(i, LocalTime.class);
            case "timetz" -> rs.getObject(i, OffsetTime.class);
            case "_time", "_timetz", "_timestamp", "_timestamptz", "_date" -> temporalArray(rs, i, md.getColumnTypeName(i).substring(1));
            default -> readAsTextArray(md.getColumnTypeName(i)) ? textArray(rs.getObject(i), elementOf(md.getColumnTypeName(i)))
                    : elements(rs.getObject(i));
        };
    }

    /**
     * An array of a type read as text as an {@code Object[]} (of {@code Object[]}s for each dimension after the first)
     * of its elements each as a value of the element type is read (a {@code jsonb} one as a {@link Values.Jsonb}, a {@code numrange} one as a
     * {@link Values.NumericRange}, a {@code citext} one as its text, folded by {@link #read}); any other value as
     * {@link #elements} reads it.
     */
    private static Object textArray(Object v, String element) throws SQLException {
        Object read = elements(v);
        if (!(read instanceof Object[] arr)) {
            return read;
        }
        Object[] out = new Object[arr.length];
        for (int k = 0; k < arr.length; k++) {
            Object e = arr[k] instanceof org.postgresql.util.PGobject p ? p.getValue() : arr[k];
            if (e instanceof Object[] sub) {
                // a sub-array of an array of more dimensions: its elements likewise
                Object subRead = textArray(sub, element);
                if (subRead == sub) {
                    return read;
                }
                out[k] = subRead;
                continue;
            }
            if (e != null && !(e instanceof String)) {
                return read;   // an element pgjdbc reads as a Java value: as before
            }
            out[k] = e == null ? null : isCitext(element) ? e : comparedAs(element, (String) e, null);
        }
        return out;
    }

    /**
     * An array's elements ({@code String[]}, {@code BigDecimal[]} ... as pgjdbc reads them), read while the connection
     * is open, so that a failure shows them as it shows an expected array; any other value as it is.
     */
    private static Object elements(Object v) throws SQLException {
        return v instanceof java.sql.Array a ? a.getArray() : v;
    }

    /**
     * A string (or a {@code Character}) without its trailing spaces (not other white space: PostgreSQL pads with spaces), an array's or list's strings likewise (an array as an {@code Object[]});
     * any other value as it is.
     */
    private static Object unpadded(Object v) {
        if (v instanceof String || v instanceof Character) {
            String str = v.toString();
            int end = str.length();
            while (end > 0 && str.charAt(end - 1) == ' ') {
                end--;
            }
            return str.substring(0, end);
        }
        if (v instanceof Object[] arr) {
            Object[] out = new Object[arr.length];
            for (int i = 0; i < arr.length; i++) {
                out[i] = unpadded(arr[i]);
            }
            return out;
        }
        if (v instanceof List<?> list) {
            List<Object> out = new ArrayList<>(list.size());
            for (Object o : list) {
                out.add(unpadded(o));
            }
            return out;
        }
        return v;
    }

    private static final DateTimeFormatter TIMETZ = new DateTimeFormatterBuilder().append(DateTimeFormatter.ISO_LOCAL_TIME)
            .appendOffset("+HH:mm:ss", "+00").toFormatter();
    private static final DateTimeFormatter TIMESTAMP = new DateTimeFormatterBuilder().append(DateTimeFormatter.ISO_LOCAL_DATE)
            .appendLiteral(' ').append(DateTimeFormatter.ISO_LOCAL_TIME).toFormatter();
    private static final DateTimeFormatter TIMESTAMPTZ = new DateTimeFormatterBuilder().append(TIMESTAMP)
            .appendOffset("+HH:mm:ss", "+00").toFormatter();

    /**
     * An array of a date or time type as a list of {@code java.time} values (of such lists for each dimension after the
     * first), read from its text: pgjdbc's arrays hold the same lossy {@code java.sql} values as its default objects
     * (a {@code timestamptz[][]}'s {@code Timestamp}s in the JVM's zone). {@code infinity} and {@code -infinity} are
     * the element type's MAX and MIN, as pgjdbc reads a scalar. Falls back to pgjdbc's array for what the text form
     * cannot give back here (lower bounds other than 1, BC, 24:00).
     */
    private static Object temporalArray(ResultSet rs, int i, String element) throws SQLException {
        String text = rs.getString(i);
        if (text == null) {
            return null;
        }
        if (!text.startsWith("{") || !text.endsWith("}")) {
            return elements(rs.getObject(i));   // lower bounds other than 1 ([0:1]={...})
        }
        try {
            int[] at = {0};
            List<Object> values = temporalElements(text, at, element);
            return at[0] == text.length() ? values : elements(rs.getObject(i));
        } catch (DateTimeParseException | IndexOutOfBoundsException ex) {
            return elements(rs.getObject(i));
        }
    }

    /**
     * The array (or sub-array, of an array of more dimensions) that starts at {@code at[0]} in a date or time array's
     * text, its elements as values of {@code element} and its sub-arrays as lists; {@code at[0]} is left after it.
     * Such elements hold no comma, brace or quote: those holding a space are quoted.
     */
    private static List<Object> temporalElements(String text, int[] at, String element) {
        if (text.charAt(at[0]) != '{') {
            throw new IndexOutOfBoundsException("no array at " + at[0]);
        }
        at[0]++;
        List<Object> values = new ArrayList<>();
        if (text.charAt(at[0]) == '}') {
            at[0]++;
            return values;
        }
        while (true) {
            if (text.charAt(at[0]) == '{') {
                values.add(temporalElements(text, at, element));
            } else {
                int end = at[0];
                while (text.charAt(end) != ',' && text.charAt(end) != '}') {
                    end++;
                }
                values.add(temporal(text.substring(at[0], end), element));
                at[0] = end;
            }
            char c = text.charAt(at[0]++);
            if (c == '}') {
                return values;
            }
            if (c != ',') {
                throw new IndexOutOfBoundsException("no array at " + (at[0] - 1));
            }
        }
    }

    /** One element of a date or time array's text as a value of {@code element}; null for NULL. */
    private static Object temporal(String e, String element) {
        if (e.equals("NULL")) {
            return null;
        }
        String v = e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"") ? e.substring(1, e.length() - 1) : e;
        if ((v.equals("infinity") || v.equals("-infinity")) && !element.equals("time") && !element.equals("timetz")) {
            boolean max = v.equals("infinity");
            return switch (element) {
                case "timestamp" -> max ? LocalDateTime.MAX : LocalDateTime.MIN;
                case "timestamptz" -> max ? OffsetDateTime.MAX : OffsetDateTime.MIN;
                default -> max ? LocalDate.MAX : LocalDate.MIN;
            };
        }
        return switch (element) {
            case "time" -> LocalTime.parse(v);
            case "timetz" -> OffsetTime.parse(v, TIMETZ);
            case "timestamp" -> LocalDateTime.parse(v, TIMESTAMP);
            case "timestamptz" -> OffsetDateTime.parse(v, TIMESTAMPTZ);
            default -> LocalDate.parse(v);
        };
    }
}
