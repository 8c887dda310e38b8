package dev.mds.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compiles every {@code java} block of the project's README files against the real artifacts, so the examples a
 * reader copies keep matching the API. Each block becomes the body of a method (or, when it declares a class, a
 * member of one) of a class that declares the names the snippets take as given: {@code dataSource}, {@code ds},
 * {@code batch}, {@code secret} and so on ({@link #GIVEN}). A value the reader supplies may be written
 * {@code = ...;} in a snippet; it compiles as {@code = null;}. Nothing runs: the examples under
 * {@code dev.mds.examples} are the programs that run.
 */
class ReadmeSnippetsTest {
    private static final Pattern BLOCK = Pattern.compile("(?m)^```java\\n(.*?)^```", Pattern.DOTALL);
    private static final Pattern SECTION = Pattern.compile("(?m)^## (\\S+)");

    /** The names the snippets use without declaring them (fields, so a snippet's own local may shadow one). */
    private static final String GIVEN = """
                javax.sql.DataSource dataSource, ds, warehouse, shop, sourceDataSource, adminDataSource;
                java.sql.Connection connection;
                dev.mds.core.Schema schema;
                dev.mds.core.RecordBatch batch;
                dev.mds.core.ChangeBatch changeBatch;
                java.util.stream.Stream<dev.mds.core.RecordBatch> batches;
                dev.mds.core.SourcePosition position, storedPosition;
                dev.mds.load.MergeLoader loader;
                java.util.Map<dev.mds.core.TableName, dev.mds.load.MergeLoader> loaders;
                java.util.List<dev.mds.connector.csv.BadRow> rejects;
                String secret;
            """;

    /** The API packages every snippet sees; a name two of them share is imported from the section's module. */
    private static final List<String> PACKAGES = List.of("dev.mds.core", "dev.mds.testing", "dev.mds.load",
            "dev.mds.connector.csv", "dev.mds.connector.json", "dev.mds.connector.postgres", "dev.mds.connector.faker",
            "dev.mds.connector.sheets",
            "dev.mds.vault", "dev.mds.quality", "dev.mds.transform");

    private static final String IMPORTS = """
            import static dev.mds.testing.MdsAssertions.assertThatChanges;
            import static dev.mds.testing.MdsAssertions.assertThatQuery;
            import static dev.mds.testing.MdsAssertions.assertThatTable;
            import static dev.mds.testing.MdsAssertions.row;
            import dev.mds.core.Record;
            import java.nio.file.Path;
            import java.sql.Connection;
            import java.time.Duration;
            import java.util.List;
            import java.util.Map;
            import javax.sql.DataSource;
            import org.junit.jupiter.api.Test;
            """;

    record Snippet(Path file, String section, int line, String code) {
        String className() {
            return "Snippet_" + file.toString().replaceAll("\\W", "_") + "_" + line;
        }

        /**
         * The imports and the class's opening lines, up to the line before the snippet's first. Two API packages
         * share {@code OnBadRow} (csv, load) and {@code LoadResult} (load, vault): the section's module wins.
         */
        String prefix() {
            String module = section.startsWith("mds-") || file.getParent() == null ? section
                    : file.getParent().getFileName().toString();
            StringBuilder s = new StringBuilder("package readme;\n").append(IMPORTS);
            for (String p : PACKAGES) {
                s.append("import ").append(p).append(".*;\n");
            }
            s.append(module.equals("mds-connector-csv") ? "import dev.mds.connector.csv.OnBadRow;\n" : "import dev.mds.load.OnBadRow;\n");
            s.append(module.equals("mds-vault") ? "import dev.mds.vault.LoadResult;\n" : "import dev.mds.load.LoadResult;\n");
            s.append("@SuppressWarnings(\"all\") class ").append(className()).append(" {\n").append(GIVEN);
            return s.append(declaresClass() ? "" : "void snippet() throws Exception {").append('\n').toString();
        }

        private boolean declaresClass() {
            String start = code.stripLeading();
            return start.startsWith("@") || start.startsWith("class ");
        }

        String source() {
            return prefix() + code.replaceAll("= \\.\\.\\.;", "= null;") + (declaresClass() ? "" : "}") + "\n}\n";
        }

        /** The README line of line {@code sourceLine} of {@link #source()}. */
        long readmeLine(long sourceLine) {
            return line + sourceLine - prefix().lines().count() - 1;
        }
    }

    @Test
    void everyJavaBlockOfTheReadmesCompiles(@TempDir Path out) throws IOException {
        List<Snippet> snippets = snippets();
        assertThat(snippets).as("java blocks found in the README files").hasSizeGreaterThanOrEqualTo(15);

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        List<JavaFileObject> units = new ArrayList<>();
        for (Snippet s : snippets) {
            units.add(new SimpleJavaFileObject(URI.create("string:///readme/" + s.className() + ".java"),
                    JavaFileObject.Kind.SOURCE) {
                @Override
                public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                    return s.source();
                }
            });
        }
        StringWriter javacOut = new StringWriter();
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, Locale.ROOT, StandardCharsets.UTF_8)) {
            List<String> options = List.of("-proc:none", "-d", out.toString(),
                    "-classpath", System.getProperty("java.class.path"));
            javac.getTask(javacOut, files, diagnostics, options, null, units).call();
        }
        List<String> errors = new ArrayList<>();
        for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
            if (d.getKind() != Diagnostic.Kind.ERROR) {
                continue;
            }
            Snippet s = snippets.stream().filter(x -> d.getSource() != null
                    && d.getSource().getName().endsWith(x.className() + ".java")).findFirst().orElse(null);
            errors.add(s == null ? d.getMessage(Locale.ROOT)
                    : s.file() + " line " + s.readmeLine(d.getLineNumber()) + " (" + s.section() + "): "
                            + d.getMessage(Locale.ROOT));
        }
        assertThat(errors).as("compile errors in README examples\n%s", javacOut).isEmpty();
    }

    /** Every java block of every README.md in the project, with its file, section and first line. */
    static List<Snippet> snippets() throws IOException {
        Path root = projectRoot();
        List<Snippet> out = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(p -> p.getFileName().toString().equals("README.md"))
                    .filter(p -> !root.relativize(p).toString().contains("target"))
                    .filter(p -> !root.relativize(p).startsWith(".")).sorted().toList()) {
                String text = Files.readString(f);
                Matcher m = BLOCK.matcher(text);
                while (m.find()) {
                    int line = (int) text.substring(0, m.start(1)).lines().count() + 1;
                    String section = "";
                    Matcher h = SECTION.matcher(text.substring(0, m.start()));
                    while (h.find()) {
                        section = h.group(1);
                    }
                    out.add(new Snippet(root.relativize(f), section, line, m.group(1)));
                }
            }
        }
        return out;
    }

    private static Path projectRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("mvnw"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new UncheckedIOException(new IOException("no mvnw above " + Path.of("").toAbsolutePath()));
        }
        return dir;
    }
}
