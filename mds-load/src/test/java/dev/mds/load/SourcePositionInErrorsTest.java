package dev.mds.load;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.BadInputException;
import dev.mds.core.ChangeBatch;
import dev.mds.core.ChangeEvent;
import dev.mds.core.EventPosition;
import dev.mds.core.FieldType;
import dev.mds.core.ProgressListener;
import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import dev.mds.core.Schema;
import dev.mds.core.SchemaMismatchException;
import dev.mds.core.SourcePosition;
import dev.mds.core.TableName;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestSql;
import java.math.BigDecimal;
import java.sql.Connection;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A failed load names where its bad record is in the source, not only its number in the batch: a batch of a source
 * that gives positions (a CSV file read in chunks) by where the batch's records end in it, as loadAll names a failed
 * batch; a change event by its position (commit/change).
 */
@MdsPostgres
class SourcePositionInErrorsTest {
    static final Schema SCHEMA = Schema.builder().required("id", FieldType.LONG).add("amount", FieldType.DECIMAL).build();
    static final SourcePosition CHUNK_3 = SourcePosition.of("prices.csv", Map.of("offset", 900L, "record", 60L, "line", 61L));
    static final String ENDS = "the batch's records end at prices.csv record 60";

    @Test
    void aRecordBatchsFailureNamesWhereTheBatchEndsInItsSource(DataSource ds) throws Exception {
        TestSql.sql(ds, "create schema if not exists raw", "create table raw.chunked (id bigint primary key, amount numeric(4,2) unique)",
                "insert into raw.chunked values (1, 1)");
        MergeLoader loader = MergeLoader.into(ds, "raw.chunked").key("id").build();
        RecordBatch overflow = RecordBatch.of(SCHEMA, List.of(Record.of(1L, BigDecimal.ONE), Record.of(2L, new BigDecimal("999"))),
                CHUNK_3);
        assertThatThrownBy(() -> loader.load(overflow)).isInstanceOfSatisfying(BadInputException.class, e -> {
            assertThat(e.location().recordNumber()).hasValue(2);
            assertThat(e.location().key()).hasValue("id=2");
            assertThat(e.getMessage()).startsWith("raw.chunked record 2 (key id=2), column 'amount': numeric field overflow")
                    .endsWith("nothing of this batch was loaded; " + ENDS);
        });
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            assertThatThrownBy(() -> loader.load(overflow, c)).hasMessageEndingWith("; " + ENDS);
            c.rollback();
        }
        RecordBatch taken = RecordBatch.of(SCHEMA, List.of(Record.of(3L, BigDecimal.TEN), Record.of(4L, BigDecimal.ONE)),
                CHUNK_3);
        assertThatThrownBy(() -> loader.load(taken)).isInstanceOfSatisfying(RefusedRowsException.class, e -> {
            assertThat(e.rows()).extracting(RefusedRowsException.RefusedRow::recordNumber).containsExactly(2L);
            assertThat(e.constraint()).hasValue("chunked_amount_key");
            assertThat(e.getMessage()).endsWith("; " + ENDS);
        });
        // loadAll names the failed batch's end once, as before
        assertThatThrownBy(() -> loader.loadAll(Stream.of(overflow), 1, ProgressListener.NONE))
                .isInstanceOf(PartialLoadException.class)
                .satisfies(e -> assertThat(e.getMessage().split("prices.csv record 60", -1)).hasSize(2));
        assertThatTable(ds, "raw.chunked").columns("id", "amount").containsExactlyInAnyOrder(row(1, 1));
    }

    /**
     * A batch refused for its schema (a new column under FAIL, a column too narrow for its values) names where it
     * ends in its source too: a JSON or CSV source whose batch brought the change is found by it.
     */
    @Test
    void aRecordBatchRefusedForItsSchemaNamesWhereItEndsInItsSource(DataSource ds) {
        TestSql.sql(ds, "create schema if not exists raw", "create table raw.drifted (id bigint primary key, amount numeric(6,2))");
        MergeLoader loader = MergeLoader.into(ds, "raw.drifted").key("id").build();
        Schema added = Schema.builder().required("id", FieldType.LONG).add("amount", FieldType.DECIMAL)
                .add("note", FieldType.STRING).build();
        assertThatThrownBy(() -> loader.load(RecordBatch.of(added, List.of(Record.of(1L, BigDecimal.ONE, "n")), CHUNK_3)))
                .isInstanceOfSatisfying(SchemaMismatchException.class, e -> {
                    assertThat(e.columns()).containsExactly("note");
                    assertThat(e.getMessage()).startsWith("raw.drifted: ").endsWith("; " + ENDS);
                });
        assertThatThrownBy(() -> loader.load(RecordBatch.of(SCHEMA, List.of(Record.of(1L, BigDecimal.ONE),
                Record.of(2L, new BigDecimal("1.2345"))), CHUNK_3)))
                .isInstanceOfSatisfying(SchemaMismatchException.class, e -> assertThat(e.getMessage())
                        .contains("record 2").endsWith("; " + ENDS));
        assertThat(TestSql.strings(ds, "select count(*) from raw.drifted")).containsExactly("0");
    }

    @Test
    void aChangeEventsFailureNamesTheEventsPosition(DataSource ds) {
        TestSql.sql(ds, "create schema if not exists raw", "create table raw.events (id bigint primary key, amount numeric(4,2)"
                + " check (amount >= 0), _mds_commit bigint, _mds_change bigint)");
        TableName src = TableName.of("app", "events");
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        MergeLoader loader = MergeLoader.into(ds, "raw.events").mode(SyncMode.CDC).build();
        ChangeBatch overflow = new ChangeBatch(src, SCHEMA, List.of("id"), List.of(
                ChangeEvent.create(src, Record.of(5L), Record.of(5L, BigDecimal.ONE), new EventPosition(7000, 7001), t),
                ChangeEvent.create(src, Record.of(6L), Record.of(6L, new BigDecimal("999")), new EventPosition(7000, 7002), t)),
                Optional.empty());
        assertThatThrownBy(() -> loader.load(overflow)).isInstanceOfSatisfying(BadInputException.class, e -> {
            assertThat(e.location().recordNumber()).hasValue(2);
            assertThat(e.getMessage()).startsWith("raw.events record 2 (key id=6), column 'amount'")
                    .endsWith("nothing of this batch was loaded; record 2 is the event at 7000/7002");
        });
        ChangeBatch negative = new ChangeBatch(src, SCHEMA, List.of("id"), List.of(
                ChangeEvent.create(src, Record.of(5L), Record.of(5L, BigDecimal.ONE), new EventPosition(8000, 8001), t),
                ChangeEvent.create(src, Record.of(7L), Record.of(7L, BigDecimal.ONE), new EventPosition(8000, 8002), t),
                ChangeEvent.update(src, Record.of(7L), Record.of(7L, new BigDecimal("-1")), new EventPosition(8000, 8003), t)),
                Optional.empty());
        assertThatThrownBy(() -> loader.load(negative)).isInstanceOfSatisfying(BadInputException.class, e -> {
            assertThat(e.location().recordNumber()).hasValue(3);
            assertThat(e.getMessage()).endsWith("; record 3 is the event at 8000/8003");
        });
        assertThatTable(ds, "raw.events").columns("id").containsExactlyInAnyOrder();
    }
}
