package dev.mds.bench.suites;

import dev.mds.bench.BenchContext;
import dev.mds.bench.BenchData;
import dev.mds.bench.BenchSuite;
import dev.mds.bench.Series;
import dev.mds.connector.postgres.PostgresCdcSource;
import dev.mds.connector.postgres.SnapshotMode;
import dev.mds.core.Record;
import dev.mds.core.TableName;
import dev.mds.load.MergeLoader;
import dev.mds.load.SyncMode;
import dev.mds.testing.TestDatabase;
import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import java.io.StringReader;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.postgresql.PGConnection;

/**
 * Change data capture speed. One change stream (inserts, then updates, in transactions of 10,000 rows) is written
 * once after 2 × (rounds + 1) logical slots were created, so every consumer reads exactly the same stream from its
 * own slot. Baseline: Debezium's embedded engine alone, same connector settings, into a no-op handler that marks
 * each record processed (offsets in memory) — the ceiling of this path. Candidate: {@link PostgresCdcSource} →
 * {@code ChangeEvent}s → mds-load CDC mode → committed with the offset in the warehouse (another database on the
 * same server). Each side is timed from the moment its walsender acquires the slot (seen in {@code
 * pg_replication_slots}: the stream starts) to the last event consumed (engine) or committed (mds), so the start-up
 * before the stream (the engine's, and mds's pre-flight checks) is left out on both sides alike, and both clocks
 * start at the same event. A detail line gives both sides' times with that start-up included (not the figure).
 * Rounds alternate which side goes first; after each mds round the warehouse table must
 * equal the source (count and checksum).
 *
 * <p>Then latency: the mds path runs while a writer commits 1,000 events/s (100 transactions of 10 rows each
 * second); a poller sees when each transaction's rows are visible in the warehouse; p50/p99 of commit-to-visible.
 */
public final class CdcSuite implements BenchSuite {
    /** Both sides of the throughput comparison run with this Debezium batch size. */
    private static final int THROUGHPUT_BATCH = 20_000;
    /** The latency run hands a batch over at the latest after this long. */
    private static final Duration LATENCY_WAIT = Duration.ofMillis(100);
    private static final String COLUMNS = "id, name, amount, booked_at, paid, quantity, score, booked_on";

    @Override
    public void run(BenchContext ctx) throws Exception {
        int inserts = ctx.scale(150_000, 20_000);
        int updates = ctx.scale(50_000, 10_000);
        long expected = inserts + updates;
        TestDatabase source = ctx.database("bench_cdc_src");
        TestDatabase warehouse = ctx.database("bench_cdc_wh");
        DataSource src = ctx.dataSource(source, 4);
        DataSource wh = ctx.dataSource(warehouse, 4);
        exec(src, "create schema bench", BenchData.ddl8("bench.t"), "create publication mds_bench for table bench.t");
        int rounds = ctx.rounds();
        for (int round = 0; round <= rounds; round++) {
            exec(src, "select pg_create_logical_replication_slot('engine_" + round + "', 'pgoutput')",
                    "select pg_create_logical_replication_slot('mds_" + round + "', 'pgoutput')");
        }
        long writeStart = System.nanoTime();
        writeStream(src, inserts, updates);
        ctx.detail("change stream: %d inserts + %d updates = %d events, written in %.1f s", inserts, updates, expected,
                (System.nanoTime() - writeStart) / 1e9);
        String sourceChecksum = checksum(src, "bench.t");
        ctx.detail("source table: %s", sourceChecksum);

        Series engine = ctx.series("Debezium engine, no-op handler");
        Series mds = ctx.series("mds: source -> mds-load CDC -> commit");
        Series engineWhole = ctx.series("engine, start-up included");
        Series mdsWhole = ctx.series("mds, start-up included");
        for (int round = 0; round <= rounds; round++) {
            resetWarehouse(wh);
            long[] e;
            long[] m;
            if (round % 2 == 0) {
                e = engineOnly(source, src, "engine_" + round, expected);
                m = mdsPath(source, src, wh, "mds_" + round, expected);
            } else {
                m = mdsPath(source, src, wh, "mds_" + round, expected);
                e = engineOnly(source, src, "engine_" + round, expected);
            }
            engine.record(round, e[0]);
            mds.record(round, m[0]);
            engineWhole.record(round, e[1]);
            mdsWhole.record(round, m[1]);
            String target = checksum(wh, "raw.t");
            if (!target.equals(sourceChecksum)) {
                throw new AssertionError("round " + round + ": warehouse " + target + " differs from source " + sourceChecksum);
            }
            exec(src, "select pg_drop_replication_slot('engine_" + round + "')", "select pg_drop_replication_slot('mds_"
                    + round + "')");
        }
        ctx.detail("warehouse after each round: %s (equal to the source)", sourceChecksum);
        double engineRate = expected / engine.medianSeconds();
        double mdsRate = expected / mds.medianSeconds();
        ctx.detail("both sides: max.batch.size %d, pgoutput, decimal precise, adaptive_time_microseconds", THROUGHPUT_BATCH);
        ctx.detail("%s -> %.0f events/s", engine.summary(), engineRate);
        ctx.detail("%s -> %.0f events/s", mds.summary(), mdsRate);
        // what the figure leaves out on both sides: from the start (the engine built, mds's loader and source built,
        // its pre-flight checks) to the slot's acquisition
        ctx.detail("%s -> %.0f events/s", engineWhole.summary(), expected / engineWhole.medianSeconds());
        ctx.detail("%s -> %.0f events/s", mdsWhole.summary(), expected / mdsWhole.medianSeconds());
        ctx.detail("start-up included, mds over engine (events/s, not the figure): %.2f",
                engineWhole.medianSeconds() / mdsWhole.medianSeconds());

        double[] latency = latency(ctx, source, wh);
        ctx.detail("commit-to-visible latency at 1,000 events/s (%d transactions of 10 rows, maxBatch(10000, %d ms)):"
                + " p50 %.1f ms, p99 %.1f ms, max %.1f ms", (int) latency[3], LATENCY_WAIT.toMillis(), latency[0], latency[1],
                latency[2]);
        ctx.ratio("end_to_end_vs_engine", mdsRate / engineRate, ">=", 0.70);
    }

