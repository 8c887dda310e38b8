package dev.mds.connector.postgres;

import static dev.mds.connector.postgres.Cdc.awaitSame;
import static dev.mds.connector.postgres.Cdc.count;
import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.ChangeEvent;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestDatabase;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** A demanding Debezium user's review: failures between handler and commit, wide rows, extreme values. */
@MdsPostgres
class CdcAdversarialTest {

    /** A handler that loads and also appends every event to an audit table, to count effects exactly. */
    private static PostgresCdcSource.Handler audited(DataSource ds, String target, String audit, AtomicBoolean failOnce,
            int failKey) {
        PostgresCdcSource.Handler load = Cdc.loadInto(ds, target);
        return (b, tx) -> {
            load.handle(b, tx);
            try (PreparedStatement ps = tx.connection().prepareStatement("insert into " + audit + " values (?, ?)")) {
                for (ChangeEvent e : b.events()) {
                    if (e.operation().isTableWide()) {
                        continue;
                    }
                    ps.setObject(1, e.key().values().get(0));
                    ps.setString(2, e.operation().name());
                    ps.addBatch();
                    if (failOnce != null && e.key().values().get(0).equals(failKey) && failOnce.compareAndSet(true, false)) {
                        throw new IllegalStateException("handler fails on key " + failKey);
                    }
                }
                ps.executeBatch();
            }
        };
    }

    /**
     * The handler throws in the middle of a stream of two-table transactions; after a restart every change is applied
     * once (an audit table written with the rows counts them). Passes: a guard.
     */
    @Test
    void aHandlerFailingMidRunThenARestartAppliesEveryChangeExactlyOnce(TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        sql(ds, "create schema a1", "create table a1.t (id int primary key, v text)", "create table a1.u (id int primary key, v text)",
                "create schema aw1", "create table aw1.audit (id int, op text)");
        AtomicBoolean fail = new AtomicBoolean(true);
        var first = Cdc.start(Cdc.source(db, ds, "a_mid", "a1.t", "a1.u").snapshot(SnapshotMode.NEVER).build(),
                audited(ds, "aw1", "aw1.audit", fail, 50));
        Cdc.awaitSlotActive(ds, "a_mid");
        for (int i = 1; i <= 100; i++) {
            sql(ds, "begin; insert into a1.t values (" + i + ", 'x'); insert into a1.u values (" + i + ", 'y'); commit");
        }
        assertThatThrownBy(() -> first.done.get(60, TimeUnit.SECONDS)).hasRootCauseMessage("handler fails on key 50");
        long before = count(ds, "select count(*) from aw1.audit");
        assertThat(before).isEven().isLessThan(200);
        try (var run = Cdc.start(Cdc.source(db, ds, "a_mid", "a1.t", "a1.u").snapshot(SnapshotMode.NEVER).build(),
                audited(ds, "aw1", "aw1.audit", null, 0))) {
            awaitSame(ds, "a1.t", "aw1.t", "id, v");
            awaitSame(ds, "a1.u", "aw1.u", "id, v");
            Cdc.await("audit complete", Duration.ofSeconds(30), () -> count(ds, "select count(*) from aw1.audit") >= 200);
        }
        assertThat(count(ds, "select count(*) from aw1.audit")).isEqualTo(200);
        assertThat(count(ds, "select count(distinct id) from aw1.audit")).isEqualTo(100);
        Cdc.dropSlot(ds, "a_mid");
    }

