package dev.mds.connector.csv.internal;

import dev.mds.connector.csv.BadRow;
import dev.mds.core.FieldType;
import dev.mds.core.InputLocation;
import dev.mds.core.Record;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Parses the records of one {@link Chunk} into typed {@link Record}s (RFC 4180, plus the options of
 * {@link Format}). One instance per thread: it keeps scratch buffers.
 */
public final class ChunkParser implements Values.TextDecoder {
    private static final Object BAD_ENCODING = new Object();
    /** Text holding a NUL character, which PostgreSQL text cannot store. */
    private static final Object HAS_NUL = new Object();
    /** A number with a leading zero in a column whose number type was inferred: a code that would lose its zero. */
    private static final Object LEADING_ZERO = new Object();
    /** A timestamp without a UTC offset in a column inferred as timestamptz because every sampled value had one. */
    private static final Object NO_OFFSET = new Object();

    private final Format format;
    private final String source;
    private final String[] names;
    private final FieldType[] types;
    private final int[] target;
    private final int width;
    private final boolean[] required;
    private boolean[] keepZeros;
    private final boolean stopAtFirstBadRow;
    /** For a raw parser: whether text not valid in the charset makes the record bad (a header) or reads leniently. */
    private final boolean strictRaw;
    private final Boundaries boundaries;
    private final CharsetDecoder decoder;
    private final byte quote;
    private final byte delimiter;
    private final int escape;
    private final byte[] nullBytes;

    private int[] fOff = new int[16];
    private int[] fLen = new int[16];
    private boolean[] fScratch = new boolean[16];
    /** Whether the field is unquoted and, as written (before escapes are undone), equals the null string. */
    private boolean[] fNull = new boolean[16];
    private int nFields;
    private byte[] scratch = new byte[1024];
    private int scratchLen;
    private int quotedLfs;
    private String error;
    private int errorField;
    private long firstRecordLine = -1;

    /**
     * @param names the file's column names, for messages (may be shorter than a ragged row)
     * @param types the type of each file column, or null to return every field as a String (any width)
     * @param target for each file column, its position in the output record
     * @param width the output record's width
     * @param required for each file column, whether the schema declares it required (NOT NULL), or null
     */
    ChunkParser(Format format, String source, String[] names, FieldType[] types, int[] target, int width,
            boolean[] required, boolean stopAtFirstBadRow) {
        this(format, source, names, types, target, width, required, stopAtFirstBadRow, false);
    }

    private ChunkParser(Format format, String source, String[] names, FieldType[] types, int[] target, int width,
            boolean[] required, boolean stopAtFirstBadRow, boolean strictRaw) {
        this.strictRaw = strictRaw;
        this.format = format;
        this.source = source;
        this.names = names;
        this.types = types;
        this.target = target;
        this.width = width;
        this.required = required;
        this.stopAtFirstBadRow = stopAtFirstBadRow;
        this.boundaries = new Boundaries(format);
        // strict for every charset: a byte the charset does not define is a bad row, not U+FFFD
        this.decoder = format.charset().newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        this.quote = format.quote();
        this.delimiter = format.delimiter();
        this.escape = format.escape();
        this.nullBytes = format.nullString().getBytes(format.charset());
    }

    /**
     * The columns whose type was inferred from a sample in which such a value would have made them another type: in
     * a number column a later value with a leading zero ({@code 01234}) is a bad row instead of a number that lost
     * its zero; in a timestamptz column, a timestamp without a UTC offset instead of a time read as UTC.
     */
    ChunkParser keepLeadingZeros(boolean[] columns) {
        this.keepZeros = columns;
        return this;
    }

    /** A value lacking the UTC offset that every sampled value of its inferred timestamptz column had. */
    private static boolean noOffset(byte[] b, int off, int len) {
        while (len > 0 && Values.isCSpace(b[off])) {
            off++;
            len--;
        }
        while (len > 0 && Values.isCSpace(b[off + len - 1])) {
            len--;
        }
        return Values.infinity(b, off, len) == 0 && Values.parseDateTime(b, off, len, false) != Values.BAD;
    }

