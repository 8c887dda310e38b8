package dev.mds.quality;

import dev.mds.core.TableName;
import dev.mds.quality.internal.Plural;
import dev.mds.quality.internal.ReportRenderer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The outcome of one {@link QualitySuite} run: every check's result, the number of queries that ran and the
 * time taken; renders as a console table, JSON or a self-contained HTML page.
 *
 * <pre>{@code
 * QualityReport report = suite.run();
 * System.out.println(report.toConsoleTable());
 * report.writeHtml(Path.of("target/quality.html"));
 * report.assertPassed();                  // throws QualityException listing what failed
 * }</pre>
 *
 * @param runId a random id for this run (the key of its rows in the history table)
 * @param startedAt when the run started
 * @param checks every check's result, in the order the checks were declared
 * @param queries how many SQL queries ran to compute the checks and fetch their samples, failed ones included
 *     (catalog reads, planner settings, history writes and stored failures not counted; a row-count anomaly's history read is)
 * @param duration the time of the whole run
 */
public record QualityReport(String runId, Instant startedAt, List<CheckResult> checks, int queries, Duration duration) {
    public QualityReport {
        checks = List.copyOf(checks);
    }

    /** True when no check has status {@link Status#FAIL} or {@link Status#ERROR} (warnings are allowed). */
    public boolean passed() {
        return checks.stream().allMatch(CheckResult::ok);
    }

    /** The checks with the given status. */
    public List<CheckResult> withStatus(Status status) {
        return checks.stream().filter(c -> c.status() == status).toList();
    }

    /**
     * The result of check {@code id} on {@code table}, named as in {@link QualitySuite#table} ({@code "t"},
     * {@code "public.t"} and {@code "PUBLIC.T"} are one table) or as {@link CheckResult#table()} shows it.
     */
    public Optional<CheckResult> check(String table, String id) {
        String wanted = TableName.parse(table).toString();
        return checks.stream().filter(c -> (c.table().equals(table) || c.table().equals(wanted)) && c.id().equals(id))
                .findFirst();
    }

    /**
     * Throws unless {@link #passed()}: for tests and for write-audit-publish.
     *
     * @throws QualityException whose message is a table of the checks that failed or could not run, with samples
     */
    public void assertPassed() {
        if (!passed()) {
            List<CheckResult> bad = checks.stream().filter(c -> !c.ok()).toList();
            throw new QualityException(bad.size() + " of " + Plural.count(checks.size(), "quality check") + " did not pass:\n"
                    + ReportRenderer.console(this, bad), this);
        }
    }

    /** A plain-text table of all checks, then the samples of those that did not pass. */
    public String toConsoleTable() {
        return ReportRenderer.console(this, checks);
    }

    /** The report as a JSON document (Jackson), with every field of every check. */
    public String toJson() {
        return ReportRenderer.json(this);
    }

    /** The report as one self-contained XHTML page (inline CSS, no scripts, every value escaped). */
    public String toHtml() {
        return ReportRenderer.html(this);
    }

    /** Writes {@link #toHtml()} to {@code file} in UTF-8. */
    public Path writeHtml(Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            return Files.writeString(file, toHtml(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the quality report to " + file, e);
        }
    }
}
