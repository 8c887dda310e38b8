package dev.mds.load;

import static dev.mds.load.ConcurrencyTest.SCHEMA;
import static dev.mds.load.ConcurrencyTest.batch;
import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.BadInputException;
import dev.mds.core.FieldType;
import dev.mds.core.Progress;
import dev.mds.core.ProgressListener;
import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import dev.mds.core.Schema;
import dev.mds.testing.MdsPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * {@code loadAll} in OVERWRITE: the whole stream replaces the table's rows in one transaction (Airbyte's full
 * refresh | overwrite of a file read in chunks), or nothing changes.
 */
@MdsPostgres
class OverwriteAllTest {
    /** A table holding ids 100..104 with v 'old'. */
    static MergeLoader withOldRows(DataSource ds, String table, String... key) {
        MergeLoader.Builder b = MergeLoader.into(ds, table).mode(SyncMode.OVERWRITE);
        if (key.length > 0) {
            b.key(key);
        }
        MergeLoader loader = b.build();
        loader.load(batch(100, 105, "old"));
        return loader;
    }

    @Test
    void everyBatchOfTheStreamReplacesTheOldRowsTogether(DataSource ds) {
        MergeLoader loader = withOldRows(ds, "raw.whole", "id");
        List<Progress> progress = new CopyOnWriteArrayList<>();
        List<Progress> done = new CopyOnWriteArrayList<>();
        LoadResult r = loader.loadAll(Stream.of(batch(0, 10, "a"), batch(10, 20, "b"), batch(20, 25, "c")), 2,
                new ProgressListener() {
                    @Override
                    public void onProgress(Progress p) {
                        progress.add(p);
                    }

                    @Override
                    public void onDone(Progress p) {
                        done.add(p);
                    }
                });
        assertThat(r.mode()).isEqualTo(SyncMode.OVERWRITE);
        assertThat(r.inserted()).isEqualTo(25);
        assertThat(r.deleted()).isEqualTo(5);
        assertThatTable(ds, "raw.whole").hasRowCount(25);
        assertThatTable(ds, "raw.whole").column("id").hasNoDuplicates();
        assertThatTable(ds, "raw.whole").column("v").containsOnly("a", "b", "c");
        assertThat(progress).extracting(Progress::batches).containsExactly(1L, 2L, 3L);
        assertThat(progress).extracting(Progress::rows).containsExactly(10L, 20L, 25L);
        assertThat(done).singleElement().satisfies(p -> assertThat(p.rows()).isEqualTo(25));
    }

    @Test
    void aKeyInSeveralBatchesEndsAsOneRowOfTheLaterBatchAsInOneBatch(DataSource ds) {
        MergeLoader loader = withOldRows(ds, "raw.keyed", "id");
        loader.loadAll(Stream.of(batch(0, 3, "first"), batch(2, 4, "second")), 1, ProgressListener.NONE);
        assertThatTable(ds, "raw.keyed").containsExactlyInAnyOrder(
                row(0L, "first"), row(1L, "first"), row(2L, "second"), row(3L, "second"));
    }

    /**
     * Airbyte's full refresh | overwrite + deduped: the table holds one row per key, the one with the newest cursor
     * (a NULL cursor losing to any value, ties to the later record), within a batch and across the stream's batches,
     * whatever order the source sends them in. Before, cursor(...) was refused in OVERWRITE ('only applies to mode
     * MERGE'), though the README and OverwriteAll said duplicates collapse by it, so a key kept its last record.
     */
    @Test
    void aCursorKeepsTheNewestRecordOfAKeyWithinABatchAndAcrossTheStream(DataSource ds) {
        Schema schema = Schema.builder().required("id", FieldType.LONG).add("v", FieldType.STRING).add("ver", FieldType.LONG).build();
        MergeLoader loader = MergeLoader.into(ds, "raw.ow_cursor").mode(SyncMode.OVERWRITE).key("id").cursor("ver")
                .loadTimestamp("lt").build();
        loader.load(RecordBatch.of(schema, List.of(Record.of(9L, "old", 1L))));
        LoadResult r = loader.load(RecordBatch.of(schema, List.of(Record.of(1L, "newest", 5L), Record.of(1L, "older", 3L),
                Record.of(2L, "null", null), Record.of(2L, "value", 1L), Record.of(3L, "tie", 7L), Record.of(3L, "tie later", 7L))));
        assertThat(List.of(r.inserted(), r.deleted())).containsExactly(3L, 1L);
        assertThatTable(ds, "raw.ow_cursor").columns("id", "v").containsExactlyInAnyOrder(row(1L, "newest"), row(2L, "value"),
                row(3L, "tie later"));
        loader.loadAll(Stream.of(RecordBatch.of(schema, List.of(Record.of(1L, "b1 newer", 8L), Record.of(2L, "b1", 2L))),
                RecordBatch.of(schema, List.of(Record.of(1L, "b2 older", 6L), Record.of(2L, "b2 newer", 4L),
                        Record.of(4L, "b2", null))),
                RecordBatch.of(schema, List.of(Record.of(4L, "b3 value", 0L), Record.of(2L, "b3 null", null)))), 1,
                ProgressListener.NONE);
        assertThatTable(ds, "raw.ow_cursor").columns("id", "v").containsExactlyInAnyOrder(row(1L, "b1 newer"),
                row(2L, "b2 newer"), row(4L, "b3 value"));
        assertThatThrownBy(() -> MergeLoader.into(ds, "raw.ow_cursor").mode(SyncMode.OVERWRITE).cursor("ver").build())
                .hasMessageContaining("cursor(\"ver\") needs key(...)");
    }

