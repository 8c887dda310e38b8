package dev.mds.bench.suites;

import dev.mds.bench.BenchContext;
import dev.mds.bench.BenchData;
import dev.mds.bench.BenchSuite;
import dev.mds.bench.Series;
import dev.mds.bench.csv.CsvBenchFile;
import dev.mds.bench.csv.MemoryProbe;
import dev.mds.connector.csv.CsvSource;
import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import dev.mds.core.Schema;
import dev.mds.load.MergeLoader;
import dev.mds.load.SyncMode;
import dev.mds.testing.TestDatabase;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.postgresql.PGConnection;

/**
 * CSV reading and CSV-to-table loading.
 *
 * <ul>
 * <li>{@code parallel_parse_vs_commons}: records/s of {@link CsvSource} (2 threads, 50,000-row chunks) over a
 * plain single-threaded Commons CSV loop turning the same file into the same typed records (JDK parsers), both
 * collecting 50,000-record batches; the sum of the records' hash codes must agree.</li>
 * <li>{@code file_to_table_vs_copy}: the file appended into a table (primary key, logged) through CsvSource and
 * mds-load {@link SyncMode#APPEND} over PostgreSQL's {@code COPY ... FROM STDIN (FORMAT csv)} of the same file;
 * count and checksum of the table must agree after every round.</li>
 * <li>memory: a child JVM with {@code -Xmx256m} reads a generated ~1 GB file (100 MB in quick mode) and prints
 * its peak heap.</li>
 * </ul>
 */
public final class CsvSuite implements BenchSuite {
    private static final int CHUNK_ROWS = 50_000;

    @Override
    public void run(BenchContext ctx) throws Exception {
        int rows = ctx.scale(1_000_000, 100_000);
        Path dir = Files.createTempDirectory("mds-bench-csv");
        Path file = dir.resolve("transactions.csv");
        Path big = dir.resolve("big.csv");
        try {
            long bytes = CsvBenchFile.write(file, rows);
            ctx.detail("generated %s: %d rows, %.1f MB", file.getFileName(), rows, bytes / 1048576.0);
            Schema schema = BenchData.schema8();
            parse(ctx, file, schema, rows);
            load(ctx, file, schema, rows);
            memory(ctx, big, ctx.scale(10_000_000, 1_000_000));
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(big);
            Files.deleteIfExists(dir);
        }
    }

    private static void parse(BenchContext ctx, Path file, Schema schema, int rows) throws Exception {
        Series commons = ctx.series("Commons CSV loop, 1 thread");
        Series mds = ctx.series("CsvSource, 2 threads");
        long expected = 0;
        for (long id = 1; id <= rows; id++) {
            expected += CsvBenchFile.record(id).hashCode();
        }
        for (int round = 0; round <= ctx.rounds(); round++) {
            long[] a = commons.time(round, () -> commonsLoop(file, schema));
            long[] b = mds.time(round, () -> csvSource(file, schema, 2));
            if (a[0] != rows || b[0] != rows || a[1] != expected || b[1] != expected) {
                throw new AssertionError("wrong records: commons " + a[0] + " rows hash " + a[1] + ", CsvSource " + b[0]
                        + " rows hash " + b[1] + ", expected " + rows + " rows hash " + expected);
            }
        }
        ctx.detail("both sides: %d records, hash sum %d (as generated)", rows, expected);
        ctx.detail("%s -> %.0f records/s", commons.summary(), rows / commons.medianSeconds());
        ctx.detail("%s -> %.0f records/s", mds.summary(), rows / mds.medianSeconds());
        ctx.ratio("parallel_parse_vs_commons", commons.medianSeconds() / mds.medianSeconds(), ">=", 1.6);
    }

