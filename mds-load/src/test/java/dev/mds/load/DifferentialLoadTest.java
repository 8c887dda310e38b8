package dev.mds.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.mds.core.Field;
import dev.mds.core.ProgressListener;
import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import dev.mds.core.Schema;
import dev.mds.load.DifferentialValues.Kind;
import dev.mds.load.DifferentialValues.V;
import dev.mds.testing.MdsPostgres;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Differential tests of the record modes (APPEND, OVERWRITE, MERGE with and without cursor): random, seeded
 * sequences of batches are loaded, and after every batch the whole target table is compared with an in-memory model
 * of what the mode's documentation ({@link SyncMode}, {@link MergeLoader.Builder#cursor}, the README) says it must
 * hold. Small key spaces make keys collide, within a batch and with the target; batches carry NULLs, empty batches,
 * values of many types (sometimes as another Java class, which takes the text COPY), columns in another order, a
 * subset of the table's columns, and new columns ({@link SchemaChange#ADD_COLUMNS}).
 *
 * <p>A failure names its seed; run it again with {@code -Dmds.diff.seed=<seed>} ({@code random} for a new one).
 */
@MdsPostgres
class DifferentialLoadTest {
    static final String TS_COL = "load_timestamp";

    /** The columns, in the order a model introduces them; the first ones are there from the first batch. */
    static final List<Col> COLUMNS = List.of(new Col("k1", Kind.TEXT), new Col("k2", Kind.INT), new Col("ver", Kind.LONG),
            new Col("s", Kind.TEXT), new Col("n", Kind.NUM), new Col("b", Kind.BOOL), new Col("tz", Kind.TSTZ),
            new Col("d", Kind.DBL), new Col("j", Kind.JSON), new Col("ts", Kind.TS), new Col("dt", Kind.DATE),
            new Col("u", Kind.UUID), new Col("arr", Kind.TEXTARR), new Col("by", Kind.BYTES), new Col("l", Kind.LONG),
            new Col("Mixed Case", Kind.TEXT));
    static final int INITIAL = 6;

    record Col(String name, Kind kind) {
    }

    static long[] seeds(long... defaults) {
        String p = System.getProperty("mds.diff.seed");
        if (p == null || p.isBlank()) {
            return defaults;
        }
        if (p.equals("random")) {
            return new long[] {new Random().nextLong()};
        }
        return new long[] {Long.parseLong(p)};
    }

    @Test
    void mergeWithoutCursorMatchesTheModel(DataSource ds) throws Exception {
        for (long seed : seeds(1L, 2L)) {
            run(ds, seed, SyncMode.MERGE, true, false, 120);
        }
    }

    @Test
    void mergeWithCursorMatchesTheModel(DataSource ds) throws Exception {
        for (long seed : seeds(3L, 4L)) {
            run(ds, seed, SyncMode.MERGE, true, true, 120);
        }
    }

    @Test
    void appendMatchesTheModel(DataSource ds) throws Exception {
        for (long seed : seeds(5L)) {
            run(ds, seed, SyncMode.APPEND, false, false, 60);
        }
    }

    @Test
    void overwriteMatchesTheModel(DataSource ds) throws Exception {
        for (long seed : seeds(6L)) {
            run(ds, seed, SyncMode.OVERWRITE, true, false, 50);
            run(ds, seed + 1000, SyncMode.OVERWRITE, false, false, 50);
        }
    }

    /** The model of one target table. */
    static final class Model {
        final SyncMode mode;
        final boolean keyed;
        final boolean cursor;
        final List<String> columns = new ArrayList<>();
        /** Keyed modes: the row of each key; APPEND and unkeyed OVERWRITE: the rows in any order. */
        final Map<String, Map<String, String>> byKey = new LinkedHashMap<>();
        final List<Map<String, String>> rows = new ArrayList<>();
        /** Keys (or, unkeyed, nothing) whose row the last batch inserted or changed. */
        final Set<String> touched = new LinkedHashSet<>();
        long inserted;
        long updated;
        long unchanged;

        Model(SyncMode mode, boolean keyed, boolean cursor) {
            this.mode = mode;
            this.keyed = keyed;
            this.cursor = cursor;
        }

