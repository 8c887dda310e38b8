package dev.mds.load;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.ChangeBatch;
import dev.mds.core.ChangeEvent;
import dev.mds.core.EventPosition;
import dev.mds.core.FieldType;
import dev.mds.core.MdsException;
import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import dev.mds.core.Schema;
import dev.mds.core.TableName;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestSql;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A target made beforehand without a primary key or unique index on the load's key may hold several rows of one key.
 * A MERGE by that key would overwrite each of them with the batch's record and count each as updated (3 "written" for
 * a batch of 2), leaving the duplicates in place: the load fails instead, naming the table and a key that has several
 * rows, and writes nothing. A table without such an index whose keys are unique loads as before.
 */
@MdsPostgres
class DuplicateTargetKeysTest {
    static final Schema SCHEMA = Schema.builder().required("id", FieldType.LONG).add("v", FieldType.STRING).build();

    @Test
    void aMergeIntoATableHoldingSeveralRowsOfAKeyFailsNamingTheKey(DataSource ds) {
        TestSql.sql(ds, "create schema if not exists raw", "create table raw.dup_keys (id bigint, v text)",
                "insert into raw.dup_keys values (1, 'a'), (1, 'b'), (2, 'c')");
        MergeLoader loader = MergeLoader.into(ds, "raw.dup_keys").key("id").build();
        assertThatThrownBy(() -> loader.load(RecordBatch.of(SCHEMA, List.of(Record.of(3L, "n"), Record.of(1L, "z")))))
                .isInstanceOf(MdsException.class)
                .hasMessageStartingWith("raw.dup_keys: ")
                .hasMessageContaining("key id=1 has 2 rows in the table")
                .hasMessageContaining("no primary key or unique index on (id)")
                .hasMessageContaining("nothing of this batch was loaded");
        assertThatTable(ds, "raw.dup_keys").columns("id", "v").containsExactlyInAnyOrder(row(1, "a"), row(1, "b"), row(2, "c"));

        // unique keys, no index: as before
        TestSql.sql(ds, "delete from raw.dup_keys where v = 'b'");
        LoadResult r = loader.load(RecordBatch.of(SCHEMA, List.of(Record.of(3L, "n"), Record.of(1L, "z"))));
        assertThat(r.inserted()).isEqualTo(1);
        assertThat(r.updated()).isEqualTo(1);
        assertThatTable(ds, "raw.dup_keys").columns("id", "v").containsExactlyInAnyOrder(row(1, "z"), row(2, "c"), row(3, "n"));
    }

    @Test
    void aChangeBatchIntoATableHoldingSeveralRowsOfAKeyFailsNamingTheKey(DataSource ds) {
        TestSql.sql(ds, "create schema if not exists raw",
                "create table raw.dup_cdc (id bigint, v text, _mds_commit bigint, _mds_change bigint)",
                "insert into raw.dup_cdc values (1, 'a', 1, 1), (1, 'b', 1, 1)");
        TableName src = TableName.of("app", "t");
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        MergeLoader loader = MergeLoader.into(ds, "raw.dup_cdc").mode(SyncMode.CDC).build();
        assertThatThrownBy(() -> loader.load(new ChangeBatch(src, SCHEMA, List.of("id"), List.of(
                ChangeEvent.update(src, Record.of(1L), Record.of(1L, "z"), new EventPosition(10, 1), t)), Optional.empty())))
                .isInstanceOf(MdsException.class)
                .hasMessageContaining("key id=1 has 2 rows in the table");
        assertThatTable(ds, "raw.dup_cdc").columns("id", "v").containsExactlyInAnyOrder(row(1, "a"), row(1, "b"));
    }
}
