package dev.mds.connector.json;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.core.JdbcStateStore;
import dev.mds.core.SourcePosition;
import dev.mds.core.Sql;
import dev.mds.core.StateStore;
import dev.mds.load.MergeLoader;
import dev.mds.load.OnBadRow;
import dev.mds.load.SyncMode;
import dev.mds.testing.FaultSweep;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestSql;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad JSON Lines records as dead letters end to end: {@link JsonSource} under {@link OnBadRecord#DEAD_LETTER} attaches
 * them to their batches, and mds-load's MergeLoader under {@link OnBadRow#DEAD_LETTER} stores them in
 * {@code raw.reviews_rejected} in the transaction that loads the batch's good records and stores its position.
 * Whatever statement the session dies at, the records before the stored position are stored once each (good ones in
 * the table, bad ones in the dead-letter table), and the resumed run ends with every record once.
 */
@MdsPostgres
class JsonDeadLetterLoadTest {
    private static final String KEY = "json:reviews";
    private static final List<String> GOOD_IDS = List.of("1", "7", "9");
    private static final List<String> BAD_RECORDS = List.of("2", "3", "4", "5", "6", "8");

    @TempDir
    static Path dir;

    static Path file() {
        Path p = dir.resolve("reviews.jsonl");
        if (!Files.exists(p)) {
            try {
                Files.writeString(p, JsonSourceBadRecordTest.TEXT);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return p;
    }

    /** Appends the file into raw.reviews, each batch in one transaction with its position; resumes from that. */
    static void appendResuming(DataSource ds) {
        StateStore state = JdbcStateStore.builder(ds).schema("pipeline").build();
        MergeLoader loader = MergeLoader.into(ds, "raw.reviews").mode(SyncMode.APPEND).onBadRow(OnBadRow.DEAD_LETTER).build();
        JsonSource.Builder json = JsonSource.builder().path(file()).schema(JsonSourceBadRecordTest.SCHEMA).chunkRows(2)
                .onBadRecord(OnBadRecord.DEAD_LETTER);
        state.get(KEY).ifPresent(s -> json.resumeFrom(SourcePosition.fromJson(s.json())));
        try (JsonSource source = json.build()) {
            source.batches().forEach(batch -> {
                try (Connection c = ds.getConnection()) {
                    Sql.transaction(c, tx -> {
                        loader.load(batch, tx);
                        return state.put(tx, KEY, batch.position().orElseThrow().toJson());
                    });
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
        }
    }

    private static boolean exists(DataSource ds, String table) {
        return TestSql.strings(ds, "select to_regclass('" + table + "')::text").get(0) != null;
    }

    private static List<String> loaded(DataSource ds) {
        return !exists(ds, "raw.reviews") ? List.of()
                : TestSql.strings(ds, "select id::text from raw.reviews order by id");
    }

    private static List<String> rejected(DataSource ds) {
        return !exists(ds, "raw.reviews_rejected") ? List.of()
                : TestSql.strings(ds, "select record_number::text from raw.reviews_rejected order by record_number");
    }

    @Test
    void wheneverTheSessionDiesGoodAndBadRecordsBeforeThePositionAreStoredOnceAndAResumeStoresEachRecordOnce(DataSource ds)
            throws Exception {
        int points = FaultSweep.on(ds)
                .setUp(d -> TestSql.sql(d, "drop schema if exists raw cascade", "drop schema if exists pipeline cascade"))
                .operation(JsonDeadLetterLoadTest::appendResuming)
                // a run resumed after the last batch loads one empty batch at the same position: the state's
                // version moves, nothing else
                .ignoreColumns("updated_at", "rejected_at", "_mds_rejected_at", "version")
                .idempotent(true)
                .check(o -> {
                    if (!o.failed()) {
                        return;
                    }
                    Optional<String> stored = !exists(ds, "pipeline.state") ? Optional.empty()
                            : TestSql.strings(ds, "select value::text from pipeline.state where key = '" + KEY + "'")
                                    .stream().findFirst();
                    long before = stored.flatMap(json -> SourcePosition.fromJson(json).getLong("record")).orElse(0L);
                    assertThat(loaded(ds)).as("%s: rows against the stored position %s", o.kill(), stored)
                            .isEqualTo(GOOD_IDS.stream().filter(id -> Long.parseLong(id) <= before).toList());
                    assertThat(rejected(ds)).as("%s: dead letters against the stored position %s", o.kill(), stored)
                            .isEqualTo(BAD_RECORDS.stream().filter(r -> Long.parseLong(r) <= before).toList());
                })
                .run();

        assertThat(points).isGreaterThan(10);
        assertThat(loaded(ds)).isEqualTo(GOOD_IDS);
        assertThat(rejected(ds)).isEqualTo(BAD_RECORDS);
        assertThat(TestSql.strings(ds, "select reason || ' | ' || (record::jsonb #>> '{}') from raw.reviews_rejected"
                + " where record_number in (2, 8) order by record_number")).satisfiesExactly(
                        r -> assertThat(r).contains("reviews.jsonl line 2 record 2, column 'n'")
                                .contains("the string \"ten\" is not a number").endsWith(" | {\"id\": 2, \"n\": \"ten\"}"),
                        r -> assertThat(r).contains("reviews.jsonl line 8 record 8: not valid JSON")
                                .endsWith(" | {\"id\": 8,"));
    }
}
