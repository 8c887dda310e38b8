package dev.mds.testing;

import com.zaxxer.hikari.HikariDataSource;
import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
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
 * <p>What counts as a statement (a kill point), numbered from 1 across every connection of the wrapped data source in
 * the order they are sent; each is something pgjdbc sends to the server and waits for:
 * <ul>
 * <li>each {@code execute*} of a {@link Statement}, {@link PreparedStatement} or {@link java.sql.CallableStatement};</li>
 * <li>a batch ({@code executeBatch}, {@code executeLargeBatch}) counts once for each part pgjdbc sends it in. pgjdbc
 *     pipelines a batch and ends a part with a Sync when it expects its reply buffer to fill: every
 *     {@value #PART_ENTRIES} entries of statements that return no rows (measured with pgjdbc 42.7), after each entry
 *     of a statement that returns rows ({@code RETURNING}, generated keys: exact when a returned column has no fixed
 *     size, such as {@code text}; more kill points than pgjdbc's parts otherwise), and every
 *     {@code 255 × 128} entries of an {@code INSERT ... VALUES} it rewrites ({@code reWriteBatchedInserts}). In
 *     auto-commit mode each part is a transaction of its own, committed by its Sync, so a long batch is not
 *     all-or-nothing; a kill inside a part rolls the whole part back, which is why the kill points are the parts and
 *     not the entries. A batch of one part is one statement, named by its SQL, as before; a longer one's parts are
 *     named {@code "<sql> [batch part 2 of 4: entries 256-510]"}. A kill inside a batch sends the parts before it as
 *     a batch of their own, ends the session, then sends the rest, which fails as pgjdbc fails on a dead socket
 *     (a {@link BatchUpdateException} whose update counts are those of the parts that ran);</li>
 * <li>each COPY started through pgjdbc's {@link CopyManager} (reached by
 *     {@code connection.unwrap(PGConnection.class).getCopyAPI()}, which keeps working);</li>
 * <li>each {@link DatabaseMetaData} call that returns rows;</li>
 * <li>{@code commit()} and {@code rollback()} when a transaction is open (with auto-commit off; otherwise pgjdbc
 *     sends nothing), {@code rollback(savepoint)}, {@code setSavepoint()}, {@code releaseSavepoint()}, and
 *     {@code setAutoCommit(true)} inside an open transaction (which commits it);</li>
 * <li>{@code setTransactionIsolation} outside a transaction (pgjdbc sends {@code SET SESSION CHARACTERISTICS}) and
 *     {@code setSchema} (it sends {@code SET SESSION search_path}); neither commits anything.</li>
 * </ul>
 * Not counted, as they send nothing: {@code setAutoCommit(false)}, {@code setAutoCommit(true)} with no transaction
 * open, {@code commit()} or {@code rollback()} with none open, {@code setTransactionIsolation} inside a transaction
 * (pgjdbc refuses it), {@code setReadOnly} (pgjdbc's default read-only mode sends it with the next {@code BEGIN}),
 * {@code addBatch}. Not counted though they send a query, being reads a session may die at with the next statement
 * failing just the same: {@code getTransactionIsolation}, {@code getSchema}, {@code isValid}, {@code setClientInfo}.
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

    /**
     * The entries of a batch pgjdbc sends in one part (one Sync) when they return no rows: it counts 250 bytes of reply
     * for each and syncs before 64000 (pgjdbc 42.7's {@code QueryExecutorImpl}); 255 measured with the transaction ids
     * of a 1000-entry batch in auto-commit mode (entries 1-255, 256-510, 511-765, 766-1000).
     */
    static final int PART_ENTRIES = 255;

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
            return run(sql, sql.startsWith("COMMIT") || !control && real.getAutoCommit(), call);
        }

        /** Runs one counted statement that commits ({@code commits}) or not. */
        Object run(String sql, boolean commits, Call call) throws Throwable {
            Moment m = count(sql, commits);
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
                    return statement(s, self[0], type, st, sql, returnsRows(sql, args));
                }
                case "commit" -> {
                    if (c.getAutoCommit() || !inTransaction(c)) {
                        return invoke(method, c, args);   // pgjdbc sends nothing (or refuses in auto-commit)
                    }
                    return s.run("COMMIT", () -> invoke(method, c, args));
                }
                case "rollback" -> {
                    if (args == null && (c.getAutoCommit() || !inTransaction(c))) {
                        return invoke(method, c, args);   // pgjdbc sends nothing (or refuses in auto-commit)
                    }
                    return s.run(args == null ? "ROLLBACK" : "ROLLBACK TO SAVEPOINT", () -> invoke(method, c, args));
                }
                case "setTransactionIsolation" -> {
                    if (inTransaction(c)) {
                        return invoke(method, c, args);   // pgjdbc refuses it inside a transaction, sending nothing
                    }
                    return s.run("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL (setTransactionIsolation("
                            + args[0] + "))", false, () -> invoke(method, c, args));
                }
                case "setSchema" -> {
                    return s.run("SET SESSION search_path (setSchema(" + args[0] + "))", false, () -> invoke(method, c, args));
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

    /** Whether a statement prepared with {@code args} returns rows from each batch entry (RETURNING, generated keys). */
    private static boolean returnsRows(String sql, Object[] args) {
        boolean keys = args != null && args.length == 2 && (args[1] instanceof int[] || args[1] instanceof String[]
                || args[1] instanceof Integer k && k == Statement.RETURN_GENERATED_KEYS);
        return sql != null && (keys || RETURNING.matcher(sql).find());
    }

    private static final java.util.regex.Pattern RETURNING =
            java.util.regex.Pattern.compile("\\breturning\\b", java.util.regex.Pattern.CASE_INSENSITIVE);
    private static final java.util.regex.Pattern INSERT_VALUES =
            java.util.regex.Pattern.compile("^\\s*insert\\b.*\\bvalues\\b", java.util.regex.Pattern.CASE_INSENSITIVE | java.util.regex.Pattern.DOTALL);

    private Statement statement(Session s, Connection owner, Class<? extends Statement> type, Statement st, String prepared,
            boolean returnsRows) {
        Batch batch = new Batch(st, prepared, returnsRows);
        return proxy(type, (p, method, args) -> {
            String name = method.getName();
            if (name.equals("executeBatch") || name.equals("executeLargeBatch")) {
                return batch.execute(s, method, args);
            }
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
                case "addBatch" -> {
                    Object out = invoke(method, st, args);
                    batch.added(args);
                    return out;
                }
                case "clearBatch" -> {
                    Object out = invoke(method, st, args);
                    batch.entries.clear();
                    return out;
                }
                case "clearParameters" -> {
                    Object out = invoke(method, st, args);
                    batch.parameters.clear();
                    return out;
                }
                default -> {
                    Object out = invoke(method, st, args);
                    if (name.startsWith("set") && method.getDeclaringClass() != Statement.class && args != null
                            && args.length >= 2) {
                        batch.parameters.put(args[0], new Object[] {method, args.clone()});   // a parameter's value
                    }
                    return out;
                }
            }
        });
    }

    /**
     * The entries a statement has been given for its next batch, kept so that a batch can be sent in two pieces with the
     * session killed between them: a prepared statement's parameters at each {@code addBatch()}, a plain statement's
     * SQL at each {@code addBatch(sql)}.
     */
    private final class Batch {
        final Statement st;
        final String prepared;
        final boolean returnsRows;
        final List<Object> entries = new ArrayList<>();
        final java.util.Map<Object, Object[]> parameters = new java.util.LinkedHashMap<>();

        Batch(Statement st, String prepared, boolean returnsRows) {
            this.st = st;
            this.prepared = prepared;
            this.returnsRows = returnsRows;
        }

        void added(Object[] args) {
            entries.add(args != null && args.length == 1 ? args[0] : List.copyOf(parameters.values()));
        }

        /**
         * How many entries pgjdbc sends in one part, ended by a Sync (in auto-commit mode, the Sync commits the part):
         * see {@link FaultInjection#PART_ENTRIES}.
         */
        int partEntries(Session s) throws SQLException {
            if (returnsRows) {
                return 1;
            }
            if (prepared != null && INSERT_VALUES.matcher(prepared).find() && s.real.isWrapperFor(BaseConnection.class)) {
                var executor = s.real.unwrap(BaseConnection.class).getQueryExecutor();
                if (executor.isReWriteBatchedInsertsEnabled()) {
                    return PART_ENTRIES * Math.max(1, executor.getReWriteBatchedInsertsSize());
                }
            }
            return PART_ENTRIES;
        }

        String label(int n, int part, int parts, int size) {
            String sql = prepared != null ? prepared
                    : entries.isEmpty() ? "executeBatch" : "batch of " + n + ": " + entries.get(0) + (n > 1 ? "; …" : "");
            if (parts == 1) {
                return sql;
            }
            int first = (part - 1) * size + 1;
            return sql + " [batch part " + part + " of " + parts + ": entries " + first + "-" + Math.min(n, part * size) + "]";
        }

        Object execute(Session s, Method method, Object[] args) throws Throwable {
            int n = entries.size();
            if (n == 0) {
                return invoke(method, st, args);   // sends nothing
            }
            int size = partEntries(s);
            int parts = (n + size - 1) / size;
            boolean commits = s.real.getAutoCommit();
            Moment m = null;
            int part = 0;
            while (m == null && part < parts) {
                part++;
                m = count(label(n, part, parts, size), commits);
            }
            List<Object> all = List.copyOf(entries);
            entries.clear();   // executeBatch empties the batch, also when it fails
            if (m == null) {
                return invoke(method, st, args);
            }
            int sent = Math.min(n, (m == Moment.BEFORE ? part - 1 : part) * size);   // entries sent before the kill
            int acknowledged = m == Moment.LOST_REPLY ? (part - 1) * size : sent;
            if (sent == 0) {
                s.kill();
                return invoke(method, st, args);   // fails on the dead socket as pgjdbc does
            }
            long[] done;
            Object out;
            if (sent == n) {
                out = invoke(method, st, args);
            } else {
                st.clearBatch();
                replay(all.subList(0, sent));
                out = invoke(method, st, args);
            }
            done = counts(out);
            s.kill();
            if (m == Moment.LOST_REPLY) {
                SQLException dead = deadSessionError(s.real);
                BatchUpdateException e = new BatchUpdateException("Batch entry " + acknowledged + " of " + label(n, part,
                        parts, size) + " was aborted: " + dead.getMessage(), dead.getSQLState(), 0,
                        failedFrom(done, acknowledged, n), dead);
                e.setNextException(dead);
                throw e;
            }
            if (sent == n) {
                return out;
            }
            replay(all.subList(sent, n));
            try {
                return concat(out, done, counts(invoke(method, st, args)));
            } catch (BatchUpdateException e) {   // as pgjdbc reports a batch that failed part of the way
                long[] rest = e.getLargeUpdateCounts() == null ? new long[0] : e.getLargeUpdateCounts();
                BatchUpdateException whole = new BatchUpdateException(e.getMessage(), e.getSQLState(), e.getErrorCode(),
                        (long[]) concat(done, done, rest), e.getCause());
                whole.setNextException(e.getNextException());
                throw whole;
            }
        }

        /** Adds {@code batch}'s entries to the real statement again. */
        @SuppressWarnings("unchecked")
        void replay(List<Object> batch) throws Throwable {
            for (Object entry : batch) {
                if (entry instanceof String sql) {
                    st.addBatch(sql);
                } else {
                    PreparedStatement ps = (PreparedStatement) st;
                    ps.clearParameters();
                    for (Object[] set : (List<Object[]>) entry) {
                        invoke((Method) set[0], ps, (Object[]) set[1]);
                    }
                    ps.addBatch();
                }
            }
        }
    }

    /** {@code counts}' first {@code ok} entries, then {@link Statement#EXECUTE_FAILED} up to {@code n}, as pgjdbc reports. */
    private static long[] failedFrom(long[] counts, int ok, int n) {
        long[] out = Arrays.copyOf(counts, n);
        Arrays.fill(out, ok, n, Statement.EXECUTE_FAILED);
        return out;
    }

    private static long[] counts(Object out) {
        if (out instanceof long[] l) {
            return l;
        }
        int[] i = (int[]) out;
        long[] l = new long[i.length];
        for (int k = 0; k < i.length; k++) {
            l[k] = i[k];
        }
        return l;
    }

    /** {@code a} then {@code b}, as an {@code int[]} or {@code long[]} like {@code like}. */
    private static Object concat(Object like, long[] a, long[] b) {
        long[] l = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, l, a.length, b.length);
        if (like instanceof long[]) {
            return l;
        }
        int[] i = new int[l.length];
        for (int k = 0; k < l.length; k++) {
            i[k] = (int) l[k];
        }
        return i;
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
