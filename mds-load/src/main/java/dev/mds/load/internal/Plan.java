package dev.mds.load.internal;

import dev.mds.core.Field;
import dev.mds.core.FieldType;
import dev.mds.core.FieldType.Kind;
import dev.mds.core.MdsException;
import dev.mds.core.PostgresDialect;
import dev.mds.core.Record;
import dev.mds.core.Schema;
import dev.mds.core.SchemaMismatchException;
import dev.mds.core.TableName;
import dev.mds.load.SchemaChange;
import dev.mds.load.SyncMode;
import java.sql.Types;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.StringJoiner;

/**
 * The columns of one load: the batch's columns with the SQL type each gets in the stage (the target's type when
 * the target has the column, so COPY checks values against it), the key, and which columns are new.
 */
final class Plan {
    static final String RESERVED_PREFIX = "_mds_";

    /** Whether a column name is the loader's own: starting with {@code _mds_}, or {@code _deleted_at} in CDC mode. */
    static boolean reserved(String column, boolean cdc) {
        return column.startsWith(RESERVED_PREFIX) || (cdc && column.equals(LoadStatements.DELETED_AT));
    }
    /** The names of PostgreSQL's system columns, which a table's own columns cannot take. */
    private static final Set<String> SYSTEM_COLUMNS = Set.of("tableoid", "xmin", "cmin", "xmax", "cmax", "ctid");

    final TableName target;
    final Schema schema;
    final List<String> columns;
    final List<String> key;
    final int[] keyIndex;
    final List<String> nonKey;
    final Map<String, String> types;
    /** Catalog type name per batch column ({@code int8}, {@code numeric}, {@code _text}), as the stage has it. */
    final Map<String, String> typeNames;
    /**
     * Catalog type name per batch column with domains resolved ({@link TargetColumn#baseTypeName}): {@code date} for a
     * domain over {@code date}; for telling which columns read text as dates, which values a column takes converted
     * ({@link CanonicalText}), how keys compare, and each column's binary COPY encoding. {@link #typeNames} keeps the
     * domain, as the stage has it.
     */
    final Map<String, String> baseTypeNames;
    final Map<String, Boolean> notNull;
    /** Existing columns with a nondeterministic collation: the collation, qualified and quoted. */
    final Map<String, String> nondeterministic;
    /** Existing columns whose type has no usable equality ({@code json}, {@code xml}): compared as text. */
    final Set<String> comparedAsText;
    final List<String> newColumns;
    final boolean targetExists;
    final boolean cdc;
    /** CDC: batch column positions some event leaves unchanged (staged with a flag column). */
    final BitSet unchanged;
    /**
     * Whether a batch column is an existing {@code generated always as identity} column: an insert of its value needs
     * {@code overriding system value} (the direct COPY into the table stores it without).
     */
    final boolean identityAlways;
    /** Whether the target's load timestamp column is a {@code timestamp} (without time zone), not a {@code timestamptz}. */
    final boolean loadTimestampWithoutZone;
    /** Existing columns to widen before the load ({@code ADD_AND_WIDEN_COLUMNS}): the type each is altered to. */
    final Map<String, String> widened;
    /**
     * CDC: whether the target has a {@code _deleted_at} column, where {@link dev.mds.load.DeleteMode#SOFT} marks rows
     * deleted: a row the upsert writes is live, so it clears the mark under either delete mode (a target loaded with SOFT
     * and then with HARD).
     */
    final boolean markedDeleted;

    private Plan(TableName target, Schema schema, List<String> key, Map<String, String> types,
            Map<String, String> typeNames, Map<String, String> baseTypeNames, Map<String, Boolean> notNull,
            Set<String> comparedAsText,
            Map<String, String> nondeterministic, List<String> newColumns, boolean targetExists, boolean cdc,
            BitSet unchanged, boolean identityAlways, boolean loadTimestampWithoutZone, Map<String, String> widened,
            boolean markedDeleted) {
        this.target = target;
        this.schema = schema;
        this.columns = schema.names();
        this.key = List.copyOf(key);
        this.keyIndex = new int[key.size()];
        for (int i = 0; i < key.size(); i++) {
            keyIndex[i] = schema.indexOf(key.get(i));
        }
        List<String> rest = new ArrayList<>(columns);
        rest.removeAll(key);
        this.nonKey = List.copyOf(rest);
        this.types = types;
        this.typeNames = typeNames;
        this.baseTypeNames = baseTypeNames;
        this.notNull = notNull;
        this.comparedAsText = Set.copyOf(comparedAsText);
        this.nondeterministic = Map.copyOf(nondeterministic);
        this.newColumns = List.copyOf(newColumns);
        this.targetExists = targetExists;
        this.cdc = cdc;
        this.unchanged = unchanged;
        this.identityAlways = identityAlways;
        this.loadTimestampWithoutZone = loadTimestampWithoutZone;
        this.widened = Map.copyOf(widened);
        this.markedDeleted = markedDeleted;
    }

