package dev.mds.connector.json.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mds.core.BadInputException;
import dev.mds.core.Field;
import dev.mds.core.FieldType;
import dev.mds.core.InputLocation;
import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import dev.mds.core.Schema;
import dev.mds.core.SourcePosition;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One read of a JSON input: the records (objects) of a top-level array, or of a sequence of top-level objects (JSON
 * Lines), typed by a schema declared or inferred from the first records, in batches that carry their position.
 */
public final class JsonReading implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(JsonReading.class);
    private static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(1_000).build()).build())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .build();

    /**
     * What to read and how.
     *
     * @param path the file, or null for {@code stream}
     * @param stream the input when there is no path
     * @param name the input's name in messages and positions (the path as given, or the stream's name)
     * @param schema the declared schema, or null to infer one
     * @param types declared types of some keys (the others inferred); ignored with a schema
     * @param sampleRows how many records the inference reads
     * @param chunkRows records per batch
     * @param ignoreUnknownFields whether a key outside the schema is dropped (else it fails the read)
     * @param resumeFrom the position to resume after, or null
     */
    public record Settings(Path path, InputStream stream, String name, Schema schema, Map<String, FieldType> types,
            int sampleRows, int chunkRows, boolean ignoreUnknownFields, SourcePosition resumeFrom) {
        public Settings {
            types = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(types));
        }
    }

    private final Settings settings;
    private Records records;
    private Schema schema;
    private Deque<Parsed> sample;
    private boolean started;

    public JsonReading(Settings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    /** One record as read: its object, its number (from 1), the line it starts on, the byte offset after it. */
    private record Parsed(ObjectNode object, long number, long line, long endOffset) {
    }

    /** The schema: declared, or inferred from the first {@code sampleRows} records. */
    public Schema schema() {
        if (schema == null) {
            open();
            if (settings.schema() != null) {
                schema = settings.schema();
                sample = new ArrayDeque<>();
            } else {
                infer();
            }
        }
        return schema;
    }

    private void open() {
        if (records == null) {
            try {
                records = new Records(settings.path() != null ? Files.newInputStream(settings.path()) : settings.stream());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + settings.name() + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * Reads the first records for the types: kept to be handed out (so a stream is read once); the keys in the order
     * first seen, then the declared types of keys not seen.
     */
    private void infer() {
        Map<String, JsonTypes.Inferred> inferred = new LinkedHashMap<>();
        sample = new ArrayDeque<>();
        while (sample.size() < settings.sampleRows()) {
            Parsed p = records.next();
            if (p == null) {
                break;
            }
            sample.add(p);
            for (Map.Entry<String, JsonNode> e : p.object().properties()) {
                if (e.getKey().isEmpty()) {
                    throw new BadInputException(where(p), "a key is empty: it cannot name a column");
                }
                inferred.computeIfAbsent(e.getKey(), k -> new JsonTypes.Inferred()).add(e.getValue());
            }
        }
        Schema.Builder b = Schema.builder();
        inferred.forEach((key, types) -> b.add(key, settings.types().getOrDefault(key, types.type())));
        settings.types().forEach((key, type) -> {
            if (!inferred.containsKey(key)) {
                b.add(key, type);
            }
        });
        schema = b.build();
        LOG.debug("{}: schema {} inferred from {} records", settings.name(), schema, sample.size());
    }

    private InputLocation where(Parsed p) {
        return InputLocation.of(settings.name()).withLine(p.line()).withRecordNumber(p.number());
    }

    /** The batches, in input order; can be called once. */
    public Iterator<RecordBatch> batches() {
        if (started) {
            throw new IllegalStateException("batches() of " + settings.name() + " was already called: a source is read once");
        }
        started = true;
        Schema s = schema();
        skipTo(settings.resumeFrom());
        return new Iterator<>() {
            private boolean emitted;
            private RecordBatch next;

            @Override
            public boolean hasNext() {
                if (next == null) {
                    next = read(s);
                    if (next != null && next.isEmpty()) {
                        // an input without records (after the resume point) gives one empty batch: a loader then
                        // creates its table, or, overwriting, empties it
                        if (emitted) {
                            next = null;
                        }
                    }
                    emitted |= next != null;
                }
                return next != null;
            }

            @Override
            public RecordBatch next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                RecordBatch out = next;
                next = null;
                return out;
            }
        };
    }

    private Parsed nextRecord() {
        return !sample.isEmpty() ? sample.poll() : records.next();
    }

    /** Skips the records up to the resume position; checks the input still has them where the position says. */
    private void skipTo(SourcePosition position) {
        if (position == null) {
            return;
        }
        String expected = "json:" + settings.name();
        if (!position.source().equals(expected)) {
            throw new IllegalArgumentException("resumeFrom: the position is of " + position.source() + ", not of "
                    + expected);
        }
        long record = position.getLong("record").orElseThrow(() -> new IllegalArgumentException(
                "resumeFrom: the position of " + settings.name() + " has no 'record'"));
        long offset = position.getLong("offset").orElse(-1L);
        Parsed last = null;
        for (long n = 0; n < record; n++) {
            last = nextRecord();
            if (last == null) {
                throw new BadInputException(InputLocation.of(settings.name()), "the position to resume from is after record "
                        + record + ", but the input now holds only " + n + " records: it was replaced or rewritten since");
            }
        }
        if (last != null && offset >= 0 && last.endOffset() != offset) {
            throw new BadInputException(where(last), "the position to resume from says record " + record + " ends at byte "
                    + offset + ", but it now ends at byte " + last.endOffset() + ": the input was rewritten since, and"
                    + " reading on would skip or repeat records");
        }
    }

    private long lastNumber;
    private long lastOffset;
    private boolean done;

    /** The next batch; an empty one at the end of the input; null once that was given. */
    private RecordBatch read(Schema s) {
        if (done) {
            return null;
        }
        List<Record> out = new ArrayList<>(Math.min(settings.chunkRows(), 1 << 16));
        while (out.size() < settings.chunkRows()) {
            Parsed p = nextRecord();
            if (p == null) {
                done = true;
                break;
            }
            out.add(record(s, p));
            lastNumber = p.number();
            lastOffset = p.endOffset();
        }
        if (lastNumber == 0 && settings.resumeFrom() != null) {
            lastNumber = settings.resumeFrom().getLong("record").orElse(0L);
            lastOffset = settings.resumeFrom().getLong("offset").orElse(0L);
        }
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("record", lastNumber);
        values.put("offset", lastOffset);
        return RecordBatch.of(s, out, SourcePosition.of("json:" + settings.name(), values));
    }

    private Record record(Schema s, Parsed p) {
        Object[] values = new Object[s.size()];
        for (Map.Entry<String, JsonNode> e : p.object().properties()) {
            int i = s.indexOf(e.getKey());
            if (i < 0) {
                if (settings.ignoreUnknownFields()) {
                    continue;
                }
                throw new BadInputException(where(p).withColumn(e.getKey()), "the key '" + e.getKey() + "' is not in"
                        + " the schema " + s.names() + (settings.schema() == null ? " (inferred from the first "
                        + settings.sampleRows() + " records: read more with sampleRows(n), declare it with type(key,"
                        + " type), or drop such keys with ignoreUnknownFields(true))" : " (declare it, or drop such keys"
                        + " with ignoreUnknownFields(true))"));
            }
            Field field = s.field(i);
            try {
                values[i] = JsonTypes.convert(e.getValue(), field.type());
            } catch (JsonTypes.Mismatch m) {
                throw new BadInputException(where(p).withColumn(field.name()).withExcerpt(JsonTypes.describe(e.getValue())),
                        JsonTypes.describe(e.getValue()) + " " + m.getMessage() + (settings.types().containsKey(field.name())
                                || settings.schema() != null ? "" : " (the column's type " + field.type() + " was inferred"
                                + " from the first " + settings.sampleRows() + " records; declare it with type(\""
                                + field.name() + "\", FieldType.STRING) or FieldType.JSON to take any value)"));
            }
            if (values[i] == null && !field.nullable()) {
                throw new BadInputException(where(p).withColumn(field.name()), "null in a required column");
            }
        }
        for (int i = 0; i < values.length; i++) {
            if (values[i] == null && !s.field(i).nullable() && !p.object().has(s.field(i).name())) {
                throw new BadInputException(where(p).withColumn(s.field(i).name()), "the required key '"
                        + s.field(i).name() + "' is missing");
            }
        }
        return Record.of(values);
    }

    @Override
    public void close() {
        if (records != null) {
            records.close();
        }
    }

    /** The input's records, one object at a time, from a top-level array or a sequence of top-level objects. */
    private final class Records {
        private final InputStream in;
        private final JsonParser parser;
        private Boolean array;     // null until the first token is read
        private long number;
        private boolean end;

        Records(InputStream in) throws IOException {
            this.in = in;
            this.parser = MAPPER.getFactory().createParser(in);
        }

        /** The next record, or null at the end of the input. */
        Parsed next() {
            if (end) {
                return null;
            }
            try {
                JsonToken token = parser.nextToken();
                if (array == null) {
                    if (token == null) {
                        end = true;
                        return null;
                    }
                    array = token == JsonToken.START_ARRAY;
                    if (array) {
                        token = parser.nextToken();
                    }
                }
                if (array && token == JsonToken.END_ARRAY) {
                    JsonToken after = parser.nextToken();
                    if (after != null) {
                        throw bad(parser.currentTokenLocation(), "there is more after the array's closing ']' (a file holds"
                                + " one array of objects, or one object per line)");
                    }
                    end = true;
                    return null;
                }
                if (token == null) {
                    if (array) {
                        throw bad(parser.currentLocation(), "the array is never closed with ']' (the file ends inside it)");
                    }
                    end = true;
                    return null;
                }
                long line = parser.currentTokenLocation().getLineNr();
                number++;
                if (token != JsonToken.START_OBJECT) {
                    throw new BadInputException(InputLocation.of(settings.name()).withLine(line).withRecordNumber(number),
                            "the record is " + describe(token) + ", not an object (a file holds an array of objects, or"
                                    + " one object per line)");
                }
                ObjectNode object = MAPPER.readTree(parser);
                return new Parsed(object, number, line, parser.currentLocation().getByteOffset());
            } catch (JsonParseException e) {
                throw bad(e.getLocation(), e.getOriginalMessage());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + settings.name() + ": " + e.getMessage(), e);
            }
        }

        private String describe(JsonToken token) {
            return switch (token) {
                case START_ARRAY -> "an array";
                case VALUE_STRING -> "a string";
                case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
                case VALUE_TRUE, VALUE_FALSE -> "a boolean";
                case VALUE_NULL -> "null";
                default -> token.asString() == null ? token.name() : "'" + token.asString() + "'";
            };
        }

        private BadInputException bad(JsonLocation at, String message) {
            InputLocation where = InputLocation.of(settings.name());
            if (at != null && at.getLineNr() > 0) {
                where = where.withLine(at.getLineNr());
            }
            String column = at != null && at.getColumnNr() > 0 ? " (character " + at.getColumnNr() + " of the line)" : "";
            String record = number > 0 ? ", in or after record " + number : "";
            return new BadInputException(where, "not valid JSON" + column + record + ": " + firstLine(message));
        }

        private String firstLine(String message) {
            if (message == null) {
                return "unreadable";
            }
            int nl = message.indexOf('\n');
            return nl < 0 ? message : message.substring(0, nl);
        }

        void close() {
            try {
                parser.close();
                in.close();
            } catch (IOException e) {
                LOG.debug("{}: closing failed: {}", settings.name(), e.toString());
            }
        }
    }
}