        static String key(Map<String, String> row) {
            return row.get("k1") + "\u0001" + row.get("k2");
        }

        Kind kind(String col) {
            return COLUMNS.stream().filter(c -> c.name.equals(col)).findFirst().orElseThrow().kind;
        }

        /** Applies a batch given as rows of canonical values (a map holds exactly the batch's columns). */
        void apply(List<String> batchColumns, List<Map<String, String>> batch) {
            touched.clear();
            inserted = updated = unchanged = 0;
            if (!batch.isEmpty()) {
                for (String c : batchColumns) {
                    if (!columns.contains(c)) {
                        columns.add(c);
                    }
                }
            }
            List<Map<String, String>> collapsed = batch;
            if (keyed && mode != SyncMode.APPEND) {
                // duplicates of a key collapse: newest by cursor, a NULL cursor loses to any value, ties to the later
                LinkedHashMap<String, Map<String, String>> one = new LinkedHashMap<>();
                for (Map<String, String> r : batch) {
                    Map<String, String> prev = one.get(key(r));
                    if (prev == null || !cursor || newerOrEqual(r.get("ver"), prev.get("ver"))) {
                        one.put(key(r), r);
                    }
                }
                collapsed = new ArrayList<>(one.values());
            }
            switch (mode) {
                case APPEND -> {
                    for (Map<String, String> r : collapsed) {
                        rows.add(full(r));
                        inserted++;
                    }
                }
                case OVERWRITE -> {
                    byKey.clear();
                    rows.clear();
                    for (Map<String, String> r : collapsed) {
                        if (keyed) {
                            byKey.put(key(r), full(r));
                        } else {
                            rows.add(full(r));
                        }
                        inserted++;
                    }
                }
                case MERGE -> {
                    for (Map<String, String> r : collapsed) {
                        String k = key(r);
                        Map<String, String> t = byKey.get(k);
                        if (t == null) {
                            byKey.put(k, full(r));
                            touched.add(k);
                            inserted++;
                            continue;
                        }
                        // against the target: the newest cursor wins (a NULL cursor loses to any value, ties to the batch)
                        boolean newer = !cursor || newerOrEqual(r.get("ver"), t.get("ver"));
                        boolean differs = false;
                        for (String c : r.keySet()) {
                            if (!Objects.equals(DifferentialValues.eq(kind(c), r.get(c)),
                                    DifferentialValues.eq(kind(c), t.get(c)))) {
                                differs = true;
                            }
                        }
                        if (newer && differs) {
                            t.putAll(r);   // columns the batch lacks keep their values
                            touched.add(k);
                            updated++;
                        } else {
                            unchanged++;
                        }
                    }
                }
                default -> throw new AssertionError(mode);
            }
        }

        /** True when cursor value {@code a} (a later record's) wins over {@code b}. */
        static boolean newerOrEqual(String a, String b) {
            if (b == null) {
                return true;
            }
            if (a == null) {
                return false;
            }
            return Long.parseLong(a) >= Long.parseLong(b);
        }

        Map<String, String> full(Map<String, String> r) {
            Map<String, String> row = new HashMap<>();
            for (String c : columns) {
                row.put(c, r.get(c));
            }
            return row;
        }

        List<String> expected() {
            List<String> out = new ArrayList<>();
            for (Map<String, String> r : keyed && mode != SyncMode.APPEND ? byKey.values() : rows) {
                out.add(render(r, columns));
            }
            Collections.sort(out);
            return out;
        }
    }

    static String render(Map<String, String> row, List<String> columns) {
        Map<String, String> sorted = new TreeMap<>();
        for (String c : columns) {
            sorted.put(c, row.get(c) == null ? "NULL" : "<" + row.get(c) + ">");
        }
        return sorted.toString();
    }

