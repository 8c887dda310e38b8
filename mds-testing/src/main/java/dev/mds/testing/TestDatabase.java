package dev.mds.testing;

import com.zaxxer.hikari.HikariDataSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One database on a {@link PostgresServer}, with a connection pool. What the {@link MdsPostgres} extension
 * injects besides a plain {@link DataSource}: tests of change data capture need the host, port and
 * credentials, not only a pool.
 *
 * <p>Its pools connect as {@link #user()}: the server's user, or, for a database made by
 * {@link PostgresServer#createOwnedDatabase(String)} ({@code @MdsPostgres(role = Role.OWNER)}), the database's own
 * login role, which owns it and is not a superuser. {@link #adminDataSource()} connects as the server's user either way.
 *
 * <p>What its pools do with a connection given back ({@code close()}): a transaction left open is rolled back; one
 * opened with SQL ({@code begin}) in auto-commit mode, which a production pool would hand to its next user as it is, is
 * also reported: logged as a warning, or, under {@link MdsPostgres.LeftOpenTransactions#FAIL}, failing the test that
 * left it. The shared pools ({@link #dataSource()}, {@link #adminDataSource()}) also reset the session
 * ({@code RESET SESSION AUTHORIZATION; RESET ROLE; RESET ALL}), so that a {@code set timezone} or {@code set role} of
 * one test does not reach the next one; a pool of {@link #newDataSource} is the caller's own and keeps its sessions'
 * settings from one use to the next. Neither resets temporary tables, advisory locks or {@code LISTEN}s.
 */
public final class TestDatabase implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TestDatabase.class);
    private final PostgresServer server;
    private final String name;
    /** The owning login role, or null when the pools connect as the server's user. */
    private final String owner;
    private final String ownerPassword;
    private volatile HikariDataSource dataSource;
    private volatile HikariDataSource adminDataSource;
    private volatile boolean failOnLeftOpenTransactions;
    /** Whether the shared pools ignore {@code close()}: set for a test class's database (see {@link #dataSource()}). */
    private volatile boolean classDatabase;
    private final Queue<LeftOpen> leftOpen = new ConcurrentLinkedQueue<>();

    /**
     * The test running on this thread (from its before-each to its after-each callbacks), set by the extension: a
     * transaction left open is kept with the test whose thread gave its connection back, so that under JUnit's
     * parallel execution another test of the class that ends meanwhile does not take it.
     */
    static final ThreadLocal<String> RUNNING_TEST = new ThreadLocal<>();

    /**
     * The name of the test running on this thread ({@code Class#method}), or of the class whose set-up runs there, set
     * by the extension: a pool that runs out of connections names who took those not given back.
     */
    static final ThreadLocal<String> RUNNING_TEST_NAME = new ThreadLocal<>();

    /** The unique ids of the tests running now (between their before-each and after-each callbacks). */
    static final java.util.Set<String> RUNNING_TESTS = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** A transaction left open, with the test whose thread gave its connection back (null: none, or not known). */
    private record LeftOpen(String test, String what) {
    }

    TestDatabase(PostgresServer server, String name) {
        this(server, name, null, null);
    }

    TestDatabase(PostgresServer server, String name, String owner, String ownerPassword) {
        this.server = Objects.requireNonNull(server, "server");
        this.name = Objects.requireNonNull(name, "name");
        this.owner = owner;
        this.ownerPassword = ownerPassword;
    }

    /**
     * The shared pool on this database (created on first use, closed by {@link #close()}). In a test class's database
     * ({@link MdsPostgres}) its own {@code close()} does nothing: the class's tests share it, so a test, or code under
     * test, that closes the pool it was given does not close it for the tests after it.
     */
    public synchronized HikariDataSource dataSource() {
        if (dataSource == null) {
            dataSource = server.dataSource(name, user(), password(), 8, java.util.Map.of(), hooks(true));
        }
        return dataSource;
    }

    /**
     * A shared pool on this database as the server's user (a superuser on the embedded server), for set-up that the
     * database's owner may not do (roles, replication); created on first use, closed by {@link #close()}. The same as
     * {@link #dataSource()} unless the database has an {@linkplain #ownedByLoginRole() owning login role}.
     */
    public synchronized HikariDataSource adminDataSource() {
        if (owner == null) {
            return dataSource();
        }
        if (adminDataSource == null) {
            adminDataSource = server.dataSource(name, server.user(), server.password(), 4, java.util.Map.of(), hooks(true));
        }
        return adminDataSource;
    }

    /**
     * A new, separate pool on this database; the caller closes it. Its sessions keep their settings from one use to the
     * next (a {@code set timezone} on a pool of one connection holds for the pool's later users).
     */
    public HikariDataSource newDataSource(int maxPoolSize) {
        return newDataSource(maxPoolSize, java.util.Map.of());
    }

    /** A new, separate pool on this database with pgjdbc connection properties; the caller closes it. */
    public HikariDataSource newDataSource(int maxPoolSize, java.util.Map<String, String> properties) {
        return server.dataSource(name, user(), password(), maxPoolSize, properties, hooks(false));
    }

    /**
     * {@code shared}: a pool of the database's own, which resets sessions, and, for a test class's database, ignores
     * {@code close()} (see {@link #dataSource()}).
     */
    private PostgresServer.PoolHooks hooks(boolean shared) {
        return new PostgresServer.PoolHooks(shared, shared && classDatabase, this::leftOpen);
    }

    /** Marks the database as a test class's, whose shared pools its tests cannot close (set before they are made). */
    void classDatabase() {
        this.classDatabase = true;
    }

    private void leftOpen(String what) {
        if (failOnLeftOpenTransactions) {
            leftOpen.add(new LeftOpen(RUNNING_TEST.get(), what));
        } else {
            LOG.warn("{}; rolled it back", what);
        }
    }

    /** Whether a transaction left open on a pooled connection is kept for {@link #takeLeftOpenTransactions()} to fail a test. */
    void failOnLeftOpenTransactions(boolean fail) {
        this.failOnLeftOpenTransactions = fail;
    }

    /** The transactions left open on this database's pooled connections since the last call (when failing on them). */
    List<String> takeLeftOpenTransactions() {
        return takeLeftOpenTransactions(null);
    }

    /**
     * As {@link #takeLeftOpenTransactions()}, leaving those given back on the thread of another test than {@code test}
     * (its unique id) for that test; all of them when {@code test} is null.
     */
    List<String> takeLeftOpenTransactions(String test) {
        List<String> out = new ArrayList<>();
        for (java.util.Iterator<LeftOpen> it = leftOpen.iterator(); it.hasNext(); ) {
            LeftOpen l = it.next();
            if (test == null || l.test() == null || l.test().equals(test)) {
                it.remove();
                out.add(l.what());
            }
        }
        return out;
    }

    /** Whether the pools connect as the database's own login role (not a superuser) rather than the server's user. */
    public boolean ownedByLoginRole() {
        return owner != null;
    }

    /** The server the database lives on. */
    public PostgresServer server() {
        return server;
    }

    /** The database's name. */
    public String name() {
        return name;
    }

    /** The JDBC URL of the database. */
    public String jdbcUrl() {
        return server.jdbcUrl(name);
    }

    /** The server's host name. */
    public String host() {
        return server.host();
    }

    /** The server's port. */
    public int port() {
        return server.port();
    }

    /** The user the pools connect as: the database's owning login role, or the server's user. */
    public String user() {
        return owner != null ? owner : server.user();
    }

    /** The password of {@link #user()}. */
    public String password() {
        return owner != null ? ownerPassword : server.password();
    }

    /** Closes the pools; the database stays. */
    @Override
    public synchronized void close() {
        if (dataSource != null) {
            PostgresServer.closePool(dataSource);
            dataSource = null;
        }
        if (adminDataSource != null) {
            PostgresServer.closePool(adminDataSource);
            adminDataSource = null;
        }
    }

    /** Closes the pools and drops the database, and its owning login role if it has one. */
    public void drop() {
        close();
        server.dropDatabase(name);
        if (owner != null) {
            server.dropRole(owner);
        }
    }

    @Override
    public String toString() {
        return jdbcUrl();
    }
}
