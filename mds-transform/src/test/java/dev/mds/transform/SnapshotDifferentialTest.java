package dev.mds.transform;

import static org.assertj.core.api.Assertions.fail;

import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestSql;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Differential tests of snapshots: seeded random changes of a source table between runs (inserts, updates of
 * tracked and untracked columns, updated_at moving forward, staying or going back, deletes, keys coming back,
 * NULLs, values spelled differently but equal, a column added or lost, runs without a change), and after every run
 * the whole snapshot compared with an in-memory reference written from dbt's snapshot rules (README, Snapshots).
 *
 * <p>Times taken from the run ({@code now()}) are the run's transaction time, which a post_hook records; the
 * reference uses it where dbt would use {@code snapshot_get_time()}.
 *
 * <p>A failure names its seed; run it again with {@code -Dmds.diff.seed=<seed>} ({@code random:20} for 20 new ones).
 */
@MdsPostgres
class SnapshotDifferentialTest {
    private static final AtomicInteger SCHEMAS = new AtomicInteger();
    private static final LocalDateTime START = LocalDateTime.of(2024, 1, 1, 0, 0);
    private static final List<String> NAMES = java.util.Arrays.asList("Ann", "Bob", "O'Brien", "Zoë", "", null);
    private static final List<String> AMOUNTS = java.util.Arrays.asList("1.5", "1.50", "2", "2.00", "-0.1", null);
    /** json spellings; the number after '#' names the value (two spellings of one value are equal). */
    private static final List<String> DOCS = java.util.Arrays.asList("{\"a\": 1, \"b\": 2}#1", "{\"b\":2,\"a\":1}#1",
            "{\"a\": 3}#2", "[1, 2]#3", "[1,2]#3", null);

    /** One snapshot configuration. {@code checkCols} empty means check_cols='all'. */
    record Config(boolean composite, boolean check, boolean updatedAt, List<String> checkCols, String hardDeletes,
            String validToCurrent, boolean date) {
        Config(boolean composite, boolean check, boolean updatedAt, List<String> checkCols, String hardDeletes,
                String validToCurrent) {
            this(composite, check, updatedAt, checkCols, hardDeletes, validToCurrent, false);
        }

        /** The source's updated_at type. */
        String updatedType() {
            return date ? "date" : "timestamp";
        }

        String sql(String schema) {
            StringBuilder c = new StringBuilder("{{ config(materialized='snapshot', unique_key=")
                    .append(composite ? "['k1', 'k2']" : "'id'");
            if (check) {
                c.append(", strategy='check', check_cols=").append(checkCols.isEmpty() ? "'all'"
                        : "['" + String.join("', '", checkCols) + "']");
                if (updatedAt) {
                    c.append(", updated_at='updated_at'");
                }
            } else {
                c.append(", strategy='timestamp', updated_at='updated_at'");
            }
            c.append(", hard_deletes='").append(hardDeletes).append('\'');
            if (validToCurrent != null) {
                c.append(", dbt_valid_to_current=\"").append(validToCurrent).append('"');
            }
            c.append(", post_hook=\"insert into ").append(schema).append(".clock (t) values (now())\") }}\n");
            return c.append("select * from ").append(schema).append(".src").toString();
        }

        /** Whether versions start at the run's time (a timestamptz) rather than at updated_at. */
        boolean runTime() {
            return check && !updatedAt;
        }

        boolean newRecord() {
            return hardDeletes.equals("new_record");
        }
    }

    static long[] seeds(long... defaults) {
        String p = System.getProperty("mds.diff.seed");
        if (p == null || p.isBlank()) {
            return defaults;
        }
        if (p.startsWith("random")) {
            // random, or random:<n> for n seeds
            int n = p.contains(":") ? Integer.parseInt(p.substring(p.indexOf(':') + 1)) : 1;
            return new Random().longs(n).toArray();
        }
        return new long[] {Long.parseLong(p)};
    }

    @Test
    void timestampStrategyIgnoringDeletes(DataSource ds) {
        for (long seed : seeds(11L, 12L, 13L)) {
            run(ds, seed, new Config(false, false, true, List.of(), "ignore", null), 14);
        }
    }