    @Test
    void withoutAKeyTheBatchesAreAppendedToEachOther(DataSource ds) {
        withOldRows(ds, "raw.unkeyed");
        MergeLoader loader = MergeLoader.into(ds, "raw.unkeyed").mode(SyncMode.OVERWRITE).build();
        LoadResult r = loader.loadAll(Stream.of(batch(0, 3, "a"), batch(0, 3, "a")), 1, ProgressListener.NONE);
        assertThat(r.inserted()).isEqualTo(6);
        assertThatTable(ds, "raw.unkeyed").hasRowCount(6);
        assertThatTable(ds, "raw.unkeyed").column("v").containsOnly("a");
    }

    @Test
    void aBadRowInALaterBatchLeavesTheTableAsItWasAndSaysNothingIsCommitted(DataSource ds) {
        MergeLoader loader = withOldRows(ds, "raw.bad", "id");
        RecordBatch bad = RecordBatch.of(SCHEMA, List.of(Record.of(30L, "x"), Record.of(null, "no key")));
        assertThatThrownBy(() -> loader.loadAll(Stream.of(batch(0, 10, "a"), batch(10, 20, "b"), bad), 2,
                ProgressListener.NONE))
                .isInstanceOfSatisfying(PartialLoadException.class, e -> {
                    assertThat(e.committedBatches()).isZero();
                    assertThat(e.committedRows()).isZero();
                })
                .hasMessageContaining("raw")
                .hasMessageContaining("batch 3 of the stream failed")
                .hasMessageContaining("record 2")
                .hasMessageContaining("nothing committed: the table is as it was")
                .hasCauseInstanceOf(BadInputException.class);
        assertThatTable(ds, "raw.bad").hasRowCount(5);
        assertThatTable(ds, "raw.bad").column("v").containsOnly("old");
    }

    @Test
    void aStreamFailingMidwayLeavesTheTableAsItWas(DataSource ds) {
        MergeLoader loader = withOldRows(ds, "raw.broken", "id");
        Stream<RecordBatch> failing = Stream.of(1, 2, 3).map(i -> {
            if (i == 3) {
                throw new UncheckedIOException(new IOException("input.csv: disk read error"));
            }
            return batch(i * 10L, i * 10L + 10, "new");
        });
        assertThatThrownBy(() -> loader.loadAll(failing, 1, ProgressListener.NONE))
                .isInstanceOf(PartialLoadException.class)
                .hasMessageContaining("reading batch 3 of the stream failed")
                .hasMessageContaining("disk read error")
                .hasMessageContaining("nothing committed");
        assertThatTable(ds, "raw.broken").hasRowCount(5);
        assertThatTable(ds, "raw.broken").column("v").containsOnly("old");
    }

    @Test
    void aStreamWithoutAnyBatchEmptiesTheTableAndCreatesNoneThatIsMissing(DataSource ds) {
        MergeLoader loader = withOldRows(ds, "raw.emptied", "id");
        LoadResult r = loader.loadAll(Stream.empty(), 2, ProgressListener.NONE);
        assertThat(r.deleted()).isEqualTo(5);
        assertThat(r.inserted()).isZero();
        assertThatTable(ds, "raw.emptied").isEmpty();

        MergeLoader none = MergeLoader.into(ds, "raw.never").mode(SyncMode.OVERWRITE).build();
        assertThat(none.loadAll(Stream.empty(), 2, ProgressListener.NONE).changed()).isZero();
        assertThat(exists(ds, "raw.never")).isFalse();
    }

