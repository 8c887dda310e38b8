package dev.mds.load;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.core.ChangeBatch;
import dev.mds.core.ChangeEvent;
import dev.mds.core.EventPosition;
import dev.mds.core.FieldType;
import dev.mds.core.Record;
import dev.mds.core.Schema;
import dev.mds.core.TableName;
import dev.mds.testing.MdsPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.TreeSet;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Differential test of CDC under a source whose primary key is DEFERRABLE (REPLICA IDENTITY FULL: every update and
 * delete carries the whole old row): a simulated source table of few keys and few distinct values (so rows are often
 * equal) runs random transactions as PostgreSQL logs them and Debezium delivers them — statements moving keys onto
 * each other (swaps, rotations, shifts into a free key: per row a delete of the old key and an insert of the new one
 * at one change position, rows in any order), a second row of a key inserted under a deferred key and then one of the
 * two rows (or both) deleted, updates and deletes with their before images, inserts. The transactions are delivered
 * whole, a few per batch, and after every batch the target's live rows must equal the source's rows; delivering that
 * batch or an earlier one again changes nothing. (A batch that
 * ends inside a transaction is a limit: mds-load's README.)
 *
 * <p>A failure names its seed; run it again with {@code -Dmds.diff.seed=<seed>}.
 */
@MdsPostgres
class DifferentialDeferrableKeyTest {
    static final TableName SRC = TableName.of("app", "deferred");
    static final Schema SCHEMA = Schema.builder().required("id", FieldType.INT).required("name", FieldType.STRING)
            .add("bio", FieldType.STRING).build();
    static final int KEYS = 6;
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    /** A source row: the key and two columns of few values. */
    record SRow(int id, String name, String bio) {
        Record record() {
            return Record.of(id, name, bio);
        }

        SRow at(int key) {
            return new SRow(key, name, bio);
        }
    }

    @Test
    void deferrableKeyHistoriesMatchTheSource(DataSource ds) throws Exception {
        for (long seed : DifferentialLoadTest.seeds(21L, 22L, 23L, 24L, 25L, 26L, 27L, 28L)) {
            for (DeleteMode mode : DeleteMode.values()) {
                run(ds, seed, mode);
            }
        }
    }

    private static void run(DataSource ds, long seed, DeleteMode mode) throws Exception {
        Random rnd = new Random(seed);
        String table = "deferred_" + Long.toUnsignedString(seed) + "_" + mode.name().toLowerCase();
        MergeLoader loader = MergeLoader.into(ds, TableName.of("raw", table)).mode(SyncMode.CDC).deleteMode(mode).build();
        List<SRow> rows = new ArrayList<>();
        for (int id = 1; id <= KEYS; id++) {
            if (rnd.nextInt(4) != 0) {
                rows.add(new SRow(id, value(rnd, "a", "b"), value(rnd, null, "x")));
            }
        }
        long[] lsn = {1000};
        List<ChangeEvent> snapshot = new ArrayList<>();
        for (SRow r : rows) {
            snapshot.add(ChangeEvent.read(SRC, Record.of(r.id()), r.record(), new EventPosition(0, 500), T0));
        }
        loader.load(new ChangeBatch(SRC, SCHEMA, List.of("id"), snapshot, Optional.empty()));
        List<String> log = new ArrayList<>();
        List<List<ChangeEvent>> batches = new ArrayList<>();
        for (int b = 0; b < 12; b++) {
            List<ChangeEvent> batch = new ArrayList<>();
            int transactions = 1 + rnd.nextInt(3);
            for (int t = 0; t < transactions; t++) {
                batch.addAll(transaction(rnd, rows, lsn));
            }
            for (ChangeEvent e : batch) {
                log.add(e.operation().name().charAt(0) + "" + e.key() + e.before().map(r -> " before " + r).orElse("")
                        + e.after().map(r -> " after " + r).orElse("") + " @" + e.position());
            }
            log.add("-- batch " + b);
            loader.load(new ChangeBatch(SRC, SCHEMA, List.of("id"), batch, Optional.empty()));
            batches.add(batch);
            String expected = text(rows);
            String actual = target(ds, "raw." + table, mode);
            assertThat(actual).as("seed %d %s after batch %d; events:%n%s", seed, mode, b, String.join("\n", log))
                    .isEqualTo(expected);
            // delivered again (this batch, or an earlier one after a restart): nothing changes
            int again = rnd.nextBoolean() ? b : rnd.nextInt(b + 1);
            LoadResult replay = loader.load(new ChangeBatch(SRC, SCHEMA, List.of("id"), batches.get(again), Optional.empty()));
            assertThat(replay.changed()).as("seed %d %s batch %d delivered again after batch %d", seed, mode, again, b).isZero();
            assertThat(target(ds, "raw." + table, mode)).as("seed %d %s batch %d delivered again after batch %d", seed,
                    mode, again, b).isEqualTo(expected);
        }
    }

    /** One source transaction; {@code rows} becomes the source after it. Keys are unique again at its end. */
    private static List<ChangeEvent> transaction(Random rnd, List<SRow> rows, long[] lsn) {
        long commit = lsn[0] += 100;
        long[] change = {commit};
        List<ChangeEvent> out = new ArrayList<>();
        int statements = 1 + rnd.nextInt(3);
        for (int s = 0; s < statements; s++) {
            int kind = rnd.nextInt(6);
            TreeSet<Integer> used = new TreeSet<>();
            rows.forEach(r -> used.add(r.id()));
            if (kind <= 1 && rows.size() >= 2) {
                // keys moved onto each other in one statement: a swap, a rotation, or a shift into a free key
                List<SRow> moved = new ArrayList<>(rows);
                Collections.shuffle(moved, rnd);
                moved = new ArrayList<>(moved.subList(0, 2 + rnd.nextInt(Math.min(2, moved.size() - 1))));
                List<Integer> keys = new ArrayList<>(moved.stream().map(SRow::id).toList());
                if (kind == 1 && used.size() < KEYS) {
                    int free = 1;
                    while (used.contains(free)) {
                        free++;
                    }
                    keys.set(0, free);   // the first row's key is taken by the next, the last takes the free one
                }
                List<Integer> to = new ArrayList<>(keys.subList(1, keys.size()));
                to.add(keys.get(0));
                List<Integer> order = new ArrayList<>();
                for (int i = 0; i < moved.size(); i++) {
                    order.add(i);
                }
                Collections.shuffle(order, rnd);   // the physical order of the rows
                for (int i : order) {
                    SRow r = moved.get(i);
                    SRow after = r.at(to.get(i));
                    EventPosition p = new EventPosition(commit, ++change[0]);
                    out.add(fullDelete(r, p));
                    out.add(ChangeEvent.create(SRC, Record.of(after.id()), after.record(), p, T0));
                    rows.remove(r);
                    rows.add(after);
                }
            } else if (kind == 2 && !rows.isEmpty()) {
                // a second row of a key under SET CONSTRAINTS ALL DEFERRED, then one of the two rows deleted, or both
                SRow first = rows.get(rnd.nextInt(rows.size()));
                SRow second = new SRow(first.id(), value(rnd, "a", "b"), value(rnd, null, "x"));
                out.add(ChangeEvent.create(SRC, Record.of(second.id()), second.record(),
                        new EventPosition(commit, ++change[0]), T0));
                int which = rnd.nextInt(3);   // 0: the first row deleted, 1: the second, 2: both
                if (which != 1) {
                    out.add(fullDelete(first, new EventPosition(commit, ++change[0])));
                }
                if (which != 0) {
                    out.add(fullDelete(second, new EventPosition(commit, ++change[0])));
                }
                if (which == 0) {
                    rows.set(rows.indexOf(first), second);
                } else if (which == 2) {
                    rows.remove(first);
                }
            } else if (kind == 3 && !rows.isEmpty()) {
                SRow r = rows.get(rnd.nextInt(rows.size()));
                SRow after = new SRow(r.id(), value(rnd, "a", "b"), value(rnd, null, "x"));
                out.add(new ChangeEvent(ChangeEvent.Operation.UPDATE, SRC, Record.of(r.id()), Optional.of(r.record()),
                        Optional.of(after.record()), new EventPosition(commit, ++change[0]), T0));
                rows.set(rows.indexOf(r), after);
            } else if (kind == 4 && !rows.isEmpty()) {
                SRow r = rows.get(rnd.nextInt(rows.size()));
                out.add(fullDelete(r, new EventPosition(commit, ++change[0])));
                rows.remove(r);
            } else if (used.size() < KEYS) {
                int id = 1 + rnd.nextInt(KEYS);
                while (used.contains(id)) {
                    id = 1 + id % KEYS;
                }
                SRow r = new SRow(id, value(rnd, "a", "b"), value(rnd, null, "x"));
                out.add(ChangeEvent.create(SRC, Record.of(id), r.record(), new EventPosition(commit, ++change[0]), T0));
                rows.add(r);
            }
        }
        lsn[0] = change[0];
        return out;
    }

    private static ChangeEvent fullDelete(SRow r, EventPosition p) {
        return new ChangeEvent(ChangeEvent.Operation.DELETE, SRC, Record.of(r.id()), Optional.of(r.record()),
                Optional.empty(), p, T0);
    }

    private static String value(Random rnd, String a, String b) {
        return rnd.nextBoolean() ? a : b;
    }

    private static String text(List<SRow> rows) {
        List<String> out = new ArrayList<>();
        rows.stream().sorted(java.util.Comparator.comparingInt(SRow::id))
                .forEach(r -> out.add(r.id() + "=" + r.name() + "/" + Objects.toString(r.bio(), "-")));
        return String.join(",", out);
    }

    private static String target(DataSource ds, String table, DeleteMode mode) throws Exception {
        String sql = "select coalesce(string_agg(id || '=' || name || '/' || coalesce(bio, '-'), ',' order by id), '') from "
                + table + (mode == DeleteMode.SOFT ? " where _deleted_at is null" : "");
        try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