    /**
     * The warehouse refuses the commit (a deferred constraint trigger) after the handler succeeded: the run stops
     * saying so, nothing of the batch stays, and a restart applies it once. Passes: a guard.
     */
    @Test
    void aWarehouseCommitFailingAfterTheHandlerStopsTheRunAndARestartAppliesItOnce(TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        sql(ds, "create schema a2", "create table a2.t (id int primary key, v text)", "insert into a2.t values (1, 'a')",
                "create schema aw2", "create table aw2.audit (id int, op text)",
                "create function aw2.refuse() returns trigger language plpgsql as $$ begin"
                        + " if new.v = 'boom' then raise exception 'deferred refusal of %', new.id; end if; return null; end $$");
        var first = Cdc.start(Cdc.source(db, ds, "a_commit", "a2.t").build(), audited(ds, "aw2", "aw2.audit", null, 0));
        awaitSame(ds, "a2.t", "aw2.t", "id, v");
        sql(ds, "create constraint trigger refuse after insert or update on aw2.t deferrable initially deferred"
                + " for each row execute function aw2.refuse()");
        sql(ds, "insert into a2.t values (2, 'boom')");
        assertThatThrownBy(() -> first.done.get(60, TimeUnit.SECONDS)).rootCause().hasMessageContaining("deferred refusal of 2");
        assertThatThrownBy(first.done::join).hasMessageContaining("cannot commit a CDC batch of 1 events to the warehouse");
        assertThat(count(ds, "select count(*) from aw2.audit where id = 2")).isZero();
        sql(ds, "drop trigger refuse on aw2.t", "insert into a2.t values (3, 'c')");
        try (var run = Cdc.start(Cdc.source(db, ds, "a_commit", "a2.t").build(), audited(ds, "aw2", "aw2.audit", null, 0))) {
            awaitSame(ds, "a2.t", "aw2.t", "id, v");
            Cdc.await("audit", Duration.ofSeconds(30), () -> count(ds, "select count(*) from aw2.audit where id = 3") == 1);
        }
        assertThat(count(ds, "select count(*) from aw2.audit where id = 2")).isEqualTo(1);
        Cdc.dropSlot(ds, "a_commit");
    }

    /**
     * numeric of 5,000 digits, 16,000 decimals, numeric(1000, 500), -0.0, float8 -0 and subnormals: equal from the
     * snapshot and the stream. Passes: a guard.
     */
    @Test
    void extremeNumericsArriveEqualFromSnapshotAndStream(TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        sql(ds, "create schema a3", "create table a3.t (id int primary key, n numeric, f numeric(1000, 500), d float8)",
                "insert into a3.t values (1, ('1' || repeat('0', 5000))::numeric, (repeat('9', 500) || '.' || repeat('9', 500))::numeric, '-0'),"
                        + " (2, ('0.' || repeat('0', 16000) || '1')::numeric, ('-' || repeat('1', 499) || '.5')::numeric, 1e308),"
                        + " (3, -0.0, 0.000, 4.9e-324), (4, '1e-16383'::numeric, 1e498, '-Infinity'),"
                        + " (5, 123456789012345678901234567890e100, -0.0, 0.1)");
        String columns = "id, n::text, f::text, d::text";
        try (var run = Cdc.start(Cdc.source(db, ds, "a_num", "a3.t").build(), Cdc.loadInto(ds, "aw3"))) {
            awaitSame(ds, "a3.t", "aw3.t", columns);
            Cdc.awaitSlotActive(ds, "a_num");
            sql(ds, "insert into a3.t select id + 10, n, f, d from a3.t");
            awaitSame(ds, "a3.t", "aw3.t", columns);
        }
        Cdc.dropSlot(ds, "a_num");
    }

