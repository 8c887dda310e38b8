package dev.mds.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.mds.connector.faker.FakerSource;
import dev.mds.connector.faker.FakerStream;
import dev.mds.core.RecordBatch;
import dev.mds.examples.cdc.CdcExample;
import dev.mds.examples.csv.CsvChunksExample;
import dev.mds.examples.faker.FakerExample;
import dev.mds.examples.incremental.IncrementalExample;
import dev.mds.examples.load.LoadTwiceExample;
import dev.mds.examples.quality.ForexQualityExample;
import dev.mds.examples.transform.StreamingExample;
import dev.mds.examples.vault.FakerVault;
import dev.mds.quality.QualityException;
import dev.mds.testing.SeedData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs every example program as a user would (each starts its own embedded PostgreSQL) and checks what it
 * prints. The main example runs in {@code .ci/run} through the README's command.
 */
class ExamplesTest {
    interface Program {
        void run() throws Exception;
    }

    /** Runs a program with standard output captured (and still shown). */
    static String output(Program program) throws Exception {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        run(program, captured);
        return captured.toString(StandardCharsets.UTF_8);
    }

    /** What a program printed and how it failed: a main that throws exits non-zero. */
    record Failure(String output, Throwable thrown) {
    }

    /** Runs a program that must fail, with standard output captured (and still shown). */
    static Failure failure(Program program) {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        Throwable thrown = catchThrowable(() -> run(program, captured));
        assertThat(thrown).as("the program's failure").isNotNull();
        return new Failure(captured.toString(StandardCharsets.UTF_8), thrown);
    }

    private static void run(Program program, ByteArrayOutputStream captured) throws Exception {
        PrintStream original = System.out;
        try (PrintStream tee = new PrintStream(new TeeStream(original, captured), true, StandardCharsets.UTF_8)) {
            System.setOut(tee);
            program.run();
        } finally {
            System.setOut(original);
        }
    }

    /** Runs a program with the seed data read from {@code dir} (as {@code MDS_SEED_DATA} would name it). */
    static void withSeedData(Path dir, Program program) throws Exception {
        String before = System.getProperty(SeedData.PROPERTY);
        System.setProperty(SeedData.PROPERTY, dir.toString());
        try {
            program.run();
        } finally {
            if (before == null) {
                System.clearProperty(SeedData.PROPERTY);
            } else {
                System.setProperty(SeedData.PROPERTY, before);
            }
        }
    }

    /** Copies a seed file into {@code dir} (under the same folder), with {@code from} replaced by {@code to} once. */
    static void seedFile(Path dir, String file, String from, String to) throws Exception {
        String text = Files.readString(SeedData.file(file), StandardCharsets.UTF_8);
        assertThat(text).contains(from);
        Path copy = dir.resolve(file);
        Files.createDirectories(copy.getParent());
        Files.writeString(copy, text.replaceFirst(java.util.regex.Pattern.quote(from), to), StandardCharsets.UTF_8);
    }

    @Test
    void loadTwiceChangesOnlyWhatChanged() throws Exception {
        String out = output(() -> LoadTwiceExample.main(new String[0]));
        // the file's 12 day-first dates are read day first (as the source project's silver model reads them): all
        // 100 transactions are of 10 to 20 July 2023, and 11-07-2023 is not 7 November
        assertThat(out).contains("first load:  data_lake.transactions MERGE: 70 inserted, 0 updated, 0 deleted, 0 unchanged, 30 rejected")
                .contains("second load: data_lake.transactions MERGE: 0 inserted, 1 updated, 0 deleted, 69 unchanged")
                .contains("1001           | Brooklyn")
                .contains("70   | 2023-07-10 | 2023-07-20");
    }

    @Test
    void loadTwiceListsNoRowAsChangedWhenTheSecondLoadChangesNothing(@TempDir Path seed) throws Exception {
        // transaction 1001 already lives in Brooklyn, the city the second load gives it
        seedFile(seed, "002-forex-transactions/customer_transactions.csv", ",USA,New York\n", ",USA,Brooklyn\n");
        String out = output(() -> withSeedData(seed, () -> LoadTwiceExample.main(new String[0])));
        assertThat(out).contains("second load: data_lake.transactions MERGE: 0 inserted, 0 updated, 0 deleted, 70 unchanged")
                .contains("rows changed by the second load (0 rows)");
    }

