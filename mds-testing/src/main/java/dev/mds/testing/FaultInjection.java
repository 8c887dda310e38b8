package dev.mds.testing;

import com.zaxxer.hikari.HikariDataSource;
import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyManager;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.TransactionState;

/**
 * Kills the database session at a chosen statement of the work done through a {@link DataSource}, for tests that a
 * load is all-or-nothing whatever statement its session dies at. The failure is real: the backend is ended with
 * {@code pg_terminate_backend} from another connection of the underlying data source (waiting until it is gone), and
 * the statement then meets the dead socket.
 *
 * <pre>{@code
 * FaultInjection faults = FaultInjection.on(ds);
 * loader(faults.dataSource()).load(batch);              // counting only
 * int n = faults.count();                               // statements of an uninterrupted run
 * for (int k = 1; k <= n; k++) {
 *     faults.killAt(k, FaultInjection.Moment.BEFORE);
 *     assertThatThrownBy(() -> loader(faults.dataSource()).load(batch)).hasMessageContaining("raw.users");
 * }
 * }</pre>
 *
 * <p>What counts as a statement, numbered from 1 across every connection of the wrapped data source in the order
 * they are sent: each {@code execute*} of a {@link Statement}, {@link PreparedStatement} or
 * {@link java.sql.CallableStatement}; each COPY started through pgjdbc's {@link CopyManager} (reached by
 * {@code connection.unwrap(PGConnection.class).getCopyAPI()}, which keeps working); each {@link DatabaseMetaData} call
 * that returns rows; {@code commit()}, {@code rollback()}, {@code setSavepoint()}, {@code releaseSavepoint()}, and
 * {@code setAutoCommit(true)} inside an open transaction (which commits it).
 *
 * <p>The {@link Moment} says when statement {@code k}'s session dies: before it is sent; after it ran (the next
 * statement, or nothing if there is none, meets the dead socket); or after it ran with its reply lost (the caller gets
 * the dead connection's error from statement {@code k} itself: at a {@code COMMIT}, the ambiguous case of a commit that
 * happened though the caller was told it failed). A connection whose session was killed is evicted from a Hikari pool
 * when closed, so it is not handed out again.
 */
public final class FaultInjection {
    /** When the session dies, relative to the statement chosen. */
    public enum Moment {
        /** Before the statement is sent: it fails on the dead socket and never runs. */
        BEFORE,
        /** After the statement ran and answered: the next statement fails. */
        AFTER,
        /** After the statement ran, with its answer lost: the statement itself reports the dead connection's error. */
        LOST_REPLY
    }

    private final DataSource real;
    private final List<String> statements = new ArrayList<>();
    private final List<Boolean> commits = new ArrayList<>();
    private int killAt;
    private Moment moment = Moment.BEFORE;
    private String killed;

    private FaultInjection(DataSource real) {
        this.real = Objects.requireNonNull(real, "real");
    }

    /** A fault injector over {@code real}, counting only until {@link #killAt} arms it. */
    public static FaultInjection on(DataSource real) {
        return new FaultInjection(real);
    }

    /** The data source to hand to the code under test: its connections count their statements and die when told. */
    public DataSource dataSource() {
        return new FaultDataSource();
    }

    /** Forgets the statements counted so far and disarms any kill: the next statements are counted from 1. */
    public synchronized FaultInjection countOnly() {
        statements.clear();
        commits.clear();
        killAt = 0;
        killed = null;
        return this;
    }

    /**
     * Forgets the statements counted so far and arms one kill: the session sending statement {@code statement}
     * (counted from 1 from now on) dies at {@code moment}.
     */
    public synchronized FaultInjection killAt(int statement, Moment moment) {
        if (statement < 1) {
            throw new IllegalArgumentException("statement is counted from 1, was " + statement);
        }
        countOnly();
        this.killAt = statement;
        this.moment = Objects.requireNonNull(moment, "moment");
        return this;
    }

    /** How many statements were sent since the last {@link #countOnly()} or {@link #killAt}. */
    public synchronized int count() {
        return statements.size();
    }

    /** The statements sent since the last {@link #countOnly()} or {@link #killAt}, in order (COMMIT and the like by name). */
    public synchronized List<String> statements() {
        return List.copyOf(statements);
    }

    /**
     * For each statement of {@link #statements()}, whether it commits: a {@code COMMIT} (or {@code setAutoCommit(true)}
     * in a transaction), or any statement sent in auto-commit. Losing the reply of such a statement leaves it unknown
     * whether its work was committed.
     */
    public synchronized List<Boolean> commits() {
        return List.copyOf(commits);
    }

    /** What was killed, e.g. {@code "statement 3 (BEFORE): COMMIT"}, once a kill happened. */
    public synchronized Optional<String> killed() {
        return Optional.ofNullable(killed);
    }

    /** Counts a statement and says whether its session is the one to kill, and when. */
    private synchronized Moment count(String sql, boolean commit) {
        statements.add(sql);
        commits.add(commit);
        if (killAt == statements.size()) {
            killed = "statement " + killAt + " (" + moment + "): " + sql;
            return moment;
        }
        return null;
    }

