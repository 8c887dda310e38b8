package dev.mds.connector.faker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.core.Record;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * Every record of a data set, pinned: a SHA-256 over the values of all users (generation 3, so two rounds of
 * changes), products and purchases of seed 42. Equal on every JVM, machine, default time zone and locale (run with
 * {@code -Duser.timezone=Pacific/Kiritimati -Duser.language=tr -Duser.country=TR}, and under {@code ar_SA},
 * {@code th_TH_TH} with Thai digits, {@code America/St_Johns}, {@code Asia/Kathmandu}, to the same digest). If this
 * changes, every data set made with mds changes: change it only on purpose.
 */
class FakerPinnedDataTest {
    private static final String PINNED = "877c5ff109f9baed36c9a93216a4cd8c44e71369bf28d8d8ac28875d5fb0eb7a";

    @Test
    void everyRecordOfAGivenSeedIsPinned() throws Exception {
        FakerSource source = FakerSource.builder().seed(42).users(3_000).products(77).batchRows(333).generation(3).build();
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        long records = 0;
        for (FakerStream stream : FakerStream.values()) {
            for (Record r : (Iterable<Record>) source.batches(stream).flatMap(b -> b.records().stream())::iterator) {
                // the values' own text: OffsetDateTime (UTC, ISO), BigDecimal, Long, Integer, String
                sha.update((stream.streamName() + r.values() + "\n").getBytes(StandardCharsets.UTF_8));
                records++;
            }
        }
        assertThat(records).isGreaterThan(3_077);
        assertThat(HexFormat.of().formatHex(sha.digest())).isEqualTo(PINNED);
    }
}
