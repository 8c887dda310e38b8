/**
 * mds-connector-csv: chunked, quote-aware, parallel CSV reading with located errors; start with
 * {@code dev.mds.connector.csv.CsvSource}. {@code dev.mds.connector.csv.internal} is not exported.
 */
module dev.mds.connector.csv {
    requires transitive dev.mds.core;
    requires org.slf4j;

    exports dev.mds.connector.csv;
}
