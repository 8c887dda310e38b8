package dev.mds.connector.csv.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.Charset;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Turns text in an encoding that is not ASCII-compatible (UTF-16, UTF-32, ...) into UTF-8 bytes as it is read,
 * so the byte-level reader handles it; malformed input fails the read.
 */
final class Utf8Transcoder extends InputStream {
    private final Reader reader;
    private final CharsetEncoder encoder = StandardCharsets.UTF_8.newEncoder()
            .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    private final CharBuffer chars = CharBuffer.allocate(16 * 1024);
    private final ByteBuffer bytes = ByteBuffer.allocate(64 * 1024);
    private boolean eof;

    Utf8Transcoder(InputStream in, Charset charset) {
        this.reader = new InputStreamReader(in, charset.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT));
        chars.flip();
        bytes.flip();
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (!bytes.hasRemaining()) {
            if (eof && !chars.hasRemaining()) {
                return -1;
            }
            refill();
        }
        int n = Math.min(len, bytes.remaining());
        bytes.get(b, off, n);
        return n;
    }

    private void refill() throws IOException {
        if (!eof) {
            chars.compact();
            int n = reader.read(chars);
            chars.flip();
            if (n < 0) {
                eof = true;
            }
        }
        bytes.clear();
        CoderResult r = encoder.encode(chars, bytes, eof);
        if (r.isError()) {
            r.throwException();
        }
        if (eof && !chars.hasRemaining()) {
            encoder.flush(bytes);
        }
        bytes.flip();
    }

    @Override
    public void close() throws IOException {
        reader.close();
    }
}
