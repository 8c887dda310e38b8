package dev.mds.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.connector.postgres.JdbcIncrementalSource;
import dev.mds.connector.postgres.JdbcIncrementalSource.Restart;
import dev.mds.core.Identifiers;
import dev.mds.core.JdbcStateStore;
import dev.mds.core.SourcePosition;
import dev.mds.load.MergeLoader;
import dev.mds.load.SyncMode;
import dev.mds.testing.FaultSweep;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestSql;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Loading a table read incrementally by a cursor ({@link JdbcIncrementalSource}), exactly once: each batch's rows and
 * its position are committed in one warehouse transaction (the source's {@code run} loads the batch with the handler
 * and stores the position with {@code JdbcStateStore.compareAndSet} in one {@code Sql.transaction}), and a run resumes from the
 * stored position. Source and warehouse are one database here and both read through the swept data source, so every
 * statement is a kill point: the source's catalogue and page queries as much as the load and the position's store.
 * The cursor {@code changed_at} has ties of about three rows, which the batches of 10 split.
 */
@MdsPostgres
class ExactlyOnceJdbcIncrementalTest {
    private static final String KEY = "jdbc:shop.events";
    private static final String SOURCE_ROWS = "select id || ':' || v from shop.events";
    private static final String TARGET_ROWS = "select id || ':' || v from raw.events";

    /** 35 rows on 12 cursor values, the key's order unlike the cursor's. */
    private static void createSource(DataSource ds) {
        TestSql.sql(ds, "drop schema if exists raw cascade", "drop schema if exists pipeline cascade",
                "drop schema if exists shop cascade", "create schema shop",
                "create table shop.events (id int primary key, changed_at timestamptz not null, v text not null)",
                "insert into shop.events select g, timestamptz '2024-03-31 00:00:00+00' + ((g * 7) % 12) * interval '1 hour',"
                        + " 'v' || g from generate_series(1, 35) g");
    }

    private static JdbcIncrementalSource source(DataSource ds, Restart restart) {
        return JdbcIncrementalSource.builder(ds, "shop.events").cursor("changed_at").key("id").batchRows(10)
                .offsets(JdbcStateStore.builder(ds).schema("pipeline").build()).stateKey(KEY).restart(restart).build();
    }

    /** Runs the APPEND pipeline: from the stored position (strictly after the last row loaded), or from the start. */
    static void appendResuming(DataSource ds) {
        MergeLoader loader = MergeLoader.into(ds, "raw.events").mode(SyncMode.APPEND).build();
        source(ds, Restart.AFTER_LAST_ROW).run(ds, (batch, tx) -> loader.load(batch, tx));
    }

    /** Runs the MERGE pipeline: from the stored cursor (inclusive), or from the start. */
    static void mergeResuming(DataSource ds) {
        MergeLoader loader = MergeLoader.into(ds, "raw.events").mode(SyncMode.MERGE).key("id").build();
        source(ds, Restart.AT_LAST_CURSOR).run(ds, (batch, tx) -> loader.load(batch, tx));
    }

    private static boolean exists(DataSource ds, String relation) {
        return TestSql.strings(ds, "select to_regclass(" + Identifiers.literal(relation) + ")::text").get(0) != null;
    }

    private static Optional<SourcePosition> stored(DataSource ds) {
        return !exists(ds, "pipeline.state") ? Optional.empty()
                : TestSql.strings(ds, "select value::text from pipeline.state where key = " + Identifiers.literal(KEY))
                        .stream().findFirst().map(SourcePosition::fromJson);
    }

    private static List<String> sorted(DataSource ds, String query) {
        return TestSql.strings(ds, query).stream().sorted().toList();
    }

