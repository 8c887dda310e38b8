package dev.mds.connector.csv;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.core.FieldType;
import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Replays the RFC 4180 edge cases in {@code src/test/resources/conformance}: each {@code NAME.csv} must read
 * as {@code NAME.expected} says (first line the column names, then one record per line, fields separated by
 * tabs, {@code \n \r \t \\} escaped, {@code \N} for NULL), sequentially and in parallel with every chunking.
 */
class ConformanceTest {
    private static final List<UnaryOperator<CsvSource.Builder>> READINGS = List.of(
            b -> b,
            b -> b.parallelism(2).chunkRows(1),
            b -> b.parallelism(3).chunkRows(2),
            b -> b.parallelism(2).chunkBytes(1),
            b -> b.parallelism(2).chunkBytes(64),
            b -> b.chunkRows(7));

    @Test
    void everyCaseReadsAsExpectedSequentiallyAndInParallel() throws Exception {
        List<Path> cases = cases();
        assertThat(cases).hasSizeGreaterThanOrEqualTo(15);
        for (Path csv : cases) {
            String name = csv.getFileName().toString().replace(".csv", "");
            List<String> expected = Files.readAllLines(csv.resolveSibling(name + ".expected"), StandardCharsets.UTF_8);
            List<String> columns = expected.get(0).isEmpty() ? List.of() : Arrays.asList(expected.get(0).split("\t", -1));
            List<List<String>> rows = new ArrayList<>();
            for (String line : expected.subList(1, expected.size())) {
                rows.add(parseExpected(line));
            }
            List<RecordBatch> sequentialBatches = null;
            for (UnaryOperator<CsvSource.Builder> reading : READINGS) {
                CsvSource.Builder builder = CsvSource.builder().path(csv);
                columns.forEach(c -> builder.type(c, FieldType.STRING));
                try (CsvSource source = reading.apply(builder).build()) {
                    assertThat(source.schema().names()).as(name + " columns").isEqualTo(columns);
                    List<RecordBatch> batches = source.batches().toList();
                    List<List<String>> actual = new ArrayList<>();
                    for (RecordBatch b : batches) {
                        for (Record r : b.records()) {
                            List<String> values = new ArrayList<>();
                            r.values().forEach(v -> values.add((String) v));
                            actual.add(values);
                        }
                    }
                    assertThat(actual).as(name + " records").isEqualTo(rows);
                    if (sequentialBatches == null) {
                        sequentialBatches = batches;
                    }
                }
            }
            // the same chunking must give identical batches (records and positions) with 1 or 4 threads
            List<RecordBatch> one = Read.batches(CsvSource.builder().path(csv).chunkRows(3));
            List<RecordBatch> four = Read.batches(CsvSource.builder().path(csv).chunkRows(3).parallelism(4));
            assertThat(four).as(name + " batches with 4 threads").isEqualTo(one);
        }
    }

    static List<Path> cases() throws IOException, URISyntaxException {
        Path dir = Path.of(ConformanceTest.class.getResource("/conformance").toURI());
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.toString().endsWith(".csv")).sorted().toList();
        }
    }

    private static List<String> parseExpected(String line) {
        List<String> out = new ArrayList<>();
        for (String field : line.split("\t", -1)) {
            if (field.equals("\\N")) {
                out.add(null);
                continue;
            }
            StringBuilder s = new StringBuilder();
            for (int i = 0; i < field.length(); i++) {
                char c = field.charAt(i);
                if (c == '\\' && i + 1 < field.length()) {
                    char n = field.charAt(++i);
                    s.append(switch (n) {
                        case 'n' -> '\n';
                        case 'r' -> '\r';
                        case 't' -> '\t';
                        default -> n;
                    });
                } else {
                    s.append(c);
                }
            }
            out.add(s.toString());
        }
        return out;
    }
}
