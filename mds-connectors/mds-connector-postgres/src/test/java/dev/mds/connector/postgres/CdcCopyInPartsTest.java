package dev.mds.connector.postgres;

import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestDatabase;
import java.io.StringReader;
import java.sql.Connection;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.postgresql.copy.CopyManager;
import org.postgresql.core.BaseConnection;

/**
 * A COPY writes its rows with one WAL record per heap page (heap_multi_insert), so the rows of a page reach Debezium
 * with one LSN. A transaction handed on in parts (larger than maxTransactionEvents) can be cut between them.
 */
@MdsPostgres
class CdcCopyInPartsTest {

    /**
     * A COPY of 600 rows in one transaction, larger than maxTransactionEvents(40) and so handed on in parts; the run
     * stopped (a handler failure) after its first part, three times, and a new run started each time. Before, each
     * part ended where Debezium's batch did, inside the rows of a heap page, and the rest of that page never arrived:
     * 426 of the 601 rows were missing from the target. Now a part ends only where the WAL position changes, and the
     * target ends equal to the source.
     */
    @Test
    void aCopyHandedOnInPartsLosesNoRowWhenStoppedBetweenParts(TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        sql(ds, "create schema cp1", "create table cp1.t (id int primary key, v text not null)",
                "insert into cp1.t values (0, 'seed')");
        PostgresCdcSource.Handler load = Cdc.loadInto(ds, "cpw1");
        try (var run = Cdc.start(Cdc.source(db, ds, "cp_parts", "cp1.t").build(), load)) {
            Cdc.awaitSame(ds, "cp1.t", "cpw1.t", "id, v");
        }
        StringBuilder rows = new StringBuilder();
        for (int i = 1; i <= 600; i++) {
            rows.append(i).append('\t').append("copied ").append(i).append('\n');
        }
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            new CopyManager(c.unwrap(BaseConnection.class)).copyIn("copy cp1.t from stdin", new StringReader(rows.toString()));
            c.commit();
        }
        for (int stopAt : new int[] {1, 1, 1}) {
            int[] parts = {0};
            var run = Cdc.start(Cdc.source(db, ds, "cp_parts", "cp1.t").maxBatch(7, Duration.ofMillis(20))
                    .maxTransactionEvents(40).build(), (batch, tx) -> {
                        load.handle(batch, tx);
                        if (++parts[0] == stopAt + 1) {
                            throw new IllegalStateException("stop after part " + stopAt);
                        }
                    });
            assertThatThrownBy(() -> run.done.get(60, TimeUnit.SECONDS)).hasRootCauseMessage("stop after part " + stopAt);
        }
        try (var run = Cdc.start(Cdc.source(db, ds, "cp_parts", "cp1.t").build(), load)) {
            try {
                Cdc.await("the target equal to the source", Duration.ofSeconds(30), () -> run.done.isDone()
                        || Cdc.difference(ds, "cp1.t", "cpw1.t", "id, v") == 0);
            } catch (AssertionError timedOut) {
                // the rows missing are told below
            }
            if (Cdc.difference(ds, "cp1.t", "cpw1.t", "id, v") != 0) {
                throw new AssertionError("rows missing from the target: " + Cdc.text(ds, "select count(*) || ' of 601: ' || string_agg(id::text, ',' order by id)"
                        + " from cp1.t s where not exists (select 1 from cpw1.t w where w.id = s.id)"));
            }
        } finally {
            Cdc.dropSlot(ds, "cp_parts");
        }
    }
}