    @Test
    void appendWheneverTheSessionDiesHoldsTheRowsUpToTheStoredPositionOnceAndAResumeEndsWithEachRowOnce(DataSource ds)
            throws Exception {
        int points = FaultSweep.on(ds)
                .setUp(ExactlyOnceJdbcIncrementalTest::createSource)
                .operation(ExactlyOnceJdbcIncrementalTest::appendResuming)
                .idempotent(true)   // a run resumes strictly after the stored row: a re-run after any kill ends the same
                .check(o -> {
                    if (!o.failed()) {
                        assertThat(o.now()).isEqualTo(o.after());
                        return;
                    }
                    Optional<SourcePosition> at = stored(ds);
                    List<String> loaded = exists(ds, "raw.events") ? sorted(ds, TARGET_ROWS) : List.of();
                    // exactly the source rows up to the stored (cursor, key), each once: never a batch without its
                    // position or the reverse
                    List<String> expected = at.isEmpty() ? List.of() : sorted(ds, SOURCE_ROWS
                            + " where (changed_at, id) <= (" + Identifiers.literal(at.get().get("cursor").orElseThrow()
                            .toString()) + "::timestamptz, " + Identifiers.literal(at.get().get("key.0").orElseThrow()
                            .toString()) + "::int)");
                    assertThat(loaded).as("%s: rows loaded against the stored position %s", o.kill(), at)
                            .isEqualTo(expected);
                })
                .run();

        assertThat(points).isGreaterThan(10);
        assertThat(sorted(ds, TARGET_ROWS)).hasSize(35).isEqualTo(sorted(ds, SOURCE_ROWS));

        // new rows, two of them at the cursor of the last row loaded (one with a smaller key, committed late: not read,
        // as documented; one with a larger key: read), and a run after them: each row once
        TestSql.sql(ds, "insert into shop.events values (36, timestamptz '2024-03-31 11:00:00+00', 'v36'),"
                + " (37, timestamptz '2024-03-31 12:00:00+00', 'v37'), (0, timestamptz '2024-03-31 11:00:00+00', 'v0')");
        appendResuming(ds);
        assertThat(sorted(ds, TARGET_ROWS)).doesNotHaveDuplicates().hasSize(37)
                .isEqualTo(sorted(ds, SOURCE_ROWS + " where id <> 0"));
    }

    @Test
    void mergeOfRowsUpdatedBetweenTwoRunsEndsEqualToTheSourceWheneverTheSessionDies(DataSource ds) throws Exception {
        int points = FaultSweep.on(ds)
                .setUp(d -> {
                    createSource(d);
                    mergeResuming(d);   // the first run, unharmed
                    // between the runs: a third of the rows changed (their cursor moves on), some new, some at the
                    // stored cursor (11:00, re-read by the inclusive cursor)
                    TestSql.sql(d, "update shop.events set v = v || '-changed', changed_at = timestamptz"
                            + " '2024-03-31 12:00:00+00' + (id % 4) * interval '1 hour' where id % 3 = 0",
                            "update shop.events set v = v || '-late' where id in (5, 17)",
                            "insert into shop.events select g, timestamptz '2024-03-31 13:00:00+00', 'v' || g"
                                    + " from generate_series(36, 44) g");
                })
                .operation(ExactlyOnceJdbcIncrementalTest::mergeResuming)
                // a re-run reads the rows at the stored cursor again (inclusive) and stores the same position once more:
                // the state store's version counts that put
                .ignoreColumns("updated_at", "version")
                .check(o -> {
                    if (!o.failed()) {
                        assertThat(o.now()).isEqualTo(o.after());
                        return;
                    }
                    // every source row before the stored cursor holds its new value; none after it does (rows at it:
                    // either, by key order)
                    String cursor = stored(ds).flatMap(p -> p.get("cursor")).orElseThrow().toString();
                    String at = Identifiers.literal(cursor) + "::timestamptz";
                    List<String> target = sorted(ds, TARGET_ROWS);
                    assertThat(target).as("%s: rows before the stored cursor %s", o.kill(), cursor)
                            .containsAll(sorted(ds, SOURCE_ROWS + " where changed_at < " + at));
                    List<String> after = sorted(ds, SOURCE_ROWS + " where changed_at > " + at);
                    assertThat(target).as("%s: rows after the stored cursor %s", o.kill(), cursor)
                            .filteredOn(after::contains).isEmpty();
                    assertThat(target).hasSize(target.stream().map(r -> r.substring(0, r.indexOf(':'))).distinct()
                            .toList().size());
                })
                .run();

        assertThat(points).isGreaterThan(10);
        assertThat(sorted(ds, TARGET_ROWS)).hasSize(44).isEqualTo(sorted(ds, SOURCE_ROWS));
        assertThat(sorted(ds, TARGET_ROWS)).filteredOn(r -> r.endsWith("-changed")).hasSize(11);
    }
}
