package dev.mds.connector.json.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * The input as the parser reads it, keeping the bytes from {@link #release(long) a point on} while recording, so that
 * a bad record's text can be taken as it was read and a new parser can start again at a line after invalid JSON.
 * Offsets are absolute: bytes from the start of the input. Not recording, it only passes the bytes through.
 */
final class Recorder extends InputStream {
    static final int CHECKED_BYTES = 64;

    private final InputStream in;
    private boolean recording = true;
    private byte[] buf;       // not final: grown, or a chunk's bytes held as they are
    private long base;        // absolute offset of buf[0]
    private int len;          // bytes held
    private long pos;         // absolute offset of the next byte handed to the parser
    private long keepFrom;    // bytes before this may be dropped
    private boolean eof;

    Recorder(InputStream in) {
        this.in = in;
        this.buf = new byte[1 << 16];
    }

    /** The input's bytes from absolute offset {@code start} on (a chunk of a larger input). */
    Recorder(InputStream in, long start) {
        this.in = in;
        this.buf = new byte[1 << 16];
        this.base = start;
        this.pos = start;
        this.keepFrom = start;
    }

    /** The first {@code length} bytes of {@code bytes}, all of an input's bytes from absolute offset {@code start} on. */
    Recorder(byte[] bytes, int length, long start) {
        this.in = InputStream.nullInputStream();
        this.buf = bytes;
        this.len = length;
        this.base = start;
        this.pos = start;
        this.keepFrom = start;
        this.eof = true;
    }

    boolean recording() {
        return recording;
    }

    /** Stops keeping bytes (their offsets are unknown to the parser: a UTF-16 or UTF-32 input). */
    void stopRecording() {
        recording = false;
    }

    /** The bytes before {@code offset} are no longer needed. */
    void release(long offset) {
        keepFrom = Math.max(keepFrom, offset);
    }

    /** The byte at {@code offset} (held, or read now), or -1 after the end of the input. */
    int byteAt(long offset) throws IOException {
        if (offset < base) {
            throw new IllegalStateException("byte " + offset + " is no longer held (from " + base + ")");
        }
        while (offset >= base + len) {
            if (!fill(8192)) {
                return -1;
            }
        }
        return buf[(int) (offset - base)] & 0xff;
    }

    /** The bytes from {@code from} to {@code to} as UTF-8 text; null when they are no longer held. */
    String text(long from, long to) {
        if (from < base || to > base + len || from > to) {
            return null;
        }
        return new String(buf, (int) (from - base), (int) (to - from), StandardCharsets.UTF_8);
    }

    /**
     * The check of a record's bytes from {@code from} to {@code to} that a position carries, so that a resume can
     * tell the record it was taken after from another of the same length: see {@link #check(byte[], int, int)}; -1
     * when they are not held (not recording).
     */
    long check(long from, long to) {
        if (!recording || from < base || to > base + len || from > to) {
            return -1;
        }
        return check(buf, (int) (from - base), (int) (to - from));
    }

    /** The check of a record's JSON as parsed, when its bytes are not held (UTF-16 or UTF-32 input). */
    static long check(String json) {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        return check(b, 0, b.length);
    }

    /** The CRC-32 of the first and last (at most) {@value #CHECKED_BYTES} of the {@code n} bytes, all of fewer. */
    private static long check(byte[] bytes, int start, int n) {
        CRC32 crc = new CRC32();
        if (n <= 2 * CHECKED_BYTES) {
            crc.update(bytes, start, n);
        } else {
            crc.update(bytes, start, CHECKED_BYTES);
            crc.update(bytes, start + n - CHECKED_BYTES, CHECKED_BYTES);
        }
        return crc.getValue();
    }

    /** The next byte handed to a parser is the one at {@code offset}, a held one or the next one unread. */
    void seek(long offset) {
        if (offset < base || offset > base + len) {
            throw new IllegalStateException("offset " + offset + " is not held (" + base + " to " + (base + len) + ")");
        }
        pos = offset;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int n) throws IOException {
        if (n == 0) {
            return 0;
        }
        if (pos >= base + len) {
            if (!recording) {
                int r = in.read(b, off, n);
                if (r > 0) {
                    pos += r;
                    base = pos;      // nothing held
                    len = 0;
                }
                return r;
            }
            if (!fill(n)) {
                return -1;
            }
        }
        int from = (int) (pos - base);
        int r = Math.min(n, len - from);
        System.arraycopy(buf, from, b, off, r);
        pos += r;
        return r;
    }

    /** Reads up to {@code n} more bytes into the buffer; false at the end of the input. */
    private boolean fill(int n) throws IOException {
        if (eof) {
            return false;
        }
        if (len + n > buf.length) {
            long dropTo = Math.min(keepFrom, pos);
            int drop = (int) Math.max(0, Math.min(dropTo - base, len));
            if (drop > 0) {
                System.arraycopy(buf, drop, buf, 0, len - drop);
                len -= drop;
                base += drop;
            }
            if (len + n > buf.length) {
                byte[] bigger = new byte[Math.max(buf.length * 2, len + n)];
                System.arraycopy(buf, 0, bigger, 0, len);
                buf = bigger;
            }
        }
        int r = in.read(buf, len, n);
        if (r < 0) {
            eof = true;
            return false;
        }
        len += r;
        return true;
    }

    /** Parsers close their input when they are dropped: the input is closed by {@link #closeInput()} only. */
    @Override
    public void close() {
    }

    void closeInput() throws IOException {
        in.close();
    }
}
