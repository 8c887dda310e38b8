package dev.mds.vault;

import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.TreeSet;
import javax.sql.DataSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A multi-active satellite against a reference written independently, over random batches of three keys' phone sets:
 * new days, late days between stored ones, and replays of earlier batches. The reference: a key's staged set of a day
 * is the set of its latest stage timestamp that day (a table of timestamps has one timestamp a day here); a set whose
 * (key, day) is stored is skipped; any other is stored when it differs from the set before it in time, stored or
 * staged (a late set is not compared with the stored set after it).
 */
@MdsPostgres
class MultiActiveSatelliteModelTest {
    private record Row(String key, String type, String phone, int day, int hour) {
    }

    /** {@code timestamptz}: one stage timestamp a day; {@code date}: one or two a day (09:00, 23:00), one set a day. */
    @ParameterizedTest
    @ValueSource(strings = {"timestamptz", "date"})
    void everyBatchLeavesTheSetsTheReferenceStores(String loadDateType, DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        String raw = "raw.mm_" + loadDateType;
        sql(ds, "create schema if not exists raw", "create schema if not exists dds",
                "create table " + raw + " (email text, phone_type text, phone text, ld timestamptz)");
        Stage stage = Stage.of(raw).into("stg.mm_" + loadDateType).loadDate("ld").recordSource("crm")
                .hashKey("user_hk", "email").hashDiff("phone_hashdiff", "phone_type", "phone");
        vault.createStage(stage);
        boolean days = loadDateType.equals("date");
        for (int seed = 0; seed < 6; seed++) {
            Random rnd = new Random(seed);
            String table = "dds.mm_" + loadDateType + "_" + seed;
            sql(ds, "create table " + table + " (user_hk bytea not null, phone_type text not null, phone_hashdiff bytea not null,"
                    + " phone text, load_date " + loadDateType + " not null, record_source text not null,"
                    + " primary key (user_hk, phone_type, load_date))");
            MultiActiveSatellite ma = vault.multiActiveSatellite(table).parent("user_hk").childKeys("phone_type")
                    .hashDiff("phone_hashdiff").payload("phone").from(stage);
            Map<String, TreeMap<Integer, Map<String, String>>> stored = new TreeMap<>();   // key -> day -> type -> phone
            List<List<Row>> batches = new ArrayList<>();
            for (int b = 0; b < 6; b++) {
                List<Row> batch = !batches.isEmpty() && rnd.nextInt(4) == 0
                        ? batches.get(rnd.nextInt(batches.size())) : batch(rnd, days);
                batches.add(batch);
                expect(stored, batch);
                sql(ds, "truncate " + raw);
                StringJoiner values = new StringJoiner(", ");
                batch.forEach(r -> values.add("('" + r.key() + "', '" + r.type() + "', '" + r.phone() + "', '2024-01-0"
                        + r.day() + " " + r.hour() + ":00Z')"));
                sql(ds, "insert into " + raw + " values " + values);
                ma.load();
                List<String> want = new ArrayList<>();
                stored.forEach((key, sets) -> sets.forEach((day, set) -> set.forEach((type, phone) ->
                        want.add(key + " " + day + " " + type + " " + phone))));
                // every key is in every batch, so the stage maps each stored hash key back to its email
                assertThat(strings(ds, "select s.email || ' ' || extract(day from "
                        + (days ? "t.load_date" : "t.load_date at time zone 'UTC'") + ")::int || ' ' || t.phone_type"
                        + " || ' ' || t.phone from " + table + " as t join (select distinct email, user_hk from "
                        + stage.target() + ") as s using (user_hk)"))
                        .as("seed %d batch %d", seed, b).containsExactlyInAnyOrderElementsOf(want);
            }
        }
    }

    /** Each key on up to two random days, at 09:00 (and with {@code twoTimes} sometimes 23:00 too), each a non-empty set. */
    private static List<Row> batch(Random rnd, boolean twoTimes) {
        List<Row> out = new ArrayList<>();
        for (String key : List.of("a", "b", "c")) {
            TreeSet<Integer> keyDays = new TreeSet<>(List.of(1 + rnd.nextInt(8)));
            if (rnd.nextBoolean()) {
                keyDays.add(1 + rnd.nextInt(8));
            }
            for (int day : keyDays) {
                for (int hour : twoTimes && rnd.nextBoolean() ? List.of(9, 23) : List.of(9)) {
                    int before = out.size();
                    for (String type : List.of("home", "work", "mobile")) {
                        if (rnd.nextInt(3) > 0 || out.size() == before && type.equals("mobile")) {
                            out.add(new Row(key, type, String.valueOf(rnd.nextInt(2)), day, hour));
                        }
                    }
                }
            }
        }
        return out;
    }

    /** What the load of {@code batch} stores, added to {@code stored}. */
    private static void expect(Map<String, TreeMap<Integer, Map<String, String>>> stored, List<Row> batch) {
        Map<String, Integer> lastHour = new HashMap<>();
        batch.forEach(r -> lastHour.merge(r.key() + "/" + r.day(), r.hour(), Math::max));
        Map<String, TreeMap<Integer, Map<String, String>>> staged = new TreeMap<>();
        for (Row r : batch) {
            if (r.hour() == lastHour.get(r.key() + "/" + r.day())) {
                staged.computeIfAbsent(r.key(), k -> new TreeMap<>()).computeIfAbsent(r.day(), k -> new TreeMap<>())
                        .put(r.type(), r.phone());
            }
        }
        staged.forEach((key, sets) -> {
            TreeMap<Integer, Map<String, String>> keyStored = stored.computeIfAbsent(key, k -> new TreeMap<>());
            TreeMap<Integer, Map<String, String>> merged = new TreeMap<>(keyStored);
            List<Integer> candidates = new ArrayList<>();
            sets.forEach((day, set) -> {
                if (!keyStored.containsKey(day)) {
                    merged.put(day, set);
                    candidates.add(day);
                }
            });
            for (int day : candidates) {
                Map.Entry<Integer, Map<String, String>> before = merged.lowerEntry(day);
                if (before == null || !before.getValue().equals(merged.get(day))) {
                    keyStored.put(day, merged.get(day));
                }
            }
        });
    }
}
