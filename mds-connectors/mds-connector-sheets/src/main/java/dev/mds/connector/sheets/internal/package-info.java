/**
 * Implementation of {@link dev.mds.connector.sheets.SheetsSource}: {@link dev.mds.connector.sheets.internal.Api}
 * sends the requests (auth, retries, errors), {@link dev.mds.connector.sheets.internal.TokenSource} keeps the access
 * token of a {@link dev.mds.connector.sheets.internal.TokenGrant} (a service account's signed JWT,
 * {@link dev.mds.connector.sheets.internal.ServiceAccountKey}, or an OAuth user's refresh token,
 * {@link dev.mds.connector.sheets.internal.OAuthUser}), {@link dev.mds.connector.sheets.internal.SheetReading} turns row ranges
 * into batches under a {@link dev.mds.connector.sheets.internal.Header}. Not an API.
 */
package dev.mds.connector.sheets.internal;
