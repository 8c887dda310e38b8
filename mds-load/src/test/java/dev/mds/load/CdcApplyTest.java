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
import dev.mds.core.Record;
import dev.mds.core.Schema;
import dev.mds.core.TableName;
import dev.mds.core.Unchanged;
import dev.mds.testing.MdsPostgres;
import java.sql.Connection;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

@MdsPostgres
class CdcApplyTest {
    static final TableName SRC = TableName.of("product", "users");
    static final Schema SCHEMA = Schema.builder().required("user_id", FieldType.INT).add("name", FieldType.STRING)
            .add("bio", FieldType.STRING).build();
    static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

    static ChangeEvent create(int id, String name, Object bio, long lsn) {
        return ChangeEvent.create(SRC, Record.of(id), Record.of(id, name, bio), new EventPosition(lsn, lsn), T);
    }

    static ChangeEvent update(int id, Object name, Object bio, long lsn) {
        return ChangeEvent.update(SRC, Record.of(id), Record.of(id, name, bio), new EventPosition(lsn, lsn), T);
    }

    static ChangeEvent delete(int id, long lsn) {
        return ChangeEvent.delete(SRC, Record.of(id), new EventPosition(lsn, lsn), T.plusSeconds(lsn));
    }

    static ChangeBatch batch(ChangeEvent... events) {
        return new ChangeBatch(SRC, SCHEMA, List.of("user_id"), List.of(events), Optional.empty());
    }

    static MergeLoader loader(DataSource ds, String table) {
        return MergeLoader.into(ds, TableName.of("raw", table)).mode(SyncMode.CDC).build();
    }

    static MergeLoader softLoader(DataSource ds, String table) {
        return MergeLoader.into(ds, TableName.of("raw", table)).mode(SyncMode.CDC).deleteMode(DeleteMode.SOFT).build();
    }

    @Test
    void appliesCreatesUpdatesAndDeletes(DataSource ds) {
        MergeLoader loader = loader(ds, "basic");
        LoadResult r = loader.load(batch(create(1, "John", "a", 10), create(2, "Jane", "b", 20), create(3, "Jo", "c", 30)));
        assertThat(r.inserted()).isEqualTo(3);
        r = loader.load(batch(update(1, "John Doe", "a", 40), delete(2, 50)));
        assertThat(r.updated()).isEqualTo(1);
        assertThat(r.deleted()).isEqualTo(1);
        assertThatTable(ds, "raw.basic").columns("user_id", "name", "bio")
                .containsExactlyInAnyOrder(row(1, "John Doe", "a"), row(3, "Jo", "c"));
    }

    @Test
    void deleteThenOlderReplayedInsertStaysDeleted(DataSource ds) {
        MergeLoader loader = loader(ds, "replay");
        loader.load(batch(create(1, "John", "a", 10)));
        loader.load(batch(delete(1, 20)));
        LoadResult r = loader.load(batch(create(1, "John", "a", 10)));
        assertThat(r.inserted()).isZero();
        assertThat(r.unchanged()).isEqualTo(1);
        assertThatTable(ds, "raw.replay").isEmpty();
        loader.load(batch(create(1, "John again", "z", 30)));
        assertThatTable(ds, "raw.replay").columns("user_id", "name").containsExactlyInAnyOrder(row(1, "John again"));
    }

    @Test
    void staleDeleteDoesNotRemoveNewerRow(DataSource ds) {
        MergeLoader loader = loader(ds, "stale");
        loader.load(batch(create(1, "John", "a", 10), update(1, "John v2", "a", 30)));
        LoadResult r = loader.load(batch(delete(1, 20)));
        assertThat(r.deleted()).isZero();
        assertThatTable(ds, "raw.stale").columns("user_id", "name").containsExactlyInAnyOrder(row(1, "John v2"));
    }

    @Test
    void unchangedMarkerKeepsTargetValue(DataSource ds) {
        MergeLoader loader = loader(ds, "toast");
        loader.load(batch(create(1, "John", "long bio", 10)));
        loader.load(batch(update(1, "John Doe", Unchanged.VALUE, 20)));
        assertThatTable(ds, "raw.toast").columns("user_id", "name", "bio").containsExactlyInAnyOrder(row(1, "John Doe", "long bio"));
    }

    @Test
    void unchangedMarkerForAKeyTheTargetLacksIsABadRowNamingItsEventKeyAndColumn(DataSource ds) {
        MergeLoader loader = loader(ds, "toast_missing");
        loader.load(batch(create(1, "John", "long bio", 10)));
        // key 2 never reached the target: its bio is not in the event and not in the target, so NULL would be a guess
        ChangeBatch updates = batch(update(1, "John Doe", Unchanged.VALUE, 20), update(2, "Jane", Unchanged.VALUE, 21));
        assertThatThrownBy(() -> loader.load(updates)).isInstanceOfSatisfying(BadInputException.class, e -> {
            assertThat(e.location().recordNumber()).hasValue(2);
            assertThat(e.location().key()).hasValue("user_id=2");
            assertThat(e.location().column()).hasValue("bio");
            assertThat(e.getMessage()).contains("raw.toast_missing record 2 (key user_id=2)", "unchanged");
        });
        assertThatTable(ds, "raw.toast_missing").columns("user_id", "name", "bio").containsExactlyInAnyOrder(row(1, "John", "long bio"));
        // with DEAD_LETTER that event is set aside and the others apply
        MergeLoader dead = MergeLoader.into(ds, TableName.of("raw", "toast_missing")).mode(SyncMode.CDC)
                .onBadRow(OnBadRow.DEAD_LETTER).build();
        LoadResult r = dead.load(updates);
        assertThat(r.rejected()).isEqualTo(1);
        assertThat(r.updated()).isEqualTo(1);
        assertThat(r.inserted()).isZero();
        assertThatTable(ds, "raw.toast_missing").columns("user_id", "name", "bio").containsExactlyInAnyOrder(
                row(1, "John Doe", "long bio"));
        assertThatTable(ds, "raw.toast_missing_rejected").columns("record_number", "key").containsExactlyInAnyOrder(row(2, "user_id=2"));
    }

    @Test
    void unchangedMarkerAfterInsertInSameBatchTakesInsertedValue(DataSource ds) {
        MergeLoader loader = loader(ds, "toast2");
        loader.load(batch(create(1, "John", "bio one", 10), update(1, "John Doe", Unchanged.VALUE, 20)));
        assertThatTable(ds, "raw.toast2").columns("user_id", "name", "bio").containsExactlyInAnyOrder(row(1, "John Doe", "bio one"));
    }

