package dev.mds.connector.csv.internal;

import dev.mds.connector.csv.BadRow;
import dev.mds.connector.csv.OnBadRow;
import dev.mds.core.BadInputException;
import dev.mds.core.BadRecord;
import dev.mds.core.Field;
import dev.mds.core.FieldType;
import dev.mds.core.Identifiers;
import dev.mds.core.InputLocation;
import dev.mds.core.MdsException;
import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import dev.mds.core.Schema;
import dev.mds.core.SourcePosition;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One read of a CSV input: opens it, reads the header, settles the schema (declared or inferred), then hands
 * out batches in file order while up to {@code parallelism} threads parse the chunks ahead.
 */
public final class CsvReading implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(CsvReading.class);
    private static final byte[] UTF8_BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final Settings settings;
    private final Format format;
    private final boolean transcode;
    private final String display;
    private final String positionSource;
    private final AtomicLong badRows = new AtomicLong();
    private RecordScanner scanner;
    private Schema schema;
    /* where the first record starts: byte offset and line */
    private long dataStart;
    private long dataLine;
    private String[] fileNames;
    private FieldType[] fileTypes;
    /** The columns whose type was inferred (not declared, not overridden) and not text, with how many records. */
    private final Map<String, Integer> inferredFrom = new HashMap<>();
    /**
     * The file columns inferred as numbers or timestamptz: a later value with a leading zero is a code, not a number;
     * one without a UTC offset is not read as UTC.
     */
    private boolean[] keepZeros;
    private int[] target;
    /** The line the header is on (after blank and comment lines); 1 when the file has none. */
    private long headerLine = 1;
    /** The bytes of the header line's line end (LF 1, CRLF 2), 0 when the header line ends the input without one. */
    private int headerLineEnd;
    /** Whether the file's column names come from its header line, or from the settings (none was expected). */
    private boolean namedByFile;
    private ExecutorService executor;
    private boolean started;
    private boolean closed;

    public CsvReading(Settings settings) {
        this.settings = settings;
        Format f = settings.format();
        this.transcode = !Format.asciiCompatible(f.charset());
        this.format = transcode ? new Format(f.delimiter(), f.quote(), f.escape(), f.comment(), f.nullString(),
                f.trim(), StandardCharsets.UTF_8, f.keepByteOrderMark(), f.lenientQuotes()) : f;
        if (settings.path() != null) {
            Path file = settings.path().getFileName();
            this.display = settings.name() != null ? settings.name() : file == null ? settings.path().toString()
                    : file.toString();
            this.positionSource = settings.path().toString();
        } else {
            this.display = settings.name();
            this.positionSource = settings.name();
        }
    }

    /** The schema of the batches; opens the input on first use. */
    public synchronized Schema schema() {
        open();
        return schema;
    }

    public long badRows() {
        return badRows.get();
    }

    /** The batches, once. */
    public synchronized Iterator<RecordBatch> batches() {
        if (started) {
            throw new IllegalStateException("batches() can be read only once per CsvSource; build another one");
        }
        started = true;
        open();
        return new Pipeline();
    }

    private void open() {
        if (schema != null) {
            return;
        }
        if (closed) {
            throw new IllegalStateException("this CsvSource is closed");
        }
        try {
            scanner = scanner(0);
            List<String> names = readHeader(scanner);
            namedByFile = names != null || !settings.header().firstLine();
            long dataStart = scanner.offset();
            long firstLine = scanner.nextLine();
            if (names == null) {
                names = new ArrayList<>();
                if (!settings.header().names().isEmpty()) {
                    names.addAll(settings.header().names());
                } else if (settings.schema() != null) {
                    names.addAll(settings.schema().names());
                } else {
                    Chunk first = scanner.peek(1);
                    int n = first == null ? 0 : ChunkParser.raw(format, display).parse(first).records().stream()
                            .mapToInt(Record::size).max().orElse(0);
                    for (int i = 1; i <= n; i++) {
                        names.add("column_" + i);
                    }
                }
            }
            fileNames = names.toArray(String[]::new);
            this.dataStart = dataStart;
            this.dataLine = firstLine;
            settleSchema(dataStart, firstLine);
            SourcePosition resume = settings.resumeFrom();
            if (resume != null) {
                if (!sameSource(resume.source())) {
                    throw new IllegalArgumentException("position " + resume + " belongs to another input than "
                            + positionSource);
                }
                long offset = resume.getLong("offset").orElseThrow(() -> new IllegalArgumentException(
                        "position " + resume + " has no byte offset; it is not a CSV position"));
                long record = resume.getLong("record").orElse(0L);
                long line = resume.getLong("line").orElse(0L);
                boolean headerLineEndedSince = offset < dataStart && record == 0 && headerLineEnd > 0
                        && offset == dataStart - headerLineEnd;
                if (offset < dataStart && !headerLineEndedSince) {
                    throw changedSince(resume, "position " + resume + " is before the first record (byte " + dataStart
                            + "): the file's header is longer than when the position was taken, or the file was replaced");
                }
                if (settings.path() != null && !transcode) {
                    checkTail(resume, offset);
                }
                long taken = offset;
                if (headerLineEndedSince) {
                    // taken when the header line ended the file without a line end (its empty batch); it has one now
                    offset = dataStart;
                    line = dataLine;
                }
                if (settings.path() != null && !transcode) {
                    scanner.close();
                    scanner = scanner(offset);
                } else {
                    if (settings.path() != null) {
                        scanner.close();
                        scanner = scanner(0);
                    }
                    // read from the start up to the position anyway: check the bytes before it on the way
                    if (taken >= scanner.offset()) {
                        checkOnTheWay(resume, taken);
                    }
                }
                scanner.skipTo(offset, record + 1, line);
                LOG.info("{}: resuming after record {} at byte {}", display, record, offset);
            }
            LOG.info("{}: {} columns {}, chunks of {} rows, {} thread(s)", display, schema.size(), schema,
                    settings.chunkRows(), settings.parallelism());
            if (transcode) {
                LOG.debug("{}: {} is not ASCII-compatible: the text is read as UTF-8 transcoded on the fly, positions"
                        + " count bytes of that UTF-8", display, settings.format().charset());
            }
            if (!format.parityExact()) {
                LOG.debug("{}: escape character, comments or lenient quotes: record boundaries come from the quote"
                        + " state machine instead of quote parity (still one exact sequential pass)", display);
            }
        } catch (IOException e) {
            closeQuietly();
            throw new UncheckedIOException("cannot read " + display + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly();
            throw e;
        }
    }

    /**
     * Refuses a position whose offset no longer follows the records it was taken after: the file was replaced under
     * its name since (a new export, a re-split into other chunks), and reading on from that offset would skip or
     * repeat records, or start inside one. Also refuses one taken after a last record that ended the file without a
     * line end, when the file now continues that line: the record was still being written (or lines were appended
     * without a line break before them), and the rest of the line would be read as a record of its own.
     */
    private void checkTail(SourcePosition resume, long offset) throws IOException {
        try (FileChannel fc = FileChannel.open(settings.path(), StandardOpenOption.READ)) {
            long size = fc.size();
            if (resume.get("check").orElse(null) instanceof String check && offset <= size
                    && !TailCheck.matches(check, fc, offset).orElse(true)) {
                throw changedSince(resume, "position " + resume + " does not match the file: the bytes before byte "
                        + offset + " are not those the position was taken after, so the file changed since (replaced,"
                        + " rewritten or split again); resuming there would skip or repeat records");
            }
            if (offset > 0 && offset < size) {
                ByteBuffer around = ByteBuffer.allocate(2);   // the byte before the offset and the one at it
                while (around.hasRemaining()) {
                    if (fc.read(around, offset - 1 + around.position()) < 0) {
                        break;
                    }
                }
                if (!around.hasRemaining() && !lineEnd(around.get(0)) && !lineEnd(around.get(1))) {
                    throw changedSince(resume, "position " + resume + " follows a record that ended the file without"
                            + " a line end, and the file now continues that line at byte " + offset + " (the"
                            + " record was still being written, or lines were appended without a line break before"
                            + " them); resuming there would read the rest of the line as a record of its own");
                }
            }
        }
    }

    /**
     * The checks of {@link #checkTail} for an input the resume reads from its start (a stream, a file in an encoding
     * that is not ASCII-compatible, whose offsets count bytes of its UTF-8): moves the scanner to {@code offset},
     * keeping the bytes before it.
     */
    private void checkOnTheWay(SourcePosition resume, long offset) throws IOException {
        byte[] before = scanner.skipKeeping(offset, TailCheck.MAX_BYTES);
        String input = settings.path() != null ? "the file" : "the input";
        if (before == null) {
            throw changedSince(resume, "position offset " + offset + " is past the end of " + input + " ("
                    + scanner.offset() + " bytes" + (transcode ? " as UTF-8" : "") + "): " + input + " was truncated or"
                    + " replaced since");
        }
        if (resume.get("check").orElse(null) instanceof String check
                && !TailCheck.matches(check, before, offset).orElse(true)) {
            throw changedSince(resume, "position " + resume + " does not match " + input + ": the bytes"
                    + " before byte " + offset + " are not those the position was taken after, so " + input
                    + " changed since (replaced, rewritten or split again); resuming there would skip or repeat"
                    + " records");
        }
        // the byte at the position is read only after a record without a line end (a stream may not have it yet)
        int at = before.length > 0 && !lineEnd(before[before.length - 1]) ? scanner.peekByte() : -1;
        if (at >= 0 && !lineEnd((byte) at)) {
            throw changedSince(resume, "position " + resume + " follows a record that ended " + input
                    + " without a line end, and " + input + " now continues that line at byte " + offset + " (the"
                    + " record was still being written, or lines were appended without a line break before them);"
                    + " resuming there would read the rest of the line as a record of its own");
        }
    }

    /**
     * A resume position the input no longer fits (changed, truncated or still being written since it was taken), at
     * the line the position's next record began on: bad input, as the JSON and Sheets sources report it.
     */
    private BadInputException changedSince(SourcePosition resume, String reason) {
        long line = resume.getLong("line").orElse(0L);
        InputLocation where = InputLocation.of(display);
        return new BadInputException(line > 0 ? where.withLine(line) : where, reason);
    }

    private static boolean lineEnd(byte b) {
        return b == '\n' || b == '\r';
    }

    /** Same file name (a file may move between runs), or the same stream name. */
    private boolean sameSource(String source) {
        if (settings.path() == null) {
            return source.equals(positionSource);
        }
        Path other = Path.of(source).getFileName();
        Path mine = settings.path().getFileName();
        return other != null && other.equals(mine);
    }

    private RecordScanner scanner(long offset) throws IOException {
        ReadableByteChannel channel;
        if (transcode) {
            InputStream in = settings.path() != null ? Files.newInputStream(settings.path()) : settings.stream();
            if (!format.keepByteOrderMark()) {
                in = refuseOtherUnicodeByteOrderMark(in);
            }
            RecordScanner s = new RecordScanner(format, display, Channels.newChannel(new Utf8Transcoder(in,
                    settings.format().charset(), display)), 0, 1, 1, capacity(), settings.maxRecordBytes());
            if (offset > 0) {
                s.skipTo(offset, 1, 1);
            }
            return s;
        }
        if (settings.path() != null) {
            FileChannel fc = FileChannel.open(settings.path(), StandardOpenOption.READ);
            if (offset > 0) {
                long size = fc.size();
                if (offset > size) {
                    fc.close();
                    throw new BadInputException(InputLocation.of(display), "position offset " + offset + " is past"
                            + " the end of the file (" + size + " bytes): the file was truncated or replaced since");
                }
                fc.position(offset);
            }
            channel = fc;
        } else {
            channel = Channels.newChannel(settings.stream());
        }
        return new RecordScanner(format, display, channel, offset, 1, 1, capacity(), settings.maxRecordBytes());
    }

    private int capacity() {
        return (int) Math.min(8 << 20, Math.max(64 << 10, Math.min(settings.chunkBytes(),
                (long) settings.chunkRows() * 128L)));
    }

    /**
     * Refuses an input that starts with the byte-order mark of another encoding than the declared one: read in the
     * declared one, a UTF-8 mark would become part of the first column's name ({@code ï»¿id} in ISO-8859-1), and a
     * UTF-16 file read in the other byte order would become other characters, the whole file one header line.
     */
    private void refuseForeignByteOrderMark(RecordScanner s) throws IOException {
        Charset declared = settings.format().charset();
        String mark = null;
        String bytes = null;
        String use = null;
        if (transcode) {
            // read in the declared encoding, the other byte order's mark is U+FFFE, a noncharacter
            if (s.startsWith(new byte[] {(byte) 0xEF, (byte) 0xBF, (byte) 0xBE})) {
                String name = declared.name();
                String other = name.endsWith("LE") ? name.substring(0, name.length() - 2) + "BE"
                        : name.endsWith("BE") ? name.substring(0, name.length() - 2) + "LE" : null;
                mark = other != null ? other : "other byte order's";
                bytes = "U+FEFF in the other byte order";
                use = other != null ? null : "the other byte order";
            }
        } else if (s.startsWith(new byte[] {0, 0, (byte) 0xFE, (byte) 0xFF})) {
            mark = "UTF-32BE";
            bytes = "00 00 FE FF";
        } else if (s.startsWith(new byte[] {(byte) 0xFF, (byte) 0xFE, 0, 0})) {
            mark = "UTF-32LE";
            bytes = "FF FE 00 00";
        } else if (s.startsWith(new byte[] {(byte) 0xFE, (byte) 0xFF})) {
            mark = "UTF-16BE";
            bytes = "FE FF";
        } else if (s.startsWith(new byte[] {(byte) 0xFF, (byte) 0xFE})) {
            mark = "UTF-16LE";
            bytes = "FF FE";
        } else if (!format.utf8() && s.startsWith(UTF8_BOM)) {
            mark = "UTF-8";
            bytes = "EF BB BF, which " + declared.name() + " reads as '" + new String(UTF8_BOM, declared)
                    + "' in the first column's name";
            use = "encoding(StandardCharsets.UTF_8)";
        }
        if (mark == null) {
            return;
        }
        if (use == null) {
            use = mark.startsWith("UTF-16") ? "encoding(StandardCharsets." + mark.replace('-', '_') + ")"
                    : "encoding(Charset.forName(\"" + mark + "\"))";
        }
        throw new BadInputException(InputLocation.of(display).withLine(1), "the input starts with a " + mark
                + " byte-order mark (" + bytes + ") but is read as " + declared.name() + ": read it with " + use
                + (mark.startsWith("UTF-16") ? " or encoding(StandardCharsets.UTF_16), which follows the mark" : ""));
    }

    /**
     * Refuses an input read in an encoding that is not ASCII-compatible (UTF-16, UTF-32, ...) that starts with the
     * byte-order mark of another Unicode encoding: transcoded, a UTF-8 mark under UTF-16 would make the whole file
     * one header column of other characters. The other byte order of the declared encoding's own family is left to
     * {@link #refuseForeignByteOrderMark}, which names it. Looks at the raw bytes, which it gives back.
     */
    private InputStream refuseOtherUnicodeByteOrderMark(InputStream raw) throws IOException {
        PushbackInputStream in = new PushbackInputStream(raw, 4);
        byte[] head = in.readNBytes(4);
        in.unread(head);
        String mark = null;
        String bytes = null;
        if (startsWith(head, 0, 0, 0xFE, 0xFF)) {
            mark = "UTF-32BE";
            bytes = "00 00 FE FF";
        } else if (startsWith(head, 0xFF, 0xFE, 0, 0)) {
            mark = "UTF-32LE";
            bytes = "FF FE 00 00";
        } else if (startsWith(head, 0xEF, 0xBB, 0xBF)) {
            mark = "UTF-8";
            bytes = "EF BB BF";
        } else if (startsWith(head, 0xFE, 0xFF)) {
            mark = "UTF-16BE";
            bytes = "FE FF";
        } else if (startsWith(head, 0xFF, 0xFE)) {
            mark = "UTF-16LE";
            bytes = "FF FE";
        }
        Charset declared = settings.format().charset();
        String declaredName = declared.name().toUpperCase(java.util.Locale.ROOT);
        if (mark == null || (!mark.equals("UTF-8") && declaredName.contains(mark.substring(0, 6)))) {
            return in;
        }
        String use = mark.equals("UTF-8") ? "encoding(StandardCharsets.UTF_8)"
                : mark.startsWith("UTF-16") ? "encoding(StandardCharsets." + mark.replace('-', '_') + ")"
                : "encoding(Charset.forName(\"" + mark + "\"))";
        if (settings.path() != null) {
            in.close();
        }
        throw new BadInputException(InputLocation.of(display).withLine(1), "the input starts with a " + mark
                + " byte-order mark (" + bytes + ") but is read as " + declared.name() + ": read it with " + use);
    }

    private static boolean startsWith(byte[] head, int... prefix) {
        if (head.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if ((head[i] & 0xFF) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    /** Reads the header line when the file has one (dropping UTF-8 BOMs); null when it has none or is empty. */
    private List<String> readHeader(RecordScanner s) throws IOException {
        if (!format.keepByteOrderMark()) {
            refuseForeignByteOrderMark(s);
        }
        if (format.utf8() && !format.keepByteOrderMark()) {
            // every mark: a tool that writes one before text that already starts with one leaves two
            while (s.dropPrefix(UTF8_BOM)) {
                LOG.trace("{}: dropped a byte-order mark", display);
            }
        }
        if (!settings.header().firstLine()) {
            return null;
        }
        Chunk h = s.next(1, Long.MAX_VALUE);
        s.skipTo(s.offset(), 1, s.nextLine());
        if (h == null || h.records() == 0) {
            return null;
        }
        byte[] hb = h.bytes();
        if (hb[h.to() - 1] == Format.LF) {
            headerLineEnd = h.to() - h.from() >= 2 && hb[h.to() - 2] == Format.CR ? 2 : 1;
        }
        List<String> names = new ArrayList<>();
        ChunkParser parser = ChunkParser.header(format, display);
        ChunkParser.Result r = parser.parse(h);
        headerLine = parser.firstRecordLine() > 0 ? parser.firstRecordLine() : h.firstLine();
        if (!r.badRows().isEmpty()) {
            BadRow bad = r.badRows().get(0);
            throw new BadInputException(bad.location(), "header: " + bad.reason());
        }
        Record header = r.records().get(0);
        Set<String> used = new HashSet<>();
        for (int i = 0; i < header.size(); i++) {
            String raw = (String) header.get(i);
            // a name of only white space is a missing name, as Commons CSV takes it: a column " " is a trap
            String base = raw == null || blank(raw) ? "column_" + (i + 1) : raw;
            String name = base;
            for (int k = 2; used.contains(name); k++) {
                String suffix = "_" + k;
                // a repeated name of up to 63 bytes keeps within PostgreSQL's 63 bytes with its suffix
                name = Identifiers.cutToBytes(base, Identifiers.MAX_IDENTIFIER_BYTES - suffix.length()) + suffix;
            }
            try {
                Identifiers.check(name);
            } catch (IllegalArgumentException e) {
                throw new BadInputException(InputLocation.of(display).withLine(headerLine).withExcerpt(name),
                        "header column " + (i + 1) + ": " + e.getMessage());
            }
            used.add(name);
            names.add(name);
        }
        return names;
    }

    /**
     * Whether a header name holds only white space as Python's {@code str.isspace()} has it (Java's white space, the
     * space separators, no-break spaces included, and U+0085), as the Sheets source takes a header cell for blank.
     */
    private static boolean blank(String name) {
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!Character.isWhitespace(c) && !Character.isSpaceChar(c) && c != '\u0085') {
                return false;
            }
        }
        return true;
    }

    private void settleSchema(long dataStart, long firstLine) throws IOException {
        int n = fileNames.length;
        target = new int[n];
        fileTypes = new FieldType[n];
        Schema declared = settings.schema();
        if (declared != null) {
            List<String> mismatch = new ArrayList<>();
            if (declared.size() != n) {
                mismatch.add("the file has " + n + " columns, the schema " + declared.size());
            }
            for (int i = 0; i < n; i++) {
                int at = declared.indexOf(fileNames[i]);
                if (at < 0) {
                    mismatch.add("no column '" + fileNames[i] + "' in the schema");
                } else {
                    target[i] = at;
                    fileTypes[i] = declared.field(at).type();
                }
            }
            if (!mismatch.isEmpty()) {
                throw new BadInputException(InputLocation.of(display).withLine(headerLine),
                        "columns " + List.of(fileNames) + " do not match the declared schema " + declared.names()
                                + ": " + String.join("; ", mismatch));
            }
            schema = declared;
        } else {
            List<Record> sample = sample(dataStart, firstLine);
            FieldType[] inferred = TypeInference.infer(sample, n);
            List<Field> fields = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                target[i] = i;
                FieldType t = settings.types().getOrDefault(fileNames[i], inferred[i]);
                if (!settings.types().containsKey(fileNames[i]) && t != FieldType.STRING) {
                    inferredFrom.put(fileNames[i], sample.size());
                    if (t.kind() == FieldType.Kind.LONG || t.kind() == FieldType.Kind.DECIMAL
                            || t.kind() == FieldType.Kind.TIMESTAMPTZ) {
                        if (keepZeros == null) {
                            keepZeros = new boolean[n];
                        }
                        keepZeros[i] = true;
                    }
                }
                fileTypes[i] = t;
                fields.add(Field.of(fileNames[i], t));
            }
            for (String overridden : settings.types().keySet()) {
                if (!List.of(fileNames).contains(overridden)) {
                    throw new IllegalArgumentException("type override for '" + overridden + "' but " + display
                            + " has no such column; its columns are " + List.of(fileNames));
                }
            }
            schema = Schema.of(fields);
        }
        for (FieldType t : fileTypes) {
            if (t.isArray()) {
                throw new IllegalArgumentException("CSV columns cannot be arrays: " + schema);
            }
        }
    }

    private List<Record> sample(long dataStart, long firstLine) throws IOException {
        Chunk chunk;
        if (settings.resumeFrom() != null && settings.path() != null) {
            try (RecordScanner fromStart = scanner(dataStart)) {
                fromStart.skipTo(dataStart, 1, firstLine);
                chunk = fromStart.peek(settings.sampleRows());
            }
        } else {
            chunk = scanner.peek(settings.sampleRows());
        }
        if (chunk == null) {
            return List.of();
        }
        // a record with another number of fields is a bad row: its values are not the columns' values
        return ChunkParser.raw(format, display).parse(chunk).records().stream()
                .filter(r -> r.size() == fileNames.length).toList();
    }

    private ChunkParser newParser() {
        boolean[] required = new boolean[fileNames.length];
        for (int i = 0; i < required.length; i++) {
            required[i] = !schema.field(target[i]).nullable();
        }
        return new ChunkParser(format, display, fileNames, fileTypes, target, schema.size(), required,
                settings.onBadRow() == OnBadRow.FAIL).keepLeadingZeros(keepZeros);
    }

    @Override
    public synchronized void close() {
        closed = true;
        closeQuietly();
    }

    private void closeQuietly() {
        if (executor != null) {
            executor.shutdownNow();
            executor = null;
        }
        if (scanner != null) {
            try {
                scanner.close();
            } catch (IOException e) {
                LOG.debug("{}: closing failed: {}", display, e.toString());
            }
        }
    }

    /**
     * The check of the bytes before the first record (the header's end), for a position there; null where a resume
     * does not check (a stream, a transcoded file) or the file cannot be read again.
     */
    private String headerCheck() {
        if (settings.path() == null || transcode) {
            return null;
        }
        try (FileChannel fc = FileChannel.open(settings.path(), StandardOpenOption.READ)) {
            return TailCheck.of(fc, dataStart);
        } catch (IOException e) {
            LOG.debug("{}: cannot read the header again for its check: {}", display, e.toString());
            return null;
        }
    }

    /** Cuts chunks on the consumer's thread, parses up to parallelism + 1 of them ahead, hands them in order. */
    private final class Pipeline implements Iterator<RecordBatch> {
        private final ArrayDeque<Future<ChunkParser.Result>> inFlight = new ArrayDeque<>();
        private final int maxInFlight;
        private final ThreadLocal<ChunkParser> parsers = ThreadLocal.withInitial(CsvReading.this::newParser);
        private final ChunkParser own = newParser();
        private boolean scanned;
        private boolean done;
        private RecordBatch next;
        private long batches;
        /* the last chunk whose rows were all bad, while no batch has come after it to carry a position past it */
        private ChunkParser.Span uncovered;

        Pipeline() {
            int p = settings.parallelism();
            if (p > 1) {
                executor = Executors.newFixedThreadPool(p, r -> {
                    Thread t = new Thread(r, "mds-csv-" + THREADS.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
            }
            this.maxInFlight = p > 1 ? p + 1 : 1;
        }

        @Override
        public boolean hasNext() {
            while (next == null && !done) {
                advance();
            }
            return next != null;
        }

        @Override
        public RecordBatch next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            RecordBatch b = next;
            next = null;
            return b;
        }

        private void advance() {
            try {
                fill();
                Future<ChunkParser.Result> head = inFlight.poll();
                if (head == null) {
                    done = true;
                    closeQuietly();
                    if (uncovered != null) {
                        // bad rows at the end of the input: an empty batch carries the position past them, or
                        // every resume from the last batch would hand them to the sink again
                        batch(List.of(), uncovered, List.of());
                        uncovered = null;
                    } else if (batches == 0 && settings.resumeFrom() == null && schema.size() > 0 && namedByFile) {
                        // an input without any record (its header only): one empty batch, so that a loader can
                        // create its table, or empty it in OVERWRITE, as for a sheet without records. Not for a file
                        // still without the header line it should have (empty, or blank lines): a position there
                        // would be before the header once it is written, and every resume from it refused
                        batch(List.of(), new ChunkParser.Span(dataStart, 1, 0, dataLine, headerCheck()), List.of());
                    }
                    return;
                }
                ChunkParser.Result r = take(head);
                List<BadRecord> attached = handleBadRows(r);
                if (!attached.isEmpty()) {
                    // the batch of this chunk carries them, even one of no good record: its position covers them
                    uncovered = null;
                    batch(r.records(), r.span(), attached);
                    return;
                }
                if (r.records().isEmpty()) {
                    if (!r.badRows().isEmpty()) {
                        uncovered = r.span();
                    }
                    return;
                }
                uncovered = null;
                batch(r.records(), r.span(), List.of());
            } catch (RuntimeException | Error e) {
                done = true;
                closeQuietly();
                throw e;
            }
        }

        private void batch(List<Record> records, ChunkParser.Span c, List<BadRecord> rejected) {
            Map<String, Object> at = new LinkedHashMap<>();
            at.put("offset", c.endOffset());
            at.put("record", c.firstRecord() + c.records() - 1);
            at.put("line", c.nextLine());
            if (c.tailCheck() != null) {
                at.put("check", c.tailCheck());
            }
            next = RecordBatch.of(schema, records, SourcePosition.of(positionSource, at)).withRejected(rejected);
            batches++;
            LOG.debug("{}: batch {} of {} rows and {} bad rows, {}", display, batches, records.size(), rejected.size(), at);
        }

        private void fill() {
            while (!scanned && inFlight.size() < maxInFlight) {
                Chunk c;
                try {
                    c = scanner.next(settings.chunkRows(), settings.chunkBytes());
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read " + display + ": " + e.getMessage(), e);
                }
                if (c == null) {
                    scanned = true;
                    break;
                }
                if (executor == null) {
                    inFlight.add(CompletableFuture.completedFuture(own.parse(c)));
                } else {
                    inFlight.add(executor.submit(() -> parsers.get().parse(c)));
                }
            }
        }

        private ChunkParser.Result take(Future<ChunkParser.Result> f) {
            try {
                return f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new MdsException("interrupted while reading " + display, e);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof RuntimeException re) {
                    throw re;
                }
                if (cause instanceof Error err) {
                    throw err;
                }
                throw new MdsException("reading " + display + " failed: " + cause, cause);
            }
        }

        /**
         * The exception FAIL throws: a value that does not fit a type inferred from the first rows says so and how to
         * declare the type (as DuckDB's sniffer does); bad rows handed on keep the short reason.
         */
        private BadInputException failure(BadRow bad) {
            Integer sampled = bad.location().column().map(inferredFrom::get).orElse(null);
            if (sampled == null || !bad.reason().startsWith("\"")) {
                return bad.toException();
            }
            String column = bad.location().column().orElseThrow();
            return new BadInputException(bad.location(), bad.reason() + "; the column's type was inferred from the first "
                    + sampled + " records: declare it (type(\"" + column + "\", FieldType.STRING) reads any text) or"
                    + " raise sampleRows");
        }

        /** Throws, skips or hands bad rows to the sink; returns those the batch carries (DEAD_LETTER without a sink). */
        private List<BadRecord> handleBadRows(ChunkParser.Result r) {
            List<BadRecord> attached = List.of();
            for (BadRow bad : r.badRows()) {
                switch (settings.onBadRow()) {
                    case FAIL -> throw failure(bad);
                    case SKIP -> LOG.debug("{}: skipped bad row: {}: {}", display, bad.location().describe(),
                            bad.reason());
                    case DEAD_LETTER -> {
                        if (settings.sink() != null) {
                            settings.sink().accept(bad);
                        } else {
                            if (attached.isEmpty()) {
                                attached = new ArrayList<>();
                            }
                            attached.add(new BadRecord(bad.location(), bad.reason(), bad.text()));
                        }
                    }
                }
                badRows.incrementAndGet();
            }
            return attached;
        }
    }
}
