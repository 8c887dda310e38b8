package dev.mds.load;

/**
 * What a {@link MergeLoader} does when a batch's columns differ from its target table's: columns the table lacks,
 * or columns narrower than the batch's types, into which the values would be rounded ({@code numeric(6,2)} for a
 * {@code decimal(10,4)} field, {@code timestamp(0)} or {@code time(0)} for microseconds, {@code real} for a double)
 * or refused ({@code integer} or {@code smallint} for a {@code long} field). Values are never rounded silently: a
 * policy that does not widen refuses such a batch before anything is written.
 * {@code varchar(n)} and {@code char(n)} columns for string fields are widened only by
 * {@link #ADD_AND_WIDEN_COLUMNS}; under the other policies a longer value is refused by the COPY, naming its record.
 */
public enum SchemaChange {
    /**
     * Throws {@link dev.mds.core.SchemaMismatchException} naming new columns or narrower columns (with both types
     * and the policy that would allow it); nothing is loaded.
     */
    FAIL,
    /** Adds the new columns (nullable) to the target, then loads; narrower columns are refused as with {@link #FAIL}. */
    ADD_COLUMNS,
    /**
     * As {@link #ADD_COLUMNS}, and widens narrower columns to hold the batch's type, in the load's transaction and
     * under its lock (as Airbyte and Fivetran do): {@code numeric(6,2)} to {@code numeric(10,4)} for a
     * {@code decimal(10,4)} field (the larger integer part and scale of the two), to {@code numeric} for an
     * unconstrained decimal; {@code smallint}/{@code integer} to {@code integer}/{@code bigint}; {@code real} to
     * {@code double precision}; {@code timestamp(p)}, {@code timestamptz(p)}, {@code time(p)} to microseconds;
     * {@code varchar(n)} and {@code char(n)} to {@code text}. Columns are never narrowed. The ALTER may rewrite the
     * table (holding its ACCESS EXCLUSIVE lock until the commit), and fails when a view depends on the column.
     */
    ADD_AND_WIDEN_COLUMNS
}
