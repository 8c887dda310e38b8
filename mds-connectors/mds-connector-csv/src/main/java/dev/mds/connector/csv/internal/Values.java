package dev.mds.connector.csv.internal;

import dev.mds.core.FieldType;
import dev.mds.core.PostgresDialect;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.DateTimeException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Locale;
import java.util.UUID;

/**
 * Text to typed values, straight from bytes for the common types (no intermediate String). Every method
 * returns {@link #BAD} when the text is not a value of the type.
 */
public final class Values {
    /** Marks text that does not parse as the wanted type. */
    public static final Object BAD = new Object();

    private static final long[] POW10 = new long[19];

    static {
        POW10[0] = 1;
        for (int i = 1; i < POW10.length; i++) {
            POW10[i] = POW10[i - 1] * 10;
        }
    }

    private Values() {
    }

    /** Converts ASCII-compatible text; {@code text} decodes it for the types parsed from a String. */
    static Object convert(FieldType type, byte[] b, int off, int len, TextDecoder text) {
        switch (type.kind()) {
            case LONG, INT, DECIMAL, DATE, TIMESTAMP, TIMESTAMPTZ, TIME -> {
                // PostgreSQL's input functions of these types skip white space around the value (' 42', '1.5 ')
                while (len > 0 && isCSpace(b[off])) {
                    off++;
                    len--;
                }
                while (len > 0 && isCSpace(b[off + len - 1])) {
                    len--;
                }
            }
            default -> {
                // double skips its own white space; boolean too; uuid and the rest take none
            }
        }
        return switch (type.kind()) {
            case LONG -> parseLong(b, off, len);
            case INT -> {
                Object v = parseLong(b, off, len);
                yield v instanceof Long l && l >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE ? (Object) l.intValue()
                        : BAD;
            }
            case DECIMAL -> checkPrecision(parseDecimal(b, off, len, text), type);
            case DOUBLE -> parseDouble(text.decode(b, off, len));
            case BOOLEAN -> parseBoolean(b, off, len, false);
            case DATE -> parseDate(b, off, len);
            case TIMESTAMP -> parseDateTime(b, off, len, false);
            case TIMESTAMPTZ -> parseDateTime(b, off, len, true);
            case TIME -> parseTime(text.decode(b, off, len));
            case UUID -> parseUuid(text.decode(b, off, len));
            case BYTES -> parseHex(text.decode(b, off, len));
            case STRING -> text.decode(b, off, len);
            case JSON -> json(text.decode(b, off, len));
            case ARRAY -> throw new IllegalStateException("arrays are rejected when the source is built");
        };
    }

    /** Decodes a field to a String, or to a marker object when its bytes are not valid text. */
    interface TextDecoder {
        Object decode(byte[] b, int off, int len);
    }

    /** A long in ASCII digits with an optional sign; any number of leading zeros, as PostgreSQL's int8 reads it. */
    static Object parseLong(byte[] b, int off, int len) {
        if (len == 0) {
            return BAD;
        }
        int i = off;
        int end = off + len;
        boolean negative = false;
        if (b[i] == '-' || b[i] == '+') {
            negative = b[i] == '-';
            i++;
            if (i == end) {
                return BAD;
            }
        }
        long v = 0;
        for (; i < end; i++) {
            int d = b[i] - '0';
            if (d < 0 || d > 9) {
                return BAD;
            }
            if (v < (Long.MIN_VALUE + d) / 10) {
                return BAD;
            }
            v = v * 10 - d;
        }
        if (!negative) {
            if (v == Long.MIN_VALUE) {
                return BAD;
            }
            v = -v;
        }
        return v;
    }

