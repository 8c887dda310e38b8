package dev.mds.load;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.core.FieldType;
import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import dev.mds.core.Schema;
import dev.mds.testing.MdsPostgres;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

@MdsPostgres
class MergeModeTest {
    static final Schema USERS = Schema.builder().required("id", FieldType.LONG).add("name", FieldType.STRING)
            .add("updated_at", FieldType.LONG).build();

    @Test
    void insertsThenUpdatesOnlyChangedRows(DataSource ds) {
        MergeLoader loader = MergeLoader.into(ds, "raw.users").key("id").build();
        LoadResult first = loader.load(RecordBatch.of(USERS, List.of(Record.of(1L, "a", 1L), Record.of(2L, "b", 1L))));
        assertThat(first.inserted()).isEqualTo(2);
        LoadResult second = loader.load(RecordBatch.of(USERS, List.of(Record.of(1L, "a", 1L), Record.of(2L, "B", 2L),
                Record.of(3L, "c", 1L))));
        assertThat(second.inserted()).isEqualTo(1);
        assertThat(second.updated()).isEqualTo(1);
        assertThat(second.unchanged()).isEqualTo(1);
        assertThatTable(ds, "raw.users").columns("id", "name").containsExactlyInAnyOrder(row(1, "a"), row(2, "B"), row(3, "c"));
    }
}
