package dev.mds.connector.csv;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.core.FieldType;
import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The own byte-level parser against Apache Commons CSV as the oracle: random files full of quotes, delimiters,
 * CR/LF inside fields and multibyte characters must give the same fields, with 1 and 3 threads.
 */
class CommonsCsvAgreementTest {
    private static final String[] PIECES = {"a", "Zürich", "東京", "😀", ",", "\"", "\n", "\r\n", " ", "x y", "0",
        "-12.5", "ß", "\t", ";"};

    @TempDir
    Path dir;

    @Test
    void randomRfc4180FilesReadLikeCommonsCsv() throws IOException {
        SplittableRandom random = new SplittableRandom(42);
        for (int file = 0; file < 20; file++) {
            int columns = 1 + random.nextInt(6);
            StringBuilder csv = new StringBuilder();
            List<String> header = new ArrayList<>();
            for (int c = 0; c < columns; c++) {
                header.add("c" + c);
            }
            csv.append(String.join(",", header)).append(file % 2 == 0 ? "\n" : "\r\n");
            int rows = 1 + random.nextInt(400);
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < columns; c++) {
                    if (c > 0) {
                        csv.append(',');
                    }
                    String value = randomValue(random);
                    boolean mustQuote = value.isEmpty() || value.chars().anyMatch(ch -> ch == ',' || ch == '"'
                            || ch == '\n' || ch == '\r');
                    if (mustQuote || random.nextInt(4) == 0) {
                        csv.append('"').append(value.replace("\"", "\"\"")).append('"');
                    } else {
                        csv.append(value);
                    }
                }
                if (r < rows - 1 || random.nextBoolean()) {
                    csv.append(random.nextBoolean() ? "\n" : "\r\n");
                }
            }
            Path path = dir.resolve("random" + file + ".csv");
            Files.writeString(path, csv, StandardCharsets.UTF_8);
            List<List<String>> expected = commons(CSVFormat.RFC4180.builder().setHeader().setSkipHeaderRecord(true)
                    .get(), csv.toString());
            long chunkBytes = 1 + random.nextInt(2000);
            List<List<RecordBatch>> readings = new ArrayList<>();
            for (int threads : new int[] {1, 3}) {
                CsvSource.Builder b = CsvSource.builder().path(path).parallelism(threads).chunkBytes(chunkBytes);
                header.forEach(h -> b.type(h, FieldType.STRING));
                List<RecordBatch> batches = Read.batches(b);
                readings.add(batches);
                assertThat(strings(batches.stream().flatMap(x -> x.records().stream()).toList()))
                        .as("file " + file + " with " + threads + " threads").isEqualTo(expected);
            }
            assertThat(readings.get(1)).as("batches and positions with 3 threads").isEqualTo(readings.get(0));
        }
    }

    @Test
    void escapeAndCommentFilesReadLikeCommonsCsv() throws IOException {
        String csv = "a,b\n# a comment, with \"quote\n1,x\\,y\n\"q\\\"uoted\",\"multi\nline\"\n#another\n3,\"a\"\"b\"\n";
        Path path = dir.resolve("escaped.csv");
        Files.writeString(path, csv);
        CSVFormat format = CSVFormat.RFC4180.builder().setHeader().setSkipHeaderRecord(true).setEscape('\\')
                .setCommentMarker('#').get();
        List<List<String>> expected = commons(format, csv);
        for (int threads : new int[] {1, 2}) {
            List<List<String>> actual = strings(Read.records(CsvSource.builder().path(path).escape('\\')
                    .commentMarker('#').type("a", FieldType.STRING).parallelism(threads).chunkRows(1)));
            assertThat(actual).isEqualTo(expected);
        }
        assertThat(expected).hasSize(3);
    }

    private static String randomValue(SplittableRandom random) {
        StringBuilder s = new StringBuilder();
        int n = random.nextInt(5);
        for (int i = 0; i < n; i++) {
            s.append(PIECES[random.nextInt(PIECES.length)]);
        }
        return s.toString();
    }

    private static List<List<String>> commons(CSVFormat format, String csv) throws IOException {
        List<List<String>> out = new ArrayList<>();
        try (CSVParser parser = CSVParser.builder().setReader(new StringReader(csv)).setFormat(format).get()) {
            for (CSVRecord r : parser) {
                out.add(r.toList());
            }
        }
        return out;
    }

    /** Fields as text, NULL as the empty string (Commons CSV does not tell an empty unquoted field from ""). */
    private static List<List<String>> strings(List<Record> records) {
        List<List<String>> out = new ArrayList<>();
        for (Record r : records) {
            List<String> values = new ArrayList<>();
            r.values().forEach(v -> values.add(Objects.toString(v, "")));
            out.add(values);
        }
        return out;
    }
}
