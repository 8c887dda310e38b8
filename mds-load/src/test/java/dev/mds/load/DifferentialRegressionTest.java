package dev.mds.load;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.core.FieldType;
import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import dev.mds.core.Schema;
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
}