    void run(DataSource ds, long seed, SyncMode mode, boolean keyed, boolean cursor, int batches) throws Exception {
        String table = "diff." + mode.name().toLowerCase() + (keyed ? "_k" : "") + (cursor ? "_c" : "") + "_"
                + Long.toUnsignedString(seed, 36);
        Random rnd = new Random(seed);
        MergeLoader.Builder b = MergeLoader.into(ds, table).mode(mode).loadTimestamp(TS_COL)
                .onSchemaChange(SchemaChange.ADD_COLUMNS);
        if (keyed) {
            b.key("k1", "k2");
        }
        if (cursor) {
            b.cursor("ver");
        }
        MergeLoader loader = b.build();
        Model model = new Model(mode, keyed, cursor);
        List<String> introduced = new ArrayList<>();
        for (int i = 0; i < INITIAL; i++) {
            introduced.add(COLUMNS.get(i).name);
        }
        String[] k1s = {"a", "A", "O'Brien", "ä", ""};
        Map<String, String> timestamps = new HashMap<>();
        List<String> log = new ArrayList<>();
        List<RecordBatch> all = new ArrayList<>();
        for (int n = 0; n < batches; n++) {
            // the batch's columns: the keys (and cursor) always, the others at random, sometimes a new one
            if (n > 0 && introduced.size() < COLUMNS.size() && rnd.nextInt(8) == 0) {
                introduced.add(COLUMNS.get(introduced.size()).name);
            }
            List<String> cols = new ArrayList<>();
            for (String c : introduced) {
                boolean always = c.equals("k1") || c.equals("k2") || (cursor && c.equals("ver"));
                if (always || n == 0 || rnd.nextInt(5) != 0) {
                    cols.add(c);
                }
            }
            if (rnd.nextInt(3) == 0) {
                Collections.shuffle(cols, rnd);
            }
            int size = n == 0 ? 1 + rnd.nextInt(8) : (rnd.nextInt(8) == 0 ? 0 : rnd.nextInt(10));
            if (size == 0 && n > 0) {
                cols.removeIf(c -> !model.columns.contains(c));   // an empty batch brings no new column
            }
            boolean loose = rnd.nextInt(4) == 0;
            Schema.Builder sb = Schema.builder();
            for (String c : cols) {
                Kind kind = model.kind(c);
                sb.add(keyed && (c.equals("k1") || c.equals("k2")) ? Field.required(c, kind.type) : Field.of(c, kind.type));
            }
            Schema schema = sb.build();
            List<Record> records = new ArrayList<>();
            List<Map<String, String>> canon = new ArrayList<>();
            for (int r = 0; r < size; r++) {
                Object[] values = new Object[cols.size()];
                Map<String, String> row = new HashMap<>();
                for (int i = 0; i < cols.size(); i++) {
                    String c = cols.get(i);
                    V v;
                    if (c.equals("k1")) {
                        String s = k1s[rnd.nextInt(k1s.length)];
                        v = new V(s, s);
                    } else if (c.equals("k2")) {
                        int k = 1 + rnd.nextInt(3);
                        v = new V(loose && rnd.nextBoolean() ? (rnd.nextBoolean() ? "0" + k : Integer.toString(k)) : (Object) k,
                                Integer.toString(k));
                    } else if (c.equals("ver")) {
                        long ver = rnd.nextInt(6);
                        v = rnd.nextInt(5) == 0 ? V.NULL : new V(loose && rnd.nextBoolean() ? Long.toString(ver) : (Object) ver,
                                Long.toString(ver));
                    } else {
                        v = rnd.nextInt(5) == 0 ? V.NULL : DifferentialValues.value(model.kind(c), rnd, loose);
                    }
                    values[i] = v.java();
                    row.put(c, v.canon());
                }
                records.add(Record.of(values));
                canon.add(row);
            }
            RecordBatch batch = RecordBatch.of(schema, records);
            all.add(batch);
            log.add("batch " + (n + 1) + " " + cols + ": " + canon);
            LoadResult result;
            try {
                result = loader.load(batch);
            } catch (RuntimeException e) {
                throw new AssertionError(failure(seed, mode, table, log, "the load threw " + e), e);
            }
            model.apply(cols, canon);
            check(ds, table, seed, model, log, result, timestamps);
        }
        if (mode != SyncMode.OVERWRITE) {
            // the same batches through loadAll, three at a time, end in the same table
            String again = table + "_all";
            MergeLoader.Builder ab = MergeLoader.into(ds, again).mode(mode).loadTimestamp(TS_COL)
                    .onSchemaChange(SchemaChange.ADD_COLUMNS);
            if (keyed) {
                ab.key("k1", "k2");
            }
            if (cursor) {
                ab.cursor("ver");
            }
            log.add("all " + batches + " batches again with loadAll(parallelism 3) into " + again);
            try {
                ab.build().loadAll(all.stream(), 3, ProgressListener.logging());
            } catch (RuntimeException e) {
                throw new AssertionError(failure(seed, mode, again, log, "loadAll threw " + e), e);
            }
            check(ds, again, seed, model, log, null, null);
        }
    }

