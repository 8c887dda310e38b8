/**
 * Google Sheets as a source: reads a sheet through the Sheets API v4 values API into record batches.
 */
package dev.mds.connector.sheets;
