package dev.mds.bench.suites;

import dev.mds.bench.BenchContext;
import dev.mds.bench.BenchSuite;
import dev.mds.bench.Series;
import dev.mds.quality.Bounds;
import dev.mds.quality.CheckResult;
import dev.mds.quality.QualityReport;
import dev.mds.quality.Status;
import dev.mds.quality.Threshold;
import dev.mds.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import javax.sql.DataSource;

/**
 * Data-quality checks on a settled 1M-row table (100k with {@code --quick}): ten cheap row-level checks through
 * mds-quality (one scan) against the same ten checks as ten separate queries (what dbt runs: one query per test,
 * one after the other), against a bare {@code select count(*)} (the floor), plus one not-null check alone and a
 * unique check on a text key. Every round checks that mds and the baseline counted the same failing rows.
 */
public final class QualitySuite implements BenchSuite {
    private static final String TABLE = "bench.t";

    /** The ten checks as dbt would run them: one query each, returning the failing count (or the value). */
    private static final List<String> SEPARATE = List.of(
            "select count(*) from bench.t where customer_id is null",
            "select count(*) from bench.t where currency is null",
            "select count(*) from bench.t where email is null",
            "select count(*) from bench.t where loaded_at is null",
            "select count(*) from bench.t where currency not in ('EUR', 'USD', 'GBP', 'CHF')",
            "select count(*) from bench.t where quantity < 1 or quantity > 100",
            "select extract(epoch from now() - max(loaded_at))::bigint from bench.t",   // freshness: age in seconds
            "select count(*) from bench.t",                                              // row count
            "select count(*) from bench.t where not (end_date >= start_date)",
            "select count(*) from bench.t where not (amount >= 0)");

