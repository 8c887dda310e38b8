package dev.mds.quality;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Differential test: seeded random tables (text with case and trailing-blank variants, a case-insensitive ICU
 * collation, varchar(n), char(n), integers, numerics, float8 with NaN, infinities and -0, boolean, date, timestamp,
 * timestamptz, uuid, jsonb, text[], a composite type and domains; NULLs and duplicates) and random suites (every
 * row-level and table-level check but the row-count anomaly, random parameters, where() conditions, severities,
 * thresholds, warnIf / errorIf, table defaults, storeFailures, run() and run(connection) in a session of another
 * TimeZone) are run, and each check's outcome is compared with a naive query per check written from the documented
 * contract (as dbt runs one query per test): failing and checked rows, status, sample count and, with storeFailures,
 * the stored rows. Each suite runs twice, with the table changed in between (stored tables replaced or dropped).
 *
 * <p>Seeds: {@code -Dmds.quality.diff.seed=<first>} and {@code -Dmds.quality.diff.seeds=<how many>}; a failure names
 * the seed, and one seed alone reproduces it.
 */
@MdsPostgres
class DifferentialQualityTest {
    private static final long FIRST_SEED = Long.getLong("mds.quality.diff.seed", 20_250_601L);
    private static final int SEEDS = Integer.getInteger("mds.quality.diff.seeds", 40);
    private static final String[] ZONES = {"UTC", "America/St_Johns", "Asia/Kathmandu", "Pacific/Kiritimati", "America/Los_Angeles"};

    /** A column of the random table: its name, SQL type and the text of the values it draws from. */
    record Col(String name, String type, List<String> pool, String kind) {
    }

