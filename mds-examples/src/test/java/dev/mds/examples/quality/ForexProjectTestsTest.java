package dev.mds.examples.quality;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.quality.CheckResult;
import dev.mds.quality.QualityReport;
import dev.mds.quality.Status;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.SeedData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * The forex project's own dbt tests (bronze.yml, silver.yml) as ForexQualityExample runs them, against the outcome
 * computed here from the seed files: the missing values of the source, and of the project's own silver output
 * ({@code derived/silver_transaction.csv}) for the columns its silver model cleans.
 */
@MdsPostgres
class ForexProjectTestsTest {
    @Test
    void theProjectsTestsGiveWhatTheSeedDataGives(DataSource ds) throws Exception {
        ForexQualityExample.land(ds);
        QualityReport report = ForexQualityExample.projectTests(ds);

        List<Map<String, String>> source = csv("customer_transactions.csv");
        List<Map<String, String>> silver = csv("derived/silver_transaction.csv");
        Map<String, Long> expected = new LinkedHashMap<>();
        for (String c : List.of("transaction_date", "product_name", "quantity", "price", "tax")) {
            expected.put("raw.transactions not_null_" + c, missing(source, c));
        }
        // the example keeps the source's ids (the project hashes the customer's fields): a blank or non-numeric
        // customer id is NULL in silver
        expected.put("silver.transactions not_null_transaction_id", missing(source, "transaction_id"));
        expected.put("silver.transactions not_null_customer_id",
                source.stream().filter(r -> !r.get("customer_id").strip().matches("[0-9]+(\\.[0-9]+)?")).count());
        for (String c : List.of("transaction_date", "product_id", "product_name", "customer_first_name", "customer_last_name",
                "customer_email", "customer_phone", "customer_country", "customer_city", "quantity", "price", "tax")) {
            expected.put("silver.transactions not_null_" + c, missing(silver, c));
        }
        for (String c : List.of("transaction_id", "customer_email", "customer_phone")) {
            expected.put("silver.transactions unique_" + c, duplicated(source, c));
        }
        assertThat(expected.get("silver.transactions not_null_quantity")).isEqualTo(16);   // derived/missing_quantity.csv

        Map<String, String> got = new LinkedHashMap<>();
        Map<String, String> want = new LinkedHashMap<>();
        for (CheckResult r : report.checks()) {
            got.put(r.table() + " " + r.id(), r.status() + " " + r.failingRows());
        }
        // not_null: severity error, error_if ">20", dbt's default warn_if "!=0"
        expected.forEach((check, n) -> want.put(check, (n == 0 ? Status.PASS : n <= 20 ? Status.WARN : Status.FAIL) + " " + n));
        assertThat(got).isEqualTo(want);
    }

    private static long missing(List<Map<String, String>> rows, String column) {
        return rows.stream().filter(r -> r.get(column).isBlank()).count();
    }

    /** Rows whose value another row shares (as mds-quality and dbt's unique count them: each row of a shared value). */
    private static long duplicated(List<Map<String, String>> rows, String column) {
        Map<String, Long> counts = new LinkedHashMap<>();
        rows.forEach(r -> counts.merge(r.get(column), 1L, Long::sum));
        return counts.values().stream().filter(n -> n > 1).mapToLong(Long::longValue).sum();
    }

    private static List<Map<String, String>> csv(String file) throws Exception {
        List<String> lines = Files.readAllLines(SeedData.file("002-forex-transactions/" + file), StandardCharsets.UTF_8);
        String[] header = lines.get(0).replace("\uFEFF", "").split(",", -1);
        assertThat(new HashSet<>(List.of(header))).hasSize(header.length);
        List<Map<String, String>> rows = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",", -1);
            assertThat(f).as(file + ": " + line).hasSize(header.length);
            Map<String, String> row = new LinkedHashMap<>();
            for (int i = 0; i < header.length; i++) {
                row.put(header[i], f[i]);
            }
            rows.add(row);
        }
        return rows;
    }
}
