package dev.mds.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.testing.MdsPostgres;
import java.sql.Connection;
import java.util.Random;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A state key is the state table's primary key, and PostgreSQL's btree holds at most 2704 bytes an entry (8 kB pages):
 * 2692 bytes of a key that does not compress.
 */
@MdsPostgres
class StateKeyLengthTest {
    /** {@code n} ASCII letters and digits in no pattern that compresses, as a path or a hash does not. */
    private static String incompressible(int n) {
        Random r = new Random(n);
        String alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        StringBuilder s = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            s.append(alphabet.charAt(r.nextInt(alphabet.length())));
        }
        return s.toString();
    }

    @Test
    void aNewKeyLongerThanTheIndexHoldsIsRefusedBeforeAnyWriteNamingItsLengthAndTheLimit(DataSource ds) throws Exception {
        StateStore store = JdbcStateStore.create(ds);
        String longest = incompressible(2692);
        assertThat(store.put(longest, "1")).isEqualTo(1);
        assertThat(store.get(longest).orElseThrow().json()).isEqualTo("1");
        String over = incompressible(2693);
        String refusal = "state store mds.state, key '" + over.substring(0, 40) + "…' (2693 bytes): a new key may be at most"
                + " 2692 bytes in UTF-8, as PostgreSQL's btree index on the key holds at most 2704 bytes an entry; shorten"
                + " the key (for example, replace a long part of it by a hash of that part)";
        // in a caller's transaction, which stays usable: the rows it wrote commit, the key is not stored
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            store.put(c, "before", "1");
            assertThatThrownBy(() -> store.put(c, over, "1")).isInstanceOf(MdsException.class).hasMessage(refusal);
            store.put(c, "after", "2");
            c.commit();
        }
        assertThat(store.get("before")).isPresent();
        assertThat(store.get("after")).isPresent();
        assertThat(store.get(over)).isEmpty();
        assertThatThrownBy(() -> store.compareAndSet(over, 0, "1")).isInstanceOf(MdsException.class).hasMessage(refusal);
        assertThatThrownBy(() -> store.update(over, old -> "1")).isInstanceOf(MdsException.class).hasMessage(refusal);
        assertThat(store.compareAndSet(over, 3, "1")).as("no row of the key to set").isFalse();
        assertThat(store.delete(over)).isFalse();
        // counted in UTF-8, whether or not the key would compress
        assertThatThrownBy(() -> store.put("€".repeat(1000), "1")).isInstanceOf(MdsException.class)
                .hasMessageContaining("(3000 bytes): a new key may be at most 2692 bytes");
    }

    @Test
    void aLongKeyStoredBeforeStaysReadableAndWritable(DataSource ds) throws Exception {
        JdbcStateStore store = JdbcStateStore.create(ds);
        store.put("k", "0");
        // a key that compressed into the index, as earlier versions stored one
        String stored = "csv:" + "/data/in".repeat(1000);
        try (Connection c = ds.getConnection(); java.sql.PreparedStatement ps = c.prepareStatement(
                "insert into mds.state (key, value, version, updated_at) values (?, '1', 1, now())")) {
            ps.setString(1, stored);
            ps.executeUpdate();
        }
        assertThat(store.get(stored).orElseThrow().json()).isEqualTo("1");
        assertThat(store.put(stored, "2")).isEqualTo(2);
        assertThat(store.compareAndSet(stored, 2, "3")).isTrue();
        assertThat(store.update(stored, old -> "4").version()).isEqualTo(4);
        assertThat(store.delete(stored)).isTrue();
        assertThat(store.compareAndSet(stored, 0, "5")).as("its tombstone is a row of the key").isTrue();
        assertThat(store.get(stored).orElseThrow().json()).isEqualTo("5");
    }
}
