package dev.mds.transform;

import static dev.mds.transform.SnapshotDifferentialTest.quote;
import static dev.mds.transform.SnapshotDifferentialTest.seeds;
import static dev.mds.transform.SnapshotDifferentialTest.shown;
import static org.assertj.core.api.Assertions.fail;

import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestSql;
import dev.mds.transform.SnapshotDifferentialTest.V;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Differential tests of incremental models: seeded random batches of new rows (new keys, keys the table holds, NULLs,
 * values of several types, empty batches, a key twice or NULL, a column added or lost) written by delete+insert,
 * merge (all columns, merge_update_columns, merge_exclude_columns) or append, and after every run the whole table
 * compared with an in-memory reference written from dbt's strategies (README, Materializations). One more reads a
 * source through an {@code is_incremental()} filter on {@code max(ver)} of {@code {{ this }}}.
 *
 * <p>A failure names its seed; run it again with {@code -Dmds.diff.seed=<seed>}.
 */
@MdsPostgres
class IncrementalDifferentialTest {
    private static final AtomicInteger SCHEMAS = new AtomicInteger();
    private static final List<String> TEXTS = Arrays.asList("a", "b", "O'Brien", "Zoë", "", null);
    private static final List<String> NUMBERS = Arrays.asList("1.5", "1.50", "2", "-0.1", "1e3", null);
    /** jsonb input and how PostgreSQL prints it. */
    private static final List<String[]> JSONS = Arrays.asList(new String[] {"{\"b\":2,\"a\":1}", "{\"a\": 1, \"b\": 2}"},
            new String[] {"[1,2]", "[1, 2]"}, new String[] {"{\"a\": null}", "{\"a\": null}"}, null);

    /**
     * One model: {@code strategy} null for the default, {@code update}/{@code exclude} the merge's column configs,
     * {@code onSchemaChange} null for the default (fail), {@code filtered} reads a source through is_incremental().
     */
    record Config(String strategy, boolean keyed, boolean composite, List<String> update, List<String> exclude,
            String onSchemaChange, boolean filtered) {
        String sql(String schema) {
            List<String> c = new ArrayList<>(List.of("materialized='incremental'"));
            if (keyed) {
                c.add("unique_key=" + (composite ? "['k1', 'k2']" : "'id'"));
            }
            if (strategy != null) {
                c.add("incremental_strategy='" + strategy + "'");
            }
            if (!update.isEmpty()) {
                c.add("merge_update_columns=['" + String.join("', '", update) + "']");
            }
            if (!exclude.isEmpty()) {
                c.add("merge_exclude_columns=['" + String.join("', '", exclude) + "']");
            }
            if (onSchemaChange != null) {
                c.add("on_schema_change='" + onSchemaChange + "'");
            }
            String body = filtered ? "select * from " + schema + ".src\n{% if is_incremental() %}where ver > (select"
                    + " max(ver) from {{ this }}){% endif %}" : "select * from " + schema + ".batch";
            return "{{ config(" + String.join(", ", c) + ") }}\n" + body;
        }

        boolean merge() {
            return "merge".equals(strategy);
        }
    }

    @Test
    void deleteInsertByKey(DataSource ds) {
        for (long seed : seeds(101L, 102L, 103L)) {
            run(ds, seed, new Config(null, true, false, List.of(), List.of(), null, false), 12);
        }
    }

    @Test
    void deleteInsertByCompositeKeyIgnoringSchemaChanges(DataSource ds) {
        for (long seed : seeds(111L, 112L, 113L)) {
            run(ds, seed, new Config("delete+insert", true, true, List.of(), List.of(), "ignore", false), 12);
        }
    }

    @Test
    void mergeByKeyAppendingNewColumns(DataSource ds) {
        for (long seed : seeds(121L, 122L, 123L)) {
            run(ds, seed, new Config("merge", true, false, List.of(), List.of(), "append_new_columns", false), 12);
        }
    }

    @Test
    void mergeByCompositeKeyUpdatingSomeColumns(DataSource ds) {
        for (long seed : seeds(131L, 132L)) {
            run(ds, seed, new Config("merge", true, true, List.of("v", "n"), List.of(), null, false), 12);
        }
    }