    private static void writeStream(DataSource src, int inserts, int updates) throws Exception {
        int chunk = 10_000;
        try (Connection c = src.getConnection()) {
            c.setAutoCommit(false);
            for (int from = 1; from <= inserts; from += chunk) {
                int to = Math.min(inserts + 1, from + chunk);
                StringBuilder text = new StringBuilder((to - from) * 100);
                for (Record r : BenchData.records8(from, to, 0)) {
                    BenchData.appendCopyText(text, r);
                }
                c.unwrap(PGConnection.class).getCopyAPI().copyIn("copy bench.t from stdin", new StringReader(text.toString()));
                c.commit();
            }
            try (PreparedStatement ps = c.prepareStatement("update bench.t set amount = amount + 1, paid = not paid,"
                    + " name = name || ' v1' where id between ? and ?")) {
                int step = Math.max(1, inserts / updates);
                for (int done = 0; done < updates; done += chunk) {
                    int n = Math.min(chunk, updates - done);
                    // every step-th id, n of them: ids done*step+1 .. ; with step 1 a contiguous range
                    if (step == 1) {
                        ps.setLong(1, done + 1L);
                        ps.setLong(2, done + (long) n);
                        ps.executeUpdate();
                    } else {
                        try (Statement st = c.createStatement()) {
                            st.executeUpdate("update bench.t set amount = amount + 1, paid = not paid, name = name || ' v1'"
                                    + " where id in (select " + step + " * g from generate_series(" + (done + 1) + ", "
                                    + (done + n) + ") g)");
                        }
                    }
                    c.commit();
                }
            }
        }
    }

    /**
     * Debezium alone into a no-op handler; returns nanos from the slot's acquisition to the last event, and from the
     * engine's creation to the last event.
     */
    private static long[] engineOnly(TestDatabase source, DataSource src, String slot, long expected) throws Exception {
        Properties p = sourceBuilder(source, slot, null).build().engineProperties();
        p.setProperty("database.password", source.password());
        // engineProperties() shows the settings for a publication mds would create; this one exists, and mds runs
        // with Debezium's autocreation off then
        p.setProperty("publication.autocreate.mode", "disabled");
        p.setProperty("offset.storage", "org.apache.kafka.connect.storage.MemoryOffsetBackingStore");
        p.remove("mds.offset.registry.id");
        p.remove("mds.offset.state.key");
        AtomicLong events = new AtomicLong();
        AtomicLong first = new AtomicLong();
        AtomicLong last = new AtomicLong();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        long started = System.nanoTime();
        DebeziumEngine<RecordChangeEvent<SourceRecord>> engine = DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
                .using(p)
                .notifying((records, committer) -> {
                    if (first.get() == 0) {
                        first.compareAndSet(0, System.nanoTime());
                    }
                    for (RecordChangeEvent<SourceRecord> r : records) {
                        if (r.record().value() instanceof Struct s && s.schema().field("op") != null
                                && s.schema().field("after") != null) {
                            events.incrementAndGet();
                        }
                        committer.markProcessed(r);
                    }
                    committer.markBatchFinished();
                    if (events.get() >= expected && last.get() == 0) {
                        last.set(System.nanoTime());
                    }
                })
                .using((success, message, error) -> {
                    if (!success) {
                        failed.set(error != null ? error : new IllegalStateException(message));
                    }
                })
                .build();
        CompletableFuture<Void> run = CompletableFuture.runAsync(engine);
        long acquired = slotAcquired(src, slot, run);
        awaitTrue(() -> last.get() != 0 || failed.get() != null || run.isDone(), Duration.ofMinutes(5), "engine " + slot);
        engine.close();
        run.get(60, TimeUnit.SECONDS);
        if (failed.get() != null && last.get() == 0) {
            throw new IllegalStateException("engine failed", failed.get());
        }
        if (events.get() != expected) {
            throw new AssertionError("engine saw " + events.get() + " events, expected " + expected);
        }
        System.out.printf(Locale.ROOT, "    (slot acquired -> first batch delivered: %.3f s)%n", (first.get() - acquired) / 1e9);
        return new long[] {last.get() - acquired, last.get() - started};
    }

