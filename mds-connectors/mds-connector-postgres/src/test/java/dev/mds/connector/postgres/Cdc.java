package dev.mds.connector.postgres;

import static dev.mds.testing.TestSql.sql;

import dev.mds.core.ChangeBatch;
import dev.mds.core.ChangeEvent;
import dev.mds.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;

/** Test helpers: a source running on a background thread, polling, SQL shortcuts. */
final class Cdc {
    private Cdc() {
    }

    /** A source whose run() executes on its own thread; close() stops it and rethrows its failure. */
    static final class Running implements AutoCloseable {
        final PostgresCdcSource source;
        final CompletableFuture<Void> done;
        final List<ChangeBatch> batches = new CopyOnWriteArrayList<>();

        Running(PostgresCdcSource source, PostgresCdcSource.Handler handler) {
            this.source = source;
            this.done = CompletableFuture.runAsync(() -> source.run((b, tx) -> {
                batches.add(b);
                handler.handle(b, tx);
            }), r -> {
                Thread t = new Thread(r, "cdc-test");
                t.setDaemon(true);
                t.start();
            });
        }

        List<ChangeEvent> events() {
            List<ChangeEvent> all = new ArrayList<>();
            for (ChangeBatch b : batches) {
                all.addAll(b.events());
            }
            return all;
        }

        /** The events about one row: not TRUNCATE or SNAPSHOT_COMPLETE (whether a snapshot reads a row inserted
         *  right after start is a race, and with it whether the table's snapshot ends with a SNAPSHOT_COMPLETE). */
        List<ChangeEvent> rowEvents() {
            return events().stream().filter(e -> !e.operation().isTableWide()).toList();
        }

        @Override
        public void close() throws Exception {
            source.close();
            done.get(60, TimeUnit.SECONDS);
        }
    }

    static Running start(PostgresCdcSource source, PostgresCdcSource.Handler handler) {
        return new Running(source, handler);
    }

    static PostgresCdcSource.Builder source(TestDatabase db, DataSource warehouse, String slot, String... tables) {
        return PostgresCdcSource.builder().connect(db.host(), db.port(), db.name()).credentials(db.user(), db.password())
                .tables(tables).slot(slot).publication(slot).warehouse(warehouse)
                .maxBatch(2_000, Duration.ofMillis(50)).heartbeat(Duration.ofSeconds(1));
    }

    static void await(String what, Duration timeout, BooleanSupplier condition) {
        long end = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    /**
     * Waits until a consumer holds the slot and the slot is created. A slot is also active while it is being created,
     * before its consistent point: a change committed then may not be decoded. {@code confirmed_flush_lsn} is set
     * once creation ends. With a snapshot, the slot may be released between the snapshot and the stream.
     */
    static void awaitSlotActive(DataSource ds, String slot) {
        await("slot " + slot + " active", Duration.ofSeconds(60), () -> count(ds, "select count(*) from pg_replication_slots"
                + " where slot_name = '" + slot + "' and active and confirmed_flush_lsn is not null") == 1);
    }

    static long count(DataSource ds, String query) {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(query)) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new AssertionError(e.getMessage(), e);
        }
    }

    static String text(DataSource ds, String query) {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(query)) {
            return rs.next() ? rs.getString(1) : null;
        } catch (SQLException e) {
            throw new AssertionError(e.getMessage(), e);
        }
    }

    /** A handler applying each batch with mds-load in CDC mode into schema {@code target}, same table names. */
    static PostgresCdcSource.Handler loadInto(DataSource warehouse, String target) {
        java.util.Map<dev.mds.core.TableName, dev.mds.load.MergeLoader> loaders = new java.util.concurrent.ConcurrentHashMap<>();
        return (batch, tx) -> loaders.computeIfAbsent(batch.table(), t -> dev.mds.load.MergeLoader
                .into(warehouse, dev.mds.core.TableName.of(target, t.name())).mode(dev.mds.load.SyncMode.CDC)
                .onSchemaChange(dev.mds.load.SchemaChange.ADD_COLUMNS).build()).load(batch, tx.connection());
    }

    /** Rows of {@code a} not in {@code b} plus rows of {@code b} not in {@code a}, over {@code columns}. */
    static long difference(DataSource ds, String a, String b, String columns) {
        return count(ds, "select count(*) from ((select " + columns + " from " + a + " except all select " + columns
                + " from " + b + ") union all (select " + columns + " from " + b + " except all select " + columns
                + " from " + a + ")) d");
    }

    static boolean tableExists(DataSource ds, String table) {
        return text(ds, "select to_regclass('" + table + "')::text") != null;
    }

    static void awaitSame(DataSource ds, String source, String target, String columns) {
        await(target + " equal to " + source, Duration.ofSeconds(60),
                () -> tableExists(ds, target) && difference(ds, source, target, columns) == 0);
    }

    static void dropSlot(DataSource ds, String slot) {
        await("slot " + slot + " released", Duration.ofSeconds(30),
                () -> count(ds, "select count(*) from pg_replication_slots where slot_name = '" + slot + "' and active") == 0);
        sql(ds, "select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = '" + slot + "'");
    }
}