    @Test
    void mergeExcludingAColumn(DataSource ds) {
        for (long seed : seeds(141L, 142L)) {
            run(ds, seed, new Config("merge", true, false, List.of(), List.of("first_seen"), "sync_all_columns", false), 12);
        }
    }

    @Test
    void appendWithoutKey(DataSource ds) {
        for (long seed : seeds(151L, 152L)) {
            run(ds, seed, new Config(null, false, false, List.of(), List.of(), "append_new_columns", false), 10);
        }
    }

    @Test
    void deleteInsertThroughAnIsIncrementalFilter(DataSource ds) {
        for (long seed : seeds(161L, 162L)) {
            run(ds, seed, new Config("delete+insert", true, true, List.of(), List.of(), null, true), 12);
        }
    }

    @Test
    void mergeThroughAnIsIncrementalFilter(DataSource ds) {
        for (long seed : seeds(171L)) {
            run(ds, seed, new Config("merge", true, false, List.of(), List.of(), null, true), 12);
        }
    }

    // ---------------------------------------------------------------- the reference

    static final class Model {
        final Config config;
        final List<String> keyColumns;
        /** The batch's (or source's) columns. */
        final List<String> batchColumns = new ArrayList<>();
        /** The table's columns. */
        final List<String> tableColumns = new ArrayList<>();
        final List<Map<String, V>> rows = new ArrayList<>();
        /** The filtered model's source, by key. */
        final Map<List<String>, Map<String, V>> source = new LinkedHashMap<>();

        Model(Config config) {
            this.config = config;
            keyColumns = config.composite ? List.of("k1", "k2") : List.of("id");
            batchColumns.addAll(keyColumns);
            batchColumns.addAll(List.of("v", "n", "b", "d", "j", "first_seen", "ver"));
        }

        List<String> key(Map<String, V> row) {
            List<String> k = new ArrayList<>();
            keyColumns.forEach(c -> k.add(row.getOrDefault(c, V.NULL).eq()));
            return k;
        }

        /** Writes a batch as dbt's strategy does; the first run builds the table from it. */
        void write(List<Map<String, V>> batch, boolean first) {
            if (first) {
                tableColumns.clear();
                tableColumns.addAll(batchColumns);
                rows.clear();
                batch.forEach(r -> rows.add(project(r)));
                return;
            }
            String osc = config.onSchemaChange == null ? "fail" : config.onSchemaChange;
            if (osc.equals("append_new_columns") || osc.equals("sync_all_columns")) {
                batchColumns.stream().filter(c -> !tableColumns.contains(c)).forEach(tableColumns::add);
            }
            if (osc.equals("sync_all_columns")) {
                tableColumns.retainAll(batchColumns);
                rows.forEach(r -> r.keySet().retainAll(batchColumns));
            }
            List<String> written = tableColumns.stream().filter(batchColumns::contains).toList();
            if (!config.keyed) {
                batch.forEach(r -> rows.add(project(r, written)));
            } else if (!config.merge()) {
                Set<List<String>> keys = new LinkedHashSet<>();
                batch.forEach(r -> keys.add(key(r)));
                rows.removeIf(r -> keys.contains(key(r)));
                batch.forEach(r -> rows.add(project(r, written)));
            } else {
                List<String> set = written.stream().filter(c -> !keyColumns.contains(c))
                        .filter(c -> config.update.isEmpty() || config.update.contains(c))
                        .filter(c -> !config.exclude.contains(c)).toList();
                for (Map<String, V> b : batch) {
                    boolean matched = false;
                    for (Map<String, V> r : rows) {
                        if (key(r).equals(key(b))) {
                            matched = true;
                            set.forEach(c -> r.put(c, b.getOrDefault(c, V.NULL)));
                        }
                    }
                    if (!matched) {
                        rows.add(project(b, written));
                    }
                }
            }
        }

        private Map<String, V> project(Map<String, V> r) {
            return project(r, tableColumns);
        }

