package dev.mds.connector.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.mds.core.BadRecord;
import dev.mds.core.FieldType;
import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import dev.mds.core.Schema;
import dev.mds.core.SourcePosition;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link JsonSource.Builder#threads}: JSON Lines cut into small chunks and parsed by 3 threads give exactly what one
 * thread gives: records, bad records (where, why, text) under each policy, positions, and resumes from every position;
 * with bad records of every kind, records over several lines, CRLF, blank lines, two records on a line, strings holding
 * braces and line-break escapes, and invalid JSON (after which one thread reads on).
 */
class JsonSourceThreadsTest {
    @TempDir
    Path dir;

    private static final Schema SCHEMA = Schema.builder().add("id", FieldType.LONG).add("name", FieldType.STRING)
            .add("amount", FieldType.DECIMAL).add("at", FieldType.TIMESTAMPTZ).add("tags", FieldType.JSON).build();

    /**
     * Random JSON Lines: mostly good records, some bad ones that are valid JSON; invalid JSON (and a line starting with
     * <code>{</code> inside a record) only when asked.
     */
    private static String lines(long seed, int count, boolean invalidJson) {
        Random random = new Random(seed);
        StringBuilder s = new StringBuilder();
        for (int id = 1; id <= count; id++) {
            String eol = random.nextInt(10) == 0 ? "\r\n" : "\n";
            String good = "{\"id\": " + id + ", \"name\": \"n{" + id + "}\\\"\\n\", \"amount\": " + random.nextInt(1000) + "."
                    + random.nextInt(100) + "0, \"at\": \"2021-12-17T11:49:40." + random.nextInt(1000) + "+01:00\", \"tags\": "
                    + (random.nextBoolean() ? "[1, {\"a\": \"}\"}]" : "{\"k\": 1.50}") + "}";
            int kind = random.nextInt(100);
            if (kind < 4) {
                s.append("{\"id\": ").append(id).append(", \"amount\": \"lots\"}");          // does not fit
            } else if (kind < 7) {
                s.append("{\"id\": ").append(id).append(", \"other\": 1}");                  // outside the schema
            } else if (kind < 10) {
                s.append("{\"id\": ").append(id).append(", \"tags\": {\"x\": 1, \"x\": 2}}");   // a key twice
            } else if (kind < 12) {
                s.append(random.nextBoolean() ? "42" : "[1, 2]");                                // not an object
            } else if (kind < 15) {
                // several lines; with invalid JSON also a line inside the record that starts with '{', where a
                // chunk may be cut: one thread reads on from there
                s.append("{\"id\": ").append(id).append(",\n  \"tags\":\n").append(invalidJson ? "" : "  ")
                        .append("{\"over\": \"lines\"}\n}");
            } else if (kind < 17) {
                s.append(good).append(' ').append("{\"id\": -").append(id).append('}');        // two on a line
            } else if (kind < 19) {
                s.append(eol);                                                                 // a blank line
                s.append(good);
            } else if (invalidJson && kind < 21) {
                s.append(random.nextBoolean() ? "{\"id\": " + id + ",, }" : "{\"id\": " + id + ",");
            } else {
                s.append(good);
            }
            s.append(eol);
        }
        return s.toString();
    }

    private Path file(String text) throws IOException {
        Path f = dir.resolve("t" + text.hashCode() + ".jsonl");
        Files.writeString(f, text, StandardCharsets.UTF_8);
        return f;
    }

    /** What a read gave: its batches (records, bad records, positions), its bad-record count, or what it threw. */
    private record Read(List<List<Record>> records, List<List<BadRecord>> rejected, List<SourcePosition> positions,
            long badRecords, String failure, boolean parallel) {
    }

