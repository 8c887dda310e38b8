package dev.mds.load;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.BadInputException;
import dev.mds.core.BadRecord;
import dev.mds.core.FieldType;
import dev.mds.core.InputLocation;
import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import dev.mds.core.Schema;
import dev.mds.core.SourcePosition;
import dev.mds.testing.FaultSweep;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestSql;
import java.math.BigDecimal;
import java.sql.Connection;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Records a source could not read travel in their batch ({@link RecordBatch#rejected()}, as CsvSource attaches them
 * under DEAD_LETTER without a sink): DEAD_LETTER writes them to {@code <table>_rejected} in the batch's transaction,
 * so they commit exactly once with the rows (a load rolled back before its commit leaves none, its re-run one each);
 * FAIL fails the batch naming the first one's file and line, writing nothing. Before, the loader ignored them.
 */
@MdsPostgres
class SourceRejectsTest {
    static final Schema SCHEMA = Schema.builder().required("id", FieldType.LONG).add("amount", FieldType.decimal(6, 2)).build();

    /** A batch as CsvSource gives it for "id,amount / 1,1.50 / 2,Two / 3,3.00 / 4,4,4" (records 1 to 4, lines 2 to 5). */
    static RecordBatch batch() {
        List<BadRecord> bad = List.of(
                new BadRecord(InputLocation.of("prices.csv").withLine(3).withRecordNumber(2).withColumn("amount")
                        .withExcerpt("Two"), "\"Two\" is not a decimal(6,2)", "2,Two"),
                new BadRecord(InputLocation.of("prices.csv").withLine(5).withRecordNumber(4), "expected 2 fields but found 3",
                        "4,\"4\n\",4"));
        return RecordBatch.of(SCHEMA, List.of(Record.of(1L, new BigDecimal("1.50")), Record.of(3L, new BigDecimal("3.00"))),
                SourcePosition.of("prices.csv", Map.of("offset", 40L, "record", 4L, "line", 6L))).withRejected(bad);
    }

    static void assertRejectedOnce(DataSource ds, String table) {
        assertThat(TestSql.strings(ds, "select concat_ws('|', record_number, coalesce(key, '-'), reason, record::jsonb #>> '{}')"
                + " from raw." + table + "_rejected order by record_number")).containsExactly(
                "2|-|prices.csv line 3 record 2, column 'amount', near \"Two\": \"Two\" is not a decimal(6,2)|2,Two",
                "4|-|prices.csv line 5 record 4: expected 2 fields but found 3|4,\"4\n\",4");
    }

    @Test
    void deadLetterStoresTheSourcesBadRecordsOnceInTheBatchsTransactionAlsoWhenARolledBackLoadIsRunAgain(DataSource ds)
            throws Exception {
        for (SyncMode mode : new SyncMode[] {SyncMode.MERGE, SyncMode.APPEND, SyncMode.OVERWRITE}) {
            String table = "src_" + mode.name().toLowerCase();
            MergeLoader.Builder b = MergeLoader.into(ds, "raw." + table).mode(mode).onBadRow(OnBadRow.DEAD_LETTER);
            MergeLoader loader = (mode == SyncMode.MERGE ? b.key("id") : b).build();
            try (Connection c = ds.getConnection()) {   // the process dies after the load, before its commit
                c.setAutoCommit(false);
                LoadResult r = loader.load(batch(), c);
                assertThat(r.rejected()).isEqualTo(2);
                c.rollback();
            }
            assertThat(TestSql.strings(ds, "select to_regclass('raw." + table + "_rejected') is null")).containsExactly("t");
            LoadResult r = loader.load(batch());   // the re-run after the restart
            assertThat(r.rejected()).isEqualTo(2);
            assertThat(r.inserted()).isEqualTo(2);
            assertThatTable(ds, "raw." + table).columns("id", "amount").containsExactlyInAnyOrder(row(1, 1.5), row(3, 3));
            assertRejectedOnce(ds, table);
        }
    }

    /**
     * The session of a DEAD_LETTER load dies at each statement in turn: the batch's rows and its source's bad records
     * are both there or both not (never the bad records without the rows), and a re-run after a load that left nothing
     * stores each bad record once. (Not idempotent: a re-run of a committed batch stores its bad records again, as
     * the loader's own dead letters; resume from the position committed with the batch to know whether it did.)
     */
    @Test
    void theSourcesBadRecordsCommitWithTheBatchWhereverTheSessionDies(DataSource ds) throws Exception {
        int points = FaultSweep.on(ds)
                .setUp(d -> TestSql.sql(d, "drop schema if exists raw cascade"))
                .operation(d -> MergeLoader.into(d, "raw.src_fault").key("id").onBadRow(OnBadRow.DEAD_LETTER).build()
                        .load(batch()))
                .idempotent(false)
                .ignoreColumns("rejected_at")
                .failure(e -> assertThat(e).hasMessageContaining("raw.src_fault"))
                .run();
        assertThat(points).isGreaterThan(3);
        assertRejectedOnce(ds, "src_fault");
    }

    /** A chunk of only bad rows gives a batch of no records that carries them: they are stored, the table created. */
    @Test
    void aBatchOfOnlyBadRecordsStoresThem(DataSource ds) {
        RecordBatch onlyBad = RecordBatch.of(SCHEMA, List.of()).withRejected(batch().rejected());
        LoadResult r = MergeLoader.into(ds, "raw.only_bad").key("id").onBadRow(OnBadRow.DEAD_LETTER).build().load(onlyBad);
        assertThat(r.rejected()).isEqualTo(2);
        assertThatTable(ds, "raw.only_bad").hasRowCount(0);
        assertRejectedOnce(ds, "only_bad");
    }

    @Test
    void failRefusesABatchCarryingBadRecordsNamingTheFirstOnesFileAndLineAndWritesNothing(DataSource ds) {
        MergeLoader loader = MergeLoader.into(ds, "raw.src_fail").key("id").build();
        loader.load(RecordBatch.of(SCHEMA, List.of(Record.of(9L, BigDecimal.ONE))));
        assertThatThrownBy(() -> loader.load(batch())).isInstanceOfSatisfying(BadInputException.class, e -> {
            assertThat(e.location().source()).isEqualTo("prices.csv");
            assertThat(e.location().line()).hasValue(3);
            assertThat(e).hasMessageStartingWith("prices.csv line 3 record 2, column 'amount', near \"Two\": \"Two\" is not"
                    + " a decimal(6,2) (the source found 2 bad record(s) in this batch's range;")
                    .hasMessageEndingWith("nothing of this batch was loaded");
        });
        assertThatTable(ds, "raw.src_fail").columns("id", "amount").containsExactlyInAnyOrder(row(9, 1));
        assertThat(TestSql.strings(ds, "select to_regclass('raw.src_fail_rejected') is null")).containsExactly("t");
    }
}
