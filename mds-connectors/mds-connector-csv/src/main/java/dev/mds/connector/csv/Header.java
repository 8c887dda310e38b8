package dev.mds.connector.csv;

import dev.mds.core.Identifiers;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Where a CSV file's column names come from: its first line ({@link #FIRST_LINE}, the default), nowhere
 * ({@link #NONE}: {@code column_1}, {@code column_2}, … or the declared schema's names) or the caller
 * ({@link #names}, for a file without a header line).
 *
 * <pre>{@code
 * CsvSource.builder().path(file).header(Header.names("id", "name", "amount")).build();
 * }</pre>
 *
 * <p>Names read from the file are made unique and non-empty predictably: an empty name, or one of only white space
 * (as Commons CSV takes it for a missing name; no-break spaces count, as in a sheet's header), at position 5 becomes
 * {@code column_5}, the second {@code name} becomes {@code name_2} (a long name cut so that it keeps within
 * PostgreSQL's 63 bytes with its suffix). Names differing only in case stay distinct columns: mds quotes every
 * identifier.
 */
public final class Header {
    /** The first record holds the column names. */
    public static final Header FIRST_LINE = new Header(true, List.of());
    /** No header line; columns are named {@code column_1}, … (or by the declared schema). */
    public static final Header NONE = new Header(false, List.of());

    private final boolean firstLine;
    private final List<String> names;

    private Header(boolean firstLine, List<String> names) {
        this.firstLine = firstLine;
        this.names = names;
    }

    /** No header line in the file; these are the column names, in file order (checked as {@link #names(List)} says). */
    public static Header names(String... names) {
        return names(List.of(names));
    }

    /**
     * No header line in the file; these are the column names, in file order.
     *
     * @throws IllegalArgumentException when a name is empty, repeats an earlier one, or cannot name a PostgreSQL
     *     column (longer than 63 bytes, a NUL), naming its position
     */
    public static Header names(List<String> names) {
        if (names.isEmpty()) {
            throw new IllegalArgumentException("Header.names needs at least one name");
        }
        names.forEach(n -> Objects.requireNonNull(n, "name"));
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            try {
                Identifiers.check(name);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("Header.names: name " + (i + 1) + " of " + names + ": "
                        + e.getMessage(), e);
            }
            Integer first = seen.putIfAbsent(name, i);
            if (first != null) {
                throw new IllegalArgumentException("Header.names: name " + (i + 1) + " of " + names + " repeats name "
                        + (first + 1) + " '" + name + "': column names must be unique");
            }
        }
        return new Header(false, List.copyOf(names));
    }

    /** Whether the file's first record is the header. */
    public boolean firstLine() {
        return firstLine;
    }

    /** The caller's names; empty unless made with {@link #names}. */
    public List<String> names() {
        return names;
    }

    @Override
    public String toString() {
        return firstLine ? "FIRST_LINE" : names.isEmpty() ? "NONE" : "names" + names;
    }
}
