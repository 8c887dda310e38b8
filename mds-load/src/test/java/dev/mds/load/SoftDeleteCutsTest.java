package dev.mds.load;

import static dev.mds.load.CdcApplyTest.batch;
import static dev.mds.load.CdcApplyTest.create;
import static dev.mds.load.CdcApplyTest.delete;
import static dev.mds.load.CdcApplyTest.update;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.BadInputException;
import dev.mds.core.ChangeBatch;
import dev.mds.core.ChangeEvent;
import dev.mds.core.TableName;
import dev.mds.core.Unchanged;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestSql;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * With {@link DeleteMode#SOFT} a key's events give the same target whichever way they are cut into batches: a deleted
 * key's row holds its last values, marked deleted at the delete (as Airbyte's CDC keeps a deleted record, with
 * {@code _ab_cdc_deleted_at} set, holding the last values it had), also when the key was updated, re-created or
 * created within the batch that deletes it. Each history is loaded as one batch and, into other tables, cut in two at
 * every place; the tables must be equal apart from the load timestamps.
 */
@MdsPostgres
class SoftDeleteCutsTest {
    /** What every table holds before the history: key 1 as (J, long bio), key 3 as (L, x). */
    static final List<ChangeEvent> STORED = List.of(create(1, "J", "long bio", 10), create(3, "L", "x", 11));

    @Test
    void anUpdateThenADeleteInOneBatchLeavesTheUpdatedValuesMarkedDeletedAsTwoBatchesDo(DataSource ds) {
        assertCutsAgree(ds, "upd_del", List.of(update(1, "K2", "b2", 20), delete(1, 21)),
                "1|K2|b2|21|2026-01-01 00:00:21+00", "3|L|x|11|");
    }

    @Test
    void aReCreateThenADeleteInOneBatchLeavesTheReCreatedValuesMarkedDeletedAsTwoBatchesDo(DataSource ds) {
        assertCutsAgree(ds, "recreate_del", List.of(delete(1, 20), create(1, "N", "n", 21), delete(1, 22)),
                "1|N|n|22|2026-01-01 00:00:22+00", "3|L|x|11|");
    }

    @Test
    void aKeyCreatedAndDeletedInOneBatchLeavesARowMarkedDeletedAsTwoBatchesDo(DataSource ds) {
        assertCutsAgree(ds, "create_del", List.of(create(2, "a", "b", 20), update(2, "a2", null, 21), delete(2, 22),
                        delete(5, 23)),
                "1|J|long bio|10|", "2|a2||22|2026-01-01 00:00:22+00", "3|L|x|11|");
    }

    @Test
    void anUnsentValueOfTheLastUpdateBeforeADeleteKeepsTheStoredValue(DataSource ds) {
        assertCutsAgree(ds, "unsent_del", List.of(update(1, "K2", Unchanged.VALUE, 20), delete(1, 21),
                        update(3, Unchanged.VALUE, "y", 22), update(3, "L2", Unchanged.VALUE, 23), delete(3, 24)),
                "1|K2|long bio|21|2026-01-01 00:00:21+00", "3|L2|y|24|2026-01-01 00:00:24+00");
    }

    /**
     * An UPDATE that leaves a value unsent (TOAST) after a delete of its key in the same batch: the row marked deleted
     * holds the value (the stored one, or the one the key's events before the delete left), so the update keeps it, as
     * it does when the batch is cut after the delete. (With {@link DeleteMode#HARD} the deleted row is gone and the
     * value is NULL however the batch is cut.)
     */
    @Test
    void anUnsentValueOfAnUpdateAfterADeleteKeepsTheValueTheMarkedRowHolds(DataSource ds) {
        assertCutsAgree(ds, "del_unsent", List.of(delete(1, 20), update(1, "K", Unchanged.VALUE, 21),
                        update(3, "M", Unchanged.VALUE, 22), delete(3, 23), update(3, Unchanged.VALUE, "z", 24),
                        delete(3, 25), update(3, "N", Unchanged.VALUE, 26)),
                "1|K|long bio|21|", "3|N|z|26|");
    }

