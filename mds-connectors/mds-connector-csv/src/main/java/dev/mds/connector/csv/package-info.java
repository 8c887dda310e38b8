/**
 * Chunked, quote-aware, parallel CSV reading with located errors; start with
 * {@link dev.mds.connector.csv.CsvSource#builder()}. Bad rows follow {@link dev.mds.connector.csv.OnBadRow};
 * column names come from a {@link dev.mds.connector.csv.Header}.
 */
package dev.mds.connector.csv;
