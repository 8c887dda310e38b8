package dev.mds.bench.suites;

import dev.mds.bench.BenchContext;
import dev.mds.bench.BenchData;
import dev.mds.bench.BenchSuite;
import dev.mds.bench.Series;
import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import dev.mds.core.TableName;
import dev.mds.load.LoadResult;
import dev.mds.load.MergeLoader;
import dev.mds.load.SyncMode;
import dev.mds.testing.TestDatabase;
import java.io.StringReader;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.postgresql.PGConnection;

/**
 * mds-load against raw COPY and a batched JDBC upsert, on the 8-column shape of {@link BenchData}, into a logged
 * table with a primary key:
 * <ul>
 * <li>{@code insert_vs_copy}: N rows into an empty table; MergeLoader (MERGE mode) vs raw COPY.</li>
 * <li>{@code upsert50_vs_copy}: the table holds N rows (settled: VACUUM ANALYZE); a batch of N rows, half of them
 *     changed versions of existing keys, half new keys; MergeLoader vs raw COPY of N rows into an empty table.</li>
 * <li>{@code upsert50_vs_jdbc_upsert}: the same batch by batched {@code INSERT … ON CONFLICT DO UPDATE}
 *     ({@code reWriteBatchedInserts}, 1000 per batch, one transaction) vs MergeLoader.</li>
 * <li>{@code unchanged_vs_copy}: the same N rows again into the settled table; MergeLoader must update nothing: its
 *     result says 0 updated, and every row keeps its version ({@code ctid}, {@code xmin}), so no row was written.</li>
 * </ul>
 * Raw COPY sends PostgreSQL's default text format, rendered before the clock starts (so the baseline pays no
 * encoding); MergeLoader is timed from {@code load(batch)} with the records in memory to the returned result,
 * commit included, and encodes its rows as binary COPY, which the server parses faster than text: that choice is
 * part of mds's design (a binary raw COPY would be a stricter baseline than the "raw COPY").
 */
public final class LoadSuite implements BenchSuite {
    private static final String TABLE = "bench.t";

    @Override
    public void run(BenchContext ctx) throws Exception {
        int n = ctx.scale(1_000_000, 100_000);
        List<Record> base = BenchData.records8(1, n + 1, 0);
        List<Record> upsert = new ArrayList<>(BenchData.records8(n / 2 + 1, n + 1, 1));
        upsert.addAll(BenchData.records8(n + 1, n + n / 2 + 1, 0));
        RecordBatch baseBatch = RecordBatch.of(BenchData.schema8(), base);
        RecordBatch upsertBatch = RecordBatch.of(BenchData.schema8(), upsert);
        String baseText = copyText(base);

        TestDatabase db = ctx.database("bench_load");
        DataSource ds = ctx.dataSource(db, 2, Map.of("reWriteBatchedInserts", "true"));
        MergeLoader loader = MergeLoader.into(ds, TableName.of("bench", "t")).mode(SyncMode.MERGE).key("id").build();

        Series copy = ctx.series("raw COPY (text, N rows, empty table)");
        Series insert = ctx.series("MergeLoader, empty table");
        Series upsertMds = ctx.series("MergeLoader, upsert 50/50");
        Series upsertJdbc = ctx.series("JDBC INSERT ON CONFLICT, upsert 50/50");
        Series unchanged = ctx.series("MergeLoader, same rows again");

        String baseSum = null;
        String upsertSum = null;
        for (int round = 0; round <= ctx.rounds(); round++) {
            BenchData.recreate8(ds, TABLE);
            copy.time(round, () -> copyIn(ds, baseText));
            String afterCopy = BenchData.checksum(ds, TABLE, n);
            baseSum = check("raw COPY", baseSum, afterCopy);

            BenchData.recreate8(ds, TABLE);
            LoadResult ins = insert.time(round, () -> loader.load(baseBatch));
            expect(ins.inserted() == n, "insert: " + ins);
            check("MergeLoader insert", baseSum, BenchData.checksum(ds, TABLE, n));

            settle(ds, baseText);
            LoadResult up = upsertMds.time(round, () -> loader.load(upsertBatch));
            expect(up.inserted() == n / 2 && up.updated() == n / 2, "upsert: " + up);
            String afterMds = BenchData.checksum(ds, TABLE, n + n / 2);

            settle(ds, baseText);
            upsertJdbc.time(round, () -> jdbcUpsert(ds, upsert));
            String afterJdbc = BenchData.checksum(ds, TABLE, n + n / 2);
            upsertSum = check("JDBC upsert", upsertSum, afterJdbc);
            check("MergeLoader upsert vs JDBC upsert", afterJdbc, afterMds);

            settle(ds, baseText);
            String versionsBefore = rowVersions(ds);
            LoadResult same = unchanged.time(round, () -> loader.load(baseBatch));
            expect(same.updated() == 0 && same.inserted() == 0 && same.unchanged() == n, "unchanged: " + same);
            check("MergeLoader unchanged", baseSum, BenchData.checksum(ds, TABLE, n));
            // the table's own record of it, not only the loader's count: no row was written again
            check("MergeLoader unchanged rewrote rows (row versions, ctid and xmin)", versionsBefore, rowVersions(ds));
            if (round == 0) {
                ctx.detail("results: %s | %s | %s", ins, up, same);
            }
        }
        ctx.detail("checksums: base %s, after upsert %s", baseSum, upsertSum);
        for (Series s : List.of(copy, insert, upsertMds, upsertJdbc, unchanged)) {
            ctx.detail("%s -> %.0f rows/s", s.summary(), n / s.medianSeconds());
        }
        ctx.ratio("upsert50_vs_copy", copy.medianSeconds() / upsertMds.medianSeconds(), ">=", 0.50);
        ctx.ratio("insert_vs_copy", copy.medianSeconds() / insert.medianSeconds(), ">=", 0.80);
        ctx.ratio("unchanged_vs_copy", copy.medianSeconds() / unchanged.medianSeconds(), ">=", 1.00);
        ctx.ratio("upsert50_vs_jdbc_upsert", upsertJdbc.medianSeconds() / upsertMds.medianSeconds(), ">=", 1.50);
    }

