package dev.mds.connector.postgres;

import java.util.List;
import java.util.Objects;

/**
 * What {@link CdcSetup#check} found: each item names a problem and the exact SQL or setting that fixes it.
 * {@link #ok()} is true when nothing blocks change data capture (warnings and notes may remain).
 *
 * <pre>{@code
 * SetupReport report = CdcSetup.check(dataSource, CdcSetup.spec().tables("product.users").build());
 * if (!report.ok()) System.out.println(report);   // one line per item with its fix
 * }</pre>
 *
 * @param items the findings, blocking ones first
 */
public record SetupReport(List<Item> items) {
    public SetupReport {
        items = List.copyOf(items);
    }

    /** How much a finding matters. */
    public enum Severity {
        /** CDC cannot work until it is fixed. */
        ERROR,
        /** CDC works, but something will hurt (WAL retained, slot inactive, less data in delete events). */
        WARNING,
        /** Information: what a setting means, or what {@link CdcSetup#apply} or the source will create. */
        NOTE
    }

    /**
     * One finding.
     *
     * @param severity how much it matters
     * @param problem what is wrong or worth knowing
     * @param fix the SQL or setting that fixes it (may be several statements; empty when nothing is to be done)
     */
    public record Item(Severity severity, String problem, String fix) {
        public Item {
            Objects.requireNonNull(severity, "severity");
            Objects.requireNonNull(problem, "problem");
            Objects.requireNonNull(fix, "fix");
        }

        @Override
        public String toString() {
            return severity + ": " + problem + (fix.isEmpty() ? "" : "\n    fix: " + fix.replace("\n", "\n         "));
        }
    }

    /** True when no item is an {@link Severity#ERROR}. */
    public boolean ok() {
        return items.stream().noneMatch(i -> i.severity() == Severity.ERROR);
    }

    /** The items of one severity. */
    public List<Item> items(Severity severity) {
        return items.stream().filter(i -> i.severity() == severity).toList();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(ok() ? "CDC setup: ready" : "CDC setup: NOT ready");
        sb.append(" (").append(items(Severity.ERROR).size()).append(" errors, ")
                .append(items(Severity.WARNING).size()).append(" warnings, ")
                .append(items(Severity.NOTE).size()).append(" notes)");
        for (Item i : items) {
            sb.append('\n').append(i);
        }
        return sb.toString();
    }
}
