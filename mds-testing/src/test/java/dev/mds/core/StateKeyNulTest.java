package dev.mds.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.testing.MdsPostgres;
import java.sql.Connection;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

@MdsPostgres
class StateKeyNulTest {
    /**
     * PostgreSQL's text cannot hold U+0000: a key or value holding one failed at the server with 'invalid byte
     * sequence for encoding "UTF8": 0x00', the message quoting the key with the NUL character itself in it (cut short
     * or refused again where the message is logged or stored). It is refused before any statement runs, shown as \0.
     */
    @Test
    void aKeyOrValueHoldingANulCharacterIsRefusedShowingItAsBackslashZero(DataSource ds) throws Exception {
        StateStore store = JdbcStateStore.create(ds);
        assertThatThrownBy(() -> store.put("csv:a\0b", "1")).isInstanceOf(MdsException.class)
                .hasMessageContaining("key 'csv:a\\0b'").hasMessageContaining("NUL")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\0"));
        assertThatThrownBy(() -> store.get("csv:a\0b")).isInstanceOf(MdsException.class)
                .hasMessageContaining("key 'csv:a\\0b'").hasMessageContaining("NUL");
        assertThatThrownBy(() -> store.put("csv:ab", "\"x\0y\"")).isInstanceOf(MdsException.class)
                .hasMessageContaining("key 'csv:ab'").hasMessageContaining("value").hasMessageContaining("NUL")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\0"));
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            store.put(c, "kept", "1");
            assertThatThrownBy(() -> store.compareAndSet(c, "csv:a\0b", 0, "1")).isInstanceOf(MdsException.class)
                    .hasMessageContaining("NUL");
            c.commit();   // refused before any statement: the caller's transaction is not aborted
        }
        assertThat(store.get("kept")).isPresent();
    }
}
