package dev.mds.load;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.ChangeBatch;
import dev.mds.core.ChangeEvent;
import dev.mds.core.EventPosition;
import dev.mds.core.FieldType;
import dev.mds.core.JdbcStateStore;
import dev.mds.core.ProgressListener;
import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import dev.mds.core.Schema;
import dev.mds.core.Sql;
import dev.mds.core.TableName;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestDatabase;
import java.sql.Connection;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** Loads in every mode by a warehouse role that is not a superuser and owns the database (so it may create schemas). */
@MdsPostgres(role = MdsPostgres.Role.OWNER)
class NonSuperuserTest {
    static final Schema USERS = Schema.builder().required("id", FieldType.LONG).add("name", FieldType.STRING).build();
    static final TableName SRC = TableName.of("product", "users");
    static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

    static RecordBatch users(Record... records) {
        return RecordBatch.of(USERS, List.of(records));
    }

    @Test
    void appendOverwriteAndMergeCreateTheirTargetsAndLoad(DataSource ds) {
        MergeLoader append = MergeLoader.into(ds, "raw.events").mode(SyncMode.APPEND).build();
        assertThat(append.load(users(Record.of(1L, "a"), Record.of(1L, "a"))).inserted()).isEqualTo(2);
        assertThat(append.load(users(Record.of(2L, "b"))).inserted()).isEqualTo(1);
        assertThatTable(ds, "raw.events").columns("id", "name")
                .containsExactlyInAnyOrder(row(1, "a"), row(1, "a"), row(2, "b"));

        MergeLoader overwrite = MergeLoader.into(ds, "raw.snapshot").mode(SyncMode.OVERWRITE).build();
        overwrite.load(users(Record.of(1L, "a"), Record.of(2L, "b")));
        LoadResult replaced = overwrite.load(users(Record.of(3L, "c")));
        assertThat(replaced.inserted()).isEqualTo(1);
        assertThatTable(ds, "raw.snapshot").columns("id", "name").containsExactlyInAnyOrder(row(3, "c"));

        MergeLoader merge = MergeLoader.into(ds, "raw.users").key("id").loadTimestamp("load_timestamp")
                .onSchemaChange(SchemaChange.ADD_COLUMNS).build();
        assertThat(merge.load(users(Record.of(1L, "a"), Record.of(2L, "b"))).inserted()).isEqualTo(2);
        LoadResult second = merge.load(users(Record.of(1L, "a"), Record.of(2L, "B"), Record.of(3L, "c")));
        assertThat(List.of(second.inserted(), second.updated(), second.unchanged())).containsExactly(1L, 1L, 1L);
        Schema wider = Schema.builder().required("id", FieldType.LONG).add("name", FieldType.STRING)
                .add("email", FieldType.STRING).build();
        merge.load(RecordBatch.of(wider, List.of(Record.of(4L, "d", "d@example.com"))));
        assertThatTable(ds, "raw.users").columns("id", "name", "email").containsExactlyInAnyOrder(row(1, "a", null),
                row(2, "B", null), row(3, "c", null), row(4, "d", "d@example.com"));
        assertThat(strings(ds, "select pg_get_userbyid(relowner) from pg_class where oid = 'raw.users'::regclass"))
                .isEqualTo(strings(ds, "select current_user"));
    }

