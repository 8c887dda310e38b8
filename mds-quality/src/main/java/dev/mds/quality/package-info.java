/**
 * Data-quality checks pushed down to PostgreSQL; the entry point is {@link dev.mds.quality.QualitySuite}.
 *
 * <pre>{@code
 * QualityReport report = QualitySuite.on(dataSource)
 *     .table("silver.transactions", t -> t.notNull("transaction_id").unique("transaction_id")
 *         .acceptedValues("currency", "EUR", "USD").rowCount(Bounds.atLeast(1)))
 *     .run();
 * System.out.println(report.toConsoleTable());
 * }</pre>
 *
 * <p>All row-level checks of a table (not null, accepted and not accepted values, length, range, matches,
 * expression) and its aggregate checks (row count, freshness, statistic, not constant, at least one) compile into one
 * {@code SELECT} of aggregates; unique, relationships, sequential values, mutually exclusive ranges, row count
 * comparisons, equality and cardinality equality add one query each, the checks grouped by the same columns one grouped
 * query, and the unique value count and proportion of unique values checks of a column one grouping of it; schema expectations (columns, column types) read the catalog only;
 * failing rows are sampled only for checks that did not pass. Results are a {@link dev.mds.quality.QualityReport}
 * of {@link dev.mds.quality.CheckResult}s.
 *
 * <p>For dbt and Great Expectations users: {@code warn_if} / {@code error_if} are
 * {@link dev.mds.quality.TableChecks#warnIf} / {@link dev.mds.quality.TableChecks#errorIf}, with a
 * {@link dev.mds.quality.Threshold} or dbt's condition ({@code warnIf(">10")}); {@code mostly} is
 * {@link dev.mds.quality.Threshold#mostly} (a percentage of the non-NULL rows); {@code store_failures} is
 * {@link dev.mds.quality.QualitySuite#storeFailures}; a project's own {@code models/*.yml} tests run with
 * {@link dev.mds.quality.QualitySuite#dbtTests} (tables named by {@link dev.mds.quality.DbtRelations}).
 */
package dev.mds.quality;
