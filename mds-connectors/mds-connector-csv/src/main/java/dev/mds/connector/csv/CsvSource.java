package dev.mds.connector.csv;

import dev.mds.connector.csv.internal.CsvReading;
import dev.mds.connector.csv.internal.CsvSplitter;
import dev.mds.connector.csv.internal.Format;
import dev.mds.connector.csv.internal.Settings;
import dev.mds.core.FieldType;
import dev.mds.core.RecordBatch;
import dev.mds.core.Schema;
import dev.mds.core.SourcePosition;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * Reads a CSV file as a stream of typed {@link RecordBatch}es in file order, each carrying the position to
 * resume right after it. Record boundaries are exact even with newlines inside quoted fields, so the file can
 * be parsed by several threads with the same result as one; memory stays bounded by chunk size × parallelism.
 *
 * <pre>{@code
 * try (CsvSource csv = CsvSource.builder()
 *         .path(Path.of("transactions.csv"))
 *         .chunkRows(50_000)
 *         .parallelism(2)
 *         .build()) {
 *     csv.batches().forEach(loader::load);
 * }
 * }</pre>
 *
 * <p>Values are typed by the declared {@link Schema} or, without one, by types inferred from the first rows
 * (see {@link Builder#sampleRows}). Rows that cannot be read are handled as {@link OnBadRow} says.
 *
 * <p>A batch's {@link SourcePosition} has the file as its source and four entries: {@code offset} (the byte
 * after the batch's last record), {@code record} (the number of that record, bad rows counted), {@code line}
 * (the line where the next record starts) and {@code check} (a CRC-32 of the last bytes before the offset). Commit
 * it with the load, then {@link Builder#resumeFrom} it. Resuming a file refuses a position whose check no longer
 * matches the file's bytes: the file was replaced or rewritten under its name since, and reading on from the offset
 * would skip or repeat records, and one taken after a last record that ended the file without a line end when the
 * file now continues that line (the record was read while being written). A stream, and a file in an encoding that is
 * not ASCII-compatible, are checked the same way as the resume reads them from their start up to the position.
 *
 * <p>How records are found: one sequential pass over the bytes cuts whole records into chunks. With RFC 4180
 * quoting a line feed ends a record exactly when an even number of quotes precede it in the record (every quote,
 * doubled ones included, toggles "inside quotes"), so the cut is exact without parsing; with an escape
 * character, comments or lenient quotes a small quote state machine does the same. The chunks are then parsed
 * on {@code parallelism} threads and handed out in file order, so 1 and N threads give identical batches.
 * Strict quoting means a stray quote inside an unquoted field pairs with the next quote: the row is bad and
 * runs on to it (use {@link Builder#lenientQuotes} for files with such quotes).
 */
public final class CsvSource implements AutoCloseable {
    private final CsvReading reading;

    private CsvSource(Settings settings) {
        this.reading = new CsvReading(settings);
    }

    /** A builder; see {@link Builder} for the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The columns of the batches: the declared schema, or the header's names with inferred types (overrides
     * applied). Opens the file on first use.
     *
     * @throws dev.mds.core.BadInputException when the header is malformed or does not match the declared schema
     */
    public Schema schema() {
        return reading.schema();
    }

    /**
     * The batches, in file order; can be called once. Closing the stream (or this source) stops the reading
     * threads. A chunk whose rows were all bad gives no batch (the next batch's position covers it), except at
     * the end of the input: there an empty batch carries the position past those rows, so that resuming from the
     * last position does not hand them to the sink again. Under {@link OnBadRow#DEAD_LETTER} without a sink each
     * batch carries the bad rows of its range ({@link RecordBatch#rejected()}), and a chunk of only bad rows gives
     * a batch of no records that carries them.
     *
     * @throws dev.mds.core.BadInputException (from the stream) on the first bad row under {@link OnBadRow#FAIL};
     *     batches before it have been handed out, none after
     * @throws UncheckedIOException (from the stream) when the file cannot be read
     */
    public Stream<RecordBatch> batches() {
        var it = reading.batches();
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(it,
                Spliterator.ORDERED | Spliterator.NONNULL), false).onClose(reading::close);
    }

    /** The rows skipped or dead-lettered so far. */
    public long badRows() {
        return reading.badRows();
    }

    @Override
    public void close() {
        reading.close();
    }

    /**
     * Splits an RFC 4180 CSV file with a header line into files of {@code chunkRows} records each, named
     * {@code <name>_00001.csv}, … in {@code directory} (created if needed), each starting with the header.
     * Records are copied byte for byte, so quoted newlines stay intact; UTF-8 byte-order marks at the start are
     * dropped.
     *
     * <p>Safe to run again after a failure: each chunk is written to a hidden temporary file and renamed to its
     * name only once complete, so a crash or a full disk never leaves a partial chunk under a chunk's name. Files
     * named like this split's chunks ({@code <name>_<number>.csv}) that start with the input's header line, left by
     * an earlier split of a file of the same name, and temporary files of an interrupted split, are deleted before
     * the first chunk is written, so the directory never mixes two splits; a file with such a name but another first
     * line is not a chunk, and the split is refused, naming it, before anything is written. Until this method
     * returns, the directory holds only the first chunks: the returned list is the complete split.
     *
     * @return the chunk files, in order (none for a file without records)
     * @throws dev.mds.core.BadInputException when the header line is malformed (a bare CR line end, a quote it never
     *     closes), as the whole file would then be one header, or when the file is in UTF-16 or UTF-32 (it starts
     *     with such a byte-order mark, or its header line holds NUL bytes), whose records cannot be cut by their
     *     bytes; nothing is written or deleted
     */
    public static List<Path> split(Path path, Path directory, int chunkRows) {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(directory, "directory");
        if (chunkRows < 1) {
            throw new IllegalArgumentException("chunkRows must be at least 1, not " + chunkRows);
        }
        try {
            return CsvSplitter.split(Format.rfc4180(), path, directory, chunkRows);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot split " + path + ": " + e.getMessage(), e);
        }
    }

    /**
     * Collects the input, format and reading options. Defaults: {@link Header#FIRST_LINE}, types inferred from
     * 1,000 sample rows, chunks of 10,000 rows (no byte limit), parallelism 1 (no threads started),
     * {@link OnBadRow#FAIL}, delimiter {@code ,}, quote {@code "} (doubled inside quoted fields), no escape
     * character, no comments, an empty unquoted field is NULL, no trimming, UTF-8 with its byte-order mark
     * dropped, strict quotes.
     *
     * <p>Types: long, int, decimal (with a declared precision and scale, values are rounded half away from zero to the
     * scale, as PostgreSQL does, and those that then do not fit are bad rows), double, boolean (as PostgreSQL reads it:
     * {@code true/false/yes/no/on/off/1/0} and unique prefixes such as {@code t}, {@code f}, {@code y}, {@code n}, in
     * any case, white space around allowed), date ({@code yyyy-MM-dd}; a year of more digits and {@code " BC"} at the
     * end, as PostgreSQL writes them, are read too: {@code 0044-03-15 BC} is year -43, as pgjdbc reads it; a value
     * beyond PostgreSQL's range is bad), timestamp and timestamptz ({@code yyyy-MM-dd[T ]HH:mm[:ss[.fraction]]}, the
     * same for the year, the latter with {@code Z}, {@code ±HH}, {@code ±HHmm}, {@code ±HH:mm} or {@code ±HH:mm:ss};
     * without an offset it is read as UTC; PostgreSQL's {@code infinity} and {@code -infinity} in any case, as its COPY
     * TO writes them, read as the type's {@code MAX} and {@code MIN}, as pgjdbc reads them), time, uuid (in the forms PostgreSQL reads: any case, in braces or not, with or without
     * hyphens after groups of four digits), json (text), bytes (hex, optionally after {@code \x}), string. An empty
     * field of a non-text type is NULL. Numbers, dates, timestamps and times may have white space around them (space,
     * tab, CR, LF, FF, VT) and integers any number of leading zeros, as PostgreSQL's input reads them; inference takes
     * such a column for text.
     */
    public static final class Builder {
        private static final int DEFAULT_MAX_RECORD_BYTES = 256 << 20;
        private static final long MIN_RECORD_BYTES = 64 << 10;
        private static final long MAX_RECORD_BYTES = Integer.MAX_VALUE - 8;   // the largest array the JVM makes
        private Path path;
        private InputStream stream;
        private String name;
        private Header header = Header.FIRST_LINE;
        private Schema schema;
        private final Map<String, FieldType> types = new LinkedHashMap<>();
        private int sampleRows = 1_000;
        private int chunkRows = 10_000;
        private long chunkBytes = Long.MAX_VALUE;
        private int maxRecordBytes = DEFAULT_MAX_RECORD_BYTES;
        private int parallelism = 1;
        private OnBadRow onBadRow = OnBadRow.FAIL;
        private BadRowSink sink;
        private char delimiter = ',';
        private char quote = '"';
        private int escape = -1;
        private int comment = -1;
        private String nullString = "";
        private boolean trim;
        private Charset encoding = StandardCharsets.UTF_8;
        private boolean keepByteOrderMark;
        private boolean lenientQuotes;
        private SourcePosition resumeFrom;

        private Builder() {
        }

        /** The file to read. */
        public Builder path(Path path) {
            this.path = Objects.requireNonNull(path, "path");
            return this;
        }

        /**
         * A stream to read instead of a file, named {@code name} in messages and positions; closing the source
         * closes it. Resuming skips bytes up to the position.
         */
        public Builder stream(InputStream stream, String name) {
            this.stream = Objects.requireNonNull(stream, "stream");
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /** Where the column names come from (default {@link Header#FIRST_LINE}). */
        public Builder header(Header header) {
            this.header = Objects.requireNonNull(header, "header");
            return this;
        }

        /** The columns and their types; matched to the header by name (any order), or by position without one. */
        public Builder schema(Schema schema) {
            this.schema = Objects.requireNonNull(schema, "schema");
            return this;
        }

        /** The type of one column, over the inferred one. */
        public Builder type(String column, FieldType type) {
            types.put(Objects.requireNonNull(column, "column"), Objects.requireNonNull(type, "type"));
            return this;
        }

        /**
         * How many rows type inference looks at (default 1,000): the file's first ones, also when the read resumes
         * from a position, so that a resumed read types its batches as the uninterrupted read does. A file that held
         * fewer rows at an earlier run and has grown since may infer other types now: declare them for such a file.
         * A later value that does not fit an inferred type is a bad row; under {@link OnBadRow#FAIL} the exception
         * says the type was inferred and from how many records. Numbers with a leading zero ({@code 01234}) make a
         * column text; one after the sample in a column inferred as a number is a bad row, not a number that lost
         * its zero. Likewise a timestamp without a UTC offset after the sample of a column inferred as timestamptz
         * (every sampled value had an offset) is a bad row, not a time read as UTC.
         */
        public Builder sampleRows(int rows) {
            if (rows < 1) {
                throw new IllegalArgumentException("sampleRows must be at least 1, not " + rows);
            }
            this.sampleRows = rows;
            return this;
        }

        /** Records per batch (default 10,000); bad rows left out make a batch smaller. */
        public Builder chunkRows(int rows) {
            if (rows < 1) {
                throw new IllegalArgumentException("chunkRows must be at least 1, not " + rows);
            }
            this.chunkRows = rows;
            return this;
        }

        /** Ends a batch at the first record boundary after about this many bytes (no limit by default). */
        public Builder chunkBytes(long bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException("chunkBytes must be at least 1, not " + bytes);
            }
            this.chunkBytes = bytes;
            return this;
        }

        /**
         * The longest record, in bytes, the source holds in memory (default 256 MiB; from 64 KiB up to about 2 GiB).
         * A longer record fails the read with a {@code BadInputException} naming the file and the line it starts on:
         * a quote that is never closed (or a quote inside an unquoted field) runs on to the next quote or the end of
         * the input, and would otherwise be buffered whole, however large the file. A batch that would outgrow it
         * ends at the last whole record before (the next batch goes on from there). PostgreSQL holds no field over
         * 1 GB.
         */
        public Builder maxRecordBytes(long bytes) {
            if (bytes < MIN_RECORD_BYTES || bytes > MAX_RECORD_BYTES) {
                throw new IllegalArgumentException("maxRecordBytes must be between " + MIN_RECORD_BYTES + " and "
                        + MAX_RECORD_BYTES + ", not " + bytes);
            }
            this.maxRecordBytes = (int) bytes;
            return this;
        }

        /**
         * Threads parsing chunks ahead of the consumer (default 1: the consumer's thread, no thread started). At
         * most {@code parallelism + 1} chunks are read ahead, so memory holds about {@code parallelism + 2}
         * chunks (their bytes and records) whatever the file's size.
         */
        public Builder parallelism(int threads) {
            if (threads < 1 || threads > 256) {
                throw new IllegalArgumentException("parallelism must be between 1 and 256, not " + threads);
            }
            this.parallelism = threads;
            return this;
        }

        /**
         * What to do with a row that cannot be read (default {@link OnBadRow#FAIL}). {@link OnBadRow#DEAD_LETTER}
         * without a sink attaches each bad row to the batch whose range holds it ({@link RecordBatch#rejected()}), so
         * that the loader stores it in that batch's transaction: mds-load writes it to {@code <table>_rejected} under
         * its own {@code OnBadRow.DEAD_LETTER} and fails the batch naming it under {@code FAIL}. A chunk whose rows
         * are all bad then gives a batch without records that carries them.
         */
        public Builder onBadRow(OnBadRow policy) {
            this.onBadRow = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * A policy with a sink that receives the bad rows under {@link OnBadRow#DEAD_LETTER}, outside any load's
         * transaction: after a crash the rows of batches not committed reach it again. Prefer
         * {@link #onBadRow(OnBadRow)}, whose batches carry their bad rows into the load's transaction.
         */
        public Builder onBadRow(OnBadRow policy, BadRowSink sink) {
            this.onBadRow = Objects.requireNonNull(policy, "policy");
            this.sink = Objects.requireNonNull(sink, "sink");
            return this;
        }

        /** The field separator, an ASCII character (default {@code ,}). */
        public Builder delimiter(char delimiter) {
            this.delimiter = ascii(delimiter, "delimiter");
            return this;
        }

        /** The quote character, an ASCII character (default {@code "}); doubled inside a quoted field. */
        public Builder quote(char quote) {
            this.quote = ascii(quote, "quote");
            return this;
        }

        /** An escape character such as {@code \} (none by default: RFC 4180 doubles quotes). */
        public Builder escape(char escape) {
            this.escape = ascii(escape, "escape");
            return this;
        }

        /** Lines starting with this character are comments and skipped (none by default). */
        public Builder commentMarker(char marker) {
            this.comment = ascii(marker, "commentMarker");
            return this;
        }

        /**
         * An unquoted field equal to this is NULL (default: the empty string), compared as written, before escapes
         * are undone: with {@code escape('\\')}, {@code nullString("\\N")} reads MySQL's {@code \N} as NULL.
         */
        public Builder nullString(String nullString) {
            this.nullString = Objects.requireNonNull(nullString, "nullString");
            return this;
        }

        /** Drop spaces and tabs around fields (default false). */
        public Builder trim(boolean trim) {
            this.trim = trim;
            return this;
        }

        /**
         * The file's encoding (default UTF-8). Encodings that do not keep ASCII as single bytes (UTF-16, UTF-32)
         * are transcoded to UTF-8 while reading; positions then count bytes of that UTF-8 and resuming re-reads
         * the file up to the position.
         */
        public Builder encoding(Charset encoding) {
            this.encoding = Objects.requireNonNull(encoding, "encoding");
            return this;
        }

        /**
         * Keep a leading UTF-8 byte-order mark as data (default false: it is dropped, and so is a second one right
         * after it, which a tool that writes a mark before text already starting with one leaves).
         */
        public Builder keepByteOrderMark(boolean keep) {
            this.keepByteOrderMark = keep;
            return this;
        }

        /** Read a quote inside an unquoted field as data ({@code 5'10"}) instead of a bad row (default false). */
        public Builder lenientQuotes(boolean lenient) {
            this.lenientQuotes = lenient;
            return this;
        }

        /**
         * Start right after the batch that carried {@code position}: the batches are those the uninterrupted read
         * gives after it (the same records, types, bad rows and their lines). Refuses the position of another input,
         * or one the input no longer matches (see the class documentation).
         */
        public Builder resumeFrom(SourcePosition position) {
            this.resumeFrom = Objects.requireNonNull(position, "position");
            return this;
        }

        /**
         * A source with these settings; the file is opened on the first call of {@link CsvSource#schema()} or
         * {@link CsvSource#batches()}.
         *
         * @throws IllegalArgumentException naming the fields when the combination is not valid
         */
        public CsvSource build() {
            if ((path == null) == (stream == null)) {
                throw new IllegalArgumentException("set exactly one of path and stream");
            }
            if (delimiter == quote || delimiter == escape || delimiter == comment) {
                throw new IllegalArgumentException("delimiter '" + delimiter + "' must differ from quote, escape and"
                        + " commentMarker");
            }
            if (quote == comment || (escape >= 0 && escape == comment)) {
                throw new IllegalArgumentException("commentMarker must differ from quote and escape");
            }
            if (schema != null && !types.isEmpty()) {
                throw new IllegalArgumentException("type overrides apply to inferred types; with a declared schema,"
                        + " declare the types there");
            }
            if (resumeFrom != null && stream != null && schema == null) {
                throw new IllegalArgumentException("resuming a stream needs a declared schema (inference would see"
                        + " only the rows after the position)");
            }
            if (schema != null && !header.names().isEmpty() && !schema.names().containsAll(header.names())) {
                throw new IllegalArgumentException("header names " + header.names() + " are not all in the schema "
                        + schema.names());
            }
            int esc = escape == quote ? -1 : escape;
            Format format = new Format((byte) delimiter, (byte) quote, esc, comment, nullString, trim, encoding,
                    keepByteOrderMark, lenientQuotes);
            return new CsvSource(new Settings(path, stream, name, format, header, schema, Map.copyOf(types),
                    sampleRows, chunkRows, chunkBytes, maxRecordBytes, parallelism, onBadRow, sink, resumeFrom));
        }

        private static char ascii(char c, String what) {
            if (c >= 128 || c == '\n' || c == '\r') {
                throw new IllegalArgumentException(what + " must be an ASCII character other than CR and LF, not '"
                        + c + "'");
            }
            return c;
        }
    }
}
