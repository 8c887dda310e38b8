package dev.mds.quality.internal;

import java.util.Map;
import java.util.Set;

/**
 * What the catalog says about a table's text columns, so that checks can use cheaper SQL with the same result, and
 * about the columns whose checks need SQL of their own (composite and array types, nondeterministic collations).
 *
 * @param textTyped columns of type {@code text}, {@code varchar} or {@code char(n)}: text's own equality and hash,
 *     under the column's collation (a {@code citext}, {@code name} or domain column has its own and is not here)
 * @param bytewise of those, the ones under a deterministic collation: two values are equal only when their bytes are
 * @param blankPadded of those, the {@code char(n)} ones: equality ignores the trailing blanks a regular expression sees
 * @param nondeterministic the columns of any type under a nondeterministic collation (case-insensitive ICU…), to the
 *     collation's name: PostgreSQL matches no regular expression under one
 * @param compositeTypes the columns of a composite type (or a domain over one), to the type's quoted, qualified name:
 *     a literal compared with them must name it
 * @param arrays the columns of an array type: a list of accepted arrays cannot be an array of arrays
 * @param types every column's type (a domain's base type) and collation, as {@code <type oid>/<collation oid>}
 */
public record TextColumns(Set<String> textTyped, Set<String> bytewise, Set<String> blankPadded,
        Map<String, String> nondeterministic, Map<String, String> compositeTypes, Set<String> arrays,
        Map<String, String> types) {
    /** Nothing known: no shortcut that depends on a column's type. */
    public static final TextColumns NONE = new TextColumns(Set.of(), Set.of(), Set.of(), Map.of(), Map.of(), Set.of(), Map.of());

    public TextColumns {
        textTyped = Set.copyOf(textTyped);
        bytewise = Set.copyOf(bytewise);
        blankPadded = Set.copyOf(blankPadded);
        nondeterministic = Map.copyOf(nondeterministic);
        compositeTypes = Map.copyOf(compositeTypes);
        arrays = Set.copyOf(arrays);
        types = Map.copyOf(types);
    }

    /** Whether a literal pattern on the column may be a comparison instead of a regular expression match. */
    public boolean literalPatterns(String column) {
        return bytewise.contains(column) && !blankPadded.contains(column);
    }
}