    /**
     * The full mds path; returns nanos from the slot's acquisition to the commit of the last event, and from the
     * loader's and source's building to it.
     */
    private static long[] mdsPath(TestDatabase source, DataSource src, DataSource wh, String slot, long expected)
            throws Exception {
        long started = System.nanoTime();
        MergeLoader loader = MergeLoader.into(wh, TableName.of("raw", "t")).mode(SyncMode.CDC).build();
        AtomicLong first = new AtomicLong();
        AtomicLong batches = new AtomicLong();
        AtomicLong loadNanos = new AtomicLong();
        PostgresCdcSource cdc = sourceBuilder(source, slot, wh).build();
        CompletableFuture<Void> run = CompletableFuture.runAsync(() -> cdc.run((batch, tx) -> {
            long t0 = System.nanoTime();
            first.compareAndSet(0, t0);
            loader.load(batch, tx.connection());
            batches.incrementAndGet();
            loadNanos.addAndGet(System.nanoTime() - t0);
        }));
        long acquired = slotAcquired(src, slot, run);
        long last = awaitTrue(() -> cdc.eventsCommitted() >= expected || run.isDone(), Duration.ofMinutes(10), "mds " + slot);
        cdc.close();
        run.get(60, TimeUnit.SECONDS);
        if (cdc.eventsCommitted() != expected) {
            throw new AssertionError("mds committed " + cdc.eventsCommitted() + " events, expected " + expected);
        }
        System.out.printf(Locale.ROOT, "    (slot acquired -> first batch handed to mds-load: %.3f s; %d table batches, %.0f events"
                + " each on average, %.3f s inside mds-load)%n", (first.get() - acquired) / 1e9, batches.get(),
                (double) expected / Math.max(1, batches.get()), loadNanos.get() / 1e9);
        return new long[] {last - acquired, last - started};
    }

