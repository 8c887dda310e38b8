package dev.mds.quality.internal;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * Float values as PostgreSQL 12 and later prints them ({@code extra_float_digits} above 0, psql's and pgjdbc's
 * default), as its Ryu computes them: the shortest decimal strictly between the midpoints to the neighbouring values
 * (never on one, though it would read back), nearest the exact value among those, in fixed notation for decimal
 * exponents from -4 to 14 (real: to 5) and else as {@code 1.5e+20} / {@code 1e-05}; {@code NaN}, {@code Infinity},
 * {@code -Infinity} and {@code -0} as PostgreSQL spells them. Java prints {@code 1.0E10}, {@code 100.0} and, before
 * Java 19, not always the shortest ({@code 4.9E-324} where PostgreSQL prints 5e-324).
 */
public final class PgFloats {

    private PgFloats() {
    }

    /** A float8 (double precision) value as PostgreSQL prints it. */
    public static String text(double v) {
        return text(v, false);
    }

    /** A float4 (real) value as PostgreSQL prints it. */
    public static String text(float v) {
        return text(v, true);
    }

    private static String text(double v, boolean real) {
        if (Double.isNaN(v)) {
            return "NaN";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "Infinity" : "-Infinity";
        }
        if (v == 0) {
            return 1 / v < 0 ? "-0" : "0";
        }
        BigDecimal d = shortest(v, real);
        int exp = d.precision() - d.scale() - 1;   // the decimal exponent of the first digit
        if (exp >= -4 && exp < (real ? 6 : 15)) {
            return d.toPlainString();
        }
        String digits = d.unscaledValue().abs().toString();
        StringBuilder s = new StringBuilder(24);
        if (d.signum() < 0) {
            s.append('-');
        }
        s.append(digits.charAt(0));
        if (digits.length() > 1) {
            s.append('.').append(digits, 1, digits.length());
        }
        s.append('e').append(exp < 0 ? '-' : '+');
        int e = Math.abs(exp);
        return s.append(e < 10 ? "0" : "").append(e).toString();
    }

    /**
     * The shortest decimal strictly between the midpoints from {@code v} to its neighbours (so it reads back as
     * {@code v}); of two such of one length, the one nearer {@code v}'s exact value (on a tie, the one rounding half to
     * even gives). Strictly, as PostgreSQL's Ryu takes no decimal on a midpoint, even one that reads back as {@code v}
     * (1e23 prints 9.999999999999999e+22, and 57163160287781264 5.7163160287781264e+16). Trailing zeros stripped.
     */
    private static BigDecimal shortest(double v, boolean real) {
        double a = Math.abs(v);
        BigDecimal exact = new BigDecimal(a);
        BigDecimal below = new BigDecimal(real ? Math.nextDown((float) a) : Math.nextDown(a));
        BigDecimal above = Double.isInfinite(real ? Math.nextUp((float) a) : Math.nextUp(a))
                ? exact.add(new BigDecimal(real ? Math.ulp((float) a) : Math.ulp(a)))
                : new BigDecimal(real ? Math.nextUp((float) a) : Math.nextUp(a));
        BigDecimal two = BigDecimal.valueOf(2);
        BigDecimal low = exact.add(below).divide(two);
        BigDecimal high = exact.add(above).divide(two);
        for (int p = 1; p <= 17; p++) {
            BigDecimal down = exact.round(new MathContext(p, RoundingMode.DOWN));
            BigDecimal up = exact.round(new MathContext(p, RoundingMode.UP));
            boolean downOk = down.compareTo(low) > 0;
            boolean upOk = up.compareTo(high) < 0;
            if (downOk && upOk && down.compareTo(up) != 0) {
                int c = exact.subtract(down).compareTo(up.subtract(exact));
                return signed(c < 0 ? down : c > 0 ? up : exact.round(new MathContext(p, RoundingMode.HALF_EVEN)), v);
            }
            if (downOk || upOk) {
                return signed(downOk ? down : up, v);
            }
        }
        return signed(exact.round(new MathContext(17, RoundingMode.HALF_EVEN)), v); // not reached: 17 digits suffice
    }

    private static BigDecimal signed(BigDecimal magnitude, double v) {
        return (v < 0 ? magnitude.negate() : magnitude).stripTrailingZeros();
    }
}
