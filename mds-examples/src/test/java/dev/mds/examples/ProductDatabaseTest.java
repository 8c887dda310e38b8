package dev.mds.examples;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.testing.MdsPostgres;
import dev.mds.testing.SeedData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The product database of the main and CDC examples, from a malformed or empty seed file. */
@MdsPostgres
class ProductDatabaseTest {
    @Test
    void aMalformedSeedFileFailsNamingTheFileAndLine(DataSource ds, @TempDir Path seed) throws Exception {
        Path product = Files.createDirectories(seed.resolve("000-saas-product"));
        Files.copy(SeedData.file("000-saas-product/subscriptions.csv"), product.resolve("subscriptions.csv"));
        Files.writeString(product.resolve("users.csv"), "user_id,name\n1,John Doe\nx,Jane Doe\n", StandardCharsets.UTF_8);

        assertThatThrownBy(() -> ExamplesTest.withSeedData(seed, () -> ProductDatabase.create(ds)))
                .hasMessageContaining(product.resolve("users.csv").toString())
                .hasMessageContaining("line 3")
                .hasMessageContaining("\"x\"");
    }

    @Test
    void anEmptySeedFileFailsNamingTheFile(DataSource ds, @TempDir Path seed) throws Exception {
        // a download cut short: users.csv is empty, which COPY takes for no rows (the CDC example then waited 90 s for
        // user 2's new name, and the main example ran to its quality checks)
        Path product = Files.createDirectories(seed.resolve("000-saas-product"));
        Files.copy(SeedData.file("000-saas-product/subscriptions.csv"), product.resolve("subscriptions.csv"));
        Files.writeString(product.resolve("users.csv"), "", StandardCharsets.UTF_8);

        assertThatThrownBy(() -> ExamplesTest.withSeedData(seed, () -> ProductDatabase.create(ds)))
                .hasMessage("seed file " + product.resolve("users.csv") + " holds no rows for product.users (user_id, name)");
    }
}
