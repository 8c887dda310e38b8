package dev.mds.quality.internal;

import dev.mds.core.TableName;
import dev.mds.quality.Bounds;
import dev.mds.quality.Severity;
import dev.mds.quality.Threshold;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * One declared check, before it runs. Only the fields of its kind are set.
 *
 * @param kind what kind of check
 * @param id unique within the table
 * @param columns the columns it reads
 * @param severity what a failure means
 * @param warnIf failing rows tolerated before the check warns (dbt's warn_if)
 * @param errorIf failing rows tolerated before the check fails, under severity ERROR (dbt's error_if)
 * @param values accepted values
 * @param min range (or statistic) minimum, or null
 * @param max range (or statistic) maximum, or null
 * @param text regex or SQL expression; for a statistic, the {@code Statistic}'s name
 * @param refTable relationships: the parent table
 * @param refColumn relationships: the parent column
 * @param bounds row count bounds
 * @param maxAge freshness
 * @param k anomaly: standard deviations
 * @param lastRuns anomaly: runs to compare with
 */
public record CheckSpec(Kind kind, String id, List<String> columns, Severity severity, Threshold warnIf, Threshold errorIf,
        List<Object> values, Object min, Object max, String text, TableName refTable, String refColumn, Bounds bounds,
        Duration maxAge, double k, int lastRuns) {

    /** The kinds of check. */
    public enum Kind {
        NOT_NULL(true), UNIQUE(false), ACCEPTED_VALUES(true), RELATIONSHIPS(false), RANGE(true), MATCHES(true),
        ROW_COUNT(true), FRESHNESS(true), EXPRESSION(true), ROW_COUNT_ANOMALY(true), STATISTIC(true);

        private final boolean inScan;

        Kind(boolean inScan) {
            this.inScan = inScan;
        }

        /** Computed by the table's single scan. */
        public boolean inScan() {
            return inScan;
        }

        /** Reports failing rows (and so has a threshold and samples). */
        public boolean rowLevel() {
            return this != ROW_COUNT && this != FRESHNESS && this != ROW_COUNT_ANOMALY && this != STATISTIC;
        }

        /** The lower-case name used in ids and reports. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public CheckSpec {
        columns = List.copyOf(columns);
        values = values == null ? List.of() : Collections.unmodifiableList(new ArrayList<>(values));
    }

    /**
     * Whether a threshold of this check is a percentage of the non-NULL rows, so its query must count them: only
     * for a check on columns whose failing rows are not the NULLs themselves (not for not null or expression).
     */
    public boolean countsNonNull() {
        return kind.rowLevel() && kind != Kind.NOT_NULL && kind != Kind.EXPRESSION
                && (warnIf.percentOf() == Threshold.PercentOf.NON_NULL_ROWS
                        || errorIf.percentOf() == Threshold.PercentOf.NON_NULL_ROWS);
    }

    /** A check with only the common fields set. */
    public static CheckSpec of(Kind kind, String id, List<String> columns) {
        return new CheckSpec(kind, id, columns, Severity.ERROR, Threshold.NONE, Threshold.NONE, null, null, null, null, null, null, null,
                null, 0, 0);
    }

    public CheckSpec withId(String newId) {
        return new CheckSpec(kind, newId, columns, severity, warnIf, errorIf, values, min, max, text, refTable, refColumn,
                bounds, maxAge, k, lastRuns);
    }

    public CheckSpec withSeverity(Severity s) {
        return new CheckSpec(kind, id, columns, s, warnIf, errorIf, values, min, max, text, refTable, refColumn, bounds,
                maxAge, k, lastRuns);
    }

    /** Both thresholds: the check's one tolerance, as {@code TableChecks.threshold} sets it. */
    public CheckSpec withThreshold(Threshold t) {
        return withWarnIf(t).withErrorIf(t);
    }

    public CheckSpec withWarnIf(Threshold t) {
        return new CheckSpec(kind, id, columns, severity, t, errorIf, values, min, max, text, refTable, refColumn, bounds,
                maxAge, k, lastRuns);
    }

    public CheckSpec withErrorIf(Threshold t) {
        return new CheckSpec(kind, id, columns, severity, warnIf, t, values, min, max, text, refTable, refColumn, bounds,
                maxAge, k, lastRuns);
    }

    public CheckSpec withValues(List<Object> v) {
        return new CheckSpec(kind, id, columns, severity, warnIf, errorIf, v, min, max, text, refTable, refColumn, bounds,
                maxAge, k, lastRuns);
    }

    public CheckSpec withRange(Object lo, Object hi) {
        return new CheckSpec(kind, id, columns, severity, warnIf, errorIf, values, lo, hi, text, refTable, refColumn, bounds,
                maxAge, k, lastRuns);
    }

    public CheckSpec withText(String t) {
        return new CheckSpec(kind, id, columns, severity, warnIf, errorIf, values, min, max, t, refTable, refColumn, bounds,
                maxAge, k, lastRuns);
    }

    public CheckSpec withRef(TableName table, String column) {
        return new CheckSpec(kind, id, columns, severity, warnIf, errorIf, values, min, max, text, table, column, bounds,
                maxAge, k, lastRuns);
    }

    public CheckSpec withBounds(Bounds b) {
        return new CheckSpec(kind, id, columns, severity, warnIf, errorIf, values, min, max, text, refTable, refColumn, b,
                maxAge, k, lastRuns);
    }

    public CheckSpec withMaxAge(Duration age) {
        return new CheckSpec(kind, id, columns, severity, warnIf, errorIf, values, min, max, text, refTable, refColumn, bounds,
                age, k, lastRuns);
    }

    public CheckSpec withAnomaly(double deviations, int runs) {
        return new CheckSpec(kind, id, columns, severity, warnIf, errorIf, values, min, max, text, refTable, refColumn, bounds,
                maxAge, deviations, runs);
    }
}