    @Test
    void csvChunksCarryPositionsAndResume() throws Exception {
        String out = output(() -> CsvChunksExample.main(new String[0]));
        assertThat(out).contains("batch 4: 25 rows").contains("\"offset\":12465,\"record\":100")
                .contains("89 rows read, 11 rows dead-lettered").contains("50 more rows");
    }

    @Test
    void csvChunksReadsAFileWhosePricesAreAllNumbers(@TempDir Path seed) throws Exception {
        // the forex file without its rows whose price is written in words ("Two Hundred"): nothing to dead-letter
        String file = "002-forex-transactions/customer_transactions.csv";
        List<String> lines = Files.readAllLines(SeedData.file(file), StandardCharsets.UTF_8);
        List<String> numeric = lines.stream().filter(l -> l == lines.get(0) || l.split(",")[6].matches("[0-9.]+")).toList();
        assertThat(numeric).hasSize(90);
        Files.createDirectories(seed.resolve(file).getParent());
        Files.write(seed.resolve(file), numeric, StandardCharsets.UTF_8);
        String out = output(() -> withSeedData(seed, () -> CsvChunksExample.main(new String[0])));
        assertThat(out).contains("89 rows read, 0 rows dead-lettered\n").contains("39 more rows");
    }

    @Test
    void forexQualityExitsNonZeroWhenItsChecksFail() {
        // the seed data fails four of the example's own checks (dates day first, prices in words, quantities and customer
        // ids missing): after its reports the run fails naming them, as a pipeline's quality gate stops
        Failure run = failure(() -> ForexQualityExample.main(new String[0]));
        assertThat(run.thrown()).isInstanceOf(QualityException.class).hasMessageContaining("4 of 17 quality checks did not pass")
                .hasMessageContaining("iso_transaction_date").hasMessageContaining("numeric_price")
                .hasMessageContaining("not_null_quantity").hasMessageContaining("not_null_customer_id");
        assertThat(run.output()).contains("HTML report: ").contains("2023 | 7     | 3       | 46411.29");
    }

    @Test
    void forexQualityFindsTheMissingQuantities() throws Exception {
        String out = failure(() -> ForexQualityExample.main(new String[0])).output();
        assertThat(out).contains("rows without a quantity: 16 (the project's derived/missing_quantity.csv lists 16)")
                .contains("its failing rows, stored in audit.transactions__not_null_quantity").contains("16   | 5");
        // silver reads what the project's silver model reads (derived/silver_transaction.csv: no date, price or tax
        // missing), and its monthly revenue is the project's derived/agg_sales_monthly.csv
        assertThat(out).containsPattern("silver.transactions \\| not_null_transaction_date +\\| PASS +\\| +0 ")
                .containsPattern("silver.transactions \\| not_null_price +\\| PASS +\\| +0 ")
                .containsPattern("silver.transactions \\| not_null_tax +\\| PASS +\\| +0 ")
                .contains("2023 | 7     | 3       | 46411.29");
    }

    @Test
    void forexQualityPrintsWhatTheProjectsOwnOutputsHold(@TempDir Path seed) throws Exception {
        // the project's outputs as another run of it might have left them: one missing quantity fewer, another revenue
        Files.createDirectories(seed.resolve("002-forex-transactions/derived"));
        Files.copy(SeedData.file("002-forex-transactions/customer_transactions.csv"),
                seed.resolve("002-forex-transactions/customer_transactions.csv"));
        seedFile(seed, "002-forex-transactions/derived/missing_quantity.csv", "1006,506,2023-07-20,101,Product A,,77.61,24.56,"
                + "David,White,david.white@example.com,+1-234-567-8906,France,Paris\n", "");
        seedFile(seed, "002-forex-transactions/derived/agg_sales_monthly.csv", "46411.29", "46000.00");
        String out = failure(() -> withSeedData(seed, () -> ForexQualityExample.main(new String[0]))).output();
        assertThat(out).contains("rows without a quantity: 16 (the project's derived/missing_quantity.csv lists 15)")
                .contains("its derived/agg_sales_monthly.csv: 2023,7,3,46000.00)")
                .contains("2023 | 7     | 3       | 46411.29");
    }

