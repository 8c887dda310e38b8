package dev.mds.connector.postgres;

import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.core.ChangeBatch;
import dev.mds.core.ChangeEvent;
import dev.mds.core.TableName;
import dev.mds.load.MergeLoader;
import dev.mds.load.SyncMode;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A source table whose primary key is DEFERRABLE (so REPLICA IDENTITY FULL) holds two rows of one key inside a
 * transaction: Debezium then delivers a key's insert before the delete of the key's other row, and mds-load must tell
 * which row each delete removes. The rows here are equal in every nullable column (or in every column but the key),
 * which the value comparison of b488411/63d4130 could not tell apart: it lost rows. The real Debezium source captures
 * the changes; its events are then loaded twice, all in one batch and one batch per source transaction, since the
 * source hands over whole transactions, several to a batch (CdcTransactionBatchesTest runs such changes live).
 */
@MdsPostgres
class CdcDeferrableKeyTest {

    @Test
    void rowsEqualInEveryNullableColumnSurviveSwapsRotationsAndADeferredDuplicate(TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        sql(ds, "create schema d1", "create table d1.t (id int, n text not null, v text, w int,"
                        + " constraint t_pk primary key (id) deferrable)",
                "alter table d1.t replica identity full",
                "insert into d1.t values (1, 'a', null, null), (2, 'a', null, null), (3, 'x', null, 7), (4, 'y', null, 7),"
                        + " (5, 'p', 'q', 1), (6, 'r', null, null), (7, 'r', null, null), (8, 'r', null, null),"
                        + " (9, '', null, null), (10, 'z', 'v', 1), (11, 's', 'same', 2), (12, 's', 'same', 2)");
        capturedAndLoaded(db, "dk_nullable", "d1.t", "id, n, v, w", "wd1",
                // equal in every column but the key
                "update d1.t set id = 3 - id where id in (1, 2)",
                // equal in every nullable column, different in a NOT NULL one
                "update d1.t set id = 7 - id where id in (3, 4)",
                // a second row of key 5 inserted under a deferred key and deleted again: the first row stays
                "begin; set constraints all deferred; insert into d1.t values (5, 'dup', 'q', 1);"
                        + " delete from d1.t where id = 5 and n = 'dup'; commit",
                // three equal rows rotate keys
                "update d1.t set id = case id when 6 then 7 when 7 then 8 else 6 end where id between 6 and 8",
                // a row of NULLs and empty text (what a key-only before image looks like) swaps with a full one
                "update d1.t set id = 19 - id where id in (9, 10)",
                // equal rows, swapped twice in one transaction, then one of them changed
                "begin; update d1.t set id = 23 - id where id in (11, 12); update d1.t set id = 23 - id where id in (11, 12);"
                        + " update d1.t set v = 'changed' where id = 12; commit");
        for (String target : new String[] {"wd1_one", "wd1_tx"}) {
            assertThat(Cdc.text(ds, "select string_agg(id || '=' || n || '/' || coalesce(v, '-') || '/'"
                    + " || coalesce(w::text, '-'), ',' order by id) from " + target + ".t")).as(target)
                    .isEqualTo("1=a/-/-,2=a/-/-,3=y/-/7,4=x/-/7,5=p/q/1,6=r/-/-,7=r/-/-,8=r/-/-,9=z/v/1,10=/-/-,"
                            + "11=s/same/2,12=s/changed/2,99=end/-/-");
        }
    }

    @Test
    void aTableOfOnlyKeyColumnsKeepsEveryKeyThroughSwapsAndShiftsAndDeletesBothRowsOfAKey(TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        sql(ds, "create schema d2", "create table d2.t (id int, constraint t_pk primary key (id) deferrable)",
                "alter table d2.t replica identity full", "insert into d2.t select generate_series(1, 5)");
        capturedAndLoaded(db, "dk_keyonly", "d2.t", "id", "wd2",
                "update d2.t set id = 3 - id where id in (1, 2)",
                "update d2.t set id = case id when 3 then 4 when 4 then 5 else 3 end where id between 3 and 5",
                "update d2.t set id = id + 1",
                // a second row of key 6, then both rows of the key deleted by one statement
                "begin; set constraints all deferred; insert into d2.t values (6); delete from d2.t where id = 6; commit");
        for (String target : new String[] {"wd2_one", "wd2_tx"}) {
            assertThat(Cdc.text(ds, "select string_agg(id::text, ',' order by id) from " + target + ".t")).as(target)
                    .isEqualTo("2,3,4,5,99");
        }
    }

    /**
     * Rows with a unique email swap and rotate keys into targets unique on email: the key whose insert comes first
     * keeps its stored row until the delete of that row, which the fold leaves out, so that row was not deleted first
     * and the MERGE met the unique index ("duplicate key value violates unique constraint").
     */
    @Test
    void swapsUnderADeferrableKeyApplyToATargetUniqueOnAnotherColumn(TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        sql(ds, "create schema d3", "create table d3.t (id int, email text not null unique, v text,"
                        + " constraint t_pk primary key (id) deferrable)",
                "alter table d3.t replica identity full",
                "insert into d3.t select g, 'u' || g || '@x', 'v' || (g % 2) from generate_series(1, 6) g");
        for (String target : new String[] {"wd3_one", "wd3_tx"}) {
            sql(ds, "create schema " + target, "create table " + target + ".t (id int primary key, email text not null unique,"
                    + " v text)");
        }
        capturedAndLoaded(db, "dk_unique", "d3.t", "id, email, v", "wd3",
                "update d3.t set id = 3 - id where id in (1, 2)",
                "update d3.t set id = case id when 3 then 4 when 4 then 5 else 3 end where id between 3 and 5",
                "begin; update d3.t set id = 7 - id where id in (1, 6); update d3.t set id = 3 - id where id in (1, 2); commit");
        for (String target : new String[] {"wd3_one", "wd3_tx"}) {
            assertThat(Cdc.text(ds, "select string_agg(id || '=' || email, ',' order by id) from " + target + ".t"))
                    .as(target).isEqualTo("1=u1@x,2=u6@x,3=u5@x,4=u3@x,5=u4@x,6=u2@x,99=end");
        }
    }

