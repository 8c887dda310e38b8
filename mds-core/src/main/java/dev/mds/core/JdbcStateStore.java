package dev.mds.core;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link StateStore} in one table of the warehouse, by default {@code mds.state}:
 * {@code (key text primary key, value jsonb, version bigint, updated_at timestamptz)}. The table is created on
 * first use, on the connection the operation runs on (the store never holds two connections at once, so a pool of
 * one serves it); inside a caller's transaction it is created in that transaction and commits or rolls back with
 * it. Thread-safe. A deleted key keeps a row (a tombstone: value {@code null}, the version negated) so that its
 * versions go on from where they were: a writer who read version 3 before the delete cannot compareAndSet over a
 * value written after it. A new key may be at most 2692 bytes in UTF-8 (what the key's btree index holds on 8 kB
 * pages); a longer one is refused before anything is written, and a longer key stored before stays usable.
 *
 * <pre>{@code
 * StateStore state = JdbcStateStore.builder(dataSource).schema("mds").build();
 * state.put("watermark:orders", "{\"updated_at\":\"2024-05-01T00:00:00Z\"}");
 * }</pre>
 *
 * Defaults: schema {@code mds}, table {@code state}.
 */
public final class JdbcStateStore implements StateStore {
    private static final Logger LOG = LoggerFactory.getLogger(JdbcStateStore.class);

    private final DataSource dataSource;
    private final TableName table;
    private final String selectSql;
    private final String selectForUpdateSql;
    private final String upsertSql;
    private final String insertIfAbsentSql;
    private final String casSql;
    private final String deleteSql;
    private volatile boolean created;

    private JdbcStateStore(Builder b) {
        this.dataSource = b.dataSource;
        this.table = TableName.of(b.schema, b.table);
        String t = table.quoted();
        this.selectSql = "select value::text, version, updated_at from " + t + " where key = ?";
        this.selectForUpdateSql = selectSql + " for update";
        this.upsertSql = "insert into " + t + " as s (key, value, version, updated_at) values (?, ?::jsonb, 1, now())"
                + " on conflict (key) do update set value = excluded.value, version = abs(s.version) + 1, updated_at = now()"
                + " returning version, updated_at";
        // a version-0 row is update()'s placeholder, left by a caller that committed after its change function threw;
        // a negative version is a deleted key's tombstone: the next value goes on from it, so that a version is never
        // given twice to one key and a compareAndSet of a writer who read the value before the delete fails
        this.insertIfAbsentSql = "insert into " + t + " as s (key, value, version, updated_at) values (?, ?::jsonb, 1, now())"
                + " on conflict (key) do update set value = excluded.value, version = abs(s.version) + 1, updated_at = now()"
                + " where s.version <= 0";
        this.casSql = "update " + t + " set value = ?::jsonb, version = version + 1, updated_at = now()"
                + " where key = ? and version = ? and version > 0";   // a tombstone's negative version is no version
        this.deleteSql = "update " + t + " set value = 'null'::jsonb, version = -version, updated_at = now()"
                + " where key = ? and version > 0";
    }

    /** A store in the default table {@code mds.state}. */
    public static JdbcStateStore create(DataSource dataSource) {
        return builder(dataSource).build();
    }

    /** A builder of a state store in the database of {@code dataSource}. */
    public static Builder builder(DataSource dataSource) {
        return new Builder(dataSource);
    }

    /** The table holding the state. */
    public TableName table() {
        return table;
    }

    /** The DDL that creates the table (run on first use). */
    public String createTableSql() {
        return "create table if not exists " + table.quoted() + " (key text primary key, value jsonb not null,"
                + " version bigint not null, updated_at timestamptz not null default now())";
    }

