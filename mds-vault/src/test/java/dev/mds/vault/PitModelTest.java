package dev.mds.vault;

import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.core.Field;
import dev.mds.core.FieldType;
import dev.mds.core.Schema;
import dev.mds.testing.MdsPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
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
 * Differential test of the PIT: a hub and two or three satellites are loaded over random but seeded batches (late
 * rows, values changed and changed back, keys only in some satellites or only in the hub, ghost records inserted or
 * not, hub keys deleted), and after every PIT load, over a random list of as-of dates (before any row, exactly on
 * load dates, between them (a few nanoseconds too), after them all, repeated, as {@link LocalDate}, {@link LocalDateTime},
 * {@link OffsetDateTime} in other offsets and {@link Instant}), the whole table is compared with a reference computed
 * in Java from the hub's and satellites' stored rows as {@link Pit}'s Javadoc states it: per hub key and distinct
 * as-of instant, each satellite's latest row at or before it (its key and load date), else the ghost key and
 * 1900-01-01 (the as-of in the hub's load-date type: a date's day, microseconds cut).
 * {@link LoadResult#rowsInserted()} must count the rows inserted or updated: the reference's rows that
 * the table did not hold before the load. Hub and satellite load dates are timestamptz, timestamp or date in mixed
 * combinations (values without a zone are UTC), and the loads run in sessions of other TimeZones.
 *
 * <p>A failure names its seed; {@code -Dmds.vault.pit.seed=N} replays one seed, {@code -Dmds.vault.pit.seeds=N}
 * runs N seeds from there, {@code -Dmds.vault.pit.rounds=N} sets the number of batches per seed.
 */
@MdsPostgres
class PitModelTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final OffsetDateTime T0 = OffsetDateTime.of(2024, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC);
    private static final Instant GHOST_DATE = Instant.parse("1900-01-01T00:00:00Z");
    private static final String[] NAMES = {"A", "A", "B", "C", null};
    /** The session TimeZone of the vault's loads, by seed: the PIT must not depend on it. */
    private static final String[] ZONES = {"UTC", "America/St_Johns", "Asia/Kolkata", "Pacific/Kiritimati", "America/Los_Angeles"};
    private static final ZoneOffset[] OFFSETS = {ZoneOffset.UTC, ZoneOffset.ofHours(2), ZoneOffset.ofHours(-5),
            ZoneOffset.ofHoursMinutes(5, 30)};

    static Stream<Arguments> configurations() {
        return Stream.of(
                Arguments.of(HashStandard.CANONICAL, "timestamptz", List.of("timestamptz", "timestamptz", "timestamptz"), NullKeys.SKIP, 21L),
                Arguments.of(HashStandard.AUTOMATEDV, "timestamptz", List.of("timestamptz", "timestamptz"), NullKeys.GHOST, 22L),
                Arguments.of(HashStandard.CANONICAL, "timestamptz", List.of("timestamp", "date"), NullKeys.GHOST, 23L),
                Arguments.of(HashStandard.CANONICAL, "timestamp", List.of("timestamptz", "timestamp", "date"), NullKeys.SKIP, 24L),
                Arguments.of(HashStandard.AUTOMATEDV, "date", List.of("timestamptz", "timestamp", "date"), NullKeys.SKIP, 25L));
    }

    @ParameterizedTest(name = "{0}, hub load date {1}, satellites' {2}, hub NULL keys {3}")
    @MethodSource("configurations")
    void pitMatchesTheReferenceAfterEveryLoad(HashStandard standard, String hubType, List<String> satTypes, NullKeys nullKeys,
            long defaultSeed, DataSource ds) throws Exception {
        int satellites = satTypes.size();
        long first = Long.getLong("mds.vault.pit.seed", defaultSeed);
        int seeds = Integer.getInteger("mds.vault.pit.seeds", 1);
        int rounds = Integer.getInteger("mds.vault.pit.rounds", 14);
        for (long seed = first; seed < first + seeds; seed++) {
            String suffix = standard.name().toLowerCase().charAt(0) + "" + satellites + hubType.charAt(hubType.length() - 1) + "_" + seed;
            try {
                String zone = ZONES[(int) Math.floorMod(seed, (long) ZONES.length)];
                run(ds, Vault.on(inTimeZone(ds, zone)).standard(standard), hubType, satTypes, nullKeys, seed, rounds, suffix);
            } catch (AssertionError | Exception e) {
                throw new AssertionError("seed " + seed + " (" + standard + ", " + satellites + " satellites, session TimeZone "
                        + ZONES[(int) Math.floorMod(seed, (long) ZONES.length)] + "; replay with"
                        + " -Dmds.vault.pit.seed=" + seed + "): " + e.getMessage(), e);
            }
        }
    }

    /**
     * The data source whose sessions have the TimeZone {@code zone} (reset when the connection is closed, so a
     * pooled connection goes back as it came).
     */
    static DataSource inTimeZone(DataSource ds, String zone) {
        return (DataSource) java.lang.reflect.Proxy.newProxyInstance(PitModelTest.class.getClassLoader(),
                new Class<?>[] {DataSource.class}, (proxy, method, args) -> {
                    Object out;
                    try {
                        out = method.invoke(ds, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (!(out instanceof Connection c)) {
                        return out;
                    }
                    try (Statement st = c.createStatement()) {
                        st.execute("set timezone = '" + zone + "'");
                    }
                    return java.lang.reflect.Proxy.newProxyInstance(PitModelTest.class.getClassLoader(),
                            new Class<?>[] {Connection.class}, (p, m, a) -> {
                                if (m.getName().equals("close") && !c.isClosed()) {
                                    try (Statement st = c.createStatement()) {
                                        st.execute("reset timezone");
                                    }
                                }
                                try {
                                    return m.invoke(c, a);
                                } catch (java.lang.reflect.InvocationTargetException e) {
                                    throw e.getCause();
                                }
                            });
                });
    }

    private static void run(DataSource ds, Vault vault, String hubType, List<String> satTypes, NullKeys nullKeys, long seed,
            int rounds, String suffix) throws Exception {
        int satellites = satTypes.size();
        SplittableRandom rnd = new SplittableRandom(seed);
        sql(ds, "create schema if not exists raw", "create schema if not exists dds");
        String zone = ZONES[(int) Math.floorMod(seed, (long) ZONES.length)];
        assertThat(dev.mds.testing.TestSql.strings(vault.dataSource(), "show timezone")).as("the loads' sessions").containsExactly(zone);
        List<String> raws = new ArrayList<>();
        List<Stage> stages = new ArrayList<>();
        List<String> types = new ArrayList<>(satTypes);
        types.add(hubType);
        for (int i = 0; i <= satellites; i++) {                  // the last one feeds only the hub
            String raw = "raw.pm_" + i + "_" + suffix;
            sql(ds, "drop table if exists " + raw, "create table " + raw + " (id text, email text, name text, age int, ld "
                    + types.get(i) + ")");
            raws.add(raw);
            Stage st = VaultFixtures.customers(raw, i == satellites ? "hub_only" : "src" + i);
            vault.createStage(st);
            stages.add(st);
        }
        String hubName = "dds.pm_hub_" + suffix;
        List<Stage> hubStages = new ArrayList<>(stages);
        Collections.rotate(hubStages, 1);                        // the hub-only stage first: the hub's load-date type is its
        Hub hub = vault.hub(hubName).hashKey("customer_hk").businessKey("id").from(hubStages.toArray(Stage[]::new)).nullKeys(nullKeys);
        hub.createTable();
        List<Satellite> sats = new ArrayList<>();
        List<String> satNames = new ArrayList<>();
        for (int i = 0; i < satellites; i++) {
            String name = "dds.pm_s" + i + "_" + suffix;
            Satellite s = vault.satellite(name).parent("customer_hk").hashDiff("customer_hashdiff").payload("name").from(stages.get(i));
            s.createTable();
            sats.add(s);
            satNames.add(name);
        }
        String pitName = "dds.pm_pit_" + suffix;
        String ghost = HEX.formatHex(vault.hasher(Schema.of(Field.of("id", FieldType.STRING))).ghostKey());
        boolean zoned = hubType.equals("timestamptz");
        List<Object> asOf = dates(rnd, List.of(), zoned);
        pit(vault, pitName, hubName, satNames, asOf).createTable();
        for (int round = 0; round < rounds; round++) {
            for (int i = 0; i <= satellites; i++) {
                fill(ds, raws.get(i), batch(rnd, round, i, satellites), types.get(i));
            }
            hub.load();
            for (Satellite s : sats) {
                s.load();
                if (rnd.nextInt(6) == 0) {
                    s.insertGhostRecord();
                }
            }
            if (rnd.nextInt(5) == 0) {                            // some keys leave the hub
                sql(ds, "delete from " + hubName + " where get_byte(customer_hk, 0) < " + rnd.nextInt(40));
            }
            int loads = rnd.nextInt(4) == 0 ? 2 : 1;
            for (int l = 0; l < loads; l++) {
                if (l == 0 && rnd.nextInt(3) != 0) {
                    asOf = dates(rnd, satLoadDates(ds, satNames), zoned);
                }
                String where = "round " + round + (l > 0 ? " (re-load)" : "") + ", as of " + asOf;
                List<String> before = pitRows(ds, pitName);
                long written = pit(vault, pitName, hubName, satNames, asOf).load().rowsInserted();
                List<String> expected = reference(ds, hubName, satNames, asOf, ghost, hubType);
                assertThat(pitRows(ds, pitName)).as("PIT, " + where).isEqualTo(expected);
                Set<String> old = new HashSet<>(before);
                long changed = expected.stream().filter(r -> !old.contains(r)).count();
                assertThat(written).as("PIT rows inserted or updated, " + where).isEqualTo(changed);
            }
        }
    }

    private static Pit pit(Vault vault, String pit, String hub, List<String> sats, List<Object> asOf) {
        return vault.pit(pit).hub(hub, "customer_hk").satellites(sats.toArray(String[]::new)).asOf(asOf);
    }

    /**
     * Rows of one satellite's stage: keys from a window that moves with the round and is shifted per satellite (so
     * keys are in some satellites only; the hub-only stage has keys of its own), load dates 6 hours apart around the
     * round's (late rows included), sometimes at an odd minute, names from a small set (values change back).
     */
    private static List<Object[]> batch(SplittableRandom rnd, int round, int sat, int satellites) {
        List<Object[]> rows = new ArrayList<>();
        int n = rnd.nextInt(9);
        for (int i = 0; i < n; i++) {
            String id;
            if (rnd.nextInt(15) == 0) {
                id = null;
            } else if (sat == satellites) {
                id = "h" + (round / 2 + rnd.nextInt(4));
            } else {
                id = "k" + (round / 3 + 2 * sat + rnd.nextInt(5));
            }
            OffsetDateTime ld = T0.plusHours(6L * Math.max(0, 2 * round + rnd.nextInt(-6, 3)));
            if (rnd.nextInt(6) == 0) {
                ld = ld.plusMinutes(rnd.nextInt(1, 300));
            }
            rows.add(new Object[] {id, null, NAMES[rnd.nextInt(NAMES.length)], null, ld});
            if (rnd.nextInt(5) == 0) {
                rows.add(new Object[] {id, null, NAMES[rnd.nextInt(NAMES.length)], null, ld});     // same key and load date
            }
        }
        return rows;
    }

    /**
     * A list of as-of values: before any row, after every row, exactly on stored load dates, an hour or a minute
     * after or before one, each in one of several Java types and offsets; some repeated, some the same instant twice
     * in different types.
     */
    private static List<Object> dates(SplittableRandom rnd, List<Instant> loadDates, boolean zoned) {
        List<Object> out = new ArrayList<>();
        int n = 1 + rnd.nextInt(6);
        for (int i = 0; i < n; i++) {
            Instant at;
            int kind = rnd.nextInt(8);
            if (kind == 0 || loadDates.isEmpty() && kind < 4) {
                at = T0.minusDays(rnd.nextInt(1, 400)).toInstant();
            } else if (kind == 1) {
                at = T0.plusDays(rnd.nextInt(20, 4000)).toInstant();
            } else if (loadDates.isEmpty()) {
                at = T0.plusHours(6L * rnd.nextInt(0, 40)).toInstant();
            } else {
                Instant ld = loadDates.get(rnd.nextInt(loadDates.size()));
                at = switch (kind) {
                    case 2, 3, 4 -> ld;
                    case 5 -> rnd.nextBoolean() ? ld.plusSeconds(3600) : ld.plusNanos(rnd.nextInt(1, 1000));
                    case 6 -> rnd.nextBoolean() ? ld.minusSeconds(60) : ld.minusNanos(rnd.nextInt(1, 1000));
                    default -> ld.plusSeconds(60);
                };
            }
            out.add(as(rnd, at, zoned));
            if (rnd.nextInt(6) == 0) {
                out.add(rnd.nextBoolean() ? out.get(out.size() - 1) : as(rnd, at, zoned));
            }
        }
        return out;
    }

    /**
     * The instant as a random one of the types {@link Pit#asOf} takes (a LocalDate only for a midnight in UTC); only
     * a LocalDate or LocalDateTime unless the hub's load date is a timestamptz (a value with an offset is refused
     * against a timestamp).
     */
    private static Object as(SplittableRandom rnd, Instant at, boolean zoned) {
        OffsetDateTime utc = at.atOffset(ZoneOffset.UTC);
        boolean midnight = utc.toLocalTime().equals(java.time.LocalTime.MIDNIGHT);
        if (!zoned) {
            return midnight && rnd.nextBoolean() ? utc.toLocalDate() : utc.toLocalDateTime();
        }
        return switch (rnd.nextInt(midnight ? 5 : 4)) {
            case 0 -> utc.toLocalDateTime();
            case 1 -> at;
            case 2 -> utc.atZoneSameInstant(java.time.ZoneId.of("Europe/Berlin"));
            case 3 -> at.atOffset(OFFSETS[rnd.nextInt(OFFSETS.length)]);
            default -> utc.toLocalDate();
        };
    }

    /** The as-of value as an instant, as the Javadoc reads it: values without a zone in UTC, a date at its midnight. */
    private static Instant instant(Object d) {
        if (d instanceof LocalDate x) {
            return x.atStartOfDay().toInstant(ZoneOffset.UTC);
        }
        if (d instanceof LocalDateTime x) {
            return x.toInstant(ZoneOffset.UTC);
        }
        if (d instanceof OffsetDateTime x) {
            return x.toInstant();
        }
        if (d instanceof java.time.ZonedDateTime x) {
            return x.toInstant();
        }
        return (Instant) d;
    }

    /** The rows into the raw table, their load dates as its type holds them (values without a zone in UTC). */
    private static void fill(DataSource ds, String table, List<Object[]> rows, String ldType) throws SQLException {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("truncate " + table);
            try (PreparedStatement ps = c.prepareStatement("insert into " + table + " values (?, ?, ?, ?, ?)")) {
                for (Object[] r : rows) {
                    for (int i = 0; i < r.length; i++) {
                        Object v = r[i];
                        if (v instanceof OffsetDateTime t && !ldType.equals("timestamptz")) {
                            v = ldType.equals("date") ? t.toLocalDate() : t.toLocalDateTime();
                        }
                        ps.setObject(i + 1, v);
                    }
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        }
    }

    private static List<Instant> satLoadDates(DataSource ds, List<String> sats) throws SQLException {
        List<Instant> out = new ArrayList<>();
        for (String s : sats) {
            for (List<Object> r : read(ds, "select distinct load_date from " + s)) {
                out.add((Instant) r.get(0));
            }
        }
        return out;
    }

    /** Rows of a query: bytea as hex, timestamps as instants. */
    private static List<List<Object>> read(DataSource ds, String query) throws SQLException {
        List<List<Object>> out = new ArrayList<>();
        try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(query)) {
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                List<Object> row = new ArrayList<>();
                for (int i = 1; i <= n; i++) {
                    Object v = rs.getObject(i);
                    String type = rs.getMetaData().getColumnTypeName(i);
                    row.add(v == null ? null : v instanceof byte[] b ? HEX.formatHex(b)
                            : type.equals("timestamptz") ? rs.getObject(i, OffsetDateTime.class).toInstant()
                            : type.equals("timestamp") ? rs.getObject(i, LocalDateTime.class).toInstant(ZoneOffset.UTC)
                            : type.equals("date") ? rs.getObject(i, LocalDate.class).atStartOfDay().toInstant(ZoneOffset.UTC) : v);
                }
                out.add(row);
            }
        }
        return out;
    }

    private static List<String> pitRows(DataSource ds, String pit) throws SQLException {
        List<String> out = new ArrayList<>();
        for (List<Object> r : read(ds, "select * from " + pit)) {
            out.add(r.stream().map(String::valueOf).reduce((a, b) -> a + " " + b).orElseThrow());
        }
        out.sort(null);
        return out;
    }

    /** The rows the PIT must hold, from the hub's keys and the satellites' (key, load date) as stored now. */
    private static List<String> reference(DataSource ds, String hub, List<String> sats, List<Object> asOf, String ghost,
            String hubType) throws SQLException {
        List<Map<String, TreeSet<Instant>>> stored = new ArrayList<>();
        for (String s : sats) {
            Map<String, TreeSet<Instant>> rows = new TreeMap<>();
            for (List<Object> r : read(ds, "select customer_hk, load_date from " + s)) {
                rows.computeIfAbsent((String) r.get(0), k -> new TreeSet<>()).add((Instant) r.get(1));
            }
            stored.add(rows);
        }
        Set<Instant> dates = new TreeSet<>();
        // as_of_date is in the hub's load-date type: against a date, a LocalDateTime is its day (PostgreSQL's cast)
        // and a value finer than microseconds is cut to them (never rounded up past a row's load date)
        asOf.forEach(d -> dates.add(instant(d).truncatedTo(hubType.equals("date") ? java.time.temporal.ChronoUnit.DAYS
                : java.time.temporal.ChronoUnit.MICROS)));
        List<String> out = new ArrayList<>();
        for (List<Object> h : read(ds, "select customer_hk from " + hub)) {
            String hk = (String) h.get(0);
            for (Instant d : dates) {
                StringBuilder line = new StringBuilder(hk + " " + d);
                for (Map<String, TreeSet<Instant>> s : stored) {
                    Instant ld = s.getOrDefault(hk, new TreeSet<>()).floor(d);
                    line.append(' ').append(ld == null ? ghost + " " + GHOST_DATE : hk + " " + ld);
                }
                out.add(line.toString());
            }
        }
        out.sort(null);
        return out;
    }
}
