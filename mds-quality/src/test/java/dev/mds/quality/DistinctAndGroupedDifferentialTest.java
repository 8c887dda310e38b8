package dev.mds.quality;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import java.math.BigDecimal;
import java.math.MathContext;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Differential test of cardinality equality, unique value count, proportion of unique values and grouped freshness:
 * seeded random tables of one value type each (text, a case-insensitive ICU collation, char(n), numeric with 1 and 1.0,
 * float8 with NaN and -0, integer against bigint, uuid, date, boolean, jsonb; NULLs and duplicates; timestamps fresh,
 * stale, in the future, infinite and NULL), random bounds and where conditions; each check's outcome is compared with a
 * naive query written from its origin: dbt-utils' cardinality_equality (group by, except both ways), Great
 * Expectations' unique value count and proportion ({@code select distinct}, the non-NULL rows) and dbt-utils' recency
 * per group ({@code max(...) < now() - maxAge}, a group of only NULLs failing). Seeds:
 * {@code -Dmds.quality.diff.seed=<first>}, {@code -Dmds.quality.diff.seeds=<how many>}.
 */
@MdsPostgres
class DistinctAndGroupedDifferentialTest {
    private static final long FIRST_SEED = Long.getLong("mds.quality.diff.seed", 20_261_124L);
    private static final int SEEDS = Integer.getInteger("mds.quality.diff.seeds", 40);

    /** A value type: this table's column type, the other table's, and the values both draw from. */
    record Type(String here, String there, List<String> pool) {
    }

    private static List<Type> types(boolean icu) {
        List<Type> types = new ArrayList<>(List.of(
                new Type("text", "text", List.of("a", "A", "a ", "b", "ä", "", "O'Brien")),
                new Type("char(3)", "char(3)", List.of("a", "a  ", "A", "ab", " a")),
                new Type("numeric", "numeric", List.of("1", "1.0", "1.000000000000000000001", "-0.5", "NaN", "2")),
                new Type("float8", "float8", List.of("0", "-0", "0.1", "NaN", "Infinity", "3")),
                new Type("int", "bigint", List.of("-1", "0", "1", "2", "2147483647")),
                new Type("uuid", "uuid", List.of("00000000-0000-0000-0000-000000000001", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")),
                new Type("date", "date", List.of("2024-01-01", "2024-02-29", "2023-12-31")),
                new Type("boolean", "boolean", List.of("true", "false")),
                new Type("jsonb", "jsonb", List.of("{\"a\":1}", "{\"a\": 1}", "[]", "1", "1.0"))));
        if (icu) {
            types.add(new Type("text collate ci", "text collate ci", List.of("a", "A", "b", "B", "ä", "Ä")));
        }
        return types;
    }

    /** Ages of the timestamps, in minutes before now (negative: in the future), or a literal; null: NULL. */
    private static final String[] STAMPS = {"5", "30", "59", "61", "120", "100000", "-30", "'infinity'", "'-infinity'", null};

    @Test
    void randomTablesAgreeWithTheNaiveQueriesOfDbtUtilsAndGreatExpectations(DataSource ds) throws SQLException {
        boolean icu;
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("select exists (select 1 from pg_collation where collprovider = 'i')")) {
                rs.next();
                icu = rs.getBoolean(1);
            }
            if (icu) {
                st.execute("create collation ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false)");
            }
        }
        List<Type> types = types(icu);
        List<String> failures = new ArrayList<>();
        for (int s = 0; s < SEEDS; s++) {
            long seed = FIRST_SEED + s;
            try {
                failures.addAll(scenario(ds, seed, types.get((int) Math.floorMod(seed, (long) types.size())))
                        .stream().map(f -> "seed " + seed + ": " + f).toList());
            } catch (RuntimeException | SQLException e) {
                failures.add("seed " + seed + ": " + e);
            }
        }
        assertThat(failures).isEmpty();
    }

    private static String literal(String v) {
        return v == null ? "null" : "'" + v.replace("'", "''") + "'";
    }