    @Test
    void mergeSetsRefusedRowsAsideAndLoadAllLoadsInParallel(DataSource ds) {
        sql(ds, "create schema if not exists raw",
                "create table raw.checked (id bigint primary key, name text check (name <> 'bad'))");
        MergeLoader loader = MergeLoader.into(ds, "raw.checked").key("id").onBadRow(OnBadRow.DEAD_LETTER).build();
        LoadResult r = loader.load(users(Record.of(1L, "a"), Record.of(2L, "bad"), Record.of(3L, "c")));
        assertThat(r.inserted()).isEqualTo(2);
        assertThat(r.rejected()).isEqualTo(1);
        assertThat(strings(ds, "select key from raw.checked_rejected")).containsExactly("id=2");

        MergeLoader chunks = MergeLoader.into(ds, "raw.chunks").key("id").build();
        Stream<RecordBatch> batches = IntStream.range(0, 6).mapToObj(i -> RecordBatch.of(USERS,
                IntStream.range(i * 100, i * 100 + 150).mapToObj(k -> Record.of((long) k, "v" + k)).toList()));
        LoadResult all = chunks.loadAll(batches, 2, ProgressListener.NONE);
        assertThat(all.inserted()).isEqualTo(650);
        assertThatTable(ds, "raw.chunks").hasRowCount(650);
    }

    @Test
    void cdcAppliesEventsWithTheirOffsetInOneTransaction(DataSource ds) throws Exception {
        MergeLoader loader = MergeLoader.into(ds, "raw.cdc_users").mode(SyncMode.CDC).build();
        JdbcStateStore state = JdbcStateStore.create(ds);
        ChangeBatch first = new ChangeBatch(SRC, USERS, List.of("id"), List.of(
                ChangeEvent.create(SRC, Record.of(1L), Record.of(1L, "a"), new EventPosition(10, 10), T),
                ChangeEvent.create(SRC, Record.of(2L), Record.of(2L, "b"), new EventPosition(20, 20), T)), Optional.empty());
        ChangeBatch second = new ChangeBatch(SRC, USERS, List.of("id"), List.of(
                ChangeEvent.update(SRC, Record.of(1L), Record.of(1L, "A"), new EventPosition(30, 30), T),
                ChangeEvent.delete(SRC, Record.of(2L), new EventPosition(40, 40), T)), Optional.empty());
        for (ChangeBatch b : List.of(first, second, first)) {   // the replayed first batch changes nothing
            try (Connection c = ds.getConnection()) {
                Sql.transaction(c, tx -> {
                    loader.load(b, tx);
                    return state.put(tx, "cdc:users", "{\"lsn\": " + b.events().get(1).position().change() + "}");
                });
            }
        }
        assertThatTable(ds, "raw.cdc_users").columns("id", "name").containsExactlyInAnyOrder(row(1, "A"));
        assertThat(state.get("cdc:users")).isPresent();
        assertThat(loader.pruneTombstones(java.time.Duration.ZERO)).isEqualTo(1);
    }

    /**
     * A target another role owns, on which the warehouse role may only write rows: loads go through, and a batch
     * with a new column is refused before anything is written.
     */
    @Test
    void aTargetOwnedByAnotherRoleIsLoadedWithDmlGrantsOnly(DataSource ds, TestDatabase db) {
        sql(db.adminDataSource(), "create schema shared", "create table shared.users (id bigint primary key, name text)",
                "grant usage on schema shared to " + db.user(),
                "grant select, insert, update, delete, truncate on shared.users to " + db.user());
        MergeLoader merge = MergeLoader.into(ds, "shared.users").key("id").onSchemaChange(SchemaChange.ADD_COLUMNS).build();
        merge.load(users(Record.of(1L, "a"), Record.of(2L, "b")));
        MergeLoader.into(ds, "shared.users").mode(SyncMode.OVERWRITE).build().load(users(Record.of(3L, "c")));
        assertThatTable(ds, "shared.users").columns("id", "name").containsExactlyInAnyOrder(row(3, "c"));

        Schema wider = Schema.builder().required("id", FieldType.LONG).add("name", FieldType.STRING)
                .add("email", FieldType.STRING).build();
        assertThatThrownBy(() -> merge.load(RecordBatch.of(wider, List.of(Record.of(4L, "d", "d@example.com")))))
                .hasMessageContaining("must be owner of table users").hasMessageContaining("alter table \"shared\".\"users\"");
        assertThatTable(ds, "shared.users").hasRowCount(1);
    }
}
