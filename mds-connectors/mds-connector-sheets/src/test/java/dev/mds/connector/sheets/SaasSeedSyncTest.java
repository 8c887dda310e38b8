package dev.mds.connector.sheets;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole seed SaaS product (000-saas-product: users, subscriptions, pricing) as one spreadsheet, synced as Airbyte
 * syncs a connection: every sheet at once, each into its own table of a schema that does not exist yet, then read by
 * the project's staging model (subscriptions priced by package and validity). The parallel first sync used to fail
 * for all sheets but one ("duplicate key value violates unique constraint pg_namespace_nspname_index").
 */
@MdsPostgres
class SaasSeedSyncTest {
    private static final String ID = "1hLd9Qqti3UyLXZB2aFfUWDT7BG-arw2xy4HR3D-dwUb";
    private static final Map<String, String> FILES = Map.of("users", "users.csv", "subscriptions", "subscriptions.csv",
            "pricing", "pricing.reconstructed.csv");
    private static final Map<String, String> KEYS = Map.of("users", "user_id", "subscriptions", "id", "pricing", "package");

    static List<List<String>> rows(String file) throws Exception {
        List<List<String>> rows = new ArrayList<>();
        for (String line : Files.readAllLines(SeedData.file("000-saas-product/" + file), StandardCharsets.UTF_8)) {
            if (!line.isEmpty()) {
                assertThat(line).doesNotContain("\"");   // plain CSV: a split is a parse
                rows.add(Arrays.asList(line.split(",", -1)));
            }
        }
        return rows;
    }

    @Test
    void everySheetSyncedAtOnceIntoANewSchemaGivesThePaidRevenueOfTheSeedProject(DataSource ds, @TempDir Path dir)
            throws Exception {
        MutableClock clock = new MutableClock(Instant.now());
        try (FakeGoogle google = new FakeGoogle(clock)) {
            for (String sheet : List.of("users", "subscriptions", "pricing")) {
                google.sheet(ID, sheet, 1000, rows(FILES.get(sheet)));
            }
            SheetsSource source = SheetsSource.builder().spreadsheet(ID)
                    .credentials(SheetsCredentials.serviceAccount(google.writeKeyFile(dir)))
                    .endpoint(google.endpoint()).clock(clock).build();
            for (int run = 1; run <= 2; run++) {
                List<CompletableFuture<LoadResult>> syncs = new ArrayList<>();
                for (String sheet : source.sheets()) {
                    MergeLoader loader = MergeLoader.into(ds, "product." + sheet).key(KEYS.get(sheet)).build();
                    syncs.add(CompletableFuture.supplyAsync(() -> source.batches(sheet).map(loader::load)
                            .reduce(LoadResult::plus).orElseThrow()));
                }
                long inserted = 0;
                long unchanged = 0;
                for (CompletableFuture<LoadResult> sync : syncs) {
                    LoadResult r = sync.get(60, TimeUnit.SECONDS);
                    inserted += r.inserted();
                    unchanged += r.unchanged();
                }
                // 3 users, 15 subscriptions, 3 prices; the second full refresh finds them all unchanged
                assertThat(run == 1 ? inserted : unchanged).as("run " + run).isEqualTo(21);
                assertThat(run == 1 ? unchanged : inserted).as("run " + run).isZero();
            }
        }
        assertThatTable(ds, "product.pricing").columns("package", "valid_until", "monthly_seat_price")
                .containsExactlyInAnyOrder(row("starter", null, "7"), row("medium", null, "10"),
                        row("enterprise", null, "20"));
        // stg_subscription_pricing's join (every cell is text, as Airbyte lands a sheet): each subscription month
        // finds one price; paid months per user: John 2 starter + 3 medium, Jane 4 enterprise, Jonathan 1 medium +
        // 2 starter
        assertThat(TestSql.strings(ds, """
                select u.name || '=' || sum(p.monthly_seat_price::numeric) filter (where s.paid::boolean)
                       || '/' || count(*)
                  from product.subscriptions s
                  join product.users u on u.user_id = s.user_id
                  join product.pricing p on p.package = s.subscription
                   and s.start_date::date >= p.valid_from::date
                   and (p.valid_until is null or s.start_date::date <= p.valid_until::date)
                 group by u.name order by u.name"""))
                .containsExactly("Jane Doe=80/5", "John Doe=44/5", "Jonathan Foo=24/5");
    }
}
