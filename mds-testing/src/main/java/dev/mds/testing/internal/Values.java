package dev.mds.testing.internal;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.Array;
import java.sql.Date;
import java.sql.SQLException;
import java.sql.Time;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import org.postgresql.PGStatement;
import org.postgresql.util.PGInterval;
import org.postgresql.util.PGobject;

/** Normalises JDBC and Java values so that equal meanings compare equal in table assertions. */
public final class Values {
    private Values() {
    }

    /**
     * A canonical form: numbers as stripped BigDecimal, SQL dates as java.time, instants for zoned times, byte
     * arrays as {@link Bytes}, intervals (pgjdbc's {@code PGInterval}, a {@code Duration}, a {@code Period}) as an
     * {@link Interval}, other arrays (a SQL array, {@code Object[]}, {@code int[]} ...) as lists (equal by content, so sets and lists of them compare by content too). PostgreSQL's
     * {@code infinity} and {@code -infinity} are the MAX and MIN pgjdbc reads: {@code LocalDate.MAX},
     * {@code LocalDateTime.MAX}, and {@code Instant.MAX} for a zoned one ({@code OffsetDateTime.MAX} is not
     * {@code Instant.MAX}'s instant); a {@code java.sql} date or timestamp holding the driver's infinity sentinel
     * likewise.
     */
    public static Object normalize(Object v) {
        if (v == null) {
            return null;
        }
        if (v instanceof byte[] b) {
            return new Bytes(b.clone());
        }
        if (v instanceof Bytes) {
            return v;
        }
        if (v instanceof Number n && !(v instanceof BigDecimal)) {
            if (v instanceof Double d && (d.isNaN() || d.isInfinite())) {
                return d;
            }
            if (v instanceof Float f && (f.isNaN() || f.isInfinite())) {
                return f.doubleValue();
            }
            return new BigDecimal(n.toString()).stripTrailingZeros();
        }
        if (v instanceof BigDecimal d) {
            return d.signum() == 0 ? BigDecimal.ZERO : d.stripTrailingZeros();
        }
        if (v instanceof Date d) {
            long millis = d.getTime();
            return millis == PGStatement.DATE_POSITIVE_INFINITY ? LocalDate.MAX
                    : millis == PGStatement.DATE_NEGATIVE_INFINITY ? LocalDate.MIN : d.toLocalDate();
        }
        if (v instanceof Time t) {
            return t.toLocalTime();
        }
        if (v instanceof Timestamp t) {
            long millis = t.getTime();
            return millis == PGStatement.DATE_POSITIVE_INFINITY ? LocalDateTime.MAX
                    : millis == PGStatement.DATE_NEGATIVE_INFINITY ? LocalDateTime.MIN : t.toLocalDateTime();
        }
        if (v instanceof OffsetDateTime o) {
            return o.equals(OffsetDateTime.MAX) ? Instant.MAX : o.equals(OffsetDateTime.MIN) ? Instant.MIN : o.toInstant();
        }
        if (v instanceof ZonedDateTime z) {
            return z.toInstant();
        }
        if (v instanceof PGInterval i) {
            return Interval.of(i);
        }
        if (v instanceof java.time.Duration d) {
            return Interval.of(d);
        }
        if (v instanceof java.time.Period p) {
            return Interval.of(p);
        }
        if (v instanceof PGobject p) {
            return p.getValue();
        }
        if (v instanceof Array a) {
            try {
                return normalize(a.getArray());
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }
        if (v instanceof Object[] arr) {
            List<Object> out = new ArrayList<>(arr.length);
            for (Object o : arr) {
                out.add(normalize(o));
            }
            return out;
        }
        if (v.getClass().isArray()) {
            // an array of a primitive type other than byte (int[], double[] ...): as a list of its values
            int n = java.lang.reflect.Array.getLength(v);
            List<Object> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                out.add(normalize(java.lang.reflect.Array.get(v, i)));
            }
            return out;
        }
        if (v instanceof List<?> list) {
            List<Object> out = new ArrayList<>(list.size());
            for (Object o : list) {
                out.add(normalize(o));
            }
            return out;
        }
        if (v instanceof Character c) {
            return c.toString();
        }
        return v;
    }

    /** Whether two values mean the same. */
    public static boolean same(Object a, Object b) {
        Object x = normalize(a);
        Object y = normalize(b);
        if (x instanceof Instant && y instanceof java.time.LocalDateTime || y instanceof Instant && x instanceof java.time.LocalDateTime) {
            return false;
        }
        return Objects.equals(x, y);
    }

    /**
     * A {@code jsonb} value as PostgreSQL prints it (keys in its order, its spacing), equal to another of the same meaning
     * as PostgreSQL's {@code jsonb =} takes it: numbers by value ({@code 2.5} and {@code 2.50} are equal). Shown as its text.
     */
    public static final class Jsonb {
        private final String text;
        private final String key;

        /** {@code text}: a jsonb value's text as PostgreSQL prints it ({@code ::jsonb::text}). */
        public Jsonb(String text) {
            this.text = Objects.requireNonNull(text, "text");
            this.key = numbersByValue(text);
        }

        /** The value's text, as PostgreSQL prints it. */
        public String text() {
            return text;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Jsonb j && key.equals(j.key);
        }

        @Override
        public int hashCode() {
            return key.hashCode();
        }

        @Override
        public String toString() {
            return text;
        }

