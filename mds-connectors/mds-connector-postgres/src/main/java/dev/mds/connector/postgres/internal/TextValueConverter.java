package dev.mds.connector.postgres.internal;

import io.debezium.connector.postgresql.UnchangedToastedReplicationMessageColumn;
import io.debezium.data.SpecialValueDecimal;
import io.debezium.spi.converter.CustomConverter;
import io.debezium.spi.converter.RelationalColumn;
import java.math.BigDecimal;
import java.sql.Array;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.connect.data.SchemaBuilder;

/**
 * Debezium converter (its {@code converters} setting) for {@code numeric} columns and arrays of them, and for arrays
 * of bit strings ({@code bit(n)[]}, {@code varbit[]}), which Debezium sends as NULL or leaves out. Debezium's own
 * {@code decimal.handling.mode=precise} cannot express PostgreSQL's {@code NaN}, {@code Infinity} and
 * {@code -Infinity}: it logs an error and sends NULL, so a value that is not NULL at the source would be loaded as
 * NULL. This converter sends every numeric as its exact text under the schema name {@link #NUMERIC_SCHEMA_NAME} (with the
 * declared precision and scale as parameters), {@code NaN}, {@code Infinity} and {@code -Infinity} included, so
 * that {@link RecordMapper} sees them and can refuse them with the table, column and key. A bit string array is sent
 * as the list of its elements' text. It never throws: Debezium would turn an exception into a NULL too.
 */
public final class TextValueConverter implements CustomConverter<SchemaBuilder, RelationalColumn> {
    /** The Connect schema name of a numeric sent by this converter; parameters {@link #PRECISION}, {@link #SCALE}. */
    public static final String NUMERIC_SCHEMA_NAME = "dev.mds.postgres.Numeric";
    /**
     * The Connect schema name of one element of a {@code bit(n)[]} or {@code varbit[]} sent by this converter: its
     * text, {@code 101}.
     */
    public static final String BITS_SCHEMA_NAME = "dev.mds.postgres.BitString";
    /** The declared precision, absent for an unconstrained {@code numeric}. */
    public static final String PRECISION = "precision";
    /** The declared scale, absent for an unconstrained {@code numeric}. */
    public static final String SCALE = "scale";
    /** Debezium's length of a {@code numeric} declared without precision. */
    private static final int VARIABLE_SCALE_LENGTH = 131089;

    /** Creates the converter; Debezium instantiates it by class name. */
    public TextValueConverter() {
    }

    @Override
    public void configure(Properties props) {
        // nothing to configure
    }

    @Override
    public void converterFor(RelationalColumn column, ConverterRegistration<SchemaBuilder> registration) {
        String type = column.typeName();
        if ("_bit".equals(type) || "_varbit".equals(type)) {
            SchemaBuilder schema = SchemaBuilder.array(SchemaBuilder.string().name(BITS_SCHEMA_NAME).optional().build());
            registration.register(column.isOptional() ? schema.optional() : schema, TextValueConverter::bitArray);
            return;
        }
        boolean array = "_numeric".equals(type);
        if (!array && !"numeric".equals(type) && !(column.jdbcType() == Types.NUMERIC && !type.startsWith("_"))) {
            return;
        }
        int precision = column.length().orElse(0);
        int scale = column.scale().orElse(0);
        boolean declared = precision > 0 && precision != VARIABLE_SCALE_LENGTH;
        int declaredScale = declared ? scale : Integer.MIN_VALUE;
        if (array) {
            SchemaBuilder schema = SchemaBuilder.array(numericSchema(declared, precision, scale, true).build());
            registration.register(column.isOptional() ? schema.optional() : schema, data -> array(data, declaredScale));
        } else {
            registration.register(numericSchema(declared, precision, scale, column.isOptional()),
                    data -> data == null ? null : text(data, declaredScale));
        }
    }

    private static SchemaBuilder numericSchema(boolean declared, int precision, int scale, boolean optional) {
        SchemaBuilder schema = SchemaBuilder.string().name(NUMERIC_SCHEMA_NAME);
        if (declared) {
            schema.parameter(PRECISION, Integer.toString(precision)).parameter(SCALE, Integer.toString(scale));
        }
        return optional ? schema.optional() : schema;
    }