    /**
     * A value the table refuses, written by an event before the key's delete: cut apart, the MERGE refuses that event
     * and the delete marks what the key was without it. In one batch the delete carries the value: with
     * {@link OnBadRow#FAIL} the load is refused, with {@link OnBadRow#DEAD_LETTER} the event is set aside (as cut apart)
     * and the delete marks what the key's events before it came to.
     */
    @Test
    void aRefusedValueBeforeADeleteIsSetAsideAsWhenTheBatchIsCutBeforeTheDelete(DataSource ds) {
        List<ChangeEvent> history = List.of(create(2, "bad", "b", 20), delete(2, 21), update(1, "ok", "o", 22),
                update(1, "bad", "j", 23), delete(1, 24), delete(3, 25));
        for (int cut = 0; cut < history.size(); cut++) {
            String table = "checked_" + cut;
            TestSql.sql(ds, "create schema if not exists raw", "create table raw." + table
                    + " (user_id int primary key, name text check (name <> 'bad'), bio text)");
            MergeLoader loader = MergeLoader.into(ds, TableName.of("raw", table)).mode(SyncMode.CDC)
                    .deleteMode(DeleteMode.SOFT).onBadRow(OnBadRow.DEAD_LETTER).build();
            loader.load(batch(STORED.toArray(ChangeEvent[]::new)));
            long rejected = 0;
            for (ChangeBatch b : cut == 0 ? List.of(batch(history.toArray(ChangeEvent[]::new)))
                    : List.of(batch(history.subList(0, cut).toArray(ChangeEvent[]::new)),
                            batch(history.subList(cut, history.size()).toArray(ChangeEvent[]::new)))) {
                rejected += loader.load(b).rejected();
            }
            String as = cut == 0 ? "one batch" : "cut before event " + (cut + 1);
            assertThat(rows(ds, table)).as(as).containsExactly("1|ok|o|24|2026-01-01 00:00:24+00",
                    "3|L|x|25|2026-01-01 00:00:25+00");
            assertThat(rejected).as(as).isEqualTo(2);
            assertThat(TestSql.strings(ds, "select key || ' ' || record from raw." + table + "_rejected order by key desc"))
                    .as(as).containsExactly("user_id=2 {\"user_id\": 2, \"name\": \"bad\", \"bio\": \"b\"}",
                            "user_id=1 {\"user_id\": 1, \"name\": \"bad\", \"bio\": \"j\"}");
        }
        TestSql.sql(ds, "create table raw.checked_fail (user_id int primary key, name text check (name <> 'bad'), bio text)");
        MergeLoader strict = MergeLoader.into(ds, TableName.of("raw", "checked_fail")).mode(SyncMode.CDC)
                .deleteMode(DeleteMode.SOFT).build();
        strict.load(batch(STORED.toArray(ChangeEvent[]::new)));
        assertThatThrownBy(() -> strict.load(batch(history.toArray(ChangeEvent[]::new))))
                .isInstanceOf(RefusedRowsException.class).hasMessageContaining("checked_fail_name_check");
        assertThat(rows(ds, "checked_fail")).containsExactly("1|J|long bio|10|", "3|L|x|11|");
    }

