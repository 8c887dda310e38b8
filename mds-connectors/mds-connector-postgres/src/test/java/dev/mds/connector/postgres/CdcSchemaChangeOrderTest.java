package dev.mds.connector.postgres;

import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.core.ChangeBatch;
import dev.mds.core.TableName;
import dev.mds.load.MergeLoader;
import dev.mds.load.SchemaChange;
import dev.mds.load.SyncMode;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Schema changes at the source while streaming (ADD COLUMN, DROP COLUMN, ALTER TYPE), between transactions and inside
 * a transaction that changes rows before and after them, applied by mds-load in CDC mode: the target ends equal to the
 * source. A table's events reach the handler in source order even when its columns come back to a shape it had
 * earlier in the same Debezium batch (a column added and dropped again, a type changed and changed back), which
 * Debezium gives an equal schema and the source the same shape.
 */
@MdsPostgres
class CdcSchemaChangeOrderTest {

    /** mds-load in CDC mode, columns added and widened, one loader per table (as Cdc.loadInto, with widening). */
    private static PostgresCdcSource.Handler loadInto(DataSource warehouse, String target, List<ChangeBatch> batches) {
        Map<TableName, MergeLoader> loaders = new ConcurrentHashMap<>();
        return (batch, tx) -> {
            batches.add(batch);
            loaders.computeIfAbsent(batch.table(), t -> MergeLoader.into(warehouse, TableName.of(target, t.name()))
                    .mode(SyncMode.CDC).onSchemaChange(SchemaChange.ADD_AND_WIDEN_COLUMNS).build())
                    .load(batch, tx.connection());
        };
    }

    /**
     * One transaction: an insert, a column added, a row inserted with an out-of-line value, the column dropped again
     * (the table's first shape once more), then an update of that row that leaves its out-of-line value unchanged
     * (pgoutput does not send it). The update must be applied after the insert: applied first, it met no row of its
     * key in the target and was a bad row, stopping the run.
     */
    @Test
    void aShapeThatComesBackInsideATransactionIsAppliedAfterTheShapeBetween(TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        sql(ds, "create schema sc1", "create table sc1.t (id int primary key, v text, w text, n int)",
                "alter table sc1.t alter column w set storage external", "insert into sc1.t values (0, 'seed', 'w0', 0)");
        List<ChangeBatch> batches = new CopyOnWriteArrayList<>();
        try (AutoCloseable slot = () -> Cdc.dropSlot(ds, "sc_inside");
             var run = Cdc.start(Cdc.source(db, ds, "sc_inside", "sc1.t").build(), loadInto(ds, "wsc1", batches))) {
            Cdc.awaitSame(ds, "sc1.t", "wsc1.t", "id, v, w, n");
            Cdc.awaitSlotActive(ds, "sc_inside");
            sql(ds, "begin; update sc1.t set v = 'a' where id = 0;"
                    + " alter table sc1.t add column x int;"
                    + " insert into sc1.t values (1, 'b', repeat('w', 10000), 1, 7);"
                    + " alter table sc1.t drop column x;"
                    + " update sc1.t set v = 'c' where id = 1;"
                    + " alter table sc1.t alter column n type bigint;"
                    + " insert into sc1.t values (2, 'd', repeat('z', 10000), 5000000000);"
                    + " update sc1.t set n = 2 where id = 2;"
                    + " alter table sc1.t alter column n type int;"
                    + " update sc1.t set v = 'e' where id = 2;"
                    + " delete from sc1.t where id = 0;"
                    + " commit");
            Cdc.awaitSame(ds, "sc1.t", "wsc1.t", "id, v, w, n");
        }
    }

