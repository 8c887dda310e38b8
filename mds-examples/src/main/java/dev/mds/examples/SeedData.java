package dev.mds.examples;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds the real input data of the pipelines mds replays: {@code ../shared/seed-data} beside the checkout, or the
 * directory named by the system property {@code mds.seed.data} / the variable {@code MDS_SEED_DATA}.
 */
public final class SeedData {
    private SeedData() {
    }

    /** The seed-data directory. */
    public static Path directory() {
        String configured = System.getProperty("mds.seed.data", System.getenv("MDS_SEED_DATA"));
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        Path dir = Path.of("").toAbsolutePath();
        for (Path d = dir; d != null; d = d.getParent()) {
            Path candidate = d.resolveSibling("shared").resolve("seed-data");
            if (Files.exists(d.resolve("mvnw")) && Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("cannot find the seed data: run from the mds checkout (it reads ../shared/seed-data)"
                + " or set -Dmds.seed.data=<dir>");
    }

    /** A file in the seed-data directory, e.g. {@code 000-saas-product/users.csv}. */
    public static Path file(String relative) {
        Path p = directory().resolve(relative);
        if (!Files.exists(p)) {
            throw new IllegalStateException("seed data file missing: " + p);
        }
        return p;
    }
}
