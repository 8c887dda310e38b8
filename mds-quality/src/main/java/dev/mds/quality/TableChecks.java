package dev.mds.quality;

import dev.mds.core.Identifiers;
import dev.mds.core.TableName;
import dev.mds.quality.internal.CheckSpec;
import dev.mds.quality.internal.CheckSpec.Kind;
import dev.mds.quality.internal.TableSpec;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The checks on one table, declared inside {@link QualitySuite#table(String, java.util.function.Consumer)}.
 *
 * <pre>{@code
 * suite.table("silver.transactions", t -> t
 *     .key("transaction_id")                                   // identifies rows in samples
 *     .notNull("transaction_id", "customer_id")
 *     .unique("customer_id", "transaction_date", "product_id")
 *     .acceptedValues("currency", "EUR", "USD", "GBP").severity(Severity.WARN)
 *     .range("quantity", 1, null).threshold(Threshold.percent(1))
 *     .where("load_timestamp > now() - interval '1 day'"));
 * }</pre>
 *
 * <p>{@link #id(String)}, {@link #severity(Severity)}, {@link #threshold(Threshold)}, {@link #warnIf(Threshold)} and
 * {@link #errorIf(Threshold)} change the checks added by the call just before them
 * ({@code notNull("a", "b").severity(WARN)} makes both warnings); severity and thresholds called before the table's
 * first check set the table's defaults instead. Defaults: severity {@link Severity#ERROR}, both thresholds
 * {@link Threshold#NONE}, ids {@code <kind>_<columns>}. Some checks take a modifier of their own, right after them:
 * {@link #nullKeys} (unique), {@link #countValues()} (unique, accepted and not accepted values), {@link #exclusive()}
 * (range), {@link #parentWhere} (relationships), {@link #groupBy} (the checks it names).
 *
 * <p>Status of a row-level check, as dbt decides it from {@code severity}, {@code warn_if} and {@code error_if}:
 * <ol>
 *   <li>severity {@link Severity#ERROR} and the failing rows exceed {@link #errorIf}: {@link Status#FAIL};</li>
 *   <li>else the failing rows exceed {@link #warnIf}: {@link Status#WARN};</li>
 *   <li>else {@link Status#PASS}.</li>
 * </ol>
 * Under severity {@link Severity#WARN} the error threshold is never consulted (dbt: severity warn never errors).
 * {@link #threshold(Threshold)} sets both thresholds to one value, so a check has one tolerance and its severity
 * says whether exceeding it fails or warns; {@code errorIf(rows(10))} alone makes 1 to 10 failing rows a warning
 * (the warn threshold stays at {@link Threshold#NONE}), as dbt's {@code error_if: ">10"}, which {@code errorIf(">10")}
 * writes as dbt does ({@link #warnIf(String)}, {@link #errorIf(String)}). The report says which
 * threshold decided ({@link CheckResult#decidedBy()}).
 *
 * <p>NULL handling follows dbt's generic tests: only {@link #notNull} counts NULLs; accepted values, not accepted
 * values, length, range, matches, sequential values and relationships ignore rows whose column is NULL; unique ignores
 * rows where any key column is NULL (as a PostgreSQL unique constraint and dbt's unique do; {@link #nullKeys} for
 * dbt-utils' and Great Expectations' ways); an expression that yields NULL passes (as
 * dbt's expression_is_true); not constant and at least one look at the non-NULL values only (as dbt-utils'); a range of
 * {@link #mutuallyExclusiveRanges} with a NULL bound fails (as dbt-utils'); {@link #equality} and
 * {@link #cardinalityEquality} take NULL as equal to NULL (as {@code except} does); a NULL in {@link #groupBy} columns
 * makes a group of its own.
 *
 * <p>Where they run: not null, accepted and not accepted values, length, range, matches, expression, row count,
 * freshness, statistic, not constant and at least one are aggregates of the table's single scan; unique,
 * relationships, sequential values, mutually exclusive ranges, row count comparisons, equality and cardinality equality
 * run one query each, as do a check {@link #groupBy grouped} by columns and the unique value count and proportion of
 * unique values checks of a column (one query for both); {@link #columns} and {@link #columnType} read the catalog only.
 *
 * <p>Column and table names are quoted through {@link Identifiers} (exact, case-sensitive names). The SQL given
 * to {@link #expression}, {@link #where} and {@link #parentWhere} is the caller's own SQL, used as written: never build it from
 * untrusted input.
 */
public final class TableChecks {
    private final TableName table;
    private final List<CheckSpec> checks = new ArrayList<>();
    private final List<String> keyColumns = new ArrayList<>();
    private String where;
    private int lastFrom = -1;
    private Severity defaultSeverity = Severity.ERROR;
    private Threshold defaultWarnIf = Threshold.NONE;
    private Threshold defaultErrorIf = Threshold.NONE;

    TableChecks(TableName table) {
        this.table = table;
    }

    /** Fails for each row where a column is NULL; one check per column ({@code not_null_<column>}). */
    public TableChecks notNull(String... columns) {
        requireColumns(columns);
        int from = checks.size();
        for (String c : columns) {
            add(CheckSpec.of(Kind.NOT_NULL, "not_null_" + c, List.of(c)));
        }
        lastFrom = from;
        return this;
    }

    /**
     * Fails for each row whose value (of one column, or the combination of several) appears in more than one
     * row. Rows where any of the columns is NULL are ignored, as a PostgreSQL unique constraint and dbt's {@code unique}
     * test ignore them; add {@link #notNull} to forbid NULLs, or {@link #nullKeys} to compare them as values
     * (dbt-utils' {@code unique_combination_of_columns}, Great Expectations' compound columns unique). Runs one query of its own (a grouping).
     */
    public TableChecks unique(String... columns) {
        requireColumns(columns);
        return added(CheckSpec.of(Kind.UNIQUE, "unique_" + String.join("_", columns), Arrays.asList(columns)));
    }

    /**
     * Which rows the unique check just declared compares when its key holds NULLs (default
     * {@link NullKeys#SKIPPED_IF_ANY_NULL}: a row with a NULL in any key column is not compared).
     * {@link NullKeys#COMPARED} counts a NULL as a value equal to every other NULL, as dbt-utils'
     * {@code unique_combination_of_columns} does: {@code ('jan', NULL)} twice is a duplicated key, and so is
     * {@code (NULL, NULL)} twice; {@link NullKeys#SKIPPED_IF_ALL_NULL} (Great Expectations' default) skips only keys of
     * NULLs alone. What a {@link Threshold#percentOfNonNull} threshold divides by is the rows it compares (its checked
     * rows are all rows, as without it); a unique index makes its query unnecessary, under either of these two, only when the
     * index's columns are NOT NULL.
     *
     * <pre>{@code
     * t.unique("month", "product").nullKeys(NullKeys.COMPARED)
     * }</pre>
     *
     * @throws IllegalStateException when no check was declared before it
     * @throws IllegalArgumentException when the check before is not a unique check
     */
    public TableChecks nullKeys(NullKeys nullKeys) {
        Objects.requireNonNull(nullKeys, "nullKeys");
        requireLast("nullKeys");
        for (int i = lastFrom; i < checks.size(); i++) {
            CheckSpec c = checks.get(i);
            if (c.kind() != Kind.UNIQUE) {
                throw new IllegalArgumentException(table + ": nullKeys(" + nullKeys + ") on check '" + c.id() + "': only a"
                        + " unique check compares keys, this is a " + c.kind().label() + " check");
            }
            checks.set(i, c.withText(nullKeys.name()));
        }
        return this;
    }

    /**
     * Makes the bounds of the range check just declared exclusive: a row whose value equals {@code min} or {@code max}
     * fails too, as dbt-utils' {@code accepted_range} with {@code inclusive: false} and Great Expectations'
     * {@code strict_min} and {@code strict_max} (both) judge it. The report shows the range as {@code (min, max)}.
     *
     * <pre>{@code
     * t.range("discount", 0, 1).exclusive()   // 0 and 1 fail
     * }</pre>
     *
     * @throws IllegalStateException when no check was declared before it
     * @throws IllegalArgumentException when the check before is not a range check
     */
    public TableChecks exclusive() {
        requireLast("exclusive");
        for (int i = lastFrom; i < checks.size(); i++) {
            CheckSpec c = checks.get(i);
            if (c.kind() != Kind.RANGE) {
                throw new IllegalArgumentException(table + ": exclusive() on check '" + c.id() + "': only a range check has"
                        + " bounds to exclude, this is a " + c.kind().label() + " check");
            }
            checks.set(i, c.withText(CheckSpec.EXCLUSIVE));
        }
        return this;
    }

    /**
     * Makes the unique, accepted values or not accepted values check just declared count values instead of rows, as
     * dbt's {@code unique} and {@code accepted_values} tests (and dbt-utils' {@code unique_combination_of_columns} and
     * {@code not_accepted_values}) count their failures: one per duplicated key, or per distinct unexpected value, however
     * many rows hold it. Its failing "rows" are then those values and its checked rows the distinct values (keys) it
     * compared, so that a threshold ported from dbt ({@code errorIf(">10")}) judges what dbt's judges; a percentage is
     * of the distinct values. Samples and stored failures are still the rows. An accepted values check counts in the
     * table's scan its failing rows and the listed values found (aggregates that keep the scan parallel); only when
     * rows fail does a query of its own count their distinct values, sorting the failing rows alone. A not accepted
     * values check counts distinct values in the table's scan ({@code count(distinct …)}: a sort of the column's
     * values, and a serial scan for all the table's checks).
     *
     * <pre>{@code
     * t.acceptedValues("status", "placed", "shipped").countValues().errorIf(">2")   // 3 unexpected statuses fail
     * }</pre>
     *
     * @throws IllegalStateException when no check was declared before it
     * @throws IllegalArgumentException when the check before is of another kind
     */
    public TableChecks countValues() {
        requireLast("countValues");
        for (int i = lastFrom; i < checks.size(); i++) {
            CheckSpec c = checks.get(i);
            if (c.kind() != Kind.UNIQUE && c.kind() != Kind.ACCEPTED_VALUES && c.kind() != Kind.NOT_ACCEPTED_VALUES) {
                throw new IllegalArgumentException(table + ": countValues() on check '" + c.id() + "': only unique, accepted"
                        + " values and not accepted values checks count values, this is a " + c.kind().label() + " check");
            }
            checks.set(i, c.withCountValues());
        }
        return this;
    }

    /**
     * Restricts the parent rows of the relationships check just declared to those meeting {@code condition} (the
     * caller's SQL on the parent table's columns, used as written), as dbt-utils' {@code relationships_where} does with
     * its {@code to_condition}: a child value whose only parents fail it is an orphan. (Its {@code from_condition} is
     * the table's {@link #where}.)
     *
     * <pre>{@code
     * t.relationships("user_id", "raw.users", "user_id").parentWhere("deleted_at is null")
     * }</pre>
     *
     * @throws IllegalStateException when no check was declared before it
     * @throws IllegalArgumentException when the condition is empty or holds text PostgreSQL cannot receive, or the check
     *     before is not a relationships check
     */
    public TableChecks parentWhere(String condition) {
        if (condition == null || condition.isBlank()) {
            throw new IllegalArgumentException(table + ": parentWhere: the condition is empty");
        }
        sqlText("parentWhere", condition);
        requireLast("parentWhere");
        for (int i = lastFrom; i < checks.size(); i++) {
            CheckSpec c = checks.get(i);
            if (c.kind() != Kind.RELATIONSHIPS) {
                throw new IllegalArgumentException(table + ": parentWhere(\"" + condition + "\") on check '" + c.id()
                        + "': only a relationships check has a parent table, this is a " + c.kind().label() + " check");
            }
            checks.set(i, c.withText(condition));
        }
        return this;
    }

    /**
     * Fails for each row whose value is not one of {@code values}. NULLs are ignored (as dbt's accepted_values
     * test ignores them); add {@link #notNull} to forbid them. Values are compared in the column's type (a composite
     * value or an array written as PostgreSQL reads it: {@code "(1,a)"}, {@code "{a,b}"}); java.time values as in
     * {@link #range}, whatever the session's TimeZone.
     */
    public TableChecks acceptedValues(String column, Object... values) {
        requireColumns(column);
        if (values.length == 0) {
            throw new IllegalArgumentException("acceptedValues(" + column + "): give at least one value");
        }
        List<Object> list = new ArrayList<>();
        for (Object v : values) {
            Objects.requireNonNull(v, "acceptedValues(" + column + "): a value is null; use notNull instead");
            sqlText("acceptedValues(" + column + ")", String.valueOf(v));
            list.add(v);
        }
        return added(CheckSpec.of(Kind.ACCEPTED_VALUES, "accepted_values_" + column, List.of(column)).withValues(list));
    }

    /**
     * Fails for each row whose {@code column} has no matching {@code toColumn} in {@code toTable} (a foreign key
     * that does not resolve). Rows whose column is NULL are ignored, as in dbt's relationships test. Runs one
     * query of its own (an anti-join).
     */
    public TableChecks relationships(String column, String toTable, String toColumn) {
        requireColumns(column, toColumn);
        TableName parent = TableName.parse(Objects.requireNonNull(toTable, "toTable"));
        return added(CheckSpec.of(Kind.RELATIONSHIPS, "relationships_" + column, List.of(column)).withRef(parent, toColumn));
    }

    /**
     * Fails for each row whose value is below {@code min} or above {@code max} (both inclusive, unless
     * {@link #exclusive()} follows; null for no bound). Numbers are written as numbers; other values (a {@code LocalDate}, a string) as literals that
     * PostgreSQL reads in the column's type. NULLs are ignored.
     *
     * <p>java.time bounds mean the same in every session (pgjdbc sets the session's TimeZone from the JVM's): against
     * a {@code timestamptz} column a {@code LocalDate} is its midnight UTC and a {@code LocalDateTime} is UTC;
     * against a {@code timestamp} or {@code date} column an {@code OffsetDateTime}, {@code ZonedDateTime} or
     * {@code Instant} is its UTC date and time (a timestamp column is read as UTC, as in {@link #freshness}). A
     * string bound is PostgreSQL's to read: {@code "2024-01-03"} against a {@code timestamptz} column is midnight in
     * the session's TimeZone.
     */
    public TableChecks range(String column, Object min, Object max) {
        requireColumns(column);
        if (min == null && max == null) {
            throw new IllegalArgumentException("range(" + column + "): give a minimum, a maximum or both");
        }
        checkBound(column, min);
        checkBound(column, max);
        return added(CheckSpec.of(Kind.RANGE, "range_" + column, List.of(column)).withRange(min, max));
    }

    /**
     * Fails for each row whose value does not match the POSIX regular expression {@code regex} (PostgreSQL's
     * {@code ~}: unanchored unless the pattern says {@code ^…$}). NULLs are ignored. A column that is not text is
     * matched against its text as PostgreSQL prints it; a {@code timestamptz} as printed in UTC
     * ({@code 2024-01-03 02:00:00+00}), whatever the session's TimeZone. A column under a nondeterministic collation
     * (case-insensitive ICU…), under which PostgreSQL matches no regular expression, makes the check an
     * {@link Status#ERROR} without sending it (use an {@link #expression} naming a collation: {@code c collate "C" ~ '^a'}).
     */
    public TableChecks matches(String column, String regex) {
        requireColumns(column);
        if (regex == null || regex.isEmpty()) {
            throw new IllegalArgumentException("matches(" + column + "): the regular expression is empty");
        }
        sqlText("matches(" + column + ")", regex);
        return added(CheckSpec.of(Kind.MATCHES, "matches_" + column, List.of(column)).withText(regex));
    }

    /**
     * Fails when the {@code statistic} of the numeric {@code column}'s (or a domain over a number's) non-NULL values (after {@link #where}) lies
     * outside {@code min}..{@code max} (both inclusive, compared exactly; null for no bound), or when there is none (no
     * non-NULL value; a standard deviation of one value) or it is NaN: Great Expectations'
     * {@code expect_column_mean_to_be_between} and its siblings. Computed by the table's single scan; the check's id is
     * {@code <statistic>_<column>} ({@code mean_amount}) and its observed value the statistic.
     *
     * <pre>{@code
     * t -> t.statistic(Statistic.MEAN, "amount", 10, 250).statistic(Statistic.MAX, "quantity", null, 1000)
     * }</pre>
     *
     * @throws IllegalArgumentException when both bounds are null, one is NaN or infinite, or min is above max
     */
    public TableChecks statistic(Statistic statistic, String column, Number min, Number max) {
        Objects.requireNonNull(statistic, "statistic");
        requireColumns(column);
        String what = "statistic(" + statistic + ", " + column + ")";
        if (min == null && max == null) {
            throw new IllegalArgumentException(what + ": give a minimum, a maximum or both");
        }
        java.math.BigDecimal lo = decimal(what, min);
        java.math.BigDecimal hi = decimal(what, max);
        if (lo != null && hi != null && lo.compareTo(hi) > 0) {
            throw new IllegalArgumentException(what + ": minimum " + lo + " is above maximum " + hi);
        }
        return added(CheckSpec.of(Kind.STATISTIC, statistic.label() + "_" + column, List.of(column)).withRange(lo, hi)
                .withText(statistic.name()));
    }

    /**
     * Fails when the number of distinct non-NULL values of {@code column} (after {@link #where}) lies outside
     * {@code min}..{@code max} (whole numbers, both inclusive; null for no bound): Great Expectations'
     * {@code expect_column_unique_value_count_to_be_between}. Values are distinct as the column's type compares them
     * (under its collation); NULL is not a value. A table-level check (no threshold). It runs one query of its own, a
     * grouping of the column, shared with the column's {@link #proportionOfUniqueValues} checks: a
     * {@code count(distinct …)} in the table's scan would sort all the scan's rows and make it serial, for every check in
     * it. Its id is {@code unique_value_count_<column>}.
     *
     * <pre>{@code
     * t.uniqueValueCount("currency", 1, 20)
     * }</pre>
     *
     * @throws IllegalArgumentException when both bounds are null, one is negative or not a whole number, or min is above
     *     max
     */
    public TableChecks uniqueValueCount(String column, Number min, Number max) {
        requireColumns(column);
        String what = table + ": uniqueValueCount(" + column + ")";
        java.math.BigDecimal[] b = boundsOf(what, min, max);
        for (java.math.BigDecimal x : b) {
            if (x != null && (x.signum() < 0 || x.stripTrailingZeros().scale() > 0)) {
                throw new IllegalArgumentException(what + ": a bound must be a whole number of values, 0 or more, was "
                        + x.toPlainString());
            }
        }
        return added(CheckSpec.of(Kind.UNIQUE_VALUE_COUNT, "unique_value_count_" + column, List.of(column))
                .withRange(b[0], b[1]));
    }

    /**
     * Fails when the proportion of unique values of {@code column} (after {@link #where}), its distinct non-NULL values
     * divided by its non-NULL rows, lies outside {@code min}..{@code max} (between 0 and 1, both inclusive; null for no
     * bound): Great Expectations' {@code expect_column_proportion_of_unique_values_to_be_between}. As there, the
     * proportion is 0 when there is no non-NULL value, and bounds are inclusive (no {@code strict_min}/{@code strict_max}).
     * Compared as Great Expectations compares it, the proportion as a double against the bounds as doubles (2 of 3
     * values lie within a maximum of {@code 2.0 / 3}); the observed value shows it to four decimals. A table-level check (no threshold); it runs the query of its column's distinct values, shared with
     * the column's {@link #uniqueValueCount} checks (see there why it is not in the table's scan). Its id is
     * {@code proportion_of_unique_values_<column>}.
     *
     * <pre>{@code
     * t.proportionOfUniqueValues("email", 0.99, null)   // nearly every email distinct
     * }</pre>
     *
     * @throws IllegalArgumentException when both bounds are null, one lies outside 0..1, or min is above max
     */
    public TableChecks proportionOfUniqueValues(String column, Number min, Number max) {
        requireColumns(column);
        String what = table + ": proportionOfUniqueValues(" + column + ")";
        java.math.BigDecimal[] b = boundsOf(what, min, max);
        for (java.math.BigDecimal x : b) {
            if (x != null && (x.signum() < 0 || x.compareTo(java.math.BigDecimal.ONE) > 0)) {
                throw new IllegalArgumentException(what + ": a bound must be a proportion between 0 and 1, was "
                        + x.toPlainString());
            }
        }
        return added(CheckSpec.of(Kind.PROPORTION_OF_UNIQUE_VALUES, "proportion_of_unique_values_" + column,
                List.of(column)).withRange(b[0], b[1]));
    }

    /** Both bounds as exact decimals; refuses none, a NaN or infinite one, and min above max, naming {@code what}. */
    private static java.math.BigDecimal[] boundsOf(String what, Number min, Number max) {
        if (min == null && max == null) {
            throw new IllegalArgumentException(what + ": give a minimum, a maximum or both");
        }
        java.math.BigDecimal lo = decimal(what, min);
        java.math.BigDecimal hi = decimal(what, max);
        if (lo != null && hi != null && lo.compareTo(hi) > 0) {
            throw new IllegalArgumentException(what + ": minimum " + lo.toPlainString() + " is above maximum "
                    + hi.toPlainString());
        }
        return new java.math.BigDecimal[] {lo, hi};
    }

    /**
     * Fails for each row whose value is one of {@code values}: dbt-utils' not_accepted_values. NULLs are ignored (a NULL
     * is not one of the values), values are compared in the column's type as in {@link #acceptedValues}. Unlike dbt-utils,
     * which counts the distinct forbidden values found, the failing count is the rows holding one (as
     * {@link #acceptedValues} counts), so thresholds count rows. Computed by the table's single scan.
     */
    public TableChecks notAcceptedValues(String column, Object... values) {
        requireColumns(column);
        String what = table + ": notAcceptedValues(" + column + ")";
        if (values == null || values.length == 0) {
            throw new IllegalArgumentException(what + ": give at least one value");
        }
        List<Object> list = new ArrayList<>();
        for (Object v : values) {
            Objects.requireNonNull(v, what + ": a value is null; a NULL is never counted, use notNull to forbid NULLs");
            sqlText(what, String.valueOf(v));
            list.add(v);
        }
        return added(CheckSpec.of(Kind.NOT_ACCEPTED_VALUES, "not_accepted_values_" + column, List.of(column)).withValues(list));
    }

    /**
     * Fails for each row whose text is shorter than {@code min} or longer than {@code max} characters (both inclusive;
     * null for no bound): Great Expectations' {@code expect_column_value_lengths_to_be_between}. NULLs are ignored, as
     * GE ignores missing values. Lengths are PostgreSQL's {@code char_length}: characters, not bytes; a {@code char(n)}
     * value's trailing blanks do not count (PostgreSQL ignores them in char(n)). A column that is not text makes the check
     * an {@link Status#ERROR}. Computed by the table's single scan; the check's id is {@code length_<column>}.
     *
     * @throws IllegalArgumentException when both bounds are null, one is negative, or min is above max
     */
    public TableChecks length(String column, Integer min, Integer max) {
        requireColumns(column);
        String what = table + ": length(" + column + ")";
        if (min == null && max == null) {
            throw new IllegalArgumentException(what + ": give a minimum, a maximum or both");
        }
        if (min != null && min < 0 || max != null && max < 0) {
            throw new IllegalArgumentException(what + ": a length cannot be negative (min " + min + ", max " + max + ")");
        }
        if (min != null && max != null && min > max) {
            throw new IllegalArgumentException(what + ": minimum " + min + " is above maximum " + max);
        }
        return added(CheckSpec.of(Kind.LENGTH, "length_" + column, List.of(column)).withRange(min, max));
    }

    /**
     * Fails when the column's non-NULL values (after {@link #where}) are all the same one: dbt-utils' not_constant
     * ({@code count(distinct column) = 1}). As there, NULLs are not a value: a column of NULLs and one value is constant,
     * and a column with no non-NULL value (or an empty table) passes (see {@link #atLeastOne}). Values are equal as the
     * column's type compares them (under its collation). A table-level check, computed by the single scan; no threshold.
     */
    public TableChecks notConstant(String column) {
        requireColumns(column);
        return added(CheckSpec.of(Kind.NOT_CONSTANT, "not_constant_" + column, List.of(column)));
    }

    /**
     * Fails when the column has no non-NULL value (after {@link #where}), also when there are no rows: dbt-utils'
     * at_least_one. A table-level check, computed by the single scan (it shares {@link #notNull}'s count); no threshold.
     */
    public TableChecks atLeastOne(String column) {
        requireColumns(column);
        return added(CheckSpec.of(Kind.AT_LEAST_ONE, "at_least_one_" + column, List.of(column)));
    }

    /** {@link #sequentialValues(String, Number)} with a step of 1. */
    public TableChecks sequentialValues(String column) {
        return sequentialValues(column, 1);
    }

    /**
     * Fails for each row whose value is not the one before it (in the column's order) plus {@code step}: dbt-utils'
     * sequential_values for a number (or a {@code date}, which PostgreSQL steps by days). As there, the first value
     * passes, a repeated value fails (it is not the previous one plus the step), a gap fails the row after it, and NULLs
     * are ignored (they sort last and compare to nothing). Integer and numeric columns step exactly; a float column
     * steps in float arithmetic ({@code 0.1 + 0.2} is not {@code 0.3}). Runs one query of its own (a window over the
     * table's rows, after {@link #where}); samples show the previous value as {@code previous_<column>}.
     *
     * @throws IllegalArgumentException when the step is not a positive finite number
     */
    public TableChecks sequentialValues(String column, Number step) {
        requireColumns(column);
        BigDecimal s = decimal(table + ": sequentialValues(" + column + ")", Objects.requireNonNull(step, "step"));
        if (s.signum() <= 0) {
            throw new IllegalArgumentException(table + ": sequentialValues(" + column + "): the step must be positive, was " + step);
        }
        return added(CheckSpec.of(Kind.SEQUENTIAL_VALUES, "sequential_values_" + column, List.of(column)).withRange(s, null));
    }

    /**
     * {@link #sequentialValues(String, Number)} for a {@code date}, {@code timestamp} or {@code timestamptz} column and a
     * {@link java.time.Period} ({@code Period.ofDays(1)}, dbt-utils' {@code datepart: day}) or {@link Duration} step. The
     * step is added in UTC (a {@code timestamptz} is read as UTC, a {@code timestamp} as it is), so a day is 24 hours
     * whatever the session's TimeZone; a month is a calendar month ({@code 2024-01-31} then {@code 2024-02-29}).
     *
     * @throws IllegalArgumentException when the step is zero, negative (in any unit), or another kind of amount
     */
    public TableChecks sequentialValues(String column, java.time.temporal.TemporalAmount step) {
        requireColumns(column);
        Objects.requireNonNull(step, "step");
        String what = table + ": sequentialValues(" + column + ")";
        boolean positive = step instanceof java.time.Period p ? !p.isZero() && !p.isNegative()
                : step instanceof Duration d ? !d.isZero() && !d.isNegative() : false;
        if (!(step instanceof java.time.Period) && !(step instanceof Duration)) {
            throw new IllegalArgumentException(what + ": the step must be a Period or a Duration, not " + step.getClass().getName());
        }
        if (!positive) {
            throw new IllegalArgumentException(what + ": the step must be positive in every unit, was " + step);
        }
        return added(CheckSpec.of(Kind.SEQUENTIAL_VALUES, "sequential_values_" + column, List.of(column)).withRange(step, null));
    }

    /**
     * {@link #mutuallyExclusiveRanges(String, String, Gaps, boolean, String...)} with dbt-utils' defaults: gaps
     * {@link Gaps#ALLOWED}, no zero-length ranges. Each row needs {@code lower < upper} and {@code upper <= } the next
     * row's lower bound.
     *
     * <pre>{@code
     * t.mutuallyExclusiveRanges("valid_from", "valid_to", "customer_id")
     * }</pre>
     */
    public TableChecks mutuallyExclusiveRanges(String lower, String upper, String... partitionBy) {
        return mutuallyExclusiveRanges(lower, upper, Gaps.ALLOWED, false, partitionBy);
    }

    /**
     * Fails for each row whose range {@code [lower, upper)} is empty (or, when {@code zeroLengthRangeAllowed}, reversed)
     * or does not meet the next range (ordered by lower, then upper bound) within its {@code partitionBy} group as
     * {@code gaps} says: dbt-utils' mutually_exclusive_ranges with its {@code gaps} and {@code zero_length_range_allowed}
     * arguments. Each row needs {@code lower < upper} ({@code lower <= upper} when zero-length ranges are allowed) and
     * {@code upper <= } ({@link Gaps#ALLOWED}), {@code = } ({@link Gaps#NOT_ALLOWED}) or {@code < }
     * ({@link Gaps#REQUIRED}) the next row's lower bound; the last range of a group has no next one and passes that
     * test. As there, a row with a NULL bound fails (the bounds are implicitly not null), and rows whose partition
     * columns are NULL form one group. Unlike dbt-utils, a row with a NULL lower bound does not also fail the range
     * before it (dbt-utils compares that range's upper bound with the NULL and fails it). Runs one query of its own (a
     * window); samples and stored failures show the next range's lower bound as {@code next_<lower>}.
     *
     * <pre>{@code
     * t.mutuallyExclusiveRanges("valid_from", "valid_to", Gaps.NOT_ALLOWED, false, "customer_id")
     * }</pre>
     *
     * @param gaps what may lie between one range and the next
     * @param zeroLengthRangeAllowed whether a range with {@code lower = upper} passes (dbt-utils' default: false)
     * @throws IllegalArgumentException when the bounds are the same column or a column is given twice
     */
    public TableChecks mutuallyExclusiveRanges(String lower, String upper, Gaps gaps, boolean zeroLengthRangeAllowed,
            String... partitionBy) {
        requireColumns(lower, upper);
        Objects.requireNonNull(gaps, "gaps");
        if (lower.equals(upper)) {
            throw new IllegalArgumentException(table + ": mutuallyExclusiveRanges(" + lower + ", " + upper
                    + "): the lower and upper bound are the same column");
        }
        List<String> cols = new ArrayList<>(List.of(lower, upper));
        for (String p : partitionBy == null ? new String[0] : partitionBy) {
            Identifiers.check(p);
            if (cols.contains(p)) {
                throw new IllegalArgumentException(table + ": mutuallyExclusiveRanges(" + lower + ", " + upper
                        + "): column " + p + " is given twice");
            }
            cols.add(p);
        }
        return added(CheckSpec.of(Kind.MUTUALLY_EXCLUSIVE_RANGES, "mutually_exclusive_ranges_" + lower + "_" + upper, cols)
                .withText(String.valueOf(partitionBy == null ? 0 : partitionBy.length))
                .withValues(List.of(gaps, zeroLengthRangeAllowed)));
    }

    /**
     * Fails when this table (after {@link #where}) has another number of rows than {@code otherTable} (all its rows):
     * dbt-utils' equal_rowcount. A table-level check (no threshold), one query of its own counting both.
     */
    public TableChecks equalRowCount(String otherTable) {
        TableName other = otherTable(otherTable, "equalRowCount");
        return added(CheckSpec.of(Kind.EQUAL_ROW_COUNT, "equal_row_count_" + other.name(), List.of()).withRef(other, null));
    }

    /**
     * Fails unless this table (after {@link #where}) has fewer rows than {@code otherTable} (all its rows): dbt-utils'
     * fewer_rows_than (as there, an equal count fails). A table-level check (no threshold), one query of its own.
     */
    public TableChecks fewerRowsThan(String otherTable) {
        TableName other = otherTable(otherTable, "fewerRowsThan");
        return added(CheckSpec.of(Kind.FEWER_ROWS_THAN, "fewer_rows_than_" + other.name(), List.of()).withRef(other, null));
    }

    /**
     * Fails for each row that this table (after {@link #where}) and {@code otherTable} (all its rows) do not both hold:
     * dbt-utils' equality. Compares {@code compareColumns} (dbt-utils' {@code compare_columns}), or, when none are given,
     * all of this table's columns, which the other table must have too (its other columns are not compared); a missing
     * column or table is an {@link Status#ERROR} naming it. Unlike dbt-utils, which compares sets ({@code except}), the
     * tables are compared as multisets ({@code except all} both ways): a row held twice here and once there is one failing
     * row. As in {@code except}, NULLs are equal to NULLs. The failing rows are the rows of both differences, the checked
     * rows both tables' rows (so a percentage threshold is of both); samples and stored failures show the rows with
     * {@code only_in} naming the table that holds them, both sides interleaved. Runs one query of its own.
     *
     * <pre>{@code
     * t.equality("legacy.customers", "customer_id", "email")
     * }</pre>
     *
     * @throws IllegalArgumentException when a column is given twice
     */
    public TableChecks equality(String otherTable, String... compareColumns) {
        TableName other = otherTable(otherTable, "equality");
        List<String> cols = compareColumns == null ? List.of() : List.of(compareColumns);
        for (String c : cols) {
            Identifiers.check(c);
        }
        if (new HashSet<>(cols).size() != cols.size()) {
            throw new IllegalArgumentException(table + ": equality(" + otherTable + "): a column is given twice");
        }
        return added(CheckSpec.of(Kind.EQUALITY, "equality_" + other.name(), cols).withRef(other, null));
    }

    /**
     * Fails for each value of {@code column} (after {@link #where}) that does not appear in as many rows as in
     * {@code otherColumn} of {@code otherTable} (all its rows): dbt-utils' cardinality_equality. A value found on one
     * side only has 0 rows on the other and fails; NULL is a value too, compared with the other side's NULLs (as
     * dbt-utils' {@code group by} and {@code except} compare it). The failing "rows" are the values whose counts differ
     * (dbt-utils counts such a value twice when both sides hold it), the checked rows the distinct values of both sides,
     * so a threshold counts values ({@code errorIf(">2")}) and a percentage is of the values. Samples and stored failures
     * show each failing value under the column's name with its {@code rows} here and its {@code other_rows} there. The
     * two columns meet in a {@code union all}, whose type and collation PostgreSQL resolves across both (text and citext
     * compare as text); columns whose types cannot meet there make the check an {@link Status#ERROR}, as does a missing
     * table or column, naming it. Runs one query of its own; its id is {@code cardinality_equality_<column>}.
     *
     * <pre>{@code
     * t.cardinalityEquality("customer_id", "raw.orders", "customer_id")   // as many orders per customer on both sides
     * }</pre>
     */
    public TableChecks cardinalityEquality(String column, String otherTable, String otherColumn) {
        requireColumns(column, otherColumn);
        TableName other = otherTable(otherTable, "cardinalityEquality(" + column + ")");
        return added(CheckSpec.of(Kind.CARDINALITY_EQUALITY, "cardinality_equality_" + column, List.of(column))
                .withRef(other, otherColumn));
    }

    private TableName otherTable(String otherTable, String what) {
        if (otherTable == null || otherTable.isBlank()) {
            throw new IllegalArgumentException(table + ": " + what + ": give the table to compare with");
        }
        try {
            return TableName.parse(otherTable);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(table + ": " + what + "(" + otherTable + "): " + e.getMessage(), e);
        }
    }

    /**
     * Groups the check added just before by {@code columns}: dbt-utils' {@code group_by_columns} of at_least_one,
     * not_constant, recency (here {@link #freshness}), sequential_values, equal_rowcount and fewer_rows_than. Groups are
     * the distinct values of the columns after {@link #where}; a NULL is a group of its own (as GROUP BY makes it).
     * <ul>
     *   <li>{@link #atLeastOne} and {@link #notConstant} judge each group's non-NULL values as they judge the table's;
     *   groups exist only where rows do, so an empty table passes (as in dbt-utils).</li>
     *   <li>{@link #freshness} judges each group's newest value as it judges the table's (dbt-utils' recency with
     *   {@code group_by_columns}, a dbt source's freshness per partition): a group whose newest value is older than the
     *   maximum age fails, and so does a group whose column holds only NULLs (dbt-utils lets it pass: its newest value is
     *   NULL); an empty table (after {@link #where}) fails, as the ungrouped check does, whatever the threshold.</li>
     *   <li>{@link #equalRowCount} and {@link #fewerRowsThan} compare the rows of each group here (after {@link #where})
     *   with the same group of the other table (which must have the columns, in a type a {@code union} can merge); a group
     *   missing on one side has 0 rows there, so it fails equal row count, and fails fewer rows than when it is missing in
     *   the other table. dbt-utils differs: it joins the groups with {@code =}, so a missing group and a NULL group
     *   compare with NULL and pass.</li>
     *   <li>{@link #sequentialValues} follows the sequence within each group (the window is partitioned by them); its
     *   failing rows are still rows, and the observed value also says in how many groups.</li>
     * </ul>
     * Except for sequential values, a grouped check's failing "rows" are its failing groups and its checked rows the
     * groups: a {@link #threshold} counts groups (a percentage is of the groups), the samples and stored failures are
     * the failing groups (the grouping columns and their {@code rows}; for not constant also the one value, for
     * freshness the newest value, under the column's name; for a row count comparison {@code rows} and
     * {@code other_rows}), and the observed value names the first five. Grouped checks are not in the table's single
     * scan: the at least one, not constant and freshness checks grouped by the same columns (in any order) share one
     * grouped query (one scan, one GROUP BY), and so do the row count comparisons with the same
     * other table grouped by the same columns; a grouped sequential values check runs its own window. Call it before a threshold: ungrouped, these
     * checks have no failing rows to count. The check's id stays as it was; give it another with {@link #id} when the
     * table also has the ungrouped check.
     *
     * <pre>{@code
     * t.atLeastOne("email").groupBy("country").equalRowCount("raw.orders").groupBy("order_date")
     * }</pre>
     *
     * @throws IllegalArgumentException when the check before cannot be grouped, a column is given twice or is the checked
     *     column itself
     * @throws IllegalStateException when the check before is already grouped
     */
    public TableChecks groupBy(String... columns) {
        requireColumns(columns);
        requireLast("groupBy");
        List<String> groups = List.of(columns);
        if (new HashSet<>(groups).size() != groups.size()) {
            throw new IllegalArgumentException(table + ": groupBy(" + String.join(", ", groups) + "): a column is given twice");
        }
        for (int i = lastFrom; i < checks.size(); i++) {
            CheckSpec c = checks.get(i);
            String what = table + ": groupBy(" + String.join(", ", groups) + ") on check '" + c.id() + "'";
            if (c.kind() != Kind.AT_LEAST_ONE && c.kind() != Kind.NOT_CONSTANT && c.kind() != Kind.SEQUENTIAL_VALUES
                    && c.kind() != Kind.EQUAL_ROW_COUNT && c.kind() != Kind.FEWER_ROWS_THAN && c.kind() != Kind.FRESHNESS) {
                throw new IllegalArgumentException(what + ": a " + c.kind().label() + " check cannot be grouped (only at least"
                        + " one, not constant, freshness, sequential values, equal row count and fewer rows than can"
                        + (c.kind() == Kind.MUTUALLY_EXCLUSIVE_RANGES ? "; give the partition columns to mutuallyExclusiveRanges" : "")
                        + ")");
            }
            if (!c.groupBy().isEmpty()) {
                throw new IllegalStateException(what + ": it is already grouped by " + String.join(", ", c.groupBy())
                        + "; give all the columns in one groupBy(...)");
            }
            for (String g : groups) {
                if (c.columns().contains(g)) {
                    throw new IllegalArgumentException(what + ": column " + g + " is the checked column itself");
                }
            }
            checks.set(i, c.withGroupBy(groups));
        }
        return this;
    }

    /** {@link #columns(ColumnMatch, String...)} with {@link ColumnMatch#ANY_ORDER}: exactly these columns. */
    public TableChecks columns(String... names) {
        return columns(ColumnMatch.ANY_ORDER, names);
    }

    /**
     * Fails when the table's columns do not match {@code names} as {@code match} says (names exact, case-sensitive):
     * Great Expectations' {@code expect_table_columns_to_match_set} / {@code _match_ordered_list}. Read from the catalog
     * the run reads anyway: no query of the table, and not affected by {@link #where}. The message names the missing,
     * unexpected or misplaced columns. A table-level check; its id is {@code columns}.
     *
     * <pre>{@code
     * t.columns(ColumnMatch.IN_ORDER, "id", "email").columnType("id", "bigint")
     * }</pre>
     *
     * @throws IllegalArgumentException when no name is given or one is given twice
     */
    public TableChecks columns(ColumnMatch match, String... names) {
        Objects.requireNonNull(match, "match");
        if (names == null || names.length == 0) {
            throw new IllegalArgumentException(table + ": columns(...): give at least one column name");
        }
        Set<String> seen = new HashSet<>();
        for (String n : names) {
            Identifiers.check(n);
            if (!seen.add(n)) {
                throw new IllegalArgumentException(table + ": columns(...): column " + n + " is given twice");
            }
        }
        return added(CheckSpec.of(Kind.COLUMNS, "columns", List.of()).withValues(List.of((Object[]) names))
                .withText(match.name()));
    }

    /**
     * Fails when {@code column}'s declared type is not {@code type}: Great Expectations'
     * {@code expect_column_values_to_be_of_type}, read from the catalog (no query of the table). {@code type} is read by
     * PostgreSQL ({@code to_regtype}), so aliases match ({@code int4}, {@code int}, {@code integer}; {@code timestamptz});
     * without a modifier any one matches ({@code varchar} matches {@code varchar(20)}), with one it must be equal
     * ({@code numeric(12,2)}). A domain is its own type, not its base type. A missing column or a type PostgreSQL does not
     * know makes the check an {@link Status#ERROR}. Its id is {@code column_type_<column>}.
     */
    public TableChecks columnType(String column, String type) {
        requireColumns(column);
        if (type == null || type.isBlank()) {
            throw new IllegalArgumentException(table + ": columnType(" + column + "): the type is empty");
        }
        sqlText(table + ": columnType(" + column + ")", type);
        return added(CheckSpec.of(Kind.COLUMN_TYPE, "column_type_" + column, List.of(column)).withText(type.strip()));
    }

    /** A bound as an exact decimal (a double as its shortest text, as {@code 0.1} is written). */
    private static java.math.BigDecimal decimal(String what, Number n) {
        if (n == null) {
            return null;
        }
        if ((n instanceof Double || n instanceof Float) && !Double.isFinite(n.doubleValue())) {
            throw new IllegalArgumentException(what + ": a bound must be a finite number, not " + n);
        }
        try {
            return n instanceof java.math.BigDecimal d ? d : new java.math.BigDecimal(n.toString());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + ": cannot read the bound " + n + " as a number", e);
        }
    }

    /** Fails when the number of rows (after {@link #where}) is outside {@code bounds}. */
    public TableChecks rowCount(Bounds bounds) {
        Objects.requireNonNull(bounds, "bounds");
        return added(CheckSpec.of(Kind.ROW_COUNT, "row_count", List.of()).withBounds(bounds));
    }

    /**
     * Fails when the newest value of the timestamp (or date) {@code column} is older than {@code maxAge}
     * compared with the database's clock when the check runs ({@code statement_timestamp()}, not the start of a
     * caller's transaction), or when there are no rows. A {@code timestamp} (without time zone)
     * column is read as UTC and a {@code date} as midnight UTC, whatever the session's TimeZone (which pgjdbc takes
     * from the JVM). The observed value shows the newest {@code timestamptz} in UTC. Followed by {@link #groupBy}, each
     * group's newest value must be within {@code maxAge} (dbt-utils' recency with {@code group_by_columns}): its failing
     * "rows" are the stale groups.
     */
    public TableChecks freshness(String column, Duration maxAge) {
        requireColumns(column);
        if (maxAge == null || maxAge.isNegative() || maxAge.isZero()) {
            throw new IllegalArgumentException("freshness(" + column + "): maxAge must be positive, was " + maxAge);
        }
        return added(CheckSpec.of(Kind.FRESHNESS, "freshness_" + column, List.of(column)).withMaxAge(maxAge));
    }

    /**
     * Fails for each row where the SQL condition {@code condition} is false (a NULL result passes, as in
     * dbt-utils' expression_is_true). The condition is the caller's SQL, used as written.
     *
     * @param id the check's id in the report
     */
    public TableChecks expression(String id, String condition) {
        requireId(id);
        if (condition == null || condition.isBlank()) {
            throw new IllegalArgumentException("expression(" + id + "): the condition is empty");
        }
        sqlText("expression(" + id + ")", condition);
        return added(CheckSpec.of(Kind.EXPRESSION, id, List.of()).withText(condition));
    }

    /**
     * Fails when this run's row count lies more than {@code k} standard deviations from the mean of the last
     * {@code lastRuns} runs recorded in the suite's {@link QualitySuite#history(String) history} (which it
     * needs). Passes, saying so, while fewer than two earlier runs are recorded. With a standard deviation of 0,
     * any change of the count is an anomaly. The earlier runs are those of the same table, check id and
     * {@link #where} (the same text, or none), as elementary keys a volume anomaly by its {@code where_expression}.
     */
    public TableChecks rowCountAnomaly(double k, int lastRuns) {
        if (!(k > 0) || Double.isInfinite(k)) {
            throw new IllegalArgumentException("rowCountAnomaly: k must be a positive number, was " + k);
        }
        if (lastRuns < 2) {
            throw new IllegalArgumentException("rowCountAnomaly: lastRuns must be >= 2, was " + lastRuns);
        }
        return added(CheckSpec.of(Kind.ROW_COUNT_ANOMALY, "row_count_anomaly", List.of()).withAnomaly(k, lastRuns));
    }

    /**
     * Restricts every check of this table to the rows meeting {@code condition} (the caller's SQL, used as
     * written), e.g. only the rows loaded today. Unlike dbt's per-test {@code where}, it applies to all checks of this
     * {@code table(...)} call, wherever it stands in the chain; give the table again, with other check ids, for checks
     * on other rows.
     *
     * @throws IllegalStateException when this table already has a condition: a second one neither replaces nor
     *     narrows it silently; write both in one ({@code "(a) and (b)"})
     */
    public TableChecks where(String condition) {
        if (condition == null || condition.isBlank()) {
            throw new IllegalArgumentException("where: the condition is empty");
        }
        sqlText("where", condition);
        if (where != null) {
            throw new IllegalStateException(table + ": where(\"" + condition + "\") after where(\"" + where + "\"): a table's"
                    + " checks have one condition; write both in one where(...) (\"(a) and (b)\"), or give the table again"
                    + " with its own checks for other rows");
        }
        this.where = condition;
        return this;
    }

    /** The columns that identify a row in failing samples (default: the table's primary key, if it has one). */
    public TableChecks key(String... columns) {
        requireColumns(columns);
        keyColumns.clear();
        keyColumns.addAll(Arrays.asList(columns));
        return this;
    }

    /** Renames the check added just before (which must have added exactly one). */
    public TableChecks id(String id) {
        requireId(id);
        requireLast("id");
        if (checks.size() - lastFrom != 1) {
            throw new IllegalStateException("id(" + id + "): the previous call added " + (checks.size() - lastFrom)
                    + " checks; give each its own call to name them");
        }
        checks.set(lastFrom, checks.get(lastFrom).withId(id));
        return this;
    }

    /**
     * Sets the severity of the checks added by the call just before; called before any check of this table,
     * sets the default severity of the checks that follow ({@code t.warn().expression("paid", "paid")}).
     */
    public TableChecks severity(Severity severity) {
        Objects.requireNonNull(severity, "severity");
        if (lastFrom < 0) {
            defaultSeverity = severity;
            return this;
        }
        for (int i = lastFrom; i < checks.size(); i++) {
            checks.set(i, checks.get(i).withSeverity(severity));
        }
        return this;
    }

    /** Shorthand for {@code severity(Severity.WARN)}. */
    public TableChecks warn() {
        return severity(Severity.WARN);
    }

    /**
     * Sets the threshold of the checks added by the call just before: both their warn and their error threshold
     * (so the severity alone says whether exceeding it fails or warns); called before any check of this table, sets
     * the default of the checks that follow (which table-level checks ignore).
     *
     * @throws IllegalArgumentException after a table-level check (row count, freshness, row-count anomaly), which has
     *     no failing rows to count
     */
    public TableChecks threshold(Threshold threshold) {
        Objects.requireNonNull(threshold, "threshold");
        if (lastFrom < 0) {
            defaultWarnIf = threshold;
            defaultErrorIf = threshold;
            return this;
        }
        requireRowLevel("threshold");
        for (int i = lastFrom; i < checks.size(); i++) {
            checks.set(i, checks.get(i).withThreshold(threshold));
        }
        return this;
    }

    /**
     * dbt's {@code warn_if}: the checks added by the call just before warn ({@link Status#WARN}) when their failing
     * rows exceed {@code threshold} and their error threshold did not fail them; called before any check of this
     * table, sets the default of the checks that follow. Default {@link Threshold#NONE} (warn at the first failing
     * row). See the class doc for how it combines with {@link #errorIf} and {@link #severity}: as in dbt, under
     * severity ERROR a looser warnIf alone changes nothing, since the error threshold (default {@link Threshold#NONE})
     * fails the check first; loosen {@link #errorIf} too, or use {@link #threshold}.
     *
     * <pre>{@code
     * t.notNull("email").warnIf(Threshold.rows(0)).errorIf(Threshold.percent(5))  // warn from 1 row, fail above 5%
     * }</pre>
     */
    public TableChecks warnIf(Threshold threshold) {
        Objects.requireNonNull(threshold, "warnIf");
        if (lastFrom < 0) {
            defaultWarnIf = threshold;
            return this;
        }
        requireRowLevel("warnIf");
        for (int i = lastFrom; i < checks.size(); i++) {
            checks.set(i, checks.get(i).withWarnIf(threshold));
        }
        return this;
    }

    /**
     * dbt's {@code error_if}: the checks added by the call just before fail ({@link Status#FAIL}) when their failing
     * rows exceed {@code threshold}, unless their severity is {@link Severity#WARN} (then this threshold is never
     * consulted); called before any check of this table, sets the default of the checks that follow. Default
     * {@link Threshold#NONE}. Failing rows within it still warn when they exceed {@link #warnIf}.
     */
    public TableChecks errorIf(Threshold threshold) {
        Objects.requireNonNull(threshold, "errorIf");
        if (lastFrom < 0) {
            defaultErrorIf = threshold;
            return this;
        }
        requireRowLevel("errorIf");
        for (int i = lastFrom; i < checks.size(); i++) {
            checks.set(i, checks.get(i).withErrorIf(threshold));
        }
        return this;
    }

    /**
     * {@link #warnIf(Threshold)} with a dbt condition on the failing rows, as a dbt test's {@code warn_if} config
     * writes it: {@code warnIf(">10")}, {@code warnIf(">=5")}, {@code warnIf("!=0")} (see {@link Threshold#parse}).
     *
     * @throws IllegalArgumentException naming the table, the check(s) and what is wrong with the condition
     */
    public TableChecks warnIf(String condition) {
        return warnIf(parsed("warnIf", condition));
    }

    /**
     * {@link #errorIf(Threshold)} with a dbt condition on the failing rows, as a dbt test's {@code error_if} config
     * writes it: {@code errorIf(">100")} (see {@link Threshold#parse}).
     *
     * @throws IllegalArgumentException naming the table, the check(s) and what is wrong with the condition
     */
    public TableChecks errorIf(String condition) {
        return errorIf(parsed("errorIf", condition));
    }

    /** {@code condition} as a threshold; when it is malformed, the message says where it was given. */
    private Threshold parsed(String what, String condition) {
        Objects.requireNonNull(condition, what);
        try {
            return Threshold.parse(condition);
        } catch (IllegalArgumentException e) {
            String where = lastFrom < 0 ? table + " (default of the checks that follow)"
                    : table + (checks.size() - lastFrom == 1 ? ", check " : ", checks ") + String.join(", ",
                            checks.subList(lastFrom, checks.size()).stream().map(c -> "'" + c.id() + "'").toList());
            throw new IllegalArgumentException(where + ": " + what + " " + e.getMessage(), e);
        }
    }

    TableSpec spec() {
        Set<String> ids = new HashSet<>();
        for (CheckSpec c : checks) {
            if (!ids.add(c.id())) {
                throw new IllegalArgumentException(table + ": two checks with id '" + c.id()
                        + "'; rename one with .id(\"...\")");
            }
        }
        return new TableSpec(table, Optional.ofNullable(where), keyColumns, checks);
    }

    private TableChecks added(CheckSpec spec) {
        lastFrom = checks.size();
        add(spec);
        return this;
    }

    /** Adds a new check with this table's default severity and threshold. */
    private void add(CheckSpec spec) {
        checks.add(spec.withSeverity(defaultSeverity).withWarnIf(defaultWarnIf).withErrorIf(defaultErrorIf));
    }

    private void requireLast(String what) {
        if (lastFrom < 0 || lastFrom >= checks.size()) {
            throw new IllegalStateException(what + "(...) must follow a check, e.g. notNull(\"a\")." + what + "(...)");
        }
    }

    /**
     * Refuses a threshold on a check that has no failing rows to count (row count, freshness, row-count anomaly): it
     * was accepted and never applied, so {@code rowCount(atLeast(1000)).warnIf(rows(10))} still failed at 999 rows.
     */
    private void requireRowLevel(String what) {
        for (int i = lastFrom; i < checks.size(); i++) {
            CheckSpec c = checks.get(i);
            if (!c.rowLevel()) {
                throw new IllegalArgumentException(table + ": " + what + "(...) on check '" + c.id() + "': a " + c.kind().label()
                        + " check passes or fails as a whole, it has no failing rows for a threshold to count; its severity"
                        + " decides FAIL or WARN (.severity(Severity.WARN)), its bounds or age decide when"
                        + (c.kind() == Kind.AT_LEAST_ONE || c.kind() == Kind.NOT_CONSTANT || c.kind() == Kind.EQUAL_ROW_COUNT
                                || c.kind() == Kind.FEWER_ROWS_THAN || c.kind() == Kind.FRESHNESS ? "; grouped by columns (.groupBy(...) before the"
                                        + " threshold) it counts failing groups" : ""));
            }
        }
    }

    private static void requireId(String id) {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("a check id cannot be empty");
        }
        sqlText("check id", id); // stored in the history table
    }

    private static void requireColumns(String... columns) {
        if (columns == null || columns.length == 0) {
            throw new IllegalArgumentException("give at least one column");
        }
        for (String c : columns) {
            Identifiers.check(c);
        }
    }

    /**
     * Refuses text PostgreSQL cannot receive (a NUL character, half a surrogate pair) when it is declared, naming
     * where it was given: in a literal it failed the whole run later, and in the caller's SQL it broke the protocol
     * (the run stopped as if the session were lost).
     */
    private static void sqlText(String where, String text) {
        try {
            Identifiers.literal(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
    }

    private static void checkBound(String column, Object bound) {
        if (bound != null && !(bound instanceof Number)) {
            sqlText("range(" + column + ")", String.valueOf(bound));
        }
        if (bound instanceof Double d && (d.isNaN() || d.isInfinite())
                || bound instanceof Float f && (f.isNaN() || f.isInfinite())) {
            throw new IllegalArgumentException("range(" + column + "): bound " + bound + " is not a finite number");
        }
        if (bound instanceof Number n && !(n instanceof BigDecimal) && !(n instanceof Integer) && !(n instanceof Long)
                && !(n instanceof Short) && !(n instanceof Byte) && !(n instanceof Double) && !(n instanceof Float)
                && !(n instanceof BigInteger)) {
            throw new IllegalArgumentException("range(" + column + "): unsupported number type " + n.getClass().getName());
        }
    }
}
