package dev.mds.transform.internal;

import dev.mds.core.Identifiers;
import dev.mds.core.TableName;
import dev.mds.transform.Materialization;
import dev.mds.transform.TransformException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** The statements that build one model, given what the catalog holds now. */
final class Plan {
    /** One step of a model's build. */
    sealed interface Step permits Exec, Hook, CheckStage, CheckKey, Write, KeepViews, CheckDependents, CheckSnapshot,
            WriteSnapshot, CarryOver, CarryOverDropped, RecreateViews, LoadSeed, ApplyGrants,
            RenameIndex, DropOld {
    }

    /**
     * A statement. {@code body} is where the model's rendered SQL starts in it (-1 when it holds none), for
     * translating PostgreSQL's error position to a line; {@code counts} marks the statement whose row count is
     * the model's.
     */
    record Exec(String sql, int body, Template.Rendered rendered, boolean counts) implements Step {
    }

    /** Loads a seed's CSV file into {@code into} with COPY; its row count is the seed's. */
    record LoadSeed(TableName into, Seeds.Table table) implements Step {
        String sql() {
            return table.copy(into);
        }
    }

    /** A statement of the model's pre_hook or post_hook ({@code config}). */
    record Hook(String config, String sql) implements Step {
    }

    /**
     * Makes the grants the current role made on the built relation exactly the model's {@link ModelSpec#grants()}
     * (dbt's grants): revokes the others, then grants the missing ones.
     */
    record ApplyGrants(TableName relation) implements Step {
    }

    /** Checks the incremental stage against the target: same columns, no duplicate unique key. */
    record CheckStage(String stage, List<String> targetColumns, List<String> targetTypes) implements Step {
    }

    /**
     * Checks that the table a first (or full) build of an incremental model made, {@code built}, has the columns of
     * its unique_key: without them every later run would fail.
     */
    record CheckKey(TableName built) implements Step {
    }

    /**
     * Writes the incremental stage into the table by the model's strategy. {@code columns} are the table's columns
     * as the plan reads them; the run writes the columns that {@link CheckStage} settles on (the same ones unless
     * on_schema_change lets them differ). {@code predicates} (dbt's incremental_predicates) narrow the delete or the
     * merge as dbt writes them: the delete becomes dbt's {@code delete from t as DBT_INTERNAL_DEST where (key) in
     * (select key from stage as DBT_INTERNAL_SOURCE) and (p)}, so a predicate names the table's columns unqualified
     * or as {@code DBT_INTERNAL_DEST.c}; the merge names the table {@code DBT_INTERNAL_DEST} and the
     * new rows {@code DBT_INTERNAL_SOURCE}, its {@code on} the predicates and the key match. A unique_key that is an
     * SQL expression ({@link ModelSpec#isKeyExpression}, delete+insert only) is written as dbt writes it, as it is, in
     * that same delete.
     */
    record Write(TableName target, String stage, List<String> uniqueKey, ModelSpec.Strategy strategy,
            ModelSpec.MergeColumns mergeColumns, List<String> columns, List<String> predicates) implements Step {
        Write {
            predicates = List.copyOf(predicates);
        }

        /** The statements writing {@code written}; the last one's row count is the model's. */
        List<String> sql(List<String> written) {
            String t = target.quoted();
            String s = Identifiers.quote("pg_temp", stage);
            String cols = Identifiers.quoteAll(written);
            String narrowed = predicates.stream().map(p -> "(" + p + ")").collect(Collectors.joining(" and "));
            String insert = "insert into " + t + " (" + cols + ")\nselect " + cols + " from " + s;
            switch (strategy) {
                case APPEND:
                    return List.of(insert);
                case DELETE_INSERT:
                    boolean expression = uniqueKey.stream().anyMatch(k -> ModelSpec.isKeyExpression(k, written));
                    if (!predicates.isEmpty() || expression) {
                        // dbt's default__get_delete_insert_merge_sql (dbt-adapters 1.14.4 on): an expression
                        // evaluated on the table's rows, then (the subquery's own columns first) on the new rows', and
                        // the table aliased DBT_INTERNAL_DEST, as predicates written for dbt may name it
                        String key = uniqueKey.stream().map(k -> ModelSpec.keySql(k, written))
                                .collect(Collectors.joining(", "));
                        return List.of("delete from " + t + " as DBT_INTERNAL_DEST\nwhere (" + key + ") in (select "
                                + key + " from " + s + " as DBT_INTERNAL_SOURCE)"
                                + (predicates.isEmpty() ? "" : "\nand " + narrowed), insert);
                    }
                    return List.of("delete from " + t + " t using " + s + " s where " + keyMatch(uniqueKey), insert);
                default:
                    // dbt's aliases when predicates (written for dbt) name them
                    String dest = predicates.isEmpty() ? "t" : "DBT_INTERNAL_DEST";
                    String src = predicates.isEmpty() ? "s" : "DBT_INTERNAL_SOURCE";
                    StringBuilder set = new StringBuilder();
                    StringBuilder values = new StringBuilder();
                    for (String c : written) {
                        values.append(values.length() == 0 ? "" : ", ").append(src).append(".")
                                .append(Identifiers.quote(c));
                    }
                    for (String c : mergeColumns.updated(written.stream().filter(c -> !uniqueKey.contains(c)).toList())) {
                        set.append(set.length() == 0 ? "" : ", ").append(Identifiers.quote(c)).append(" = ").append(src)
                                .append(".").append(Identifiers.quote(c));
                    }
                    String match = keyMatch(uniqueKey, dest, src);
                    return List.of("merge into " + t + (predicates.isEmpty() ? " t using " + s + " s on " + match
                            : " as " + dest + " using " + s + " as " + src + "\non " + narrowed + " and " + match)
                            + "\nwhen matched then " + (set.length() == 0 ? "do nothing" : "update set " + set)
                            + "\nwhen not matched then insert (" + cols + ") values (" + values + ")");
            }
        }
    }

