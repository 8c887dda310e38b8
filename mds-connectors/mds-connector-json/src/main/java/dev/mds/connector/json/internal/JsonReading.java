package dev.mds.connector.json.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mds.connector.json.OnBadRecord;
import dev.mds.core.BadInputException;
import dev.mds.core.BadRecord;
import dev.mds.core.Field;
import dev.mds.core.FieldType;
import dev.mds.core.Identifiers;
import dev.mds.core.InputLocation;
import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import dev.mds.core.Schema;
import dev.mds.core.SourcePosition;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One read of a JSON input: the records (objects) of a top-level array, or of a sequence of top-level objects (JSON
 * Lines), typed by a schema declared or inferred from the first records, in batches that carry their position. A
 * record that cannot be read is thrown, skipped or carried by its batch, as {@link OnBadRecord} says.
 */
public final class JsonReading implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(JsonReading.class);
    private static final AtomicInteger THREADS = new AtomicInteger();
    /**
     * The longest number read: the most digits PostgreSQL's numeric holds (131072 before the point, 16383 after it),
     * a sign and a point, so that a longer one is refused as beyond numeric's range, not as invalid JSON (Jackson's
     * default is 1,000 characters).
     */
    static final int MAX_NUMBER_CHARS = 131_072 + 16_383 + 2;
    /**
     * The longest string read, in characters: 256 MiB, the CSV source's default longest record, the most jsonb holds
     * (Jackson's default, 20,000,000 characters, is far below what a PostgreSQL text or jsonb holds).
     */
    static final int MAX_STRING_CHARS = 256 << 20;
    // duplicate keys are found by KeyCheck, which reads the record to its end, so that the record alone is bad
    private static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(1_000)
                            .maxNumberLength(MAX_NUMBER_CHARS).maxStringLength(MAX_STRING_CHARS).build()).build())
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .build();

    // how Jackson's generator escapes a character below 128 by default (CharTypes.get7BitOutputEscapes()): 0 not at
    // all, -1 as a backslash, u00 and two upper-case hex digits (JsonWriteFeature.WRITE_HEX_UPPER_CASE), else as a
    // backslash and this character
    private static final int[] ESCAPES = new int[128];
    // Jackson's advice in a message: ": enable `JsonReadFeature.ALLOW_…` to allow", " (not recognized as one since
    // Feature 'ALLOW_COMMENTS' not enabled for parser)"
    private static final java.util.regex.Pattern PARSER_FEATURE_ADVICE = java.util.regex.Pattern.compile(
            ":? enable `[A-Za-z]+\\.[A-Z_]+` to allow| \\(not recognized as one since Feature '[A-Z_]+' not enabled for"
                    + " parser\\)");
    private static final java.util.regex.Pattern START_MARKER = java.util.regex.Pattern.compile(
            " \\(start marker at \\[Source: [^\\]]*?; line: (\\d+), column: (\\d+)\\]\\)");
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    static {
        for (int c = 0; c < 32; c++) {
            ESCAPES[c] = -1;
        }
        ESCAPES['"'] = '"';
        ESCAPES['\\'] = '\\';
        ESCAPES['\b'] = 'b';
        ESCAPES['\t'] = 't';
        ESCAPES['\f'] = 'f';
        ESCAPES['\n'] = 'n';
        ESCAPES['\r'] = 'r';
    }

    /**
     * What to read and how.
     *
     * @param path the file, or null for {@code stream}
     * @param stream the input when there is no path
     * @param name the input's name in messages and positions (the path as given, or the stream's name)
     * @param schema the declared schema, or null to infer one
     * @param types declared types of some keys (the others inferred); ignored with a schema
     * @param sampleRows how many records the inference reads
     * @param chunkRows records per batch (good ones and dead letters; skipped ones do not count)
     * @param ignoreUnknownFields whether a key outside the schema is dropped (else the record is bad)
     * @param onBadRecord what a record that cannot be read does
     * @param flatten the separator between a nested object's key and its keys' names, or null to keep objects as JSON
     * @param resumeFrom the position to resume after, or null
     * @param threads threads parsing chunks of JSON Lines (UTF-8, without flatten) ahead of the consumer; 1: none
     * @param chunkBytes the bytes of such a chunk, about (cut at the next line break between records)
     */
    public record Settings(Path path, InputStream stream, String name, Schema schema, Map<String, FieldType> types,
            int sampleRows, int chunkRows, boolean ignoreUnknownFields, OnBadRecord onBadRecord, String flatten,
            SourcePosition resumeFrom, int threads, int chunkBytes) {
        public Settings {
            types = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(types));
            Objects.requireNonNull(onBadRecord, "onBadRecord");
        }
    }

    private final Settings settings;
    private Records records;
    private Records source;            // the reader whose bytes a bad record's text and a release refer to
    private Parallel parallel;         // with threads(n): the records after the first ones
    private Schema schema;
    private Deque<Parsed> sample;
    private boolean started;
    private long badRecords;

    public JsonReading(Settings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    /**
     * One record as read: its object as a tree (null for a record that is not one, or read straight into values), or
     * its values already converted to the schema's columns (null for a tree), its number (from 1), the line it starts
     * on, the byte offsets of its first byte and of the byte after it (-1 when the input's offsets are not bytes),
     * for a record found bad while it was parsed, why, under flatten its object as parsed (else null: the object),
     * and the {@link Recorder#check check} of its bytes (-1 when they are not known: UTF-16 or UTF-32 input).
     */
    private record Parsed(ObjectNode object, Object[] values, long number, long line, long startOffset, long endOffset,
            Problem problem, ObjectNode parsed, long check) {
        Parsed(ObjectNode object, Object[] values, long number, long line, long startOffset, long endOffset,
                Problem problem, long check) {
            this(object, values, number, line, startOffset, endOffset, problem, null, check);
        }

        Parsed bad(Problem p) {
            return new Parsed(object, values, number, line, startOffset, endOffset, p, parsed, check);
        }

        /** This record with the check {@code c} when it has none (its bytes were not held: UTF-16 or UTF-32). */
        Parsed checkedBy(java.util.function.LongSupplier c) {
            return check >= 0 ? this : new Parsed(object, values, number, line, startOffset, endOffset, problem, parsed,
                    c.getAsLong());
        }

        /** This record with its object flattened to {@code o}. */
        Parsed flattened(ObjectNode o) {
            return new Parsed(o, values, number, line, startOffset, endOffset, problem, object, check);
        }

        /** This record of a chunk numbered from 1, numbered after the {@code before} records before the chunk. */
        Parsed renumbered(long before) {
            long n = number + before;
            return new Parsed(object, values, n, line, startOffset, endOffset, problem == null ? null
                    : new Problem(problem.where().withRecordNumber(n), problem.reason(), problem.text()), parsed,
                    check);
        }
    }

    /** Why a record is bad: where (with the column when one is to blame), the reason, and its text when known. */
    private record Problem(InputLocation where, String reason, String text) {
    }

    /** Thrown by {@link #record} for a record that does not fit the schema. */
    private static final class Misfit extends Exception {
        private static final long serialVersionUID = 1L;
        private final transient Problem problem;

        Misfit(InputLocation where, String reason) {
            super(reason, null, false, false);
            this.problem = new Problem(where, reason, null);
        }
    }

    /** The records skipped or dead-lettered so far. */
    public long badRecords() {
        return badRecords;
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
            records.convertTo(schema);
        }
        return schema;
    }

    private void open() {
        if (records == null) {
            InputStream in = settings.stream();
            try {
                if (settings.path() != null) {
                    in = Files.newInputStream(settings.path());
                }
                in = withoutLoneByteOrderMark(in);
                records = new Records(in);
                source = records;
            } catch (IOException e) {
                closeInput(in);     // the parser's first read (its encoding detection) failed: nothing else holds it
                throw new UncheckedIOException("cannot read " + settings.name() + ": " + e.getMessage(), e);
            } catch (RuntimeException e) {
                closeInput(in);
                throw e;
            }
        }
    }

    /**
     * {@code in}, at its end already when it holds only a byte-order mark, UTF-8's (3 bytes) or UTF-16's (2 bytes, big
     * or little endian): an input without records, as an empty one is. Jackson looks for a byte-order mark only in an
     * input of 4 bytes or more and would read these as UTF-8 text ('Invalid UTF-8 start byte 0xbb'); a tool writing
     * with a byte-order mark (Windows PowerShell's Out-File, UTF-16LE) leaves them when it has no records.
     */
    private static InputStream withoutLoneByteOrderMark(InputStream in) throws IOException {
        PushbackInputStream p = new PushbackInputStream(in, 4);
        byte[] first = new byte[4];
        int n = 0;
        while (n < 4) {
            int r = p.read(first, n, 4 - n);
            if (r < 0) {
                break;
            }
            n += r;
        }
        int b0 = first[0] & 0xFF;
        int b1 = first[1] & 0xFF;
        boolean loneMark = n == 3 && b0 == 0xEF && b1 == 0xBB && (first[2] & 0xFF) == 0xBF
                || n == 2 && (b0 == 0xFE && b1 == 0xFF || b0 == 0xFF && b1 == 0xFE);
        if (!loneMark && n > 0) {
            p.unread(first, 0, n);
        }
        return p;
    }

    private void closeInput(InputStream in) {
        if (in != null) {
            try {
                in.close();
            } catch (IOException e) {
                LOG.debug("{}: closing failed: {}", settings.name(), e.toString());
            }
        }
    }

    /**
     * Reads the first records for the types: kept to be handed out (so a stream is read once); the keys in the order
     * first seen, then the declared types of keys not seen. Bad records count towards the sample but add no type.
     */
    private void infer() {
        Map<String, JsonTypes.Inferred> inferred = new LinkedHashMap<>();
        sample = new ArrayDeque<>();
        while (sample.size() < settings.sampleRows()) {
            Parsed p = records.next();
            if (p == null) {
                break;
            }
            if (p.problem() == null) {
                p = unnameable(p);
            }
            sample.add(p);
            if (p.problem() != null) {
                continue;
            }
            for (Map.Entry<String, JsonNode> e : p.object().properties()) {
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

    /**
     * {@code p}, bad when one of its keys (under flatten, its flattened names) cannot name a column: empty, holding
     * text PostgreSQL cannot hold, or longer than the 63 bytes PostgreSQL keeps of a name (it would cut it).
     */
    private Parsed unnameable(Parsed p) {
        if (p.object().has("")) {
            return p.bad(new Problem(where(p), "a key is empty: it cannot name a column", null));
        }
        for (Map.Entry<String, JsonNode> e : p.object().properties()) {
            String key = e.getKey();
            String what = JsonTypes.unstorable(key);
            if (what != null) {
                String shown = JsonTypes.visible(key);
                return p.bad(new Problem(where(p).withColumn(shown), "the key '" + shown + "' holds " + what
                        + ", which PostgreSQL cannot hold: it cannot name a column", null));
            }
            int bytes = key.length() <= Identifiers.MAX_IDENTIFIER_BYTES / 3 ? 0
                    : key.getBytes(StandardCharsets.UTF_8).length;
            if (bytes > Identifiers.MAX_IDENTIFIER_BYTES) {
                return p.bad(new Problem(where(p).withColumn(key), "the key '" + key + "' is " + bytes + " bytes long, more"
                        + " than the " + Identifiers.MAX_IDENTIFIER_BYTES + " bytes PostgreSQL takes for a column name:"
                        + " it cannot name a column", null));
            }
        }
        return p;
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
            private long emittedRecord = -1;
            private RecordBatch next;

            @Override
            public boolean hasNext() {
                if (next == null) {
                    next = read(s);
                    if (next != null && next.isEmpty() && next.rejected().isEmpty()) {
                        // an input without records (after the resume point) gives one empty batch: a loader then
                        // creates its table, or, overwriting, empties it; at the end, one also carries the position
                        // past records skipped after the last batch, so a resume does not read them again
                        long record = next.position().flatMap(p -> p.getLong("record")).orElse(0L);
                        if (emitted && record == emittedRecord) {
                            next = null;
                        }
                    }
                    if (next != null) {
                        emitted = true;
                        emittedRecord = next.position().flatMap(p -> p.getLong("record")).orElse(0L);
                    }
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
        if (!sample.isEmpty()) {
            return sample.poll();
        }
        if (parallel != null) {
            return parallel.next();
        }
        if (settings.threads() > 1 && records.array != null) {
            parallel = startParallel();     // when the last record read ends its line; else after the next one
            if (parallel != null) {
                return parallel.next();
            }
        }
        return records.next();
    }

    /**
     * Skips the records up to the resume position, bad ones too (they were handled by the run that stored it);
     * checks the input still has them where the position says.
     */
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
            source.release(last.endOffset());
        }
        if (last != null && offset >= 0 && last.endOffset() != offset) {
            boolean continued = last.startOffset() < offset && offset < last.endOffset();
            throw new BadInputException(where(last), "the position to resume from says record " + record + " ends at byte "
                    + offset + ", but it now ends at byte " + last.endOffset() + (continued ? ": the record now goes on"
                    + " past the position, so it was still being written when the position was taken (a partial last"
                    + " line, read as a bad record) and has been completed since, or the input was rewritten; either"
                    + " way" : ": the input was rewritten since, and") + " reading on would skip or repeat records");
        }
        long check = position.getLong("check").orElse(-1L);    // positions taken before checks were added have none
        if (last != null && check >= 0 && last.check() >= 0 && last.check() != check) {
            throw new BadInputException(where(last), "the position to resume from was taken after record " + record
                    + ", but that record now holds other bytes than then: the input was replaced or rewritten since,"
                    + " and reading on would skip or repeat records");
        }
        lastCheck = check;
    }

    private long lastNumber;
    private long lastOffset;
    private long lastCheck = -1;     // the check of the bytes of the last record handed out (or resumed after)
    private boolean done;

    /** The next batch; an empty one at the end of the input; null once that was given. */
    private RecordBatch read(Schema s) {
        if (done) {
            return null;
        }
        List<Record> out = new ArrayList<>(Math.min(settings.chunkRows(), 1 << 16));
        List<BadRecord> rejected = new ArrayList<>();
        while (out.size() + rejected.size() < settings.chunkRows()) {
            Parsed p = nextRecord();
            if (p == null) {
                done = true;
                break;
            }
            Problem problem = p.problem();
            if (problem == null) {
                try {
                    out.add(record(s, p));
                } catch (Misfit m) {
                    problem = m.problem;
                }
            }
            if (problem != null) {
                BadRecord bad = new BadRecord(problem.where(), problem.reason(),
                        problem.text() != null ? problem.text() : source.text(p));
                switch (settings.onBadRecord()) {
                    case FAIL -> {
                        done = true;
                        throw bad.toException();
                    }
                    case SKIP -> LOG.warn("{}: skipped a bad record: {}", settings.name(), bad.describe());
                    case DEAD_LETTER -> {
                        LOG.debug("{}: bad record set aside: {}", settings.name(), bad.describe());
                        rejected.add(bad);
                    }
                }
                badRecords++;
            }
            source.release(p.endOffset());
            lastNumber = p.number();
            lastOffset = p.endOffset();
            lastCheck = p.check();
        }
        if (lastNumber == 0 && settings.resumeFrom() != null) {
            lastNumber = settings.resumeFrom().getLong("record").orElse(0L);
            lastOffset = settings.resumeFrom().getLong("offset").orElse(0L);
        }
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("record", lastNumber);
        values.put("offset", lastOffset);
        if (lastCheck >= 0) {
            values.put("check", lastCheck);
        }
        return RecordBatch.of(s, out, SourcePosition.of("json:" + settings.name(), values)).withRejected(rejected);
    }

    private Record record(Schema s, Parsed p) throws Misfit {
        if (p.values() != null) {
            return Record.of(p.values());    // read straight into the columns, checked as below
        }
        Object[] values = new Object[s.size()];
        for (Map.Entry<String, JsonNode> e : p.object().properties()) {
            int i = s.indexOf(e.getKey());
            if (i < 0) {
                if (settings.ignoreUnknownFields()) {
                    continue;
                }
                throw unknownKey(where(p), s, e.getKey());
            }
            Field field = s.field(i);
            try {
                values[i] = convert(e.getValue(), field);
            } catch (JsonTypes.Mismatch m) {
                throw mismatch(where(p), field, e.getValue(), m);
            }
            if (values[i] == null && !field.nullable()) {
                throw nullInRequired(where(p), field);
            }
        }
        for (int i = 0; i < values.length; i++) {
            if (values[i] == null && !s.field(i).nullable() && !p.object().has(s.field(i).name())) {
                throw missingRequired(where(p), s.field(i));
            }
        }
        return Record.of(values);
    }

    /**
     * {@code value} as a value of {@code field}'s column: as {@link JsonTypes#convert}, but a column inferred from
     * numbers or booleans takes no string (one holding a number or a boolean is taken by a declared type only), and
     * one inferred from dates takes dates of the inference's form only (yyyy-mm-dd, not another ISO form): such a
     * value among the sample's would have made it a text column.
     */
    private Object convert(JsonNode value, Field field) throws JsonTypes.Mismatch {
        Object converted = JsonTypes.convert(value, field.type());      // what does not fit any way is refused so
        if (value.isTextual() && settings.schema() == null && !settings.types().containsKey(field.name())) {
            FieldType.Kind kind = field.type().kind();
            if (kind == FieldType.Kind.LONG || kind == FieldType.Kind.DECIMAL || kind == FieldType.Kind.BOOLEAN) {
                throw new JsonTypes.Mismatch("is a string, not a " + (kind == FieldType.Kind.BOOLEAN ? "boolean"
                        : "number"));
            }
            if (kind == FieldType.Kind.DATE && !JsonTypes.looksLikeDate(value.textValue())) {
                throw new JsonTypes.Mismatch("is not a date of the form yyyy-mm-dd");
            }
        }
        return converted;
    }

    private Misfit unknownKey(InputLocation where, Schema s, String key) {
        String shown = JsonTypes.visible(key);
        return new Misfit(where.withColumn(shown), "the key '" + shown + "' is not in"
                + " the schema " + s.names() + (settings.schema() == null ? " (inferred from the first "
                + settings.sampleRows() + " records: read more with sampleRows(n), declare it with type(key,"
                + " type), or drop such keys with ignoreUnknownFields(true))" : " (declare it, or drop such keys"
                + " with ignoreUnknownFields(true))"));
    }

    private Misfit mismatch(InputLocation where, Field field, JsonNode value, JsonTypes.Mismatch m) {
        return new Misfit(where.withColumn(field.name()).withExcerpt(JsonTypes.describe(value)),
                JsonTypes.describe(value) + " " + m.getMessage() + (settings.types().containsKey(field.name())
                        || settings.schema() != null || m.fitsNoColumn() ? "" : " (the column's type " + field.type()
                        + " was inferred from the first " + settings.sampleRows() + " records; declare it with type(\""
                        + field.name() + "\", FieldType.STRING) or FieldType.JSON to take any value)"));
    }

    private static Misfit nullInRequired(InputLocation where, Field field) {
        return new Misfit(where.withColumn(field.name()), "null in a required column");
    }

    private static Misfit missingRequired(InputLocation where, Field field) {
        return new Misfit(where.withColumn(field.name()), "the required key '" + field.name() + "' is missing");
    }

    @Override
    public void close() {
        if (parallel != null) {
            parallel.close();
        }
        if (records != null) {
            records.close();
        } else {
            closeInput(settings.stream());    // a stream is the source's from build() on, read or not
        }
    }

    /**
     * With {@code threads(n)}: the reading of the records after the first ones, in parallel chunks, when the input
     * is JSON Lines read straight into columns (UTF-8, no flatten, the schema known) and the last record read ends
     * its line (then the chunks start at line starts, where a new parser sees the same lines and characters).
     */
    private Parallel startParallel() {
        Records r = records;
        if (settings.threads() < 2 || r.end || r.array == null || r.array || r.columns == null
                || !r.recorder.recording()) {
            return null;
        }
        try {
            long at = r.endOffset;
            int b = r.recorder.byteAt(at);
            while (b == ' ' || b == '\t') {
                b = r.recorder.byteAt(++at);
            }
            if (b == '\r') {
                b = r.recorder.byteAt(++at);
            }
            if (b != '\n') {
                return null;     // more on the line, or the end: one thread reads the next record
            }
            at++;
            r.recorder.seek(at);
            r.recorder.stopRecording();    // the chunks hold their own bytes
            LOG.debug("{}: {} threads read on from byte {} (line {}, after record {})", settings.name(),
                    settings.threads(), at, r.endLine + 1, r.number);
            return new Parallel(r.recorder, at, r.endLine + 1, r.number);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + settings.name() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The records of JSON Lines from a line's start on, parsed in chunks by threads and handed out in order. The
     * consumer's thread cuts the chunks before lines that start with <code>{</code>, counting line breaks (as Jackson
     * does: CR, LF or CRLF) so that each chunk's parser knows its first line; records are numbered when handed out. A
     * chunk parses as one parser reading on would parse it only when it starts at a record's start and holds whole
     * records: the first chunk does, and a chunk that parses without invalid JSON ends where the next one starts. A
     * chunk that does not (invalid JSON, or a cut inside a record over several lines, which leaves its object open)
     * is read again, with the rest of the input, by one parser from the chunk's start, as one thread reads.
     */
    private final class Parallel {
        private final InputStream in;
        private final ExecutorService executor;
        private final ArrayDeque<Chunk> inFlight = new ArrayDeque<>();
        private byte[] carry = new byte[0];
        private int carryLength;
        private long nextOffset;
        private long nextLine;
        private long number;        // the records handed out before the current chunk's
        private long counted;       // ... and those of the current chunk
        private boolean scanned;
        private Iterator<Parsed> current = java.util.Collections.emptyIterator();
        private Records fallback;
        private volatile boolean closed;     // the workers stop at their next record
        private final List<Thread> workers = new ArrayList<>();

        Parallel(InputStream in, long offset, long line, long number) {
            this.in = in;
            this.nextOffset = offset;
            this.nextLine = line;
            this.number = number;
            this.counted = number;
            this.executor = Executors.newFixedThreadPool(settings.threads(), task -> {
                Thread t = new Thread(task, "mds-json-" + THREADS.incrementAndGet());
                t.setDaemon(true);
                synchronized (workers) {
                    workers.add(t);
                }
                return t;
            });
        }

        /** A chunk's bytes, where it starts, whether it was cut inside a line, its parse (numbered from 1). */
        private static final class Chunk {
            byte[] bytes;
            int length;
            long offset;
            long line;
            boolean capped;
            Future<List<Parsed>> parsed;     // null when the chunk is not clean
        }

        Parsed next() {
            if (fallback != null) {
                return fallback.next();
            }
            while (!current.hasNext()) {
                fill();
                Chunk c = inFlight.poll();
                if (c == null) {
                    return null;
                }
                List<Parsed> parsed = take(c.parsed);
                if (parsed == null) {
                    startFallback(c);
                    return fallback.next();
                }
                number = counted;
                counted += parsed.size();
                current = parsed.iterator();
            }
            return current.next().renumbered(number);
        }

        private void fill() {
            while (!scanned && inFlight.size() < settings.threads() + 1) {
                Chunk c;
                try {
                    c = cut();
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read " + settings.name() + ": " + e.getMessage(), e);
                }
                if (c == null) {
                    scanned = true;
                    break;
                }
                c.parsed = executor.submit(() -> parse(c));
                inFlight.add(c);
            }
        }

        /**
         * The next chunk: about chunkBytes, ending after a line break that a line starting with <code>{</code>
         * follows (or at the end); null at the end. Its line breaks are counted as Jackson counts them (CR, LF,
         * CRLF), for the next chunk's first line: in a chunk that parses as whole records without invalid JSON, they
         * are all between tokens. Its records are numbered when handed out.
         */
        private Chunk cut() throws IOException {
            int target = settings.chunkBytes();
            long cap = 4L * target + (1 << 16);
            byte[] buf = new byte[(int) Math.min(Integer.MAX_VALUE - 16, Math.max(carryLength + 8192L,
                    target + (target >> 2) + 8192L))];
            System.arraycopy(carry, 0, buf, 0, carryLength);
            int len = carryLength;
            carryLength = 0;
            int end = -1;
            boolean capped = false;
            int from = Math.min(target, len);      // where a line break may end the chunk
            while (end < 0) {
                for (int i = Math.max(from, 1); i < len; i++) {
                    if (buf[i] == '{' && buf[i - 1] == '\n' && i >= target) {
                        end = i;
                        break;
                    }
                }
                if (end >= 0) {
                    break;
                }
                from = Math.max(len, 1);
                if (len >= cap) {
                    end = len;            // no line to cut at for long (a record over many lines?): bounded
                    capped = true;
                    break;
                }
                if (len == buf.length) {
                    buf = java.util.Arrays.copyOf(buf, (int) Math.min(Integer.MAX_VALUE - 16, buf.length * 2L));
                }
                int n = in.read(buf, len, buf.length - len);
                if (n < 0) {
                    end = len;            // the end of the input
                    break;
                }
                len += n;
            }
            if (end == 0) {
                return null;
            }
            long lines = 0;
            for (int i = 0; i < end; i++) {
                byte b = buf[i];
                if (b == '\n') {
                    if (i == 0 || buf[i - 1] != '\r') {
                        lines++;
                    }
                } else if (b == '\r') {
                    lines++;
                }
            }
            carryLength = len - end;
            if (carry.length < carryLength) {
                carry = new byte[Math.max(carryLength, 8192)];
            }
            System.arraycopy(buf, end, carry, 0, carryLength);
            Chunk c = new Chunk();
            c.bytes = buf;
            c.length = end;
            c.offset = nextOffset;
            c.line = nextLine;
            c.capped = capped;
            nextOffset += end;
            nextLine += lines;
            return c;
        }

        /** The chunk's records as one parser reading on from the chunk's start gives them; null when not clean. */
        private List<Parsed> parse(Chunk c) {
            if (c.capped) {
                return null;
            }
            try {
                Records r = new Records(c.bytes, c.length, c.offset, c.line, 0);
                r.convertTo(schema);
                List<Parsed> out = new ArrayList<>(1024);
                for (Parsed p = r.next(); p != null; p = r.next()) {
                    if (r.resynced || closed || Thread.currentThread().isInterrupted()) {
                        return null;     // read again by one parser; or the source was closed, or reads on alone
                    }
                    out.add(r.withText(p));
                }
                return r.resynced ? null : out;
            } catch (IOException | RuntimeException e) {
                return null;     // read again by one parser, which fails or reads on as one thread does
            }
        }

        private List<Parsed> take(Future<List<Parsed>> f) {
            try {
                return f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new dev.mds.core.MdsException("interrupted while reading " + settings.name(), e);
            } catch (ExecutionException e) {
                return null;
            }
        }

        /** One parser reads on from chunk {@code c}'s start: its bytes, those of the chunks after it, then the rest. */
        private void startFallback(Chunk c) {
            List<InputStream> parts = new ArrayList<>();
            parts.add(new ByteArrayInputStream(c.bytes, 0, c.length));
            for (Chunk d : inFlight) {
                d.parsed.cancel(true);
                parts.add(new ByteArrayInputStream(d.bytes, 0, d.length));
            }
            inFlight.clear();
            parts.add(new ByteArrayInputStream(java.util.Arrays.copyOf(carry, carryLength)));
            carryLength = 0;
            parts.add(in);
            executor.shutdownNow();
            LOG.debug("{}: one thread reads on from byte {} (line {}, after record {})", settings.name(), c.offset,
                    c.line, counted);
            try {
                fallback = new Records(new SequenceInputStream(java.util.Collections.enumeration(parts)), c.offset, c.line,
                        counted);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + settings.name() + ": " + e.getMessage(), e);
            }
            fallback.convertTo(schema);
            source = fallback;
        }

        /** Stops the workers and returns once their threads have ended (each within a record of its chunk). */
        void close() {
            closed = true;
            executor.shutdownNow();
            List<Thread> started;
            synchronized (workers) {
                started = List.copyOf(workers);
            }
            try {
                for (Thread t : started) {
                    t.join(TimeUnit.MINUTES.toMillis(1));
                    if (t.isAlive()) {
                        LOG.warn("{}: thread {} parsing a chunk did not end within a minute of close()", settings.name(),
                                t.getName());
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();     // closed anyway: the workers end at their next record
            }
            if (fallback != null) {
                fallback.close();
            }
        }
    }

    /**
     * The input's records, one at a time, from a top-level array or a sequence of top-level values (JSON Lines). A
     * record that is not an object or has a key twice is returned with its problem; so is invalid JSON in a sequence
     * of UTF-8 records: its text runs to the next line that starts with <code>{</code>, where a new parser goes on (so
     * that a resume under any policy can skip it). Invalid JSON in an array, or in UTF-16 or UTF-32 input, fails:
     * nothing tells where the next record starts.
     */
    private final class Records {
        private final InputStream in;
        private final Recorder recorder;
        private final Flattener flattener = settings.flatten() == null ? null : new Flattener(settings.flatten());
        private JsonParser parser;
        private KeyCheck keys;
        private long parserOffset;    // absolute byte offset where the parser started
        private long parserLine = 1;  // the line it started on (at the line's start)
        private long endOffset;       // absolute byte offset after the last record (or where the parser started)
        private long endLine = 1;     // the line of that offset
        private Boolean array;        // null until the first token is read
        private long number;
        private boolean end;
        private boolean resynced;     // invalid JSON was met: reading went on at a later line
        // once the schema is known (and without flatten): objects are read straight into its columns, no tree
        private Schema columns;
        private int[] tokenKinds;
        private final StringBuilder textBuffer = new StringBuilder(256);    // a JSON column's text
        private String unstorable;    // what in that text PostgreSQL cannot hold (JsonTypes.unstorable), or null
        private BigDecimal wide;      // the first number in that text beyond numeric's range, which jsonb cannot hold
        // trees whose decimals keep their text as written, for a text column
        private final JsonTypes.WrittenNumbers numbers = new JsonTypes.WrittenNumbers();
        private final ObjectReader trees = MAPPER.reader().with(numbers);

        Records(InputStream in) throws IOException {
            this.in = in;
            this.recorder = new Recorder(in);
            // Jackson drops one UTF-8 byte-order mark; a tool writing one before text that already starts with one
            // leaves two or more: the parser starts after them all, positions still count the input's bytes
            long marks = 0;
            while (utf8Mark(marks) && utf8Mark(marks + 3)) {
                marks += 3;
            }
            if (marks > 0) {
                marks += 3;
                recorder.seek(marks);
                parserOffset = marks;
                endOffset = marks;
            }
            startParser();
        }

        private boolean utf8Mark(long at) throws IOException {
            return recorder.byteAt(at) == 0xEF && recorder.byteAt(at + 1) == 0xBB && recorder.byteAt(at + 2) == 0xBF;
        }

        /**
         * The JSON Lines records of {@code in}, the input's bytes from absolute {@code offset} on, a line's start on
         * line {@code line}, after {@code number} records: a chunk, or the rest of the input after one.
         */
        Records(InputStream in, long offset, long line, long number) throws IOException {
            this(in, new Recorder(in, offset), offset, line, number);
        }

        /** The JSON Lines records of a chunk: its first {@code length} bytes, as {@link #Records(InputStream, long, long, long)}. */
        Records(byte[] bytes, int length, long offset, long line, long number) throws IOException {
            this(InputStream.nullInputStream(), new Recorder(bytes, length, offset), offset, line, number);
        }

        private Records(InputStream in, Recorder recorder, long offset, long line, long number) throws IOException {
            this.in = in;
            this.recorder = recorder;
            this.parserOffset = offset;
            this.endOffset = offset;
            this.parserLine = line;
            this.endLine = line;
            this.number = number;
            this.array = false;
            startParser();
        }

        /** {@code p} with its bad record's text taken now (from the bytes held), when it has none yet. */
        Parsed withText(Parsed p) {
            Problem problem = p.problem();
            if (problem == null || problem.text() != null) {
                return p;
            }
            return p.bad(new Problem(problem.where(), problem.reason(), text(p)));
        }

        private void startParser() throws IOException {
            parser = MAPPER.getFactory().createParser(recorder);
            numbers.readFrom(parser);
            keys = new KeyCheck(parser);
            if (columns != null) {
                keys.columns(columns);
            }
        }

        /** Reads the next records' objects straight into the columns of {@code s} (not with flatten, which needs trees). */
        void convertTo(Schema s) {
            if (flattener != null) {
                return;
            }
            columns = s;
            tokenKinds = new int[s.size()];
            for (int i = 0; i < s.size(); i++) {
                tokenKinds[i] = JsonTypes.tokenKind(s.field(i).type());
            }
            keys.columns(s);
        }

        private long offset(JsonLocation at) {
            long local = at.getByteOffset();
            return local < 0 ? -1 : parserOffset + local;
        }

        private long line(JsonLocation at) {
            return parserLine + at.getLineNr() - 1;
        }

        /** The next record, or null at the end of the input. */
        Parsed next() {
            if (end) {
                return null;
            }
            boolean counted = false;
            try {
                JsonToken token = parser.nextToken();
                if (array == null) {
                    if (token == null) {
                        end = true;
                        return null;
                    }
                    array = token == JsonToken.START_ARRAY;
                    if (parser.currentTokenLocation().getByteOffset() < 0) {
                        recorder.stopRecording();    // UTF-16 or UTF-32: the parser counts characters, not bytes
                    }
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
                JsonLocation at = parser.currentTokenLocation();
                long line = line(at);
                long start = offset(at);
                number++;
                counted = true;
                if (token != JsonToken.START_OBJECT) {
                    String what = describe(token);
                    JsonNode value = trees.readTree(parser);   // read to its end: the next record follows
                    Parsed p = parsed(null, null, line, start).checkedBy(() -> Recorder.check(value.toString()));
                    return p.bad(new Problem(where(line), "the record is " + what + ", not an object (a file holds an"
                            + " array of objects, or one object per line)", text(start, p.endOffset(), value)));
                }
                keys.startRecord();
                if (columns != null && recorder.recording()) {
                    // straight into the columns; a bad record's text is then always its bytes, held while recording
                    Object[] values = new Object[columns.size()];
                    Misfit misfit = readValues(values, line);
                    Parsed p = parsed(null, values, line, start);
                    if (keys.duplicate() != null) {
                        return p.bad(duplicate(line));
                    }
                    return misfit == null ? p : p.bad(misfit.problem);
                }
                ObjectNode object = trees.readTree(keys);
                Parsed p = parsed(object, null, line, start);
                if (keys.duplicate() != null) {
                    return p.bad(duplicate(line));
                }
                if (flattener != null) {
                    try {
                        p = p.flattened(flattener.flatten(object));
                    } catch (Flattener.Clash c) {
                        end = true;
                        throw new BadInputException(where(line), c.getMessage());
                    }
                }
                return p;
            } catch (JsonParseException | StreamConstraintsException e) {
                // not JSON, or beyond the parser's limits (nesting depth, a number's or a string's length)
                return notReadable(e, counted);
            } catch (NumberFormatException e) {
                // a number the parser read but cannot hold as a BigDecimal (an exponent beyond an int's range): beyond
                // its limits too, found when the number is converted (to a node, a column's value or a JSON text)
                return notReadable(new JsonParseException(parser, "the number is beyond a decimal's range: "
                        + firstLine(e.getMessage()), parser.currentTokenLocation(), e), counted);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + settings.name() + ": " + e.getMessage(), e);
            }
        }

        /**
         * After invalid JSON or JSON beyond the parser's limits: in JSON Lines (UTF-8) the bad record, after which a new
         * parser reads on ({@link #resync}); else fails naming file and line.
         */
        private Parsed notReadable(JsonProcessingException e, boolean counted) {
            if (array == null) {
                array = false;     // not even a first token: not an array
            }
            JsonLocation at = e.getLocation() != null ? e.getLocation() : parser.currentLocation();
            if (at.getByteOffset() < 0) {
                recorder.stopRecording();    // UTF-16 or UTF-32: offsets are not bytes, lines cannot be found
            }
            if (!array && recorder.recording()) {
                try {
                    return resync(e, at, counted);
                } catch (IOException io) {
                    throw new UncheckedIOException("cannot read " + settings.name() + ": " + io.getMessage(), io);
                }
            }
            throw bad(at, e.getOriginalMessage());
        }

        private InputLocation where(long line) {
            return InputLocation.of(settings.name()).withLine(line).withRecordNumber(number);
        }

        /** The record just read has a key twice in one object, as {@link KeyCheck} found. */
        private Problem duplicate(long line) {
            String key = JsonTypes.visible(keys.duplicate());
            String top = JsonTypes.visible(keys.duplicateTopLevelKey());
            JsonLocation dup = keys.duplicateAt();
            return new Problem(where(line).withColumn(top), "the key '" + key + "' is twice in one object"
                    + (key.equals(top) ? "" : " (inside '" + top + "')") + ", at line " + line(dup)
                    + (dup.getColumnNr() > 0 ? " character " + dup.getColumnNr() : "")
                    + ": which value is meant is not known", null);
        }

        /**
         * Reads the members of the object whose <code>{</code> was just read, each value converted to its column in
         * {@code values}, and the object's <code>}</code>: the checks and messages of {@link #record}, in the same
         * order, without a tree. The first misfit is returned; the rest of the record is still read (as trees), so
         * that invalid JSON or a duplicate key later in it is found as when the record was read whole.
         */
        private Misfit readValues(Object[] values, long line) throws IOException {
            Misfit misfit = null;
            while (keys.nextToken() == JsonToken.FIELD_NAME) {
                String key = keys.currentName();
                int i = misfit == null ? keys.topLevelColumn() : -1;
                JsonToken token = keys.nextToken();
                if (i < 0) {
                    if (misfit == null && !settings.ignoreUnknownFields()) {
                        misfit = unknownKey(where(line), columns, key);
                    }
                    trees.readTree(keys);    // read as the tree reader did: to its end, strings and numbers parsed
                    continue;
                }
                Field field = columns.field(i);
                int kind = tokenKinds[i];
                Object value;
                if (token == JsonToken.VALUE_NULL) {
                    value = null;
                } else if ((kind == JsonTypes.JSON_KIND || kind == JsonTypes.STRING_KIND)
                        && (token == JsonToken.START_OBJECT || token == JsonToken.START_ARRAY)) {
                    unstorable = null;
                    wide = null;
                    value = jsonText(token);
                    if (unstorable != null) {
                        String what = token == JsonToken.START_OBJECT ? "an object" : "an array";
                        misfit = new Misfit(where(line).withColumn(field.name()).withExcerpt(what), what + " "
                                + JsonTypes.unstorableReason(unstorable, true));
                        continue;
                    }
                    if (wide != null && kind == JsonTypes.JSON_KIND) {
                        String what = token == JsonToken.START_OBJECT ? "an object" : "an array";
                        misfit = new Misfit(where(line).withColumn(field.name()).withExcerpt(what), what
                                + " holds the number " + wide + ", which is " + JsonTypes.beyondNumericReason()
                                + ", so jsonb cannot hold it");
                        continue;
                    }
                } else {
                    value = JsonTypes.fromToken(keys, token, kind);
                }
                if (value == JsonTypes.AS_TREE) {
                    JsonNode node = trees.readTree(keys);
                    try {
                        value = convert(node, field);
                    } catch (JsonTypes.Mismatch m) {
                        misfit = mismatch(where(line), field, node, m);
                        continue;
                    }
                }
                values[i] = value;
                if (value == null && !field.nullable()) {
                    misfit = nullInRequired(where(line), field);
                }
            }
            for (int i = 0; misfit == null && i < values.length; i++) {
                if (values[i] == null && !columns.field(i).nullable()) {
                    misfit = missingRequired(where(line), columns.field(i));    // a null value failed above
                }
            }
            return misfit;
        }

        /**
         * The object or array whose first token was just read, read to its end, as its JSON text: the text Jackson's
         * tree gives ({@code JsonNode.toString()}), written as the tokens are read: compact, decimals as written, trailing
         * zeros too (as the tree holds them), in {@code BigDecimal.toString()}'s form, strings escaped as Jackson's
         * generator escapes them by default ({@code \"}, {@code \\}, {@code \n} and the like, other control characters
         * as upper-case {@code \}{@code u00XX}, everything else as is).
         */
        private String jsonText(JsonToken first) throws IOException {
            StringBuilder out = textBuffer;
            out.setLength(0);
            int depth = 0;
            boolean comma = false;     // a member or element came before in the open object or array
            JsonToken t = first;
            while (true) {
                switch (t) {
                    case START_OBJECT, START_ARRAY -> {
                        if (comma) {
                            out.append(',');
                        }
                        out.append(t == JsonToken.START_OBJECT ? '{' : '[');
                        depth++;
                        comma = false;
                    }
                    case END_OBJECT, END_ARRAY -> {
                        out.append(t == JsonToken.END_OBJECT ? '}' : ']');
                        depth--;
                        comma = true;
                    }
                    case FIELD_NAME -> {
                        if (comma) {
                            out.append(',');
                        }
                        quoted(out, keys.currentName());
                        out.append(':');
                        comma = false;     // the value follows the colon
                    }
                    default -> {
                        if (comma) {
                            out.append(',');
                        }
                        scalar(out, t);
                        comma = true;
                    }
                }
                if (depth == 0) {
                    return out.toString();
                }
                t = keys.nextToken();
                if (t == null) {
                    throw new IllegalStateException("the input ends inside a JSON value");   // the parser fails first
                }
            }
        }

        private void scalar(StringBuilder out, JsonToken t) throws IOException {
            switch (t) {
                case VALUE_STRING -> quoted(out, keys.getText());
                case VALUE_NUMBER_INT -> {
                    switch (keys.getNumberType()) {
                        case INT -> out.append(keys.getIntValue());
                        case LONG -> out.append(keys.getLongValue());
                        default -> out.append(keys.getBigIntegerValue());
                    }
                }
                case VALUE_NUMBER_FLOAT -> {
                    BigDecimal d = keys.getDecimalValue();     // as written (9.50), as the tree holds it
                    if (wide == null && JsonTypes.beyondNumeric(d)) {
                        wide = d;
                    }
                    out.append(d);
                }
                case VALUE_TRUE -> out.append("true");
                case VALUE_FALSE -> out.append("false");
                case VALUE_NULL -> out.append("null");
                default -> throw new IllegalStateException("unexpected token " + t + " in a JSON value");
            }
        }

        /**
         * {@code s} as a JSON string, escaped as Jackson's generator does by default; notes in {@link #unstorable} a
         * NUL character or half a surrogate pair, which PostgreSQL cannot hold.
         */
        private void quoted(StringBuilder out, String s) {
            out.append('"');
            int n = s.length();
            int from = 0;
            for (int i = 0; i < n; i++) {
                char c = s.charAt(i);
                if (c >= ESCAPES.length) {
                    if (Character.isSurrogate(c) && unstorable == null) {
                        unstorable = JsonTypes.unstorable(s.substring(i, Math.min(n, i + 2)));
                        if (unstorable == null) {
                            i++;     // a whole pair
                        }
                    }
                    continue;
                }
                if (ESCAPES[c] == 0) {
                    continue;
                }
                if (c == 0 && unstorable == null) {
                    unstorable = JsonTypes.unstorable("\0");
                }
                out.append(s, from, i).append('\\');
                int e = ESCAPES[c];
                if (e > 0) {
                    out.append((char) e);
                } else {
                    out.append("u00").append(HEX[c >> 4]).append(HEX[c & 0xF]);
                }
                from = i + 1;
            }
            out.append(s, from, n).append('"');
        }

        /** The record just read, ending where the parser is. */
        private Parsed parsed(ObjectNode object, Object[] values, long line, long start) {
            JsonLocation after = parser.currentLocation();
            endOffset = offset(after);
            endLine = line(after);
            long check = recorder.check(start, endOffset);
            if (check < 0 && object != null) {
                check = Recorder.check(object.toString());    // UTF-16 or UTF-32: its JSON as parsed
            }
            return new Parsed(object, values, number, line, start, endOffset, null, check);
        }

        /**
         * After invalid JSON in a sequence of records: the bad record runs from the first character after the last
         * record to the next line that starts with <code>{</code> (or the end of the input), where a new parser starts.
         */
        private Parsed resync(JsonProcessingException e, JsonLocation at, boolean counted) throws IOException {
            long from = endOffset;
            long line = endLine;
            if (from == 0 && utf8Mark(0)) {
                from = 3;     // a UTF-8 byte-order mark
            }
            // lines end as Jackson ends them (and numbers the lines of the other records): CR, LF or CRLF
            for (int prev = -1, b = recorder.byteAt(from); isBlank(b); prev = b, b = recorder.byteAt(++from)) {
                if (b == '\r' || b == '\n' && prev != '\r') {
                    line++;
                }
            }
            if (recorder.byteAt(from) < 0) {
                throw bad(at, e.getOriginalMessage());    // nothing left to blame
            }
            long next = from;
            long nextLine = line;
            for (int prev = -1, b = recorder.byteAt(next); b >= 0; prev = b, b = recorder.byteAt(++next)) {
                if ((prev == '\n' || prev == '\r') && b == '{') {
                    break;
                }
                if (b == '\r' || b == '\n' && prev != '\r') {
                    nextLine++;
                }
            }
            long to = next;
            while (to > from + 1 && isBlank(recorder.byteAt(to - 1))) {
                to--;     // trailing blanks are not the record's
            }
            resynced = true;
            if (!counted) {
                number++;
            }
            String reason = "not valid JSON" + (at != null && at.getLineNr() > 0 ? " (line " + line(at)
                    + (at.getColumnNr() > 0 ? " character " + at.getColumnNr() : "") + ")" : "") + ": "
                    + firstLine(e.getOriginalMessage());
            if (utf8Mark(from)) {
                // Jackson says 'Invalid UTF-8 start byte 0xbb' of these valid bytes, two characters further on
                long character = characterAt(from);
                reason = "not valid JSON (line " + line + (character > 0 ? " character " + character : "") + "): a"
                        + " byte-order mark (U+FEFF, bytes EF BB BF) where a record starts, as where files that each"
                        + " start with one were joined: remove it";
            }
            reason += settings.onBadRecord() == OnBadRecord.FAIL ? ""
                    : "; reading goes on at the next line that starts with '{'";
            InputLocation where = InputLocation.of(settings.name()).withLine(line).withRecordNumber(number);
            String text = recorder.text(from, to);
            long check = recorder.check(from, to);
            recorder.seek(next);
            parser.close();    // its input, the recorder, stays open
            parserOffset = next;
            parserLine = nextLine;
            endOffset = next;
            endLine = nextLine;
            startParser();
            return new Parsed(null, null, number, line, from, to, new Problem(where, reason, text == null ? "" : text),
                    check);
        }

        /**
         * The character (from 1) of the byte {@code offset} in its line, counted in the bytes held since the last
         * record's end; 0 when its line starts before them.
         */
        private long characterAt(long offset) throws IOException {
            long characters = 1;
            for (long i = offset - 1; ; i--) {
                if (i < endOffset) {
                    return endOffset == 0 ? characters : 0;
                }
                int b = recorder.byteAt(i);
                if (b == '\n' || b == '\r') {
                    return characters;
                }
                if ((b & 0xC0) != 0x80) {
                    characters++;    // not a UTF-8 continuation byte: a character starts here
                }
            }
        }

        private static boolean isBlank(int b) {
            return b == ' ' || b == '\t' || b == '\r' || b == '\n';
        }

        /**
         * A bad record's text as read, without the blank after it (a number or a literal ends after the blank that
         * ends it): its bytes while they are held, else its JSON as parsed.
         */
        private String text(long from, long to, JsonNode parsed) {
            String held = from >= 0 && recorder.recording() ? recorder.text(from, to) : null;
            return held != null ? held.stripTrailing() : parsed != null ? parsed.toString() : "";
        }

        /** The text of a record parsed as an object (for one found bad only when converted), as read: not flattened. */
        String text(Parsed p) {
            return text(p.startOffset(), p.endOffset(), p.parsed() != null ? p.parsed() : p.object());
        }

        void release(long offset) {
            if (offset >= 0) {
                recorder.release(offset);
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
                where = where.withLine(line(at));
            }
            String column = at != null && at.getColumnNr() > 0 ? " (character " + at.getColumnNr() + " of the line)" : "";
            String record = number > 0 ? ", in or after record " + number : "";
            return new BadInputException(where, "not valid JSON" + column + record + ": " + firstLine(message));
        }

        /**
         * The first line of a parser's message, without its advice to enable a parser feature (no setting of the
         * source reaches the parser it owns): "…: not allowed in JSON" instead.
         */
        private String firstLine(String message) {
            if (message == null) {
                return "unreadable";
            }
            int nl = message.indexOf('\n');
            String line = nl < 0 ? message : message.substring(0, nl);
            line = PARSER_FEATURE_ADVICE.matcher(line).replaceAll(": not allowed in JSON");
            // "expected close marker for Object (start marker at [Source: REDACTED (...); line: 3, column: 1])": the
            // line is the parser's, which starts after the last bad record; say where in the file it opened
            java.util.regex.Matcher m = START_MARKER.matcher(line);
            if (m.find()) {
                String what = line.startsWith("Object", m.start() - 6) ? "the object" : line.startsWith("Array",
                        m.start() - 5) ? "the array" : "it";
                line = line.substring(0, m.start()) + " (" + what + " opened at line " + (parserLine
                        + Long.parseLong(m.group(1)) - 1) + " character " + m.group(2) + ")" + line.substring(m.end());
            }
            return line;
        }

        void close() {
            try {
                parser.close();
                recorder.closeInput();
            } catch (IOException e) {
                LOG.debug("{}: closing failed: {}", settings.name(), e.toString());
            }
        }
    }
}