    private static List<String> scenario(DataSource ds, long seed, Type type) throws SQLException {
        Random rnd = new Random(seed);
        String schema = "dd" + Long.toString(seed).replace('-', 'm');
        int rowsHere = rnd.nextInt(4) == 0 ? rnd.nextInt(2) : rnd.nextInt(25);
        int rowsThere = rnd.nextInt(25);
        String where = rnd.nextBoolean() ? null : "id % 3 <> 0";
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("create schema " + schema);
            st.execute("create table " + schema + ".t (id int primary key, v " + type.here() + ", g text, ts timestamptz)");
            st.execute("create table " + schema + ".o (id int primary key, w " + type.there() + ")");
            for (int i = 0; i < rowsHere; i++) {
                String v = rnd.nextInt(5) == 0 ? null : type.pool().get(rnd.nextInt(type.pool().size()));
                String g = rnd.nextInt(6) == 0 ? null : String.valueOf((char) ('a' + rnd.nextInt(4)));
                String stamp = STAMPS[rnd.nextInt(STAMPS.length)];
                String ts = stamp == null ? "null" : stamp.startsWith("'") ? stamp + "::timestamptz"
                        : "now() - interval '" + stamp + " minutes'";
                st.execute("insert into " + schema + ".t values (" + i + ", " + literal(v) + ", " + literal(g) + ", " + ts + ")");
            }
            for (int i = 0; i < rowsThere; i++) {
                String w = rnd.nextInt(5) == 0 ? null : type.pool().get(rnd.nextInt(type.pool().size()));
                st.execute("insert into " + schema + ".o values (" + i + ", " + literal(w) + ")");
            }
        }
        Long countMin = rnd.nextBoolean() ? null : (long) rnd.nextInt(5);
        Long countMax = countMin != null && rnd.nextBoolean() ? null : (long) (countMin == null ? 0 : countMin) + rnd.nextInt(4);
        BigDecimal[] steps = {BigDecimal.ZERO, new BigDecimal("0.25"), new BigDecimal("0.5"), new BigDecimal("0.75"),
                new BigDecimal("0.8"), BigDecimal.ONE};
        BigDecimal pMin = rnd.nextBoolean() ? null : steps[rnd.nextInt(3)];
        BigDecimal pMax = pMin != null && rnd.nextBoolean() ? null : steps[3 + rnd.nextInt(3)];
        String t = schema + ".t";
        QualityReport r = QualitySuite.on(ds).samples(0).table(t, x -> {
            if (where != null) {
                x.where(where);
            }
            x.cardinalityEquality("v", schema + ".o", "w")
                    .uniqueValueCount("v", countMin, countMax)
                    .proportionOfUniqueValues("v", pMin, pMax)
                    .freshness("ts", Duration.ofHours(1)).groupBy("g");
        }).run();
        List<String> out = new ArrayList<>();
        String filter = where == null ? "" : " where " + where;
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            // dbt-utils' cardinality_equality: the values of both differences (a value held on both sides counted once)
            long failing = scalar(st, "with a as (select v, count(*) as n from " + t + filter + " group by 1),"
                    + " b as (select w, count(*) as n from " + schema + ".o group by 1),"
                    + " x as ((select * from a except select * from b) union all (select * from b except select * from a))"
                    + " select count(*) from (select distinct v from x) d");
            long values = scalar(st, "select count(*) from (select v from " + t + filter + " union select w from " + schema
                    + ".o) u");
            CheckResult card = r.checks().get(0);
            expect(out, card, failing, values, failing > 0 ? Status.FAIL : Status.PASS);

            long distinct = scalar(st, "select count(*) from (select distinct v from " + t + filter + ") d where v is not null");
            long nonNull = scalar(st, "select count(v) from " + t + filter);
            long rows = scalar(st, "select count(*) from " + t + filter);
            boolean countOk = (countMin == null || distinct >= countMin) && (countMax == null || distinct <= countMax);
            expect(out, r.checks().get(1), 0, rows, countOk ? Status.PASS : Status.FAIL);
            BigDecimal p = nonNull == 0 ? BigDecimal.ZERO
                    : BigDecimal.valueOf(distinct).divide(BigDecimal.valueOf(nonNull), new MathContext(60));
            boolean pOk = (pMin == null || p.compareTo(pMin) >= 0) && (pMax == null || p.compareTo(pMax) <= 0);
            expect(out, r.checks().get(2), 0, rows, pOk ? Status.PASS : Status.FAIL);

            // dbt-utils' recency per group, a group of only NULLs failing; no rows at all fails
            long groups = scalar(st, "select count(*) from (select g from " + t + filter + " group by g) x");
            long stale = scalar(st, "select count(*) from (select g, max(ts) as m from " + t + filter + " group by g) x"
                    + " where m is null or m < now() - interval '1 hour'");
            expect(out, r.checks().get(3), stale, groups, stale > 0 || rows == 0 ? Status.FAIL : Status.PASS);
        }
        return out;
    }

    private static void expect(List<String> out, CheckResult r, long failing, long checked, Status status) {
        if (r.failingRows() != failing || r.checkedRows() != checked || r.status() != status) {
            out.add(r.id() + ": expected " + failing + " failing of " + checked + ", " + status + "; got " + r.failingRows()
                    + " of " + r.checkedRows() + ", " + r.status() + " (" + r.observed() + "; " + r.message() + ")");
        }
    }

    private static long scalar(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
