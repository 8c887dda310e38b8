package dev.mds.connector.postgres;

import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.ChangeBatch;
import dev.mds.core.ChangeEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestDatabase;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * The source hands its handler whole source transactions: a batch never ends inside one, whatever {@code maxBatch}
 * and its wait say, so mds-load's per-batch fold sees every transaction whole. Keys rotated in one statement under a
 * DEFERRABLE primary key (Debezium then sends a key's insert before the delete of the key's other row) are the case
 * that lost rows when a batch ended between the two (mds-load's README listed it as a limit).
 */
@MdsPostgres
class CdcTransactionBatchesTest {

    /** One handler call: the table's batch and the warehouse transaction it came in (one per source batch). */
    private record Handled(ChangeBatch batch, int warehouseTransaction) {
    }

    /** A handler loading with mds-load into schema {@code target}, recording each batch and its transaction. */
    private static PostgresCdcSource.Handler recording(DataSource ds, String target, List<Handled> handled) {
        PostgresCdcSource.Handler load = Cdc.loadInto(ds, target);
        return (batch, tx) -> {
            load.handle(batch, tx);
            handled.add(new Handled(batch, System.identityHashCode(tx)));
        };
    }

    /** The streamed events of each source transaction (by commit position), per warehouse transaction they came in. */
    private static Map<Long, Set<Integer>> warehouseTransactionsPerSourceTransaction(List<Handled> handled) {
        Map<Long, Set<Integer>> result = new HashMap<>();
        for (Handled h : handled) {
            for (ChangeEvent e : h.batch().events()) {
                if (e.operation() != ChangeEvent.Operation.READ && !e.operation().isTableWide()) {
                    result.computeIfAbsent(e.position().commit(), c -> new HashSet<>()).add(h.warehouseTransaction());
                }
            }
        }
        return result;
    }

    private static long streamedEvents(List<Handled> handled, long commit) {
        return handled.stream().flatMap(h -> h.batch().events().stream())
                .filter(e -> e.operation() != ChangeEvent.Operation.READ && e.position().commit() == commit).count();
    }

    private static void createRotated(DataSource ds, String schema, int rows) {
        sql(ds, "create schema " + schema, "create table " + schema + ".t (id int, v text not null,"
                        + " constraint t_pk primary key (id) deferrable)",
                "alter table " + schema + ".t replica identity full",
                "insert into " + schema + ".t select g, 'v' || g from generate_series(1, " + rows + ") g");
    }

    /**
     * maxBatch(3) and transactions of 20 events (10 rows changing keys, each a delete and an insert): before, the
     * source cut each into batches of 3, a key's insert in one and the delete of its other row in the next, and rows
     * were lost. Now each transaction comes in one batch (also across two tables); snapshot reads still come in
     * batches of at most 3.
     */
    @Test
    void keysRotatedUnderADeferrableKeyInTransactionsLongerThanMaxBatchAreNotLost(TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        createRotated(ds, "tb1", 10);
        sql(ds, "create table tb1.u (id int primary key, n int)");
        List<Handled> handled = new CopyOnWriteArrayList<>();
        try (var run = Cdc.start(Cdc.source(db, ds, "tb_rotate", "tb1.t", "tb1.u").maxBatch(3, Duration.ofMillis(50))
                .build(), recording(ds, "wtb1", handled))) {
            Cdc.awaitSame(ds, "tb1.t", "wtb1.t", "id, v");
            for (String change : new String[] {"update tb1.t set id = case when id = 10 then 1 else id + 1 end",
                    "update tb1.t set id = 11 - id",
                    "begin; update tb1.t set id = id + 100; insert into tb1.u select g, g from generate_series(1, 7) g;"
                            + " update tb1.t set id = id - 100; commit"}) {
                sql(ds, change);
                Cdc.awaitSame(ds, "tb1.t", "wtb1.t", "id, v");   // a later change rewriting every row would hide a loss
            }
            Cdc.awaitSame(ds, "tb1.u", "wtb1.u", "id, n");
            assertThat(run.events()).as("snapshot reads").filteredOn(e -> e.operation() == ChangeEvent.Operation.READ)
                    .hasSize(10);
        }
        Cdc.dropSlot(ds, "tb_rotate");
        assertThat(Cdc.text(ds, "select string_agg(id || '=' || v, ',' order by id) from wtb1.t"))
                .isEqualTo("1=v9,2=v8,3=v7,4=v6,5=v5,6=v4,7=v3,8=v2,9=v1,10=v10");
        Map<Long, Set<Integer>> perTransaction = warehouseTransactionsPerSourceTransaction(handled);
        assertThat(perTransaction).as("source transactions streamed").hasSize(3);
        perTransaction.forEach((commit, in) -> assertThat(in).as("warehouse transactions holding source transaction "
                + commit).hasSize(1));
        assertThat(perTransaction.keySet().stream().mapToLong(c -> streamedEvents(handled, c)).sorted().toArray())
                .as("events per source transaction").containsExactly(20, 20, 47);
        assertThat(handled).as("snapshot reads still come in batches of at most maxBatch")
                .allMatch(h -> h.batch().events().stream().filter(e -> e.operation() == ChangeEvent.Operation.READ)
                        .count() <= 3);
    }

    /**
     * A wait of 1 ms hands Debezium's batches over long before a 2,000-row transaction has been decoded: the tail of
     * the transaction is held until its end arrives, so the transaction still comes whole.
     */
    @Test
    void theWaitDoesNotCutATransaction(TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        createRotated(ds, "tb2", 2_000);
        List<Handled> handled = new CopyOnWriteArrayList<>();
        try (var run = Cdc.start(Cdc.source(db, ds, "tb_wait", "tb2.t").maxBatch(100_000, Duration.ofMillis(1)).build(),
                recording(ds, "wtb2", handled))) {
            Cdc.awaitSame(ds, "tb2.t", "wtb2.t", "id, v");
            sql(ds, "update tb2.t set id = case when id = 2000 then 1 else id + 1 end");
            Cdc.awaitSame(ds, "tb2.t", "wtb2.t", "id, v");
        }
        Cdc.dropSlot(ds, "tb_wait");
        Map<Long, Set<Integer>> perTransaction = warehouseTransactionsPerSourceTransaction(handled);
        assertThat(perTransaction).hasSize(1);
        assertThat(perTransaction.values().iterator().next()).as("warehouse transactions holding the rotation").hasSize(1);
    }

    /**
     * The run stops (its handler fails) at the batch after the first streamed transaction, and a new run resumes from
     * the stored position: each source transaction is applied once, whole, by one of the two runs, and the target
     * equals the source. The slot was not confirmed past the stored position (the new run would refuse to start).
     */
    @Test
    void aRestartBetweenBatchesResumesWithoutLossOrDuplicates(TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        createRotated(ds, "tb3", 10);
        List<Handled> first = new CopyOnWriteArrayList<>();
        PostgresCdcSource.Handler load = recording(ds, "wtb3", first);
        AtomicBoolean streamed = new AtomicBoolean();
        var failing = Cdc.start(Cdc.source(db, ds, "tb_restart", "tb3.t").maxBatch(3, Duration.ofMillis(50)).build(),
                (batch, tx) -> {
                    boolean change = batch.events().stream().anyMatch(e -> e.operation() != ChangeEvent.Operation.READ
                            && !e.operation().isTableWide());
                    if (change && !streamed.compareAndSet(false, true)) {
                        throw new IllegalStateException("stop after the first streamed transaction");
                    }
                    load.handle(batch, tx);
                });
        Cdc.awaitSame(ds, "tb3.t", "wtb3.t", "id, v");
        sql(ds, "update tb3.t set id = case when id = 10 then 1 else id + 1 end",
                "update tb3.t set id = 11 - id",
                "begin; update tb3.t set id = id + 100; update tb3.t set v = v || '+' where id > 105;"
                        + " update tb3.t set id = id - 100; commit");
        assertThatThrownBy(() -> failing.done.get(60, TimeUnit.SECONDS))
                .hasRootCauseMessage("stop after the first streamed transaction");
        // the events of the batch that failed were not committed: drop them from what the first run applied
        List<Handled> committed = new ArrayList<>(first);
        assertThat(Cdc.text(ds, "select string_agg(id || '=' || v, ',' order by id) from wtb3.t"))
                .as("the target after the first run: the first rotation only")
                .isEqualTo("1=v10,2=v1,3=v2,4=v3,5=v4,6=v5,7=v6,8=v7,9=v8,10=v9");
        List<Handled> second = new CopyOnWriteArrayList<>();
        try (var run = Cdc.start(Cdc.source(db, ds, "tb_restart", "tb3.t").maxBatch(3, Duration.ofMillis(50)).build(),
                recording(ds, "wtb3", second))) {
            Cdc.awaitSame(ds, "tb3.t", "wtb3.t", "id, v");
        }
        Cdc.dropSlot(ds, "tb_restart");
        Map<Long, Set<Integer>> before = warehouseTransactionsPerSourceTransaction(committed);
        Map<Long, Set<Integer>> after = warehouseTransactionsPerSourceTransaction(second);
        assertThat(before).as("source transactions the first run applied").hasSize(1);
        assertThat(after).as("source transactions the second run applied").hasSize(2);
        assertThat(after.keySet()).as("applied by both runs").doesNotContainAnyElementsOf(before.keySet());
        after.forEach((commit, in) -> assertThat(in).as("warehouse transactions holding " + commit).hasSize(1));
        assertThat(after.keySet().stream().mapToLong(c -> streamedEvents(second, c)).sorted().toArray())
                .as("events per source transaction after the restart").containsExactly(20, 45);
        assertThat(second).as("no snapshot again").noneMatch(h -> h.batch().events().stream()
                .anyMatch(e -> e.operation() == ChangeEvent.Operation.READ));
        assertThat(Cdc.text(ds, "select string_agg(id || '=' || v, ',' order by id) from wtb3.t"))
                .isEqualTo("1=v9,2=v8,3=v7,4=v6,5=v5,6=v4+,7=v3+,8=v2+,9=v1+,10=v10+");
    }

    /**
     * A transaction of more than maxTransactionEvents events is handed on in parts rather than held whole (a bulk
     * update of millions of rows would otherwise run out of memory on every run): key changes of every row (a delete
     * and an insert each, never split) over several parts, a run stopped between two parts and resumed, and the target
     * still equals the source.
     */
    @Test
    void aTransactionLargerThanMaxTransactionEventsComesInPartsAndLosesNothingAcrossARestart(TestDatabase db) throws Exception {
        assertThatThrownBy(() -> PostgresCdcSource.builder().maxTransactionEvents(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxTransactionEvents must be at least 1");
        DataSource ds = db.dataSource();
        sql(ds, "create schema tb4", "create table tb4.t (id int primary key, v text not null)",
                "insert into tb4.t select g, 'v' || g from generate_series(1, 300) g");
        List<Handled> first = new CopyOnWriteArrayList<>();
        PostgresCdcSource.Handler load = recording(ds, "wtb4", first);
        int[] parts = {0};
        var failing = Cdc.start(Cdc.source(db, ds, "tb_parts", "tb4.t").maxBatch(20, Duration.ofMillis(50))
                .maxTransactionEvents(50).build(), (batch, tx) -> {
                    boolean change = batch.events().stream().anyMatch(e -> e.operation() != ChangeEvent.Operation.READ
                            && !e.operation().isTableWide());
                    if (change && ++parts[0] == 4) {
                        throw new IllegalStateException("stop inside the large transaction");
                    }
                    load.handle(batch, tx);
                });
        Cdc.awaitSame(ds, "tb4.t", "wtb4.t", "id, v");
        sql(ds, "update tb4.t set id = id + 1000", "update tb4.t set v = v || '!' where id % 2 = 0");
        assertThatThrownBy(() -> failing.done.get(60, TimeUnit.SECONDS)).hasRootCauseMessage("stop inside the large transaction");
        assertThat(Cdc.text(ds, "select count(*) filter (where id > 1000) || ' moved of ' || count(*) from wtb4.t"))
                .as("the first run applied a part of the key changes, each whole").matches("[1-9][0-9]* moved of 300");
        List<Handled> second = new CopyOnWriteArrayList<>();
        try (var run = Cdc.start(Cdc.source(db, ds, "tb_parts", "tb4.t").maxBatch(20, Duration.ofMillis(50))
                .maxTransactionEvents(50).build(), recording(ds, "wtb4", second))) {
            Cdc.awaitSame(ds, "tb4.t", "wtb4.t", "id, v");
        }
        Cdc.dropSlot(ds, "tb_parts");
        assertThat(Cdc.text(ds, "select count(*) || ' ' || min(id) || ' ' || max(id) || ' ' || count(*) filter (where v like '%!')"
                + " from wtb4.t")).isEqualTo("300 1001 1300 150");
        Map<Long, Set<Integer>> perTransaction = warehouseTransactionsPerSourceTransaction(second);
        assertThat(perTransaction.values()).as("the large transactions come in several warehouse transactions")
                .anyMatch(in -> in.size() > 1);
        // every part of the key changes holds whole key changes: as many deletes (old keys) as inserts (new keys)
        List<Handled> all = new ArrayList<>(first);
        all.addAll(second);
        for (Handled h : all) {
            long deletes = h.batch().events().stream().filter(e -> e.operation() == ChangeEvent.Operation.DELETE).count();
            long inserts = h.batch().events().stream().filter(e -> e.operation() == ChangeEvent.Operation.CREATE).count();
            assertThat(deletes).as("deletes and inserts of key changes in one part").isEqualTo(inserts);
        }
    }
}
