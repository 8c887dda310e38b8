/**
 * Implementation of mds-quality: {@link dev.mds.quality.internal.Runner} runs a suite's checks, {@link
 * dev.mds.quality.internal.Render} renders them as SQL and {@link dev.mds.quality.internal.ReportRenderer} renders
 * reports. Not a public API.
 */
package dev.mds.quality.internal;
