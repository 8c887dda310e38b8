/**
 * Implementation of {@link dev.mds.connector.sheets.SheetsSource}: {@link dev.mds.connector.sheets.internal.Api}
 * sends the requests (auth, retries, errors), {@link dev.mds.connector.sheets.internal.TokenSource} signs the
 * service account's JWT and keeps its token, {@link dev.mds.connector.sheets.internal.SheetReading} turns row ranges
 * into batches under a {@link dev.mds.connector.sheets.internal.Header}. Not an API.
 */
package dev.mds.connector.sheets.internal;
