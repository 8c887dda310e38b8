package dev.mds.core;

import java.util.Objects;

/**
 * The logical type of a column, independent of a database. Each type has one Java representation, which is
 * what {@link Record} values of that column hold:
 *
 * <table>
 * <caption>Types and their Java values</caption>
 * <tr><th>type</th><th>Java value</th><th>PostgreSQL</th></tr>
 * <tr><td>{@link #STRING}</td><td>String</td><td>text</td></tr>
 * <tr><td>{@link #INT}</td><td>Integer</td><td>integer</td></tr>
 * <tr><td>{@link #LONG}</td><td>Long</td><td>bigint</td></tr>
 * <tr><td>{@link #decimal(int, int)}, {@link #DECIMAL}</td><td>BigDecimal</td><td>numeric(p,s), numeric</td></tr>
 * <tr><td>{@link #DOUBLE}</td><td>Double</td><td>double precision</td></tr>
 * <tr><td>{@link #BOOLEAN}</td><td>Boolean</td><td>boolean</td></tr>
 * <tr><td>{@link #DATE}</td><td>LocalDate</td><td>date</td></tr>
 * <tr><td>{@link #TIME}</td><td>LocalTime</td><td>time</td></tr>
 * <tr><td>{@link #TIMESTAMP}</td><td>LocalDateTime</td><td>timestamp</td></tr>
 * <tr><td>{@link #TIMESTAMPTZ}</td><td>OffsetDateTime or Instant</td><td>timestamptz</td></tr>
 * <tr><td>{@link #JSON}</td><td>String (JSON text)</td><td>jsonb</td></tr>
 * <tr><td>{@link #BYTES}</td><td>byte[]</td><td>bytea</td></tr>
 * <tr><td>{@link #UUID}</td><td>java.util.UUID</td><td>uuid</td></tr>
 * <tr><td>{@link #arrayOf(FieldType)}</td><td>java.util.List of the element's value</td><td>element[]</td></tr>
 * </table>
 *
 * <p>PostgreSQL's {@code infinity} and {@code -infinity} of a {@link #DATE}, {@link #TIMESTAMP} or
 * {@link #TIMESTAMPTZ} are the type's {@code MAX} and {@code MIN}, as pgjdbc reads and writes them:
 * {@code LocalDate.MAX}/{@code MIN}, {@code LocalDateTime.MAX}/{@code MIN}, {@code OffsetDateTime.MAX}/{@code MIN}
 * (and {@code Instant.MAX}/{@code MIN}). Only those exact values: others beyond PostgreSQL's range stay out of it.
 */
public final class FieldType {
    /** The kinds of type; {@link #DECIMAL} and {@link #ARRAY} carry parameters. */
    public enum Kind {
        STRING, INT, LONG, DECIMAL, DOUBLE, BOOLEAN, DATE, TIME, TIMESTAMP, TIMESTAMPTZ, JSON, BYTES, UUID, ARRAY
    }

    public static final FieldType STRING = new FieldType(Kind.STRING, 0, 0, null);
    public static final FieldType INT = new FieldType(Kind.INT, 0, 0, null);
    public static final FieldType LONG = new FieldType(Kind.LONG, 0, 0, null);
    /** A decimal without declared precision (PostgreSQL {@code numeric}): any exact number. */
    public static final FieldType DECIMAL = new FieldType(Kind.DECIMAL, 0, 0, null);
    public static final FieldType DOUBLE = new FieldType(Kind.DOUBLE, 0, 0, null);
    public static final FieldType BOOLEAN = new FieldType(Kind.BOOLEAN, 0, 0, null);
    public static final FieldType DATE = new FieldType(Kind.DATE, 0, 0, null);
    public static final FieldType TIME = new FieldType(Kind.TIME, 0, 0, null);
    public static final FieldType TIMESTAMP = new FieldType(Kind.TIMESTAMP, 0, 0, null);
    public static final FieldType TIMESTAMPTZ = new FieldType(Kind.TIMESTAMPTZ, 0, 0, null);
    public static final FieldType JSON = new FieldType(Kind.JSON, 0, 0, null);
    public static final FieldType BYTES = new FieldType(Kind.BYTES, 0, 0, null);
    public static final FieldType UUID = new FieldType(Kind.UUID, 0, 0, null);

    private final Kind kind;
    private final int precision;
    private final int scale;
    private final FieldType element;

    private FieldType(Kind kind, int precision, int scale, FieldType element) {
        this.kind = kind;
        this.precision = precision;
        this.scale = scale;
        this.element = element;
    }

    /**
     * An exact decimal with {@code precision} digits, {@code scale} of them after the point.
     *
     * @throws IllegalArgumentException unless 1 ≤ precision ≤ 1000 and 0 ≤ scale ≤ precision
     */
    public static FieldType decimal(int precision, int scale) {
        if (precision < 1 || precision > 1000 || scale < 0 || scale > precision) {
            throw new IllegalArgumentException("decimal(" + precision + "," + scale
                    + "): need 1 <= precision <= 1000 and 0 <= scale <= precision");
        }
        return new FieldType(Kind.DECIMAL, precision, scale, null);
    }

    /** An array of {@code element} values (one dimension). */
    public static FieldType arrayOf(FieldType element) {
        Objects.requireNonNull(element, "element");
        if (element.kind == Kind.ARRAY) {
            throw new IllegalArgumentException("arrays of arrays are not supported; use a one-dimensional array");
        }
        return new FieldType(Kind.ARRAY, 0, 0, element);
    }

    /** The kind of value. */
    public Kind kind() {
        return kind;
    }

    /** The declared precision of a decimal; 0 when not declared or not a decimal. */
    public int precision() {
        return precision;
    }

    /** The declared scale of a decimal; 0 when not declared or not a decimal. */
    public int scale() {
        return scale;
    }

    /** The element type of an array; this type itself for other kinds. */
    public FieldType elementType() {
        return element == null ? this : element;
    }

    /** Whether this is an array type. */
    public boolean isArray() {
        return kind == Kind.ARRAY;
    }

    /** The Java class of this type's values (see the class table). */
    public Class<?> javaType() {
        return switch (kind) {
            case STRING, JSON -> String.class;
            case INT -> Integer.class;
            case LONG -> Long.class;
            case DECIMAL -> java.math.BigDecimal.class;
            case DOUBLE -> Double.class;
            case BOOLEAN -> Boolean.class;
            case DATE -> java.time.LocalDate.class;
            case TIME -> java.time.LocalTime.class;
            case TIMESTAMP -> java.time.LocalDateTime.class;
            case TIMESTAMPTZ -> java.time.OffsetDateTime.class;
            case BYTES -> byte[].class;
            case UUID -> java.util.UUID.class;
            case ARRAY -> java.util.List.class;
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FieldType t && kind == t.kind && precision == t.precision && scale == t.scale
                && Objects.equals(element, t.element);
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, precision, scale, element);
    }

    /** {@code long}, {@code decimal(12,2)}, {@code array<string>}. */
    @Override
    public String toString() {
        return switch (kind) {
            case DECIMAL -> precision == 0 ? "decimal" : "decimal(" + precision + "," + scale + ")";
            case ARRAY -> "array<" + element + ">";
            default -> kind.name().toLowerCase(java.util.Locale.ROOT);
        };
    }
}
