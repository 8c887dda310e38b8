package dev.mds.connector.csv.internal;

import dev.mds.core.BadInputException;
import dev.mds.core.InputLocation;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Turns text in an encoding that is not ASCII-compatible (UTF-16, UTF-32, ...) into UTF-8 bytes as it is read,
 * so the byte-level reader handles it. Bytes the encoding does not define fail the read with a
 * {@link BadInputException} naming the source and the line they are on.
 */
final class Utf8Transcoder extends InputStream {
    private final InputStream in;
    private final Charset charset;
    private final String source;
    private final CharsetDecoder decoder;
    private final CharsetEncoder encoder = StandardCharsets.UTF_8.newEncoder()
            .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    private final ByteBuffer raw = ByteBuffer.allocate(16 * 1024);
    private final CharBuffer chars = CharBuffer.allocate(16 * 1024);
    private final ByteBuffer bytes = ByteBuffer.allocate(64 * 1024);
    /** 1 + the line feeds decoded so far: the line of the next character. */
    private long line = 1;
    private boolean eof;
    private boolean decoded;

    Utf8Transcoder(InputStream in, Charset charset, String source) {
        this.in = in;
        this.charset = charset;
        this.source = source;
        this.decoder = charset.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        raw.flip();
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
            if (decoded && !chars.hasRemaining()) {
                return -1;
            }
            refill();
        }
        int n = Math.min(len, bytes.remaining());
        bytes.get(b, off, n);
        return n;
    }

    private void refill() throws IOException {
        if (!decoded) {
            if (!eof) {
                raw.compact();
                int n = in.read(raw.array(), raw.position(), raw.remaining());
                if (n < 0) {
                    eof = true;
                } else {
                    raw.position(raw.position() + n);
                }
                raw.flip();
            }
            chars.compact();
            int from = chars.position();
            CoderResult r = decoder.decode(raw, chars, eof);
            // the characters before bad bytes are in chars: counting them gives the bad bytes' line
            for (int i = from; i < chars.position(); i++) {
                if (chars.get(i) == '\n') {
                    line++;
                }
            }
            if (r.isError()) {
                throw new BadInputException(InputLocation.of(source).withLine(line), r.length() + " byte(s) that are not"
                        + " valid " + charset.name() + "; a file in an encoding that is not ASCII-compatible is"
                        + " transcoded before it is parsed, so this fails the read instead of being a bad row");
            }
            if (eof && !raw.hasRemaining() && decoder.flush(chars).isUnderflow()) {
                decoded = true;
            }
            chars.flip();
        }
        bytes.clear();
        CoderResult r = encoder.encode(chars, bytes, decoded);
        if (r.isError()) {
            r.throwException();
        }
        if (decoded && !chars.hasRemaining()) {
            encoder.flush(bytes);
        }
        bytes.flip();
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