    private static boolean leadingZero(byte[] b, int off, int len) {
        int i = off;
        int end = off + len;
        while (i < end && Values.isCSpace(b[i])) {
            i++;
        }
        if (i < end && (b[i] == '-' || b[i] == '+')) {
            i++;
        }
        return i + 1 < end && b[i] == '0' && b[i + 1] >= '0' && b[i + 1] <= '9';
    }

    /** A parser that returns each record's fields as Strings (nulls per the null string), for headers and samples. */
    static ChunkParser raw(Format format, String source) {
        return new ChunkParser(format, source, new String[0], null, null, 0, null, false);
    }

    /**
     * A raw parser for a header: a field whose bytes are not valid in the charset makes the record bad (a sample
     * row reads them leniently, as its typed reading makes it a bad row anyway; a header name would keep U+FFFD).
     */
    static ChunkParser header(Format format, String source) {
        return new ChunkParser(format, source, new String[0], null, null, 0, null, true, true);
    }

    /**
     * What one chunk gave; keeps the chunk's counters, not its bytes, so a parsed chunk waiting for the consumer
     * holds only its records.
     */
    record Result(Span span, List<Record> records, List<BadRow> badRows, boolean failed) {
        Result(Chunk chunk, List<Record> records, List<BadRow> badRows, boolean failed) {
            this(new Span(chunk.endOffset(), chunk.firstRecord(), chunk.records(), chunk.firstLine() + chunk.lines(),
                    TailCheck.of(chunk.bytes(), chunk.from(), chunk.to())), records, badRows, failed);
        }
    }

    /**
     * Where a chunk ends: the byte offset after it, its first record number, its record count, the line after it,
     * and the check of the bytes just before that offset.
     */
    record Span(long endOffset, long firstRecord, int records, long nextLine, String tailCheck) {
    }

    Result parse(Chunk c) {
        byte[] b = c.bytes();
        int p = c.from();
        int end = c.to();
        long line = c.firstLine();
        long rec = c.firstRecord();
        List<Record> out = new ArrayList<>(c.records());
        List<BadRow> bad = new ArrayList<>(0);
        int comment = format.comment();
        while (p < end) {
            byte first = b[p];
            if (first == Format.LF) {
                line++;
                p++;
                continue;
            }
            if (first == Format.CR && (p + 1 == end || b[p + 1] == Format.LF)) {
                p++;
                continue;
            }
            if (comment >= 0 && first == (byte) comment) {
                int e = boundaries.find(b, p, end);
                line += boundaries.newlines;
                p = e < 0 ? end : e + 1;
                continue;
            }
            int recStart = p;
            int term = split(b, p, end);
            BadRow badRow = null;
            if (term < 0) {
                int e = boundaries.find(b, recStart, end);
                int recEnd = e < 0 ? end : e;
                String text = lenient(b, recStart, recEnd);
                String column = errorField < names.length ? names[errorField] : null;
                badRow = bad(line, rec, column, error, text, text);
                line += boundaries.newlines;
                p = e < 0 ? end : e + 1;
            } else {
                long recordLine = line;
                if (firstRecordLine < 0) {
                    firstRecordLine = recordLine;
                }
                line += quotedLfs + (term < end ? 1 : 0);
                p = term < end ? term + 1 : end;
                if (types == null) {
                    Record raw = rawRecord(b);
                    if (raw != null) {
                        out.add(raw);
                    } else {
                        String text = lenient(b, recStart, term);
                        String shown = lenient(fScratch[errorField] ? scratch : b, fOff[errorField],
                                fOff[errorField] + fLen[errorField]);
                        badRow = bad(recordLine, rec, null, "invalid " + format.charset().name() + " bytes in column "
                                + (errorField + 1), shown, text);
                    }
                } else if (nFields != width) {
                    String text = lenient(b, recStart, term);
                    badRow = bad(recordLine, rec, null, "expected " + width + " fields but found " + nFields,
                            text, text);
                } else {
                    Object[] values = new Object[width];
                    for (int i = 0; i < nFields; i++) {
                        Object v = value(b, i);
                        if (v == null && required != null && required[i]) {
                            badRow = bad(recordLine, rec, names[i], "no value in a required column",
                                    "", lenient(b, recStart, term));
                            break;
                        }
                        if (v == Values.BAD || v == BAD_ENCODING || v == HAS_NUL || v == LEADING_ZERO
                                || v == NO_OFFSET) {
                            String text = lenient(b, recStart, term);
                            String shown = lenient(fScratch[i] ? scratch : b, fOff[i], fOff[i] + fLen[i]);
                            String reason = v == BAD_ENCODING ? "invalid " + format.charset().name() + " bytes"
                                    : v == HAS_NUL ? "the value holds a NUL character (byte 0), which PostgreSQL text"
                                            + " cannot store"
                                    : '"' + abbreviated(shown) + "\" is not " + Values.describe(types[i])
                                            + (v == LEADING_ZERO ? ": its leading zero would be lost (inference reads"
                                                    + " numbers with a leading zero, such as codes, as text)"
                                                    : v == NO_OFFSET ? ": it has no UTC offset, which every value"
                                                    + " inference sampled had (a declared timestamptz column reads it"
                                                    + " as UTC)" : "");
                            badRow = bad(recordLine, rec, names[i], reason, shown, text);
                            break;
                        }
                        values[target[i]] = v;
                    }
                    if (badRow == null) {
                        out.add(Record.of(values));
                    }
                }
            }
            rec++;
            if (badRow != null) {
                bad.add(badRow);
                if (stopAtFirstBadRow) {
                    return new Result(c, out, bad, true);
                }
            }
        }
        return new Result(c, out, bad, false);
    }