    @Test
    void anEmptyBatchEmptiesTheTableAndCreatesAMissingOne(DataSource ds) {
        MergeLoader loader = withOldRows(ds, "raw.header_only", "id");
        loader.loadAll(Stream.of(RecordBatch.of(SCHEMA, List.of())), 1, ProgressListener.NONE);
        assertThatTable(ds, "raw.header_only").isEmpty();
        MergeLoader fresh = MergeLoader.into(ds, "raw.fresh").mode(SyncMode.OVERWRITE).build();
        fresh.loadAll(Stream.of(RecordBatch.of(SCHEMA, List.of())), 1, ProgressListener.NONE);
        assertThat(exists(ds, "raw.fresh")).isTrue();
        assertThatTable(ds, "raw.fresh").isEmpty();
    }

    /**
     * A header-only CSV file gives one empty batch whose columns are inferred as text: it empties a table whose
     * columns are typed otherwise, which keeps its types.
     */
    @Test
    void anEmptyBatchOfTextColumnsEmptiesATypedTableKeepingItsTypes(DataSource ds) {
        MergeLoader loader = withOldRows(ds, "raw.typed", "id");
        Schema text = Schema.builder().add("id", FieldType.STRING).add("v", FieldType.STRING).build();
        loader.loadAll(Stream.of(RecordBatch.of(text, List.of())), 1, ProgressListener.NONE);
        assertThatTable(ds, "raw.typed").isEmpty();
        loader.load(batch(1, 2, "new"));
        assertThatTable(ds, "raw.typed").containsExactlyInAnyOrder(row(1L, "new"));
    }

