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
}
