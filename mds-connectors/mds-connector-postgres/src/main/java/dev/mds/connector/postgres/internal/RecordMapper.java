package dev.mds.connector.postgres.internal;

import dev.mds.core.ChangeEvent;
import dev.mds.core.EventPosition;
import dev.mds.core.Field;
import dev.mds.core.FieldType;
import dev.mds.core.MdsException;
import dev.mds.core.Record;
import dev.mds.core.Schema;
import dev.mds.core.TableName;
import dev.mds.core.Unchanged;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Turns Debezium's PostgreSQL change records (Connect {@link SourceRecord}s with the Debezium envelope) into mds
 * {@link ChangeEvent}s with typed values. Expects the connector settings {@code decimal.handling.mode=precise},
 * {@code time.precision.mode=adaptive_time_microseconds}, {@code binary.handling.mode=bytes},
 * {@code interval.handling.mode=string}, {@link TextValueConverter} as the {@code converters} setting and the
 * placeholder {@link #PLACEHOLDER} for unsent TOAST values. Not thread-safe (one per engine).
 */
public final class RecordMapper {
    /** The value Debezium puts in place of an unchanged TOASTed column; mapped to {@link Unchanged#VALUE}. */
    public static final String PLACEHOLDER = "__mds_unchanged_toast__";
    private static final byte[] PLACEHOLDER_BYTES = PLACEHOLDER.getBytes(StandardCharsets.UTF_8);
    /*
     * The other shapes of the placeholder, built as Debezium's UnchangedToastedPlaceholder builds them from the
     * configured value: int[] (and date[]) get the list of its byte values as Integers, bigint[] as Longs, uuid[]
     * a one-element list of the name-based UUID of its bytes, hstore the map {placeholder: placeholder}, which
     * hstore.handling.mode=json turns into a JSON object text. Text, json and varchar arrays get a one-element list
     * of the string, bytea[] a one-element list of the bytes.
     */
    static final List<Integer> PLACEHOLDER_INTS;
    static final List<Long> PLACEHOLDER_LONGS;
    static final String PLACEHOLDER_UUID = UUID.nameUUIDFromBytes(PLACEHOLDER_BYTES).toString();
    private static final Map<String, String> PLACEHOLDER_HSTORE = Map.of(PLACEHOLDER, PLACEHOLDER);
    private static final String PLACEHOLDER_HSTORE_JSON = "{\"" + PLACEHOLDER + "\":\"" + PLACEHOLDER + "\"}";

    static {
        List<Integer> ints = new ArrayList<>(PLACEHOLDER_BYTES.length);
        List<Long> longs = new ArrayList<>(PLACEHOLDER_BYTES.length);
        for (byte b : PLACEHOLDER_BYTES) {
            ints.add((int) b);
            longs.add((long) b);
        }
        PLACEHOLDER_INTS = List.copyOf(ints);
        PLACEHOLDER_LONGS = List.copyOf(longs);
    }

    private static final long NANOS_PER_MICRO = 1_000L;
    private static final long NANOS_PER_DAY = 86_400_000_000_000L;
    /*
     * PostgreSQL's infinity and -infinity as Debezium's own converters send a timestamp: the JDBC driver's
     * DATE_POSITIVE_INFINITY and DATE_NEGATIVE_INFINITY read as microseconds (+294247-01-10T04:00:25.2, a timestamp
     * PostgreSQL can hold too, which Debezium's stream sends alike). A date infinity arrives as a day count overflowed
     * out of any date PostgreSQL can hold (DEBEZIUM_*_DAY); a timestamptz one as the text "infinity". TextValueConverter
     * sends them as the range ends of an int (dates) or a long (timestamps), read as the types' MAX and MIN.
     */
    private static final long INFINITY_MICROS = 9_223_372_036_825_200_000L;
    private static final long MINUS_INFINITY_MICROS = -9_223_372_036_832_400_000L;
    /** Debezium 3.2's own Date for infinity (-1701532-04-05: the sentinel's days cast to int) and -infinity (-1711471-07-22). */
    private static final long DEBEZIUM_INFINITY_DAY = (int) (org.postgresql.PGStatement.DATE_POSITIVE_INFINITY / 86_400_000L);
    private static final long DEBEZIUM_MINUS_INFINITY_DAY = -625_821_272L;
    private static final long PG_MIN_EPOCH_DAY = LocalDate.of(-4713, 11, 24).toEpochDay();
    private static final long PG_MAX_EPOCH_DAY = LocalDate.of(5874897, 12, 31).toEpochDay();

    /** The shape of each Connect schema instance Debezium has used: a lookup by identity, once per record. */
    private final Map<org.apache.kafka.connect.data.Schema, Shape> shapes = new IdentityHashMap<>();
    /**
     * The shapes by table, key columns and Connect schema by value. Debezium builds a new schema instance each time
     * it reads a table's relation again, which pgoutput sends in the middle of a transaction's changes after a catalog
     * change committed meanwhile (an ANALYZE by autovacuum): an equal one must give the same shape, or the source
     * would hand the rest of the transaction's changes of the table on as another batch.
     */
    private final Map<List<Object>, Shape> equalShapes = new java.util.HashMap<>();
    private final Function<TableName, List<String>> keyLookup;
    /*
     * The LSN of the last change in the batch being mapped of each transaction Debezium streams without the position
     * of a commit before it, by transaction id: those events' shared commit position (see position).
     */
    private Map<Long, Long> lastChanges = Map.of();

    /**
     * @param keyLookup the key columns of a table, asked only when a {@code TRUNCATE} (which carries no key) is the
     *     first event of the table's current schema
     */
    public RecordMapper(Function<TableName, List<String>> keyLookup) {
        this.keyLookup = keyLookup;
    }

    /** A mapped event and the shape (table, schema, key) of its table at that moment. */
    public record Mapped(Shape shape, ChangeEvent event) {
    }

    /** The mds view of one version of a table's Connect schema. */
    public static final class Shape {
        private final TableName table;
        private final Schema schema;
        private final List<String> keyColumns;
        private final List<Function<Object, Object>> converters;

        Shape(TableName table, Schema schema, List<String> keyColumns, List<Function<Object, Object>> converters) {
            this.table = table;
            this.schema = schema;
            this.keyColumns = keyColumns;
            this.converters = converters;
        }

        public TableName table() {
            return table;
        }

        public Schema schema() {
            return schema;
        }

        public List<String> keyColumns() {
            return keyColumns;
        }
    }

    /** True for records that carry a row change (not heartbeats, not transaction or schema messages). */
    public static boolean isDataChange(SourceRecord r) {
        if (!(r.value() instanceof Struct v)) {
            return false;
        }
        org.apache.kafka.connect.data.Schema s = v.schema();
        return s.field("op") != null && s.field("source") != null && s.field("after") != null;
    }

    /** Where a record stands in the source's transactions, from Debezium's transaction metadata. */
    public enum TransactionMark {
        /** Debezium's BEGIN record of a transaction. */
        BEGIN,
        /** Debezium's END record of a transaction (after its last event). */
        END,
        /** An event of a transaction (its envelope carries a {@code transaction} block). */
        INSIDE,
        /** Anything else: snapshot reads, heartbeats, notifications. */
        OUTSIDE
    }

    /**
     * Where {@code r} stands in the source's transactions. Needs {@code provide.transaction.metadata=true}: Debezium
     * then sends a BEGIN and an END record around each streamed transaction (on their own topic, recognised here by
     * their value schema, whatever the topic is named) and gives each of its events a {@code transaction} block.
     */
    public static TransactionMark transactionMark(SourceRecord r) {
        if (!(r.value() instanceof Struct v)) {
            return TransactionMark.OUTSIDE;
        }
        org.apache.kafka.connect.data.Schema s = v.schema();
        if (s.name() != null && s.name().endsWith(".TransactionMetadataValue") && s.field("status") != null) {
            Object status = v.get("status");
            if ("BEGIN".equals(status)) {
                return TransactionMark.BEGIN;
            }
            if ("END".equals(status)) {
                return TransactionMark.END;
            }
        }
        return s.field("transaction") != null && v.get("transaction") != null ? TransactionMark.INSIDE
                : TransactionMark.OUTSIDE;
    }

    /**
     * Whether a snapshot read is the last one of its table (Debezium marks it {@code last_in_data_collection}, or
     * {@code last} for the last table).
     */
    public static boolean endsTableSnapshot(SourceRecord r) {
        Struct source = ((Struct) r.value()).getStruct("source");
        Object marker = source.schema().field("snapshot") == null ? null : source.get("snapshot");
        return "last_in_data_collection".equals(marker) || "last".equals(marker);
    }

    /**
     * Whether a snapshot read is the last one of the whole snapshot (Debezium marks it {@code last}). A snapshot
     * whose first table holds a single row marks that row {@code first}, not {@code last_in_data_collection}: such
     * a table's snapshot ends with the next table's last read, or with the whole snapshot.
     */
    public static boolean endsSnapshot(SourceRecord r) {
        Struct source = ((Struct) r.value()).getStruct("source");
        return source.schema().field("snapshot") != null && "last".equals(source.get("snapshot"));
    }

    /**
     * Whether a snapshot read comes from an incremental snapshot (Debezium's {@code execute-snapshot} signal marks
     * it {@code incremental}): one chunk of a table, read while changes stream, not the whole table at one moment.
     */
    public static boolean isIncrementalRead(SourceRecord r) {
        Struct source = ((Struct) r.value()).getStruct("source");
        return source.schema().field("snapshot") != null && "incremental".equals(source.get("snapshot"));
    }

    /** Whether {@code r} is Debezium's notification (sink channel) that an initial snapshot completed. */
    public static boolean isSnapshotCompleted(SourceRecord r) {
        return r.value() instanceof Struct v && v.schema().field("aggregate_type") != null
                && v.schema().field("type") != null && "Initial Snapshot".equals(v.get("aggregate_type"))
                && "COMPLETED".equals(v.get("type"));
    }

    /**
     * A table an initial snapshot scanned without finding a row, and that snapshot's position.
     *
     * @param collection Debezium's name of the table ({@code schema.table}, unquoted)
     */
    public record EmptyTableScan(String collection, EventPosition position, Instant at) {
        /** Whether this is {@code table} (Debezium may put the database name in front). */
        public boolean is(TableName table) {
            String name = table.schema() + "." + table.name();
            return collection.equals(name) || collection.endsWith("." + name);
        }
    }

    /**
     * The table of a Debezium notification (sink channel) that an initial snapshot scanned a table and found no
     * rows: such a table has no last read to mark the end of its snapshot. Empty for every other record.
     */
    public static Optional<EmptyTableScan> emptyTableScan(SourceRecord r) {
        if (!(r.value() instanceof Struct v) || v.schema().field("aggregate_type") == null
                || v.schema().field("additional_data") == null || !"Initial Snapshot".equals(v.get("aggregate_type"))
                || !"TABLE_SCAN_COMPLETED".equals(v.get("type"))) {
            return Optional.empty();
        }
        Map<?, ?> data = v.getMap("additional_data");
        Object lsn = r.sourceOffset() == null ? null : r.sourceOffset().get("lsn");
        if (data == null || !"0".equals(data.get("total_rows_scanned")) || !"SUCCEEDED".equals(data.get("status"))
                || !(data.get("scanned_collection") instanceof String scanned) || !(lsn instanceof Number n)) {
            return Optional.empty();
        }
        Object ts = v.schema().field("timestamp") == null ? null : v.get("timestamp");
        Instant at = ts instanceof Number millis ? Instant.ofEpochMilli(millis.longValue()) : Instant.now();
        return Optional.of(new EmptyTableScan(scanned, new EventPosition(0, n.longValue()), at));
    }

    /**
     * Reads a batch before its records are {@linkplain #map mapped}: the commit position of a transaction Debezium
     * streams without the position of a commit before it is the LSN of its last change in the batch. Call once per
     * batch, with all of its records, before mapping them.
     */
    public void startBatch(Iterable<SourceRecord> records) {
        Map<Long, Long> last = new java.util.HashMap<>();
        for (SourceRecord r : records) {
            if (!isDataChange(r)) {
                continue;
            }
            Struct value = (Struct) r.value();
            Struct source = value.getStruct("source");
            if ("r".equals(value.getString("op")) || source == null || lastCommit(source) >= 0) {
                continue;
            }
            Long txId = txId(source);
            Long lsn = source.getInt64("lsn");
            if (txId != null && lsn != null) {
                last.merge(txId, lsn, (a, b) -> Long.compareUnsigned(a, b) >= 0 ? a : b);
            }
        }
        lastChanges = last;
    }

    /**
     * Maps one data change record.
     *
     * @return empty for operations mds does not carry (logical messages)
     */
    public Optional<Mapped> map(SourceRecord r) {
        Struct value = (Struct) r.value();
        String op = value.getString("op");
        Struct source = value.getStruct("source");
        ChangeEvent.Operation operation;
        switch (op) {
            case "c" -> operation = ChangeEvent.Operation.CREATE;
            case "u" -> operation = ChangeEvent.Operation.UPDATE;
            case "d" -> operation = ChangeEvent.Operation.DELETE;
            case "r" -> operation = ChangeEvent.Operation.READ;
            case "t" -> operation = ChangeEvent.Operation.TRUNCATE;
            default -> {
                return Optional.empty();
            }
        }
        Shape shape = shape(r, value, source, operation);
        if (operation == ChangeEvent.Operation.TRUNCATE) {
            return Optional.of(new Mapped(shape, ChangeEvent.truncate(shape.table, position(source, operation,
                    lastChanges), commitTime(source))));
        }
        Record key = key(shape, r);
        EventPosition position = position(source, operation, lastChanges);
        Instant commitTime = commitTime(source);
        Struct after = value.getStruct("after");
        Struct before = value.getStruct("before");
        ChangeEvent event = new ChangeEvent(operation, shape.table, key,
                before == null ? Optional.empty() : Optional.of(row(shape, before, key)),
                after == null || operation == ChangeEvent.Operation.DELETE ? Optional.empty()
                        : Optional.of(row(shape, after, key)),
                position, commitTime);
        return Optional.of(new Mapped(shape, event));
    }

    private Shape shape(SourceRecord r, Struct value, Struct source, ChangeEvent.Operation operation) {
        org.apache.kafka.connect.data.Schema rowSchema = value.schema().field("after").schema();
        Shape shape = shapes.get(rowSchema);
        if (shape != null) {
            return shape;
        }
        TableName table = TableName.of(source.getString("schema"), source.getString("table"));
        List<String> keys = new ArrayList<>();
        if (operation == ChangeEvent.Operation.TRUNCATE) {
            keys.addAll(keyLookup.apply(table));   // a TRUNCATE carries no key
        } else if (r.keySchema() == null || r.keySchema().fields().isEmpty()) {
            throw noKey(table);
        } else {
            for (org.apache.kafka.connect.data.Field f : r.keySchema().fields()) {
                keys.add(f.name());
            }
        }
        shape = equalShapes.computeIfAbsent(List.of(table, List.copyOf(keys), rowSchema),
                k -> shapeOf(table, keys, rowSchema));
        shapes.put(rowSchema, shape);
        return shape;
    }

    /**
     * The shape of {@code table} whose rows have Debezium's Connect schema {@code rowSchema} (the envelope's
     * {@code after}): one field per Connect field, in its order, typed by {@link #fieldType}, nullable when optional.
     * The one mapping of Debezium's schemas, for records and for tables a snapshot found empty
     * ({@link DebeziumTableSchemas}).
     */
    public static Shape shapeOf(TableName table, List<String> keyColumns, org.apache.kafka.connect.data.Schema rowSchema) {
        Schema.Builder sb = Schema.builder();
        List<Function<Object, Object>> converters = new ArrayList<>();
        for (org.apache.kafka.connect.data.Field f : rowSchema.fields()) {
            String name = ungarbled(f.name());
            FieldType type = fieldType(table, name, f.schema());
            sb.add(new Field(name, type, f.schema().isOptional()));
            converters.add(converter(f.schema()));
        }
        return new Shape(table, sb.build(), List.copyOf(keyColumns), List.copyOf(converters));
    }

    /**
     * A column name as PostgreSQL spells it. Debezium 3.2's pgoutput decoder reads the names of a relation message
     * byte by byte, each byte a char: a UTF-8 name's bytes of 0x80 and above arrive sign-extended, {@code "größe"} as
     * {@code "gr\uFFC3\uFFB6\uFFC3\uFF9Fe"}, and streamed values would land in a column of that name. A name made of
     * ASCII and such chars only, whose bytes are valid UTF-8, is decoded; any other (the snapshot's, read through JDBC)
     * is returned as it is.
     */
    static String ungarbled(String name) {
        byte[] bytes = new byte[name.length()];
        boolean garbled = false;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c >= '\uFF80') {
                garbled = true;
            } else if (c >= 0x80) {
                return name;
            }
            bytes[i] = (byte) c;
        }
        if (!garbled) {
            return name;
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException notUtf8) {
            return name;
        }
    }

    /** The error of a table whose change events carry no key. */
    static MdsException noKey(TableName table) {
        return new MdsException("table " + table + " has no primary key, so its change events carry no key:"
                + " add a primary key, or name the key columns with PostgresCdcSource.Builder.key(\"" + table
                + "\", ...) and set REPLICA IDENTITY FULL on the table");
    }

    private static Record key(Shape shape, SourceRecord r) {
        Struct k = (Struct) r.key();
        Object[] values = new Object[shape.keyColumns.size()];
        for (int i = 0; i < values.length; i++) {
            String name = shape.keyColumns.get(i);
            try {
                Object v = shape.converters.get(shape.schema.require(name)).apply(k.get(name));
                values[i] = v instanceof ReadFromSource guessed ? guessed.guess() : v;   // a key cannot be looked up by itself
            } catch (UnrepresentableValue e) {
                throw unrepresentable(shape, name, "in the key of a row", e);
            }
        }
        return Record.of(values);
    }

    private static Record row(Shape shape, Struct row, Record key) {
        List<org.apache.kafka.connect.data.Field> fields = row.schema().fields();
        Object[] values = new Object[fields.size()];
        for (int i = 0; i < values.length; i++) {
            try {
                values[i] = shape.converters.get(i).apply(row.get(fields.get(i)));
            } catch (UnrepresentableValue e) {
                throw unrepresentable(shape, shape.schema.names().get(i), "of the row with key " + key, e);
            }
        }
        return Record.of(values);
    }

    private static MdsException unrepresentable(Shape shape, String column, String where, UnrepresentableValue e) {
        return new MdsException(shape.table + " column " + column + " " + where + ": " + e.getMessage()
                + ", which mds cannot carry (" + e.why + ");"
                + " the change stays in the slot, so every run stops at it: replace the value at the source and"
                + " re-snapshot with a new slot");
    }

    /** A source value no mds value stands for; {@link #row} names the table, column and key. */
    static final class UnrepresentableValue extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final String why;

        UnrepresentableValue(String what, String why) {
            super(what, null, false, false);
            this.why = why;
        }
    }

    /**
     * The event's order. For streamed changes, Debezium's {@code sequence} holds the LSN of the end of the last commit
     * it saw and the change's own LSN; the first is shared by the events of a transaction, grows from one transaction
     * to the next and, for one row, the second follows the commit order (row locks serialise writers of a row), so the
     * pair orders the changes of each row and tells transactions apart, which mds-load's fold of a batch needs (a key
     * a transaction moves under a DEFERRABLE key).
     * <p>
     * The first transaction streamed without a commit seen before it (the first after a snapshot, or after a start from
     * a position stored without one, when no heartbeat's message came first) has no such commit: its events take the
     * LSN of the transaction's last change in the batch ({@code lastChanges}, see {@link #startBatch}). That value is
     * shared by all of them; it is after the commit of every transaction before it that changed a row it changes (its
     * change of that row waited for that commit, and the last change is not before it); and it is before the next
     * transaction's, the end of this one's commit. (Each event took its own LSN before, which the fold read as one
     * transaction per change: a swap of two keys there lost one of them.)
     * <p>
     * Snapshot reads get {@code (0, snapshot LSN)}: older than every streamed change (a commit LSN is never 0),
     * because the slot streams every change committed since the snapshot; and a different position for every
     * snapshot, so mds-load's CDC mode lets a read replace a row stored by an earlier stream or snapshot (a
     * re-snapshot after a lost slot brings back what the stream missed) while a replayed read changes nothing.
     */
    static EventPosition position(Struct source, ChangeEvent.Operation operation, Map<Long, Long> lastChanges) {
        Long lsn = source.getInt64("lsn");
        long change = lsn == null ? 0 : lsn;
        if (operation == ChangeEvent.Operation.READ) {
            return new EventPosition(0, change);
        }
        long commit = lastCommit(source);
        if (commit < 0) {
            Long txId = txId(source);
            Long last = txId == null ? null : lastChanges.get(txId);
            commit = last == null ? change : last;
        }
        return new EventPosition(commit, change);
    }

    /** The event's source transaction id; null when Debezium sends none. */
    private static Long txId(Struct source) {
        return source.schema().field("txId") == null ? null : source.getInt64("txId");
    }

    /** The LSN of the last commit Debezium saw before the event; -1 when it saw none. */
    private static long lastCommit(Struct source) {
        String sequence = source.schema().field("sequence") == null ? null : source.getString("sequence");
        return sequence == null ? -1 : firstNumber(sequence);
    }

    /** The first element of {@code ["123","456"]} as a number; -1 when it is null or absent. */
    static long firstNumber(String sequence) {
        int i = sequence.indexOf('[') + 1;
        long value = 0;
        boolean digits = false;
        for (; i < sequence.length(); i++) {
            char ch = sequence.charAt(i);
            if (ch >= '0' && ch <= '9') {
                value = value * 10 + (ch - '0');
                digits = true;
            } else if (ch == ',' || ch == ']') {
                break;
            }
        }
        return digits ? value : -1;
    }

    private static Instant commitTime(Struct source) {
        if (source.schema().field("ts_us") != null && source.get("ts_us") != null) {
            long us = source.getInt64("ts_us");
            return Instant.ofEpochSecond(Math.floorDiv(us, 1_000_000L), Math.floorMod(us, 1_000_000L) * NANOS_PER_MICRO);
        }
        Long ms = source.getInt64("ts_ms");
        return ms == null ? Instant.EPOCH : Instant.ofEpochMilli(ms);
    }

    /** The mds type of a Connect field, as the connector settings above produce it. */
    static FieldType fieldType(TableName table, String column, org.apache.kafka.connect.data.Schema s) {
        String logical = s.name();
        if (logical != null) {
            switch (logical) {
                case "org.apache.kafka.connect.data.Decimal": {
                    Map<String, String> p = s.parameters() == null ? Map.of() : s.parameters();
                    String precision = p.get("connect.decimal.precision");
                    String scale = p.get("scale");
                    if (precision != null && scale != null) {
                        int pr = Integer.parseInt(precision);
                        int sc = Integer.parseInt(scale);
                        if (pr >= 1 && sc >= 0 && sc <= pr) {
                            return FieldType.decimal(pr, sc);
                        }
                    }
                    return FieldType.DECIMAL;
                }
                case "io.debezium.data.VariableScaleDecimal":
                    return FieldType.DECIMAL;
                case TextValueConverter.NUMERIC_SCHEMA_NAME: {
                    Map<String, String> p = s.parameters() == null ? Map.of() : s.parameters();
                    String precision = p.get(TextValueConverter.PRECISION);
                    String scale = p.get(TextValueConverter.SCALE);
                    if (precision != null && scale != null) {
                        int pr = Integer.parseInt(precision);
                        int sc = Integer.parseInt(scale);
                        if (pr >= 1 && pr <= 1000 && sc >= 0 && sc <= pr) {
                            return FieldType.decimal(pr, sc);
                        }
                    }
                    return FieldType.DECIMAL;
                }
                case "io.debezium.time.Date", "org.apache.kafka.connect.data.Date", TextValueConverter.DATE_TEXT:
                    return FieldType.DATE;
                case TextValueConverter.TIME_TEXT:
                    return FieldType.TIME;
                case TextValueConverter.TIMESTAMP_TEXT:
                    return FieldType.TIMESTAMP;
                case TextValueConverter.TIMESTAMPTZ_TEXT:
                    return FieldType.TIMESTAMPTZ;
                case "io.debezium.time.Time", "io.debezium.time.MicroTime", "io.debezium.time.NanoTime",
                        "org.apache.kafka.connect.data.Time":
                    return FieldType.TIME;
                case "io.debezium.time.Timestamp", "io.debezium.time.MicroTimestamp", "io.debezium.time.NanoTimestamp",
                        "org.apache.kafka.connect.data.Timestamp":
                    return FieldType.TIMESTAMP;
                case "io.debezium.time.ZonedTimestamp", TextValueConverter.TIMESTAMPTZ_MICROS:
                    return FieldType.TIMESTAMPTZ;
                case "io.debezium.data.Json":
                    return FieldType.JSON;
                case "io.debezium.data.Uuid":
                    return FieldType.UUID;
                case "io.debezium.data.Bits":
                    return FieldType.BYTES;
                default:
                    break;
            }
        }
        return switch (s.type()) {
            case INT8, INT16, INT32 -> FieldType.INT;
            case INT64 -> FieldType.LONG;
            case FLOAT32, FLOAT64 -> FieldType.DOUBLE;
            case BOOLEAN -> FieldType.BOOLEAN;
            case BYTES -> FieldType.BYTES;
            case ARRAY -> {
                FieldType element = fieldType(table, column, s.valueSchema());
                if (element.isArray()) {
                    throw new MdsException(table + " column " + column + ": arrays of arrays are not supported");
                }
                yield FieldType.arrayOf(element);
            }
            case STRUCT, MAP -> FieldType.JSON;
            default -> FieldType.STRING;
        };
    }

    /** Converts a Connect value of that schema to the Java value of its mds type. */
    static Function<Object, Object> converter(org.apache.kafka.connect.data.Schema s) {
        Function<Object, Object> typed = typedConverter(s);
        return v -> {
            if (v == null) {
                return null;
            }
            if (isPlaceholder(v)) {
                return Unchanged.VALUE;
            }
            return typed.apply(v);
        };
    }

    /**
     * Whether {@code v} is one of the shapes Debezium gives the placeholder of an unchanged TOASTed column. An
     * int[] holding exactly the placeholder's byte values, or a text[] holding only the placeholder, is taken for
     * it too: Debezium's encoding cannot tell them apart.
     */
    static boolean isPlaceholder(Object v) {
        if (v instanceof String str) {
            return str.equals(PLACEHOLDER) || str.equals(PLACEHOLDER_HSTORE_JSON);
        }
        if (v instanceof byte[] b) {
            return Arrays.equals(b, PLACEHOLDER_BYTES);
        }
        if (v instanceof ByteBuffer bb) {
            return bb.remaining() == PLACEHOLDER_BYTES.length && bb.equals(ByteBuffer.wrap(PLACEHOLDER_BYTES));
        }
        if (v instanceof List<?> l) {
            if (l.size() == 1) {
                Object e = l.get(0);
                return e != null && (isPlaceholder(e) || e.equals(PLACEHOLDER_UUID)
                        || e instanceof UUID u && u.toString().equals(PLACEHOLDER_UUID));
            }
            return l.size() == PLACEHOLDER_BYTES.length && (l.equals(PLACEHOLDER_INTS) || l.equals(PLACEHOLDER_LONGS));
        }
        if (v instanceof Map<?, ?> m) {
            return m.equals(PLACEHOLDER_HSTORE);
        }
        return false;
    }

    private static Function<Object, Object> typedConverter(org.apache.kafka.connect.data.Schema s) {
        String logical = s.name();
        if (logical != null) {
            switch (logical) {
                case "org.apache.kafka.connect.data.Decimal":
                    return v -> v;
                case "io.debezium.data.VariableScaleDecimal":
                    return v -> {
                        Struct d = (Struct) v;
                        byte[] bytes = d.getBytes("value");
                        return new BigDecimal(new BigInteger(bytes), d.getInt32("scale"));
                    };
                case TextValueConverter.NUMERIC_SCHEMA_NAME:
                    return v -> ((String) v).startsWith(TextValueConverter.READ_AGAIN)
                            ? new ReadFromSource(numeric(((String) v).substring(TextValueConverter.READ_AGAIN.length())))
                            : numeric((String) v);
                case TextValueConverter.BITS_SCHEMA_NAME:
                    return v -> bits((String) v);
                case TextValueConverter.DATE_TEXT, TextValueConverter.TIME_TEXT, TextValueConverter.TIMESTAMP_TEXT,
                        TextValueConverter.TIMESTAMPTZ_TEXT:
                    return v -> dateTimeText((String) v, logical);
                case "io.debezium.time.Date":
                    return v -> date(((Number) v).longValue());
                case "org.apache.kafka.connect.data.Date":
                    return v -> LocalDate.ofInstant(((java.util.Date) v).toInstant(), ZoneOffset.UTC);
                case "io.debezium.time.Time":
                    return v -> timeOfDay(((Number) v).longValue() * 1_000_000L);
                case "io.debezium.time.MicroTime":
                    return v -> timeOfDay(((Number) v).longValue() * NANOS_PER_MICRO);
                case "io.debezium.time.NanoTime":
                    return v -> timeOfDay(((Number) v).longValue());
                case "org.apache.kafka.connect.data.Time":
                    return v -> LocalTime.ofInstant(((java.util.Date) v).toInstant(), ZoneOffset.UTC);
                case "io.debezium.time.Timestamp":
                    return v -> timestamp(((Number) v).longValue() * 1_000L);
                case "io.debezium.time.MicroTimestamp":
                    return v -> timestamp(((Number) v).longValue());
                case "io.debezium.time.NanoTimestamp":
                    return v -> {
                        long n = ((Number) v).longValue();
                        return LocalDateTime.ofEpochSecond(Math.floorDiv(n, 1_000_000_000L),
                                (int) Math.floorMod(n, 1_000_000_000L), ZoneOffset.UTC);
                    };
                case "org.apache.kafka.connect.data.Timestamp":
                    return v -> LocalDateTime.ofInstant(((java.util.Date) v).toInstant(), ZoneOffset.UTC);
                case TextValueConverter.TIMESTAMPTZ_MICROS:
                    return v -> {
                        long us = ((Number) v).longValue();
                        if (us == Long.MAX_VALUE || us == Long.MIN_VALUE) {
                            return us > 0 ? OffsetDateTime.MAX : OffsetDateTime.MIN;   // as pgjdbc reads infinity
                        }
                        if (us == TextValueConverter.BEYOND_MICROS) {
                            throw new UnrepresentableValue("a timestamptz beyond the year 294247", "its microseconds"
                                    + " since 1970 do not fit a long");
                        }
                        return OffsetDateTime.of(fromMicros(us), ZoneOffset.UTC);
                    };
                case "io.debezium.time.ZonedTimestamp":
                    return v -> {
                        String text = (String) v;
                        if (text.equals("infinity") || text.equals("-infinity")) {
                            return text.equals("infinity") ? OffsetDateTime.MAX : OffsetDateTime.MIN;
                        }
                        return OffsetDateTime.parse(text);
                    };
                case "io.debezium.data.Uuid":
                    return v -> UUID.fromString((String) v);
                default:
                    break;
            }
        }
        return switch (s.type()) {
            case INT8, INT16, INT32 -> v -> ((Number) v).intValue();
            // a real's own digits: 0.1 (PostgreSQL's text of real 0.1, and what JdbcIncrementalSource reads) rather
            // than the float widened to 0.10000000149011612, which the target showed and no longer equalled 0.1
            case FLOAT32 -> v -> v instanceof Float f ? realDigits(f) : ((Number) v).doubleValue();
            case FLOAT64 -> v -> ((Number) v).doubleValue();
            case BYTES -> v -> {
                if (v instanceof ByteBuffer bb) {
                    byte[] b = new byte[bb.remaining()];
                    bb.duplicate().get(b);
                    return b;
                }
                return v;
            };
            case ARRAY -> {
                Function<Object, Object> element = typedConverter(s.valueSchema());
                yield v -> {
                    List<?> in = (List<?>) v;
                    List<Object> out = new ArrayList<>(in.size());
                    for (Object e : in) {
                        if (e instanceof String str && !str.isEmpty() && str.charAt(0) == '\u0000') {
                            throw new UnrepresentableValue("array value '" + str.substring(1) + "'",
                                    "mds carries one-dimensional arrays with the default bounds only");
                        }
                        out.add(e == null ? null : element.apply(e));
                    }
                    return java.util.Collections.unmodifiableList(out);
                };
            }
            case STRUCT, MAP -> Object::toString;
            case INT64, BOOLEAN, STRING -> v -> v;
        };
    }

    /** A numeric's exact text (from {@link TextValueConverter}) as a BigDecimal; NaN and the infinities have none. */
    static BigDecimal numeric(String text) {
        char first = text.isEmpty() ? ' ' : text.charAt(0);
        if ((first >= '0' && first <= '9') || first == '-' || first == '.' || first == '+') {
            try {
                return new BigDecimal(text);
            } catch (NumberFormatException e) {
                // -Infinity, or not a number at all
            }
        }
        throw new UnrepresentableValue("numeric '" + text + "'", "an mds decimal is a BigDecimal, which has no NaN"
                + " or infinity, and a NULL in its place would change the value");
    }

    /** A bit string's text ({@code 101}); anything else (an element of a multi-dimensional array) is refused. */
    static String bits(String text) {
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (ch != '0' && ch != '1') {
                throw new UnrepresentableValue("bit string array '" + text + "'", "mds carries one-dimensional arrays"
                        + " only");
            }
        }
        return text;
    }

    /** PostgreSQL's ISO output of a date, timestamp or timestamptz: year (4 digits or more), time, offset, BC. */
    private static final java.util.regex.Pattern PG_DATE_TIME = java.util.regex.Pattern.compile(
            "(\\d{4,})-(\\d\\d)-(\\d\\d)(?: (\\d\\d):(\\d\\d):(\\d\\d)(?:\\.(\\d{1,9}))?"
                    + "(?:([+-])(\\d\\d)(?::(\\d\\d))?(?::(\\d\\d))?)?)?( BC)?");
    private static final java.util.regex.Pattern PG_TIME = java.util.regex.Pattern.compile(
            "(\\d\\d):(\\d\\d):(\\d\\d)(?:\\.(\\d{1,9}))?");

    /**
     * A date or time as PostgreSQL prints it (DateStyle ISO, as the driver and the replication connection set it),
     * read as the java.time value of its mds type: BC years kept, {@code 24:00:00} as LocalTime.MAX, the infinities
     * as the type's MAX and MIN (as pgjdbc reads them).
     */
    static Object dateTimeText(String text, String schemaName) {
        boolean date = schemaName.equals(TextValueConverter.DATE_TEXT);
        if (text.equals("infinity") || text.equals("-infinity")) {
            boolean plus = text.equals("infinity");
            switch (schemaName) {
                case TextValueConverter.DATE_TEXT:
                    return plus ? LocalDate.MAX : LocalDate.MIN;
                case TextValueConverter.TIMESTAMP_TEXT:
                    return plus ? LocalDateTime.MAX : LocalDateTime.MIN;
                case TextValueConverter.TIMESTAMPTZ_TEXT:
                    return plus ? OffsetDateTime.MAX : OffsetDateTime.MIN;
                default:
                    throw new UnrepresentableValue("time '" + text + "'", "it is not a time as PostgreSQL prints one");
            }
        }
        if (schemaName.equals(TextValueConverter.TIME_TEXT)) {
            java.util.regex.Matcher t = PG_TIME.matcher(text);
            if (!t.matches()) {
                throw new UnrepresentableValue("time '" + text + "'", "it is not a time as PostgreSQL prints one");
            }
            long nanos = ((Integer.parseInt(t.group(1)) * 60L + Integer.parseInt(t.group(2))) * 60L
                    + Integer.parseInt(t.group(3))) * 1_000_000_000L + fraction(t.group(4));
            return timeOfDay(nanos);
        }
        java.util.regex.Matcher m = PG_DATE_TIME.matcher(text);
        boolean zoned = schemaName.equals(TextValueConverter.TIMESTAMPTZ_TEXT);
        if (!m.matches() || (date != (m.group(4) == null)) || (zoned != (m.group(8) != null))) {
            throw new UnrepresentableValue("'" + text + "'", "it is not a " + (date ? "date" : zoned ? "timestamptz"
                    : "timestamp") + " as PostgreSQL prints one");
        }
        int year = Integer.parseInt(m.group(1));
        LocalDate day = LocalDate.of(m.group(12) != null ? 1 - year : year, Integer.parseInt(m.group(2)),
                Integer.parseInt(m.group(3)));
        if (date) {
            return day;
        }
        LocalDateTime local = day.atTime(Integer.parseInt(m.group(4)), Integer.parseInt(m.group(5)),
                Integer.parseInt(m.group(6)), (int) fraction(m.group(7)));
        if (!zoned) {
            return local;
        }
        int seconds = Integer.parseInt(m.group(9)) * 3600 + (m.group(10) == null ? 0 : Integer.parseInt(m.group(10)) * 60)
                + (m.group(11) == null ? 0 : Integer.parseInt(m.group(11)));
        return OffsetDateTime.of(local, ZoneOffset.ofTotalSeconds(m.group(8).equals("-") ? -seconds : seconds));
    }

    /** Nanoseconds of a fraction of a second's digits ({@code 5} is 500,000,000); 0 for none. */
    private static long fraction(String digits) {
        if (digits == null) {
            return 0;
        }
        long n = Long.parseLong(digits);
        for (int i = digits.length(); i < 9; i++) {
            n *= 10;
        }
        return n;
    }

    /**
     * A time of day. PostgreSQL's {@code time '24:00:00'} (a whole day) is LocalTime.MAX, as the driver reads it and
     * mds-load writes it back; it stopped the run with a bare DateTimeException naming nothing.
     */
    static LocalTime timeOfDay(long nanos) {
        return nanos == NANOS_PER_DAY ? LocalTime.MAX : LocalTime.ofNanoOfDay(nanos);
    }

    /**
     * A date from its day count; PostgreSQL's infinities ({@link TextValueConverter#epochDay} sends them as the int
     * range's ends, Debezium's own converter as overflowed day counts) are LocalDate.MAX and MIN, as pgjdbc reads them.
     */
    private static LocalDate date(long epochDay) {
        if (epochDay == Integer.MAX_VALUE || epochDay == DEBEZIUM_INFINITY_DAY
                || epochDay == TextValueConverter.STREAM_INFINITY_DAY) {
            return LocalDate.MAX;
        }
        if (epochDay == Integer.MIN_VALUE || epochDay == DEBEZIUM_MINUS_INFINITY_DAY
                || epochDay == TextValueConverter.STREAM_MINUS_INFINITY_DAY) {
            return LocalDate.MIN;
        }
        if (epochDay < PG_MIN_EPOCH_DAY || epochDay > PG_MAX_EPOCH_DAY) {
            throw new UnrepresentableValue("date beyond PostgreSQL's range (Debezium sends day " + epochDay + ")",
                    "no PostgreSQL date is that far, so it is no value mds could write back");
        }
        return LocalDate.ofEpochDay(epochDay);
    }

    /**
     * A value of the snapshot that may be wrong and is read again from the source by the row's key before the event
     * is handed over (see {@link TextValueConverter#AMBIGUOUS_BASE}); {@code guess} is what Debezium read, kept when
     * the row is no longer there (a later event removes it) and in a key.
     */
    public record ReadFromSource(Object guess) {
    }

    private static Object timestamp(long micros) {
        if (micros >= TextValueConverter.AMBIGUOUS_BASE - TextValueConverter.AMBIGUOUS_SPAN
                && micros <= TextValueConverter.AMBIGUOUS_BASE + TextValueConverter.AMBIGUOUS_SPAN) {
            return new ReadFromSource(fromMicros(micros - TextValueConverter.AMBIGUOUS_BASE));
        }
        if (micros == Long.MAX_VALUE || micros == Long.MIN_VALUE) {
            return micros > 0 ? LocalDateTime.MAX : LocalDateTime.MIN;   // as pgjdbc reads infinity
        }
        if (micros == INFINITY_MICROS || micros == MINUS_INFINITY_MICROS) {
            return micros > 0 ? LocalDateTime.MAX : LocalDateTime.MIN;
        }
        if (micros == TextValueConverter.BEYOND_MICROS) {
            throw new UnrepresentableValue("a timestamp beyond the year 294247", "its microseconds since 1970 do not"
                    + " fit a long");
        }
        return fromMicros(micros);
    }

    private static LocalDateTime fromMicros(long micros) {
        return LocalDateTime.ofEpochSecond(Math.floorDiv(micros, 1_000_000L),
                (int) (Math.floorMod(micros, 1_000_000L) * NANOS_PER_MICRO), ZoneOffset.UTC);
    }

    /**
     * A real as the double of the digits PostgreSQL shows for it: the shortest decimal strictly closer to it than to
     * either neighbouring real (of those, the closest to it), as PostgreSQL 12+ prints a real (Ryu, a decimal halfway
     * to a neighbour not taken). Not Java 17's {@code Float.toString}, which gives more digits than that for some
     * values (the smallest normal real 1.1754944e-38 as 1.17549435E-38, 2.8287938e17 as 2.82879379E17): other
     * doubles than the source's text. NaN, the infinities and -0 as they are.
     */
    static double realDigits(float f) {
        if (Float.isNaN(f) || Float.isInfinite(f) || f == 0) {
            return f;
        }
        float a = Math.abs(f);
        java.math.BigDecimal exact = new java.math.BigDecimal(a);
        java.math.BigDecimal two = java.math.BigDecimal.valueOf(2);
        java.math.BigDecimal low = exact.add(new java.math.BigDecimal(Math.nextDown(a))).divide(two);
        java.math.BigDecimal high = a == Float.MAX_VALUE ? exact.add(new java.math.BigDecimal(Math.ulp(a)).divide(two))
                : exact.add(new java.math.BigDecimal(Math.nextUp(a))).divide(two);
        for (int digits = 1; digits <= 9; digits++) {
            java.math.BigDecimal near = exact.round(new java.math.MathContext(digits, java.math.RoundingMode.HALF_EVEN));
            java.math.BigDecimal step = near.ulp();
            java.math.BigDecimal best = null;
            // the nearest value of this many digits, or a neighbour: next to a power of two the reals below lie closer,
            // and the nearest may fall outside while a neighbour is inside
            for (java.math.BigDecimal candidate : new java.math.BigDecimal[] {near, near.subtract(step), near.add(step)}) {
                if (candidate.compareTo(low) > 0 && candidate.compareTo(high) < 0 && (best == null
                        || candidate.subtract(exact).abs().compareTo(best.subtract(exact).abs()) < 0)) {
                    best = candidate;
                }
            }
            if (best != null) {
                double d = Double.parseDouble(best.toString());
                return f < 0 ? -d : d;
            }
        }
        return Double.parseDouble(Float.toString(f));
    }
}
