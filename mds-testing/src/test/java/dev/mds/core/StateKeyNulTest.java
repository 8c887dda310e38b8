package dev.mds.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.testing.MdsPostgres;
import java.sql.Connection;
import java.util.List;
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

    /**
     * JSON writes a NUL character as the escape \u0000 (as Jackson or any JSON writer does), which jsonb cannot hold
     * either: the value is valid JSON, so it reached the server, which refused it ('unsupported Unicode escape
     * sequence', 22P05) and aborted a caller's transaction, with the rows it had loaded. It is refused before any
     * statement runs, as a NUL character is; an escaped backslash before u0000 is text, and is stored.
     */
    @Test
    void aValueHoldingTheJsonEscapeOfANulIsRefusedBeforeAnyStatementRuns(DataSource ds) throws Exception {
        StateStore store = JdbcStateStore.create(ds);
        assertThatThrownBy(() -> store.put("csv:ab", "{\"cursor\": \"a\\u0000b\"}")).isInstanceOf(MdsException.class)
                .hasMessageContaining("key 'csv:ab'").hasMessageContaining("value").hasMessageContaining("\\u0000");
        assertThatThrownBy(() -> store.update("csv:ab", old -> "[\"\\u0000\"]")).isInstanceOf(MdsException.class)
                .hasMessageContaining("\\u0000");
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            store.put(c, "kept", "1");
            assertThatThrownBy(() -> store.compareAndSet(c, "csv:ab", 0, "{\"\\u0000\": 1}"))
                    .isInstanceOf(MdsException.class).hasMessageContaining("\\u0000");
            c.commit();   // refused before any statement: the caller's transaction is not aborted
        }
        assertThat(store.get("kept")).isPresent();
        assertThat(store.get("csv:ab")).isEmpty();
        store.put("csv:ab", "\"a\\\\u0000b\"");   // "a\\u0000b": a backslash, then the text u0000
        assertThat(store.get("csv:ab").orElseThrow().json()).isEqualTo("\"a\\\\u0000b\"");
    }

    /**
     * A JSON writer that escapes what is not ASCII writes half of a UTF-16 surrogate pair as its escape (backslash,
     * u, then D800 to DFFF), which jsonb refuses ('Unicode low surrogate must follow a high surrogate'): the value
     * reached the server and aborted a caller's transaction. It is refused before any statement runs, as the
     * character itself is; a whole pair, escaped, is stored.
     */
    @Test
    void aValueHoldingTheJsonEscapeOfHalfASurrogatePairIsRefusedBeforeAnyStatementRuns(DataSource ds) throws Exception {
        StateStore store = JdbcStateStore.create(ds);
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            store.put(c, "kept too", "1");
            for (String half : List.of("\"a\\ud83d\"", "\"\\uDE00b\"", "\"\\ud83d\\u0041\"", "\"\\ud83d\\ud83d\\ude00\"")) {
                assertThatThrownBy(() -> store.put(c, "csv:cd", half)).as(half).isInstanceOf(MdsException.class)
                        .hasMessageContaining("key 'csv:cd'").hasMessageContaining("surrogate");
            }
            c.commit();   // refused before any statement: the caller's transaction is not aborted
        }
        assertThat(store.get("kept too")).isPresent();
        store.put("csv:cd", "\"\\ud83d\\ude00 \\\\ud83d\"");   // a whole pair, then a backslash and the text ud83d
        assertThat(store.get("csv:cd").orElseThrow().json()).isEqualTo("\"\ud83d\ude00 \\\\ud83d\"");
    }
}
