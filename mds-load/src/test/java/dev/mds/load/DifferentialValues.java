package dev.mds.load;

import dev.mds.core.FieldType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.Array;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * Values for the differential tests ({@link DifferentialLoadTest}): random Java values of each field type, the text
 * a stored value reads back as ("canonical"), and the text under which PostgreSQL finds two values equal (what the
 * loaders' "really differs" test compares). Independent of the loader's code.
 */
final class DifferentialValues {
    private DifferentialValues() {
    }

    /** The kinds of column the tests use. */
    enum Kind {
        TEXT(FieldType.STRING), INT(FieldType.INT), LONG(FieldType.LONG), NUM(FieldType.DECIMAL),
        DBL(FieldType.DOUBLE), BOOL(FieldType.BOOLEAN), TSTZ(FieldType.TIMESTAMPTZ), TS(FieldType.TIMESTAMP),
        DATE(FieldType.DATE), JSON(FieldType.JSON), UUID(FieldType.UUID), TEXTARR(FieldType.arrayOf(FieldType.STRING)),
        BYTES(FieldType.BYTES);

        final FieldType type;

        Kind(FieldType type) {
            this.type = type;
        }
    }

    /** A Java value for a record and the canonical text it must read back as; canonical null for SQL NULL. */
    record V(Object java, String canon) {
        static final V NULL = new V(null, null);
    }

    static final String[] TEXTS = {"", "a", "A", "O'Brien", "back\\slash", "tab\there", "new\nline", "cr\r\nlf",
            "quote\"d", "Zürich", "日本語", "emoji 😀", "\\N", "NULL", "null", "comma,semi;", "  spaces  ", "{brace}",
            "\"{a,b}\"", "ß", "e\u0301"};

    /** JSON documents: input text, jsonb's output text, and a text equal for jsonb-equal documents. */
    static final String[][] JSONS = {
            {"{\"b\":1,\"a\":[1,2]}", "{\"a\": [1, 2], \"b\": 1}", "{\"a\": [1, 2], \"b\": 1}"},
            {"{\"a\":\"x\",\"a\":\"y\"}", "{\"a\": \"y\"}", "{\"a\": \"y\"}"},
            {"[]", "[]", "[]"},
            {"\"str \\\"q\\\" \\\\ é\"", "\"str \\\"q\\\" \\\\ é\"", "\"str \\\"q\\\" \\\\ é\""},
            {"null", "null", "null"},
            {"{\"k\": \"O'Brien\", \"n\": 1.5}", "{\"k\": \"O'Brien\", \"n\": 1.5}", "{\"k\": \"O'Brien\", \"n\": 1.5}"},
            {"{\"n\":1.50,\"k\":\"O'Brien\"}", "{\"k\": \"O'Brien\", \"n\": 1.50}", "{\"k\": \"O'Brien\", \"n\": 1.5}"},
            {"{\"long\":1,\"z\":2}", "{\"z\": 2, \"long\": 1}", "{\"z\": 2, \"long\": 1}"},
            {"{\"nl\":\"a\\nb\",\"e\":\"😀\"}", "{\"e\": \"😀\", \"nl\": \"a\\nb\"}", "{\"e\": \"😀\", \"nl\": \"a\\nb\"}"},
            {"  true ", "true", "true"},
    };

    static final UUID[] UUIDS = {UUID.fromString("0b8f7d4e-2a6c-4e3b-9f1a-5c7d8e9f0a1b"),
            UUID.fromString("ffffffff-ffff-ffff-ffff-ffffffffffff"), UUID.fromString("00000000-0000-0000-0000-000000000000")};

    static final ZoneOffset[] OFFSETS = {ZoneOffset.UTC, ZoneOffset.ofHoursMinutes(5, 45), ZoneOffset.ofHoursMinutes(-3, -30),
            ZoneOffset.ofHours(14), ZoneOffset.ofHours(-12), ZoneOffset.ofHours(1)};

    static final double[] DOUBLES = {0.0, -0.0, 1.5, -2.25, 1e300, 4.9e-324, Math.PI, Double.NaN,
            Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0.1, 123456789.125};

    static String text(Random rnd) {
        if (rnd.nextInt(4) == 0) {
            StringBuilder s = new StringBuilder();
            int n = rnd.nextInt(6);
            for (int i = 0; i < n; i++) {
                s.append(TEXTS[rnd.nextInt(TEXTS.length)]);
            }
            return s.toString();
        }
        return TEXTS[rnd.nextInt(TEXTS.length)];
    }

    /**
     * A random non-NULL value of {@code kind}; with {@code loose}, sometimes of another Java class than the kind's
     * (a String for a number, an Integer for a long), as CSV sources send them.
     */
    static V value(Kind kind, Random rnd, boolean loose) {
        boolean alt = loose && rnd.nextInt(3) == 0;
        switch (kind) {
            case TEXT: {
                String s = text(rnd);
                return new V(s, s);
            }
            case INT: {
                int i = rnd.nextInt(5) == 0 ? (rnd.nextBoolean() ? Integer.MAX_VALUE : Integer.MIN_VALUE) : rnd.nextInt(2001) - 1000;
                return new V(alt ? (rnd.nextBoolean() ? " " + i : Integer.toString(i)) : i, Integer.toString(i));
            }
            case LONG: {
                long l = rnd.nextInt(5) == 0 ? (rnd.nextBoolean() ? Long.MAX_VALUE : Long.MIN_VALUE) : rnd.nextInt(2001) - 1000;
                Object j = l;
                if (alt) {
                    j = (l >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE && rnd.nextBoolean()) ? (Object) (int) l : Long.toString(l);
                }
                return new V(j, Long.toString(l));
            }
            case NUM: {
                BigDecimal d = rnd.nextInt(6) == 0
                        ? new BigDecimal(new BigInteger(100, rnd).negate(), rnd.nextInt(30))
                        : BigDecimal.valueOf(rnd.nextInt(20001) - 10000, rnd.nextInt(5));
                Object j = d;
                if (alt) {
                    j = d.scale() == 0 && d.abs().compareTo(BigDecimal.valueOf(1_000_000)) < 0 && rnd.nextBoolean()
                            ? (Object) d.longValueExact() : d.toPlainString();
                }
                return new V(j, d.toPlainString());
            }
            case DBL: {
                double d = rnd.nextInt(3) == 0 ? (rnd.nextDouble() - 0.5) * Math.pow(10, rnd.nextInt(20) - 10)
                        : DOUBLES[rnd.nextInt(DOUBLES.length)];
                return new V(d, Double.toString(d));
            }
            case BOOL: {
                boolean b = rnd.nextBoolean();
                Object j = alt ? (rnd.nextBoolean() ? Boolean.toString(b) : (b ? "t" : "f")) : b;
                return new V(j, Boolean.toString(b));
            }
            case TSTZ: {
                long micros = (rnd.nextLong() >>> 1) % (200L * 365 * 24 * 3600 * 1_000_000L) - 70L * 365 * 24 * 3600 * 1_000_000L;
                if (rnd.nextBoolean()) {
                    micros -= micros % 1_000_000;
                }
                Instant at = Instant.EPOCH.plusNanos(micros * 1000);
                Object j = rnd.nextBoolean() ? at : at.atOffset(OFFSETS[rnd.nextInt(OFFSETS.length)]);
                return new V(j, at.toString());
            }
            case TS: {
                long micros = (rnd.nextLong() >>> 1) % (200L * 365 * 24 * 3600 * 1_000_000L) - 70L * 365 * 24 * 3600 * 1_000_000L;
                LocalDateTime t = LocalDateTime.ofEpochSecond(Math.floorDiv(micros, 1_000_000), (int) Math.floorMod(micros, 1_000_000) * 1000, ZoneOffset.UTC);
                return new V(t, t.toString());
            }
            case DATE: {
                LocalDate d = LocalDate.ofEpochDay(rnd.nextInt(80_000) - 30_000);
                return new V(d, d.toString());
            }
            case JSON: {
                String[] j = JSONS[rnd.nextInt(JSONS.length)];
                return new V(j[0], j[1]);
            }
            case UUID: {
                UUID u = UUIDS[rnd.nextInt(UUIDS.length)];
                return new V(alt ? u.toString().toUpperCase() : u, u.toString());
            }
            case TEXTARR: {
                int n = rnd.nextInt(4);
                List<String> l = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    l.add(rnd.nextInt(5) == 0 ? null : text(rnd));
                }
                return new V(l, array(l));
            }
            case BYTES: {
                byte[] b = new byte[rnd.nextInt(5)];
                rnd.nextBytes(b);
                return new V(b, HexFormat.of().formatHex(b));
            }
            default:
                throw new AssertionError(kind);
        }
    }

    static String array(List<String> l) {
        StringBuilder s = new StringBuilder("[");
        for (String e : l) {
            s.append(e == null ? "NULL" : "'" + e.replace("\\", "\\\\").replace("'", "\\'") + "'").append(',');
        }
        return s.append(']').toString();
    }

    /** The text under which PostgreSQL's equality of the column's type finds two canonical values equal. */
    static String eq(Kind kind, String canon) {
        if (canon == null) {
            return null;
        }
        switch (kind) {
            case NUM:
                BigDecimal d = new BigDecimal(canon);
                return d.signum() == 0 ? "0" : d.stripTrailingZeros().toPlainString();
            case DBL:
                return canon.equals("-0.0") ? "0.0" : canon;
            case JSON:
                for (String[] j : JSONS) {
                    if (j[1].equals(canon)) {
                        return j[2];
                    }
                }
                return canon;
            default:
                return canon;
        }
    }

    /** Whether the table exists. */
    static boolean exists(DataSource ds, String table) throws SQLException {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("select to_regclass('" + table + "') is not null")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    /** Every row of the table, each as column name to canonical text (null for NULL), columns in table order. */
    static List<Map<String, String>> read(DataSource ds, String table) throws SQLException {
        List<Map<String, String>> rows = new ArrayList<>();
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("select * from " + table)) {
            ResultSetMetaData md = rs.getMetaData();
            while (rs.next()) {
                Map<String, String> row = new LinkedHashMap<>();
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    row.put(md.getColumnName(i), canonical(rs, i, md.getColumnTypeName(i)));
                }
                rows.add(row);
            }
        }
        return rows;
    }

    /** The table's column names in order. */
    static List<String> columns(DataSource ds, String table) throws SQLException {
        List<String> names = new ArrayList<>();
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("select * from " + table + " where false")) {
            ResultSetMetaData md = rs.getMetaData();
            for (int i = 1; i <= md.getColumnCount(); i++) {
                names.add(md.getColumnName(i));
            }
        }
        return names;
    }

    private static String canonical(ResultSet rs, int i, String type) throws SQLException {
        if (rs.getObject(i) == null) {
            return null;
        }
        switch (type) {
            case "float8":
                return Double.toString(rs.getDouble(i));
            case "bool":
                return Boolean.toString(rs.getBoolean(i));
            case "timestamptz":
                return rs.getObject(i, OffsetDateTime.class).toInstant().toString();
            case "timestamp":
                return rs.getObject(i, LocalDateTime.class).toString();
            case "date":
                return rs.getObject(i, LocalDate.class).toString();
            case "bytea":
                return HexFormat.of().formatHex(rs.getBytes(i));
            case "_text": {
                Array a = rs.getArray(i);
                return array(Arrays.asList((String[]) a.getArray()));
            }
            default:
                return rs.getString(i);
        }
    }
}
