package dev.mds.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

@MdsPostgres
class JdbcStateStoreTest {
    @Test
    void putAndGetWithVersions(DataSource ds) {
        StateStore store = JdbcStateStore.create(ds);
        assertThat(store.get("a")).isEmpty();
        assertThat(store.put("a", "{\"lsn\":1}")).isEqualTo(1);
        assertThat(store.put("a", "{\"lsn\":2}")).isEqualTo(2);
        StateStore.State s = store.get("a").orElseThrow();
        assertThat(s.json()).isEqualTo("{\"lsn\": 2}");
        assertThat(s.version()).isEqualTo(2);
        assertThat(s.updatedAt()).isNotNull();
        assertThat(store.delete("a")).isTrue();
        assertThat(store.get("a")).isEmpty();
    }

    @Test
    void writesInsideTheCallersTransactionAndRollsBackWithIt(DataSource ds) throws Exception {
        StateStore store = JdbcStateStore.builder(ds).schema("ops").table("offsets").build();
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            Sql.execute(c, "create table rows_carried (id int)");
            Sql.execute(c, "insert into rows_carried values (1)");
            store.put(c, "cdc:product", "{\"lsn\":42}");
            assertThat(store.get(c, "cdc:product")).isPresent();
            c.rollback();
        }
        assertThat(store.get("cdc:product")).as("offset rolled back with the rows").isEmpty();
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            Sql.execute(c, "create table rows_carried (id int)");
            store.put(c, "cdc:product", "{\"lsn\":43}");
            c.commit();
        }
        assertThat(store.get("cdc:product").orElseThrow().json()).contains("43");
    }

    @Test
    void compareAndSetOnlyWritesOverTheExpectedVersion(DataSource ds) {
        StateStore store = JdbcStateStore.create(ds);
        assertThat(store.compareAndSet("k", 0, "1")).isTrue();
        assertThat(store.compareAndSet("k", 0, "2")).as("key exists already").isFalse();
        assertThat(store.compareAndSet("k", 1, "3")).isTrue();
        assertThat(store.compareAndSet("k", 1, "4")).as("stale version").isFalse();
        assertThat(store.get("k").orElseThrow().json()).isEqualTo("3");
    }

    @Test
    void concurrentUpdatesOfOneKeyAreNeverLost(DataSource ds) throws Exception {
        StateStore store = JdbcStateStore.create(ds);
        int perThread = 100;
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < perThread; i++) {
                        store.update("counter", old -> String.valueOf(old.map(Integer::parseInt).orElse(0) + 1));
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        StateStore.State s = store.get("counter").orElseThrow();
        assertThat(s.json()).isEqualTo(String.valueOf(2 * perThread));
        assertThat(s.version()).isEqualTo(2L * perThread);
    }

    @Test
    void concurrentCompareAndSetLetsExactlyOneWriterWinEachVersion(DataSource ds) throws Exception {
        StateStore store = JdbcStateStore.create(ds);
        store.put("cas", "0");
        AtomicInteger wins = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < 50; i++) {
                        StateStore.State cur = store.get("cas").orElseThrow();
                        if (store.compareAndSet("cas", cur.version(), String.valueOf(Integer.parseInt(cur.json()) + 1))) {
                            wins.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        // every successful CAS incremented by one from the value it read: no increment was overwritten
        assertThat(store.get("cas").orElseThrow().json()).isEqualTo(String.valueOf(wins.get()));
    }

    @Test
    void updateSeesEmptyForANewKey(DataSource ds) {
        StateStore store = JdbcStateStore.create(ds);
        List<Optional<String>> seen = new ArrayList<>();
        store.update("fresh", old -> {
            seen.add(old);
            return "{\"n\":1}";
        });
        assertThat(seen).containsExactly(Optional.empty());
    }
}
