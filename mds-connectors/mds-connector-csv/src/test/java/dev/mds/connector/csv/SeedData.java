package dev.mds.connector.csv;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds ../shared/seed-data beside the checkout, wherever the test runs from. */
final class SeedData {
    private SeedData() {
    }

    static Path file(String relative) {
        String configured = System.getenv("MDS_SEED_DATA");
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured).resolve(relative);
        }
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("mvnw"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("cannot find the project root (the directory holding mvnw)");
        }
        return dir.resolveSibling("shared").resolve("seed-data").resolve(relative);
    }
}