    /**
     * Keeps the plain views over {@code relation} (directly or through other views) that no model rebuilds after it in
     * this run: when there are any, locks {@code relation} and reads each view's definition and what it carries
     * (owner, options, grants, comments, column defaults, triggers, rules), for {@link RecreateViews} to create them
     * again over the new relation once the {@code drop ... cascade} has dropped them with the old one.
     */
    record KeepViews(TableName relation) implements Step {
    }

    /** Creates again, in dependency order, the views {@link KeepViews} kept, as they were. */
    record RecreateViews() implements Step {
    }

    /**
     * Checks again, once the old relation is renamed away (and so locked until commit), that only models rebuilt
     * later in the run or the views {@link KeepViews} kept depend on it: a view created over one of those since would
     * otherwise be dropped by the {@code cascade}.
     */
    record CheckDependents(TableName relation) implements Step {
    }

    /**
     * Checks a snapshot's staged query rows: its unique_key, updated_at and check_cols are columns, it has none of
     * the columns the snapshot adds, and no key is NULL or twice; nor, with strategy='timestamp', is updated_at NULL.
     */
    record CheckSnapshot(String stage) implements Step {
    }

    /**
     * Writes a snapshot from its staged query rows: the first run creates the table, a later one ends the current
     * versions that changed (and, by hard_deletes, those whose key is gone) and inserts the new versions.
     * {@code existing} is the table's columns and types, when it exists.
     */
    record WriteSnapshot(TableName target, String stage, List<String> uniqueKey, ModelSpec.SnapshotConfig config,
            Optional<Existing> existing) implements Step {
        static final String SCD_ID = "dbt_scd_id";
        static final String UPDATED_AT = "dbt_updated_at";
        static final String VALID_FROM = "dbt_valid_from";
        static final String VALID_TO = "dbt_valid_to";
        static final String IS_DELETED = "dbt_is_deleted";
        /** The columns a snapshot adds to its query's. */
        static final List<String> META = List.of(SCD_ID, UPDATED_AT, VALID_FROM, VALID_TO, IS_DELETED);

        /**
         * The statements writing the staged rows with {@code columns} of {@code types} ({@code format_type}); the
         * row counts of those marked {@code counts} add up to the model's (the versions inserted).
         */
        List<Exec> sql(List<String> columns, List<String> types) {
            String t = target.quoted();
            String s = Identifiers.quote("pg_temp", stage);
            boolean newRecord = config.hardDeletes() == ModelSpec.HardDeletes.NEW_RECORD;
            if (existing.isEmpty()) {
                String u = updated("s");
                return List.of(new Exec("create table " + t + " as\nselect s.*, " + scdId("s", u) + " as "
                        + Identifiers.quote(SCD_ID) + ", " + u + " as " + Identifiers.quote(UPDATED_AT) + ", " + u + " as "
                        + Identifiers.quote(VALID_FROM) + ", " + (config.validToCurrent() == null ? "nullif(" + u + ", " + u + ")"
                        : "coalesce(nullif(" + u + ", " + u + "), " + currentValidTo() + ")") + " as " + Identifiers.quote(VALID_TO)
                        + (newRecord ? ", 'False'::text as " + Identifiers.quote(IS_DELETED) : "") + "\nfrom " + s + " s",
                        -1, null, true));
            }
            List<Exec> out = new ArrayList<>();
            List<String> tableColumns = existing.get().columns();
            String alter = "alter table " + t + " add column if not exists ";
            for (int i = 0; i < columns.size(); i++) {
                if (!tableColumns.contains(columns.get(i))) {
                    out.add(new Exec(alter + Identifiers.quote(columns.get(i)) + " " + types.get(i), -1, null, false));
                }
            }
            if (newRecord && !tableColumns.contains(IS_DELETED)) {
                out.add(new Exec(alter + Identifiers.quote(IS_DELETED) + " text default 'False'", -1, null, false));
            }
            String validTo = "t." + Identifiers.quote(VALID_TO);
            // with dbt_valid_to_current, a NULL dbt_valid_to (a version written before it was set) is current too
            String current = config.validToCurrent() == null ? validTo + " is null"
                    : "(" + validTo + " is null or " + validTo + " = " + currentValidTo() + ")";
            String deleted = newRecord ? "t." + Identifiers.quote(IS_DELETED) + " = 'True'" : null;
            // end the current versions that changed (or, with new_record, that record a deletion)
            out.add(new Exec("update " + t + " t set " + Identifiers.quote(VALID_TO) + " = " + updated("s") + "\nfrom "
                    + s + " s\nwhere " + keyMatch(uniqueKey) + " and " + current + "\nand (" + changed(columns, types)
                    + (deleted == null ? "" : " or " + deleted) + ")", -1, null, false));
            String gone = current + "\nand not exists (select from " + s + " s where " + keyMatch(uniqueKey) + ")";
            if (config.hardDeletes() == ModelSpec.HardDeletes.INVALIDATE) {
                out.add(new Exec("update " + t + " t set " + Identifiers.quote(VALID_TO) + " = now()\nwhere " + gone,
                        -1, null, false));
            } else if (newRecord) {
                // the deletion version holds the ended version's values of the query's columns (dbt's deletion_records):
                // a column the query has lost is NULL in it, as in every new version
                String cols = Identifiers.quoteAll(columns);
                StringBuilder copied = new StringBuilder();
                columns.forEach(c -> copied.append("e.").append(Identifiers.quote(c)).append(", "));
                out.add(new Exec("with ended as (update " + t + " t set " + Identifiers.quote(VALID_TO) + " = now()\nwhere "
                        + gone + " and " + "t." + Identifiers.quote(IS_DELETED) + " is distinct from 'True'\nreturning t.*)\n"
                        + "insert into " + t + " (" + cols + ", " + metaColumns(true) + ")\nselect " + copied
                        + md5Of("e." + Identifiers.quote(SCD_ID), "now()") + ", now(), now(), " + currentValidTo() + ", 'True' from ended e",
                        -1, null, true));
            }
            StringBuilder values = new StringBuilder();
            columns.forEach(c -> values.append("s.").append(Identifiers.quote(c)).append(", "));
            String u = updated("s");
            out.add(new Exec("insert into " + t + " (" + Identifiers.quoteAll(columns) + ", " + metaColumns(newRecord)
                    + ")\nselect " + values + scdId("s", u) + ", " + u + ", " + u + ", " + currentValidTo() + (newRecord ? ", 'False'" : "")
                    + " from " + s + " s\nwhere not exists (select from " + t + " t where " + keyMatch(uniqueKey) + " and "
                    + current + ")", -1, null, true));
            return out;
        }

        /** What a current version's dbt_valid_to holds: NULL, or dbt_valid_to_current's expression. */
        private String currentValidTo() {
            return config.validToCurrent() == null ? "null" : "(" + config.validToCurrent() + ")";
        }

        /** The version's date: the updated_at column, else the run's time. */
        private String updated(String alias) {
            return config.updatedAt() == null ? "now()" : alias + "." + Identifiers.quote(config.updatedAt());
        }

        /** dbt's dbt_scd_id: md5 of the unique_key's values and the version's date, joined by '|'. */
        private String scdId(String alias, String updated) {
            List<String> parts = new ArrayList<>();
            uniqueKey.forEach(k -> parts.add(alias + "." + Identifiers.quote(k)));
            parts.add(updated);
            return md5Of(parts.toArray(new String[0]));
        }

        /** md5 of the parts as text, NULL as '', joined by '|' (dbt's snapshot_hash_arguments). */
        private static String md5Of(String... parts) {
            StringBuilder md5 = new StringBuilder("md5(");
            for (int i = 0; i < parts.length; i++) {
                md5.append(i == 0 ? "" : " || '|' || ").append("coalesce(cast(").append(parts[i]).append(" as varchar), '')");
            }
            return md5.append(')').toString();
        }

        /**
         * json has no equality operator: a column that is json (or json[]) in the query or in the table is compared as
         * jsonb (jsonb[]) on both sides, so key order and white space do not count, and a json column the query now
         * returns as jsonb, or the other way round, compares.
         */
        private static String jsonbCast(String queryType, String tableType) {
            if (queryType.equals("json[]") || tableType.equals("json[]")) {
                return "::jsonb[]";
            }
            return queryType.equals("json") || tableType.equals("json") ? "::jsonb" : "";
        }

        private String metaColumns(boolean isDeleted) {
            return Identifiers.quoteAll(isDeleted ? META : META.subList(0, 4));
        }

        /** Whether a staged row differs from the current version: a newer updated_at, or a check column differs. */
        private String changed(List<String> columns, List<String> types) {
            if (!config.check()) {
                return "t." + Identifiers.quote(VALID_FROM) + " < s." + Identifiers.quote(config.updatedAt());
            }
            List<String> compared = config.checkCols().isEmpty() ? columns : config.checkCols();
            StringBuilder or = new StringBuilder();
            for (String c : compared) {
                // sql() passes the table's columns, which may lack a check column the query has just gained
                int i = columns.indexOf(c);
                String cast = jsonbCast(i < 0 ? "" : types.get(i), existing.get().typeOf(c).orElse(""));
                or.append(or.length() == 0 ? "" : " or ").append("t.").append(Identifiers.quote(c)).append(cast)
                        .append(" is distinct from s.").append(Identifiers.quote(c)).append(cast);
            }
            return or.toString();
        }
    }

