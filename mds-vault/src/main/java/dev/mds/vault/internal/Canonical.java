package dev.mds.vault.internal;

import dev.mds.core.Field;
import dev.mds.core.FieldType;
import dev.mds.vault.HashStandard;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.Year;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * The Java side of the hash standards: writes the bytes that the SQL of {@link HashSql} hashes. Stateless;
 * callers bring their own {@link Buffer}.
 */
public final class Canonical {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    /**
     * The canonical text of PostgreSQL's {@code infinity} date or timestamp, which pgjdbc reads as
     * {@link LocalDate#MAX}, {@link LocalDateTime#MAX} or {@link OffsetDateTime#MAX} (and {@link Instant#MAX} is
     * taken as the same); finite values are decimal numbers, so this text cannot collide with one.
     */
    public static final String INFINITY = "infinity";
    /**
     * The canonical text of every NaN: the bits of {@link Double#doubleToLongBits}'s NaN in hex. PostgreSQL holds all
     * NaNs equal whatever their sign and payload bits ({@code 'Infinity' - 'Infinity'} sends {@code fff8...}), so
     * the SQL maps them all to this text, as Java does.
     */
    public static final String NAN_BITS = "7ff8000000000000";
    /** The canonical text of {@code -infinity}: {@link LocalDate#MIN}, {@link LocalDateTime#MIN}, ... in Java. */
    public static final String MINUS_INFINITY = "-infinity";
    /** The canonical text of PostgreSQL's {@code time '24:00:00'} (micros of a whole day), which pgjdbc reads as {@link LocalTime#MAX}. */
    static final String END_OF_DAY_MICROS = "86400000000";

    private Canonical() {
    }

    /** A growable byte buffer, reused per thread. */
    public static final class Buffer {
        private byte[] bytes = new byte[256];
        private int length;

        public byte[] bytes() {
            return bytes;
        }

        public int length() {
            return length;
        }

        void reset() {
            length = 0;
        }

        void put(byte b) {
            if (length == bytes.length) {
                bytes = Arrays.copyOf(bytes, bytes.length * 2);
            }
            bytes[length++] = b;
        }

        void put(byte[] b) {
            ensure(b.length);
            System.arraycopy(b, 0, bytes, length, b.length);
            length += b.length;
        }