    @Test
    void cdcCapturesInsertsAnUpdateAndADelete() throws Exception {
        String out = output(() -> CdcExample.main(new String[0]));
        assertThat(out).contains("CDC setup: NOT ready").contains("fix: CREATE ROLE \"mds_cdc\"")
                .contains("2       | Jane Roe").contains("4       | Ada Lovelace")
                .contains("== warehouse after deleting subscription 16");
        assertThat(out.substring(out.indexOf("== warehouse after deleting subscription 16"))).contains("raw.subscriptions (15 rows)")
                .doesNotContain("16 | 2023-05-01");
    }

    @Test
    void fakerVaultLoadsOnceAndReloadsNothing() throws Exception {
        String out = output(() -> FakerVault.main(new String[0]));
        String first = out.substring(out.indexOf("load 1"), out.indexOf("load 2"));
        String second = out.substring(out.indexOf("load 2"));
        assertThat(first).contains("dds.hub_users           10 rows inserted").contains("dds.hub_products       100 rows inserted")
                .contains("dds.link_purchases      14 rows inserted");
        assertThat(second).contains("dds.hub_users            0 rows inserted").contains("dds.sat_users            0 rows inserted")
                .contains("dds.sat_products         0 rows inserted");
        assertThat(out).contains("the same bytes as the SQL in dds.hub_users");
    }

    @Test
    void fakerVaultFailsRatherThanClaimAKeyTheHubDoesNotHold(@TempDir Path seed) throws Exception {
        // the user whose key the example computes in Java is not in the seed: the hub cannot hold that key
        Files.createDirectories(seed.resolve("001-faker-vault"));
        for (String f : List.of("001-faker-vault/faker_products.csv", "001-faker-vault/faker_purchases.csv")) {
            Files.copy(SeedData.file(f), seed.resolve(f));
        }
        seedFile(seed, "001-faker-vault/faker_users.csv", "locations1983@protonmail.com", "elsewhere1983@protonmail.com");
        assertThatThrownBy(() -> withSeedData(seed, () -> FakerVault.main(new String[0])))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("dds.hub_users holds no user_hk \\x8294fedc99261ec9484a084adac36781 for"
                        + " locations1983@protonmail.com");
    }

    @Test
    void streamingModelsAddADayIncrementallyAndKeepAUsersHistory() throws Exception {
        String out = output(() -> StreamingExample.main(new String[0]));
        assertThat(out).contains("streams.csv: raw.streams MERGE: 9652 inserted")
                .contains("15 checks, 15 passed")
                // the streams' days are the app's (+01:00): 1 to 30 December 2021, no 30 November
                .contains("marts.daily_streams incremental SUCCESS 30 rows")
                .contains("2021-12-30 | 303     | 251     | 356.0")
                .contains("Cinema Paradiso              | 132     | 121")
                .contains("__dbt__cte__stg_streams").doesNotContain("staging.stg_streams view")
                .contains("books.json: [name string, pages long, author string, publisher string] -> vendor.books"
                        + " OVERWRITE: 103 inserted")
                .contains("reviews.json: [content__text string, rating__rate long, rating__label string, books json,"
                        + " movies json, updated timestamptz, created timestamptz] -> vendor.reviews OVERWRITE: 501 inserted")
                .contains("authors.json: [metadata__name string, metadata__birth_date timestamptz, metadata__died_at"
                        + " timestamptz, nationalities json] -> vendor.authors OVERWRITE: 201 inserted")
                // the app's questions as its README answers them: 4 users hit by the outage, 712 who watched half a
                // movie, 3 streamed movies of books by Singaporean authors (StreamingQuestionsTest computes them)
                .containsPattern("\\| 4 +\\| 712 +\\| 85 of 91 \\(93.41%\\) +\\| 3\\n")
                .contains("marts.book_ratings table SUCCESS 102 rows")
                .contains("Blithe Spirit          | Zaida Schuppe DO       | 13      | 2.54");
        String second = out.substring(out.indexOf("== 4."));
        assertThat(second).contains("snapshots.users snapshot SUCCESS 1 rows")
                .contains("marts.daily_streams incremental SUCCESS 2 rows")
                .contains("2021-12-31 | 303     | 251     | 356.0")
                .contains("2021-12-30 | 303     | 251     | 356.0")
                .contains("Eddy       | Kirlin      | false").contains("Eddy       | Kirlin-Conn | true");
    }