    /** A value as a message shows it: up to 80 characters, then an ellipsis and the full length. */
    private static String abbreviated(String value) {
        return value.length() <= 80 ? value : value.substring(0, 80) + "…(" + value.length() + " characters)";
    }

    /** The line the first record this parser read starts on (after blank and comment lines), or -1. */
    long firstRecordLine() {
        return firstRecordLine;
    }

    private BadRow bad(long line, long rec, String column, String reason, String excerpt, String text) {
        InputLocation at = InputLocation.of(source).withLine(line).withRecordNumber(rec).withExcerpt(excerpt);
        if (column != null) {
            at = at.withColumn(column);
        }
        return new BadRow(at, reason, text);
    }

    /** The fields as Strings; null when a strict raw parser meets invalid text ({@link #errorField} says where). */
    private Record rawRecord(byte[] b) {
        Object[] values = new Object[nFields];
        for (int i = 0; i < nFields; i++) {
            byte[] src = fScratch[i] ? scratch : b;
            if (fNull[i]) {
                values[i] = null;
            } else {
                Object s = text(src, fOff[i], fLen[i], true);
                if (s == BAD_ENCODING && strictRaw) {
                    errorField = i;
                    return null;
                }
                values[i] = s == BAD_ENCODING ? lenient(src, fOff[i], fOff[i] + fLen[i]) : s;
            }
        }
        return Record.of(values);
    }

    private Object value(byte[] b, int i) {
        byte[] src = fScratch[i] ? scratch : b;
        int off = fOff[i];
        int len = fLen[i];
        FieldType type = types[i];
        if (fNull[i]) {
            return null;
        }
        FieldType.Kind kind = type.kind();
        if (kind == FieldType.Kind.STRING) {
            return decode(src, off, len);
        }
        if (kind == FieldType.Kind.JSON) {
            return Values.json(decode(src, off, len));
        }
        if (len == 0) {
            return null;
        }
        if (keepZeros != null && keepZeros[i]) {
            if (kind == FieldType.Kind.TIMESTAMPTZ ? noOffset(src, off, len) : leadingZero(src, off, len)) {
                return kind == FieldType.Kind.TIMESTAMPTZ ? NO_OFFSET : LEADING_ZERO;
            }
        }
        return Values.convert(type, src, off, len, this);
    }

