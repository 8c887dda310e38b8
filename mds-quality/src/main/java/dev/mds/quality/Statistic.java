package dev.mds.quality;

import java.util.Locale;

/**
 * A column statistic that {@link TableChecks#statistic} bounds, as Great Expectations'
 * {@code expect_column_min/max/mean/median/sum/stdev_to_be_between}: computed over the non-NULL values by the table's
 * single scan, as PostgreSQL's aggregate of that name computes it.
 */
public enum Statistic {
    /** {@code min(column)}. */
    MIN("min"),
    /** {@code max(column)}. */
    MAX("max"),
    /** {@code avg(column)}. */
    MEAN("avg"),
    /**
     * The median: the middle value, or the mean of the two middle values of an even count (as Great Expectations'
     * {@code expect_column_median_to_be_between}), exact for numeric columns: {@code (percentile_disc(0.5) within group
     * (order by column) + percentile_disc(0.5) within group (order by column desc)) / 2.0}. Sorts the column's values
     * (twice), unlike the others.
     */
    MEDIAN("percentile_disc"),
    /** {@code sum(column)}. */
    SUM("sum"),
    /** {@code stddev_samp(column)}, the sample standard deviation (NULL, so failing, for fewer than two values). */
    STDDEV("stddev_samp");

    private final String aggregate;

    Statistic(String aggregate) {
        this.aggregate = aggregate;
    }

    /**
     * The PostgreSQL aggregate that computes it, called as {@code aggregate(column)}; for {@link #MEDIAN} the
     * ordered-set aggregate its expression uses ({@code percentile_disc}), which takes another form.
     */
    public String aggregate() {
        return aggregate;
    }

    /** The lower-case name used in check ids ({@code mean_amount}). */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
