package dev.mds.vault.internal;

import dev.mds.core.MdsException;
import dev.mds.core.Sql;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import javax.sql.DataSource;

/** Connections and transactions for the vault's builders. */
public final class Jdbc {
    private Jdbc() {
    }

    /** Runs {@code work} on a connection. */
    public static <T> T withConnection(DataSource ds, Function<Connection, T> work) {
        try (Connection c = ds.getConnection()) {
            return work.apply(c);
        } catch (SQLException e) {
            throw new MdsException("cannot get a connection: " + e.getMessage(), e);
        }
    }

    /**
     * Runs {@code work} in one transaction on {@code c} ({@link Sql#transaction}: commits when it returns, rolls back
     * when it throws, and puts the connection's auto-commit back). A failure of the transaction itself is reported
     * with {@code what} (a structure's name, or empty).
     *
     * <p>The transaction is READ COMMITTED whatever the connection's default (put back after it): a load's first
     * statement waits for the other loads of its table (Structure#lock), and each later statement must see what they
     * committed. Under REPEATABLE READ the lock's SELECT would fix the snapshot before the wait. A failure to put
     * the isolation back (a dead session) neither hides the transaction's own error nor fails committed work.
     */
    public static <T> T transaction(Connection c, String what, Function<Connection, T> work) {
        try {
            int isolation = c.getTransactionIsolation();
            if (isolation == Connection.TRANSACTION_READ_COMMITTED) {
                return Sql.transaction(c, work::apply);
            }
            c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            T out;
            try {
                out = Sql.transaction(c, work::apply);
            } catch (SQLException | RuntimeException | Error e) {
                try {
                    c.setTransactionIsolation(isolation);
                } catch (SQLException reset) {
                    e.addSuppressed(reset);     // a dead session: its own error says what happened
                }
                throw e;
            }
            try {
                c.setTransactionIsolation(isolation);
            } catch (SQLException reset) {
                // committed: a connection that cannot be reset is for the pool to discard (Hikari resets the
                // isolation it hands out), and reporting the committed work as failed would invite doing it twice
            }
            return out;
        } catch (SQLException e) {
            throw new MdsException((what.isEmpty() ? "" : what + ": ") + "transaction failed: " + e.getMessage(), e);
        }
    }

    /**
     * Runs the statements in one transaction and returns the rows changed by the statement at
     * {@code countIndex} (or the sum of all when it is -1).
     */
    public static long inTransaction(Connection c, List<String> statements, int countIndex) {
        return transaction(c, "", x -> updates(x, statements, countIndex));
    }

    /**
     * Runs the statements on {@code c} as it is and returns the rows changed by the statement at {@code countIndex}
     * (or the sum of all when it is -1).
     */
    public static long updates(Connection c, List<String> statements, int countIndex) {
        long total = 0;
        for (int i = 0; i < statements.size(); i++) {
            long n = Sql.update(c, statements.get(i));
            if (countIndex < 0 || countIndex == i) {
                total += n;
            }
        }
        return total;
    }

    /**
     * Runs the statements in one transaction, the last one a query, and returns its first row's columns as longs
     * (NULL as -1).
     */
    public static long[] queryInTransaction(Connection c, List<String> statements) {
        return transaction(c, "", x -> {
            for (String s : statements.subList(0, statements.size() - 1)) {
                Sql.update(x, s);
            }
            return firstRowOfLongs(x, statements.get(statements.size() - 1));
        });
    }

    /** The first row of {@code sql}'s result, its columns as longs (NULL as -1), on {@code c} as it is. */
    public static long[] firstRowOfLongs(Connection c, String sql) {
        long t0 = System.nanoTime();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            int n = rs.getMetaData().getColumnCount();
            long[] out = new long[n];
            rs.next();
            for (int i = 0; i < n; i++) {
                long v = rs.getLong(i + 1);
                out[i] = rs.wasNull() ? -1 : v;
            }
            Sql.logged(sql, t0);
            return out;
        } catch (SQLException e) {
            throw Sql.failed(sql, e);
        }
    }

    /** The first row of {@code sql}'s result, its columns as text (NULL as "NULL"), or empty when there is none. */
    public static Optional<List<String>> firstRow(Connection c, String sql) {
        long t0 = System.nanoTime();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            Sql.logged(sql, t0);
            if (!rs.next()) {
                return Optional.empty();
            }
            List<String> row = new ArrayList<>();
            for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                String v = rs.getString(i);
                row.add(v == null ? "NULL" : v);
            }
            return Optional.of(row);
        } catch (SQLException e) {
            throw Sql.failed(sql, e);
        }
    }

    /** The first column of the first row as a long, or -1 when there is no row or it is NULL. */
    public static long queryLong(Connection c, String sql) {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            if (!rs.next()) {
                return -1;
            }
            long v = rs.getLong(1);
            return rs.wasNull() ? -1 : v;
        } catch (SQLException e) {
            throw Sql.failed(sql, e);
        }
    }

    /**
     * Runs {@code statement}, one that changes nothing (an {@code EXPLAIN}, which plans it and runs nothing), and
     * returns the error PostgreSQL refused it with; empty when it ran. Inside a transaction it runs under a savepoint,
     * rolled back when it is refused, so that the refusal leaves the transaction usable.
     *
     * @throws SQLException when the savepoint cannot be set, rolled back or released
     */
    public static Optional<SQLException> refusal(Connection c, String statement) throws SQLException {
        Savepoint sp = c.getAutoCommit() ? null : c.setSavepoint();
        try (Statement st = c.createStatement()) {
            st.execute(statement);
        } catch (SQLException e) {
            if (sp != null) {
                c.rollback(sp);
            }
            return Optional.of(e);
        }
        if (sp != null) {
            c.releaseSavepoint(sp);
        }
        return Optional.empty();
    }
}
