package dev.mds.load.internal;

import dev.mds.core.Unchanged;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Locale;
import org.postgresql.copy.CopyIn;

/**
 * Writes rows in PostgreSQL's COPY text format straight into a {@link CopyIn}, in 64 KB chunks, without building
 * strings per row. A value is written by its Java class (see {@link dev.mds.core.FieldType}); the database
 * parses it into the column's type, so a value that does not fit is reported by COPY with its line.
 */
final class CopyText {
    private static final int CHUNK = 1 << 16;
    /** The characters of a string encoded at one reservation of the buffer (see {@link #string}). */
    static final int SLICE = 1 << 20;
    /** The largest array the JVM makes. */
    private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;
    private static final byte[] NULL = {'\\', 'N'};
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private final CopyIn copy;
    private byte[] buf = new byte[CHUNK + 1024];
    private int len;
    private boolean first = true;

    CopyText(CopyIn copy) {
        this.copy = copy;
    }

    /** Writes one value (a column separator first unless it is the row's first). */
    void value(Object v) throws SQLException {
        sep();
        if (v == null || v instanceof Unchanged) {
            bytes(NULL);
        } else if (v instanceof String s) {
            string(s);
        } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            number(((Number) v).longValue());
        } else if (v instanceof BigDecimal d) {
            ascii(d.toPlainString());
        } else if (v instanceof Boolean b) {
            ensure(1);
            buf[len++] = (byte) (b ? 't' : 'f');
        } else if (v instanceof byte[] bytes) {
            ensure(3 + bytes.length * 2);
            buf[len++] = '\\';
            buf[len++] = '\\';
            buf[len++] = 'x';
            for (byte b : bytes) {
                buf[len++] = (byte) HEX[(b >> 4) & 0xF];
                buf[len++] = (byte) HEX[b & 0xF];
            }
        } else if (v instanceof List<?> list) {
            string(arrayLiteral(list));
        } else if (v instanceof LocalDate || v instanceof LocalDateTime || v instanceof OffsetDateTime
                || v instanceof ZonedDateTime || v instanceof Instant) {
            ascii(dateTime(v));
        } else {
            string(v.toString());
        }
        flushIfFull();
    }

    /** A literal already in COPY-safe text (no tab, newline or backslash), e.g. a timestamp. */
    void raw(String text) throws SQLException {
        sep();
        ascii(text);
    }

    /** Ends the row. */
    void endRow() throws SQLException {
        ensure(1);
        buf[len++] = '\n';
        first = true;
        flushIfFull();
    }

    /** Sends what is buffered. */
    void flush() throws SQLException {
        if (len > 0) {
            copy.writeToCopy(buf, 0, len);
            len = 0;
        }
    }

    private void sep() {
        if (first) {
            first = false;
        } else {
            ensure(1);
            buf[len++] = '\t';
        }
    }

    private void flushIfFull() throws SQLException {
        if (len >= CHUNK) {
            flush();
        }
    }

    private void ensure(int more) {
        long need = (long) len + more;
        if (need > buf.length) {
            if (need > MAX_ARRAY) {
                throw new IllegalStateException("a row of more than " + MAX_ARRAY + " bytes cannot be sent to the COPY");
            }
            byte[] bigger = new byte[(int) Math.min(MAX_ARRAY, Math.max(2L * buf.length, need))];
            System.arraycopy(buf, 0, bigger, 0, len);
            buf = bigger;
        }
    }

    private void bytes(byte[] b) {
        ensure(b.length);
        System.arraycopy(b, 0, buf, len, b.length);
        len += b.length;
    }

    private void ascii(String s) {
        int n = s.length();
        ensure(n);
        for (int i = 0; i < n; i++) {
            buf[len++] = (byte) s.charAt(i);
        }
    }

    private void number(long v) {
        if (v == Long.MIN_VALUE) {
            ascii(Long.toString(v));
            return;
        }
        ensure(20);
        if (v < 0) {
            buf[len++] = '-';
            v = -v;
        }
        int start = len;
        do {
            buf[len++] = (byte) ('0' + (v % 10));
            v /= 10;
        } while (v != 0);
        for (int i = start, j = len - 1; i < j; i++, j--) {
            byte t = buf[i];
            buf[i] = buf[j];
            buf[j] = t;
        }
    }

    /**
     * A string's UTF-8 bytes, escaped for COPY's text format, in slices of at most {@link #SLICE} characters: each
     * slice reserves its worst case (3 bytes a character) at once, so the loop writes without bounds checks; one
     * reservation for the whole string overflowed an int beyond ~716M characters (an index error naming no record).
     */
    private void string(String s) {
        int n = s.length();
        for (int from = 0; from < n; ) {
            int to = (int) Math.min(n, (long) from + SLICE);
            if (to < n && Character.isHighSurrogate(s.charAt(to - 1))) {
                to++;   // a surrogate pair stays in one slice
            }
            slice(s, from, to);
            from = to;
        }
    }

    private void slice(String s, int from, int n) {
        ensure((n - from) * 3 + 2);
        for (int i = from; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                switch (c) {
                    case '\\' -> {
                        ensure(2 + (n - i) * 3);
                        buf[len++] = '\\';
                        buf[len++] = '\\';
                    }
                    case '\t' -> {
                        ensure(2 + (n - i) * 3);
                        buf[len++] = '\\';
                        buf[len++] = 't';
                    }
                    case '\n' -> {
                        ensure(2 + (n - i) * 3);
                        buf[len++] = '\\';
                        buf[len++] = 'n';
                    }
                    case '\r' -> {
                        ensure(2 + (n - i) * 3);
                        buf[len++] = '\\';
                        buf[len++] = 'r';
                    }
                    default -> buf[len++] = (byte) c;
                }
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                byte[] b = s.substring(i, i + 2).getBytes(StandardCharsets.UTF_8);
                ensure(b.length + (n - i) * 3);
                bytes(b);
                i++;
            } else if (c < 0x800) {
                buf[len++] = (byte) (0xC0 | (c >> 6));
                buf[len++] = (byte) (0x80 | (c & 0x3F));
            } else {
                buf[len++] = (byte) (0xE0 | (c >> 12));
                buf[len++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                buf[len++] = (byte) (0x80 | (c & 0x3F));
            }
        }
    }

    /** A PostgreSQL array literal: {@code {"a","b c",NULL}}. */
    static String arrayLiteral(List<?> list) {
        StringBuilder s = new StringBuilder("{");
        for (int i = 0; i < list.size(); i++) {
            if (i > 0) {
                s.append(',');
            }
            Object e = list.get(i);
            if (e == null) {
                s.append("NULL");
            } else {
                String text = valueText(e);
                s.append('"').append(text.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
            }
        }
        return s.append('}').toString();
    }

    /** A scalar value as PostgreSQL reads its text: bytes as hex, decimals without exponent, dates as {@link #dateTime}. */
    static String valueText(Object e) {
        return e instanceof byte[] b ? hex(b) : e instanceof BigDecimal d ? d.toPlainString()
                : e instanceof LocalDate || e instanceof LocalDateTime || e instanceof OffsetDateTime
                || e instanceof ZonedDateTime || e instanceof Instant ? dateTime(e) : e.toString();
    }

    /**
     * A date or timestamp as PostgreSQL reads it. Java's ISO text is, for years 1 to 9999; beyond them it is not:
     * {@code +10000-01-01} (PostgreSQL: 10000-01-01) and {@code -0005-01-01} or year {@code 0000} (PostgreSQL counts
     * no year 0: 0006-01-01 BC, as the binary form and the proleptic Gregorian calendar of both have it). A
     * {@link ZonedDateTime} goes as its offset (its {@code [Europe/Paris]} suffix is no PostgreSQL syntax); an
     * {@link Instant} as UTC. The MAX and MIN that stand for PostgreSQL's infinities ({@link Infinity}) are
     * {@code infinity} and {@code -infinity}. A value beyond Java's own dates stays Java's text, which the server refuses.
     */
    static String dateTime(Object v) {
        int infinity = Infinity.sign(v);
        if (infinity != 0) {
            return Infinity.text(infinity);
        }
        if (v instanceof LocalDate d) {
            return isIso(d.getYear()) ? d.toString() : pgDate(d) + bc(d.getYear());
        }
        if (v instanceof LocalDateTime t) {
            return isIso(t.getYear()) ? t.toString() : pgDate(t.toLocalDate()) + " " + t.toLocalTime() + bc(t.getYear());
        }
        OffsetDateTime o;
        if (v instanceof OffsetDateTime x) {
            o = x;
        } else if (v instanceof ZonedDateTime z) {
            o = z.toOffsetDateTime();
        } else {
            try {
                o = OffsetDateTime.ofInstant((Instant) v, ZoneOffset.UTC);
            } catch (DateTimeException e) {
                return v.toString();   // beyond year 999,999,999: far beyond PostgreSQL's range, which it reports
            }
        }
        int y = o.getYear();
        return isIso(y) ? o.toString() : pgDate(o.toLocalDate()) + " " + o.toLocalTime() + o.getOffset() + bc(y);
    }

    private static boolean isIso(int year) {
        return year >= 1 && year <= 9999;
    }

    /** The date without era: years before 1 (1 BC is Java's year 0) counted back from 1. */
    private static String pgDate(LocalDate d) {
        int y = d.getYear();
        return String.format(Locale.ROOT, "%04d-%02d-%02d", y >= 1 ? y : 1L - y, d.getMonthValue(), d.getDayOfMonth());
    }

    private static String bc(int year) {
        return year >= 1 ? "" : " BC";
    }

    private static String hex(byte[] bytes) {
        StringBuilder s = new StringBuilder("\\x");
        for (byte b : bytes) {
            s.append(HEX[(b >> 4) & 0xF]).append(HEX[b & 0xF]);
        }
        return s.toString();
    }
}
