package dev.mds.vault;

import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.core.Field;
import dev.mds.core.FieldType;
import dev.mds.core.Schema;
import dev.mds.testing.MdsPostgres;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Differential tests: random but seeded sequences of batches are loaded through stages into a hub, a link, a
 * satellite and a multi-active satellite, and after every load each whole table is compared with an in-memory
 * reference written from the loading rules of the vault's issue and the structures' Javadoc (not from their SQL).
 * Hash keys and hashdiffs in the reference come from the Java {@link Hasher}, which is tested to give the SQL's
 * bytes. Key spaces are small so keys collide; the batches hold NULL and empty keys, duplicates, values changed
 * and changed back, late rows, several rows of one key and load date, case and blank differences (one hash key
 * under AUTOMATEDV), and a second stage into the hub and link with record-source ties.
 *
 * <p>A failure names its seed; {@code -Dmds.vault.seed=N} replays one seed, {@code -Dmds.vault.seeds=N} runs N
 * seeds from there, {@code -Dmds.vault.rounds=N} sets the number of batches per seed.
 */
@MdsPostgres
class VaultModelTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final OffsetDateTime T0 = OffsetDateTime.of(2024, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC);
    private static final String[] PRODUCTS = {"p1", "p1", "P1", "p2", "p2", "", null};
    private static final String[] CHANNELS = {"web", "web", "Web", "app", null};
    private static final String[] NAMES = {"Ann", "Ann", "ann", " ANN ", "Bob", "Bob", "", null};
    private static final Integer[] AGES = {30, 30, 31, null};
    private static final String[] PHONE_TYPES = {"home", "home", "mobile", "work", "Home", null};
    private static final String[] PHONES = {"111", "111", "222", null};
    /** Stage A's record sources, read from a column (stage B's is the constant 'crm'). */
    private static final String[] SOURCES = {"crm", "crm", "CRM", "web"};

    static Stream<Arguments> configurations() {
        return Stream.of(
                Arguments.of(HashStandard.CANONICAL, Stage.Materialization.VIEW, NullKeys.SKIP, false, 11L),
                Arguments.of(HashStandard.CANONICAL, Stage.Materialization.TABLE, NullKeys.GHOST, true, 12L),
                Arguments.of(HashStandard.AUTOMATEDV, Stage.Materialization.VIEW, NullKeys.GHOST, false, 13L),
                Arguments.of(HashStandard.AUTOMATEDV, Stage.Materialization.TABLE, NullKeys.SKIP, false, 14L));
    }

    /** A raw row: the columns of the raw tables, in order. */
    record Raw(String id, String product, String channel, String name, Integer age, String phoneType, String phone,
            OffsetDateTime ld, String src, OffsetDateTime ef) {
        Object[] values() {
            return new Object[] {id, product, channel, name, age, phoneType, phone, ld, src, ef};
        }
    }

    @ParameterizedTest(name = "{0}, {1} stages, NULL keys {2}, empty string as NULL {3}")
    @MethodSource("configurations")
    void everyTableMatchesTheReferenceAfterEveryLoad(HashStandard standard, Stage.Materialization mat, NullKeys nullKeys,
            boolean emptyAsNull, long defaultSeed, DataSource ds) throws Exception {
        long first = Long.getLong("mds.vault.seed", defaultSeed);
        int seeds = Integer.getInteger("mds.vault.seeds", 1);
        int rounds = Integer.getInteger("mds.vault.rounds", 30);
        for (long seed = first; seed < first + seeds; seed++) {
            String suffix = standard.name().toLowerCase() + "_" + mat.name().toLowerCase() + "_" + seed;
            try {
                run(ds, Vault.on(ds).standard(standard).emptyStringAsNull(emptyAsNull), mat, nullKeys, seed, rounds, suffix);
            } catch (AssertionError | Exception e) {
                throw new AssertionError("seed " + seed + " (" + standard + ", " + mat + "; replay with -Dmds.vault.seed="
                        + seed + "): " + e.getMessage(), e);
            }
        }
    }

    private static void run(DataSource ds, Vault vault, Stage.Materialization mat, NullKeys nullKeys, long seed,
            int rounds, String suffix) throws Exception {
        SplittableRandom rnd = new SplittableRandom(seed);
        String rawA = "raw.m_a_" + suffix;
        String rawB = "raw.m_b_" + suffix;
        for (String raw : List.of(rawA, rawB)) {
            sql(ds, "create schema if not exists raw", "drop table if exists " + raw, "create table " + raw + " (id text,"
                    + " product text, channel text, name text, age int, phone_type text, phone text, ld timestamptz, src text, ef timestamptz)");
        }
        Stage a = stage(rawA, "stg.m_a_" + suffix, mat).recordSourceColumn("src");
        Stage b = stage(rawB, "stg.m_b_" + suffix, mat).recordSource("crm");
        vault.createStage(a);
        vault.createStage(b);
        Hub hub = vault.hub("dds.hub_" + suffix).hashKey("customer_hk").businessKey("id").from(a, b).nullKeys(nullKeys);
        Link link = vault.link("dds.link_" + suffix).hashKey("sale_hk").refs("customer_hk", "product_hk")
                .payload("channel").from(a, b).nullKeys(nullKeys);
        Satellite sat = vault.satellite("dds.sat_" + suffix).parent("customer_hk").hashDiff("customer_hashdiff")
                .payload("name", "age").from(a);
        MultiActiveSatellite ma = vault.multiActiveSatellite("dds.ma_" + suffix).parent("customer_hk")
                .childKeys("phone_type").hashDiff("phone_hashdiff").payload("phone").from(a, b);
        EffectivitySatellite eff = vault.effectivitySatellite("dds.eff_" + suffix).link("sale_hk").drivingKey("customer_hk")
                .effectiveFrom("ef").from(a);
        for (Structure s : List.<Structure>of(hub, link, sat, ma, eff)) {
            s.createTable();
        }
        Model model = new Model(vault, nullKeys);
        List<Raw> lastA = List.of();
        for (int round = 0; round < rounds; round++) {
            List<Raw> batchA = rnd.nextInt(7) == 0 ? lastA : batch(rnd, round, 8, true, List.of());
            List<Raw> batchB = rnd.nextInt(3) == 0 ? List.of() : batch(rnd, round, 5, false, batchA);
            lastA = batchA;
            fill(ds, rawA, batchA);
            fill(ds, rawB, batchB);
            if (mat != Stage.Materialization.VIEW) {
                vault.createStage(a);
                vault.createStage(b);
            }
            List<Raw> both = new ArrayList<>(batchA);
            both.addAll(batchB);
            int loads = rnd.nextInt(4) == 0 ? 2 : 1;          // sometimes the same stages again: inserts nothing
            for (int l = 0; l < loads; l++) {
                String where = "round " + round + (l > 0 ? " (re-load)" : "") + ", batch A " + batchA + ", batch B " + batchB;
                assertThat(hub.load().rowsInserted()).as("hub rows inserted, " + where).isEqualTo(model.loadHub(both));
                assertThat(hubRows(ds, hub)).as("hub, " + where).isEqualTo(model.hubRows());
                assertThat(link.load().rowsInserted()).as("link rows inserted, " + where).isEqualTo(model.loadLink(both));
                assertThat(linkRows(ds, link)).as("link, " + where).isEqualTo(model.linkRows());
                long satInserted = sat.load().rowsInserted();
                long satExpected = model.loadSat(batchA);
                model.checkSat(satRows(ds, sat), where);
                assertThat(satInserted).as("satellite rows inserted, " + where).isEqualTo(satExpected);
                long maInserted = ma.load().rowsInserted();
                long maExpected = model.loadMa(both);
                model.checkMa(maRows(ds, ma), where);
                assertThat(maInserted).as("multi-active satellite rows inserted, " + where).isEqualTo(maExpected);
                long effInserted = eff.load().rowsInserted();
                long effExpected = model.loadEff(batchA);
                model.checkEff(effRows(ds, eff), where);
                assertThat(effInserted).as("effectivity satellite rows inserted, " + where).isEqualTo(effExpected);
            }
        }
    }

    private static Stage stage(String raw, String target, Stage.Materialization mat) {
        return Stage.of(raw).into(target).loadDate("ld").materialized(mat)
                .hashKey("customer_hk", "id").hashKey("product_hk", "product").hashKey("sale_hk", "id", "product")
                .hashDiff("customer_hashdiff", "name", "age").hashDiff("phone_hashdiff", "phone");
    }

    private static <T> T pick(SplittableRandom rnd, T[] values) {
        return values[rnd.nextInt(values.length)];
    }

    /**
     * Up to {@code max} rows. Keys come from a window that moves with the round (so new keys keep arriving), each
     * spelled in one of several ways that AUTOMATEDV hashes alike, or NULL or empty; load dates 12 hours apart around
     * the round's (late ones included); some rows repeated, some with the key and load date of another row, some with
     * the key and load date of a row of {@code other} (the other stage: record-source ties).
     */
    private static List<Raw> batch(SplittableRandom rnd, int round, int max, boolean sourceColumn, List<Raw> other) {
        List<Raw> rows = new ArrayList<>();
        int n = rnd.nextInt(max + 1);
        for (int i = 0; i < n; i++) {
            String src = sourceColumn ? pick(rnd, SOURCES) : "crm";
            Raw r;
            if (!other.isEmpty() && rnd.nextInt(3) == 0) {
                Raw o = other.get(rnd.nextInt(other.size()));
                r = row(rnd, respell(rnd, o.id()), o.ld(), src);
            } else {
                r = row(rnd, id(rnd, round), T0.plusHours(12L * Math.max(0, round + rnd.nextInt(-5, 3))), src);
            }
            rows.add(r);
            if (rnd.nextInt(5) == 0) {
                rows.add(r);                                                        // a duplicate row
            }
            if (rnd.nextInt(4) == 0) {                                              // the same key and load date again
                rows.add(row(rnd, rnd.nextBoolean() ? r.id() : respell(rnd, r.id()), r.ld(), sourceColumn ? pick(rnd, SOURCES) : src));
            }
        }
        java.util.Collections.shuffle(rows, new java.util.Random(rnd.nextLong()));
        return rows;
    }

    private static Raw row(SplittableRandom rnd, String id, OffsetDateTime ld, String src) {
        OffsetDateTime ef = rnd.nextInt(10) == 0 ? null : ld.minusHours(12L * rnd.nextInt(-1, 4));
        return new Raw(id, pick(rnd, PRODUCTS), pick(rnd, CHANNELS), pick(rnd, NAMES), pick(rnd, AGES),
                pick(rnd, PHONE_TYPES), pick(rnd, PHONES), ld, src, ef);
    }

    private static String id(SplittableRandom rnd, int round) {
        int k = rnd.nextInt(12);
        if (k == 0) {
            return null;
        }
        if (k == 1) {
            return rnd.nextBoolean() ? "" : "  ";
        }
        return respell(rnd, "k" + (round / 3 + rnd.nextInt(4)));
    }

    /** The key spelled another way: as it is, upper case, or with blanks around it. */
    private static String respell(SplittableRandom rnd, String id) {
        if (id == null || id.isBlank()) {
            return id;
        }
        String base = id.strip().toLowerCase(java.util.Locale.ROOT);
        return switch (rnd.nextInt(4)) {
            case 0, 1 -> base;
            case 2 -> base.toUpperCase(java.util.Locale.ROOT);
            default -> " " + base + " ";
        };
    }

    private static void fill(DataSource ds, String table, List<Raw> rows) throws SQLException {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("truncate " + table);
            try (PreparedStatement ps = c.prepareStatement("insert into " + table + " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                for (Raw r : rows) {
                    Object[] v = r.values();
                    for (int i = 0; i < v.length; i++) {
                        ps.setObject(i + 1, v[i]);
                    }
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        }
    }

    // ---- the tables as read back, as sorted lines --------------------------------------------------------------

    private static List<String> lines(DataSource ds, String query) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(query)) {
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                List<String> cols = new ArrayList<>();
                for (int i = 1; i <= n; i++) {
                    Object v = rs.getObject(i);
                    cols.add(v instanceof java.sql.Timestamp ? rs.getObject(i, OffsetDateTime.class).toInstant().toString()
                            : v == null ? "NULL" : "'" + v + "'");
                }
                out.add(String.join(" ", cols));
            }
        }
        out.sort(Comparator.naturalOrder());
        return out;
    }

    private static List<String> hubRows(DataSource ds, Hub hub) throws SQLException {
        return lines(ds, "select encode(customer_hk, 'hex'), id, load_date, record_source from " + hub.table.quoted());
    }

    private static List<String> linkRows(DataSource ds, Link link) throws SQLException {
        return lines(ds, "select encode(sale_hk, 'hex'), encode(customer_hk, 'hex'), encode(product_hk, 'hex'), channel,"
                + " load_date, record_source from " + link.table.quoted());
    }

    private static List<String> satRows(DataSource ds, Satellite sat) throws SQLException {
        return lines(ds, "select encode(customer_hk, 'hex'), load_date, encode(customer_hashdiff, 'hex'), record_source,"
                + " name, age from " + sat.table.quoted());
    }

    private static List<String> maRows(DataSource ds, MultiActiveSatellite ma) throws SQLException {
        return lines(ds, "select encode(customer_hk, 'hex'), load_date, phone_type, encode(phone_hashdiff, 'hex'),"
                + " record_source, phone from " + ma.table.quoted());
    }

    private static List<String> effRows(DataSource ds, EffectivitySatellite eff) throws SQLException {
        return lines(ds, "select encode(customer_hk, 'hex'), encode(sale_hk, 'hex'), start_date, end_date, load_date,"
                + " record_source from " + eff.table.quoted());
    }

    private static String q(Object v) {
        return v == null ? "NULL" : "'" + v + "'";
    }

    /** Unsigned byte order of UTF-8 text, as {@code COLLATE "C"}. */
    private static int bytes(String x, String y) {
        return Arrays.compareUnsigned(x.getBytes(StandardCharsets.UTF_8), y.getBytes(StandardCharsets.UTF_8));
    }

    /** Byte order, NULL last (as PostgreSQL's ascending ORDER BY). */
    private static final Comparator<String> BYTES_NULLS_LAST = Comparator.nullsLast(VaultModelTest::bytes);

    // ---- the reference ---------------------------------------------------------------------------------------

    /** What each table must hold, from the loading rules. Hashes are lower-case hex. */
    static final class Model {
        private final Hasher key;
        private final Hasher pair;
        private final Hasher customerDiff;
        private final Hasher phoneDiff;
        private final Map<String, String> hub = new TreeMap<>();                     // hk -> stored line
        private final Map<String, String> link = new TreeMap<>();
        /** Per key: load date -> the stored row's hashdiff, record source and the payloads it may hold. */
        private final Map<String, TreeMap<Instant, SatRow>> sat = new TreeMap<>();
        /** Per key: load date -> the stored set, child key -> row. */
        private final Map<String, TreeMap<Instant, Map<String, MaRow>>> ma = new TreeMap<>();

        /** A stored row: its hashdiff and the record source and payload it may hold (any stage row's of that hashdiff). */
        /** A stored satellite row: its hashdiff and the record source and payload the load stores. */
        record SatRow(String hashDiff, String src, String name, Integer age) {
            String payload() {
                return q(src) + " " + q(name) + " " + q(age);
            }

            /**
             * The satellite's tie-break among stage rows of one key, load date and hashdiff (under AUTOMATEDV, names
             * that differ in case or spaces): the smallest record source, then name, in byte order, then age; NULLs
             * last, as ORDER BY sorts them.
             */
            static final Comparator<SatRow> TIE_BREAK = Comparator.comparing(SatRow::src, Comparator.nullsLast(VaultModelTest::bytes))
                    .thenComparing(SatRow::name, Comparator.nullsLast(VaultModelTest::bytes))
                    .thenComparing(SatRow::age, Comparator.nullsLast(Comparator.naturalOrder()));
        }

        record MaRow(String hashDiff, String recordSource, String phone) {
        }

        /** A stored effectivity row; {@code sources}: the record sources it may hold (of stage rows that tie). */
        record EffRow(String link, Instant start, Instant end, Instant ld, Set<String> sources) {
            boolean open() {
                return end.equals(END_OF_TIME);
            }
        }

        static final Instant END_OF_TIME = Instant.parse("9999-12-31T00:00:00Z");
        /** Per driving key, its stored rows. */
        private final Map<String, List<EffRow>> eff = new TreeMap<>();

        private final String ghost;

        Model(Vault vault, NullKeys nullKeys) {
            ghost = nullKeys == NullKeys.GHOST ? HEX.formatHex(vault.hasher(Schema.of(Field.of("id", FieldType.STRING))).ghostKey()) : null;
            key = vault.hasher(Schema.of(Field.of("id", FieldType.STRING)));
            pair = vault.hasher(Schema.of(Field.of("id", FieldType.STRING), Field.of("product", FieldType.STRING)));
            customerDiff = vault.hasher(Schema.of(Field.of("name", FieldType.STRING), Field.of("age", FieldType.INT)));
            phoneDiff = vault.hasher(Schema.of(Field.of("phone", FieldType.STRING)));
        }

        /** The hash, or the ghost key for a NULL one where NULL keys map to it (else NULL). */
        private String orGhost(String hash) {
            return hash != null ? hash : ghost;
        }

        private static String hex(Optional<byte[]> hash) {
            return hash.map(HEX::formatHex).orElse(null);
        }

        /**
         * Each business key not stored yet, with its earliest load date; on equal load dates the smallest record
         * source, then the smallest key by its text in byte order; NULL keys skipped.
         */
        long loadHub(List<Raw> rows) {
            Map<String, String[]> best = new LinkedHashMap<>();
            for (Raw r : rows) {
                String hk = orGhost(hex(key.hashKey(r.id())));
                if (hk == null || hub.containsKey(hk)) {
                    continue;
                }
                String[] cand = {r.ld().toInstant().toString(), r.src(), r.id()};
                best.merge(hk, cand, (x, y) -> compareHub(x, y) <= 0 ? x : y);
            }
            best.forEach((hk, v) -> hub.put(hk, String.join(" ", q(hk), q(v[2]), v[0], q(v[1]))));
            return best.size();
        }

        private static int compareHub(String[] x, String[] y) {
            int c = Instant.parse(x[0]).compareTo(Instant.parse(y[0]));
            if (c == 0) {
                c = bytes(x[1], y[1]);
            }
            return c != 0 ? c : BYTES_NULLS_LAST.compare(x[2], y[2]);
        }

        List<String> hubRows() {
            return hub.values().stream().sorted().toList();
        }

        /**
         * Each key combination not stored yet, with its earliest load date; a row with a NULL reference dropped; on
         * equal load dates the smallest record source, then references, then payload.
         */
        long loadLink(List<Raw> rows) {
            Map<String, String[]> best = new LinkedHashMap<>();
            for (Raw r : rows) {
                String hk = hex(pair.hashKey(r.id(), r.product()));
                String c = orGhost(hex(key.hashKey(r.id())));
                String p = orGhost(hex(key.hashKey(r.product())));
                if (hk == null || c == null || p == null || link.containsKey(hk)) {
                    continue;
                }
                String[] cand = {r.ld().toInstant().toString(), r.src(), c, p, r.channel()};
                best.merge(hk, cand, (x, y) -> compareLink(x, y) <= 0 ? x : y);
            }
            best.forEach((hk, v) -> link.put(hk, String.join(" ", q(hk), q(v[2]), q(v[3]), q(v[4]), v[0], q(v[1]))));
            return best.size();
        }

        private static int compareLink(String[] x, String[] y) {
            int c = Instant.parse(x[0]).compareTo(Instant.parse(y[0]));
            for (int i = 1; c == 0 && i < x.length; i++) {
                c = BYTES_NULLS_LAST.compare(x[i], y[i]);
            }
            return c;
        }

        List<String> linkRows() {
            return link.values().stream().sorted().toList();
        }

        /**
         * Stage rows of a (key, load date) not stored yet, one per (key, load date): the smallest hashdiff, and
         * among its rows the first by {@link SatRow#TIE_BREAK}. In load-date order, each is stored when its hashdiff differs from
         * the stored row before it in time (which includes the rows of this stage stored before it).
         */
        long loadSat(List<Raw> rows) {
            Map<String, TreeMap<Instant, SatRow>> cand = new TreeMap<>();
            for (Raw r : rows) {
                String hk = hex(key.hashKey(r.id()));
                if (hk == null) {
                    continue;
                }
                Instant ld = r.ld().toInstant();
                if (sat.getOrDefault(hk, new TreeMap<>()).containsKey(ld)) {
                    continue;
                }
                String hd = HEX.formatHex(customerDiff.hashDiff(r.name(), r.age()));
                cand.computeIfAbsent(hk, k -> new TreeMap<>()).merge(ld, new SatRow(hd, r.src(), r.name(), r.age()), (x, y) -> {
                    int c = x.hashDiff().compareTo(y.hashDiff());
                    if (c != 0) {
                        return c < 0 ? x : y;
                    }
                    return SatRow.TIE_BREAK.compare(x, y) <= 0 ? x : y;
                });
            }
            long inserted = 0;
            for (Map.Entry<String, TreeMap<Instant, SatRow>> k : cand.entrySet()) {
                TreeMap<Instant, SatRow> stored = sat.computeIfAbsent(k.getKey(), x -> new TreeMap<>());
                for (Map.Entry<Instant, SatRow> e : k.getValue().entrySet()) {
                    Map.Entry<Instant, SatRow> before = stored.lowerEntry(e.getKey());
                    if (before == null || !before.getValue().hashDiff().equals(e.getValue().hashDiff())) {
                        stored.put(e.getKey(), e.getValue());
                        inserted++;
                    }
                }
            }
            return inserted;
        }

        void checkSat(List<String> actual, String where) {
            List<String> expectedKeys = new ArrayList<>();
            List<String> actualKeys = new ArrayList<>();
            List<String> problems = new ArrayList<>();
            Map<String, SatRow> byKey = new LinkedHashMap<>();
            sat.forEach((hk, rows) -> rows.forEach((ld, row) -> {
                String k = q(hk) + " " + ld + " " + q(row.hashDiff());
                expectedKeys.add(k);
                byKey.put(k, row);
            }));
            for (String line : actual) {
                String[] parts = line.split(" ", 4);
                String k = String.join(" ", parts[0], parts[1], parts[2]);
                actualKeys.add(k);
                SatRow row = byKey.get(k);
                if (row != null && !row.payload().equals(parts[3])) {
                    problems.add(line + ": expected the tie-break's " + row.payload());
                }
            }
            expectedKeys.sort(Comparator.naturalOrder());
            assertThat(actualKeys).as("satellite (key, load date, hashdiff), " + where).isEqualTo(expectedKeys);
            assertThat(problems).as("satellite record sources and payloads, " + where).isEmpty();
        }

        /**
         * The sets of (key, load date) not stored yet, from all stages: rows with a NULL key or child key dropped,
         * one row per child key (the smallest hashdiff, then record source, then phone). In load-date order a set is
         * stored when its (child key, hashdiff) pairs differ from those of the stored set before it in time.
         */
        long loadMa(List<Raw> rows) {
            Map<String, TreeMap<Instant, Map<String, MaRow>>> cand = new TreeMap<>();
            for (Raw r : rows) {
                String hk = hex(key.hashKey(r.id()));
                if (hk == null || r.phoneType() == null) {
                    continue;
                }
                Instant ld = r.ld().toInstant();
                if (ma.getOrDefault(hk, new TreeMap<>()).containsKey(ld)) {
                    continue;
                }
                MaRow row = new MaRow(HEX.formatHex(phoneDiff.hashDiff(r.phone())), r.src(), r.phone());
                cand.computeIfAbsent(hk, k -> new TreeMap<>()).computeIfAbsent(ld, k -> new TreeMap<>())
                        .merge(r.phoneType(), row, (x, y) -> compareMa(x, y) <= 0 ? x : y);
            }
            long inserted = 0;
            for (Map.Entry<String, TreeMap<Instant, Map<String, MaRow>>> k : cand.entrySet()) {
                TreeMap<Instant, Map<String, MaRow>> stored = ma.computeIfAbsent(k.getKey(), x -> new TreeMap<>());
                for (Map.Entry<Instant, Map<String, MaRow>> e : k.getValue().entrySet()) {
                    Map.Entry<Instant, Map<String, MaRow>> before = stored.lowerEntry(e.getKey());
                    if (before == null || !pairs(before.getValue()).equals(pairs(e.getValue()))) {
                        stored.put(e.getKey(), e.getValue());
                        inserted += e.getValue().size();
                    }
                }
            }
            return inserted;
        }

        private static int compareMa(MaRow x, MaRow y) {
            int c = x.hashDiff().compareTo(y.hashDiff());
            if (c == 0) {
                c = bytes(x.recordSource(), y.recordSource());
            }
            return c != 0 ? c : BYTES_NULLS_LAST.compare(x.phone(), y.phone());
        }

        private static Set<String> pairs(Map<String, MaRow> set) {
            Set<String> out = new LinkedHashSet<>();
            new TreeMap<>(set).forEach((child, row) -> out.add(child + "=" + row.hashDiff()));
            return out;
        }

        /**
         * Per driving key the stage's latest row (by effective-from, then load date, then the smallest link) is its
         * active link; rows with a NULL link, driving key or effective-from are not read. With no stored link it is
         * opened. With an open link, a row starting on or after the open link's start and loaded after it moves the
         * driving key when its link is another: the open link is closed at the row's start (a row with the row's
         * load date and the open row's record source, as AutomateDV's closing row) and the row's link opened; other
         * rows are skipped. With every link closed, a row starting on or after the last end and loaded after the last
         * load date opens its link.
         */
        long loadEff(List<Raw> rows) {
            Map<String, Raw> active = new TreeMap<>();
            Map<String, Set<String>> sources = new TreeMap<>();
            Comparator<Raw> latest = Comparator.<Raw, Instant>comparing(r -> r.ef().toInstant())
                    .thenComparing(r -> r.ld().toInstant())
                    .thenComparing(Comparator.comparing((Raw r) -> hex(pair.hashKey(r.id(), r.product()))).reversed());
            for (Raw r : rows) {
                String dk = hex(key.hashKey(r.id()));
                String lk = hex(pair.hashKey(r.id(), r.product()));
                if (dk == null || lk == null || r.ef() == null) {
                    continue;
                }
                Raw was = active.get(dk);
                int c = was == null ? 1 : latest.compare(r, was);
                if (c > 0) {
                    active.put(dk, r);
                    sources.put(dk, new TreeSet<>(Set.of(r.src())));
                } else if (c == 0) {
                    sources.get(dk).add(r.src());
                }
            }
            long inserted = 0;
            for (Map.Entry<String, Raw> e : active.entrySet()) {
                Raw a = e.getValue();
                String lk = hex(pair.hashKey(a.id(), a.product()));
                Instant start = a.ef().toInstant();
                Instant ld = a.ld().toInstant();
                List<EffRow> stored = eff.computeIfAbsent(e.getKey(), k -> new ArrayList<>());
                Map<String, EffRow> latestPerLink = new TreeMap<>();
                for (EffRow r : stored) {
                    latestPerLink.merge(r.link(), r, (x, y) -> x.ld().compareTo(y.ld()) >= 0 ? x : y);
                }
                EffRow open = latestPerLink.values().stream().filter(EffRow::open).findFirst().orElse(null);
                if (open != null) {
                    if (start.compareTo(open.start()) < 0 || ld.compareTo(open.ld()) <= 0 || open.link().equals(lk)) {
                        continue;
                    }
                    stored.add(new EffRow(open.link(), open.start(), start, ld, open.sources()));
                    inserted++;
                } else if (!latestPerLink.isEmpty()) {
                    Instant lastEnd = latestPerLink.values().stream().map(EffRow::end).max(Comparator.naturalOrder()).orElseThrow();
                    Instant lastLd = latestPerLink.values().stream().map(EffRow::ld).max(Comparator.naturalOrder()).orElseThrow();
                    if (start.compareTo(lastEnd) < 0 || ld.compareTo(lastLd) <= 0) {
                        continue;
                    }
                }
                stored.add(new EffRow(lk, start, END_OF_TIME, ld, sources.get(e.getKey())));
                inserted++;
            }
            return inserted;
        }

        void checkEff(List<String> actual, String where) {
            List<String> expected = new ArrayList<>();
            Map<String, Set<String>> sourcesOf = new TreeMap<>();
            eff.forEach((dk, rows) -> rows.forEach(r -> {
                String line = String.join(" ", q(dk), q(r.link()), r.start().toString(), r.end().toString(), r.ld().toString());
                expected.add(line);
                sourcesOf.put(line, r.sources());
            }));
            expected.sort(Comparator.naturalOrder());
            List<String> keys = new ArrayList<>();
            List<String> problems = new ArrayList<>();
            for (String line : actual) {
                int cut = line.lastIndexOf(" '");
                String k = line.substring(0, cut);
                keys.add(k);
                Set<String> allowed = sourcesOf.get(k);
                String source = line.substring(cut + 2, line.length() - 1);
                if (allowed != null && !allowed.contains(source)) {
                    problems.add(line + ": record source not among " + allowed);
                }
            }
            assertThat(keys).as("effectivity satellite, " + where).isEqualTo(expected);
            assertThat(problems).as("effectivity satellite record sources, " + where).isEmpty();
        }

        void checkMa(List<String> actual, String where) {
            List<String> expected = new ArrayList<>();
            ma.forEach((hk, sets) -> sets.forEach((ld, set) -> set.forEach((child, row) -> expected.add(String.join(" ",
                    q(hk), ld.toString(), q(child), q(row.hashDiff()), q(row.recordSource()), q(row.phone()))))));
            expected.sort(Comparator.naturalOrder());
            assertThat(actual).as("multi-active satellite, " + where).isEqualTo(expected);
        }
    }

}