    @Override
    public void run(BenchContext ctx) throws Exception {
        int rows = ctx.scale(1_000_000, 100_000);
        TestDatabase db = ctx.database("bench_quality");
        DataSource ds = ctx.dataSource(db, 2);
        create(ds, rows);

        List<String> separate = SEPARATE;

        // every row-level check tolerates 1% so that all pass and no samples are fetched: the bench times the checks
        Threshold tolerant = Threshold.percent(1);
        dev.mds.quality.QualitySuite ten = dev.mds.quality.QualitySuite.on(ds).table(TABLE, t -> t
                .notNull("customer_id", "currency", "email", "loaded_at").threshold(tolerant)
                .acceptedValues("currency", "EUR", "USD", "GBP", "CHF").threshold(tolerant)
                .range("quantity", 1, 100).threshold(tolerant)
                .freshness("loaded_at", Duration.ofDays(1))
                .rowCount(Bounds.atLeast(1))
                .expression("valid_dates", "end_date >= start_date").threshold(tolerant)
                .expression("amount_not_negative", "amount >= 0").threshold(tolerant));
        dev.mds.quality.QualitySuite one = dev.mds.quality.QualitySuite.on(ds)
                .table(TABLE, t -> t.notNull("customer_id").threshold(tolerant));
        dev.mds.quality.QualitySuite unique = dev.mds.quality.QualitySuite.on(ds).table(TABLE, t -> t.unique("code"));
        ctx.detail("mds single scan: %s", ten.sql().get(0).replace('\n', ' '));

        Series bare = ctx.series("bare select count(*)");
        Series oneCheck = ctx.series("mds: one not-null check");
        Series mds = ctx.series("mds: ten checks (one scan)");
        Series tenSeparate = ctx.series("ten separate queries (dbt style)");
        Series uniqueSeries = ctx.series(String.format(Locale.ROOT, "mds: unique on a %,d-row text key", rows));
        int tenQueries = 0;
        for (int round = 0; round <= ctx.rounds(); round++) {
            long n = bare.time(round, () -> single(ds, "select count(*) from bench.t"));
            if (n != rows) {
                throw new AssertionError("expected " + rows + " rows, counted " + n);
            }
            QualityReport r1 = oneCheck.time(round, one::run);
            QualityReport r10 = mds.time(round, ten::run);
            long[] base = tenSeparate.time(round, () -> {
                long[] out = new long[separate.size()];
                try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
                    for (int i = 0; i < out.length; i++) {
                        try (ResultSet rs = st.executeQuery(separate.get(i))) {
                            rs.next();
                            out[i] = rs.getLong(1);
                        }
                    }
                }
                return out;
            });
            QualityReport ru = uniqueSeries.time(round, unique::run);
            tenQueries = r10.queries();
            String summary = verify(rows, r1, r10, base, ru);
            if (round == ctx.rounds()) {
                ctx.detail("verified (mds = separate queries): %s", summary);
            }
        }
        ctx.detail("%s", bare.summary());
        ctx.detail("%s", oneCheck.summary());
        ctx.detail("%s (%d queries)", mds.summary(), tenQueries);
        ctx.detail("%s", tenSeparate.summary());
        ctx.detail("%s", uniqueSeries.summary());
        ctx.detail("mds ten checks vs one check: %.2fx", mds.medianSeconds() / oneCheck.medianSeconds());
        ctx.ratio("ten_separate_vs_mds", tenSeparate.medianSeconds() / mds.medianSeconds(), ">=", 2.50);
        ctx.ratio("ten_vs_scan", mds.medianSeconds() / bare.medianSeconds(), "<=", 4.00);
        if (ctx.quick()) {
            ctx.detail("quality.unique_1m_ms below is measured on %,d rows, not 1,000,000 (quick mode)", rows);
        }
        // printed as a ratio against 1000 ms: the value is the median time in seconds
        ctx.ratio("unique_1m_ms", uniqueSeries.medianSeconds() * 1000 / 1000.0, "<=", 1.00);
    }

    /** Checks that mds counted what the separate queries counted; returns a short summary. */
    private static String verify(int rows, QualityReport one, QualityReport ten, long[] base, QualityReport unique) {
        String[] ids = {"not_null_customer_id", "not_null_currency", "not_null_email", "not_null_loaded_at",
            "accepted_values_currency", "range_quantity", null, null, "valid_dates", "amount_not_negative"};
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == null) {
                continue;
            }
            CheckResult r = ten.check(TABLE, ids[i]).orElseThrow();
            if (r.failingRows() != base[i] || r.status() != Status.PASS) {
                throw new AssertionError(ids[i] + ": mds counted " + r.failingRows() + " (" + r.status() + "), separate query " + base[i]);
            }
            s.append(ids[i]).append('=').append(base[i]).append(' ');
        }
        if (base[7] != rows || ten.check(TABLE, "row_count").orElseThrow().checkedRows() != rows) {
            throw new AssertionError("row count differs: " + base[7] + " vs " + rows);
        }
        if (ten.check(TABLE, "freshness_loaded_at").orElseThrow().status() != Status.PASS || base[6] > 86_400) {
            throw new AssertionError("freshness differs: " + ten.check(TABLE, "freshness_loaded_at").orElseThrow());
        }
        if (one.checks().get(0).failingRows() != base[0]) {
            throw new AssertionError("one-check not_null differs: " + one.checks().get(0).failingRows() + " vs " + base[0]);
        }
        if (ten.queries() != 1 || !ten.passed()) {
            throw new AssertionError("ten checks should pass in one query: " + ten.toConsoleTable());
        }
        CheckResult u = unique.checks().get(0);
        if (u.status() != Status.PASS || u.checkedRows() != rows) {
            throw new AssertionError("unique check: " + u);
        }
        return s.append("rows=").append(rows).toString();
    }

    private static long single(DataSource ds, String sql) throws Exception {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * A settled table of {@code rows} rows with a few failing rows for every check (deterministic, from
     * generate_series): 0.1% NULL customer_id, 0.05% bad currency, 0.02% quantity 0, 0.01% end before start,
     * 0.03% negative amount, and a unique text key {@code code}.
     */
    private static void create(DataSource ds, int rows) throws Exception {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("create schema if not exists bench");
            st.execute("drop table if exists bench.t");
            st.execute("create table bench.t (id bigint primary key, code text, customer_id int, currency text,"
                    + " quantity int, amount numeric(12,2), email text, start_date date, end_date date, loaded_at timestamptz)");
            st.execute("insert into bench.t select g, 'TX-' || lpad(((g::bigint * 7919) % 1000003)::text, 8, '0'),"
                    + " case when g % 1000 = 0 then null else 1 + g % 5000 end,"
                    + " case when g % 2000 = 0 then 'XXX' else (array['EUR','USD','GBP','CHF'])[1 + g % 4] end,"
                    + " case when g % 5000 = 0 then 0 else 1 + g % 100 end,"
                    + " case when g % 3333 = 0 then -1 else ((g::bigint * 37) % 100000) / 100.0 end,"
                    + " 'user' || (g % 50000) || '@example.com',"
                    + " date '2024-01-01' + (g % 365),"
                    + " date '2024-01-01' + (g % 365) + (case when g % 10000 = 0 then -1 else g % 30 end),"
                    + " now() - make_interval(secs => g % 3600)"
                    + " from generate_series(1, " + rows + ") g");
            st.execute("vacuum analyze bench.t");
            st.execute("checkpoint");
        }
    }
}
