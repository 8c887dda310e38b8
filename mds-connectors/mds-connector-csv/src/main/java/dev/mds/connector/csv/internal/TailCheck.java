package dev.mds.connector.csv.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Optional;
import java.util.zip.CRC32;

/**
 * The check a CSV position carries of the bytes just before its offset (the end of the last committed record):
 * {@code "<n>:<crc32 hex>"} of the last n (at most {@value #MAX_BYTES}) bytes. A resume compares it with the file, so
 * that a file replaced under the same name (a new export, a re-split with other chunk sizes) is refused instead of
 * being read from an offset that no longer ends a committed record, which would skip or repeat records.
 */
final class TailCheck {
    static final int MAX_BYTES = 64;

    private TailCheck() {
    }

    static String of(byte[] bytes, int from, int to) {
        int n = Math.min(MAX_BYTES, to - from);
        CRC32 crc = new CRC32();
        crc.update(bytes, to - n, n);
        return n + ":" + Long.toHexString(crc.getValue());
    }

    /** The check of the file's bytes before {@code offset}. */
    static String of(FileChannel file, long offset) throws IOException {
        int n = (int) Math.min(MAX_BYTES, offset);
        byte[] b = before(file, offset, n);
        if (b == null) {
            throw new IOException("the file ends before byte " + offset);
        }
        return of(b, 0, n);
    }

    /** The file's {@code n} bytes before {@code offset}; null when the file ends before it. */
    private static byte[] before(FileChannel file, long offset, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (file.read(b, offset - n + b.position()) < 0) {
                return null;
            }
        }
        return b.array();
    }

    /**
     * Whether the file's bytes before {@code offset} match {@code check}; empty when the check cannot be read (a
     * position written by hand or by an older version), which is then not checked.
     */
    static Optional<Boolean> matches(String check, FileChannel file, long offset) throws IOException {
        int n = length(check);
        if (n < 0) {
            return Optional.empty();
        }
        if (offset - n < 0) {
            return Optional.of(false);
        }
        byte[] b = before(file, offset, n);
        return Optional.of(b != null && of(b, 0, n).equals(check));
    }

    /**
     * Whether {@code before}, the input's last bytes before {@code offset}, match {@code check}; empty when the check
     * cannot be read, or covers more bytes than {@code before} holds though the input has them.
     */
    static Optional<Boolean> matches(String check, byte[] before, long offset) {
        int n = length(check);
        if (n < 0) {
            return Optional.empty();
        }
        if (offset - n < 0) {
            return Optional.of(false);
        }
        if (before.length < n) {
            return Optional.empty();
        }
        return Optional.of(of(before, before.length - n, before.length).equals(check));
    }

    /** The number of bytes {@code check} covers; -1 when it is not a check this class made. */
    private static int length(String check) {
        int colon = check.indexOf(':');
        int n;
        try {
            n = Integer.parseInt(check.substring(0, Math.max(colon, 0)));
        } catch (NumberFormatException e) {
            return -1;
        }
        return n < 0 || n > MAX_BYTES ? -1 : n;
    }
}
