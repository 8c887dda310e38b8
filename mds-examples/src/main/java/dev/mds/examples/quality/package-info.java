/**
 * Data-quality example: {@link dev.mds.examples.quality.ForexQualityExample} checks the forex pipeline's
 * transactions with mds-quality and prints the report.
 */
package dev.mds.examples.quality;
