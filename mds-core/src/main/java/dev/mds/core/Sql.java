package dev.mds.core;

import java.sql.Connection;
import java.sql.SQLException;
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
 * }</pre>
 */
public final class Sql {
    private static final Logger LOG = LoggerFactory.getLogger(Sql.class);

    private Sql() {
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

    /** An exception for a failed statement: the database's message, then the statement. */
    public static MdsException failed(String sql, SQLException e) {
        return new MdsException(e.getMessage() + "\n  in: " + abbreviate(sql), e);
    }

    /** Logs a statement that the caller ran itself, with its timing. */
    public static void logged(String sql, long startNanos) {
        if (LOG.isDebugEnabled()) {
            LOG.debug("{} ms: {}", (System.nanoTime() - startNanos) / 1_000_000, sql);
        }
    }

    private static String abbreviate(String sql) {
        return sql.length() <= 2000 ? sql : sql.substring(0, 2000) + " …";
    }
}