    static String failure(long seed, SyncMode mode, String table, List<String> log, String what) {
        List<String> tail = log.subList(Math.max(0, log.size() - 6), log.size());
        try {
            java.nio.file.Files.write(java.nio.file.Path.of("target", "differential-" + seed + ".log"), log);
        } catch (java.io.IOException e) {
            // the tail below is enough
        }
        return "seed " + seed + " (" + mode + " into " + table + ", run again with -Dmds.diff.seed=" + seed + "): " + what
                + "\nlast batches (all in target/differential-" + seed + ".log):\n" + String.join("\n", tail);
    }

    static void check(DataSource ds, String table, long seed, Model model, List<String> log, LoadResult result,
            Map<String, String> timestamps) throws Exception {
        if (!DifferentialValues.exists(ds, table)) {
            if (!model.expected().isEmpty()) {
                fail(failure(seed, model.mode, table, log, "the table does not exist; expected " + model.expected()));
            }
            return;
        }
        List<String> tableColumns = new ArrayList<>(DifferentialValues.columns(ds, table));
        tableColumns.remove(TS_COL);
        if (!new LinkedHashSet<>(tableColumns).equals(new LinkedHashSet<>(model.columns))) {
            fail(failure(seed, model.mode, table, log, "columns " + tableColumns + ", expected " + model.columns));
        }
        List<Map<String, String>> rows = DifferentialValues.read(ds, table);
        List<String> actual = new ArrayList<>();
        for (Map<String, String> r : rows) {
            actual.add(render(r, model.columns));
            if (r.get(TS_COL) == null) {
                fail(failure(seed, model.mode, table, log, "load_timestamp is NULL in " + r));
            }
        }
        Collections.sort(actual);
        List<String> expected = model.expected();
        if (!actual.equals(expected)) {
            List<String> missing = new ArrayList<>(expected);
            missing.removeAll(actual);
            List<String> unexpected = new ArrayList<>(actual);
            unexpected.removeAll(expected);
            fail(failure(seed, model.mode, table, log, "the table differs from the model\nmissing:    " + missing
                    + "\nunexpected: " + unexpected + "\nresult: " + result));
        }
        if (result == null) {
            return;
        }
        if (model.mode == SyncMode.MERGE) {
            // load_timestamp moves on insert and real change only; the counts are exact
            Map<String, String> now = new HashMap<>();
            for (Map<String, String> r : rows) {
                String k = Model.key(r);
                now.put(k, r.get(TS_COL));
                String before = timestamps.get(k);
                if (model.touched.contains(k) ? before != null && before.equals(r.get(TS_COL)) : !Objects.equals(before, r.get(TS_COL))) {
                    fail(failure(seed, model.mode, table, log, "load_timestamp of key " + k + " was " + before + ", is "
                            + r.get(TS_COL) + "; the model " + (model.touched.contains(k) ? "changed" : "left") + " the row"));
                }
            }
            timestamps.clear();
            timestamps.putAll(now);
            assertThat(List.of(result.inserted(), result.updated(), result.unchanged()))
                    .as(failure(seed, model.mode, table, log, "inserted, updated, unchanged of " + result))
                    .containsExactly(model.inserted, model.updated, model.unchanged);
        } else {
            assertThat(result.inserted()).as(failure(seed, model.mode, table, log, "inserted of " + result))
                    .isEqualTo(model.inserted);
        }
    }
}
