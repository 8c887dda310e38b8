package dev.mds.connector.csv.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.core.FieldType;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class ValuesTest {
    private static final Values.TextDecoder TEXT = (b, off, len) -> new String(b, off, len, StandardCharsets.UTF_8);

    private static Object convert(FieldType type, String text) {
        byte[] b = ("xx" + text + "yy").getBytes(StandardCharsets.UTF_8);
        return Values.convert(type, b, 2, b.length - 4, TEXT);
    }

    @Test
    void longsParseExactlyAndRejectOverflowAndJunk() {
        assertThat(convert(FieldType.LONG, "9223372036854775807")).isEqualTo(Long.MAX_VALUE);
        assertThat(convert(FieldType.LONG, "-9223372036854775808")).isEqualTo(Long.MIN_VALUE);
        assertThat(convert(FieldType.LONG, "+42")).isEqualTo(42L);
        assertThat(convert(FieldType.LONG, "9223372036854775808")).isSameAs(Values.BAD);
        assertThat(convert(FieldType.LONG, "1.0")).isSameAs(Values.BAD);
        assertThat(convert(FieldType.LONG, "-")).isSameAs(Values.BAD);
        assertThat(convert(FieldType.INT, "2147483648")).isSameAs(Values.BAD);
        assertThat(convert(FieldType.INT, "-7")).isEqualTo(-7);
        assertThat(convert(FieldType.LONG, "000000000000000000000000042")).isEqualTo(42L);
        assertThat(convert(FieldType.LONG, "00000000000000000000009223372036854775808")).isSameAs(Values.BAD);
        assertThat(convert(FieldType.INT, " \t-7\u000b")).isEqualTo(-7);
        assertThat(convert(FieldType.INT, "\u00a0-7")).isSameAs(Values.BAD);
    }

    @Test
    void decimalsKeepTheirScaleAndLongOnesFallBackToBigDecimal() {
        assertThat(convert(FieldType.DECIMAL, "12.50")).isEqualTo(new BigDecimal("12.50"));
        assertThat(convert(FieldType.DECIMAL, "-.5")).isEqualTo(new BigDecimal("-0.5"));
        assertThat(convert(FieldType.DECIMAL, "123456789012345678901234.5"))
                .isEqualTo(new BigDecimal("123456789012345678901234.5"));
        assertThat(convert(FieldType.DECIMAL, "1e3")).isEqualTo(new BigDecimal("1e3"));
        assertThat(convert(FieldType.DECIMAL, "Two Hundred")).isSameAs(Values.BAD);
        assertThat(convert(FieldType.decimal(4, 2), "100.1")).isSameAs(Values.BAD);
    }

    @Test
    void constrainedDecimalsRoundHalfUpToTheirScaleBeforeThePrecisionCheck() {
        assertThat(convert(FieldType.decimal(5, 2), "999.994")).isEqualTo(new BigDecimal("999.99"));
        assertThat(convert(FieldType.decimal(5, 2), "999.995")).isSameAs(Values.BAD);
        assertThat(convert(FieldType.decimal(5, 2), "-999.995")).isSameAs(Values.BAD);
        assertThat(convert(FieldType.decimal(4, 2), "99.999")).isSameAs(Values.BAD);
        assertThat(convert(FieldType.decimal(4, 2), "12.345")).isEqualTo(new BigDecimal("12.35"));
        assertThat(convert(FieldType.decimal(4, 2), "-12.345")).isEqualTo(new BigDecimal("-12.35"));
        assertThat(convert(FieldType.decimal(4, 2), "12.3")).isEqualTo(new BigDecimal("12.3"));
        assertThat(convert(FieldType.decimal(3, 0), "999.4")).isEqualTo(new BigDecimal("999"));
        assertThat(convert(FieldType.decimal(3, 0), "999.5")).isSameAs(Values.BAD);
    }

    @Test
    void truncatedTimestampsAreBadValuesEvenWhenTheFieldEndsTheBuffer() {
        for (String text : new String[] {"2024-01-01 12:30:5", "2024-01-01 12:30:", "2024-01-01 12:30:5Z"}) {
            byte[] exact = text.getBytes(StandardCharsets.UTF_8);
            assertThat(Values.parseDateTime(exact, 0, exact.length, false)).as(text).isSameAs(Values.BAD);
            assertThat(Values.parseDateTime(exact, 0, exact.length, true)).as(text).isSameAs(Values.BAD);
            assertThat(Values.hasOffset(exact, 0, exact.length)).as(text).isFalse();
            assertThat(convert(FieldType.TIMESTAMP, text)).as(text).isSameAs(Values.BAD);
        }
        byte[] whole = "2024-01-01 12:30:05".getBytes(StandardCharsets.UTF_8);
        assertThat(Values.parseDateTime(whole, 0, whole.length, false))
                .isEqualTo(LocalDateTime.of(2024, 1, 1, 12, 30, 5));
        byte[] shortDate = "2024-01-0".getBytes(StandardCharsets.UTF_8);
        assertThat(Values.parseDate(shortDate, 0, shortDate.length)).isSameAs(Values.BAD);
    }

    /**
     * PostgreSQL refuses year 0000 ("date/time field value out of range"): its calendar goes from 1 BC to 1 AD.
     * java.time's proleptic year 0 is 1 BC, so before, '0000-01-01' loaded as 0001-01-01 BC, a value the text is not.
     */
    @Test
    void yearZeroIsABadValueAsPostgresqlRefusesIt() {
        for (String bad : new String[] {"0000-01-01", "0000-12-31"}) {
            assertThat(convert(FieldType.DATE, bad)).as(bad).isSameAs(Values.BAD);
        }
        for (String bad : new String[] {"0000-01-01 00:00:00", "0000-06-30T12:00"}) {
            assertThat(convert(FieldType.TIMESTAMP, bad)).as(bad).isSameAs(Values.BAD);
            assertThat(convert(FieldType.TIMESTAMPTZ, bad + "Z")).as(bad).isSameAs(Values.BAD);
        }
        assertThat(convert(FieldType.DATE, "0001-01-01")).isEqualTo(java.time.LocalDate.of(1, 1, 1));
        assertThat(convert(FieldType.TIMESTAMP, "0001-01-01 00:00:00")).isEqualTo(LocalDateTime.of(1, 1, 1, 0, 0));
    }

    /** What PostgreSQL's float8 input reads, and nothing it refuses (Java's suffixes, out-of-range values). */
    @Test
    void doublesAreReadAsPostgresReadsThem() {
        for (String bad : new String[] {"1d", "2.5f", "3D", "4F", "1e400", "-1e400", "1e-400", "0x1p3d", "", " ",
                "Infinityx", "1,5"}) {
            assertThat(convert(FieldType.DOUBLE, bad)).as(bad).isSameAs(Values.BAD);
        }
        assertThat(convert(FieldType.DOUBLE, " 1.5 ")).isEqualTo(1.5);
        assertThat(convert(FieldType.DOUBLE, "0x1p3")).isEqualTo(8.0);
        assertThat(convert(FieldType.DOUBLE, "4.9e-324")).isEqualTo(Double.MIN_VALUE);
        assertThat(convert(FieldType.DOUBLE, "-0.0")).isEqualTo(-0.0);
        assertThat(convert(FieldType.DOUBLE, "0e400")).isEqualTo(0.0);
        assertThat(convert(FieldType.DOUBLE, "INF")).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(convert(FieldType.DOUBLE, "-infinity")).isEqualTo(Double.NEGATIVE_INFINITY);
        assertThat(convert(FieldType.DOUBLE, "nan")).isEqualTo(Double.NaN);
    }

    /**
     * PostgreSQL's uuid input reads ASCII hex digits only; Java's UUID.fromString, once its fast path fails, parses
     * each group with Long.parseLong, which takes a sign and any Unicode digit: '+2345678-…' and fullwidth digits
     * gave a UUID that the text is not.
     */
    @Test
    void uuidsAreAsciiHexDigitsInTheirGroupsNothingJavasLongParserAlsoTakes() {
        for (String bad : new String[] {"+2345678-1234-1234-1234-123456789012", "-2345678-1234-1234-1234-123456789012",
                "12345678-+234-1234-1234-123456789012", "12345678-1234-1234-1234-+23456789012",
                "\uff11\uff12345678-1234-1234-1234-123456789012", "12345678-1234-1234-1234-12345678901\u0662",
                "123456789-234-1234-1234-123456789012", "12345678-1234-1234-1234-1234567890123"}) {
            assertThat(convert(FieldType.UUID, bad)).as(bad).isSameAs(Values.BAD);
        }
        assertThat(convert(FieldType.UUID, "123E4567-E89B-12D3-A456-426614174000"))
                .isEqualTo(UUID.fromString("123e4567-e89b-12d3-a456-426614174000"));
    }

    /** float8 input skips white space (space, tab, CR, LF, FF, VT) around a number, not other control characters. */
    @Test
    void aDoubleWithAControlCharacterOrUnicodeSpaceAroundItIsBad() {
        for (String bad : new String[] {"2.5\u0001", "\u00012.5", "2.5\u001f", "\u20032.5", "2.5\u2003", "2.5\u0085"}) {
            assertThat(convert(FieldType.DOUBLE, bad)).as(bad.codePoints().boxed().toList().toString())
                    .isSameAs(Values.BAD);
        }
        assertThat(convert(FieldType.DOUBLE, "\t\r\n\f\u000b2.5 \u000b")).isEqualTo(2.5);
    }

    @Test
    void booleansDatesTimesAndOthers() {
        assertThat(convert(FieldType.BOOLEAN, "TRUE")).isEqualTo(true);
        assertThat(convert(FieldType.BOOLEAN, "n")).isEqualTo(false);
        assertThat(convert(FieldType.BOOLEAN, "maybe")).isSameAs(Values.BAD);
        assertThat(convert(FieldType.BOOLEAN, "on")).isEqualTo(true);
        assertThat(convert(FieldType.BOOLEAN, " Of\t")).isEqualTo(false);
        assertThat(convert(FieldType.BOOLEAN, "o")).isSameAs(Values.BAD);
        assertThat(convert(FieldType.DATE, "2024-02-29")).isEqualTo(LocalDate.of(2024, 2, 29));
        assertThat(convert(FieldType.DATE, "2023-02-29")).isSameAs(Values.BAD);
        assertThat(convert(FieldType.DATE, "18-07-2023")).isSameAs(Values.BAD);
        assertThat(convert(FieldType.TIMESTAMP, "2024-01-02T03:04:05.123456789"))
                .isEqualTo(LocalDateTime.of(2024, 1, 2, 3, 4, 5, 123_456_789));
        assertThat(convert(FieldType.TIMESTAMP, "2024-01-02 03:04+01:00")).isSameAs(Values.BAD);
        assertThat(convert(FieldType.TIMESTAMPTZ, "2024-01-02 03:04-0530"))
                .isEqualTo(OffsetDateTime.of(2024, 1, 2, 3, 4, 0, 0, ZoneOffset.ofHoursMinutes(-5, -30)));
        assertThat(convert(FieldType.TIMESTAMPTZ, "2024-01-02T03:04:05+09"))
                .isEqualTo(OffsetDateTime.of(2024, 1, 2, 3, 4, 5, 0, ZoneOffset.ofHours(9)));
        assertThat(convert(FieldType.TIMESTAMPTZ, "2024-01-02T03:04:05"))
                .isEqualTo(OffsetDateTime.of(2024, 1, 2, 3, 4, 5, 0, ZoneOffset.UTC));
        assertThat(convert(FieldType.TIMESTAMPTZ, "2024-01-02T25:04:05Z")).isSameAs(Values.BAD);
        assertThat(convert(FieldType.TIME, "10:15:30")).isEqualTo(LocalTime.of(10, 15, 30));
        assertThat(convert(FieldType.DOUBLE, "1.5E-4")).isEqualTo(1.5e-4);
        assertThat(convert(FieldType.UUID, "123e4567-e89b-12d3-a456-426614174000"))
                .isEqualTo(UUID.fromString("123e4567-e89b-12d3-a456-426614174000"));
        assertThat((byte[]) convert(FieldType.BYTES, "\\x0aff")).containsExactly(0x0a, 0xff);
        assertThat(convert(FieldType.JSON, "{\"a\":1}")).isEqualTo("{\"a\":1}");
    }
}
