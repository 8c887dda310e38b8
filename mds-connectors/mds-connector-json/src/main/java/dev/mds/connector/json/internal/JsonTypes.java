package dev.mds.connector.json.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NumericNode;
import com.fasterxml.jackson.databind.node.ValueNode;
import dev.mds.core.FieldType;
import dev.mds.core.PostgresDialect;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

/**
 * What a JSON value is as a column: the type inferred from the values of one key, and a value converted to a
 * column's type. Conversions never guess: a value that does not fit is a {@link Mismatch} saying why.
 */
public final class JsonTypes {
    private static final BigInteger LONG_MIN = BigInteger.valueOf(Long.MIN_VALUE);
    private static final BigInteger LONG_MAX = BigInteger.valueOf(Long.MAX_VALUE);
    // the offsets of whole quarter hours, -18:00 to +18:00, without ZoneOffset's boxed lookup per value
    private static final ZoneOffset[] QUARTER_HOURS = new ZoneOffset[145];

    static {
        for (int i = 0; i < QUARTER_HOURS.length; i++) {
            QUARTER_HOURS[i] = ZoneOffset.ofTotalSeconds((i - 72) * 900);
        }
    }

    private JsonTypes() {
    }

    /** A value that does not fit its column's type; {@code reason} completes "… is not …". */
    public static final class Mismatch extends Exception {
        private static final long serialVersionUID = 1L;
        private final boolean fitsNoColumn;

        Mismatch(String reason) {
            this(reason, false);
        }

        Mismatch(String reason, boolean fitsNoColumn) {
            super(reason, null, false, false);
            this.fitsNoColumn = fitsNoColumn;
        }

        /** Whether no column type takes the value (text PostgreSQL cannot hold), so declaring another will not help. */
        public boolean fitsNoColumn() {
            return fitsNoColumn;
        }
    }

