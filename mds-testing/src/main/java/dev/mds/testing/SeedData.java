package dev.mds.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds the real input data of the pipelines mds replays, for tests and examples: the directory named by the
 * environment variable {@code MDS_SEED_DATA} (or the system property {@code mds.seed.data}), else
 * {@code ../shared/seed-data} beside the checkout (the directory holding {@code mvnw}).
 *
 * <pre>{@code
 * Path csv = SeedData.file("002-forex-transactions/customer_transactions.csv");
 * }</pre>
 */
public final class SeedData {
    /** The environment variable that names the seed-data directory. */
    public static final String VARIABLE = "MDS_SEED_DATA";

    private SeedData() {
    }

    /**
     * The seed-data directory.
     *
     * @throws IllegalStateException when it cannot be found, saying where it looked
     */
    public static Path directory() {
        String configured = System.getProperty("mds.seed.data", System.getenv(VARIABLE));
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path candidate = d.resolveSibling("shared").resolve("seed-data");
            if (Files.exists(d.resolve("mvnw")) && Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("cannot find the seed data: set " + VARIABLE + " or run from the mds checkout,"
                + " which reads ../shared/seed-data beside it");
    }

    /**
     * A file in the seed-data directory, e.g. {@code 000-saas-product/users.csv}.
     *
     * @throws IllegalStateException when the file does not exist
     */
    public static Path file(String relative) {
        Path p = directory().resolve(relative);
        if (!Files.exists(p)) {
            throw new IllegalStateException("seed data file missing: " + p);
        }
        return p;
    }
}
