package dev.mds.load;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.BadInputException;
import dev.mds.core.FieldType;
import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import dev.mds.core.Schema;
import dev.mds.core.Unchanged;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestSql;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * {@link Unchanged#VALUE} stands for a value a change event did not send; only a CDC load keeps the stored value in
 * its place. A record batch carrying it (change events turned into records by hand) is refused as a bad record,
 * naming its record, key and column, in every mode: before, the MERGE stored NULL over the kept value, and APPEND a
 * NULL, without a word.
 */
@MdsPostgres
class UnsentValuesInRecordsTest {
    static final Schema SCHEMA = Schema.builder().required("id", FieldType.LONG).add("v", FieldType.STRING)
            .add("w", FieldType.STRING).build();

    @Test
    void anUnsentValueInARecordBatchIsABadRecordInEveryMode(DataSource ds) {
        MergeLoader merge = MergeLoader.into(ds, "raw.unsent").key("id").build();
        merge.load(RecordBatch.of(SCHEMA, List.of(Record.of(1L, "kept", "a"), Record.of(2L, "x", "b"))));
        RecordBatch unsent = RecordBatch.of(SCHEMA, List.of(Record.of(2L, "y", "c"), Record.of(1L, "z", Unchanged.VALUE),
                Record.of(3L, "n", "d")));
        for (SyncMode mode : List.of(SyncMode.MERGE, SyncMode.APPEND, SyncMode.OVERWRITE)) {
            MergeLoader loader = MergeLoader.into(ds, "raw.unsent").mode(mode).key("id").build();
            assertThatThrownBy(() -> loader.load(unsent)).as(mode.toString())
                    .isInstanceOfSatisfying(BadInputException.class, e -> {
                        assertThat(e.location().recordNumber()).hasValue(2);
                        assertThat(e.location().key()).hasValue("id=1");
                        assertThat(e.location().column()).hasValue("w");
                        assertThat(e.getMessage()).contains("Unchanged.VALUE", "only a CDC load keeps the stored value");
                    });
            assertThatTable(ds, "raw.unsent").columns("id", "v", "w").containsExactlyInAnyOrder(row(1, "kept", "a"),
                    row(2, "x", "b"));
        }
        // DEAD_LETTER sets the record aside and loads the others
        LoadResult r = MergeLoader.into(ds, "raw.unsent").key("id").onBadRow(OnBadRow.DEAD_LETTER).build().load(unsent);
        assertThat(r.rejected()).isEqualTo(1);
        assertThatTable(ds, "raw.unsent").columns("id", "v", "w").containsExactlyInAnyOrder(row(1, "kept", "a"),
                row(2, "y", "c"), row(3, "n", "d"));
        assertThat(TestSql.strings(ds, "select record_number || ' ' || key from raw.unsent_rejected")).containsExactly("2 id=1");
    }
}