    /**
     * Makes sure the table exists, on the connection the operation runs on: the store never takes a second
     * connection, so a pool of one connection serves it (a second one would wait for the caller's, which it holds).
     * The table and its schema are looked up first and created only when missing, so a role that may only read and
     * write an existing table (no CREATE on the database or schema) can use the store, and an existing schema is not
     * created again, for a role that may create tables in it but not schemas.
     *
     * <ul>
     *   <li>On a connection in auto-commit (the store's own, or a caller's) each statement commits at once, and the
     *       store remembers that the table exists.</li>
     *   <li>Inside a caller's transaction the table is created in that transaction (in a savepoint, so a failed
     *       creation leaves the transaction usable): it commits with the state written in it, and a rollback removes
     *       both together. So the store does not remember it, and looks again on the next call until a call on an
     *       auto-commit connection has seen the table.</li>
     *   <li>A read ({@code createInTransaction} false) of a missing table inside a caller's transaction finds no
     *       state and creates nothing. In auto-commit a read creates it too: a pipeline's first read of its stored
     *       position, at start-up, then creates the table before its first load transaction would (holding the
     *       creation's locks, which other sessions creating it wait for, until that transaction ends). A session that
     *       may not write (a hot standby, {@code default_transaction_read_only}, a connection marked read-only) creates
     *       nothing on a read: it finds no state, as a read in a caller's transaction does; a write there fails, saying
     *       so.</li>
     * </ul>
     *
     * @return whether the table exists now (false only when {@code createInTransaction} is false and it is missing)
     */
    private boolean ensureTable(Connection c, String key, boolean createInTransaction) throws SQLException {
        if (created) {
            return true;
        }
        if (!c.getAutoCommit()) {
            return lookUpOrCreate(c, key, createInTransaction, true, false);
        }
        synchronized (this) {
            if (created) {
                return true;
            }
            if (lookUpOrCreate(c, key, true, false, !createInTransaction)) {
                created = true;
                LOG.debug("state table {} ready", table);
            }
            return created;
        }
    }

