package dev.mds.bench.suites;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.mds.bench.BenchContext;
import dev.mds.bench.BenchSuite;
import dev.mds.bench.Series;
import dev.mds.connector.json.JsonSource;
import dev.mds.core.FieldType;
import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import dev.mds.core.Schema;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * JSON Lines reading: {@link JsonSource} (types inferred) on one thread and with {@code threads(2)} against Jackson's
 * own reading of the same file into {@code Map}s ({@code ObjectMapper.readerFor(Map.class).readValues}, one thread),
 * in the same run, alternating.
 * Detail lines only, no {@code RATIO} line: no goal is set for JSON reading.
 *
 * <p>Warm-up: both sides read at least 300,000 records untimed, then alternate the timed rounds.
 *
 * <p>The file: 1,000,000 records (100,000 with {@code --quick}) of 10 keys: whole numbers, decimals, strings (some
 * with escapes or multibyte characters), a date-time with an offset, a boolean and a nested object (a jsonb column
 * for JsonSource). Each side's records are checked in every round: their count and a sum of per-record hashes of all
 * their values, against the same sums computed from the generator (the Maps as Jackson builds them: Integer, Double,
 * String, Boolean, a nested LinkedHashMap; the typed records: Long, BigDecimal, String, OffsetDateTime, Boolean, the
 * nested object's JSON text: {@code Record.hashCode}, as the Maps' {@code hashCode} on the other side).
 */
public final class JsonSuite implements BenchSuite {
    private static final int CHUNK_ROWS = 10_000;
    private static final String[] CITIES = {"Amsterdam", "Zürich", "Kraków", "東京", "Lisboa", "Reykjavík", "Oslo"};

    @Override
    public void run(BenchContext ctx) throws Exception {
        int rows = ctx.scale(1_000_000, 100_000);
        Path dir = Files.createTempDirectory("mds-bench-json");
        Path file = dir.resolve("orders.jsonl");
        try {
            long bytes = write(file, rows);
            ctx.detail("generated %s: %d JSON Lines records of 10 keys, %.1f MB", file.getFileName(), rows,
                    bytes / 1048576.0);
            long mapsExpected = 0;
            long typedExpected = 0;
            for (long id = 1; id <= rows; id++) {
                mapsExpected += mapOf(id).hashCode();
                typedExpected += typedHash(typed(id));
            }
            Series jackson = ctx.series("Jackson readValues into Maps, 1 thread");
            Series mds = ctx.series("JsonSource inferred, 1 thread");
            Series mds2 = ctx.series("JsonSource inferred, threads(2)");
            // the JIT compiles JsonSource's deeper paths later than Jackson's: both sides read at least 300,000
            // records untimed (quick mode's 100,000-record file three times) before the timed rounds
            for (int extra = 1; extra < Math.max(1, 300_000 / rows); extra++) {
                jacksonMaps(file);
                jsonSource(file, 1);
                jsonSource(file, 2);
            }
            for (int round = 0; round <= ctx.rounds(); round++) {
                long[] a = jackson.time(round, () -> jacksonMaps(file));
                long[] b = mds.time(round, () -> jsonSource(file, 1));
                long[] c = mds2.time(round, () -> jsonSource(file, 2));
                if (a[0] != rows || b[0] != rows || c[0] != rows || a[1] != mapsExpected || b[1] != typedExpected
                        || c[1] != typedExpected) {
                    throw new AssertionError("wrong records: Jackson " + a[0] + " records hash " + a[1] + " (expected "
                            + rows + ", " + mapsExpected + "), JsonSource " + b[0] + " records hash " + b[1]
                            + ", on 2 threads " + c[0] + " records hash " + c[1] + " (expected " + rows + ", "
                            + typedExpected + ")");
                }
            }
            ctx.detail("every round: %d records on each side; Maps hash sum %d, typed hash sum %d (as generated)",
                    rows, mapsExpected, typedExpected);
            ctx.detail("%s -> %.0f records/s", jackson.summary(), rows / jackson.medianSeconds());
            ctx.detail("%s -> %.0f records/s", mds.summary(), rows / mds.medianSeconds());
            ctx.detail("%s -> %.0f records/s", mds2.summary(), rows / mds2.medianSeconds());
            ctx.detail("JsonSource 1 thread / Jackson into Maps (time, lower is faster): median %.2f",
                    mds.medianSeconds() / jackson.medianSeconds());
            ctx.detail("JsonSource threads(2) / Jackson into Maps (time, lower is faster): median %.2f",
                    mds2.medianSeconds() / jackson.medianSeconds());
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(dir);
        }
    }