    static Object parseDecimal(byte[] b, int off, int len, TextDecoder text) {
        int end = off + len;
        int i = off;
        if (len == 0) {
            return BAD;
        }
        boolean negative = false;
        if (b[i] == '-' || b[i] == '+') {
            negative = b[i] == '-';
            i++;
        }
        long unscaled = 0;
        int digits = 0;
        int scale = -1;
        boolean simple = true;
        for (; i < end; i++) {
            byte c = b[i];
            if (c >= '0' && c <= '9') {
                if (digits == 18) {
                    simple = false;
                    break;
                }
                unscaled = unscaled * 10 + (c - '0');
                digits++;
                if (scale >= 0) {
                    scale++;
                }
            } else if (c == '.' && scale < 0) {
                scale = 0;
            } else {
                simple = false;
                break;
            }
        }
        if (simple) {
            if (digits == 0) {
                return BAD;
            }
            return BigDecimal.valueOf(negative ? -unscaled : unscaled, Math.max(scale, 0));
        }
        BigDecimal d;
        try {
            Object t = text.decode(b, off, len);
            // BigDecimal reads any Unicode digit ('１２３', '٤٥'); PostgreSQL's numeric reads ASCII digits only
            if (!(t instanceof String str) || !str.chars().allMatch(ch -> ch < 0x80)) {
                return BAD;
            }
            d = new BigDecimal(str);
        } catch (NumberFormatException e) {
            return BAD;
        }
        // PostgreSQL's numeric holds at most 16383 digits after the point (as written: '0e-20000' overflows too) and
        // 131072 before it; beyond, its input fails ('value overflows numeric format'). An exponent like 1e-999999999
        // would also cost seconds to round, or fail BigDecimal's own range, and 1e999999999 a billion-digit text.
        if (beyondNumeric(d)) {
            return BAD;
        }
        return d;
    }

    /** A decoded field of a json (jsonb) column: {@link #BAD} when jsonb's input would refuse it. */
    static Object json(Object decoded) {
        return decoded instanceof String str && !JsonCheck.valid(str) ? BAD : decoded;
    }

    /** Whether PostgreSQL's numeric input refuses {@code d} as written ('value overflows numeric format'). */
    static boolean beyondNumeric(BigDecimal d) {
        return PostgresDialect.INSTANCE.beyondNumeric(d);
    }

    /**
     * Rounds to the declared scale half away from zero, as PostgreSQL stores a numeric(p,s), and rejects a value
     * whose rounded form has more integer digits than p - s allows (999.995 is 1000.00, too wide for (5,2)).
     */
    private static Object checkPrecision(Object v, FieldType type) {
        if (v instanceof BigDecimal d && type.precision() > 0) {
            BigDecimal rounded = d.scale() > type.scale() ? d.setScale(type.scale(), RoundingMode.HALF_UP) : d;
            if (rounded.signum() == 0) {
                // zero has no digit before the point (BigDecimal counts one, and more for 0e5): it fits numeric(2,2)
                return rounded.scale() < 0 ? BigDecimal.ZERO : rounded;
            }
            int integerDigits = rounded.precision() - rounded.scale();
            if (integerDigits > type.precision() - type.scale()) {
                return BAD;
            }
            return rounded;
        }
        return v;
    }

    /**
     * A double as PostgreSQL's float8 input reads it: decimal or hexadecimal notation, spaces around it allowed,
     * and inf, infinity and nan in any case with an optional sign. Java's type suffixes ({@code 1d}, {@code 2f})
     * do not make a number, and a value out of a double's range ({@code 1e400}, {@code 1e-400}) is bad, not
     * infinity or zero.
     */
    static Object parseDouble(Object s) {
        if (!(s instanceof String str)) {
            return BAD;
        }
        String t = stripFloatSpace(str);
        // Double.parseDouble would still trim any other character up to U+0020 (NUL, SOH, US ...) away
        if (!t.isEmpty() && (t.charAt(0) <= ' ' || t.charAt(t.length() - 1) <= ' ')) {
            return BAD;
        }
        switch (t.toLowerCase(Locale.ROOT)) {
            case "inf", "+inf", "infinity", "+infinity" -> {
                return Double.POSITIVE_INFINITY;
            }
            case "-inf", "-infinity" -> {
                return Double.NEGATIVE_INFINITY;
            }
            case "nan", "+nan", "-nan" -> {
                return Double.NaN;
            }
            default -> {
                if (t.isEmpty() || "dDfF".indexOf(t.charAt(t.length() - 1)) >= 0) {
                    return BAD;
                }
            }
        }
        double d;
        try {
            d = Double.parseDouble(t);
        } catch (NumberFormatException e) {
            return BAD;
        }
        return Double.isInfinite(d) || d == 0 && nonZeroSignificand(t) ? BAD : d;
    }

    /** Without the white space float8 input skips around a number (C's isspace): space, \t, \n, \r, \f, \v. */
    private static String stripFloatSpace(String s) {
        int from = 0;
        int to = s.length();
        while (from < to && isFloatSpace(s.charAt(from))) {
            from++;
        }
        while (to > from && isFloatSpace(s.charAt(to - 1))) {
            to--;
        }
        return s.substring(from, to);
    }

