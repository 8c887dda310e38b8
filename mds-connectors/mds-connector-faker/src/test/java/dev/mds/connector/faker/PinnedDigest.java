package dev.mds.connector.faker;

import dev.mds.core.Record;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Test helper: the SHA-256 {@link FakerPinnedDataTest} pins, over every record of seed 42; as a program, prints it
 * (run in a JVM of its own, under another default time zone and locale).
 */
final class PinnedDigest {
    private PinnedDigest() {
    }

    static String digest() {
        FakerSource source = FakerSource.builder().seed(42).users(3_000).products(77).batchRows(333).generation(3).build();
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        for (FakerStream stream : FakerStream.values()) {
            for (Record r : (Iterable<Record>) source.batches(stream).flatMap(b -> b.records().stream())::iterator) {
                // the values' own text: OffsetDateTime (UTC, ISO), BigDecimal, Long, Integer, String
                sha.update((stream.streamName() + r.values() + "\n").getBytes(StandardCharsets.UTF_8));
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    public static void main(String[] args) {
        System.out.println(digest());
    }
}
