package dev.mds.testing;

import com.zaxxer.hikari.HikariDataSource;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * One database on a {@link PostgresServer}, with a connection pool. What the {@link MdsPostgres} extension
 * injects besides a plain {@link DataSource}: tests of change data capture need the host, port and
 * credentials, not only a pool.
 */
public final class TestDatabase implements AutoCloseable {
    private final PostgresServer server;
    private final String name;
    private volatile HikariDataSource dataSource;

    TestDatabase(PostgresServer server, String name) {
        this.server = Objects.requireNonNull(server, "server");
        this.name = Objects.requireNonNull(name, "name");
    }

    /** The shared pool on this database (created on first use, closed by {@link #close()}). */
    public synchronized HikariDataSource dataSource() {
        if (dataSource == null) {
            dataSource = server.dataSource(name, 8);
        }
        return dataSource;
    }

    /** A new, separate pool on this database; the caller closes it. */
    public HikariDataSource newDataSource(int maxPoolSize) {
        return server.dataSource(name, maxPoolSize);
    }

    /** A new, separate pool on this database with pgjdbc connection properties; the caller closes it. */
    public HikariDataSource newDataSource(int maxPoolSize, java.util.Map<String, String> properties) {
        return server.dataSource(name, maxPoolSize, properties);
    }

    public PostgresServer server() {
        return server;
    }

    public String name() {
        return name;
    }

    public String jdbcUrl() {
        return server.jdbcUrl(name);
    }

    public String host() {
        return server.host();
    }

    public int port() {
        return server.port();
    }

    public String user() {
        return server.user();
    }

    public String password() {
        return server.password();
    }

    /** Closes the pool; the database stays. */
    @Override
    public synchronized void close() {
        if (dataSource != null) {
            dataSource.close();
            dataSource = null;
        }
    }

    /** Closes the pool and drops the database. */
    public void drop() {
        close();
        server.dropDatabase(name);
    }

    @Override
    public String toString() {
        return jdbcUrl();
    }
}