    private static List<Col> columns(boolean icu) {
        List<String> text = List.of("a", "A", "a ", "b", "B", "abc", "ABC", "x.y", "xy", "", "ä", "O'Brien");
        List<Col> cols = new ArrayList<>();
        cols.add(new Col("txt", "text", text, "text"));
        if (icu) {
            cols.add(new Col("ci", "text collate ci", text, "text"));
        }
        cols.add(new Col("vc", "varchar(5)", List.of("a", "A", "ab ", "abcde", "x", ""), "text"));
        cols.add(new Col("ch", "char(3)", List.of("a", "a  ", "A", "ab", "abc", " a"), "text"));
        cols.add(new Col("i", "int", List.of("-3", "-1", "0", "1", "2", "3", "5", "2147483647", "-2147483648"), "int"));
        cols.add(new Col("b", "bigint", List.of("-5", "-1", "0", "1", "3", "9223372036854775807", "-9223372036854775808"), "long"));
        cols.add(new Col("n2", "numeric(8,2)", List.of("1.00", "1.5", "-2.25", "0", "0.10", "999999.99", "1"), "decimal"));
        cols.add(new Col("nx", "numeric", List.of("1", "1.0", "1.000000000000000000001", "-0.5", "NaN", "Infinity", "-Infinity", "0.1"),
                "decimal"));
        cols.add(new Col("f", "float8", List.of("0", "-0", "0.1", "1e300", "-1.5", "NaN", "Infinity", "-Infinity", "3",
                "0.30000000000000004"), "double"));
        cols.add(new Col("bo", "boolean", List.of("true", "false"), "bool"));
        cols.add(new Col("d", "date", List.of("2024-01-01", "2024-06-15", "2023-12-31", "2024-02-29", "2025-03-01"), "date"));
        cols.add(new Col("ts", "timestamp", List.of("2024-06-01 00:00:00", "2024-06-01 23:30:00", "2024-01-03 02:00:00",
                "2025-02-28 12:00:00.5", "2023-12-31 23:59:59"), "ts"));
        cols.add(new Col("tz", "timestamptz", List.of("2024-06-01 00:00:00+00", "2024-06-01 00:00:00+05:30",
                "2024-01-03 02:00:00-03", "2025-02-28 12:00:00.5+00", "2024-01-02 23:30:00-08"), "tz"));
        cols.add(new Col("u", "uuid", List.of("00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000002",
                "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "ffffffff-ffff-ffff-ffff-ffffffffffff"), "uuid"));
        cols.add(new Col("j", "jsonb", List.of("{\"a\":1}", "{\"a\": 1}", "[]", "\"x\"", "null", "{\"b\":[1,2]}", "1", "1.0"), "other"));
        cols.add(new Col("arr", "text[]", List.of("{a,b}", "{}", "{NULL}", "{a,NULL}", "{A}", "{b,a}"), "other"));
        cols.add(new Col("pr", "pair", List.of("(1,a)", "(,)", "(1,)", "(2,b)", "(,a)"), "other"));
        cols.add(new Col("dm", "posint", List.of("0", "1", "2", "3", "5"), "int"));
        cols.add(new Col("dn", "amount", List.of("1.00", "2.50", "0", "10", "-1.25"), "decimal"));
        cols.add(new Col("dts", "stamp", List.of("2024-06-01 00:00:00", "2024-01-03 02:00:00", "2025-02-28 12:00:00",
                "2023-12-31 23:59:59"), "ts"));
        return cols;
    }

    /** Relationship pairs: child column, parent column of {@code p}. */
    private static final String[][] RELATIONSHIPS = {{"i", "pi"}, {"b", "pi"}, {"dm", "pi"}, {"txt", "ptxt"}, {"vc", "ptxt"},
        {"ch", "pch"}, {"ch", "ptxt"}, {"ci", "pci"}, {"ci", "ptxt"}, {"n2", "pn"}, {"nx", "pn"}, {"f", "pn"}, {"f", "pf"},
        {"d", "pd"}, {"u", "pu"}, {"pr", "ppr"}, {"tz", "ptz"}, {"ts", "ptz"}, {"d", "ptz"}, {"dn", "pn"}};

    private static final String[] WHERES = {"i > 0", "txt is not null", "id % 3 <> 0", "b between -2 and 3", "bo", "not bo",
        "d >= date '2024-02-01'", "f > 0", "u is not null and id > 5", "false", "true", "nx > 0", "ch = 'a'"};

    private static final String[] REGEXES = {"^a", "a$", "^a$", "b", "^[a-z]*$", "\\.", "^$", "^2024-0[1-3]", "1", "^-",
        "a ", "^ab $", "00:00:00\\+00$", "^\\{", "t", "^(1|2)", "e\\+", "^a  $", "^abc$", "abc", "^A", "0$", "^a $"};

    private static final String[] EXPRESSIONS = {"i >= 0", "txt <> 'a'", "f < 1", "b is null or b > -3", "length(vc) < 4",
        "d < date '2024-06-01'", "j ? 'a'", "cardinality(arr) > 0", "(pr).x > 0", "dm < 4", "bo", "id % 2 = 0", "ch = 'a'",
        "n2 > 1", "nx < 1", "ts > '2024-03-01'"};

    @Test
    void randomSuitesAgreeWithOneNaiveQueryPerCheck(DataSource ds) throws SQLException {
        boolean icu;
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("select exists (select 1 from pg_collation where collprovider = 'i')")) {
                rs.next();
                icu = rs.getBoolean(1);
            }
            st.execute("create type pair as (x int, y text)");
            st.execute("create domain posint as int check (value >= 0)");
            st.execute("create domain amount as numeric(10,2)");
            st.execute("create domain stamp as timestamp");
            if (icu) {
                st.execute("create collation ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false)");
            }
        }
        List<String> failures = new ArrayList<>();
        for (int s = 0; s < SEEDS; s++) {
            long seed = FIRST_SEED + s;
            try {
                List<String> found = new Scenario(ds, seed, icu).run();
                found.forEach(f -> failures.add("seed " + seed + ": " + f));
            } catch (RuntimeException | SQLException | AssertionError e) {
                throw new AssertionError("seed " + seed + " (rerun with -Dmds.quality.diff.seed=" + seed
                        + " -Dmds.quality.diff.seeds=1): " + e, e);
            }
        }
        assertThat(failures).as("disagreements (rerun one with -Dmds.quality.diff.seed=<seed> -Dmds.quality.diff.seeds=1)")
                .isEmpty();
    }

    /** A tolerance as this test reads the Threshold docs: a row count, or a percentage of all or of the non-NULL rows. */
    record Tol(long rows, BigDecimal pct, boolean nonNull, String shown) {
        static final Tol NONE = new Tol(0, null, false, "NONE");

        boolean exceeded(long failing, long checked, long nonNullRows, String kind) {
            if (pct == null) {
                return failing > rows;
            }
            long of = nonNull && !kind.equals("not_null") && !kind.equals("expression") ? nonNullRows : checked;
            if (of <= 0) {
                return false;
            }
            return BigDecimal.valueOf(failing).multiply(BigDecimal.valueOf(100)).compareTo(pct.multiply(BigDecimal.valueOf(of))) > 0;
        }
    }

    /** One declared check and what this test expects of it. */
    static final class Def {
        String kind;
        String id;
        String defaultId;
        List<String> cols = List.of();
        Severity severity;
        Tol warnIf;
        Tol errorIf;
        /** Naive SQL: the failing rows' text ({@code t::text}), or null for table-level checks. */
        String failingRowsSql;
        /** Naive SQL: the count of rows with no NULL in the checked column(s). */
        String nonNullSql;
        /** Unique: the number of duplicated keys. */
        String dupKeysSql;
        Consumer<TableChecks> declare;
        // table-level
        Bounds bounds;
        String statisticSql;
        BigDecimal min;
        BigDecimal max;
        String freshnessSql;
        Duration maxAge;
        boolean uniqueIndexed;
        /** An ERROR by contract, whatever the rows (matches under a nondeterministic collation). */
        boolean error;
    }

    /** One seed: a table, a parent, random suites run twice, compared check by check. */
    static final class Scenario {
        final DataSource ds;
        final long seed;
        final Random rnd;
        final boolean icu;
        final String schema;
        final String audit;
        final List<Col> cols;
        final List<String> out = new ArrayList<>();
        boolean pk;

        Scenario(DataSource ds, long seed, boolean icu) {
            this.ds = ds;
            this.seed = seed;
            this.rnd = new Random(seed);
            this.icu = icu;
            this.schema = "d" + Long.toString(seed, 36);
            this.audit = "f" + Long.toString(seed, 36);
            this.cols = columns(icu);
        }

        List<String> run() throws SQLException {
            try (Connection pooled = ds.getConnection()) {
                // the reference queries go to the pool's physical connection: HikariCP closes a connection on which a
                // statement failed with SQLSTATE 0A000 (feature not supported), which a naive query may meet
                Connection c = pooled.unwrap(Connection.class);
                createTables(c);
                List<TableCall> calls = new ArrayList<>();
                int n = 1 + rnd.nextInt(3);
                Set<String> ids = new HashSet<>();
                for (int k = 0; k < n; k++) {
                    calls.add(new TableCall(k, rnd.nextInt(3) == 0 ? null : WHERES[rnd.nextInt(WHERES.length)], ids));
                }
                boolean store = rnd.nextInt(10) < 6;
                int samples = rnd.nextInt(4) == 0 ? rnd.nextInt(3) : 5;
                for (int round = 0; round < 2; round++) {
                    if (round == 1) {
                        mutate(c);
                    }
                    // the expected outcome, and the thresholds picked near it, before the run
                    for (TableCall call : calls) {
                        call.prepare(c, round);
                    }
                    QualitySuite suite = QualitySuite.on(ds).samples(samples);
                    if (store) {
                        suite = suite.storeFailures(audit);
                    }
                    for (TableCall call : calls) {
                        suite = suite.table(schema + ".t", call::declare);
                    }
                    String zone = ZONES[rnd.nextInt(ZONES.length)];
                    QualityReport report;
                    String mode;
                    if (zone.equals("UTC") && rnd.nextBoolean()) {
                        mode = "run()";
                        report = suite.run();
                        expect(c, calls, report, store, samples, round, mode);
                    } else {
                        mode = "run(connection) in TimeZone " + zone;
                        pooled.setAutoCommit(false);
                        try (Statement st = pooled.createStatement()) {
                            st.execute("set local timezone = '" + zone + "'");
                        }
                        report = suite.run(pooled);
                        expect(c, calls, report, store, samples, round, mode);
                        pooled.commit();
                        pooled.setAutoCommit(true);
                    }
                }
            }
            return out;
        }

        private void createTables(Connection c) throws SQLException {
            pk = rnd.nextBoolean();
            StringBuilder ddl = new StringBuilder("create table " + schema + ".t (id int not null" + (pk ? " primary key" : ""));
            for (Col col : cols) {
                ddl.append(", ").append(col.name()).append(' ').append(col.type());
            }
            ddl.append(')');
            try (Statement st = c.createStatement()) {
                st.execute("create schema " + schema);
                st.execute("create schema " + audit);
                st.execute(ddl.toString());
                st.execute("create table " + schema + ".p (pi int, ptxt text" + (icu ? ", pci text collate ci" : "")
                        + ", pch char(3), pn numeric, pf float8, pd date, pu uuid, ppr pair, ptz timestamptz)");
            }
            insertRows(c, 1, 20 + rnd.nextInt(100));
            // the parent: a subset of each pool, a NULL, and duplicates
            String[][] parent = {{"pi", "i", "int"}, {"ptxt", "txt", "text"}, {"pci", "ci", "text"}, {"pch", "ch", "char(3)"},
                {"pn", "n2", "numeric"}, {"pf", "f", "float8"}, {"pd", "d", "date"}, {"pu", "u", "uuid"}, {"ppr", "pr", "pair"},
                {"ptz", "tz", "timestamptz"}};
            int rows = 8;
            List<String> names = new ArrayList<>();
            List<List<String>> values = new ArrayList<>();
            for (String[] p : parent) {
                Col from = cols.stream().filter(x -> x.name().equals(p[1])).findFirst().orElse(null);
                if (from == null) {
                    continue;
                }
                names.add(p[0]);
                List<String> pool = new ArrayList<>(from.pool());
                if (p[0].equals("pn")) {
                    pool = new ArrayList<>(List.of("1", "1.0", "0.1", "0.10000000000000000001", "-2.25", "0", "1.5", "2.50", "NaN"));
                }
                List<String> v = new ArrayList<>();
                for (int r = 0; r < rows; r++) {
                    v.add(rnd.nextInt(8) == 0 ? null : pool.get(rnd.nextInt(pool.size())));
                }
                values.add(v);
            }
            List<String> types = new ArrayList<>();
            for (String[] p : parent) {
                if (names.contains(p[0])) {
                    types.add(p[2]);
                }
            }
            String cast = "insert into " + schema + ".p (" + String.join(", ", names) + ") values ("
                    + types.stream().map(t -> "cast(? as " + t + ")").collect(Collectors.joining(", ")) + ")";
            try (PreparedStatement ps = c.prepareStatement(cast)) {
                for (int r = 0; r < rows; r++) {
                    for (int k = 0; k < names.size(); k++) {
                        ps.setString(k + 1, values.get(k).get(r));
                    }
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        }

        private void insertRows(Connection c, int firstId, int count) throws SQLException {
            StringBuilder sql = new StringBuilder("insert into " + schema + ".t (id");
            StringBuilder vals = new StringBuilder(" values (?");
            for (Col col : cols) {
                sql.append(", ").append(col.name());
                vals.append(", cast(? as ").append(col.type().replace(" collate ci", "")).append(')');
            }
            try (PreparedStatement ps = c.prepareStatement(sql + ")" + vals + ")")) {
                for (int r = 0; r < count; r++) {
                    ps.setInt(1, firstId + r);
                    int k = 2;
                    for (Col col : cols) {
                        List<String> pool = col.pool();
                        // skewed: the first values of a pool are the most frequent (duplicates)
                        int idx = Math.min(pool.size() - 1, (int) Math.floor(Math.abs(rnd.nextGaussian()) * pool.size() / 2.0));
                        ps.setString(k++, rnd.nextInt(8) == 0 ? null : pool.get(idx));
                    }
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        }

        /** Deletes and updates some rows and adds new ones, between the two runs. */
        private void mutate(Connection c) throws SQLException {
            try (Statement st = c.createStatement()) {
                st.execute("delete from " + schema + ".t where (id * 7 + " + rnd.nextInt(5) + ") % 3 = 0");
                st.execute("update " + schema + ".t set txt = null, i = null where id % 5 = " + rnd.nextInt(5));
                st.execute("update " + schema + ".t set f = 'NaN', ch = 'zz' where id % 7 = " + rnd.nextInt(7));
            }
            insertRows(c, 1000, rnd.nextInt(20));
        }

        private String t() {
            return schema + ".t";
        }

        /** One table(...) call of the suite: a where() and random checks. */
        final class TableCall {
            final int index;
            final String where;
            final Set<String> ids;
            final List<Def> defs = new ArrayList<>();
            Severity defaultSeverity;
            Tol defaultWarn = Tol.NONE;
            Tol defaultError = Tol.NONE;
            Threshold defaultWarnT;
            Threshold defaultErrorT;
            Threshold defaultBothT;
            final int checks;
            long n;
            boolean whereFails;

            TableCall(int index, String where, Set<String> ids) {
                this.index = index;
                this.where = where;
                this.ids = ids;
                this.checks = 3 + rnd.nextInt(10);
            }

            String w() {
                return where == null ? "true" : "(" + where + ")";
            }

            /** Draws the checks (first round only: the same suite runs twice), with thresholds near the expected counts. */
            void prepare(Connection c, int round) throws SQLException {
                if (round > 0) {
                    return; // the same checks: expect() reads their outcome again from the changed table
                }
                try {
                    n = count(c, "select count(*) from " + t() + " t where " + w());
                } catch (SQLException e) {
                    whereFails = true;
                }
                int pick = rnd.nextInt(6);
                if (pick == 0) {
                    defaultSeverity = Severity.WARN;
                } else if (pick == 1) {
                    defaultBothT = Threshold.rows(rnd.nextInt(5));
                    defaultWarn = new Tol(defaultBothT.maxRows(), null, false, "rows");
                    defaultError = defaultWarn;
                } else if (pick == 2) {
                    defaultWarnT = Threshold.percent(10);
                    defaultWarn = new Tol(-1, new BigDecimal("10"), false, "percent(10)");
                    defaultErrorT = Threshold.mostly(0.5);
                    defaultError = new Tol(-1, new BigDecimal("50.0"), true, "mostly(0.5)");
                }
                for (int k = 0; k < checks; k++) {
                    Def d = draw(c);
                    if (d != null) {
                        defs.add(d);
                    }
                }
                if (defs.isEmpty()) {
                    Def d = new Def();
                    d.kind = "row_count";
                    d.id = uniqueId("row_count");
                    d.bounds = Bounds.atLeast(0);
                    d.declare = tc -> tc.rowCount(d.bounds);
                    tableLevel(d);
                    defs.add(d);
                }
            }

            void declare(TableChecks tc) {
                if (defaultSeverity != null) {
                    tc.severity(defaultSeverity);
                }
                if (defaultBothT != null) {
                    tc.threshold(defaultBothT);
                }
                if (defaultWarnT != null) {
                    tc.warnIf(defaultWarnT);
                }
                if (defaultErrorT != null) {
                    tc.errorIf(defaultErrorT);
                }
                if (where != null && rnd.nextBoolean()) {
                    tc.where(where);
                }
                for (Def d : defs) {
                    d.declare.accept(tc);
                }
                if (where != null) {
                    try {
                        tc.where(where);
                    } catch (IllegalStateException already) {
                        // given before the checks this time
                    }
                }
            }

            private String uniqueId(String wanted) {
                String id = wanted;
                int k = 2;
                while (!ids.add(id)) {
                    id = wanted + "_" + k++;
                }
                return id;
            }

            private Col col(String... kinds) {
                List<Col> fit = cols.stream().filter(x -> kinds.length == 0 || List.of(kinds).contains(x.kind())).toList();
                return fit.get(rnd.nextInt(fit.size()));
            }

            /** A random check, its naive queries and its declaration. */
            private Def draw(Connection c) throws SQLException {
                Def d = new Def();
                int kind = rnd.nextInt(100);
                String tw = t() + " t where " + w();
                if (kind < 14) {
                    Col x = col();
                    d.kind = "not_null";
                    d.cols = List.of(x.name());
                    d.failingRowsSql = "select t::text from " + tw + " and t." + x.name() + " is not distinct from null";
                    String id = declaredId(d, "not_null_" + x.name());
                    d.declare = tc -> named(tc.notNull(x.name()), d, id);
                } else if (kind < 28) {
                    List<String> key = new ArrayList<>();
                    int size = 1 + rnd.nextInt(3);
                    for (int k = 0; k < size; k++) {
                        String name = rnd.nextInt(4) == 0 ? "id" : col().name();
                        if (!key.contains(name)) {
                            key.add(name);
                        }
                    }
                    d.kind = "unique";
                    d.cols = List.copyOf(key);
                    d.uniqueIndexed = pk && key.contains("id");
                    String cs = key.stream().map(k -> "t." + k).collect(Collectors.joining(", "));
                    // which keys are compared (nullKeys): the rows kept here; the window and the grouping below put
                    // NULLs together, as dbt-utils' GROUP BY does
                    NullKeys nulls = NullKeys.values()[rnd.nextInt(NullKeys.values().length)];
                    String complete = switch (nulls) {
                        case SKIPPED_IF_ANY_NULL -> key.stream().map(k -> "t." + k + " is distinct from null")
                                .collect(Collectors.joining(" and "));
                        case SKIPPED_IF_ALL_NULL -> key.stream().map(k -> "t." + k + " is distinct from null")
                                .collect(Collectors.joining(" or ", "(", ")"));
                        case COMPARED -> "true";
                    };
                    // a window over the key partitions as a grouping does (an independent formulation of "shared")
                    d.failingRowsSql = "select x from (select t::text as x, count(*) over (partition by " + cs + ") as c from " + tw
                            + " and " + complete + ") s where c > 1";
                    d.dupKeysSql = "select count(*) from (select 1 from " + tw + " and " + complete + " group by " + cs
                            + " having count(*) > 1) g";
                    d.nonNullSql = "select count(*) from " + tw + " and " + complete;
                    String id = declaredId(d, "unique_" + String.join("_", key));
                    boolean explicit = nulls != NullKeys.SKIPPED_IF_ANY_NULL || rnd.nextBoolean();
                    d.declare = tc -> named(explicit ? tc.unique(key.toArray(String[]::new)).nullKeys(nulls)
                            : tc.unique(key.toArray(String[]::new)), d, id);
                } else if (kind < 42) {
                    Col x = col("text", "int", "long", "decimal", "double", "bool", "date", "ts", "tz", "uuid", "other");
                    List<Object> values = new ArrayList<>();
                    int size = 1 + rnd.nextInt(11);
                    for (int k = 0; k < size; k++) {
                        values.add(rnd.nextInt(6) == 0 ? missingValue(x) : javaValue(x, x.pool().get(rnd.nextInt(x.pool().size()))));
                    }
                    d.kind = "accepted_values";
                    d.cols = List.of(x.name());
                    String list = values.stream().map(v -> literal(v, x)).collect(Collectors.joining(", "));
                    d.failingRowsSql = "select t::text from " + tw + " and t." + x.name() + " is distinct from null and t." + x.name()
                            + " not in (" + list + ")";
                    d.nonNullSql = "select count(*) from " + tw + " and t." + x.name() + " is distinct from null";
                    String id = declaredId(d, "accepted_values_" + x.name());
                    d.declare = tc -> named(tc.acceptedValues(x.name(), values.toArray()), d, id);
                } else if (kind < 54) {
                    Col x = col("text", "int", "long", "decimal", "double", "date", "ts", "tz");
                    Object lo = rnd.nextInt(3) == 0 ? null : bound(x);
                    Object hi = lo != null && rnd.nextInt(3) == 0 ? null : bound(x);
                    d.kind = "range";
                    d.cols = List.of(x.name());
                    List<String> or = new ArrayList<>();
                    if (lo != null) {
                        or.add("t." + x.name() + " < " + boundLiteral(lo, x));
                    }
                    if (hi != null) {
                        or.add("t." + x.name() + " > " + boundLiteral(hi, x));
                    }
                    d.failingRowsSql = "select t::text from " + tw + " and (" + String.join(" or ", or) + ")";
                    d.nonNullSql = "select count(*) from " + tw + " and t." + x.name() + " is distinct from null";
                    String id = declaredId(d, "range_" + x.name());
                    d.declare = tc -> named(tc.range(x.name(), lo, hi), d, id);
                } else if (kind < 64) {
                    Col x = col();
                    String regex = REGEXES[rnd.nextInt(REGEXES.length)];
                    d.kind = "matches";
                    d.cols = List.of(x.name());
                    // text types are matched as they are (char(n) with its blanks); others as their text, a
                    // timestamptz as a UTC session prints it
                    boolean textual = x.type().equals("text") || x.type().startsWith("text collate") || x.type().startsWith("varchar") || x.type().startsWith("char");
                    String value = textual ? "t." + x.name() : "t." + x.name() + "::text";
                    if (x.kind().equals("tz")) {
                        value = "to_char(t." + x.name() + " at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS')"
                                + " || coalesce(nullif(rtrim(to_char(t." + x.name() + " at time zone 'UTC', '.US'), '0'), '.'), '')"
                                + " || '+00'";
                    }
                    d.failingRowsSql = "select t::text from " + tw + " and t." + x.name() + " is distinct from null and not (" + value
                            + " ~ " + sqlString(regex) + ")";
                    d.nonNullSql = "select count(*) from " + tw + " and t." + x.name() + " is distinct from null";
                    // documented: an ERROR without running, also where PostgreSQL would not meet a row to refuse
                    d.error = x.type().contains("collate ci");
                    String id = declaredId(d, "matches_" + x.name());
                    d.declare = tc -> named(tc.matches(x.name(), regex), d, id);
                } else if (kind < 72) {
                    String e = EXPRESSIONS[rnd.nextInt(EXPRESSIONS.length)];
                    d.kind = "expression";
                    d.failingRowsSql = "select t::text from " + tw + " and not (" + e + ")";
                    String id = declaredId(d, "expr");
                    d.declare = tc -> named(tc.expression(id, e), d, id);
                    d.id = id;
                } else if (kind < 82) {
                    String[] rel = RELATIONSHIPS[rnd.nextInt(RELATIONSHIPS.length)];
                    if (!icu && rel[0].equals("ci")) {
                        return null;
                    }
                    d.kind = "relationships";
                    d.cols = List.of(rel[0]);
                    d.failingRowsSql = "select t::text from " + tw + " and t." + rel[0] + " is distinct from null and not exists"
                            + " (select 1 from " + schema + ".p where p." + rel[1] + " = t." + rel[0] + ")";
                    d.nonNullSql = "select count(*) from " + tw + " and t." + rel[0] + " is distinct from null";
                    String id = declaredId(d, "relationships_" + rel[0]);
                    d.declare = tc -> named(tc.relationships(rel[0], schema + ".p", rel[1]), d, id);
                } else if (kind < 88) {
                    d.kind = "row_count";
                    long m = Math.max(0, n + rnd.nextInt(5) - 2);
                    d.bounds = switch (rnd.nextInt(4)) {
                        case 0 -> Bounds.exactly(m);
                        case 1 -> Bounds.atLeast(m);
                        case 2 -> Bounds.atMost(m);
                        default -> Bounds.between(m, m + rnd.nextInt(3));
                    };
                    String id = declaredId(d, "row_count");
                    d.declare = tc -> named(tc.rowCount(d.bounds), d, id);
                    tableLevel(d);
                    return d;
                } else if (kind < 93) {
                    Col x = col("date", "ts", "tz");
                    d.kind = "freshness";
                    d.cols = List.of(x.name());
                    String newest = switch (x.kind()) {
                        case "tz" -> "max(t." + x.name() + ")";
                        case "ts" -> "max(t." + x.name() + ")::timestamp at time zone 'UTC'";
                        default -> "max(t." + x.name() + ")::timestamp at time zone 'UTC'";
                    };
                    d.freshnessSql = "select extract(epoch from now() - " + newest + ")::float8 from " + tw;
                    d.maxAge = Duration.ofHours(1 + rnd.nextInt(24 * 900));
                    String id = declaredId(d, "freshness_" + x.name());
                    d.declare = tc -> named(tc.freshness(x.name(), d.maxAge), d, id);
                    tableLevel(d);
                    return d;
                } else {
                    Col x = col("int", "long", "decimal", "double");
                    Statistic stat = Statistic.values()[rnd.nextInt(Statistic.values().length)];
                    d.kind = "statistic";
                    d.cols = List.of(x.name());
                    String sorted = "(array_agg(t." + x.name() + " order by t." + x.name() + ") filter (where t." + x.name()
                            + " is not null))";
                    // the median another way: the middle element(s) of the sorted non-NULL values
                    d.statisticSql = stat == Statistic.MEDIAN
                            ? "select ((" + sorted + "[(count(t." + x.name() + ") + 1) / 2] + " + sorted + "[(count(t." + x.name()
                                    + ") + 2) / 2]) / 2.0)::text from " + tw
                            : "select " + stat.aggregate() + "(t." + x.name() + ")::text from " + tw;
                    String v;
                    try {
                        v = whereFails ? null : stringOrNull(c, d.statisticSql);
                    } catch (SQLException e) {
                        v = null; // an overflow (sum of 1e300s): expected ERROR
                    }
                    BigDecimal[] b = statBounds(v);
                    d.min = b[0];
                    d.max = b[1];
                    Number lo = asNumber(d.min);
                    Number hi = asNumber(d.max);
                    String id = declaredId(d, stat.label() + "_" + x.name());
                    d.declare = tc -> named(tc.statistic(stat, x.name(), lo, hi), d, id);
                    tableLevel(d);
                    return d;
                }
                rowLevel(c, d);
                return d;
            }

            private String declaredId(Def d, String wanted) {
                d.defaultId = wanted;
                d.id = uniqueId(wanted);
                return d.id;
            }

            /** The check's id (the default, or an id() call) and its severity. */
            private TableChecks named(TableChecks tc, Def d, String id) {
                String dflt = d.kind.equals("expression") ? id : d.defaultId; // an expression names itself
                TableChecks r = id.equals(dflt) ? tc : tc.id(id);
                if (d.severity != defaultSeverityOrError()) {
                    r.severity(d.severity);
                }
                return r;
            }

            private Severity defaultSeverityOrError() {
                return defaultSeverity == null ? Severity.ERROR : defaultSeverity;
            }

            private void tableLevel(Def d) {
                d.severity = rnd.nextInt(3) == 0 ? Severity.WARN : defaultSeverityOrError();
            }

            /** Severity and thresholds of a row-level check, some drawn near its expected count of failing rows. */
            private void rowLevel(Connection c, Def d) throws SQLException {
                d.severity = rnd.nextInt(3) == 0 ? (rnd.nextBoolean() ? Severity.WARN : Severity.ERROR) : defaultSeverityOrError();
                d.warnIf = defaultWarn;
                d.errorIf = defaultError;
                long failing = 0;
                long nonNull = 0;
                if (!whereFails) {
                    try {
                        failing = rowsOf(c, d.failingRowsSql).size();
                        nonNull = d.nonNullSql == null ? n : count(c, d.nonNullSql);
                    } catch (SQLException e) {
                        // an ERROR: any threshold
                    }
                }
                List<Consumer<TableChecks>> calls = new ArrayList<>();
                int shape = rnd.nextInt(6);
                if (shape == 1 || shape == 4) {
                    Object[] t = tol(failing, nonNull);
                    d.warnIf = (Tol) t[1];
                    d.errorIf = (Tol) t[1];
                    calls.add(tc -> tc.threshold(t[0] instanceof String x ? Threshold.parse(x) : (Threshold) t[0]));
                }
                if (shape == 2 || shape == 4) {
                    Object[] t = tol(failing, nonNull);
                    d.warnIf = (Tol) t[1];
                    calls.add(t[0] instanceof String s ? tc -> tc.warnIf(s) : tc -> tc.warnIf((Threshold) t[0]));
                }
                if (shape == 3 || shape == 4 || shape == 5) {
                    Object[] t = tol(failing, nonNull);
                    d.errorIf = (Tol) t[1];
                    calls.add(t[0] instanceof String s ? tc -> tc.errorIf(s) : tc -> tc.errorIf((Threshold) t[0]));
                }
                Consumer<TableChecks> first = d.declare;
                d.declare = tc -> {
                    first.accept(tc);
                    calls.forEach(x -> x.accept(tc));
                };
            }

            /** A threshold (a Threshold or a dbt condition) and this test's reading of it, near {@code failing}. */
            private Object[] tol(long failing, long nonNull) {
                long around = Math.max(0, failing + rnd.nextInt(3) - 1);
                switch (rnd.nextInt(7)) {
                    case 0:
                        return new Object[] {Threshold.rows(around), new Tol(around, null, false, "rows(" + around + ")")};
                    case 1:
                        return new Object[] {">" + around, new Tol(around, null, false, ">" + around)};
                    case 2: {
                        long k = around + 1;
                        return new Object[] {">= " + k, new Tol(k - 1, null, false, ">=" + k)};
                    }
                    case 3: {
                        double p = n == 0 ? 5 : Math.min(100, failing * 100.0 / n);
                        return new Object[] {Threshold.percent(p), new Tol(-1, new BigDecimal(Double.toString(p)), false, "percent(" + p + ")")};
                    }
                    case 4: {
                        double p = nonNull == 0 ? 0 : Math.min(100, failing * 100.0 / nonNull);
                        return new Object[] {Threshold.percentOfNonNull(p),
                            new Tol(-1, new BigDecimal(Double.toString(p)), true, "percentOfNonNull(" + p + ")")};
                    }
                    case 5: {
                        double[] fr = {0.5, 0.9, 0.95, 0.8, 1.0, 0.0};
                        double f = fr[rnd.nextInt(fr.length)];
                        BigDecimal pct = BigDecimal.ONE.subtract(new BigDecimal(Double.toString(f))).multiply(BigDecimal.valueOf(100));
                        return new Object[] {Threshold.mostly(f), new Tol(-1, pct, true, "mostly(" + f + ")")};
                    }
                    default:
                        return new Object[] {"!=0", new Tol(0, null, false, "!=0")};
                }
            }
        }

        /** The expected outcome of every check, read again now (after the run, in the run's snapshot when possible). */
        private void expect(Connection c, List<TableCall> calls, QualityReport report, boolean store, int samples, int round,
                String mode) throws SQLException {
            for (TableCall call : calls) {
                for (Def d : call.defs) {
                    String where = "round " + (round + 1) + ", " + mode + ", call " + call.index + " where(" + call.where + "), check "
                            + d.id + " [" + d.kind + " " + d.cols + " severity " + d.severity + " warnIf " + (d.warnIf == null ? "-"
                                    : d.warnIf.shown()) + " errorIf " + (d.errorIf == null ? "-" : d.errorIf.shown()) + "]";
                    CheckResult r = report.check(t(), d.id).orElse(null);
                    if (r == null) {
                        out.add(where + ": missing from the report");
                        continue;
                    }
                    try {
                        compare(c, call, d, r, store, samples, where);
                    } catch (SQLException e) {
                        out.add(where + ": reference failed unexpectedly: " + e.getMessage());
                    }
                }
            }
        }

        private void compare(Connection c, TableCall call, Def d, CheckResult r, boolean store, int samples, String where)
                throws SQLException {
            long n;
            try {
                n = count(c, "select count(*) from " + t() + " t where " + call.w());
            } catch (SQLException e) {
                if (r.status() != Status.ERROR) {
                    out.add(where + ": the where fails (" + e.getMessage() + ") but the check is " + r.status());
                }
                return;
            }
            if (d.error) {
                if (r.status() != Status.ERROR) {
                    out.add(where + ": expected ERROR, got " + r.status() + " " + r.observed());
                }
                return;
            }
            if (d.failingRowsSql != null) {
                List<String> failing;
                long nonNull;
                long dupKeys = 0;
                try {
                    failing = rowsOf(c, d.failingRowsSql);
                    nonNull = d.nonNullSql == null ? n : count(c, d.nonNullSql);
                    if (d.dupKeysSql != null) {
                        dupKeys = count(c, d.dupKeysSql);
                    }
                } catch (SQLException e) {
                    if (r.status() != Status.ERROR) {
                        out.add(where + ": the naive query fails (" + firstLine(e) + ") but the check is " + r.status() + " "
                                + r.observed());
                    }
                    return;
                }
                if (r.status() == Status.ERROR) {
                    out.add(where + ": ERROR " + r.message() + ", expected " + failing.size() + " failing of " + n);
                    return;
                }
                Status expected = d.severity == Severity.ERROR && d.errorIf.exceeded(failing.size(), n, nonNull, d.kind) ? Status.FAIL
                        : d.warnIf.exceeded(failing.size(), n, nonNull, d.kind) ? Status.WARN : Status.PASS;
                if (d.uniqueIndexed) {
                    if (r.status() != Status.PASS || r.failingRows() != 0 || failing.size() != 0) {
                        out.add(where + ": unique over a primary key: " + r.status() + " " + r.failingRows() + ", expected "
                                + failing.size());
                    }
                    return;
                }
                if (r.failingRows() != failing.size() || r.checkedRows() != n || r.status() != expected) {
                    out.add(where + ": got " + r.status() + " failing " + r.failingRows() + " of " + r.checkedRows()
                            + " (" + r.message() + "), expected " + expected + " failing " + failing.size() + " of " + n
                            + " (non-null " + nonNull + ")" + (System.getProperty("mds.quality.diff.sql") != null ? " SQL " + r.sql() : ""));
                }
                if (r.status() == Status.FAIL || r.status() == Status.WARN) {
                    long want = Math.min(samples, d.kind.equals("unique") ? dupKeys : failing.size());
                    if (r.samples().size() != want) {
                        out.add(where + ": " + r.samples().size() + " samples, expected " + want + " (" + r.message() + ")");
                    }
                }
                if (store) {
                    String table = audit + ".t__" + d.id;
                    boolean exists = count(c, "select count(*) from pg_class where oid = to_regclass('" + audit + ".\"t__" + d.id
                            + "\"')") > 0;
                    if (failing.isEmpty()) {
                        if (!r.failuresTable().isEmpty() || exists) {
                            out.add(where + ": no failing row, but a failures table " + r.failuresTable() + " exists: " + exists);
                        }
                    } else if (!r.failuresTable().equals(table)) {
                        out.add(where + ": failures table '" + r.failuresTable() + "', expected " + table + " (" + r.message() + ")");
                    } else {
                        List<String> stored = rowsOf(c, "select t::text from " + audit + ".\"t__" + d.id + "\" t");
                        List<String> want = new ArrayList<>(failing);
                        Collections.sort(want);
                        if (!stored.equals(want)) {
                            out.add(where + ": stored rows " + abbreviate(stored) + ", expected " + abbreviate(want));
                        }
                    }
                }
                return;
            }
            // table-level checks
            try {
                String q = d.statisticSql != null ? d.statisticSql : d.freshnessSql;
                if (q != null) {
                    stringOrNull(c, q);
                }
            } catch (SQLException e) {
                if (r.status() != Status.ERROR) {
                    out.add(where + ": the naive query fails (" + firstLine(e) + ") but the check is " + r.status() + " "
                            + r.observed());
                }
                return;
            }
            if (d.kind.equals("row_count")) {
                Status expected = d.bounds.contains(n) ? Status.PASS : fail(d);
                if (r.status() != expected || r.checkedRows() != n) {
                    out.add(where + ": got " + r.status() + " " + r.observed() + ", expected " + expected + " for " + n + " rows "
                            + d.bounds);
                }
            } else if (d.kind.equals("freshness")) {
                Double age = doubleOrNull(c, d.freshnessSql);
                double max = d.maxAge.getSeconds();
                if (age != null && Math.abs(age - max) < 120) {
                    return; // too near the boundary for two clocks
                }
                Status expected = age == null || age > max ? fail(d) : Status.PASS;
                if (r.status() != expected) {
                    out.add(where + ": got " + r.status() + " " + r.observed() + " " + r.message() + ", expected " + expected
                            + " for age " + age + " s, max " + d.maxAge);
                }
            } else if (d.kind.equals("statistic")) {
                String v = stringOrNull(c, d.statisticSql);
                boolean ok;
                if (v == null || v.equals("NaN")) {
                    ok = false;
                } else if (v.equals("Infinity") || v.equals("-Infinity")) {
                    ok = v.startsWith("-") ? d.min == null : d.max == null;
                } else {
                    BigDecimal x = new BigDecimal(v);
                    ok = (d.min == null || x.compareTo(d.min) >= 0) && (d.max == null || x.compareTo(d.max) <= 0);
                }
                Status expected = ok ? Status.PASS : fail(d);
                if (r.status() != expected) {
                    out.add(where + ": got " + r.status() + " " + r.observed() + " " + r.message() + ", expected " + expected
                            + " for " + v + " in [" + d.min + ", " + d.max + "]");
                }
            }
        }

        private static Status fail(Def d) {
            return d.severity == Severity.WARN ? Status.WARN : Status.FAIL;
        }

        /** A value of the column's pool as the Java object a caller would give. */
        private Object javaValue(Col x, String s) {
            return switch (x.kind()) {
                case "int" -> Integer.parseInt(s);
                case "long" -> Long.parseLong(s);
                case "decimal" -> s.matches("-?[0-9.]+") ? new BigDecimal(s) : s;
                case "double" -> rnd.nextBoolean() ? s : Double.parseDouble(s);
                case "bool" -> Boolean.parseBoolean(s);
                case "date" -> rnd.nextBoolean() ? LocalDate.parse(s) : s;
                case "ts" -> rnd.nextBoolean() ? LocalDateTime.parse(s.replace(' ', 'T')) : s;
                case "tz" -> {
                    OffsetDateTime o = OffsetDateTime.parse(s.replace(' ', 'T').replaceAll("([+-][0-9]{2})$", "$1:00"));
                    yield switch (rnd.nextInt(3)) {
                        case 0 -> o;
                        case 1 -> o.toInstant();
                        default -> o.withOffsetSameInstant(ZoneOffset.UTC).toLocalDateTime(); // UTC, as documented
                    };
                }
                case "uuid" -> UUID.fromString(s);
                default -> s;
            };
        }

        private Object missingValue(Col x) {
            return switch (x.kind()) {
                case "int" -> 42;
                case "long" -> 42L;
                case "decimal" -> new BigDecimal("4.20");
                case "double" -> 0.5;
                case "bool" -> false;
                case "date" -> LocalDate.of(2030, 1, 1);
                case "ts" -> LocalDateTime.of(2030, 1, 1, 0, 0);
                case "tz" -> Instant.parse("2030-01-01T00:00:00Z");
                case "uuid" -> UUID.fromString("00000000-0000-0000-0000-000000000009");
                case "other" -> x.name().equals("j") ? "{\"zz\": 0}" : x.name().equals("arr") ? "{zz}" : "(9,zz)";
                default -> "zz";
            };
        }

        /** A range bound: a number of several Java types, a java.time value or a string. */
        private Object bound(Col x) {
            Object v = javaValue(x, x.pool().get(rnd.nextInt(x.pool().size())));
            if (x.kind().equals("double") || x.kind().equals("decimal")) {
                String[] choices = {"0", "0.1", "1", "-1.5", "2", "0.30000000000000004", "1e300"};
                String s = choices[rnd.nextInt(choices.length)];
                return switch (rnd.nextInt(3)) {
                    case 0 -> new BigDecimal(s);
                    case 1 -> Double.parseDouble(s);
                    default -> s.contains(".") || s.contains("e") ? Double.valueOf(s) : (Object) Integer.parseInt(s);
                };
            }
            if (x.kind().equals("int") && rnd.nextBoolean()) {
                return rnd.nextBoolean() ? (Object) (long) (rnd.nextInt(7) - 3) : new BigDecimal(rnd.nextInt(7) - 3 + ".5");
            }
            if (v instanceof Double dd && !Double.isFinite(dd)) {
                return 1.5;
            }
            return v;
        }

        /** A bound written as the range doc says: numbers as numbers, the rest as a literal of the column's type. */
        private String boundLiteral(Object v, Col x) {
            if (v instanceof BigDecimal b) {
                return b.toPlainString();
            }
            if (v instanceof Integer || v instanceof Long) {
                return v.toString();
            }
            if (v instanceof Double dd) {
                return new BigDecimal(dd.toString()).toPlainString();
            }
            return literal(v, x);
        }

        /**
         * A value as the literal the docs describe: java.time values mean the same in every session (no zone is UTC
         * against a timestamptz; an offset is its UTC wall clock against a timestamp or date).
         */
        private String literal(Object v, Col x) {
            String s;
            if (x.kind().equals("tz") && v instanceof LocalDateTime l) {
                s = l.atOffset(ZoneOffset.UTC).toString();
            } else if (x.kind().equals("tz") && v instanceof LocalDate l) {
                s = l.atStartOfDay().atOffset(ZoneOffset.UTC).toString();
            } else if ((x.kind().equals("ts") || x.kind().equals("date")) && v instanceof OffsetDateTime o) {
                s = o.withOffsetSameInstant(ZoneOffset.UTC).toLocalDateTime().toString();
            } else if ((x.kind().equals("ts") || x.kind().equals("date")) && v instanceof Instant i) {
                s = LocalDateTime.ofInstant(i, ZoneOffset.UTC).toString();
            } else if (v instanceof BigDecimal b) {
                s = b.toPlainString();
            } else {
                s = String.valueOf(v);
            }
            // a composite type's literal names its type: PostgreSQL reads an untyped one met by a composite value as
            // an anonymous record (the doc: values are read in the column's type)
            return sqlString(s) + (x.name().equals("pr") ? "::pair" : "");
        }

        private BigDecimal[] statBounds(String v) {
            BigDecimal at = v == null || !v.matches("-?[0-9.eE+-]+") ? BigDecimal.valueOf(rnd.nextInt(5)) : new BigDecimal(v);
            BigDecimal eps = new BigDecimal("0.01");
            BigDecimal lo;
            BigDecimal hi;
            switch (rnd.nextInt(5)) {
                case 0 -> {
                    lo = at;
                    hi = at;
                }
                case 1 -> {
                    lo = at.add(eps);
                    hi = null;
                }
                case 2 -> {
                    lo = null;
                    hi = at.subtract(eps);
                }
                case 3 -> {
                    lo = at.subtract(eps);
                    hi = at.add(eps);
                }
                default -> {
                    lo = BigDecimal.valueOf(rnd.nextInt(5) - 2);
                    hi = rnd.nextBoolean() ? null : lo.add(BigDecimal.valueOf(rnd.nextInt(4)));
                }
            }
            return new BigDecimal[] {lo, hi};
        }

        private Number asNumber(BigDecimal b) {
            if (b == null) {
                return null;
            }
            if (rnd.nextBoolean()) {
                return b;
            }
            double dd = b.doubleValue();
            // a double only where it prints as this very decimal (the doc: a double is read as its shortest text)
            return new BigDecimal(Double.toString(dd)).compareTo(b) == 0 ? (Number) dd : b;
        }

        private static String sqlString(String s) {
            return "'" + s.replace("'", "''") + "'";
        }

        private static String abbreviate(List<String> rows) {
            return rows.size() <= 6 ? rows.toString() : rows.subList(0, 6) + "… (" + rows.size() + " rows)";
        }

        private static String firstLine(SQLException e) {
            String m = String.valueOf(e.getMessage());
            return m.contains("\n") ? m.substring(0, m.indexOf('\n')) : m;
        }
    }

    // ---- reference queries: each in a savepoint, so a failing one leaves the connection usable ----

    static long count(Connection c, String sql) throws SQLException {
        String v = stringOrNull(c, sql);
        return v == null ? 0 : Long.parseLong(v);
    }

    static Double doubleOrNull(Connection c, String sql) throws SQLException {
        String v = stringOrNull(c, sql);
        return v == null ? null : Double.parseDouble(v);
    }

    static String stringOrNull(Connection c, String sql) throws SQLException {
        List<String> rows = rowsOf(c, sql);
        return rows.isEmpty() ? null : rows.get(0);
    }

    /** The first column of every row, sorted (a multiset). */
    static List<String> rowsOf(Connection c, String sql) throws SQLException {
        Savepoint sp = c.getAutoCommit() ? null : c.setSavepoint();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            List<String> rows = new ArrayList<>();
            while (rs.next()) {
                rows.add(rs.getString(1));
            }
            if (sp != null) {
                c.releaseSavepoint(sp);
            }
            if (rows.size() > 1) {
                List<String> sorted = new ArrayList<>(rows);
                sorted.sort(java.util.Comparator.nullsFirst(java.util.Comparator.naturalOrder()));
                return sorted;
            }
            return rows;
        } catch (SQLException e) {
            if (sp != null) {
                c.rollback(sp);
            }
            throw new SQLException(e.getMessage() + " [" + sql + "]", e.getSQLState(), e);
        }
    }
}