    @Test
    void timestampStrategyInvalidatingDeletesOnACompositeKey(DataSource ds) {
        for (long seed : seeds(21L, 22L, 23L)) {
            run(ds, seed, new Config(true, false, true, List.of(), "invalidate", null), 14);
        }
    }

    @Test
    void timestampStrategyRecordingDeletes(DataSource ds) {
        for (long seed : seeds(31L, 32L, 33L)) {
            run(ds, seed, new Config(false, false, true, List.of(), "new_record", null), 14);
        }
    }

    @Test
    void timestampStrategyRecordingDeletesWithAValidToCurrent(DataSource ds) {
        for (long seed : seeds(41L, 42L)) {
            run(ds, seed, new Config(false, false, true, List.of(), "new_record", "'9999-12-31'::timestamp"), 14);
        }
    }

    @Test
    void timestampStrategyOnADateInvalidatingDeletesWithAValidToCurrent(DataSource ds) {
        for (long seed : seeds(81L, 82L)) {
            run(ds, seed, new Config(false, false, true, List.of(), "invalidate", "'9999-12-31'::date", true), 14);
        }
    }

    @Test
    void checkStrategyOnAllColumnsInvalidatingDeletesWithAValidToCurrentWithAZone(DataSource ds) {
        for (long seed : seeds(91L, 92L)) {
            run(ds, seed, new Config(true, true, false, List.of(), "invalidate", "'9999-12-31 00:00+00'::timestamptz", true), 14);
        }
    }

    @Test
    void checkStrategyOnSomeColumnsInvalidatingDeletes(DataSource ds) {
        for (long seed : seeds(51L, 52L, 53L)) {
            run(ds, seed, new Config(false, true, false, List.of("name", "amount", "flag", "doc"), "invalidate", null), 14);
        }
    }

    @Test
    void checkStrategyOnAllColumnsRecordingDeletesOnACompositeKey(DataSource ds) {
        for (long seed : seeds(61L, 62L, 63L)) {
            run(ds, seed, new Config(true, true, false, List.of(), "new_record", null), 14);
        }
    }

    @Test
    void checkStrategyWithUpdatedAtIgnoringDeletes(DataSource ds) {
        for (long seed : seeds(71L, 72L)) {
            run(ds, seed, new Config(false, true, true, List.of("name", "amount", "day"), "ignore", null), 14);
        }
    }

    // ---------------------------------------------------------------- the reference

    /** A value: its SQL literal, its text as PostgreSQL prints it, and what decides equality (null for NULL). */
    record V(String literal, String text, String eq) {
        static final V NULL = new V("null", null, null);

        boolean same(V o) {
            return java.util.Objects.equals(eq, o.eq);
        }
    }

    /** A time: a literal timestamp, or the time of run {@code run}. */
    record T(LocalDateTime at, int run) {
    }

    static final class Version {
        final Map<String, V> data;
        final T validFrom;
        final T updatedAt;
        T validTo;
        final String scdId;
        final boolean deleted;

        Version(Map<String, V> data, T validFrom, T updatedAt, String scdId, boolean deleted) {
            this.data = data;
            this.validFrom = validFrom;
            this.updatedAt = updatedAt;
            this.scdId = scdId;
            this.deleted = deleted;
        }
    }

    /** What one sequence knows: the source as it is, and the snapshot as it must be. */
    static final class Model {
        final Config config;
        final List<String> keyColumns;
        /** The source's columns, in order (the key's first). */
        final List<String> sourceColumns = new ArrayList<>();
        /** The snapshot's data columns, in order (the first run's, then those added). */
        final List<String> tableColumns = new ArrayList<>();
        final Map<List<String>, Map<String, V>> source = new LinkedHashMap<>();
        final Map<List<String>, List<Version>> versions = new LinkedHashMap<>();
        final List<String> runTz = new ArrayList<>();
        final List<String> runTs = new ArrayList<>();
        final List<String> runDate = new ArrayList<>();
        /** A current version's dbt_valid_to as text (null without dbt_valid_to_current). */
        String currentText;
        boolean built;
        /** Deleted keys, by the source row they had when deleted. */
        final Map<List<String>, Map<String, V>> deleted = new LinkedHashMap<>();