        /** The text with each number outside a string in one form ({@code 2.50}, {@code 2.5} and {@code 25e-1} as {@code 2.5}). */
        private static String numbersByValue(String json) {
            StringBuilder out = new StringBuilder(json.length());
            for (int i = 0; i < json.length(); ) {
                char c = json.charAt(i);
                if (c == '"') {
                    int j = i + 1;
                    while (j < json.length() && json.charAt(j) != '"') {
                        j += json.charAt(j) == '\\' ? 2 : 1;
                    }
                    j = Math.min(j + 1, json.length());
                    out.append(json, i, j);
                    i = j;
                } else if (c == '-' || (c >= '0' && c <= '9')) {
                    int j = i + 1;
                    while (j < json.length() && "0123456789.eE+-".indexOf(json.charAt(j)) >= 0) {
                        j++;
                    }
                    String number = json.substring(i, j);
                    try {
                        BigDecimal d = new BigDecimal(number);
                        out.append(d.signum() == 0 ? "0" : d.stripTrailingZeros().toString());
                    } catch (NumberFormatException e) {
                        out.append(number);
                    }
                    i = j;
                } else {
                    out.append(c);
                    i++;
                }
            }
            return out.toString();
        }
    }

    /**
     * An interval as PostgreSQL compares it: by its length with a month taken as 30 days and a day as 24 hours, so
     * {@code '1 day'} equals {@code '24 hours'} and {@code '1 mon'} equals {@code '30 days'}. Read from pgjdbc's
     * {@code PGInterval}, a {@code Duration} (to the nanosecond, so one finer than PostgreSQL's microseconds equals
     * none) or a {@code Period}; shown as it was given.
     */
    public static final class Interval {
        private static final BigInteger NANOS_PER_DAY = BigInteger.valueOf(86_400_000_000_000L);
        private final BigInteger nanos;
        private final String shown;

        private Interval(BigInteger nanos, String shown) {
            this.nanos = nanos;
            this.shown = shown;
        }

        static Interval of(PGInterval i) {
            long days = (i.getYears() * 12L + i.getMonths()) * 30L + i.getDays();
            long micros = ((i.getHours() * 60L + i.getMinutes()) * 60L + i.getWholeSeconds()) * 1_000_000L + i.getMicroSeconds();
            return new Interval(BigInteger.valueOf(days).multiply(NANOS_PER_DAY)
                    .add(BigInteger.valueOf(micros).multiply(BigInteger.valueOf(1000))), i.getValue());
        }

        static Interval of(java.time.Duration d) {
            return new Interval(BigInteger.valueOf(d.getSeconds()).multiply(BigInteger.valueOf(1_000_000_000L))
                    .add(BigInteger.valueOf(d.getNano())), d.toString());
        }

        static Interval of(java.time.Period p) {
            return new Interval(BigInteger.valueOf(p.toTotalMonths() * 30L + p.getDays()).multiply(NANOS_PER_DAY), p.toString());
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Interval i && nanos.equals(i.nanos);
        }

        @Override
        public int hashCode() {
            return nanos.hashCode();
        }

        @Override
        public String toString() {
            return shown;
        }
    }

    /**
     * A {@code citext} value, equal to another whose text PostgreSQL lowers alike ({@code lower()}, as citext's
     * {@code =} compares), so {@code 'ABC'} equals {@code 'abc'}. Shown as its text, quoted as a string is.
     */
    public static final class Citext {
        private final String text;
        private final String folded;

        /** {@code text}: the value; {@code folded}: PostgreSQL's {@code lower(text)}. */
        public Citext(String text, String folded) {
            this.text = Objects.requireNonNull(text, "text");
            this.folded = Objects.requireNonNull(folded, "folded");
        }

        /** The value's text, its case as stored or given. */
        public String text() {
            return text;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Citext c && folded.equals(c.folded);
        }

        @Override
        public int hashCode() {
            return folded.hashCode();
        }

        @Override
        public String toString() {
            return text;
        }
    }

    /**
     * A {@code numrange} or {@code nummultirange} value as PostgreSQL prints it, equal to another whose bounds are
     * equal numbers, as the type's {@code =} compares them: {@code [1.50,2.0)} equals {@code [1.5,2)}, as the numeric
     * {@code 1.50} equals {@code 1.5} (PostgreSQL keeps a bound's scale in its output). Shown as its text.
     */
    public static final class NumericRange {
        private static final java.util.regex.Pattern NUMBER = java.util.regex.Pattern.compile("\\d+\\.\\d+");
        private final String text;
        private final String key;

        /** {@code text}: the value as PostgreSQL prints it. */
        public NumericRange(String text) {
            this.text = Objects.requireNonNull(text, "text");
            // a bound is never quoted in a numeric range's output: each decimal fraction in it is a bound
            this.key = NUMBER.matcher(text).replaceAll(m -> new BigDecimal(m.group()).stripTrailingZeros().toPlainString());
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof NumericRange r && key.equals(r.key);
        }

        @Override
        public int hashCode() {
            return key.hashCode();
        }

        @Override
        public String toString() {
            return text;
        }
    }

    /** A byte array compared by content; shown as hex. */
    public static final class Bytes {
        private final byte[] bytes;

        Bytes(byte[] bytes) {
            this.bytes = bytes;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Bytes b && Arrays.equals(bytes, b.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }

        @Override
        public String toString() {
            return "\\x" + HexFormat.of().formatHex(bytes);
        }
    }
}
