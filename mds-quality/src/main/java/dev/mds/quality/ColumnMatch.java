package dev.mds.quality;

/**
 * How a table's columns must match the names given to {@link TableChecks#columns(ColumnMatch, String...)}; strict by
 * default, the lenient values named for what they tolerate.
 *
 * <pre>{@code
 * t.columns(ColumnMatch.IN_ORDER, "id", "email", "created_at")
 * }</pre>
 */
public enum ColumnMatch {
    /** Exactly these columns, in this order (Great Expectations' {@code expect_table_columns_to_match_ordered_list}). */
    IN_ORDER,
    /**
     * Exactly these columns, in any order (Great Expectations' {@code expect_table_columns_to_match_set}, whose
     * {@code exact_match} is true by default).
     */
    ANY_ORDER,
    /**
     * At least these columns, in any order, others allowed ({@code expect_table_columns_to_match_set} with
     * {@code exact_match: false}).
     */
    OTHERS_ALLOWED
}