    private boolean isNull(byte[] src, int off, int len) {
        if (len != nullBytes.length) {
            return false;
        }
        for (int i = 0; i < len; i++) {
            if (src[off + i] != nullBytes[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * The field as a String; a marker when its bytes are not valid in the charset or it holds a NUL character (no
     * PostgreSQL type reads one: text cannot store it, and Java's number parsers would drop it as white space).
     */
    @Override
    public Object decode(byte[] src, int off, int len) {
        return text(src, off, len, false);
    }

    private Object text(byte[] src, int off, int len, boolean nulAllowed) {
        boolean ascii = true;
        for (int i = off, e = off + len; i < e; i++) {
            byte c = src[i];
            if (c <= 0) {
                if (c < 0) {
                    ascii = false;
                } else if (!nulAllowed) {
                    // byte 0 is U+0000 in UTF-8 and in every single-byte ASCII-compatible charset this reads
                    return HAS_NUL;
                }
            }
        }
        if (ascii) {
            return new String(src, off, len, StandardCharsets.ISO_8859_1);
        }
        try {
            CharBuffer chars = decoder.decode(ByteBuffer.wrap(src, off, len));
            return chars.toString();
        } catch (CharacterCodingException e) {
            return BAD_ENCODING;
        }
    }

    /**
     * Text for a bad row's message, excerpt and {@link BadRow#text}: bytes invalid in the charset and NUL characters
     * as U+FFFD, so that it can be stored in PostgreSQL (a dead-letter table), whose text cannot hold a NUL.
     */
    private String lenient(byte[] src, int off, int end) {
        int to = end;
        if (to > off && src[to - 1] == Format.CR) {
            to--;
        }
        return new String(src, off, Math.max(0, to - off), format.charset()).replace('\0', '\uFFFD');
    }

    /**
     * Splits the record at {@code p} into fields. Returns the index of its ending line feed, or {@code end} when
     * it ends with the data; -1 when it is malformed ({@link #error} says how, {@link #errorField} where).
     */
    private int split(byte[] b, int p, int end) {
        nFields = 0;
        scratchLen = 0;
        quotedLfs = 0;
        final boolean trim = format.trim();
        while (true) {
            if (trim) {
                p = skipSpaces(b, p, end);
            }
            if (p < end && b[p] == quote) {
                p++;
                int start = p;
                int sStart = -1;
                while (true) {
                    if (p >= end) {
                        error = "unbalanced quote: the quoted field is not closed before the end of the input";
                        errorField = nFields;
                        return -1;
                    }
                    byte c = b[p];
                    if (c == quote) {
                        if (p + 1 < end && b[p + 1] == quote) {
                            if (sStart < 0) {
                                sStart = toScratch(b, start, p);
                            }
                            append(quote);
                            p += 2;
                            continue;
                        }
                        break;
                    }
                    if (escape >= 0 && c == (byte) escape && p + 1 < end) {
                        if (sStart < 0) {
                            sStart = toScratch(b, start, p);
                        }
                        if (b[p + 1] == Format.LF) {
                            quotedLfs++;
                        }
                        append(unescape(b[p + 1]));
                        p += 2;
                        continue;
                    }
                    if (c == Format.LF) {
                        quotedLfs++;
                    }
                    if (sStart >= 0) {
                        append(c);
                    }
                    p++;
                }
                if (sStart >= 0) {
                    addField(sStart, scratchLen - sStart, true, false);
                } else {
                    addField(start, p - start, false, false);
                }
                p++;
                if (trim) {
                    p = skipSpaces(b, p, end);
                }
                if (p >= end) {
                    return end;
                }
                byte c = b[p];
                if (c == delimiter) {
                    p++;
                    continue;
                }
                if (c == Format.LF) {
                    return p;
                }
                if (c == Format.CR && (p + 1 == end || b[p + 1] == Format.LF)) {
                    return p + 1 == end ? end : p + 1;
                }
                error = "unexpected character after the closing quote (a quoted field must end at a delimiter or"
                        + " the end of the line)";
                errorField = nFields - 1;
                return -1;
            }
            int start = p;
            int sStart = -1;
            int escapedTo = -1;
            while (p < end) {
                byte c = b[p];
                if (c == delimiter || c == Format.LF) {
                    break;
                }
                if (c == Format.CR && p + 1 < end && b[p + 1] != Format.LF) {
                    // as PostgreSQL's COPY: a carriage return in data must be quoted; a file whose lines end in a
                    // bare CR would otherwise read as one record
                    error = "carriage return outside quotes: quote the field, or convert a file whose lines end in"
                            + " CR alone to LF or CRLF line endings";
                    errorField = nFields;
                    return -1;
                }
                if (c == quote && !format.lenientQuotes()) {
                    error = "quote character inside an unquoted field (quote the whole field and double the quote; as"
                            + " quotes pair up, the row runs on to the next quote)";
                    errorField = nFields;
                    return -1;
                }
                if (escape >= 0 && c == (byte) escape && p + 1 < end) {
                    if (sStart < 0) {
                        sStart = toScratch(b, start, p);
                    }
                    append(unescape(b[p + 1]));
                    if (b[p + 1] == Format.LF) {
                        quotedLfs++;
                    }
                    p += 2;
                    escapedTo = p;
                    continue;
                }
                if (sStart >= 0) {
                    append(c);
                }
                p++;
            }
            boolean last = p >= end || b[p] == Format.LF;
            byte[] src = sStart >= 0 ? scratch : b;
            int fStart = sStart >= 0 ? sStart : start;
            int fEnd = sStart >= 0 ? scratchLen : p;
            // the CR of a CRLF line end, not one an escape made ('\r', or an escaped CR)
            if (last && p > start && b[p - 1] == Format.CR && escapedTo != p) {
                fEnd--;
            }
            if (trim) {
                while (fEnd > fStart && isSpace(src[fEnd - 1])) {
                    fEnd--;
                }
            }
            // the null string is compared with the field as written, before escapes are undone (as COPY does):
            // with escape '\', MySQL's \N is NULL, and an escaped \\N is the text \N
            int rawEnd = p;
            if (last && rawEnd > start && b[rawEnd - 1] == Format.CR && escapedTo != rawEnd) {
                rawEnd--;
            }
            if (trim) {
                while (rawEnd > start && isSpace(b[rawEnd - 1]) && escapedTo != rawEnd) {
                    rawEnd--;
                }
            }
            addField(fStart, fEnd - fStart, sStart >= 0, isNull(b, start, rawEnd - start));
            if (p >= end) {
                return end;
            }
            if (b[p] == Format.LF) {
                return p;
            }
            p++;
        }
    }

    private boolean isSpace(byte c) {
        return c == ' ' || (c == '\t' && delimiter != '\t');
    }

    private int skipSpaces(byte[] b, int p, int end) {
        while (p < end && isSpace(b[p])) {
            p++;
        }
        return p;
    }

    private static byte unescape(byte c) {
        return switch (c) {
            case 'n' -> Format.LF;
            case 'r' -> Format.CR;
            case 't' -> '\t';
            case 'b' -> '\b';
            case 'f' -> '\f';
            default -> c;
        };
    }

    private int toScratch(byte[] b, int from, int to) {
        int at = scratchLen;
        for (int i = from; i < to; i++) {
            append(b[i]);
        }
        return at;
    }

    private void append(byte c) {
        if (scratchLen == scratch.length) {
            scratch = Arrays.copyOf(scratch, scratch.length * 2);
        }
        scratch[scratchLen++] = c;
    }

    private void addField(int off, int len, boolean inScratch, boolean isNull) {
        if (nFields == fOff.length) {
            int n = nFields * 2;
            fOff = Arrays.copyOf(fOff, n);
            fLen = Arrays.copyOf(fLen, n);
            fScratch = Arrays.copyOf(fScratch, n);
            fNull = Arrays.copyOf(fNull, n);
        }
        fNull[nFields] = isNull;
        fOff[nFields] = off;
        fLen[nFields] = len;
        fScratch[nFields] = inScratch;
        nFields++;
    }
}