        private Map<String, V> project(Map<String, V> r, List<String> written) {
            Map<String, V> out = new LinkedHashMap<>();
            tableColumns.forEach(c -> out.put(c, written.contains(c) ? r.getOrDefault(c, V.NULL) : V.NULL));
            return out;
        }

        List<String> expectedRows() {
            List<String> out = new ArrayList<>();
            for (Map<String, V> r : rows) {
                StringBuilder s = new StringBuilder();
                tableColumns.forEach(c -> s.append(c).append('=').append(shown(r.getOrDefault(c, V.NULL).text())).append(", "));
                out.add(s.toString());
            }
            Collections.sort(out);
            return out;
        }
    }

    // ---------------------------------------------------------------- random batches

    static final class Gen {
        final Random rnd;
        int nextId = 1;
        int ver;

        Gen(long seed) {
            rnd = new Random(seed);
        }

        <X> X pick(List<X> xs) {
            return xs.get(rnd.nextInt(xs.size()));
        }

        V value(String column) {
            switch (column) {
                case "v", "extra": {
                    String s = pick(TEXTS);
                    return s == null ? V.NULL : new V(quote(s), s, s);
                }
                case "n": {
                    String n = pick(NUMBERS);
                    return n == null ? V.NULL : new V(n + "::numeric", new BigDecimal(n).toPlainString()
                            .equals(n) ? n : new BigDecimal(n).toPlainString(), n);
                }
                case "b": {
                    int f = rnd.nextInt(3);
                    return f == 2 ? V.NULL : new V(f == 0 ? "true" : "false", f == 0 ? "true" : "false", "" + f);
                }
                case "d": {
                    if (rnd.nextInt(4) == 0) {
                        return V.NULL;
                    }
                    String d = "2024-0" + (1 + rnd.nextInt(9)) + "-1" + rnd.nextInt(10);
                    return new V("date " + quote(d), d, d);
                }
                case "j": {
                    String[] j = pick(JSONS);
                    return j == null ? V.NULL : new V(quote(j[0]) + "::jsonb", j[1], j[1]);
                }
                case "first_seen": {
                    String t = "2024-02-0" + (1 + rnd.nextInt(9)) + " 1" + rnd.nextInt(10) + ":00:00";
                    return new V("timestamp " + quote(t), t, t);
                }
                case "ver": {
                    ver++;
                    return new V(String.valueOf(ver), String.valueOf(ver), String.valueOf(ver));
                }
                default:
                    throw new IllegalArgumentException(column);
            }
        }

        List<String> newKey(Model m) {
            int n = nextId++;
            return m.config.composite ? List.of(pick(List.of("x", "y", "ü")), String.valueOf(n / 2)) : List.of(String.valueOf(n));
        }

        Map<String, V> row(Model m, List<String> key) {
            Map<String, V> r = new LinkedHashMap<>();
            for (int i = 0; i < key.size(); i++) {
                String k = key.get(i);
                r.put(m.keyColumns.get(i), k == null ? V.NULL
                        : new V(m.config.composite && i == 0 ? quote(k) : k, k, k));
            }
            for (String c : m.batchColumns) {
                if (!m.keyColumns.contains(c)) {
                    r.put(c, value(c));
                }
            }
            return r;
        }
    }

