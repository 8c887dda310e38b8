package dev.mds.connector.postgres;

import static dev.mds.connector.postgres.Cdc.awaitSame;
import static dev.mds.connector.postgres.Cdc.count;
import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestDatabase;
import java.time.Duration;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * The publication's own options changed underneath the source: {@code ALTER PUBLICATION ... SET (publish = ...)}
 * leaves every table in it (no membership id changes), but pgoutput sends no delete (update, insert, truncate) made
 * while the publication does not publish it.
 */
@MdsPostgres
class CdcPublicationOptionsTest {

    /**
     * While streaming, the publication stops publishing deletes, a row is deleted, and it publishes them again before
     * the next periodic check. Before, the run went on without the delete (row 1 stayed in the target for good). Now
     * the run stops, naming the publication.
     */
    @Test
    void publishedOperationsChangedAndBackWhileStreamingStopTheRun(TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        sql(ds, "create schema po1", "create table po1.t (id int primary key, v text)",
                "insert into po1.t values (1, 'a'), (2, 'b')");
        var run = Cdc.start(Cdc.source(db, ds, "po_stream", "po1.t").build(), Cdc.loadInto(ds, "pow1"));
        try {
            awaitSame(ds, "po1.t", "pow1.t", "id, v");
            Cdc.awaitSlotActive(ds, "po_stream");
            sql(ds, "alter publication po_stream set (publish = 'insert, update'); delete from po1.t where id = 1;"
                    + " alter publication po_stream set (publish = 'insert, update, delete, truncate');"
                    + " insert into po1.t values (3, 'after')");
            Cdc.await("the run to stop", Duration.ofSeconds(30), () -> run.done.isDone());
            assertThatThrownBy(run.done::join).rootCause().hasMessageContaining("publication po_stream")
                    .hasMessageContaining("options");
        } finally {
            run.source.close();
            Cdc.dropSlot(ds, "po_stream");
        }
    }

    /**
     * The same while the source is stopped: deletes unpublished, a row deleted, deletes published again. Before, the
     * next run started (the setup check found the publication complete) and went on without the delete. Now the start
     * is refused, naming the publication and the way on.
     */
    @Test
    void publishedOperationsChangedAndBackWhileStoppedAreRefusedAtStart(TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        sql(ds, "create schema po2", "create table po2.t (id int primary key, v text)",
                "insert into po2.t values (1, 'a'), (2, 'b')");
        try (var run = Cdc.start(Cdc.source(db, ds, "po_stopped", "po2.t").build(), Cdc.loadInto(ds, "pow2"))) {
            awaitSame(ds, "po2.t", "pow2.t", "id, v");
        }
        sql(ds, "alter publication po_stopped set (publish = 'insert, update')", "delete from po2.t where id = 1",
                "alter publication po_stopped set (publish = 'insert, update, delete, truncate')",
                "insert into po2.t values (3, 'after')");
        Cdc.await("slot released", Duration.ofSeconds(30), () -> count(ds,
                "select count(*) from pg_replication_slots where slot_name = 'po_stopped' and active") == 0);
        var again = Cdc.start(Cdc.source(db, ds, "po_stopped", "po2.t").build(), Cdc.loadInto(ds, "pow2"));
        try {
            Cdc.await("row 3 or a stop", Duration.ofSeconds(30),
                    () -> again.done.isDone() || count(ds, "select count(*) from pow2.t where id = 3") == 1);
            assertThat(again.done).as("the run stops rather than going on without the delete").isDone();
            assertThatThrownBy(again.done::join).rootCause().hasMessageContaining("publication po_stopped")
                    .hasMessageContaining("options");
            assertThat(count(ds, "select count(*) from pow2.t where id = 3")).isZero();
        } finally {
            again.source.close();
            Cdc.dropSlot(ds, "po_stopped");
        }
    }

    /**
     * Changes that leave the publication's options alone: another table added to it and removed again (for another
     * consumer), a comment on it. The run goes on past two periodic checks and the next one starts and streams.
     */
    @Test
    void otherTablesAddedToThePublicationDoNotStopTheRun(TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        sql(ds, "create schema po3", "create table po3.t (id int primary key, v text)",
                "create table po3.other (id int primary key)", "insert into po3.t values (1, 'a')");
        try (var run = Cdc.start(Cdc.source(db, ds, "po_other", "po3.t").build(), Cdc.loadInto(ds, "pow3"))) {
            awaitSame(ds, "po3.t", "pow3.t", "id, v");
            Cdc.awaitSlotActive(ds, "po_other");
            sql(ds, "alter publication po_other add table po3.other", "comment on publication po_other is 'shared'",
                    "insert into po3.t values (2, 'b')");
            awaitSame(ds, "po3.t", "pow3.t", "id, v");
            Thread.sleep(2500);   // two periodic checks
            assertThat(run.done).isNotDone();
            sql(ds, "alter publication po_other drop table po3.other");
        }
        sql(ds, "insert into po3.t values (3, 'c')");
        try (var run = Cdc.start(Cdc.source(db, ds, "po_other", "po3.t").build(), Cdc.loadInto(ds, "pow3"))) {
            awaitSame(ds, "po3.t", "pow3.t", "id, v");
        } finally {
            Cdc.dropSlot(ds, "po_other");
        }
    }

    /**
     * A membership recorded before the publication's row version was part of it (four parts) is taken as the same
     * options, so a position stored by an earlier version starts; its tables are compared as before.
     */
    @Test
    void aMembershipRecordedWithoutTheOptionsVersionKeepsStarting() {
        assertThat(CdcSetup.sameOptions("16400/16390/16401/", "16400/16390/16401//812")).isTrue();
        assertThat(CdcSetup.sameTables("16400/16390/16401/", "16400/16390/16401//812")).isTrue();
        assertThat(CdcSetup.sameTables("16400/16390/16401/", "16400/16390/16409//812")).isFalse();
        assertThat(CdcSetup.sameOptions("16400/16390/16401//790", "16400/16390/16401//812")).isFalse();
        assertThat(CdcSetup.sameOptions("16400/16390///790", "16400/16390///790")).isTrue();
    }
}
