/**
 * SQL models over loaded CSV files with mds-transform (views, tables, an incremental model, a snapshot) and
 * mds-quality; start with {@link dev.mds.examples.transform.StreamingExample}.
 */
package dev.mds.examples.transform;