    /**
     * Ends the backend of {@code connection} from another connection, and waits until it is gone from
     * {@code pg_stat_activity} (it has sent its "terminating connection" error then, and reads no more). Polled here
     * rather than by {@code pg_terminate_backend}'s timeout, which sleeps 100 ms before it looks again.
     */
    private void terminate(Connection connection) throws SQLException {
        int pid = connection.unwrap(PGConnection.class).getBackendPID();
        long deadline = System.nanoTime() + 30_000_000_000L;
        try (Connection c = real.getConnection();
                PreparedStatement kill = c.prepareStatement("select pg_terminate_backend(?)");
                PreparedStatement alive = c.prepareStatement("select count(*) from pg_stat_activity where pid = ?")) {
            kill.setInt(1, pid);
            try (ResultSet rs = kill.executeQuery()) {
                if (!rs.next() || !rs.getBoolean(1)) {
                    throw new IllegalStateException("could not terminate backend " + pid);
                }
            }
            alive.setInt(1, pid);
            while (true) {
                try (ResultSet rs = alive.executeQuery()) {
                    rs.next();
                    if (rs.getLong(1) == 0) {
                        return;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("backend " + pid + " was told to terminate 30 s ago and still runs");
                }
                Thread.onSpinWait();
            }
        }
    }

    /** The error a statement gets on {@code connection} once its session is dead. */
    private static SQLException deadSessionError(Connection connection) {
        try (Statement st = connection.createStatement()) {
            st.execute("select 1");
        } catch (SQLException e) {
            return e;
        }
        return new SQLException("the session was terminated, yet it still answers", "08006");
    }

    /** One connection's state: the real connection, and whether its session was killed. */
    private final class Session {
        final Connection real;
        volatile boolean dead;

        Session(Connection real) {
            this.real = real;
        }

        /** Runs one counted statement. */
        Object run(String sql, Call call) throws Throwable {
            boolean control = sql.startsWith("ROLLBACK") || sql.equals("SAVEPOINT") || sql.equals("RELEASE SAVEPOINT");
            Moment m = count(sql, sql.startsWith("COMMIT") || !control && real.getAutoCommit());
            if (m == Moment.BEFORE) {
                kill();
            }
            Object out = call.call();
            if (m == Moment.AFTER) {
                kill();
            } else if (m == Moment.LOST_REPLY) {
                kill();
                throw deadSessionError(real);
            }
            return out;
        }

        void kill() throws SQLException {
            dead = true;
            terminate(real);
        }
    }

    @FunctionalInterface
    private interface Call {
        Object call() throws Throwable;
    }

    private static Object invoke(Method method, Object target, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> T proxy(Class<T> type, InvocationHandler handler) {
        return (T) Proxy.newProxyInstance(FaultInjection.class.getClassLoader(), new Class<?>[] {type}, handler);
    }

    private final class FaultDataSource implements DataSource {
        @Override
        public Connection getConnection() throws SQLException {
            return connection(real.getConnection());
        }

        @Override
        public Connection getConnection(String username, String password) throws SQLException {
            return connection(real.getConnection(username, password));
        }

        @Override
        public PrintWriter getLogWriter() throws SQLException {
            return real.getLogWriter();
        }

        @Override
        public void setLogWriter(PrintWriter out) throws SQLException {
            real.setLogWriter(out);
        }

        @Override
        public void setLoginTimeout(int seconds) throws SQLException {
            real.setLoginTimeout(seconds);
        }

        @Override
        public int getLoginTimeout() throws SQLException {
            return real.getLoginTimeout();
        }

        @Override
        public Logger getParentLogger() throws SQLFeatureNotSupportedException {
            return real.getParentLogger();
        }

        @Override
        public <T> T unwrap(Class<T> iface) throws SQLException {
            return real.unwrap(iface);
        }

        @Override
        public boolean isWrapperFor(Class<?> iface) throws SQLException {
            return real.isWrapperFor(iface);
        }
    }

    private Connection connection(Connection c) {
        Session s = new Session(c);
        Connection[] self = new Connection[1];
        self[0] = proxy(Connection.class, (p, method, args) -> {
            String name = method.getName();
            switch (name) {
                case "createStatement", "prepareStatement", "prepareCall" -> {
                    Statement st = (Statement) invoke(method, c, args);
                    String sql = args != null && args.length > 0 && args[0] instanceof String q ? q : null;
                    Class<? extends Statement> type = st instanceof java.sql.CallableStatement ? java.sql.CallableStatement.class
                            : st instanceof PreparedStatement ? PreparedStatement.class : Statement.class;
                    return statement(s, self[0], type, st, sql);
                }
                case "commit" -> {
                    return s.run("COMMIT", () -> invoke(method, c, args));
                }
                case "rollback" -> {
                    return s.run(args == null ? "ROLLBACK" : "ROLLBACK TO SAVEPOINT", () -> invoke(method, c, args));
                }
                case "setSavepoint" -> {
                    return s.run("SAVEPOINT", () -> invoke(method, c, args));
                }
                case "releaseSavepoint" -> {
                    return s.run("RELEASE SAVEPOINT", () -> invoke(method, c, args));
                }
                case "setAutoCommit" -> {
                    if (Boolean.TRUE.equals(args[0]) && !c.getAutoCommit() && inTransaction(c)) {
                        return s.run("COMMIT (setAutoCommit(true))", () -> invoke(method, c, args));
                    }
                    return invoke(method, c, args);
                }
                case "getMetaData" -> {
                    DatabaseMetaData md = (DatabaseMetaData) invoke(method, c, args);
                    return proxy(DatabaseMetaData.class, (mp, mm, margs) -> {
                        if (mm.getName().equals("getConnection")) {
                            return self[0];
                        }
                        if (ResultSet.class.isAssignableFrom(mm.getReturnType())) {
                            return s.run("metadata " + mm.getName(), () -> invoke(mm, md, margs));
                        }
                        return invoke(mm, md, margs);
                    });
                }
                case "unwrap" -> {
                    Object u = invoke(method, c, args);
                    if (args[0] == PGConnection.class) {
                        return pgConnection(s, (PGConnection) u);
                    }
                    return args[0] == Connection.class ? self[0] : u;
                }
                case "close" -> {
                    if (s.dead && real instanceof HikariDataSource pool) {
                        pool.evictConnection(c);   // closes it too
                        return null;
                    }
                    return invoke(method, c, args);
                }
                case "equals" -> {
                    return p == args[0];
                }
                case "hashCode" -> {
                    return System.identityHashCode(p);
                }
                case "toString" -> {
                    return "FaultInjection[" + c + "]";
                }
                default -> {
                    return invoke(method, c, args);
                }
            }
        });
        return self[0];
    }

    private static boolean inTransaction(Connection c) throws SQLException {
        if (!c.isWrapperFor(BaseConnection.class)) {
            return true;
        }
        return c.unwrap(BaseConnection.class).getTransactionState() != TransactionState.IDLE;
    }

    private Statement statement(Session s, Connection owner, Class<? extends Statement> type, Statement st, String prepared) {
        return proxy(type, (p, method, args) -> {
            String name = method.getName();
            if (name.startsWith("execute")) {
                String sql = args != null && args.length > 0 && args[0] instanceof String q ? q
                        : prepared != null ? prepared : name;
                return s.run(sql, () -> invoke(method, st, args));
            }
            switch (name) {
                case "getConnection" -> {
                    return owner;
                }
                case "equals" -> {
                    return p == args[0];
                }
                case "hashCode" -> {
                    return System.identityHashCode(p);
                }
                default -> {
                    return invoke(method, st, args);
                }
            }
        });
    }

    private PGConnection pgConnection(Session s, PGConnection pg) {
        return proxy(PGConnection.class, (p, method, args) -> {
            if (method.getName().equals("getCopyAPI")) {
                return new FaultCopyManager(s, s.real.unwrap(BaseConnection.class));
            }
            return invoke(method, pg, args);
        });
    }

    /**
     * pgjdbc's COPY API counting each COPY as one statement: a kill {@link Moment#BEFORE} ends the session before the
     * COPY is sent; {@link Moment#AFTER} and {@link Moment#LOST_REPLY} once a COPY FROM STDIN has ended
     * ({@link CopyIn#endCopy()}), or once a COPY TO STDOUT has started. The forms that take a reader, stream or writer
     * go through {@link #copyIn(String)} and {@link #copyOut(String)}, so they count once.
     */
    private final class FaultCopyManager extends CopyManager {
        private final Session session;

        FaultCopyManager(Session session, BaseConnection connection) throws SQLException {
            super(connection);
            this.session = session;
        }

        @Override
        public CopyIn copyIn(String sql) throws SQLException {
            Moment m = count(sql, session.real.getAutoCommit());
            if (m == Moment.BEFORE) {
                session.kill();
            }
            CopyIn in = super.copyIn(sql);
            if (m == null || m == Moment.BEFORE) {
                return in;
            }
            return proxy(CopyIn.class, (p, method, args) -> {
                Object out = invoke(method, in, args);
                if (method.getName().equals("endCopy")) {
                    session.kill();
                    if (m == Moment.LOST_REPLY) {
                        throw deadSessionError(session.real);
                    }
                }
                return out;
            });
        }

        @Override
        public org.postgresql.copy.CopyOut copyOut(String sql) throws SQLException {
            return copy(sql, () -> super.copyOut(sql));
        }

        @Override
        public org.postgresql.copy.CopyDual copyDual(String sql) throws SQLException {
            return copy(sql, () -> super.copyDual(sql));
        }

        private <T> T copy(String sql, CopyStart<T> start) throws SQLException {
            try {
                @SuppressWarnings("unchecked")
                T out = (T) session.run(sql, start::start);
                return out;
            } catch (SQLException | RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new SQLException(t);
            }
        }
    }

    @FunctionalInterface
    private interface CopyStart<T> {
        T start() throws SQLException;
    }
}
