package dev.mds.load.internal;

import dev.mds.core.Unchanged;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.UUID;
import org.postgresql.copy.CopyIn;

/**
 * Writes rows in PostgreSQL's binary COPY format: the server does not parse text, which makes staging markedly
 * cheaper for numbers, numerics and timestamps. Each column has an {@link Encoding} chosen from its catalog type;
 * a load whose values do not all fit their columns' encodings uses
 * {@link CopyText}. The server still applies the column's type modifier, so a numeric that does not fit
 * {@code numeric(12,2)} or a too long {@code varchar(n)} is reported with its line, as with text. A value the
 * binary form would change (a date or timestamp beyond PostgreSQL's range, a double that is no {@code real}, a
 * string that is not Unicode) does not fit its encoding: it goes as text, which the server refuses with its line.
 * The MAX and MIN that stand for {@code infinity} and {@code -infinity} ({@link Infinity}) go as PostgreSQL's own
 * (DATEVAL_NOEND and DATEVAL_NOBEGIN, the int32 max and min, for a date; DT_NOEND and DT_NOBEGIN, the int64 max and
 * min, for a timestamp).
 */
final class CopyBinary {
    private static final int CHUNK = 1 << 16;
    private static final byte[] HEADER = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xFF, '\r', '\n', 0, 0, 0, 0, 0, 0, 0, 0, 0};
    private static final long PG_EPOCH_SECONDS = 946_684_800L;
    private static final long PG_EPOCH_DAYS = 10_957L;
    private static final BigInteger TEN_THOUSAND = BigInteger.valueOf(10_000);
    private static final long[] POW10 = {1, 10, 100, 1000};
    /** PostgreSQL's first date (4714-11-24 BC, Julian day 0) in days from 2000-01-01. */
    private static final long PG_MIN_DAY = -2_451_545L;
    /** The day after PostgreSQL's last date (5874897-12-31) in days from 2000-01-01. */
    private static final long PG_END_DAY = 2_145_031_949L;
    /** PostgreSQL's first timestamp (4714-11-24 00:00 BC) in microseconds from 2000-01-01. */
    private static final long PG_MIN_MICROS = -211_813_488_000_000_000L;
    /** The end of PostgreSQL's timestamps (294277-01-01 00:00, excluded) in microseconds from 2000-01-01. */
    private static final long PG_END_MICROS = 9_223_371_331_200_000_000L;
    /** Most digits of a numeric before its decimal point, and after it. */
    private static final int PG_NUMERIC_MAX_WEIGHT_DIGITS = 131_072;
    private static final int PG_NUMERIC_MAX_SCALE = 16_383;

    /** How one column's values are written. */
    enum Encoding {
        INT2, INT4, INT8, FLOAT4, FLOAT8, BOOL, TEXT, NUMERIC, DATE, TIME, TIMESTAMP, TIMESTAMPTZ, UUID, BYTEA, JSONB;

        /**
         * The encoding for a catalog type name ({@code int8}, {@code numeric} ...), or null when there is none. A
         * column of a domain takes its base type's encoding: the server reads the value with the base type's receive
         * function and the domain's modifier ({@code domain_recv}), then checks the domain's constraints.
         */
        static Encoding forType(String typeName) {
            return switch (typeName) {
                case "int2" -> INT2;
                case "int4" -> INT4;
                case "int8" -> INT8;
                case "float4" -> FLOAT4;
                case "float8" -> FLOAT8;
                case "bool" -> BOOL;
                case "text", "varchar", "bpchar", "json" -> TEXT;
                case "numeric" -> NUMERIC;
                case "date" -> DATE;
                case "time" -> TIME;
                case "timestamp" -> TIMESTAMP;
                case "timestamptz" -> TIMESTAMPTZ;
                case "uuid" -> UUID;
                case "bytea" -> BYTEA;
                case "jsonb" -> JSONB;
                default -> null;
            };
        }

        /**
         * Whether {@code v} is written exactly by this encoding: its Java class fits and its value is within what
         * the binary form carries unchanged. A value that is not goes as text, whose error names the row.
         */
        boolean accepts(Object v) {
            if (v == null || v instanceof Unchanged) {
                return true;
            }
            return switch (this) {
                case INT8 -> v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte;
                // a value out of the column's range goes as text, so the server reports it instead of a silent wrap
                case INT4 -> v instanceof Integer || v instanceof Short || v instanceof Byte
                        || v instanceof Long l && l == (int) (long) l;
                case INT2 -> (v instanceof Number n && !(v instanceof Double || v instanceof Float || v instanceof BigDecimal
                        || v instanceof BigInteger)) && n.longValue() == (short) n.longValue();
                case FLOAT4 -> v instanceof Float || v instanceof Long || v instanceof Integer
                        || v instanceof Double d && isReal(d);
                case FLOAT8 -> v instanceof Double || v instanceof Float || v instanceof Long || v instanceof Integer;
                case BOOL -> v instanceof Boolean;
                case TEXT, JSONB -> v instanceof String s && isUnicode(s);
                case NUMERIC -> v instanceof Long || v instanceof Integer || v instanceof BigDecimal d && isNumeric(d);
                case DATE -> v instanceof LocalDate d && (Infinity.sign(d) != 0 || isDate(d.toEpochDay() - PG_EPOCH_DAYS));
                case TIME -> v instanceof LocalTime;
                case TIMESTAMP -> v instanceof LocalDateTime t
                        && (Infinity.sign(t) != 0 || isTimestamp(t.toInstant(ZoneOffset.UTC)));
                case TIMESTAMPTZ -> (v instanceof OffsetDateTime || v instanceof Instant || v instanceof ZonedDateTime)
                        && (Infinity.sign(v) != 0 || isTimestamp(instant(v)));
                case UUID -> v instanceof java.util.UUID;
                case BYTEA -> v instanceof byte[];
            };
        }
    }

    /** Whether a double is a {@code real} as it is: finite stays finite, non-zero stays non-zero. */
    private static boolean isReal(double d) {
        float f = (float) d;
        return Float.isInfinite(f) == Double.isInfinite(d) && (f != 0 || d == 0);
    }

    /** Whether a string has no lone surrogate (which UTF-8 cannot carry; getBytes would put '?' for it). */
    private static boolean isUnicode(String s) {
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else {
                    return false;
                }
            }
        }
        return true;
    }

    /** Whether a decimal is within numeric's digits (its weight and scale fit the binary header's 16 bits). */
    private static boolean isNumeric(BigDecimal d) {
        return d.scale() <= PG_NUMERIC_MAX_SCALE && (long) d.precision() - d.scale() <= PG_NUMERIC_MAX_WEIGHT_DIGITS;
    }

    private static boolean isDate(long pgDay) {
        return pgDay >= PG_MIN_DAY && pgDay < PG_END_DAY;
    }

    private static boolean isTimestamp(Instant i) {
        try {
            long m = micros(i);
            return m >= PG_MIN_MICROS && m < PG_END_MICROS;
        } catch (ArithmeticException e) {
            return false;
        }
    }

    private static Instant instant(Object v) {
        return v instanceof Instant i ? i : v instanceof OffsetDateTime o ? o.toInstant() : ((ZonedDateTime) v).toInstant();
    }

    private final CopyIn copy;
    private byte[] buf = new byte[CHUNK + 1024];
    private int len;

    CopyBinary(CopyIn copy) {
        this.copy = copy;
        bytes(HEADER);
    }

    /** Starts a row of {@code columns} values. */
    void startRow(int columns) {
        ensure(2);
        int16(columns);
    }

    void value(Object v, Encoding e) throws SQLException {
        if (v == null || v instanceof Unchanged) {
            ensure(4);
            int32(-1);
            return;
        }
        switch (e) {
            case INT2 -> fixed(2).int16(((Number) v).intValue());
            case INT4 -> fixed(4).int32(((Number) v).intValue());
            case INT8 -> fixed(8).int64(((Number) v).longValue());
            case FLOAT4 -> fixed(4).int32(Float.floatToIntBits(((Number) v).floatValue()));
            case FLOAT8 -> fixed(8).int64(Double.doubleToLongBits(((Number) v).doubleValue()));
            case BOOL -> {
                fixed(1);
                buf[len++] = (byte) (((Boolean) v) ? 1 : 0);
            }
            case TEXT -> text((String) v, false);
            case JSONB -> text((String) v, true);
            case NUMERIC -> numeric(v instanceof BigDecimal d ? d : BigDecimal.valueOf(((Number) v).longValue()));
            case DATE -> {
                int infinity = Infinity.sign(v);
                fixed(4).int32(infinity > 0 ? Integer.MAX_VALUE : infinity < 0 ? Integer.MIN_VALUE
                        : (int) (((LocalDate) v).toEpochDay() - PG_EPOCH_DAYS));
            }
            case TIME -> fixed(8).int64(timeMicros((LocalTime) v));
            case TIMESTAMP, TIMESTAMPTZ -> {
                int infinity = Infinity.sign(v);
                fixed(8).int64(infinity > 0 ? Long.MAX_VALUE : infinity < 0 ? Long.MIN_VALUE
                        : micros(e == Encoding.TIMESTAMP ? ((LocalDateTime) v).toInstant(ZoneOffset.UTC) : instant(v)));
            }
            case UUID -> {
                java.util.UUID u = (java.util.UUID) v;
                fixed(16).int64(u.getMostSignificantBits());
                int64(u.getLeastSignificantBits());
            }
            case BYTEA -> {
                byte[] b = (byte[]) v;
                fixed(b.length);
                bytes(b);
            }
        }
        if (len >= CHUNK) {
            flush();
        }
    }

    /** Ends the data (the trailer) and sends what is buffered. */
    void finish() throws SQLException {
        ensure(2);
        int16(-1);
        flush();
    }

    void flush() throws SQLException {
        if (len > 0) {
            copy.writeToCopy(buf, 0, len);
            len = 0;
        }
    }

    /** Microseconds of the day, rounded to the nearest as PostgreSQL stores them (24:00:00 at the day's end). */
    static long timeMicros(LocalTime t) {
        return (t.toNanoOfDay() + 500) / 1000;
    }

    /**
     * Microseconds from 2000-01-01, rounded to the nearest as PostgreSQL stores them.
     *
     * @throws ArithmeticException beyond a long
     */
    static long micros(Instant i) {
        return Math.addExact(Math.multiplyExact(i.getEpochSecond() - PG_EPOCH_SECONDS, 1_000_000L), (i.getNano() + 500) / 1000);
    }

    private CopyBinary fixed(int size) {
        ensure(4 + size);
        int32(size);
        return this;
    }

    private void text(String s, boolean jsonb) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        int size = b.length + (jsonb ? 1 : 0);
        ensure(4 + size);
        int32(size);
        if (jsonb) {
            buf[len++] = 1;
        }
        bytes(b);
    }

    private void numeric(BigDecimal d) {
        int sign = d.signum();
        int dscale = Math.max(0, d.scale());
        BigInteger unscaled = d.unscaledValue().abs();
        int scale = d.scale();
        if (scale < 0) {
            unscaled = unscaled.multiply(BigInteger.TEN.pow(-scale));
            scale = 0;
        }
        // align the fraction on base-10000 groups
        int fracPad = (4 - scale % 4) % 4;
        boolean small = unscaled.bitLength() < 50;   // times 10^3 still fits a long: no BigInteger arithmetic
        if (fracPad > 0 && !small) {
            unscaled = unscaled.multiply(BigInteger.TEN.pow(fracPad));
        }
        int fracGroups = (scale + fracPad) / 4;
        short[] groups = new short[8];
        int n = 0;
        if (small || unscaled.bitLength() < 63) {
            long u = small ? unscaled.longValue() * POW10[fracPad] : unscaled.longValue();
            while (u != 0) {
                if (n == groups.length) {
                    groups = java.util.Arrays.copyOf(groups, n * 2);
                }
                groups[n++] = (short) (u % 10_000);
                u /= 10_000;
            }
        } else {
            while (unscaled.signum() != 0) {
                BigInteger[] qr = unscaled.divideAndRemainder(TEN_THOUSAND);
                if (n == groups.length) {
                    groups = java.util.Arrays.copyOf(groups, n * 2);
                }
                groups[n++] = qr[1].shortValue();
                unscaled = qr[0];
            }
        }
        // groups are little-endian: groups[0] is the last fractional group
        int low = 0;
        while (low < n && groups[low] == 0) {
            low++;
        }
        int ndigits = n - low;
        int weight = n - fracGroups - 1;
        if (ndigits == 0) {
            weight = 0;
        }
        ensure(4 + 8 + ndigits * 2);
        int32(8 + ndigits * 2);
        int16(ndigits);
        int16(weight);
        int16(sign < 0 ? 0x4000 : 0);
        int16(dscale);
        for (int i = n - 1; i >= low; i--) {
            int16(groups[i]);
        }
    }

    private void ensure(int more) {
        if (len + more > buf.length) {
            byte[] bigger = new byte[Math.max(buf.length * 2, len + more)];
            System.arraycopy(buf, 0, bigger, 0, len);
            buf = bigger;
        }
    }

    private void bytes(byte[] b) {
        ensure(b.length);
        System.arraycopy(b, 0, buf, len, b.length);
        len += b.length;
    }

    private void int16(int v) {
        buf[len++] = (byte) (v >>> 8);
        buf[len++] = (byte) v;
    }

    private void int32(int v) {
        buf[len++] = (byte) (v >>> 24);
        buf[len++] = (byte) (v >>> 16);
        buf[len++] = (byte) (v >>> 8);
        buf[len++] = (byte) v;
    }

    private void int64(long v) {
        int32((int) (v >>> 32));
        int32((int) v);
    }
}