    /**
     * The plan of loading a batch of {@code schema} into {@code target}.
     *
     * @throws SchemaMismatchException for key or cursor columns missing from the batch, reserved or loader-set
     *     columns in it, incompatible types, new columns with {@link SchemaChange#FAIL}, or columns narrower than the
     *     batch's types (see {@link Widening}) unless {@link SchemaChange#ADD_AND_WIDEN_COLUMNS}
     */
    static Plan of(LoadSpec spec, Schema schema, List<String> key, Optional<Map<String, TargetColumn>> target,
            boolean cdc, BitSet unchanged) {
        return of(spec, schema, key, target, cdc, unchanged, List.of());
    }

    /**
     * As {@link #of(LoadSpec, Schema, List, Optional, boolean, BitSet)}, looking at the batch's {@code values}
     * (records in {@code schema}'s order) for columns narrower than the batch's coarser types (see {@link Widening}).
     */
    static Plan of(LoadSpec spec, Schema schema, List<String> key, Optional<Map<String, TargetColumn>> target,
            boolean cdc, BitSet unchanged, Iterable<Record> values) {
        TableName table = spec.target();
        List<String> missing = new ArrayList<>();
        for (String k : key) {
            if (!schema.contains(k)) {
                missing.add(k);
            }
        }
        if (!missing.isEmpty()) {
            throw new SchemaMismatchException(table, missing, "key column(s) " + missing + " missing from the batch's columns "
                    + schema.names());
        }
        spec.cursor().ifPresent(cur -> {
            if (!schema.contains(cur)) {
                throw new SchemaMismatchException(table, List.of(cur), "cursor column '" + cur
                        + "' missing from the batch's columns " + schema.names());
            }
        });
        spec.loadTimestamp().ifPresent(ts -> {
            if (schema.contains(ts)) {
                throw new SchemaMismatchException(table, List.of(ts), "the batch carries column '" + ts
                        + "', which the loader sets itself (loadTimestamp)");
            }
        });
        List<String> reserved = new ArrayList<>();
        for (String name : schema.names()) {
            if (reserved(name, cdc)) {
                reserved.add(name);
            }
        }
        if (!reserved.isEmpty()) {
            throw new SchemaMismatchException(table, reserved, "column names starting with " + RESERVED_PREFIX
                    + " (and _deleted_at in CDC mode) are reserved for the loader's bookkeeping: " + reserved);
        }
        List<String> system = schema.names().stream().filter(SYSTEM_COLUMNS::contains).toList();
        if (!system.isEmpty()) {
            // PostgreSQL would refuse the table's DDL ("conflicts with a system column name"), after the batch was read
            throw new SchemaMismatchException(table, system, "columns " + system + " have the names of PostgreSQL's"
                    + " system columns, which no table can have: rename them in the source (a CSV header, a sheet's"
                    + " header row) or in the batch's schema");
        }
        Map<String, String> types = new LinkedHashMap<>();
        Map<String, String> typeNames = new LinkedHashMap<>();
        Map<String, String> baseTypeNames = new LinkedHashMap<>();
        Map<String, Boolean> notNull = new LinkedHashMap<>();
        Set<String> comparedAsText = new HashSet<>();
        Map<String, String> nondeterministic = new HashMap<>();
        List<String> newColumns = new ArrayList<>();
        List<String> incompatible = new ArrayList<>();
        List<String> why = new ArrayList<>();
        List<Widening> narrower = new ArrayList<>();
        Map<String, Widening> needed = new HashMap<>();
        target.ifPresent(m -> Widening.needed(schema, m, values).forEach(w -> needed.put(w.column(), w)));
        Map<String, String> widened = new LinkedHashMap<>();
        boolean identityAlways = false;
        for (Field f : schema.fields()) {
            TargetColumn tc = target.map(m -> m.get(f.name())).orElse(null);
            if (tc == null) {
                types.put(f.name(), PostgresDialect.INSTANCE.typeName(f.type()));
                typeNames.put(f.name(), catalogName(f.type()));
                baseTypeNames.put(f.name(), catalogName(f.type()));
                notNull.put(f.name(), !cdc && !f.nullable());
                if (target.isPresent()) {
                    newColumns.add(f.name());
                }
            } else {
                if (!compatible(f.type(), tc.baseTypeName())) {   // a domain's values are its base type's
                    incompatible.add(f.name());
                    why.add("'" + f.name() + "' is " + f.type() + " in the batch but " + described(tc) + " in the table");
                }
                Widening w = incompatible.contains(f.name()) ? null : needed.get(f.name());
                if (w != null && spec.schemaChange() == SchemaChange.ADD_AND_WIDEN_COLUMNS
                        && w.check() != Widening.Check.NEVER_WIDENED && !w.domain()) {
                    // the write step alters the column first; the stage carries the wider type already
                    types.put(f.name(), w.widerType());
                    typeNames.put(f.name(), w.widerTypeName());
                    baseTypeNames.put(f.name(), w.widerTypeName());
                    widened.put(f.name(), w.widerType());
                } else {
                    if (w != null && w.check() != Widening.Check.REFUSED) {
                        narrower.add(w);
                    }
                    if (cdc && tc.notNullDomain() && !key.contains(f.name())) {
                        // a CDC stage holds NULLs for deletes and unchanged values: staged as the base type, the
                        // domain (its NOT NULL and CHECKs) is checked where the MERGE writes the column, as a NOT NULL
                        // column's is (RefusedWrites names the record)
                        types.put(f.name(), tc.baseSqlType());
                        typeNames.put(f.name(), tc.baseTypeName());
                    } else {
                        types.put(f.name(), tc.sqlType());
                        typeNames.put(f.name(), tc.typeName());
                    }
                    baseTypeNames.put(f.name(), tc.baseTypeName());
                }
                notNull.put(f.name(), !cdc && tc.notNull());
                if (!tc.equality()) {
                    comparedAsText.add(f.name());
                }
                if (tc.nondeterministicCollation() != null) {
                    nondeterministic.put(f.name(), tc.nondeterministicCollation());
                }
                identityAlways |= tc.identityAlways();
            }
        }
        if (!incompatible.isEmpty()) {
            throw new SchemaMismatchException(table, incompatible, "incompatible column type(s): " + String.join("; ", why));
        }
        if (!narrower.isEmpty()) {
            throw narrower(table, narrower);
        }
        checkWritable(spec, schema, key, target);
        if (!newColumns.isEmpty() && spec.schemaChange() == SchemaChange.FAIL) {
            throw new SchemaMismatchException(table, newColumns, "the batch has column(s) " + newColumns
                    + " that the table lacks; add them yourself or use onSchemaChange(SchemaChange.ADD_COLUMNS)");
        }
        if (cdc) {
            checkPositionColumns(table, target);
        }
        return new Plan(table, schema, key, types, typeNames, baseTypeNames, notNull, comparedAsText, nondeterministic,
                newColumns, target.isPresent(), cdc, unchanged, identityAlways, loadTimestampWithoutZone(spec, target), widened,
                cdc && (spec.deleteMode() == dev.mds.load.DeleteMode.SOFT
                        || target.isPresent() && target.get().containsKey(LoadStatements.DELETED_AT)));
    }

