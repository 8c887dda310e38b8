package dev.mds.load;

import static dev.mds.load.ConcurrencyTest.SCHEMA;
import static dev.mds.load.ConcurrencyTest.batch;
import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.BadInputException;
import dev.mds.core.MdsException;
import dev.mds.core.Progress;
import dev.mds.core.ProgressListener;
import dev.mds.core.RecordBatch;
import dev.mds.testing.FaultInjection;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestSql;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * {@link OverwriteMode}: OVERWRITE by TRUNCATE (the default) locks readers out until the commit and refuses a table
 * that foreign keys reference; by DELETE readers keep reading the old rows meanwhile, REPEATABLE READ snapshots stay
 * whole, and a referenced table is overwritten when the referencing rows allow it.
 */
@MdsPostgres
class OverwriteModeTest {
    private static MergeLoader loader(DataSource ds, String table, OverwriteMode how) {
        return MergeLoader.into(ds, table).mode(SyncMode.OVERWRITE).key("id").overwriteMode(how).build();
    }

    /** What another session reads of the table now: its row count and values, or the SQLSTATE it fails with. */
    private static String read(DataSource ds, String table) {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("set lock_timeout = '200ms'");
            try (ResultSet rs = st.executeQuery("select count(*), string_agg(distinct v, ',' order by v) from " + table)) {
                rs.next();
                return "read " + rs.getLong(1) + " " + rs.getString(2);
            }
        } catch (SQLException e) {
            return e.getSQLState();
        }
    }

    /** A listener reading the table in another session after each batch written, and once the stream is committed. */
    private static ProgressListener reader(DataSource ds, String table, List<String> seen) {
        return new ProgressListener() {
            @Override
            public void onProgress(Progress p) {
                seen.add(read(ds, table));
            }

            @Override
            public void onDone(Progress p) {
                seen.add(read(ds, table));
            }
        };
    }

    @Test
    void aFullRefreshByDeleteLetsReadersReadTheOldRowsUntilTheCommitWhereTruncateLocksThemOut(DataSource ds)
            throws Exception {
        MergeLoader byDelete = loader(ds, "raw.ow_read_delete", OverwriteMode.DELETE);
        byDelete.load(batch(100, 105, "old"));
        List<String> seen = new ArrayList<>();
        // a REPEATABLE READ snapshot taken before the overwrite, reading the table (holding its ACCESS SHARE lock)
        try (Connection rr = ds.getConnection(); Statement st = rr.createStatement()) {
            rr.setAutoCommit(false);
            st.execute("set transaction isolation level repeatable read");
            assertThat(count(st, "raw.ow_read_delete")).isEqualTo(5);
            LoadResult r = byDelete.loadAll(Stream.of(batch(0, 10, "a"), batch(10, 20, "b")), 1,
                    reader(ds, "raw.ow_read_delete", seen));
            assertThat(r.deleted()).isEqualTo(5);
            assertThat(r.inserted()).isEqualTo(20);
            // committed: the snapshot still sees the 5 rows it saw (after a truncate it would see none)
            assertThat(count(st, "raw.ow_read_delete")).isEqualTo(5);
            rr.rollback();
        }
        // readers neither wait nor see part of the stream: the old rows until the commit, then the new ones
        assertThat(seen).containsExactly("read 5 old", "read 5 old", "read 20 a,b");

        MergeLoader byTruncate = MergeLoader.into(ds, "raw.ow_read_truncate").mode(SyncMode.OVERWRITE).key("id").build();
        byTruncate.load(batch(100, 105, "old"));
        List<String> blocked = new ArrayList<>();
        byTruncate.loadAll(Stream.of(batch(0, 10, "a"), batch(10, 20, "b")), 1, reader(ds, "raw.ow_read_truncate", blocked));
        // the default: readers time out on TRUNCATE's lock (55P03) until the commit
        assertThat(blocked).containsExactly("55P03", "55P03", "read 20 a,b");
    }

    @Test
    void aSingleLoadByDeleteInACallersTransactionLeavesReadersTheOldRowsUntilItCommits(DataSource ds) throws Exception {
        MergeLoader byDelete = loader(ds, "raw.ow_read_one", OverwriteMode.DELETE);
        byDelete.load(batch(100, 105, "old"));
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            LoadResult r = byDelete.load(batch(0, 3, "new"), c);
            assertThat(r.deleted()).isEqualTo(5);
            assertThat(read(ds, "raw.ow_read_one")).isEqualTo("read 5 old");
            // a writer waits for the commit (the EXCLUSIVE lock), as behind a truncate: the table ends as the load's rows
            try (Connection w = ds.getConnection(); Statement st = w.createStatement()) {
                st.execute("set lock_timeout = '200ms'");
                assertThatThrownBy(() -> st.execute("insert into raw.ow_read_one values (50, 'writer')"))
                        .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("55P03"));
            }
            c.commit();
        }
        assertThat(read(ds, "raw.ow_read_one")).isEqualTo("read 3 new");
        MergeLoader byTruncate = loader(ds, "raw.ow_read_one", OverwriteMode.TRUNCATE);
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            byTruncate.load(batch(7, 8, "newer"), c);
            assertThat(read(ds, "raw.ow_read_one")).isEqualTo("55P03");
            c.commit();
        }
        assertThat(read(ds, "raw.ow_read_one")).isEqualTo("read 1 newer");
    }

    @Test
    void aTableThatForeignKeysReferenceIsOverwrittenByDeleteAndStillRefusedByTruncate(DataSource ds) {
        TestSql.sql(ds, "create schema if not exists raw",
                "create table raw.ow_parent (id bigint primary key, v text)",
                "insert into raw.ow_parent values (100, 'old'), (101, 'old')",
                "create table raw.ow_child (id bigint primary key, parent bigint constraint ow_child_parent references raw.ow_parent (id))");
        assertThatThrownBy(() -> loader(ds, "raw.ow_parent", OverwriteMode.TRUNCATE).load(batch(0, 3, "new")))
                .isInstanceOf(MdsException.class)
                .hasMessageContaining("raw.ow_parent: OVERWRITE cannot truncate the table")
                .hasMessageContaining("overwriteMode(OverwriteMode.DELETE)");
        assertThatTable(ds, "raw.ow_parent").containsExactlyInAnyOrder(row(100L, "old"), row(101L, "old"));

        MergeLoader byDelete = loader(ds, "raw.ow_parent", OverwriteMode.DELETE);
        LoadResult r = byDelete.load(batch(0, 3, "new"));
        assertThat(r.deleted()).isEqualTo(2);
        assertThatTable(ds, "raw.ow_parent").containsExactlyInAnyOrder(row(0L, "new"), row(1L, "new"), row(2L, "new"));

        // a row referencing the table: the delete is refused, naming the table and the constraint; nothing changes
        TestSql.sql(ds, "insert into raw.ow_child values (1, 1)");
        assertThatThrownBy(() -> byDelete.load(batch(1, 2, "newer")))
                .isInstanceOf(MdsException.class)
                .hasMessageContaining("raw.ow_parent: OVERWRITE with overwriteMode(DELETE) cannot delete the table's old rows")
                .hasMessageContaining("ow_child_parent")
                .hasMessageContaining("the table keeps its rows");
        assertThatThrownBy(() -> byDelete.loadAll(Stream.of(batch(1, 2, "newer")), 1, ProgressListener.NONE))
                .isInstanceOf(PartialLoadException.class)
                .hasMessageContaining("ow_child_parent")
                .hasMessageContaining("nothing committed");
        assertThatTable(ds, "raw.ow_parent").containsExactlyInAnyOrder(row(0L, "new"), row(1L, "new"), row(2L, "new"));

        // a deferrable constraint is checked at the commit, against the new rows: key 1 comes back, so it passes
        TestSql.sql(ds, "alter table raw.ow_child alter constraint ow_child_parent deferrable initially deferred");
        byDelete.load(batch(1, 2, "newer"));
        byDelete.loadAll(Stream.of(batch(0, 1, "a"), batch(1, 2, "b")), 1, ProgressListener.NONE);
        assertThatTable(ds, "raw.ow_parent").containsExactlyInAnyOrder(row(0L, "a"), row(1L, "b"));
        assertThatThrownBy(() -> byDelete.load(batch(5, 6, "gone")))
                .isInstanceOf(MdsException.class)
                .hasMessageContaining("ow_parent")
                .hasMessageContaining("ow_child_parent");
        assertThatTable(ds, "raw.ow_parent").containsExactlyInAnyOrder(row(0L, "a"), row(1L, "b"));
        assertThatTable(ds, "raw.ow_child").hasRowCount(1);
    }

    /** A delete that would change another table's rows (ON DELETE CASCADE, SET NULL) is refused before any delete. */
    @Test
    void aForeignKeyThatWouldCascadeTheDeleteIntoAnotherTableIsRefused(DataSource ds) {
        TestSql.sql(ds, "create schema if not exists raw",
                "create table raw.ow_cparent (id bigint primary key, v text)",
                "insert into raw.ow_cparent values (1, 'old')",
                "create table raw.ow_cchild (id bigint primary key, parent bigint"
                        + " constraint ow_cchild_parent references raw.ow_cparent (id) on delete cascade)",
                "insert into raw.ow_cchild values (10, 1)");
        assertThatThrownBy(() -> loader(ds, "raw.ow_cparent", OverwriteMode.DELETE).load(batch(1, 3, "new")))
                .isInstanceOf(MdsException.class)
                .hasMessageContaining("raw.ow_cparent: OVERWRITE with overwriteMode(DELETE) refuses a table whose rows"
                        + " other tables reference with an ON DELETE action")
                .hasMessageContaining("ow_cchild_parent on raw.ow_cchild (on delete cascade)");
        assertThatTable(ds, "raw.ow_cparent").containsExactlyInAnyOrder(row(1L, "old"));
        assertThatTable(ds, "raw.ow_cchild").hasRowCount(1);
    }

    @Test
    void aBatchWhoseEveryRecordIsRefusedLeavesTheTableUnchangedUnderDelete(DataSource ds) {
        TestSql.sql(ds, "create schema if not exists raw",
                "create table raw.ow_del_bad (id bigint primary key, v varchar(3))",
                "insert into raw.ow_del_bad values (1, 'one'), (2, 'two')");
        MergeLoader loader = MergeLoader.into(ds, "raw.ow_del_bad").mode(SyncMode.OVERWRITE).key("id")
                .overwriteMode(OverwriteMode.DELETE).onBadRow(OnBadRow.DEAD_LETTER).build();
        assertThatThrownBy(() -> loader.load(batch(5, 7, "too long")))
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("raw.ow_del_bad: OVERWRITE refused every record of the batch (2 refused of 2 records;");
        assertThatTable(ds, "raw.ow_del_bad").containsExactlyInAnyOrder(row(1L, "one"), row(2L, "two"));
        assertThatThrownBy(() -> loader.loadAll(Stream.of(batch(5, 7, "too long"), batch(8, 9, "too long")), 1,
                ProgressListener.NONE))
                .isInstanceOf(PartialLoadException.class)
                .hasMessageContaining("OVERWRITE refused every record of the stream (3 refused of 3 records;");
        assertThatTable(ds, "raw.ow_del_bad").containsExactlyInAnyOrder(row(1L, "one"), row(2L, "two"));
        assertThat(TestSql.strings(ds, "select to_regclass('raw.ow_del_bad_rejected') is null")).containsExactly("t");
        // one good record is enough; a batch of none empties the table
        loader.load(RecordBatch.of(SCHEMA, List.of(dev.mds.core.Record.of(3L, "ok"))));
        assertThatTable(ds, "raw.ow_del_bad").containsExactlyInAnyOrder(row(3L, "ok"));
        loader.loadAll(Stream.empty(), 1, ProgressListener.NONE);
        assertThatTable(ds, "raw.ow_del_bad").isEmpty();
    }

    /** A BEFORE DELETE trigger that keeps rows would leave old rows among the new: the load fails instead. */
    @Test
    void aDeleteThatKeepsRowsFailsTheOverwrite(DataSource ds) {
        TestSql.sql(ds, "create schema if not exists raw",
                "create table raw.ow_keeper (id bigint primary key, v text)",
                "insert into raw.ow_keeper values (1, 'keep'), (2, 'old')",
                "create function raw.ow_keep() returns trigger language plpgsql as"
                        + " $$begin if old.v = 'keep' then return null; end if; return old; end$$",
                "create trigger ow_keep before delete on raw.ow_keeper for each row execute function raw.ow_keep()");
        assertThatThrownBy(() -> loader(ds, "raw.ow_keeper", OverwriteMode.DELETE).load(batch(5, 6, "new")))
                .isInstanceOf(MdsException.class)
                .hasMessageContaining("raw.ow_keeper: OVERWRITE with overwriteMode(DELETE) deleted 1 of the table's 2 rows");
        assertThatTable(ds, "raw.ow_keeper").containsExactlyInAnyOrder(row(1L, "keep"), row(2L, "old"));
    }

    @Test
    void sqlShowsTheDeleteAndItIsWhatRuns(DataSource ds) {
        MergeLoader.into(ds, "raw.ow_plan").mode(SyncMode.OVERWRITE).key("id").build().load(batch(100, 105, "old"));
        assertThat(loader(ds, "raw.ow_plan", OverwriteMode.TRUNCATE).sql(SCHEMA))
                .contains("truncate table \"raw\".\"ow_plan\"")
                .noneSatisfy(s -> assertThat(s).startsWith("delete"));
        FaultInjection f = FaultInjection.on(ds);
        MergeLoader byDelete = loader(f.dataSource(), "raw.ow_plan", OverwriteMode.DELETE);
        List<String> first = byDelete.sql(SCHEMA);
        assertThat(first).containsSubsequence("lock table \"raw\".\"ow_plan\" in exclusive mode",
                "delete from \"raw\".\"ow_plan\"").noneSatisfy(s -> assertThat(s).startsWith("truncate"));
        List<String> plan = byDelete.sqlAll(SCHEMA);
        assertThat(plan.subList(0, first.size())).isEqualTo(first);
        f.countOnly();
        byDelete.loadAll(Stream.of(batch(0, 10, "a"), batch(5, 15, "b")), 1, ProgressListener.NONE);
        assertThat(SqlAllTest.ran(f)).containsExactlyElementsOf(SqlAllTest.expectedRun(plan, first.size(), 2));
        assertThatTable(ds, "raw.ow_plan").hasRowCount(15);
    }

    @Test
    void overwriteModeOnlyAppliesToModeOverwrite(DataSource ds) {
        assertThatThrownBy(() -> MergeLoader.into(ds, "raw.t").key("id").overwriteMode(OverwriteMode.DELETE).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("overwriteMode DELETE only applies to mode OVERWRITE, not MERGE");
    }

    private static long count(Statement st, String table) throws SQLException {
        try (ResultSet rs = st.executeQuery("select count(*) from " + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
