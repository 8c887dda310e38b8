package dev.mds.transform.internal;

import dev.mds.core.TableName;
import dev.mds.transform.Materialization;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * One parsed and resolved model.
 *
 * @param table the model's relation
 * @param source where it was read from: a file, or {@code model x.y} for a model given in code
 * @param template its parsed SQL
 * @param materialization from config(), view by default
 * @param uniqueKey config(unique_key=...), empty for none
 * @param strategy config(incremental_strategy=...) of an incremental model: delete+insert with a unique_key,
 *     append without one, by default
 * @param onSchemaChange config(on_schema_change=...) of an incremental model, fail by default
 * @param mergeColumns config(merge_update_columns=...) or config(merge_exclude_columns=...) of a merge
 * @param snapshot the snapshot configs of a snapshot model, null for every other model
 * @param preHooks config(pre_hook=...): statements run before the model is built, in its transaction unless a hook
 *     dict says {@code 'transaction': false} (then before the transaction begins)
 * @param postHooks config(post_hook=...): statements run once the model is built, in its transaction unless a hook
 *     dict says {@code 'transaction': false} (then after it commits)
 * @param indexes config(indexes=[...]) of a table or incremental model (dbt-postgres): created on the table when
 *     it is built anew
 * @param grants config(grants={...}) merged over the project's {@code grants(...)}: privilege (lower case) to the
 *     roles that are to hold it, in order; empty when neither sets any, so the relation's grants are left as they are
 * @param tagValues every ref(), source() and var() of the template to the text it renders as
 * @param parents the models it needs built first: those it refers to, the ephemeral ones replaced by the models
 *     they refer to (recursively)
 * @param ctes the ephemeral models its ref()s inline, recursively, in dependency order, each once
 * @param seed for a seed, its file and column types; null for a model
 * @param tags config(tags=...): its tags as written, each once, in the order first written; empty for none
 * @param file the file it was read from ({@code modelsFrom} or {@code seedsFrom}); null for a model given in code
 */