    /**
     * The refusal of columns narrower than the batch's fields, under a policy that does not widen them: storing would
     * round the values (or refuse those that do not fit) without the source having sent anything wrong.
     */
    static SchemaMismatchException narrower(TableName table, List<Widening> narrower) {
        List<String> columns = new ArrayList<>();
        List<String> why = new ArrayList<>();
        List<String> alters = new ArrayList<>();
        List<String> kinds = new ArrayList<>();
        List<String> domains = new ArrayList<>();
        for (Widening w : narrower) {
            columns.add(w.column());
            why.add(w.describe());
            if (w.domain()) {
                domains.add("'" + w.column() + "' a domain over " + w.widerType());
            } else if (w.check() == Widening.Check.NEVER_WIDENED) {
                kinds.add("'" + w.column() + "'");
            } else {
                alters.add("'" + w.column() + "' to " + w.widerType());
            }
        }
        String fix = alters.isEmpty() ? "" : "; widen them yourself or use onSchemaChange(SchemaChange."
                + SchemaChange.ADD_AND_WIDEN_COLUMNS + "), which alters " + String.join(", ", alters) + " before loading";
        if (!kinds.isEmpty()) {
            fix += "; double precision holds integers exactly only up to 2^53 and 15 to 17 significant digits: alter "
                    + String.join(", ", kinds) + " to numeric (or bigint) yourself, no onSchemaChange policy changes a"
                    + " column's kind";
        }
        if (!domains.isEmpty()) {
            fix += "; the loader never alters a domain column, under any onSchemaChange policy (altering its type would"
                    + " drop the domain and its constraints): give " + String.join(", ", domains) + " yourself";
        }
        return new SchemaMismatchException(table, columns, "column(s) narrower than the batch's type, which would round"
                + " its values: " + String.join("; ", why) + fix + "; nothing of this batch was loaded");
    }

