package dev.mds.connector.json.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mds.core.FieldType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * What a JSON value is as a column: the type inferred from the values of one key, and a value converted to a
 * column's type. Conversions never guess: a value that does not fit is a {@link Mismatch} saying why.
 */
public final class JsonTypes {
    /** ISO 8601 date-times with an offset: {@code 2021-12-17T11:49:40.461+0100}, {@code …+01:00}, {@code …Z}. */
    private static final DateTimeFormatter OFFSET_DATE_TIME = new DateTimeFormatterBuilder()
            .append(DateTimeFormatter.ISO_LOCAL_DATE).optionalStart().appendLiteral('T').optionalEnd()
            .optionalStart().appendLiteral(' ').optionalEnd()
            .append(DateTimeFormatter.ISO_LOCAL_TIME)
            .optionalStart().appendOffset("+HH:MM", "Z").optionalEnd()
            .optionalStart().appendOffset("+HHMM", "Z").optionalEnd()
            .optionalStart().appendOffset("+HH", "Z").optionalEnd()
            .toFormatter();
    private static final Pattern LOOKS_LIKE_OFFSET_DATE_TIME = Pattern.compile(
            "\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}(:?\\d{2})?)");
    private static final Pattern LOOKS_LIKE_DATE = Pattern.compile("\\d{4}-\\d{2}-\\d{2}");
    private static final BigInteger LONG_MIN = BigInteger.valueOf(Long.MIN_VALUE);
    private static final BigInteger LONG_MAX = BigInteger.valueOf(Long.MAX_VALUE);

    private JsonTypes() {
    }

    /** A value that does not fit its column's type; {@code reason} completes "… is not …". */
    public static final class Mismatch extends Exception {
        private static final long serialVersionUID = 1L;

        Mismatch(String reason) {
            super(reason, null, false, false);
        }
    }

    /** What the values of one key seen so far are; {@link #type()} is the column type they give. */
    public static final class Inferred {
        private boolean any;
        private boolean bool;
        private boolean integer;
        private boolean decimal;
        private boolean string;
        private boolean structured;
        private boolean allTimestamps = true;
        private boolean allDates = true;

        /** Adds one value (a JSON null or a missing key adds nothing). */
        public void add(JsonNode value) {
            if (value == null || value.isNull()) {
                return;
            }
            any = true;
            if (value.isBoolean()) {
                bool = true;
            } else if (value.isIntegralNumber() && fitsLong(value.bigIntegerValue())) {
                integer = true;
            } else if (value.isNumber()) {
                decimal = true;
            } else if (value.isTextual()) {
                string = true;
                String text = value.textValue();
                allTimestamps &= LOOKS_LIKE_OFFSET_DATE_TIME.matcher(text).matches() && parses(text, true);
                allDates &= LOOKS_LIKE_DATE.matcher(text).matches() && parses(text, false);
            } else {
                structured = true;
            }
        }

        /**
         * The column type: JSON (jsonb) when any value is an object or array; else, when the values are of one kind,
         * that kind (booleans BOOLEAN; integers LONG, with a decimal or an integer beyond a long DECIMAL; strings
         * TIMESTAMPTZ when every one is an ISO 8601 date-time with an offset, DATE when every one is a date, else
         * STRING); a mix of kinds (a number and a string) STRING; no value at all STRING.
         */
        public FieldType type() {
            if (structured) {
                return FieldType.JSON;
            }
            int kinds = (bool ? 1 : 0) + (integer || decimal ? 1 : 0) + (string ? 1 : 0);
            if (!any || kinds > 1) {
                return FieldType.STRING;
            }
            if (bool) {
                return FieldType.BOOLEAN;
            }
            if (decimal) {
                return FieldType.DECIMAL;
            }
            if (integer) {
                return FieldType.LONG;
            }
            return allTimestamps ? FieldType.TIMESTAMPTZ : allDates ? FieldType.DATE : FieldType.STRING;
        }
    }

    private static boolean parses(String text, boolean timestamp) {
        try {
            if (timestamp) {
                OffsetDateTime.parse(text, OFFSET_DATE_TIME);
            } else {
                LocalDate.parse(text);
            }
            return true;
        } catch (DateTimeParseException e) {
            return false;
        }
    }

    private static boolean fitsLong(BigInteger value) {
        return value.compareTo(LONG_MIN) >= 0 && value.compareTo(LONG_MAX) <= 0;
    }

    /** What a JSON value is, for messages: {@code an object}, {@code the string "abc"}, {@code the number 1.5}. */
    public static String describe(JsonNode value) {
        if (value.isObject()) {
            return "an object";
        }
        if (value.isArray()) {
            return "an array";
        }
        String text = value.toString();
        if (text.length() > 60) {
            text = text.substring(0, 57) + "...";
        }
        return (value.isTextual() ? "the string " : value.isNumber() ? "the number " : "") + text;
    }