    private static String copyText(List<Record> records) {
        StringBuilder s = new StringBuilder(records.size() * 110);
        for (Record r : records) {
            BenchData.appendCopyText(s, r);
        }
        return s.toString();
    }

    private static long copyIn(DataSource ds, String text) throws Exception {
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            long rows = c.unwrap(PGConnection.class).getCopyAPI().copyIn("copy " + TABLE + " from stdin", new StringReader(text));
            c.commit();
            return rows;
        }
    }

    private static Void jdbcUpsert(DataSource ds, List<Record> rows) throws Exception {
        String sql = "insert into " + TABLE + " values (?, ?, ?, ?, ?, ?, ?, ?) on conflict (id) do update set"
                + " name = excluded.name, amount = excluded.amount, booked_at = excluded.booked_at, paid = excluded.paid,"
                + " quantity = excluded.quantity, score = excluded.score, booked_on = excluded.booked_on";
        BenchData.batchedInsert(ds, sql, rows);
        return null;
    }

    /** The table holding the N base rows, vacuumed and analysed, checkpointed. */
    private static void settle(DataSource ds, String baseText) throws Exception {
        BenchData.recreate8(ds, TABLE);
        copyIn(ds, baseText);
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("vacuum analyze " + TABLE);
            st.execute("checkpoint");
        }
    }

    /**
     * Count and a checksum of every row's physical version ({@code ctid}, {@code xmin}): any update, even to the same
     * values, and any delete and re-insert give a row a new version, so an unchanged load must leave this as it was.
     */
    private static String rowVersions(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
             java.sql.ResultSet rs = st.executeQuery("select count(*), sum(hashtext((ctid, xmin)::text)::bigint) from " + TABLE)) {
            rs.next();
            return rs.getLong(1) + " row versions, checksum " + rs.getLong(2);
        }
    }

    private static String check(String what, String expected, String actual) {
        if (expected != null && !expected.equals(actual)) {
            throw new AssertionError(what + ": expected " + expected + " but found " + actual);
        }
        return actual;
    }

    private static void expect(boolean ok, String message) {
        if (!ok) {
            throw new AssertionError(message);
        }
    }
}