    void run(DataSource ds, long seed, Config config, int runs) {
        String schema = "id" + SCHEMAS.incrementAndGet();
        Gen g = new Gen(seed);
        Model m = new Model(config);
        List<String> log = new ArrayList<>();
        String keyDdl = config.composite ? "k1 text, k2 int" : "id int";
        String from = schema + (config.filtered ? ".src" : ".batch");
        TestSql.sql(ds, "create schema " + schema, "create table " + from + " (" + keyDdl
                + ", v text, n numeric, b boolean, d date, j jsonb, first_seen timestamp, ver int)");
        String model = config.sql(schema);
        String target = schema + "_inc.t";
        boolean schemaChanged = false;
        for (int run = 0; run < runs; run++) {
            if (!schemaChanged && run > 2 && config.onSchemaChange != null && g.rnd.nextInt(5) == 0) {
                schemaChanged = true;
                if (g.rnd.nextBoolean()) {
                    TestSql.sql(ds, "alter table " + from + " add column extra text");
                    m.batchColumns.add("extra");
                    log.add("add column extra");
                } else {
                    TestSql.sql(ds, "alter table " + from + " drop column b");
                    m.batchColumns.remove("b");
                    log.add("drop column b");
                }
            }
            List<Map<String, V>> batch;
            boolean refused = false;
            if (config.filtered) {
                batch = changeSource(ds, g, m, from, log, run == 0);
            } else {
                batch = new ArrayList<>();
                int size = run > 0 && g.rnd.nextInt(6) == 0 ? 0 : 1 + g.rnd.nextInt(5);
                List<List<String>> known = new ArrayList<>();
                m.rows.forEach(r -> known.add(keyOf(m, r)));
                Set<List<String>> used = new LinkedHashSet<>();
                for (int i = 0; i < size; i++) {
                    List<String> key = run > 0 && !known.isEmpty() && g.rnd.nextInt(2) == 0 ? g.pick(known) : g.newKey(m);
                    if (config.keyed && !used.add(key)) {
                        continue;
                    }
                    batch.add(g.row(m, key));
                }
                if (run > 0 && !batch.isEmpty() && g.rnd.nextInt(8) == 0) {
                    // a key twice, or a NULL in the key: refused when keyed, appended when not
                    List<String> key = new ArrayList<>(keyOf(m, batch.get(0)));
                    if (g.rnd.nextBoolean()) {
                        key.set(key.size() - 1, null);
                    }
                    batch.add(g.row(m, key));
                    refused = config.keyed;
                }
                List<String> inserts = new ArrayList<>();
                for (Map<String, V> r : batch) {
                    List<String> lits = new ArrayList<>();
                    m.batchColumns.forEach(c -> lits.add(r.get(c).literal()));
                    inserts.add("(" + String.join(", ", lits) + ")");
                }
                TestSql.sql(ds, "truncate " + from);
                if (!inserts.isEmpty()) {
                    TestSql.sql(ds, "insert into " + from + " (" + String.join(", ", m.batchColumns) + ") values "
                            + String.join(", ", inserts));
                }
                log.add("run " + run + " batch: " + batch.stream().map(SnapshotDifferentialTest::describe).toList());
            }
            List<String> before = run == 0 ? List.of() : actualRows(ds, target, m.tableColumns);
            RunResults r = TransformProject.builder(ds).model(target, model).build().run();
            ModelResult result = r.model(target);
            if (refused) {
                if (result.status() != ModelStatus.ERROR) {
                    fail(failure(seed, config, log, "run " + run + ": a duplicate or NULL key was not refused"));
                }
                if (!actualRows(ds, target, m.tableColumns).equals(before)) {
                    fail(failure(seed, config, log, "run " + run + ": the refused run changed the table"));
                }
                continue;
            }
            if (result.status() != ModelStatus.SUCCESS) {
                fail(failure(seed, config, log, "run " + run + " failed: " + result.error().orElse("?")));
            }
            m.write(batch, run == 0);
            List<String> columns = Db.columns(ds, target.split("\\.")[0], "t");
            if (!columns.equals(m.tableColumns)) {
                fail(failure(seed, config, log, "after run " + run + " the columns are " + columns + ", expected "
                        + m.tableColumns));
            }
            List<String> expected = m.expectedRows();
            List<String> actual = actualRows(ds, target, columns);
            if (!actual.equals(expected)) {
                List<String> missing = new ArrayList<>(expected);
                missing.removeAll(actual);
                List<String> extra = new ArrayList<>(actual);
                extra.removeAll(expected);
                fail(failure(seed, config, log, "after run " + run + " the table differs from the reference\nmissing:\n  "
                        + String.join("\n  ", missing) + "\nunexpected:\n  " + String.join("\n  ", extra)));
            }
            if (result.rows().orElse(-1) != batch.size()) {
                fail(failure(seed, config, log, "run " + run + " reports " + result.rows() + " rows for a batch of "
                        + batch.size()));
            }
        }
    }

