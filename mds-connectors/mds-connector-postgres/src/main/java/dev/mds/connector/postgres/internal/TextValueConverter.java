package dev.mds.connector.postgres.internal;

import io.debezium.connector.postgresql.UnchangedToastedReplicationMessageColumn;
import io.debezium.data.SpecialValueDecimal;
import io.debezium.spi.converter.CustomConverter;
import io.debezium.spi.converter.RelationalColumn;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.sql.Array;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Calendar;
import java.util.GregorianCalendar;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TimeZone;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.postgresql.PGStatement;
import org.postgresql.util.PGobject;

/**
 * Debezium converter (its {@code converters} setting) for {@code numeric} columns and arrays of them, for arrays of bit
 * strings ({@code bit(n)[]}, {@code varbit[]}), which Debezium sends as NULL or leaves out, and for the other types
 * Debezium leaves out, sends as NULL or changes (see {@link #TEXT_TYPES}, {@link #DEBEZIUM_ARRAYS}): those are sent
 * as their text (with {@code include.unknown.datatypes=true}, which makes the stream hand over the text of types
 * Debezium does not know). Debezium's own
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

    /**
     * Types Debezium 3.2 leaves out of its events (tsvector, tsquery, pg_lsn, box, line, circle, multiranges...),
     * sends as NULL from the stream ({@code name}), turns into a Connect struct ({@code point}) or into bytes that lose
     * leading zeros ({@code varbit}), and the other built-in types it does not know (jsonpath, xid, tid, the reg*
     * types...), which {@code include.unknown.datatypes} would send as the bytes of their text: sent as their text,
     * with composite types (JDBC STRUCT).
     */
    private static final Set<String> TEXT_TYPES = Set.of("name", "tsvector", "tsquery", "pg_lsn", "point", "box", "line",
            "lseg", "path", "polygon", "circle", "int4multirange", "int8multirange", "nummultirange", "datemultirange",
            "tsmultirange", "tstzmultirange", "txid_snapshot", "pg_snapshot", "varbit", "jsonpath", "xid", "xid8", "cid",
            "tid", "int2vector", "oidvector", "aclitem", "regclass", "regtype", "regproc", "regprocedure", "regoper",
            "regoperator", "regconfig", "regdictionary", "regnamespace", "regrole", "regcollation");
    /**
     * The element types whose arrays Debezium 3.2 carries itself (numeric, bit and varbit arrays come here); an array
     * of any other element type (interval, point, money, xml, a domain, a composite...) it leaves out of its events,
     * so it is sent as the list of its elements' text.
     */
    private static final Set<String> DEBEZIUM_ARRAYS = Set.of("int2", "int4", "int8", "oid", "char", "varchar", "text",
            "bpchar", "inet", "cidr", "macaddr", "macaddr8", "tsrange", "tstzrange", "daterange", "int4range", "numrange",
            "int8range", "uuid", "json", "jsonb", "float4", "float8", "bool", "bytea", "numeric", "bit", "varbit", "hstore",
            "citext", "ltree", "geometry", "geography");
    /**
     * The built-in types this converter tells by name, by their OIDs (fixed in PostgreSQL's catalog, pg_type.dat). A
     * column of a domain type comes with the domain's name ({@code "app"."created_at"}) and its base type's OID, so it
     * is told by the OID: a domain over timestamp, timestamptz, timestamp[], money... then takes the same conversion
     * as its base type (before, a BC or pre-1582 value of a domain over timestamp moved by days, as Debezium reads it).
     */
    private static final java.util.Map<Integer, String> BUILT_IN_TYPES = builtInTypes(
            "19 name 22 int2vector 24 regproc 27 tid 28 xid 29 cid 30 oidvector 143 _xml 271 _xid8 600 point 601 "
            + "lseg 602 path 603 box 604 polygon 628 line 629 _line 718 circle 719 _circle 790 money 791 _money "
            + "1003 _name 1006 _int2vector 1008 _regproc 1010 _tid 1011 _xid 1012 _cid 1013 _oidvector 1017 _point "
            + "1018 _lseg 1019 _path 1020 _box 1027 _polygon 1033 aclitem 1034 _aclitem 1082 date 1083 time 1114 "
            + "timestamp 1115 _timestamp 1182 _date 1183 _time 1184 timestamptz 1185 _timestamptz 1187 _interval "
            + "1231 _numeric 1266 timetz 1270 _timetz 1561 _bit 1562 varbit 1563 _varbit 1700 numeric 2202 "
            + "regprocedure 2203 regoper 2204 regoperator 2205 regclass 2206 regtype 2207 _regprocedure 2208 "
            + "_regoper 2209 _regoperator 2210 _regclass 2211 _regtype 2949 _txid_snapshot 2970 txid_snapshot 3614 "
            + "tsvector 3615 tsquery 3643 _tsvector 3645 _tsquery 3734 regconfig 3735 _regconfig 3769 regdictionary "
            + "3770 _regdictionary 4072 jsonpath 4073 _jsonpath 4089 regnamespace 4090 _regnamespace 4096 regrole "
            + "4097 _regrole 4191 regcollation 4192 _regcollation 4451 int4multirange 4532 nummultirange 4533 "
            + "tsmultirange 4534 tstzmultirange 4535 datemultirange 4536 int8multirange 5069 xid8 6150 "
            + "_int4multirange 6151 _nummultirange 6152 _tsmultirange 6153 _tstzmultirange 6155 _datemultirange "
            + "6157 _int8multirange 3220 pg_lsn 3221 _pg_lsn 5038 pg_snapshot 5039 _pg_snapshot");

    private static java.util.Map<Integer, String> builtInTypes(String oidsAndNames) {
        String[] parts = oidsAndNames.split(" ");
        java.util.Map<Integer, String> types = new java.util.HashMap<>();
        for (int i = 0; i < parts.length; i += 2) {
            types.put(Integer.valueOf(parts[i]), parts[i + 1]);
        }
        return java.util.Map.copyOf(types);
    }

    /**
     * PostgreSQL's first OID of objects created after initdb: a scalar column of JDBC type OTHER whose type (a domain's
     * base type) has such an OID is a type Debezium does not know (a range over a user subtype...), unless it is one of
     * the extension types Debezium handles ({@link #DEBEZIUM_EXTENSION_TYPES}).
     */
    private static final int FIRST_USER_OID = 16384;
    private static final Set<String> DEBEZIUM_EXTENSION_TYPES = Set.of("hstore", "ltree", "citext", "isbn", "geometry",
            "geography", "vector", "halfvec", "sparsevec");
    /**
     * Schema name of a timestamptz sent as microseconds since 1970-01-01 UTC; {@link Long#MAX_VALUE} and
     * {@link Long#MIN_VALUE} stand for {@code infinity} and {@code -infinity}, {@link #BEYOND_MICROS} for an instant
     * too far for a long.
     */
    public static final String TIMESTAMPTZ_MICROS = "dev.mds.postgres.TimestamptzMicros";
    /**
     * A snapshot {@code timestamp} that may have moved: the driver builds a java.sql.Timestamp in the JVM's time zone,
     * and a wall-clock time in that zone's daylight-saving gap ({@code 02:30} on the night clocks jump from 02:00 to
     * 03:00) comes out an hour later, the same Timestamp as the real {@code 03:30}. Such a value is sent as this base
     * plus the microseconds of what the driver read; {@link RecordMapper} marks it to be read again from the source.
     * No real timestamp comes near it (PostgreSQL's earliest is about -2.1e17 microseconds).
     */
    public static final long AMBIGUOUS_BASE = -4_000_000_000_000_000_000L;
    /** How far from {@link #AMBIGUOUS_BASE} an ambiguous value may lie (years -29719 to 33658). */
    public static final long AMBIGUOUS_SPAN = 1_000_000_000_000_000_000L;

    /** Whether {@code instant} is in the first hour(s) after a daylight-saving gap of the JVM's default zone. */
    private static boolean inDaylightSavingGap(Instant instant) {
        java.time.zone.ZoneRules rules = TimeZone.getDefault().toZoneId().getRules();
        if (rules.isFixedOffset()) {
            return false;
        }
        java.time.zone.ZoneOffsetTransition gap = rules.previousTransition(instant.plusNanos(1));
        return gap != null && gap.isGap() && instant.isBefore(gap.getInstant().plus(gap.getDuration()));
    }

    /** A timestamp or timestamptz whose microseconds since 1970 do not fit a long (PostgreSQL's last 30 years). */
    public static final long BEYOND_MICROS = Long.MAX_VALUE - 1;

    /** Schema name of an element of a date[] sent as its text ({@code 0044-03-15 BC}). */
    public static final String DATE_TEXT = "dev.mds.postgres.DateText";
    /** Schema name of an element of a time[] sent as its text ({@code 24:00:00}). */
    public static final String TIME_TEXT = "dev.mds.postgres.TimeText";
    /** Schema name of an element of a timestamp[] sent as its text. */
    public static final String TIMESTAMP_TEXT = "dev.mds.postgres.TimestampText";
    /** Schema name of an element of a timestamptz[] sent as its text ({@code 2024-01-01 10:00:00+02}). */
    public static final String TIMESTAMPTZ_TEXT = "dev.mds.postgres.TimestamptzText";
    /**
     * Arrays of dates and times, which Debezium reads through the driver's java.sql types: a BC element lost its era
     * (date[], timestamptz[]) or moved by days (timestamp[]), and {@code 24:00:00} in a time[] became 00:00. Their
     * elements are sent as text, which {@link RecordMapper} reads as PostgreSQL prints it; a timetz[] is sent as its
     * text too (Debezium moved each element to UTC, losing its offset).
     */
    private static final java.util.Map<String, String> TEMPORAL_ARRAYS = java.util.Map.of("_date", DATE_TEXT,
            "_time", TIME_TEXT, "_timestamp", TIMESTAMP_TEXT, "_timestamptz", TIMESTAMPTZ_TEXT);
    /** Starts the one element sent for an array value of more than one dimension; no PostgreSQL text holds it. */
    static final String NOT_ONE_DIMENSION = "\u0000";

    /** Creates the converter; Debezium instantiates it by class name. */
    public TextValueConverter() {
    }

    @Override
    public void configure(Properties props) {
        // nothing to configure
    }

    @Override
    public void converterFor(RelationalColumn column, ConverterRegistration<SchemaBuilder> registration) {
        String type = BUILT_IN_TYPES.getOrDefault(column.nativeType(), typeName(column.typeName()));
        boolean userType = column.jdbcType() == Types.OTHER && column.nativeType() >= FIRST_USER_OID
                && !DEBEZIUM_EXTENSION_TYPES.contains(type);
        if (TEXT_TYPES.contains(type) || column.jdbcType() == Types.STRUCT || userType) {
            register(registration, column, SchemaBuilder.string(), TextValueConverter::scalarText, "");
            return;
        }
        if ("money".equals(type)) {
            register(registration, column, numericSchema(false, 0, 0, false), TextValueConverter::money, "0");
            return;
        }
        String temporal = TEMPORAL_ARRAYS.get(type);
        if (temporal != null) {
            SchemaBuilder schema = SchemaBuilder.array(SchemaBuilder.string().name(temporal).optional().build());
            register(registration, column, schema, data -> textArray(data, ','), List.of());
            return;
        }
        Schema domainArray = DOMAIN_ARRAY_ELEMENTS.get(column.nativeType());
        if (domainArray != null && !DOMAIN_ARRAY_NAMES.get(column.nativeType()).equals(typeName(column.typeName()))) {
            SchemaBuilder schema = SchemaBuilder.array(domainArray);
            register(registration, column, schema, data -> domainArray(data, domainArray.type(),
                    io.debezium.data.Uuid.LOGICAL_NAME.equals(domainArray.name())), List.of());
            return;
        }
        if (type.startsWith("_") && !DEBEZIUM_ARRAYS.contains(type.substring(1))) {
            char delimiter = "_box".equals(type) ? ';' : ',';
            SchemaBuilder schema = SchemaBuilder.array(SchemaBuilder.string().optional().build());
            register(registration, column, schema, data -> textArray(data, delimiter), List.of());
            return;
        }
        if ("_bit".equals(type) || "_varbit".equals(type)) {
            SchemaBuilder schema = SchemaBuilder.array(SchemaBuilder.string().name(BITS_SCHEMA_NAME).optional().build());
            register(registration, column, schema, TextValueConverter::bitArray, List.of());
            return;
        }
        if ("timestamp".equals(type)) {
            SchemaBuilder schema = io.debezium.time.MicroTimestamp.builder();
            register(registration, column, schema, TextValueConverter::localMicros, 0L);
            return;
        }
        if ("timestamptz".equals(type)) {
            SchemaBuilder schema = SchemaBuilder.int64().name(TIMESTAMPTZ_MICROS);
            register(registration, column, schema, TextValueConverter::utcMicros, 0L);
            return;
        }
        if ("date".equals(type) || column.jdbcType() == Types.DATE && !type.startsWith("_")) {
            SchemaBuilder schema = io.debezium.time.Date.builder();
            register(registration, column, schema, TextValueConverter::epochDay, 0);
            return;
        }
        boolean array = "_numeric".equals(type);
        if (!array && !"numeric".equals(type) && !(column.jdbcType() == Types.NUMERIC && !type.startsWith("_"))) {
            return;
        }
        int precision = column.length().orElse(0);
        int scale = signedScale(column.scale().orElse(0));
        boolean declared = precision > 0 && precision != VARIABLE_SCALE_LENGTH;
        int declaredScale = declared ? scale : Integer.MIN_VALUE;
        if (array) {
            SchemaBuilder schema = SchemaBuilder.array(numericSchema(declared, precision, scale, true).build());
            register(registration, column, schema, data -> array(data, declaredScale), List.of());
        } else {
            register(registration, column, numericSchema(declared, precision, scale, false),
                    data -> data == null ? null : text(data, declaredScale), "0");
        }
    }

    /**
     * Registers {@code convert} for {@code column} with {@code schema}, optional when the column is nullable. For a
     * NOT NULL column a NULL result becomes {@code filler}, as Debezium's own converters fill such a field (0,
     * {@code ""}, an empty array): a delete's before image under REPLICA IDENTITY DEFAULT holds the key alone, and
     * Debezium hands the converter NULL for every other column; a required Connect field refused that NULL ("Invalid
     * value: null used for required field"), which stopped the source at every such delete. mds-load reads a before
     * image of only such fillers as the key alone.
     */
    private static void register(ConverterRegistration<SchemaBuilder> registration, RelationalColumn column,
            SchemaBuilder schema, Converter convert, Object filler) {
        if (column.isOptional()) {
            registration.register(schema.optional(), convert);
        } else {
            registration.register(schema, data -> {
                Object value = convert.convert(data);
                return value != null ? value : filler;
            });
        }
    }

    /**
     * The declared scale of a numeric column, which may be negative since PostgreSQL 15 ({@code numeric(5,-2)} rounds
     * to hundreds). PostgreSQL keeps it in the low 11 bits of the type modifier, as a signed number; the driver (and so
     * Debezium) reads those bits unsigned, so -2 came as 2046 and every value was given 2,046 zeros after the point.
     * PostgreSQL's scales run from -1000 to 1000: a larger number is read back as the negative it stands for.
     */
    static int signedScale(int scale) {
        return scale > 1000 && scale <= 0x7ff ? ((scale & 0x7ff) ^ 1024) - 1024 : scale;
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

    /**
     * The day Debezium's stream hands over for a date {@code infinity}: PostgreSQL's DATEVAL_NOEND (the int32 max, in
     * days from 2000-01-01) moved to 1970 in int arithmetic, which wraps (-5877611-06-21, far before any PostgreSQL
     * date).
     */
    static final long STREAM_INFINITY_DAY = (int) (Integer.MAX_VALUE + 10_957L);
    /** The day Debezium's stream hands over for a date {@code -infinity} (DATEVAL_NOBEGIN wrapped: -5877611-06-22). */
    static final long STREAM_MINUS_INFINITY_DAY = (int) (Integer.MIN_VALUE + 10_957L);

    /** 1582-10-15, from which the JVM's default calendar is Gregorian, in epoch milliseconds (UTC). */
    private static final long GREGORIAN_CUTOVER_MILLIS = -12_219_292_800_000L;

    /**
     * A date as Debezium's {@code io.debezium.time.Date} (days since 1970-01-01). The stream hands over a LocalDate;
     * the snapshot a java.sql.Date, which Debezium reads without its era, so 44 BC arrived as 44 AD: its fields are
     * read with the era from the calendar the driver built it in. PostgreSQL's infinities become the int range's
     * ends, which {@link RecordMapper} reads as LocalDate.MAX and MIN: the snapshot's are the driver's sentinels, the
     * stream's the days {@link #STREAM_INFINITY_DAY} and {@link #STREAM_MINUS_INFINITY_DAY}.
     */
    static Object epochDay(Object data) {
        if (data == null) {
            return null;
        }
        if (UnchangedToastedReplicationMessageColumn.isUnchangedToastedValue(data)) {
            return null;   // a date is never stored out of line
        }
        if (data instanceof LocalDate d) {
            long day = d.toEpochDay();
            if (day == STREAM_INFINITY_DAY) {
                return Integer.MAX_VALUE;
            }
            if (day == STREAM_MINUS_INFINITY_DAY) {
                return Integer.MIN_VALUE;
            }
            return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, day));
        }
        if (data instanceof java.sql.Date d) {
            long millis = d.getTime();
            if (millis == PGStatement.DATE_POSITIVE_INFINITY) {
                return Integer.MAX_VALUE;
            }
            if (millis == PGStatement.DATE_NEGATIVE_INFINITY) {
                return Integer.MIN_VALUE;
            }
            if (millis >= GREGORIAN_CUTOVER_MILLIS) {
                return (int) d.toLocalDate().toEpochDay();
            }
            Calendar c = new GregorianCalendar();
            c.setTime(d);
            int year = c.get(Calendar.ERA) == GregorianCalendar.BC ? 1 - c.get(Calendar.YEAR) : c.get(Calendar.YEAR);
            return (int) LocalDate.of(year, c.get(Calendar.MONTH) + 1, c.get(Calendar.DAY_OF_MONTH)).toEpochDay();
        }
        return io.debezium.time.Date.toEpochDay(data, null);
    }

    private static final Instant STREAM_INFINITY_TIMESTAMP = Instant.EPOCH.plus(PGStatement.DATE_POSITIVE_INFINITY,
            java.time.temporal.ChronoUnit.MICROS);
    private static final Instant STREAM_MINUS_INFINITY_TIMESTAMP = Instant.EPOCH.plus(PGStatement.DATE_NEGATIVE_INFINITY,
            java.time.temporal.ChronoUnit.MICROS);

    /**
     * A timestamp as Debezium's MicroTimestamp (microseconds since 1970 of its wall-clock time read as UTC), with
     * {@link Long#MAX_VALUE} and {@link Long#MIN_VALUE} for {@code infinity} and {@code -infinity}. The stream
     * hands over an Instant; the snapshot a java.sql.Timestamp built by the driver in the JVM's (hybrid Julian)
     * calendar, which Debezium read as an instant: a timestamp before 1582 moved by days and a BC one lost its era.
     * Its fields are read in that calendar instead.
     */
    static Object localMicros(Object data) {
        if (data == null || UnchangedToastedReplicationMessageColumn.isUnchangedToastedValue(data)) {
            return null;
        }
        if (data instanceof Instant i) {
            // the stream's infinities: the driver's sentinels read as microseconds (+294247-01-10T04:00:25.2, which is
            // also a timestamp PostgreSQL can hold, read as infinity alike; -290308-12-21T19:59:27.6)
            if (i.equals(STREAM_INFINITY_TIMESTAMP)) {
                return Long.MAX_VALUE;
            }
            if (i.equals(STREAM_MINUS_INFINITY_TIMESTAMP)) {
                return Long.MIN_VALUE;
            }
            return micros(i.getEpochSecond(), i.getNano());
        }
        if (data instanceof java.sql.Timestamp t) {
            long millis = t.getTime();
            if (millis == PGStatement.DATE_POSITIVE_INFINITY) {
                return Long.MAX_VALUE;
            }
            if (millis == PGStatement.DATE_NEGATIVE_INFINITY) {
                return Long.MIN_VALUE;
            }
            LocalDateTime local = millis >= GREGORIAN_CUTOVER_MILLIS ? t.toLocalDateTime()
                    : fields(t, TimeZone.getDefault()).withNano(t.getNanos());
            long micros = micros(local.toEpochSecond(ZoneOffset.UTC), local.getNano());
            if (millis >= GREGORIAN_CUTOVER_MILLIS && inDaylightSavingGap(t.toInstant())
                    && Math.abs(micros) < AMBIGUOUS_SPAN) {
                return AMBIGUOUS_BASE + micros;
            }
            return micros;
        }
        if (data instanceof LocalDateTime local) {
            return micros(local.toEpochSecond(ZoneOffset.UTC), local.getNano());
        }
        return io.debezium.time.MicroTimestamp.toEpochMicros(data, null);
    }

    /**
     * A timestamptz as microseconds since 1970 UTC ({@link #TIMESTAMPTZ_MICROS}). The stream hands over an
     * OffsetDateTime; the snapshot a java.sql.Timestamp the driver built in the hybrid Julian calendar (before 1582 it
     * is days off as an instant, and a BC one lost its era): its fields in UTC are read in that calendar instead.
     */
    static Object utcMicros(Object data) {
        if (data == null || UnchangedToastedReplicationMessageColumn.isUnchangedToastedValue(data)) {
            return null;
        }
        Instant instant;
        if (data instanceof OffsetDateTime o) {
            instant = o.toInstant();
        } else if (data instanceof Instant i) {
            instant = i;
        } else if (data instanceof java.sql.Timestamp t) {
            long millis = t.getTime();
            if (millis == PGStatement.DATE_POSITIVE_INFINITY) {
                return Long.MAX_VALUE;
            }
            if (millis == PGStatement.DATE_NEGATIVE_INFINITY) {
                return Long.MIN_VALUE;
            }
            instant = millis >= GREGORIAN_CUTOVER_MILLIS ? t.toInstant()
                    : fields(t, TimeZone.getTimeZone("UTC")).withNano(t.getNanos()).toInstant(ZoneOffset.UTC);
        } else if (data instanceof java.time.ZonedDateTime z) {
            instant = z.toInstant();
        } else {
            return BEYOND_MICROS;   // no other shape is known; RecordMapper refuses it naming the column
        }
        if (instant.equals(POSITIVE_INFINITY_INSTANT)) {
            return Long.MAX_VALUE;
        }
        if (instant.equals(NEGATIVE_INFINITY_INSTANT)) {
            return Long.MIN_VALUE;
        }
        return micros(instant.getEpochSecond(), instant.getNano());
    }

    /** Debezium's stream values of timestamptz 'infinity' and '-infinity' (the driver's sentinels as milliseconds). */
    private static final Instant POSITIVE_INFINITY_INSTANT = Instant.ofEpochMilli(PGStatement.DATE_POSITIVE_INFINITY);
    private static final Instant NEGATIVE_INFINITY_INSTANT = Instant.ofEpochMilli(PGStatement.DATE_NEGATIVE_INFINITY);

    private static long micros(long epochSecond, int nano) {
        try {
            return Math.addExact(Math.multiplyExact(epochSecond, 1_000_000L), nano / 1_000);
        } catch (ArithmeticException e) {
            return BEYOND_MICROS;
        }
    }

    /** The wall-clock fields, era included, of a java.util.Date in the JVM's default (hybrid Julian) calendar. */
    private static LocalDateTime fields(java.util.Date d, TimeZone zone) {
        Calendar c = new GregorianCalendar(zone);
        c.setTime(d);
        int year = c.get(Calendar.ERA) == GregorianCalendar.BC ? 1 - c.get(Calendar.YEAR) : c.get(Calendar.YEAR);
        return LocalDateTime.of(year, c.get(Calendar.MONTH) + 1, c.get(Calendar.DAY_OF_MONTH),
                c.get(Calendar.HOUR_OF_DAY), c.get(Calendar.MINUTE), c.get(Calendar.SECOND));
    }

    /** A type's name without quotes or schema ({@code "x"."_posint"} is {@code _posint}). */
    static String typeName(String name) {
        String n = name.replace("\"", "");
        return n.substring(n.lastIndexOf('.') + 1);
    }

    /** The text of a value of a type sent as text (a driver object's text form, or the stream's bytes). */
    private static Object scalarText(Object data) {
        if (data == null) {
            return null;
        }
        if (UnchangedToastedReplicationMessageColumn.isUnchangedToastedValue(data)) {
            return RecordMapper.PLACEHOLDER;
        }
        if (data instanceof byte[] b) {
            return new String(b, StandardCharsets.UTF_8);
        }
        if (data instanceof PGobject o) {
            return o.getValue();
        }
        return data.toString();
    }

    /** The elements' text of an array sent as text, from its literal. */
    private static Object textArray(Object data, char delimiter) {
        if (data == null) {
            return null;
        }
        if (UnchangedToastedReplicationMessageColumn.isUnchangedToastedValue(data)) {
            return List.of(RecordMapper.PLACEHOLDER);
        }
        Object literal = data instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : data;
        return parseLiteral(literal.toString(), delimiter);
    }

    /**
     * A domain over text[], varchar[], char(n)[], int[], bigint[], uuid[], json[] or jsonb[] as Debezium converts the
     * array itself (the same
     * schema, so the target's column type is the same), with the placeholder of an unchanged TOAST value in the shape
     * Debezium gives that array: Debezium picks its placeholder by the type's name, which for a domain is the
     * domain's, and sent NULL for such a value (the target lost it).
     */
    private static final java.util.Map<Integer, Schema> DOMAIN_ARRAY_ELEMENTS = java.util.Map.of(
            1009, Schema.OPTIONAL_STRING_SCHEMA, 1015, Schema.OPTIONAL_STRING_SCHEMA, 1014, Schema.OPTIONAL_STRING_SCHEMA,
            1007, Schema.OPTIONAL_INT32_SCHEMA, 1016, Schema.OPTIONAL_INT64_SCHEMA,
            2951, io.debezium.data.Uuid.builder().optional().build(), 199, io.debezium.data.Json.builder().optional().build(),
            3807, io.debezium.data.Json.builder().optional().build());

    private static final java.util.Map<Integer, String> DOMAIN_ARRAY_NAMES = java.util.Map.of(1009, "_text", 1015,
            "_varchar", 1014, "_bpchar", 1007, "_int4", 1016, "_int8", 2951, "_uuid", 199, "_json", 3807, "_jsonb");

    private static Object domainArray(Object data, Schema.Type element, boolean uuid) {
        if (data == null) {
            return null;
        }
        if (UnchangedToastedReplicationMessageColumn.isUnchangedToastedValue(data)) {
            return switch (element) {
                case INT32 -> RecordMapper.PLACEHOLDER_INTS;
                case INT64 -> RecordMapper.PLACEHOLDER_LONGS;
                default -> List.of(uuid ? RecordMapper.PLACEHOLDER_UUID : RecordMapper.PLACEHOLDER);
            };
        }
        List<?> elements;
        try {
            if (data instanceof Array a) {
                elements = java.util.Arrays.asList((Object[]) a.getArray());
            } else if (data instanceof List<?> l) {
                elements = l;
            } else if (data instanceof Object[] o) {
                elements = java.util.Arrays.asList(o);
            } else {
                elements = parseLiteral(data instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : data.toString());
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the array value " + data + ": " + e.getMessage(), e);
        }
        List<Object> out = new ArrayList<>(elements.size());
        for (Object e : elements) {
            if (e == null) {
                out.add(null);
            } else if (e instanceof Object[] || e.toString().startsWith(NOT_ONE_DIMENSION)) {
                throw new IllegalStateException("an array value of more than one dimension is not carried: " + data);
            } else {
                String text = e.toString();
                out.add(switch (element) {
                    case INT32 -> e instanceof Number n ? Integer.valueOf(n.intValue()) : Integer.valueOf(text);
                    case INT64 -> e instanceof Number n ? Long.valueOf(n.longValue()) : Long.valueOf(text);
                    default -> e instanceof PGobject o ? o.getValue() : text;
                });
            }
        }
        return out;
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

    /** Debezium's {@code money.fraction.digits} default, the scale it gives every money value. */
    private static final int MONEY_SCALE = 2;
    /** Below this a money value read through a double keeps every digit (15 significant digits round-trip). */
    private static final double MONEY_EXACT_BELOW = 1e13;
    /** Starts the text of a numeric to read again from the source; what follows is the value Debezium read. */
    static final String READ_AGAIN = "\u0000";

    /**
     * A money value as numeric text. The stream hands over the exact BigDecimal; the snapshot a double (Debezium reads
     * money through the driver's PGmoney): -92233720368547758.08 arrived as -92233720368547760.00. A double keeps
     * every digit of a value below 10^13; a larger one is sent to be read again from the source
     * ({@link #READ_AGAIN}).
     */
    static Object money(Object data) {
        if (data == null) {
            return null;
        }
        if (data instanceof Double || data instanceof Float) {
            double d = ((Number) data).doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                return READ_AGAIN + "0";
            }
            String text = BigDecimal.valueOf(d).setScale(MONEY_SCALE, java.math.RoundingMode.HALF_EVEN).toPlainString();
            return Math.abs(d) < MONEY_EXACT_BELOW ? text : READ_AGAIN + text;
        }
        if (data instanceof BigDecimal b) {
            return b.setScale(Math.max(b.scale(), MONEY_SCALE), java.math.RoundingMode.HALF_EVEN).toPlainString();
        }
        if (data instanceof Number n) {
            return money(n.doubleValue());
        }
        return READ_AGAIN + "0";   // an unknown shape: the source's own value
    }

    /** As {@link #parseLiteral(String, char)} with a comma between elements. */
    static List<String> parseLiteral(String literal) {
        return parseLiteral(literal, ',');
    }

    /**
     * The elements of a one-dimensional array literal as PostgreSQL prints it ({@code {1.5,NULL,"a \"b\""}}): quoted
     * elements unescaped, an unquoted {@code NULL} as null. A literal of more dimensions (or with explicit bounds) is
     * sent as one element, {@link #NOT_ONE_DIMENSION} followed by the literal, which {@link RecordMapper} refuses.
     */
    static List<String> parseLiteral(String literal, char delimiter) {
        String s = literal.trim();
        List<String> out = new ArrayList<>();
        if (!s.startsWith("{") || !s.endsWith("}")) {
            out.add(NOT_ONE_DIMENSION + s);
            return out;
        }
        int i = 1;
        int end = s.length() - 1;
        while (i < end && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
        if (i == end) {
            return out;
        }
        StringBuilder e = new StringBuilder();
        while (i <= end) {
            while (i < end && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
            e.setLength(0);
            boolean quoted = false;
            if (i < end && s.charAt(i) == '"') {
                quoted = true;
                i++;
                while (i < end && s.charAt(i) != '"') {
                    char ch = s.charAt(i);
                    if (ch == '\\' && i + 1 < end) {
                        i++;
                        ch = s.charAt(i);
                    }
                    e.append(ch);
                    i++;
                }
                i++;   // the closing quote
                while (i < end && Character.isWhitespace(s.charAt(i))) {
                    i++;
                }
            } else {
                while (i < end && s.charAt(i) != delimiter) {
                    char ch = s.charAt(i);
                    if (ch == '{' || ch == '"') {
                        out.clear();
                        out.add(NOT_ONE_DIMENSION + s);
                        return out;
                    }
                    if (ch == '\\' && i + 1 < end) {
                        i++;
                        ch = s.charAt(i);
                    }
                    e.append(ch);
                    i++;
                }
            }
            String text = quoted ? e.toString() : e.toString().strip();
            out.add(!quoted && text.equalsIgnoreCase("NULL") ? null : text);
            if (i < end && s.charAt(i) != delimiter) {
                out.clear();
                out.add(NOT_ONE_DIMENSION + s);
                return out;
            }
            i++;   // the delimiter, or past the end
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