    /**
     * Gives the new relation {@code to} the privileges, comments and publications of the old one, {@code from}
     * (renamed away by then): the grants on it, its comment and the comments of the columns it still has, and its
     * membership of each publication that names it, with the same column list and row filter.
     */
    record CarryOver(TableName from, TableName to) implements Step {
    }

    /**
     * Gives {@code relation}, built anew, the grants and comments it had when an upstream model's swap dropped it
     * earlier in this run ({@code drop ... cascade}), when it had any.
     */
    record CarryOverDropped(TableName relation) implements Step {
    }

    /**
     * Drops the old relation, renamed away ({@code kind} is {@code "table "} or {@code "view "}), with {@code cascade}
     * when views or models rebuilt later depended on it when the build started; the run adds the cascade when
     * {@link KeepViews} finds views created over it since, which it keeps as it keeps the others.
     */
    record DropOld(String kind, TableName relation, boolean cascade) implements Step {
        String sql(boolean withCascade) {
            return "drop " + kind + relation.quoted() + (withCascade ? " cascade" : "");
        }
    }

    /**
     * Renames an index built on the new {@code table} as {@code tmp} to {@code name} once the old table (and its indexes) is
     * gone; when another relation of the schema has that name (another model's index), to the first of
     * {@code <base>_idx1}, {@code <base>_idx2}, … that is free and none of the table's other index names
     * ({@code planned}), as PostgreSQL names an index it names itself.
     */
    record RenameIndex(TableName table, String tmp, String name, String base, List<String> planned) implements Step {
        String sql(String to) {
            return "alter index " + table.withName(tmp).quoted() + " rename to " + Identifiers.quote(to);
        }

