package dev.mds.core;

import java.lang.reflect.Method;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs generated SQL and logs each statement at DEBUG with its timing, so every module's statements can be
 * seen the same way ({@code dev.mds.core.Sql} at DEBUG). Failures become {@link MdsException}s that quote the
 * statement.
 *
 * <pre>{@code
 * Sql.execute(connection, "create schema if not exists " + Identifiers.quote("raw"));
 * long n = Sql.update(connection, "delete from " + table.quoted());
 * long moved = Sql.transaction(connection, c -> Sql.update(c, insert) + Sql.update(c, delete));
 * }</pre>
 */
public final class Sql {
    private static final Logger LOG = LoggerFactory.getLogger(Sql.class);

    private Sql() {
    }

    /** Work on a connection, for {@link #transaction}. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    /**
     * Runs {@code work} in one transaction on a connection of the caller's own in auto-commit mode (from a pool, say):
     * commits when it returns; when it throws anything, an {@link Error} too, rolls back and rethrows it; then puts
     * auto-commit back as it was. Auto-commit is put back only after the commit or the rollback, because putting it
     * back commits an open transaction. When the session has died, the rollback and the reset fail as well: those
     * failures are added to the first one as suppressed, so the error says what went wrong rather than that the
     * connection is closed. A failed commit is thrown as it is; a failure to put auto-commit back after a commit is
     * not (the work is committed). Work that returns normally although one of its statements failed (it caught the
     * error) is not committed: PostgreSQL would turn the COMMIT into a ROLLBACK without an error, so this throws.
     *
     * <p>A connection with auto-commit off and no transaction open yet (a pool's, configured so) is treated the
     * same: the work is its transaction and is committed. On a connection with a transaction already open (a
     * statement ran since its last commit: {@code transaction} called inside another), the work joins it in a
     * savepoint instead: its failure undoes only its own statements and is rethrown, and the caller's transaction
     * commits or rolls back the rest; work that returns although one of its statements failed is undone and refused
     * in the same way, saying so. (Which of the two is told by pgjdbc's transaction state; with another driver
     * the work is always committed.)
     */
    public static <T> T transaction(Connection connection, Work<T> work) throws SQLException {
        boolean auto = connection.getAutoCommit();
        String state = auto ? null : transactionState(connection);
        if (state != null && !state.equals("IDLE")) {
            return inSavepoint(connection, work);
        }
        connection.setAutoCommit(false);
        Throwable failed = null;
        try {
            T out = work.run(connection);
            if ("FAILED".equals(transactionState(connection))) {
                throw new SQLException("the transaction failed earlier (a statement failed and its error was caught):"
                        + " it is rolled back, nothing was committed", "25P02");
            }
            connection.commit();
            return out;
        } catch (Throwable e) {
            failed = e;
            try {
                connection.rollback();
            } catch (SQLException rollback) {
                e.addSuppressed(rollback);
            }
            throw e;
        } finally {
            try {
                connection.setAutoCommit(auto);
            } catch (SQLException reset) {
                if (failed != null) {
                    failed.addSuppressed(reset);
                }
                // after a commit the work is done: a connection that cannot be reset is for the pool to discard,
                // and reporting the committed work as failed would invite a caller to do it twice
            }
        }
    }

    private static <T> T inSavepoint(Connection connection, Work<T> work) throws SQLException {
        Savepoint sp = connection.setSavepoint();
        try {
            T out = work.run(connection);
            if ("FAILED".equals(transactionState(connection))) {
                // said so, rather than by the release's 'current transaction is aborted', which the rollback to the
                // savepoint below makes untrue: the caller's transaction goes on
                throw new SQLException("the work failed earlier (a statement failed and its error was caught): its"
                        + " statements are rolled back to the savepoint it ran in; the enclosing transaction goes on",
                        "25P02");
            }
            connection.releaseSavepoint(sp);
            return out;
        } catch (Throwable e) {
            try {
                connection.rollback(sp);
                connection.releaseSavepoint(sp);
            } catch (SQLException rollback) {
                e.addSuppressed(rollback);
            }
            throw e;
        }
    }

    /**
     * The connection's transaction state as pgjdbc tracks it, without a round trip: {@code IDLE} (none open),
     * {@code OPEN}, or {@code FAILED} (a statement failed in it); null for another driver.
     */
    private static String transactionState(Connection connection) {
        Method getState = PgjdbcState.GET_TRANSACTION_STATE;
        if (getState == null) {
            return null;
        }
        try {
            Class<?> base = getState.getDeclaringClass();
            if (!connection.isWrapperFor(base)) {
                return null;
            }
            Object state = getState.invoke(connection.unwrap(base));
            return state == null ? null : state.toString();
        } catch (ReflectiveOperationException | SQLException e) {
            return null;
        }
    }

    /** pgjdbc's {@code BaseConnection.getTransactionState}, looked up once; null without pgjdbc. */
    private static final class PgjdbcState {
        static final Method GET_TRANSACTION_STATE = lookUp();

        private static Method lookUp() {
            try {
                return Class.forName("org.postgresql.core.BaseConnection").getMethod("getTransactionState");
            } catch (ReflectiveOperationException | LinkageError e) {
                return null;
            }
        }
    }

    /** Runs a statement that returns no rows. */
    public static void execute(Connection connection, String sql) {
        update(connection, sql);
    }

    /** Runs a statement and returns the number of rows it changed. */
    public static long update(Connection connection, String sql) {
        long start = System.nanoTime();
        try (Statement st = connection.createStatement()) {
            st.execute(sql);
            long count = Math.max(0, st.getLargeUpdateCount());
            if (LOG.isDebugEnabled()) {
                LOG.debug("{} ms, {} rows: {}", (System.nanoTime() - start) / 1_000_000, count, sql);
            }
            return count;
        } catch (SQLException e) {
            throw failed(sql, e);
        }
    }

    /**
     * An exception for a failed statement: the database's message, then the statement (its first 2000 characters).
     * Never throws itself: a missing statement or message is said so.
     */
    public static MdsException failed(String sql, SQLException e) {
        String reason = e == null ? "(no error)" : e.getMessage() != null ? e.getMessage() : e.toString();
        return new MdsException(reason + "\n  in: " + abbreviate(sql), e);
    }

    /** Logs a statement that the caller ran itself, with its timing. */
    public static void logged(String sql, long startNanos) {
        if (LOG.isDebugEnabled()) {
            LOG.debug("{} ms: {}", (System.nanoTime() - startNanos) / 1_000_000, sql);
        }
    }

    private static String abbreviate(String sql) {
        if (sql == null) {
            return "(no statement)";
        }
        if (sql.length() <= 2000) {
            return sql;
        }
        return sql.substring(0, Identifiers.cutBefore(sql, 2000)) + " …";
    }
}
