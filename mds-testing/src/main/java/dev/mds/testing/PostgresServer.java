package dev.mds.testing;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.mds.core.Identifiers;
import dev.mds.core.MdsException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Objects;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.TransactionState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PostgreSQL server that tests, examples and benchmarks get databases from: the embedded one
 * ({@link EmbeddedPostgresServer}), an existing one ({@link #external(String, String, String)}), or a
 * Testcontainers one. Each user of the server works in its own database.
 *
 * <pre>{@code
 * try (EmbeddedPostgresServer server = EmbeddedPostgresServer.builder().start();
 *      HikariDataSource ds = server.createDatabase("demo").dataSource()) {
 *     ...
 * }
 * }</pre>
 */
public abstract class PostgresServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PostgresServer.class);

    /** The host clients connect to. */
    public abstract String host();

    /** The port clients connect to. */
    public abstract int port();

    /** A user allowed to create databases (and, on the embedded server, to replicate). */
    public abstract String user();

    /** The superuser's password. */
    public abstract String password();

    /** The database to connect to for administration (creating and dropping databases). */
    protected String adminDatabase() {
        return "postgres";
    }

    /**
     * The JDBC URL of a database on this server, the name URL-encoded as pgjdbc reads it ({@code my db} as
     * {@code my+db}; a plain name such as {@code t1_users} as it is): unencoded, pgjdbc would connect to another
     * database for a name holding {@code ?}, {@code +} or {@code %41} ({@code db} for {@code db?x}), or to none.
     */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://" + host() + ":" + port() + "/"
                + java.net.URLEncoder.encode(database, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** An existing server, for example a CI service; the user must be allowed to create databases. */
    public static PostgresServer external(String anyJdbcUrl, String user, String password) {
        return new External(anyJdbcUrl, user, password);
    }

    /**
     * Creates a fresh database (dropping one of that name first) and returns a handle to it.
     *
     * @throws MdsException when the server refuses
     */
    public TestDatabase createDatabase(String name) {
        Identifiers.check(name);
        try (Connection c = DriverManager.getConnection(jdbcUrl(adminDatabase()), user(), password());
             Statement st = c.createStatement()) {
            st.execute("drop database if exists " + Identifiers.quote(name) + " with (force)");
            st.execute("create database " + Identifiers.quote(name));
        } catch (SQLException e) {
            throw new MdsException("cannot create database " + name + " on " + host() + ":" + port() + ": " + e.getMessage(), e);
        }
        return new TestDatabase(this, name);
    }

    /**
     * Creates a fresh database (dropping one of that name first) owned by a new login role of the same name that is
     * not a superuser and may not create databases or roles, replicate or bypass row-level security: the role a
     * warehouse user of mds has. It may create schemas and temporary tables in its database (and, as owner of its
     * {@code public} schema, tables there). The handle's pools connect as that role, its
     * {@link TestDatabase#adminDataSource()} as this server's user; {@link TestDatabase#drop()} drops the role too.
     *
     * @throws MdsException when the server refuses (this server's user must be allowed to create roles)
     */
    public TestDatabase createOwnedDatabase(String name) {
        Identifiers.check(name);
        String password = java.util.UUID.randomUUID().toString();
        try (Connection c = DriverManager.getConnection(jdbcUrl(adminDatabase()), user(), password());
             Statement st = c.createStatement()) {
            st.execute("drop database if exists " + Identifiers.quote(name) + " with (force)");
            st.execute("drop role if exists " + Identifiers.quote(name));
            st.execute("create role " + Identifiers.quote(name) + " login nosuperuser nocreatedb nocreaterole"
                    + " noreplication nobypassrls password " + Identifiers.literal(password));
            st.execute("create database " + Identifiers.quote(name) + " owner " + Identifiers.quote(name));
        } catch (SQLException e) {
            throw new MdsException("cannot create database " + name + " owned by a login role on " + host() + ":" + port()
                    + ": " + e.getMessage(), e);
        }
        return new TestDatabase(this, name, name, password);
    }

    /** Drops a role (one {@link #createOwnedDatabase} made, after its database), if it exists. */
    void dropRole(String role) {
        try (Connection c = DriverManager.getConnection(jdbcUrl(adminDatabase()), user(), password());
             Statement st = c.createStatement()) {
            st.execute("drop role if exists " + Identifiers.quote(role));
        } catch (SQLException e) {
            throw new MdsException("cannot drop role " + role + ": " + e.getMessage(), e);
        }
    }

    /**
     * Drops a database, disconnecting its sessions; replication slots of the database are dropped too, also one a
     * change data capture client still streams from (its WAL sender is ended first). A slot left behind would keep
     * the server's WAL forever, and the database could not be dropped while the slot is in use.
     */
    public void dropDatabase(String name) {
        try (Connection c = DriverManager.getConnection(jdbcUrl(adminDatabase()), user(), password());
             Statement st = c.createStatement()) {
            st.execute("select pg_terminate_backend(active_pid, 10000) from pg_replication_slots where database = "
                    + Identifiers.literal(name) + " and active_pid is not null");
            st.execute("select pg_drop_replication_slot(slot_name) from pg_replication_slots where database = "
                    + Identifiers.literal(name) + " and not active");
            st.execute("drop database if exists " + Identifiers.quote(name) + " with (force)");
        } catch (SQLException e) {
            throw new MdsException("cannot drop database " + name + ": " + e.getMessage(), e);
        }
    }

    /**
     * A connection pool on a database of this server. It hands out no connection inside a transaction that an
     * earlier user opened with SQL and left open: a failed {@code "begin; ...; commit"} leaves its connection in an
     * aborted transaction, which the pool (tracking only {@code setAutoCommit}) would not roll back, and every later
     * statement on that connection, another test's or the code under test's, would fail with "current transaction
     * is aborted"; one left open would run the next user's work inside it. Such a transaction is rolled back when the
     * connection is next taken from the pool.
     */
    public HikariDataSource dataSource(String database, int maxPoolSize) {
        return dataSource(database, maxPoolSize, java.util.Map.of());
    }

    /** A connection pool on a database of this server, with pgjdbc connection properties (e.g. {@code reWriteBatchedInserts}). */
    public HikariDataSource dataSource(String database, int maxPoolSize, java.util.Map<String, String> properties) {
        return dataSource(database, user(), password(), maxPoolSize, properties);
    }

    HikariDataSource dataSource(String database, String user, String password, int maxPoolSize,
            java.util.Map<String, String> properties) {
        return dataSource(database, user, password, maxPoolSize, properties, PoolHooks.DEFAULT);
    }

    HikariDataSource dataSource(String database, String user, String password, int maxPoolSize,
            java.util.Map<String, String> properties, PoolHooks hooks) {
        HikariConfig config = new HikariConfig();
        properties.forEach(config::addDataSourceProperty);
        config.setJdbcUrl(jdbcUrl(database));
        config.setUsername(user);
        config.setPassword(password);
        config.setMaximumPoolSize(maxPoolSize);
        config.setMinimumIdle(0);
        config.setPoolName("mds-" + database);
        return new Pool(config, hooks);
    }

    /**
     * What a test pool does with a connection given back to it ({@code close()}): {@code resetSessions} resets the
     * session's settings and role ({@link Pool#RESET}); {@code leftOpen} is told of a transaction opened with SQL and
     * left open (with what the session last ran), which the pool rolls back either way. A {@code shared} pool (of a test
     * class's database, used by all its tests) ignores {@code close()}: only {@link #closePool} closes it.
     */
    record PoolHooks(boolean resetSessions, boolean shared, java.util.function.Consumer<String> leftOpen) {
        static final PoolHooks DEFAULT = new PoolHooks(false, false, what -> LOG.warn("{}; rolled it back", what));
    }

    /** Closes a pool made here, also a {@linkplain PoolHooks#shared shared} one, whose own {@code close()} does nothing. */
    static void closePool(HikariDataSource pool) {
        if (pool instanceof Pool p) {
            p.closing = true;
        }
        pool.close();
    }

    /**
     * A pool whose connections come out of it in auto-commit with no transaction open (see {@link #dataSource}), and go
     * back into it through {@link PoolHooks}. Its connections are proxies of Hikari's that see {@code close()} first.
     */
    private static final class Pool extends HikariDataSource {
        /**
         * The reset of a session given back: its settings ({@code SET}, {@code set_config}, {@code SET SESSION
         * CHARACTERISTICS}) to those it started with, and its user and role to the one that logged in. Not
         * {@code DISCARD ALL}, which would also drop pgjdbc's server-prepared statements under it.
         */
        static final String RESET = "RESET SESSION AUTHORIZATION; RESET ROLE; RESET ALL";

        private final PoolHooks hooks;
        /** Set by {@link #closePool}: a shared pool closes only then. */
        private volatile boolean closing;
        /** The connections handed out and not given back yet, with who took them. */
        private final java.util.Map<Returning, Taker> out = new java.util.concurrent.ConcurrentHashMap<>();

        Pool(HikariConfig config, PoolHooks hooks) {
            super(config);
            this.hooks = hooks;
        }

        /**
         * Closes the pool, unless it is {@linkplain PoolHooks#shared shared}: a test class's pool serves its later tests
         * (whose {@code DataSource} is this same object), so a test, or code under test, that closes the pool it was
         * given (as one closes a pool of one's own, {@code try (HikariDataSource ds = db.dataSource())}) leaves it
         * open for them; the extension closes it after the class.
         */
        @Override
        public void close() {
            if (hooks.shared() && !closing) {
                LOG.debug("pool {}: close() of a test class's shared pool ignored; it is closed after the class", getPoolName());
                return;
            }
            super.close();
        }

        /**
         * Who took a connection: the test running on the taking thread ({@code test} its unique id, {@code who} its
         * name; null id when no test ran there), and the first caller outside the pool, JUnit and the JDK.
         */
        private record Taker(String test, String who, String at) {
        }

        @Override
        public Connection getConnection() throws SQLException {
            Connection c;
            try {
                c = super.getConnection();
            } catch (java.sql.SQLTransientConnectionException e) {
                throw drained(e);
            }
            try {
                endLeftOverTransaction(c);
                Returning r = new Returning(this, c);
                out.put(r, taker());
                return (Connection) java.lang.reflect.Proxy.newProxyInstance(Pool.class.getClassLoader(),
                        new Class<?>[] {Connection.class}, r);
            } catch (SQLException | RuntimeException e) {
                c.close();
                throw e;
            }
        }

        private static Taker taker() {
            String test = TestDatabase.RUNNING_TEST.get();
            String name = TestDatabase.RUNNING_TEST_NAME.get();
            String who = name != null ? name : "thread " + Thread.currentThread().getName() + ", in no test";
            String at = StackWalker.getInstance().walk(frames -> frames
                    .filter(f -> !f.getClassName().startsWith(PostgresServer.class.getName())
                            && !f.getClassName().startsWith(PostgresExtension.class.getName())
                            && !f.getClassName().matches("(java|javax|jdk|sun|com\\.sun|com\\.zaxxer|org\\.junit)\\..*")
                            && !f.getClassName().contains("$Proxy"))
                    .findFirst()
                    .map(f -> f.getClassName() + "." + f.getMethodName() + "(" + f.getFileName() + ":" + f.getLineNumber() + ")")
                    .orElse(null));
            return new Taker(test, who, at);
        }

        /**
         * Hikari's timeout ({@code Connection is not available, request timed out after 30000ms ...}), saying who took the
         * connections that are out and not given back, and whether the test that took them has ended: a test that keeps
         * its connections drains the pool for the tests after it, which would otherwise not learn which one it was.
         */
        private java.sql.SQLTransientConnectionException drained(java.sql.SQLTransientConnectionException e) {
            java.util.Map<String, Integer> byTaker = new java.util.LinkedHashMap<>();
            for (Taker t : out.values()) {
                String key = (t.test() == null ? t.who() : "test " + t.who()
                        + (TestDatabase.RUNNING_TESTS.contains(t.test()) ? " (running)" : " (ended without giving them back)"))
                        + (t.at() != null ? " at " + t.at() : "");
                byTaker.merge(key, 1, Integer::sum);
            }
            if (byTaker.isEmpty()) {
                return e;
            }
            StringBuilder s = new StringBuilder(e.getMessage()).append(". ").append(out.size())
                    .append(out.size() == 1 ? " connection of the pool is" : " connections of the pool are")
                    .append(" in use, not given back:");
            byTaker.entrySet().stream().sorted(java.util.Map.Entry.<String, Integer>comparingByValue().reversed())
                    .forEach(t -> s.append(' ').append(t.getValue()).append(" taken by ").append(t.getKey()).append(';'));
            s.setLength(s.length() - 1);
            java.sql.SQLTransientConnectionException named = new java.sql.SQLTransientConnectionException(s.toString(),
                    e.getSQLState(), e.getErrorCode(), e.getCause());
            named.setStackTrace(e.getStackTrace());
            return named;
        }

        /** A connection handed out is back (given back or evicted). */
        void returned(Returning r) {
            out.remove(r);
        }

        @Override
        public void evictConnection(Connection connection) {
            if (java.lang.reflect.Proxy.isProxyClass(connection.getClass())
                    && java.lang.reflect.Proxy.getInvocationHandler(connection) instanceof Returning r) {
                r.closed = true;
                returned(r);
                super.evictConnection(r.hikari);
                return;
            }
            super.evictConnection(connection);
        }

        /** A connection checked out earlier that somehow still is in a transaction opened with SQL (see close). */
        private void endLeftOverTransaction(Connection c) throws SQLException {
            if (!c.getAutoCommit() || !c.isWrapperFor(BaseConnection.class)) {
                return;   // the pool rolls back what a user left open with auto-commit off
            }
            TransactionState state = c.unwrap(BaseConnection.class).getTransactionState();
            if (state != TransactionState.IDLE) {
                try (Statement st = c.createStatement()) {
                    st.execute("rollback");
                }
                LOG.warn("pool {}: a connection came back inside a transaction ({}) opened with SQL and not ended;"
                        + " rolled it back", getPoolName(), state);
            }
        }

        /**
         * Gives {@code c} (Hikari's connection) back: rolls back a transaction left open (telling {@link PoolHooks#leftOpen}
         * of one opened with SQL in auto-commit mode, which Hikari would hand on as it is), resets the session if asked,
         * and closes it. A connection that cannot be tidied is evicted, not handed out again.
         */
        void giveBack(Connection c) throws SQLException {
            String leftOpen = null;
            try {
                if (!c.isClosed() && c.isWrapperFor(BaseConnection.class)) {
                    BaseConnection pg = c.unwrap(BaseConnection.class);
                    TransactionState state = pg.getTransactionState();
                    if (state != TransactionState.IDLE && c.getAutoCommit()) {
                        leftOpen = describe(pg, state);
                        pg.execSQLUpdate("rollback");
                    } else if (state != TransactionState.IDLE) {
                        LOG.debug("pool {}: rolling back a transaction ({}) left open with auto-commit off", getPoolName(),
                                state);
                        c.rollback();   // what Hikari does on close with auto-commit off; done first so the reset is not undone
                    }
                    if (hooks.resetSessions()) {
                        pg.execSQLUpdate(RESET);   // sent with no BEGIN, also with auto-commit off
                    }
                }
            } catch (SQLException | RuntimeException e) {
                LOG.debug("pool {}: could not tidy a connection given back ({}); evicted it", getPoolName(), e.toString());
                super.evictConnection(c);
                c = null;
            }
            if (c != null) {
                c.close();
            }
            if (leftOpen != null) {
                hooks.leftOpen().accept(leftOpen);
            }
        }

        /** What a session left in a transaction was doing, from {@code pg_stat_activity} (read on another connection). */
        private String describe(BaseConnection pg, TransactionState state) {
            String last;
            try (Connection other = DriverManager.getConnection(getJdbcUrl(), getUsername(), getPassword());
                    java.sql.PreparedStatement ps = other.prepareStatement(
                            "select state, query from pg_stat_activity where pid = ?")) {
                ps.setInt(1, pg.getBackendPID());
                try (java.sql.ResultSet rs = ps.executeQuery()) {
                    last = rs.next() ? rs.getString(1) + ", last statement: " + abbreviate(rs.getString(2)) : "unknown";
                }
            } catch (SQLException e) {
                last = "last statement unknown (" + e.getMessage() + ")";
            }
            return "pool " + getPoolName() + ": a connection was given back inside a transaction "
                    + (state == TransactionState.FAILED ? "that failed, " : "") + "opened with SQL in auto-commit mode and"
                    + " not ended (" + last + ")";
        }

        private static String abbreviate(String sql) {
            String s = sql == null ? "unknown" : sql.strip().replaceAll("\\s+", " ");
            return s.length() > 300 ? s.substring(0, 300) + "…" : s;
        }
    }

    /** A pooled connection that gives itself back through {@link Pool#giveBack} when closed. */
    private static final class Returning implements java.lang.reflect.InvocationHandler {
        final Pool pool;
        final Connection hikari;
        volatile boolean closed;

        Returning(Pool pool, Connection hikari) {
            this.pool = pool;
            this.hikari = hikari;
        }

        @Override
        public Object invoke(Object proxy, java.lang.reflect.Method method, Object[] args) throws Throwable {
            switch (method.getName()) {
                case "close" -> {
                    if (!closed) {
                        closed = true;
                        pool.returned(this);
                        pool.giveBack(hikari);
                    }
                    return null;
                }
                case "isClosed" -> {
                    return closed || hikari.isClosed();
                }
                case "equals" -> {
                    return proxy == args[0];
                }
                case "hashCode" -> {
                    return System.identityHashCode(proxy);
                }
                case "toString" -> {
                    return hikari.toString();
                }
                default -> {
                    try {
                        return method.invoke(hikari, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                }
            }
        }
    }

    @Override
    public void close() {
    }

    private static final class External extends PostgresServer {
        private final String host;
        private final int port;
        private final String adminDatabase;
        private final String user;
        private final String password;
        private final String parameters;

        External(String url, String user, String password) {
            Objects.requireNonNull(url, "url");
            // jdbc:postgresql://host:port/db?params
            String rest = url.replaceFirst("^jdbc:postgresql://", "");
            int slash = rest.indexOf('/');
            String hostPort = slash < 0 ? rest : rest.substring(0, slash);
            String path = slash < 0 ? "" : rest.substring(slash + 1);
            int question = path.indexOf('?');
            String db = question < 0 ? path : path.substring(0, question);
            // the connection properties (sslmode, options ...) hold for every database of the server
            this.parameters = question < 0 ? "" : path.substring(question);
            int colon = hostPort.lastIndexOf(':');
            if (colon < hostPort.lastIndexOf(']')) {
                colon = -1;   // [::1] without a port
            }
            this.host = colon < 0 ? hostPort : hostPort.substring(0, colon);
            this.port = colon < 0 ? 5432 : Integer.parseInt(hostPort.substring(colon + 1));
            // the database's name, as pgjdbc decodes it (my%20db is my db): jdbcUrl encodes it again
            this.adminDatabase = db.isEmpty() ? "postgres" : java.net.URLDecoder.decode(db, java.nio.charset.StandardCharsets.UTF_8);
            this.user = user;
            this.password = password;
        }

        @Override
        public String host() {
            return host;
        }

        @Override
        public int port() {
            return port;
        }

        @Override
        public String user() {
            return user;
        }

        @Override
        public String password() {
            return password;
        }

        @Override
        protected String adminDatabase() {
            return adminDatabase;
        }

        @Override
        public String jdbcUrl(String database) {
            return super.jdbcUrl(database) + parameters;
        }
    }
}
