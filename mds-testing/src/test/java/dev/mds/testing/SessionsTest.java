package dev.mds.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

@MdsPostgres
class SessionsTest {
    /** The statement text is a literal of the one quoting helper: it means the same with backslashes read as escapes. */
    @Test
    void terminateWhenRunningFindsATextWithABackslashWhateverStandardConformingStringsIs(TestDatabase db) {
        try (HikariDataSource off = db.newDataSource(3, Map.of("options", "-c standard_conforming_strings=off"))) {
            CompletableFuture<Void> sleeping = CompletableFuture.runAsync(() -> {
                try (Connection c = off.getConnection(); Statement st = c.createStatement()) {
                    st.execute("select E'a\\\\b', pg_sleep(60)");
                } catch (java.sql.SQLException e) {
                    throw new IllegalStateException(e.getMessage(), e);
                }
            });
            long pid = Sessions.terminateWhenRunning(off, "E'a\\\\b', pg_sleep");
            assertThat(pid).isPositive();
            assertThat(catchThrowable(sleeping::join)).hasMessageContaining("terminating connection");
        }
    }
}
