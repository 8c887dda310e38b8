package dev.mds.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.quality.QualityException;
import dev.mds.testing.SeedData;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The main example as CI runs it ({@code java -jar mds-examples.jar} runs {@link Main}): it must fail, so that the
 * run exits non-zero, when a step's result is wrong.
 */
class MainTest {
    @Test
    void aFailingQualityCheckFailsTheRun(@TempDir Path seed) throws Exception {
        Path product = Files.createDirectories(seed.resolve("000-saas-product"));
        for (String f : new String[] {"users.csv", "pricing.reconstructed.csv"}) {
            Files.copy(SeedData.file("000-saas-product/" + f), product.resolve(f));
        }
        // subscription 15 is of a package the pricing sheet does not have: accepted_values_subscription fails, and the
        // mart's join with the pricing drops the month without a word
        String subscriptions = Files.readString(SeedData.file("000-saas-product/subscriptions.csv"), StandardCharsets.UTF_8);
        assertThat(subscriptions).contains("15,2023-05-01,2023-05-31,3,starter,false");
        Files.writeString(product.resolve("subscriptions.csv"),
                subscriptions.replace("15,2023-05-01,2023-05-31,3,starter,false", "15,2023-05-01,2023-05-31,3,premium,false"),
                StandardCharsets.UTF_8);

        assertThatThrownBy(() -> ExamplesTest.withSeedData(seed, () -> Main.main(new String[0])))
                .isInstanceOf(QualityException.class).hasMessageContaining("accepted_values_subscription");
    }

    @Test
    void theMartItPrintsIsWhatTheSeedDataAndTheChangesGive() throws Exception {
        String out = ExamplesTest.output(() -> Main.main(new String[0]));

        // computed here from the seed files, as the project's mart.users defines it: per user, the months subscribed,
        // the unpaid ones (all ended before today, so overdue) and the sum of the package's monthly seat price (EUR)
        Map<String, BigDecimal> price = new HashMap<>();
        for (String[] p : csv("pricing.reconstructed.csv")) {
            assertThat(p[2]).as("valid_until").isEmpty();   // one price per package, valid from 2022-01-01 on
            price.put(p[0], new BigDecimal(p[4]));
        }
        Map<Integer, String> users = new TreeMap<>();
        for (String[] u : csv("users.csv")) {
            users.put(Integer.parseInt(u[0]), u[1]);
        }
        Map<Integer, String[]> subscriptions = new TreeMap<>();
        for (String[] s : csv("subscriptions.csv")) {
            subscriptions.put(Integer.parseInt(s[0]), s);
        }
        assertThat(section(out, "== 5.", "== 6.")).containsExactlyElementsOf(mart(users, subscriptions, price));

        // step 7: Jane pays subscription 10, Ada Lovelace (user 4) subscribes to medium in June, subscription 15 goes
        subscriptions.get(10)[5] = "true";
        users.put(4, "Ada Lovelace");
        subscriptions.put(16, new String[] {"16", "2023-06-01", "2023-06-30", "4", "medium", "true"});
        subscriptions.remove(15);
        assertThat(section(out, "== 7.", "== done")).containsExactlyElementsOf(mart(users, subscriptions, price));
    }

    private static List<String[]> csv(String file) throws Exception {
        List<String> lines = Files.readAllLines(SeedData.file("000-saas-product/" + file), StandardCharsets.UTF_8);
        return lines.subList(1, lines.size()).stream().filter(l -> !l.isBlank()).map(l -> l.split(",", -1)).toList();
    }

    private static List<String> mart(Map<Integer, String> users, Map<Integer, String[]> subscriptions,
            Map<String, BigDecimal> price) {
        List<String> rows = new ArrayList<>();
        for (Map.Entry<Integer, String> u : users.entrySet()) {
            int months = 0;
            int unpaid = 0;
            BigDecimal revenue = BigDecimal.ZERO;
            for (String[] s : subscriptions.values()) {
                if (Integer.parseInt(s[3]) == u.getKey()) {
                    months++;
                    unpaid += Boolean.parseBoolean(s[5]) ? 0 : 1;
                    revenue = revenue.add(price.get(s[4]));
                }
            }
            if (months > 0) {
                rows.add(u.getKey() + " " + u.getValue() + " " + months + " " + unpaid + " " + revenue);
            }
        }
        return rows;
    }

    /** The rows of the last mart.users table printed between two step headings, their cells joined by a space. */
    private static List<String> section(String out, String from, String to) {
        String part = out.substring(out.indexOf(from), out.indexOf(to));
        List<String> lines = part.substring(part.lastIndexOf("\nmart.users (")).lines().skip(4).toList();
        List<String> rows = new ArrayList<>();
        for (String line : lines) {
            if (line.isBlank() || !line.contains("|")) {
                break;
            }
            rows.add(Arrays.stream(line.split("\\|")).map(String::strip).collect(Collectors.joining(" ")));
        }
        return rows;
    }
}