        /** The names to try, in order: {@code name}, then the numbered ones. */
        String candidate(int n) {
            if (n == 0) {
                return name;
            }
            return suffixed(base, "_idx" + n);
        }
    }

    /** {@code t."a" = s."a" and t."b" = s."b"}: a target row {@code t} matching a staged row {@code s} by key. */
    private static String keyMatch(List<String> key) {
        return keyMatch(key, "t", "s");
    }

    /** {@code dest.k = src.k} for each key column, joined by {@code and}. */
    private static String keyMatch(List<String> key, String dest, String src) {
        StringBuilder match = new StringBuilder();
        for (String k : key) {
            match.append(match.length() == 0 ? "" : " and ").append(dest).append(".").append(Identifiers.quote(k))
                    .append(" = ").append(src).append(".").append(Identifiers.quote(k));
        }
        return match.toString();
    }

    /** What the catalog says about a model's relation. */
    record Existing(char kind, List<String> columns, List<String> types) {
        boolean isView() {
            return kind == 'v';
        }

        /** The type ({@code format_type}) of {@code column}, when the relation has it. */
        Optional<String> typeOf(String column) {
            int i = columns.indexOf(column);
            return i < 0 ? Optional.empty() : Optional.of(types.get(i));
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

    /**
     * The names of a table's configured indexes, as PostgreSQL would choose them: {@code <table>_<columns>_idx},
     * numbered from 1 when two would share one, cut to fit 63 bytes.
     */
    static List<String> indexNames(TableName t, List<ModelSpec.Index> indexes) {
        List<String> names = new ArrayList<>();
        for (ModelSpec.Index index : indexes) {
            String base = indexBase(t, index);
            String name = suffixed(base, "_idx");
            for (int n = 1; names.contains(name); n++) {
                name = suffixed(base, "_idx" + n);
            }
            names.add(name);
        }
        return names;
    }

    /** {@code <table>_<columns>}: an index's name without its {@code _idx} label. */
    static String indexBase(TableName t, ModelSpec.Index index) {
        return t.name() + "_" + String.join("_", index.columns());
    }

    /**
     * The names {@code indexNames} have while built on the new table, before the swap: {@code <name>__mds_tmp}, cut
     * to fit 63 bytes, numbered from 1 when that is another's or the new or old table's name while swapped (a cut
     * name of a long table's index is its table's name cut the same way).
     */
    static List<String> tmpIndexNames(TableName t, List<String> indexNames) {
        Set<String> taken = new HashSet<>(List.of(suffixed(t.name(), "__mds_tmp"), suffixed(t.name(), "__mds_backup")));
        List<String> names = new ArrayList<>();
        for (String index : indexNames) {
            String name = suffixed(index, "__mds_tmp");
            for (int n = 1; taken.contains(name); n++) {
                name = suffixed(index, "__mds_tmp" + n);
            }
            taken.add(name);
            names.add(name);
        }
        return names;
    }

    /**
     * The transaction-scoped advisory lock a model's build takes first, on its relation's name: two runs building
     * the same relation at once (two schedulers, a retry) take turns, and the second reads what the first committed
     * (the relation it created, its columns) before deciding how to build, instead of both building it anew and the
     * second failing at its rename with "relation already exists".
     */
    static String modelLock(TableName t) {
        return "select pg_advisory_xact_lock(hashtextextended(" + Identifiers.literal("mds.model " + t.quoted()) + ", 0))";
    }

    private static final Pattern BOUNDED_VARCHAR = Pattern.compile(
            "character varying\\((\\d+)\\)");

    /**
     * dbt's expand_target_column_types: the type a table's column of {@code tableType} takes so that new rows'
     * values of {@code newType} fit, when it is a {@code character varying(n)} and they are a longer
     * {@code character varying(m)}, an unbounded {@code character varying} or {@code text} (dbt would make a
     * {@code text} value {@code varchar(256)}); else empty. Types as {@code format_type} prints them.
     */
    static Optional<String> widerString(String tableType, String newType) {
        Matcher table = BOUNDED_VARCHAR.matcher(tableType);
        if (!table.matches()) {
            return Optional.empty();
        }
        if (newType.equals("text") || newType.equals("character varying")) {
            return Optional.of(newType);
        }
        Matcher wider = BOUNDED_VARCHAR.matcher(newType);
        return wider.matches() && Long.parseLong(wider.group(1)) > Long.parseLong(table.group(1)) ? Optional.of(newType)
                : Optional.empty();
    }

    static String stageName(ModelSpec m) {
        return suffixed(m.table().name(), "__mds_stage");
    }

    /**
     * Whether this build replaces the relation by a swap (view, table, incremental first or full build); a snapshot
     * never does.
     */
    static boolean swaps(ModelSpec m, Optional<Existing> existing, boolean fullRefresh) {
        if (m.materialization() == Materialization.SNAPSHOT) {
            return false;
        }
        return m.materialization() != Materialization.INCREMENTAL || existing.isEmpty() || fullRefresh
                || existing.get().isView();
    }

    /**
     * The steps; {@code cascade} drops the old relation's dependents (models rebuilt later, and the views
     * {@link KeepViews} keeps).
     */
    static List<Step> steps(ModelSpec m, Optional<Existing> existing, boolean fullRefresh, boolean cascade) {
        List<Step> steps = new ArrayList<>();
        // hooks with transaction false run outside these steps' transaction: Runner runs them before and after it
        m.preHooks().stream().filter(ModelSpec.Hook::transaction).forEach(h -> steps.add(new Hook("pre_hook", h.sql())));
        steps.addAll(buildSteps(m, existing, fullRefresh, cascade));
        m.postHooks().stream().filter(ModelSpec.Hook::transaction).forEach(h -> steps.add(new Hook("post_hook", h.sql())));
        if (!m.grants().isEmpty()) {
            steps.add(new ApplyGrants(m.table()));
        }
        return steps;
    }

    /** The steps building the model, without its hooks. */
    private static List<Step> buildSteps(ModelSpec m, Optional<Existing> existing, boolean fullRefresh, boolean cascade) {
        TableName t = m.table();
        List<Step> steps = new ArrayList<>();
        if (m.materialization() == Materialization.SNAPSHOT) {
            return snapshotSteps(m, existing);
        }
        if (swaps(m, existing, fullRefresh)) {
            boolean view = m.materialization() == Materialization.VIEW;
            Template.Rendered body = m.render(false);
            TableName tmp = t.withName(suffixed(t.name(), "__mds_tmp"));
            TableName backup = t.withName(suffixed(t.name(), "__mds_backup"));
            String head = "create " + (view ? "view " : "table ") + tmp.quoted() + " as\n";
            steps.add(new Exec(head + body.sql(), head.length(), body, !view));
            if (m.materialization() == Materialization.INCREMENTAL && !m.uniqueKey().isEmpty()) {
                steps.add(new CheckKey(tmp));
            }
            // built on the new table under a temporary name (the old table's indexes hold the final ones until it is
            // dropped), then renamed once the swap is done
            List<String> indexNames = indexNames(t, m.indexes());
            List<String> tmpIndexNames = tmpIndexNames(t, indexNames);
            for (int i = 0; i < m.indexes().size(); i++) {
                ModelSpec.Index index = m.indexes().get(i);
                steps.add(new Exec("create " + (index.unique() ? "unique " : "") + "index "
                        + Identifiers.quote(tmpIndexNames.get(i)) + " on " + tmp.quoted()
                        + (index.type() == null ? "" : " using " + index.type()) + " (" + Identifiers.quoteAll(index.columns())
                        + ")", -1, null, false));
            }
            if (existing.isPresent()) {
                String kind = existing.get().isView() ? "view " : "table ";
                steps.add(new KeepViews(t));
                steps.add(new Exec("alter " + kind + t.quoted() + " rename to " + Identifiers.quote(backup.name()),
                        -1, null, false));
                steps.add(new CheckDependents(backup));
                steps.add(new Exec("alter " + (view ? "view " : "table ") + tmp.quoted() + " rename to "
                        + Identifiers.quote(t.name()), -1, null, false));
                steps.add(new CarryOver(backup, t));
                steps.add(new DropOld(kind, backup, cascade));
                steps.add(new RecreateViews());
            } else {
                steps.add(new Exec("alter " + (view ? "view " : "table ") + tmp.quoted() + " rename to "
                        + Identifiers.quote(t.name()), -1, null, false));
                steps.add(new CarryOverDropped(t));
            }
            for (int i = 0; i < indexNames.size(); i++) {
                steps.add(new RenameIndex(t, tmpIndexNames.get(i), indexNames.get(i),
                        indexBase(t, m.indexes().get(i)), indexNames));
            }
            return steps;
        }
        // runs of the same model take turns, so a second run's delete sees the rows the first one inserted
        steps.add(new Exec("lock table " + t.quoted() + " in share row exclusive mode", -1, null, false));
        Template.Rendered body = m.render(true);
        String stage = Identifiers.quote("pg_temp", stageName(m));
        String head = "create temporary table " + stage + " on commit drop as\n";
        steps.add(new Exec(head + body.sql(), head.length(), body, false));
        List<String> columns = existing.get().columns();
        steps.add(new CheckStage(stageName(m), columns, existing.get().types()));
        steps.add(new Write(t, stageName(m), m.uniqueKey(), m.strategy(), m.mergeColumns(), columns,
                m.incrementalPredicates()));
        return steps;
    }

    /**
     * Whether loading a seed replaces its table by a swap: with fullRefresh (dbt's --full-refresh drops and creates
     * it), when there is none yet, or it is a view, or its columns or their types differ from the file's (else its
     * rows are replaced: truncate, then copy).
     */
    static boolean seedSwaps(Optional<Existing> existing, Seeds.Table table, boolean fullRefresh) {
        if (fullRefresh || existing.isEmpty() || existing.get().isView() || !existing.get().columns().equals(table.columns())) {
            return true;
        }
        for (int i = 0; i < table.types().size(); i++) {
            if (!Seeds.formatType(table.types().get(i)).equals(existing.get().types().get(i))) {
                return true;
            }
        }
        return false;
    }

    /**
     * A seed's steps: truncate and copy when its table's columns are unchanged, else a new table created, loaded and
     * swapped in as a table model's is (its dependents handled the same way).
     */
    static List<Step> seedSteps(ModelSpec m, Optional<Existing> existing, Seeds.Table table, boolean fullRefresh,
            boolean cascade) {
        TableName t = m.table();
        List<Step> steps = new ArrayList<>();
        if (!seedSwaps(existing, table, fullRefresh)) {
            steps.add(new Exec("truncate table " + t.quoted(), -1, null, false));
            steps.add(new LoadSeed(t, table));
            return steps;
        }
        TableName tmp = t.withName(suffixed(t.name(), "__mds_tmp"));
        TableName backup = t.withName(suffixed(t.name(), "__mds_backup"));
        steps.add(new Exec("create table " + tmp.quoted() + " " + table.definition(), -1, null, false));
        steps.add(new LoadSeed(tmp, table));
        if (existing.isPresent()) {
            String kind = existing.get().isView() ? "view " : "table ";
            steps.add(new KeepViews(t));
            steps.add(new Exec("alter " + kind + t.quoted() + " rename to " + Identifiers.quote(backup.name()), -1, null,
                    false));
            steps.add(new CheckDependents(backup));
            steps.add(new Exec("alter table " + tmp.quoted() + " rename to " + Identifiers.quote(t.name()), -1, null, false));
            steps.add(new CarryOver(backup, t));
            steps.add(new DropOld(kind, backup, cascade));
            steps.add(new RecreateViews());
        } else {
            steps.add(new Exec("alter table " + tmp.quoted() + " rename to " + Identifiers.quote(t.name()), -1, null, false));
            steps.add(new CarryOverDropped(t));
        }
        return steps;
    }

    /** A snapshot's steps: its query staged, checked, then written; fullRefresh does not apply. */
    private static List<Step> snapshotSteps(ModelSpec m, Optional<Existing> existing) {
        TableName t = m.table();
        if (existing.isPresent() && existing.get().isView()) {
            throw new TransformException(t + " is a view: a snapshot keeps its versions in a table (drop the view, or"
                    + " give the snapshot another name)");
        }
        if (existing.isPresent() && !existing.get().columns().containsAll(WriteSnapshot.META.subList(0, 4))) {
            List<String> lacking = new ArrayList<>(WriteSnapshot.META.subList(0, 4));
            lacking.removeAll(existing.get().columns());
            throw new TransformException(t + " exists but is not a snapshot: it lacks " + String.join(", ", lacking)
                    + " (drop it, or give the snapshot another name; a snapshot's history exists only in its table)");
        }
        List<Step> steps = new ArrayList<>();
        if (existing.isPresent()) {
            steps.add(new Exec("lock table " + t.quoted() + " in share row exclusive mode", -1, null, false));
        }
        Template.Rendered body = m.render(false);
        String head = "create temporary table " + Identifiers.quote("pg_temp", stageName(m)) + " on commit drop as\n";
        steps.add(new Exec(head + body.sql(), head.length(), body, false));
        steps.add(new CheckSnapshot(stageName(m)));
        steps.add(new WriteSnapshot(t, stageName(m), m.uniqueKey(), m.snapshot(), existing));
        return steps;
    }
}