    /**
     * Refuses batch columns the load cannot write: a generated column of the target (no statement takes a value
     * for it), and outside APPEND and OVERWRITE (which only COPY) a {@code generated always as identity} column that
     * is not a key column, since the MERGE's update cannot set it: the first load into an empty table (a COPY)
     * would succeed and the next fail.
     */
    private static void checkWritable(LoadSpec spec, Schema schema, List<String> key,
            Optional<Map<String, TargetColumn>> target) {
        boolean merges = spec.mode() == SyncMode.MERGE || spec.mode() == SyncMode.CDC;
        List<String> refused = new ArrayList<>();
        List<String> why = new ArrayList<>();
        for (String name : schema.names()) {
            TargetColumn tc = target.map(m -> m.get(name)).orElse(null);
            if (tc == null) {
                continue;
            }
            if (tc.generated()) {
                refused.add(name);
                why.add("'" + name + "' is a generated column of the table, which takes no value");
            } else if (merges && tc.identityAlways() && !key.contains(name)) {
                refused.add(name);
                why.add("'" + name + "' is 'generated always as identity' and not a key column, so a MERGE cannot update"
                        + " it (make it 'generated by default as identity', or leave it out of the batch)");
            }
        }
        if (!refused.isEmpty()) {
            throw new SchemaMismatchException(spec.target(), refused, "the batch has column(s) the load cannot write: "
                    + String.join("; ", why));
        }
    }

    /**
     * Refuses a CDC target whose position columns exist with another type than {@code bigint} or a domain over it (a
     * table made beforehand with {@code integer} ones): positions are 64-bit, and the COPY straight into the table
     * writes them as {@code bigint}, which such a column cannot take.
     */
    private static void checkPositionColumns(TableName table, Optional<Map<String, TargetColumn>> target) {
        List<String> wrong = new ArrayList<>();
        List<String> why = new ArrayList<>();
        for (String name : List.of(LoadStatements.COMMIT, LoadStatements.CHANGE)) {
            TargetColumn tc = target.map(m -> m.get(name)).orElse(null);
            if (tc != null && !tc.baseTypeName().equals("int8")) {   // a domain over bigint takes a bigint
                wrong.add(name);
                why.add("'" + name + "' is " + described(tc));
            }
        }
        if (!wrong.isEmpty()) {
            throw new SchemaMismatchException(table, wrong, "the CDC position column(s) must be bigint (positions are"
                    + " 64-bit): " + String.join("; ", why) + " in the table");
        }
    }

    /**
     * Whether the target's load timestamp column is a {@code timestamp} (or a domain over it); a column of another
     * type than it or {@code timestamptz} (or a domain over them) is refused: the loader stores the transaction's {@code now()} there, which a {@code date}
     * or {@code text} column cannot take from a binary COPY, and a {@code bigint} one would store as a meaningless
     * number.
     */
    private static boolean loadTimestampWithoutZone(LoadSpec spec, Optional<Map<String, TargetColumn>> target) {
        TableName table = spec.target();
        TargetColumn tc = spec.loadTimestamp().flatMap(ts -> target.map(m -> m.get(ts))).orElse(null);
        // a domain over either takes the value as its base type does, its constraints checked by the write
        if (tc == null || tc.baseTypeName().equals("timestamptz")) {
            return false;
        }
        if (tc.baseTypeName().equals("timestamp")) {
            return true;
        }
        throw new SchemaMismatchException(table, List.of(tc.name()), "the load timestamp column '" + tc.name() + "' is "
                + described(tc) + " in the table; the loader stores the transaction's now() there, so it must be"
                + " timestamp with time zone (or timestamp without time zone)");
    }

