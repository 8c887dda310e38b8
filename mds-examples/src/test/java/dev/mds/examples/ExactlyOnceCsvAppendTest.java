package dev.mds.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.connector.csv.CsvSource;
import dev.mds.core.FieldType;
import dev.mds.core.JdbcStateStore;
import dev.mds.core.SourcePosition;
import dev.mds.core.Sql;
import dev.mds.core.StateStore;
import dev.mds.load.MergeLoader;
import dev.mds.load.SyncMode;
import dev.mds.testing.FaultSweep;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.SeedData;
import dev.mds.testing.TestSql;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Appending a CSV file read in chunks, exactly once: each chunk's rows and its position are committed in one
 * transaction (the pattern of the README's mds-core example), and a run resumes from the stored position. An APPEND
 * load is not idempotent, and a lost reply to its COMMIT leaves it unknown whether the chunk committed; the position
 * committed with it answers that. Whatever statement the session dies at, the table holds exactly the file's rows
 * before the stored position, each once, and the resumed run ends with every row of the file once.
 */
@MdsPostgres
class ExactlyOnceCsvAppendTest {
    private static final Path FILE = SeedData.file("002-forex-transactions/customer_transactions.csv");
    private static final String KEY = "csv:forex_transactions";

    /** Runs the pipeline: from the stored position, or from the start when none is stored. */
    static void appendResuming(DataSource ds) {
        appendResuming(ds, KEY, loader -> loader, CsvSource.builder().path(FILE).chunkRows(40).type("price", FieldType.STRING));
    }

    /**
     * Appends the CSV file {@code csv} reads into raw.transactions ({@code loader} adds to the APPEND loader's
     * settings), each chunk in one transaction with its position stored under {@code key}; resumes from that position.
     */
    static void appendResuming(DataSource ds, String key, UnaryOperator<MergeLoader.Builder> loaderSettings,
            CsvSource.Builder csv) {
        StateStore state = JdbcStateStore.builder(ds).schema("pipeline").build();
        MergeLoader loader = loaderSettings.apply(MergeLoader.into(ds, "raw.transactions").mode(SyncMode.APPEND)).build();
        state.get(key).ifPresent(s -> csv.resumeFrom(SourcePosition.fromJson(s.json())));
        try (CsvSource source = csv.build()) {
            source.batches().forEach(batch -> {
                try (Connection c = ds.getConnection()) {
                    Sql.transaction(c, tx -> {
                        loader.load(batch, tx);
                        return state.put(tx, key, batch.position().orElseThrow().toJson());
                    });
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
        }
    }

    /** The transaction ids in the table, sorted. */
    static List<String> loadedIds(DataSource ds) {
        return TestSql.strings(ds, "select transaction_id::text from raw.transactions").stream().sorted().toList();
    }

    @Test
    void wheneverTheSessionDiesTheTableHoldsTheRowsBeforeTheStoredPositionOnceAndAResumeEndsWithEachRowOnce(DataSource ds)
            throws Exception {
        // in file order (a few ids are written T1010)
        List<String> fileIds = Files.readAllLines(FILE).stream().skip(1).map(l -> l.substring(0, l.indexOf(','))).toList();
        assertThat(fileIds).hasSize(100).doesNotHaveDuplicates();

        int points = FaultSweep.on(ds)
                .setUp(d -> TestSql.sql(d, "drop schema if exists raw cascade", "drop schema if exists pipeline cascade"))
                .operation(ExactlyOnceCsvAppendTest::appendResuming)
                .ignoreColumns("updated_at")
                .idempotent(true)   // a run resumes from the stored position: a re-run after any kill ends the same
                .check(o -> {
                    if (!o.failed()) {
                        assertThat(o.now()).isEqualTo(o.after());
                        return;
                    }
                    // the rows before the stored position, each once: never a chunk without its position or the reverse
                    Optional<String> stored = TestSql.strings(ds, "select to_regclass('pipeline.state')::text")
                            .get(0) == null ? Optional.empty()
                            : TestSql.strings(ds, "select value::text from pipeline.state where key = '" + KEY + "'")
                                    .stream().findFirst();
                    long rows = TestSql.strings(ds, "select to_regclass('raw.transactions')::text").get(0) == null ? 0
                            : loadedIds(ds).size();
                    long before = stored.flatMap(json -> SourcePosition.fromJson(json).getLong("record")).orElse(0L);
                    assertThat(rows).as("%s: rows in the table against the stored position %s", o.kill(), stored)
                            .isEqualTo(before);
                    if (rows > 0) {
                        assertThat(loadedIds(ds)).isEqualTo(fileIds.subList(0, (int) rows).stream().sorted().toList());
                    }
                })
                .run();

        assertThat(points).isGreaterThan(10);
        assertThat(loadedIds(ds)).isEqualTo(fileIds.stream().sorted().toList());
    }
}
