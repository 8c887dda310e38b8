package dev.mds.connector.postgres;

import static dev.mds.connector.postgres.Cdc.count;
import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.core.JdbcStateStore;
import dev.mds.load.MergeLoader;
import dev.mds.load.SyncMode;
import dev.mds.testing.MdsPostgres;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** Incremental reads as an Airbyte user runs them ("incremental | append" and "deduped" by a cursor column). */
@MdsPostgres
class JdbcIncrementalSourceReviewTest {

    /**
     * A text cursor holding the words 'NaN', 'Infinity' or 'infinity' is text, not a float's NaN or a date's infinity.
     * Such a value was taken for one and never stored: the position stayed at the last row before it, so each later
     * run read that row and every row after it again, and an APPEND load ({@code AFTER_LAST_ROW}, each row once) held
     * them again at every run (the second run here read 3 rows, none new). Only a cursor of a date, timestamp,
     * timestamptz or float type can be infinite or NaN.
     */
    @Test
    void aTextCursorSpellingNanOrInfinityIsAppendedOnce(DataSource ds) {
        sql(ds, "create schema r1", "create table r1.t (id int primary key, code text not null)",
                "insert into r1.t values (1, 'Apple'), (2, 'Infinity'), (3, 'NaN'), (4, 'infinity')");
        MergeLoader loader = MergeLoader.into(ds, "raw_r1.t").mode(SyncMode.APPEND).build();
        JdbcIncrementalSource source = JdbcIncrementalSource.builder(ds, "r1.t").cursor("code").key("id").batchRows(2)
                .restart(JdbcIncrementalSource.Restart.AFTER_LAST_ROW).offsets(JdbcStateStore.create(ds)).build();
        assertThat(source.run(ds, (batch, c) -> loader.load(batch, c))).isEqualTo(4);
        assertThat(source.run(ds, (batch, c) -> loader.load(batch, c))).as("nothing new").isZero();
        assertThat(count(ds, "select count(*) from raw_r1.t")).isEqualTo(4);
        assertThat(source.storedCursor()).contains(Cdc.text(ds, "select max(code) from r1.t"));
    }

    /** Cursor ties across batches under every cursor type, each row once with AFTER_LAST_ROW. */
    @Test
    void cursorTiesOfEveryTypeAreAppendedOnceAcrossBatchesAndRuns(DataSource ds) {
        String[][] cursors = {
            {"timestamptz", "timestamptz '2024-01-01 00:00+00' + (g / 3) * interval '1 hour'"},
            {"timestamp", "timestamp '2024-03-31 02:00' + (g / 3) * interval '30 min'"},
            {"date", "date '2024-01-01' + g / 3"},
            {"numeric", "(g / 3)::numeric / 10 + case when g % 2 = 0 then 0.00 else 0 end"},
            {"text collate \"C\"", "lpad((g / 3)::text, 2, '0') || case when g % 2 = 0 then 'b' else 'B' end"},
            {"text", "lpad((g / 3)::text, 2, '0') || case when g % 2 = 0 then 'b' else 'B' end"},
            {"text collate r2.ci", "lpad((g / 3)::text, 2, '0') || case when g % 2 = 0 then 'b' else 'B' end"},
            {"double precision", "(g / 3) * 0.1"},
        };
        int n = 0;
        for (String[] cursor : cursors) {
            n++;
            String table = "r2.t" + n;
            sql(ds, "create schema if not exists r2", "create collation if not exists r2.ci (provider = icu,"
                    + " locale = 'und-u-ks-level2', deterministic = false)", "create table " + table + " (id int primary key, c " + cursor[0]
                    + " not null)", "insert into " + table + " select g, " + cursor[1] + " from generate_series(1, 17) g");
            MergeLoader loader = MergeLoader.into(ds, "raw_r2.t" + n).mode(SyncMode.APPEND).build();
            JdbcIncrementalSource source = JdbcIncrementalSource.builder(ds, table).cursor("c").key("id").batchRows(2)
                    .restart(JdbcIncrementalSource.Restart.AFTER_LAST_ROW).offsets(JdbcStateStore.create(ds)).build();
            assertThat(source.run(ds, (batch, c) -> loader.load(batch, c))).as(cursor[0]).isEqualTo(17);
            sql(ds, "insert into " + table + " select g, " + cursor[1] + " from generate_series(18, 20) g");
            assertThat(source.run(ds, (batch, c) -> loader.load(batch, c))).as(cursor[0]).isEqualTo(3);
            assertThat(count(ds, "select count(*) from raw_r2.t" + n)).as(cursor[0]).isEqualTo(20);
            assertThat(count(ds, "select count(distinct id) from raw_r2.t" + n)).as(cursor[0]).isEqualTo(20);
        }
    }