    private static Read read(JsonSource.Builder builder) {
        List<List<Record>> records = new ArrayList<>();
        List<List<BadRecord>> rejected = new ArrayList<>();
        List<SourcePosition> positions = new ArrayList<>();
        String failure = null;
        boolean parallel;
        int before = newestReader();
        try (JsonSource json = builder.build()) {
            try {
                json.batches().forEach(b -> {
                    records.add(b.records());
                    rejected.add(b.rejected());
                    positions.add(b.position().orElseThrow());
                });
            } catch (RuntimeException e) {
                failure = e.getClass().getSimpleName() + ": " + e.getMessage();
            }
            parallel = newestReader() > before;     // this read started threads of its own
            return new Read(records, rejected, positions, json.badRecords(), failure, parallel);
        }
    }

    /** The number of the newest thread a JsonSource started (they are numbered from 1), 0 for none. */
    private static int newestReader() {
        return Thread.getAllStackTraces().keySet().stream().map(Thread::getName).filter(n -> n.startsWith("mds-json-"))
                .mapToInt(n -> Integer.parseInt(n.substring("mds-json-".length()))).max().orElse(0);
    }

    private static void assertSame(Read threads, Read one) {
        assertThat(threads.failure()).isEqualTo(one.failure());
        assertThat(threads.positions()).isEqualTo(one.positions());
        assertThat(threads.records()).isEqualTo(one.records());
        assertThat(threads.rejected()).isEqualTo(one.rejected());
        assertThat(threads.badRecords()).isEqualTo(one.badRecords());
    }

    @Test
    void threeThreadsOnSmallChunksGiveWhatOneThreadGivesUnderEachPolicy() throws IOException {
        for (boolean invalidJson : new boolean[] {false, true}) {
            Path f = file(lines(invalidJson ? 11 : 12, 600, invalidJson));
            for (OnBadRecord policy : OnBadRecord.values()) {
                for (int chunkBytes : new int[] {1, 97, 1000, 1 << 20}) {
                    for (boolean declared : new boolean[] {false, true}) {
                        JsonSource.Builder one = JsonSource.builder().path(f).onBadRecord(policy).chunkRows(23);
                        JsonSource.Builder three = JsonSource.builder().path(f).onBadRecord(policy).chunkRows(23)
                                .threads(3).chunkBytes(chunkBytes);
                        if (declared) {
                            one.schema(SCHEMA);
                            three.schema(SCHEMA);
                        } else {
                            one.sampleRows(7).type("tags", FieldType.JSON).type("name", FieldType.STRING);
                            three.sampleRows(7).type("tags", FieldType.JSON).type("name", FieldType.STRING);
                        }
                        Read a = read(one);
                        Read b = read(three);
                        assertSame(b, a);
                        if (policy == OnBadRecord.FAIL) {
                            assertThat(a.failure()).isNotNull();
                        } else {
                            assertThat(a.failure()).isNull();
                            if (!invalidJson) {
                                assertThat(b.parallel()).isTrue();    // after invalid JSON the pool is stopped
                            }
                            assertThat(a.badRecords()).isGreaterThan(30);
                            assertThat(a.records().stream().mapToInt(List::size).sum()).isGreaterThan(400);
                        }
                    }
                }
            }
        }
    }

    @Test
    void aResumeFromEveryPositionOfOneThreadGivesTheSameOnThreeThreads() throws IOException {
        Path f = file(lines(13, 300, true));
        Read all = read(JsonSource.builder().path(f).schema(SCHEMA).onBadRecord(OnBadRecord.DEAD_LETTER).chunkRows(17));
        assertThat(all.positions()).hasSizeGreaterThan(10);
        for (SourcePosition p : all.positions()) {
            Read one = read(JsonSource.builder().path(f).schema(SCHEMA).onBadRecord(OnBadRecord.DEAD_LETTER).chunkRows(17)
                    .resumeFrom(p));
            Read three = read(JsonSource.builder().path(f).schema(SCHEMA).onBadRecord(OnBadRecord.DEAD_LETTER)
                    .chunkRows(17).resumeFrom(p).threads(3).chunkBytes(211));
            assertSame(three, one);
        }
    }

