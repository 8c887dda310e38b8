package dev.mds.connector.postgres;

import static dev.mds.testing.TestSql.sql;

import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestDatabase;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Differential end-to-end test of CDC: a seeded random stream of source transactions (inserts, updates, key updates,
 * deletes, re-inserts, several changes of one row per transaction, multi-table transactions, truncates) on four
 * tables, captured by real Debezium and applied by mds-load in CDC mode, with the source stopped and started again
 * at random points; after each catch-up every source table must equal its warehouse table, column by column in
 * PostgreSQL's text rendering. {@code -Dmds.cdc.diff.seed=N} replays one seed, {@code -Dmds.cdc.diff.seeds=K} runs K
 * random ones.
 *
 * <p>Run on demand only (one of the two properties set), not in the default build: where a stop falls depends on
 * timing, so a seed does not replay exactly, and a failure would not reproduce. The bug it found (the keys whose
 * key-change insert the source left out were kept in memory only, so a restart in between stopped every later run at
 * an update leaning on unsent TOASTed values) is fixed; {@code CdcEdgeCasesTest#aLeftOutKeyChangeStaysLeftOutAfterARestart}
 * replays it deterministically in every build.
 */
@MdsPostgres
class CdcDifferentialTest {

    private static final String SLOT = "d_diff";
    private static final String[] TABLES = {"dx.items", "dx.lines", "dx.full_t", "dx.docs"};
    /** Columns compared as text; lines.qty is unconstrained numeric, compared by value (1.5 = 1.50: mds-load keeps the
     *  stored spelling on an update that changes only the scale, as documented). */
    private static final String[] COLUMNS = {
        "id::text, name::text, price::text, at::text, flag::text, doc::text, tags::text, nums::text",
        "order_id::text, line_no::text, qty, note::text",
        "id::text, v::text, n::text, at::text, tags::text, big",
        "id::text, big::text, meta::text, small::text"};

    private final List<String> transcript = new ArrayList<>();
    private Random rnd;
    private final java.util.concurrent.atomic.AtomicLong unchanged = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong truncates = new java.util.concurrent.atomic.AtomicLong();
    private int nextId = 1;

    @Test
    void randomChangesWithRestartsEndEqualToTheSource(TestDatabase db) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getProperty("mds.cdc.diff.seed") != null
                || System.getProperty("mds.cdc.diff.seeds") != null, "on demand: -Dmds.cdc.diff.seed=N or -Dmds.cdc.diff.seeds=K");
        Long fixed = Long.getLong("mds.cdc.diff.seed");
        int seeds = fixed != null ? 1 : Integer.getInteger("mds.cdc.diff.seeds", 1);
        long first = fixed != null ? fixed : System.nanoTime();
        for (int i = 0; i < seeds; i++) {
            runSeed(db, first + i);
        }
    }

    private void runSeed(TestDatabase db, long seed) throws Exception {
        rnd = new Random(seed);
        transcript.clear();
        unchanged.set(0);
        truncates.set(0);
        nextId = 1;
        DataSource ds = db.dataSource();
        sql(ds, "drop publication if exists " + SLOT, "drop schema if exists dx cascade", "drop schema if exists wdx cascade",
                "create schema if not exists mds", dev.mds.core.JdbcStateStore.create(ds).createTableSql(), "delete from mds.state where key like 'postgres-cdc:%:" + SLOT + "%'");
        sql(ds, "create schema dx",
                "create table dx.items (id int primary key, name text, price numeric(12,3), at timestamptz,"
                        + " flag boolean, doc jsonb, tags text[], nums int[])",
                "create table dx.lines (order_id int, line_no int, qty numeric, note text, primary key (order_id, line_no))",
                "create table dx.full_t (id int primary key, v text, n numeric(10,2), at timestamptz, tags text[], big text)",
                "alter table dx.full_t alter column big set storage external",
                "alter table dx.full_t replica identity full",
                "create table dx.docs (id int primary key, big text, meta jsonb, small int)",
                "alter table dx.docs alter column big set storage external, alter column meta set storage external");
        PostgresCdcSource.Handler loadAll = Cdc.loadInto(ds, "wdx");
        java.util.concurrent.atomic.AtomicInteger failIn = new java.util.concurrent.atomic.AtomicInteger(-1);
        PostgresCdcSource.Handler load = (batch, tx) -> {
            for (dev.mds.core.ChangeEvent e : batch.events()) {
                if (e.operation() == dev.mds.core.ChangeEvent.Operation.TRUNCATE) {
                    truncates.incrementAndGet();
                }
                e.after().ifPresent(r -> {
                    for (int i = 0; i < r.size(); i++) {
                        if (r.get(i) == dev.mds.core.Unchanged.VALUE) {
                            unchanged.incrementAndGet();
                        }
                    }
                });
            }
            loadAll.handle(batch, tx);
            if (failIn.get() >= 0 && failIn.getAndDecrement() == 0) {
                throw new IllegalStateException("crash after loading a batch, before its commit");
            }
        };
        Cdc.Running run = null;
        long events = 0;
        Throwable failed = null;
        try {
            for (int i = 0; i < 15; i++) {
                transaction(ds);
            }
            int rounds = 4;
            for (int round = 0; round < rounds; round++) {
                run = Cdc.start(Cdc.source(db, ds, SLOT, TABLES).maxBatch(1 + rnd.nextInt(40), Duration.ofMillis(30))
                        .pipeline(rnd.nextInt(3) != 0).build(), load);
                int before = 5 + rnd.nextInt(25);
                for (int i = 0; i < before; i++) {
                    transaction(ds);
                    if (rnd.nextInt(4) == 0) {
                        Thread.sleep(rnd.nextInt(40));
                    }
                }
                awaitAllSame(run, ds, "round " + round);
                if (round == rounds - 1) {
                    break;
                }
                int after = rnd.nextInt(20);
                for (int i = 0; i < after; i++) {
                    transaction(ds);
                }
                Cdc.Running stopping = run;
                run = null;
                if (rnd.nextBoolean()) {
                    if (rnd.nextBoolean()) {
                        Thread.sleep(rnd.nextInt(300));
                    }
                    stopping.close();   // at a random point of the stream: some changes above may not have arrived
                } else {   // a handler failure in a random later batch rolls it back and stops the run
                    failIn.set(rnd.nextInt(3));
                    for (int i = 0; i < 50 && !stopping.done.isDone(); i++) {   // until enough batches came
                        transaction(ds);
                        long until = System.nanoTime() + 200_000_000L;
                        while (!stopping.done.isDone() && System.nanoTime() < until) {
                            Thread.sleep(10);
                        }
                    }
                    Cdc.await("the run to fail", Duration.ofSeconds(20), () -> stopping.done.isDone());
                    failIn.set(-1);
                    stopping.source.close();
                    try {
                        stopping.done.get(20, TimeUnit.SECONDS);
                        throw new AssertionError("the run did not fail");
                    } catch (java.util.concurrent.ExecutionException expected) {
                        if (!String.valueOf(expected.getCause()).contains("crash after loading")) {
                            throw expected;
                        }
                    }
                }
                events += stopping.source.eventsCommitted();
                int down = rnd.nextInt(15);
                for (int i = 0; i < down; i++) {
                    transaction(ds);
                }
            }
            events += run.source.eventsCommitted();
            System.out.printf("seed %d: %d transactions, %d events committed, %d unchanged TOAST values, %d truncates seen%n",
                    seed, transcript.size(), events, unchanged.get(), truncates.get());
        } catch (Throwable t) {
            failed = t;
            java.nio.file.Files.write(java.nio.file.Path.of("target", "cdc-diff-" + seed + ".sql"), transcript);
            throw new AssertionError("seed " + seed + " (-Dmds.cdc.diff.seed=" + seed + "): " + t.getMessage()
                    + "\nlast transactions:\n" + String.join("\n",
                            transcript.subList(Math.max(0, transcript.size() - 30), transcript.size())), t);
        } finally {
            if (run != null) {
                run.source.close();
                try {
                    run.done.get(60, TimeUnit.SECONDS);
                } catch (Exception ignored) {
                    // reported above
                }
            }
            try {
                Cdc.dropSlot(ds, SLOT);
            } catch (AssertionError notReleased) {
                if (failed == null) {
                    throw notReleased;
                }
            }
        }
    }

    private void awaitAllSame(Cdc.Running run, DataSource ds, String when) {
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            if (run.done.isCompletedExceptionally()) {
                run.done.join();
            }
            boolean same = true;
            for (int t = 0; t < TABLES.length && same; t++) {
                String target = "w" + TABLES[t];
                same = Cdc.tableExists(ds, target) && Cdc.difference(ds, TABLES[t], target, COLUMNS[t]) == 0
                        || !Cdc.tableExists(ds, target) && Cdc.count(ds, "select count(*) from " + TABLES[t]) == 0;
            }
            if (same) {
                return;
            }
            if (System.nanoTime() > end) {
                StringBuilder why = new StringBuilder(when + ": target differs from source after 20 s");
                for (int t = 0; t < TABLES.length; t++) {
                    String target = "w" + TABLES[t];
                    if (!Cdc.tableExists(ds, target)) {
                        why.append("\n").append(target).append(": no table");
                    } else if (Cdc.difference(ds, TABLES[t], target, COLUMNS[t]) != 0) {
                        why.append("\n").append(target).append(" only in source: ").append(Cdc.text(ds,
                                "select string_agg(left(r::text, 300), ' ; ') from (select " + COLUMNS[t] + " from "
                                        + TABLES[t] + " except all select " + COLUMNS[t] + " from " + target + ") r"))
                                .append("\n   only in target: ").append(Cdc.text(ds,
                                "select string_agg(left(r::text, 300), ' ; ') from (select " + COLUMNS[t] + " from "
                                        + target + " except all select " + COLUMNS[t] + " from " + TABLES[t] + ") r"));
                    }
                }
                throw new AssertionError(why.toString());
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    // ------------------------------------------------------------------ the random source transactions

    private void transaction(DataSource ds) throws SQLException {
        List<String> stmts = new ArrayList<>();
        executed = 0;
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            int ops = 1 + rnd.nextInt(rnd.nextInt(5) == 0 ? 8 : 3);
            for (int i = 0; i < ops; i++) {
                int table = rnd.nextInt(4);
                if (rnd.nextInt(60) == 0) {
                    stmts.add(rnd.nextBoolean() ? "truncate " + TABLES[table]
                            : "truncate " + TABLES[table] + ", " + TABLES[(table + 1 + rnd.nextInt(3)) % 4]);
                } else {
                    stmts.addAll(change(st, table));
                }
                runPending(st, stmts);   // run as made, so the transaction's later changes see their effect
            }
            c.commit();
        }
        transcript.add(("begin; " + String.join("; ", stmts) + "; commit").replaceAll("'([a-z]{20})[a-z]{100,}", "'$1…")
                .replaceAll("(, \"k\\d+\": \"[a-z]{50}\")+", ", …"));
    }

    private int executed;

    private void runPending(Statement st, List<String> stmts) throws SQLException {
        for (; executed < stmts.size(); executed++) {
            st.execute(stmts.get(executed));
        }
    }

    private List<String> change(Statement st, int table) throws SQLException {
        List<String> keys = keys(st, table);
        String t = TABLES[table];
        int op = rnd.nextInt(11);
        if (keys.isEmpty() || op < 3) {
            return List.of("insert into " + t + " values (" + newKey(table) + ", " + values(table) + ")");
        }
        String key = keys.get(rnd.nextInt(keys.size()));
        String where = " where " + where(table, key);
        switch (op) {
            case 3, 4:
                return List.of("update " + t + " set " + assignments(table) + where);
            case 5:
                return List.of("update " + t + " set " + keyAssignment(table) + where);
            case 6:
                return List.of("delete from " + t + where);
            case 7: {   // a key deleted and inserted again, in this transaction
                return List.of("delete from " + t + where, "insert into " + t + " values (" + keyValues(table, key)
                        + ", " + values(table) + ")");
            }
            case 8: {   // several changes of one row in one transaction
                String k = newKey(table);
                List<String> s = new ArrayList<>();
                s.add("insert into " + t + " values (" + k + ", " + values(table) + ")");
                String w = " where " + where(table, k.replace(", ", ","));
                s.add("update " + t + " set " + assignments(table) + w);
                if (rnd.nextBoolean()) {
                    s.add("update " + t + " set " + assignments(table) + w);
                }
                if (rnd.nextInt(3) == 0) {
                    s.add("delete from " + t + w);
                }
                return s;
            }
            case 10: {   // two rows swap keys through a third key
                if (keys.size() < 2) {
                    return List.of("update " + t + " set " + assignments(table) + where);
                }
                String other = keys.get(rnd.nextInt(keys.size()));
                if (other.equals(key)) {
                    return List.of("delete from " + t + where);
                }
                String tmp = newKey(table);
                return List.of("update " + t + " set " + keyAssignmentTo(table, tmp, true) + where,
                        "update " + t + " set " + keyAssignmentTo(table, key.replace(",", ", "), true) + " where "
                                + where(table, other),
                        "update " + t + " set " + keyAssignmentTo(table, other.replace(",", ", "), true) + " where "
                                + where(table, tmp.replace(", ", ",")));
            }
            default: {   // update, then key update of the same row
                String k = newKey(table);
                return List.of("update " + t + " set " + assignments(table) + where,
                        "update " + t + " set " + keyAssignmentTo(table, k) + where,
                        "update " + t + " set " + assignments(table) + " where " + where(table, k.replace(", ", ",")));
            }
        }
    }

    /** Keys as "id" or "order_id,line_no", in key order. */
    private static List<String> keys(Statement st, int table) throws SQLException {
        String q = table == 1 ? "select order_id || ',' || line_no from dx.lines order by 1"
                : "select id::text from " + TABLES[table] + " order by id";
        List<String> keys = new ArrayList<>();
        try (ResultSet rs = st.executeQuery(q)) {
            while (rs.next()) {
                keys.add(rs.getString(1));
            }
        }
        return keys;
    }

    private String newKey(int table) {
        int id = nextId++;
        return table == 1 ? (1 + id % 7) + ", " + id : String.valueOf(id);
    }

    private static String where(int table, String key) {
        if (table == 1) {
            String[] p = key.split(",");
            return "order_id = " + p[0].trim() + " and line_no = " + p[1].trim();
        }
        return "id = " + key;
    }

    private static String keyValues(int table, String key) {
        return table == 1 ? key.replace(",", ", ") : key;
    }

    private String keyAssignment(int table) {
        return keyAssignmentTo(table, newKey(table));
    }

    private String keyAssignmentTo(int table, String key) {
        return keyAssignmentTo(table, key, false);
    }

    private String keyAssignmentTo(int table, String key, boolean whole) {
        if (table == 1) {
            String[] p = key.split(", ");
            return !whole && rnd.nextBoolean() ? "line_no = " + p[1] : "order_id = " + p[0] + ", line_no = " + p[1];
        }
        return "id = " + key;
    }

    private String values(int table) {
        return switch (table) {
            case 0 -> text() + ", " + num(9, 3) + ", " + ts() + ", " + bool() + ", " + json() + ", " + textArray()
                    + ", " + intArray();
            case 1 -> num(6, rnd.nextInt(4)) + ", " + text();
            case 2 -> text() + ", " + num(8, 2) + ", " + ts() + ", " + textArray() + ", " + big();
            default -> big() + ", " + (rnd.nextInt(3) == 0 ? bigJson() : json()) + ", " + (rnd.nextInt(5) == 0 ? "null" : String.valueOf(rnd.nextInt(1000)));
        };
    }

    /** A random non-empty subset of the non-key columns; docs leaves big alone most of the time (TOAST unsent). */
    private String assignments(int table) {
        String[] cols = switch (table) {
            case 0 -> new String[] {"name", "price", "at", "flag", "doc", "tags", "nums"};
            case 1 -> new String[] {"qty", "note"};
            case 2 -> new String[] {"v", "n", "at", "tags", "big"};
            default -> new String[] {"meta", "small", "big"};
        };
        List<String> set = new ArrayList<>();
        for (String col : cols) {
            boolean pick = col.equals("big") || table == 3 && col.equals("meta") ? rnd.nextInt(5) == 0 : rnd.nextInt(3) == 0;
            if (pick) {
                set.add(col + " = " + value(table, col));
            }
        }
        if (set.isEmpty()) {
            set.add(cols[0] + " = " + value(table, cols[0]));
        }
        return String.join(", ", set);
    }

    private String value(int table, String col) {
        return switch (col) {
            case "name", "note", "v" -> text();
            case "price" -> num(9, 3);
            case "qty" -> num(6, rnd.nextInt(4));
            case "n" -> num(8, 2);
            case "at" -> ts();
            case "flag" -> bool();
            case "doc" -> json();
            case "meta" -> rnd.nextInt(3) == 0 ? bigJson() : json();
            case "tags" -> textArray();
            case "nums" -> intArray();
            case "small" -> rnd.nextInt(5) == 0 ? "null" : String.valueOf(rnd.nextInt(1000));
            case "big" -> big();
            default -> throw new IllegalArgumentException(col);
        };
    }

    private static final String[] PIECES = {"a", "b", "Z", " ", "'", "\"", "\\", ",", "{", "}", "é", "ß", "漢", "😀",
        "\n", "\t", "NULL", "o'clock", "x"};

    private String rawText() {
        StringBuilder b = new StringBuilder();
        int n = rnd.nextInt(8);
        for (int i = 0; i < n; i++) {
            b.append(PIECES[rnd.nextInt(PIECES.length)]);
        }
        return b.toString();
    }

    private String text() {
        return nullOr(() -> lit(rawText()));
    }

    private static String lit(String s) {
        return "'" + s.replace("'", "''") + "'";
    }

    private String nullOr(Supplier<String> value) {
        return rnd.nextInt(7) == 0 ? "null" : value.get();
    }

    private String num(int digits, int scale) {
        return nullOr(() -> {
            long unscaled = (long) (rnd.nextDouble() * Math.pow(10, digits - 1 + rnd.nextInt(2) - 1)) * (rnd.nextBoolean() ? 1 : -1);
            return "'" + BigDecimal.valueOf(unscaled, scale).toPlainString() + "'";
        });
    }

    private String ts() {
        return nullOr(() -> {
            Instant i = Instant.ofEpochSecond(rnd.nextLong(-2_000_000_000L, 4_000_000_000L), rnd.nextInt(1_000_000) * 1000L);
            return "'" + OffsetDateTime.ofInstant(i, ZoneOffset.ofHoursMinutes(rnd.nextInt(-12, 13), 0)) + "'::timestamptz";
        });
    }

    private String bool() {
        return nullOr(() -> String.valueOf(rnd.nextBoolean()));
    }

    private String json() {
        return nullOr(() -> {
            StringBuilder b = new StringBuilder("{");
            int n = rnd.nextInt(4);
            for (int i = 0; i < n; i++) {
                if (i > 0) {
                    b.append(", ");
                }
                b.append(jsonString("k" + rawText())).append(": ");
                switch (rnd.nextInt(5)) {
                    case 0 -> b.append(jsonString(rawText()));
                    case 1 -> b.append(BigDecimal.valueOf(rnd.nextInt(100000), rnd.nextInt(4)).toPlainString());
                    case 2 -> b.append("null");
                    case 3 -> b.append("[1, \"x\", true, null]");
                    default -> b.append("{\"nested\": ").append(jsonString(rawText())).append('}');
                }
            }
            return lit(b.append('}').toString()) + "::jsonb";
        });
    }

    private static String jsonString(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                default -> b.append(ch);
            }
        }
        return b.append('"').toString();
    }

    private String textArray() {
        return nullOr(() -> {
            List<String> elements = new ArrayList<>();
            int n = rnd.nextInt(4);
            for (int i = 0; i < n; i++) {
                elements.add(rnd.nextInt(6) == 0 ? "null" : lit(rawText()));
            }
            return "array[" + String.join(", ", elements) + "]::text[]";
        });
    }

    private String intArray() {
        return nullOr(() -> {
            List<String> elements = new ArrayList<>();
            int n = rnd.nextInt(4);
            for (int i = 0; i < n; i++) {
                elements.add(rnd.nextInt(6) == 0 ? "null" : String.valueOf(rnd.nextInt() / (1 + rnd.nextInt(1000))));
            }
            return "array[" + String.join(", ", elements) + "]::int[]";
        });
    }

    /** A jsonb too large to stay in line (storage external): it is TOASTed. */
    private String bigJson() {
        return nullOr(() -> {
            StringBuilder b = new StringBuilder("{");
            for (int i = 0; i < 60; i++) {
                b.append(i == 0 ? "" : ", ").append("\"k").append(i).append("\": \"");
                for (int j = 0; j < 50; j++) {
                    b.append((char) ('a' + rnd.nextInt(26)));
                }
                b.append('"');
            }
            return lit(b.append(rnd.nextBoolean() ? ", \"u\": \"é😀'\"" : "").append('}').toString()) + "::jsonb";
        });
    }

    /** A text too large to stay in line and not compressible (storage external anyway): it is TOASTed. */
    private String big() {
        return nullOr(() -> {
            StringBuilder b = new StringBuilder();
            int n = 3000 + rnd.nextInt(3000);
            for (int i = 0; i < n; i++) {
                b.append((char) ('a' + rnd.nextInt(26)));
            }
            if (rnd.nextBoolean()) {
                b.append("'é😀");
            }
            return lit(b.toString());
        });
    }
}