        Model(Config config) {
            this.config = config;
            this.keyColumns = config.composite ? List.of("k1", "k2") : List.of("id");
            sourceColumns.addAll(keyColumns);
            sourceColumns.addAll(List.of("name", "amount", "flag", "day", "doc", "note", "updated_at"));
        }

        Version current(List<String> key) {
            List<Version> vs = versions.getOrDefault(key, List.of());
            for (Version v : vs) {
                if (v.validTo == null) {
                    return v;
                }
            }
            return null;
        }

        LocalDateTime at(T t) {
            return t.run < 0 ? t.at : parseTime(config.date ? runDate.get(t.run) : runTs.get(t.run));
        }

        /** The text of {@code t} in a dbt_ time column (timestamptz for a check snapshot without updated_at). */
        String text(T t) {
            if (t == null) {
                return currentText;
            }
            if (t.run >= 0) {
                return config.runTime() ? runTz.get(t.run) : config.date ? runDate.get(t.run) : runTs.get(t.run);
            }
            return format(t.at);
        }

        /** cast(t as varchar), as dbt_scd_id hashes it. */
        String hashed(T t) {
            return t.run >= 0 ? runTz.get(t.run) : format(t.at);
        }

        String format(LocalDateTime t) {
            return config.date ? t.toLocalDate().toString() : ts(t);
        }

        /** Applies run {@code run} (its time known): returns the versions inserted. */
        int apply(int run) {
            T now = new T(null, run);
            int inserted = 0;
            if (!built) {
                built = true;
                tableColumns.addAll(sourceColumns);
            }
            for (String c : sourceColumns) {
                if (!tableColumns.contains(c)) {
                    tableColumns.add(c);
                }
            }
            for (Map.Entry<List<String>, Map<String, V>> e : source.entrySet()) {
                Map<String, V> row = e.getValue();
                T upd = config.updatedAt ? new T(parseTime(row.get("updated_at").text), -1) : now;
                Version cur = current(e.getKey());
                if (cur != null && !(changed(cur, row) || config.newRecord() && cur.deleted)) {
                    continue;
                }
                if (cur != null) {
                    cur.validTo = upd;
                }
                Map<String, V> data = new LinkedHashMap<>();
                for (String c : tableColumns) {
                    data.put(c, row.getOrDefault(c, V.NULL));
                }
                List<String> parts = new ArrayList<>(e.getKey());
                parts.add(hashed(upd));
                versions.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(new Version(data, upd, upd, md5(parts), false));
                inserted++;
            }
            if (!config.hardDeletes.equals("ignore")) {
                for (Map.Entry<List<String>, List<Version>> e : versions.entrySet()) {
                    Version cur = current(e.getKey());
                    if (cur == null || source.containsKey(e.getKey()) || cur.deleted) {
                        continue;
                    }
                    cur.validTo = now;
                    if (config.newRecord()) {
                        // dbt's deletion_records: the source's columns from the ended version, NULL for the others
                        Map<String, V> data = new LinkedHashMap<>();
                        for (String c : tableColumns) {
                            data.put(c, sourceColumns.contains(c) ? cur.data.getOrDefault(c, V.NULL) : V.NULL);
                        }
                        e.getValue().add(new Version(data, now, now, md5(List.of(cur.scdId, runTz.get(run))), true));
                        inserted++;
                    }
                }
            }
            return inserted;
        }

        private boolean changed(Version cur, Map<String, V> row) {
            if (!config.check) {
                return at(cur.validFrom).isBefore(parseTime(row.get("updated_at").text));
            }
            List<String> compared = config.checkCols.isEmpty() ? sourceColumns : config.checkCols;
            for (String c : compared) {
                if (!cur.data.getOrDefault(c, V.NULL).same(row.getOrDefault(c, V.NULL))) {
                    return true;
                }
            }
            return false;
        }

        List<String> expectedColumns() {
            List<String> out = new ArrayList<>(tableColumns.subList(0, firstRunColumns));
            out.addAll(List.of("dbt_scd_id", "dbt_updated_at", "dbt_valid_from", "dbt_valid_to"));
            if (config.newRecord()) {
                out.add("dbt_is_deleted");
            }
            // the columns added after the first run come after dbt's
            out.addAll(tableColumns.subList(firstRunColumns, tableColumns.size()));
            return out;
        }

