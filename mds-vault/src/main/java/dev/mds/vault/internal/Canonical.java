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
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Arrays;
import java.util.List;
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

        void putDecimal(long n) {
            if (n == Long.MIN_VALUE) {
                put("-9223372036854775808".getBytes(StandardCharsets.US_ASCII));
                return;
            }
            if (n < 0) {
                put((byte) '-');
                n = -n;
            }
            if (n < 10) {
                put((byte) ('0' + n));
                return;
            }
            ensure(20);
            int start = length;
            while (n > 0) {
                bytes[length++] = (byte) ('0' + (n % 10));
                n /= 10;
            }
            for (int i = start, j = length - 1; i < j; i++, j--) {
                byte t = bytes[i];
                bytes[i] = bytes[j];
                bytes[j] = t;
            }
        }

        /** {@code <code points>:<utf-8>}: one pass for ASCII text, which is the common case. */
        void putPart(String text) {
            int n = text.length();
            int start = length;
            putDecimal(n);
            put((byte) ':');
            ensure(n);
            byte[] b = bytes;
            int at = length;
            for (int i = 0; i < n; i++) {
                char c = text.charAt(i);
                if (c >= 0x80) {
                    length = start;
                    putDecimal(text.codePointCount(0, n));
                    put((byte) ':');
                    put(text.getBytes(StandardCharsets.UTF_8));
                    return;
                }
                b[at++] = (byte) c;
            }
            length = at;
        }
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

    /**
     * Writes the canonical bytes of the values into the buffer.
     *
     * @param charColumns per field, whether it is {@code char(n)} (trailing blanks dropped); null when none is
     * @return false when {@code key} and every part is NULL (the key is NULL)
     */
    public static boolean canonical(Buffer out, List<Field> fields, Object[] values, boolean[] charColumns,
            boolean emptyAsNull, boolean key) {
        out.reset();
        boolean anyValue = false;
        for (int i = 0; i < values.length; i++) {
            Field f = fields.get(i);
            FieldType t = f.type();
            Object v = values[i];
            boolean padded = charColumns != null && charColumns[i];
            if (t.kind() == FieldType.Kind.ARRAY) {
                if (v == null) {
                    out.put((byte) '~');
                    continue;
                }
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
            if (v == null) {
                out.put((byte) '~');
                continue;
            }
            if (fast(out, t, v)) {
                anyValue = true;
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

    /** Writes common values straight into the buffer, without an intermediate string; false when not handled. */
    private static boolean fast(Buffer out, FieldType t, Object v) {
        switch (t.kind()) {
            case INT, LONG -> {
                if (v instanceof Long || v instanceof Integer) {
                    long n = ((Number) v).longValue();
                    out.putDecimal(digits(n));
                    out.put((byte) ':');
                    out.putDecimal(n);
                    return true;
                }
                return false;
            }
            case BOOLEAN -> {
                if (v instanceof Boolean b) {
                    out.put(b ? TRUE : FALSE);
                    return true;
                }
                return false;
            }
            case DOUBLE -> {
                if (v instanceof Double d) {
                    long bits = Double.doubleToLongBits(d + 0.0);
                    out.ensure(19);
                    out.put((byte) '1');
                    out.put((byte) '6');
                    out.put((byte) ':');
                    for (int i = 60; i >= 0; i -= 4) {
                        out.put((byte) HEX[(int) ((bits >>> i) & 0xF)]);
                    }
                    return true;
                }
                return false;
            }
            case DATE -> {
                if (v instanceof LocalDate d && !d.equals(LocalDate.MAX) && !d.equals(LocalDate.MIN)) {
                    long n = d.toEpochDay();
                    out.putDecimal(digits(n));
                    out.put((byte) ':');
                    out.putDecimal(n);
                    return true;
                }
                return false;
            }
            case DECIMAL -> {
                if (v instanceof BigDecimal d && d.precision() <= 18) {
                    long u = d.unscaledValue().longValue();
                    int scale = d.scale();
                    if (u == 0) {
                        out.put((byte) '1');
                        out.put((byte) ':');
                        out.put((byte) '0');
                        return true;
                    }
                    while (scale > 0 && u % 10 == 0) {
                        u /= 10;
                        scale--;
                    }
                    if (scale <= 0) {
                        if (scale < -18) {
                            return false;
                        }
                        out.putDecimal(digits(u) + (-scale));
                        out.put((byte) ':');
                        out.putDecimal(u);
                        for (int i = 0; i < -scale; i++) {
                            out.put((byte) '0');
                        }
                        return true;
                    }
                    // u has at least one digit after the point: sign, integer part (at least "0"), ".", fraction
                    long abs = Math.abs(u);
                    int digits = digits(abs);
                    int intDigits = Math.max(1, digits - scale);
                    int len = (u < 0 ? 1 : 0) + intDigits + 1 + scale;
                    out.putDecimal(len);
                    out.put((byte) ':');
                    if (u < 0) {
                        out.put((byte) '-');
                    }
                    String ds = Long.toString(abs);
                    if (digits <= scale) {
                        out.put((byte) '0');
                        out.put((byte) '.');
                        for (int i = digits; i < scale; i++) {
                            out.put((byte) '0');
                        }
                        for (int i = 0; i < digits; i++) {
                            out.put((byte) ds.charAt(i));
                        }
                    } else {
                        for (int i = 0; i < digits; i++) {
                            if (i == digits - scale) {
                                out.put((byte) '.');
                            }
                            out.put((byte) ds.charAt(i));
                        }
                    }
                    return true;
                }
                return false;
            }
            default -> {
                return false;
            }
        }
    }

    /** The number of characters of {@code n} in decimal, sign included. */
    private static int digits(long n) {
        if (n == Long.MIN_VALUE) {
            return 20;
        }
        int d = n < 0 ? 2 : 1;
        long a = Math.abs(n);
        while (a >= 10) {
            a /= 10;
            d++;
        }
        return d;
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
                BigDecimal d = decimal(f, v);
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
                    // pgjdbc reads PostgreSQL's '24:00:00' as LocalTime.MAX (no time of a column is that close to it)
                    return lt.equals(LocalTime.MAX) ? END_OF_DAY_MICROS : Long.toString(lt.toNanoOfDay() / 1000);
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

    private static long micros(long epochSecond, int nanos) {
        return Math.addExact(Math.multiplyExact(epochSecond, 1_000_000L), nanos / 1000);
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
     * @return false when the result is NULL (a key whose parts are all NULL)
     */
    public static boolean automateDv(Buffer out, List<Field> fields, Object[] values, int[] order, boolean key,
            boolean asciiUpper) {
        out.reset();
        int n = values.length;
        StringBuilder s = new StringBuilder(64);
        boolean anyValue = false;
        for (int j = 0; j < n; j++) {
            int i = order == null ? j : order[j];
            String text = values[i] == null ? null : automateText(fields.get(i), values[i], asciiUpper);
            if (key && n == 1) {
                if (text == null) {
                    return false;
                }
                s.append(text);
                anyValue = true;
                break;
            }
            if (j > 0) {
                s.append("||");
            }
            if (text == null) {
                s.append("^^");
            } else {
                s.append(text);
                anyValue = true;
            }
        }
        if (key && (!anyValue || s.toString().equals(allNull(n)))) {
            return false;      // NULLIF(CONCAT_WS(...), '^^||^^'): a real '^^' counts as NULL too
        }
        out.put(s.toString().getBytes(StandardCharsets.UTF_8));
        return true;
    }

    private static String allNull(int n) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < n; i++) {
            s.append(i == 0 ? "^^" : "||^^");
        }
        return s.toString();
    }

    /** {@code NULLIF(UPPER(TRIM(CAST(v AS VARCHAR))), '')}. */
    static String automateText(Field f, Object v, boolean asciiUpper) {
        String raw = switch (f.type().kind()) {
            case STRING -> {
                if (!(v instanceof String s)) {
                    throw wrongType(f, v);
                }
                yield s;
            }
            case INT, LONG -> canonicalText(f, f.type(), v, false);
            case DECIMAL -> {
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
        String std = upper(raw.substring(b, e), asciiUpper);
        return std.isEmpty() ? null : std;
    }

    /**
     * PostgreSQL's {@code upper()}: it maps one character at a time (libc {@code towupper} or ICU's simple case
     * mapping), so {@code ß} stays {@code ß}, unlike {@link String#toUpperCase}; under a C or POSIX
     * {@code LC_CTYPE} only ASCII letters change. The database's locale therefore matters, one reason CANONICAL
     * does no case folding. (Turkic locales, where {@code i} becomes {@code İ}, are not reproduced; nor are case
     * mappings newer than the JDK's Unicode version, e.g. Unicode 14's U+2C5F, which Java 17 leaves unchanged.)
     */
    private static String upper(String s, boolean asciiOnly) {
        StringBuilder out = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> out.appendCodePoint(asciiOnly ? (cp >= 'a' && cp <= 'z' ? cp - 32 : cp) : Character.toUpperCase(cp)));
        return out.toString();
    }

    private static IllegalArgumentException wrongType(Field f, Object v) {
        return new IllegalArgumentException("column '" + f.name() + "' is " + f.type() + ", expected a "
                + f.type().javaType().getSimpleName() + " value, got " + v.getClass().getName());
    }
}
