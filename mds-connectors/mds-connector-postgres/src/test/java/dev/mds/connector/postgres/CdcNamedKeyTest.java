package dev.mds.connector.postgres;

import static dev.mds.connector.postgres.Cdc.awaitSame;
import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestDatabase;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * {@code key(...)} (Debezium's {@code message.key.columns}) naming columns the WAL does not carry for a deleted or
 * re-keyed row: under {@code REPLICA IDENTITY DEFAULT} a delete logs only the primary key.
 */
@MdsPostgres
class CdcNamedKeyTest {

    /**
     * A table with a primary key id, keyed by its unique code with {@code key(...)}, REPLICA IDENTITY DEFAULT. Before,
     * the run streamed: the delete of code 'a' came with an empty key and deleted nothing, and code 'b' changed to
     * 'bb' came as an update of key 'bb', leaving 'b' (the target held a, b, bb, c, d for the source's bb, c, d).
     * Now the start is refused, naming the table, the columns and the fix; with REPLICA IDENTITY FULL the same changes
     * arrive and the target ends equal. A key(...) within the primary key streams under DEFAULT.
     */
    @Test
    void aNamedKeyOutsideTheReplicaIdentityIsRefusedAtStart(TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        sql(ds, "create schema nk1", "create table nk1.t (id int primary key, code text not null unique, v text)",
                "insert into nk1.t values (1, 'a', 'x'), (2, 'b', 'y'), (3, 'c', 'z')");
        var refused = Cdc.start(Cdc.source(db, ds, "nk_key", "nk1.t").key("nk1.t", "code").build(),
                Cdc.loadInto(ds, "nkw1"));
        try {
            Cdc.await("slot active or a stop", Duration.ofSeconds(60), () -> refused.done.isDone() || Cdc.count(ds,
                    "select count(*) from pg_replication_slots where slot_name = 'nk_key' and active"
                            + " and confirmed_flush_lsn is not null") == 1);
            sql(ds, "delete from nk1.t where id = 1", "update nk1.t set code = 'bb' where id = 2",
                    "insert into nk1.t values (4, 'd', 'last')");
            Cdc.await("row d or a stop", Duration.ofSeconds(30), () -> refused.done.isDone()
                    || Cdc.tableExists(ds, "nkw1.t") && Cdc.count(ds, "select count(*) from nkw1.t where code = 'd'") == 1);
            assertThat(refused.done).as("a run that would lose the delete and keep code b").isDone();
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; target: " + Cdc.text(ds,
                    "select string_agg(code, ',' order by code) from nkw1.t"), e);
        } finally {
            refused.source.close();
        }
        assertThatThrownBy(() -> refused.done.get(30, TimeUnit.SECONDS)).rootCause()
                .hasMessageContaining("nk1.t").hasMessageContaining("[code]")
                .hasMessageContaining("ALTER TABLE \"nk1\".\"t\" REPLICA IDENTITY FULL");
        assertThat(Cdc.tableExists(ds, "nkw1.t")).as("nothing loaded").isFalse();

        sql(ds, "alter table nk1.t replica identity full");
        try (var run = Cdc.start(Cdc.source(db, ds, "nk_key", "nk1.t").key("nk1.t", "code").build(),
                Cdc.loadInto(ds, "nkw1"))) {
            awaitSame(ds, "nk1.t", "nkw1.t", "code, v");
            Cdc.awaitSlotActive(ds, "nk_key");
            sql(ds, "delete from nk1.t where id = 3", "update nk1.t set code = 'dd' where id = 4");
            awaitSame(ds, "nk1.t", "nkw1.t", "code, v");
        }
        Cdc.dropSlot(ds, "nk_key");

        sql(ds, "create table nk1.p (id int, region text, v text, primary key (id, region))",
                "insert into nk1.p values (1, 'eu', 'a'), (2, 'us', 'b')");
        try (var run = Cdc.start(Cdc.source(db, ds, "nk_pk", "nk1.p").key("nk1.p", "region", "id").build(),
                Cdc.loadInto(ds, "nkw2"))) {
            awaitSame(ds, "nk1.p", "nkw2.p", "id, region, v");
            Cdc.awaitSlotActive(ds, "nk_pk");
            sql(ds, "delete from nk1.p where id = 1", "update nk1.p set region = 'eu' where id = 2");
            awaitSame(ds, "nk1.p", "nkw2.p", "id, region, v");
        }
        Cdc.dropSlot(ds, "nk_pk");
    }

    /**
     * The same table keyed by code under REPLICA IDENTITY FULL, switched to DEFAULT while streaming: its later deletes
     * carry no code. Before, the run went on (the delete of code 'b' deleted nothing). Now the periodic check stops
     * the run, naming the table and the columns.
     */
    @Test
    void aReplicaIdentityThatStopsCarryingANamedKeyWhileStreamingStopsTheRun(TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        sql(ds, "create schema nk3", "create table nk3.t (id int primary key, code text not null unique, v text)",
                "alter table nk3.t replica identity full", "insert into nk3.t values (1, 'a', 'x'), (2, 'b', 'y')");
        var run = Cdc.start(Cdc.source(db, ds, "nk_switch", "nk3.t").key("nk3.t", "code").build(), Cdc.loadInto(ds, "nkw3"));
        try {
            awaitSame(ds, "nk3.t", "nkw3.t", "code, v");
            Cdc.awaitSlotActive(ds, "nk_switch");
            sql(ds, "alter table nk3.t replica identity default", "delete from nk3.t where id = 2");
            Cdc.await("the run to stop", Duration.ofSeconds(30), () -> run.done.isDone());
            assertThatThrownBy(run.done::join).rootCause().hasMessageContaining("nk3.t").hasMessageContaining("[code]")
                    .hasMessageContaining("while streaming");
        } finally {
            run.source.close();
            Cdc.dropSlot(ds, "nk_switch");
        }
    }
}
