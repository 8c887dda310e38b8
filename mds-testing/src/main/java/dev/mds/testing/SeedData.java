package dev.mds.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds the real input data of the pipelines mds replays, for tests and examples: the directory named by the
 * system property {@code mds.seed.data}, else by the environment variable {@code MDS_SEED_DATA}, else
 * {@code ../shared/seed-data} beside the checkout (the directory holding {@code mvnw}).
 *
 * <pre>{@code
 * Path csv = SeedData.file("002-forex-transactions/customer_transactions.csv");
 * }</pre>
 *
 * When the directory or a file is missing, the error says where it looked: which setting named the directory (and
 * its value), or which directories the search from the working directory tried.
 */
public final class SeedData {
    /** The environment variable that names the seed-data directory. */
    public static final String VARIABLE = "MDS_SEED_DATA";

    /** The system property that names the seed-data directory; it wins over {@link #VARIABLE}. */
    public static final String PROPERTY = "mds.seed.data";

    private SeedData() {
    }

    /**
     * The seed-data directory.
     *
     * @throws IllegalStateException when it cannot be found, saying where it looked
     */
    public static Path directory() {
        return locate(System.getProperty(PROPERTY), System.getenv(VARIABLE), Path.of("").toAbsolutePath()).path();
    }

    /**
     * A file in the seed-data directory, e.g. {@code 000-saas-product/users.csv}.
     *
     * @throws IllegalStateException when the directory or the file does not exist, saying where it looked
     */
    public static Path file(String relative) {
        return file(locate(System.getProperty(PROPERTY), System.getenv(VARIABLE), Path.of("").toAbsolutePath()), relative);
    }

    /** The seed-data directory and how it was found, for messages. */
    record Located(Path path, String how) {
    }

    static Path file(Located directory, String relative) {
        Path p = directory.path().resolve(relative);
        if (!Files.exists(p)) {
            throw new IllegalStateException("seed data file missing: " + p.toAbsolutePath() + " (" + relative
                    + " in the seed-data directory " + directory.path().toAbsolutePath() + ", " + directory.how() + ")");
        }
        return p;
    }

    /** The directory the property, else the environment variable, names, else the one beside the checkout. */
    static Located locate(String property, String variable, Path workingDirectory) {
        String how;
        String configured;
        if (property != null && !property.isBlank()) {
            configured = property;
            how = "named by the system property " + PROPERTY + "=" + property;
        } else if (variable != null && !variable.isBlank()) {
            configured = variable;
            how = "named by the environment variable " + VARIABLE + "=" + variable;
        } else {
            configured = null;
            how = null;
        }
        if (configured != null) {
            Path dir = Path.of(configured);
            if (!Files.isDirectory(dir)) {
                throw new IllegalStateException("seed data directory missing: " + dir.toAbsolutePath() + " ("
                        + how + (Files.exists(dir) ? ", is not a directory)" : ", does not exist)"));
            }
            return new Located(dir, how);
        }
        List<Path> tried = new ArrayList<>();
        for (Path d = workingDirectory; d != null; d = d.getParent()) {
            if (Files.exists(d.resolve("mvnw"))) {
                Path candidate = d.resolveSibling("shared").resolve("seed-data");
                if (Files.isDirectory(candidate)) {
                    return new Located(candidate, "found beside the checkout " + d + " (neither " + PROPERTY + " nor "
                            + VARIABLE + " is set)");
                }
                tried.add(candidate);
            }
        }
        throw new IllegalStateException("cannot find the seed data: neither the system property " + PROPERTY
                + " nor the environment variable " + VARIABLE + " is set, and "
                + (tried.isEmpty() ? "no directory from " + workingDirectory + " up holds mvnw (an mds checkout), beside"
                        + " which ../shared/seed-data would be read"
                        : "../shared/seed-data beside the checkout is missing: looked for " + tried)
                + "; set " + VARIABLE + " to the seed-data directory");
    }
}
