package dev.mds.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.zaxxer.hikari.HikariDataSource;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.Sessions;
import dev.mds.testing.TestDatabase;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

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

    /** A deleted key's tombstone holds its last version negated; no key is ever at a negative version. */
    @Test
    void compareAndSetOfANegativeVersionNeverWritesOverADeletedKey(DataSource ds) {
        StateStore store = JdbcStateStore.create(ds);
        assertThat(store.put("gone", "1")).isEqualTo(1);
        assertThat(store.put("gone", "2")).isEqualTo(2);
        assertThat(store.delete("gone")).isTrue();
        assertThat(store.compareAndSet("gone", -2, "3")).as("the key is at no version").isFalse();
        assertThat(store.compareAndSet("neither", -1, "3")).isFalse();
        assertThat(store.get("gone")).isEmpty();
        assertThat(store.put("gone", "4")).as("versions go on after the delete, never given twice").isEqualTo(3);
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

    /**
     * Two processes starting at once both create the state table. The one whose {@code create schema if not exists}
     * loses the race fails on the catalog's unique index; that must not make it skip creating the table.
     */
    @Test
    void aSchemaCreatedByAnotherProcessAtTheSameMomentDoesNotStopTheTableBeingCreated(DataSource ds) throws Exception {
        StateStore store = JdbcStateStore.builder(ds).schema("raced").build();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (Connection other = ds.getConnection()) {
            other.setAutoCommit(false);
            Sql.execute(other, "create schema raced");   // the other process, not committed yet
            Future<Long> put = pool.submit(() -> store.put("k", "1"));
            Sessions.awaitLockWait(ds, put);   // the store's create schema waits for the other process's
            other.commit();
            assertThat(put.get(60, TimeUnit.SECONDS)).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
        assertThat(store.get("k").orElseThrow().json()).isEqualTo("1");
    }

    @Test
    void aRoleThatMayOnlyReadAndWriteAnExistingStateTableCanUseIt(TestDatabase db) throws Exception {
        JdbcStateStore.builder(db.dataSource()).schema("granted").build().put("k", "1");   // the owner creates it
        String role = "mds_state_user_" + ProcessHandle.current().pid() + "_" + System.nanoTime();
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select rolsuper or rolcreaterole from pg_roles where rolname = current_user")) {
            rs.next();
            assumeTrue(rs.getBoolean(1), "the test user may not create roles on this server");
            Sql.execute(c, "create role " + Identifiers.quote(role) + " login password 'state-user'");
            Sql.execute(c, "grant usage on schema granted to " + Identifiers.quote(role));
            Sql.execute(c, "grant select, insert, update, delete on granted.state to " + Identifiers.quote(role));
        }
        try {
            PGSimpleDataSource limited = new PGSimpleDataSource();
            limited.setURL(db.jdbcUrl());
            limited.setUser(role);
            limited.setPassword("state-user");
            StateStore store = JdbcStateStore.builder(limited).schema("granted").build();
            assertThat(store.get("k").orElseThrow().json()).isEqualTo("1");
            assertThat(store.put("k", "2")).isEqualTo(2);
            assertThat(store.update("k", old -> old.orElseThrow() + "0").json()).isEqualTo("20");
        } finally {
            try (Connection c = db.dataSource().getConnection()) {
                Sql.execute(c, "drop owned by " + Identifiers.quote(role));
                Sql.execute(c, "drop role " + Identifiers.quote(role));
            }
        }
    }

    @Test
    void updateOnAnAutoCommitConnectionHoldsTheRowLockUntilItsValueIsWritten(DataSource ds) throws Exception {
        StateStore store = JdbcStateStore.create(ds);
        store.put("autocommit-n", "0");
        CountDownLatch read = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (Connection a = ds.getConnection(); Connection b = ds.getConnection()) {
            assertThat(a.getAutoCommit()).isTrue();
            Future<StateStore.State> first = pool.submit(() -> store.update(a, "autocommit-n", old -> {
                read.countDown();
                try {
                    release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return String.valueOf(Integer.parseInt(old.orElseThrow()) + 1);
            }));
            assertThat(read.await(60, TimeUnit.SECONDS)).isTrue();
            Future<StateStore.State> second = pool.submit(
                    () -> store.update(b, "autocommit-n", old -> String.valueOf(Integer.parseInt(old.orElseThrow()) + 1)));
            Sessions.awaitLockWait(ds, second);   // it must wait for the first's row lock, not read the same value
            release.countDown();
            first.get(60, TimeUnit.SECONDS);
            second.get(60, TimeUnit.SECONDS);
            assertThat(a.getAutoCommit()).as("auto-commit given back").isTrue();
        } finally {
            pool.shutdownNow();
        }
        assertThat(store.get("autocommit-n").orElseThrow().json()).as("neither increment lost").isEqualTo("2");
    }

    @Test
    void aFailedUpdateWhoseCallerCommitsAnywayLeavesTheKeyAbsent(DataSource ds) throws Exception {
        StateStore store = JdbcStateStore.create(ds);
        for (String key : List.of("failed-cas", "failed-del")) {
            try (Connection c = ds.getConnection()) {
                c.setAutoCommit(false);
                assertThatThrownBy(() -> store.update(c, key, old -> {
                    throw new IllegalStateException("no value for " + key);
                })).hasMessage("no value for " + key);
                c.commit();   // the caller keeps its other work
            }
            assertThat(store.get(key)).isEmpty();
        }
        assertThat(store.compareAndSet("failed-cas", 0, "1")).as("the key does not exist yet").isTrue();
        assertThat(store.get("failed-cas").orElseThrow().version()).isEqualTo(1);
        assertThat(store.compareAndSet("failed-cas", 0, "2")).isFalse();
        assertThat(store.delete("failed-del")).as("nothing was stored").isFalse();
    }

    /**
     * update runs the change function in a transaction of its own (on its own connection, or on a caller's in
     * auto-commit). It rolled back only a RuntimeException or SQLException; after any other throwable (an Error, a
     * checked exception thrown sneakily from Kotlin or Lombok code) the finally block's setAutoCommit(true) committed
     * the transaction half done: the placeholder row of the key stayed, and anything the function wrote on the
     * caller's connection.
     */
    @Test
    void anUpdateWhoseChangeFunctionThrowsAnErrorCommitsNothing(DataSource ds) throws Exception {
        StateStore store = JdbcStateStore.builder(ds).schema("errors").build();
        store.put("other", "1");
        assertThatThrownBy(() -> store.update("own", old -> {
            throw new AssertionError("no value for own");
        })).hasMessage("no value for own");
        try (Connection c = ds.getConnection()) {
            assertThatThrownBy(() -> store.update(c, "callers", old -> {
                Sql.execute(c, "insert into errors.state values ('written by the function', '1', 1, now())");
                throw new AssertionError("no value for callers");
            })).hasMessage("no value for callers");
            assertThat(c.getAutoCommit()).isTrue();
        }
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select string_agg(key, ',' order by key) from errors.state")) {
            rs.next();
            assertThat(rs.getString(1)).as("rows left in the table").isEqualTo("other");
        }
    }

    @Test
    void errorsNameTheTableAndTheKey(DataSource ds) throws Exception {
        StateStore store = JdbcStateStore.builder(ds).schema("named").build();
        assertThatThrownBy(() -> store.put("cdc:orders", "{not json"))
                .isInstanceOf(MdsException.class)
                .hasMessageContaining("named.state, key 'cdc:orders'")
                .hasMessageContaining("json");
        try (Connection c = ds.getConnection()) {
            assertThatThrownBy(() -> store.compareAndSet(c, "watermark:users", 0, "NaN"))
                    .isInstanceOf(MdsException.class)
                    .hasMessageContaining("named.state, key 'watermark:users'");
        }
        assertThatThrownBy(() -> store.update("cdc:orders", old -> null))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("named.state, key 'cdc:orders'");
    }


    /**
     * The table is created on the caller's connection; when the caller's open transaction has created the schema, the
     * table is created in that transaction too (created on a connection of its own, it would wait for the caller,
     * who waits for it), and a rollback removes schema, table and state together.
     */
    @Test
    void aCallInsideATransactionThatCreatedTheSchemaCreatesTheTableInThatTransaction(DataSource ds) throws Exception {
        StateStore store = JdbcStateStore.builder(ds).schema("own_tx").build();
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            st.execute("create schema own_tx");
            assertThat(store.put(c, "k", "{}")).isEqualTo(1);
            assertThat(store.get(c, "k").orElseThrow().json()).isEqualTo("{}");
            c.rollback();
            c.setAutoCommit(true);
        }
        assertThat(store.get("k")).isEmpty();
        assertThat(store.put("k", "{\"n\":1}")).isEqualTo(1);   // after the rollback it creates both
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select current_setting('lock_timeout')")) {
            rs.next();
            assertThat(rs.getString(1)).as("no setting left on pooled connections").isEqualTo("0");
        }
    }

    /**
     * With a pool of one connection, the connection a call runs on is the only one: the store must create its table
     * on it, in every kind of call, rather than wait for a second connection that the pool can only give once the
     * caller has given its own back (it waited for the pool's 30 s timeout, then failed).
     */
    @Test
    void aPoolOfOneConnectionServesTheStoreFromItsFirstCall(TestDatabase db) throws Exception {
        try (HikariDataSource one = db.newDataSource(1)) {
            StateStore own = JdbcStateStore.builder(one).schema("pool_own").build();
            assertThat(own.get("k")).isEmpty();
            try (Connection c = one.getConnection()) {
                assertThat(relationExists(c, "pool_own.state")).as("created by the first read, in auto-commit").isTrue();
            }
            assertThat(own.put("k", "1")).isEqualTo(1);
            assertThat(own.update("k", old -> old.orElseThrow() + "0").json()).isEqualTo("10");

            StateStore inTx = JdbcStateStore.builder(one).schema("pool_tx").build();
            try (Connection c = one.getConnection()) {
                c.setAutoCommit(false);
                assertThat(inTx.get(c, "k")).isEmpty();
                assertThat(relationExists(c, "pool_tx.state")).as("a read in a transaction creates nothing").isFalse();
                assertThat(inTx.put(c, "k", "1")).isEqualTo(1);
                c.rollback();   // the table was created in this transaction: it goes with the state
                assertThat(relationExists(c, "pool_tx.state")).isFalse();
                assertThat(inTx.get(c, "k")).isEmpty();
                assertThat(inTx.put(c, "k", "2")).isEqualTo(1);   // created again, and committed this time
                c.commit();
                c.setAutoCommit(true);
            }
            assertThat(inTx.get("k").orElseThrow().json()).isEqualTo("2");
            assertThat(inTx.compareAndSet("k", 1, "3")).isTrue();

            StateStore autoCommit = JdbcStateStore.builder(one).schema("pool_auto").build();
            try (Connection c = one.getConnection()) {
                assertThat(autoCommit.put(c, "k", "4")).isEqualTo(1);
                assertThat(autoCommit.update(c, "k", old -> old.orElseThrow() + "0").json()).isEqualTo("40");
            }
            assertThat(autoCommit.get("k").orElseThrow().json()).isEqualTo("40");
            assertThat(autoCommit.delete("k")).isTrue();
        }
    }

    /**
     * Created in a caller's transaction, the table is not there for other sessions until it commits; one that needs
     * it meanwhile gives up after 5 s with an error saying why, and the store works once the transaction committed.
     */
    @Test
    void aTableBeingCreatedInAnotherOpenTransactionFailsClearlyAndIsUsedOnceCommitted(DataSource ds) throws Exception {
        StateStore first = JdbcStateStore.builder(ds).schema("pending").build();
        StateStore second = JdbcStateStore.builder(ds).schema("pending").build();
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            first.put(c, "a", "1");
            assertThatThrownBy(() -> second.put("b", "2"))
                    .isInstanceOf(MdsException.class)
                    .hasMessageContaining("pending.state")
                    .hasMessageContaining("has not committed");
            c.commit();
            c.setAutoCommit(true);
        }
        assertThat(second.put("b", "2")).isEqualTo(1);
        assertThat(second.get("a").orElseThrow().json()).isEqualTo("1");
    }

    /**
     * A creation that fails inside a caller's transaction (here: another open transaction is creating the same
     * schema) says why, not that the caller's transaction is aborted; the schema is created in a savepoint, so the
     * caller's transaction stays usable.
     */
    @Test
    void aCreationThatFailsInsideACallersTransactionSaysWhyNotThatTheTransactionIsAborted(DataSource ds) throws Exception {
        StateStore store = JdbcStateStore.builder(ds).schema("pending_schema").build();
        try (Connection other = ds.getConnection(); Connection c = ds.getConnection()) {
            other.setAutoCommit(false);
            PostgresDialect.INSTANCE.createSchemaIfMissing(other, "pending_schema");   // not committed
            c.setAutoCommit(false);
            assertThatThrownBy(() -> store.put(c, "k", "1"))
                    .isInstanceOf(MdsException.class)
                    .hasMessageContaining("state store pending_schema.state, key 'k': cannot create the table")
                    .hasMessageContaining("has not committed")
                    .hasMessageNotContaining("current transaction is aborted");
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select 1")) {
                assertThat(rs.next()).as("the caller's transaction is still usable").isTrue();
            }
            c.rollback();
            c.setAutoCommit(true);
            other.rollback();
        }
        assertThat(store.put("k", "1")).isEqualTo(1);
    }

    /** A creation refused by the server (a read-only transaction) names the store and the key, and says why. */
    @Test
    void aFailedCreationNamesTheStoreAndTheKey(DataSource ds) throws Exception {
        StateStore store = JdbcStateStore.builder(ds).schema("named_create").build();
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            c.setReadOnly(true);
            assertThatThrownBy(() -> store.put(c, "cdc:orders", "1"))
                    .isInstanceOf(MdsException.class)
                    .hasMessageStartingWith("state store named_create.state, key 'cdc:orders': cannot create the table:")
                    .hasMessageContaining("read-only transaction");
            c.rollback();
            c.setReadOnly(false);
            c.setAutoCommit(true);
        }
    }

    /**
     * In a session that may not write (a hot standby, default_transaction_read_only), a read of a missing table finds
     * no state instead of failing to create the table; a write fails, naming the store and the key.
     */
    @Test
    void aReadInAReadOnlySessionOfAMissingTableFindsNoState(TestDatabase db) throws Exception {
        try (HikariDataSource readOnly = db.newDataSource(1, Map.of("options", "-c default_transaction_read_only=on"))) {
            StateStore store = JdbcStateStore.builder(readOnly).schema("read_only_state").build();
            assertThat(store.get("k")).isEmpty();
            try (Connection c = readOnly.getConnection()) {
                assertThat(store.get(c, "k")).isEmpty();
                assertThat(relationExists(c, "read_only_state.state")).as("a read creates nothing").isFalse();
            }
            assertThatThrownBy(() -> store.put("k", "1"))
                    .isInstanceOf(MdsException.class)
                    .hasMessageContaining("state store read_only_state.state, key 'k'")
                    .hasMessageContaining("read-only transaction");
        }
        StateStore writable = JdbcStateStore.builder(db.dataSource()).schema("read_only_state").build();
        assertThat(writable.put("k", "1")).isEqualTo(1);
        try (HikariDataSource readOnly = db.newDataSource(1, Map.of("options", "-c default_transaction_read_only=on"))) {
            StateStore store = JdbcStateStore.builder(readOnly).schema("read_only_state").build();
            assertThat(store.get("k").orElseThrow().json()).as("an existing table is read as before").isEqualTo("1");
        }
    }

    private static boolean relationExists(Connection c, String name) throws Exception {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select to_regclass(" + Identifiers.literal(name) + ") is not null")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    @Test
    void aValueMuchLargerThanAPageAndAnOddKeyRoundTrip(DataSource ds) {
        StateStore store = JdbcStateStore.builder(ds).schema("Odd \"State\"").table("state; --").build();
        // in jsonb's own text form (keys by length, then bytes), which is what the store gives back
        String big = "{\"lsn\": 1, \"note\": \"back\\\\slash ünïcødé\", \"tables\": \"" + "x".repeat(200_000) + "\"}";
        String key = "cdc:it's \\ \"odd\"";
        assertThat(store.put(key, big)).isEqualTo(1);
        assertThat(store.get(key).orElseThrow().json()).isEqualTo(big);
    }

    /**
     * jsonb keeps a number's value, not its text: 1.0E300 comes back as 1 followed by 300 zeros, 1000.0 stays 1000.0
     * but 1E+3 comes back as 1000. A position read back from the store must still equal the one stored.
     */
    @Test
    void aSourcePositionReadBackFromTheStoreEqualsTheOneStored(DataSource ds) {
        StateStore store = JdbcStateStore.builder(ds).schema("positions").build();
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("offset", 1_048_576L);
        values.put("huge", 1e300);
        values.put("round", 1000.0);
        values.put("exponent", new BigDecimal("1E+3"));
        values.put("tenth", 0.1);
        values.put("scaled", new BigDecimal("123.4500"));
        values.put("tiny", Double.MIN_VALUE);
        values.put("big", new BigInteger("123456789012345678901234567890"));
        values.put("done", true);
        values.put("note", "x");
        SourcePosition p = SourcePosition.of("orders", values);
        store.put("position", p.toJson());
        SourcePosition back = SourcePosition.fromJson(store.get("position").orElseThrow().json());
        assertThat(back).isEqualTo(p);
        assertThat(back.hashCode()).isEqualTo(p.hashCode());
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

    /**
     * An update whose session dies while it waits for the row lock fails with the server's reason, not with the
     * closed connection that putting auto-commit back then meets; the stored value is unchanged.
     */
    @Test
    void updateWhoseSessionDiesReportsTheServersReason(DataSource ds) throws Exception {
        StateStore store = JdbcStateStore.builder(ds).schema("dying").build();
        store.put("k", "1");
        try (Connection holder = ds.getConnection(); Statement st = holder.createStatement()) {
            holder.setAutoCommit(false);
            st.execute("select * from dying.state where key = 'k' for update");
            java.util.concurrent.CompletableFuture<StateStore.State> update =
                    java.util.concurrent.CompletableFuture.supplyAsync(() -> store.update("k", v -> "2"));
            dev.mds.testing.Sessions.terminateWhenWaiting(ds);
            Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(update::join);
            assertThat(thrown.getCause()).isInstanceOf(MdsException.class)
                    .hasMessageContaining("terminating connection")
                    .hasMessageNotContaining("has been closed")
                    .hasMessageNotContaining("is closed");
            holder.rollback();
        }
        assertThat(store.get("k").orElseThrow().json()).isEqualTo("1");
    }

    @Test
    void keysAndValuesHoldingHalfASurrogatePairAreRefusedInsteadOfStoredAsAQuestionMark(DataSource ds) {
        StateStore store = JdbcStateStore.builder(ds).schema("halves").build();
        // UTF-8 cannot encode half a pair: the driver sends '?', so two keys would share one row and a value change
        assertThatThrownBy(() -> store.put("k\uD800", "1")).isInstanceOf(MdsException.class)
                .hasMessageContaining("halves.state").hasMessageContaining("surrogate");
        assertThatThrownBy(() -> store.put("k", "\"a\uDC00b\"")).isInstanceOf(MdsException.class)
                .hasMessageContaining("halves.state, key 'k'").hasMessageContaining("surrogate");
        // a position holding one is refused when made, since c911cfd; its JSON text is refused by the store
        assertThatThrownBy(() -> SourcePosition.fromJson("{\"source\": \"f.csv\", \"x\": \"\\ud800\"}"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("entry 'x' holds half of a UTF-16 surrogate pair");
        assertThatThrownBy(() -> store.put("p", "{\"source\": \"f.csv\", \"x\": \"\\ud800\"}")).isInstanceOf(MdsException.class)
                .hasMessageContaining("surrogate");
        assertThatThrownBy(() -> store.compareAndSet("k", 0, "\"\uD800\"")).isInstanceOf(MdsException.class);
        assertThatThrownBy(() -> store.update("k", old -> "\"\uD800\"")).isInstanceOf(MdsException.class);
        assertThat(store.put("k?", "1")).isEqualTo(1);
        assertThatThrownBy(() -> store.get("k\uDBFF")).as("not the state of 'k?'").isInstanceOf(MdsException.class);
        assertThatThrownBy(() -> store.delete("k\uDBFF")).isInstanceOf(MdsException.class);
        assertThat(store.get("k?")).isPresent();
        assertThat(store.get("k")).isEmpty();
        assertThat(store.put("😀", "\"😀\"")).as("whole pairs are fine").isEqualTo(1);
        assertThat(store.get("😀").orElseThrow().json()).isEqualTo("\"😀\"");
    }
}