    @Test
    void fakerGenerationsMergeOnlyWhatChangedAndAReadResumes() throws Exception {
        String out = output(() -> FakerExample.main(new String[0]));
        // the expected counts from the source itself, not from the program's output: the purchases of seed 0, and the
        // users whose record generation 2 changes
        FakerSource one = FakerSource.builder().seed(0).users(1_000).products(100).build();
        FakerSource two = FakerSource.builder().seed(0).users(1_000).products(100).generation(2).build();
        long purchases = one.batches(FakerStream.PURCHASES).mapToLong(RecordBatch::size).sum();
        List<dev.mds.core.Record> before = one.batches(FakerStream.USERS).flatMap(b -> b.records().stream()).toList();
        List<dev.mds.core.Record> after = two.batches(FakerStream.USERS).flatMap(b -> b.records().stream()).toList();
        long changed = IntStream.range(0, 1_000).filter(i -> !before.get(i).equals(after.get(i))).count();
        assertThat(changed).isBetween(200L, 300L);   // about a quarter
        String first = out.substring(out.indexOf("== generation 1"), out.indexOf("== generation 2"));
        assertThat(first).contains("raw.users MERGE: 1000 inserted").contains("raw.products MERGE: 100 inserted")
                .contains("raw.purchases MERGE: " + purchases + " inserted");
        assertThat(out.substring(out.indexOf("== generation 2")))
                .contains("raw.users MERGE: 0 inserted, " + changed + " updated, 0 deleted, " + (1_000 - changed) + " unchanged")
                .contains("raw.purchases MERGE: 0 inserted, 0 updated, 0 deleted, " + purchases + " unchanged")
                .contains("first batch: raw.purchases_restarted MERGE: 500 inserted")
                .contains("resumed: raw.purchases_restarted MERGE: " + (purchases - 500) + " inserted")
                .containsPattern(purchases + " +\\| " + purchases + " +\\| 0\\n");
    }

    @Test
    void incrementalReadsOnlyFromTheStoredCursorOn() throws Exception {
        String out = output(() -> IncrementalExample.main(new String[0]));
        assertThat(out).contains("read 15 rows in 3 batches: raw.subscriptions MERGE: 15 inserted")
                .contains("stored cursor: 2023-05-31 12:00:00+00")
                .contains("read 5 rows in 1 batches: raw.subscriptions MERGE: 1 inserted, 2 updated, 0 deleted, 2 unchanged")
                .contains("stored cursor: 2023-07-01 09:05:00+00")
                .contains("16 | 3       | medium       | false | 2023-07-01T09:05Z");
    }

    @Test
    void incrementalAddsASubscriptionWhateverIdsTheSeedHolds(@TempDir Path seed) throws Exception {
        // the product has gone on to June: subscriptions 16 and 17 are in the seed
        seedFile(seed, "000-saas-product/subscriptions.csv", "15,2023-05-01,2023-05-31,3,starter,false\n",
                "15,2023-05-01,2023-05-31,3,starter,false\n16,2023-06-01,2023-06-30,1,medium,true\n"
                        + "17,2023-06-01,2023-06-30,2,enterprise,true\n");
        String out = output(() -> withSeedData(seed, () -> IncrementalExample.main(new String[0])));
        assertThat(out).contains("read 17 rows in 4 batches: raw.subscriptions MERGE: 17 inserted")
                .contains("raw.subscriptions MERGE: 1 inserted, 2 updated")
                .contains("18 | 3       | medium       | false | 2023-07-01T09:05Z");
    }

    /** Writes to two streams. */
    static final class TeeStream extends java.io.OutputStream {
        private final java.io.OutputStream a;
        private final java.io.OutputStream b;

        TeeStream(java.io.OutputStream a, java.io.OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int x) throws java.io.IOException {
            a.write(x);
            b.write(x);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws java.io.IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }

        @Override
        public void flush() throws java.io.IOException {
            a.flush();
            b.flush();
        }
    }
}
