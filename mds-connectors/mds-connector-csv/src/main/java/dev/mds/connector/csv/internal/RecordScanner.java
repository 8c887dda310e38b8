package dev.mds.connector.csv.internal;

import dev.mds.core.BadInputException;
import dev.mds.core.InputLocation;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.Arrays;

/**
 * Reads bytes and cuts them into {@link Chunk}s of whole records, in one sequential pass that only looks at
 * quotes and line feeds (see {@link Boundaries}). Keeps only the current chunk's bytes in memory.
 */
final class RecordScanner implements Closeable {
    private static final int MIN_CAPACITY = 64 * 1024;
    /** The largest array the JVM allocates. */
    static final int MAX_BUFFER = Integer.MAX_VALUE - 8;

    private final ReadableByteChannel in;
    private final String source;
    private final int maxBuffer;
    private final Boundaries boundaries;
    private byte[] buf;
    private int start;
    private int end;
    private long bufOffset;
    private boolean eof;
    private long nextRecord;
    private long nextLine;

    private int scanEnd;
    private int scanRecords;
    private long scanLines;

    RecordScanner(Format format, String source, ReadableByteChannel in, long offset, long firstRecord, long firstLine,
            int capacity) {
        this(format, source, in, offset, firstRecord, firstLine, capacity, MAX_BUFFER);
    }

    /** @param maxBuffer the most bytes the buffer grows to (a chunk is cut short, a longer record fails the read) */
    RecordScanner(Format format, String source, ReadableByteChannel in, long offset, long firstRecord, long firstLine,
            int capacity, int maxBuffer) {
        this.in = in;
        this.source = source;
        this.maxBuffer = Math.max(maxBuffer, MIN_CAPACITY);
        this.boundaries = new Boundaries(format);
        this.buf = new byte[Math.min(this.maxBuffer, Math.max(MIN_CAPACITY, capacity))];
        this.bufOffset = offset;
        this.nextRecord = firstRecord;
        this.nextLine = firstLine;
    }

    /** File offset of the next unread record. */
    long offset() {
        return bufOffset + start;
    }

    long nextRecord() {
        return nextRecord;
    }

    long nextLine() {
        return nextLine;
    }

    /** Drops {@code n} bytes at the current position if they are there (a byte-order mark); true if dropped. */
    boolean dropPrefix(byte[] prefix) throws IOException {
        if (!startsWith(prefix)) {
            return false;
        }
        start += prefix.length;
        return true;
    }

