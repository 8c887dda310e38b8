package dev.mds.examples;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import javax.sql.DataSource;

/**
 * Reads one value from a database, and waits for a count to be reached while a pipeline runs: the plumbing of the
 * examples that stream changes.
 *
 * <pre>{@code
 * long users = Queries.value(source, "select count(*) from product.users");
 * Queries.await(warehouse, "select count(*) from raw.users", users, runningPipeline);
 * }</pre>
 */
public final class Queries {
    /** How long {@link #await} waits at the most. */
    public static final Duration WAIT = Duration.ofSeconds(90);

    private Queries() {
    }

    /** The first column of the one row {@code sql} returns (a count, or an id from {@code returning}). */
    public static long value(DataSource ds, String sql) throws SQLException {
        try (Connection c = ds.getConnection()) {
            return value(c, sql);
        }
    }

    /** The first column of the one row {@code sql} returns, on {@code c}. */
    public static long value(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            if (!rs.next()) {
                throw new IllegalStateException("no row from " + sql);
            }
            return rs.getLong(1);
        }
    }

    /**
     * Waits until {@code countSql} gives {@code expected}, up to {@link #WAIT}. A missing table counts as not yet (a
     * CDC target is created by its first batch).
     *
     * @throws IllegalStateException when {@code pipeline} has stopped (its failure attached) or the wait is over,
     *     saying what was last seen
     */
    public static void await(DataSource ds, String countSql, long expected, Future<?> pipeline)
            throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        long seen = -1;
        while (System.nanoTime() < deadline) {
            if (pipeline.isDone()) {
                try {
                    pipeline.get();
                } catch (ExecutionException e) {
                    throw new IllegalStateException("the pipeline failed", e.getCause());
                }
                throw new IllegalStateException("the pipeline stopped before " + countSql + " gave " + expected);
            }
            try {
                seen = value(ds, countSql);
                if (seen == expected) {
                    return;
                }
            } catch (SQLException e) {
                if (!"42P01".equals(e.getSQLState())) {   // undefined_table: the target is not created yet
                    throw e;
                }
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("waited " + WAIT.toSeconds() + " s for " + countSql + " = " + expected
                + ", last saw " + seen);
    }
}