    /**
     * The elements of a bit string array as their text ({@code 101}), from the array's literal: the driver cannot
     * decode {@code bit(n)} elements for n > 1, and Debezium does not know {@code varbit[]} at all.
     */
    private static Object bitArray(Object data) {
        if (data == null) {
            return null;
        }
        if (UnchangedToastedReplicationMessageColumn.isUnchangedToastedValue(data)) {
            return List.of(RecordMapper.PLACEHOLDER);
        }
        if (data instanceof List<?> l) {
            List<String> out = new ArrayList<>(l.size());
            for (Object e : l) {
                out.add(e == null ? null : e.toString());
            }
            return out;
        }
        return parseLiteral(data.toString());
    }

    /** The list of element texts; the placeholder list for an unchanged TOAST value. */
    private static Object array(Object data, int declaredScale) {
        if (data == null) {
            return null;
        }
        if (UnchangedToastedReplicationMessageColumn.isUnchangedToastedValue(data)) {
            return List.of(RecordMapper.PLACEHOLDER);
        }
        Object[] elements;
        if (data instanceof Array a) {
            try {
                elements = (Object[]) a.getArray();
            } catch (SQLException | RuntimeException e) {
                return parseLiteral(a.toString());   // NaN elements can fail the driver's decoding to BigDecimal
            }
        } else if (data instanceof List<?> l) {
            elements = l.toArray();
        } else if (data instanceof Object[] o) {
            elements = o;
        } else {
            return parseLiteral(data.toString());
        }
        List<String> out = new ArrayList<>(elements.length);
        for (Object e : elements) {
            out.add(e == null ? null : text(e, declaredScale));
        }
        return out;
    }

    /**
     * The elements of a one-dimensional numeric array literal ({@code {1.5,NaN,NULL}}). A literal of more dimensions
     * is sent as one element holding the whole text, which {@link RecordMapper} refuses as not a number.
     */
    static List<String> parseLiteral(String literal) {
        String s = literal.trim();
        List<String> out = new ArrayList<>();
        if (!s.startsWith("{") || !s.endsWith("}") || s.indexOf('{', 1) >= 0) {
            out.add(s);
            return out;
        }
        String body = s.substring(1, s.length() - 1).trim();
        if (body.isEmpty()) {
            return out;
        }
        for (String e : body.split(",", -1)) {
            String t = e.trim();
            if (t.startsWith("\"") && t.endsWith("\"") && t.length() >= 2) {
                t = t.substring(1, t.length() - 1);
            }
            out.add(t.equalsIgnoreCase("NULL") && !e.trim().startsWith("\"") ? null : t);
        }
        return out;
    }

    /** The exact text of one numeric value, {@code NaN}, {@code Infinity} or {@code -Infinity} as PostgreSQL prints them. */
    static String text(Object data, int declaredScale) {
        if (UnchangedToastedReplicationMessageColumn.isUnchangedToastedValue(data)) {
            return RecordMapper.PLACEHOLDER;
        }
        if (data instanceof SpecialValueDecimal special) {
            if (special.getDecimalValue().isPresent()) {
                return decimal(special.getDecimalValue().get(), declaredScale);
            }
            double d = special.toDouble();
            return Double.isNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity";
        }
        if (data instanceof BigDecimal d) {
            return decimal(d, declaredScale);
        }
        if (data instanceof Double || data instanceof Float) {
            double d = ((Number) data).doubleValue();
            if (Double.isNaN(d)) {
                return "NaN";
            }
            if (Double.isInfinite(d)) {
                return d > 0 ? "Infinity" : "-Infinity";
            }
            return decimal(new BigDecimal(data.toString()), declaredScale);
        }
        if (data instanceof Number n) {
            return decimal(new BigDecimal(n.toString()), declaredScale);
        }
        return data.toString().trim();
    }

    /** As Debezium does for a declared scale: a value read with fewer digits after the point gets the declared scale. */
    private static String decimal(BigDecimal d, int declaredScale) {
        return (declaredScale != Integer.MIN_VALUE && d.scale() < declaredScale ? d.setScale(declaredScale) : d).toString();
    }
}