    /**
     * A real keeps the digits PostgreSQL shows for it (its shortest text that reads back as the same real), from the
     * snapshot and from the stream, in arrays too. Before, the digits were Java's Float.toString, which on Java 17
     * is not the shortest for some values: the smallest normal real 1.1754944e-38 arrived as 1.17549435e-38, the
     * smallest subnormal 1e-45 as 1.4e-45 and 2.8287938e+17 as 2.82879379e+17, other doubles than the source's
     * digits (r::text::float8) in the target's double precision column.
     */
    @Test
    void realsKeepTheShortestDigitsPostgresqlShows(TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        sql(ds, "create schema a6", "create table a6.t (id int primary key, r real, rs real[])",
                "insert into a6.t values (1, 1.1754944e-38, '{1e-45,2.8287938e17}'), (2, 1e-45, '{1.1754944e-38}'),"
                        + " (3, 2.8287938e17, '{0.1,-3.4028235e38}'), (4, 8.41e21, null)",
                "create view a6.v as select id, r::text::float8 as r, rs::text::float8[] as rs from a6.t");
        try (var run = Cdc.start(Cdc.source(db, ds, "a_real", "a6.t").build(), Cdc.loadInto(ds, "aw6"))) {
            awaitSame(ds, "a6.v", "aw6.t", "id, r, rs");
            Cdc.awaitSlotActive(ds, "a_real");
            sql(ds, "insert into a6.t select id + 10, r, rs from a6.t");
            awaitSame(ds, "a6.v", "aw6.t", "id, r, rs");
        }
        Cdc.dropSlot(ds, "a_real");
    }

