package dev.mds.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.quality.QualityException;
import dev.mds.testing.SeedData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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

        String before = System.getProperty(SeedData.PROPERTY);
        System.setProperty(SeedData.PROPERTY, seed.toString());
        try {
            assertThatThrownBy(() -> Main.main(new String[0])).isInstanceOf(QualityException.class)
                    .hasMessageContaining("accepted_values_subscription");
        } finally {
            if (before == null) {
                System.clearProperty(SeedData.PROPERTY);
            } else {
                System.setProperty(SeedData.PROPERTY, before);
            }
        }
    }
}
