package dev.mds.connector.postgres;

import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.load.DeleteMode;
import dev.mds.load.MergeLoader;
import dev.mds.load.SchemaChange;
import dev.mds.load.SyncMode;
import dev.mds.core.TableName;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestDatabase;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Primary-key updates at the source ({@code UPDATE t SET id = ...}) captured by the real Debezium source and applied by
 * mds-load in CDC mode: Debezium turns each into a delete of the old key and an insert of the new one, at one position.
 * Each case waits for the target to equal the source, with batches of every size (a whole transaction in one batch,
 * and one event per batch) and with hard and soft deletes.
 */
@MdsPostgres
class CdcKeyChangeTest {

    /** Runs {@code changes} against {@code table} (already holding its rows) and waits for the target to match. */
    private static void replay(TestDatabase db, String slot, String table, String columns, String target,
            int maxBatch, DeleteMode deleteMode, String... changes) throws Exception {
        DataSource ds = db.dataSource();
        Map<TableName, MergeLoader> loaders = new ConcurrentHashMap<>();
        PostgresCdcSource.Handler load = (batch, tx) -> loaders.computeIfAbsent(batch.table(), t -> MergeLoader
                .into(ds, TableName.of(target, t.name())).mode(SyncMode.CDC).deleteMode(deleteMode)
                .onSchemaChange(SchemaChange.ADD_COLUMNS).build()).load(batch, tx.connection());
        String targetTable = target + "." + TableName.parse(table).name();
        String live = deleteMode == DeleteMode.SOFT ? "(select * from " + targetTable + " where _deleted_at is null) w"
                : targetTable;
        Cdc.Running run = Cdc.start(Cdc.source(db, ds, slot, table).maxBatch(maxBatch, Duration.ofMillis(50)).build(), load);
        try {
            awaitSame(run, ds, table, live, targetTable, columns);
            for (String change : changes) {
                sql(ds, change);
            }
            awaitSame(run, ds, table, live, targetTable, columns);
        } finally {
            run.source.close();
            try {
                run.done.get(60, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // awaitSame reported it
            }
            Cdc.dropSlot(ds, slot);
        }
    }

    private static void awaitSame(Cdc.Running run, DataSource ds, String source, String live, String target,
            String columns) {
        try {
            Cdc.await(target + " equal to " + source, Duration.ofSeconds(30), () -> {
                if (run.done.isCompletedExceptionally()) {
                    run.done.join();   // throws the run's failure
                }
                return Cdc.tableExists(ds, target) && Cdc.difference(ds, source, live, columns) == 0;
            });
        } catch (AssertionError timedOut) {
            throw new AssertionError(timedOut.getMessage() + ": only in source: " + Cdc.text(ds, "select string_agg(r::text, '; ')"
                    + " from (select " + columns + " from " + source + " except all select " + columns + " from " + live
                    + ") r") + " | only in target: " + Cdc.text(ds, "select string_agg(r::text, '; ') from (select "
                    + columns + " from " + live + " except all select " + columns + " from " + source + ") r"), timedOut);
        }
    }

    private static final String[] SWAPS = {
        // a single key change
        "update %s set id = 101 where id = 1",
        // two rows swap keys through a temporary value, in one transaction
        "begin; update %1$s set id = 100 where id = 2; update %1$s set id = 2 where id = 3;"
                + " update %1$s set id = 3 where id = 100; commit",
        // three rows rotate keys (4->6, 5->4, 6->5) through a temporary value
        "begin; update %1$s set id = 100 where id = 4; update %1$s set id = 4 where id = 5;"
                + " update %1$s set id = 5 where id = 6; update %1$s set id = 6 where id = 100; commit",
        // a key changed and changed back in one transaction
        "begin; update %1$s set id = 70, v = v || '+' where id = 7; update %1$s set id = 7 where id = 70; commit",
        // a key change whose new key was deleted earlier in the same transaction
        "begin; delete from %1$s where id = 8; update %1$s set id = 8 where id = 9; commit",
        // a key taken over by another row, which itself takes a key deleted earlier, and an insert of the old key
        "begin; delete from %1$s where id = 11; update %1$s set id = 11 where id = 12;"
                + " insert into %1$s values (12, 'new 12'); commit",
    };

    private static final String[] ACROSS = {
        // across transactions (so across batches with small batches): a key changed, then changed back
        "update %s set id = 200 where id = 13",
        "update %s set id = 13 where id = 200",
        // a key deleted in one transaction and taken by a key change in a later one (the key has a tombstone)
        "delete from %s where id = 14",
        "update %s set id = 14 where id = 15",
        // a key changed away, its old key inserted again, then the new one deleted
        "update %s set id = 300 where id = 16",
        "insert into %s values (16, 'again')",
        "delete from %s where id = 300",
    };

    private static String[] changes(String table, String[]... lists) {
        return java.util.Arrays.stream(lists).flatMap(java.util.Arrays::stream).map(s -> String.format(s, table))
                .toArray(String[]::new);
    }

    private static void create(DataSource ds, String schema) {
        sql(ds, "create schema " + schema, "create table " + schema + ".t (id int primary key, v text)",
                "insert into " + schema + ".t select g, 'v' || g from generate_series(1, 20) g");
    }

    @Test
    void keyChangesApplyWhenATransactionIsOneBatch(TestDatabase db) throws Exception {
        create(db.dataSource(), "k1");
        replay(db, "kc_one", "k1.t", "id, v", "wk1", 2_000, DeleteMode.HARD, changes("k1.t", SWAPS, ACROSS));
        assertThat(Cdc.text(db.dataSource(), "select string_agg(id || '=' || v, ',' order by id) from wk1.t"))
                .isEqualTo("2=v3,3=v2,4=v5,5=v6,6=v4,7=v7+,8=v9,10=v10,11=v12,12=new 12,13=v13,14=v15,16=again,"
                        + "17=v17,18=v18,19=v19,20=v20,101=v1");
    }

    @Test
    void keyChangesApplyWithOneEventPerBatch(TestDatabase db) throws Exception {
        create(db.dataSource(), "k2");
        replay(db, "kc_single", "k2.t", "id, v", "wk2", 1, DeleteMode.HARD, changes("k2.t", SWAPS, ACROSS));
    }

    @Test
    void keyChangesApplyWithSoftDeletes(TestDatabase db) throws Exception {
        create(db.dataSource(), "k3");
        replay(db, "kc_soft", "k3.t", "id, v", "wk3", 2_000, DeleteMode.SOFT, changes("k3.t", SWAPS, ACROSS));
        replay(db, "kc_soft1", "k3.t", "id, v", "wk3", 1, DeleteMode.SOFT,
                "update k3.t set id = 1 where id = 101", "update k3.t set id = 101 where id = 1");
    }

    @Test
    void compositeKeyChangesApply(TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        sql(ds, "create schema k4", "create table k4.t (a int, b text, v text, primary key (a, b))",
                "insert into k4.t select g % 5, 'b' || (g / 5), 'v' || g from generate_series(0, 19) g");
        replay(db, "kc_composite", "k4.t", "a, b, v", "wk4", 2_000, DeleteMode.HARD,
                "update k4.t set a = 9 where a = 0 and b = 'b0'",
                "update k4.t set b = 'x' where a = 1 and b = 'b0'",
                // swap the b of two rows through a temporary value
                "begin; update k4.t set b = 'tmp' where a = 2 and b = 'b0'; update k4.t set b = 'b0' where a = 2 and b = 'b1';"
                        + " update k4.t set b = 'b1' where a = 2 and b = 'tmp'; commit",
                // every row of a = 3 moves to a = 4's keys after those are deleted, in one statement each
                "begin; delete from k4.t where a = 4; update k4.t set a = 4 where a = 3; commit",
                // changed and changed back
                "begin; update k4.t set a = 8, b = 'z' where a = 1 and b = 'b1'; update k4.t set a = 1, b = 'b1' where a = 8; commit");
    }

    @Test
    void aKeyChangeOfARowWhoseToastedValueIsUnchangedKeepsIt(TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        sql(ds, "create schema k5", "create table k5.docs (id int primary key, title text, body text)",
                "alter table k5.docs alter column body set storage external",
                "insert into k5.docs select g, 't' || g, repeat(md5(g::text), 300) from generate_series(1, 6) g");
        for (int maxBatch : new int[] {2_000, 1}) {
            replay(db, "kc_toast" + maxBatch, "k5.docs", "id, title, body", "wk5_" + maxBatch, maxBatch, DeleteMode.HARD,
                    "update k5.docs set id = 11 where id = 1",
                    "begin; update k5.docs set id = 100 where id = 2; update k5.docs set id = 2 where id = 3;"
                            + " update k5.docs set id = 3 where id = 100; commit",
                    "begin; update k5.docs set id = 40, title = 'x' where id = 4; update k5.docs set id = 4 where id = 40; commit",
                    "begin; delete from k5.docs where id = 5; update k5.docs set id = 5 where id = 6; commit",
                    "update k5.docs set id = 1 where id = 11",
                    "update k5.docs set id = 11 where id = 1");
        }
    }

    /**
     * The user created the target with the source's unique constraint on another column: the new key's row was
     * inserted while the old key's row still held the value, and mds-load refused the batch ("duplicate key value
     * violates unique constraint"), stopping every run there; two rows swapping keys, and so their unique values,
     * were refused too (one MERGE updated both rows, and the index is checked row by row).
     */
    @Test
    void keyChangesApplyToATargetUniqueOnAnotherColumn(TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        sql(ds, "create schema k7", "create table k7.users (id int primary key, email text not null unique, v text)",
                "insert into k7.users select g, 'u' || g || '@x', 'v' || g from generate_series(1, 6) g",
                "create schema wk7", "create table wk7.users (id int primary key, email text not null unique, v text)",
                "create unique index on wk7.users (lower(v))");
        replay(db, "kc_unique", "k7.users", "id, email, v", "wk7", 2_000, DeleteMode.HARD,
                "update k7.users set id = 101 where id = 1",
                "begin; update k7.users set id = 100 where id = 2; update k7.users set id = 2 where id = 3;"
                        + " update k7.users set id = 3 where id = 100; commit",
                "begin; delete from k7.users where id = 4; update k7.users set id = 4 where id = 5; commit",
                "update k7.users set id = 1, v = 'back' where id = 101");
    }

    /**
     * A DEFERRABLE primary key (such a table needs REPLICA IDENTITY FULL) lets one statement move keys onto each other:
     * the insert of key 2 is logged before the delete of the old key 2, and the target lost rows 2, 4 and 5 without
     * a word. Rows equal in every other column are not told apart (the README's limits), so these differ.
     */
    @Test
    void aSwapInOneStatementUnderADeferrableKeyApplies(TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        sql(ds, "create schema k6", "create table k6.t (id int, v text, constraint t_pk primary key (id) deferrable)",
                "alter table k6.t replica identity full", "insert into k6.t select g, 'v' || g from generate_series(1, 6) g");
        replay(db, "kc_deferrable", "k6.t", "id, v", "wk6", 2_000, DeleteMode.HARD,
                "update k6.t set id = 3 - id where id in (1, 2)",
                "update k6.t set id = case id when 3 then 4 when 4 then 5 else 3 end where id between 3 and 5",
                "begin; set constraints all deferred; update k6.t set id = 6 where id = 1;"
                        + " update k6.t set id = 1 where id = 6 and v = 'v6'; delete from k6.t where id = 6; commit");
        assertThat(Cdc.text(ds, "select string_agg(id || '=' || v, ',' order by id) from wk6.t"))
                .isEqualTo("1=v6,2=v1,3=v5,4=v3,5=v4");
    }
}