        void ensure(int more) {
            if (length + more > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + more));
            }
        }

        /** {@code n} in decimal. */
        void putDecimal(long n) {
            ensure(20);
            length = writeDecimal(bytes, length, n);
        }

        /** {@code <characters>:<decimal>}, the canonical part of an integer: one pass, no string. */
        void putNumber(long n) {
            ensure(24);
            byte[] b = bytes;
            int at = length;
            if (n >= 0 && n < 10) {
                b[at] = '1';
                b[at + 1] = ':';
                b[at + 2] = (byte) ('0' + n);
                length = at + 3;
                return;
            }
            at = writeSmall(b, at, digits(n));
            b[at++] = ':';
            length = writeDecimal(b, at, n);
        }

        /** {@code <code points>:<utf-8>}: one pass for ASCII text, which is the common case. */
        void putPart(String text) {
            int n = text.length();
            ensure(n + 12);
            byte[] b = bytes;
            int start = length;
            int at = writeSmall(b, start, n);
            b[at++] = ':';
            if (!copiedAscii(text, b, at)) {
                length = start;
                putDecimal(text.codePointCount(0, n));
                put((byte) ':');
                put(text.getBytes(StandardCharsets.UTF_8));
                return;
            }
            length = at + n;
        }

        /** The UTF-8 bytes of {@code text}, with no prefix. */
        void putUtf8(String text) {
            int n = text.length();
            ensure(n);
            byte[] b = bytes;
            int at = length;
            if (!copiedAscii(text, b, at)) {
                put(text.getBytes(StandardCharsets.UTF_8));
                return;
            }
            length = at + n;
        }

        /**
         * Copies each char of {@code text} to {@code b} from {@code at} as one byte, and says whether they were all
         * ASCII; if not, the bytes copied are not the text's UTF-8, and the caller writes that instead.
         */
        private static boolean copiedAscii(String text, byte[] b, int at) {
            int seen = 0;
            for (int i = 0, n = text.length(); i < n; i++) {
                char c = text.charAt(i);
                seen |= c;
                b[at + i] = (byte) c;
            }
            return seen < 0x80;
        }

        /** The 16 lower-case hex digits of {@code bits}, prefixed {@code 16:}. */
        void putHex16(long bits) {
            ensure(19);
            byte[] b = bytes;
            int at = length;
            b[at] = '1';
            b[at + 1] = '6';
            b[at + 2] = ':';
            for (int i = 0; i < 16; i++) {
                b[at + 3 + i] = HEX_BYTES[(int) ((bits >>> (60 - 4 * i)) & 0xF)];
            }
            length = at + 19;
        }

        /** Whether the buffer holds exactly {@code ^^||^^||...} for {@code parts} parts. */
        boolean isAllNull(int parts) {
            if (length != 4 * parts - 2) {
                return false;
            }
            for (int i = 0; i < length; i++) {
                if (bytes[i] != ((i & 3) < 2 ? '^' : '|')) {
                    return false;
                }
            }
            return true;
        }
    }

    private static final byte[] HEX_BYTES = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final long[] POW10 = new long[19];

    static {
        POW10[0] = 1;
        for (int i = 1; i < POW10.length; i++) {
            POW10[i] = POW10[i - 1] * 10;
        }
    }

    /** Writes a non-negative {@code n} below 100 (a length prefix, in practice) or any other in decimal. */
    private static int writeSmall(byte[] b, int at, int n) {
        if (n < 10) {
            b[at] = (byte) ('0' + n);
            return at + 1;
        }
        if (n < 100) {
            b[at] = (byte) ('0' + n / 10);
            b[at + 1] = (byte) ('0' + n % 10);
            return at + 2;
        }
        return writeDecimal(b, at, n);
    }

    /** Writes {@code n} in decimal at {@code at} (room for 20 bytes is the caller's job); returns the end. */
    private static int writeDecimal(byte[] b, int at, long n) {
        if (n == Long.MIN_VALUE) {
            byte[] min = "-9223372036854775808".getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(min, 0, b, at, min.length);
            return at + min.length;
        }
        if (n < 0) {
            b[at++] = '-';
            n = -n;
        }
        int end = at + digits(n);
        int i = end;
        while (n > Integer.MAX_VALUE) {
            long q = n / 10;
            b[--i] = (byte) ('0' + (n - q * 10));
            n = q;
        }
        int m = (int) n;              // the common case: int arithmetic, whose division by 10 is a multiply
        while (m >= 10) {
            int q = m / 10;
            b[--i] = (byte) ('0' + (m - q * 10));
            m = q;
        }
        b[--i] = (byte) ('0' + m);
        return end;
    }

    /**
     * Checks that a column can be hashed in Java under the standard.
     *
     * @throws IllegalArgumentException naming the column and its type
     */
    public static void checkHashable(HashStandard standard, Field f) {
        FieldType.Kind k = f.type().kind();
        if (standard == HashStandard.CANONICAL) {
            if (k == FieldType.Kind.JSON || (k == FieldType.Kind.ARRAY && f.type().elementType().kind() == FieldType.Kind.JSON)) {
                throw new IllegalArgumentException("column '" + f.name() + "' (" + f.type() + "): the Java Hasher cannot"
                        + " reproduce jsonb's normalisation; hash JSON in SQL or cast it to text in the stage");
            }
            return;
        }
        switch (k) {
            case STRING, INT, LONG, DECIMAL, BOOLEAN, UUID -> {
            }
            default -> throw new IllegalArgumentException("column '" + f.name() + "' (" + f.type() + "): under"
                    + " AUTOMATEDV its PostgreSQL text depends on session settings (DateStyle, TimeZone,"
                    + " extra_float_digits, bytea_output), so Java cannot reproduce it; use HashStandard.CANONICAL");
        }
    }

    /** The encoding of a column, chosen once per hasher by {@link #codes}. */
    private static final byte C_OTHER = 0;
    private static final byte C_STRING = 1;
    private static final byte C_INTEGER = 2;
    private static final byte C_DECIMAL = 3;
    private static final byte C_DOUBLE = 4;
    private static final byte C_BOOLEAN = 5;
    private static final byte C_DATE = 6;
    private static final byte C_TIMESTAMP = 7;
    private static final byte C_TIMESTAMPTZ = 8;

    /**
     * The per-column encodings for {@link #canonical}: columns of common types get a fast path that writes their
     * canonical part straight into the buffer; the others (and {@code char(n)} and array columns) go through
     * {@link #canonicalText}, the reference the fast paths must match byte for byte.
     *
     * @param charColumns per field, whether it is {@code char(n)}; null when none is
     */
    public static byte[] codes(List<Field> fields, boolean[] charColumns) {
        byte[] codes = new byte[fields.size()];
        for (int i = 0; i < codes.length; i++) {
            boolean padded = charColumns != null && charColumns[i];
            codes[i] = padded ? C_OTHER : switch (fields.get(i).type().kind()) {
                case STRING -> C_STRING;
                case INT, LONG -> C_INTEGER;
                case DECIMAL -> C_DECIMAL;
                case DOUBLE -> C_DOUBLE;
                case BOOLEAN -> C_BOOLEAN;
                case DATE -> C_DATE;
                case TIMESTAMP -> C_TIMESTAMP;
                case TIMESTAMPTZ -> C_TIMESTAMPTZ;
                default -> C_OTHER;
            };
        }
        return codes;
    }

    /**
     * Writes the canonical bytes of the values into the buffer.
     *
     * @param codes the columns' encodings, from {@link #codes} with the same {@code charColumns}
     * @param charColumns per field, whether it is {@code char(n)} (trailing blanks dropped); null when none is
     * @return false when {@code key} and every part is NULL (the key is NULL)
     */
    public static boolean canonical(Buffer out, List<Field> fields, byte[] codes, Object[] values, boolean[] charColumns,
            boolean emptyAsNull, boolean key) {
        out.reset();
        boolean anyValue = false;
        for (int i = 0; i < values.length; i++) {
            Object v = values[i];
            if (v == null) {
                out.put((byte) '~');
                continue;
            }
            if (codes[i] == C_DECIMAL && v instanceof BigDecimal d) {
                v = toScale(fields.get(i).type(), d);
            }
            if (fast(out, codes[i], v, emptyAsNull)) {
                anyValue = true;
                continue;
            }
            Field f = fields.get(i);
            FieldType t = f.type();
            boolean padded = charColumns != null && charColumns[i];
            if (t.kind() == FieldType.Kind.ARRAY) {
                if (!(v instanceof List<?> list)) {
                    throw wrongType(f, v);
                }
                StringBuilder s = new StringBuilder();
                for (Object e : list) {
                    String text = e == null ? null : canonicalText(f, t.elementType(), padded ? unpad(e) : e, emptyAsNull);
                    if (text == null) {
                        s.append('~');
                    } else {
                        s.append(text.codePointCount(0, text.length())).append(':').append(text);
                    }
                }
                anyValue = true;
                out.putPart(s.toString());
                continue;
            }
            String text = canonicalText(f, t, padded ? unpad(v) : v, emptyAsNull);
            if (text == null) {
                out.put((byte) '~');
            } else {
                anyValue = true;
                out.putPart(text);
            }
        }
        return anyValue || !key;
    }

    /** A {@code char(n)} value as PostgreSQL casts it to text: without trailing blanks (spaces only). */
    private static Object unpad(Object v) {
        if (v instanceof String s) {
            int e = s.length();
            while (e > 0 && s.charAt(e - 1) == ' ') {
                e--;
            }
            return s.substring(0, e);
        }
        return v;
    }

    private static final byte[] TRUE = "4:true".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] FALSE = "5:false".getBytes(StandardCharsets.US_ASCII);

    /**
     * Writes a non-NULL value of a common type straight into the buffer, as {@code putPart(canonicalText(..))}
     * would; false when not handled here (other types and Java classes, infinities, empty strings taken as NULL),
     * leaving the buffer as it was.
     */
    private static boolean fast(Buffer out, byte code, Object v, boolean emptyAsNull) {
        switch (code) {
            case C_STRING:
                if (v instanceof String s && !(emptyAsNull && s.isEmpty())) {
                    out.putPart(s);
                    return true;
                }
                return false;
            case C_INTEGER:
                if (v instanceof Long || v instanceof Integer) {
                    out.putNumber(((Number) v).longValue());
                    return true;
                }
                return false;
            case C_BOOLEAN:
                if (v instanceof Boolean b) {
                    out.put(b ? TRUE : FALSE);
                    return true;
                }
                return false;
            case C_DOUBLE:
                if (v instanceof Double d) {
                    out.putHex16(Double.doubleToLongBits(d + 0.0));
                    return true;
                }
                return false;
            case C_DATE:
                // LocalDate.MAX and MIN (the infinities) are the only dates in the extreme years: cheaper than equals
                if (v instanceof LocalDate d && d.getYear() != Year.MAX_VALUE && d.getYear() != Year.MIN_VALUE) {
                    out.putNumber(d.toEpochDay());
                    return true;
                }
                return false;
            case C_TIMESTAMP:
                if (v instanceof LocalDateTime t && !t.equals(LocalDateTime.MAX) && !t.equals(LocalDateTime.MIN)) {
                    out.putNumber(micros(t.toEpochSecond(ZoneOffset.UTC), t.getNano()));
                    return true;
                }
                return false;
            case C_TIMESTAMPTZ:
                if (v instanceof OffsetDateTime o && !o.equals(OffsetDateTime.MAX) && !o.equals(OffsetDateTime.MIN)) {
                    out.putNumber(micros(o.toEpochSecond(), o.getNano()));
                    return true;
                }
                if (v instanceof Instant in && !in.equals(Instant.MAX) && !in.equals(Instant.MIN)) {
                    out.putNumber(micros(in.getEpochSecond(), in.getNano()));
                    return true;
                }
                return false;
            case C_DECIMAL:
                return v instanceof BigDecimal d && fastDecimal(out, d);
            default:
                return false;
        }
    }

    /**
     * A decimal of at most 18 digits as {@code stripTrailingZeros().toPlainString()} writes it ({@code 0} for
     * zero), without a string; false for wider ones.
     */
    private static boolean fastDecimal(Buffer out, BigDecimal d) {
        if (d.precision() > 18) {
            return false;
        }
        int scale = d.scale();
        if (scale < -18 || scale > 18) {
            return false;
        }
        // the unscaled value as a long, without BigDecimal.unscaledValue()'s BigInteger
        long u = scale == 0 ? d.longValue() : d.scaleByPowerOfTen(scale).longValue();
        if (u == 0) {
            out.putNumber(0);
            return true;
        }
        while (scale > 0 && u % 10 == 0) {
            u /= 10;
            scale--;
        }
        if (scale <= 0) {
            int len = digits(u) - scale;
            out.ensure(len + 3);
            byte[] b = out.bytes;
            int at = writeSmall(b, out.length, len);
            b[at++] = ':';
            at = writeDecimal(b, at, u);
            for (int i = 0; i < -scale; i++) {
                b[at++] = '0';
            }
            out.length = at;
            return true;
        }
        // at least one digit after the point: sign, integer part (at least "0"), ".", fraction
        boolean negative = u < 0;
        long abs = Math.abs(u);
        int digits = digits(abs);
        int intDigits = Math.max(1, digits - scale);
        int len = (negative ? 1 : 0) + intDigits + 1 + scale;
        out.ensure(len + 3);
        byte[] b = out.bytes;
        int at = writeSmall(b, out.length, len);
        b[at++] = ':';
        int end = at + len;
        int i = end - 1;
        for (int k = 0; k < scale; k++) {
            b[i--] = (byte) ('0' + abs % 10);
            abs /= 10;
        }
        b[i--] = '.';
        do {
            b[i--] = (byte) ('0' + abs % 10);
            abs /= 10;
        } while (abs > 0);
        if (negative) {
            b[i] = '-';
        }
        out.length = end;
        return true;
    }

    /** The number of characters of {@code n} in decimal, sign included. */
    private static int digits(long n) {
        if (n == Long.MIN_VALUE) {
            return 20;
        }
        long a = Math.abs(n);
        int d = 1;
        while (d < 19 && a >= POW10[d]) {
            d++;
        }
        return n < 0 ? d + 1 : d;
    }
    static String canonicalText(Field f, FieldType t, Object v, boolean emptyAsNull) {
        switch (t.kind()) {
            case STRING:
                if (v instanceof String s) {
                    return emptyAsNull && s.isEmpty() ? null : s;
                }
                throw wrongType(f, v);
            case INT:
            case LONG:
                if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
                    return Long.toString(((Number) v).longValue());
                }
                if (v instanceof BigInteger b) {
                    return b.toString();
                }
                throw wrongType(f, v);
            case DECIMAL: {
                String special = specialNumeric(v);
                if (special != null) {
                    return special;
                }
                BigDecimal d = toScale(t, decimal(f, v));
                return d.signum() == 0 ? "0" : d.stripTrailingZeros().toPlainString();
            }
            case DOUBLE: {
                if (!(v instanceof Number n)) {
                    throw wrongType(f, v);
                }
                double d = (v instanceof Float fl ? (double) fl.floatValue() : n.doubleValue()) + 0.0;
                long bits = Double.doubleToLongBits(d);
                char[] c = new char[16];
                for (int i = 15; i >= 0; i--) {
                    c[i] = HEX[(int) (bits & 0xF)];
                    bits >>>= 4;
                }
                return new String(c);
            }
            case BOOLEAN:
                if (v instanceof Boolean b) {
                    return b ? "true" : "false";
                }
                throw wrongType(f, v);
            case DATE:
                if (v instanceof LocalDate d) {
                    return d.equals(LocalDate.MAX) ? INFINITY : d.equals(LocalDate.MIN) ? MINUS_INFINITY : Long.toString(d.toEpochDay());
                }
                throw wrongType(f, v);
            case TIME:
                if (v instanceof LocalTime lt) {
                    // pgjdbc reads PostgreSQL's '24:00:00' as LocalTime.MAX (no time of a column is that close to it);
                    // nanoseconds round to the nearest microsecond, half up, as PostgreSQL stores them (so
                    // 23:59:59.9999995 is 24:00:00 too)
                    return lt.equals(LocalTime.MAX) ? END_OF_DAY_MICROS : Long.toString((lt.toNanoOfDay() + 500) / 1000);
                }
                throw wrongType(f, v);
            case TIMESTAMP:
                if (v instanceof LocalDateTime ldt) {
                    return ldt.equals(LocalDateTime.MAX) ? INFINITY : ldt.equals(LocalDateTime.MIN) ? MINUS_INFINITY
                            : Long.toString(micros(ldt.toEpochSecond(ZoneOffset.UTC), ldt.getNano()));
                }
                throw wrongType(f, v);
            case TIMESTAMPTZ: {
                Instant i;
                if (v instanceof Instant in) {
                    i = in;
                } else if (v instanceof OffsetDateTime o) {
                    if (o.equals(OffsetDateTime.MAX)) {
                        return INFINITY;
                    }
                    if (o.equals(OffsetDateTime.MIN)) {
                        return MINUS_INFINITY;
                    }
                    i = o.toInstant();
                } else if (v instanceof ZonedDateTime z) {
                    i = z.toInstant();
                } else {
                    throw wrongType(f, v);
                }
                return i.equals(Instant.MAX) ? INFINITY : i.equals(Instant.MIN) ? MINUS_INFINITY
                        : Long.toString(micros(i.getEpochSecond(), i.getNano()));
            }
            case BYTES: {
                if (!(v instanceof byte[] b)) {
                    throw wrongType(f, v);
                }
                char[] c = new char[b.length * 2];
                for (int i = 0; i < b.length; i++) {
                    c[2 * i] = HEX[(b[i] >> 4) & 0xF];
                    c[2 * i + 1] = HEX[b[i] & 0xF];
                }
                return new String(c);
            }
            case UUID:
                if (v instanceof UUID u) {
                    return u.toString();
                }
                throw wrongType(f, v);
            default:
                throw new IllegalArgumentException("column '" + f.name() + "' (" + f.type() + ") cannot be hashed in Java");
        }
    }

    /**
     * Microseconds since the epoch, the nanoseconds rounded to the nearest microsecond, half up, as PostgreSQL stores
     * what pgjdbc sends (1.5 µs as 2 µs; 999,999,500 ns as the next second).
     */
    private static long micros(long epochSecond, int nanos) {
        return Math.addExact(Math.multiplyExact(epochSecond, 1_000_000L), (nanos + 500) / 1000);
    }

    /**
     * A value with more decimals than a {@code decimal(p,s)} holds, as PostgreSQL stores it: rounded to {@code s}, half
     * away from zero; other values as they are (a hash of 1.50 and of 1.5 is the same anyway).
     */
    private static BigDecimal toScale(FieldType t, BigDecimal d) {
        return t.precision() > 0 && d.scale() > t.scale() ? d.setScale(t.scale(), RoundingMode.HALF_UP) : d;
    }

    /**
     * A numeric {@code NaN}, {@code Infinity} or {@code -Infinity}, which pgjdbc reads as a {@link Double} (a
     * {@link BigDecimal} cannot hold them), as PostgreSQL prints it; null for any other value.
     */
    private static String specialNumeric(Object v) {
        if ((v instanceof Double || v instanceof Float) && !Double.isFinite(((Number) v).doubleValue())) {
            double d = ((Number) v).doubleValue();
            return Double.isNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity";
        }
        return null;
    }

    private static BigDecimal decimal(Field f, Object v) {
        if (v instanceof BigDecimal d) {
            return d;
        }
        if (v instanceof Long || v instanceof Integer || v instanceof BigInteger) {
            return new BigDecimal(v.toString());
        }
        throw wrongType(f, v);
    }

    /**
     * Writes AutomateDV's hash input (UTF-8) into the buffer.
     *
     * @param order the order of the parts (hashdiff columns sorted by name), or null for the given order
     * @param asciiUpper upper-case only ASCII letters, as PostgreSQL does under a C or POSIX {@code LC_CTYPE}
     * @param fullCase upper-case by full case mapping in this locale's rules, as PostgreSQL does under ICU; null for
     *     one character at a time
     * @return false when the result is NULL (a key whose parts are all NULL)
     */
    public static boolean automateDv(Buffer out, List<Field> fields, Object[] values, int[] order, boolean key,
            boolean asciiUpper, Locale fullCase) {
        out.reset();
        int n = values.length;
        boolean anyValue = false;
        for (int j = 0; j < n; j++) {
            int i = order == null ? j : order[j];
            String text = values[i] == null ? null : automateText(fields.get(i), values[i], asciiUpper, fullCase);
            if (key && n == 1) {
                if (text == null) {
                    return false;
                }
                out.putUtf8(text);
                return true;
            }
            if (j > 0) {
                out.put((byte) '|');
                out.put((byte) '|');
            }
            if (text == null) {
                out.put((byte) '^');
                out.put((byte) '^');
            } else {
                out.putUtf8(text);
                anyValue = true;
            }
        }
        // NULLIF(CONCAT_WS(...), '^^||^^'): a real '^^' counts as NULL too
        return !key || (anyValue && !out.isAllNull(n));
    }

    /** {@code NULLIF(UPPER(TRIM(CAST(v AS VARCHAR))), '')}. */
    static String automateText(Field f, Object v, boolean asciiUpper, Locale fullCase) {
        String raw = switch (f.type().kind()) {
            case STRING -> {
                if (!(v instanceof String s)) {
                    throw wrongType(f, v);
                }
                yield s;
            }
            case INT, LONG -> canonicalText(f, f.type(), v, false);
            case DECIMAL -> {
                String special = specialNumeric(v);
                if (special != null) {
                    yield special;
                }
                BigDecimal d = decimal(f, v);
                if (f.type().precision() > 0) {
                    d = d.setScale(f.type().scale(), RoundingMode.HALF_UP);
                }
                yield d.toPlainString();
            }
            case BOOLEAN, UUID -> canonicalText(f, f.type(), v, false);
            default -> throw new IllegalArgumentException("column '" + f.name() + "' (" + f.type()
                    + ") cannot be hashed in Java under AUTOMATEDV");
        };
        int b = 0;
        int e = raw.length();
        while (b < e && raw.charAt(b) == ' ') {
            b++;
        }
        while (e > b && raw.charAt(e - 1) == ' ') {
            e--;
        }
        String std = fullCase != null ? raw.substring(b, e).toUpperCase(fullCase) : upper(raw.substring(b, e), asciiUpper);
        return std.isEmpty() ? null : std;
    }

    /**
     * PostgreSQL's {@code upper()}: it maps one character at a time (libc {@code towupper} or ICU's simple case
     * mapping), so {@code ß} stays {@code ß}, unlike {@link String#toUpperCase}; under a C or POSIX
     * {@code LC_CTYPE} only ASCII letters change. (Under ICU it maps by full case mapping in the ICU locale's rules,
     * {@code ß} to {@code SS}, as {@link String#toUpperCase(Locale)} does.) The database's locale therefore matters, one reason CANONICAL
     * does no case folding. (Turkic locales, where {@code i} becomes {@code İ}, are not reproduced; nor are case
     * mappings newer than the JDK's Unicode version, e.g. Unicode 14's U+2C5F, which Java 17 leaves unchanged.)
     */
    private static String upper(String s, boolean asciiOnly) {
        int n = s.length();
        int i = 0;
        while (i < n && s.charAt(i) < 0x80 && !(s.charAt(i) >= 'a' && s.charAt(i) <= 'z')) {
            i++;
        }
        if (i == n) {
            return s;                   // ASCII without a lower-case letter: nothing to change
        }
        boolean ascii = true;
        for (int k = i; k < n && ascii; k++) {
            ascii = s.charAt(k) < 0x80;
        }
        if (ascii) {
            char[] c = s.toCharArray();
            for (int k = i; k < n; k++) {
                if (c[k] >= 'a' && c[k] <= 'z') {
                    c[k] -= 32;
                }
            }
            return new String(c);
        }
        StringBuilder out = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> out.appendCodePoint(asciiOnly ? (cp >= 'a' && cp <= 'z' ? cp - 32 : cp) : Character.toUpperCase(cp)));
        return out.toString();
    }

    private static IllegalArgumentException wrongType(Field f, Object v) {
        return new IllegalArgumentException("column '" + f.name() + "' is " + f.type() + ", expected a "
                + f.type().javaType().getSimpleName() + " value, got " + v.getClass().getName());
    }
}
