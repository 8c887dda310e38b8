package dev.mds.quality;

/**
 * Which rows a {@link TableChecks#unique unique} check compares when its key holds NULLs, as
 * {@link TableChecks#nullKeys(NullKeys)} sets it: the three answers of the tools people come from.
 *
 * <pre>{@code
 * t.unique("month", "product").nullKeys(NullKeys.COMPARED)    // as dbt-utils' unique_combination_of_columns
 * }</pre>
 */
public enum NullKeys {
    /**
     * A row with a NULL in any key column is not compared (the default): a PostgreSQL unique constraint, dbt's
     * {@code unique} test, Great Expectations' {@code ignore_row_if="any_value_is_missing"}.
     */
    SKIPPED_IF_ANY_NULL,
    /**
     * A row whose key columns are all NULL is not compared; in the others a NULL is a value equal to every other NULL:
     * Great Expectations' {@code expect_compound_columns_to_be_unique} default ({@code "all_values_are_missing"}).
     */
    SKIPPED_IF_ALL_NULL,
    /**
     * Every row is compared, a NULL being a value equal to every other NULL: dbt-utils'
     * {@code unique_combination_of_columns} (a {@code GROUP BY} of the columns), PostgreSQL 15's
     * {@code UNIQUE NULLS NOT DISTINCT}, Great Expectations' {@code ignore_row_if="never"}.
     */
    COMPARED
}