    @Test
    void closingTheSourceAfterTheFirstBatchStopsItsThreadsAndReleasesTheFile() throws IOException {
        // the workers parsed on the chunks read ahead (4 MiB each) after close(), which returned with them running
        StringBuilder s = new StringBuilder();
        for (int id = 1; id <= 300_000; id++) {
            s.append("{\"id\": ").append(id).append(", \"name\": \"abcdefghijklmnopqrstuvwxyz\", \"tags\": [1, 2.5]}\n");
        }
        Path f = file(s.toString());
        for (int run = 0; run < 3; run++) {
            int before = newestReader();
            try (JsonSource json = JsonSource.builder().path(f).schema(SCHEMA).threads(3).chunkBytes(4 << 20).chunkRows(10)
                    .build()) {
                assertThat(json.batches().findFirst()).isPresent();
                assertThat(newestReader()).isGreaterThan(before);     // it reads on threads of its own
                assertThat(openDescriptors(f)).isIn(1L, -1L);
            }
            assertThat(Thread.getAllStackTraces().keySet()).filteredOn(Thread::isAlive).extracting(Thread::getName)
                    .filteredOn(n -> n.startsWith("mds-json-") && Integer.parseInt(n.substring(9)) > before).isEmpty();
            assertThat(openDescriptors(f)).isIn(0L, -1L);
        }
    }

    /** The process's open descriptors of {@code file} (Linux: /proc/self/fd), -1 where that cannot be seen. */
    private static long openDescriptors(Path file) throws IOException {
        Path fds = Path.of("/proc/self/fd");
        if (!Files.isDirectory(fds)) {
            return -1;
        }
        try (java.util.stream.Stream<Path> s = Files.list(fds)) {
            return s.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).equals(file.toAbsolutePath());
                } catch (IOException | UnsupportedOperationException e) {
                    return false;    // closed meanwhile, or not a link
                }
            }).count();
        }
    }

    @Test
    void smallFilesArraysFlattenAndUtf16ReadAsOnOneThread() throws IOException {
        for (String small : List.of("", "\n", "{\"id\": 1}", "{\"id\": 1}\n", "{\"id\": 1}\n{\"id\": 2}", "[{\"id\": 1}]",
                "{\"id\": 1} {\"id\": 2}\n{\"id\": 3}\n\n{\"id\": 4}")) {
            Path f = file(small);
            assertSame(read(JsonSource.builder().path(f).schema(SCHEMA).threads(3).chunkBytes(1)),
                    read(JsonSource.builder().path(f).schema(SCHEMA)));
        }
        // flatten and UTF-16 are read on one thread: the same as without threads
        String text = lines(14, 200, false);
        Path f = file(text);
        assertSame(read(JsonSource.builder().path(f).flatten("__").onBadRecord(OnBadRecord.SKIP).sampleRows(5).threads(3)
                .chunkBytes(50)), read(JsonSource.builder().path(f).flatten("__").onBadRecord(OnBadRecord.SKIP).sampleRows(5)));
        Path utf16 = dir.resolve("utf16.jsonl");
        Files.writeString(utf16, text, StandardCharsets.UTF_16LE);
        Read one = read(JsonSource.builder().path(utf16).schema(SCHEMA).onBadRecord(OnBadRecord.DEAD_LETTER));
        Read three = read(JsonSource.builder().path(utf16).schema(SCHEMA).onBadRecord(OnBadRecord.DEAD_LETTER).threads(3)
                .chunkBytes(50));
        assertSame(three, one);
        assertThat(three.parallel()).isFalse();
        Throwable t = catchThrowable(() -> JsonSource.builder().threads(0));
        assertThat(t).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("threads");
        assertThat(catchThrowable(() -> JsonSource.builder().chunkBytes(0))).hasMessageContaining("chunkBytes");
        assertThat(catchThrowable(() -> JsonSource.builder().chunkBytes(1L << 31))).hasMessageContaining("chunkBytes");
    }
}
