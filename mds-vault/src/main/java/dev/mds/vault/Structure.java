package dev.mds.vault;

import dev.mds.core.FieldType;
import dev.mds.core.Identifiers;
import dev.mds.core.MdsException;
import dev.mds.core.PostgresDialect;
import dev.mds.core.SchemaMismatchException;
import dev.mds.core.TableName;
import dev.mds.vault.internal.Jdbc;
import dev.mds.vault.internal.Relation;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.StringJoiner;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What every vault structure shares: its table, its name in messages, the settings it checks before any use, and
 * the way its DDL and load statements are built on one connection, shown by {@link #sql()} and run by
 * {@link #load()}. A subclass says what is missing, what its table looks like, which statements load it and how
 * their row count is read.
 */
abstract sealed class Structure permits Hub, Link, TransactionalLink, Satellite, MultiActiveSatellite, EffectivitySatellite, Pit {
    final Vault vault;
    final TableName table;
    private final String kind;

    Structure(Vault vault, TableName table, String kind) {
        this.vault = vault;
        this.table = table;
        this.kind = kind;
    }

    /** The structure in messages, e.g. {@code hub dds.hub_users}. */
    final String name() {
        return kind + " " + table;
    }

    /** The structure and a stage it reads, in messages, e.g. {@code hub dds.hub_users from stage stg.users (from raw.users)}. */
    final String nameFrom(Stage stage) {
        return name() + " from " + stage;
    }

    /**
     * The one stage of a structure that loads from one: {@code stage}, when {@code current} (the stage set so far) is
     * {@code null}.
     *
     * @throws NullPointerException when {@code stage} is {@code null}
     * @throws IllegalStateException when a stage is set already, naming both (see {@link #sourceTwice})
     */
    final Stage onlyStage(Stage current, Stage stage) {
        Objects.requireNonNull(stage, "stage");
        if (current != null) {
            throw new IllegalStateException(sourceTwice(current, stage));
        }
        return stage;
    }

    /**
     * The message refusing a second stage for a structure that loads from one: names the structure, both stages and
     * how to load several sources.
     */
    private String sourceTwice(Stage first, Stage second) {
        String article = "aeiou".indexOf(kind.charAt(0)) >= 0 ? "an " : "a ";
        return name() + ": from(" + second + ") after from(" + first + "): " + article + kind + " loads from one stage, and a"
                + " second one would neither replace the first nor be added to it; to load several sources, union them"
                + " in one stage (Stage.of over a view that unions them) and call from once";
    }

    /**
     * Adds the stages of a {@code from(Stage...)} to {@code into}: all of them, or none when one is null (refused
     * naming the argument's position).
     */
    static void addStages(List<Stage> into, Stage... stages) {
        Objects.requireNonNull(stages, "stages");
        for (int i = 0; i < stages.length; i++) {
            Objects.requireNonNull(stages[i], "stage " + (i + 1) + " of from(...) is null");
        }
        into.addAll(List.of(stages));
    }

    /**
     * Adds the columns of a setter to {@code into} in order, each checked by {@link Identifiers#check} as it comes (so
     * the columns before one refused are added).
     */
    static void addColumns(List<String> into, String... columns) {
        for (String c : columns) {
            into.add(Identifiers.check(c));
        }
    }

    /** Adds the names of the settings not made yet (e.g. {@code hashKey}, {@code from}). */
    abstract void missingSettings(List<String> missing);

    /**
     * Refuses, once every setting is made, a combination of them a structure cannot hold, with a message naming the
     * settings (none by default; checked before any statement, and before the generic "stored twice" check).
     *
     * @throws IllegalArgumentException naming the structure and the settings
     */
    void checkCombinations() {
    }

    /**
     * Adds the DDL of the columns every table loaded from stages stores after its own: the load date, of the type
     * {@code stage} has (a stage without one is named with {@code where}), and the record source, both NOT NULL.
     */
    static void addMetadataDdl(StringJoiner cols, Relation stage, String where) {
        cols.add(Identifiers.quote(Stage.LOAD_DATE) + " " + stageLoadDateType(where, stage) + " NOT NULL");
        cols.add(Identifiers.quote(Stage.RECORD_SOURCE) + " text NOT NULL");
    }

    /**
     * The SQL type of a stage's {@code load_date}, which must be a date, timestamp or timestamptz (or a domain over
     * one): every structure orders and compares load dates, and as text they go by their characters
     * ({@code '1/10/2024'} before {@code '1/9/2024'}). {@code createStage} refuses such a column of a stage mds builds;
     * this refuses it in a stage view mds did not build (by hand, or AutomateDV's), and in the hub and satellites a PIT
     * reads (tables made by hand, or by AutomateDV from such a stage).
     *
     * @throws MdsException naming {@code where}, the stage, the column and its type
     */
    static String stageLoadDateType(String where, Relation stage) {
        Relation.Column col = stage.require(where, Stage.LOAD_DATE);
        FieldType.Kind kind = col.type().map(FieldType::kind).orElse(null);
        if (kind != FieldType.Kind.DATE && kind != FieldType.Kind.TIMESTAMP && kind != FieldType.Kind.TIMESTAMPTZ) {
            throw new MdsException(where + ": column '" + Stage.LOAD_DATE + "' of " + stage.name() + " is " + col.sqlType()
                    + ", but a load date must be a date, timestamp or timestamptz (load dates are ordered and compared,"
                    + " and as text '1/10/2024' comes before '1/9/2024'); cast it in the stage (a table that holds text"
                    + " load dates: alter its column to a date type)");
        }
        return col.sqlType();
    }

    /**
     * The SQL type of an effective-from column (a stage's, or a table's {@code effective_from}), which must be a date,
     * timestamp or timestamptz (or a domain over one): a satellite and a multi-active satellite keep, of a key's rows
     * of one load date, the one with the latest effective-from, and a transactional link breaks ties by it; as text,
     * {@code '2024-01-01 9:00'} comes after {@code '2024-01-01 10:00'}. An effectivity satellite refuses it likewise.
     *
     * @throws MdsException naming {@code where}, the relation, the column and its type
     */
    static String effectiveFromType(String where, Relation relation, String column) {
        Relation.Column col = relation.require(where, column);
        FieldType.Kind kind = col.type().map(FieldType::kind).orElse(null);
        if (kind != FieldType.Kind.DATE && kind != FieldType.Kind.TIMESTAMP && kind != FieldType.Kind.TIMESTAMPTZ) {
            throw new MdsException(where + ": effective-from column '" + column + "' of " + relation.name() + " is "
                    + col.sqlType() + ", but it must be a date, timestamp or timestamptz (rows are ordered by it, and as"
                    + " text '2024-01-01 9:00' comes after '2024-01-01 10:00'); cast it in a derived column of the stage");
        }
        return col.sqlType();
    }

    /** The DDL of the table, read from the columns of the stages or tables it is built from. */
    abstract List<String> tableDdl(Connection c);

    /** The load statements, after checking the columns they use. */
    abstract List<String> statements(Connection c);

    /** Runs the load statements in one transaction. */
    abstract LoadResult run(List<String> statements);

    /**
     * The lock a load takes first. Loads of one structure take turns (readers are not blocked), so an anti-join
     * against the stored rows is exact and an insert needs no {@code ON CONFLICT}; the primary key still refuses a
     * duplicate from any other writer. A role that may change the table's rows (UPDATE, DELETE or TRUNCATE) takes a
     * {@code SHARE ROW EXCLUSIVE} table lock, which also holds other writers back. A role that may only insert and
     * select (the usual grant on an insert-only vault), which PostgreSQL does not let take that lock, takes only a
     * transaction-level advisory lock on the table's name. The other roles take that advisory lock too, before the
     * table lock, so that loads by both kinds of role take turns as well (the other order could deadlock: a table lock
     * waiting for the advisory lock of an insert-only load, whose inserts wait for the table lock). One statement, so
     * that the statements' positions do not depend on the role.
     */
    final String lock(Connection c) {
        boolean mayLock = Jdbc.queryLong(c, "SELECT coalesce(has_table_privilege(" + PostgresDialect.INSTANCE.relationOid(table)
                + ", 'UPDATE, DELETE, TRUNCATE'), false)::int") > 0;
        String advisory = "SELECT pg_advisory_xact_lock(hashtext('mds-vault'), hashtext(" + Identifiers.literal(table.quoted()) + "))";
        return mayLock ? advisory + "; LOCK TABLE " + table.quoted() + " IN SHARE ROW EXCLUSIVE MODE" : advisory;
    }

    /**
     * What hubs and links load (the insert is the third statement): the lock, then the insert of the hash keys not stored yet, each with its first row
     * by load date, then record source (in byte order, whatever the column's collation), then the other stored columns (business keys, or a link's references and
     * payload) by their text in byte order: under AUTOMATEDV {@code 'ann'} and {@code 'ANN'} share a hash key, and
     * which spelling is stored must not depend on the order of the stage's rows (nor on the database's collation;
     * the text form also orders types without a sort order, such as {@code json}). Columns in {@code byValue} are
     * ordered by their value first, so that the stored row does not depend on the session either (by text,
     * {@code '01/02/2024'} under DateStyle {@code SQL, DMY} sorts before {@code '02/01/2024'}).
     *
     * @param rows a query over the stages with the unqualified columns {@code columns}: the hash key first, the
     *     load date and record source last
     * @param hashes the columns among them that are hashes ({@code bytea}), ordered by their bytes as they are
     * @param byValue how the columns among them that are not ordered by their text alone are ordered (see
     *     {@link #order}): numbers, dates, times and the like, whose text depends on session settings (DateStyle,
     *     TimeZone, bytea_output) while their order does not
     */
    final List<String> insertNewKeys(Connection c, List<String> columns, List<String> hashes, Map<String, Order> byValue, String rows) {
        String hk = Identifiers.quote(columns.get(0));
        StringBuilder order = new StringBuilder("u." + hk + ", u." + Identifiers.quote(Stage.LOAD_DATE) + ", u."
                + Identifiers.quote(Stage.RECORD_SOURCE) + "::text COLLATE \"C\"");
        for (String col : columns.subList(1, columns.size())) {
            if (!col.equals(Stage.LOAD_DATE) && !col.equals(Stage.RECORD_SOURCE)) {
                String q = "u." + Identifiers.quote(col);
                order.append(", ").append(orderBy(q, hashes.contains(col) ? Order.VALUE : byValue.getOrDefault(col, Order.TEXT)));
            }
        }
        String insert = "INSERT INTO " + table.quoted() + " (" + Identifiers.quoteAll(columns) + ")\n"
                + "SELECT DISTINCT ON (u." + hk + ") " + Identifiers.quoteAll("u", columns) + "\n"
                + "FROM (\n    " + rows + "\n) AS u\n"
                + "WHERE NOT EXISTS (SELECT 1 FROM " + table.quoted() + " AS t WHERE t." + hk + " = u." + hk + ")\n"
                + "ORDER BY " + order;
        // the extra sort key tips the planner to a merge anti-join under an incremental sort, 20-40% slower here
        // than the hash anti-join under one full sort it picks without it (measured over a 1M-row stage)
        return List.of(lock(c), "SET LOCAL enable_incremental_sort = off", insert);
    }

    /**
     * Runs the statements of {@link #insertNewKeys} in one transaction ({@link Vault#load}), counting the rows of its
     * insert, the third; when the table grew, the statistics of {@code hashKey}, which the next load's anti-join
     * joins on, are refreshed.
     */
    final LoadResult runNewKeys(List<String> statements, String hashKey) {
        return vault.load(table, statements, 2, List.of(hashKey));
    }

    /** The ORDER BY items that order the expression {@code q} as {@code order} says. */
    static String orderBy(String q, Order order) {
        String text = q + "::text COLLATE \"C\"";
        return switch (order) {
            case VALUE -> q;
            case VALUE_THEN_TEXT -> q + ", " + text;
            case TEXT -> text;
        };
    }

    /** How a tie-break orders a stored column. */
    enum Order {
        /** By value: a total order the same in every session, and equal values print alike. */
        VALUE,
        /** By value, then by text: equal numbers can print differently ({@code 1.5} and {@code 1.50}, {@code -0} and {@code 0}). */
        VALUE_THEN_TEXT,
        /**
         * By text in byte order: text itself (whose order depends on the collation), JSON (no order), unknown types
         * PostgreSQL cannot order.
         */
        TEXT
    }

    /** How a tie-break orders the column, from its type in every stage. */
    static Order order(List<Relation> stages, String column) {
        Order out = Order.VALUE;
        for (Relation r : stages) {
            Relation.Column col = r.require(r.name().toString(), column);
            Optional<FieldType> t = col.type();
            if (t.isEmpty()) {
                // a type mds does not know (interval, money, a range, an enum…) whose text may depend on the session
                // (IntervalStyle, lc_monetary, TimeZone): by its own order where PostgreSQL has one, then by text,
                // for equal values that print differently ('1 day' and '24:00:00')
                if (!col.ordered()) {
                    return Order.TEXT;
                }
                out = Order.VALUE_THEN_TEXT;
                continue;
            }
            FieldType.Kind k = t.get().kind() == FieldType.Kind.ARRAY ? t.get().elementType().kind() : t.get().kind();
            switch (k) {
                case STRING, JSON, ARRAY -> {
                    return Order.TEXT;
                }
                case DECIMAL, DOUBLE -> out = Order.VALUE_THEN_TEXT;
                default -> {
                    // INT, LONG, BOOLEAN, DATE, TIME, TIMESTAMP, TIMESTAMPTZ, BYTES, UUID
                }
            }
        }
        return out;
    }

    /**
     * {@code expr}, a value of the SQL type {@code type}, as it is compared with or stored in a column of the SQL type
     * {@code asType}, converted in UTC where one of the two is a {@code timestamptz} and the other a {@code date} or
     * {@code timestamp}: PostgreSQL would cast the date or timestamp side in the session's TimeZone (pgjdbc sets it
     * from the JVM's). A {@code timestamptz} becomes its UTC wall clock (a {@code timestamp}, which a date column
     * stores as its day and a date compares with as its midnight); a {@code date} (its midnight) or {@code timestamp}
     * is read as UTC. Otherwise {@code expr} as it is. The types are base types ({@link Relation.Column#baseSqlType}):
     * a domain over timestamptz is zoned, and was taken for neither, so PostgreSQL's cast converted it.
     */
    static String inUtc(String expr, String type, String asType) {
        boolean zoned = zoned(type);
        if (zoned == zoned(asType) || !(zoned || dateOrTimestamp(type)) || !(zoned(asType) || dateOrTimestamp(asType))) {
            return expr;
        }
        return zoned ? "(" + expr + " AT TIME ZONE 'UTC')" : "(" + expr + "::timestamp AT TIME ZONE 'UTC')";
    }

    /**
     * The load date of the stage aliased {@code s}, its column {@code stage}, as a table whose load date is the column
     * {@code table} stores it: read in UTC (see {@link #inUtc}), then cast to the table's type where the types
     * differ, so that the load compares and groups it as the table's primary key does.
     */
    static String storedLoadDate(Relation.Column stage, Relation.Column table) {
        String sld = inUtc("s." + Identifiers.quote(Stage.LOAD_DATE), stage.baseSqlType(), table.baseSqlType());
        return stage.sqlType().equals(table.sqlType()) ? sld : "CAST(" + sld + " AS " + table.sqlType() + ")";
    }

    /** The base type ({@link Relation.Column#baseSqlType}) of {@code relation}'s column, which must exist. */
    final String baseType(Relation relation, String column) {
        return relation.require(name(), column).baseSqlType();
    }

    private static boolean zoned(String sqlType) {
        return sqlType.startsWith("timestamp") && sqlType.endsWith(" with time zone");
    }

    private static boolean dateOrTimestamp(String sqlType) {
        return sqlType.equals("date") || sqlType.startsWith("timestamp") && sqlType.endsWith(" without time zone");
    }

    /**
     * A stage column (of the stage aliased {@code s}) as the table stores it, as a select-list item:
     * {@code s."column"} when the types are the same, else the value cast to the table's type (without the length of a
     * {@code varchar(n)}, {@code char(n)} or {@code bit(n)}, see {@link #unbounded}) and named
     * {@code "column"}, after checking that PostgreSQL assigns the one to the other (as {@code int} to
     * {@code bigint} or anything to {@code text}), so that stages of different types can be unioned and a type
     * changed since the table was created fails here, naming where, instead of as an obscure error inside the load.
     *
     * @throws SchemaMismatchException naming the structure, the column and both types
     */
    final String storedItem(Connection c, String where, Relation stage, String column, Relation target) {
        String from = stage.require(where, column).sqlType();
        String to = target.require(name(), column).sqlType();
        String q = "s." + Identifiers.quote(column);
        if (from.equals(to)) {
            return q;
        }
        checkAssignable(c, where, stage, column, from, column, to);
        return "CAST(" + q + " AS " + unbounded(to) + ") AS " + Identifiers.quote(column);
    }

    /**
     * The load date (and effective-from) of ghost records, as an SQL literal: 1900-01-01 midnight UTC, as AutomateDV's.
     * A PIT points at it where a satellite has no row in effect, so the two must agree.
     */
    static final String GHOST_DATE = "'1900-01-01 00:00:00+00'";

    /** A bounded type: its kind, its length and the {@code []} of an array of it. */
    private static final Pattern BOUNDED = Pattern.compile("(character varying|character|bit varying|bit)\\((\\d+)\\)((?:\\[])*)");

    /**
     * The type to cast a stage value to before it is stored in a column of the SQL type {@code type}: the type itself,
     * but a {@code varchar(n)}, {@code char(n)} or {@code bit(n)} (or an array of one) without its length. An explicit
     * cast to such a type cuts a longer value without a word ('EURO' to {@code varchar(3)} is 'EUR', and two child
     * keys 'mobile-1' and 'mobile-2' became one); cast without the length, the value is assigned by the insert, which
     * refuses what the column cannot hold ("value too long for type character varying(3)"). A {@code numeric(p,s)},
     * {@code timestamp(p)} and the like keep their modifier: an explicit cast rounds them as the insert would.
     */
    static String unbounded(String type) {
        Matcher m = BOUNDED.matcher(type);
        if (!m.matches()) {
            return type;
        }
        String base = switch (m.group(1)) {
            case "character" -> "bpchar";           // "character" alone is character(1)
            case "bit" -> "bit varying";            // "bit" alone is bit(1)
            default -> m.group(1);
        };
        return base + m.group(3);
    }

    /**
     * The stage's effective-from column (of the stage aliased {@code s}) as the table's {@code effective_from}
     * stores it, as a select-list item named {@code effective_from}: read in UTC where one is a {@code timestamptz}
     * and the other a {@code date} or {@code timestamp} (see {@link #inUtc}), cast to the table's type where the
     * types differ, after checking, as {@link #storedItem} does, that PostgreSQL assigns the one to the other (a
     * {@code text} or {@code integer} column is refused naming it, rather than cast in the session's DateStyle or
     * failing inside the load).
     *
     * @throws SchemaMismatchException naming the structure, the column and both types
     */
    final String effectiveFromItem(Connection c, String where, Relation stage, String column, Relation target) {
        String from = stage.require(where, column).sqlType();
        // a table made with a text effective_from (by hand, or before createTable refused one) orders it as text; a
        // stage column of another type than a date/timestamp table's is refused below unless it assigns (a date does)
        String to = effectiveFromType(name(), target, Satellite.EFFECTIVE_FROM);
        String expr = inUtc("s." + Identifiers.quote(column), baseType(stage, column),
                baseType(target, Satellite.EFFECTIVE_FROM));
        if (!from.equals(to)) {
            checkAssignable(c, where, stage, column, from, Satellite.EFFECTIVE_FROM, to);
            expr = "CAST(" + expr + " AS " + unbounded(to) + ")";
        }
        return expr + " AS " + Identifiers.quote(Satellite.EFFECTIVE_FROM);
    }

    private void checkAssignable(Connection c, String where, Relation stage, String column, String from, String asColumn, String to) {
        // planning the insert (EXPLAIN runs nothing) applies PostgreSQL's own assignment rules
        String probe = "EXPLAIN INSERT INTO " + table.quoted() + " (" + Identifiers.quote(asColumn) + ") SELECT NULL::" + from;
        Optional<SQLException> refused;
        try {
            refused = Jdbc.refusal(c, probe);
        } catch (SQLException e) {
            throw new MdsException(where + ": cannot check the type of column '" + column + "': " + e.getMessage(), e);
        }
        if (refused.isPresent()) {
            throw new SchemaMismatchException(table, List.of(column), where + ": column '" + column + "' of "
                    + stage.name() + " is " + from + ", but " + table + " stores it"
                    + (asColumn.equals(column) ? "" : " (as '" + asColumn + "')") + " as " + to + ", and PostgreSQL"
                    + " cannot assign the one to the other (was the column's type changed after the table was"
                    + " created?): " + refused.get().getMessage());
        }
    }

    final void validate() {
        List<String> missing = new ArrayList<>();
        missingSettings(missing);
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(name() + ": set " + String.join(", ", missing));
        }
        checkCombinations();
    }

    /**
     * Refuses settings that would store one column twice (a payload naming the parent key, say), which the DDL or
     * the insert would otherwise fail on with PostgreSQL's "specified more than once".
     */
    private void checkStoredOnce() {
        List<String> stored = storedColumns();
        for (int i = 0; i < stored.size(); i++) {
            if (stored.subList(0, i).contains(stored.get(i))) {
                throw new IllegalArgumentException(name() + ": column '" + stored.get(i) + "' would be stored twice; the"
                        + " table's columns are " + stored);
            }
        }
    }

    /**
     * The quoted name of one of a load's own intermediate columns: {@code base}, with underscores appended while a
     * stored column has it (a stored column named like it made the load's reference to it ambiguous).
     */
    String intermediate(String base) {
        List<String> stored = storedColumns();
        String name = base;
        while (stored.contains(name)) {
            name += "_";
        }
        return Identifiers.quote(name);
    }

    /** The names of the table's columns the settings give (the same name twice is refused), in DDL order. */
    List<String> storedColumns() {
        return List.of();
    }

    /** The statements {@link #createTable()} runs. */
    public List<String> createTableSql() {
        validate();
        checkStoredOnce();
        return Jdbc.withConnection(vault.dataSource(), this::tableDdl);
    }

    /**
     * Creates the table (and its schema) if it does not exist.
     *
     * @throws MdsException naming the structure when the creation fails (nothing of it is created)
     */
    public void createTable() {
        try {
            vault.run(name(), createTableSql(), -1);
        } catch (MdsException e) {
            throw named(e, "create table failed");
        }
    }

    /**
     * Runs the ghost record's insert of a satellite, read from {@code ghostRecordSql} (whose checks fail named, as the
     * insert does), which gives the columns {@code filled} (the others, payload among them, are left NULL).
     *
     * @throws MdsException naming the structure when the statement cannot be made, when the table has NOT NULL
     *     columns without a default the ghost record leaves NULL (see {@link #checkFilled}), or the insert fails
     *     (nothing is inserted)
     */
    final LoadResult runGhostRecordSql(Supplier<String> ghostRecordSql, List<String> filled) {
        try {
            String sql = ghostRecordSql.get();
            Jdbc.withConnection(vault.dataSource(), c -> {
                checkFilled(Vault.relation(c, name(), table), filled, "the ghost record leaves NULL",
                        " (it fills " + filled + ", its payload is NULL as AutomateDV's ghost record's)");
                return null;
            });
            return vault.run(table.toString(), List.of(sql), 0);
        } catch (MdsException e) {
            throw named(e, "inserting the ghost record failed");
        }
    }

    /**
     * A plain {@link MdsException} of a failed statement (a dead session's "terminating connection" at the catalog
     * reads that plan the statements, or at the statements themselves) as one naming the structure; exceptions of a
     * kind of their own, and those naming it already, as they are.
     */
    MdsException named(MdsException e, String what) {
        if (e.getClass() != MdsException.class || String.valueOf(e.getMessage()).startsWith(name())) {
            return e;
        }
        return new MdsException(name() + ": " + what + ": " + e.getMessage(), e);
    }

    /**
     * The statements {@link #load()} runs in one transaction (read-only: it checks the columns they use); first, for a
     * load that reads stages, the {@code SET LOCAL TimeZone} of a vault with a {@link Vault#timeZone(ZoneId) time zone}.
     */
    public List<String> sql() {
        List<String> statements = plan();
        return stagesRead().isEmpty() ? statements : vault.withTimeZone(statements);
    }

    /** The load's own statements, without the settings its transaction begins with (which {@link #run} applies). */
    private List<String> plan() {
        validate();
        List<String> statements = Jdbc.withConnection(vault.dataSource(), c -> {
            if (!stagesRead().isEmpty()) {
                vault.checkTableHashing(c, name(), table);
            }
            for (Stage stage : stagesRead()) {
                vault.checkStageHashing(c, name(), stage);
                vault.warnIfHashedInSessionTimeZone(c, stage);
            }
            List<String> out = statements(c);
            // after the structure's own checks, which name more specific problems (a column the table lacks); one
            // catalog read gives the table's columns and its unique keys
            Relation target = Vault.relation(c, name(), table);
            checkFilled(target, storedColumns(), "this definition does not fill", unfilledHint());
            checkKeysHoldRows(target);
            return out;
        });
        checkStoredOnce();            // after the checks against the tables, which name more specific problems
        return statements;
    }

    /**
     * Refuses, before anything is written, a table with columns an insert must give a value ({@code NOT NULL} without
     * a default, identity or generation) that {@code filled}, the columns the insert gives, leaves out: named here
     * rather than by PostgreSQL's "null value in column" from inside the insert. Nullable columns, and those with a
     * default, may be added to a table (AutomateDV's tables have such columns).
     *
     * @throws MdsException naming the structure, the table and the columns
     */
    final void checkFilled(Relation target, List<String> filled, String what, String hint) {
        List<String> unfilled = target.requiredBeyond(filled);
        if (!unfilled.isEmpty()) {
            throw new MdsException(name() + ": " + table + " has NOT NULL column(s) " + unfilled + " that " + what + hint);
        }
    }

    /**
     * The columns whose values tell apart the rows the load writes (a satellite's hash key and load date), which a
     * unique key over them must hold all of; empty (the default) where no key is checked: a hub or link writes one row
     * per hash key, and its table's key on it (createTable's) holds them.
     */
    List<String> rowKey() {
        return List.of();
    }

    /** Why a unique key must hold all of {@link #rowKey()}, in a message: which rows the load writes. */
    String rowKeyWhy() {
        return "";
    }

    /**
     * Refuses a table whose primary key or a unique index is over some of the columns of {@link #rowKey()} only and
     * lacks another: it holds fewer rows than the load writes, whose insert would fail on PostgreSQL's duplicate-key
     * error (a satellite keyed on its hash key alone, at a key's second version), after the whole load was
     * computed. Refused here, before anything is written. A table without a key (AutomateDV's have none), keys holding
     * all of them (in any order, with more columns) and keys over other columns too load as before.
     *
     * @throws MdsException naming the structure, the table, the key or index, its columns and the columns it lacks
     */
    final void checkKeysHoldRows(Relation target) {
        List<String> wanted = rowKey();
        for (Relation.UniqueKey key : target.uniqueKeys()) {
            if (wanted.isEmpty() || !wanted.containsAll(key.columns()) || key.columns().containsAll(wanted)) {
                continue;
            }
            List<String> lacking = new ArrayList<>(wanted);
            lacking.removeAll(key.columns());
            String cols = String.join(", ", key.columns());
            throw new MdsException(name() + ": " + table + "'s " + key.what() + " (" + cols + ") lacks the column(s) ["
                    + String.join(", ", lacking) + "]: it holds one row per (" + cols + "), but " + rowKeyWhy()
                    + ", which would break it; give the table the key createTable() makes, (" + String.join(", ", wanted)
                    + "), or drop this one (nothing was written)");
        }
    }

    /**
     * What a load refused by {@link #checkFilled} may do, after the message naming the columns: by default, that the
     * load fills only the stored columns, and the ways out.
     */
    String unfilledHint() {
        return " (it fills " + storedColumns() + "); name them in the definition, or give them a DEFAULT or drop their"
                + " NOT NULL";
    }

    /**
     * Loads the structure in one transaction.
     *
     * @throws MdsException naming the structure when the load fails (before anything is written when a stage was
     *     created by a vault of another hash standard, naming the stage and both standards); when a stage row has no load date or record
     *     source, or (in a stage mds did not build) a satellite's hashdiff is NULL, which the table's NOT NULL refuses,
     *     the message also says which stage and column
     */
    public LoadResult load() {
        List<String> statements;
        try {
            statements = plan();
        } catch (MdsException e) {
            throw named(e, "load failed");   // the checks against the tables, before anything is written
        }
        try {
            return run(statements);
        } catch (MdsException e) {
            throw explained(e);
        }
    }

    /**
     * The hash columns the load reads from its stages and stores in a NOT NULL column without filtering NULLs out (a
     * hashdiff): a failed load says which stages hold NULLs in them.
     */
    List<String> nonNullHashColumns() {
        return List.of();
    }

    /** The stages the load reads (none for a PIT, which reads tables). */
    List<Stage> stagesRead() {
        return List.of();
    }

    /**
     * A failed load's error, prefixed with the structure; a NOT NULL violation (SQLSTATE 23502) is explained by
     * counting, in each stage read, the rows whose load date, record source or hashdiff is NULL. The count runs only after
     * a failure, on a connection of its own; if it cannot run, the error is reported as it is.
     */
    private MdsException explained(MdsException e) {
        String prefix = e.getMessage() != null && e.getMessage().startsWith(name()) ? "" : name() + ": load failed: ";
        if (sqlState(e, "22001", "22026")) {
            return new MdsException(prefix + e.getMessage() + tooLong(e), e);
        }
        if (sqlState(e, "22003")) {
            return new MdsException(prefix + e.getMessage() + outOfRange(e), e);
        }
        if (sqlState(e, "22P02")) {
            StringBuilder why = new StringBuilder();
            for (Stage stage : stagesRead()) {
                why.append(vault.backslashes(stage, e));
            }
            return why.length() == 0 && prefix.isEmpty() ? e : new MdsException(prefix + e.getMessage() + why, e);
        }
        if (!sqlState(e, "23502")) {
            return prefix.isEmpty() ? e : new MdsException(prefix + e.getMessage(), e);
        }
        StringBuilder why = new StringBuilder();
        boolean nullHash = false;
        boolean nullMetadata = false;
        for (Stage stage : stagesRead()) {
            try {
                StringBuilder hashNulls = new StringBuilder();
                for (String h : nonNullHashColumns()) {
                    hashNulls.append(", count(*) FILTER (WHERE ").append(Identifiers.quote(h)).append(" IS NULL)");
                }
                long[] nulls = Jdbc.withConnection(vault.dataSource(), c -> Jdbc.firstRowOfLongs(c,
                        "SELECT count(*) FILTER (WHERE " + Identifiers.quote(Stage.LOAD_DATE) + " IS NULL), count(*) FILTER (WHERE "
                        + Identifiers.quote(Stage.RECORD_SOURCE) + " IS NULL)" + hashNulls + " FROM " + stage.target().quoted()));
                for (int i = 0; i < nonNullHashColumns().size(); i++) {
                    if (nulls[2 + i] > 0) {
                        why.append("\n  ").append(stage).append(" has ").append(nulls[2 + i]).append(" row(s) with a NULL ")
                                .append(nonNullHashColumns().get(i));
                        nullHash = true;
                    }
                }
                nullMetadata |= nulls[0] > 0 || nulls[1] > 0;
                if (nulls[0] > 0) {
                    why.append("\n  ").append(stage).append(" has ").append(nulls[0]).append(" row(s) with a NULL ")
                            .append(Stage.LOAD_DATE).append(stage.loadDateColumn().map(col -> " (its load date column '" + col + "' is NULL)").orElse(""));
                }
                if (nulls[1] > 0) {
                    why.append("\n  ").append(stage).append(" has ").append(nulls[1]).append(" row(s) with a NULL ")
                            .append(Stage.RECORD_SOURCE).append(stage.recordSourceIsColumn()
                                    ? " (its record source column '" + stage.recordSource() + "' is NULL)" : "");
                }
            } catch (RuntimeException diagnosis) {
                e.addSuppressed(diagnosis);
            }
        }
        if (nullMetadata) {
            why.append("\n  every row a vault stores needs a load date and a record source: filter such rows out of the"
                    + " source, or derive the column with a default (Stage.derived, e.g. coalesce(col, 'unknown'))");
        }
        if (nullHash) {
            why.append("\n  a stage mds builds never has a NULL hashdiff; a stage built otherwise must not have one either"
                    + " (AutomateDV hashes a hashdiff of one column given as a string, not as a list, to NULL when the"
                    + " column is NULL)");
        }
        return new MdsException(prefix + e.getMessage() + why, e);
    }

    /**
     * Where a value too long for a {@code varchar(n)}, {@code char(n)} or {@code bit(n)} column (SQLSTATE 22001,
     * 22026: the load casts such values without the length, see {@link #unbounded}) comes from: per stage read and
     * bounded column, the first stage row whose value the column cannot hold, with its key (the table's first column)
     * and value; empty when it cannot be found.
     */
    private String tooLong(MdsException e) {
        return firstOffendingRows(e, (c, stage, key, column, target, staged, found) -> {
            String type = target.require(name(), column).sqlType();
            Matcher m = BOUNDED.matcher(type);
            if (!m.matches() || !m.group(3).isEmpty()) {
                return;   // not bounded, or an array of a bounded type (not looked into)
            }
            String value = "s." + Identifiers.quote(column) + "::text";
            String wrong = switch (m.group(1)) {
                case "bit" -> "length(" + value + ") <> " + m.group(2);
                case "bit varying" -> "length(" + value + ") > " + m.group(2);
                default -> "length(rtrim(" + value + ")) > " + m.group(2);   // blanks beyond n are cut
            };
            Jdbc.firstRow(c, "SELECT s." + Identifiers.quote(key) + "::text, left(" + value + ", 100), length("
                    + value + ")::text FROM " + stage.target().quoted() + " AS s WHERE s." + Identifiers.quote(key)
                    + " IS NOT NULL AND " + wrong + " LIMIT 1")
                    .ifPresent(row -> found.append("\n  ").append(stage).append(" column '").append(column)
                            .append("' holds a value of ").append(row.get(2)).append(" characters for ")
                            .append(type).append(" (").append(key).append(" ").append(row.get(0))
                            .append("): '").append(row.get(1)).append(row.get(1).length() < Integer.parseInt(row.get(2)) ? "…'" : "'"));
        });
    }

    /** A numeric type, with its modifier if any: a column whose stage values may be out of its range. */
    private static final Pattern NUMERIC = Pattern.compile("(numeric|smallint|integer|bigint|real|double precision)(\\(\\d+(, ?-?\\d+)?\\))?");

    /**
     * Where a value out of a numeric column's range (SQLSTATE 22003: {@code numeric} into {@code numeric(5,2)},
     * {@code bigint} into {@code integer}, which PostgreSQL reports naming no column) comes from: per stage read and
     * stored numeric column of another type than the stage's, the first stage row whose value the column's type cannot
     * hold ({@code pg_input_is_valid}), with its key (the table's first column) and value; empty when it cannot be
     * found.
     */
    private String outOfRange(MdsException e) {
        return firstOffendingRows(e, (c, stage, key, column, target, staged, found) -> {
            Relation.Column col = target.require(name(), column);
            if (!NUMERIC.matcher(col.baseSqlType()).matches()
                    || col.sqlType().equals(staged.require(name(), column).sqlType())) {
                return;   // not numeric, or stored as the stage holds it (no cast to overflow)
            }
            String value = "s." + Identifiers.quote(column) + "::text";
            Jdbc.firstRow(c, "SELECT s." + Identifiers.quote(key) + "::text, left(" + value + ", 100) FROM "
                    + stage.target().quoted() + " AS s WHERE s." + Identifiers.quote(key) + " IS NOT NULL AND "
                    + value + " IS NOT NULL AND NOT pg_input_is_valid(" + value + ", "
                    + Identifiers.literal(col.sqlType()) + ") LIMIT 1")
                    .ifPresent(row -> found.append("\n  ").append(stage).append(" column '").append(column)
                            .append("' holds a value ").append(col.sqlType()).append(" cannot hold (").append(key)
                            .append(" ").append(row.get(0)).append("): '").append(row.get(1)).append("'"));
        });
    }

    /** Looks, for one stored column both the table and a stage read have, for the stage row that failed the load. */
    private interface OffendingRowProbe {
        void probe(Connection c, Stage stage, String key, String column, Relation target, Relation staged,
                StringBuilder found);
    }

    /**
     * What {@code probe} finds for every stage read and stored column the table and the stage both have (the key being
     * the table's first column, which the stage must have too), read after the failure on a connection of its own; a
     * failure of the diagnosis itself is added to {@code e} as suppressed.
     */
    private String firstOffendingRows(MdsException e, OffendingRowProbe probe) {
        StringBuilder why = new StringBuilder();
        String key = storedColumns().get(0);
        for (Stage stage : stagesRead()) {
            try {
                why.append(Jdbc.<CharSequence>withConnection(vault.dataSource(), c -> {
                    Relation target = Relation.read(c, table).orElse(null);
                    Relation staged = Relation.read(c, stage.target()).orElse(null);
                    StringBuilder found = new StringBuilder();
                    if (target == null || staged == null || !staged.has(key)) {
                        return found;
                    }
                    for (String column : storedColumns()) {
                        if (target.has(column) && staged.has(column)) {
                            probe.probe(c, stage, key, column, target, staged, found);
                        }
                    }
                    return found;
                }));
            } catch (RuntimeException diagnosis) {
                e.addSuppressed(diagnosis);
            }
        }
        return why.toString();
    }

    /** Whether an {@link SQLException} in {@code e}'s causes has one of the states (a state may be null: not one). */
    static boolean sqlState(Throwable e, String... states) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && s.getSQLState() != null && List.of(states).contains(s.getSQLState())) {
                return true;
            }
        }
        return false;
    }
}
