package dev.mds.bench.suites;

import dev.mds.bench.BenchContext;
import dev.mds.bench.BenchData;
import dev.mds.bench.BenchSuite;
import dev.mds.bench.Series;
import dev.mds.core.Record;
import dev.mds.testing.TestDatabase;
import java.io.StringReader;
import java.sql.Connection;
import java.util.List;
import javax.sql.DataSource;
import org.postgresql.PGConnection;

/**
 * The reference rates every load figure is read against: raw {@code COPY FROM STDIN} and a batched JDBC
 * {@code INSERT} (prepared, {@code reWriteBatchedInserts}, one transaction) of the same rows into a logged
 * table with a primary key.
 */
public final class BaselineSuite implements BenchSuite {
    @Override
    public void run(BenchContext ctx) throws Exception {
        int rows = ctx.scale(1_000_000, 100_000);
        List<Record> data = BenchData.records8(1, rows + 1, 0);
        StringBuilder text = new StringBuilder(rows * 100);
        for (Record r : data) {
            BenchData.appendCopyText(text, r);
        }
        String copyText = text.toString();
        TestDatabase db = ctx.database("bench_baseline");
        DataSource ds = ctx.dataSource(db, 2, java.util.Map.of("reWriteBatchedInserts", "true"));
        Series copy = ctx.series("raw COPY (text)");
        Series insert = ctx.series("batched INSERT (rewrite, 1000/batch)");
        String checksum = null;
        for (int round = 0; round <= ctx.rounds(); round++) {
            BenchData.recreate8(ds, "bench.t");
            copy.time(round, () -> {
                try (Connection c = ds.getConnection()) {
                    c.setAutoCommit(false);
                    long n = c.unwrap(PGConnection.class).getCopyAPI()
                            .copyIn("copy bench.t from stdin", new StringReader(copyText));
                    c.commit();
                    return n;
                }
            });
            String afterCopy = BenchData.checksum(ds, "bench.t", rows);
            BenchData.recreate8(ds, "bench.t");
            insert.time(round, () -> {
                BenchData.batchedInsert(ds, "insert into bench.t values (?, ?, ?, ?, ?, ?, ?, ?)", data);
                return null;
            });
            String afterInsert = BenchData.checksum(ds, "bench.t", rows);
            if (!afterCopy.equals(afterInsert) || (checksum != null && !checksum.equals(afterCopy))) {
                throw new AssertionError("COPY and INSERT loaded different data: " + afterCopy + " vs " + afterInsert);
            }
            checksum = afterCopy;
        }
        ctx.detail("checksum of the loaded table: %s", checksum);
        ctx.detail("%s -> %.0f rows/s", copy.summary(), rows / copy.medianSeconds());
        ctx.detail("%s -> %.0f rows/s", insert.summary(), rows / insert.medianSeconds());
        ctx.ratio("copy_vs_batched_insert", insert.medianSeconds() / copy.medianSeconds(), ">=", 1.00);
    }

}
