package dev.mds.testing;

import dev.mds.core.Identifiers;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.Future;
import javax.sql.DataSource;

/**
 * Kills a database session in the middle of its work, for tests of what a load, a check or a commit reports when its
 * session dies (the server's reason, not "connection closed") and what it leaves behind (nothing half-written). Only
 * sessions of the test's own database are looked at: other test classes share the server.
 *
 * <pre>{@code
 * CompletableFuture<LoadResult> load = CompletableFuture.supplyAsync(hub::load);   // blocks on a table lock held here
 * Sessions.terminateWhenWaiting(ds);
 * assertThat(catchThrowable(load::join)).hasMessageContaining("terminating connection");
 * }</pre>
 */
public final class Sessions {
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    private Sessions() {
    }

    /**
     * Waits until another session of this database waits for a lock, terminates it and returns its pid.
     *
     * @throws AssertionError when no session waits within 30 s
     */
    public static long terminateWhenWaiting(DataSource ds) {
        return terminateWhen(ds, "pid in (select pid from pg_locks where not granted)", "waits for a lock");
    }

    /**
     * Waits until another session of this database runs a statement containing {@code statementText}, terminates it
     * and returns its pid.
     *
     * @throws AssertionError when no such statement runs within 30 s
     */
    public static long terminateWhenRunning(DataSource ds, String statementText) {
        String literal = Identifiers.literal(statementText);   // E'…' for a backslash, whatever standard_conforming_strings is
        return terminateWhen(ds, "state = 'active' and strpos(query, " + literal + ") > 0",
                "runs a statement containing " + literal);
    }

    /**
     * Waits until another session of this database waits for a lock, or until {@code work} has finished (a test of a
     * lock that should have been taken sees the work run through instead of hanging).
     *
     * @return whether a session waited for a lock
     * @throws AssertionError when neither happens within 30 s
     */
    public static boolean awaitLockWait(DataSource ds, Future<?> work) {
        String sql = "select count(*) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()"
                + " and wait_event_type = 'Lock'";
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            while (!work.isDone()) {
                try (ResultSet rs = st.executeQuery(sql)) {
                    if (rs.next() && rs.getLong(1) > 0) {
                        return true;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("no other session of this database waited for a lock within "
                            + PATIENCE.toSeconds() + " s, and the work did not finish");
                }
                Thread.sleep(10);
            }
            return false;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot look for a session waiting for a lock: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a session to wait for a lock", e);
        }
    }

    private static long terminateWhen(DataSource ds, String condition, String what) {
        String sql = "select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()"
                + " and " + condition;
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            while (true) {
                try (ResultSet rs = st.executeQuery(sql)) {
                    if (rs.next()) {
                        long pid = rs.getLong(1);
                        st.execute("select pg_terminate_backend(" + pid + ")");
                        return pid;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("no other session of this database " + what + " within " + PATIENCE.toSeconds() + " s");
                }
                Thread.sleep(20);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot look for the session to terminate: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the session to terminate", e);
        }
    }
}
