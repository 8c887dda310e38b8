package dev.mds.load;

import static org.assertj.core.api.Assertions.fail;

import dev.mds.core.ChangeBatch;
import dev.mds.core.ChangeEvent;
import dev.mds.core.EventPosition;
import dev.mds.core.JdbcStateStore;
import dev.mds.core.Record;
import dev.mds.core.Schema;
import dev.mds.core.StateStore;
import dev.mds.core.TableName;
import dev.mds.core.Unchanged;
import dev.mds.load.DifferentialValues.Kind;
import dev.mds.load.DifferentialValues.V;
import dev.mds.testing.MdsPostgres;
import java.sql.Connection;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Differential test of {@link SyncMode#CDC}: a simulated source table (a small key space) makes a random, seeded
 * history of transactions — inserts, updates (a TOASTed column sent as {@link Unchanged#VALUE} when untouched), deletes,
 * key changes (a delete of the old key and an insert of the new one, as logical decoding sends them), truncates,
 * columns added — with an initial snapshot and a re-snapshot after a lost slot (reads at {@code (0, C)} and
 * {@code SNAPSHOT_COMPLETE}). A connector delivers it in batches, commits its offset with each load through a
 * {@link StateStore} in the load's transaction, sometimes crashes before the commit and resumes from the stored
 * offset, sometimes restarts from an earlier point (replaying applied events, older than the rows), sometimes
 * delivers a batch out of order. After every batch the whole target (values and {@code _mds_commit},
 * {@code _mds_change}) must equal the source's state at the furthest delivered event, as {@link MergeLoader}'s
 * CDC contract says; a batch that only replays changes nothing.
 *
 * <p>A failure names its seed; run it again with {@code -Dmds.diff.seed=<seed>} ({@code random} for a new one).
 */
@MdsPostgres
class DifferentialCdcTest {
    static final TableName SRC = TableName.of("app", "items");
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    /** The source's columns, the key first; the last two are added while it runs. */
    static final List<DifferentialLoadTest.Col> COLUMNS = List.of(new DifferentialLoadTest.Col("tenant", Kind.TEXT),
            new DifferentialLoadTest.Col("id", Kind.INT),
            new DifferentialLoadTest.Col("name", Kind.TEXT), new DifferentialLoadTest.Col("amount", Kind.NUM),
            new DifferentialLoadTest.Col("at", Kind.TSTZ), new DifferentialLoadTest.Col("flag", Kind.BOOL),
            new DifferentialLoadTest.Col("doc", Kind.JSON), new DifferentialLoadTest.Col("tags", Kind.TEXTARR),
            new DifferentialLoadTest.Col("bio", Kind.TEXT), new DifferentialLoadTest.Col("extra", Kind.LONG),
            new DifferentialLoadTest.Col("note", Kind.TEXT));
    static final int BASE_COLUMNS = 9;
    static final int BIO = 8;
    static final String[] TENANTS = {"a", "O'Brien", "ä\\N", ""};
    static final int KEYS = 8;

    @Test
    void cdcMatchesTheSourceHistory(DataSource ds) throws Exception {
        for (long seed : DifferentialLoadTest.seeds(11L, 12L)) {
            run(ds, seed, 150, false);
        }
    }

    @Test
    void softDeletingCdcMatchesTheSourceHistory(DataSource ds) throws Exception {
        for (long seed : DifferentialLoadTest.seeds(13L, 2831935554175401769L)) {
            run(ds, seed, 150, true);
        }
    }

    enum What { STREAM, LOST, READ, COMPLETE }

    /** One item of the history: an event, what the connector does with it, the schema epoch, and the source after it. */
    record Item(ChangeEvent event, What what, int epoch, Map<Integer, SRow> after, Map<String, V> values, int k) {
    }

    /** A source row: its values and the position of the event that last wrote it as the target stores it. */
    record SRow(Map<String, V> values, EventPosition pos) {
    }

    static final class Source {
        final Random rnd;
        final Map<Integer, SRow> rows = new TreeMap<>();
        final List<Item> history = new ArrayList<>();
        int epoch;
        long commit = 1000;

        Source(Random rnd) {
            this.rnd = rnd;
        }

        int columns() {
            return BASE_COLUMNS + epoch;
        }

        static Record key(int id) {
            return Record.of(TENANTS[id % TENANTS.length], id / TENANTS.length);
        }

        Map<String, V> randomRow(int id) {
            Map<String, V> v = new LinkedHashMap<>();
            v.put("tenant", new V(TENANTS[id % TENANTS.length], TENANTS[id % TENANTS.length]));
            v.put("id", new V(id / TENANTS.length, Integer.toString(id / TENANTS.length)));
            for (int i = 2; i < columns(); i++) {
                DifferentialLoadTest.Col c = COLUMNS.get(i);
                v.put(c.name(), rnd.nextInt(5) == 0 ? V.NULL : DifferentialValues.value(c.kind(), rnd, true));
            }
            return v;
        }

        Record record(Map<String, V> values, boolean bioUnchanged) {
            Object[] o = new Object[columns()];
            for (int i = 0; i < columns(); i++) {
                String c = COLUMNS.get(i).name();
                o[i] = bioUnchanged && c.equals("bio") ? Unchanged.VALUE : values.get(c).java();
            }
            return Record.of(o);
        }

        void add(ChangeEvent e, What what, Map<String, V> values, int k) {
            Map<Integer, SRow> copy = new TreeMap<>(rows);
            history.add(new Item(e, what, epoch, copy, values, k));
        }

        Instant time(EventPosition p) {
            return T0.plusSeconds(p.commit());
        }

        /** A snapshot of every row at (0, C), then its completion. */
        void snapshot() {
            commit += 50;
            EventPosition at = new EventPosition(0, commit);
            for (Map.Entry<Integer, SRow> e : new ArrayList<>(rows.entrySet())) {
                rows.put(e.getKey(), new SRow(e.getValue().values(), at));
                add(ChangeEvent.read(SRC, key(e.getKey()), record(e.getValue().values(), false), at, time(at)), What.READ,
                        e.getValue().values(), e.getKey());
            }
            add(ChangeEvent.snapshotComplete(SRC, at, time(at)), What.COMPLETE, null, 0);
        }

        /** One transaction of 1-3 changes (or a truncate), delivered or {@code lost}. */
        void transaction(boolean lost) {
            commit += 100;
            long change = commit - 90 - rnd.nextInt(150);   // may start before the last transaction's commit
            What what = lost ? What.LOST : What.STREAM;
            if (rnd.nextInt(40) == 0) {
                EventPosition p = new EventPosition(commit, change);
                rows.clear();
                add(ChangeEvent.truncate(SRC, p, time(p)), what, null, 0);
                return;
            }
            int n = 1 + rnd.nextInt(3);
            for (int i = 0; i < n; i++) {
                change += 1 + rnd.nextInt(5);
                EventPosition p = new EventPosition(commit, change);
                int id = 1 + rnd.nextInt(KEYS);
                SRow row = rows.get(id);
                int op = rnd.nextInt(10);
                if (row == null) {
                    Map<String, V> v = randomRow(id);
                    rows.put(id, new SRow(v, p));
                    add(ChangeEvent.create(SRC, key(id), record(v, false), p, time(p)), what, v, id);
                } else if (op < 6) {
                    Map<String, V> v = new LinkedHashMap<>(row.values());
                    boolean bioTouched = false;
                    for (int c = 2; c < columns(); c++) {
                        if (rnd.nextInt(3) == 0) {
                            DifferentialLoadTest.Col col = COLUMNS.get(c);
                            v.put(col.name(), rnd.nextInt(5) == 0 ? V.NULL : DifferentialValues.value(col.kind(), rnd, true));
                            bioTouched |= col.name().equals("bio");
                        }
                    }
                    rows.put(id, new SRow(v, p));
                    add(ChangeEvent.update(SRC, key(id), record(v, !bioTouched && rnd.nextInt(3) != 0), p, time(p)), what, v, id);
                } else if (op < 8) {
                    rows.remove(id);
                    add(ChangeEvent.delete(SRC, key(id), p, time(p)), what, null, id);
                } else {
                    // the key changes: logical decoding sends a delete of the old key and an insert of the new one
                    int to = 1 + rnd.nextInt(KEYS);
                    if (rows.containsKey(to)) {
                        continue;
                    }
                    rows.remove(id);
                    add(ChangeEvent.delete(SRC, key(id), p, time(p)), what, null, id);
                    change += 1;
                    EventPosition q = new EventPosition(commit, change);
                    Map<String, V> v = new LinkedHashMap<>(row.values());
                    v.put("tenant", new V(TENANTS[to % TENANTS.length], TENANTS[to % TENANTS.length]));
                    v.put("id", new V(to / TENANTS.length, Integer.toString(to / TENANTS.length)));
                    rows.put(to, new SRow(v, q));
                    add(ChangeEvent.create(SRC, key(to), record(v, false), q, time(q)), what, v, to);
                }
            }
        }

        void addColumn() {
            epoch++;
            String name = COLUMNS.get(columns() - 1).name();
            rows.replaceAll((k, r) -> {
                Map<String, V> v = new LinkedHashMap<>(r.values());
                v.put(name, V.NULL);
                return new SRow(v, r.pos());
            });
        }
    }

    static Schema schema(int epoch, boolean keyOnly) {
        Schema.Builder b = Schema.builder().required("tenant", Kind.TEXT.type).required("id", Kind.INT.type);
        if (!keyOnly) {
            for (int i = 2; i < BASE_COLUMNS + epoch; i++) {
                b.add(COLUMNS.get(i).name(), COLUMNS.get(i).kind().type);
            }
        }
        return b.build();
    }

    void run(DataSource ds, long seed, int transactions, boolean soft) throws Exception {
        Random rnd = new Random(seed);
        String table = "diffcdc.items_" + (soft ? "soft_" : "") + Long.toUnsignedString(seed, 36);
        Source src = new Source(rnd);
        // rows before capture starts, then the initial snapshot
        for (int i = 0; i < 3 + rnd.nextInt(4); i++) {
            int id = 1 + rnd.nextInt(KEYS);
            src.rows.put(id, new SRow(src.randomRow(id), EventPosition.ZERO));
        }
        src.snapshot();
        int lostAt = transactions / 3 + rnd.nextInt(transactions / 3);
        for (int t = 0; t < transactions; t++) {
            if (t == transactions / 4 || t == transactions * 2 / 3) {
                src.addColumn();
            }
            if (t >= lostAt && t < lostAt + 5) {
                src.transaction(true);   // the slot is lost: these never reach the target
                if (t == lostAt + 4) {
                    src.snapshot();
                }
                continue;
            }
            src.transaction(false);
        }
        List<Item> h = src.history;

        MergeLoader loader = MergeLoader.into(ds, table).mode(SyncMode.CDC).onSchemaChange(SchemaChange.ADD_COLUMNS)
                .deleteMode(soft ? DeleteMode.SOFT : DeleteMode.HARD).build();
        StateStore state = JdbcStateStore.create(ds);
        String offsetKey = "diff:" + table;
        Map<Integer, SRow> expected = new TreeMap<>();
        int expectedEpoch = -1;
        int off = 0;
        int delivered = 0;   // the end of the furthest committed batch
        List<String> log = new ArrayList<>();
        int guard = 0;
        while (off < h.size()) {
            if (++guard > 2000) {
                fail("seed " + seed + ": the connector made no progress");
            }
            while (off < h.size() && h.get(off).what() == What.LOST) {
                off++;
            }
            if (off >= h.size()) {
                break;
            }
            int start = off;
            // a restart from an earlier position of the stream (not before a snapshot: a new slot starts after it)
            if (h.get(off).what() == What.STREAM && rnd.nextInt(6) == 0) {
                int segmentStart = off;
                while (segmentStart > 0 && h.get(segmentStart - 1).what() == What.STREAM) {
                    segmentStart--;
                }
                start = segmentStart + rnd.nextInt(off - segmentStart + 1);
            }
            What kind = h.get(start).what() == What.COMPLETE ? What.READ : h.get(start).what();
            int epoch = h.get(start).epoch();
            int end = start;
            int want = rnd.nextInt(8) == 0 ? 0 : 1 + rnd.nextInt(10);
            while (end < h.size() && end - start < want && h.get(end).epoch() == epoch) {
                What w = h.get(end).what();
                if ((kind == What.STREAM) != (w == What.STREAM)) {
                    break;
                }
                end++;
                if (w == What.COMPLETE) {
                    break;
                }
            }
            List<ChangeEvent> events = new ArrayList<>();
            for (int i = start; i < end; i++) {
                events.add(h.get(i).event());
            }
            if (rnd.nextInt(5) == 0) {
                Collections.shuffle(events, rnd);   // the loader orders a batch's events by position
            }
            boolean keyOnly = events.size() == 1 && events.get(0).operation() == ChangeEvent.Operation.SNAPSHOT_COMPLETE
                    && rnd.nextBoolean();
            ChangeBatch batch = new ChangeBatch(SRC, schema(epoch, keyOnly), List.of("tenant", "id"), events, Optional.empty());
            boolean crash = rnd.nextInt(10) == 0;
            log.add("batch [" + start + ", " + end + ")" + (crash ? " rolled back" : "") + (keyOnly ? " key only" : "")
                    + ": " + describe(events));
            LoadResult result;
            try (Connection c = ds.getConnection()) {
                c.setAutoCommit(false);
                try {
                    result = loader.load(batch, c);
                    state.put(c, offsetKey, "{\"next\": " + end + "}");
                } catch (RuntimeException e) {
                    c.rollback();
                    throw new AssertionError(DifferentialLoadTest.failure(seed, SyncMode.CDC, table, log, "the load threw " + e), e);
                }
                if (crash) {
                    c.rollback();
                } else {
                    c.commit();
                }
            }
            // the connector resumes from the offset stored with the rows
            off = state.get(offsetKey).map(s -> Integer.parseInt(s.json().replaceAll("[^0-9]", ""))).orElse(0);
            boolean replayOnly = end <= delivered;
            if (!crash) {
                if (end > delivered) {
                    for (int i = delivered; i < end; i++) {
                        Item it = h.get(i);
                        switch (it.what()) {
                            case READ -> expected.put(it.k(), new SRow(it.values(), it.event().position()));
                            case STREAM, COMPLETE -> {
                                expected.clear();
                                expected.putAll(it.after());
                            }
                            case LOST -> { }
                        }
                    }
                    delivered = end;
                    expectedEpoch = Math.max(expectedEpoch, epoch);
                }
                if (!keyOnly) {
                    expectedEpoch = Math.max(expectedEpoch, epoch);
                }
            }
            check(ds, table, seed, expected, expectedEpoch, log, soft);
            if (!crash && replayOnly && kind == What.STREAM && result.changed() != 0) {
                fail(DifferentialLoadTest.failure(seed, SyncMode.CDC, table, log,
                        "a batch of events already applied changed rows: " + result));
            }
        }
        long truncates = h.stream().filter(i -> i.event().operation() == ChangeEvent.Operation.TRUNCATE).count();
        long unchanged = h.stream().filter(i -> i.event().after().map(a -> Unchanged.is(a.get(BIO))).orElse(false)).count();
        System.out.println("seed " + seed + ": " + h.size() + " events (" + truncates + " truncates, " + unchanged
                + " with an unchanged column) in " + log.size() + " batches, "
                + log.stream().filter(l -> l.contains("rolled back")).count() + " rolled back; " + expected.size()
                + " rows at the end");
    }

    static String describe(List<ChangeEvent> events) {
        StringBuilder s = new StringBuilder();
        for (ChangeEvent e : events) {
            s.append(e.operation()).append(e.key().size() == 0 ? "" : " " + e.key()).append('@').append(e.position());
            e.after().ifPresent(a -> s.append(" bio=").append(Unchanged.is(a.get(BIO)) ? "UNCHANGED" : a.get(BIO) == null ? "NULL" : "set"));
            s.append("; ");
        }
        return s.toString();
    }

    static void check(DataSource ds, String table, long seed, Map<Integer, SRow> expected, int epoch, List<String> log,
            boolean soft) throws Exception {
        if (!DifferentialValues.exists(ds, table)) {
            if (!expected.isEmpty()) {
                fail(DifferentialLoadTest.failure(seed, SyncMode.CDC, table, log, "no table; expected " + expected));
            }
            return;
        }
        List<String> columns = new ArrayList<>();
        for (int i = 0; i < BASE_COLUMNS + epoch; i++) {
            columns.add(COLUMNS.get(i).name());
        }
        List<String> tableColumns = DifferentialValues.columns(ds, table);
        List<String> withBookkeeping = new ArrayList<>(columns);
        withBookkeeping.add("_mds_commit");
        withBookkeeping.add("_mds_change");
        // an empty batch may or may not add its columns: a column beyond the delivered rows' must then be NULL
        List<String> known = new ArrayList<>(COLUMNS.stream().map(DifferentialLoadTest.Col::name).toList());
        known.add("_mds_commit");
        known.add("_mds_change");
        if (soft) {
            known.add("_deleted_at");
            withBookkeeping.add("_deleted_at");
        }
        if (!tableColumns.containsAll(withBookkeeping) || !known.containsAll(tableColumns)) {
            fail(DifferentialLoadTest.failure(seed, SyncMode.CDC, table, log, "columns " + tableColumns + ", expected "
                    + withBookkeeping));
        }
        withBookkeeping = new ArrayList<>(tableColumns);
        withBookkeeping.remove("_deleted_at");
        List<String> want = new ArrayList<>();
        for (SRow r : expected.values()) {
            Map<String, String> m = new LinkedHashMap<>();
            for (String c : withBookkeeping) {
                V v = r.values().get(c);
                m.put(c, v == null ? null : v.canon());
            }
            m.put("_mds_commit", Long.toString(r.pos().commit()));
            m.put("_mds_change", Long.toString(r.pos().change()));
            want.add(DifferentialLoadTest.render(m, withBookkeeping));
        }
        List<String> got = new ArrayList<>();
        java.util.Set<String> keys = new java.util.HashSet<>();
        for (Map<String, String> r : DifferentialValues.read(ds, table)) {
            String key = r.get("tenant") + "\u0001" + r.get("id");
            if (!keys.add(key)) {
                fail(DifferentialLoadTest.failure(seed, SyncMode.CDC, table, log, "two rows of key " + key));
            }
            if (soft && r.get("_deleted_at") != null) {
                // a soft-deleted row: its key must not be live in the source
                for (SRow e : expected.values()) {
                    if (key.equals(e.values().get("tenant").canon() + "\u0001" + e.values().get("id").canon())) {
                        fail(DifferentialLoadTest.failure(seed, SyncMode.CDC, table, log, "row " + r
                                + " is marked deleted, but the source has it: " + e));
                    }
                }
                continue;
            }
            got.add(DifferentialLoadTest.render(r, withBookkeeping));
        }
        Collections.sort(want);
        Collections.sort(got);
        if (!got.equals(want)) {
            List<String> missing = new ArrayList<>(want);
            missing.removeAll(got);
            List<String> unexpected = new ArrayList<>(got);
            unexpected.removeAll(want);
            fail(DifferentialLoadTest.failure(seed, SyncMode.CDC, table, log, "the table differs from the source\nmissing:    "
                    + missing + "\nunexpected: " + unexpected));
        }
    }
}