    /**
     * The source's connection goes back to the pool as the pool lent it. The run turned auto-commit and read-only on
     * and left them so: a pool that does not reset them (pgjdbc's own PGPoolingDataSource resets auto-commit only)
     * lent the next user a read-only connection, whose writes then failed ("cannot execute INSERT in a read-only
     * transaction").
     */
    @Test
    void theSourceConnectionGoesBackToThePoolAsItWasLent(dev.mds.testing.TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        sql(ds, "create schema r4", "create table r4.t (id int primary key, ts int not null)",
                "insert into r4.t values (1, 1), (2, 2)", "create table r4.app (v int)");
        @SuppressWarnings("deprecation")
        org.postgresql.ds.PGPoolingDataSource pool = new org.postgresql.ds.PGPoolingDataSource();
        pool.setServerName(db.host());
        pool.setPortNumber(db.port());
        pool.setDatabaseName(db.name());
        pool.setUser(db.user());
        pool.setPassword(db.password());
        pool.setMaxConnections(1);
        pool.setDataSourceName("r4-pool");
        try {
            JdbcIncrementalSource source = JdbcIncrementalSource.builder(pool, "r4.t").cursor("ts").key("id")
                    .offsets(JdbcStateStore.create(ds)).build();
            assertThat(source.run(ds, (batch, c) -> { })).isEqualTo(2);
            try (java.sql.Connection c = pool.getConnection(); java.sql.Statement st = c.createStatement()) {
                c.setAutoCommit(false);   // the next user's transaction
                st.executeUpdate("insert into r4.app values (1)");
                c.commit();
                assertThat(c.isReadOnly()).isFalse();
            }
            assertThat(count(ds, "select count(*) from r4.app")).isEqualTo(1);
        } finally {
            pool.close();
        }
    }

    /**
     * {@code restart(AFTER_LAST_ROW)} promises each row once, for an APPEND load; rows whose cursor is infinity (a
     * date's or timestamp's, or a float's Infinity or NaN) were read again by every run, since the stored position is
     * the last finite row (from infinity no later finite row would be read): the target held them once more per run.
     * The position now also keeps the last infinite row read, and a run leaves out the infinite rows up to it (a row
     * committed later at infinity with a smaller key is missed, as any late row is with this restart).
     */
    @Test
    void appendRestartingAfterTheLastRowReadsRowsAtInfinityOnce(DataSource ds) {
        sql(ds, "create schema r5", "create table r5.d (id int primary key, valid_to date not null)",
                "insert into r5.d values (1, '2024-01-01'), (2, 'infinity'), (3, 'infinity'), (4, '-infinity')",
                "create table r5.f (id int, at double precision not null, unique (id))",
                "insert into r5.f values (1, 1.5), (2, 'Infinity'), (3, 'NaN'), (4, 'NaN')",
                "create table r5.only (id int primary key, at timestamptz not null)",
                "insert into r5.only values (1, 'infinity')");
        String[][] tables = {
            {"r5.d", "(5, '2024-01-02'), (6, 'infinity')", "6"},
            {"r5.f", "(5, 2.5), (6, 'NaN'), (7, 'NaN')", "7"},
            {"r5.only", "(2, '2024-01-01Z'), (3, 'infinity')", "3"},
        };
        for (String[] t : tables) {
            String target = "raw_" + t[0].replace('.', '_');
            MergeLoader loader = MergeLoader.into(ds, target).mode(SyncMode.APPEND).build();
            for (int rows : new int[] {1, 10}) {
                sql(ds, "drop table if exists " + target);
                JdbcIncrementalSource source = JdbcIncrementalSource.builder(ds, t[0]).cursor(
                        t[0].equals("r5.d") ? "valid_to" : "at").key("id").batchRows(rows)
                        .restart(JdbcIncrementalSource.Restart.AFTER_LAST_ROW).offsets(JdbcStateStore.create(ds))
                        .stateKey(t[0] + ":" + rows).build();
                source.run(ds, (batch, c) -> loader.load(batch, c));
                assertThat(source.run(ds, (batch, c) -> loader.load(batch, c))).as("%s by %d: nothing new", t[0], rows)
                        .isZero();
                sql(ds, "insert into " + t[0] + " values " + t[1]);
                source.run(ds, (batch, c) -> loader.load(batch, c));
                assertThat(source.run(ds, (batch, c) -> loader.load(batch, c))).isZero();
                assertThat(count(ds, "select count(*) from " + target)).as("%s by %d", t[0], rows)
                        .isEqualTo(Long.parseLong(t[2]));
                assertThat(Cdc.difference(ds, t[0], target, "*")).isZero();
                sql(ds, "delete from " + t[0] + " where id >= " + (t[0].equals("r5.only") ? 2 : 5));
            }
        }
    }

