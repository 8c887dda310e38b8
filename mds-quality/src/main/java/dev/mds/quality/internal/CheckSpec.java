package dev.mds.quality.internal;

import dev.mds.core.TableName;
import dev.mds.quality.Bounds;
import dev.mds.quality.Gaps;
import dev.mds.quality.NullKeys;
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
 * @param values accepted (or not accepted) values; for columns, the expected column names
 * @param min range (or statistic, unique value count, proportion of unique values) minimum, or null
 * @param max range (or statistic, unique value count, proportion of unique values) maximum, or null
 * @param text regex or SQL expression; for a relationships check, the condition on its parent rows (or null); for a range check {@link #EXCLUSIVE} (or null); for a unique check, its {@code NullKeys}' name (or null); for a statistic, the {@code Statistic}'s name; for columns, the {@code
 *     ColumnMatch}'s name; for a column type, the expected type
 * (a sequential values check keeps its step in {@code min}; a mutually exclusive ranges check its lower bound, upper
 * bound and partition columns in {@code columns}; a row count comparison its other table in {@code refTable})
 * @param refTable relationships: the parent table; cardinality equality: the other table
 * @param refColumn relationships: the parent column; cardinality equality: the other table's column
 * @param bounds row count bounds
 * @param maxAge freshness
 * @param k anomaly: standard deviations
 * @param lastRuns anomaly: runs to compare with
 * @param countValues whether a unique, accepted values or not accepted values check counts values, as dbt's tests
 *     count them, instead of rows ({@code TableChecks.countValues})
 * @param groupBy the grouping columns (dbt-utils' {@code group_by_columns}) of a check that takes them; empty for none
 * (a mutually exclusive ranges check keeps its options in {@code values}: its {@link Gaps} and whether zero-length ranges
 * are allowed, read typed through {@link #gaps()} and {@link #zeroLengthRangeAllowed()}; an equality check its compared
 * columns in {@code columns}, empty for all of this table's)
 */
public record CheckSpec(Kind kind, String id, List<String> columns, Severity severity, Threshold warnIf, Threshold errorIf,
        List<Object> values, Object min, Object max, String text, TableName refTable, String refColumn, Bounds bounds,
        Duration maxAge, double k, int lastRuns, List<String> groupBy, boolean countValues) {

    /** The kinds of check. */
    public enum Kind {
        NOT_NULL(true, true), UNIQUE(false, true), ACCEPTED_VALUES(true, true), RELATIONSHIPS(false, true),
        RANGE(true, true), MATCHES(true, true), ROW_COUNT(true, false), FRESHNESS(true, false), EXPRESSION(true, true),
        ROW_COUNT_ANOMALY(true, false), STATISTIC(true, false), NOT_ACCEPTED_VALUES(true, true), LENGTH(true, true),
        NOT_CONSTANT(true, false), AT_LEAST_ONE(true, false), SEQUENTIAL_VALUES(false, true),
        MUTUALLY_EXCLUSIVE_RANGES(false, true), EQUAL_ROW_COUNT(false, false), FEWER_ROWS_THAN(false, false),
        COLUMNS(false, false), COLUMN_TYPE(false, false), EQUALITY(false, true), CARDINALITY_EQUALITY(false, true),
        UNIQUE_VALUE_COUNT(false, false), PROPORTION_OF_UNIQUE_VALUES(false, false);

        private final boolean inScan;
        private final boolean rowLevel;

        Kind(boolean inScan, boolean rowLevel) {
            this.inScan = inScan;
            this.rowLevel = rowLevel;
        }

        /** Computed by the table's single scan. */
        public boolean inScan() {
            return inScan;
        }

        /** Reports failing rows (and so has a threshold and samples). */
        public boolean rowLevel() {
            return rowLevel;
        }

        /** Runs a query of its own over the table's rows (a grouping, an anti-join, a window). */
        public boolean ownQuery() {
            return this == UNIQUE || this == RELATIONSHIPS || this == SEQUENTIAL_VALUES || this == MUTUALLY_EXCLUSIVE_RANGES
                    || this == EQUAL_ROW_COUNT || this == FEWER_ROWS_THAN || this == EQUALITY || this == CARDINALITY_EQUALITY
                    || countsDistinct();
        }

        /** Counts a column's distinct values in a query of its own, shared by the checks of that column that do. */
        public boolean countsDistinct() {
            return this == UNIQUE_VALUE_COUNT || this == PROPORTION_OF_UNIQUE_VALUES;
        }

        /** Read from the catalog alone: no query over the table's rows. */
        public boolean catalogOnly() {
            return this == COLUMNS || this == COLUMN_TYPE;
        }

        /** The lower-case name used in ids and reports. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public CheckSpec {
        columns = List.copyOf(columns);
        values = values == null ? List.of() : Collections.unmodifiableList(new ArrayList<>(values));
        groupBy = groupBy == null ? List.of() : List.copyOf(groupBy);
    }

    /** A mutually exclusive ranges check: what may lie between one range and the next ({@link Gaps#ALLOWED} when not set). */
    public Gaps gaps() {
        return kind == Kind.MUTUALLY_EXCLUSIVE_RANGES && !values.isEmpty() && values.get(0) instanceof Gaps g ? g : Gaps.ALLOWED;
    }

    /** A mutually exclusive ranges check: whether a range with {@code lower = upper} passes (false when not set). */
    public boolean zeroLengthRangeAllowed() {
        return kind == Kind.MUTUALLY_EXCLUSIVE_RANGES && values.size() > 1 && Boolean.TRUE.equals(values.get(1));
    }

    /** A relationships check: the condition its parent rows must meet ({@code TableChecks.parentWhere}), if any. */
    public java.util.Optional<String> parentWhere() {
        return kind == Kind.RELATIONSHIPS ? java.util.Optional.ofNullable(text) : java.util.Optional.empty();
    }

    /** The {@code text} of a range check whose bounds are exclusive ({@code TableChecks.exclusive}). */
    public static final String EXCLUSIVE = "exclusive";

    /** A range check: whether its bounds are exclusive (a value equal to one fails). */
    public boolean exclusive() {
        return kind == Kind.RANGE && EXCLUSIVE.equals(text);
    }

    /** A unique check: which rows it compares when its key holds NULLs ({@code text} holds it; default: none with a NULL). */
    public NullKeys nullKeys() {
        return kind == Kind.UNIQUE && text != null ? NullKeys.valueOf(text) : NullKeys.SKIPPED_IF_ANY_NULL;
    }

    /** Whether it compares groups ({@code groupBy} given): then its failing units are the failing groups. */
    public boolean grouped() {
        return !groupBy.isEmpty() && kind != Kind.SEQUENTIAL_VALUES;
    }

    /** Computed by the table's single scan: an ungrouped check of a scan kind. */
    public boolean inScan() {
        return kind.inScan() && groupBy.isEmpty();
    }

    /**
     * Reports failing rows (and so has a threshold, samples and stored failures): a row-level kind, or a check grouped
     * by columns, whose failing "rows" are its failing groups.
     */
    public boolean rowLevel() {
        return kind.rowLevel() || !groupBy.isEmpty();
    }

    /** Runs a query of its own over the table's rows: an own-query kind, or a grouped check. */
    public boolean ownQuery() {
        return kind.ownQuery() || !groupBy.isEmpty();
    }

    /** The columns the check reads in its own table: its columns, then the grouping columns it does not name already. */
    public List<String> allColumns() {
        if (groupBy.isEmpty()) {
            return List.copyOf(columns);   // the common case, without a stream (a run calls this for every result)
        }
        List<String> all = new ArrayList<>(columns);
        groupBy.stream().filter(g -> !all.contains(g)).forEach(all::add);
        return List.copyOf(all);
    }

    /** This check counting values instead of rows. */
    public CheckSpec withCountValues() {
        return new CheckSpec(kind, id, columns, severity, warnIf, errorIf, values, min, max, text, refTable, refColumn, bounds,
                maxAge, k, lastRuns, groupBy, true);
    }

    public CheckSpec withGroupBy(List<String> columnsOfGroups) {
        return new CheckSpec(kind, id, columns, severity, warnIf, errorIf, values, min, max, text, refTable, refColumn, bounds,
                maxAge, k, lastRuns, columnsOfGroups, countValues);
    }

    /**
     * Whether a threshold of this check is a percentage of the non-NULL rows, so its query must count them: only
     * for a check on columns whose failing rows are not the NULLs themselves (not for not null or expression).
     */
    public boolean countsNonNull() {
        return rowLevel() && !grouped() && !countValues && kind != Kind.NOT_NULL && kind != Kind.EXPRESSION
                && kind != Kind.MUTUALLY_EXCLUSIVE_RANGES && kind != Kind.EQUALITY && kind != Kind.CARDINALITY_EQUALITY
                && (warnIf.percentOf() == Threshold.PercentOf.NON_NULL_ROWS
                        || errorIf.percentOf() == Threshold.PercentOf.NON_NULL_ROWS);
    }

    /** A check with only the common fields set. */
    public static CheckSpec of(Kind kind, String id, List<String> columns) {
        return new CheckSpec(kind, id, columns, Severity.ERROR, Threshold.NONE, Threshold.NONE, null, null, null, null, null, null, null,
                null, 0, 0, List.of(), false);
    }

    public CheckSpec withId(String newId) {
        return new CheckSpec(kind, newId, columns, severity, warnIf, errorIf, values, min, max, text, refTable, refColumn,
                bounds, maxAge, k, lastRuns, groupBy, countValues);
    }

    public CheckSpec withSeverity(Severity s) {
        return new CheckSpec(kind, id, columns, s, warnIf, errorIf, values, min, max, text, refTable, refColumn, bounds,
                maxAge, k, lastRuns, groupBy, countValues);
    }

    /** Both thresholds: the check's one tolerance, as {@code TableChecks.threshold} sets it. */
    public CheckSpec withThreshold(Threshold t) {
        return withWarnIf(t).withErrorIf(t);
    }

    public CheckSpec withWarnIf(Threshold t) {
        return new CheckSpec(kind, id, columns, severity, t, errorIf, values, min, max, text, refTable, refColumn, bounds,
                maxAge, k, lastRuns, groupBy, countValues);
    }

    public CheckSpec withErrorIf(Threshold t) {
        return new CheckSpec(kind, id, columns, severity, warnIf, t, values, min, max, text, refTable, refColumn, bounds,
                maxAge, k, lastRuns, groupBy, countValues);
    }

    public CheckSpec withValues(List<Object> v) {
        return new CheckSpec(kind, id, columns, severity, warnIf, errorIf, v, min, max, text, refTable, refColumn, bounds,
                maxAge, k, lastRuns, groupBy, countValues);
    }

    public CheckSpec withRange(Object lo, Object hi) {
        return new CheckSpec(kind, id, columns, severity, warnIf, errorIf, values, lo, hi, text, refTable, refColumn, bounds,
                maxAge, k, lastRuns, groupBy, countValues);
    }

    public CheckSpec withText(String t) {
        return new CheckSpec(kind, id, columns, severity, warnIf, errorIf, values, min, max, t, refTable, refColumn, bounds,
                maxAge, k, lastRuns, groupBy, countValues);
    }

    public CheckSpec withRef(TableName table, String column) {
        return new CheckSpec(kind, id, columns, severity, warnIf, errorIf, values, min, max, text, table, column, bounds,
                maxAge, k, lastRuns, groupBy, countValues);
    }

    public CheckSpec withBounds(Bounds b) {
        return new CheckSpec(kind, id, columns, severity, warnIf, errorIf, values, min, max, text, refTable, refColumn, b,
                maxAge, k, lastRuns, groupBy, countValues);
    }

    public CheckSpec withMaxAge(Duration age) {
        return new CheckSpec(kind, id, columns, severity, warnIf, errorIf, values, min, max, text, refTable, refColumn, bounds,
                age, k, lastRuns, groupBy, countValues);
    }

    public CheckSpec withAnomaly(double deviations, int runs) {
        return new CheckSpec(kind, id, columns, severity, warnIf, errorIf, values, min, max, text, refTable, refColumn, bounds,
                maxAge, deviations, runs, groupBy, countValues);
    }
}