    /**
     * A swap of two keys as the first transaction streamed after the snapshot, loaded live: Debezium streams that
     * transaction without the position of a commit before it (its {@code sequence} starts with null), and its events
     * got a commit position each (their own LSN). mds-load's fold read them as two transactions, so the delete of the
     * row that held key 2 came after key 2's insert and key 2 was lost until a later change of it. Now the events of
     * the transaction share one commit position, after every stored one and before the next transaction's.
     */
    @Test
    void aSwapInTheFirstTransactionAfterTheSnapshotKeepsBothKeys(TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        sql(ds, "create schema d4", "create table d4.t (id int, v text not null, constraint t_pk primary key (id)"
                        + " deferrable)", "alter table d4.t replica identity full",
                "insert into d4.t values (1, 'one'), (2, 'two'), (3, 'three')");
        PostgresCdcSource.Handler load = Cdc.loadInto(ds, "wd4");
        try (AutoCloseable slot = () -> Cdc.dropSlot(ds, "dk_first");
             Cdc.Running run = Cdc.start(Cdc.source(db, ds, "dk_first", "d4.t")
                     .heartbeat(Duration.ZERO).build(), load)) {   // no heartbeat's message streamed before the swap
            Cdc.await("the snapshot", Duration.ofSeconds(30), () -> run.rowEvents().size() >= 3);
            sql(ds, "update d4.t set id = 3 - id where id in (1, 2)", "insert into d4.t values (99, 'end')");
            Cdc.await("the last change loaded", Duration.ofSeconds(30), () -> Cdc.tableExists(ds, "wd4.t")
                    && Cdc.count(ds, "select count(*) from wd4.t where id = 99") == 1);
            assertThat(Cdc.text(ds, "select string_agg(id || '=' || v, ',' order by id) from wd4.t"))
                    .isEqualTo("1=two,2=one,3=three,99=end");
            List<ChangeEvent> swap = run.rowEvents().stream().filter(e -> e.operation() != ChangeEvent.Operation.READ
                    && !e.key().get(0).equals(99)).toList();
            ChangeEvent end = run.rowEvents().stream().filter(e -> e.key().get(0).equals(99)).findFirst().orElseThrow();
            assertThat(swap).hasSize(4);
            assertThat(swap.stream().map(e -> e.position().commit()).distinct()).as("the swap's commit positions")
                    .hasSize(1).allSatisfy(commit -> assertThat(end.position().commit()).isGreaterThan(commit));
        }
    }

    /**
     * Captures the snapshot of {@code table} and {@code changes} with the real source (a last insert of key 99 marks
     * the end), then loads the snapshot and the changes into {@code target_one} (the changes in one batch) and
     * {@code target_tx} (one batch per source transaction), each of which must equal the source.
     */
    private static void capturedAndLoaded(TestDatabase db, String slot, String table, String columns, String target,
            String... changes) throws Exception {
        DataSource ds = db.dataSource();
        long rows = Cdc.count(ds, "select count(*) from " + table);
        List<ChangeEvent> events;
        ChangeBatch first;
        try (Cdc.Running run = Cdc.start(Cdc.source(db, ds, slot, table).build(), (b, tx) -> { })) {
            Cdc.await("the snapshot", Duration.ofSeconds(30), () -> run.rowEvents().size() >= rows);
            for (String change : changes) {
                sql(ds, change);
            }
            sql(ds, "insert into " + table + " (" + columns + ") select 99" + (columns.contains(",") ? ", 'end'" : "")
                    + (columns.chars().filter(c -> c == ',').count() > 1 ? ", null".repeat((int) columns.chars()
                            .filter(c -> c == ',').count() - 1) : ""));
            Cdc.await("the last change", Duration.ofSeconds(30), () -> run.rowEvents().stream()
                    .anyMatch(e -> e.key().get(0).equals(99)));
            events = run.rowEvents();
            first = run.batches.get(0);
        }
        Cdc.dropSlot(ds, slot);
        List<ChangeEvent> reads = events.stream().filter(e -> e.operation() == ChangeEvent.Operation.READ).toList();
        List<ChangeEvent> streamed = events.stream().filter(e -> e.operation() != ChangeEvent.Operation.READ).toList();
        Map<Long, List<ChangeEvent>> byTransaction = new LinkedHashMap<>();
        for (ChangeEvent e : streamed) {
            byTransaction.computeIfAbsent(e.position().commit(), c -> new ArrayList<>()).add(e);
        }
        List<List<ChangeEvent>> one = List.of(reads, streamed);
        List<List<ChangeEvent>> perTransaction = new ArrayList<>(List.of(reads));
        perTransaction.addAll(byTransaction.values());
        String name = TableName.parse(table).name();
        for (Map.Entry<String, List<List<ChangeEvent>>> run : Map.of(target + "_one", one, target + "_tx", perTransaction)
                .entrySet()) {
            MergeLoader loader = MergeLoader.into(ds, TableName.of(run.getKey(), name)).mode(SyncMode.CDC).build();
            for (List<ChangeEvent> batch : run.getValue()) {
                loader.load(new ChangeBatch(first.table(), first.schema(), first.keyColumns(), batch, Optional.empty()));
            }
            assertThat(Cdc.difference(ds, table, run.getKey() + "." + name, columns)).as(run.getKey() + " against " + table)
                    .isZero();
        }
    }
}