    /**
     * A cursor column whose type changed between runs: the stored cursor's text was cast to the new type, so a
     * timestamp cursor altered to timestamptz was read in the reading session's time zone, not the one the ALTER
     * converted the values in: a source read from New York after an ALTER in UTC took the stored 12:30 as 16:30 UTC
     * and silently skipped the rows at 12:30 and 13:00 UTC (it read none). A run now refuses a stored cursor of another
     * type, naming table, column and both types (a change of precision or length alone goes on).
     */
    @Test
    void aCursorWhoseTypeChangedSinceTheStoredPositionIsRefused(dev.mds.testing.TestDatabase db) {
        DataSource ds = db.dataSource();
        sql(ds, "create schema r6", "create table r6.t (id int primary key, at timestamp(0) not null)",
                "insert into r6.t values (1, '2024-06-01 11:00'), (2, '2024-06-01 12:00')");
        try (com.zaxxer.hikari.HikariDataSource ny = db.newDataSource(1)) {
            sql(ny, "set timezone = 'America/New_York'");
            MergeLoader loader = MergeLoader.into(ds, "raw_r6.t").mode(SyncMode.MERGE).key("id")
                    .onSchemaChange(dev.mds.load.SchemaChange.ADD_COLUMNS).build();
            JdbcIncrementalSource source = JdbcIncrementalSource.builder(ny, "r6.t").cursor("at").key("id")
                    .offsets(JdbcStateStore.create(ds)).build();
            assertThat(source.run(ds, (batch, c) -> loader.load(batch, c))).isEqualTo(2);
            // a precision of its own: the stored text casts to the same values
            sql(ds, "alter table r6.t alter column at type timestamp(6)", "insert into r6.t values (3, '2024-06-01 12:30')");
            assertThat(source.run(ds, (batch, c) -> loader.load(batch, c))).isEqualTo(2);
            sql(ds, "set timezone = 'UTC'", "alter table r6.t alter column at type timestamptz using at at time zone 'UTC'",
                    "insert into r6.t values (4, '2024-06-01 13:00+00')");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> source.run(ds, (batch, c) -> { }))
                    .isInstanceOf(dev.mds.core.MdsException.class)
                    .hasMessageContaining("r6.t: cursor column at is timestamp with time zone, but the position stored"
                            + " under state key 'jdbc-incremental:r6.t:at' was read from it as timestamp(6) without time zone");
            assertThat(count(ds, "select count(*) from raw_r6.t")).isEqualTo(3);
            // the way out the message gives: the stored position written as one read from the new type
            sql(ds, "update mds.state set value = value || '{\"cursor.type\": \"timestamp with time zone\","
                    + " \"cursor\": \"2024-06-01 12:30:00+00\"}' where key = 'jdbc-incremental:r6.t:at'");
            List<Object> ids = new ArrayList<>();
            assertThat(source.run(ds, (batch, c) -> batch.records().forEach(r -> ids.add(r.get(0))))).isEqualTo(2);
            assertThat(ids).as("from the stored 12:30 UTC on").containsExactly(3, 4);
        }
    }

    /**
     * The cursor's type is stored as format_type spells it in the reading session, which qualifies a type off the
     * search_path with its schema: a pool whose search_path changed between runs ({@code stamp}, then
     * {@code r7.stamp}) is no change of type, and the run goes on.
     */
    @Test
    void anotherSearchPathIsNoChangeOfTheCursorsType(dev.mds.testing.TestDatabase db) {
        DataSource ds = db.dataSource();
        sql(ds, "create schema r7", "create domain r7.stamp as timestamptz",
                "create table r7.t (id int primary key, at r7.stamp not null)", "insert into r7.t values (1, '2024-01-01Z')");
        for (String path : new String[] {"r7, public", "public"}) {
            try (com.zaxxer.hikari.HikariDataSource pool = db.newDataSource(1)) {
                sql(pool, "set search_path = " + path);
                assertThat(JdbcIncrementalSource.builder(pool, "r7.t").cursor("at").key("id")
                        .offsets(JdbcStateStore.create(ds)).build().run(ds, (batch, c) -> { })).as(path).isEqualTo(1);
            }
        }
    }
}
