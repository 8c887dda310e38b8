package dev.mds.load.internal;

import dev.mds.core.FieldType;
import dev.mds.core.FieldType.Kind;
import java.util.Optional;

/**
 * A target column narrower than the batch field loaded into it, and the type that would hold every value of the
 * field: storing into the narrower column would round ({@code numeric(6,2)}, {@code timestamp(0)}, {@code real})
 * or refuse values ({@code integer} for a {@code long} field) that the source now sends.
 *
 * @param column the column name
 * @param batchType the field's type in the batch
 * @param tableType the column's type in the table, as the catalog writes it
 * @param widerType the type to alter the column to, ready for DDL
 * @param widerTypeName its catalog name, for binary COPY
 * @param lossless whether the table refuses (rather than rounds) what does not fit, naming the record: a
 *     {@code varchar(n)} or {@code char(n)} column for a string field, which is widened only when the policy allows
 *     widening and otherwise left as it is
 */
record Widening(String column, FieldType batchType, String tableType, String widerType, String widerTypeName,
        boolean lossless) {

    /** Numeric precision PostgreSQL accepts in a type modifier. */
    private static final int MAX_PRECISION = 1000;

    /** The widening a field of {@code batch} type needs in column {@code tc}; empty when the column holds it as it is. */
    static Optional<Widening> of(String column, FieldType batch, TargetColumn tc) {
        String t = tc.typeName();
        int[] mod = modifier(tc.sqlType());
        Kind k = batch.kind();
        switch (k) {
            case DECIMAL -> {
                if (!t.equals("numeric") || mod.length == 0) {
                    return Optional.empty();
                }
                int p = mod[0];
                int s = mod.length > 1 ? mod[1] : 0;
                if (batch.precision() == 0) {
                    return wider(column, batch, tc, "numeric", "numeric", false);
                }
                int bs = batch.scale();
                int bi = batch.precision() - bs;
                if (bs <= s && bi <= p - s) {
                    return Optional.empty();
                }
                int scale = Math.max(s, bs);
                int precision = Math.max(p - s, bi) + scale;
                return precision > MAX_PRECISION ? wider(column, batch, tc, "numeric", "numeric", false)
                        : wider(column, batch, tc, "numeric(" + precision + "," + scale + ")", "numeric", false);
            }
            case INT -> {
                return t.equals("int2") ? wider(column, batch, tc, "integer", "int4", false) : Optional.empty();
            }
            case LONG -> {
                return t.equals("int2") || t.equals("int4") ? wider(column, batch, tc, "bigint", "int8", false)
                        : Optional.empty();
            }
            case DOUBLE -> {
                return t.equals("float4") ? wider(column, batch, tc, "double precision", "float8", false) : Optional.empty();
            }
            case TIMESTAMP, TIMESTAMPTZ, TIME -> {
                // the batch's values carry microseconds (PostgreSQL's default and largest precision, 6)
                if (mod.length == 0 || mod[0] >= 6) {
                    return Optional.empty();
                }
                return switch (t) {
                    case "timestamp" -> wider(column, batch, tc, "timestamp without time zone", t, false);
                    case "timestamptz" -> wider(column, batch, tc, "timestamp with time zone", t, false);
                    case "time" -> wider(column, batch, tc, "time without time zone", t, false);
                    case "timetz" -> wider(column, batch, tc, "time with time zone", t, false);
                    default -> Optional.empty();
                };
            }
            case STRING -> {
                // a value longer than n is refused by COPY with its record named, so nothing is lost unnoticed
                return (t.equals("varchar") || t.equals("bpchar")) && mod.length > 0
                        ? wider(column, batch, tc, "text", "text", true) : Optional.empty();
            }
            default -> {
                return Optional.empty();
            }
        }
    }

    private static Optional<Widening> wider(String column, FieldType batch, TargetColumn tc, String type, String typeName,
            boolean lossless) {
        return Optional.of(new Widening(column, batch, tc.sqlType(), type, typeName, lossless));
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

    /** {@code 'amount' is decimal(10,4) in the batch but numeric(6,2) in the table}. */
    String describe() {
        return "'" + column + "' is " + batchType + " in the batch but " + tableType + " in the table";
    }
}
