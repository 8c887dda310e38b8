package dev.mds.core;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
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
 * first use. Thread-safe.
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
                + " on conflict (key) do update set value = excluded.value, version = s.version + 1, updated_at = now()"
                + " returning version, updated_at";
        // a version-0 row is update()'s placeholder, left by a caller that committed after its change function threw
        this.insertIfAbsentSql = "insert into " + t + " as s (key, value, version, updated_at) values (?, ?::jsonb, 1, now())"
                + " on conflict (key) do update set value = excluded.value, version = 1, updated_at = now()"
                + " where s.version = 0";
        this.casSql = "update " + t + " set value = ?::jsonb, version = version + 1, updated_at = now()"
                + " where key = ? and version = ?";
        this.deleteSql = "delete from " + t + " where key = ? returning version";
    }

    /** A store in the default table {@code mds.state}. */
    public static JdbcStateStore create(DataSource dataSource) {
        return builder(dataSource).build();
    }

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
     * Creates the table once, on a connection of its own that commits at once: created inside a caller's
     * transaction, the table would vanish with a rollback of that transaction. An existing table is used as it is,
     * so a role that may only read and write it (no CREATE on the database or schema) can use the store; an
     * existing schema is not created again, for a role that may create tables in it but not schemas.
     */
    private void ensureTable() throws SQLException {
        if (created) {
            return;
        }
        synchronized (this) {
            if (created) {
                return;
            }
            try (Connection own = dataSource.getConnection(); Statement st = own.createStatement()) {
                own.setAutoCommit(true);
                boolean tableExists;
                boolean schemaExists;
                try (ResultSet rs = st.executeQuery("select " + PostgresDialect.INSTANCE.relationOid(table)
                        + " is not null, exists (select 1 from pg_catalog.pg_namespace where nspname = "
                        + Identifiers.literal(table.schema()) + ")")) {
                    rs.next();
                    tableExists = rs.getBoolean(1);
                    schemaExists = rs.getBoolean(2);
                }
                if (!tableExists) {
                    // a transaction that created the schema or table and has not committed blocks the DDL; when it is
                    // the caller's own (waiting for this call) nothing would ever end the wait
                    st.execute("set lock_timeout = '" + CREATE_LOCK_TIMEOUT_SECONDS + "s'");
                    try {
                        if (!schemaExists) {
                            createIfAbsent(st, "create schema if not exists " + Identifiers.quote(table.schema()));
                        }
                        createIfAbsent(st, createTableSql());
                    } catch (SQLException e) {
                        if (!"55P03".equals(e.getSQLState())) {
                            throw e;
                        }
                        throw new MdsException("state store " + table + ": cannot create the table: waited "
                                + CREATE_LOCK_TIMEOUT_SECONDS + " s for another transaction that is creating its schema"
                                + " or table and has not committed (is it the caller's own? then create the table"
                                + " first, or commit before using the store)", e);
                    } finally {
                        st.execute("reset lock_timeout");
                    }
                }
            }
            created = true;
            LOG.debug("state table {} ready", table);
        }
    }

    /**
     * Runs a {@code create ... if not exists}. When another session creates the same object at the same time, the
     * statement that loses the race fails on the catalog's unique index (23505) instead of skipping; once the winner
     * has committed, running it again sees the object and does nothing. Both statements get this, each on its own:
     * a lost race on the schema must not skip the table.
     */
    /** How long the table's creation waits for another transaction creating the same schema or table. */
    private static final int CREATE_LOCK_TIMEOUT_SECONDS = 5;

    private static void createIfAbsent(Statement st, String ddl) throws SQLException {
        try {
            st.execute(ddl);
        } catch (SQLException e) {
            String state = e.getSQLState();
            if (!"23505".equals(state) && !"42P06".equals(state) && !"42P07".equals(state)) {
                throw e;
            }
            st.execute(ddl);
        }
    }

    @Override
    public Optional<State> get(String key) {
        return withConnection(c -> get(c, key));
    }

    @Override
    public Optional<State> get(Connection c, String key) {
        return run(c, () -> read(c, selectSql, key).filter(s -> s.version() > 0));
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
        return inTransaction(c -> put(c, key, json));
    }

    @Override
    public long put(Connection c, String key, String json) {
        Objects.requireNonNull(json, "json");
        return run(c, () -> {
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
        return inTransaction(c -> compareAndSet(c, key, expectedVersion, json));
    }

    @Override
    public boolean compareAndSet(Connection c, String key, long expectedVersion, String json) {
        return run(c, () -> {
            if (expectedVersion == 0) {
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
        return inTransaction(c -> update(c, key, change));
    }

    @Override
    public State update(Connection c, String key, Function<Optional<String>, String> change) {
        return run(c, () -> {
            if (!c.getAutoCommit()) {
                return lockedUpdate(c, key, change);
            }
            // in auto-commit each statement commits on its own, which would release the row lock before the new
            // value is written (and keep the placeholder row of a change that failed): one transaction instead
            c.setAutoCommit(false);
            try {
                State state = lockedUpdate(c, key, change);
                c.commit();
                return state;
            } catch (RuntimeException | SQLException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
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
        Optional<String> before = locked.version() == 0 ? Optional.empty() : Optional.of(locked.json());
        String next = Objects.requireNonNull(change.apply(before), "the change function returned null");
        long version = put(c, key, next);
        return read(c, selectSql, key).filter(s -> s.version() == version).orElseThrow();
    }

    @Override
    public boolean delete(String key) {
        return inTransaction(c -> run(c, () -> {
            try (PreparedStatement ps = c.prepareStatement(deleteSql)) {
                ps.setString(1, key);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() && rs.getLong(1) > 0;   // a version-0 placeholder is no stored state
                }
            }
        }));
    }

    private interface SqlWork<T> {
        T run() throws SQLException;
    }

    private interface ConnectionWork<T> {
        T run(Connection c);
    }

    private <T> T run(Connection c, SqlWork<T> work) {
        try {
            ensureTable();
            return work.run();
        } catch (SQLException e) {
            throw new MdsException("state store " + table + ": " + e.getMessage(), e);
        }
    }

    private <T> T withConnection(ConnectionWork<T> work) {
        try (Connection c = dataSource.getConnection()) {
            return work.run(c);
        } catch (SQLException e) {
            throw new MdsException("state store " + table + ": " + e.getMessage(), e);
        }
    }

    private <T> T inTransaction(ConnectionWork<T> work) {
        return withConnection(c -> {
            try {
                boolean auto = c.getAutoCommit();
                c.setAutoCommit(false);
                try {
                    T result = work.run(c);
                    c.commit();
                    return result;
                } catch (RuntimeException e) {
                    c.rollback();
                    throw e;
                } finally {
                    c.setAutoCommit(auto);
                }
            } catch (SQLException e) {
                throw new MdsException("state store " + table + ": " + e.getMessage(), e);
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

        public Builder schema(String schema) {
            this.schema = Identifiers.check(schema);
            return this;
        }

        public Builder table(String table) {
            this.table = Identifiers.check(table);
            return this;
        }

        public JdbcStateStore build() {
            return new JdbcStateStore(this);
        }
    }
}