        int firstRunColumns;

        List<String> expectedRows() {
            List<String> rows = new ArrayList<>();
            for (Map.Entry<List<String>, List<Version>> e : versions.entrySet()) {
                for (Version v : e.getValue()) {
                    StringBuilder r = new StringBuilder();
                    for (String c : tableColumns) {
                        r.append(c).append('=').append(shown(v.data.getOrDefault(c, V.NULL).text)).append(", ");
                    }
                    r.append("dbt_scd_id=").append(v.scdId).append(", dbt_updated_at=").append(text(v.updatedAt))
                            .append(", dbt_valid_from=").append(text(v.validFrom)).append(", dbt_valid_to=")
                            .append(shown(text(v.validTo)));
                    if (config.newRecord()) {
                        r.append(", dbt_is_deleted=").append(v.deleted ? "True" : "False");
                    }
                    rows.add(r.toString());
                }
            }
            Collections.sort(rows);
            return rows;
        }
    }

    static String shown(String text) {
        return text == null ? "∅" : text;
    }

    static String ts(LocalDateTime t) {
        String s = String.format("%04d-%02d-%02d %02d:%02d:%02d", t.getYear(), t.getMonthValue(), t.getDayOfMonth(),
                t.getHour(), t.getMinute(), t.getSecond());
        int micros = t.getNano() / 1000;
        return micros == 0 ? s : s + "." + String.format("%06d", micros).replaceAll("0+$", "");
    }

    static LocalDateTime parseTime(String text) {
        return text.length() == 10 ? java.time.LocalDate.parse(text).atStartOfDay() : LocalDateTime.parse(text.replace(' ', 'T'));
    }

