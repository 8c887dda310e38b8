package dev.mds.testing;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.MdsException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** An embedded server PostgreSQL refuses to start says why, in PostgreSQL's words. */
class EmbeddedServerStartFailureTest {
    /**
     * Before, the postmaster exited at once with {@code FATAL: invalid value for parameter "shared_buffers": "lots"}, which
     * went only to the log, and start() failed with zonky's "Gave up waiting for server to start after 5000ms".
     */
    @Test
    void aSettingPostgresqlRefusesFailsTheStartWithPostgresqlsReason() {
        assertThatThrownBy(() -> EmbeddedPostgresServer.builder().setting("shared_buffers", "lots")
                .startTimeout(Duration.ofSeconds(5)).start().close())
                .isInstanceOf(MdsException.class)
                .hasMessageStartingWith("cannot start the embedded PostgreSQL: ")
                .hasMessageContaining("FATAL:  invalid value for parameter \"shared_buffers\": \"lots\"");
    }
}
