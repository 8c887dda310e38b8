package dev.mds.transform;

/**
 * How a model is built, set in its SQL with {@code {{ config(materialized='table') }}}; the default is
 * {@link #VIEW}.
 *
 * <pre>{@code
 * {{ config(materialized='incremental', unique_key='transaction_id') }}
 * select * from {{ ref('bronze.transactions') }}
 * }</pre>
 */
public enum Materialization {
    /** A view, swapped in atomically: created under a temporary name, then renamed in place of the old one. */
    VIEW,
    /** A table built with {@code CREATE TABLE AS} under a temporary name, then renamed in place of the old one. */
    TABLE,
    /**
     * A table built once, then extended: the new rows are staged, then written by {@code incremental_strategy}:
     * with a {@code unique_key}, {@code delete+insert} (the default: the target rows with their keys are deleted
     * before the insert) or {@code merge} (matched rows updated in place, the others inserted); without one, they
     * are appended. {@code on_schema_change} ({@code fail}, {@code ignore}, {@code append_new_columns},
     * {@code sync_all_columns}) decides
     * what a change of columns does.
     */
    INCREMENTAL;

    /** The name used in {@code config(materialized=...)}: {@code view}, {@code table}, {@code incremental}. */
    public String configName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
