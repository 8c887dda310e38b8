package dev.mds.load.internal;

import dev.mds.core.FieldType;
import dev.mds.core.Record;
import dev.mds.core.Schema;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * A target column narrower than the batch field loaded into it, and the type that would hold every value of the
 * field. Where the batch's type says what the source holds ({@code decimal(10,4)}) the column is compared by type;
 * where it is coarser than the column ({@code FieldType} has no {@code smallint}, {@code real}, {@code timestamp(0)}
 * or {@code varchar(n)}: a {@code smallint} source column arrives as {@code int}) the batch's values are looked at,
 * so that a column as narrow as its source is not flagged.
 *
 * @param column the column name
 * @param batchType the field's type in the batch
 * @param tableType the column's type in the table, as the catalog writes it
 * @param widerType the type to alter the column to, ready for DDL
 * @param widerTypeName its catalog name, for binary COPY
 * @param check how the need is found
 * @param fits for {@link Check#ROUNDS} and {@link Check#REFUSED}: whether the column holds a value as it is
 * @param record the first record (1-based) whose value the column does not hold; 0 for {@link Check#TYPE}
 * @param value that record's value (null for {@link Check#TYPE})
 * @param domain whether the column's type is a domain (judged by its base type), which no policy alters: altering the
 *     column to {@link #widerType} would drop the domain and its constraints
 */
record Widening(String column, FieldType batchType, String tableType, String widerType, String widerTypeName,
        Check check, Predicate<Object> fits, long record, Object value, boolean domain) {

    /** How a widening is found to be needed, and what happens without a policy that widens. */
    enum Check {
        /** By type: the batch's type says values may not fit; refused before the load. */
        TYPE,
        /** By value: some value would be rounded silently; refused before the load. */
        ROUNDS,
        /** By value: some value would be refused by the COPY, naming its record; left to the COPY. */
        REFUSED,
        /**
         * By value: some value would be rounded, and no policy widens the column, since the type that holds it is of
         * another kind ({@code double precision} to {@code numeric}); refused before the load in every mode.
         */
        NEVER_WIDENED
    }

    /** Numeric precision PostgreSQL accepts in a type modifier. */
    private static final int MAX_PRECISION = 1000;

    /**
     * The widenings {@code schema}'s fields need in {@code target}'s columns, given the batch's {@code values}
     * (records in {@code schema}'s order; empty to compare types only).
     */
    static List<Widening> needed(Schema schema, java.util.Map<String, TargetColumn> target, Iterable<Record> values) {
        List<Widening> out = new ArrayList<>();
        for (dev.mds.core.Field f : schema.fields()) {
            TargetColumn tc = target.get(f.name());
            if (tc == null) {
                continue;
            }
            // a value that would be rounded first (refused before the load), then one the COPY would refuse
            List<Widening> candidates = new ArrayList<>(2);
            of(f.name(), f.type(), tc).ifPresent(candidates::add);
            overflow(f.name(), f.type(), tc).ifPresent(candidates::add);
            for (Widening w : candidates) {
                Widening found = w.check == Check.TYPE ? w : firstUnfit(w, schema.indexOf(f.name()), values);
                if (found != null) {
                    out.add(found);
                    break;
                }
            }
        }
        return out;
    }

    /** {@code w} for the first of {@code values} whose value at {@code at} the column does not hold; null for none. */
    private static Widening firstUnfit(Widening w, int at, Iterable<Record> values) {
        long n = 0;
        for (Record r : values) {
            n++;
            if (r != null && at < r.size()) {
                Object v = r.get(at);
                if (v != null && !w.fits.test(v)) {
                    return new Widening(w.column, w.batchType, w.tableType, w.widerType, w.widerTypeName, w.check, w.fits,
                            n, v, w.domain);
                }
            }
        }
        return null;
    }

    /**
     * The widening a column needs when the batch may hold a value it would refuse ({@link #of}), or else one with
     * more integer digits than a {@code numeric(P,S)} column holds ({@link #overflow}); empty when neither applies.
     */
    static Optional<Widening> any(String column, FieldType batch, TargetColumn tc) {
        Optional<Widening> w = of(column, batch, tc);
        return w.isPresent() ? w : overflow(column, batch, tc);
    }

    /**
     * The widening of a {@code numeric(P,S)} column to {@code numeric} for a number of more than P-S integer digits
     * (12345.6 for numeric(6,2)), which the COPY refuses ("numeric field overflow", naming the record): an int, long,
     * double or unconstrained decimal field (a declared {@code decimal(p,s)} is compared by type in {@link #of}).
     * Decimals the column would round are {@link #of}'s.
     */
    static Optional<Widening> overflow(String column, FieldType batch, TargetColumn tc) {
        int[] mod = modifier(tc.baseSqlType());
        FieldType.Kind k = batch.kind();
        if (!tc.baseTypeName().equals("numeric") || mod.length == 0 || !(k == FieldType.Kind.INT || k == FieldType.Kind.LONG
                || k == FieldType.Kind.DOUBLE || k == FieldType.Kind.DECIMAL && batch.precision() == 0)) {
            return Optional.empty();
        }
        int integerDigits = mod[0] - (mod.length > 1 ? mod[1] : 0);
        return wider(column, batch, tc, "numeric", "numeric", Check.REFUSED, v -> integerPartFits(v, integerDigits));
    }

    /**
     * Whether a number, as the COPY sends it, has at most {@code digits} digits before the point (an infinity does
     * not fit a bounded numeric; NaN does; text is the database's to parse).
     */
    private static boolean integerPartFits(Object v, int digits) {
        BigDecimal d;
        if (v instanceof BigDecimal b) {
            d = b;
        } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            d = BigDecimal.valueOf(((Number) v).longValue());
        } else if (v instanceof Double || v instanceof Float) {
            double x = ((Number) v).doubleValue();
            if (Double.isNaN(x)) {
                return true;
            }
            if (Double.isInfinite(x)) {
                return false;
            }
            d = new BigDecimal(v.toString());
        } else {
            return true;
        }
        return d.signum() == 0 || d.precision() - d.scale() <= digits;
    }

    /**
     * The widening a field of {@code batch} type may need in column {@code tc} (a domain's by its base type: a domain
     * over {@code numeric(12,2)} rounds as that type does); empty when it never does.
     */
    static Optional<Widening> of(String column, FieldType batch, TargetColumn tc) {
        String t = tc.baseTypeName();
        int[] mod = modifier(tc.baseSqlType());
        if (t.equals("float8") && (batch.kind() == FieldType.Kind.LONG || batch.kind() == FieldType.Kind.DECIMAL)) {
            // a long beyond 2^53 (9007199254740993) or a decimal of more than 17 digits would be stored rounded; the
            // column that holds them (numeric) is of another kind, whose ALTER would round the stored doubles to 15 digits
            return wider(column, batch, tc, "numeric", "numeric", Check.NEVER_WIDENED, Widening::doubleHoldsExactly);
        }
        if (t.equals("float4") && (batch.kind() == FieldType.Kind.DECIMAL || batch.kind() == FieldType.Kind.LONG
                || batch.kind() == FieldType.Kind.INT)) {
            // as for a double below: 613.4245936603365 or 123456789 would be stored as 613.4246 or 1.2345679e+08
            return wider(column, batch, tc, "double precision", "float8", Check.ROUNDS, Widening::realHoldsExactly);
        }
        if ((t.equals("int2") || t.equals("int4"))
                && (batch.kind() == FieldType.Kind.DECIMAL || batch.kind() == FieldType.Kind.DOUBLE)) {
            // an integer column takes a whole decimal or double as the integer (CanonicalText.integral): one beyond its
            // range is refused by the COPY, as a long is; a fraction stays a bad row, which no widening helps
            long min = t.equals("int2") ? Short.MIN_VALUE : Integer.MIN_VALUE;
            long max = t.equals("int2") ? Short.MAX_VALUE : Integer.MAX_VALUE;
            return wider(column, batch, tc, "bigint", "int8", Check.REFUSED,
                    v -> !(CanonicalText.integral(v) instanceof Long n) || (n >= min && n <= max));
        }
        switch (batch.kind()) {
            case DECIMAL -> {
                if (!t.equals("numeric") || mod.length == 0) {
                    return Optional.empty();
                }
                int p = mod[0];
                int s = mod.length > 1 ? mod[1] : 0;
                if (batch.precision() == 0) {
                    // an unconstrained decimal: by value, a finer scale rounds, a longer integer part is refused
                    return wider(column, batch, tc, "numeric", "numeric", Check.ROUNDS,
                            v -> !(v instanceof BigDecimal d) || d.scale() <= s || d.stripTrailingZeros().scale() <= s);
                }
                int bs = batch.scale();
                int bi = batch.precision() - bs;
                if (bs <= s && bi <= p - s) {
                    return Optional.empty();
                }
                int scale = Math.max(s, bs);
                int precision = Math.max(p - s, bi) + scale;
                return wider(column, batch, tc, precision > MAX_PRECISION ? "numeric" : "numeric(" + precision + "," + scale + ")",
                        "numeric", Check.TYPE, v -> true);
            }
            case INT -> {
                return t.equals("int2") ? wider(column, batch, tc, "integer", "int4", Check.REFUSED,
                        v -> !(v instanceof Number n) || (n.longValue() >= Short.MIN_VALUE && n.longValue() <= Short.MAX_VALUE))
                        : Optional.empty();
            }
            case LONG -> {
                if (t.equals("int2") || t.equals("int4")) {
                    long min = t.equals("int2") ? Short.MIN_VALUE : Integer.MIN_VALUE;
                    long max = t.equals("int2") ? Short.MAX_VALUE : Integer.MAX_VALUE;
                    return wider(column, batch, tc, "bigint", "int8", Check.REFUSED,
                            v -> !(v instanceof Number n) || (n.longValue() >= min && n.longValue() <= max));
                }
                return Optional.empty();
            }
            case DOUBLE -> {
                if (t.equals("numeric") && mod.length > 0) {
                    // the COPY sends a double as its shortest text (1.2345), which numeric(6,2) would round to 1.23
                    int s = mod.length > 1 ? mod[1] : 0;
                    return wider(column, batch, tc, "numeric", "numeric", Check.ROUNDS, v -> doubleFitsScale(v, s));
                }
                // a double that real holds exactly (every value read from a real column) loses nothing
                return t.equals("float4") ? wider(column, batch, tc, "double precision", "float8", Check.ROUNDS,
                        v -> !(v instanceof Double d) || realHolds(d))
                        : Optional.empty();
            }
            case TIMESTAMP, TIMESTAMPTZ, TIME -> {
                if (mod.length == 0 || mod[0] >= 6) {
                    return Optional.empty();
                }
                long unit = (long) Math.pow(10, 9 - mod[0]);
                Predicate<Object> fits = v -> nanos(v) % unit == 0;
                return switch (t) {
                    case "timestamp" -> wider(column, batch, tc, "timestamp without time zone", t, Check.ROUNDS, fits);
                    case "timestamptz" -> wider(column, batch, tc, "timestamp with time zone", t, Check.ROUNDS, fits);
                    case "time" -> wider(column, batch, tc, "time without time zone", t, Check.ROUNDS, fits);
                    case "timetz" -> wider(column, batch, tc, "time with time zone", t, Check.ROUNDS, fits);
                    default -> Optional.empty();
                };
            }
            case STRING -> {
                if ((t.equals("varchar") || t.equals("bpchar")) && mod.length > 0) {
                    int n = mod[0];
                    return wider(column, batch, tc, "text", "text", Check.REFUSED,
                            v -> !(v instanceof String s) || s.length() <= n || s.codePointCount(0, s.length()) <= n);
                }
                return Optional.empty();
            }
            default -> {
                return Optional.empty();
            }
        }
    }

    /**
     * Whether {@code real} holds {@code d} as sent: exactly, or as the shortest decimal of a float that reads back as
     * {@code d} ({@code 3.4e38}, {@code 0.1}), or a value out of its range, which the COPY refuses (naming the record).
     */
    /**
     * Whether a double's text, as the COPY sends it ({@link Double#toString}), has at most {@code scale} decimals. NaN
     * and the infinities have none to round (numeric stores NaN; a bounded numeric refuses an infinity, naming it).
     */
    private static boolean doubleFitsScale(Object v, int scale) {
        if (!(v instanceof Double || v instanceof Float)) {
            return true;
        }
        double d = ((Number) v).doubleValue();
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            return true;
        }
        BigDecimal text = new BigDecimal(v.toString());
        return text.scale() <= scale || text.stripTrailingZeros().scale() <= scale;
    }

    /**
     * Whether {@code real} stores an exact number (a BigDecimal, long or int) as it is: whether the shortest decimal
     * that reads back as the nearest float (what PostgreSQL prints) is the number. A number out of real's range is
     * left to the COPY, which refuses it naming the record.
     */
    private static boolean realHoldsExactly(Object v) {
        BigDecimal d;
        if (v instanceof BigDecimal b) {
            d = b;
        } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            d = BigDecimal.valueOf(((Number) v).longValue());
        } else {
            return true;   // text: the database parses it
        }
        float f = d.floatValue();
        if (d.signum() == 0 || Float.isInfinite(f) || f == 0) {
            return true;
        }
        BigDecimal exact = new BigDecimal(f);
        for (int digits = 1; digits <= 9; digits++) {   // 9 significant digits always read back as the same float
            BigDecimal shortest = exact.round(new MathContext(digits, RoundingMode.HALF_EVEN));
            if (Float.parseFloat(shortest.toString()) == f) {
                return shortest.compareTo(d) == 0;
            }
        }
        return false;
    }

    /**
     * Whether {@code double precision} stores an exact number (a long or BigDecimal) as it is: a long when the double
     * nearest to it is the long; a decimal also when the shortest decimal that reads back as that double (what
     * PostgreSQL prints: {@code 0.1}) is the decimal.
     */
    private static boolean doubleHoldsExactly(Object v) {
        BigDecimal d;
        if (v instanceof BigDecimal b) {
            d = b;
        } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            long l = ((Number) v).longValue();
            if (Math.abs(l) <= 1L << 53) {
                return true;
            }
            d = BigDecimal.valueOf(l);
        } else {
            return true;   // text: the database parses it
        }
        double x = d.doubleValue();
        if (d.signum() == 0 || Double.isInfinite(x)) {
            return true;   // out of range: the COPY refuses it, naming the record
        }
        return new BigDecimal(x).compareTo(d) == 0 || (v instanceof BigDecimal
                && new BigDecimal(CanonicalText.floatText(x, false)).compareTo(d) == 0);
    }

    /** The value as {@code double precision} would store it, for messages: a long's as the integer it becomes. */
    static String asDouble(Object v) {
        double x = v instanceof BigDecimal b ? b.doubleValue() : ((Number) v).doubleValue();
        return v instanceof BigDecimal ? CanonicalText.floatText(x, false) : new BigDecimal(x).toPlainString();
    }

    private static boolean realHolds(double d) {
        float f = (float) d;
        return Double.isNaN(d) || Double.isInfinite(d) || Float.isInfinite(f) || (f == 0 && d != 0) || f == d
                || Double.parseDouble(Float.toString(f)) == d;
    }

    private static long nanos(Object v) {
        if (Infinity.sign(v) != 0) {
            return 0;   // LocalDateTime.MAX's 999999999 nanos stand for infinity, which no precision rounds
        }
        if (v instanceof LocalDateTime x) {
            return x.getNano();
        } else if (v instanceof OffsetDateTime x) {
            return x.getNano();
        } else if (v instanceof Instant x) {
            return x.getNano();
        } else if (v instanceof ZonedDateTime x) {
            return x.getNano();
        } else if (v instanceof LocalTime x) {
            return x.getNano();
        } else if (v instanceof OffsetTime x) {
            return x.getNano();
        }
        return 0;   // text and other values: the database parses them
    }

    private static Optional<Widening> wider(String column, FieldType batch, TargetColumn tc, String type, String typeName,
            Check check, Predicate<Object> fits) {
        String table = tc.domain() ? tc.sqlType() + " (a domain over " + tc.baseSqlType() + ")" : tc.sqlType();
        return Optional.of(new Widening(column, batch, table, type, typeName, check, fits, 0, null, tc.domain()));
    }

    /** The numbers in the first parentheses of {@code sqlType} ({@code numeric(6,2)} gives 6, 2); none without. */
    static int[] modifier(String sqlType) {
        int open = sqlType.indexOf('(');
        int close = sqlType.indexOf(')', open + 1);
        if (open < 0 || close < 0) {
            return new int[0];
        }
        String[] parts = sqlType.substring(open + 1, close).split(",");
        int[] out = new int[parts.length];
        try {
            for (int i = 0; i < parts.length; i++) {
                out[i] = Integer.parseInt(parts[i].trim());
            }
        } catch (NumberFormatException e) {
            return new int[0];
        }
        return out;
    }

    /** {@code 'amount' is decimal(10,4) in the batch but numeric(6,2) in the table (record 3 …)}. */
    String describe() {
        String s = "'" + column + "' is " + batchType + " in the batch but " + tableType + " in the table";
        if (check == Check.NEVER_WIDENED) {
            return s + " (record " + record + "'s value " + Shown.value(value instanceof BigDecimal d ? d.toPlainString() : String.valueOf(value))
                    + " would be stored as " + asDouble(value) + ")";
        }
        return record == 0 ? s : s + " (record " + record + "'s value would be rounded)";
    }
}