    private static boolean isFloatSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\u000B';
    }

    /** Whether the significand of a finite number's text has a digit other than zero (so it is not zero). */
    private static boolean nonZeroSignificand(String t) {
        int i = t.startsWith("+") || t.startsWith("-") ? 1 : 0;
        boolean hex = t.regionMatches(true, i, "0x", 0, 2);
        for (i += hex ? 2 : 0; i < t.length(); i++) {
            char c = Character.toLowerCase(t.charAt(i));
            if (c == (hex ? 'p' : 'e')) {
                return false;
            }
            if (c >= '1' && c <= '9' || hex && c >= 'a' && c <= 'f') {
                return true;
            }
        }
        return false;
    }

    /**
     * A boolean as PostgreSQL's boolean input reads it: in any case, with white space around it (C's isspace), a
     * unique prefix of {@code true}, {@code false}, {@code yes} or {@code no} ({@code t}, {@code tr}, {@code f},
     * {@code y}, {@code n} ...), {@code on}, {@code off} (or {@code of}), {@code 1} and {@code 0}. When
     * {@code strictWords} (inference), only {@code true} and {@code false} as written.
     */
    static Object parseBoolean(byte[] b, int off, int len, boolean strictWords) {
        if (len == 4 && lower(b[off]) == 't' && lower(b[off + 1]) == 'r' && lower(b[off + 2]) == 'u'
                && lower(b[off + 3]) == 'e') {
            return Boolean.TRUE;
        }
        if (len == 5 && lower(b[off]) == 'f' && lower(b[off + 1]) == 'a' && lower(b[off + 2]) == 'l'
                && lower(b[off + 3]) == 's' && lower(b[off + 4]) == 'e') {
            return Boolean.FALSE;
        }
        if (strictWords) {
            return BAD;
        }
        int from = off;
        int to = off + len;
        while (from < to && isCSpace(b[from])) {
            from++;
        }
        while (to > from && isCSpace(b[to - 1])) {
            to--;
        }
        int n = to - from;
        if (n == 0) {
            return BAD;
        }
        // as PostgreSQL's parse_bool_with_len: the first character picks the word, the rest must be a prefix of it
        return switch (lower(b[from])) {
            case 't' -> prefixOf(b, from, n, "true") ? Boolean.TRUE : BAD;
            case 'f' -> prefixOf(b, from, n, "false") ? Boolean.FALSE : BAD;
            case 'y' -> prefixOf(b, from, n, "yes") ? Boolean.TRUE : BAD;
            case 'n' -> prefixOf(b, from, n, "no") ? Boolean.FALSE : BAD;
            // 'o' alone is neither on nor off
            case 'o' -> n < 2 ? BAD : prefixOf(b, from, n, "on") ? Boolean.TRUE
                    : prefixOf(b, from, n, "off") ? Boolean.FALSE : BAD;
            case '1' -> n == 1 ? Boolean.TRUE : BAD;
            case '0' -> n == 1 ? Boolean.FALSE : BAD;
            default -> BAD;
        };
    }

    /** Whether the {@code n} bytes at {@code from} are, in any case, the first {@code n} characters of {@code word}. */
    private static boolean prefixOf(byte[] b, int from, int n, String word) {
        if (n > word.length()) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (lower(b[from + i]) != word.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** C's isspace, which PostgreSQL's input functions skip around a value: space, \t, \n, \v, \f, \r. */
    static boolean isCSpace(byte c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == 0x0B;
    }

    private static int lower(byte c) {
        return c >= 'A' && c <= 'Z' ? c + 32 : c;
    }

    /**
     * 1 for PostgreSQL's {@code infinity}, -1 for {@code -infinity} (in any case, as its date and timestamp input and
     * COPY TO write them), else 0.
     */
    static int infinity(byte[] b, int off, int len) {
        int sign = len == 8 ? 1 : len == 9 && b[off] == '-' ? -1 : 0;
        if (sign == 0) {
            return 0;
        }
        int from = sign > 0 ? off : off + 1;
        for (int i = 0; i < 8; i++) {
            if (lower(b[from + i]) != "infinity".charAt(i)) {
                return 0;
            }
        }
        return sign;
    }

    /**
     * A date ({@code yyyy-MM-dd}, a year of more digits, or before year 1 with {@code " BC"} as PostgreSQL writes it,
     * {@code 0044-03-15 BC} read as year -43 as pgjdbc reads it), within PostgreSQL's range, or PostgreSQL's
     * {@code infinity}/{@code -infinity} as {@link LocalDate#MAX}/{@link LocalDate#MIN}.
     */
    static Object parseDate(byte[] b, int off, int len) {
        int infinity = infinity(b, off, len);
        if (infinity != 0) {
            return infinity > 0 ? LocalDate.MAX : LocalDate.MIN;   // as pgjdbc reads them; mds-load writes infinity
        }
        int suffix = bc(b, off, len);
        boolean bc = suffix > 0;
        len -= suffix;
        int o = yearDigits(b, off, off + len) - 4;   // the year's digits beyond 4
        if (o >= 0 && len == 10 + o && b[off + 4 + o] == '-' && b[off + 7 + o] == '-') {
            int y = digits(b, off, 4 + o);
            int m = digits(b, off + 5 + o, 2);
            int d = digits(b, off + 8 + o, 2);
            // year 0000 is no year to PostgreSQL (1 BC follows 1 AD); java.time would read it as 1 BC
            if (y <= 0 || m < 0 || d < 0) {
                return BAD;
            }
            try {
                LocalDate date = LocalDate.of(bc ? 1 - y : y, m, d);
                return date.isBefore(DATE_MIN) || date.isAfter(DATE_MAX) ? BAD : date;
            } catch (DateTimeException e) {
                return BAD;
            }
        }
        return BAD;
    }

    /* PostgreSQL's ranges (4714-11-24 BC to 5874897-12-31 for a date, to 294276-12-31 for a timestamp) */
    private static final LocalDate DATE_MIN = LocalDate.of(-4713, 11, 24);
    private static final LocalDate DATE_MAX = LocalDate.of(5_874_897, 12, 31);
    private static final LocalDateTime TIMESTAMP_MIN = DATE_MIN.atStartOfDay();
    private static final LocalDateTime TIMESTAMP_MAX = LocalDateTime.of(294_276, 12, 31, 23, 59, 59, 999_999_999);

    /**
     * How many bytes of {@code " BC"} (PostgreSQL writes a date or timestamp before year 1 so) or {@code "BC"} (which
     * it reads too) end the text, in any case: 3, 2 or 0.
     */
    private static int bc(byte[] b, int off, int len) {
        if (len < 3 || lower(b[off + len - 2]) != 'b' || lower(b[off + len - 1]) != 'c') {
            return 0;
        }
        return b[off + len - 3] == ' ' ? 3 : 2;
    }

    /** How many digits the year at {@code off} has (4 to 7, followed by '-'), or -1: PostgreSQL writes 10000-01-01. */
    private static int yearDigits(byte[] b, int off, int end) {
        int i = off;
        while (i < end && i - off < 8 && b[i] >= '0' && b[i] <= '9') {
            i++;
        }
        int n = i - off;
        return n >= 4 && n <= 7 && i < end && b[i] == '-' ? n : -1;
    }

    /**
     * {@code yyyy-MM-dd} alone (its midnight, as PostgreSQL reads it), or {@code yyyy-MM-dd[T| ]HH:mm[:ss[.fraction]]} then, for a timestamp with time zone, {@code Z}, {@code ±HH},
     * {@code ±HHmm}, {@code ±HH:mm} or {@code ±HH:mm:ss}; a timestamptz without an offset is read as UTC. The year
     * may have more digits, and {@code " BC"} at the end (as PostgreSQL writes them) gives a year before 1, as for a
     * date; beyond PostgreSQL's range it is bad. PostgreSQL's {@code infinity} and {@code -infinity} are the type's
     * {@code MAX} and {@code MIN}.
     */
    static Object parseDateTime(byte[] b, int off, int len, boolean withZone) {
        int infinity = infinity(b, off, len);
        if (infinity != 0) {
            // as pgjdbc reads them; mds-load writes them back as infinity
            return withZone ? infinity > 0 ? OffsetDateTime.MAX : OffsetDateTime.MIN
                    : infinity > 0 ? LocalDateTime.MAX : LocalDateTime.MIN;
        }
        if (parseDate(b, off, len) instanceof LocalDate date) {
            // a date alone is its midnight, as PostgreSQL's timestamp input reads it ('2024-01-03')
            LocalDateTime midnight = date.atStartOfDay();
            if (midnight.isAfter(TIMESTAMP_MAX)) {
                return BAD;
            }
            return withZone ? OffsetDateTime.of(midnight, ZoneOffset.UTC) : midnight;
        }
        int suffix = bc(b, off, len);   // after the offset too: '0044-03-15 10:00:00+00 BC'
        boolean bc = suffix > 0;
        len -= suffix;
        int end = off + len;
        int o = yearDigits(b, off, end) - 4;   // the year's digits beyond 4
        if (o < 0 || len < 16 + o || b[off + 7 + o] != '-' || (b[off + 10 + o] != 'T' && b[off + 10 + o] != ' '
                && b[off + 10 + o] != 't') || b[off + 13 + o] != ':') {
            return BAD;
        }
        int y = digits(b, off, 4 + o);
        int mo = digits(b, off + 5 + o, 2);
        int d = digits(b, off + 8 + o, 2);
        int h = digits(b, off + 11 + o, 2);
        int mi = digits(b, off + 14 + o, 2);
        if (y <= 0 || mo < 0 || d < 0 || h < 0 || mi < 0) {   // year 0000: see parseDate
            return BAD;
        }
        if (bc) {
            y = 1 - y;
        }
        int i = off + 16 + o;
        int s = 0;
        int nanos = 0;
        if (i < end && b[i] == ':') {
            if (i + 3 > end) {
                return BAD;
            }
            s = digits(b, i + 1, 2);
            if (s < 0) {
                return BAD;
            }
            i += 3;
            if (i < end && (b[i] == '.' || b[i] == ',')) {
                i++;
                int n = 0;
                int count = 0;
                while (i < end && b[i] >= '0' && b[i] <= '9') {
                    if (count < 9) {
                        n = n * 10 + (b[i] - '0');
                        count++;
                    } else {
                        return BAD;
                    }
                    i++;
                }
                if (count == 0) {
                    return BAD;
                }
                nanos = n * (int) POW10[9 - count];
            }
        }
        ZoneOffset offset = null;
        if (i < end) {
            if (!withZone) {
                return BAD;
            }
            int rest = end - i;
            if (rest == 1 && (b[i] == 'Z' || b[i] == 'z')) {
                offset = ZoneOffset.UTC;
            } else if (b[i] == '+' || b[i] == '-') {
                int sign = b[i] == '-' ? -1 : 1;
                int oh;
                int om = 0;
                int os = 0;
                if (rest == 3) {
                    oh = digits(b, i + 1, 2);
                } else if (rest == 5) {
                    oh = digits(b, i + 1, 2);
                    om = digits(b, i + 3, 2);
                } else if (rest == 6 && b[i + 3] == ':') {
                    oh = digits(b, i + 1, 2);
                    om = digits(b, i + 4, 2);
                } else if (rest == 9 && b[i + 3] == ':' && b[i + 6] == ':') {
                    // as PostgreSQL writes an offset of seconds: a zone's local mean time before standard time
                    // ('1850-01-01 00:19:32+00:19:32' under Europe/Amsterdam)
                    oh = digits(b, i + 1, 2);
                    om = digits(b, i + 4, 2);
                    os = digits(b, i + 7, 2);
                } else {
                    return BAD;
                }
                if (oh < 0 || om < 0 || os < 0) {
                    return BAD;
                }
                try {
                    offset = ZoneOffset.ofHoursMinutesSeconds(sign * oh, sign * om, sign * os);
                } catch (DateTimeException e) {
                    return BAD;
                }
            } else {
                return BAD;
            }
        }
        try {
            LocalDateTime t = LocalDateTime.of(y, mo, d, h, mi, s, nanos);
            OffsetDateTime tz = withZone ? OffsetDateTime.of(t, offset == null ? ZoneOffset.UTC : offset) : null;
            LocalDateTime utc = withZone ? tz.withOffsetSameInstant(ZoneOffset.UTC).toLocalDateTime() : t;
            if (utc.isBefore(TIMESTAMP_MIN) || utc.isAfter(TIMESTAMP_MAX)) {
                return BAD;
            }
            return withZone ? tz : t;
        } catch (DateTimeException e) {
            return BAD;
        }
    }

    /** Whether the text ends with a zone offset (used by inference to tell timestamp from timestamptz). */
    static boolean hasOffset(byte[] b, int off, int len) {
        return parseDateTime(b, off, len, false) == BAD && parseDateTime(b, off, len, true) != BAD;
    }

    /** PostgreSQL's end of the day, which {@link LocalTime} cannot hold: read as {@link LocalTime#MAX}, as pgjdbc reads it. */
    private static final java.util.regex.Pattern END_OF_DAY = java.util.regex.Pattern.compile("24:00(:00(\\.0*)?)?");

    static Object parseTime(Object s) {
        if (!(s instanceof String)) {
            return BAD;
        }
        if (((String) s).startsWith("24:") && END_OF_DAY.matcher((String) s).matches()) {
            return LocalTime.MAX;          // mds-load writes it back as 24:00:00
        }
        try {
            return LocalTime.parse((String) s);
        } catch (DateTimeException e) {
            return BAD;
        }
    }

    /**
     * A uuid as PostgreSQL's uuid input reads it: 32 ASCII hex digits in any case, a hyphen allowed after any group of
     * four (so the standard 8-4-4-4-12 form, and the digits without hyphens), the whole optionally in braces. Not
     * {@link UUID#fromString}: past its fast path it parses groups with Long.parseLong, which takes a sign and any
     * Unicode digit ('+2345678-…', fullwidth digits), none of which PostgreSQL reads.
     */
    static Object parseUuid(Object s) {
        if (!(s instanceof String t)) {
            return BAD;
        }
        int p = 0;
        int end = t.length();
        boolean braces = end > 0 && t.charAt(0) == '{';
        if (braces) {
            if (t.charAt(end - 1) != '}') {
                return BAD;
            }
            p = 1;
            end--;
        }
        long hi = 0;
        long lo = 0;
        for (int i = 0; i < 16; i++) {
            if (p + 2 > end) {
                return BAD;
            }
            int h = hexDigit(t.charAt(p));
            int l = hexDigit(t.charAt(p + 1));
            if (h < 0 || l < 0) {
                return BAD;
            }
            p += 2;
            if (i < 8) {
                hi = hi << 8 | h << 4 | l;
            } else {
                lo = lo << 8 | h << 4 | l;
            }
            if (p < end && t.charAt(p) == '-' && i % 2 == 1 && i < 15) {
                p++;
            }
        }
        return p == end ? new UUID(hi, lo) : BAD;
    }

    /** An ASCII hex digit's value, or -1 ({@link Character#digit} also reads fullwidth and other Unicode digits). */
    private static int hexDigit(char c) {
        return c < 0x80 ? Character.digit(c, 16) : -1;
    }

    /** Hex digits, optionally after PostgreSQL's {@code \x}. */
    static Object parseHex(Object s) {
        if (!(s instanceof String)) {
            return BAD;
        }
        String t = (String) s;
        if (t.startsWith("\\x")) {
            t = t.substring(2);
        }
        if (t.length() % 2 != 0) {
            return BAD;
        }
        byte[] out = new byte[t.length() / 2];
        for (int i = 0; i < out.length; i++) {
            int hi = hexDigit(t.charAt(2 * i));
            int lo = hexDigit(t.charAt(2 * i + 1));
            if (hi < 0 || lo < 0) {
                return BAD;
            }
            out[i] = (byte) (hi * 16 + lo);
        }
        return out;
    }

    private static int digits(byte[] b, int off, int n) {
        int v = 0;
        for (int i = off; i < off + n; i++) {
            int d = b[i] - '0';
            if (d < 0 || d > 9) {
                return -1;
            }
            v = v * 10 + d;
        }
        return v;
    }

    /** A readable name of the type for messages: "a decimal", "a date". */
    static String describe(FieldType type) {
        return switch (type.kind()) {
            case LONG -> "a long integer";
            case INT -> "an integer";
            case DECIMAL -> type.precision() > 0 ? "a " + type : "a decimal";
            case DOUBLE -> "a double";
            case BOOLEAN -> "a boolean";
            case DATE -> "a date (yyyy-MM-dd)";
            case TIMESTAMP -> "a timestamp (yyyy-MM-dd HH:mm:ss)";
            case TIMESTAMPTZ -> "a timestamp with time zone";
            case TIME -> "a time";
            case UUID -> "a uuid";
            case BYTES -> "hex bytes";
            case JSON -> "valid JSON (as PostgreSQL's jsonb reads it)";
            default -> "a " + type;
        };
    }
}