    /**
     * {@code value} as a value of {@code type} (see the class table of {@link FieldType}); null for a JSON null or a
     * missing key.
     *
     * @throws Mismatch when it does not fit: the reason completes "{@code <value>} …"
     */
    public static Object convert(JsonNode value, FieldType type) throws Mismatch {
        if (value == null || value.isNull()) {
            return null;
        }
        if (type.isArray()) {
            if (!value.isArray()) {
                throw new Mismatch("is not an array (the column is " + type + ")");
            }
            List<Object> out = new ArrayList<>(value.size());
            for (JsonNode element : value) {
                out.add(convert(element, type.elementType()));
            }
            return out;
        }
        if (type.equals(FieldType.JSON)) {
            return value.toString();
        }
        if (type.equals(FieldType.STRING)) {
            return value.isTextual() ? value.textValue() : value.isValueNode() ? value.asText() : value.toString();
        }
        if (value.isContainerNode()) {
            throw new Mismatch("is " + describe(value) + ", not a " + type + " value (an object or array fits a json"
                    + " or text column)");
        }
        String text = value.asText();
        try {
            return switch (type.kind()) {
                case INT, LONG, DECIMAL, DOUBLE -> number(value, type);
                case BOOLEAN -> {
                    if (value.isBoolean()) {
                        yield value.booleanValue();
                    }
                    if (value.isTextual() && (text.equals("true") || text.equals("false"))) {
                        yield Boolean.valueOf(text);
                    }
                    throw new Mismatch("is not a boolean (true or false)");
                }
                case DATE -> LocalDate.parse(textOnly(value, type));
                case TIME -> LocalTime.parse(textOnly(value, type));
                case TIMESTAMP -> LocalDateTime.parse(textOnly(value, type).replace(' ', 'T'));
                case TIMESTAMPTZ -> {
                    if (!LOOKS_LIKE_OFFSET_DATE_TIME.matcher(textOnly(value, type)).matches()) {
                        throw new Mismatch("is not an ISO 8601 date-time with an offset (2021-12-17T11:49:40.461+01:00)");
                    }
                    yield OffsetDateTime.parse(text, OFFSET_DATE_TIME);
                }
                case UUID -> UUID.fromString(uuidText(textOnly(value, type)));
                case BYTES -> Base64.getDecoder().decode(textOnly(value, type));
                default -> throw new Mismatch("cannot be read as " + type);
            };
        } catch (DateTimeParseException e) {
            throw new Mismatch("is not a " + type + " value (" + e.getMessage() + ")");
        } catch (IllegalArgumentException e) {
            throw new Mismatch("is not a " + type + " value (" + e.getMessage() + ")");
        }
    }

    private static String textOnly(JsonNode value, FieldType type) throws Mismatch {
        if (!value.isTextual()) {
            throw new Mismatch("is not a string, so not a " + type + " value");
        }
        return value.textValue();
    }

    /** UUID.fromString accepts short groups ("1-2-3-4-5"); only the canonical 36-character form is a UUID here. */
    private static String uuidText(String text) {
        if (text.length() != 36) {
            throw new IllegalArgumentException("a UUID has 36 characters: 8-4-4-4-12 hex digits");
        }
        return text;
    }

    /** A number (or a string holding one) as {@code type}: exact, never rounded or cut. */
    private static Object number(JsonNode value, FieldType type) throws Mismatch {
        BigDecimal exact;
        if (value.isNumber()) {
            exact = value.decimalValue();
        } else if (value.isTextual()) {
            try {
                exact = new BigDecimal(value.textValue().strip());
            } catch (NumberFormatException e) {
                throw new Mismatch("is not a number");
            }
        } else {
            throw new Mismatch("is not a number");
        }
        switch (type.kind()) {
            case DECIMAL:
                return exact;
            case DOUBLE:
                double d = exact.doubleValue();
                if (Double.isInfinite(d)) {
                    throw new Mismatch("is beyond a double precision value's range");
                }
                // a whole number written without a fraction or exponent is meant exactly (an id, a count)
                if (value.isIntegralNumber() && new BigDecimal(d).compareTo(exact) != 0) {
                    throw new Mismatch("cannot be held exactly by a double precision value (it would become " + d
                            + "): use a decimal or bigint column");
                }
                return d;
            default:
                try {
                    long l = exact.longValueExact();
                    if (type.kind() == FieldType.Kind.INT) {
                        if (l < Integer.MIN_VALUE || l > Integer.MAX_VALUE) {
                            throw new Mismatch("is beyond an integer's range");
                        }
                        return (int) l;
                    }
                    return l;
                } catch (ArithmeticException e) {
                    throw new Mismatch(exact.stripTrailingZeros().scale() > 0 ? "has a fraction, so it is not a whole "
                            + type + " value" : "is beyond a bigint's range");
                }
        }
    }
}
