package dev.mds.vault;

import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.core.Field;
import dev.mds.core.FieldType;
import dev.mds.core.Schema;
import dev.mds.testing.MdsPostgres;
import java.math.BigDecimal;
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
import java.util.Collections;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Differential test of the transactional link (AutomateDV's {@code t_link}): random but seeded batches in three
 * stages (one reading its record source from a column) are loaded again and again, and after every load the whole
 * table and {@link LoadResult#rowsInserted()} are compared with an in-memory reference written from
 * {@link TransactionalLink}'s Javadoc: rows with a NULL transaction key are not loaded, rows with a NULL reference
 * neither ({@link NullKeys#SKIP}) or with the ghost key in its place ({@link NullKeys#GHOST}); a transaction hash key
 * is inserted once, never updated, from the stage row with the earliest load date, then the smallest record source
 * (byte order), references, payload (text in byte order, numbers by value; NULL last) and effective-from. The
 * batches hold duplicates within and across batches and stages, the same transaction with other payloads, load
 * dates and record sources, late rows, keys spelled in ways AUTOMATEDV hashes alike, NULL and empty keys.
 *
 * <p>A failure names its seed; {@code -Dmds.vault.tlink.seed=N} replays one seed, {@code -Dmds.vault.tlink.seeds=N}
 * runs N seeds from there, {@code -Dmds.vault.tlink.rounds=N} sets the number of batches per seed.
 */
@MdsPostgres
class TransactionalLinkModelTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final OffsetDateTime T0 = OffsetDateTime.of(2024, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC);
    private static final String[] EMAILS = {"a@x", "a@x", "A@X", "b@x", " b@x", "", null};
    private static final String[] PRODUCTS = {"p1", "p1", "P1", "p2", "", null};
    private static final BigDecimal[] AMOUNTS = {new BigDecimal("1.00"), new BigDecimal("1.00"), new BigDecimal("2.50"),
            new BigDecimal("-3.00"), new BigDecimal("10.00"), null};
    /** The session TimeZone of the loads, by seed: the stored rows must not depend on it. */
    private static final String[] ZONES = {"UTC", "America/St_Johns", "Asia/Kolkata", "Pacific/Kiritimati", "America/Los_Angeles"};
    private static final String[] SOURCES = {"shop", "shop", "Shop", "app", "crm"};

    static Stream<Arguments> configurations() {
        return Stream.of(
                Arguments.of(HashStandard.CANONICAL, Stage.Materialization.VIEW, NullKeys.SKIP, 31L),
                Arguments.of(HashStandard.AUTOMATEDV, Stage.Materialization.VIEW, NullKeys.GHOST, 32L),
                Arguments.of(HashStandard.CANONICAL, Stage.Materialization.TABLE, NullKeys.GHOST, 33L),
                Arguments.of(HashStandard.AUTOMATEDV, Stage.Materialization.TABLE, NullKeys.SKIP, 34L));
    }

    /** A raw row: the columns of the raw tables, in order. */
    record Raw(String id, String email, String product, BigDecimal amount, OffsetDateTime bought, OffsetDateTime ld, String src) {
        /** The values as the raw table of stage {@code stage} holds them: the third one's without a zone, in UTC. */
        Object[] values(int stage) {
            if (stage == 2) {
                return new Object[] {id, email, product, amount == null ? null : new BigDecimal(amount.stripTrailingZeros().toPlainString()),
                        bought == null ? null : bought.toLocalDateTime(), ld.toLocalDate(), src};
            }
            return new Object[] {id, email, product, amount, bought, ld, src};
        }

        /** The row as the link reads it: the load date of a {@code date} stage at midnight, amounts to 2 decimals. */
        Raw asStored(int stage) {
            OffsetDateTime day = stage == 2 ? ld.truncatedTo(java.time.temporal.ChronoUnit.DAYS) : ld;
            return new Raw(id, email, product, amount == null ? null : amount.setScale(2), bought, day, src);
        }
    }

    @ParameterizedTest(name = "{0}, {1} stages, NULL keys {2}")
    @MethodSource("configurations")
    void tableMatchesTheReferenceAfterEveryLoad(HashStandard standard, Stage.Materialization mat, NullKeys nullKeys,
            long defaultSeed, DataSource ds) throws Exception {
        long first = Long.getLong("mds.vault.tlink.seed", defaultSeed);
        int seeds = Integer.getInteger("mds.vault.tlink.seeds", 1);
        int rounds = Integer.getInteger("mds.vault.tlink.rounds", 25);
        for (long seed = first; seed < first + seeds; seed++) {
            String suffix = standard.name().toLowerCase().charAt(0) + "" + mat.name().toLowerCase().charAt(0) + "_" + seed;
            try {
                run(ds, Vault.on(PitModelTest.inTimeZone(ds, ZONES[(int) Math.floorMod(seed, (long) ZONES.length)])).standard(standard),
                        mat, nullKeys, seed, rounds, suffix);
            } catch (AssertionError | Exception e) {
                throw new AssertionError("seed " + seed + " (" + standard + ", " + mat + ", " + nullKeys + ", session TimeZone "
                        + ZONES[(int) Math.floorMod(seed, (long) ZONES.length)]
                        + "; replay with -Dmds.vault.tlink.seed=" + seed + "): " + e.getMessage(), e);
            }
        }
    }

    private static void run(DataSource ds, Vault vault, Stage.Materialization mat, NullKeys nullKeys, long seed, int rounds,
            String suffix) throws Exception {
        SplittableRandom rnd = new SplittableRandom(seed);
        sql(ds, "create schema if not exists raw");
        List<String> raws = new ArrayList<>();
        List<Stage> stages = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String raw = "raw.tm_" + i + "_" + suffix;
            // the third stage's types differ from the table's (which are the first stage's): its load date is read as
            // midnight UTC, its timestamp effective-from as UTC, its unscaled amounts are stored as numeric(10,2)
            sql(ds, "drop table if exists " + raw, "create table " + raw + " (id text, email text, product text,"
                    + (i == 2 ? " amount numeric, bought timestamp, ld date" : " amount numeric(10,2), bought timestamptz, ld timestamptz")
                    + ", src text)");
            raws.add(raw);
            Stage st = Stage.of(raw).into("stg.tm_" + i + "_" + suffix).loadDate("ld").materialized(mat)
                    .hashKey("purchase_hk", "id").hashKey("user_hk", "email").hashKey("product_hk", "product");
            st = i == 0 ? st.recordSourceColumn("src") : st.recordSource(i == 1 ? "crm" : "app");
            vault.createStage(st);
            stages.add(st);
        }
        TransactionalLink link = vault.transactionalLink("dds.tm_" + suffix).hashKey("purchase_hk").refs("user_hk", "product_hk")
                .payload("id", "amount").effectiveFrom("bought").from(stages.toArray(Stage[]::new)).nullKeys(nullKeys);
        link.createTable();
        Model model = new Model(vault, nullKeys);
        List<List<Raw>> last = List.of(List.of(), List.of(), List.of());
        for (int round = 0; round < rounds; round++) {
            List<List<Raw>> batches = new ArrayList<>();
            List<Raw> all = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                List<Raw> b = rnd.nextInt(8) == 0 ? last.get(i) : batch(rnd, round, i, all);
                batches.add(b);
                fill(ds, raws.get(i), b, i);
                int stage = i;
                b.forEach(r -> all.add(r.asStored(stage)));
            }
            last = batches;
            if (mat != Stage.Materialization.VIEW) {
                for (Stage st : stages) {
                    vault.createStage(st);
                }
            }
            int loads = rnd.nextInt(4) == 0 ? 2 : 1;
            for (int l = 0; l < loads; l++) {
                String where = "round " + round + (l > 0 ? " (re-load)" : "") + ", batches " + batches;
                long inserted = link.load().rowsInserted();
                long expected = model.load(all);
                assertThat(rows(ds, link)).as("transactional link, " + where).isEqualTo(model.rows());
                assertThat(inserted).as("rows inserted, " + where).isEqualTo(expected);
            }
        }
    }

    private static <T> T pick(SplittableRandom rnd, T[] values) {
        return values[rnd.nextInt(values.length)];
    }

    /**
     * Up to 8 rows: transaction ids from a window moving with the round (so ids recur across batches), spelled in
     * ways AUTOMATEDV hashes alike, or NULL or empty; load dates 12 hours apart around the round's (late ones
     * included); some rows repeated exactly, some the same transaction with other values, some a transaction of
     * {@code other} (the other stages' rows of this round) with its load date.
     */
    private static List<Raw> batch(SplittableRandom rnd, int round, int stage, List<Raw> other) {
        List<Raw> rows = new ArrayList<>();
        int n = rnd.nextInt(9);
        for (int i = 0; i < n; i++) {
            Raw r;
            if (!other.isEmpty() && rnd.nextInt(3) == 0) {
                Raw o = other.get(rnd.nextInt(other.size()));
                r = row(rnd, respell(rnd, o.id()), rnd.nextBoolean() ? o.ld() : ld(rnd, round), stage);
            } else {
                r = row(rnd, id(rnd, round), ld(rnd, round), stage);
            }
            rows.add(r);
            if (rnd.nextInt(5) == 0) {
                rows.add(r);                                                    // an exact duplicate
            }
            if (rnd.nextInt(4) == 0) {                                          // the same transaction, other values
                rows.add(row(rnd, respell(rnd, r.id()), rnd.nextBoolean() ? r.ld() : ld(rnd, round), stage));
            }
        }
        Collections.shuffle(rows, new Random(rnd.nextLong()));
        return rows;
    }

    private static OffsetDateTime ld(SplittableRandom rnd, int round) {
        return T0.plusHours(12L * Math.max(0, round + rnd.nextInt(-4, 2)));
    }

    private static Raw row(SplittableRandom rnd, String id, OffsetDateTime ld, int stage) {
        OffsetDateTime bought = rnd.nextInt(6) == 0 ? null : ld.minusHours(rnd.nextInt(0, 48));
        return new Raw(id, pick(rnd, EMAILS), pick(rnd, PRODUCTS), pick(rnd, AMOUNTS), bought, ld,
                stage == 0 ? pick(rnd, SOURCES) : stage == 1 ? "crm" : "app");
    }

    private static String id(SplittableRandom rnd, int round) {
        int k = rnd.nextInt(14);
        if (k == 0) {
            return null;
        }
        if (k == 1) {
            return rnd.nextBoolean() ? "" : " ";
        }
        return respell(rnd, "t" + (round + rnd.nextInt(6)));
    }

    /** The id spelled another way: as it is, upper case, or with blanks around it. */
    private static String respell(SplittableRandom rnd, String id) {
        if (id == null || id.isBlank()) {
            return id;
        }
        String base = id.strip().toLowerCase(Locale.ROOT);
        return switch (rnd.nextInt(4)) {
            case 0, 1 -> base;
            case 2 -> base.toUpperCase(Locale.ROOT);
            default -> " " + base + " ";
        };
    }

    private static void fill(DataSource ds, String table, List<Raw> rows, int stage) throws SQLException {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("truncate " + table);
            try (PreparedStatement ps = c.prepareStatement("insert into " + table + " values (?, ?, ?, ?, ?, ?, ?)")) {
                for (Raw r : rows) {
                    Object[] v = r.values(stage);
                    for (int i = 0; i < v.length; i++) {
                        ps.setObject(i + 1, v[i]);
                    }
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        }
    }

    /** The stored rows as sorted lines: hash key, references, id, amount, effective-from, load date, record source. */
    private static List<String> rows(DataSource ds, TransactionalLink link) throws SQLException {
        List<String> out = new ArrayList<>();
        String query = "select encode(purchase_hk, 'hex'), encode(user_hk, 'hex'), encode(product_hk, 'hex'), id, amount::text,"
                + " effective_from, load_date, record_source from " + link.table.quoted();
        try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(query)) {
            while (rs.next()) {
                List<String> cols = new ArrayList<>();
                for (int i = 1; i <= 8; i++) {
                    Object v = rs.getObject(i);
                    cols.add(v instanceof java.sql.Timestamp ? rs.getObject(i, OffsetDateTime.class).toInstant().toString() : q(v));
                }
                out.add(String.join(" ", cols));
            }
        }
        out.sort(Comparator.naturalOrder());
        return out;
    }

    private static String q(Object v) {
        return v == null ? "NULL" : "'" + v + "'";
    }

    /** Unsigned byte order of UTF-8 text, NULL last. */
    private static final Comparator<String> BYTES = Comparator.nullsLast(
            (x, y) -> Arrays.compareUnsigned(x.getBytes(StandardCharsets.UTF_8), y.getBytes(StandardCharsets.UTF_8)));

    /** What the table must hold. */
    static final class Model {
        /** A candidate row, in the order of the tie-break after the load date. */
        record Cand(Instant ld, String src, String user, String product, String id, BigDecimal amount, Instant bought) {
            static final Comparator<Cand> ORDER = Comparator.comparing(Cand::ld)
                    .thenComparing(Cand::src, BYTES)
                    .thenComparing(Cand::user, BYTES)
                    .thenComparing(Cand::product, BYTES)
                    .thenComparing(Cand::id, BYTES)
                    .thenComparing(Cand::amount, Comparator.nullsLast(Comparator.<BigDecimal>naturalOrder()))
                    .thenComparing(Cand::bought, Comparator.nullsLast(Comparator.<Instant>naturalOrder()));
        }

        private final Hasher key;
        private final String ghost;
        private final Map<String, String> stored = new TreeMap<>();

        Model(Vault vault, NullKeys nullKeys) {
            key = vault.hasher(Schema.of(Field.of("id", FieldType.STRING)));
            ghost = nullKeys == NullKeys.GHOST ? HEX.formatHex(key.ghostKey()) : null;
        }

        private static String hex(Optional<byte[]> hash) {
            return hash.map(HEX::formatHex).orElse(null);
        }

        /** The rows of all stages of one load; returns how many transactions it inserts. */
        long load(List<Raw> rows) {
            Map<String, Cand> best = new TreeMap<>();
            for (Raw r : rows) {
                String hk = hex(key.hashKey(r.id()));
                String user = hex(key.hashKey(r.email()));
                String product = hex(key.hashKey(r.product()));
                user = user == null ? ghost : user;
                product = product == null ? ghost : product;
                if (hk == null || user == null || product == null || stored.containsKey(hk)) {
                    continue;
                }
                                Cand c = new Cand(r.ld().toInstant(), r.src(), user, product, r.id(), r.amount(),
                        r.bought() == null ? null : r.bought().toInstant());
                best.merge(hk, c, (x, y) -> Cand.ORDER.compare(x, y) <= 0 ? x : y);
            }
            best.forEach((hk, c) -> stored.put(hk, String.join(" ", q(hk), q(c.user()), q(c.product()), q(c.id()),
                    q(c.amount()), c.bought() == null ? "NULL" : c.bought().toString(), c.ld().toString(), q(c.src()))));
            return best.size();
        }

        List<String> rows() {
            return List.copyOf(stored.values());
        }
    }
}
