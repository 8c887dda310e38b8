package dev.mds.connector.csv.internal;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * The byte-level dialect of a CSV file.
 *
 * @param delimiter the field separator (an ASCII character)
 * @param quote the quote character (an ASCII character)
 * @param escape the escape character, or -1 for none (RFC 4180 doubles quotes instead)
 * @param comment the comment marker at the start of a line, or -1 for none
 * @param nullString an unquoted field equal to this is NULL
 * @param trim whether spaces around fields are dropped
 * @param charset an ASCII-compatible encoding
 * @param keepByteOrderMark whether a UTF-8 byte-order mark is kept as data
 * @param lenientQuotes whether a quote inside an unquoted field is data (otherwise the row is bad)
 */
public record Format(byte delimiter, byte quote, int escape, int comment, String nullString, boolean trim,
        Charset charset, boolean keepByteOrderMark, boolean lenientQuotes) {
    public static final byte LF = '\n';
    public static final byte CR = '\r';

    public Format {
        Objects.requireNonNull(nullString, "nullString");
        Objects.requireNonNull(charset, "charset");
    }

    /** RFC 4180: comma, double quote, no escape, no comments, empty unquoted field is NULL, UTF-8. */
    public static Format rfc4180() {
        return new Format((byte) ',', (byte) '"', -1, -1, "", false, StandardCharsets.UTF_8, false, false);
    }

    /** Whether record boundaries follow from quote parity alone (the fast, exact split). */
    public boolean parityExact() {
        return escape < 0 && comment < 0 && !lenientQuotes;
    }

    public boolean utf8() {
        return charset.equals(StandardCharsets.UTF_8);
    }

    /** Whether {@code charset} keeps ASCII characters as single ASCII bytes, as this reader needs. */
    public static boolean asciiCompatible(Charset charset) {
        if (charset.equals(StandardCharsets.UTF_8)) {
            return true;
        }
        if (!charset.canEncode() || charset.newEncoder().maxBytesPerChar() != 1.0f) {
            return false;
        }
        String probe = "\n\r,;|\t\"'#\\ azAZ09";
        return Arrays.equals(probe.getBytes(charset), probe.getBytes(StandardCharsets.US_ASCII));
    }
}
