package dev.mds.connector.csv.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.BadInputException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
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
}