    @Test
    void joinsCallersTransaction(DataSource ds) throws Exception {
        MergeLoader loader = loader(ds, "joined");
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            loader.load(batch(create(1, "John", "a", 10)), c);
            c.rollback();
        }
        assertThatTable(ds, "raw.joined").doesNotExist();
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            loader.load(batch(create(1, "John", "a", 10)), c);
            loader.load(batch(update(1, "John 2", "a", 20)), c);
            c.commit();
        }
        assertThatTable(ds, "raw.joined").columns("user_id", "name").containsExactlyInAnyOrder(row(1, "John 2"));
    }

    @Test
    void aBatchRefusedInTheCallersTransactionCannotBeCommittedHalfApplied(DataSource ds) throws Exception {
        MergeLoader loader = loader(ds, "joined_refused");
        loader.load(batch(create(1, "a", "x", 10), create(3, "c", "z", 11)));
        try (Connection c = ds.getConnection()) {
            c.createStatement().execute("alter table raw.joined_refused add constraint short check (length(name) < 5)");
            c.setAutoCommit(false);
            // the delete of key 3 runs before the MERGE, which the CHECK refuses for key 2
            assertThatThrownBy(() -> loader.load(batch(delete(3, 20), update(1, "b", "x", 21), create(2, "toolong", "x", 30)), c))
                    .isInstanceOf(RefusedRowsException.class).hasMessageContaining("nothing of this batch was loaded");
            // a caller that commits anyway (its source offset with it) must not commit half the batch
            try {
                c.commit();
            } catch (java.sql.SQLException expected) {
                c.rollback();
            }
        }
        assertThatTable(ds, "raw.joined_refused").columns("user_id", "name")
                .containsExactlyInAnyOrder(row(1, "a"), row(3, "c"));
        assertThat(queryLong(ds, "select count(*) from pg_class where relname = 'joined_refused_mds_tombstones'")).isZero();
    }

    @Test
    void anUpdateThatChangesTheKeyMovesTheRowAsADeleteAndAnInsertWould(DataSource ds) {
        MergeLoader loader = loader(ds, "key_moved");
        loader.load(batch(create(1, "a", "x", 10), create(5, "e", "y", 11), create(7, "g", "z", 12)));
        // a source sending a key change as one UPDATE (Debezium sends a DELETE of the old key and a CREATE of the new
        // one): its key the row it updated and its after image the row as it is now, or its key and after image the
        // new key and its before image the old row (an unsent value taken from it)
        ChangeEvent byKey = ChangeEvent.update(SRC, Record.of(1), Record.of(2, "b", "x"), new EventPosition(20, 20), T);
        ChangeEvent byBefore = ChangeEvent.update(SRC, Record.of(6), Record.of(6, "f", Unchanged.VALUE),
                new EventPosition(21, 21), T).withBefore(Record.of(5, "e", "y"));
        // moved, then updated again in the same batch
        ChangeEvent moved = ChangeEvent.update(SRC, Record.of(7), Record.of(8, "h", "z"), new EventPosition(22, 22), T);
        LoadResult r = loader.load(batch(byKey, byBefore, moved, update(8, "h2", "z", 23)));
        assertThatTable(ds, "raw.key_moved").columns("user_id", "name", "bio")
                .containsExactlyInAnyOrder(row(2, "b", "x"), row(6, "f", "y"), row(8, "h2", "z"));
        assertThat(r.deleted()).as(r.toString()).isEqualTo(3);
        assertThat(r.inserted()).as(r.toString()).isEqualTo(3);
        // the old keys are remembered deleted: a replay of their inserts stays out, a replay of the batch changes nothing
        LoadResult again = loader.load(batch(create(1, "a", "x", 10), byKey, byBefore, moved, update(8, "h2", "z", 23)));
        assertThat(again.changed()).as(again.toString()).isZero();
        assertThatTable(ds, "raw.key_moved").columns("user_id", "name", "bio")
                .containsExactlyInAnyOrder(row(2, "b", "x"), row(6, "f", "y"), row(8, "h2", "z"));
    }

    @Test
    void aKeyColumnAPersonWidenedTakesDeletesOfWiderKeysAndKeepsTheirReplaysOut(DataSource ds) throws Exception {
        // the source's id became bigint: its first key beyond the target's integer is refused, and a person widens the column
        MergeLoader loader = loader(ds, "widened_by_hand");
        loader.load(batch(create(1, "a", "x", 10), delete(1, 11)));   // the tombstone table is made with the key's integer
        Schema wide = Schema.builder().required("user_id", FieldType.LONG).add("name", FieldType.STRING)
                .add("bio", FieldType.STRING).build();
        long big = 5_000_000_000L;
        ChangeBatch widerKeys = new ChangeBatch(SRC, wide, List.of("user_id"), List.of(
                ChangeEvent.create(SRC, Record.of(big), Record.of(big, "b", "y"), new EventPosition(20, 20), T),
                ChangeEvent.create(SRC, Record.of(big + 1), Record.of(big + 1, "c", "z"), new EventPosition(20, 21), T)),
                Optional.empty());
        assertThatThrownBy(() -> loader.load(widerKeys)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("out of range for type integer");
        try (Connection c = ds.getConnection(); var st = c.createStatement()) {
            st.execute("alter table raw.widened_by_hand alter column user_id type bigint");
        }
        assertThat(MergeLoader.into(ds, "raw.widened_by_hand").mode(SyncMode.CDC).key("user_id").build().sql(wide))
                .contains("alter table \"raw\".\"widened_by_hand_mds_tombstones\" alter column \"user_id\" type bigint");
        loader.load(widerKeys);
        LoadResult r = loader.load(new ChangeBatch(SRC, wide, List.of("user_id"),
                List.of(ChangeEvent.delete(SRC, Record.of(big), new EventPosition(21, 22), T)), Optional.empty()));
        assertThat(r.deleted()).as(r.toString()).isEqualTo(1);
        assertThatTable(ds, "raw.widened_by_hand").columns("user_id", "name").containsExactlyInAnyOrder(row(big + 1, "c"));
        // the delete is remembered: a replay of the insert stays out
        loader.load(new ChangeBatch(SRC, wide, List.of("user_id"), List.of(widerKeys.events().get(0)), Optional.empty()));
        assertThatTable(ds, "raw.widened_by_hand").columns("user_id", "name").containsExactlyInAnyOrder(row(big + 1, "c"));
    }

    @Test
    void olderDeleteAfterNewerUpdateInOneBatchKeepsTheRow(DataSource ds) {
        MergeLoader loader = loader(ds, "reordered");
        // events arrive out of order: the newest by position wins
        LoadResult r = loader.load(batch(update(1, "v3", "c", 30), create(1, "v1", "a", 10), delete(1, 20)));
        assertThat(r.inserted()).isEqualTo(1);
        assertThatTable(ds, "raw.reordered").columns("user_id", "name").containsExactlyInAnyOrder(row(1, "v3"));
    }

    @Test
    void replayingAWholeBatchChangesNothing(DataSource ds) {
        MergeLoader loader = loader(ds, "replay_all");
        ChangeBatch b = batch(create(1, "a", "x", 10), create(2, "b", "y", 11), update(1, "a2", "x", 12), delete(2, 13),
                create(3, "c", "z", 14));
        LoadResult first = loader.load(b);
        assertThat(first.inserted()).isEqualTo(2);
        LoadResult again = loader.load(b);
        assertThat(again.changed()).isZero();
        assertThat(again.unchanged()).isEqualTo(3);
        assertThatTable(ds, "raw.replay_all").columns("user_id", "name").containsExactlyInAnyOrder(row(1, "a2"), row(3, "c"));
    }

    @Test
    void deleteAndReinsertInOneBatchEndsWithTheReinsertedRow(DataSource ds) {
        MergeLoader loader = loader(ds, "reinsert");
        loader.load(batch(create(1, "a", "x", 10)));
        loader.load(batch(delete(1, 20), create(1, "again", Unchanged.VALUE, 30)));
        assertThatTable(ds, "raw.reinsert").columns("user_id", "name", "bio").containsExactlyInAnyOrder(row(1, "again", null));
    }

    @Test
    void softDeleteMarksTheRowAndKeepsReplaysOut(DataSource ds) {
        MergeLoader loader = softLoader(ds, "soft");
        loader.load(batch(create(1, "a", "x", 10), create(2, "b", "y", 11)));
        LoadResult r = loader.load(batch(delete(1, 20), delete(9, 21)));
        assertThat(r.deleted()).isEqualTo(1);
        loader.load(batch(create(1, "a", "x", 10), create(9, "never", "seen", 5)));
        assertThatTable(ds, "raw.soft").columns("user_id", "name", "_deleted_at").containsExactlyInAnyOrder(
                row(1, "a", T.plusSeconds(20)), row(2, "b", null));
        loader.load(batch(create(1, "back", "x", 40)));
        assertThatTable(ds, "raw.soft").columns("user_id", "name", "_deleted_at").contains(row(1, "back", null));
    }

    @Test
    void aKeyReinsertedAfterTheTargetMovedFromSoftToHardDeletesIsNotLeftMarkedDeleted(DataSource ds) {
        softLoader(ds, "soft_then_hard").load(batch(create(1, "a", "x", 10), create(2, "b", "y", 11)));
        softLoader(ds, "soft_then_hard").load(batch(delete(1, 20)));
        // the pipeline switches to hard deletes; readers of the target still leave out rows marked deleted
        MergeLoader hard = loader(ds, "soft_then_hard");
        hard.load(batch(create(1, "again", "x", 30), update(2, "b2", "y", 31)));
        assertThatTable(ds, "raw.soft_then_hard").columns("user_id", "name", "_deleted_at")
                .containsExactlyInAnyOrder(row(1, "again", null), row(2, "b2", null));
    }

    @Test
    void compositeKeyFromTheChangeBatchAndPositionsAreKept(DataSource ds) {
        Schema schema = Schema.builder().required("tenant", FieldType.STRING).required("id", FieldType.LONG)
                .add("v", FieldType.STRING).build();
        TableName src = TableName.of("app", "items");
        MergeLoader loader = MergeLoader.into(ds, "raw.items").mode(SyncMode.CDC).build();
        ChangeBatch b = new ChangeBatch(src, schema, List.of("tenant", "id"), List.of(
                ChangeEvent.create(src, Record.of("t 1", 1L), Record.of("t 1", 1L, "a"), new EventPosition(100, 90), T),
                ChangeEvent.create(src, Record.of("t'2", 1L), Record.of("t'2", 1L, "b"), new EventPosition(100, 95), T),
                ChangeEvent.delete(src, Record.of("t 1", 1L), new EventPosition(200, 150), T)), Optional.empty());
        loader.load(b);
        assertThatTable(ds, "raw.items").columns("tenant", "id", "v", "_mds_commit", "_mds_change")
                .containsExactlyInAnyOrder(row("t'2", 1, "b", 100, 95));
        assertThatTable(ds, "raw.items_mds_tombstones").columns("tenant", "id", "_mds_commit", "_mds_change")
                .containsExactlyInAnyOrder(row("t 1", 1, 200, 150));
    }

    @Test
    void recordBatchOnACdcLoaderIsAProgrammerError(DataSource ds) {
        MergeLoader loader = loader(ds, "wrong_kind");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> loader.load(dev.mds.core.RecordBatch.of(SCHEMA, List.of())))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("CDC");
    }

    @Test
    void snapshotIntoAnEmptyTableKeepsPositionsAndLaterReplaysChangeNothing(DataSource ds) {
        MergeLoader loader = MergeLoader.into(ds, TableName.of("raw", "snap")).mode(SyncMode.CDC).loadTimestamp("loaded_at").build();
        ChangeBatch snapshot = batch(
                ChangeEvent.read(SRC, Record.of(1), Record.of(1, "a", "x"), new EventPosition(50, 0), T),
                ChangeEvent.read(SRC, Record.of(2), Record.of(2, "b", "y"), new EventPosition(50, 0), T),
                ChangeEvent.read(SRC, Record.of(1), Record.of(1, "a2", "x"), new EventPosition(50, 1), T));
        LoadResult r = loader.load(snapshot);
        assertThat(r.inserted()).isEqualTo(2);
        assertThatTable(ds, "raw.snap").columns("user_id", "name", "_mds_commit", "_mds_change")
                .containsExactlyInAnyOrder(row(1, "a2", 50, 1), row(2, "b", 50, 0));
        assertThatTable(ds, "raw.snap").column("loaded_at").hasNoNulls();
        assertThat(loader.load(snapshot).changed()).isZero();
        assertThat(loader.load(batch(update(2, "b2", "y", 60))).updated()).isEqualTo(1);
    }

    static ChangeEvent read(int id, String name, Object bio, long snapshotLsn) {
        return ChangeEvent.read(SRC, Record.of(id), Record.of(id, name, bio), new EventPosition(0, snapshotLsn), T);
    }

    /**
     * A re-snapshot (a lost slot, WHEN_NEEDED): the changes made while nothing streamed are missing, so the reads
     * replace rows stored at any other position, bring back keys deleted earlier (forgetting their tombstones),
     * change nothing when delivered again, and the stream after them still wins.
     */
    @Test
    void aSnapshotReadReplacesWhatAnEarlierStreamOrSnapshotStored(DataSource ds) {
        MergeLoader loader = loader(ds, "resnap");
        loader.load(batch(read(1, "a", "x", 5), read(2, "b", "y", 5), read(3, "c", "z", 5), read(4, "d", "w", 5)));
        loader.load(batch(update(1, "a-streamed", "x", 10), delete(2, 20)));
        // the slot is lost; meanwhile 1 changes, 2 is re-created, 3 changes (never streamed since the first snapshot)
        ChangeBatch resnapshot = batch(read(1, "a-gap", "x", 900), read(2, "b-again", "y", 900),
                read(3, "c-gap", "z", 900), read(4, "d", "w", 900));
        LoadResult r = loader.load(resnapshot);
        assertThat(r.inserted()).isEqualTo(1);
        assertThat(r.updated()).isEqualTo(3);
        assertThatTable(ds, "raw.resnap").columns("user_id", "name", "_mds_commit", "_mds_change").containsExactlyInAnyOrder(
                row(1, "a-gap", 0, 900), row(2, "b-again", 0, 900), row(3, "c-gap", 0, 900), row(4, "d", 0, 900));
        assertThatTable(ds, "raw.resnap_mds_tombstones").isEmpty();
        assertThat(loader.load(resnapshot).changed()).as("the same reads again").isZero();
        loader.load(batch(read(3, "c-late-read", "z", 900), update(3, "c-streamed", "z", 901)));
        loader.load(batch(update(1, "a-new-stream", "x", 905)));
        assertThatTable(ds, "raw.resnap").columns("user_id", "name").containsExactlyInAnyOrder(
                row(1, "a-new-stream"), row(2, "b-again"), row(3, "c-streamed"), row(4, "d"));
    }

    static ChangeEvent snapshotComplete(long snapshotLsn) {
        return ChangeEvent.snapshotComplete(SRC, new EventPosition(0, snapshotLsn), T.plusSeconds(snapshotLsn));
    }

    /**
     * The end of a table's re-snapshot removes the rows it did not read (gone from the source while nothing
     * streamed), keeps those read in earlier batches and those this batch writes after the reads.
     */
    @Test
    void aCompletedSnapshotRemovesTheRowsItDidNotRead(DataSource ds) {
        MergeLoader loader = loader(ds, "swept");
        loader.load(batch(read(1, "a", "x", 5), read(2, "b", "y", 5), read(3, "c", "z", 5), read(4, "d", "w", 5),
                snapshotComplete(5)));
        loader.load(batch(update(2, "b-streamed", "y", 10), create(5, "e", "v", 11)));
        // slot lost; meanwhile 2 and 4 are deleted at the source; the re-snapshot reads 1, 3, 5 over two batches
        loader.load(batch(read(1, "a", "x", 900)));
        LoadResult last = loader.load(batch(read(3, "c", "z", 900), read(5, "e", "v", 900), snapshotComplete(900),
                create(6, "streamed after", "u", 901)));
        assertThat(last.deleted()).isEqualTo(2);
        assertThatTable(ds, "raw.swept").columns("user_id", "name").containsExactlyInAnyOrder(
                row(1, "a"), row(3, "c"), row(5, "e"), row(6, "streamed after"));
        assertThat(loader.load(batch(read(3, "c", "z", 900), snapshotComplete(900))).changed())
                .as("the last batch of the snapshot again").isZero();
    }

    /**
     * A table the snapshot found empty: its {@code SNAPSHOT_COMPLETE} comes alone, with the table's schema. Into a
     * table mds has not created yet, it creates the target a first read would have created (columns, key,
     * bookkeeping), so the first row loads even with {@link SchemaChange#FAIL}; at a re-snapshot it removes every row
     * stored before it and keeps the stream after it, also with only the key columns (as sources sent it before).
     */
    @Test
    void aCompletedSnapshotOfAnEmptyTableCreatesItsTargetAndLaterRemovesEveryOlderRow(DataSource ds) {
        MergeLoader loader = MergeLoader.into(ds, TableName.of("raw", "emptied")).mode(SyncMode.CDC)
                .onSchemaChange(SchemaChange.FAIL).build();
        LoadResult none = loader.load(new ChangeBatch(SRC, SCHEMA, List.of("user_id"), List.of(snapshotComplete(5)),
                Optional.empty()));
        assertThat(none.changed()).isZero();
        assertThatTable(ds, "raw.emptied").isEmpty();
        MergeLoader.into(ds, TableName.of("raw", "read_first")).mode(SyncMode.CDC).build()
                .load(batch(read(1, "a", "x", 5), snapshotComplete(5)));
        String definition = "select string_agg(attname || ' ' || format_type(atttypid, atttypmod) || case when attnotnull"
                + " then ' not null' else '' end, ', ' order by attnum) || ' ' || (select pg_get_constraintdef(k.oid)"
                + " from pg_constraint k where k.conrelid = attrelid and contype = 'p') from pg_attribute"
                + " where attrelid = '%s'::regclass and attnum > 0 and not attisdropped group by attrelid";
        assertThat(queryString(ds, definition.formatted("raw.emptied")))
                .as("the table a first read creates").isEqualTo(queryString(ds, definition.formatted("raw.read_first")))
                .isEqualTo("user_id integer not null, name text, bio text, _mds_commit bigint, _mds_change bigint"
                        + " PRIMARY KEY (user_id)");
        loader.load(batch(create(1, "a", "x", 10), create(2, "b", "y", 11), create(3, "c", "z", 12)));
        loader.load(batch(create(4, "streamed after the snapshot", "w", 905)));
        Schema keyOnly = Schema.builder().required("user_id", FieldType.INT).build();
        LoadResult swept = loader.load(new ChangeBatch(SRC, keyOnly, List.of("user_id"), List.of(snapshotComplete(900)),
                Optional.empty()));
        assertThat(swept.deleted()).isEqualTo(3);
        assertThatTable(ds, "raw.emptied").columns("user_id", "name").containsExactlyInAnyOrder(row(4, "streamed after the snapshot"));
        assertThat(loader.load(batch(snapshotComplete(950))).deleted()).isEqualTo(1);
        assertThatTable(ds, "raw.emptied").isEmpty();
    }

    @Test
    void aCompletedSnapshotWithSoftDeletesMarksTheRowsItDidNotRead(DataSource ds) {
        MergeLoader loader = softLoader(ds, "swept_soft");
        loader.load(batch(create(1, "a", "x", 10), create(2, "b", "y", 11)));
        loader.load(batch(read(1, "a", "x", 900), snapshotComplete(900)));
        assertThatTable(ds, "raw.swept_soft").columns("user_id", "_deleted_at", "_mds_commit", "_mds_change")
                .containsExactlyInAnyOrder(row(1, null, 0, 900), row(2, T.plusSeconds(900), 0, 900));
    }

    @Test
    void aSnapshotReadRevivesASoftDeletedRow(DataSource ds) {
        MergeLoader loader = softLoader(ds, "resnap_soft");
        loader.load(batch(create(1, "a", "x", 10), create(2, "b", "y", 11)));
        loader.load(batch(delete(1, 20)));
        loader.load(batch(read(1, "a-again", "x", 900), read(2, "b", "y", 900)));
        assertThatTable(ds, "raw.resnap_soft").columns("user_id", "name", "_deleted_at").containsExactlyInAnyOrder(
                row(1, "a-again", null), row(2, "b", null));
    }

    static ChangeEvent truncate(long lsn) {
        return ChangeEvent.truncate(SRC, new EventPosition(lsn, lsn), T.plusSeconds(lsn));
    }

    @Test
    void aTruncateRemovesEveryOlderRowAndRemembersItsPositionSoReplaysStayOut(DataSource ds) {
        MergeLoader loader = loader(ds, "truncated");
        loader.load(batch(create(1, "a", "x", 10), create(2, "b", "y", 11), create(3, "c", "z", 12), create(4, "d", "w", 13)));
        loader.load(batch(delete(4, 20)));
        ChangeBatch withTruncate = batch(update(1, "a2", "x", 40), truncate(50), create(2, "after", "w", 51));
        LoadResult r = loader.load(withTruncate);
        assertThat(r.deleted()).isEqualTo(3);
        assertThat(r.inserted()).isEqualTo(1);
        assertThatTable(ds, "raw.truncated").columns("user_id", "name", "_mds_commit").containsExactlyInAnyOrder(row(2, "after", 51));
        assertThatTable(ds, "raw.truncated_mds_truncated").columns("_mds_commit", "_mds_change", "_deleted_at")
                .containsExactlyInAnyOrder(row(50, 50, T.plusSeconds(50)));
        assertThatTable(ds, "raw.truncated_mds_tombstones").as("no tombstone per row; the one before the truncate goes")
                .isEmpty();
        assertThat(loader.load(batch(create(1, "a", "x", 10), update(3, "c2", "z", 40))).changed())
                .as("events older than the truncate").isZero();
        assertThat(loader.load(batch(create(3, "c", "z", 12))).changed()).as("an older insert alone").isZero();
        assertThat(loader.load(withTruncate).changed()).as("the same batch again").isZero();
        assertThat(loader.load(batch(truncate(30))).changed()).as("an older truncate again").isZero();
        assertThatTable(ds, "raw.truncated_mds_truncated").columns("_mds_commit").containsExactlyInAnyOrder(row(50));
        loader.load(batch(create(3, "c-new", "z", 60), delete(2, 61)));
        assertThatTable(ds, "raw.truncated").columns("user_id", "name").containsExactlyInAnyOrder(row(3, "c-new"));
        assertThat(loader.load(batch(create(2, "after", "w", 51))).changed()).as("a delete after the truncate").isZero();
        assertThat(loader.pruneTombstones(java.time.Duration.ZERO)).as("the tombstone of 2 and the truncate").isEqualTo(2);
        assertThatTable(ds, "raw.truncated_mds_truncated").isEmpty();
    }

    /** Into a target a truncate emptied, an insert-only batch would be COPYed straight in: not one from before it. */
    @Test
    void aReplayFromBeforeATruncateStaysOutOfTheTargetItEmptied(DataSource ds) {
        MergeLoader loader = loader(ds, "truncated_empty");
        loader.load(batch(create(1, "a", "x", 10), create(2, "b", "y", 11)));
        loader.load(batch(truncate(50)));
        LoadResult replay = loader.load(batch(create(1, "a", "x", 10), create(2, "b", "y", 11)));
        assertThat(replay.changed()).isZero();
        assertThat(replay.unchanged()).isEqualTo(2);
        assertThatTable(ds, "raw.truncated_empty").isEmpty();
        loader.load(batch(create(1, "new", "x", 60), create(2, "b", "y", 11)));
        loader.load(batch(create(3, "newer", "x", 70)));
        assertThatTable(ds, "raw.truncated_empty").columns("user_id", "name").containsExactlyInAnyOrder(row(1, "new"),
                row(3, "newer"));
    }

    @Test
    void aTruncateWithSoftDeletesMarksTheRowsAndATruncateFirstCreatesAnEmptyTarget(DataSource ds) {
        MergeLoader soft = softLoader(ds, "truncated_soft");
        soft.load(batch(create(1, "a", "x", 10), create(2, "b", "y", 11)));
        soft.load(batch(delete(2, 20)));
        assertThat(soft.load(batch(truncate(30))).deleted()).isEqualTo(1);
        assertThatTable(ds, "raw.truncated_soft").columns("user_id", "_deleted_at", "_mds_commit").containsExactlyInAnyOrder(
                row(1, T.plusSeconds(30), 30), row(2, T.plusSeconds(20), 20));
        soft.load(batch(create(1, "back", "x", 31)));
        assertThatTable(ds, "raw.truncated_soft").columns("user_id", "name", "_deleted_at").contains(row(1, "back", null));

        MergeLoader fresh = loader(ds, "truncated_first");
        assertThat(fresh.load(batch(truncate(5))).deleted()).isZero();
        assertThatTable(ds, "raw.truncated_first").exists().isEmpty();
    }

    @Test
    void tombstoneTableAppearsWithTheFirstDeleteAndThenProtectsAgainstReplays(DataSource ds) {
        MergeLoader loader = loader(ds, "lazy");
        loader.load(batch(create(1, "a", "x", 10), create(2, "b", "y", 11)));
        loader.load(batch(update(1, "a2", "x", 12)));
        assertThat(queryLong(ds, "select count(to_regclass('raw.lazy_mds_tombstones'))")).isZero();
        loader.load(batch(delete(2, 20), update(1, "a3", "x", 21)));
        assertThatTable(ds, "raw.lazy_mds_tombstones").columns("user_id", "_mds_commit").containsExactlyInAnyOrder(row(2, 20));
        LoadResult replay = loader.load(batch(create(2, "b", "y", 11), update(1, "a2", "x", 12)));
        assertThat(replay.changed()).isZero();
        assertThatTable(ds, "raw.lazy").columns("user_id", "name").containsExactlyInAnyOrder(row(1, "a3"));
    }

    @Test
    void pruningForgetsOnlyTombstonesOlderThanTheAgeGiven(DataSource ds) {
        MergeLoader loader = loader(ds, "pruned");
        assertThat(loader.pruneTombstones(java.time.Duration.ofDays(1))).isZero();          // no tombstone table yet
        loader.load(batch(create(1, "a", "x", 10), create(2, "b", "y", 11), create(3, "c", "z", 12)));
        loader.load(batch(delete(2, 20),                                                    // committed at T, long ago
                ChangeEvent.delete(SRC, Record.of(3), new EventPosition(30, 30), Instant.now())));
        assertThat(loader.pruneTombstones(java.time.Duration.ofDays(365 * 100))).isZero();
        assertThat(loader.pruneTombstones(java.time.Duration.ofDays(1))).isEqualTo(1);
        assertThatTable(ds, "raw.pruned_mds_tombstones").columns("user_id", "_mds_commit").containsExactlyInAnyOrder(row(3, 30));
        // what the retention gives up: a replay older than a forgotten delete brings the row back; key 3 stays deleted
        loader.load(batch(create(2, "b", "y", 11), create(3, "c", "z", 12)));
        assertThatTable(ds, "raw.pruned").columns("user_id", "name").containsExactlyInAnyOrder(row(1, "a"), row(2, "b"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> loader.pruneTombstones(java.time.Duration.ofDays(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("negative");
    }

    @Test
    void smallBatchIntoALargeTableLeavesTheCallersJoinSettingsAsTheyWere(DataSource ds) throws Exception {
        MergeLoader loader = loader(ds, "large");
        ChangeEvent[] snapshot = new ChangeEvent[3000];
        for (int i = 0; i < snapshot.length; i++) {
            snapshot[i] = create(i + 1, "n" + i, "padding padding padding padding " + i, 10);
        }
        loader.load(batch(snapshot));
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try (var st = c.createStatement()) {
                st.execute("set local enable_mergejoin = off");
            }
            LoadResult r = loader.load(batch(update(5, "five", "b", 20), create(4000, "new", "c", 21), update(7, "seven", "b", 22)), c);
            assertThat(r.updated()).isEqualTo(2);
            assertThat(r.inserted()).isEqualTo(1);
            try (var st = c.createStatement();
                    var rs = st.executeQuery("select current_setting('enable_hashjoin'), current_setting('enable_mergejoin')")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("on");
                assertThat(rs.getString(2)).isEqualTo("off");
            }
            c.commit();
        }
        assertThatTable(ds, "raw.large").hasRowCount(3001);
        assertThatTable(ds, "raw.large").columns("user_id", "name").contains(row(5, "five"), row(7, "seven"), row(4000, "new"));
    }

    @Test
    void eventsOutOfPositionOrderAreFoldedInPositionOrder(DataSource ds) {
        MergeLoader loader = loader(ds, "unordered");
        loader.load(batch(create(1, "a", "x", 10)));
        LoadResult r = loader.load(batch(update(1, "newest", Unchanged.VALUE, 30), update(1, "older", "y", 20)));
        assertThat(r.updated()).isEqualTo(1);
        assertThatTable(ds, "raw.unordered").columns("user_id", "name", "bio", "_mds_commit")
                .containsExactlyInAnyOrder(row(1, "newest", "y", 30));
    }

    @Test
    void insertsOnlyBatchWithKeysAlreadyThereIsMergedAsUsual(DataSource ds) throws Exception {
        MergeLoader loader = loader(ds, "optimistic");
        loader.load(batch(create(1, "a", "x", 10), create(2, "b", "y", 11)));
        LoadResult fresh = loader.load(batch(create(3, "c", "z", 12), create(4, "d", "w", 13)));
        assertThat(fresh.inserted()).isEqualTo(2);
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            LoadResult replay = loader.load(batch(create(5, "e", "v", 14), create(2, "b old", "y", 5),
                    create(1, "a newer", "x", 20)), c);
            assertThat(replay.inserted()).isEqualTo(1);
            assertThat(replay.updated()).isEqualTo(1);
            assertThat(replay.unchanged()).isEqualTo(1);
            c.commit();
        }
        assertThatTable(ds, "raw.optimistic").columns("user_id", "name", "_mds_commit").containsExactlyInAnyOrder(
                row(1, "a newer", 20), row(2, "b", 11), row(3, "c", 12), row(4, "d", 13), row(5, "e", 14));
        assertThat(loader.load(batch(create(3, "c", "z", 12), create(4, "d", "w", 13))).changed()).isZero();
    }

    @Test
    void replayedInsertsIntoATargetWithoutAUniqueKeyChangeNothing(DataSource ds) {
        // the user created the targets: one without any key, one whose unique constraint is deferred (checked at
        // commit, so a COPY of a key already there does not fail), one unique on more than the key
        dev.mds.testing.TableFixture.on(ds, "raw.no_pk").columns("user_id int", "name text", "bio text").rows();
        dev.mds.testing.TableFixture.on(ds, "raw.deferred_pk")
                .columns("user_id int primary key deferrable initially deferred", "name text", "bio text").rows();
        dev.mds.testing.TableFixture.on(ds, "raw.wide_unique").columns("user_id int", "name text", "bio text").rows();
        try (Connection c = ds.getConnection(); var st = c.createStatement()) {
            st.execute("create unique index on raw.wide_unique (user_id, name)");
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
        for (String table : List.of("no_pk", "deferred_pk", "wide_unique")) {
            MergeLoader loader = loader(ds, table);
            loader.load(batch(create(1, "a", "x", 10), create(2, "b", "y", 11)));
            assertThat(loader.load(batch(create(3, "c", "z", 12), create(4, "d", "w", 13))).inserted()).isEqualTo(2);
            LoadResult replay = loader.load(batch(create(3, "c", "z", 12), create(4, "d", "w", 13)));
            assertThat(replay.changed()).as(table).isZero();
            assertThat(replay.unchanged()).as(table).isEqualTo(2);
            assertThatTable(ds, "raw." + table).columns("user_id", "name").containsExactlyInAnyOrder(
                    row(1, "a"), row(2, "b"), row(3, "c"), row(4, "d"));
        }
    }

    /**
     * A primary-key update (Debezium: a delete of the old key and an insert of the new one, at one position) into a
     * target the user created with the source's unique constraint on another column: the insert of the new key met
     * the old key's row, which was deleted only after the MERGE, and the batch was refused ("duplicate key value
     * violates unique constraint"). The deletes go first now.
     */
    @Test
    void aKeyChangeIntoATargetUniqueOnAnotherColumnIsApplied(DataSource ds) {
        dev.mds.testing.TableFixture.on(ds, "raw.unique_name")
                .columns("user_id int primary key", "name text unique", "bio text").rows();
        MergeLoader loader = loader(ds, "unique_name");
        loader.load(batch(create(1, "a", "x", 10), create(2, "b", "y", 11)));
        // 1 -> 3, then 2 -> 1 (a key deleted in the batch before) beside an insert
        loader.load(batch(delete(1, 20), create(3, "a", "x", 20)));
        LoadResult r = loader.load(batch(delete(2, 30), create(1, "b", "y", 30), create(5, "c", "z", 31)));
        assertThat(r.inserted()).isEqualTo(2);
        assertThat(r.deleted()).isEqualTo(1);
        assertThatTable(ds, "raw.unique_name").columns("user_id", "name")
                .containsExactlyInAnyOrder(row(1, "b"), row(3, "a"), row(5, "c"));
    }

    /**
     * Two rows swapping keys through a temporary one (1 -> 9, 3 -> 1, 9 -> 3) in a target unique on another column:
     * after the fold both keys are updates, and one MERGE updating both met the other row's value ("duplicate key value
     * violates unique constraint"). The stored rows of keys deleted and written again in a batch are deleted first.
     */
    @Test
    void aKeySwapIntoATargetUniqueOnAnotherColumnIsApplied(DataSource ds) {
        dev.mds.testing.TableFixture.on(ds, "raw.unique_swap")
                .columns("user_id int primary key", "name text unique", "bio text").rows();
        MergeLoader loader = loader(ds, "unique_swap");
        loader.load(batch(create(1, "a", "x", 10), create(3, "c", "z", 11)));
        LoadResult r = loader.load(batch(delete(1, 20), create(9, "a", "x", 20), delete(3, 21), create(1, "c", "z", 21),
                delete(9, 22), create(3, "a", "x", 22)));
        assertThat(r.inserted() + r.updated()).isEqualTo(2);
        assertThatTable(ds, "raw.unique_swap").columns("user_id", "name", "_mds_commit")
                .containsExactlyInAnyOrder(row(1, "c", 21), row(3, "a", 22));
        assertThat(queryLong(ds, "select count(*) from raw.unique_swap_mds_tombstones where user_id in (1, 3)")).isZero();
        assertThat(loader.load(batch(delete(1, 20), create(9, "a", "x", 20), delete(3, 21), create(1, "c", "z", 21),
                delete(9, 22), create(3, "a", "x", 22))).changed()).as("a replay").isZero();
    }

    /**
     * A key swap through a temporary key into a target unique on another column deletes the two stored rows first
     * (4344908), and the MERGE then inserts them again: the load reported 2 inserted where the same batch into a target
     * without that index reports 2 updated. It reports what happened to the rows: 2 updated, whatever the target's
     * indexes, and a pre-deleted key whose new row the table refuses (DEAD_LETTER) counts as deleted.
     */
    @Test
    void aKeySwapThroughATemporaryKeyCountsTwoUpdatesWhateverTheTargetsIndexes(DataSource ds) {
        dev.mds.testing.TableFixture.on(ds, "raw.swap_counted").columns("user_id int primary key", "name text unique",
                "bio text check (bio <> 'refused')").rows();
        for (String table : new String[] {"swap_counted", "swap_counted_plain"}) {
            MergeLoader loader = loader(ds, table);
            loader.load(batch(create(1, "a", "x", 10), create(3, "c", "z", 11), create(5, "e", "y", 12)));
            LoadResult r = loader.load(batch(delete(1, 20), create(9, "a", "x", 20), delete(3, 21),
                    create(1, "c", "z", 21), delete(9, 22), create(3, "a", "x", 22)));
            assertThat(List.of(r.inserted(), r.updated(), r.deleted())).as(table).containsExactly(0L, 2L, 0L);
        }
        MergeLoader deadLetter = MergeLoader.into(ds, TableName.of("raw", "swap_counted")).mode(SyncMode.CDC)
                .onBadRow(OnBadRow.DEAD_LETTER).build();
        LoadResult r = deadLetter.load(batch(delete(1, 30), create(8, "c", "z", 30), delete(5, 31),
                create(1, "e", "refused", 31), delete(8, 32), create(5, "c", "z", 32)));
        assertThat(List.of(r.inserted(), r.updated(), r.deleted(), r.rejected())).containsExactly(0L, 1L, 1L, 1L);
        assertThatTable(ds, "raw.swap_counted").columns("user_id", "name").containsExactlyInAnyOrder(row(3, "a"), row(5, "c"));
    }

    /**
     * With {@link OnBadRow#DEAD_LETTER} a re-insert the table refuses when the MERGE writes it gives way to the delete
     * before it, which still deletes (as the batch cut between them does). Before, the delete staged in its place was
     * never applied (the deletes ran again only when the stage lost rows, and it lost none): key 1 stayed live with the
     * values it had before the batch.
     */
    @Test
    void aDeleteFollowedByAReInsertTheMergeRefusesStillDeletesUnderDeadLetter(DataSource ds) {
        dev.mds.testing.TestSql.sql(ds, "create schema if not exists raw",
                "create table raw.refused_reinsert (user_id int primary key, name text check (name <> 'bad'), bio text)");
        MergeLoader loader = MergeLoader.into(ds, TableName.of("raw", "refused_reinsert")).mode(SyncMode.CDC)
                .onBadRow(OnBadRow.DEAD_LETTER).build();
        loader.load(batch(create(1, "J", "j", 10), create(3, "L", "l", 11)));
        LoadResult r = loader.load(batch(delete(1, 20), create(1, "bad", "c", 21)));
        assertThat(List.of(r.inserted(), r.updated(), r.deleted(), r.rejected())).containsExactly(0L, 0L, 1L, 1L);
        assertThatTable(ds, "raw.refused_reinsert").columns("user_id", "name").containsExactlyInAnyOrder(row(3, "L"));
        assertThat(loader.load(batch(create(1, "J", "j", 10))).changed()).as("a replay of the old insert").isZero();
        assertThatTable(ds, "raw.refused_reinsert").columns("user_id", "name").containsExactlyInAnyOrder(row(3, "L"));
    }

    /**
     * With {@link DeleteMode#SOFT} a deleted row stays, marked, with its values; a target unique on another column among
     * its live rows only ({@code where _deleted_at is null}) takes a key change, and took a swap of two rows' keys
     * through a temporary key only with HARD deletes: one MERGE updating both rows met the other row's value ("duplicate
     * key value violates unique constraint"). The stored rows of keys deleted and written again are marked deleted first.
     * The temporary key 100, created and deleted within the batch, is left marked deleted with its last values (counted
     * as deleted), as the batch cut between its create and its delete leaves it (see {@code SoftDeleteCutsTest}).
     */
    @Test
    void aKeySwapWithSoftDeletesIntoATargetUniqueAmongLiveRowsIsApplied(DataSource ds) {
        dev.mds.testing.TableFixture.on(ds, "raw.soft_swap").columns("user_id int primary key", "name text", "bio text",
                "_mds_commit bigint", "_mds_change bigint", "_deleted_at timestamptz").rows();
        dev.mds.testing.TestSql.sql(ds, "create unique index soft_swap_live_name on raw.soft_swap (name) where _deleted_at is null");
        MergeLoader loader = softLoader(ds, "soft_swap");
        loader.load(batch(create(1, "a", "x", 10), create(3, "c", "z", 11), create(4, "d", "w", 12)));
        loader.load(batch(delete(1, 20), create(101, "a", "x", 20)));
        List<ChangeEvent> swap = List.of(delete(3, 30), create(100, "c", "z", 30), delete(4, 31), create(3, "d", "w", 31),
                delete(100, 32), create(4, "c", "z", 32));
        LoadResult r = loader.load(batch(swap.toArray(ChangeEvent[]::new)));
        assertThat(r.deleted()).isEqualTo(1);
        assertThatTable(ds, "raw.soft_swap").columns("user_id", "name", "_mds_commit")
                .containsExactlyInAnyOrder(row(1, "a", 20), row(101, "a", 20), row(3, "d", 31), row(4, "c", 32),
                        row(100, "c", 32));
        assertThat(queryString(ds, "select string_agg(user_id::text, ',' order by user_id) from raw.soft_swap"
                + " where _deleted_at is null")).as("live rows").isEqualTo("3,4,101");
        assertThat(loader.load(batch(swap.toArray(ChangeEvent[]::new))).changed()).as("a replay").isZero();
    }

    /**
     * With {@link DeleteMode#SOFT} a key change into a target unique on another column over all its rows cannot be
     * applied: the old key's row stays, marked deleted, with the value the new key's row needs (clearing it would
     * break what SOFT keeps). The refusal used to say only that another row holds the value; it now names that row's
     * key, says it is marked deleted, and what to do.
     */
    @Test
    void aKeyChangeWithSoftDeletesIntoATargetUniqueOverAllRowsNamesTheMarkedRow(DataSource ds) {
        dev.mds.testing.TableFixture.on(ds, "raw.soft_unique").columns("user_id int primary key", "name text unique",
                "bio text", "_mds_commit bigint", "_mds_change bigint", "_deleted_at timestamptz").rows();
        MergeLoader loader = softLoader(ds, "soft_unique");
        loader.load(batch(create(1, "a", "x", 10), create(3, "c", "z", 11)));
        assertThatThrownBy(() -> loader.load(batch(delete(1, 20), create(101, "a", "x", 20))))
                .isInstanceOf(RefusedRowsException.class)
                .hasMessageContaining("raw.soft_unique record 2 (key user_id=101)")
                .hasMessageContaining("constraint \"soft_unique_name_key\"")
                .hasMessageContaining("the row of key user_id=1, which holds the value, is marked deleted")
                .hasMessageContaining("where _deleted_at is null")
                .hasMessageContaining("DeleteMode.HARD");
        assertThatTable(ds, "raw.soft_unique").columns("user_id", "_mds_commit").containsExactlyInAnyOrder(row(1, 10), row(3, 11));
    }

    /**
     * A source whose primary key is DEFERRABLE (so REPLICA IDENTITY FULL: deletes carry the whole old row) swaps keys
     * in one statement ({@code update t set id = 3 - id}): Debezium logs the move of row 1 to key 2 (delete 1, insert 2)
     * before the move of row 2 to key 1 (delete 2, insert 1), so key 2's insert comes before the delete of its old
     * row. Folded as the key's last event, that delete removed key 2 without a word. A rotation of three rows too.
     */
    @Test
    void aSwapOfKeysInOneStatementUnderADeferrableKeyKeepsBothRows(DataSource ds) {
        MergeLoader loader = loader(ds, "deferred_swap");
        loader.load(batch(create(1, "one", "a", 10), create(2, "two", "b", 11), create(3, "three", "c", 12),
                create(4, "four", "d", 13), create(5, "five", "e", 14)));
        // one transaction (commit 20): 1 -> 2, 2 -> 1; then in another (commit 30): 3 -> 4, 4 -> 5, 5 -> 3
        LoadResult r = loader.load(batch(fullDelete(1, "one", "a", 20, 21), create(2, "one", "a", 20, 21),
                fullDelete(2, "two", "b", 20, 22), create(1, "two", "b", 20, 22),
                fullDelete(3, "three", "c", 30, 31), create(4, "three", "c", 30, 31),
                fullDelete(4, "four", "d", 30, 32), create(5, "four", "d", 30, 32),
                fullDelete(5, "five", "e", 30, 33), create(3, "five", "e", 30, 33)));
        assertThat(r.deleted()).isZero();
        assertThatTable(ds, "raw.deferred_swap").columns("user_id", "name", "bio").containsExactlyInAnyOrder(
                row(1, "two", "b"), row(2, "one", "a"), row(3, "five", "e"), row(4, "three", "c"), row(5, "four", "d"));
        // and a key moved on and deleted within one transaction still ends deleted: the delete is of the row the
        // batch moved there (its before image is that row), as is a delete whose before image has only the key
        loader.load(batch(fullDelete(1, "two", "b", 40, 41), create(9, "two", "b", 40, 41), fullDelete(9, "two", "b", 40, 42),
                create(10, "ten", "x", 50, 51), delete(10, 52)));
        assertThatTable(ds, "raw.deferred_swap").columns("user_id").containsExactlyInAnyOrder(row(2), row(3), row(4), row(5));
    }

    /**
     * Rows of a DEFERRABLE key (REPLICA IDENTITY FULL) equal in every column but the key, or in every nullable one,
     * swap and rotate keys in one statement, and a second row of a key inserted under a deferred key is deleted again,
     * with the events as the real Debezium source delivers them (CdcDeferrableKeyTest in mds-connector-postgres): a
     * key's insert before the delete of the key's other row, one commit position per transaction, the delete and
     * insert of one row's move at one change position. The delete's before image equals the inserted row, so the
     * value comparison of b488411 took it for that row's delete and lost rows 2, 4, 7, 8 and 5.
     */
    @Test
    void rowsOfADeferrableKeyEqualInEveryNullableColumnAreNotLost(DataSource ds) {
        Schema schema = Schema.builder().required("user_id", FieldType.INT).required("name", FieldType.STRING)
                .add("bio", FieldType.STRING).build();
        MergeLoader loader = loader(ds, "deferred_equal");
        loader.load(new ChangeBatch(SRC, schema, List.of("user_id"), List.of(create(1, "a", null, 1, 1),
                create(2, "a", null, 1, 2), create(3, "x", null, 1, 3), create(4, "y", null, 1, 4), create(5, "p", "q", 1, 5),
                create(6, "r", null, 1, 6), create(7, "r", null, 1, 7), create(8, "r", null, 1, 8)), Optional.empty()));
        List<ChangeEvent> events = List.of(
                // update set id = 3 - id where id in (1, 2)
                fullDelete(1, "a", null, 10, 11), create(2, "a", null, 10, 11), fullDelete(2, "a", null, 10, 12),
                create(1, "a", null, 10, 12),
                // update set id = 7 - id where id in (3, 4)
                fullDelete(3, "x", null, 20, 21), create(4, "x", null, 20, 21), fullDelete(4, "y", null, 20, 22),
                create(3, "y", null, 20, 22),
                // set constraints all deferred; insert (5, 'dup', 'q'); delete where id = 5 and name = 'dup'
                create(5, "dup", "q", 30, 31), fullDelete(5, "dup", "q", 30, 32),
                // 6 -> 7, 7 -> 8, 8 -> 6 in one statement
                fullDelete(6, "r", null, 40, 41), create(7, "r", null, 40, 41), fullDelete(7, "r", null, 40, 42),
                create(8, "r", null, 40, 42), fullDelete(8, "r", null, 40, 43), create(6, "r", null, 40, 43));
        LoadResult r = loader.load(new ChangeBatch(SRC, schema, List.of("user_id"), events, Optional.empty()));
        assertThat(r.deleted()).isZero();
        assertThatTable(ds, "raw.deferred_equal").columns("user_id", "name", "bio").containsExactlyInAnyOrder(
                row(1, "a", null), row(2, "a", null), row(3, "y", null), row(4, "x", null), row(5, "p", "q"),
                row(6, "r", null), row(7, "r", null), row(8, "r", null));
        // a replay of the batch changes nothing
        assertThat(loader.load(new ChangeBatch(SRC, schema, List.of("user_id"), events, Optional.empty())).changed())
                .as("a replay").isZero();
        // key 9 inserted; then, in a later transaction, a second row of it inserted and both rows deleted
        loader.load(new ChangeBatch(SRC, schema, List.of("user_id"), List.of(create(9, "r", null, 50, 51),
                create(9, "r", null, 60, 61), fullDelete(9, "r", null, 60, 62), fullDelete(9, "r", null, 60, 62)),
                Optional.empty()));
        assertThatTable(ds, "raw.deferred_equal").columns("user_id").containsExactlyInAnyOrder(row(1), row(2), row(3),
                row(4), row(5), row(6), row(7), row(8));
    }

    /**
     * A swap of two keys in one statement under a DEFERRABLE key (whole before images), into a target unique on
     * another column: key 2's insert comes before the delete of its stored row, which the fold leaves out (the key's
     * row is the insert), so only key 1 was deleted first and one MERGE inserting (1, 'two') while updating key 2 from
     * 'two' to 'one' met the unique index. The stored row of key 2 is deleted first too.
     */
    @Test
    void aSwapUnderADeferrableKeyIntoATargetUniqueOnAnotherColumnIsApplied(DataSource ds) {
        dev.mds.testing.TableFixture.on(ds, "raw.deferred_unique").columns("user_id int primary key", "name text unique",
                "bio text").rows();
        MergeLoader loader = loader(ds, "deferred_unique");
        loader.load(batch(create(1, "one", "a", 10), create(2, "two", "b", 11), create(3, "three", "c", 12)));
        List<ChangeEvent> swap = List.of(fullDelete(2, "two", "b", 20, 21), create(1, "two", "b", 20, 21),
                fullDelete(1, "one", "a", 20, 22), create(2, "one", "a", 20, 22), fullDelete(3, "three", "c", 20, 23),
                create(4, "three", "c", 20, 23));
        LoadResult r = loader.load(batch(swap.toArray(ChangeEvent[]::new)));
        assertThat(List.of(r.inserted(), r.updated(), r.deleted())).containsExactly(1L, 2L, 1L);
        assertThatTable(ds, "raw.deferred_unique").columns("user_id", "name", "_mds_change").containsExactlyInAnyOrder(
                row(1, "two", 22), row(2, "one", 22), row(4, "three", 23));
        assertThat(loader.load(batch(swap.toArray(ChangeEvent[]::new))).changed()).as("a replay").isZero();
    }

    /**
     * With REPLICA IDENTITY DEFAULT a delete's before image holds the key only, and Debezium fills its NOT NULL columns
     * with their type's default (""): a row moved to a key and deleted in one transaction must still end deleted.
     */
    @Test
    void aKeyOnlyBeforeImageWithDebeziumsDefaultsStillDeletes(DataSource ds) {
        Schema schema = Schema.builder().required("user_id", FieldType.INT).required("email", FieldType.STRING)
                .add("bio", FieldType.STRING).build();
        MergeLoader loader = loader(ds, "key_only_before");
        ChangeEvent moved = ChangeEvent.create(SRC, Record.of(5), Record.of(5, "e@x", "b"), new EventPosition(10, 11), T);
        ChangeEvent deleted = new ChangeEvent(ChangeEvent.Operation.DELETE, SRC, Record.of(5),
                Optional.of(Record.of(5, "", null)), Optional.empty(), new EventPosition(10, 12), T);
        loader.load(new ChangeBatch(SRC, schema, List.of("user_id"), List.of(moved, deleted), Optional.empty()));
        assertThatTable(ds, "raw.key_only_before").isEmpty();
    }

    private static ChangeEvent fullDelete(int id, String name, String bio, long commit, long change) {
        return new ChangeEvent(ChangeEvent.Operation.DELETE, SRC, Record.of(id), Optional.of(Record.of(id, name, bio)),
                Optional.empty(), new EventPosition(commit, change), T);
    }

    private static ChangeEvent create(int id, String name, String bio, long commit, long change) {
        return ChangeEvent.create(SRC, Record.of(id), Record.of(id, name, bio), new EventPosition(commit, change), T);
    }

    private static long queryLong(DataSource ds, String sql) {
        try (Connection c = ds.getConnection(); var st = c.createStatement(); var rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String queryString(DataSource ds, String sql) {
        try (Connection c = ds.getConnection(); var st = c.createStatement(); var rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
