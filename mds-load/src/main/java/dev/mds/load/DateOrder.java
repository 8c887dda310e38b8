package dev.mds.load;

/**
 * How a {@link MergeLoader} reads text (a CSV source's strings) going into a {@code date}, {@code timestamp} or
 * {@code timestamptz} column whose day and month are both numbers. The load sets PostgreSQL's {@code DateStyle} for
 * its own statements, so the result does not depend on the session's DateStyle (PostgreSQL's default {@code ISO, MDY}
 * reads {@code 11-07-2023} as 7 November, {@code ISO, DMY} as 11 July). Year-first forms ({@code 2023-07-11},
 * {@code 2023/07/11}, {@code 20230711}, with a time {@code 2023-07-11 10:00} or {@code 2023-07-11T10:00}) and forms
 * with a month name ({@code July 11, 2023}, {@code 11 Jul 2023}) are read the same under every order. A value the order
 * refuses is a bad row ({@link OnBadRow}) naming its record, key, column and value.
 */
public enum DateOrder {
    /**
     * Year, month, day ({@code DateStyle 'ISO, YMD'}; the default): a date whose first number is a day or a month,
     * {@code 11-07-2023} or {@code 07/11/2023}, is refused, whatever its values. A first field of one or two digits
     * is a year ({@code 11-07-23} is 2011-07-23), as PostgreSQL reads it.
     */
    YEAR_FIRST("ISO, YMD"),
    /** Day, month, year ({@code DateStyle 'ISO, DMY'}): {@code 11-07-2023} and {@code 11/07/2023} are 11 July 2023. */
    DAY_FIRST("ISO, DMY"),
    /** Month, day, year ({@code DateStyle 'ISO, MDY'}, PostgreSQL's default): {@code 07/11/2023} is 11 July 2023. */
    MONTH_FIRST("ISO, MDY");

    private final String dateStyle;

    DateOrder(String dateStyle) {
        this.dateStyle = dateStyle;
    }

    /** The {@code DateStyle} the load's statements run with. */
    public String dateStyle() {
        return dateStyle;
    }
}