    /** Whether the bytes not yet read start with {@code prefix}; reads no further than it. */
    boolean startsWith(byte[] prefix) throws IOException {
        while (end - start < prefix.length && !eof) {
            fill(0);
        }
        if (end - start < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (buf[start + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    /** Moves forward to {@code offset} (a record boundary found earlier), with the given counters. */
    void skipTo(long offset, long record, long line) throws IOException {
        while (bufOffset + end < offset && !eof) {
            start = end;
            fill(0);
        }
        if (bufOffset + end < offset) {
            throw new IOException("position " + offset + " is past the end of the input (" + (bufOffset + end)
                    + " bytes)");
        }
        start = (int) (offset - bufOffset);
        nextRecord = record;
        nextLine = line;
    }

    /**
     * Moves forward to {@code offset} (at or after the current position; the counters are left to {@link #skipTo})
     * and returns the up to {@code n} input bytes just before it, fewer when the input starts closer or when this
     * scanner dropped them before the call; null when the input ends before {@code offset} (the scanner is then at
     * its end, so {@link #offset()} is the input's length).
     */
    byte[] skipKeeping(long offset, int n) throws IOException {
        byte[] kept = new byte[0];
        while (bufOffset + end < offset && !eof) {
            if (end == buf.length) {
                kept = last(kept, 0, end, n);   // the next read drops the buffer's bytes
            }
            start = end;
            fill(0);
        }
        if (bufOffset + end < offset) {
            start = end;
            return null;
        }
        start = (int) (offset - bufOffset);
        return last(kept, 0, start, n);
    }

    /** The last {@code n} bytes of {@code kept} followed by {@code buf[from, to)}. */
    private byte[] last(byte[] kept, int from, int to, int n) {
        int fromBuf = Math.min(n, to - from);
        int fromKept = Math.min(n - fromBuf, kept.length);
        byte[] out = new byte[fromKept + fromBuf];
        System.arraycopy(kept, kept.length - fromKept, out, 0, fromKept);
        System.arraycopy(buf, to - fromBuf, out, fromKept, fromBuf);
        return out;
    }

    /** The byte at the current position, without moving past it; -1 at the end of the input. */
    int peekByte() throws IOException {
        while (start >= end && !eof) {
            fill(start);
        }
        return start < end ? buf[start] & 0xFF : -1;
    }

    /**
     * The next chunk of up to {@code maxRecords} records or about {@code maxBytes} bytes; null at the end. The
     * chunk holds a copy of exactly its bytes, so memory held by chunks in flight is their size, not the buffer's.
     */
    Chunk next(int maxRecords, long maxBytes) throws IOException {
        if (!scan(maxRecords, maxBytes)) {
            return null;
        }
        byte[] copy = Arrays.copyOfRange(buf, start, scanEnd);
        Chunk chunk = new Chunk(copy, 0, copy.length, bufOffset + start, nextRecord, nextLine, scanRecords, scanLines);
        start = scanEnd;
        nextRecord += scanRecords;
        nextLine += scanLines;
        return chunk;
    }

    /** Like {@link #next} but leaves the records to be read again; the chunk holds a copy. */
    Chunk peek(int maxRecords) throws IOException {
        if (!scan(maxRecords, Long.MAX_VALUE)) {
            return null;
        }
        byte[] copy = Arrays.copyOfRange(buf, start, scanEnd);
        return new Chunk(copy, 0, copy.length, bufOffset + start, nextRecord, nextLine, scanRecords, scanLines);
    }

    private boolean scan(int maxRecords, long maxBytes) throws IOException {
        int p = start;
        int records = 0;
        long lines = 0;
        // bytes of the record at p the search has examined without finding its end: after a read, it goes on from
        // there (a record arriving in many small reads, from a stream, would otherwise be searched again from its
        // start after each one: quadratic in its length)
        int searched = -1;
        while (true) {
            if (p >= end) {
                if (eof || (full() && p > start)) {
                    break;
                }
                p = fill(p);
                continue;
            }
            int e = searched < 0 ? boundaries.find(buf, p, end) : boundaries.findMore(buf, p + searched, end);
            if (e < 0) {
                searched = end - p;
                if (!eof) {
                    if (full()) {
                        if (p > start) {
                            break;   // the chunk ends before the record that does not fit; it starts the next one
                        }
                        throw new BadInputException(InputLocation.of(source).withLine(nextLine + lines)
                                .withRecordNumber(nextRecord + records), "a record starting here is longer than "
                                + buf.length + " bytes, the most a record may hold (CsvSource.Builder.maxRecordBytes):"
                                + " either it is that long (raise maxRecordBytes), or a quote that is never closed,"
                                + " or a quote inside an unquoted field, runs on to the next quote or the end of the"
                                + " input");
                    }
                    p = fill(p);
                    continue;
                }
                if (!boundaries.skipped(buf, p, end)) {
                    records++;
                }
                lines += boundaries.newlines;
                p = end;
                break;
            }
            searched = -1;
            if (!boundaries.skipped(buf, p, e)) {
                records++;
            }
            lines += boundaries.newlines;
            p = e + 1;
            if (records >= maxRecords || p - start >= maxBytes) {
                break;
            }
        }
        if (p == start) {
            return false;
        }
        scanEnd = p;
        scanRecords = records;
        scanLines = lines;
        return true;
    }

    /** Whether the buffer holds only unread bytes and cannot grow: no more bytes can be read into it. */
    private boolean full() {
        return end == buf.length && start == 0 && buf.length >= maxBuffer;
    }

    /** Reads more bytes, compacting or growing the buffer; returns {@code p} adjusted to the moved buffer. */
    private int fill(int p) throws IOException {
        if (end == buf.length) {
            // compact; grow only when one chunk fills the whole buffer
            int live = end - start;
            byte[] target = start == 0 ? new byte[(int) Math.min(2L * buf.length, maxBuffer)] : buf;
            System.arraycopy(buf, start, target, 0, live);
            bufOffset += start;
            p -= start;
            buf = target;
            start = 0;
            end = live;
        }
        ByteBuffer bb = ByteBuffer.wrap(buf, end, buf.length - end);
        int n = in.read(bb);
        while (n == 0) {
            n = in.read(bb);
        }
        if (n < 0) {
            eof = true;
        } else {
            end += n;
        }
        return p;
    }

    /** Bytes the search for record ends has examined so far, for tests that it stays linear in the input. */
    long examined() {
        return boundaries.examined;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