    /**
     * What in {@code s} PostgreSQL cannot hold in text or jsonb, completing "… holds": a NUL character, or half of a
     * UTF-16 surrogate pair without its other half (which UTF-8 cannot encode); null when it holds neither.
     */
    public static String unstorable(String s) {
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (c == 0) {
                return "a NUL character (U+0000)";
            }
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else {
                    return String.format("U+%04X, half of a UTF-16 surrogate pair without its other half", (int) c);
                }
            }
        }
        return null;
    }

    /** Refuses a value with a string or key PostgreSQL cannot hold ({@link #unstorable(String)}), whatever its column. */
    static void storable(JsonNode value) throws Mismatch {
        String what = unstorableIn(value);
        if (what != null) {
            throw new Mismatch(unstorableReason(what, value.isContainerNode()), true);
        }
    }

    /** The reason for a value holding {@code what} (a container: in one of its strings or keys). */
    static String unstorableReason(String what, boolean container) {
        return "holds " + what + (container ? " in a string or key" : "") + ", which PostgreSQL text and jsonb cannot hold";
    }

    private static String unstorableIn(JsonNode value) {
        if (value.isTextual()) {
            return unstorable(value.textValue());
        }
        if (value.isObject()) {
            for (java.util.Map.Entry<String, JsonNode> e : value.properties()) {
                String what = unstorable(e.getKey());
                if (what == null) {
                    what = unstorableIn(e.getValue());
                }
                if (what != null) {
                    return what;
                }
            }
        } else if (value.isArray()) {
            for (JsonNode element : value) {
                String what = unstorableIn(element);
                if (what != null) {
                    return what;
                }
            }
        }
        return null;
    }

    /**
     * {@code s} for a message that PostgreSQL can store: NUL characters and halves of surrogate pairs without their
     * other half written as JSON escapes ({@code \u005Cu0000}, {@code \u005CuD800}), everything else as is.
     */
    public static String visible(String s) {
        if (unstorable(s) == null) {
            return s;
        }
        StringBuilder out = new StringBuilder(s.length() + 8);
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                out.append(c).append(s.charAt(++i));
            } else if (c == 0 || Character.isSurrogate(c)) {
                out.append(String.format("\\u%04X", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /**
     * The node factory of one parser's trees: a decimal's node keeps the number's text as written ({@code 100.0},
     * {@code 1e2}), which a text column takes ({@link #convert}); its value is the number exactly as written, trailing
     * zeros too ({@code 9.50} has scale 2, as PostgreSQL's numeric and jsonb read it), for every other use.
     */
    static final class WrittenNumbers extends JsonNodeFactory {
        private static final long serialVersionUID = 1L;
        private transient JsonParser parser;

        WrittenNumbers() {
            super(true);        // exact: no stripping of trailing zeros (Jackson's default would make 9.50 9.5)
        }

        /** The parser whose trees this factory builds (its current token is the number a node is made for). */
        void readFrom(JsonParser p) {
            parser = p;
        }

        @Override
        public ValueNode numberNode(BigDecimal v) {
            ValueNode node = super.numberNode(v);
            if (node instanceof DecimalNode && parser != null && parser.currentToken() == JsonToken.VALUE_NUMBER_FLOAT) {
                try {
                    return new WrittenDecimal(v, parser.getText());
                } catch (IOException e) {
                    return node;
                }
            }
            return node;
        }

        /** {@code -0} as written keeps its sign for a text column (an int node holds no negative zero). */
        @Override
        public NumericNode numberNode(int v) {
            if (v == 0 && parser != null && parser.currentToken() == JsonToken.VALUE_NUMBER_INT) {
                try {
                    if (parser.getText().startsWith("-")) {
                        return new NegativeZero();
                    }
                } catch (IOException e) {
                    return super.numberNode(v);
                }
            }
            return super.numberNode(v);
        }
    }

    /** The whole number {@code -0}: zero, written with its sign, which a text column takes as written. */
    static final class NegativeZero extends IntNode {
        private static final long serialVersionUID = 1L;

        NegativeZero() {
            super(0);
        }
    }

    /** A decimal's node with the number's text as written. */
    static final class WrittenDecimal extends DecimalNode {
        private static final long serialVersionUID = 1L;
        private final String written;

        WrittenDecimal(BigDecimal value, String written) {
            super(value);
            this.written = written;
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
            } else if (value.isIntegralNumber() && (value.isInt() || value.isLong() || fitsLong(value.bigIntegerValue()))) {
                integer = true;
            } else if (value.isNumber()) {
                decimal = true;
            } else if (value.isTextual()) {
                string = true;
                String text = value.textValue();
                // once false, not looked at again
                allTimestamps = allTimestamps && offsetDateTime(text) != null;
                allDates = allDates && looksLikeDate(text) && parsesAsDate(text);
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

    /** Whether {@code text} has the form the inference takes for a date, yyyy-mm-dd (four digits of year, no sign). */
    static boolean looksLikeDate(String text) {
        return text.length() == 10 && digits(text, 0, 4) >= 0 && text.charAt(4) == '-' && digits(text, 5, 2) >= 0
                && text.charAt(7) == '-' && digits(text, 8, 2) >= 0;
    }

    private static boolean parsesAsDate(String text) {
        try {
            LocalDate.parse(text);
            return true;
        } catch (DateTimeParseException e) {
            return false;
        }
    }

    /**
     * An ISO 8601 date-time with an offset, {@code yyyy-MM-dd(T| )HH:mm[:ss[.f…]]} then {@code Z}, {@code ±HH},
     * {@code ±HHMM} or {@code ±HH:MM} ({@code 2021-12-17T11:49:40.461+0100}), the T and the Z also in lower case as
     * RFC 3339 allows and PostgreSQL reads; null for anything else. By hand: the formatter took most of a read's time.
     */
    static OffsetDateTime offsetDateTime(String s) {
        int n = s.length();
        if (n < 17 || s.charAt(4) != '-' || s.charAt(7) != '-' || (s.charAt(10) != 'T' && s.charAt(10) != 't'
                && s.charAt(10) != ' ') || s.charAt(13) != ':') {
            return null;
        }
        int year = digits(s, 0, 4);
        int month = digits(s, 5, 2);
        int day = digits(s, 8, 2);
        int hour = digits(s, 11, 2);
        int minute = digits(s, 14, 2);
        int i = 16;
        int second = 0;
        int nanos = 0;
        if (i < n && s.charAt(i) == ':') {
            second = digits(s, i + 1, 2);
            i += 3;
            if (i < n && s.charAt(i) == '.') {
                int start = ++i;
                // ASCII digits only, as PostgreSQL reads them (another script's digit minus '0' is no digit's value)
                while (i < n && asciiDigit(s.charAt(i)) && i - start < 9) {
                    nanos = nanos * 10 + (s.charAt(i++) - '0');
                }
                if (i == start || i < n && asciiDigit(s.charAt(i))) {
                    return null;
                }
                for (int k = i - start; k < 9; k++) {
                    nanos *= 10;
                }
            }
        }
        if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0 || i >= n) {
            return null;
        }
        ZoneOffset offset;
        char sign = s.charAt(i);
        if ((sign == 'Z' || sign == 'z') && i + 1 == n) {
            offset = ZoneOffset.UTC;
        } else if (sign == '+' || sign == '-') {
            int rest = n - i - 1;
            int oh = digits(s, i + 1, 2);
            int om = rest == 2 ? 0 : rest == 4 ? digits(s, i + 3, 2)
                    : rest == 5 && s.charAt(i + 3) == ':' ? digits(s, i + 4, 2) : -1;
            if (oh < 0 || om < 0 || oh > 18 || om > 59) {
                return null;
            }
            int seconds = (oh * 3600 + om * 60) * (sign == '-' ? -1 : 1);
            if (seconds % 900 == 0 && Math.abs(seconds) <= 18 * 3600) {
                offset = QUARTER_HOURS[seconds / 900 + 72];    // the instances ZoneOffset caches itself
            } else {
                try {
                    offset = ZoneOffset.ofTotalSeconds(seconds);
                } catch (java.time.DateTimeException e) {
                    return null;
                }
            }
        } else {
            return null;
        }
        try {
            return OffsetDateTime.of(year, month, day, hour, minute, second, nanos, offset);
        } catch (java.time.DateTimeException e) {
            return null;
        }
    }

    private static boolean asciiDigit(char c) {
        return c >= '0' && c <= '9';
    }

    /** The {@code count} decimal digits at {@code from}, or -1 when there are not that many. */
    private static int digits(String s, int from, int count) {
        if (from + count > s.length()) {
            return -1;
        }
        int v = 0;
        for (int k = from; k < from + count; k++) {
            char c = s.charAt(k);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v;
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
        return (value.isTextual() ? "the string " : value.isNumber() ? "the number " : "") + visible(text);
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
            storable(value);
            BigDecimal wide = beyondNumericIn(value);
            if (wide != null) {
                throw new Mismatch((value.isContainerNode() ? "holds the number " + wide + ", which is " : "is ")
                        + beyondNumericReason() + ", so jsonb cannot hold it");
            }
            return value.toString();
        }
        if (type.equals(FieldType.STRING)) {
            storable(value);
            return value.isTextual() ? value.textValue() : value instanceof WrittenDecimal d ? d.written
                    : value instanceof NegativeZero ? "-0"
                    : value.isValueNode() ? value.asText() : value.toString();
        }
        if (value.isContainerNode()) {
            throw new Mismatch("is " + describe(value) + ", not a " + type + " value (an object or array fits a json"
                    + " or text column)");
        }
        try {
            return switch (type.kind()) {
                case INT, LONG, DECIMAL, DOUBLE -> number(value, type);
                case BOOLEAN -> {
                    if (value.isBoolean()) {
                        yield value.booleanValue();
                    }
                    String text = value.textValue();
                    if (value.isTextual() && (text.equals("true") || text.equals("false"))) {
                        yield Boolean.valueOf(text);
                    }
                    throw new Mismatch("is not a boolean (true or false)");
                }
                case DATE -> {
                    LocalDate d = LocalDate.parse(textOnly(value, type));
                    if (d.isBefore(DATE_MIN) || d.isAfter(DATE_MAX)) {
                        throw new Mismatch("is beyond PostgreSQL's date range (4714-11-24 BC to 5874897-12-31)");
                    }
                    yield d;
                }
                case TIME -> LocalTime.parse(textOnly(value, type));
                case TIMESTAMP -> {
                    LocalDateTime t = LocalDateTime.parse(textOnly(value, type).replace(' ', 'T'));
                    if (t.isBefore(TIMESTAMP_MIN) || t.isAfter(TIMESTAMP_MAX)) {
                        throw new Mismatch("is beyond PostgreSQL's timestamp range (4714-11-24 BC to 294276-12-31)");
                    }
                    yield t;
                }
                case TIMESTAMPTZ -> {
                    OffsetDateTime t = offsetDateTime(textOnly(value, type));
                    if (t == null) {
                        throw new Mismatch("is not an ISO 8601 date-time with an offset (2021-12-17T11:49:40.461+01:00)");
                    }
                    yield t;
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

    // PostgreSQL's ranges, as the CSV source's (a declared column takes longer and signed years; the inference's forms
    // yyyy-mm-dd and the date-times with an offset, four digits of year, are within them)
    private static final LocalDate DATE_MIN = LocalDate.of(-4713, 11, 24);
    private static final LocalDate DATE_MAX = LocalDate.of(5_874_897, 12, 31);
    private static final LocalDateTime TIMESTAMP_MIN = DATE_MIN.atStartOfDay();
    private static final LocalDateTime TIMESTAMP_MAX = LocalDateTime.of(294_276, 12, 31, 23, 59, 59, 999_999_999);

    /** What {@link #fromToken} returns for a value it leaves to {@link #convert}. */
    static final Object AS_TREE = new Object();
    /** The {@link #tokenKind} of JSON columns, whose objects and arrays the reader writes out as text itself. */
    static final int JSON_KIND = 8;
    /** The {@link #tokenKind} of STRING columns, which take an object or array as its JSON text too. */
    static final int STRING_KIND = 1;

    /**
     * How {@link #fromToken} converts to {@code type}: one of the common column types, or 0 for the others (every
     * value then goes through {@link #convert}). The same tests as {@link #convert}'s, in the same order.
     */
    static int tokenKind(FieldType type) {
        if (type.isArray()) {
            return 0;
        }
        if (type.equals(FieldType.JSON)) {
            return JSON_KIND;
        }
        if (type.equals(FieldType.STRING)) {
            return 1;
        }
        return switch (type.kind()) {
            case INT -> 2;
            case LONG -> 3;
            case DECIMAL -> type.precision() == 0 ? 4 : 0;     // numeric(p,s): checked by convert
            case BOOLEAN -> 5;
            case TIMESTAMPTZ -> 6;
            case DATE -> 7;
            default -> 0;
        };
    }

    /**
     * The scalar {@code token} the parser is on, converted to the column of {@link #tokenKind} {@code kind} straight
     * from the parser, when it is a common case that fits: exactly the value {@link #convert} gives for the node the
     * tree reader would build (a decimal as written, trailing zeros too, as the tree holds it). {@link #AS_TREE} for
     * anything else (a value that does not fit, an uncommon type or value, null), which is then read as a node and
     * converted by {@link #convert}, so that what does not fit is refused with the same reason.
     */
    static Object fromToken(JsonParser p, JsonToken token, int kind) throws IOException {
        switch (kind) {
            case 1:
                if (token == JsonToken.VALUE_STRING) {
                    String text = p.getText();
                    return unstorable(text) == null ? text : AS_TREE;     // refused by convert
                }
                return AS_TREE;
            case 2:
                return token == JsonToken.VALUE_NUMBER_INT && p.getNumberType() == JsonParser.NumberType.INT
                        ? (Object) p.getIntValue() : AS_TREE;
            case 3:
                if (token == JsonToken.VALUE_NUMBER_INT) {
                    JsonParser.NumberType n = p.getNumberType();
                    if (n == JsonParser.NumberType.INT || n == JsonParser.NumberType.LONG) {
                        return p.getLongValue();
                    }
                }
                return AS_TREE;
            case 4:
                if (token == JsonToken.VALUE_NUMBER_INT) {
                    JsonParser.NumberType n = p.getNumberType();
                    if (n == JsonParser.NumberType.INT || n == JsonParser.NumberType.LONG) {
                        return BigDecimal.valueOf(p.getLongValue());
                    }
                } else if (token == JsonToken.VALUE_NUMBER_FLOAT && !p.isNaN()) {
                    BigDecimal d = p.getDecimalValue();     // as written, as the tree holds it
                    return beyondNumeric(d) ? AS_TREE : d;     // refused by convert
                }
                return AS_TREE;
            case 5:
                return token == JsonToken.VALUE_TRUE ? Boolean.TRUE : token == JsonToken.VALUE_FALSE ? Boolean.FALSE
                        : AS_TREE;
            case 6:
                if (token == JsonToken.VALUE_STRING) {
                    OffsetDateTime t = offsetDateTime(p.getText());
                    return t != null ? t : AS_TREE;
                }
                return AS_TREE;
            case 7:
                if (token == JsonToken.VALUE_STRING) {
                    String text = p.getText();
                    if (!looksLikeDate(text)) {
                        return AS_TREE;     // another ISO form (a longer year) fits a declared column only
                    }
                    try {
                        return LocalDate.parse(text);
                    } catch (DateTimeParseException e) {
                        return AS_TREE;
                    }
                }
                return AS_TREE;
            default:
                return AS_TREE;
        }
    }

    private static String textOnly(JsonNode value, FieldType type) throws Mismatch {
        if (!value.isTextual()) {
            throw new Mismatch("is not a string, so not a " + type + " value");
        }
        return value.textValue();
    }

    /**
     * UUID.fromString accepts short groups ("1-2-3-4-5"), and with 36 characters also long ones and signs, cutting
     * them ("123456789-123-…" is 23456789-0123-…); only the canonical form, 8-4-4-4-12 hex digits, is a UUID here.
     */
    private static String uuidText(String text) {
        if (text.length() != 36) {
            throw new IllegalArgumentException("a UUID has 36 characters: 8-4-4-4-12 hex digits");
        }
        for (int i = 0; i < 36; i++) {
            char c = text.charAt(i);
            boolean dash = i == 8 || i == 13 || i == 18 || i == 23;
            if (dash ? c != '-' : Character.digit(c, 16) < 0 || c > 'f') {
                throw new IllegalArgumentException("a UUID is 8-4-4-4-12 hex digits, and character " + (i + 1) + " is '"
                        + visible(String.valueOf(c)) + "'");
            }
        }
        return text;
    }


    /**
     * Whether PostgreSQL's numeric input refuses {@code d} as written ('value overflows numeric format'): more than
     * 16383 digits after the point, or more than 131072 before it.
     */
    static String beyondNumericReason() {
        return "beyond PostgreSQL numeric's range (at most " + PostgresDialect.NUMERIC_MAX_DIGITS + " digits before the point and "
                + PostgresDialect.NUMERIC_MAX_SCALE + " after it)";
    }

    /** The first number in {@code value}, at any depth, that is {@link #beyondNumeric}; null when there is none. */
    static BigDecimal beyondNumericIn(JsonNode value) {
        if (value.isNumber()) {
            if (value.isInt() || value.isLong()) {
                return null;
            }
            BigDecimal d = value.decimalValue();
            return beyondNumeric(d) ? d : null;
        }
        if (value.isContainerNode()) {
            for (JsonNode element : value) {
                BigDecimal d = beyondNumericIn(element);
                if (d != null) {
                    return d;
                }
            }
        }
        return null;
    }

    static boolean beyondNumeric(BigDecimal d) {
        return PostgresDialect.INSTANCE.beyondNumeric(d);
    }

    /**
     * {@code exact} when PostgreSQL's numeric holds it (see {@link #beyondNumeric}) and a declared {@code numeric(p,s)}
     * holds it as it is: PostgreSQL would round a number with more
     * than {@code s} digits after the point to {@code s} (1e-3 to 0.00) and refuse one with more than {@code p - s}
     * before it, failing the whole load.
     */
    private static BigDecimal fitting(BigDecimal exact, FieldType type) throws Mismatch {
        if (beyondNumeric(exact)) {
            throw new Mismatch("is " + beyondNumericReason());
        }
        if (type.precision() == 0 || exact.signum() == 0) {
            return exact;
        }
        String numeric = "numeric(" + type.precision() + "," + type.scale() + ")";
        BigDecimal stripped;
        try {
            stripped = exact.stripTrailingZeros();
        } catch (ArithmeticException e) {
            throw new Mismatch("is beyond " + numeric + "'s range");
        }
        long after = Math.max(0, (long) stripped.scale());
        long before = Math.max(0, (long) stripped.precision() - stripped.scale());
        if (after > type.scale()) {
            throw new Mismatch("has " + after + " digits after the point, more than the " + type.scale() + " of "
                    + numeric + ", which would round it: nothing is rounded (declare a wider scale, or "
                    + "FieldType.DECIMAL)");
        }
        if (before > type.precision() - type.scale()) {
            throw new Mismatch("is beyond " + numeric + "'s range (at most " + (type.precision() - type.scale())
                    + " digits before the point)");
        }
        return exact;
    }

    /** Whether {@code text} is a whole number written without a fraction or exponent ({@code -12}, {@code +7}). */
    private static boolean wholeNumber(String text) {
        int from = text.startsWith("-") || text.startsWith("+") ? 1 : 0;
        if (from == text.length()) {
            return false;
        }
        for (int i = from; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    /**
     * A number's text in a string as PostgreSQL's numeric and integer inputs read it: without the ASCII white space
     * around it (space, tab, LF, CR, VT, FF); null when it holds any other character than ASCII (another script's
     * digits, which BigDecimal would take, or other white space), which PostgreSQL refuses.
     */
    private static String numberText(String s) {
        int from = 0;
        int to = s.length();
        while (from < to && asciiSpace(s.charAt(from))) {
            from++;
        }
        while (to > from && asciiSpace(s.charAt(to - 1))) {
            to--;
        }
        for (int i = from; i < to; i++) {
            if (s.charAt(i) >= 128) {
                return null;
            }
        }
        return s.substring(from, to);
    }

    private static boolean asciiSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\u000B' || c == '\f';
    }

    /** A number (or a string holding one) as {@code type}: exact, never rounded or cut. */
    private static Object number(JsonNode value, FieldType type) throws Mismatch {
        if (value.isInt() || value.isLong()) {      // the common case, without a BigDecimal
            long l = value.longValue();
            switch (type.kind()) {
                case LONG:
                    return l;
                case INT:
                    if (l >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE) {
                        return (int) l;
                    }
                    throw new Mismatch("is beyond an integer's range");
                case DECIMAL:
                    return fitting(BigDecimal.valueOf(l), type);
                default:
                    break;   // a double: checked below for exactness
            }
        }
        BigDecimal exact;
        if (value.isNumber()) {
            exact = value.decimalValue();
        } else if (value.isTextual()) {
            String text = numberText(value.textValue());
            if (text == null) {
                throw new Mismatch("is not a number (PostgreSQL reads ASCII digits only, with ASCII white space around"
                        + " them)");
            }
            try {
                exact = new BigDecimal(text);
            } catch (NumberFormatException e) {
                throw new Mismatch("is not a number");
            }
        } else {
            throw new Mismatch("is not a number");
        }
        switch (type.kind()) {
            case DECIMAL:
                return fitting(exact, type);
            case DOUBLE:
                double d = exact.doubleValue();
                if (Double.isInfinite(d)) {
                    throw new Mismatch("is beyond a double precision value's range");
                }
                if (d == 0 && exact.signum() != 0) {
                    throw new Mismatch("is too close to zero for a double precision value (it would become 0): use a"
                            + " decimal column");
                }
                // a whole number written without a fraction or exponent is meant exactly (an id, a count), as a
                // number or in a string
                if ((value.isIntegralNumber() || value.isTextual() && wholeNumber(numberText(value.textValue())))
                        && new BigDecimal(d).compareTo(exact) != 0) {
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
