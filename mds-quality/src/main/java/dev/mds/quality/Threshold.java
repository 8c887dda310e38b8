package dev.mds.quality;

import java.math.BigDecimal;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How many failing rows a row-level check tolerates: none (the default), up to a number of rows, or up to a
 * percentage of the rows checked or, as Great Expectations' {@code mostly}, of the rows whose value is not NULL.
 *
 * <pre>{@code
 * t -> t.notNull("customer_id").threshold(Threshold.rows(10))       // fails at 11 rows with NULL
 *       .matches("email", "^[^@]+@[^@]+$").threshold(Threshold.percent(0.5))
 *       .acceptedValues("currency", "EUR", "USD").threshold(Threshold.mostly(0.95)) // 95% of non-NULL values
 * }</pre>
 *
 * <p>The denominator of a percentage ({@link PercentOf}): {@link #percent} counts every row the check looked at
 * (after {@link TableChecks#where}), NULLs included, so a column that is mostly NULL hardly ever exceeds it;
 * {@link #percentOfNonNull} and {@link #mostly} count only the rows whose checked column is not NULL, the rows the
 * check can fail (Great Expectations' column expectations do this). For unique, those are the rows whose key it
 * compares (by default those with no NULL in the key, see {@link TableChecks#nullKeys}); for not null, whose failing rows are the NULLs, and for expression, which has no column, the
 * denominator is all rows checked either way (as Great Expectations' {@code expect_column_values_to_not_be_null}).
 * Checks that are not about rows (row count, freshness, row-count anomaly) take no threshold: {@link TableChecks}
 * refuses one given to them (a default set before the first check passes them by).
 *
 * @param maxRows the failing rows tolerated, or -1 when the threshold is a percentage
 * @param maxPercent the failing percentage tolerated (0 to 100), or -1 when the threshold is a row count
 * @param percentOf what {@code maxPercent} is a percentage of ({@link PercentOf#CHECKED_ROWS} for a row count)
 */
public record Threshold(long maxRows, double maxPercent, PercentOf percentOf) {
    /** No failing row is tolerated (dbt's default {@code warn_if} and {@code error_if}, {@code != 0}). */
    public static final Threshold NONE = new Threshold(0, -1);

    /** The rows a percentage threshold is a percentage of. */
    public enum PercentOf {
        /** Every row the check looked at (after the table's {@code where}), NULLs included: the default. */
        CHECKED_ROWS,
        /** Only the rows whose checked column (for unique: every key column) is not NULL: Great Expectations' {@code mostly}. */
        NON_NULL_ROWS
    }

    public Threshold {
        Objects.requireNonNull(percentOf, "percentOf");
        if ((maxRows < 0) == (maxPercent < 0)) {
            throw new IllegalArgumentException("a threshold is either a row count or a percentage, not both or neither");
        }
        if (maxPercent > 100 || Double.isNaN(maxPercent)) {
            throw new IllegalArgumentException("threshold percent must be between 0 and 100, was " + maxPercent);
        }
        if (maxPercent == 0) {
            maxPercent = 0.0; // not -0.0: percent(-0.0) is percent(0), equal to it and printed "> 0.0%"
        }
        if (maxRows >= 0 && percentOf != PercentOf.CHECKED_ROWS) {
            throw new IllegalArgumentException("a row-count threshold (" + maxRows + (maxRows == 1 ? " row" : " rows") + ") is a percentage of nothing;"
                    + " percentOf must be CHECKED_ROWS");
        }
    }

    /** A threshold of {@code maxRows} rows or {@code maxPercent} percent of the rows checked ({@link PercentOf#CHECKED_ROWS}). */
    public Threshold(long maxRows, double maxPercent) {
        this(maxRows, maxPercent, PercentOf.CHECKED_ROWS);
    }

    /** Fails when more than {@code maxRows} rows fail. */
    public static Threshold rows(long maxRows) {
        if (maxRows < 0) {
            throw new IllegalArgumentException("threshold rows must be >= 0, was " + maxRows);
        }
        return new Threshold(maxRows, -1);
    }

    /**
     * Fails when more than {@code maxPercent} percent (0 to 100) of the rows checked fail; NULLs count in the
     * denominator (see {@link #percentOfNonNull} for Great Expectations' way).
     */
    public static Threshold percent(double maxPercent) {
        return new Threshold(-1, checkedPercent(maxPercent), PercentOf.CHECKED_ROWS);
    }

    /**
     * Fails when more than {@code maxPercent} percent (0 to 100) of the rows whose checked column is not NULL fail;
     * rows with a NULL are left out of the denominator, as Great Expectations computes {@code mostly}.
     */
    public static Threshold percentOfNonNull(double maxPercent) {
        return new Threshold(-1, checkedPercent(maxPercent), PercentOf.NON_NULL_ROWS);
    }

    /**
     * Great Expectations' {@code mostly}: passes while at least {@code fraction} (0 to 1) of the non-NULL values meet
     * the check; {@code mostly(0.95)} is {@code percentOfNonNull(5)}.
     */
    public static Threshold mostly(double fraction) {
        if (!(fraction >= 0 && fraction <= 1)) {
            throw new IllegalArgumentException("mostly must be between 0 and 1, was " + fraction);
        }
        // 1 - 0.95 in decimal, not in binary (which gives 0.050000000000000044)
        double pct = BigDecimal.ONE.subtract(new BigDecimal(Double.toString(fraction))).movePointRight(2).doubleValue();
        return percentOfNonNull(pct);
    }

    /**
     * dbt's {@code warn_if} / {@code error_if} condition on the number of failing rows, as written in a dbt test's
     * config: {@code ">10"} is {@code rows(10)}, {@code ">=5"} is {@code rows(4)}, {@code "!=0"} and {@code "<>0"}
     * (dbt's default) are {@link #NONE}; blanks around the operator and the number are allowed ({@code "> 10"}).
     * dbt compares the count with any SQL; a threshold says how many failing rows are too many, so only these forms
     * are taken.
     *
     * <p>The count is of rows, for every check (as Great Expectations counts): dbt's {@code unique} and
     * {@code accepted_values} tests (and dbt-utils' {@code unique_combination_of_columns}) return one row per
     * duplicated or unexpected value, so there dbt's condition counts distinct values. A key repeated in 3 rows is 3
     * failing rows here and 1 failure in dbt; a condition ported from such a test judges more units here, and fails
     * sooner, unless the check {@link TableChecks#countValues counts values} as dbt does. ({@code not_null},
     * {@code relationships} and {@code expression_is_true} count rows in both.)
     *
     * @throws IllegalArgumentException naming the condition and what is wrong with it: another operator ({@code "<5"},
     *     {@code "=0"}, {@code "!=3"}), a condition every count meets ({@code ">=0"}), a number that is not a whole
     *     count of rows ({@code ">1.5"}, {@code ">-1"}, {@code ">5%"}: use {@link #percent} for a share) or too large
     */
    public static Threshold parse(String condition) {
        Objects.requireNonNull(condition, "condition");
        Matcher m = CONDITION.matcher(condition);
        m.matches(); // always: the operator is optional, the rest is any text
        String op = m.group(1);
        String number = m.group(2);
        String forms = "write \">n\", \">=n\" or \"!=0\" (n a whole number of failing rows), as in dbt's warn_if / error_if";
        String bad = "condition \"" + condition + "\": ";
        if (op == null) {
            throw new IllegalArgumentException(bad + "no comparison with the number of failing rows; " + forms);
        }
        if (!op.startsWith(">") && !op.equals("!=") && !op.equals("<>")) {
            throw new IllegalArgumentException(bad + "'" + op + "' would warn or fail when there are few failing rows, not"
                    + " when there are too many; " + forms);
        }
        if (!number.matches("[0-9]+")) {
            String why = number.isEmpty() ? "no number after '" + op + "'"
                    : number.endsWith("%") ? "'" + number + "' is a percentage, not a number of failing rows (use"
                            + " Threshold.percent(...) or mostly(...))"
                    : "'" + number + "' is not a whole number of failing rows";
            throw new IllegalArgumentException(bad + why + "; " + forms);
        }
        long n;
        try {
            n = Long.parseLong(number);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(bad + number + " rows is more than a count of rows can be (at most "
                    + Long.MAX_VALUE + ")", e);
        }
        if (op.equals(">")) {
            return rows(n);
        }
        if (op.equals(">=")) {
            if (n == 0) {
                throw new IllegalArgumentException(bad + "every run meets it, even one with no failing row; " + forms);
            }
            return rows(n - 1);
        }
        if (n != 0) { // != and <>
            throw new IllegalArgumentException(bad + "it is met by fewer failing rows than " + n + " as well as by more; "
                    + forms);
        }
        return NONE;
    }

    /** An optional comparison operator, then the rest (a number when the condition is well formed). */
    private static final Pattern CONDITION = Pattern.compile("\\s*(>=|<=|<>|!=|==|=|>|<)?\\s*(.*?)\\s*", Pattern.DOTALL);

    private static double checkedPercent(double maxPercent) {
        if (!(maxPercent >= 0 && maxPercent <= 100)) {
            throw new IllegalArgumentException("threshold percent must be between 0 and 100, was " + maxPercent);
        }
        return maxPercent;
    }

    /**
     * Whether {@code failing} out of {@code checked} rows is more than this threshold tolerates. Exact at the
     * boundary, at any row count: {@code percent(5)} tolerates 5 of 100 rows, {@code mostly(0.95)} 5 of 100 non-NULL
     * values (95% meet the check), as Great Expectations' {@code success_ratio >= mostly}.
     */
    public boolean exceededBy(long failing, long checked) {
        return exceededBy(failing, checked, checked);
    }

    /**
     * Whether {@code failing} rows are more than this threshold tolerates, out of {@code checked} rows of which
     * {@code nonNull} have a non-NULL value in the checked column(s).
     */
    public boolean exceededBy(long failing, long checked, long nonNull) {
        if (maxRows >= 0) {
            return failing > maxRows;
        }
        long of = percentOf == PercentOf.NON_NULL_ROWS ? nonNull : checked;
        if (of <= 0) {
            return false; // no row the percentage is of: 0%, as the report shows it
        }
        // failing / of * 100 > maxPercent in exact decimals (failing * 100 > maxPercent * of), maxPercent read as the
        // decimal it prints as (percent(0.3) is 0.3, not the double below it): in doubles, failing * 100.0 / of rounds,
        // so from about 2^53 / 100 rows a count just past the threshold came out equal to it and passed
        return BigDecimal.valueOf(failing).movePointRight(2)
                .compareTo(BigDecimal.valueOf(maxPercent).multiply(BigDecimal.valueOf(of))) > 0;
    }

    @Override
    public String toString() {
        // Double.toString writes 0.0001 and below with an exponent (1.0E-4): those as the plain decimal
        String percent = Double.toString(maxPercent).contains("E")
                ? BigDecimal.valueOf(maxPercent).stripTrailingZeros().toPlainString() : Double.toString(maxPercent);
        return maxRows >= 0 ? "> " + maxRows + (maxRows == 1 ? " row" : " rows")
                : "> " + percent + "%" + (percentOf == PercentOf.NON_NULL_ROWS ? " of non-null rows" : "");
    }
}
