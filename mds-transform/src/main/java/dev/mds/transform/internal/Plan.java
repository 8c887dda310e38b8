package dev.mds.transform.internal;

import dev.mds.core.Identifiers;
import dev.mds.core.TableName;
import dev.mds.transform.Materialization;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The statements that build one model, given what the catalog holds now. */
final class Plan {
    /** One step of a model's build. */
    sealed interface Step permits Exec, CheckStage, Write, CheckDependents {
    }

    /**
     * A statement. {@code body} is where the model's rendered SQL starts in it (-1 when it holds none), for
     * translating PostgreSQL's error position to a line; {@code counts} marks the statement whose row count is
     * the model's.
     */
    record Exec(String sql, int body, Template.Rendered rendered, boolean counts) implements Step {
    }

    /** Checks the incremental stage against the target: same columns, no duplicate unique key. */
    record CheckStage(String stage, List<String> targetColumns, List<String> targetTypes) implements Step {
    }

    /**
     * Writes the incremental stage into the table by the model's strategy. {@code columns} are the table's columns
     * as the plan reads them; the run writes the columns that {@link CheckStage} settles on (the same ones unless
     * on_schema_change lets them differ).
     */
    record Write(TableName target, String stage, List<String> uniqueKey, ModelSpec.Strategy strategy,
            List<String> columns) implements Step {
        /** The statements writing {@code written}; the last one's row count is the model's. */
        List<String> sql(List<String> written) {
            String t = target.quoted();
            String s = Identifiers.quote("pg_temp", stage);
            String cols = Identifiers.quoteAll(written);
            StringBuilder match = new StringBuilder();
            for (String k : uniqueKey) {
                match.append(match.length() == 0 ? "" : " and ").append("t.").append(Identifiers.quote(k))
                        .append(" = s.").append(Identifiers.quote(k));
            }
            String insert = "insert into " + t + " (" + cols + ")\nselect " + cols + " from " + s;
            switch (strategy) {
                case APPEND:
                    return List.of(insert);
                case DELETE_INSERT:
                    return List.of("delete from " + t + " t using " + s + " s where " + match, insert);
                default:
                    StringBuilder set = new StringBuilder();
                    StringBuilder values = new StringBuilder();
                    for (String c : written) {
                        values.append(values.length() == 0 ? "" : ", ").append("s.").append(Identifiers.quote(c));
                        if (!uniqueKey.contains(c)) {
                            set.append(set.length() == 0 ? "" : ", ").append(Identifiers.quote(c)).append(" = s.")
                                    .append(Identifiers.quote(c));
                        }
                    }
                    return List.of("merge into " + t + " t using " + s + " s on " + match
                            + "\nwhen matched then " + (set.length() == 0 ? "do nothing" : "update set " + set)
                            + "\nwhen not matched then insert (" + cols + ") values (" + values + ")");
            }
        }
    }

    /**
     * Checks again, once the old relation is renamed away (and so locked until commit), that only models rebuilt
     * later in the run depend on it: a view created on it while the new one was being built would otherwise be
     * dropped by the {@code cascade}.
     */
    record CheckDependents(TableName relation) implements Step {
    }

    /** What the catalog says about a model's relation. */
    record Existing(char kind, List<String> columns, List<String> types) {
        boolean isView() {
            return kind == 'v';
        }
    }

    private Plan() {
    }

    static String suffixed(String name, String suffix) {
        String base = name;
        while ((base + suffix).getBytes(StandardCharsets.UTF_8).length > Identifiers.MAX_IDENTIFIER_BYTES) {
            base = base.substring(0, base.offsetByCodePoints(base.length(), -1));
        }
        return base + suffix;
    }

    static String stageName(ModelSpec m) {
        return suffixed(m.table().name(), "__mds_stage");
    }

    /** Whether this build replaces the relation by a swap (view, table, incremental first or full build). */
    static boolean swaps(ModelSpec m, Optional<Existing> existing, boolean fullRefresh) {
        return m.materialization() != Materialization.INCREMENTAL || existing.isEmpty() || fullRefresh
                || existing.get().isView();
    }

    /** The steps; {@code cascade} drops the old relation's dependents (all of them models rebuilt later). */
    static List<Step> steps(ModelSpec m, Optional<Existing> existing, boolean fullRefresh, boolean cascade) {
        TableName t = m.table();
        List<Step> steps = new ArrayList<>();
        if (swaps(m, existing, fullRefresh)) {
            boolean view = m.materialization() == Materialization.VIEW;
            Template.Rendered body = m.template().render(false, t.quoted(), m.tagValues()::get);
            TableName tmp = t.withName(suffixed(t.name(), "__mds_tmp"));
            TableName backup = t.withName(suffixed(t.name(), "__mds_backup"));
            String head = "create " + (view ? "view " : "table ") + tmp.quoted() + " as\n";
            steps.add(new Exec(head + body.sql(), head.length(), body, !view));
            if (existing.isPresent()) {
                String kind = existing.get().isView() ? "view " : "table ";
                steps.add(new Exec("alter " + kind + t.quoted() + " rename to " + Identifiers.quote(backup.name()),
                        -1, null, false));
                steps.add(new CheckDependents(backup));
                steps.add(new Exec("alter " + (view ? "view " : "table ") + tmp.quoted() + " rename to "
                        + Identifiers.quote(t.name()), -1, null, false));
                steps.add(new Exec("drop " + kind + backup.quoted() + (cascade ? " cascade" : ""), -1, null, false));
            } else {
                steps.add(new Exec("alter " + (view ? "view " : "table ") + tmp.quoted() + " rename to "
                        + Identifiers.quote(t.name()), -1, null, false));
            }
            return steps;
        }
        // runs of the same model take turns, so a second run's delete sees the rows the first one inserted
        steps.add(new Exec("lock table " + t.quoted() + " in share row exclusive mode", -1, null, false));
        Template.Rendered body = m.template().render(true, t.quoted(), m.tagValues()::get);
        String stage = Identifiers.quote("pg_temp", stageName(m));
        String head = "create temporary table " + stage + " on commit drop as\n";
        steps.add(new Exec(head + body.sql(), head.length(), body, false));
        List<String> columns = existing.get().columns();
        steps.add(new CheckStage(stageName(m), columns, existing.get().types()));
        steps.add(new Write(t, stageName(m), m.uniqueKey(), m.strategy(), columns));
        return steps;
    }
}
