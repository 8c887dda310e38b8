package dev.mds.quality;

/**
 * How many failing rows a row-level check tolerates before it fails: none (the default), up to a number of rows,
 * or up to a percentage of the rows checked.
 *
 * <pre>{@code
 * t -> t.notNull("customer_id").threshold(Threshold.rows(10))       // fails at 11 rows with NULL
 *       .matches("email", "^[^@]+@[^@]+$").threshold(Threshold.percent(0.5))
 * }</pre>
 *
 * Checks that are not about rows (row count, freshness, row-count anomaly) ignore the threshold.
 *
 * @param maxRows the failing rows tolerated, or -1 when the threshold is a percentage
 * @param maxPercent the failing percentage tolerated (0 to 100), or -1 when the threshold is a row count
 */
public record Threshold(long maxRows, double maxPercent) {
    /** No failing row is tolerated. */
    public static final Threshold NONE = new Threshold(0, -1);

    public Threshold {
        if ((maxRows < 0) == (maxPercent < 0)) {
            throw new IllegalArgumentException("a threshold is either a row count or a percentage, not both or neither");
        }
        if (maxPercent > 100 || Double.isNaN(maxPercent)) {
            throw new IllegalArgumentException("threshold percent must be between 0 and 100, was " + maxPercent);
        }
    }

    /** Fails when more than {@code maxRows} rows fail. */
    public static Threshold rows(long maxRows) {
        if (maxRows < 0) {
            throw new IllegalArgumentException("threshold rows must be >= 0, was " + maxRows);
        }
        return new Threshold(maxRows, -1);
    }

    /** Fails when more than {@code maxPercent} percent (0 to 100) of the rows checked fail. */
    public static Threshold percent(double maxPercent) {
        if (!(maxPercent >= 0 && maxPercent <= 100)) {
            throw new IllegalArgumentException("threshold percent must be between 0 and 100, was " + maxPercent);
        }
        return new Threshold(-1, maxPercent);
    }

    /** Whether {@code failing} out of {@code checked} rows is more than this threshold tolerates. */
    public boolean exceededBy(long failing, long checked) {
        if (maxRows >= 0) {
            return failing > maxRows;
        }
        double pct = checked == 0 ? 0 : failing * 100.0 / checked;
        return pct > maxPercent;
    }

    @Override
    public String toString() {
        return maxRows >= 0 ? "> " + maxRows + " rows" : "> " + maxPercent + "%";
    }
}
