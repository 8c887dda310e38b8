package dev.mds.transform;

import java.util.Locale;

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
    INCREMENTAL,
    /**
     * dbt's snapshot: a table keeping every version of each {@code unique_key} (a type 2 slowly changing
     * dimension), with {@code dbt_valid_from}, {@code dbt_valid_to} (NULL while current, or
     * {@code dbt_valid_to_current}'s value), {@code dbt_updated_at} and
     * {@code dbt_scd_id}. Each run compares the query's rows with the current versions ({@code strategy='timestamp'}
     * with {@code updated_at}, or {@code strategy='check'} with {@code check_cols}), ends the changed ones and
     * inserts their new versions; {@code hard_deletes} decides what a key the query no longer returns does. Never
     * rebuilt, not even by {@code fullRefresh(true)}: its history exists nowhere else.
     */
    SNAPSHOT,
    /**
     * Never built: every {@code ref()} to it is replaced by a CTE named {@code __dbt__cte__<name>} holding its SQL,
     * added to the WITH clause of the model that refers to it (as dbt does; an ephemeral model referring to another
     * brings that one's CTE along, each CTE once per query, in dependency order).
     */
    EPHEMERAL,
    /**
     * Not a model's: a seed, a CSV file ({@code seedsFrom(Path.of("seeds"))}) loaded into a table with COPY, replaced
     * on every run (dbt's {@code dbt seed}).
     */
    SEED;

    /**
     * The name used in {@code config(materialized=...)}: {@code view}, {@code table}, {@code incremental},
     * {@code snapshot}, {@code ephemeral} ({@code seed} for a seed, which no model may use).
     */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