    static List<String> keyOf(Model m, Map<String, V> row) {
        List<String> k = new ArrayList<>();
        m.keyColumns.forEach(c -> k.add(row.get(c).text()));
        return k;
    }

    /**
     * Changes the filtered model's source (inserts with a new ver, updates that raise ver or leave it, deletes) and
     * returns the rows the filter passes: all of them on the first run, else those with a ver above the table's.
     */
    List<Map<String, V>> changeSource(DataSource ds, Gen g, Model m, String src, List<String> log, boolean first) {
        int ops = first ? 3 + g.rnd.nextInt(4) : g.rnd.nextInt(4) == 0 ? 0 : 1 + g.rnd.nextInt(4);
        for (int i = 0; i < ops; i++) {
            int op = g.rnd.nextInt(6);
            if (op <= 1 || m.source.isEmpty()) {
                List<String> key;
                do {
                    key = g.newKey(m);
                } while (m.source.containsKey(key));
                Map<String, V> row = g.row(m, key);
                List<String> lits = new ArrayList<>();
                m.batchColumns.forEach(c -> lits.add(row.get(c).literal()));
                TestSql.sql(ds, "insert into " + src + " (" + String.join(", ", m.batchColumns) + ") values ("
                        + String.join(", ", lits) + ")");
                m.source.put(key, row);
                log.add("insert " + SnapshotDifferentialTest.describe(row));
            } else if (op == 2) {
                List<String> key = g.pick(new ArrayList<>(m.source.keySet()));
                TestSql.sql(ds, "delete from " + src + " where " + where(m, key));
                m.source.remove(key);
                log.add("delete " + key);
            } else {
                List<String> key = g.pick(new ArrayList<>(m.source.keySet()));
                Map<String, V> row = m.source.get(key);
                String c = g.pick(List.of("v", "n", "d", "j", "first_seen"));
                V v = g.value(c);
                row.put(c, v);
                String set = c + " = " + v.literal();
                if (op != 3) {   // else the change is not picked up: ver stays
                    V ver = g.value("ver");
                    row.put("ver", ver);
                    set += ", ver = " + ver.literal();
                }
                TestSql.sql(ds, "update " + src + " set " + set + " where " + where(m, key));
                log.add("update " + key + " set " + set);
            }
        }
        log.add(first ? "run (first)" : "run");
        int max = first ? Integer.MIN_VALUE : m.rows.stream().mapToInt(r -> Integer.parseInt(r.get("ver").text()))
                .max().orElse(Integer.MIN_VALUE);
        List<Map<String, V>> batch = new ArrayList<>();
        for (Map<String, V> row : m.source.values()) {
            if (first || max != Integer.MIN_VALUE && Integer.parseInt(row.get("ver").text()) > max) {
                batch.add(new LinkedHashMap<>(row));
            }
        }
        return batch;
    }

    static String where(Model m, List<String> key) {
        return m.config.composite ? "k1 = " + quote(key.get(0)) + " and k2 = " + key.get(1) : "id = " + key.get(0);
    }

    static String failure(long seed, Config config, List<String> log, String what) {
        List<String> tail = log.subList(Math.max(0, log.size() - 60), log.size());
        return "seed " + seed + " (" + config + "; run again with -Dmds.diff.seed=" + seed + "): " + what
                + "\nbatches:\n" + String.join("\n", tail);
    }

    static List<String> actualRows(DataSource ds, String table, List<String> columns) {
        List<String> rows = new ArrayList<>();
        StringBuilder select = new StringBuilder();
        for (String c : columns) {
            select.append(select.length() == 0 ? "" : ", ").append('"').append(c).append("\"::text");
        }
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("select " + select + " from " + table)) {
            while (rs.next()) {
                StringBuilder s = new StringBuilder();
                for (int i = 1; i <= columns.size(); i++) {
                    s.append(columns.get(i - 1)).append('=').append(shown(rs.getString(i))).append(", ");
                }
                rows.add(s.toString());
            }
        } catch (SQLException e) {
            throw new AssertionError(e.getMessage(), e);
        }
        Collections.sort(rows);
        return rows;
    }
}