    /** A column's type for messages: {@code raw.money (a domain over numeric(12,2))} for a domain. */
    private static String described(TargetColumn tc) {
        return tc.domain() ? tc.sqlType() + " (a domain over " + tc.baseSqlType() + ")" : tc.sqlType();
    }

    /**
     * Whether a batch value of {@code batch} type can go into a column of catalog type {@code typeName} (for a domain,
     * its base type's: the domain's constraints are checked by the COPY, which names the record a value fails).
     */
    static boolean compatible(FieldType batch, String typeName) {
        FieldType column;
        try {
            column = PostgresDialect.INSTANCE.fieldType(Types.OTHER, typeName, 0, 0);
        } catch (MdsException | IllegalArgumentException e) {
            return batch.kind() == Kind.STRING;   // an enum, a range, a type of an extension: the database parses the text
        }
        Kind b = batch.kind();
        Kind t = column.kind();
        if (t == Kind.STRING && CanonicalText.TEXT_COLUMNS.contains(typeName)) {
            return true;   // a text column takes any value as its canonical text (CanonicalText)
        }
        if (b == t) {
            return b != Kind.ARRAY || compatible(batch.elementType(), elementName(typeName));
        }
        if (b == Kind.STRING) {
            return true;   // text from CSV-shaped sources: the database parses it and COPY reports what does not fit
        }
        if (numeric(b) && numeric(t)) {
            return true;   // range and scale are checked by COPY against the column's type
        }
        return b == Kind.JSON && t == Kind.STRING;
    }

    /** The catalog name of the type mds creates for a field type. */
    static String catalogName(FieldType type) {
        return switch (type.kind()) {
            case STRING -> "text";
            case INT -> "int4";
            case LONG -> "int8";
            case DECIMAL -> "numeric";
            case DOUBLE -> "float8";
            case BOOLEAN -> "bool";
            case DATE -> "date";
            case TIME -> "time";
            case TIMESTAMP -> "timestamp";
            case TIMESTAMPTZ -> "timestamptz";
            case JSON -> "jsonb";
            case BYTES -> "bytea";
            case UUID -> "uuid";
            case ARRAY -> "_" + catalogName(type.elementType());
        };
    }

    private static String elementName(String arrayTypeName) {
        return arrayTypeName.startsWith("_") ? arrayTypeName.substring(1) : arrayTypeName;
    }

    private static boolean numeric(Kind k) {
        return k == Kind.INT || k == Kind.LONG || k == Kind.DECIMAL || k == Kind.DOUBLE;
    }

    /**
     * The key of a record as messages (and the dead-letter table's {@code key}) show it ({@code id=7, region=EU}), or
     * null when the plan has no key.
     */
    String keyText(Record r) {
        Object[] values = new Object[keyIndex.length];
        for (int i = 0; i < values.length; i++) {
            values[i] = r.get(keyIndex[i]);
        }
        return keyText(values);
    }

    /**
     * Key values as messages show them, or null when the plan has no key; a value longer than 200 characters as its
     * first 200 and its length ({@link Shown}).
     */
    String keyText(Object[] keyValues) {
        if (key.isEmpty()) {
            return null;
        }
        StringJoiner s = new StringJoiner(", ");
        for (int i = 0; i < keyValues.length; i++) {
            // a bytea key as PostgreSQL prints it (\x0102), not as byte[]'s identity ([B@1b6d3586); infinity as infinity
            s.add(key.get(i) + "=" + (keyValues[i] == null ? "NULL"
                    : keyValues[i] instanceof byte[] b ? Shown.value(CopyText.valueText(b))
                    : Infinity.sign(keyValues[i]) != 0 ? CopyText.valueText(keyValues[i]) : Shown.value(keyValues[i])));
        }
        return s.toString();
    }

}
