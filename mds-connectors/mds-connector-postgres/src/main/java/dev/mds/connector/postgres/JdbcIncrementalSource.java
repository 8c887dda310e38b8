package dev.mds.connector.postgres;

import dev.mds.core.Field;
import dev.mds.core.FieldType;
import dev.mds.core.Identifiers;
import dev.mds.core.MdsException;
import dev.mds.core.PostgresDialect;
import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import dev.mds.core.Schema;
import dev.mds.core.SourcePosition;
import dev.mds.core.Sql;
import dev.mds.core.StateStore;
import dev.mds.core.TableName;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;
import org.postgresql.PGStatement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the new and changed rows of a table by a cursor column ("incremental append" for sources without CDC), in
 * batches, and stores the cursor in the warehouse's {@link StateStore} in the same transaction as each batch's
 * load. By default the cursor is inclusive: each run starts again at the last stored cursor value, so rows that share
 * it and arrived after the last run are not missed (the rows read twice are the ones a MERGE load leaves unchanged).
 * An APPEND load, which would hold those rows twice, wants {@link Restart#AFTER_LAST_ROW}: a run starts strictly after
 * the last row committed, each row read once.
 * Within a run, pages follow the {@code (cursor, key)} order, so ties never split or repeat across pages; rows equal
 * in cursor and key too (a key holding NULL, or not unique) come in one page, however many there are. Each page is one
 * statement in auto-commit, whatever the source pool's default: nothing is held on the source while a batch loads.
 *
 * <pre>{@code
 * JdbcIncrementalSource orders = JdbcIncrementalSource.builder(shopDataSource, "shop.orders")
 *     .cursor("updated_at").key("order_id").batchRows(10_000)
 *     .offsets(JdbcStateStore.create(warehouse)).build();
 * MergeLoader loader = MergeLoader.into(warehouse, "raw.orders").key("order_id").build();
 * long rows = orders.run(warehouse, (batch, c) -> loader.load(batch, c));
 * }</pre>
 *
 * One run at a time: a batch commits only while the stored position is the one its run read or last stored, so a
 * run overlapping another of the same state key fails, its batch rolled back, instead of loading the other's rows again.
 *
 * <p>One source per state key: each stored position names the database it was read from, its
 * {@code current_database()} and its cluster's {@code system_identifier} (by the server's address and port instead
 * where the role may not call {@code pg_control_system()}). A run finding another source's position under its key (two
 * databases holding a table of the same name, loaded into one warehouse) fails naming the key and both sources before
 * it reads a row, instead of starting at the other's cursor and skipping its own rows: give each source its own
 * {@code stateKey}. A position stored without a source (by an earlier version) is taken as this one's, and names it
 * from the next batch committed on.
 *
 * <p>Defaults: 10,000 rows per batch, state key {@code jdbc-incremental:<schema.table>:<cursor>}. A cursor of
 * {@code infinity} (or a float's {@code NaN}, which sorts after it) is never stored (no later finite row would be read
 * from it): the last finite one is, so each run reads the rows at infinity and NaN again ({@link Restart#AFTER_LAST_ROW}
 * also keeps the last row read at infinity and reads each of them once). A cursor that does
 * not grow with every change (for example a timestamp set at transaction start by a long transaction that commits
 * late) can miss rows; use CDC for such tables.
 */
public final class JdbcIncrementalSource {
    private static final Logger LOG = LoggerFactory.getLogger(JdbcIncrementalSource.class);
    /** The prefix of a position's entries for the last row read at infinity ({@link Restart#AFTER_LAST_ROW}). */
    private static final String INFINITE = "infinite.";
    /** The entry of a position naming the cursor column's type when the position was read. */
    private static final String CURSOR_TYPE = "cursor.type";

    /** Loads one batch on the warehouse connection (auto-commit off); the source commits it with the cursor. */
    @FunctionalInterface
    public interface Handler {
        void handle(RecordBatch batch, Connection warehouse) throws Exception;
    }

    private final DataSource source;
    private final TableName table;
    private final String cursor;
    private final List<String> key;
    private final int batchRows;
    private final StateStore offsets;
    private final String stateKey;
    private final Restart restart;

    private JdbcIncrementalSource(Builder b) {
        this.source = b.source;
        this.table = b.table;
        this.cursor = b.cursor;
        this.key = List.copyOf(b.key);
        this.batchRows = b.batchRows;
        this.offsets = b.offsets;
        this.stateKey = b.stateKey != null ? b.stateKey : "jdbc-incremental:" + table + ":" + cursor;
        this.restart = b.restart;
    }

    /** Where a run starts, relative to the last row the runs before it committed. */
    public enum Restart {
        /**
         * At the stored cursor value, inclusive (the default): the rows at that value are read again, so a row
         * committed later with the same cursor value is not missed. For a MERGE load, which leaves the rows read
         * again unchanged; an APPEND load would hold them twice.
         */
        AT_LAST_CURSOR,
        /**
         * Strictly after the last row committed, in {@code (cursor, key)} order (its key is stored with the cursor):
         * each row is read once, as an APPEND load needs. A row committed later with the same cursor value and a
         * smaller key is missed, as any row committed late with an older cursor is. Rows at a cursor of infinity
         * (or NaN) are read once too: the position keeps the last finite row, from which new finite rows are read,
         * and the last row read at infinity, up to which the rows at infinity are left out.
         */
        AFTER_LAST_ROW
    }

    /** A builder reading {@code qualifiedTable} ({@code schema.table}) from {@code source}. */
    public static Builder builder(DataSource source, String qualifiedTable) {
        return new Builder(source, TableName.parse(qualifiedTable));
    }

    /** The state store key of the cursor. */
    public String stateKey() {
        return stateKey;
    }

    /** The stored cursor value (PostgreSQL text form), if a run stored one. */
    public Optional<String> storedCursor() {
        return offsets.get(stateKey).flatMap(s -> SourcePosition.fromJson(s.json()).get("cursor")).map(Object::toString);
    }

    /**
     * The first page's query (later pages, and with {@link Restart#AFTER_LAST_ROW} a first page after a stored position,
     * read after the last row by a {@code (cursor, key) >} condition instead). It asks for one row more than
     * a batch: when that row equals the page's last in cursor and key, the page is read again up to the end of their
     * group (rows after {@code (cursor, key)} are not reached otherwise). A table with money columns, or arrays of a
     * domain over a type the driver reads by its own type, is read by its columns' names instead of {@code *}, those
     * cast to numeric or to the domain's base type's array.
     */
    public String sql() {
        return "select * from " + table.quoted() + " where " + Identifiers.quote(cursor) + " >= cast(? as <cursor type>)"
                + " order by " + orderBy() + " limit " + ((long) batchRows + 1);
    }

    private String orderBy() {
        List<String> cols = new ArrayList<>();
        cols.add(cursor);
        cols.addAll(key);
        return Identifiers.quoteAll(cols);
    }

    /**
     * Reads every row at or after the stored cursor, batch by batch; each batch is handled and committed with the
     * new cursor in one warehouse transaction.
     *
     * @return the number of rows read
     * @throws MdsException when the source or the warehouse fails, naming the table (batches committed before
     *     stay committed, with their cursor)
     */
    public long run(DataSource warehouse, Handler handler) {
        Objects.requireNonNull(warehouse, "warehouse");
        Objects.requireNonNull(handler, "handler");
        long total;
        try (Connection src = source.getConnection()) {
            // the connection goes back to the pool as it was lent: a pool that does not reset it would lend the next
            // user a read-only connection in auto-commit
            boolean autoCommit = src.getAutoCommit();
            boolean readOnly = src.isReadOnly();
            try {
                // each page commits on its own, whatever the pool's default: one transaction over the run would hold its
                // lock on the table (an ALTER TABLE at the source waiting for the whole run, and every query behind it) and
                // stay idle in transaction while each batch loads
                src.setAutoCommit(true);
                src.setReadOnly(true);
                total = readAll(src, warehouse, handler);
            } finally {
                restore(src, autoCommit, readOnly);
            }
        } catch (SQLException e) {
            throw new MdsException("incremental read of " + table + " by " + cursor + " failed: " + e.getMessage(), e);
        }
        LOG.info("read {} rows of {} by cursor {}", total, table, cursor);
        return total;
    }

    /** The run on the source connection {@code src} (auto-commit, read-only): every page, each batch committed. */
    private long readAll(Connection src, DataSource warehouse, Handler handler) throws SQLException {
        long total = 0;
        Optional<StateStore.State> state = offsets.get(stateKey);
        // the version each batch's commit expects to find: a run overlapping another must not commit the rows the
        // other committed (an APPEND target would hold them twice)
        long version = state.map(StateStore.State::version).orElse(0L);
        Optional<SourcePosition> stored = state.map(s -> SourcePosition.fromJson(s.json()));
        SourceIdentity identity = SourceIdentity.of(src);
        stored.ifPresent(p -> refuseAnotherSource(p, identity));
        Set<String> nullable = new HashSet<>();
        Map<String, String> collations = new HashMap<>();
        Map<String, String> types = columnTypes(src, nullable, collations);
        Map<String, UserType> userTypes = userTypes(src);
        boolean keyMayBeNull = key.stream().anyMatch(nullable::contains);
        String cursorType = types.get(cursor);
        stored.ifPresent(p -> refuseAnotherCursorType(p, cursorType));
        if (nullable.contains(cursor)) {
            refuseNullCursors(src);
        }
        Optional<String> start = stored.flatMap(p -> p.get("cursor")).map(Object::toString);
        String finiteCursor = start.orElse(null);
        List<String> finiteKey = stored.flatMap(p -> storedKey(p, "key."))
                .filter(k -> k.size() == key.size()).orElse(null);
        // AFTER_LAST_ROW: the last row read at infinity (or NaN), which the stored cursor never is; the rows at
        // infinity up to it were loaded and are left out, or each run would append them again
        String infiniteCursor = null;
        List<String> infiniteKey = null;
        if (restart == Restart.AFTER_LAST_ROW) {
            infiniteKey = stored.flatMap(p -> storedKey(p, INFINITE + "key.")).filter(k -> k.size() == key.size())
                    .orElse(null);
            infiniteCursor = infiniteKey == null ? null
                    : stored.flatMap(p -> p.get(INFINITE + "cursor")).map(Object::toString).orElse(null);
        }
        String lastCursor = null;
        List<String> lastKey = null;
        if (restart == Restart.AFTER_LAST_ROW && start.isPresent() && finiteKey != null) {
            // strictly after the last row committed: each row once
            lastCursor = start.get();
            lastKey = finiteKey;
        }
        while (true) {
            String select = "select " + selectList(types, userTypes) + " from " + table.quoted();
            String where = "";
            List<String> params = new ArrayList<>();
            if (lastCursor != null) {
                where = " where " + after(types, keyMayBeNull, lastCursor, lastKey, params);
            } else if (start.isPresent()) {
                where = " where " + Identifiers.quote(cursor) + " >= cast(? as " + cursorType + ")";
                params.add(start.get());
            }
            if (infiniteCursor != null) {
                params.add("infinity");
                String readBefore = "not (" + Identifiers.quote(cursor) + " >= cast(? as " + cursorType
                        + ") and not coalesce(" + after(types, keyMayBeNull, infiniteCursor, infiniteKey, params)
                        + ", false))";
                where = (where.isEmpty() ? " where " : where + " and ") + readBefore;
            }
            String order = " order by " + orderBy();
            // one row more than a batch, whose cursor and key only are read: does the page end inside a group?
            Page page = read(src, select + where + order + " limit " + ((long) batchRows + 1), params, batchRows, userTypes);
            if (page.records.isEmpty()) {
                break;
            }
            boolean more = page.next != null;
            if (more && !after(src, types, collations, page.next, page.last)) {
                // The row after the page equals its last row in cursor and key (a key holding NULL, not unique, or
                // equal under a non-deterministic collation): continuing after that last row would skip the rest
                // of the group, so this page takes the whole group, however many rows that makes.
                List<String> groupParams = new ArrayList<>(params);
                String upToGroup = "not coalesce(" + after(types, keyMayBeNull, page.last.cursor(), page.last.key(),
                        groupParams) + ", false)";
                page = read(src, select + (where.isEmpty() ? " where " : where + " and ") + upToGroup + order,
                        groupParams, Integer.MAX_VALUE, userTypes);
                LOG.debug("a page of {} ends inside a group of rows equal in cursor and key: read {} rows", table,
                        page.records.size());
                if (page.records.isEmpty()) {
                    continue;   // another session deleted the group meanwhile: the page again, from where it started
                }
            }
            lastCursor = page.last.cursor();
            lastKey = page.last.key();
            if (page.lastFinite != null) {
                finiteCursor = page.lastFinite.cursor();
                finiteKey = page.lastFinite.key();
            }
            if (page.last != page.lastFinite) {
                infiniteCursor = page.last.cursor();
                infiniteKey = page.last.key();
            }
            // a stored cursor of infinity would never move again: no later finite row would ever be read. The
            // batch stores the last finite cursor instead, so later runs read the rows at infinity again (as the
            // inclusive cursor re-reads the rows at its value) and still every new row with a finite cursor; with
            // AFTER_LAST_ROW, the last infinite row read too, up to which later runs leave the infinite rows out
            Map<String, Object> pos = new LinkedHashMap<>();
            if (finiteCursor != null) {
                pos.put("cursor", finiteCursor);
                if (restart == Restart.AFTER_LAST_ROW && finiteKey != null) {
                    for (int i = 0; i < key.size(); i++) {
                        pos.put("key." + i, finiteKey.get(i));
                    }
                }
            }
            if (restart == Restart.AFTER_LAST_ROW && infiniteCursor != null) {
                pos.put(INFINITE + "cursor", infiniteCursor);
                for (int i = 0; i < key.size(); i++) {
                    pos.put(INFINITE + "key." + i, infiniteKey.get(i));
                }
            }
            // the type the cursor was read as: a later run finding the column of another type is refused
            pos.put(CURSOR_TYPE, cursorType);
            // who the cursor belongs to: a later run of another database under this key is refused
            pos.put(SourceIdentity.DATABASE, identity.database());
            pos.put(SourceIdentity.CLUSTER, identity.cluster());
            SourcePosition position = SourcePosition.of(stateKey, pos);
            version = commit(warehouse, handler, new RecordBatch(page.schema, page.records, Optional.of(position)),
                    position, version);
            total += page.records.size();
            if (!more) {
                break;
            }
        }
        return total;
    }

    /** Gives {@code src} back the auto-commit and read-only settings it was lent with. */
    private void restore(Connection src, boolean autoCommit, boolean readOnly) {
        try {
            if (src.isClosed()) {
                return;
            }
            if (src.getAutoCommit() != autoCommit) {
                src.setAutoCommit(autoCommit);
            }
            if (src.isReadOnly() != readOnly) {
                src.setReadOnly(readOnly);
            }
        } catch (SQLException e) {
            // a broken connection: the pool discards it; the run's own outcome stands
            LOG.debug("cannot give the source connection of {} back its settings: {}", table, e.getMessage());
        }
    }

    /**
     * Refuses a stored position read from a cursor column of another type than the column has now (an
     * {@code ALTER TABLE ... TYPE} between runs): the stored cursor's text would be cast to the new type, which can
     * mean another value (a timestamp taken as a timestamptz in this session's time zone, a number compared as text),
     * and rows would be skipped. A change of precision or length alone ({@code timestamp(0)} to {@code timestamp(6)},
     * {@code varchar(10)} to {@code varchar(20)}) keeps the meaning and goes on. A position without the type (stored by
     * an earlier version) is taken as read from the current type.
     */
    private void refuseAnotherCursorType(SourcePosition stored, String cursorType) {
        Object storedType = stored.values().get(CURSOR_TYPE);
        if (storedType == null || withoutModifiers(storedType.toString()).equals(withoutModifiers(cursorType))) {
            return;
        }
        throw new MdsException(table + ": cursor column " + cursor + " is " + cursorType + ", but the position stored"
                + " under state key '" + stateKey + "' was read from it as " + storedType + " (the column's type changed"
                + " since): its cursor " + stored.get("cursor").map(c -> "'" + c + "' ").orElse("") + "would be taken"
                + " as a value of the new type, which can mean another one (a timestamp read as a timestamptz in this"
                + " session's time zone, a number compared as text) and skip rows, so nothing is read. Read the table"
                + " again under a new stateKey(...), or set the stored position's entry " + CURSOR_TYPE + " to "
                + cursorType + " and its entry cursor to the same value written as one of the new type (an integer"
                + " to bigint or a varchar to text as it is; a timestamp to timestamptz with the offset it was"
                + " converted at, '2024-06-01 12:30:00+00')");
    }

    /**
     * A type as format_type spells it, without its modifiers ({@code timestamp(3) without time zone} without (3)) and
     * without the schema it qualifies a type off the search_path with, so that another search_path alone is no change.
     */
    private static String withoutModifiers(String type) {
        return type.replaceAll("\\([^)]*\\)", "").replaceFirst("^(\"(?:[^\"]|\"\")*\"|[^.\"]+)\\.", "");
    }

    /**
     * Refuses a stored position that another source database committed under this state key: this source would
     * start at that one's cursor and skip its own rows before it. A position without an identity (stored by a version
     * before identities were) is taken as this source's; the next batch stores it with this source's identity.
     */
    private void refuseAnotherSource(SourcePosition stored, SourceIdentity current) {
        Optional<SourceIdentity> storedBy = SourceIdentity.storedIn(stored);
        if (storedBy.isEmpty()) {
            LOG.info("the position of {} (state key {}) names no source database; taken as {}'s, stored with it from"
                    + " the next batch on", table, stateKey, current);
            return;
        }
        if (!storedBy.get().equals(current)) {
            throw new MdsException(table + ": the position stored under state key '" + stateKey + "' was committed by"
                    + " another source (" + storedBy.get() + ") than this one (" + current + "); reading on from its"
                    + " cursor would skip this source's rows before it, so nothing is read. Give each source its own"
                    + " stateKey(...). If this is the same data moved to another server, give it a new stateKey (its"
                    + " rows are read again) or remove the entries " + SourceIdentity.DATABASE + " and "
                    + SourceIdentity.CLUSTER + " from the stored position (the next run continues from its cursor)");
        }
    }

    /**
     * The source a position was read from: its {@code current_database()} and its cluster, by the
     * {@code system_identifier} of {@code pg_control_system()} (the same on a physical replica as on its primary,
     * different for every {@code initdb}) or, where the role may not call it, by the server's address and port.
     */
    private record SourceIdentity(String database, String cluster) {
        static final String DATABASE = "source.database";
        static final String CLUSTER = "source.cluster";

        /**
         * Reads the identity of the source {@code c} is connected to (auto-commit, so a refused call spoils nothing).
         * Only a refused or missing {@code pg_control_system()} (SQLSTATE 42501, 42883) falls back to the address.
         */
        static SourceIdentity of(Connection c) throws SQLException {
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select current_database(),"
                    + " (select system_identifier from pg_control_system())")) {
                rs.next();
                return new SourceIdentity(rs.getString(1), "system_identifier=" + rs.getString(2));
            } catch (SQLException e) {
                if (!"42501".equals(e.getSQLState()) && !"42883".equals(e.getSQLState())) {
                    // not a refusal (a cancelled statement, a lost connection): a run identified the other way would
                    // store an identity that the next run, identified by the system identifier again, is refused by
                    throw e;
                }
                // Fallback: current_database() with inet_server_addr()/inet_server_port(). Every role may call
                // pg_control_system() by default, but a hardened or managed server may revoke it (or lack it). The
                // server's address and port tell two servers apart too, but change when the same source is reached
                // at another address (a failover to another host, another route), and such a run is then refused
                LOG.debug("pg_control_system() failed ({}): the source is identified by the server's address", e.getMessage());
            }
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select current_database(),"
                    + " coalesce(host(inet_server_addr()), 'local'), inet_server_port()")) {
                rs.next();
                return new SourceIdentity(rs.getString(1), "server=" + rs.getString(2) + ":" + rs.getString(3));
            }
        }

        /** The identity a position was stored with, if it was. */
        static Optional<SourceIdentity> storedIn(SourcePosition p) {
            Object database = p.values().get(DATABASE);
            Object cluster = p.values().get(CLUSTER);
            if (database == null && cluster == null) {
                return Optional.empty();
            }
            return Optional.of(new SourceIdentity(String.valueOf(database), String.valueOf(cluster)));
        }

        @Override
        public String toString() {
            return "database " + database + ", " + cluster;
        }
    }

    /**
     * The condition of the rows after {@code (lastCursor, lastKey)} in the pages' order, its parameters added to
     * {@code params}. A row comparison {@code (c, k1, k2) > (?, ?, ?)} when no key column can hold NULL; otherwise
     * spelt out column by column, NULLs last as {@code order by} puts them: a row comparison with a NULL on either
     * side is NULL, not true, and would skip the later rows that hold NULL where the others are equal. That form
     * starts with {@code c >= ?}, so that an index on the cursor bounds the scan.
     */
    private String after(Map<String, String> types, boolean keyMayBeNull, String lastCursor, List<String> lastKey,
            List<String> params) {
        String cursorType = types.get(cursor);
        StringBuilder sql = new StringBuilder();
        if (!keyMayBeNull) {
            sql.append('(').append(orderBy()).append(") > (cast(? as ").append(cursorType).append(')');
            params.add(lastCursor);
            for (int i = 0; i < key.size(); i++) {
                sql.append(", cast(? as ").append(types.get(key.get(i))).append(')');
                params.add(lastKey.get(i));
            }
            return sql.append(')').toString();
        }
        String c = Identifiers.quote(cursor);
        // "c >= ?" first: it bounds an index scan on the cursor, which the disjunction alone does not (each page
        // would scan from the table's first row and drop every row before the page)
        sql.append('(').append(c).append(" >= cast(? as ").append(cursorType).append(") and (").append(c)
                .append(" > cast(? as ").append(cursorType).append(") or (").append(c)
                .append(" = cast(? as ").append(cursorType).append(")");
        params.add(lastCursor);
        params.add(lastCursor);
        params.add(lastCursor);
        int open = 1;
        for (int i = 0; i < key.size(); i++) {
            String k = Identifiers.quote(key.get(i));
            String value = lastKey.get(i);
            if (value == null) {
                // nothing sorts after NULL in this column: only the rows with NULL here, ordered by the next columns
                sql.append(" and (").append(k).append(" is null");
            } else {
                String type = types.get(key.get(i));
                sql.append(" and (").append(k).append(" > cast(? as ").append(type).append(") or ").append(k)
                        .append(" is null or (").append(k).append(" = cast(? as ").append(type).append(')');
                params.add(value);
                params.add(value);
                open++;
            }
            open++;
        }
        sql.append(" and false");
        return sql.append(")".repeat(open + 2)).toString();
    }

    /**
     * Whether row {@code next} sorts after row {@code last} in the pages' order, given that it does not sort before
     * it: whether they differ in cursor or key, as the database compares them (in each column's type and collation:
     * {@code 1.5} equals {@code 1.50} in a numeric, {@code 'a'} equals {@code 'A'} in a case-insensitive collation).
     */
    private boolean after(Connection c, Map<String, String> types, Map<String, String> collations, RowAt next,
            RowAt last) throws SQLException {
        if (next.equals(last)) {
            return false;
        }
        List<String> columns = new ArrayList<>();
        columns.add(cursor);
        columns.addAll(key);
        List<String> nextValues = new ArrayList<>();
        nextValues.add(next.cursor());
        nextValues.addAll(next.key());
        List<String> lastValues = new ArrayList<>();
        lastValues.add(last.cursor());
        lastValues.addAll(last.key());
        StringBuilder sql = new StringBuilder("select ");
        for (int i = 0; i < columns.size(); i++) {
            String value = "cast(? as " + types.get(columns.get(i)) + ")" + collations.getOrDefault(columns.get(i), "");
            sql.append(i == 0 ? "" : " and ").append('(').append(value).append(" is not distinct from ").append(value)
                    .append(')');
        }
        try (PreparedStatement ps = unprepared(c, sql.toString())) {
            for (int i = 0; i < columns.size(); i++) {
                ps.setString(2 * i + 1, nextValues.get(i));
                ps.setString(2 * i + 2, lastValues.get(i));
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                boolean equal = rs.getBoolean(1);
                return !rs.wasNull() && !equal;
            }
        }
    }

    /**
     * Loads the batch and stores its position in one warehouse transaction, if the stored position is still at
     * {@code version} (the one this run read or last wrote); returns the version stored.
     *
     * @throws MdsException when another run stored a position meanwhile (its batch rolled back)
     */
    private long commit(DataSource warehouse, Handler handler, RecordBatch batch, SourcePosition position, long version) {
        try (Connection c = warehouse.getConnection()) {
            return Sql.transaction(c, x -> {
                try {
                    handler.handle(batch, x);
                } catch (RuntimeException e) {
                    throw e;
                } catch (Exception e) {
                    throw new MdsException("loading a batch of " + table + " failed: " + e.getMessage(), e);
                }
                if (!offsets.compareAndSet(x, stateKey, version, position.toJson())) {
                    throw new MdsException(table + ": another run of this source committed a position (state key "
                            + stateKey + ") since this run read it, so this batch may hold rows that run loaded already;"
                            + " the batch is rolled back. Run one read of a table at a time (or give each its own"
                            + " stateKey)");
                }
                return offsets.get(x, stateKey).map(StateStore.State::version).orElseThrow();
            });
        } catch (SQLException e) {
            throw new MdsException("cannot commit a batch of " + table + " to the warehouse: " + e.getMessage(), e);
        }
    }

    /**
     * The columns' types; the names of those without a NOT NULL constraint are added to {@code nullable}, and each
     * collatable column's {@code collate "schema"."name"} clause to {@code collations}.
     */
    private Map<String, String> columnTypes(Connection c, Set<String> nullable, Map<String, String> collations)
            throws SQLException {
        // The full type with its modifier: a parameter cast to bare "character" (bpchar(1)) or "bit" (bit(1))
        // would be cut to one character, and the page condition would then select the same page again forever.
        Map<String, String> types = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement("select a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,"
                + " n.nspname, co.collname from pg_attribute a left join pg_collation co on co.oid = a.attcollation"
                + " left join pg_namespace n on n.oid = co.collnamespace where a.attrelid = "
                + PostgresDialect.INSTANCE.relationOid(table) + " and a.attnum > 0 and not a.attisdropped order by a.attnum")) {
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    types.put(rs.getString(1), rs.getString(2));
                    if (!rs.getBoolean(3)) {
                        nullable.add(rs.getString(1));
                    }
                    if (rs.getString(5) != null) {
                        collations.put(rs.getString(1), " collate " + Identifiers.quote(rs.getString(4), rs.getString(5)));
                    }
                }
            }
        } catch (SQLException e) {
            throw new MdsException("cannot read the columns of " + table + ": " + e.getMessage(), e);
        }
        if (types.isEmpty()) {
            throw new MdsException("table " + table + " does not exist (or has no columns)");
        }
        List<String> needed = new ArrayList<>(key);
        needed.add(cursor);
        for (String col : needed) {
            if (!types.containsKey(col)) {
                throw new MdsException("table " + table + " has no column '" + col + "' (columns: " + types.keySet() + ")");
            }
        }
        return types;
    }

    /**
     * {@code *}, or, for a table with money columns or arrays of a domain the driver cannot read by the domain
     * ({@link UserType#baseArray}), its columns by name, the money ones cast to numeric (exact, and free of
     * lc_monetary's currency sign and thousands separators, {@code $1,000.00}, which pgjdbc cannot read as the double
     * it reads money as), those arrays to their base type's array.
     */
    private static String selectList(Map<String, String> types, Map<String, UserType> userTypes) {
        if (types.values().stream().noneMatch(JdbcIncrementalSource::money)
                && userTypes.values().stream().allMatch(u -> u.baseArray().isEmpty())) {
            return "*";
        }
        List<String> columns = new ArrayList<>();
        types.forEach((name, type) -> {
            String column = Identifiers.quote(name);
            Optional<String> baseArray = Optional.ofNullable(userTypes.get(name)).flatMap(UserType::baseArray);
            columns.add(money(type) ? "cast(" + column + " as numeric" + type.substring("money".length()) + ") as " + column
                    : baseArray.isPresent() ? "cast(" + column + " as " + baseArray.get() + ") as " + column : column);
        });
        return String.join(", ", columns);
    }

    private static boolean money(String type) {
        return type.equals("money") || type.equals("money[]");
    }

    /**
     * The key a position stored under {@code prefix} ({@link Restart#AFTER_LAST_ROW}: {@code key.} for the last finite
     * row, {@code infinite.key.} for the last row at infinity), if it holds one for every key column.
     */
    private static Optional<List<String>> storedKey(SourcePosition p, String prefix) {
        List<String> values = new ArrayList<>();
        for (int i = 0; p.values().containsKey(prefix + i); i++) {
            Object v = p.values().get(prefix + i);
            values.add(v == null ? null : v.toString());
        }
        return values.isEmpty() ? Optional.empty() : Optional.of(Collections.unmodifiableList(values));
    }

    /** A row's cursor and key values as text. */
    private record RowAt(String cursor, List<String> key) {
    }

    /**
     * A page: its schema, records, the cursor and key of its last record, those of its last record whose cursor
     * is not infinity ({@code null} when none is) and, when the query gave a row beyond the page, that row's cursor
     * and key ({@code null} when there is none).
     */
    private record Page(Schema schema, List<Record> records, RowAt last, RowAt lastFinite, RowAt next) {
    }

    /** Reads the page {@code sql} selects, at most {@code rows} records, and the cursor and key of a row after them. */
    private Page read(Connection c, String sql, List<String> params, int rows, Map<String, UserType> userTypes)
            throws SQLException {
        try (PreparedStatement ps = unprepared(c, sql)) {
            for (int i = 0; i < params.size(); i++) {
                ps.setString(i + 1, params.get(i));
            }
            try (ResultSet rs = ps.executeQuery()) {
                ResultSetMetaData md = rs.getMetaData();
                Schema.Builder sb = Schema.builder();
                int n = md.getColumnCount();
                FieldType[] types = new FieldType[n];
                for (int i = 1; i <= n; i++) {
                    types[i - 1] = fieldType(md, i, userTypes);
                    sb.add(new Field(md.getColumnName(i), types[i - 1], md.isNullable(i) != ResultSetMetaData.columnNoNulls));
                }
                Schema schema = sb.build();
                int cursorIndex = schema.require(cursor) + 1;
                FieldType.Kind cursorKind = types[cursorIndex - 1].kind();
                // by position: pgjdbc finds a column label ignoring case, so "ID" would read a column id
                int[] keyIndex = new int[key.size()];
                for (int k = 0; k < keyIndex.length; k++) {
                    keyIndex[k] = schema.require(key.get(k)) + 1;
                }
                List<Record> records = new ArrayList<>();
                RowAt last = null;
                RowAt lastFinite = null;
                while (rs.next()) {
                    RowAt at = rowAt(rs, cursorIndex, keyIndex);
                    if (records.size() == rows) {
                        return new Page(schema, records, last, lastFinite, at);
                    }
                    Object[] values = new Object[n];
                    for (int i = 0; i < n; i++) {
                        try {
                            values[i] = value(rs, i + 1, types[i]);
                        } catch (IllegalArgumentException | DataException e) {
                            List<String> where = new ArrayList<>();
                            for (int k = 0; k < keyIndex.length; k++) {
                                where.add(key.get(k) + "=" + rs.getString(keyIndex[k]));
                            }
                            throw new MdsException(table + " row " + String.join(", ", where) + ", column "
                                    + schema.fields().get(i).name() + ": " + e.getMessage());
                        }
                    }
                    records.add(Record.of(values));
                    last = at;
                    if (!infinite(cursorKind, at.cursor())) {
                        lastFinite = at;
                    }
                }
                return new Page(schema, records, last, lastFinite, null);
            }
        }
    }

    /**
     * A statement on the source that pgjdbc never prepares on the server. From a statement's fifth run on a connection
     * on (its {@code prepareThreshold}, counting the runs of the same SQL by earlier users of a pooled connection),
     * pgjdbc prepares it and takes its results in binary, where {@code getString} gives a bytea as a Java array's
     * {@code toString()} and a timetz moved to UTC: the page conditions would then compare the wrong cursor and key, and
     * values change. Unprepared, every page is read as text, as the first ones are.
     */
    private static PreparedStatement unprepared(Connection c, String sql) throws SQLException {
        PreparedStatement ps = c.prepareStatement(sql);
        if (ps.isWrapperFor(PGStatement.class)) {
            ps.unwrap(PGStatement.class).setPrepareThreshold(0);
        }
        return ps;
    }

    /**
     * Whether a cursor's text is PostgreSQL's infinity (a date or timestamp's, or a float's) or a float's NaN, which
     * sorts after infinity: from either, no later finite row would be read. A text cursor spelling those words is
     * text: stored like any other, or each run would read its row and those after it again.
     */
    private static boolean infinite(FieldType.Kind cursorKind, String cursorText) {
        return switch (cursorKind) {
            case DATE, TIMESTAMP, TIMESTAMPTZ, DOUBLE, DECIMAL ->
                    cursorText.equals("infinity") || cursorText.equals("Infinity") || cursorText.equals("NaN");
            default -> false;
        };
    }

    private RowAt rowAt(ResultSet rs, int cursorIndex, int[] keyIndex) throws SQLException {
        String at = rs.getString(cursorIndex);
        if (at == null) {
            throw new MdsException(table + ": cursor column " + cursor + " is NULL in a row; an incremental"
                    + " cursor must never be NULL (rows with NULL are never read)");
        }
        List<String> keyValues = new ArrayList<>(keyIndex.length);
        for (int k : keyIndex) {
            keyValues.add(rs.getString(k));
        }
        // a key column may hold NULL (a unique constraint allows it), which List.copyOf refuses
        return new RowAt(at, Collections.unmodifiableList(keyValues));
    }

    /**
     * Refuses a table whose cursor column holds NULL (as Airbyte's JDBC sources do): such rows sort after every
     * value and a page's {@code (cursor, key) > (...)} never reaches them, so whether a run saw them would depend on
     * the page size. One query, stopping at the first NULL.
     */
    private void refuseNullCursors(Connection src) throws SQLException {
        String sql = "select exists (select 1 from " + table.quoted() + " where " + Identifiers.quote(cursor) + " is null)";
        try (Statement st = src.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            if (rs.next() && rs.getBoolean(1)) {
                throw new MdsException(table + ": cursor column " + cursor + " is NULL in some rows; an incremental"
                        + " cursor must never be NULL (fill it, or read the table with a cursor that has a value in every row)");
            }
        }
    }

    /**
     * The mds type of a result column. A {@code timetz} (which mds-core maps to time, losing its offset, and which the
     * driver refuses to read as a LocalTime) is read as its text, {@code 10:11:12.5+02}, as is an array of them. A
     * column whose type the catalog tells to be a user's ({@code userTypes}) is typed by what the catalog says, not by
     * the name pgjdbc gives it, which is a bare name for a type on the {@code search_path}: an enum {@code public.date}
     * is named "date".
     *
     * @throws MdsException naming the table and column when mds has no type for the column's
     */
    private FieldType fieldType(ResultSetMetaData md, int i, Map<String, UserType> userTypes) throws SQLException {
        String typeName = md.getColumnTypeName(i);
        try {
            UserType user = userTypes.get(md.getColumnName(i));
            if (user != null) {
                return user.fieldType(typeName);
            }
            return builtIn(md.getColumnType(i), typeName, md.getPrecision(i), md.getScale(i));
        } catch (MdsException e) {
            throw new MdsException(table + " column " + md.getColumnName(i) + ": " + e.getMessage(), e);
        }
    }

    /** The mds type of a built-in type, by its name; a {@code timetz} and its array as text. */
    private static FieldType builtIn(int jdbcType, String typeName, int precision, int scale) {
        if ("timetz".equals(typeName)) {
            return FieldType.STRING;
        }
        if ("_timetz".equals(typeName)) {
            return FieldType.arrayOf(FieldType.STRING);
        }
        return PostgresDialect.INSTANCE.fieldType(jdbcType, typeName, precision, scale);
    }

    /**
     * What the catalog says of a column whose result type is not a built-in type known by its name: the kind
     * ({@code pg_type.typtype}) of its type, domains resolved as the server resolves them in a result ('e' enum, 'c'
     * composite, 'r' range, 'm' multirange, 'p' pseudo-type), or, for an array, of its element, with the element's
     * base type name and type modifier when the element is a domain over a built-in type, and that base type with its
     * modifier as the source's session spells it ({@code format_type}, schema-qualified where another type of its name
     * would be found first).
     */
    private record UserType(char kind, char elementKind, String elementBase, int elementTypmod, String elementBaseType) {

        /**
         * The type an array of a domain is selected as, when the driver could not read its elements by the domain:
         * pgjdbc reads an array's elements by the element's own type, whose OID (a domain's) it does not know, so it
         * gives no LocalDate, LocalTime, timestamp, UUID or bytes of them; money's text carries lc_monetary's sign and
         * separators. Cast to the base type's array ({@code numeric[]} for money), the elements are read as a column
         * of that array type is.
         */
        Optional<String> baseArray() {
            if (kind != 'b' || elementKind != 'b' || elementBase == null) {
                return Optional.empty();
            }
            return switch (elementBase) {
                case "money" -> Optional.of("numeric[]");
                case "date", "time", "timestamp", "timestamptz", "uuid", "bytea" -> Optional.of(elementBaseType + "[]");
                default -> Optional.empty();
            };
        }

        FieldType fieldType(String typeName) {
            if (kind == 'e') {
                return FieldType.STRING;   // an enum, whatever its name (an enum public.date is no date)
            }
            if (kind != 'b') {
                throw noLogicalType(typeName, kindName(kind));
            }
            if (elementKind == 'e') {
                return FieldType.arrayOf(FieldType.STRING);
            }
            if (elementKind != 'b') {
                throw noLogicalType(typeName, "an array of " + kindName(elementKind));
            }
            // an array of a domain over a built-in type: the array of that type, with the domain's modifier
            int precision = 0;
            int scale = 0;
            if (elementBase.equals("numeric") && elementTypmod >= 4) {
                precision = ((elementTypmod - 4) >> 16) & 0xffff;
                scale = (((elementTypmod - 4) & 0x7ff) ^ 1024) - 1024;
            }
            FieldType type = builtIn(Types.ARRAY, "_" + (elementBase.equals("money") ? "numeric" : elementBase),
                    precision, scale);
            // the driver reads an element by its own type, the domain, whose values it reads as text only: the types
            // it reads by their type's OID (dates, times, uuid, bytea) are selected as their base type's array
            // (baseArray) and read as such
            switch (type.elementType().kind()) {
                case STRING, JSON, INT, LONG, DECIMAL, DOUBLE, BOOLEAN -> {
                    return type;
                }
                case DATE, TIME, TIMESTAMP, TIMESTAMPTZ, BYTES, UUID -> {
                    if (baseArray().isPresent()) {
                        return type;
                    }
                    throw noLogicalType(typeName, "an array of a domain over " + elementBase);
                }
                default -> throw noLogicalType(typeName, "an array of a domain over " + elementBase);
            }
        }

        private static String kindName(char kind) {
            return switch (kind) {
                case 'c' -> "a composite type";
                case 'r' -> "a range type";
                case 'm' -> "a multirange type";
                default -> "a pseudo-type";
            };
        }

        private static MdsException noLogicalType(String typeName, String what) {
            return new MdsException("mds has no logical type for database type '" + typeName + "' (" + what + ");"
                    + " cast the column to text, numeric or another supported type");
        }
    }

    /**
     * The table's columns whose result type is a user's type rather than a built-in one known by its name: an enum,
     * composite, range or multirange (through domains, which the server resolves to their base type in a result), or
     * an array of one or of a domain. One catalog query; pgjdbc's names cannot tell these apart from built-in types
     * of the same name, and its metadata gives no type OID.
     */
    private Map<String, UserType> userTypes(Connection c) throws SQLException {
        String relation = PostgresDialect.INSTANCE.relationOid(table);
        String sql = "with recursive top as (select a.attname, t.typtype, t.typbasetype, t.typelem, t.typcategory"
                + " from pg_catalog.pg_attribute a join pg_catalog.pg_type t on t.oid = a.atttypid"
                + " where a.attrelid = " + relation + " and a.attnum > 0 and not a.attisdropped"
                + " union all select top.attname, b.typtype, b.typbasetype, b.typelem, b.typcategory from top"
                + " join pg_catalog.pg_type b on b.oid = top.typbasetype where top.typtype = 'd'),"
                + " elem as (select top.attname, e.oid, e.typtype, e.typbasetype, e.typname, e.typtypmod as typmod,"
                + " e.typtype = 'd' as domain from top join pg_catalog.pg_type e on e.oid = top.typelem"
                + " where top.typtype <> 'd' and top.typcategory = 'A'"
                + " union all select elem.attname, b.oid, b.typtype, b.typbasetype, b.typname,"
                + " case when elem.typmod <> -1 then elem.typmod else b.typtypmod end, true from elem"
                + " join pg_catalog.pg_type b on b.oid = elem.typbasetype where elem.typtype = 'd')"
                + " select top.attname, top.typtype::text, elem.typtype::text, elem.typname, elem.typmod, elem.domain,"
                + " format_type(elem.oid, elem.typmod)"
                + " from top left join elem on elem.attname = top.attname and elem.typtype <> 'd'"
                + " where top.typtype <> 'd' and (top.typtype <> 'b' or elem.typtype <> 'b' or elem.domain)";
        Map<String, UserType> types = new HashMap<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                String element = rs.getString(3);
                types.put(rs.getString(1), new UserType(rs.getString(2).charAt(0),
                        element == null ? 'b' : element.charAt(0), rs.getString(4), rs.getInt(5), rs.getString(7)));
            }
        }
        return types;
    }

    /** A value of a row the driver cannot read as its type's Java value (a PostgreSQL data exception, class 22). */
    private static final class DataException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        DataException(String message, Throwable cause) {
            super(message, cause, false, false);
        }
    }

    /**
     * The elements of an array as the element type's values, each read from its own text as a column of that type
     * is ({@code Array.getArray()} gives java.sql.Time without its fraction and timestamps parsed in the JVM's zone).
     *
     * @throws IllegalArgumentException for a value of more than one dimension, which has no logical type
     */
    private static List<Object> elements(Array a, FieldType element) throws SQLException {
        List<Object> out = new ArrayList<>();
        try (ResultSet rs = a.getResultSet()) {
            if (rs.getMetaData().getColumnType(2) == Types.ARRAY) {
                throw new IllegalArgumentException("an array value of more than one dimension ('" + a
                        + "'); only one-dimensional arrays are read");
            }
            while (rs.next()) {
                out.add(value(rs, 2, element));
            }
        }
        return Collections.unmodifiableList(out);
    }

    private static Object value(ResultSet rs, int i, FieldType type) throws SQLException {
        try {
            return readValue(rs, i, type);
        } catch (SQLException e) {
            if (e.getSQLState() != null && e.getSQLState().startsWith("22")) {
                throw new DataException(e.getMessage(), e);
            }
            throw e;
        }
    }

    private static Object readValue(ResultSet rs, int i, FieldType type) throws SQLException {
        Object v = switch (type.kind()) {
            case STRING, JSON -> rs.getString(i);
            case INT -> rs.getInt(i);
            case LONG -> rs.getLong(i);
            case DECIMAL -> decimal(rs.getString(i));
            case DOUBLE -> rs.getDouble(i);
            case BOOLEAN -> rs.getBoolean(i);
            // infinity and -infinity as the driver reads them, the types' MAX and MIN, which mds-load writes back
            case DATE -> rs.getObject(i, LocalDate.class);
            case TIME -> rs.getObject(i, LocalTime.class);
            case TIMESTAMP -> rs.getObject(i, LocalDateTime.class);
            case TIMESTAMPTZ -> rs.getObject(i, OffsetDateTime.class);
            case BYTES -> rs.getBytes(i);
            case UUID -> rs.getObject(i, java.util.UUID.class);
            case ARRAY -> {
                Array a = rs.getArray(i);
                yield a == null ? null : elements(a, type.elementType());
            }
        };
        return rs.wasNull() ? null : v;
    }

    /** A numeric's text as a BigDecimal; {@code NaN} and the infinities have none and are refused. */
    private static java.math.BigDecimal decimal(String text) {
        if (text == null) {
            return null;
        }
        char first = text.isEmpty() ? ' ' : text.charAt(0);
        if ((first >= '0' && first <= '9') || first == '-' || first == '.') {
            try {
                return new java.math.BigDecimal(text);
            } catch (NumberFormatException e) {
                // -Infinity
            }
        }
        throw new IllegalArgumentException("numeric '" + text + "', which mds cannot carry (an mds decimal is a"
                + " BigDecimal, which has no NaN or infinity)");
    }

    /**
     * Configures a {@link JdbcIncrementalSource}; {@link #cursor}, {@link #key} and {@link #offsets} are required.
     * Defaults: 10,000 rows per batch, state key {@code jdbc-incremental:<table>:<cursor>}, restart
     * {@link Restart#AT_LAST_CURSOR}.
     */
    public static final class Builder {
        private final DataSource source;
        private final TableName table;
        private String cursor;
        private final List<String> key = new ArrayList<>();
        private int batchRows = 10_000;
        private StateStore offsets;
        private String stateKey;
        private Restart restart = Restart.AT_LAST_CURSOR;

        private Builder(DataSource source, TableName table) {
            this.source = Objects.requireNonNull(source, "source");
            this.table = table;
        }

        /** The column that grows with every insert or change (a timestamp, a sequence). Never NULL. */
        public Builder cursor(String column) {
            this.cursor = Identifiers.check(column);
            return this;
        }

        /** Unique column(s) that order rows sharing a cursor value, so pages never split or repeat ties. */
        public Builder key(String... columns) {
            for (String c : columns) {
                key.add(Identifiers.check(c));
            }
            return this;
        }

        /** Rows per batch handed to the handler (default 10,000). */
        public Builder batchRows(int rows) {
            if (rows < 1) {
                throw new IllegalArgumentException("batchRows must be at least 1, not " + rows);
            }
            this.batchRows = rows;
            return this;
        }

        /** Where the cursor is stored: a state store in the warehouse the handler loads into. */
        public Builder offsets(StateStore stateStore) {
            this.offsets = Objects.requireNonNull(stateStore, "stateStore");
            return this;
        }

        /**
         * The state store key of the cursor (default {@code jdbc-incremental:<table>:<cursor>}, which does not name the
         * source database): one per source, since a run finding another source database's position under its key is
         * refused.
         */
        public Builder stateKey(String name) {
            this.stateKey = Objects.requireNonNull(name, "name");
            return this;
        }

        /** Where each run starts (default {@link Restart#AT_LAST_CURSOR}); {@link Restart#AFTER_LAST_ROW} for an APPEND load. */
        public Builder restart(Restart restart) {
            this.restart = Objects.requireNonNull(restart, "restart");
            return this;
        }

        /** @throws IllegalArgumentException naming what is missing */
        public JdbcIncrementalSource build() {
            List<String> missing = new ArrayList<>();
            if (cursor == null) {
                missing.add("cursor(column)");
            }
            if (key.isEmpty()) {
                missing.add("key(columns...)");
            }
            if (offsets == null) {
                missing.add("offsets(stateStore)");
            }
            if (!missing.isEmpty()) {
                throw new IllegalArgumentException("JdbcIncrementalSource for " + table + " needs " + String.join(", ", missing));
            }
            return new JdbcIncrementalSource(this);
        }
    }
}