    /**
     * The same between transactions, several of them in one Debezium batch (committed while the source is stopped,
     * streamed at the next start): a column added, rows inserted with out-of-line values, the column dropped, the rows
     * updated leaving those values unchanged; a type widened and narrowed back.
     */
    @Test
    void aShapeThatComesBackInALaterTransactionOfTheBatchIsAppliedAfterTheShapeBetween(TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        sql(ds, "create schema sc2", "create table sc2.t (id int primary key, v text, w text, n int)",
                "alter table sc2.t alter column w set storage external", "insert into sc2.t values (0, 'seed', 'w0', 0)");
        List<ChangeBatch> batches = new CopyOnWriteArrayList<>();
        try (AutoCloseable slot = () -> Cdc.dropSlot(ds, "sc_between")) {
            try (var run = Cdc.start(Cdc.source(db, ds, "sc_between", "sc2.t").build(), loadInto(ds, "wsc2", batches))) {
                Cdc.awaitSame(ds, "sc2.t", "wsc2.t", "id, v, w, n");
                Cdc.awaitSlotActive(ds, "sc_between");
            }
            sql(ds, "update sc2.t set v = 'a' where id = 0",
                    "alter table sc2.t add column x int",
                    "insert into sc2.t select g, 'b', repeat('w', 10000), g, 7 from generate_series(1, 20) g",
                    "alter table sc2.t drop column x",
                    "update sc2.t set v = 'c' where id between 1 and 20",
                    "alter table sc2.t alter column n type bigint",
                    "insert into sc2.t values (21, 'd', repeat('z', 10000), 5000000000)",
                    "update sc2.t set n = 21 where id = 21",
                    "alter table sc2.t alter column n type int",
                    "update sc2.t set v = 'e' where id = 21",
                    "delete from sc2.t where id = 0");
            batches.clear();
            try (var run = Cdc.start(Cdc.source(db, ds, "sc_between", "sc2.t").maxBatch(10_000, Duration.ofSeconds(1))
                    .build(), loadInto(ds, "wsc2", batches))) {
                Cdc.awaitSame(ds, "sc2.t", "wsc2.t", "id, v, w, n");
            }
            assertThat(batches).as("the handler's batches").isNotEmpty();
        }
    }

    /**
     * A column's default changed, an index created and a comment set inside a transaction, between two key swaps
     * under a DEFERRABLE key, change no column: Debezium's schema stays equal, so the transaction is one batch of the
     * table (a new group per shape must not split it). (A schema change between the two halves of a swap under
     * deferred constraints cannot happen: PostgreSQL refuses an ALTER TABLE of a table with pending trigger events.)
     */
    @Test
    void aDefaultOrIndexChangedInsideATransactionKeepsTheTransactionOneBatch(TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        sql(ds, "create schema sc3", "create table sc3.t (id int, v text not null default 'a', constraint t_pk primary key"
                        + " (id) deferrable)", "alter table sc3.t replica identity full",
                "insert into sc3.t select g, 'v' || g from generate_series(1, 1000) g");
        List<ChangeBatch> batches = new CopyOnWriteArrayList<>();
        try (AutoCloseable slot = () -> Cdc.dropSlot(ds, "sc_default");
             var run = Cdc.start(Cdc.source(db, ds, "sc_default", "sc3.t").build(), loadInto(ds, "wsc3", batches))) {
            Cdc.awaitSame(ds, "sc3.t", "wsc3.t", "id, v");
            Cdc.awaitSlotActive(ds, "sc_default");
            batches.clear();
            sql(ds, "begin; update sc3.t set id = 1001 - id;"
                    + " alter table sc3.t alter column v set default 'b'; create index on sc3.t (v);"
                    + " comment on column sc3.t.v is 'value';"
                    + " update sc3.t set id = 1001 - id, v = v || '!'; commit");
            Cdc.awaitSame(ds, "sc3.t", "wsc3.t", "id, v");
            assertThat(batches).as("one batch of the two swaps' 4,000 events").extracting(b -> b.events().size())
                    .containsExactly(4000);
        }
    }

    /**
     * A NOT NULL column dropped at the source while streaming, inside a transaction between changes and between
     * transactions: the rows written after the drop carry no value for it, and the target (which keeps the column)
     * takes them.
     */
    @Test
    void aNotNullColumnDroppedWhileStreamingLeavesTheTargetTakingRowsWithoutIt(TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        sql(ds, "create schema sc4", "create table sc4.t (id int primary key, v text, req text not null, req2 int not null)",
                "insert into sc4.t values (0, 'seed', 'r', 1)");
        List<ChangeBatch> batches = new CopyOnWriteArrayList<>();
        try (AutoCloseable slot = () -> Cdc.dropSlot(ds, "sc_notnull");
             var run = Cdc.start(Cdc.source(db, ds, "sc_notnull", "sc4.t").build(), loadInto(ds, "wsc4", batches))) {
            Cdc.awaitSame(ds, "sc4.t", "wsc4.t", "id, v");
            Cdc.awaitSlotActive(ds, "sc_notnull");
            sql(ds, "begin; insert into sc4.t values (1, 'a', 'r', 2); alter table sc4.t drop column req;"
                    + " insert into sc4.t values (2, 'b', 3); update sc4.t set v = 'seed!' where id = 0; commit",
                    "alter table sc4.t drop column req2", "insert into sc4.t values (3, 'c')",
                    "update sc4.t set v = 'a!' where id = 1");
            Cdc.awaitSame(ds, "sc4.t", "wsc4.t", "id, v");
        }
    }
}