    // ---- the data: every value a function of the record's id ----

    private static long mix(long id, int k) {
        long z = id * 0x9E3779B97F4A7C15L + k * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return (z ^ (z >>> 31)) & Long.MAX_VALUE;
    }

    private static String customer(long id) {
        String base = "customer " + (mix(id, 1) % 50_000);
        if (id % 100 == 0) {
            return base + " \"VIP\"\\gold";      // written with escapes
        }
        return base;
    }

    private static String amountText(long id) {
        long c = mix(id, 2) % 1_000_000;
        return c / 100 + "." + (c % 100 < 10 ? "0" : "") + c % 100;
    }

    private static int quantity(long id) {
        return (int) (mix(id, 3) % 100) + 1;
    }

    private static String rateText(long id) {
        long m = mix(id, 4) % 100_000;
        return "0." + String.format(Locale.ROOT, "%05d", m);
    }

    private static OffsetDateTime created(long id) {
        long second = 1_700_000_000L + mix(id, 5) % 31_536_000L;
        int millis = (int) (mix(id, 6) % 1000);
        ZoneOffset offset = ZoneOffset.ofHours((int) (mix(id, 7) % 5) - 2);
        return OffsetDateTime.ofInstant(java.time.Instant.ofEpochSecond(second, millis * 1_000_000L), offset);
    }

    private static String createdText(long id) {
        OffsetDateTime t = created(id);
        // always seconds and milliseconds, the offset as +HH:MM or Z
        return String.format(Locale.ROOT, "%04d-%02d-%02dT%02d:%02d:%02d.%03d%s", t.getYear(), t.getMonthValue(), t.getDayOfMonth(),
                t.getHour(), t.getMinute(), t.getSecond(), t.getNano() / 1_000_000, t.getOffset().getId());
    }

    private static boolean active(long id) {
        return mix(id, 8) % 3 != 0;
    }

    private static String city(long id) {
        return CITIES[(int) (mix(id, 9) % CITIES.length)];
    }

    private static String email(long id) {
        return "user" + (mix(id, 10) % 1_000_000) + "@example.org";
    }

    private static String street(long id) {
        return (mix(id, 11) % 300 + 1) + " Main Street";
    }

    private static String zip(long id) {
        return String.format(Locale.ROOT, "%05d", mix(id, 12) % 100_000);
    }

    /** The nested object's JSON text, as written and as JsonSource hands it out (a jsonb column). */
    private static String addressJson(long id) {
        return "{\"street\":\"" + street(id) + "\",\"zip\":\"" + zip(id) + "\",\"city\":\"" + city(id) + "\"}";
    }

    private static String escaped(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    /** Writes records {@code 1..rows} as JSON Lines and returns the file's size in bytes. */
    private static long write(Path file, long rows) throws IOException {
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            StringBuilder s = new StringBuilder(400);
            for (long id = 1; id <= rows; id++) {
                s.setLength(0);
                s.append("{\"id\":").append(id)
                        .append(",\"customer\":\"").append(escaped(customer(id)))
                        .append("\",\"email\":\"").append(email(id))
                        .append("\",\"amount\":").append(amountText(id))
                        .append(",\"quantity\":").append(quantity(id))
                        .append(",\"rate\":").append(rateText(id))
                        .append(",\"created_at\":\"").append(createdText(id))
                        .append("\",\"active\":").append(active(id))
                        .append(",\"city\":\"").append(city(id))
                        .append("\",\"address\":").append(addressJson(id))
                        .append("}\n");
                w.append(s);
            }
        }
        return Files.size(file);
    }

