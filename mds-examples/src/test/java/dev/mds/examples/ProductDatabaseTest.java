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

/** The product database of the main and CDC examples, from a malformed seed file. */
@MdsPostgres
class ProductDatabaseTest {
    @Test
    void aMalformedSeedFileFailsNamingTheFileAndLine(DataSource ds, @TempDir Path seed) throws Exception {
        Path product = Files.createDirectories(seed.resolve("000-saas-product"));
        Files.copy(SeedData.file("000-saas-product/subscriptions.csv"), product.resolve("subscriptions.csv"));
        Files.writeString(product.resolve("users.csv"), "user_id,name\n1,John Doe\nx,Jane Doe\n", StandardCharsets.UTF_8);

        String before = System.getProperty(SeedData.PROPERTY);
        System.setProperty(SeedData.PROPERTY, seed.toString());
        try {
            assertThatThrownBy(() -> ProductDatabase.create(ds))
                    .hasMessageContaining(product.resolve("users.csv").toString())
                    .hasMessageContaining("line 3")
                    .hasMessageContaining("\"x\"");
        } finally {
            if (before == null) {
                System.clearProperty(SeedData.PROPERTY);
            } else {
                System.setProperty(SeedData.PROPERTY, before);
            }
        }
    }
}