    static String md5(List<String> parts) {
        try {
            byte[] d = MessageDigest.getInstance("MD5").digest(String.join("|", parts).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String quote(String s) {
        return "'" + s.replace("'", "''") + "'";
    }

    // ---------------------------------------------------------------- random source changes

    static final class Gen {
        final Random rnd;
        LocalDateTime clock = START;
        int nextId = 1;
        final boolean date;

        Gen(long seed, boolean date) {
            this.rnd = new Random(seed);
            this.date = date;
        }

        <X> X pick(List<X> xs) {
            return xs.get(rnd.nextInt(xs.size()));
        }

        V value(String column) {
            switch (column) {
                case "name", "note", "extra": {
                    String s = column.equals("name") ? pick(NAMES) : rnd.nextInt(4) == 0 ? null : column + rnd.nextInt(3);
                    return s == null ? V.NULL : new V(quote(s), s, s);
                }
                case "amount": {
                    String a = pick(AMOUNTS);
                    return a == null ? V.NULL : new V(a + "::numeric", a, new BigDecimal(a).stripTrailingZeros().toPlainString());
                }
                case "flag": {
                    int f = rnd.nextInt(3);
                    return f == 2 ? V.NULL : new V(f == 0 ? "true" : "false", f == 0 ? "true" : "false", "" + f);
                }
                case "day": {
                    if (rnd.nextInt(5) == 0) {
                        return V.NULL;
                    }
                    String d = START.toLocalDate().plusDays(rnd.nextInt(4)).toString();
                    return new V("date " + quote(d), d, d);
                }
                case "doc": {
                    String j = pick(DOCS);
                    if (j == null) {
                        return V.NULL;
                    }
                    String text = j.substring(0, j.indexOf('#'));
                    return new V(quote(text) + "::json", text, j.substring(j.indexOf('#') + 1));
                }
                default:
                    throw new IllegalArgumentException(column);
            }
        }

        V time(LocalDateTime t) {
            String text = date ? t.toLocalDate().toString() : ts(t);
            return new V((date ? "date " : "timestamp ") + quote(text), text, text);
        }

        /** The global clock moved forward: newer than every updated_at so far. */
        LocalDateTime tick() {
            clock = clock.plusMinutes(1 + rnd.nextInt(600));
            if (rnd.nextInt(5) == 0) {
                clock = clock.plusNanos((1 + rnd.nextInt(999_999)) * 1000L);
            }
            return clock;
        }
    }

    void run(DataSource ds, long seed, Config config, int runs) {
        String schema = "sd" + SCHEMAS.incrementAndGet();
        Gen g = new Gen(seed, config.date);
        Model m = new Model(config);
        List<String> log = new ArrayList<>();
        String src = schema + ".src";
        TestSql.sql(ds, "create schema " + schema, "create table " + schema + ".clock (n serial, t timestamptz)",
                "create table " + src + " (" + (config.composite ? "k1 text, k2 int" : "id int")
                        + ", name text, amount numeric, flag boolean, day date, doc json, note text, updated_at " + config.updatedType() + ")");
        if (config.validToCurrent != null) {
            String u = config.runTime() ? "timestamptz" : config.updatedType();
            m.currentText = TestSql.strings(ds, "select coalesce(nullif(null::" + u + ", null::" + u + "), "
                    + config.validToCurrent + ")::text").get(0);
        }
        String model = config.sql(schema);
        String target = schema + "_snap.customers";
        int initial = 2 + g.rnd.nextInt(5);
        for (int i = 0; i < initial; i++) {
            insertNew(ds, g, m, src, log);
        }
        boolean schemaChanged = false;
        for (int run = 0; run < runs; run++) {
            if (run > 0) {
                int ops = g.rnd.nextInt(4) == 0 ? 0 : 1 + g.rnd.nextInt(4);
                for (int i = 0; i < ops; i++) {
                    change(ds, g, m, src, log);
                }
                if (!schemaChanged && run > 2 && g.rnd.nextInt(6) == 0) {
                    schemaChanged = true;
                    changeColumns(ds, g, m, src, log);
                }
                if (ops == 0) {
                    log.add("(no change)");
                }
            }
            if (run > 1 && g.rnd.nextInt(12) == 0 && !m.source.isEmpty()) {
                // a key twice: refused, the snapshot unchanged
                List<String> key = g.pick(new ArrayList<>(m.source.keySet()));
                List<String> expectedBefore = actualRows(ds, target, m.expectedColumns(), config);
                TestSql.sql(ds, "insert into " + src + " (" + String.join(", ", m.keyColumns) + ", updated_at) values ("
                        + keyLiterals(m, key) + ", timestamp '1900-01-01')");
                log.add("run " + run + ": duplicate key " + key + " (refused)");
                RunResults r = TransformProject.builder(ds).model(target, model).build().run();
                if (r.model(target).error().isEmpty() || !r.model(target).error().get().contains("duplicate unique_key")) {
                    fail(failure(seed, config, log, "a duplicate key was not refused: " + r.model(target)));
                }
                if (!actualRows(ds, target, m.expectedColumns(), config).equals(expectedBefore)) {
                    fail(failure(seed, config, log, "a refused run changed the snapshot"));
                }
                TestSql.sql(ds, "delete from " + src + " where updated_at = '1900-01-01'");
            }
            log.add("run " + run);
            RunResults r = TransformProject.builder(ds).model(target, model).build().run();
            if (r.model(target).status() != ModelStatus.SUCCESS) {
                fail(failure(seed, config, log, "run " + run + " failed: " + r.model(target).error().orElse("?")));
            }
            List<String> clock = TestSql.strings(ds, "select t::text || '|' || t::timestamp::text || '|' || t::date::text from " + schema
                    + ".clock where n = (select max(n) from " + schema + ".clock)");
            if (clock.size() != 1 || TestSql.strings(ds, "select count(*) from " + schema + ".clock").get(0)
                    .equals(String.valueOf(m.runTz.size()))) {
                fail(failure(seed, config, log, "the post_hook did not record run " + run));
            }
            m.runTz.add(clock.get(0).split("\\|")[0]);
            m.runTs.add(clock.get(0).split("\\|")[1]);
            m.runDate.add(clock.get(0).split("\\|")[2]);
            if (run == 0) {
                m.firstRunColumns = m.sourceColumns.size();
            }
            int inserted = m.apply(run);
            List<String> columns = Db.columns(ds, target.split("\\.")[0], "customers");
            if (!columns.equals(m.expectedColumns())) {
                fail(failure(seed, config, log, "after run " + run + " the columns are " + columns + ", expected "
                        + m.expectedColumns()));
            }
            List<String> expected = m.expectedRows();
            List<String> actual = actualRows(ds, target, columns, config);
            if (!actual.equals(expected)) {
                List<String> missing = new ArrayList<>(expected);
                missing.removeAll(actual);
                List<String> extra = new ArrayList<>(actual);
                extra.removeAll(expected);
                fail(failure(seed, config, log, "after run " + run + " the snapshot differs from the reference\nmissing:\n  "
                        + String.join("\n  ", missing) + "\nunexpected:\n  " + String.join("\n  ", extra)));
            }
            if (r.model(target).rows().orElse(-1) != inserted) {
                fail(failure(seed, config, log, "run " + run + " reports " + r.model(target).rows() + " rows, "
                        + inserted + " versions were inserted"));
            }
        }
    }

    static String failure(long seed, Config config, List<String> log, String what) {
        List<String> tail = log.subList(Math.max(0, log.size() - 60), log.size());
        return "seed " + seed + " (" + config + "; run again with -Dmds.diff.seed=" + seed + "): " + what
                + "\nsource changes:\n" + String.join("\n", tail);
    }

    static String keyLiterals(Model m, List<String> key) {
        return m.config.composite ? quote(key.get(0)) + ", " + key.get(1) : key.get(0);
    }

    static String where(Model m, List<String> key) {
        return m.config.composite ? "k1 = " + quote(key.get(0)) + " and k2 = " + key.get(1) : "id = " + key.get(0);
    }

    void insertNew(DataSource ds, Gen g, Model m, String src, List<String> log) {
        List<String> key;
        do {
            int n = g.nextId++;
            key = m.config.composite ? List.of(g.pick(List.of("a", "b", "ü")), String.valueOf(n / 2))
                    : List.of(String.valueOf(n));
        } while (m.source.containsKey(key) || m.deleted.containsKey(key) || m.versions.containsKey(key));
        Map<String, V> row = new LinkedHashMap<>();
        for (int i = 0; i < key.size(); i++) {
            row.put(m.keyColumns.get(i), new V(i == 0 && m.config.composite ? quote(key.get(i)) : key.get(i), key.get(i),
                    key.get(i)));
        }
        for (String c : m.sourceColumns) {
            if (!m.keyColumns.contains(c) && !c.equals("updated_at")) {
                row.put(c, g.value(c));
            }
        }
        row.put("updated_at", g.time(g.tick()));
        insert(ds, m, src, key, row);
        log.add("insert " + key + " " + describe(row));
    }

    private void insert(DataSource ds, Model m, String src, List<String> key, Map<String, V> row) {
        List<String> lits = new ArrayList<>();
        m.sourceColumns.forEach(c -> lits.add(row.get(c).literal));
        TestSql.sql(ds, "insert into " + src + " (" + String.join(", ", m.sourceColumns) + ") values ("
                + String.join(", ", lits) + ")");
        m.source.put(key, row);
    }

    static String describe(Map<String, V> row) {
        StringBuilder s = new StringBuilder();
        row.forEach((c, v) -> s.append(c).append('=').append(shown(v.text)).append(' '));
        return s.toString().strip();
    }

    void change(DataSource ds, Gen g, Model m, String src, List<String> log) {
        int op = g.rnd.nextInt(10);
        if (op == 0 || m.source.isEmpty()) {
            insertNew(ds, g, m, src, log);
        } else if (op == 1 && !m.deleted.isEmpty()) {
            // a deleted key comes back: updated_at newer, as it was, or older
            List<String> key = g.pick(new ArrayList<>(m.deleted.keySet()));
            Map<String, V> row = new LinkedHashMap<>(m.deleted.remove(key));
            for (String c : m.sourceColumns) {
                if (!row.containsKey(c)) {
                    row.put(c, V.NULL);
                }
            }
            row.keySet().retainAll(m.sourceColumns);
            if (g.rnd.nextBoolean()) {
                String c = g.pick(m.sourceColumns.stream().filter(x -> !m.keyColumns.contains(x) && !x.equals("updated_at"))
                        .toList());
                row.put(c, g.value(c));
            }
            int when = g.rnd.nextInt(3);
            LocalDateTime was = parseTime(row.get("updated_at").text);
            row.put("updated_at", g.time(when == 0 ? g.tick() : when == 1 ? was : was.minusMinutes(1 + g.rnd.nextInt(300))));
            insert(ds, m, src, key, row);
            log.add("re-insert " + key + " " + describe(row));
        } else if (op == 2) {
            List<String> key = g.pick(new ArrayList<>(m.source.keySet()));
            TestSql.sql(ds, "delete from " + src + " where " + where(m, key));
            m.deleted.put(key, m.source.remove(key));
            log.add("delete " + key);
        } else {
            List<String> key = g.pick(new ArrayList<>(m.source.keySet()));
            Map<String, V> row = m.source.get(key);
            Map<String, String> sets = new LinkedHashMap<>();
            List<String> data = m.sourceColumns.stream().filter(x -> !m.keyColumns.contains(x) && !x.equals("updated_at"))
                    .toList();
            int n = g.rnd.nextInt(3);
            for (int i = 0; i < n; i++) {
                String c = g.pick(data);
                V v = g.value(c);
                row.put(c, v);
                sets.put(c, c + " = " + v.literal);
            }
            LocalDateTime was = parseTime(row.get("updated_at").text);
            int when = g.rnd.nextInt(10);
            LocalDateTime now = when < 5 ? g.tick() : when < 7 ? was.plusMinutes(1 + g.rnd.nextInt(30))
                    : when < 9 ? was : was.minusMinutes(1 + g.rnd.nextInt(300));
            if (now.isAfter(g.clock)) {
                g.clock = now;
            }
            V u = g.time(now);
            row.put("updated_at", u);
            sets.put("updated_at", "updated_at = " + u.literal);
            TestSql.sql(ds, "update " + src + " set " + String.join(", ", sets.values()) + " where " + where(m, key));
            log.add("update " + key + " set " + String.join(", ", sets.values()));
        }
    }

    /** Adds the column extra (with values in some rows) or drops note, once. */
    void changeColumns(DataSource ds, Gen g, Model m, String src, List<String> log) {
        if (g.rnd.nextBoolean() || m.config.check && !m.config.checkCols.isEmpty() && m.config.checkCols.contains("note")) {
            TestSql.sql(ds, "alter table " + src + " add column extra text");
            m.sourceColumns.add("extra");
            for (Map.Entry<List<String>, Map<String, V>> e : m.source.entrySet()) {
                V v = g.value("extra");
                e.getValue().put("extra", v);
                if (v.text != null) {
                    TestSql.sql(ds, "update " + src + " set extra = " + v.literal + " where " + where(m, e.getKey()));
                }
            }
            log.add("add column extra " + m.source.entrySet().stream().map(e -> e.getKey() + "=" + shown(e.getValue()
                    .get("extra").text)).toList());
        } else {
            TestSql.sql(ds, "alter table " + src + " drop column note");
            m.sourceColumns.remove("note");
            m.source.values().forEach(r -> r.remove("note"));
            log.add("drop column note");
        }
    }

    /** The snapshot's rows as the reference shows them, sorted. */
    static List<String> actualRows(DataSource ds, String table, List<String> columns, Config config) {
        List<String> rows = new ArrayList<>();
        StringBuilder select = new StringBuilder();
        for (String c : columns) {
            select.append(select.length() == 0 ? "" : ", ").append('"').append(c).append("\"::text");
        }
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("select " + select + " from " + table)) {
            ResultSetMetaData md = rs.getMetaData();
            while (rs.next()) {
                // data columns in table order, then dbt's, as the reference writes them
                StringBuilder data = new StringBuilder();
                StringBuilder meta = new StringBuilder();
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    String name = columns.get(i - 1);
                    String v = rs.getString(i);
                    if (name.startsWith("dbt_")) {
                        meta.append(meta.length() == 0 ? "" : ", ").append(name).append('=').append(shown(v));
                    } else {
                        data.append(name).append('=').append(shown(v)).append(", ");
                    }
                }
                rows.add(data + meta.toString());
            }
        } catch (SQLException e) {
            throw new AssertionError(e.getMessage(), e);
        }
        Collections.sort(rows);
        return rows;
    }
}
