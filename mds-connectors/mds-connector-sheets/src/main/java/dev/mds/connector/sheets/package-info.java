/**
 * Google Sheets as a source; the entry point is {@link dev.mds.connector.sheets.SheetsSource#builder()}, with
 * {@link dev.mds.connector.sheets.SheetsCredentials} to authenticate (service account or API key). Every sheet (tab)
 * is a stream of record batches of text columns named by its header row; bad cells are located in A1 notation.
 */
package dev.mds.connector.sheets;