    /**
     * Polls every millisecond until a walsender holds {@code slot} (or {@code run} has ended, which the caller then
     * reports); returns System.nanoTime() at that moment, the start of both sides' clocks.
     */
    private static long slotAcquired(DataSource src, String slot, CompletableFuture<Void> run) throws Exception {
        long end = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        try (Connection c = src.getConnection();
             PreparedStatement ps = c.prepareStatement("select active from pg_replication_slots where slot_name = ?")) {
            ps.setString(1, slot);
            while (true) {
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next() && rs.getBoolean(1)) {
                        return System.nanoTime();
                    }
                }
                if (run.isDone()) {
                    return System.nanoTime();
                }
                if (System.nanoTime() > end) {
                    throw new IllegalStateException("slot " + slot + " was not acquired within 2 minutes");
                }
                Thread.sleep(1);
            }
        }
    }

    private static PostgresCdcSource.Builder sourceBuilder(TestDatabase source, String slot, DataSource wh) {
        PostgresCdcSource.Builder b = PostgresCdcSource.builder().connect(source.host(), source.port(), source.name())
                .credentials(source.user(), source.password()).tables("bench.t").slot(slot).publication("mds_bench")
                .snapshot(SnapshotMode.NEVER).maxBatch(THROUGHPUT_BATCH, Duration.ofMillis(500));
        return b.warehouse(wh != null ? wh : new org.postgresql.ds.PGSimpleDataSource());
    }

    /** Polls every millisecond; returns System.nanoTime() when the condition first held. */
    private static long awaitTrue(java.util.function.BooleanSupplier condition, Duration timeout, String what)
            throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new IllegalStateException("timed out waiting for " + what);
            }
            Thread.sleep(1);
        }
        return System.nanoTime();
    }

    /** Commit-to-visible latency of the mds path at a steady 1,000 events/s: {p50, p99, max, n} in ms. */
    private static double[] latency(BenchContext ctx, TestDatabase source, DataSource wh) throws Exception {
        DataSource src = ctx.dataSource(source, 2);
        resetWarehouse(wh);
        exec(src, "create table bench.lat (like bench.t including all)", "alter publication mds_bench add table bench.lat",
                "select pg_create_logical_replication_slot('mds_latency', 'pgoutput')");
        MergeLoader loader = MergeLoader.into(wh, TableName.of("raw", "lat")).mode(SyncMode.CDC).build();
        PostgresCdcSource cdc = PostgresCdcSource.builder().connect(source.host(), source.port(), source.name())
                .credentials(source.user(), source.password()).tables("bench.lat").slot("mds_latency")
                .publication("mds_bench").snapshot(SnapshotMode.NEVER).maxBatch(10_000, LATENCY_WAIT).warehouse(wh).build();
        CompletableFuture<Void> run = CompletableFuture.runAsync(() -> cdc.run((batch, tx) -> loader.load(batch, tx.connection())));
        int seconds = ctx.scale(15, 5);
        int txPerSecond = 100;
        int rowsPerTx = 10;
        int n = seconds * txPerSecond;
        long[] committed = new long[n];
        long[] visible = new long[n];
        // warm the path: one transaction, wait until visible
        exec(src, "insert into bench.lat select * from bench.t where id = 1");
        awaitTrue(() -> count(wh, "select count(*) from raw.lat where id = 1") == 1, Duration.ofMinutes(2), "latency warm-up");
        AtomicReference<Throwable> writerFailed = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            try (Connection c = src.getConnection();
                 PreparedStatement ps = c.prepareStatement("insert into bench.lat select * from bench.t where id between ? and ?")) {
                c.setAutoCommit(false);
                long start = System.nanoTime();
                for (int k = 0; k < n; k++) {
                    long due = start + k * (1_000_000_000L / txPerSecond);
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                    ps.setLong(1, 2 + (long) k * rowsPerTx);
                    ps.setLong(2, 1 + (long) (k + 1) * rowsPerTx);
                    ps.executeUpdate();
                    c.commit();
                    committed[k] = System.nanoTime();
                }
            } catch (Exception e) {
                writerFailed.set(e);
            }
        }, "latency-writer");
        writer.start();
        try (Connection c = wh.getConnection(); PreparedStatement ps = c.prepareStatement("select max(id) from raw.lat")) {
            int seen = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds + 60L);
            while (seen < n && System.nanoTime() < deadline && writerFailed.get() == null) {
                long maxId;
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    maxId = rs.getLong(1);
                }
                long now = System.nanoTime();
                while (seen < n && maxId >= 1 + (long) (seen + 1) * rowsPerTx) {
                    visible[seen++] = now;
                }
                Thread.sleep(0, 500_000);
            }
            if (seen < n) {
                throw new IllegalStateException("only " + seen + " of " + n + " latency transactions became visible",
                        writerFailed.get());
            }
        }
        writer.join();
        // the last transaction visible is not all of them: every row written must be there, as written
        String written = checksum(src, "bench.lat");
        String arrived = checksum(wh, "raw.lat");
        cdc.close();
        run.get(60, TimeUnit.SECONDS);
        exec(src, "select pg_drop_replication_slot('mds_latency')");
        if (!arrived.equals(written)) {
            throw new AssertionError("latency run: warehouse " + arrived + " differs from source " + written);
        }
        ctx.detail("latency run: warehouse %s (equal to the source)", arrived);
        double[] ms = new double[n];
        for (int k = 0; k < n; k++) {
            ms[k] = Math.max(0, visible[k] - committed[k]) / 1e6;
        }
        Arrays.sort(ms);
        return new double[] {ms[n / 2], ms[(int) Math.min(n - 1, Math.ceil(n * 0.99) - 1)], ms[n - 1], n};
    }

    private static void resetWarehouse(DataSource wh) throws Exception {
        exec(wh, "drop schema if exists raw cascade", "create schema raw", "drop schema if exists mds cascade");
    }

    private static String checksum(DataSource ds, String table) throws Exception {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select count(*), coalesce(sum(hashtext((" + COLUMNS + ")::text)::bigint), 0)"
                     + " from " + table)) {
            rs.next();
            return rs.getLong(1) + " rows, checksum " + rs.getLong(2);
        }
    }

    private static long count(DataSource ds, String sql) {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        } catch (java.sql.SQLException e) {
            return -1;
        }
    }

    private static void exec(DataSource ds, String... statements) throws Exception {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            for (String s : statements) {
                st.execute(s);
            }
        }
    }
}
