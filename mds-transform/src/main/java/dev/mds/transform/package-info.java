/**
 * SQL models run in dependency order against PostgreSQL; the entry point is
 * {@link dev.mds.transform.TransformProject}.
 *
 * <pre>{@code
 * RunResults results = TransformProject.builder(dataSource)
 *     .modelsFrom(Path.of("models"))
 *     .build()
 *     .run();
 * results.assertSucceeded();
 * }</pre>
 *
 * <p>Models are SELECTs with a small, strict subset of dbt's Jinja ({@code ref()}, {@code this},
 * {@code config()}, {@code is_incremental()}), materialized as views, tables, incremental tables, snapshots or
 * ephemeral CTEs ({@link dev.mds.transform.Materialization}); CSV seeds are loaded with COPY before
 * the models that ref() them; each run reports a {@link dev.mds.transform.ModelResult} per model
 * in {@link dev.mds.transform.RunResults}. {@link dev.mds.transform.Select} runs part of a project, chosen with dbt's
 * node selection syntax ({@code +silver.transactions+ tag:nightly}, {@code --exclude}).
 */
package dev.mds.transform;