    /**
     * 40 out-of-line text columns, updates of one or none of them and key changes under REPLICA IDENTITY DEFAULT, FULL
     * and DEFAULT again: every unchanged value kept. Passes: a guard.
     */
    @Test
    void aWideRowOfManyToastedColumnsKeepsTheUnchangedOnesAcrossReplicaIdentityChanges(TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        StringBuilder cols = new StringBuilder();
        StringBuilder vals = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            cols.append(", c").append(i).append(" text");
            vals.append(", (select string_agg(md5(random()::text || g::text), '') from generate_series(1, 200) g)");
        }
        sql(ds, "create schema a4", "create table a4.t (id int primary key, small int" + cols + ")",
                "insert into a4.t select k, 0" + vals + " from generate_series(1, 3) k");
        StringBuilder sum = new StringBuilder("id, small");
        for (int i = 0; i < 40; i++) {
            sum.append(", md5(c").append(i).append(")");
        }
        try (var run = Cdc.start(Cdc.source(db, ds, "a_wide", "a4.t").build(), Cdc.loadInto(ds, "aw4"))) {
            awaitSame(ds, "a4.t", "aw4.t", sum.toString());
            Cdc.awaitSlotActive(ds, "a_wide");
            sql(ds, "update a4.t set small = 1", "update a4.t set c7 = 'short', small = 2 where id = 1",
                    "alter table a4.t replica identity full", "update a4.t set small = 3 where id = 2",
                    "update a4.t set id = 30 where id = 3",
                    "alter table a4.t replica identity default", "update a4.t set small = 4",
                    "update a4.t set id = 10 where id = 1");
            awaitSame(ds, "a4.t", "aw4.t", sum.toString());
        }
        Cdc.dropSlot(ds, "a_wide");
    }

    /**
     * close() from another thread while the initial snapshot is being handed over (from inside the third batch's
     * handler): run() returns without an error, and the next run ends with the target equal to the source, changes
     * made in between included.
     */
    @Test
    void closeFromAnotherThreadDuringTheSnapshotThenARestartEndsEqual(TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        sql(ds, "create schema a7", "create table a7.t (id int primary key, v text)",
                "insert into a7.t select g, 'v' || g from generate_series(1, 20000) g");
        PostgresCdcSource.Handler load = Cdc.loadInto(ds, "aw7");
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        PostgresCdcSource first = Cdc.source(db, ds, "a_close", "a7.t").maxBatch(500, Duration.ofMillis(50)).build();
        var run = Cdc.start(first, (b, tx) -> {
            load.handle(b, tx);
            if (calls.incrementAndGet() == 3) {
                java.util.concurrent.CompletableFuture.runAsync(first::close);
            }
        });
        run.done.get(60, TimeUnit.SECONDS);
        long loaded = count(ds, "select count(*) from aw7.t");
        assertThat(loaded).as("the snapshot was stopped part way").isBetween(1L, 19999L);
        sql(ds, "update a7.t set v = 'gap' where id in (1, 19000)", "delete from a7.t where id in (2, 19001)",
                "insert into a7.t values (30000, 'new')");
        Cdc.await("slot released", Duration.ofSeconds(30),
                () -> count(ds, "select count(*) from pg_replication_slots where slot_name = 'a_close' and active") == 0);
        try (var again = Cdc.start(Cdc.source(db, ds, "a_close", "a7.t").maxBatch(500, Duration.ofMillis(50)).build(), load)) {
            awaitSame(ds, "a7.t", "aw7.t", "id, v");
            sql(ds, "update a7.t set v = 'after' where id = 3");
            awaitSame(ds, "a7.t", "aw7.t", "id, v");
        }
        Cdc.dropSlot(ds, "a_close");
    }

    /**
     * A captured table taken out of the publication while the source is stopped and added back before it starts
     * again: pgoutput sends a change only if its table was in the publication when it was made, so row 2 is in no
     * stream. Before, the next run started (the setup check found the table in the publication) and went on without
     * row 2, whose insert never reached the target. Now the run is refused at start, naming the table.
     */
    @Test
    void aTableTakenOutOfThePublicationAndAddedBackWhileStoppedIsRefusedAtStart(TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        sql(ds, "create schema a8", "create table a8.t (id int primary key, v text)", "insert into a8.t values (1, 'a')");
        try (var run = Cdc.start(Cdc.source(db, ds, "a_pub", "a8.t").build(), Cdc.loadInto(ds, "aw8"))) {
            awaitSame(ds, "a8.t", "aw8.t", "id, v");
        }
        sql(ds, "alter publication a_pub drop table a8.t", "insert into a8.t values (2, 'while out')",
                "alter publication a_pub add table a8.t", "insert into a8.t values (3, 'back in')");
        Cdc.await("slot released", Duration.ofSeconds(30),
                () -> count(ds, "select count(*) from pg_replication_slots where slot_name = 'a_pub' and active") == 0);
        var again = Cdc.start(Cdc.source(db, ds, "a_pub", "a8.t").build(), Cdc.loadInto(ds, "aw8"));
        try {
            Cdc.await("row 3 or a stop", Duration.ofSeconds(30),
                    () -> again.done.isDone() || count(ds, "select count(*) from aw8.t where id = 3") == 1);
            assertThat(again.done).as("the run stops rather than going on without row 2").isDone();
            assertThatThrownBy(again.done::join).rootCause()
                    .hasMessageContaining("table(s) [a8.t] left publication a_pub after position")
                    .hasMessageContaining("new slot and offset key");
            assertThat(count(ds, "select count(*) from aw8.t where id = 3")).isZero();
        } finally {
            again.source.close();
            Cdc.dropSlot(ds, "a_pub");
        }
    }

    /**
     * The same while streaming, faster than the periodic check: the table taken out of the publication and added
     * back between two checks. Before, the check found the table in the publication and the run went on without
     * row 2. Now it compares with how the table was in the publication when the run started, and stops.
     */
    @Test
    void aTableTakenOutOfThePublicationAndAddedBackWhileStreamingStopsTheRun(TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        sql(ds, "create schema a9", "create table a9.t (id int primary key, v text)", "insert into a9.t values (1, 'a')");
        var run = Cdc.start(Cdc.source(db, ds, "a_pub2", "a9.t").build(), Cdc.loadInto(ds, "aw9"));
        try {
            awaitSame(ds, "a9.t", "aw9.t", "id, v");
            sql(ds, "begin; alter publication a_pub2 drop table a9.t; commit; insert into a9.t values (2, 'while out');"
                    + " alter publication a_pub2 add table a9.t; insert into a9.t values (3, 'back in')");
            Cdc.await("the run to stop", Duration.ofSeconds(30), () -> run.done.isDone());
            assertThatThrownBy(run.done::join).rootCause().hasMessageContaining("table(s) a9.t left publication a_pub2");
        } finally {
            run.source.close();
            Cdc.dropSlot(ds, "a_pub2");
        }
    }

    /**
     * Publications FOR TABLES IN SCHEMA and FOR ALL TABLES, and a table added to a FOR TABLE publication for another
     * consumer: the source restarts and streams on them (how a table is in the publication is unchanged), and the
     * periodic check finds nothing to stop for.
     */
    @Test
    void publicationsBySchemaOrOfAllTablesRestartAndStream(TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        sql(ds, "create schema b1", "create table b1.t (id int primary key, v text)", "create table b1.other (id int primary key)",
                "insert into b1.t values (1, 'a')", "create publication b_schema for tables in schema b1",
                "create publication b_all for all tables");
        for (String pub : List.of("b_schema", "b_all")) {
            for (int runNo = 0; runNo < 2; runNo++) {
                try (var run = Cdc.start(Cdc.source(db, ds, pub, "b1.t").publication(pub).build(), Cdc.loadInto(ds, "bw_" + pub))) {
                    Cdc.awaitSlotActive(ds, pub);
                    sql(ds, "insert into b1.t values (" + (10 + runNo + (pub.equals("b_all") ? 100 : 0)) + ", 'x')");
                    awaitSame(ds, "b1.t", "bw_" + pub + ".t", "id, v");
                    Thread.sleep(2500);   // two periodic checks
                    assertThat(run.done).isNotDone();
                }
            }
            Cdc.dropSlot(ds, pub);
        }
    }

    /**
     * The slot dropped while the source is stopped, rows written, and a slot of the same name created again by hand:
     * the stored position's WAL is in no slot. The start is refused, naming the slot and the way on, under
     * WHEN_NEEDED too (the slot exists, so Debezium would not snapshot), rather than streaming from the new slot and
     * missing the rows written in between.
     */
    @Test
    void aSlotDroppedAndCreatedAgainWhileStoppedIsRefused(TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        sql(ds, "create schema b2", "create table b2.t (id int primary key, v text)", "insert into b2.t values (1, 'a')");
        try (var run = Cdc.start(Cdc.source(db, ds, "b_slot", "b2.t").build(), Cdc.loadInto(ds, "bw2"))) {
            awaitSame(ds, "b2.t", "bw2.t", "id, v");
        }
        Cdc.dropSlot(ds, "b_slot");
        sql(ds, "insert into b2.t values (2, 'in no slot')", "select pg_create_logical_replication_slot('b_slot', 'pgoutput')");
        for (SnapshotMode mode : SnapshotMode.values()) {
            var again = Cdc.start(Cdc.source(db, ds, "b_slot", "b2.t").snapshot(mode).build(), Cdc.loadInto(ds, "bw2"));
            assertThatThrownBy(() -> again.done.get(60, TimeUnit.SECONDS)).as(mode.toString()).rootCause()
                    .hasMessageContaining("replication slot b_slot").hasMessageContaining("past the position stored");
        }
        assertThat(count(ds, "select count(*) from bw2.t where id = 2")).isZero();
        Cdc.dropSlot(ds, "b_slot");
    }

    /**
     * A captured table renamed while streaming leaves the capture (pgoutput sends its changes under the new name): the
     * run stops naming it. Passes: a guard.
     */
    @Test
    void aCapturedTableRenamedWhileStreamingStopsTheRunNamingIt(TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        sql(ds, "create schema a5", "create table a5.t (id int primary key, v text)", "insert into a5.t values (1, 'a')");
        var run = Cdc.start(Cdc.source(db, ds, "a_rename", "a5.t").build(), Cdc.loadInto(ds, "aw5"));
        try {
            awaitSame(ds, "a5.t", "aw5.t", "id, v");
            sql(ds, "alter table a5.t rename to t_new", "insert into a5.t_new values (2, 'renamed')");
            Cdc.await("the run to stop", Duration.ofSeconds(15), () -> run.done.isDone());
            assertThatThrownBy(run.done::join).rootCause().hasMessageContaining("table(s) a5.t left publication a_rename");
        } finally {
            run.source.close();
            Cdc.dropSlot(ds, "a_rename");
        }
    }
}