public record ModelSpec(TableName table, String source, Template template, Materialization materialization,
        List<String> uniqueKey, Strategy strategy, OnSchemaChange onSchemaChange, MergeColumns mergeColumns,
        SnapshotConfig snapshot, List<Hook> preHooks, List<Hook> postHooks, List<Index> indexes,
        Map<String, List<String>> grants, Map<Template.Tag, String> tagValues,
        Set<TableName> parents, List<Template.Cte> ctes, SeedSpec seed, List<String> tags, ModelFile file) {

    public ModelSpec {
        preHooks = List.copyOf(preHooks);
        postHooks = List.copyOf(postHooks);
        ctes = List.copyOf(ctes);
        indexes = List.copyOf(indexes);
        tags = List.copyOf(tags);
        Map<String, List<String>> ordered = new java.util.LinkedHashMap<>();
        grants.forEach((privilege, roles) -> ordered.put(privilege, List.copyOf(roles)));
        grants = java.util.Collections.unmodifiableMap(ordered);
    }

    /**
     * The file a model or seed was read from.
     *
     * @param directory the directory given to {@code modelsFrom} or {@code seedsFrom}, as given
     * @param path the file, as found below it ({@code directory.resolve(relative path)})
     */
    public record ModelFile(Path directory, Path path) {
        /** Its path relative to {@code directory}: {@code silver/transactions.sql}. */
        public Path relative() {
            return directory.relativize(path);
        }
    }

    /**
     * One of dbt-postgres' {@code indexes}: {@code {'columns': [...], 'unique': True, 'type': 'hash'}}.
     *
     * @param type the access method ({@code btree}, {@code hash}, {@code gin}, …), null for the default
     */
    public record Index(List<String> columns, boolean unique, String type) {
        public Index {
            columns = List.copyOf(columns);
        }
    }

    /** Its SQL, rendered with {@code is_incremental()} as given, the ephemeral models it refers to inlined. */
    public Template.Rendered render(boolean incremental) {
        return template.render(incremental, table, tagValues::get).withCtes(ctes);
    }

    /** This model with {@code more} tag values (a run's dbt_utils.star() columns) added to its own. */
    public ModelSpec withTagValues(Map<Template.Tag, String> more) {
        if (more.isEmpty()) {
            return this;
        }
        Map<Template.Tag, String> values = new java.util.HashMap<>(tagValues);
        values.putAll(more);
        return new ModelSpec(table, source, template, materialization, uniqueKey, strategy, onSchemaChange, mergeColumns,
                snapshot, preHooks, postHooks, indexes, grants, Map.copyOf(values), parents, ctes, seed, tags, file);
    }

    /**
     * This model with its unique_key, updated_at, check_cols, merge_update_columns and merge_exclude_columns as
     * PostgreSQL resolves them against {@code columns} (dbt writes them into its SQL unquoted, or, merge_exclude_columns,
     * compares them ignoring case): see {@link #resolveColumn} and, for merge_exclude_columns, {@link #excludedColumns}.
     */
    public ModelSpec withNamesResolved(List<String> columns) {
        return withNames(name -> resolveColumn(name, columns), name -> excludedColumns(name, columns));
    }

    /** This model with the names {@link #withNamesResolved} resolves as {@link #foldUnquoted} folds them. */
    public ModelSpec withNamesFolded() {
        return withNames(ModelSpec::foldUnquoted, name -> List.of(foldUnquoted(name)));
    }

    /**
     * The columns of {@code columns} that {@code name}, of merge_exclude_columns, excludes: as dbt's
     * default__get_merge_update_columns compares them ({@code column.column | lower not in merge_exclude_columns |
     * map("lower")}), every column equal to it ignoring case ({@code first_seen} excludes {@code "First_Seen"} too);
     * {@code name} itself when none is (which the caller then refuses).
     */
    static List<String> excludedColumns(String name, List<String> columns) {
        String lower = name.toLowerCase(Locale.ROOT);
        List<String> matched = columns.stream().filter(c -> c.toLowerCase(Locale.ROOT).equals(lower)).toList();
        return matched.isEmpty() ? List.of(name) : matched;
    }

    private ModelSpec withNames(java.util.function.UnaryOperator<String> resolve,
            java.util.function.Function<String, List<String>> resolveExcluded) {
        List<String> key = uniqueKey.stream().map(resolve).distinct().toList();
        SnapshotConfig s = snapshot == null ? null : new SnapshotConfig(snapshot.check(),
                snapshot.updatedAt() == null ? null : resolve.apply(snapshot.updatedAt()),
                snapshot.checkCols().stream().map(resolve).distinct().toList(), snapshot.hardDeletes(),
                snapshot.validToCurrent());
        // merge_update_columns are written into dbt's SQL unquoted; merge_exclude_columns are compared ignoring case
        MergeColumns merge = new MergeColumns(mergeColumns.update().stream().map(resolve).distinct().toList(),
                mergeColumns.exclude().stream().flatMap(name -> resolveExcluded.apply(name).stream()).distinct()
                        .toList());
        return new ModelSpec(table, source, template, materialization, key, strategy, onSchemaChange, merge,
                s, preHooks, postHooks, indexes, grants, tagValues, parents, ctes, seed, tags, file);
    }

    /**
     * The column of {@code columns} that {@code name}, a config name dbt writes into its SQL unquoted (unique_key,
     * updated_at, check_cols, merge_update_columns; merge_exclude_columns too), stands for: {@code name} itself when a
     * column has exactly that name, else its {@linkplain #foldUnquoted folded} form when a column has that name
     * ({@code ID} is {@code id}), else {@code name} (which the caller then refuses).
     */
    public static String resolveColumn(String name, List<String> columns) {
        if (columns.contains(name)) {
            return name;
        }
        String folded = foldUnquoted(name);
        return columns.contains(folded) ? folded : name;
    }

    /**
     * {@code name} as PostgreSQL reads it unquoted: when it is {@linkplain #isUnquotedIdentifier a valid unquoted
     * identifier}, with its ASCII letters in lower case, as the server folds them in UTF-8 (others stay as written:
     * {@code ÉMILE} reads as {@code Émile}); else {@code name} unchanged.
     */
    public static String foldUnquoted(String name) {
        if (!isUnquotedIdentifier(name)) {
            return name;
        }
        StringBuilder folded = new StringBuilder(name.length());
        for (int i = 0; i < name.length(); i++) {
            char ch = name.charAt(i);
            folded.append(ch >= 'A' && ch <= 'Z' ? (char) (ch + ('a' - 'A')) : ch);
        }
        return folded.toString();
    }

    /**
     * Whether {@code key}, a unique_key name resolved against {@code columns}, is an SQL expression (dbt's older
     * {@code unique_key="id || '-' || region"}, which dbt writes into its SQL as it is): no column has that name and it
     * cannot be an unquoted one.
     */
    public static boolean isKeyExpression(String key, List<String> columns) {
        return !columns.contains(key) && !isUnquotedIdentifier(key);
    }

    /**
     * {@code key} as the SQL evaluating it on a row of {@code columns}: the quoted column, or an
     * {@linkplain #isKeyExpression expression} in parentheses.
     */
    public static String keySql(String key, List<String> columns) {
        return isKeyExpression(key, columns) ? "(" + key + ")" : dev.mds.core.Identifiers.quote(key);
    }

    /**
     * Whether {@code name} can be written unquoted in SQL: a letter, {@code _} or a character beyond ASCII, then
     * those, digits or {@code $} (as PostgreSQL's scanner reads an identifier; key words not considered).
     */
    public static boolean isUnquotedIdentifier(String name) {
        if (name.isEmpty()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char ch = name.charAt(i);
            boolean start = ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch == '_' || ch >= 0x80;
            if (!start && (i == 0 || !(ch >= '0' && ch <= '9' || ch == '$'))) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether this run rebuilds it as a full refresh would: its config(full_refresh=...) when set, else the run's
     * {@code fullRefresh} (dbt's should_full_refresh()). Only an incremental model (and a seed) builds differently.
     */
    public boolean fullRefresh(boolean requested) {
        Template.Setting setting = template.config().get("full_refresh");
        return setting == null ? requested : (Boolean) setting.value();
    }

    /**
     * Its config(incremental_predicates=[...]), or dbt's older name config(predicates=[...]) (checked at build()),
     * each stripped: SQL conditions that narrow an
     * incremental run's delete or merge, as in dbt; empty when not set.
     */
    public List<String> incrementalPredicates() {
        // dbt: config.get('predicates', none) or config.get('incremental_predicates', none); build() refuses both set
        Template.Setting setting = template.config().get("predicates");
        setting = setting != null ? setting : template.config().get("incremental_predicates");
        return setting == null ? List.of()
                : ((List<?>) setting.value()).stream().map(p -> ((String) p).strip()).toList();
    }

    /** Whether it is ephemeral: never built, inlined as a CTE wherever it is referred to. */
    public boolean ephemeral() {
        return materialization == Materialization.EPHEMERAL;
    }

    /**
     * A seed's CSV file and the types set for some of its columns (column name to type, as {@code create table}
     * writes it); the others are inferred.
     */
    public record SeedSpec(Path file, Map<String, String> columnTypes) {
        public SeedSpec {
            columnTypes = Map.copyOf(columnTypes);
        }
    }

    /**
     * Which columns a merge updates in the rows it matches: every non-key column (the default), only {@code update},
     * or all but {@code exclude} (dbt's merge_update_columns and merge_exclude_columns; at most one is set).
     */
    public record MergeColumns(List<String> update, List<String> exclude) {
        /** Every non-key column. */
        public static final MergeColumns ALL = new MergeColumns(List.of(), List.of());

        public MergeColumns {
            update = List.copyOf(update);
            exclude = List.copyOf(exclude);
        }

        /** Of {@code written} (the columns written, keys excluded), those a match updates. */
        public List<String> updated(List<String> written) {
            return written.stream().filter(c -> update.isEmpty() || update.contains(c))
                    .filter(c -> !exclude.contains(c)).toList();
        }
    }

    /**
     * How a snapshot model (dbt's snapshots: a type 2 slowly changing dimension) finds changed rows.
     *
     * @param check true for strategy='check' (compare {@code checkCols}), false for strategy='timestamp' (a newer
     *     {@code updatedAt} is a change)
     * @param updatedAt config(updated_at=...): the column dating a version; required with timestamp, optional with
     *     check (the run's time by default); null when not set
     * @param checkCols config(check_cols=[...]) of the check strategy; empty for check_cols='all' and for timestamp
     * @param hardDeletes config(hard_deletes=...), what a key missing from the query does
     * @param validToCurrent config(dbt_valid_to_current=...): the SQL expression a current version's dbt_valid_to
     *     holds (dbt 1.9), null for NULL
     */
    public record SnapshotConfig(boolean check, String updatedAt, List<String> checkCols, HardDeletes hardDeletes,
            String validToCurrent) {
        public SnapshotConfig {
            checkCols = List.copyOf(checkCols);
        }
    }

    /**
     * A statement of config(pre_hook=...) or config(post_hook=...), as dbt's Hook: {@code transaction} false (a hook
     * dict's {@code 'transaction': false}, dbt's before_begin/after_commit) runs it outside the model's transaction,
     * before it begins (pre_hook) or after it commits (post_hook), on the model's connection.
     */
    public record Hook(String sql, boolean transaction) {
    }

    /** What a snapshot does with a key that its query no longer returns (dbt's hard_deletes). */
    public enum HardDeletes {
        /** Nothing: the key's current version stays current. */
        IGNORE,
        /** Its current version ends (dbt_valid_to is set to the run's time). */
        INVALIDATE,
        /** Its current version ends and a new one with dbt_is_deleted = 'True' starts. */
        NEW_RECORD;

        /** As written in config(hard_deletes=...). */
        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** How an incremental run writes its new rows into the table. */
    public enum Strategy {
        /** Insert them all. */
        APPEND("append"),
        /** Delete the table's rows with the new rows' unique_key, then insert the new rows (dbt-postgres's default). */
        DELETE_INSERT("delete+insert"),
        /** {@code MERGE}: update the rows with a matching unique_key in place, insert the others. */
        MERGE("merge");

        private final String configName;

        Strategy(String configName) {
            this.configName = configName;
        }

        /** As written in config(incremental_strategy=...). */
        public String configName() {
            return configName;
        }
    }

    /** What an incremental run does when the new rows' columns differ from the table's (dbt's on_schema_change). */
    public enum OnSchemaChange {
        /**
         * Refuse the run, naming the columns; the table is unchanged. A {@code varchar(n)} whose new rows are longer
         * is no change: every policy widens it first (dbt's expand_target_column_types).
         */
        FAIL,
        /** Write the columns both have; a column the new rows lack is NULL in them, one the table lacks is dropped. */
        IGNORE,
        /** Add the new rows' extra columns to the table (in the same transaction), then write as {@link #IGNORE}. */
        APPEND_NEW_COLUMNS,
        /**
         * Make the table's columns the new rows': add the extra ones, drop the missing ones, change the types that
         * differ (converting the stored values with a cast), all in the run's transaction.
         */
        SYNC_ALL_COLUMNS;

        /** As written in config(on_schema_change=...). */
        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The name as written in ref(). */
    public String name() {
        return table.toString();
    }
}