    private boolean lookUpOrCreate(Connection c, String key, boolean create, boolean inTransaction, boolean read)
            throws SQLException {
        boolean tableExists;
        boolean schemaExists;
        boolean readOnly;
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select "
                + PostgresDialect.INSTANCE.relationOid(table) + " is not null, exists (select 1 from"
                + " pg_catalog.pg_namespace where nspname = " + Identifiers.literal(table.schema()) + "),"
                + " current_setting('transaction_read_only') = 'on'")) {
            rs.next();
            tableExists = rs.getBoolean(1);
            schemaExists = rs.getBoolean(2);
            // a connection marked read-only (Connection.setReadOnly, pgjdbc's or a pool's readOnly) is one too: in
            // auto-commit the server's transaction_read_only is off, but pgjdbc begins its transactions READ ONLY
            readOnly = rs.getBoolean(3) || c.isReadOnly();
        }
        if (tableExists || !create || (read && readOnly)) {
            return tableExists;   // a read in a session that may not write finds no state rather than fail to create
        }
        // another transaction that created the schema or table and has not committed blocks the DDL: give up after
        // a while with an error saying so, rather than wait for as long as it stays open
        String before;
        try (Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("select current_setting('lock_timeout')")) {
                rs.next();
                before = rs.getString(1);
            }
            // local to the caller's transaction (and undone with a rollback of it), or to the session in auto-commit
            st.execute("select set_config('lock_timeout', '" + CREATE_LOCK_TIMEOUT_SECONDS + "s', " + inTransaction + ")");
        }
        Throwable failure = null;
        try {
            if (!schemaExists) {
                createSchema(c, inTransaction);
            }
            createIfAbsent(c, createTableSql(), inTransaction);
        } catch (SQLException | MdsException e) {
            // named as every other failure of the store: which store, for which key (a creation's own error, say a
            // role without CREATE, tells neither)
            Throwable cause = e instanceof MdsException && e.getCause() instanceof SQLException ? e.getCause() : e;
            if (cause instanceof SQLException s && "55P03".equals(s.getSQLState())) {
                failure = new MdsException("state store " + table + ", key '" + key + "': cannot create the table: waited "
                        + CREATE_LOCK_TIMEOUT_SECONDS + " s for another transaction that is creating its schema or table"
                        + " and has not committed (create the table beforehand, or commit that transaction first)", s);
            } else {
                failure = new MdsException("state store " + table + ", key '" + key + "': cannot create the table: "
                        + e.getMessage(), e);
            }
            throw (MdsException) failure;
        } finally {
            try (PreparedStatement ps = c.prepareStatement("select set_config('lock_timeout', ?, " + inTransaction + ")")) {
                ps.setString(1, before);
                ps.execute();
            } catch (SQLException reset) {
                if (failure == null) {
                    throw reset;
                }
                failure.addSuppressed(reset);   // the creation's failure says why; this one only follows from it
            }
        }
        if (inTransaction) {
            LOG.info("state table {} created in the caller's transaction: it commits or rolls back with it", table);
        } else {
            LOG.info("state table {} created", table);
        }
        return true;
    }

    /**
     * Creates the missing schema. Inside a caller's transaction it does so in a savepoint, as the table: a failure
     * (another open transaction creating the same schema, a read-only transaction, no CREATE privilege) then leaves
     * the transaction usable, and the error says that failure rather than that the transaction is aborted.
     */
    private void createSchema(Connection c, boolean inTransaction) throws SQLException {
        Savepoint savepoint = inTransaction ? c.setSavepoint() : null;
        try {
            PostgresDialect.INSTANCE.createSchemaIfMissing(c, table.schema());
        } catch (RuntimeException e) {
            if (savepoint != null) {
                try {
                    c.rollback(savepoint);
                } catch (SQLException rollback) {
                    e.addSuppressed(rollback);
                }
            }
            throw e;
        }
        if (savepoint != null) {
            c.releaseSavepoint(savepoint);
        }
    }

    /** How long the table's creation waits for another transaction creating the same schema or table. */
    private static final int CREATE_LOCK_TIMEOUT_SECONDS = 5;

    /**
     * Runs a {@code create ... if not exists}. When another session creates the same object at the same time, the
     * statement that loses the race fails on the catalog's unique index (23505) instead of skipping; once the winner
     * has committed, running it again sees the object and does nothing. (The schema is created through
     * {@link PostgresDialect#createSchemaIfMissing}, whose creators take turns.) In a caller's transaction each attempt
     * runs in a savepoint, so that a failed one does not abort the caller's transaction.
     */
    private static void createIfAbsent(Connection c, String ddl, boolean inTransaction) throws SQLException {
        try {
            execute(c, ddl, inTransaction);
        } catch (SQLException e) {
            String state = e.getSQLState();
            if (!"23505".equals(state) && !"42P06".equals(state) && !"42P07".equals(state)) {
                throw e;
            }
            execute(c, ddl, inTransaction);
        }
    }

    private static void execute(Connection c, String sql, boolean inSavepoint) throws SQLException {
        Savepoint savepoint = inSavepoint ? c.setSavepoint() : null;
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            if (savepoint != null) {
                c.rollback(savepoint);
            }
            throw e;
        }
        if (savepoint != null) {
            c.releaseSavepoint(savepoint);
        }
    }

    @Override
    public Optional<State> get(String key) {
        return withConnection(key, c -> get(c, key));
    }

    @Override
    public Optional<State> get(Connection c, String key) {
        checkText(key, key, "key");
        try {
            if (!ensureTable(c, key, false)) {
                return Optional.empty();   // no table, no state: a read creates nothing in a caller's transaction
            }
            return read(c, selectSql, key).filter(s -> s.version() > 0);
        } catch (SQLException e) {
            throw failed(key, e);
        }
    }

    private Optional<State> read(Connection c, String sql, String key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new State(key, rs.getString(1), rs.getLong(2), rs.getTimestamp(3).toInstant()));
            }
        }
    }

    @Override
    public long put(String key, String json) {
        return inTransaction(key, c -> put(c, key, json));
    }

    @Override
    public long put(Connection c, String key, String json) {
        Objects.requireNonNull(json, "json");
        checkText(key, key, "key");
        checkText(key, json, "value");
        return run(c, key, () -> {
            checkNewKeyLength(c, key);
            try (PreparedStatement ps = c.prepareStatement(upsertSql)) {
                ps.setString(1, key);
                ps.setString(2, json);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        });
    }

    @Override
    public boolean compareAndSet(String key, long expectedVersion, String json) {
        return inTransaction(key, c -> compareAndSet(c, key, expectedVersion, json));
    }

    @Override
    public boolean compareAndSet(Connection c, String key, long expectedVersion, String json) {
        checkText(key, key, "key");
        checkText(key, json, "value");
        return run(c, key, () -> {
            if (expectedVersion == 0) {
                checkNewKeyLength(c, key);
                try (PreparedStatement ps = c.prepareStatement(insertIfAbsentSql)) {
                    ps.setString(1, key);
                    ps.setString(2, json);
                    return ps.executeUpdate() == 1;
                }
            }
            try (PreparedStatement ps = c.prepareStatement(casSql)) {
                ps.setString(1, json);
                ps.setString(2, key);
                ps.setLong(3, expectedVersion);
                return ps.executeUpdate() == 1;
            }
        });
    }

    @Override
    public State update(String key, Function<Optional<String>, String> change) {
        return inTransaction(key, c -> update(c, key, change));
    }

    @Override
    public State update(Connection c, String key, Function<Optional<String>, String> change) {
        checkText(key, key, "key");
        return run(c, key, () -> {
            checkNewKeyLength(c, key);
            if (!c.getAutoCommit()) {
                return lockedUpdate(c, key, change);
            }
            // in auto-commit each statement commits on its own, which would release the row lock before the new
            // value is written (and keep the placeholder row of a change that failed): one transaction instead
            return Sql.transaction(c, x -> lockedUpdate(x, key, change));
        });
    }

    private State lockedUpdate(Connection c, String key, Function<Optional<String>, String> change) throws SQLException {
        Optional<State> current = read(c, selectForUpdateSql, key);
        if (current.isEmpty()) {
            // make the row exist so that there is something to lock, then lock it
            try (PreparedStatement ps = c.prepareStatement(
                    "insert into " + table.quoted() + " (key, value, version, updated_at) values (?, 'null'::jsonb, 0, now())"
                            + " on conflict (key) do nothing")) {
                ps.setString(1, key);
                ps.executeUpdate();
            }
            current = read(c, selectForUpdateSql, key);
        }
        State locked = current.orElseThrow();
        Optional<String> before = locked.version() <= 0 ? Optional.empty() : Optional.of(locked.json());
        String next = Objects.requireNonNull(change.apply(before),
                () -> "state store " + table + ", key '" + key + "': the change function returned null");
        long version = put(c, key, next);
        return read(c, selectSql, key).filter(s -> s.version() == version).orElseThrow();
    }

    @Override
    public boolean delete(String key) {
        checkText(key, key, "key");
        return inTransaction(key, c -> run(c, key, () -> {
            try (PreparedStatement ps = c.prepareStatement(deleteSql)) {
                ps.setString(1, key);
                return ps.executeUpdate() == 1;   // a placeholder or a tombstone is no stored state
            }
        }));
    }

    private interface SqlWork<T> {
        T run() throws SQLException;
    }

    private interface ConnectionWork<T> {
        T run(Connection c);
    }

    private <T> T run(Connection c, String key, SqlWork<T> work) {
        try {
            ensureTable(c, key, true);
            return work.run();
        } catch (SQLException e) {
            throw failed(key, e);
        }
    }

    /**
     * The most bytes of a key that always fit in the primary key's btree index on 8 kB pages (PostgreSQL's default):
     * an index entry holds at most 2704 bytes, 12 of them the entry's and the text's headers. A longer key fits only
     * when PostgreSQL compresses it enough.
     */
    static final int MAX_KEY_BYTES = 2692;

    /**
     * Refuses, before a write that may add it, a key longer than the key column's btree index can hold
     * ({@link #MAX_KEY_BYTES} in UTF-8 on 8 kB pages, more on bigger ones), naming its length and the limit, unless a
     * row of the key is stored already: an earlier version stored a longer key when it compressed, and such state stays
     * readable and writable. Only a key over the limit costs a statement (whether its row exists, and the page size).
     * Without this, PostgreSQL refused the insert ('index row size 2712 exceeds btree version 4 maximum 2704'), quoting
     * the whole key, and aborted a caller's transaction.
     */
    private void checkNewKeyLength(Connection c, String key) throws SQLException {
        if (key.length() * 3L <= MAX_KEY_BYTES) {
            return;   // a char is at most 3 bytes in UTF-8 (a pair of them 4)
        }
        int bytes = key.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        if (bytes <= MAX_KEY_BYTES) {
            return;
        }
        int limit;
        try (PreparedStatement ps = c.prepareStatement("select exists (select 1 from " + table.quoted()
                + " where key = ?), current_setting('block_size')::int")) {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getBoolean(1)) {
                    return;
                }
                limit = btreeEntryBytes(rs.getInt(2));
            }
        }
        if (bytes > limit - 12) {
            throw new MdsException("state store " + table + ", key '" + shown(key.substring(0, Identifiers.cutBefore(key, 40)))
                    + "…' (" + bytes + " bytes): a new key may be at most " + (limit - 12) + " bytes in UTF-8, as"
                    + " PostgreSQL's btree index on the key holds at most " + limit + " bytes an entry; shorten the key"
                    + " (for example, replace a long part of it by a hash of that part)");
        }
    }

    /** The most bytes of a btree index entry on pages of {@code blockSize} bytes (PostgreSQL's BTMaxItemSize): 2704 on 8 kB. */
    private static int btreeEntryBytes(int blockSize) {
        // a third of the page less its header, three line pointers and the btree's special space, minus a heap TID
        return (((blockSize - 40 - 16) / 3) & ~7) - 8;
    }

    /**
     * Refuses a key or value holding half of a UTF-16 surrogate pair: UTF-8 cannot encode it, so the driver would send
     * '?' instead, and two keys would name one row, or a value would come back changed. Refuses a NUL character too,
     * which PostgreSQL's text cannot hold: the server would refuse the statement (aborting a caller's transaction),
     * and its error would quote the key with the NUL in it; the key is shown with {@code \0} for it.
     */
    private void checkText(String key, String text, String what) {
        if (text != null && text.indexOf('\0') >= 0) {
            throw new MdsException("state store " + table + ", key '" + shown(key) + "': the " + what
                    + " holds a NUL character (U+0000), which PostgreSQL's text and jsonb cannot hold");
        }
        if (text != null && Identifiers.unpairedSurrogate(text)) {
            throw new MdsException("state store " + table + ", key '" + shown(key) + "': the " + what
                    + " holds half of a UTF-16 surrogate pair, which UTF-8 cannot encode (it would be stored as '?')");
        }
        String escape = text != null && what.equals("value") ? escapeJsonbRefuses(text) : null;
        if (escape != null) {
            throw new MdsException("state store " + table + ", key '" + shown(key) + "': the value holds " + escape
                    + ", which jsonb cannot hold");
        }
    }

    /**
     * The first escape in JSON text that jsonb refuses, said for a message, or null: the escape of a NUL character
     * (a backslash, then {@code u0000}), and that of half of a UTF-16 surrogate pair (a high one not followed by the
     * escape of a low one, or a low one alone). Each backslash escapes the character after it, so an escaped
     * backslash followed by the text {@code u0000} is none.
     */
    private static String escapeJsonbRefuses(String json) {
        int n = json.length();
        for (int i = json.indexOf('\\'); i >= 0 && i + 1 < n; i = json.indexOf('\\', i + 2)) {
            int unit = json.charAt(i + 1) == 'u' ? hex4(json, i + 2) : -1;
            if (unit == 0) {
                return "\\u0000, JSON's escape of a NUL character (U+0000)";
            }
            if (unit >= 0 && Character.isSurrogate((char) unit)) {
                int low = Character.isHighSurrogate((char) unit) && json.startsWith("\\u", i + 6) ? hex4(json, i + 8) : -1;
                if (low < 0 || !Character.isLowSurrogate((char) low)) {
                    return "\\u" + json.substring(i + 2, i + 6) + ", JSON's escape of half of a UTF-16 surrogate pair";
                }
                i += 6;   // the pair's low half is read: go on after it
            }
        }
        return null;
    }

    /** The four hex digits at {@code at} as a number, or -1 when there are not four. */
    private static int hex4(String s, int at) {
        if (at + 4 > s.length()) {
            return -1;
        }
        int v = 0;
        for (int k = at; k < at + 4; k++) {
            int d = Character.digit(s.charAt(k), 16);
            if (d < 0 || s.charAt(k) > 'f') {
                return -1;
            }
            v = v * 16 + d;
        }
        return v;
    }

    /** The key as a message shows it, a NUL character as {@code \0}. */
    private static String shown(String key) {
        return String.valueOf(key).replace("\0", "\\0");
    }

    /** An error naming the table and the key. */
    private MdsException failed(String key, SQLException e) {
        return new MdsException("state store " + table + ", key '" + key + "': " + e.getMessage(), e);
    }

    private <T> T withConnection(String key, ConnectionWork<T> work) {
        try (Connection c = dataSource.getConnection()) {
            return work.run(c);
        } catch (SQLException e) {
            throw failed(key, e);
        }
    }

    private <T> T inTransaction(String key, ConnectionWork<T> work) {
        return withConnection(key, c -> {
            try {
                if (!created) {
                    // the store's own connection: create a missing table in auto-commit, before the transaction
                    boolean auto = c.getAutoCommit();
                    c.setAutoCommit(true);
                    ensureTable(c, key, true);
                    c.setAutoCommit(auto);
                }
                return Sql.transaction(c, work::run);
            } catch (SQLException e) {
                throw failed(key, e);
            }
        });
    }

    /** Builds a {@link JdbcStateStore}. Defaults: schema {@code mds}, table {@code state}. */
    public static final class Builder {
        private final DataSource dataSource;
        private String schema = "mds";
        private String table = "state";

        private Builder(DataSource dataSource) {
            this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        }

        /** The schema of the state table (default {@code mds}). */
        public Builder schema(String schema) {
            this.schema = Identifiers.check(schema);
            return this;
        }

        /** The state table's name (default {@code state}). */
        public Builder table(String table) {
            this.table = Identifiers.check(table);
            return this;
        }

        /** The state store; the table is created on first use. */
        public JdbcStateStore build() {
            return new JdbcStateStore(this);
        }
    }
}
