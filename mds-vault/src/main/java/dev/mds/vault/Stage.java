package dev.mds.vault;

import dev.mds.core.Identifiers;
import dev.mds.core.TableName;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A stage: a source relation plus hash keys, hashdiffs, a load date and a record source, materialised in SQL
 * by {@link Vault#createStage(Stage)}. Immutable: each call returns a new stage.
 *
 * <pre>{@code
 * Stage users = Stage.of("raw.users").into("stg.users")
 *     .hashKey("user_hk", "email")
 *     .hashDiff("user_hashdiff", "name", "age", "title", "occupation")
 *     .recordSource("faker").loadDate("_extracted_at");
 * vault.createStage(users);
 * }</pre>
 *
 * The stage has every source column, the derived columns, the {@code <column>_original} of each null column
 * ({@link #nullColumnsRequired}), {@code load_date} (from the {@link #loadDate} column), {@code record_source} and the
 * hash columns. Defaults: a view ({@link Materialization#VIEW}), record source {@code 'unknown'}, no null columns,
 * null key values {@code '-1'} (required) and {@code '-2'} (optional); a load date column is required.
 */
public final class Stage {
    /** The stage's load date column. */
    public static final String LOAD_DATE = "load_date";
    /** The stage's record source column. */
    public static final String RECORD_SOURCE = "record_source";
    /** PostgreSQL's longest name, in bytes. */
    private static final int MAX_NAME_BYTES = 63;

    /** How a stage is kept in the database. */
    public enum Materialization {
        /** A view: hashes are computed by every reader (as AutomateDV stages usually are). */
        VIEW,
        /** A table: hashes are computed once when the stage is created. */
        TABLE,
        /** An unlogged table: as TABLE, without WAL (lost on a crash; the stage can be recreated). */
        UNLOGGED_TABLE
    }

    /** A column computed by a SQL expression over the source's columns (written by the program, not data). */
    public record Derived(String name, String sql) {
    }

    /**
     * A hash column: a key over {@code columns} in order, or a hashdiff. With {@code excluding}, a hashdiff over every
     * column of the source relation except {@code columns} (see {@link #hashDiffExcluding}), resolved when the stage is
     * created.
     */
    public record Hash(String name, List<String> columns, boolean diff, boolean excluding) {
        /** A hash over {@code columns} themselves. */
        public Hash(String name, List<String> columns, boolean diff) {
            this(name, columns, diff, false);
        }
    }

    /**
     * A business key column whose NULLs the stage replaces (see {@link #nullColumnsRequired}): its name, whether it is
     * required, and the value that replaces NULL.
     */
    public record NullColumn(String name, boolean required, String replacement) {
        /** The suffix of the column holding the value as it came: AutomateDV's {@code _ORIGINAL}, as PostgreSQL folds it. */
        static final String ORIGINAL_SUFFIX = "_original";

        /** The stage's column holding the value as it came: {@code <name>_original}. */
        public String original() {
            return name + ORIGINAL_SUFFIX;
        }
    }

    /** The null columns and their replacement values, as set. */
    private record Nulls(List<String> required, List<String> optional, String requiredValue, String optionalValue) {
        static final Nulls NONE = new Nulls(List.of(), List.of(), "-1", "-2");

        Nulls {
            required = List.copyOf(required);
            optional = List.copyOf(optional);
        }
    }

    private final TableName source;
    private final TableName target;
    private final List<Derived> derived;
    private final List<Hash> hashes;
    private final String recordSource;
    private final boolean recordSourceIsColumn;
    private final String loadDate;
    private final Materialization materialization;
    private final Nulls nulls;

    private Stage(TableName source, TableName target, List<Derived> derived, List<Hash> hashes, String recordSource,
            boolean recordSourceIsColumn, String loadDate, Materialization materialization, Nulls nulls) {
        this.source = source;
        this.target = target;
        this.derived = List.copyOf(derived);
        this.hashes = List.copyOf(hashes);
        this.recordSource = recordSource;
        this.recordSourceIsColumn = recordSourceIsColumn;
        this.loadDate = loadDate;
        this.materialization = materialization;
        this.nulls = nulls;
    }

    /**
     * A stage over the source relation ({@link TableName#parse(String)}); its target defaults to
     * {@code <schema>.stg_<name>}, for a name too long for that (over 59 bytes) {@code stg_}, its first 50 bytes,
     * {@code _} and 8 hex digits of its SHA-256 (see {@link #into} to name it).
     */
    public static Stage of(String source) {
        TableName s = TableName.parse(source);
        String target = "stg_" + s.name();
        if (target.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
            target = "stg_" + Identifiers.cutToBytes(s.name(), 50) + "_" + Identifiers.shortHash(s.name());
        }
        return new Stage(s, s.withName(target), List.of(), List.of(), "unknown", false, null, Materialization.VIEW,
                Nulls.NONE);
    }

    /** The relation the stage is created as. */
    public Stage into(String target) {
        return new Stage(source, TableName.parse(target), derived, hashes, recordSource, recordSourceIsColumn, loadDate,
                materialization, nulls);
    }

    /**
     * A column computed by a SQL expression over the source's columns, e.g. {@code derived("brand_model",
     * "make || model")}. The expression is trusted program text, used as written.
     */
    public Stage derived(String name, String sqlExpression) {
        Identifiers.check(name);
        Objects.requireNonNull(sqlExpression, "sqlExpression");
        if (sqlExpression.isBlank()) {
            throw new IllegalArgumentException(this + ": derived column '" + name + "' has an empty expression");
        }
        List<Derived> more = new ArrayList<>(derived);
        more.add(new Derived(name, sqlExpression));
        return new Stage(source, target, more, hashes, recordSource, recordSourceIsColumn, loadDate, materialization, nulls);
    }

    /** A hash key over the columns, in the given order. */
    public Stage hashKey(String name, String... columns) {
        return withHash(new Hash(name, List.of(columns), false));
    }

    /**
     * A hashdiff over the columns. Under {@link HashStandard#CANONICAL} in the order given: the same columns listed in
     * another order give other hashdiffs, so a satellite loaded before would store one "changed" row per key; keep the
     * order once a satellite holds rows (append new columns at the end, which changes every hashdiff once anyway).
     * Under {@link HashStandard#AUTOMATEDV} sorted by name ignoring case, as AutomateDV's {@code hash} macro sorts a
     * hashdiff's list with Jinja's {@code sort}: the order given does not matter.
     */
    public Stage hashDiff(String name, String... columns) {
        return withHash(new Hash(name, List.of(columns), true));
    }

    /**
     * A hashdiff over every column of the source relation except {@code excluded}, as AutomateDV's
     * {@code hashed_columns: {name: {is_hashdiff: true, exclude_columns: true, columns: [...]}}} hashes: the source's
     * own columns only (not the derived columns, the hash columns, nor the {@code load_date} and {@code record_source}
     * the stage adds; the source's load-date and record-source columns are hashed unless excluded). With no column
     * excluded, every source column. The columns are read from the catalog each time the stage is created ({@link
     * Vault#createStage}, {@link Vault#stageSql}): a column added to the source later is hashed once the stage is
     * created again. Under {@link HashStandard#AUTOMATEDV} they are sorted by name ignoring case, as for {@link
     * #hashDiff}; under {@link HashStandard#CANONICAL} they are in the source's column order. An excluded name that is
     * not a column of the source (names are exact, as PostgreSQL's quoted names), or excluding every column, is refused
     * naming the stage when it is created.
     */
    public Stage hashDiffExcluding(String name, String... excluded) {
        return withHash(new Hash(name, List.of(excluded), true, true));
    }

    private Stage withHash(Hash h) {
        Identifiers.check(h.name());
        if (h.columns().isEmpty() && !h.excluding()) {
            throw new IllegalArgumentException(this + ": hash column '" + h.name() + "' needs at least one column");
        }
        h.columns().forEach(Identifiers::check);
        for (Hash other : hashes) {
            if (other.name().equals(h.name())) {
                throw new IllegalArgumentException(this + ": hash column '" + h.name() + "' is defined twice");
            }
        }
        List<Hash> more = new ArrayList<>(hashes);
        more.add(h);
        return new Stage(source, target, derived, more, recordSource, recordSourceIsColumn, loadDate, materialization, nulls);
    }

    /**
     * Required business key columns whose NULLs the stage replaces with {@link #nullKeyRequired(String) the required
     * value} ({@code '-1'} by default), keeping the value as it came in {@code <column>_original}, as AutomateDV's
     * {@code null_columns: {required: [...]}} does: a hub or link then stores a known "unknown" key instead of skipping
     * the row. See {@link #nullColumnsOptional} for what the stage computes; the two differ only in the value.
     *
     * @throws IllegalArgumentException naming the stage and the column when it is listed twice, or also as optional
     */
    public Stage nullColumnsRequired(String... columns) {
        return withNulls(columns, true);
    }

    /**
     * Optional business key columns whose NULLs the stage replaces with {@link #nullKeyOptional(String) the optional
     * value} ({@code '-2'} by default), as AutomateDV's {@code null_columns: {optional: [...]}} does. Each such column
     * (source or {@link #derived derived}) becomes {@code COALESCE(column, '<value>')} under its own name, in its place,
     * and the stage adds {@code <column>_original} holding the value as it came (NULL where it was NULL), after the
     * source's and derived columns, required columns first. The value is a literal PostgreSQL reads as the column's
     * type, so the column keeps its type ({@code -2} in an integer column); a type that cannot read it (a date, a
     * boolean) is refused when the stage is created, naming the column. As in AutomateDV, derived columns see the value
     * as it came, and hash keys and hashdiffs hash the replaced value ({@code '-2'}), so that a hub's key over a NULL
     * business key is the hash of {@code -2}. The replacement is a modelling choice, not a hashing one: {@link
     * HashStandard#CANONICAL} replaces exactly as {@link HashStandard#AUTOMATEDV} does, and hashes the replaced value by
     * its own rules. Names are exact (PostgreSQL's quoted names); where AutomateDV puts each replaced column and its
     * original last, the replaced column keeps its place here. A name the source (and the derived columns) lacks, or
     * whose {@code <column>_original} is already a column, is refused when the stage is created, naming the stage and
     * the column.
     *
     * @throws IllegalArgumentException naming the stage and the column when it is listed twice, or also as required
     */
    public Stage nullColumnsOptional(String... columns) {
        return withNulls(columns, false);
    }

    /**
     * The value that replaces NULL in the {@link #nullColumnsRequired required} null columns, {@code "-1"} by default:
     * AutomateDV's var {@code null_key_required}.
     */
    public Stage nullKeyRequired(String value) {
        Objects.requireNonNull(value, "nullKeyRequired");
        Identifiers.literal(value);
        return new Stage(source, target, derived, hashes, recordSource, recordSourceIsColumn, loadDate, materialization,
                new Nulls(nulls.required(), nulls.optional(), value, nulls.optionalValue()));
    }

    /**
     * The value that replaces NULL in the {@link #nullColumnsOptional optional} null columns, {@code "-2"} by default:
     * AutomateDV's var {@code null_key_optional}.
     */
    public Stage nullKeyOptional(String value) {
        Objects.requireNonNull(value, "nullKeyOptional");
        Identifiers.literal(value);
        return new Stage(source, target, derived, hashes, recordSource, recordSourceIsColumn, loadDate, materialization,
                new Nulls(nulls.required(), nulls.optional(), nulls.requiredValue(), value));
    }

    private Stage withNulls(String[] columns, boolean required) {
        List<String> req = new ArrayList<>(nulls.required());
        List<String> opt = new ArrayList<>(nulls.optional());
        for (String col : columns) {
            Identifiers.check(col);
            try {
                Identifiers.check(col + NullColumn.ORIGINAL_SUFFIX);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(this + ": null column '" + col + "': its original-value column '" + col
                        + NullColumn.ORIGINAL_SUFFIX + "' would be longer than PostgreSQL's names (63 bytes)", e);
            }
            boolean inRequired = req.contains(col);
            boolean inOptional = opt.contains(col);
            if (inRequired || inOptional) {
                throw new IllegalArgumentException(this + ": null column '" + col + "' is listed "
                        + (inRequired == required ? "twice as " + (required ? "required" : "optional")
                        : "both as required and as optional") + "; a column has one replacement value");
            }
            (required ? req : opt).add(col);
        }
        return new Stage(source, target, derived, hashes, recordSource, recordSourceIsColumn, loadDate, materialization,
                new Nulls(req, opt, nulls.requiredValue(), nulls.optionalValue()));
    }

    /** A constant record source, e.g. {@code "faker"}. */
    public Stage recordSource(String literal) {
        Objects.requireNonNull(literal, "recordSource");
        return new Stage(source, target, derived, hashes, literal, false, loadDate, materialization, nulls);
    }

    /** The record source read from a source column. */
    public Stage recordSourceColumn(String column) {
        Identifiers.check(column);
        return new Stage(source, target, derived, hashes, column, true, loadDate, materialization, nulls);
    }

    /** The source column that holds the load date (timestamp, timestamptz or date). */
    public Stage loadDate(String column) {
        Identifiers.check(column);
        return new Stage(source, target, derived, hashes, recordSource, recordSourceIsColumn, column, materialization, nulls);
    }

    /** How {@link Vault#createStage} creates the stage: a view (default) or a table holding the computed hashes. */
    public Stage materialized(Materialization m) {
        return new Stage(source, target, derived, hashes, recordSource, recordSourceIsColumn, loadDate,
                Objects.requireNonNull(m, "materialization"), nulls);
    }

    /** The raw table the stage reads. */
    public TableName source() {
        return source;
    }

    /** The stage relation {@link Vault#createStage} creates. */
    public TableName target() {
        return target;
    }

    /** The derived columns, in the order they were added. */
    public List<Derived> derivedColumns() {
        return derived;
    }

    /** The hash keys and hashdiffs, in the order they were added. */
    public List<Hash> hashes() {
        return hashes;
    }

    /** The hash column of that name, if the stage defines one. */
    public Optional<Hash> hash(String name) {
        return hashes.stream().filter(h -> h.name().equals(name)).findFirst();
    }

    /**
     * The null columns ({@link #nullColumnsRequired}, {@link #nullColumnsOptional}), required ones first, each in the
     * order given, with their replacement values.
     */
    public List<NullColumn> nullColumns() {
        List<NullColumn> out = new ArrayList<>();
        nulls.required().forEach(c -> out.add(new NullColumn(c, true, nulls.requiredValue())));
        nulls.optional().forEach(c -> out.add(new NullColumn(c, false, nulls.optionalValue())));
        return List.copyOf(out);
    }

    /** The record source: a constant, or the name of the source column holding it. */
    public String recordSource() {
        return recordSource;
    }

    /** Whether {@link #recordSource()} names a source column rather than being a constant. */
    public boolean recordSourceIsColumn() {
        return recordSourceIsColumn;
    }

    /** The source column of the load date; empty until {@link #loadDate(String)}. */
    public Optional<String> loadDateColumn() {
        return Optional.ofNullable(loadDate);
    }

    /** How the stage is created (see {@link #materialized}). */
    public Materialization materialization() {
        return materialization;
    }

    @Override
    public String toString() {
        return "stage " + target + " (from " + source + ")";
    }
}