    /**
     * With {@link OnBadRow#FAIL} a value the table refuses, carried by a delete from an earlier event of its key, is
     * blamed on that event, as the MERGE of the batch cut before the delete blames it: the delete wrote nothing wrong.
     */
    @Test
    void aRefusedCarriedValueNamesTheEventThatWroteItNotTheDelete(DataSource ds) {
        TestSql.sql(ds, "create schema if not exists raw",
                "create table raw.carried_fail (user_id int primary key, name text check (name <> 'bad'), bio text)");
        MergeLoader strict = MergeLoader.into(ds, TableName.of("raw", "carried_fail")).mode(SyncMode.CDC)
                .deleteMode(DeleteMode.SOFT).build();
        strict.load(batch(STORED.toArray(ChangeEvent[]::new)));
        List<ChangeEvent> history = List.of(update(3, "L2", "y", 20), update(1, "bad", "j", 21), update(1, Unchanged.VALUE,
                "k", 22), delete(1, 23));
        RefusedRowsException cut = catchRefused(() -> strict.load(batch(history.subList(0, 3).toArray(ChangeEvent[]::new))));
        assertThat(cut.rows()).containsExactly(new RefusedRowsException.RefusedRow(3, java.util.Optional.of("user_id=1")));
        RefusedRowsException one = catchRefused(() -> strict.load(batch(history.toArray(ChangeEvent[]::new))));
        assertThat(one.rows()).containsExactly(new RefusedRowsException.RefusedRow(3, java.util.Optional.of("user_id=1")));
        assertThat(one.getMessage()).contains("record 3 (key user_id=1)").contains("carried_fail_name_check")
                .contains("the delete of record 4 carried the values record 3 wrote");
        assertThat(rows(ds, "carried_fail")).containsExactly("1|J|long bio|10|", "3|L|x|11|");
    }

    /**
     * An UPDATE leaving a value unsent for a key the target has no row of, then the key's delete, in one batch: the row
     * the delete would leave marked has no value to keep for the unsent column, as the update alone has none to insert
     * (a bad row). So the update is a bad row in one batch as in the batch cut before the delete: with
     * {@link OnBadRow#FAIL} the batch is refused naming the update, with {@link OnBadRow#DEAD_LETTER} it is set aside
     * and the delete leaves no row (the key never had one), where a key with a stored row is left marked holding it.
     */
    @Test
    void anUnsentValueForAKeyWithoutRowBeforeItsDeleteIsABadRowAsWhenTheBatchIsCut(DataSource ds) {
        List<ChangeEvent> history = List.of(update(1, "K", Unchanged.VALUE, 20), update(5, "a", Unchanged.VALUE, 21),
                delete(5, 22), delete(1, 23));
        for (int cut = 0; cut < history.size(); cut++) {
            String table = "unsent_norow_" + cut;
            MergeLoader loader = MergeLoader.into(ds, TableName.of("raw", table)).mode(SyncMode.CDC)
                    .deleteMode(DeleteMode.SOFT).onBadRow(OnBadRow.DEAD_LETTER).build();
            loader.load(batch(STORED.toArray(ChangeEvent[]::new)));
            long rejected = 0;
            for (ChangeBatch b : cut == 0 ? List.of(batch(history.toArray(ChangeEvent[]::new)))
                    : List.of(batch(history.subList(0, cut).toArray(ChangeEvent[]::new)),
                            batch(history.subList(cut, history.size()).toArray(ChangeEvent[]::new)))) {
                rejected += loader.load(b).rejected();
            }
            String as = cut == 0 ? "one batch" : "cut before event " + (cut + 1);
            assertThat(rows(ds, table)).as(as).containsExactly("1|K|long bio|23|2026-01-01 00:00:23+00", "3|L|x|11|");
            assertThat(rejected).as(as).isEqualTo(1);
            assertThat(TestSql.strings(ds, "select key || ' ' || record from raw." + table + "_rejected"))
                    .as(as).containsExactly("user_id=5 {\"user_id\": 5, \"name\": \"a\", \"bio\": \"<unchanged>\"}");
        }
        MergeLoader strict = MergeLoader.into(ds, TableName.of("raw", "unsent_norow_fail")).mode(SyncMode.CDC)
                .deleteMode(DeleteMode.SOFT).build();
        strict.load(batch(STORED.toArray(ChangeEvent[]::new)));
        assertThatThrownBy(() -> strict.load(batch(history.subList(0, 2).toArray(ChangeEvent[]::new))))
                .isInstanceOf(BadInputException.class).hasMessageContaining("record 2").hasMessageContaining("user_id=5");
        assertThatThrownBy(() -> strict.load(batch(history.toArray(ChangeEvent[]::new))))
                .isInstanceOf(BadInputException.class).hasMessageContaining("record 2").hasMessageContaining("user_id=5")
                .hasMessageContaining("'bio' is unchanged");
        assertThat(rows(ds, "unsent_norow_fail")).containsExactly("1|J|long bio|10|", "3|L|x|11|");
    }