    /** The honest baseline: Commons CSV, JDK parsers, the same typed records and batches, one thread. */
    private static long[] commonsLoop(Path file, Schema schema) throws Exception {
        long n = 0;
        long hash = 0;
        CSVFormat format = CSVFormat.RFC4180.builder().setHeader().setSkipHeaderRecord(true).get();
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8);
             CSVParser parser = CSVParser.builder().setReader(reader).setFormat(format).get()) {
            List<Record> batch = new ArrayList<>(CHUNK_ROWS);
            for (CSVRecord r : parser) {
                Record record = Record.of(Long.parseLong(r.get(0)), r.get(1), new BigDecimal(r.get(2)),
                        OffsetDateTime.parse(r.get(3)), Boolean.parseBoolean(r.get(4)), Integer.parseInt(r.get(5)),
                        Double.parseDouble(r.get(6)), LocalDate.parse(r.get(7)));
                batch.add(record);
                if (batch.size() == CHUNK_ROWS) {
                    RecordBatch b = RecordBatch.of(schema, batch);
                    n += b.size();
                    hash += hashOf(b);
                    batch = new ArrayList<>(CHUNK_ROWS);
                }
            }
            if (!batch.isEmpty()) {
                RecordBatch b = RecordBatch.of(schema, batch);
                n += b.size();
                hash += hashOf(b);
            }
        }
        return new long[] {n, hash};
    }

    private static long[] csvSource(Path file, Schema schema, int threads) {
        long n = 0;
        long hash = 0;
        try (CsvSource csv = CsvSource.builder().path(file).schema(schema).chunkRows(CHUNK_ROWS).parallelism(threads)
                .build()) {
            Iterator<RecordBatch> it = csv.batches().iterator();
            while (it.hasNext()) {
                RecordBatch b = it.next();
                n += b.size();
                hash += hashOf(b);
            }
        }
        return new long[] {n, hash};
    }

    private static long hashOf(RecordBatch b) {
        long h = 0;
        for (Record r : b.records()) {
            h += r.hashCode();
        }
        return h;
    }

    private static void load(BenchContext ctx, Path file, Schema schema, int rows) throws Exception {
        TestDatabase db = ctx.database("bench_csv");
        DataSource ds = ctx.dataSource(db, 4);
        Series copy = ctx.series("COPY FROM STDIN (FORMAT csv)");
        Series mds = ctx.series("CsvSource + MergeLoader APPEND");
        MergeLoader loader = MergeLoader.into(ds, "bench.t").mode(SyncMode.APPEND).build();
        String checksum = null;
        for (int round = 0; round <= ctx.rounds(); round++) {
            BenchData.recreate8(ds, "bench.t");
            copy.time(round, () -> {
                try (Connection c = ds.getConnection(); InputStream in = Files.newInputStream(file)) {
                    c.setAutoCommit(false);
                    long n = c.unwrap(PGConnection.class).getCopyAPI()
                            .copyIn("copy bench.t from stdin (format csv, header true)", in);
                    c.commit();
                    return n;
                }
            });
            String afterCopy = BenchData.checksum(ds, "bench.t", rows);
            BenchData.recreate8(ds, "bench.t");
            mds.time(round, () -> {
                try (CsvSource csv = CsvSource.builder().path(file).schema(schema).chunkRows(CHUNK_ROWS)
                        .parallelism(2).build()) {
                    return loader.loadAll(csv.batches(), 2, dev.mds.core.ProgressListener.NONE);
                }
            });
            String afterMds = BenchData.checksum(ds, "bench.t", rows);
            if (!afterCopy.equals(afterMds) || (checksum != null && !checksum.equals(afterCopy))) {
                throw new AssertionError("COPY and CsvSource+APPEND loaded different data: " + afterCopy + " vs "
                        + afterMds);
            }
            checksum = afterCopy;
        }
        ctx.detail("table after each round: %s", checksum);
        ctx.detail("%s -> %.0f rows/s", copy.summary(), rows / copy.medianSeconds());
        ctx.detail("%s -> %.0f rows/s", mds.summary(), rows / mds.medianSeconds());
        ctx.ratio("file_to_table_vs_copy", copy.medianSeconds() / mds.medianSeconds(), ">=", 0.90);
    }


    private static void memory(BenchContext ctx, Path big, long rows) throws Exception {
        long t0 = System.nanoTime();
        long bytes = CsvBenchFile.write(big, rows);
        ctx.detail("generated %s: %d rows, %.1f MB in %.1f s", big.getFileName(), rows, bytes / 1048576.0,
                (System.nanoTime() - t0) / 1e9);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", MemoryProbe.class.getName(), big.toString(),
                String.valueOf(CHUNK_ROWS), "2").redirectErrorStream(true);
        Process p = pb.start();
        String out;
        try (InputStream in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("memory probe did not finish in 10 minutes");
        }
        String probe = out.lines().filter(l -> l.startsWith("PROBE")).findFirst().orElse(null);
        if (p.exitValue() != 0 || probe == null || !probe.contains("rows=" + rows + " ")) {
            throw new AssertionError("memory probe failed (exit " + p.exitValue() + "):\n" + out);
        }
        ctx.detail("child JVM -Xmx256m, CsvSource 2 threads, %d-row chunks, %.0f MB file: %s", CHUNK_ROWS,
                bytes / 1048576.0, probe.substring("PROBE ".length()));
    }
}
