package dev.mds.connector.sheets;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.core.RecordBatch;
import dev.mds.load.LoadResult;
import dev.mds.load.MergeLoader;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.SeedData;
import dev.mds.testing.TestSql;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seed project's pricing sheet, served by the fake Google API, read with a service account (JWT verified by the
 * server) and loaded into PostgreSQL with the MergeLoader, as Airbyte lands it: every column text.
 */
@MdsPostgres
class SheetsLoadTest {
    private static final String ID = "1hLd9Qqti3UyLXZB2aFfUWDT7BG-arw2xy4HR3D-dwUb";

    static List<List<String>> pricingRows() throws Exception {
        Path csv = SeedData.file("000-saas-product/pricing.reconstructed.csv");
        List<List<String>> rows = new ArrayList<>();
        for (String line : Files.readAllLines(csv, StandardCharsets.UTF_8)) {
            if (!line.isEmpty()) {
                assertThat(line).doesNotContain("\"");   // plain CSV: a split is a parse
                rows.add(Arrays.asList(line.split(",", -1)));
            }
        }
        return rows;
    }

    @Test
    void pricingSheetLoadsIntoRawPricingAsTextWithEmptyCellsNull(DataSource ds, @TempDir Path dir) throws Exception {
        MutableClock clock = new MutableClock(Instant.now());
        try (FakeGoogle google = new FakeGoogle(clock)) {
            google.sheet(ID, "pricing", 1000, pricingRows());
            google.sheet(ID, "subscriptions", 1000, List.of(List.of("id")));
            SheetsSource source = SheetsSource.builder()
                    .spreadsheet("https://docs.google.com/spreadsheets/d/" + ID + "/edit#gid=0")
                    .credentials(SheetsCredentials.serviceAccount(google.writeKeyFile(dir)))
                    .endpoint(google.endpoint())
                    .clock(clock)
                    .build();

            assertThat(source.sheets()).containsExactly("pricing", "subscriptions");
            assertThat(source.schema("pricing").names())
                    .containsExactly("package", "valid_from", "valid_until", "currency", "monthly_seat_price");
            google.clearRequests();

            MergeLoader loader = MergeLoader.into(ds, "raw.pricing").key("package").build();
            List<RecordBatch> batches = source.batches("pricing").toList();
            LoadResult result = batches.stream().map(loader::load).reduce(LoadResult::plus).orElseThrow();

            assertThat(result.inserted()).isEqualTo(3);
            assertThatTable(ds, "raw.pricing")
                    .columns("package", "valid_from", "valid_until", "currency", "monthly_seat_price")
                    .containsExactlyInAnyOrder(
                            row("starter", "2022-01-01", null, "eur", "7"),
                            row("medium", "2022-01-01", null, "eur", "10"),
                            row("enterprise", "2022-01-01", null, "eur", "20"));
            assertThat(TestSql.strings(ds, """
                    select string_agg(data_type, ',' order by ordinal_position) from information_schema.columns
                     where table_schema = 'raw' and table_name = 'pricing'"""))
                    .containsExactly("text,text,text,text,text");
            // one token for the whole run (kept), the grid size, then header and rows in one values request
            assertThat(google.tokensIssued()).isEqualTo(1);
            assertThat(google.ranges()).containsExactly("'pricing'!1:1000");
            assertThat(google.count("/v4/spreadsheets/" + ID)).isEqualTo(2);
            assertThat(batches).hasSize(1);
            assertThat(batches.get(0).position().orElseThrow().values()).containsEntry("next_row", 1001L);

            // a second full refresh changes nothing
            LoadResult again = source.batches("pricing").map(loader::load).reduce(LoadResult::plus).orElseThrow();
            assertThat(again.unchanged()).isEqualTo(3);
            assertThat(again.changed()).isZero();
        }
    }
}
