package dev.mds.vault.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.core.Field;
import dev.mds.core.FieldType;
import dev.mds.core.Schema;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The fast paths of {@link Canonical#canonical} (values written straight into the buffer) give the same bytes as
 * the general path through {@code canonicalText}, which HashStandardTest proves equal to the SQL.
 */
class CanonicalFastPathTest {
    private static final List<Field> FIELDS = Schema.builder().add("s", FieldType.STRING).add("i", FieldType.INT)
            .add("l", FieldType.LONG).add("m", FieldType.DECIMAL).add("m2", FieldType.decimal(12, 2))
            .add("x", FieldType.DOUBLE).add("b", FieldType.BOOLEAN).add("d", FieldType.DATE)
            .add("ts", FieldType.TIMESTAMP).add("tz", FieldType.TIMESTAMPTZ).build().fields();
    private static final long[] EDGE_LONGS = {0, 1, -1, 9, 10, -9, -10, 99, 100, 999_999_999, 1_000_000_000,
        Integer.MAX_VALUE, Integer.MIN_VALUE, (long) Integer.MAX_VALUE + 1, (long) Integer.MIN_VALUE - 1,
        999_999_999_999_999_999L, 1_000_000_000_000_000_000L, Long.MAX_VALUE, Long.MIN_VALUE, Long.MIN_VALUE + 1};

    @Test
    void fastPathsWriteTheSameBytesAsTheReferenceTextOnRandomAndEdgeValues() {
        byte[] fast = Canonical.codes(FIELDS, null);
        byte[] reference = new byte[FIELDS.size()];          // every column through canonicalText
        assertThat(fast).doesNotContain((byte) 0);
        SplittableRandom r = new SplittableRandom(11);
        Canonical.Buffer a = new Canonical.Buffer();
        Canonical.Buffer b = new Canonical.Buffer();
        for (int n = 0; n < 100_000; n++) {
            Object[] row = row(r);
            for (boolean emptyAsNull : new boolean[] {false, true}) {
                for (boolean key : new boolean[] {false, true}) {
                    boolean fa = Canonical.canonical(a, FIELDS, fast, row, null, emptyAsNull, key);
                    boolean fb = Canonical.canonical(b, FIELDS, reference, row, null, emptyAsNull, key);
                    assertThat(fa).as("row %s", Arrays.toString(row)).isEqualTo(fb);
                    assertThat(Arrays.copyOf(a.bytes(), a.length())).as("row %s", Arrays.toString(row))
                            .isEqualTo(Arrays.copyOf(b.bytes(), b.length()));
                }
            }
        }
    }

    private static Object[] row(SplittableRandom r) {
        Object[] v = new Object[FIELDS.size()];
        v[0] = string(r);
        v[1] = r.nextBoolean() ? (Object) r.nextInt() : (Object) (int) EDGE_LONGS[r.nextInt(12)];
        v[2] = r.nextBoolean() ? EDGE_LONGS[r.nextInt(EDGE_LONGS.length)] : r.nextLong() >> r.nextInt(64);
        v[3] = decimal(r);
        v[4] = BigDecimal.valueOf(r.nextLong(-1_000_000_000L, 1_000_000_000L), 2);
        double[] specials = {0.0, -0.0, Double.NaN, Double.longBitsToDouble(0xfff8000000000001L),
            Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.MIN_VALUE, Double.MAX_VALUE};
        v[5] = r.nextInt(4) == 0 ? specials[r.nextInt(specials.length)] : Double.longBitsToDouble(r.nextLong());
        v[6] = r.nextBoolean();
        v[7] = r.nextInt(20) == 0 ? (r.nextBoolean() ? LocalDate.MAX : LocalDate.MIN)
                : r.nextInt(20) == 0 ? LocalDate.of(r.nextBoolean() ? 999_999_999 : -999_999_999, 6, 1)
                : LocalDate.ofEpochDay(r.nextLong(-3_000_000, 3_000_000));
        long micros = r.nextLong(-200_000_000_000_000_000L, 200_000_000_000_000_000L) >> r.nextInt(40);
        LocalDateTime ldt = LocalDateTime.ofEpochSecond(Math.floorDiv(micros, 1_000_000),
                (int) Math.floorMod(micros, 1_000_000) * 1000, ZoneOffset.UTC);
        v[8] = r.nextInt(20) == 0 ? (r.nextBoolean() ? LocalDateTime.MAX : LocalDateTime.MIN) : ldt;
        int kind = r.nextInt(10);
        v[9] = kind == 0 ? (r.nextBoolean() ? OffsetDateTime.MAX : OffsetDateTime.MIN)
                : kind == 1 ? (r.nextBoolean() ? Instant.MAX : Instant.MIN)
                : kind < 5 ? ldt.toInstant(ZoneOffset.UTC)
                : kind < 8 ? ldt.atOffset(ZoneOffset.ofHoursMinutes(r.nextInt(-12, 14), 0))
                : ldt.atZone(ZoneOffset.UTC);
        for (int k = 0; k < v.length; k++) {
            if (r.nextInt(10) == 0) {
                v[k] = null;
            }
        }
        return v;
    }

    private static String string(SplittableRandom r) {
        int len = r.nextInt(4) == 0 ? r.nextInt(95, 130) : r.nextInt(0, 14);
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < len; i++) {
            int kind = r.nextInt(30);
            s.appendCodePoint(kind == 0 ? 0xE9 : kind == 1 ? 0x141 : kind == 2 ? 0x1F600 : kind == 3 ? 0x7F
                    : kind == 4 ? 0x80 : r.nextInt(0x20, 0x7F));
        }
        return s.toString();
    }

    private static BigDecimal decimal(SplittableRandom r) {
        switch (r.nextInt(6)) {
            case 0:
                return new BigDecimal(BigInteger.valueOf(r.nextLong()).multiply(BigInteger.valueOf(r.nextLong())), r.nextInt(-5, 30));
            case 1:
                return BigDecimal.valueOf(EDGE_LONGS[r.nextInt(EDGE_LONGS.length)], r.nextInt(-20, 21));
            case 2:
                return BigDecimal.valueOf(r.nextLong(-1000, 1000) * (long) Math.pow(10, r.nextInt(0, 8)), r.nextInt(-3, 12));
            case 3:
                return new BigDecimal(BigInteger.ZERO, r.nextInt(-5, 5));
            default:
                return BigDecimal.valueOf(r.nextLong() >> r.nextInt(64), r.nextInt(-19, 20));
        }
    }
}
