package dev.mds.connector.sheets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.ProgressListener;
import dev.mds.core.RecordBatch;
import dev.mds.load.MergeLoader;
import dev.mds.load.OverwriteMode;
import dev.mds.load.PartialLoadException;
import dev.mds.load.SyncMode;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestSql;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full refresh of a sheet through {@link MergeLoader#loadAll} in OVERWRITE: a read failing in the middle (the sheet
 * deleted after the first batch was handed on, or a bad cell in a later request) leaves the table exactly as it was
 * before the run.
 */
@MdsPostgres
class SheetsFullRefreshTest {
    private static final String ID = "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms";

    @ParameterizedTest
    @EnumSource(OverwriteMode.class)
    void aFullRefreshWhoseReadFailsAfterTheFirstBatchLeavesTheTableAsItWas(OverwriteMode overwriteMode, DataSource ds,
            @TempDir Path dir) throws Exception {
        MutableClock clock = new MutableClock(Instant.now());
        try (FakeGoogle google = new FakeGoogle(clock)) {
            google.sheet(ID, "plans", 20, plans("v1", 7));
            SheetsSource source = SheetsSource.builder().spreadsheet(ID)
                    .credentials(SheetsCredentials.serviceAccount(google.writeKeyFile(dir)))
                    .endpoint(google.endpoint()).clock(clock).retries(2, Duration.ofMillis(1), Duration.ofMillis(5))
                    .batchRows(2).build();
            TestSql.sql(ds, "drop schema if exists raw cascade");
            MergeLoader loader = MergeLoader.into(ds, "raw.plans").mode(SyncMode.OVERWRITE)
                    .overwriteMode(overwriteMode).key("id").build();
            loader.loadAll(source.batches("plans"), 1, ProgressListener.NONE);
            List<String> before = table(ds);
            assertThat(before).hasSize(7).contains("1|v1 plan 1");

            // the sheet is edited (new values, fewer rows), then deleted once the first batch of the refresh is out
            google.remove(ID, "plans");
            google.sheet(ID, "plans", 20, plans("v2", 5));
            AtomicInteger handedOn = new AtomicInteger();
            Stream<RecordBatch> failing = source.batches("plans").peek(b -> {
                if (handedOn.incrementAndGet() == 1) {
                    google.remove(ID, "plans");
                }
            });

            assertThatThrownBy(() -> loader.loadAll(failing, 1, ProgressListener.NONE))
                    .isInstanceOf(PartialLoadException.class)
                    .satisfies(e -> assertThat(((PartialLoadException) e).committedBatches()).isZero())
                    .hasStackTraceContaining("The sheet plans is no longer in spreadsheet " + ID);
            assertThat(handedOn).hasValue(1);
            assertThat(table(ds)).isEqualTo(before);

            // a bad cell in the third request (a value right of the header): the same, after two batches
            List<List<String>> bad = plans("v3", 7);
            bad.set(6, List.of("6", "v3 plan 6", "oops"));
            google.sheet(ID, "plans", 20, bad);
            assertThatThrownBy(() -> loader.loadAll(source.batches("plans"), 1, ProgressListener.NONE))
                    .isInstanceOf(PartialLoadException.class)
                    .satisfies(e -> assertThat(((PartialLoadException) e).committedBatches()).isZero())
                    .hasStackTraceContaining("plans!C7, near \"oops\": a value beyond the header");
            assertThat(table(ds)).isEqualTo(before);
        }
    }

    private static List<List<String>> plans(String version, int count) {
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("id", "name"));
        for (int i = 1; i <= count; i++) {
            rows.add(List.of(String.valueOf(i), version + " plan " + i));
        }
        return rows;
    }

    private static List<String> table(DataSource ds) {
        return TestSql.strings(ds, "select id || '|' || name from raw.plans order by id::int");
    }
}
