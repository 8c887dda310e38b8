package dev.mds.connector.json;

import dev.mds.connector.json.internal.JsonReading;
import dev.mds.core.FieldType;
import dev.mds.core.RecordBatch;
import dev.mds.core.Schema;
import dev.mds.core.SourcePosition;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * Reads a JSON file as a stream of typed {@link RecordBatch}es, one column per top-level key, in file order, each
 * batch carrying the position to resume right after it. The file holds an array of objects ({@code [{…}, {…}]}) or
 * objects one after another (JSON Lines, {@code {…}\n{…}}); which one is seen from its first character.
 *
 * <pre>{@code
 * try (JsonSource json = JsonSource.builder()
 *         .path(Path.of("reviews.json"))
 *         .type("rating", FieldType.JSON)             // the others inferred from the first records
 *         .onBadRecord(OnBadRecord.DEAD_LETTER)         // bad records ride in their batch: batch.rejected()
 *         .build()) {
 *     json.batches().forEach(loader::load);
 * }
 * }</pre>
 *
 * <p>Types, unless declared: a key whose values include an object or an array is a {@link FieldType#JSON} column
 * (jsonb: flatten it in SQL, {@code rating ->> 'rate'}); otherwise booleans are {@link FieldType#BOOLEAN}, whole
 * numbers {@link FieldType#LONG}, numbers with a fraction or beyond a long {@link FieldType#DECIMAL} (exact), strings
 * {@link FieldType#TIMESTAMPTZ} when every one is an ISO 8601 date-time with an offset ({@code +01:00},
 * {@code +0100} or {@code Z}), {@link FieldType#DATE} when every one is a date, else {@link FieldType#STRING}; a key
 * with values of several kinds (a number here, a string there) is STRING, each value its JSON text. A missing key
 * and {@code null} are NULL. Nothing is rounded or guessed: a later value that does not fit its column (a string in
 * a bigint column, {@code 1.5} in a bigint column, a whole number a double cannot hold) makes its record bad, named by
 * file, line, record and key; a bad record fails the read, or is skipped or carried by its batch, as
 * {@link Builder#onBadRecord} says.
 *
 * <p>With {@link Builder#flatten(String)} nested objects are columns named by their path ({@code rating__rate}), and
 * only arrays are JSON.
 *
 * <p>A batch's {@link SourcePosition} has {@code json:<file>} as its source and the entries {@code record} (the
 * number of the batch's last record), {@code offset} (the byte after it; -1 in UTF-16 and UTF-32 input) and
 * {@code check} (a CRC-32 of that record's first and last 64 bytes; in UTF-16 and UTF-32 input, of its JSON as
 * parsed). Commit it with the load, then
 * {@link Builder#resumeFrom} it: the records before it are read again (to infer the same schema and to skip them),
 * and a file whose record ends elsewhere than the position says, or holds other bytes, is refused as replaced or
 * rewritten (a {@link dev.mds.core.BadInputException} naming the file); one that only grew is read on. Bad records
 * count as records: a batch's position is after the last record of its range, good or bad, so a resume does not hand
 * out again the bad records before it.
 */
public final class JsonSource implements AutoCloseable {
    private final JsonReading reading;

    private JsonSource(JsonReading.Settings settings) {
        this.reading = new JsonReading(settings);
    }

    /** A builder; see {@link Builder} for the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The columns: the declared schema, or one per key in the order first seen in the first
     * {@link Builder#sampleRows} records (then the keys declared with {@link Builder#type} but not seen). Bad records
     * among them add no key and no type; they are handled as {@link Builder#onBadRecord} says when handed out.
     *
     * @throws dev.mds.core.BadInputException when those records are in an array that is not valid JSON, or, under
     *     {@link Builder#flatten}, two keys become one column, naming file and line
     */
    public Schema schema() {
        return reading.schema();
    }

    /**
     * The batches, in file order; can be called once. An input without records gives one empty batch (so a loader
     * creates its table or, overwriting, empties it).
     *
     * <p>Under {@link OnBadRecord#DEAD_LETTER} each batch carries the bad records of its range
     * ({@link RecordBatch#rejected()}); a range of only bad records gives a batch of no records that carries them.
     * Under {@link OnBadRecord#SKIP}, records skipped after the last batch are covered by one more empty batch.
     *
     * @throws dev.mds.core.BadInputException (from the stream) at invalid JSON inside an array (under any policy), and
     *     under {@link OnBadRecord#FAIL} at the first record that is not valid JSON, not an object, has a key twice,
     *     a value that does not fit its column or a key outside the schema; batches before it have been handed out,
     *     none after
     * @throws UncheckedIOException (from the stream) when the file cannot be read
     */
    public Stream<RecordBatch> batches() {
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(reading.batches(),
                Spliterator.ORDERED | Spliterator.NONNULL), false).onClose(reading::close);
    }

    /** The records skipped or dead-lettered so far. */
    public long badRecords() {
        return reading.badRecords();
    }

    @Override
    public void close() {
        reading.close();
    }

    /**
     * Settings of a {@link JsonSource}. Defaults: types inferred from the first {@code sampleRows(10_000)} records,
     * {@code chunkRows(10_000)}, a key outside the schema makes its record bad ({@code ignoreUnknownFields(false)}),
     * a bad record fails the read ({@code onBadRecord(OnBadRecord.FAIL)}), one thread ({@code threads(1)}, chunks
     * of {@code chunkBytes(1 << 18)} when more).
     */
    public static final class Builder {
        private Path path;
        private InputStream stream;
        private String name;
        private Schema schema;
        private final Map<String, FieldType> types = new LinkedHashMap<>();
        private int sampleRows = 10_000;
        private int chunkRows = 10_000;
        private boolean ignoreUnknownFields;
        private OnBadRecord onBadRecord = OnBadRecord.FAIL;
        private String flatten;
        private SourcePosition resumeFrom;
        private int threads = 1;
        private int chunkBytes = 1 << 18;

        private Builder() {
        }

        /** The file to read (UTF-8, UTF-16 or UTF-32, detected as JSON allows). */
        public Builder path(Path path) {
            this.path = Objects.requireNonNull(path, "path");
            return this;
        }

        /** A stream to read instead of a file, named {@code name} in messages and positions; closed with the source. */
        public Builder stream(InputStream stream, String name) {
            this.stream = Objects.requireNonNull(stream, "stream");
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /** The columns, declared: no inference. Keys not in it fail the read unless {@link #ignoreUnknownFields}. */
        public Builder schema(Schema schema) {
            this.schema = Objects.requireNonNull(schema, "schema");
            return this;
        }

        /** The type of one key's column (the others inferred); a key not seen in the sample is added last. */
        public Builder type(String key, FieldType type) {
            if (Objects.requireNonNull(key, "key").isEmpty()) {
                throw new IllegalArgumentException("type: the key is empty");
            }
            types.put(key, Objects.requireNonNull(type, "type"));
            return this;
        }

        /**
         * How many records the type inference reads, at least 1; default 10,000. They are kept in memory until
         * handed out, so the input is read once.
         */
        public Builder sampleRows(int rows) {
            if (rows < 1) {
                throw new IllegalArgumentException("sampleRows must be at least 1, got " + rows);
            }
            this.sampleRows = rows;
            return this;
        }

        /** Records per batch, at least 1; default 10,000. Dead-lettered records count, skipped ones do not. */
        public Builder chunkRows(int rows) {
            if (rows < 1) {
                throw new IllegalArgumentException("chunkRows must be at least 1, got " + rows);
            }
            this.chunkRows = rows;
            return this;
        }

        /** Whether a key outside the schema is dropped (true) or makes its record bad, naming it (false, the default). */
        public Builder ignoreUnknownFields(boolean ignore) {
            this.ignoreUnknownFields = ignore;
            return this;
        }

        /**
         * What a record that cannot be read does (default {@link OnBadRecord#FAIL}): a value that does not fit its
         * column, a key outside the schema, a key twice in one object, a record that is not an object, and in JSON
         * Lines invalid JSON, after which reading goes on at the next line that starts with <code>{</code>. Invalid
         * JSON inside an array fails the read under every policy. {@link OnBadRecord#DEAD_LETTER} attaches each bad
         * record (file, line, record, key, reason, text) to the batch whose range holds it, so that mds-load stores
         * it in {@code <table>_rejected} in that batch's transaction.
         */
        public Builder onBadRecord(OnBadRecord policy) {
            this.onBadRecord = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * Nested objects as columns: the key {@code rate} inside {@code rating} becomes the column
         * {@code rating<separator>rate} ({@code flatten("__")}: {@code rating__rate}, as dlt names them), at any depth.
         * Arrays stay {@link FieldType#JSON}, an empty object gives no column, and a key holding an object in one record
         * and a value in another gives both columns. Inference and a declared {@link #schema} see the flattened names.
         * Two keys that become one name (a top-level {@code rating__rate} beside {@code rating.rate}) fail the read,
         * naming both. Default: off, an object is one jsonb column.
         */
        public Builder flatten(String separator) {
            if (Objects.requireNonNull(separator, "separator").isEmpty()) {
                throw new IllegalArgumentException("flatten: the separator is empty");
            }
            this.flatten = separator;
            return this;
        }

        /**
         * Threads parsing JSON Lines ahead of the consumer, 1 to 256; default 1: the consumer's thread, no thread
         * started. The input after the first records (the inference's sample, or one record; then up to the first
         * record that ends its line) is cut into chunks of about {@link #chunkBytes} before lines that start with
         * <code>{</code>, parsed in parallel and handed out in file order: the same batches, positions, record and
         * line numbers and bad records as on one thread. At most {@code threads + 1} chunks are read ahead. From a
         * chunk holding JSON that is not valid, or cut inside a record (a record over several lines, one of which
         * starts with <code>{</code>), one thread reads on to the end. An array, UTF-16 or UTF-32 input and
         * {@link #flatten} are read on one thread.
         */
        public Builder threads(int threads) {
            if (threads < 1 || threads > 256) {
                throw new IllegalArgumentException("threads must be between 1 and 256, got " + threads);
            }
            this.threads = threads;
            return this;
        }

        /**
         * The bytes of a chunk parsed by one of the {@link #threads}, about, 1 to 2^30 (as CsvSource's chunkBytes, a
         * long); default 256 KiB.
         */
        public Builder chunkBytes(long bytes) {
            if (bytes < 1 || bytes > 1 << 30) {
                throw new IllegalArgumentException("chunkBytes must be between 1 and 2^30, got " + bytes);
            }
            this.chunkBytes = (int) bytes;
            return this;
        }

        /** Start right after the batch that carried {@code position}. */
        public Builder resumeFrom(SourcePosition position) {
            this.resumeFrom = Objects.requireNonNull(position, "position");
            return this;
        }

        /**
         * A source with these settings; the input is opened on the first call of {@link JsonSource#schema()} or
         * {@link JsonSource#batches()}.
         *
         * @throws IllegalArgumentException when neither or both of path and stream are set, or types are declared
         *     beside a schema
         */
        public JsonSource build() {
            if ((path == null) == (stream == null)) {
                throw new IllegalArgumentException("set one of path(...) and stream(...)");
            }
            if (schema != null && !types.isEmpty()) {
                throw new IllegalArgumentException("type(...) and schema(...) are both set: declare the types in the schema");
            }
            String shown = path != null ? path.toString() : name;
            return new JsonSource(new JsonReading.Settings(path, stream, shown, schema, types, sampleRows, chunkRows,
                    ignoreUnknownFields, onBadRecord, flatten, resumeFrom, threads, chunkBytes));
        }
    }
}
