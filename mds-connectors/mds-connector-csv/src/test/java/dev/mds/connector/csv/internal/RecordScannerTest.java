package dev.mds.connector.csv.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.BadInputException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The scanner's buffer grows to hold a chunk, but not past the largest array the JVM makes: before, past 1 GiB it
 * doubled to a negative size and the read died with a NegativeArraySizeException naming neither file nor line (a quote
 * never closed early in a file of several GiB reads the rest as one record). The limit is lowered here to show what
 * happens at it.
 */
class RecordScannerTest {
    private static final int LIMIT = 128 * 1024;

    private static RecordScanner scanner(String text) {
        return new RecordScanner(Format.rfc4180(), "big.csv", Channels.newChannel(new ByteArrayInputStream(
                text.getBytes(StandardCharsets.UTF_8))), 0, 1, 1, 64 * 1024, LIMIT);
    }

    @Test
    void aChunkThatWouldOutgrowTheLargestBufferEndsAtTheLastRecordThatFits() throws IOException {
        StringBuilder text = new StringBuilder();
        int rows = 20_000;
        for (int i = 1; i <= rows; i++) {
            text.append(i).append(",\"a\nb\",x\n");
        }
        try (RecordScanner s = scanner(text.toString())) {
            long records = 0;
            long line = 1;
            Chunk c;
            int chunks = 0;
            while ((c = s.next(Integer.MAX_VALUE, Long.MAX_VALUE)) != null) {
                assertThat(c.to() - c.from()).isLessThanOrEqualTo(LIMIT);
                assertThat(c.firstRecord()).isEqualTo(records + 1);
                assertThat(c.firstLine()).isEqualTo(line);
                assertThat(new String(c.bytes(), c.from(), c.to() - c.from(), StandardCharsets.UTF_8))
                        .startsWith(records + 1 + ",\"a\nb\",x\n").endsWith("\"a\nb\",x\n");
                records += c.records();
                line += c.lines();
                chunks++;
            }
            assertThat(records).isEqualTo(rows);
            assertThat(line).isEqualTo(2L * rows + 1);
            assertThat(chunks).isGreaterThan(1);
        }
    }

    @Test
    void aRecordLongerThanTheLargestBufferFailsNamingTheLineItStartsOn() throws IOException {
        StringBuilder text = new StringBuilder("id,height\n1,180\n2,5'10\"\n");
        while (text.length() < 3 * LIMIT) {
            text.append("3,170\n");
        }
        try (RecordScanner s = scanner(text.toString())) {
            assertThat(s.next(1, Long.MAX_VALUE).records()).isEqualTo(1);   // the header
            assertThat(s.next(1, Long.MAX_VALUE).records()).isEqualTo(1);   // 1,180
            assertThatThrownBy(() -> s.next(1, Long.MAX_VALUE)).isInstanceOfSatisfying(BadInputException.class, e -> {
                assertThat(e.location().line()).hasValue(3);
                assertThat(e.getMessage()).startsWith("big.csv line 3").contains("longer than " + LIMIT + " bytes")
                        .contains("quote");
            });
        }
    }

    /**
     * A record arriving in many reads (a stream hands out a few KiB per read: a socket, an HTTP body, the transcoder of a
     * UTF-16 file) is searched for its end once, going on where the last search stopped. Before, each read searched the
     * record again from its start: a 16 MiB quoted field from such a stream took seconds, the documented 256 MiB
     * (maxRecordBytes) most of an hour.
     */
    @Test
    void aRecordArrivingInManySmallReadsIsSearchedOnceNotFromItsStartAfterEachRead() throws IOException {
        String big = "x".repeat(4 << 20);
        byte[] text = ("a,b\n1,\"" + big + "\"\n2,y\n").getBytes(StandardCharsets.US_ASCII);
        try (RecordScanner s = new RecordScanner(Format.rfc4180(), "big.csv", reads(text, 8192), 0, 1, 1, 64 * 1024)) {
            List<String> records = new ArrayList<>();
            Chunk c;
            while ((c = s.next(1, Long.MAX_VALUE)) != null) {
                records.add(new String(c.bytes(), c.from(), c.to() - c.from(), StandardCharsets.US_ASCII));
            }
            assertThat(records).containsExactly("a,b\n", "1,\"" + big + "\"\n", "2,y\n");
            assertThat(s.examined()).as("bytes searched for %s bytes", text.length).isLessThan(2L * text.length);
        }
    }

    /**
     * Going on where the search stopped finds the same records, lines and comments as one search of the whole input,
     * whichever byte a read ends on: inside quotes, after an escape character, inside a comment line, in a CRLF.
     */
    @Test
    void aSearchThatGoesOnAfterEachByteFindsTheSameRecordsAsOneSearchOfTheWholeInput() throws IOException {
        String text = "# comment, \"quoted\nid,\"na\"\"me\"\r\n1,\"multi\nline\",\\\"x\r\n\n#c2\n2,a\\\nb,\"q\\\"q\"\n"
                + "3,\"\",\"\"\"\"\n4,last";
        Format[] formats = {Format.rfc4180(),
            new Format((byte) ',', (byte) '"', '\\', '#', "", false, StandardCharsets.UTF_8, false, false),
            new Format((byte) ',', (byte) '"', -1, '#', "", true, StandardCharsets.UTF_8, false, true)};
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        for (Format format : formats) {
            List<String> whole = chunks(new RecordScanner(format, "t.csv", reads(bytes, bytes.length), 0, 1, 1, 1024));
            List<String> byteByByte = chunks(new RecordScanner(format, "t.csv", reads(bytes, 1), 0, 1, 1, 1024));
            assertThat(byteByByte).as("%s", format).isEqualTo(whole).hasSizeGreaterThan(3);
        }
    }

    private static List<String> chunks(RecordScanner s) throws IOException {
        List<String> out = new ArrayList<>();
        try (s) {
            Chunk c;
            while ((c = s.next(1, Long.MAX_VALUE)) != null) {
                out.add(c.firstRecord() + "/" + c.firstLine() + "+" + c.lines() + "x" + c.records() + ":"
                        + new String(c.bytes(), c.from(), c.to() - c.from(), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    /** A channel handing out at most {@code step} bytes per read, as a stream over a socket does. */
    private static ReadableByteChannel reads(byte[] data, int step) {
        return new ReadableByteChannel() {
            private int at;

            @Override
            public int read(ByteBuffer dst) {
                if (at == data.length) {
                    return -1;
                }
                int n = Math.min(Math.min(step, dst.remaining()), data.length - at);
                dst.put(data, at, n);
                at += n;
                return n;
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close() {
            }
        };
    }
}
