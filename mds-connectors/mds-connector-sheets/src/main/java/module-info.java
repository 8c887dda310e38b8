/**
 * mds-connector-sheets: Google Sheets through the Sheets API v4 as record batches of text columns; start with
 * {@code dev.mds.connector.sheets.SheetsSource}. {@code dev.mds.connector.sheets.internal} is not exported.
 */
module dev.mds.connector.sheets {
    requires transitive dev.mds.core;
    requires com.fasterxml.jackson.databind;
    requires transitive java.net.http;
    requires org.slf4j;

    exports dev.mds.connector.sheets;
}
