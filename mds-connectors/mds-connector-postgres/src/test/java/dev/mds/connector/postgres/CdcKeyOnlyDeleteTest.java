package dev.mds.connector.postgres;

import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestDatabase;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Deletes from a table with the default replica identity (the key alone in the delete's before image), whose NOT NULL
 * columns are of the types mds's converter sends (numeric, date, timestamp, timestamptz, money, a text type, a temporal
 * array): Debezium hands the converter NULL for such a column of a key-only image, and a required Connect field
 * refused the NULL ("Invalid value: null used for required field"), stopping the source at the delete, every run.
 * With the converter's fillers (0, 1970-01-01, ...), mds-load must still read such an image as the key alone: a row
 * inserted and deleted in one transaction stayed in the target when a date filler was taken for a stored value.
 */
@MdsPostgres
class CdcKeyOnlyDeleteTest {

    @Test
    void aDeleteFromATableWithNotNullConvertedColumnsUnderTheDefaultReplicaIdentityIsApplied(TestDatabase db)
            throws Exception {
        DataSource ds = db.dataSource();
        sql(ds, "create schema z0", "create table z0.t (id int primary key, w numeric not null, n numeric(8,2) not null,"
                        + " d date not null, ts timestamp not null, tz timestamptz not null, m money not null,"
                        + " p point not null, ds date[] not null, nm numeric[] not null, v text)",
                "insert into z0.t select g, g * 1.5, g, date '2024-01-01' + g, timestamp '2024-01-01' + g * interval '1 h',"
                        + " timestamptz '2024-01-01 00:00+00' + g * interval '1 h', g, point(g, g), array[date '2024-01-01'],"
                        + " array[g::numeric], 'v' || g from generate_series(1, 4) g");
        String columns = "id, w, n, d, ts, tz, v";
        Cdc.Running run = Cdc.start(Cdc.source(db, ds, "key_only", "z0.t").build(), Cdc.loadInto(ds, "wz0"));
        try {
            await(run, ds, columns);
            sql(ds, "delete from z0.t where id = 2", "update z0.t set id = 10 where id = 3",
                    "begin; insert into z0.t values (5, 1, 1, current_date, now(), now(), 1, point(0, 0), '{}', '{}', 'x');"
                            + " delete from z0.t where id = 5; commit",
                    "insert into z0.t values (6, 6, 6, date '2030-01-01', timestamp '2030-01-01', now(), 6, point(1, 1),"
                            + " '{}', '{}', 'six')");
            await(run, ds, columns);
        } finally {
            run.source.close();
            try {
                run.done.get(60, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // await reported it
            }
            Cdc.dropSlot(ds, "key_only");
        }
        assertThat(Cdc.text(ds, "select string_agg(id::text, ',' order by id) from wz0.t")).isEqualTo("1,4,6,10");
    }

    private static void await(Cdc.Running run, DataSource ds, String columns) {
        Cdc.await("wz0.t equal to z0.t", Duration.ofSeconds(30), () -> {
            if (run.done.isCompletedExceptionally()) {
                run.done.join();   // throws the run's failure
            }
            return Cdc.tableExists(ds, "wz0.t") && Cdc.difference(ds, "z0.t", "wz0.t", columns) == 0;
        });
    }
}
