package dev.mds.testing.internal;

import dev.mds.testing.PostgresServer;
import java.util.Optional;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.PostgreSQLContainer;
import org.testcontainers.utility.DockerImageName;

/** A PostgreSQL 17 container, configured like the embedded server (logical decoding on); JUnit closes it with the root store (it is {@link AutoCloseable}). */
public final class ContainerServer extends PostgresServer {
    private final PostgreSQLContainer<?> container;

    private ContainerServer(PostgreSQLContainer<?> container) {
        this.container = container;
    }

    /** Why no container can be started here, or empty when Docker is available. */
    public static Optional<String> unavailableReason() {
        try {
            if (DockerClientFactory.instance().isDockerAvailable()) {
                return Optional.empty();
            }
            return Optional.of("Docker is not available on this machine");
        } catch (RuntimeException | LinkageError e) {
            return Optional.of("Docker is not available on this machine (" + e.getMessage() + ")");
        }
    }

    public static ContainerServer start() {
        PostgreSQLContainer<?> c = new PostgreSQLContainer<>(DockerImageName.parse("postgres:17"))
                .withCommand("postgres", "-c", "wal_level=logical", "-c", "max_replication_slots=20",
                        "-c", "max_wal_senders=20", "-c", "fsync=off");
        c.start();
        return new ContainerServer(c);
    }

    @Override
    public String host() {
        return container.getHost();
    }

    @Override
    public int port() {
        return container.getFirstMappedPort();
    }

    @Override
    public String user() {
        return container.getUsername();
    }

    @Override
    public String password() {
        return container.getPassword();
    }

    @Override
    protected String adminDatabase() {
        return container.getDatabaseName();
    }

    @Override
    public void close() {
        container.stop();
    }
}
