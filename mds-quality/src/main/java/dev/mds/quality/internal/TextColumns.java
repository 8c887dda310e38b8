package dev.mds.quality.internal;

import java.util.Set;

/**
 * What the catalog says about a table's text columns, so that checks can use cheaper SQL with the same result.
 *
 * @param textTyped columns of type {@code text}, {@code varchar} or {@code char(n)}: text's own equality and hash,
 *     under the column's collation (a {@code citext}, {@code name} or domain column has its own and is not here)
 * @param bytewise of those, the ones under a deterministic collation: two values are equal only when their bytes are
 * @param blankPadded of those, the {@code char(n)} ones: equality ignores the trailing blanks a regular expression sees
 */
public record TextColumns(Set<String> textTyped, Set<String> bytewise, Set<String> blankPadded) {
    /** Nothing known: no shortcut that depends on a column's type. */
    public static final TextColumns NONE = new TextColumns(Set.of(), Set.of(), Set.of());

    public TextColumns {
        textTyped = Set.copyOf(textTyped);
        bytewise = Set.copyOf(bytewise);
        blankPadded = Set.copyOf(blankPadded);
    }

    /** Whether a literal pattern on the column may be a comparison instead of a regular expression match. */
    public boolean literalPatterns(String column) {
        return bytewise.contains(column) && !blankPadded.contains(column);
    }
}
