package dev.mds.load;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.core.ChangeBatch;
import dev.mds.core.ChangeEvent;
import dev.mds.core.EventPosition;
import dev.mds.core.FieldType;
import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import dev.mds.core.Schema;
import dev.mds.core.TableName;
import java.time.Instant;
import java.util.Optional;
import java.util.List;
import javax.sql.DataSource;
import dev.mds.testing.MdsPostgres;
import org.junit.jupiter.api.Test;

/** Disagreements the differential tests ({@link DifferentialLoadTest}, {@link DifferentialCdcTest}) found, kept small. */
@MdsPostgres
class DifferentialRegressionTest {
    static final Schema VERSIONED = Schema.builder().required("id", FieldType.LONG).add("name", FieldType.STRING)
            .add("ver", FieldType.LONG).build();

    @Test
    void mergeCollapsesDuplicatesWhoseCursorIsAStringAndALong(DataSource ds) {
        MergeLoader loader = MergeLoader.into(ds, "reg.cursor_mixed").key("id").cursor("ver").build();
        // a CSV-like source sends "10" as text, another record of the key carries 9L: 10 is newer, as bigint orders them
        LoadResult r = loader.load(RecordBatch.of(VERSIONED, List.of(Record.of(1L, "ten", "10"), Record.of(1L, "nine", 9L),
                Record.of(2L, "three", 3L), Record.of(2L, "three again", "3"))));
        assertThat(r.inserted()).isEqualTo(2);
        assertThatTable(ds, "reg.cursor_mixed").columns("id", "name", "ver")
                .containsExactlyInAnyOrder(row(1L, "ten", 10L), row(2L, "three again", 3L));
    }

    static final TableName SRC = TableName.of("app", "t");
    static final Schema ROW = Schema.builder().required("id", FieldType.INT).add("v", FieldType.STRING).build();
    static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

    static ChangeBatch changes(ChangeEvent... events) {
        return new ChangeBatch(SRC, ROW, List.of("id"), List.of(events), Optional.empty());
    }

    static EventPosition at(long lsn) {
        return new EventPosition(lsn, lsn);
    }

    @Test
    void softDeleteReplayOfEventsBeforeATruncateInTheirBatchDoesNotBringRowsBack(DataSource ds) {
        MergeLoader loader = MergeLoader.into(ds, "reg.soft_truncate").mode(SyncMode.CDC).deleteMode(DeleteMode.SOFT).build();
        ChangeEvent create1 = ChangeEvent.create(SRC, Record.of(1), Record.of(1, "a"), at(10), T);
        ChangeEvent delete1 = ChangeEvent.delete(SRC, Record.of(1), at(20), T.plusSeconds(20));
        ChangeEvent again1 = ChangeEvent.create(SRC, Record.of(1), Record.of(1, "b"), at(30), T);
        ChangeEvent create2 = ChangeEvent.create(SRC, Record.of(2), Record.of(2, "x"), at(40), T);
        ChangeEvent truncate = ChangeEvent.truncate(SRC, at(50), T.plusSeconds(50));
        ChangeEvent create3 = ChangeEvent.create(SRC, Record.of(3), Record.of(3, "y"), at(60), T);
        loader.load(changes(create1));
        loader.load(changes(delete1));
        loader.load(changes(again1, create2, truncate, create3));
        // a restart replays the batch's first events: 1 stays deleted (at 20 it was), 2 never comes back
        LoadResult r = loader.load(changes(again1, create2));
        assertThat(r.changed()).isZero();
        assertThatTable(ds, "reg.soft_truncate").columns("id", "v")
                .containsExactlyInAnyOrder(row(1, "a"), row(3, "y"));
        assertThatTable(ds, "reg.soft_truncate").columns("id", "_deleted_at")
                .containsExactlyInAnyOrder(row(1, T.plusSeconds(20)), row(3, null));
    }
}
