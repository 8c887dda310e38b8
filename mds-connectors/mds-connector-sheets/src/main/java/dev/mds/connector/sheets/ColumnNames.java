package dev.mds.connector.sheets;

/**
 * How {@link SheetsSource} names columns from a sheet's header row.
 *
 * <pre>{@code
 * SheetsSource.builder().spreadsheet(url).columnNames(ColumnNames.SQL_SAFE).build();
 * // header "Monthly Seat Price" -> column monthly_seat_price
 * }</pre>
 */
public enum ColumnNames {
    /**
     * The header cell's text with leading and trailing white space (no-break spaces included) removed (the default).
     */
    TRIMMED,
    /**
     * Airbyte's {@code names_conversion}: lower-case snake_case of letters and digits, accents dropped, an underscore
     * before a leading digit ({@code "Monthly Seat Price"} → {@code monthly_seat_price}, {@code "1st Name"} →
     * {@code _1_st_name}, {@code "Price (EUR)"} → {@code price_eur_}). The header cell is converted as the sheet shows
     * it, untrimmed, as Airbyte converts it: white space around a name is a separator like any other
     * ({@code " Price"} → {@code _price}, {@code "Price "} → {@code price_}). Names that collide after conversion are
     * bad input.
     */
    SQL_SAFE
}
