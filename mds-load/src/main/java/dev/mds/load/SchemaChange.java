package dev.mds.load;

/**
 * What a {@link MergeLoader} does when a batch's columns differ from its target table's: columns the table lacks,
 * or columns narrower than the batch's types. Values are never rounded silently: a column that would round them
 * ({@code numeric(6,2)} for a {@code decimal(10,4)} field; {@code real}, {@code timestamp(0)}, {@code time(0)} or
 * {@code numeric(p,s)} for values finer than they keep) is refused before anything is written, unless the policy
 * widens it. Values a narrower column refuses ({@code integer} for a {@code long} beyond its range, {@code varchar(n)}
 * for a longer string) are refused by the COPY, naming their record, unless the policy widens the column.
 */
public enum SchemaChange {
    /**
     * Throws {@link dev.mds.core.SchemaMismatchException} naming new columns or columns that would round the batch's
     * values (with both types and the policy that would allow it); nothing is loaded.
     */
    FAIL,
    /** Adds the new columns (nullable) to the target, then loads; narrower columns are refused as with {@link #FAIL}. */
    ADD_COLUMNS,
    /**
     * As {@link #ADD_COLUMNS}, and widens columns too narrow for the batch, in the load's transaction and under its
     * lock (as Airbyte and Fivetran do): {@code numeric(6,2)} to {@code numeric(10,4)} for a {@code decimal(10,4)}
     * field (the larger integer part and scale of the two), to {@code numeric} for an unconstrained decimal or a double
     * it would round, or for a number of more integer digits than it holds (12345.6 for {@code numeric(6,2)});
     * {@code smallint}/{@code integer} to {@code integer}/{@code bigint} (to {@code bigint} for a whole decimal or double
     * beyond its range); {@code real} to {@code double precision};
     * {@code timestamp(p)}, {@code timestamptz(p)}, {@code time(p)} to microseconds; {@code varchar(n)} and
     * {@code char(n)} to {@code text}. Columns judged by value (all but a declared decimal) are widened only when a
     * value of the batch needs it; columns are never narrowed. The ALTER may rewrite the table (holding its ACCESS
     * EXCLUSIVE lock until the commit), and fails when a view depends on the column.
     */
    ADD_AND_WIDEN_COLUMNS
}