    private static RefusedRowsException catchRefused(Runnable load) {
        try {
            load.run();
        } catch (RefusedRowsException e) {
            return e;
        }
        throw new AssertionError("the load was not refused");
    }

    /**
     * With {@link OnBadRow#DEAD_LETTER} a refused re-create after a delete gives way to the delete, which keeps the
     * values the key's create left (as the batch cut before the re-create leaves them).
     */
    @Test
    void aRefusedReCreateAfterADeleteGivesWayToTheDeleteWithTheValuesBeforeIt(DataSource ds) {
        List<ChangeEvent> history = List.of(create(2, "a", "b", 20), delete(2, 21), create(2, "bad", "c", 22));
        for (int cut = 0; cut < history.size(); cut++) {
            String table = "recreate_refused_" + cut;
            TestSql.sql(ds, "create schema if not exists raw", "create table raw." + table
                    + " (user_id int primary key, name text check (name <> 'bad'), bio text)");
            MergeLoader loader = MergeLoader.into(ds, TableName.of("raw", table)).mode(SyncMode.CDC)
                    .deleteMode(DeleteMode.SOFT).onBadRow(OnBadRow.DEAD_LETTER).build();
            long rejected = 0;
            for (ChangeBatch b : cut == 0 ? List.of(batch(history.toArray(ChangeEvent[]::new)))
                    : List.of(batch(history.subList(0, cut).toArray(ChangeEvent[]::new)),
                            batch(history.subList(cut, history.size()).toArray(ChangeEvent[]::new)))) {
                rejected += loader.load(b).rejected();
            }
            String as = cut == 0 ? "one batch" : "cut before event " + (cut + 1);
            assertThat(rows(ds, table)).as(as).containsExactly("2|a|b|21|2026-01-01 00:00:21+00");
            assertThat(rejected).as(as).isEqualTo(1);
        }
    }

    /** Loads the history as one batch and cut in two at every place; each table must hold {@code expected}. */
    private static void assertCutsAgree(DataSource ds, String name, List<ChangeEvent> history, String... expected) {
        for (int cut = 0; cut < history.size(); cut++) {
            String table = name + "_" + cut;
            MergeLoader loader = MergeLoader.into(ds, TableName.of("raw", table)).mode(SyncMode.CDC)
                    .deleteMode(DeleteMode.SOFT).loadTimestamp("loaded_at").build();
            loader.load(batch(STORED.toArray(ChangeEvent[]::new)));
            List<ChangeBatch> batches = new ArrayList<>();
            if (cut == 0) {
                batches.add(batch(history.toArray(ChangeEvent[]::new)));
            } else {
                batches.add(batch(history.subList(0, cut).toArray(ChangeEvent[]::new)));
                batches.add(batch(history.subList(cut, history.size()).toArray(ChangeEvent[]::new)));
            }
            for (ChangeBatch b : batches) {
                loader.load(b);
            }
            assertThat(rows(ds, table)).as(cut == 0 ? "one batch" : "cut before event " + (cut + 1)).containsExactly(expected);
            for (ChangeBatch b : batches) {
                assertThat(loader.load(b).changed()).as("a replay, cut " + cut).isZero();
            }
            assertThat(rows(ds, table)).as("after a replay, cut " + cut).containsExactly(expected);
        }
    }

    private static List<String> rows(DataSource ds, String table) {
        return TestSql.strings(ds, "select concat_ws('|', user_id, name, coalesce(bio, ''), _mds_commit, coalesce("
                + "to_char(_deleted_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS') || '+00', '')) from raw." + table
                + " order by user_id");
    }
}
