/**
 * Implementation of mds-transform, not a public API; the entry point is {@link dev.mds.transform.TransformProject}.
 * {@code Template} parses a model, {@code ProjectModels} resolves refs and orders the DAG, {@code Plan} renders a
 * model's statements, {@code Runner} runs them and {@code Selector} reads dbt selectors for {@code Select}.
 */
package dev.mds.transform.internal;
