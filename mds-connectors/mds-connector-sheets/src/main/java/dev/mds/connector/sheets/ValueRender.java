package dev.mds.connector.sheets;

/**
 * Which text of a cell {@link SheetsSource} reads: the Sheets API's {@code valueRenderOption}. Every column is text
 * whichever is chosen. It applies to the rows; the header row is always read formatted, so the column names are what
 * the sheet shows.
 *
 * <pre>{@code
 * SheetsSource.builder().spreadsheet(id).valueRender(ValueRender.UNFORMATTED).build();
 * // a price shown as "€7.00" reads as "7"
 * }</pre>
 */
public enum ValueRender {
    /** What the sheet shows, formatting applied ({@code "€7.00"}, {@code "1/2/2022"}): Airbyte's choice, the default. */
    FORMATTED,
    /**
     * The value without number formatting ({@code "7"}, {@code "0.125"}, {@code "TRUE"}: plain decimals, never an exponent); dates and times still as
     * formatted text (not serial numbers).
     */
    UNFORMATTED,
    /** The formula as typed ({@code "=B2*C2"}) for formula cells, the unformatted value for the others. */
    FORMULA
}