    /** Record {@code id} as Jackson reads it into a Map. */
    private static Map<String, Object> mapOf(long id) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", (int) id);
        m.put("customer", customer(id));
        m.put("email", email(id));
        m.put("amount", Double.parseDouble(amountText(id)));
        m.put("quantity", quantity(id));
        m.put("rate", Double.parseDouble(rateText(id)));
        m.put("created_at", createdText(id));
        m.put("active", active(id));
        m.put("city", city(id));
        Map<String, Object> address = new LinkedHashMap<>();
        address.put("street", street(id));
        address.put("zip", zip(id));
        address.put("city", city(id));
        m.put("address", address);
        return m;
    }

    /**
     * Record {@code id} as JsonSource hands it out: its decimals without trailing zeros (as Jackson's tree holds them,
     * so {@code 12.30} is {@code 12.3}: equal values, and {@code Record.hashCode} sees the scale), the date-time at the
     * offset written, the nested object as its JSON text.
     */
    private static Record typed(long id) {
        return Record.of(id, customer(id), email(id), new BigDecimal(amountText(id)).stripTrailingZeros(),
                (long) quantity(id), new BigDecimal(rateText(id)).stripTrailingZeros(), created(id), active(id), city(id),
                addressJson(id));
    }

    /** A typed record's hash, as cheap to take as a Map's {@code hashCode} on the other side. */
    private static long typedHash(Record r) {
        return r.hashCode();
    }

    // ---- the two sides ----

    private static final ObjectReader MAPS = new ObjectMapper().readerFor(Map.class);

    /** The baseline: Jackson's streaming reader of a sequence of values, each into a Map (untyped), one thread. */
    private static long[] jacksonMaps(Path file) throws IOException {
        long n = 0;
        long hash = 0;
        try (InputStream in = Files.newInputStream(file); MappingIterator<Map<String, Object>> it = MAPS.readValues(in)) {
            while (it.hasNextValue()) {
                Map<String, Object> m = it.nextValue();
                n++;
                hash += m.hashCode();
            }
        }
        return new long[] {n, hash};
    }

    private static final List<String> COLUMNS = List.of("id", "customer", "email", "amount", "quantity", "rate",
            "created_at", "active", "city", "address");
    private static final List<FieldType> TYPES = List.of(FieldType.LONG, FieldType.STRING, FieldType.STRING,
            FieldType.DECIMAL, FieldType.LONG, FieldType.DECIMAL, FieldType.TIMESTAMPTZ, FieldType.BOOLEAN,
            FieldType.STRING, FieldType.JSON);

    /** JsonSource with its types inferred (checked to be the expected ones), on {@code threads} threads. */
    private static long[] jsonSource(Path file, int threads) {
        long n = 0;
        long hash = 0;
        try (JsonSource json = JsonSource.builder().path(file).chunkRows(CHUNK_ROWS).threads(threads).build()) {
            Schema schema = json.schema();
            List<FieldType> types = new ArrayList<>();
            schema.fields().forEach(f -> types.add(f.type()));
            if (!schema.names().equals(COLUMNS) || !types.equals(TYPES)) {
                throw new AssertionError("inferred schema " + schema + ", expected " + COLUMNS + " " + TYPES);
            }
            Iterator<RecordBatch> it = json.batches().iterator();
            while (it.hasNext()) {
                RecordBatch b = it.next();
                for (Record r : b.records()) {
                    n++;
                    hash += typedHash(r);
                }
            }
        }
        return new long[] {n, hash};
    }
}