    /** A reader in another session never sees the table half-replaced: it waits until the whole stream commits. */
    @Test
    void aReaderDuringTheOverwriteWaitsInsteadOfSeeingPartOfIt(DataSource ds) throws Exception {
        MergeLoader loader = withOldRows(ds, "raw.watched", "id");
        List<String> seen = new ArrayList<>();
        loader.loadAll(Stream.of(batch(0, 10, "a"), batch(10, 20, "b")), 1, new ProgressListener() {
            @Override
            public void onProgress(Progress p) {
                try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
                    st.execute("set lock_timeout = '200ms'");
                    try (var rs = st.executeQuery("select count(*) from raw.watched")) {
                        rs.next();
                        seen.add("read " + rs.getLong(1));
                    }
                } catch (SQLException e) {
                    seen.add(e.getSQLState());
                }
            }
        });
        // after each batch the reader times out on the lock (55P03); once committed (onDone) it reads all of it
        assertThat(seen).containsExactly("55P03", "55P03", "read 20");
        assertThatTable(ds, "raw.watched").hasRowCount(20);
    }

    /** onDone runs after the commit: its failure says the whole stream is committed, not "nothing committed". */
    @Test
    void aListenerFailingWhenTheStreamIsDoneSaysTheWholeStreamIsCommitted(DataSource ds) {
        MergeLoader loader = withOldRows(ds, "raw.done_overwrite", "id");
        ProgressListener failingAtTheEnd = new ProgressListener() {
            @Override
            public void onProgress(Progress p) {
            }

            @Override
            public void onDone(Progress p) {
                throw new IllegalStateException("dashboard down");
            }
        };
        assertThatThrownBy(() -> loader.loadAll(Stream.of(batch(0, 10, "a"), batch(10, 15, "b")), 1, failingAtTheEnd))
                .isInstanceOf(PartialLoadException.class)
                .hasMessageContaining("the progress listener failed when the stream was done: dashboard down")
                .hasMessageContaining("committed: the whole stream, 2 batch(es), 15 record(s)")
                .satisfies(e -> assertThat(((PartialLoadException) e).committedBatches()).isEqualTo(2));
        assertThatTable(ds, "raw.done_overwrite").hasRowCount(15);
    }

    @Test
    void anInterruptRollsBackTheWholeStreamAndKeepsTheFlag(DataSource ds) {
        MergeLoader loader = withOldRows(ds, "raw.interrupted", "id");
        try {
            assertThatThrownBy(() -> loader.loadAll(Stream.of(1, 2, 3).map(i -> {
                if (i == 2) {
                    Thread.currentThread().interrupt();
                }
                return batch(i * 10L, i * 10L + 10, "new");
            }), 1, ProgressListener.NONE))
                    .isInstanceOf(PartialLoadException.class)
                    .hasMessageContaining("interrupted")
                    .hasMessageContaining("nothing committed");
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
        assertThatTable(ds, "raw.interrupted").column("v").containsOnly("old");
    }

    /**
     * The stream is closed before the commit, and a failure to close it rolls the whole stream back. Before, it was
     * closed after the commit, and its failure was reported as "the commit failed ...; nothing committed: the table
     * is as it was" although every batch was committed.
     */
    @Test
    void aStreamThatFailsToCloseCommitsNothingAndSaysSo(DataSource ds) {
        MergeLoader loader = withOldRows(ds, "raw.unclosed", "id");
        Stream<RecordBatch> unclosable = Stream.of(batch(0, 10, "new"), batch(10, 20, "new")).onClose(() -> {
            throw new UncheckedIOException(new IOException("input.csv: close failed"));
        });
        assertThatThrownBy(() -> loader.loadAll(unclosable, 1, ProgressListener.NONE))
                .isInstanceOf(PartialLoadException.class)
                .hasMessageContaining("closing the stream failed")
                .hasMessageContaining("input.csv: close failed")
                .hasMessageContaining("nothing committed: the table is as it was");
        assertThatTable(ds, "raw.unclosed").hasRowCount(5);
        assertThatTable(ds, "raw.unclosed").column("v").containsOnly("old");
    }

    /**
     * A stream that cannot even start (already used) is a failure of the stream, not of the connection; in APPEND
     * and MERGE it is a PartialLoadException too (before: the stream's own IllegalStateException, as it was).
     */
    @Test
    void aStreamThatCannotStartIsReportedAsTheStreamsFailure(DataSource ds) {
        MergeLoader loader = withOldRows(ds, "raw.used_up", "id");
        for (SyncMode mode : List.of(SyncMode.OVERWRITE, SyncMode.MERGE)) {
            Stream<RecordBatch> used = Stream.of(batch(0, 10, "new"));
            used.count();
            MergeLoader l = MergeLoader.into(ds, "raw.used_up").mode(mode).key("id").build();
            assertThatThrownBy(() -> l.loadAll(used, 1, ProgressListener.NONE))
                    .as(mode.name())
                    .isInstanceOfSatisfying(PartialLoadException.class, e -> assertThat(e.committedBatches()).isZero())
                    .hasMessageContaining("reading batch 1 of the stream failed")
                    .hasMessageNotContaining("opening a connection")
                    .hasCauseInstanceOf(IllegalStateException.class);
        }
        assertThatTable(ds, "raw.used_up").column("v").containsOnly("old");
    }

    /** A later batch with a new column: refused with SchemaChange.FAIL (nothing committed), added with ADD_COLUMNS. */
    @Test
    void aLaterBatchWithANewColumnFollowsTheSchemaChangePolicy(DataSource ds) {
        withOldRows(ds, "raw.drifting", "id");
        Schema wider = Schema.builder().required("id", FieldType.LONG).add("v", FieldType.STRING)
                .add("w", FieldType.LONG).build();
        RecordBatch withW = RecordBatch.of(wider, List.of(Record.of(10L, "b", 7L)));
        MergeLoader strict = MergeLoader.into(ds, "raw.drifting").mode(SyncMode.OVERWRITE).key("id").build();
        assertThatThrownBy(() -> strict.loadAll(Stream.of(batch(0, 2, "a"), withW), 1, ProgressListener.NONE))
                .isInstanceOf(PartialLoadException.class)
                .hasMessageContaining("batch 2 of the stream failed")
                .hasMessageContaining("[w]")
                .hasMessageContaining("nothing committed")
                .hasCauseInstanceOf(dev.mds.core.SchemaMismatchException.class);
        assertThatTable(ds, "raw.drifting").column("v").containsOnly("old");
        MergeLoader adding = MergeLoader.into(ds, "raw.drifting").mode(SyncMode.OVERWRITE).key("id")
                .onSchemaChange(SchemaChange.ADD_COLUMNS).build();
        adding.loadAll(Stream.of(batch(0, 2, "a"), withW), 1, ProgressListener.NONE);
        assertThatTable(ds, "raw.drifting").columns("id", "v", "w")
                .containsExactlyInAnyOrder(row(0L, "a", null), row(1L, "a", null), row(10L, "b", 7L));
    }

    private static boolean exists(DataSource ds, String table) {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
             var rs = st.executeQuery("select to_regclass('" + table + "') is not null")) {
            rs.next();
            return rs.getBoolean(1);
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }
}
