package dev.mds.core;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * PostgreSQL 15 and later. Thread-safe and stateless; use {@link #INSTANCE}.
 *
 * <pre>{@code
 * PostgresDialect.INSTANCE.typeName(FieldType.JSON);     // jsonb
 * PostgresDialect.INSTANCE.features(connection);         // throws on PostgreSQL 14 and older
 * }</pre>
 *
 * JSON columns are {@code jsonb}: it has equality, which NULL-safe change detection needs.
 */
public final class PostgresDialect implements Dialect {
    /** The one instance. */
    public static final PostgresDialect INSTANCE = new PostgresDialect();

    /** The oldest major version mds supports ({@code MERGE} arrived in 15). */
    public static final int MINIMUM_MAJOR = 15;

    private PostgresDialect() {
    }

    @Override
    public String typeName(FieldType type) {
        return switch (type.kind()) {
            case STRING -> "text";
            case INT -> "integer";
            case LONG -> "bigint";
            case DECIMAL -> type.precision() == 0 ? "numeric" : "numeric(" + type.precision() + "," + type.scale() + ")";
            case DOUBLE -> "double precision";
            case BOOLEAN -> "boolean";
            case DATE -> "date";
            case TIME -> "time";
            case TIMESTAMP -> "timestamp";
            case TIMESTAMPTZ -> "timestamptz";
            case JSON -> "jsonb";
            case BYTES -> "bytea";
            case UUID -> "uuid";
            case ARRAY -> typeName(type.elementType()) + "[]";
        };
    }

    @Override
    public FieldType fieldType(int jdbcType, String typeName, int precision, int scale) {
        String name = typeName == null ? "" : typeName.toLowerCase(Locale.ROOT).replace("\"", "");
        if (name.startsWith("_")) {
            return FieldType.arrayOf(element(name.substring(1), precision, scale));
        }
        if (name.endsWith("[]")) {
            return FieldType.arrayOf(element(name.substring(0, name.length() - 2), precision, scale));
        }
        switch (name) {
            case "bit":
                // bit is bit(1), a boolean; bit(n) holds n bits, which only text carries ("101")
                if (precision == 1) {
                    return FieldType.BOOLEAN;
                }
                if (precision > 1 || jdbcType == Types.BIT) {
                    return FieldType.STRING;
                }
                break;   // a name without a length (a catalog reader's call): unmapped, as an array of bits is
            case "varbit", "bit varying":
                if (precision > 0) {
                    return FieldType.STRING;
                }
                break;
            case "text", "varchar", "character varying", "bpchar", "character", "char", "name", "citext":
                return FieldType.STRING;
            case "int2", "smallint", "int4", "integer", "int", "serial", "smallserial":
                return FieldType.INT;
            case "int8", "bigint", "bigserial", "oid":
                return FieldType.LONG;
            case "numeric", "decimal":
                // pgjdbc reports precision 131089 (or 0) for a numeric without declared precision; PostgreSQL 15 and
                // later also allow a scale above the precision or below 0 (pgjdbc reports numeric(5,-2)'s as 2046),
                // which no decimal(p,s) describes: such a column holds exact numbers, so it reads as numeric
                return precision > 0 && precision <= 1000 && scale >= 0 && scale <= precision
                        ? FieldType.decimal(precision, scale) : FieldType.DECIMAL;
            case "float4", "real", "float8", "double precision", "float":
                return FieldType.DOUBLE;
            case "bool", "boolean":
                return FieldType.BOOLEAN;
            case "date":
                return FieldType.DATE;
            case "time", "time without time zone":
                return FieldType.TIME;
            case "timetz", "time with time zone":
                // pgjdbc reports it as Types.TIME: read as a zoneless time it would lose its offset
                throw new MdsException("mds has no logical type for database type '" + typeName + "' (a time of day"
                        + " with an offset); cast the column to time (e.g. c AT TIME ZONE 'UTC') or to text");
            case "timestamp", "timestamp without time zone":
                return FieldType.TIMESTAMP;
            case "timestamptz", "timestamp with time zone":
                return FieldType.TIMESTAMPTZ;
            case "json", "jsonb":
                return FieldType.JSON;
            case "bytea":
                return FieldType.BYTES;
            case "uuid":
                return FieldType.UUID;
            default:
                break;
        }
        return switch (jdbcType) {
            case Types.VARCHAR, Types.CHAR, Types.LONGVARCHAR, Types.NVARCHAR, Types.NCHAR, Types.CLOB -> FieldType.STRING;
            case Types.SMALLINT, Types.INTEGER, Types.TINYINT -> FieldType.INT;
            case Types.BIGINT -> FieldType.LONG;
            case Types.NUMERIC, Types.DECIMAL -> FieldType.DECIMAL;
            case Types.REAL, Types.FLOAT, Types.DOUBLE -> FieldType.DOUBLE;
            case Types.BOOLEAN, Types.BIT -> FieldType.BOOLEAN;
            case Types.DATE -> FieldType.DATE;
            case Types.TIME -> FieldType.TIME;
            case Types.TIMESTAMP -> FieldType.TIMESTAMP;
            case Types.TIMESTAMP_WITH_TIMEZONE -> FieldType.TIMESTAMPTZ;
            case Types.BINARY, Types.VARBINARY, Types.LONGVARBINARY, Types.BLOB -> FieldType.BYTES;
            default -> throw new MdsException("mds has no logical type for database type '" + typeName
                    + "' (JDBC type " + jdbcType + "); cast the column to text, numeric or another supported type");
        };
    }

    /**
     * The element type of an array column. JDBC reports the element's precision and scale for an array, which only
     * a numeric element keeps (numeric(12,2)[]); an array of bit(n) stays unmapped, as pgjdbc reads its elements as
     * booleans.
     */
    private FieldType element(String name, int precision, int scale) {
        boolean numeric = name.equals("numeric") || name.equals("decimal");
        return fieldType(Types.OTHER, name, numeric ? precision : 0, numeric ? scale : 0);
    }

    @Override
    public ServerVersion serverVersion(Connection connection) {
        try {
            DatabaseMetaData meta = connection.getMetaData();
            return new ServerVersion(meta.getDatabaseMajorVersion(), meta.getDatabaseMinorVersion());
        } catch (SQLException e) {
            throw new MdsException("cannot read the server version: " + e.getMessage(), e);
        }
    }

    @Override
    public Features features(Connection connection) {
        ServerVersion v = serverVersion(connection);
        return features(v);
    }

    /**
     * The features of a given version.
     *
     * @throws MdsException for versions before 15
     */
    public Features features(ServerVersion v) {
        if (!v.atLeast(MINIMUM_MAJOR)) {
            throw new MdsException("PostgreSQL " + v + " is too old for mds: it needs PostgreSQL " + MINIMUM_MAJOR
                    + " or later (MERGE arrived in 15; MERGE ... RETURNING merge_action() in 17)");
        }
        return new Features(v, true, v.atLeast(17));
    }

    @Override
    public Optional<Schema> readSchema(Connection connection, TableName table) {
        List<Field> fields = readFields(connection, table, column -> true);
        if (fields.isEmpty() && !exists(connection, table)) {
            return Optional.empty();
        }
        return Optional.of(Schema.of(fields));
    }

    /**
     * Whether the schema exists. Code that creates a missing schema asks first: PostgreSQL checks
     * {@code create schema if not exists} against the role's CREATE privilege on the database before it looks for
     * the schema, so a role that may create tables in an existing schema but no schemas is refused by it.
     * {@code pg_temp}, which names the session's own temporary schema (as for {@link #relationOid}), always exists:
     * PostgreSQL makes it with the first table created in it, and {@code create schema "pg_temp"} is refused (the
     * {@code pg_} prefix is reserved).
     *
     * @throws IllegalArgumentException when no schema can have the name ({@link Identifiers#check}: empty, a NUL
     *     character, half of a surrogate pair, over 63 bytes), before any statement runs
     * @throws MdsException naming the query when it fails
     */
    public boolean schemaExists(Connection connection, String schema) {
        Identifiers.check(schema);
        if (schema.equals("pg_temp")) {
            return true;
        }
        String sql = "select exists (select 1 from pg_catalog.pg_namespace where nspname = ?)";
        long t0 = System.nanoTime();
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                Sql.logged(sql, t0);
                rs.next();
                return rs.getBoolean(1);
            }
        } catch (SQLException e) {
            throw Sql.failed(sql, e);
        }
    }

    /**
     * Creates {@code schema} when it is missing, on the caller's connection and in its transaction (in auto-commit
     * mode, in a transaction of its own), and says whether this call created it. Every mds module creates a missing
     * schema through it. {@code create schema if not exists} alone fails when another session creates the same
     * schema at the same moment (it waits for the other's uncommitted schema, then fails on pg_namespace's unique
     * index), so creators take turns on one transaction-level advisory lock of the schema's name and look for it
     * again once they hold it; a program that is not mds creating it meanwhile is found after its commit. It asks
     * first without the lock: PostgreSQL checks {@code create schema if not exists}
     * against the role's CREATE privilege on the database even when the schema is there. In a REPEATABLE READ or
     * SERIALIZABLE transaction whose snapshot is older than another session's new schema, the create still fails.
     *
     * @throws IllegalArgumentException when no schema can have the name, before any statement runs (as
     *     {@link #schemaExists})
     * @throws MdsException naming the statement that failed
     */
    public boolean createSchemaIfMissing(Connection connection, String schema) {
        if (schemaExists(connection, schema)) {
            return false;
        }
        try {
            return connection.getAutoCommit() ? Sql.transaction(connection, tx -> createLocked(tx, schema))
                    : createLocked(connection, schema);
        } catch (SQLException e) {
            throw new MdsException("cannot create schema " + Identifiers.quote(schema) + ": " + e.getMessage(), e);
        }
    }

    /**
     * The statements {@link #createSchemaIfMissing} runs for a missing schema: the lock that makes creators take
     * turns, then the create (between them, it looks for the schema again).
     */
    public List<String> createSchemaSql(String schema) {
        return List.of(schemaLockSql(schema), "create schema if not exists " + Identifiers.quote(schema));
    }

    /**
     * Under the lock, creates the schema unless it is there now. The create runs in a savepoint: a session that is
     * not mds (it took no lock) may have created the schema meanwhile and committed, which fails the create on the
     * catalog's unique index; the schema is then there. (Inside a caller's transaction, that transaction's later
     * statements may still not find it: the failed look-up stays in the session's catalog cache until it next
     * reads invalidations. In auto-commit mode the caller's next statements are transactions of their own.)
     */
    private boolean createLocked(Connection connection, String schema) throws SQLException {
        List<String> sql = createSchemaSql(schema);
        Sql.execute(connection, sql.get(0));
        if (schemaExists(connection, schema)) {
            return false;
        }
        Savepoint savepoint = connection.setSavepoint();
        try {
            Sql.execute(connection, sql.get(1));
            connection.releaseSavepoint(savepoint);
            return true;
        } catch (MdsException e) {
            if (!(e.getCause() instanceof SQLException s) || !"23505".equals(s.getSQLState())) {
                throw e;
            }
            connection.rollback(savepoint);
            if (!schemaExists(connection, schema)) {   // read afresh: the create's own look-up can stay stale
                throw e;
            }
            return false;
        }
    }

    private static String schemaLockSql(String schema) {
        return "select pg_advisory_xact_lock(hashtextextended(" + Identifiers.literal("mds.schema " + Identifiers.quote(schema))
                + ", 0))";
    }

    private boolean exists(Connection connection, TableName table) {
        String sql = "select " + relationOid(table) + " is not null";
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rs.next() && rs.getBoolean(1);
        } catch (SQLException e) {
            throw new MdsException("cannot read whether " + table + " exists: " + e.getMessage(), e);
        }
    }

    /**
     * The named columns of {@code table}, in the order given; unlike {@link #readSchema}, the table's other columns
     * may have types mds cannot map.
     *
     * @throws MdsException when the table lacks one of them, or does not exist (saying so)
     */
    public Schema readSchema(Connection connection, TableName table, List<String> columns) {
        Map<String, Field> found = new HashMap<>();
        for (Field f : readFields(connection, table, columns::contains)) {
            found.put(f.name(), f);
        }
        List<Field> fields = new ArrayList<>();
        for (String column : columns) {
            Field f = found.get(column);
            if (f == null) {
                if (found.isEmpty() && !exists(connection, table)) {
                    throw new MdsException("table " + table + " does not exist");   // rather than that it lacks a column
                }
                throw new MdsException("table " + table + " has no column '" + column + "'");
            }
            fields.add(f);
        }
        return Schema.of(fields);
    }

    private List<Field> readFields(Connection connection, TableName table, Predicate<String> wanted) {
        List<Field> fields = new ArrayList<>();
        try {
            DatabaseMetaData meta = connection.getMetaData();
            Map<String, DomainType> domains = null;
            Map<String, FieldType> arrays = null;
            boolean generatedOrIdentity = false;
            String schema = table.schema().equals("pg_temp") ? temporarySchema(connection) : table.schema();
            try (ResultSet rs = meta.getColumns(null, escape(schema, meta), escape(table.name(), meta), null)) {
                while (rs.next()) {
                    String column = rs.getString("COLUMN_NAME");
                    if (!wanted.test(column)) {
                        continue;
                    }
                    int jdbcType = rs.getInt("DATA_TYPE");
                    String typeName = rs.getString("TYPE_NAME");
                    int precision = rs.getInt("COLUMN_SIZE");
                    int scale = rs.getInt("DECIMAL_DIGITS");
                    boolean nullable = rs.getInt("NULLABLE") != DatabaseMetaData.columnNoNulls;
                    FieldType type;
                    if (jdbcType == Types.DISTINCT) {
                        // a domain: pgjdbc names the domain, not its base type
                        if (domains == null) {
                            domains = domainBaseTypes(connection, table);
                        }
                        DomainType domain = domains.get(column);
                        type = domain != null ? domain.type(typeName) : fieldType(jdbcType, typeName, precision, scale);
                    } else if (jdbcType == Types.ARRAY) {
                        // an array of an enum, a domain or a composite: pgjdbc names the element type only, and a
                        // user's type on the search_path by its bare name (public.date[] as _date), so these are
                        // looked up in the catalog before the name is taken for a built-in type's
                        if (arrays == null) {
                            arrays = userArrayElements(connection, table);
                        }
                        if (arrays.containsKey(column)) {
                            FieldType element = arrays.get(column);
                            if (element == null) {
                                throw noLogicalType(typeName, "an array of a composite, range or other type mds has none for");
                            }
                            type = FieldType.arrayOf(element);
                        } else {
                            type = fieldType(jdbcType, typeName, precision, scale);
                        }
                    } else if (jdbcType == Types.VARCHAR) {
                        // text, varchar and name; and an enum, which pgjdbc reports as VARCHAR under its bare name when
                        // on the search_path: an enum public.date is no date
                        type = FieldType.STRING;
                    } else if (jdbcType == Types.STRUCT) {
                        // a composite type, whatever its name (a composite public.uuid is no uuid)
                        throw noLogicalType(typeName, "a composite type");
                    } else {
                        type = fieldType(jdbcType, typeName, precision, scale);
                    }
                    fields.add(new Field(column, type, nullable));
                    // pgjdbc says YES for identity, serial and generated columns, without telling which
                    generatedOrIdentity |= "YES".equals(rs.getString("IS_AUTOINCREMENT"))
                            || "YES".equals(rs.getString("IS_GENERATEDCOLUMN"));
                }
            }
            if (generatedOrIdentity) {
                Map<String, Field.Generation> generations = generations(connection, table);
                fields.replaceAll(f -> new Field(f.name(), f.type(), f.nullable(),
                        generations.getOrDefault(f.name(), Field.Generation.NONE)));
            }
        } catch (SQLException e) {
            throw new MdsException("cannot read the columns of " + table + ": " + e.getMessage(), e);
        }
        return fields;
    }

    private static MdsException noLogicalType(String typeName, String what) {
        return new MdsException("mds has no logical type for database type '" + typeName + "' (" + what + "); cast the"
                + " column to text, numeric or another supported type");
    }

    /** The logical type of a domain column, or why it has none (its base type's refusal). */
    private record DomainType(FieldType type, String refusal) {
        FieldType type(String domain) {
            if (type == null) {
                throw new MdsException(refusal + " (the base type of domain " + domain + ")");
            }
            return type;
        }
    }

    /** How the database fills {@code table}'s identity and generated columns, by column; the others are absent. */
    private Map<String, Field.Generation> generations(Connection connection, TableName table) throws SQLException {
        String sql = "select a.attname, a.attidentity::text, a.attgenerated::text from pg_catalog.pg_attribute a"
                + " where a.attrelid = " + relationOid(table) + " and a.attnum > 0 and not a.attisdropped"
                + " and (a.attidentity <> '' or a.attgenerated <> '')";
        long t0 = System.nanoTime();
        Map<String, Field.Generation> generations = new HashMap<>();
        try (PreparedStatement ps = connection.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            Sql.logged(sql, t0);
            while (rs.next()) {
                String identity = rs.getString(2);
                // attgenerated: 's' stored; PostgreSQL 18 adds 'v' virtual, which takes no value either
                generations.put(rs.getString(1), !rs.getString(3).isEmpty() ? Field.Generation.EXPRESSION
                        : "a".equals(identity) ? Field.Generation.IDENTITY_ALWAYS : Field.Generation.IDENTITY_BY_DEFAULT);
            }
        }
        return generations;
    }

    /** The name of this session's temporary schema ({@code pg_temp_3}), which {@code pg_temp} stands for. */
    private static String temporarySchema(Connection connection) throws SQLException {
        try (Statement st = connection.createStatement();
             ResultSet rs = st.executeQuery("select nspname from pg_catalog.pg_namespace where oid = pg_my_temp_schema()")) {
            return rs.next() ? rs.getString(1) : "pg_temp";
        }
    }

    /**
     * The element types of {@code table}'s array columns whose element is a user's type rather than a built-in one:
     * an enum (a string), a domain (its base type through domains over domains, with the type modifier the nearest
     * domain that has one gives it), or a composite (null: mds has no type for it). Told by the catalog's type kind,
     * not the name, which may be a built-in type's (an enum {@code public.date}).
     */
    private Map<String, FieldType> userArrayElements(Connection connection, TableName table) throws SQLException {
        String sql = "with recursive chain as (select a.attname, e.oid, e.typtype, e.typbasetype, e.typtypmod as typmod"
                + " from pg_catalog.pg_attribute a join pg_catalog.pg_type t on t.oid = a.atttypid"
                + " join pg_catalog.pg_type e on e.oid = t.typelem"
                + " where a.attrelid = " + relationOid(table) + " and a.attnum > 0 and not a.attisdropped"
                + " and t.typcategory = 'A' and e.typtype in ('e', 'd', 'c')"
                + " union all select c.attname, b.oid, b.typtype, b.typbasetype,"
                + " case when c.typmod <> -1 then c.typmod else b.typtypmod end"
                + " from chain c join pg_catalog.pg_type b on b.oid = c.typbasetype where c.typtype = 'd')"
                + " select c.attname, c.typtype, t.typname, c.typmod from chain c join pg_catalog.pg_type t on t.oid = c.oid"
                + " where c.typtype <> 'd'";
        Map<String, FieldType> types = new HashMap<>();
        try (PreparedStatement ps = connection.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                String base = rs.getString(3);
                FieldType element;
                String kind = rs.getString(2);
                if ("e".equals(kind)) {
                    element = FieldType.STRING;
                } else if (!"b".equals(kind)) {
                    element = null;   // a composite or range, whatever its name
                } else if ("numeric".equals(base)) {
                    element = numericType(rs.getInt(4));
                } else {
                    try {
                        element = fieldType(Types.OTHER, base, 0, 0);
                    } catch (MdsException e) {
                        element = null;
                    }
                }
                types.put(rs.getString(1), element);
            }
        }
        return types;
    }

    /**
     * The logical types of {@code table}'s columns whose type is a domain, from the domain's base type (through
     * domains over domains) and the type modifier the domain gives it ({@code create domain money2 as numeric(12,2)});
     * a string over an enum, none over a composite or range (told by the type's kind rather than its name). A base
     * type mds has no type for fails only the reading of its own column ({@link DomainType#type}), so that
     * {@link #readSchema(Connection, TableName, List)} reads the other columns.
     */
    private Map<String, DomainType> domainBaseTypes(Connection connection, TableName table) throws SQLException {
        String sql = "with recursive chain as (select a.attname, t.oid, t.typtype, t.typbasetype, t.typtypmod as typmod"
                + " from pg_catalog.pg_attribute a join pg_catalog.pg_type t on t.oid = a.atttypid"
                + " where a.attrelid = " + relationOid(table) + " and a.attnum > 0 and not a.attisdropped"
                + " and t.typtype = 'd'"
                + " union all select c.attname, b.oid, b.typtype, b.typbasetype,"
                + " case when c.typmod <> -1 then c.typmod else b.typtypmod end"
                + " from chain c join pg_catalog.pg_type b on b.oid = c.typbasetype where c.typtype = 'd')"
                + " select attname, t.typname, c.typtype, typmod, e.typtype"
                + " from chain c join pg_catalog.pg_type t on t.oid = c.oid"
                + " left join pg_catalog.pg_type e on e.oid = t.typelem and t.typcategory = 'A'"
                + " where c.typtype <> 'd'";
        Map<String, DomainType> types = new HashMap<>();
        try (PreparedStatement ps = connection.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                String base = rs.getString(2);
                String kind = rs.getString(3);
                int typmod = rs.getInt(4);
                String elementKind = rs.getString(5);   // of an array base type: its element's kind
                FieldType type;
                if ("e".equals(kind)) {
                    type = FieldType.STRING;   // an enum, whatever its name (an enum public.date is no date)
                } else if (!"b".equals(kind)) {
                    type = null;               // a composite or range: mds has no type for it, whatever its name
                } else if ("e".equals(elementKind)) {
                    type = FieldType.arrayOf(FieldType.STRING);   // an array of an enum, whatever its name (_date)
                } else if ("c".equals(elementKind) || "r".equals(elementKind) || "m".equals(elementKind)) {
                    type = null;               // an array of a composite or range, whatever its name
                } else if (base.equals("numeric")) {
                    type = numericType(typmod);
                } else if (base.equals("_numeric")) {
                    type = FieldType.arrayOf(numericType(typmod));
                } else {
                    // varbit without a length: any
                    int precision = (base.equals("bit") || base.equals("varbit")) ? (typmod > 0 ? typmod : Integer.MAX_VALUE) : 0;
                    try {
                        type = fieldType(Types.OTHER, base, precision, 0);
                    } catch (MdsException e) {
                        types.put(rs.getString(1), new DomainType(null, e.getMessage()));
                        continue;
                    }
                }
                types.put(rs.getString(1), new DomainType(type, type != null ? null : "mds has no logical type for"
                        + " database type '" + base + "' (a composite, range or other type); cast the column to text,"
                        + " numeric or another supported type"));
            }
        }
        return types;
    }

    /**
     * The logical type of a numeric column from its type modifier ({@code pg_attribute.atttypmod}): decimal(p,s), or
     * numeric when it declares none (-1) or a scale no decimal(p,s) holds (PostgreSQL 15 and later allow
     * numeric(5,-2) and numeric(2,5); the scale is an 11-bit signed number).
     */
    public FieldType numericType(int typmod) {
        if (typmod < 4) {
            return FieldType.DECIMAL;
        }
        int precision = ((typmod - 4) >> 16) & 0xffff;
        int scale = (((typmod - 4) & 0x7ff) ^ 1024) - 1024;
        return fieldType(Types.NUMERIC, "numeric", precision, scale);
    }

    /** The most digits after the point a PostgreSQL numeric holds (NUMERIC_DSCALE_MAX). */
    public static final int NUMERIC_MAX_SCALE = 16383;
    /** The most digits before the point a PostgreSQL numeric holds ((NUMERIC_WEIGHT_MAX + 1) groups of 4). */
    public static final int NUMERIC_MAX_DIGITS = 131072;

    /**
     * Whether PostgreSQL's numeric input refuses {@code d} as written ('value overflows numeric format'): more than
     * {@link #NUMERIC_MAX_SCALE} digits after the point (as written: {@code 0e-20000} overflows too), or more than
     * {@link #NUMERIC_MAX_DIGITS} before it.
     */
    public boolean beyondNumeric(BigDecimal d) {
        return d.scale() > NUMERIC_MAX_SCALE || d.signum() != 0 && (long) d.precision() - d.scale() > NUMERIC_MAX_DIGITS;
    }

    /**
     * SQL for the oid of {@code table}, or NULL when there is no such table, read from {@code pg_class} under the
     * statement's snapshot. A table is what holds rows under the name: a table, a partitioned table, a view, a
     * materialized view or a foreign table; an index, a sequence, a composite type or a TOAST table of the name is
     * none (their {@code pg_attribute} rows are no table's columns). {@code to_regclass} instead answers from the
     * session's catalog cache, which can keep "no such table" after another transaction created the table and
     * committed (the session reads such invalidations when it next takes a relation lock it does not hold yet): a
     * loader that looked for its target, then took the target's lock after another loader had created it, would
     * create it again and fail.
     */
    public String relationOid(TableName table) {
        return oid(table, " and c.relkind in ('r', 'p', 'v', 'm', 'f')");
    }

    /**
     * As {@link #relationOid}, but any {@code pg_class} entry of the name: an index, a sequence or a composite type
     * too. For telling what a name is ({@code select relkind ... where oid = ...}), not for reading a table.
     */
    public String anyRelationOid(TableName table) {
        return oid(table, "");
    }

    private static String oid(TableName table, String kinds) {
        // pg_temp names the session's own temporary schema, as it does for to_regclass
        String schema = table.schema().equals("pg_temp") ? "c.relnamespace = pg_catalog.pg_my_temp_schema()"
                : "c.relnamespace = (select n.oid from pg_catalog.pg_namespace n where n.nspname = "
                        + Identifiers.literal(table.schema()) + ")";
        return "(select c.oid from pg_catalog.pg_class c where " + schema + " and c.relname = "
                + Identifiers.literal(table.name()) + kinds + ")";
    }

    /** A unique index a table enforces at every statement: its name and its key columns, in index order. */
    public record UniqueKey(String index, List<String> columns) {
        public UniqueKey {
            columns = List.copyOf(columns);
        }
    }

    /**
     * The valid, immediate (not deferrable), non-partial unique indexes of {@code table} on plain columns, the
     * primary key among them: the keys it enforces at every statement, with the equality a query on those columns
     * uses. A deferrable one is left out, as inside a transaction it may be violated until commit; so is one whose
     * column has another collation or a non-default operator class than the column's own (a unique index on
     * {@code code collate "C"} lets {@code 'ABC'} and {@code 'abc'} both in, which a case-insensitive column's
     * {@code GROUP BY} or join takes for one key). Empty when it has none or does not exist.
     */
    public List<UniqueKey> uniqueKeys(Connection connection, TableName table) throws SQLException {
        String sql = "select i.indexrelid::regclass::text, array(select a.attname::text from generate_series(0, i.indnkeyatts - 1) k"
                + " join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[k] order by k)"
                + " from pg_catalog.pg_index i where i.indrelid = " + relationOid(table)
                + " and i.indisunique and i.indimmediate and i.indisvalid and i.indpred is null and i.indexprs is null"
                + " and 0 <> all(i.indkey::int2[])"
                + " and not exists (select from generate_series(0, i.indnkeyatts - 1) k"
                + " join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[k]"
                + " join pg_catalog.pg_opclass o on o.oid = i.indclass[k]"
                + " where i.indcollation[k] <> a.attcollation or not o.opcdefault)";
        List<UniqueKey> keys = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                keys.add(new UniqueKey(rs.getString(1), List.of((String[]) rs.getArray(2).getArray())));
            }
        }
        return List.copyOf(keys);
    }

    /**
     * The columns of {@code table}'s primary key, in key order (from {@code pg_index}, cheaper than JDBC's
     * {@code getPrimaryKeys}); empty when it has none or does not exist. The columns the key's index only
     * {@code INCLUDE}s are no part of it.
     */
    public List<String> primaryKey(Connection connection, TableName table) throws SQLException {
        String sql = "select a.attname from pg_catalog.pg_index i, generate_series(0, i.indnkeyatts - 1) k"
                + " join pg_catalog.pg_attribute a on true where a.attrelid = i.indrelid and a.attnum = i.indkey[k]"
                + " and i.indrelid = " + relationOid(table) + " and i.indisprimary order by k";
        List<String> key = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    key.add(rs.getString(1));
                }
            }
        }
        return List.copyOf(key);
    }

    private static String escape(String pattern, DatabaseMetaData meta) throws SQLException {
        String esc = meta.getSearchStringEscape();
        return pattern.replace(esc, esc + esc).replace("_", esc + "_").replace("%", esc + "%");
    }
}
