/**
 * Implementation of mds-transform, not a public API; the entry point is {@link dev.mds.transform.TransformProject}.
 * {@code Template} parses a model, {@code ProjectModels} resolves refs and orders the DAG, {@code Plan} renders a
 * model's statements and {@code Runner} runs them.
 */
package dev.mds.transform.internal;
