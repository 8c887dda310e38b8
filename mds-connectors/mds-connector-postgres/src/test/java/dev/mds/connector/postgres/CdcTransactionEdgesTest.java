package dev.mds.connector.postgres;

import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.core.JdbcStateStore;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestDatabase;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** Whole-transaction batches (e9c0959) and transactions in parts (b0a4ac9) at their edges, with the real source. */
@MdsPostgres
class CdcTransactionEdgesTest {

    /** The WARN for a transaction handed on in parts names it (by PostgreSQL's transaction id, as Debezium does). */
    @Test
    void theWarningForATransactionInPartsNamesTheTransaction(TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        sql(ds, "create schema te1", "create table te1.t (id int primary key, v text not null)");
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream original = System.err;
        long xid;
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try (var run = Cdc.start(Cdc.source(db, ds, "te_warn", "te1.t").maxBatch(20, Duration.ofMillis(50))
                .maxTransactionEvents(50).build(), Cdc.loadInto(ds, "wte1"))) {
            Cdc.awaitSlotActive(ds, "te_warn");
            try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
                c.setAutoCommit(false);
                try (ResultSet rs = st.executeQuery("select txid_current()")) {
                    rs.next();
                    xid = rs.getLong(1);
                }
                st.execute("insert into te1.t select g, 'v' || g from generate_series(1, 200) g");
                c.commit();
            }
            Cdc.awaitSame(ds, "te1.t", "wte1.t", "id, v");
        } finally {
            System.setErr(original);
        }
        Cdc.dropSlot(ds, "te_warn");
        String log = captured.toString(StandardCharsets.UTF_8);
        assertThat(log).contains("holds more than maxTransactionEvents (50)");
        assertThat(log).as("the warning names the transaction").containsPattern("a source transaction " + xid + "[: ]");
    }

    /**
     * A multi-table TRUNCATE inside a transaction handed on in parts (one record per part), the run stopped at the
     * part holding the second table's truncate and resumed: that truncate still comes, nothing is applied twice.
     */
    @Test
    void aTruncateOfTwoTablesInsideATransactionInPartsSurvivesAStopBetweenTheTables(TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        sql(ds, "create schema te2", "create table te2.a (id int primary key, v text)",
                "create table te2.b (id int primary key, v text)",
                "insert into te2.a select g, 'a' || g from generate_series(1, 5) g",
                "insert into te2.b select g, 'b' || g from generate_series(1, 5) g");
        PostgresCdcSource.Handler load = Cdc.loadInto(ds, "wte2");
        java.util.concurrent.atomic.AtomicBoolean snapshotDone = new java.util.concurrent.atomic.AtomicBoolean();
        var failing = Cdc.start(Cdc.source(db, ds, "te_trunc", "te2.a", "te2.b").maxBatch(1, Duration.ofMillis(20))
                .maxTransactionEvents(1).build(), (batch, tx) -> {
                    if (batch.table().name().equals("b") && batch.events().stream()
                            .anyMatch(e -> e.operation() == dev.mds.core.ChangeEvent.Operation.TRUNCATE)) {
                        throw new IllegalStateException("stop at b's truncate");
                    }
                    load.handle(batch, tx);
                });
        Cdc.awaitSame(ds, "te2.a", "wte2.a", "id, v");
        Cdc.awaitSame(ds, "te2.b", "wte2.b", "id, v");
        sql(ds, "begin; insert into te2.a values (6, 'a6'), (7, 'a7'); truncate te2.a, te2.b;"
                + " insert into te2.a values (1, 'new a1'); insert into te2.b values (1, 'new b1'), (2, 'new b2'); commit");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> failing.done.get(60, java.util.concurrent.TimeUnit.SECONDS))
                .hasRootCauseMessage("stop at b's truncate");
        try (var run = Cdc.start(Cdc.source(db, ds, "te_trunc", "te2.a", "te2.b").maxBatch(1, Duration.ofMillis(20))
                .maxTransactionEvents(1).build(), load)) {
            Cdc.awaitSame(ds, "te2.a", "wte2.a", "id, v");
            Cdc.awaitSame(ds, "te2.b", "wte2.b", "id, v");
        }
        Cdc.dropSlot(ds, "te_trunc");
    }

    /**
     * Transactions that touch only a table of the publication the source does not capture (BEGIN and END with no
     * captured event), with heartbeats off: the stored position still moves past them, and the slot with it.
     */
    @Test
    void transactionsWithoutCapturedEventsStillMoveTheStoredPositionAndTheSlot(TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        sql(ds, "create schema te3", "create table te3.t (id int primary key, v text)",
                "create table te3.other (id int primary key, v text)",
                "create publication te_empty for table te3.t, te3.other");
        PostgresCdcSource source = Cdc.source(db, ds, "te_empty", "te3.t").heartbeat(Duration.ZERO).build();
        JdbcStateStore state = JdbcStateStore.create(ds);
        try (var run = Cdc.start(source, Cdc.loadInto(ds, "wte3"))) {
            Cdc.awaitSlotActive(ds, "te_empty");
            sql(ds, "insert into te3.t values (1, 'x')");
            Cdc.awaitSame(ds, "te3.t", "wte3.t", "id, v");
            String stored = state.get(source.offsetKey()).orElseThrow().json();
            for (int i = 0; i < 5; i++) {
                String previous = stored;
                sql(ds, "insert into te3.other values (" + i + ", 'o')");
                Cdc.await("the stored position to move past uncaptured transaction " + i, Duration.ofSeconds(30),
                        () -> !state.get(source.offsetKey()).orElseThrow().json().equals(previous));
                stored = state.get(source.offsetKey()).orElseThrow().json();
            }
            long commit = new com.fasterxml.jackson.databind.ObjectMapper().readTree(stored).get("lsn_commit").asLong();
            String lsn = Long.toHexString(commit >>> 32).toUpperCase() + "/" + Long.toHexString(commit & 0xFFFFFFFFL).toUpperCase();
            // a batch is confirmed to the slot when the next one arrives (pipelining): one more uncaptured transaction
            sql(ds, "insert into te3.other values (100, 'last')");
            String last = stored;
            try {
                Cdc.await("the slot confirmed past the fifth", Duration.ofSeconds(30), () -> Cdc.count(ds,
                        "select count(*) from pg_replication_slots where slot_name = 'te_empty' and confirmed_flush_lsn >= '"
                                + lsn + "'::pg_lsn") == 1);
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + ": slot at " + Cdc.text(ds, "select confirmed_flush_lsn::text"
                        + " from pg_replication_slots where slot_name = 'te_empty'") + ", fifth at " + lsn
                        + ", stored " + state.get(source.offsetKey()).orElseThrow().json() + " (was " + last + ")", e);
            }
        }
        Cdc.dropSlot(ds, "te_empty");
    }

    /**
     * Logical decoding messages, transactional inside a captured transaction and in one of their own, and not
     * transactional between transactions, change nothing of what arrives.
     */
    @Test
    void logicalDecodingMessagesInsideAndBetweenTransactionsChangeNothing(TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        sql(ds, "create schema te4", "create table te4.t (id int primary key, v text)");
        try (var run = Cdc.start(Cdc.source(db, ds, "te_msg", "te4.t").maxBatch(2, Duration.ofMillis(20))
                .maxTransactionEvents(3).build(), Cdc.loadInto(ds, "wte4"))) {
            Cdc.awaitSlotActive(ds, "te_msg");
            sql(ds, "begin; insert into te4.t values (1, 'a'); select pg_logical_emit_message(true, 'p', 'x');"
                    + " insert into te4.t values (2, 'b'); select pg_logical_emit_message(false, 'p', 'y');"
                    + " update te4.t set id = 3 where id = 1; insert into te4.t values (4, 'd'); commit",
                    "select pg_logical_emit_message(false, 'p', 'z')", "select pg_logical_emit_message(true, 'p', 'w')",
                    "begin; update te4.t set v = v || '!'; select pg_logical_emit_message(true, 'p', 'v'); commit");
            Cdc.awaitSame(ds, "te4.t", "wte4.t", "id, v");
        }
        Cdc.dropSlot(ds, "te_msg");
    }

    /**
     * maxTransactionEvents(1) and maxBatch(1): Debezium's BEGIN record alone is the transaction's first part, its
     * position stored. The run stopped at the first event after it, a new run still streams every event.
     */
    @Test
    void aRunStoppedRightAfterAPartHoldingOnlyTheBeginLosesNothing(TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        sql(ds, "create schema te5", "create table te5.t (id int primary key, v text)",
                "insert into te5.t values (0, 'seed')");
        PostgresCdcSource.Handler load = Cdc.loadInto(ds, "wte5");
        var failing = Cdc.start(Cdc.source(db, ds, "te_begin", "te5.t").maxBatch(1, Duration.ofMillis(20))
                .maxTransactionEvents(1).build(), (batch, tx) -> {
                    if (batch.events().stream().anyMatch(e -> e.operation() == dev.mds.core.ChangeEvent.Operation.CREATE)) {
                        throw new IllegalStateException("stop at the first streamed event");
                    }
                    load.handle(batch, tx);
                });
        Cdc.awaitSame(ds, "te5.t", "wte5.t", "id, v");
        sql(ds, "begin; insert into te5.t values (1, 'a'), (2, 'b'), (3, 'c'); update te5.t set v = 'seed!' where id = 0;"
                + " commit");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> failing.done.get(60, java.util.concurrent.TimeUnit.SECONDS))
                .hasRootCauseMessage("stop at the first streamed event");
        try (var run = Cdc.start(Cdc.source(db, ds, "te_begin", "te5.t").maxBatch(1, Duration.ofMillis(20))
                .maxTransactionEvents(1).build(), load)) {
            Cdc.awaitSame(ds, "te5.t", "wte5.t", "id, v");
        }
        Cdc.dropSlot(ds, "te_begin");
    }

    /**
     * Transactions committed while the snapshot reads (small batches, so it is slow): a key rotation under a
     * DEFERRABLE key, larger than maxTransactionEvents, and a plain one; the target ends equal to the source.
     */
    @Test
    void transactionsCommittedDuringTheSnapshotArriveWhole(TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        sql(ds, "create schema te6", "create table te6.t (id int, v text not null, constraint t_pk primary key (id)"
                        + " deferrable)", "alter table te6.t replica identity full",
                "insert into te6.t select g, 'v' || g from generate_series(1, 1000) g",
                "create table te6.u (id int primary key, n int)");
        java.util.concurrent.atomic.AtomicInteger batches = new java.util.concurrent.atomic.AtomicInteger();
        PostgresCdcSource.Handler load = Cdc.loadInto(ds, "wte6");
        // the slot is the server's, not the test database's: dropped even when the test fails, so that a rerun can
        // make it again
        try (AutoCloseable slot = () -> Cdc.dropSlot(ds, "te_snap");
             var run = Cdc.start(Cdc.source(db, ds, "te_snap", "te6.t", "te6.u").maxBatch(5, Duration.ofMillis(1))
                .maxTransactionEvents(100_000).build(), (batch, tx) -> {
                    batches.incrementAndGet();
                    load.handle(batch, tx);
                })) {
            Cdc.await("the snapshot to start", Duration.ofSeconds(60), () -> batches.get() > 0);
            sql(ds, "update te6.t set id = case when id = 1000 then 1 else id + 1 end where true",
                    "begin; insert into te6.u values (1, 1); update te6.t set v = v || '!' where id % 7 = 0; commit",
                    "update te6.t set id = 1001 - id");
            try {
                Cdc.awaitSame(ds, "te6.t", "wte6.t", "id, v");
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + ": " + Cdc.difference(ds, "te6.t", "wte6.t", "id, v")
                        + " rows differ, e.g. only in source " + Cdc.text(ds, "select string_agg(r::text, ';') from"
                        + " (select id, v from te6.t except select id, v from wte6.t limit 5) r") + ", only in target "
                        + Cdc.text(ds, "select string_agg(r::text, ';') from (select id, v from wte6.t except"
                        + " select id, v from te6.t limit 5) r") + " after " + batches.get() + " batches", e);
            }
            Cdc.awaitSame(ds, "te6.u", "wte6.u", "id, n");
        }
    }

    /**
     * A catalog change committed while a transaction runs (here an ANALYZE of the table, as autovacuum's analyze
     * after many updates) makes pgoutput send the table's relation message again in the middle of the transaction's
     * changes, and Debezium then gives the rest of them a new (equal) Connect schema. Those changes must stay in the
     * transaction's one batch of the table: before, the new schema object made a second batch of the same table in
     * the same transaction, and mds-load's fold of the second one deleted the keys the first one had inserted under
     * the DEFERRABLE key (the row a delete removes was the key's other row): 500 rows were lost here, and
     * transactionsCommittedDuringTheSnapshotArriveWhole lost rows now and then when autovacuum ran during it.
     */
    @Test
    void aRelationMessageInsideATransactionKeepsTheTransactionOneBatch(TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        sql(ds, "create schema te12", "create table te12.t (id int, v text not null, constraint t_pk primary key (id)"
                        + " deferrable)", "alter table te12.t replica identity full",
                "insert into te12.t select g, 'v' || g from generate_series(1, 1000) g");
        java.util.List<Integer> batchSizes = new java.util.concurrent.CopyOnWriteArrayList<>();
        PostgresCdcSource.Handler load = Cdc.loadInto(ds, "wte12");
        try (AutoCloseable slot = () -> Cdc.dropSlot(ds, "te_relation");
             var run = Cdc.start(Cdc.source(db, ds, "te_relation", "te12.t").maxBatch(5, Duration.ofMillis(1))
                .maxTransactionEvents(100_000).build(), (batch, tx) -> {
                    if (batch.events().stream().anyMatch(e -> e.operation() == dev.mds.core.ChangeEvent.Operation.CREATE)) {
                        batchSizes.add(batch.events().size());
                    }
                    load.handle(batch, tx);
                })) {
            Cdc.awaitSame(ds, "te12.t", "wte12.t", "id, v");
            try (Connection swap = ds.getConnection(); Statement st = swap.createStatement()) {
                swap.setAutoCommit(false);
                // keys 1..500 move onto 1000..501, whose rows move onto 1..500 after the ANALYZE
                st.execute("set constraints all deferred");
                st.execute("update te12.t set id = 1001 - id where id <= 500");
                sql(ds, "analyze te12.t");
                st.execute("update te12.t set id = 1001 - id where substr(v, 2)::int > 500");
                swap.commit();
            }
            try {
                Cdc.awaitSame(ds, "te12.t", "wte12.t", "id, v");
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + ": " + Cdc.difference(ds, "te12.t", "wte12.t", "id, v")
                        + " rows differ; batches with inserts " + batchSizes, e);
            }
            assertThat(batchSizes).as("the swap's 1,000 deletes and 1,000 inserts in one batch").containsExactly(2000);
        }
    }

    /**
     * A position stored inside a transaction without Debezium's transaction context, as runs before e9c0959 stored
     * it (batches ended anywhere, transaction metadata off): a new run resumes inside the transaction and loses
     * nothing. Made here by stopping a transaction in parts and removing the transaction keys from the position.
     */
    @Test
    void aPositionInsideATransactionWithoutTransactionKeysResumes(TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        sql(ds, "create schema te7", "create table te7.t (id int primary key, v text not null)",
                "insert into te7.t select g, 'v' || g from generate_series(1, 200) g");
        PostgresCdcSource.Handler load = Cdc.loadInto(ds, "wte7");
        int[] parts = {0};
        PostgresCdcSource first = Cdc.source(db, ds, "te_old", "te7.t").maxBatch(20, Duration.ofMillis(50))
                .maxTransactionEvents(30).build();
        var failing = Cdc.start(first, (batch, tx) -> {
            if (batch.events().stream().anyMatch(e -> e.operation() != dev.mds.core.ChangeEvent.Operation.READ
                    && !e.operation().isTableWide()) && ++parts[0] == 3) {
                throw new IllegalStateException("stop inside the transaction");
            }
            load.handle(batch, tx);
        });
        Cdc.awaitSame(ds, "te7.t", "wte7.t", "id, v");
        sql(ds, "update te7.t set v = v || '!', id = id + 1000");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> failing.done.get(60, java.util.concurrent.TimeUnit.SECONDS))
                .hasRootCauseMessage("stop inside the transaction");
        JdbcStateStore state = JdbcStateStore.create(ds);
        var json = (com.fasterxml.jackson.databind.node.ObjectNode) new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(state.get(first.offsetKey()).orElseThrow().json());
        assertThat(json.has("transaction_id")).as("a position inside the transaction: " + json).isTrue();
        json.properties().removeIf(e -> e.getKey().startsWith("transaction_"));
        state.put(first.offsetKey(), json.toString());
        try (var run = Cdc.start(Cdc.source(db, ds, "te_old", "te7.t").maxBatch(20, Duration.ofMillis(50))
                .maxTransactionEvents(30).build(), load)) {
            Cdc.awaitSame(ds, "te7.t", "wte7.t", "id, v");
        }
        Cdc.dropSlot(ds, "te_old");
    }

    /**
     * A transaction of exactly maxTransactionEvents events comes whole, however Debezium batches it (maxBatch(1):
     * one record a batch, the END last): a rotation of 5 keys under a DEFERRABLE key (10 events) with
     * maxTransactionEvents(10). Before, Debezium's BEGIN record counted as an event and a transaction reaching the
     * bound (not only one beyond it) went in parts: this one was cut, losing rows.
     */
    @Test
    void aTransactionOfExactlyMaxTransactionEventsComesWhole(TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        sql(ds, "create schema te8", "create table te8.t (id int, v text not null, constraint t_pk primary key (id)"
                        + " deferrable)", "alter table te8.t replica identity full",
                "insert into te8.t select g, 'v' || g from generate_series(1, 5) g");
        java.util.List<Integer> transactions = new java.util.concurrent.CopyOnWriteArrayList<>();
        PostgresCdcSource.Handler load = Cdc.loadInto(ds, "wte8");
        try (var run = Cdc.start(Cdc.source(db, ds, "te_exact", "te8.t").maxBatch(1, Duration.ofMillis(20))
                .maxTransactionEvents(10).build(), (batch, tx) -> {
                    if (batch.events().stream().anyMatch(e -> e.operation() != dev.mds.core.ChangeEvent.Operation.READ
                            && !e.operation().isTableWide())) {
                        transactions.add(System.identityHashCode(tx));
                    }
                    load.handle(batch, tx);
                })) {
            Cdc.awaitSame(ds, "te8.t", "wte8.t", "id, v");
            sql(ds, "update te8.t set id = case when id = 5 then 1 else id + 1 end");
            Cdc.await("the rotation", Duration.ofSeconds(30), () -> Cdc.count(ds, "select count(*) from te8.t s"
                    + " join wte8.t w using (id) where s.v = w.v") == 5 || Cdc.count(ds, "select count(*) from wte8.t"
                    + " where id = 1 and v = 'v5'") == 1);
            Thread.sleep(500);   // any further part of it
        }
        Cdc.dropSlot(ds, "te_exact");
        assertThat(java.util.Set.copyOf(transactions)).as("warehouse transactions holding the rotation").hasSize(1);
        assertThat(Cdc.text(ds, "select string_agg(id || '=' || v, ',' order by id) from wte8.t"))
                .isEqualTo("1=v5,2=v1,3=v2,4=v3,5=v4");
    }

    /**
     * A non-transactional logical message decoded while another transaction is open (its changes before the
     * message in the WAL, its commit after), the run stopped once the message's position is stored, the transaction
     * committed, a new run started: every change of the transaction arrives.
     */
    @Test
    void aNonTransactionalMessageInsideAnOpenTransactionsWalLosesNothingAcrossARestart(TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        sql(ds, "create schema te9", "create table te9.t (id int primary key, v text)", "insert into te9.t values (0, 's')");
        JdbcStateStore state = JdbcStateStore.create(ds);
        PostgresCdcSource first = Cdc.source(db, ds, "te_ntm", "te9.t").heartbeat(Duration.ZERO).build();
        try (Connection open = ds.getConnection(); Statement st = open.createStatement()) {
            try (var run = Cdc.start(first, Cdc.loadInto(ds, "wte9"))) {
                Cdc.awaitSame(ds, "te9.t", "wte9.t", "id, v");
                open.setAutoCommit(false);
                st.execute("insert into te9.t values (1, 'a'), (2, 'b'), (3, 'c')");
                String before = state.get(first.offsetKey()).orElseThrow().json();
                sql(ds, "select pg_logical_emit_message(false, 'p', 'x')");
                Cdc.await("the message's position stored", Duration.ofSeconds(30),
                        () -> !state.get(first.offsetKey()).orElseThrow().json().equals(before));
                Thread.sleep(300);
            }
            st.execute("insert into te9.t values (4, 'd')");
            open.commit();
        }
        try (var run = Cdc.start(Cdc.source(db, ds, "te_ntm", "te9.t").heartbeat(Duration.ZERO).build(),
                Cdc.loadInto(ds, "wte9"))) {
            Cdc.awaitSame(ds, "te9.t", "wte9.t", "id, v");
        }
        Cdc.dropSlot(ds, "te_ntm");
    }

    /**
     * close() (not a failure) from another thread while a transaction is handed on in parts, at several parts in
     * turn, each run resumed by the next: the target ends equal to the source, key changes included.
     */
    @Test
    void closesWhileATransactionComesInPartsLoseNothing(TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        sql(ds, "create schema te10", "create table te10.t (id int primary key, v text not null)",
                "insert into te10.t select g, 'v' || g from generate_series(1, 400) g");
        PostgresCdcSource.Handler load = Cdc.loadInto(ds, "wte10");
        try (var run = Cdc.start(Cdc.source(db, ds, "te_close", "te10.t").build(), load)) {
            Cdc.awaitSame(ds, "te10.t", "wte10.t", "id, v");
        }
        sql(ds, "begin; update te10.t set id = id + 1000; update te10.t set v = v || '!' where id % 3 = 0; commit",
                "update te10.t set id = id - 1000 where id % 2 = 0");
        for (int stopAt : new int[] {2, 5, 9}) {
            int[] parts = {0};
            PostgresCdcSource source = Cdc.source(db, ds, "te_close", "te10.t").maxBatch(7, Duration.ofMillis(20))
                    .maxTransactionEvents(40).build();
            var run = Cdc.start(source, (batch, tx) -> {
                load.handle(batch, tx);
                if (++parts[0] == stopAt) {
                    new Thread(source::close).start();
                }
            });
            run.done.get(60, java.util.concurrent.TimeUnit.SECONDS);
        }
        try (var run = Cdc.start(Cdc.source(db, ds, "te_close", "te10.t").maxBatch(7, Duration.ofMillis(20))
                .maxTransactionEvents(40).build(), load)) {
            Cdc.awaitSame(ds, "te10.t", "wte10.t", "id, v");
        }
        Cdc.dropSlot(ds, "te_close");
    }

    /**
     * Two-phase commit (a server of its own with max_prepared_transactions above 0): a prepared transaction arrives
     * whole at COMMIT PREPARED (a rotation under a DEFERRABLE key, longer than maxBatch), one rolled back never does.
     */
    @Test
    void preparedTransactionsArriveWholeAtCommitPreparedAndNotAtAll() throws Exception {
        try (var pg = dev.mds.testing.EmbeddedPostgresServer.builder().setting("max_prepared_transactions", "5").start();
                TestDatabase db = pg.createDatabase("te_2pc")) {
            DataSource ds = db.dataSource();
            sql(ds, "create schema te11", "create table te11.t (id int, v text not null, constraint t_pk primary key (id)"
                            + " deferrable)", "alter table te11.t replica identity full",
                    "insert into te11.t select g, 'v' || g from generate_series(1, 20) g");
            java.util.List<Integer> transactions = new java.util.concurrent.CopyOnWriteArrayList<>();
            PostgresCdcSource.Handler load = Cdc.loadInto(ds, "wte11");
            try (var run = Cdc.start(Cdc.source(db, ds, "te_2pc", "te11.t").maxBatch(3, Duration.ofMillis(20)).build(),
                    (batch, tx) -> {
                        if (batch.events().stream().anyMatch(e -> e.operation() != dev.mds.core.ChangeEvent.Operation.READ
                                && !e.operation().isTableWide())) {
                            transactions.add(System.identityHashCode(tx));
                        }
                        load.handle(batch, tx);
                    })) {
                Cdc.awaitSame(ds, "te11.t", "wte11.t", "id, v");
                sql(ds, "begin; insert into te11.t values (100, 'gone'); prepare transaction 'te_rolled_back'",
                        "begin; update te11.t set id = case when id = 20 then 1 else id + 1 end;"
                                + " prepare transaction 'te_committed'",
                        "rollback prepared 'te_rolled_back'", "commit prepared 'te_committed'");
                Cdc.awaitSame(ds, "te11.t", "wte11.t", "id, v");
                Thread.sleep(300);
            }
            Cdc.dropSlot(ds, "te_2pc");
            assertThat(java.util.Set.copyOf(transactions)).as("warehouse transactions holding the rotation").hasSize(1);
            assertThat(Cdc.count(ds, "select count(*) from wte11.t where id = 100")).isZero();
        }
    }
}
