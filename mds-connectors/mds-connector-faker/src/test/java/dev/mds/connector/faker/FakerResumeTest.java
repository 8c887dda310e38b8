package dev.mds.connector.faker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import dev.mds.core.SourcePosition;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Resuming from any batch's position (stored as JSON and read back) gives exactly what the uninterrupted,
 * deterministic read gave after that batch: the same batches, records and positions, for users, products and
 * purchases, several seeds, sizes, batch sizes and generations; and a position taken with one batch size resumes with
 * another to the same records.
 */
class FakerResumeTest {
    private static final long[] SEEDS = {0, 1, 42, -7, Long.MAX_VALUE};
    private static final int[] BATCH_ROWS = {1, 2, 3, 7, 10_000};

    @Test
    void aReadResumedFromAnyBatchGivesExactlyTheRestOfTheUninterruptedRead() {
        List<String> differences = new ArrayList<>();
        for (long seed : SEEDS) {
            for (long[] size : new long[][] {{23, 5}, {9, 1}, {6, 0}, {0, 3}}) {
                for (int generation = 1; generation <= 2; generation++) {
                    for (int rows : BATCH_ROWS) {
                        FakerSource source = FakerSource.builder().seed(seed).users(size[0]).products(size[1])
                                .batchRows(rows).generation(generation).build();
                        for (FakerStream stream : FakerStream.values()) {
                            List<RecordBatch> all = source.batches(stream).toList();
                            String read = stream + " seed " + seed + " users " + size[0] + " products " + size[1]
                                    + " generation " + generation + " batchRows " + rows;
                            for (int i = 0; i < all.size(); i++) {
                                SourcePosition at = SourcePosition.fromJson(all.get(i).position().orElseThrow()
                                        .toJson());
                                List<RecordBatch> rest = source.batches(stream, at).toList();
                                if (!rest.equals(all.subList(i + 1, all.size()))) {
                                    differences.add(read + " after batch " + i + ": want "
                                            + all.subList(i + 1, all.size()) + "\n  got " + rest);
                                }
                            }
                        }
                    }
                }
            }
        }
        assertThat(differences).isEmpty();
    }

    /** A position taken with one batch size resumes with another (and a fresh source) to the same records. */
    @Test
    void aPositionTakenWithOneBatchSizeResumesWithAnotherToTheSameRecords() {
        List<String> differences = new ArrayList<>();
        for (long seed : SEEDS) {
            for (FakerStream stream : FakerStream.values()) {
                FakerSource ones = FakerSource.builder().seed(seed).users(17).products(4).batchRows(1).build();
                List<RecordBatch> all = ones.batches(stream).toList();
                List<Record> records = records(all);
                for (int i = 0; i < all.size(); i++) {
                    SourcePosition at = SourcePosition.fromJson(all.get(i).position().orElseThrow().toJson());
                    for (int rows : BATCH_ROWS) {
                        FakerSource other = FakerSource.builder().seed(seed).users(17).products(4).batchRows(rows)
                                .build();
                        List<RecordBatch> rest = other.batches(stream, at).toList();
                        if (!records(rest).equals(records.subList(i + 1, records.size()))) {
                            differences.add(stream + " seed " + seed + " after record " + i + " batchRows " + rows
                                    + ": " + records(rest));
                        }
                        if (!rest.isEmpty() && !rest.get(rest.size() - 1).position()
                                .equals(all.get(all.size() - 1).position())) {
                            differences.add(stream + " seed " + seed + " after record " + i + " batchRows " + rows
                                    + ": ends at " + rest.get(rest.size() - 1).position());
                        }
                    }
                }
            }
        }
        assertThat(differences).isEmpty();
    }

    /**
     * A position taken from a source with fewer users resumes in one with more (the data set grown since) to exactly
     * what the larger source's uninterrupted read gives after that point: each record is a function of seed, stream
     * and id, so the records before the position are those already read.
     */
    @Test
    void aPositionResumedInALargerSourceGivesTheRestOfItsUninterruptedRead() {
        List<String> differences = new ArrayList<>();
        for (long seed : SEEDS) {
            FakerSource small = FakerSource.builder().seed(seed).users(11).products(4).batchRows(3).build();
            FakerSource large = FakerSource.builder().seed(seed).users(29).products(4).batchRows(1).build();
            for (FakerStream stream : FakerStream.values()) {
                List<Record> whole = records(large.batches(stream).toList());
                List<RecordBatch> before = small.batches(stream).toList();
                List<Record> read = new ArrayList<>();
                for (RecordBatch b : before) {
                    read.addAll(b.records());
                    List<Record> rest = records(large.batches(stream, SourcePosition.fromJson(b.position()
                            .orElseThrow().toJson())).toList());
                    List<Record> both = new ArrayList<>(read);
                    both.addAll(rest);
                    if (!both.equals(whole)) {
                        differences.add(stream + " seed " + seed + " after " + read.size() + " records: " + rest);
                    }
                }
            }
        }
        assertThat(differences).isEmpty();
    }

    /**
     * A position past the end of this source's stream (taken from a source with more users or products, whose
     * settings were lowered since) is refused, naming the stream and both sizes, as a position of another seed,
     * generation or product count is. Before, the resume gave no batch at all, silently: a table loaded by the
     * larger source kept its users 11 to 14 beside the 10 users this source makes, and the load looked complete.
     * The end position of a smaller source still resumes in a larger one, and a position at this source's end
     * gives nothing.
     */
    @Test
    void aPositionPastTheEndOfASmallerSourceIsRefusedNamingTheStreamAndBothSizes() {
        FakerSource large = FakerSource.builder().users(20).products(5).batchRows(7).build();
        FakerSource small = FakerSource.builder().users(10).products(5).batchRows(7).build();
        SourcePosition users = large.batches(FakerStream.USERS).toList().get(1).position().orElseThrow();
        assertThat(users.getLong("next_id")).contains(15L);
        assertThatThrownBy(() -> small.batches(FakerStream.USERS, users))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("next_id 15")
                .hasMessageContaining("this source makes users 1..10");
        List<RecordBatch> purchases = large.batches(FakerStream.PURCHASES).toList();
        SourcePosition late = purchases.get(purchases.size() - 2).position().orElseThrow();
        assertThat(late.getLong("user").orElseThrow()).isGreaterThan(11L);
        assertThatThrownBy(() -> small.batches(FakerStream.PURCHASES, late))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("user " + late.getLong("user").orElseThrow())
                .hasMessageContaining("this source makes the purchases of users 1..10");
        FakerSource fewerProducts = FakerSource.builder().users(20).products(2).build();
        SourcePosition products = large.batches(FakerStream.PRODUCTS).toList().get(0).position().orElseThrow();
        assertThatThrownBy(() -> fewerProducts.batches(FakerStream.PRODUCTS, products))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("this source makes products 1..2");
        for (FakerStream stream : FakerStream.values()) {
            List<RecordBatch> all = small.batches(stream).toList();
            SourcePosition end = all.get(all.size() - 1).position().orElseThrow();
            assertThat(small.batches(stream, end).toList()).as(stream + " from its end").isEmpty();
            if (stream != FakerStream.PRODUCTS) {   // both have 5 products
                assertThat(large.batches(stream, end).toList()).as(stream + " grown").isNotEmpty();
            }
        }
    }

    private static List<Record> records(List<RecordBatch> batches) {
        return batches.stream().flatMap(b -> b.records().stream()).toList();
    }
}
