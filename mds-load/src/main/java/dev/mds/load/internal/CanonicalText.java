package dev.mds.load.internal;

import dev.mds.core.Unchanged;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * A typed value as the text a text column stores for it: what PostgreSQL's cast of the value to {@code text} gives
 * (DateStyle ISO), made independent of the session: {@code 42}, {@code 1.50} (a decimal keeps its scale), {@code 1e+20}
 * and {@code 0.1} (a double's shortest text, as {@code float8::text}), {@code true}, {@code 2024-03-01},
 * {@code 2024-03-01 10:00:00.5}, a timestamp with a zone in UTC ({@code 2024-03-01 09:00:00+00}, whatever the
 * session's TimeZone), {@code \x0a0b}, arrays as {@code {1,2,"a b"}}. A string stays as it is.
 */
final class CanonicalText {
    /** Catalog names of the columns that take any value as its text. */
    static final Set<String> TEXT_COLUMNS = Set.of("text", "varchar", "bpchar", "name", "citext");
    /** Catalog names of the integer columns, which take a decimal or double without fraction as the integer. */
    static final Set<String> INTEGER_COLUMNS = Set.of("int2", "int4", "int8");

    private CanonicalText() {
    }

    /**
     * Per column of {@code plan} (in its order), the conversion its values need before they are written, or null for
     * none; null when no column needs one. A text column takes a value of any other type as its canonical text; an
     * integer column a decimal or double without fraction as the integer ({@code 501.0} as {@code 501}; {@code 501.5}
     * is left as it is, for the COPY to refuse naming its record and column).
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static UnaryOperator<Object>[] conversions(Plan plan) {
        UnaryOperator<Object>[] out = null;
        for (int i = 0; i < plan.columns.size(); i++) {
            String column = plan.columns.get(i);
            String type = plan.baseTypeNames.get(column);   // a domain takes what its base type takes
            dev.mds.core.FieldType.Kind kind = plan.schema.field(i).type().kind();
            UnaryOperator<Object> f = null;
            if (TEXT_COLUMNS.contains(type) && kind != dev.mds.core.FieldType.Kind.STRING
                    && kind != dev.mds.core.FieldType.Kind.JSON) {
                f = v -> v == null || v instanceof Unchanged || v instanceof String ? v : of(v);
            } else if (INTEGER_COLUMNS.contains(type) && (kind == dev.mds.core.FieldType.Kind.DECIMAL
                    || kind == dev.mds.core.FieldType.Kind.DOUBLE)) {
                f = CanonicalText::integral;
            }
            if (f != null) {
                if (out == null) {
                    out = new UnaryOperator[plan.columns.size()];
                }
                out[i] = f;
            }
        }
        return out;
    }

    /** A decimal or double without fraction, within a long, as that long; any other value as it is. */
    static Object integral(Object v) {
        if (v instanceof BigDecimal d) {
            if (d.signum() == 0) {
                return 0L;
            }
            if (d.scale() <= 0 || d.stripTrailingZeros().scale() <= 0) {
                try {
                    return d.longValueExact();
                } catch (ArithmeticException beyondLong) {
                    return v;   // the COPY refuses it as out of range, naming the record
                }
            }
            return v;
        }
        if (v instanceof Double || v instanceof Float) {
            double x = ((Number) v).doubleValue();
            if (x == Math.rint(x) && !Double.isInfinite(x) && x >= -0x1p63 && x < 0x1p63) {
                return (long) x;
            }
        }
        return v;
    }

    /** The canonical text of a non-null value (see the class documentation). */
    static String of(Object v) {
        if (v instanceof String s) {
            return s;
        }
        if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return Long.toString(((Number) v).longValue());
        }
        if (v instanceof BigDecimal d) {
            return d.toPlainString();
        }
        if (v instanceof Double d) {
            return floatText(d, false);
        }
        if (v instanceof Float f) {
            return floatText(f.doubleValue(), true);
        }
        if (v instanceof Boolean b) {
            return b ? "true" : "false";
        }
        if (v instanceof LocalDate) {
            return CopyText.dateTime(v);
        }
        if (v instanceof LocalDateTime t) {
            if (Infinity.sign(t) != 0) {
                return Infinity.text(Infinity.sign(t));
            }
            LocalDateTime r = micros(t);
            String date = CopyText.dateTime(r.toLocalDate());
            boolean bc = date.endsWith(" BC");
            return (bc ? date.substring(0, date.length() - 3) : date) + " " + time(r.toLocalTime()) + (bc ? " BC" : "");
        }
        if (v instanceof OffsetDateTime || v instanceof Instant || v instanceof ZonedDateTime) {
            int infinity = Infinity.sign(v);
            if (infinity != 0) {
                return Infinity.text(infinity);
            }
            Instant i = v instanceof Instant x ? x : v instanceof OffsetDateTime o ? o.toInstant()
                    : ((ZonedDateTime) v).toInstant();
            LocalDateTime utc = LocalDateTime.ofInstant(i, ZoneOffset.UTC);
            String local = of(utc);
            return local.endsWith(" BC") ? local.substring(0, local.length() - 3) + "+00 BC" : local + "+00";
        }
        if (v instanceof LocalTime t) {
            return time(t.getNano() % 1000 == 0 ? t : t.plusNanos(500).truncatedTo(ChronoUnit.MICROS));
        }
        if (v instanceof OffsetTime t) {
            return time(t.toLocalTime()) + offset(t.getOffset());
        }
        if (v instanceof byte[] b) {
            return CopyText.valueText(b);
        }
        if (v instanceof List<?> list) {
            return array(list);
        }
        return v.toString();   // a UUID (lower case, as PostgreSQL prints it)
    }

    private static LocalDateTime micros(LocalDateTime t) {
        return t.getNano() % 1000 == 0 ? t : t.plusNanos(500).truncatedTo(ChronoUnit.MICROS);
    }

    /** {@code HH:MM:SS} and the fraction without trailing zeros, as PostgreSQL prints a time. */
    private static String time(LocalTime t) {
        String s = String.format(Locale.ROOT, "%02d:%02d:%02d", t.getHour(), t.getMinute(), t.getSecond());
        int micros = t.getNano() / 1000;
        if (micros == 0) {
            return s;
        }
        String fraction = String.format(Locale.ROOT, "%06d", micros);
        int end = fraction.length();
        while (fraction.charAt(end - 1) == '0') {
            end--;
        }
        return s + "." + fraction.substring(0, end);
    }

    /** {@code +02}, {@code +05:30}, {@code -09:30:15}: an offset as PostgreSQL prints it. */
    private static String offset(ZoneOffset o) {
        int total = o.getTotalSeconds();
        int abs = Math.abs(total);
        String s = (total < 0 ? "-" : "+") + String.format(Locale.ROOT, "%02d", abs / 3600);
        if (abs % 3600 != 0) {
            s += String.format(Locale.ROOT, ":%02d", abs % 3600 / 60);
            if (abs % 60 != 0) {
                s += String.format(Locale.ROOT, ":%02d", abs % 60);
            }
        }
        return s;
    }

    /**
     * A double's (or float's) text as {@code float8out} ({@code float4out}) prints it since PostgreSQL 12: the
     * shortest digits that read back as the value, in positional notation when the decimal exponent is from -4 to
     * below 15 (6 for a float), else as {@code 1.5e+20}, {@code 1e-05}.
     */
    static String floatText(double d, boolean isFloat) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        if (d == 0) {
            return 1 / d < 0 ? "-0" : "0";
        }
        BigDecimal exact = new BigDecimal(d);
        // the candidates strictly between the midpoints to the neighbouring values (Ryu as PostgreSQL builds it takes
        // no midpoint, even one that reads back as the value: 2e23's double prints as 1.9999999999999998e+23)
        BigDecimal two = BigDecimal.valueOf(2);
        BigDecimal below = exact.add(new BigDecimal(isFloat ? Math.nextDown((float) d) : Math.nextDown(d))).divide(two);
        BigDecimal above = exact.add(new BigDecimal(isFloat ? Math.nextUp((float) d) : Math.nextUp(d))).divide(two);
        BigDecimal shortest = exact;
        for (int digits = 1; digits <= 17; digits++) {
            for (RoundingMode mode : new RoundingMode[] {RoundingMode.HALF_EVEN, RoundingMode.DOWN, RoundingMode.UP}) {
                BigDecimal candidate = exact.round(new MathContext(digits, mode));
                if (candidate.compareTo(below) > 0 && candidate.compareTo(above) < 0) {
                    shortest = candidate;
                    digits = 18;
                    break;
                }
            }
        }
        shortest = shortest.stripTrailingZeros();
        int exponent = shortest.precision() - shortest.scale() - 1;   // of the first digit
        if (exponent >= -4 && exponent < (isFloat ? 6 : 15)) {
            return shortest.toPlainString();
        }
        String digits = shortest.unscaledValue().abs().toString();
        StringBuilder s = new StringBuilder(shortest.signum() < 0 ? "-" : "").append(digits.charAt(0));
        if (digits.length() > 1) {
            s.append('.').append(digits, 1, digits.length());
        }
        s.append('e').append(exponent < 0 ? '-' : '+');
        int e = Math.abs(exponent);
        if (e < 10) {
            s.append('0');
        }
        return s.append(e).toString();
    }

    /** An array as {@code array_out} prints it: elements quoted only when they must be. */
    private static String array(List<?> list) {
        StringBuilder s = new StringBuilder("{");
        for (int i = 0; i < list.size(); i++) {
            if (i > 0) {
                s.append(',');
            }
            Object e = list.get(i);
            if (e == null) {
                s.append("NULL");
                continue;
            }
            String text = e instanceof List<?> inner ? array(inner) : of(e);
            if (e instanceof List<?> || !needsQuotes(text)) {
                s.append(text);
            } else {
                s.append('"').append(text.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
            }
        }
        return s.append('}').toString();
    }

    private static boolean needsQuotes(String text) {
        if (text.isEmpty() || text.equalsIgnoreCase("NULL")) {
            return true;
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '{' || c == '}' || c == ',' || c == '"' || c == '\\' || c == ' ' || c == '\t' || c == '\n'
                    || c == '\r' || c == '\f' || c == 0x0B) {
                return true;
            }
        }
        return false;
    }
}
