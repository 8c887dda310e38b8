package dev.mds.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.MdsException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** An embedded server asked for a port that is taken refuses to start, naming the port. */
@MdsPostgres(MdsPostgres.Source.EMBEDDED)
class EmbeddedServerPortTest {
    /**
     * Before, the new server's postmaster failed ("could not bind ... Address already in use"), but zonky's start-up
     * check connected to the port, found the other PostgreSQL answering, and start() returned a server whose
     * createDatabase and pools worked on that other server (createDatabase first drops a database of the same name).
     */
    @Test
    void aPortAnotherPostgresqlListensOnIsRefused(TestDatabase db) {
        String marker = db.name() + "_other";
        assertThatThrownBy(() -> {
            try (EmbeddedPostgresServer server = EmbeddedPostgresServer.builder().port(db.port()).start()) {
                server.createDatabase(marker);   // lands on the shared server when start() does not refuse
            }
        }).isInstanceOf(MdsException.class).hasMessageContaining("port " + db.port()).hasMessageContaining("in use");
        assertThat(TestSql.strings(db.dataSource(), "select datname from pg_database where datname = '" + marker + "'"))
                .as("nothing was done on the server that holds the port").isEmpty();
    }

    /** Before, start() waited for ever: zonky's check connected to the listener and waited for a reply that never came. */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)   // a guard against the hang
    void aPortAnotherProgramListensOnIsRefused() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getByName("localhost"))) {
            assertThatThrownBy(() -> EmbeddedPostgresServer.builder().port(silent.getLocalPort()).start().close())
                    .isInstanceOf(MdsException.class).hasMessageContaining("port " + silent.getLocalPort())
                    .hasMessageContaining("in use");
        }
    }
}
