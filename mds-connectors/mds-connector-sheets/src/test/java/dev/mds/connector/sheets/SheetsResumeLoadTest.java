package dev.mds.connector.sheets;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.core.JdbcStateStore;
import dev.mds.core.SourcePosition;
import dev.mds.core.Sql;
import dev.mds.core.StateStore;
import dev.mds.load.MergeLoader;
import dev.mds.testing.FaultSweep;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestSql;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sheet loaded with the MergeLoader, each batch in one transaction with its position in a {@link JdbcStateStore},
 * killed at every statement and resumed from the stored position: the rows before the position are in the table once
 * each, and the resumed run ends with the table the uninterrupted run gives.
 */
@MdsPostgres
class SheetsResumeLoadTest {
    private static final String ID = "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms";
    private static final String KEY = "sheets:plans";
    /** Sheet rows 2..11: ids by row, null for a blank row. */
    private static final List<String> IDS = Arrays.asList("1", "2", null, "3", "4", "5", null, null, "6", "7");

    @Test
    void aLoadKilledAtAnyStatementAndResumedFromItsStoredPositionGivesTheUninterruptedTable(DataSource ds,
            @TempDir Path dir) throws Exception {
        MutableClock clock = new MutableClock(Instant.now());
        try (FakeGoogle google = new FakeGoogle(clock)) {
            List<List<String>> rows = new java.util.ArrayList<>();
            rows.add(List.of("id", "Plan Name", "price"));
            for (String id : IDS) {
                rows.add(id == null ? List.of() : List.of(id, "plan " + id, id + ".99"));
            }
            google.sheet(ID, "plans", 14, rows);
            SheetsSource source = SheetsSource.builder().spreadsheet(ID)
                    .credentials(SheetsCredentials.serviceAccount(google.writeKeyFile(dir)))
                    .endpoint(google.endpoint()).clock(clock).retries(3, Duration.ofMillis(1), Duration.ofMillis(5))
                    .columnNames(ColumnNames.SQL_SAFE).batchRows(2).build();

            int points = FaultSweep.on(ds)
                    .setUp(d -> TestSql.sql(d, "drop schema if exists raw cascade",
                            "drop schema if exists pipeline cascade"))
                    .operation(d -> loadResuming(d, source))
                    .ignoreColumns("updated_at", "version", "_mds_loaded_at")
                    .check(o -> {
                        if (!o.failed()) {
                            return;
                        }
                        Optional<String> stored = !exists(ds, "pipeline.state") ? Optional.empty()
                                : TestSql.strings(ds, "select value::text from pipeline.state where key = '" + KEY
                                        + "'").stream().findFirst();
                        long next = stored.flatMap(json -> SourcePosition.fromJson(json).getLong("next_row"))
                                .orElse(2L);
                        List<String> want = IDS.subList(0, (int) next - 2).stream().filter(id -> id != null)
                                .toList();
                        assertThat(loaded(ds)).as("%s: rows against the stored position %s", o.kill(), stored)
                                .isEqualTo(want);
                    })
                    .run();

            assertThat(points).isGreaterThan(10);
            assertThat(TestSql.strings(ds, "select id || '|' || plan_name || '|' || price from raw.plans order by id"))
                    .containsExactly("1|plan 1|1.99", "2|plan 2|2.99", "3|plan 3|3.99", "4|plan 4|4.99",
                            "5|plan 5|5.99", "6|plan 6|6.99", "7|plan 7|7.99");
        }
    }

    /** Loads the sheet into raw.plans, each batch in one transaction with its position; resumes from that. */
    private static void loadResuming(DataSource ds, SheetsSource source) {
        StateStore state = JdbcStateStore.builder(ds).schema("pipeline").build();
        MergeLoader loader = MergeLoader.into(ds, "raw.plans").key("id").build();
        Optional<SourcePosition> at = state.get(KEY).map(s -> SourcePosition.fromJson(s.json()));
        (at.isPresent() ? source.batches("plans", at.get()) : source.batches("plans")).forEach(batch -> {
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

    private static boolean exists(DataSource ds, String table) {
        return TestSql.strings(ds, "select to_regclass('" + table + "')::text").get(0) != null;
    }

    private static List<String> loaded(DataSource ds) {
        return !exists(ds, "raw.plans") ? List.of() : TestSql.strings(ds, "select id from raw.plans order by id");
    }
}
