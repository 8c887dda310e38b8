package dev.mds.transform.internal;

import dev.mds.core.BadInputException;
import dev.mds.core.Identifiers;
import dev.mds.core.InputLocation;
import dev.mds.core.TableName;
import dev.mds.transform.Materialization;
import dev.mds.transform.TransformException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses models, resolves their ref()s, source()s and var()s and orders them: the work of {@code TransformProject.build()}. */
public final class ProjectModels {
    private static final List<String> CONFIG_KEYS = List.of("enabled", "materialized", "unique_key", "incremental_strategy",
            "on_schema_change", "merge_update_columns", "merge_exclude_columns", "strategy", "updated_at", "check_cols",
            "hard_deletes", "invalidate_hard_deletes", "dbt_valid_to_current", "pre_hook", "post_hook", "indexes", "tags",
            "grants", "schema", "alias", "meta", "docs", "persist_docs", "contract", "access", "group", "full_refresh",
            "incremental_predicates", "predicates");
    private static final Pattern THIS = Pattern.compile("\\{\\{-?\\s*this(?:\\.(schema|identifier|name|table))?\\s*-?}}");
    private static final List<String> SNAPSHOT_KEYS = List.of("strategy", "updated_at", "check_cols", "hard_deletes",
            "invalidate_hard_deletes", "dbt_valid_to_current");

    /**
     * A model's text before parsing, or a seed's file ({@code seed} non-null, {@code sql} empty); {@code file} is
     * where it was read from, null for a model given in code.
     */
    public record Source(TableName table, String source, String sql, ModelSpec.SeedSpec seed, ModelSpec.ModelFile file) {
        /** A model given in code. */
        public Source(TableName table, String source, String sql) {
            this(table, source, sql, null, null);
        }
    }

    /** A source() tag's two names, as written: either may hold a dot. */
    public record SourceTable(String source, String table) {
    }

    /**
     * What source() and var() resolve to.
     *
     * @param sourceTables a source and table (as written in source()) to the relation declared for it
     * @param sourceSchemas source name to the schema that holds all its tables
     * @param vars variable name to its value, rendered as written
     * @param grants the project's grants(...): privilege (lower case) to roles, for every model that is built
     * @param macros the macros of the macros directory by name, callable in every model
     * @param target dbt's {@code target.name}
     */
    public record Declarations(Map<SourceTable, TableName> sourceTables, Map<String, String> sourceSchemas,
            Map<String, String> vars, Map<String, List<String>> grants, Map<String, Template.Macro> macros,
            String target) {
        public Declarations {
            macros = Map.copyOf(macros);
            sourceTables = Map.copyOf(sourceTables);
            sourceSchemas = Map.copyOf(sourceSchemas);
            vars = Map.copyOf(vars);
            grants = Collections.unmodifiableMap(new LinkedHashMap<>(grants));
        }
    }

    private final List<ModelSpec> ordered;
    private final Map<TableName, Set<TableName>> descendants;
    private final Map<TableName, Set<TableName>> refParents;
    private final Map<TableName, Set<TableName>> refChildren;
    private final List<TableName> disabled;
    private final Map<TableName, TableName> relations;

    private ProjectModels(List<ModelSpec> ordered, Map<TableName, Set<TableName>> descendants,
            Map<TableName, Set<TableName>> refParents, List<TableName> disabled, Map<TableName, TableName> relations) {
        this.ordered = ordered;
        this.descendants = descendants;
        this.refParents = refParents;
        this.disabled = disabled;
        this.relations = relations;
        Map<TableName, Set<TableName>> children = new HashMap<>();
        refParents.forEach((child, parents) -> parents.forEach(p -> children.computeIfAbsent(p, k -> new LinkedHashSet<>())
                .add(child)));
        this.refChildren = children;
    }

    /** The keys config() takes. */
    public static List<String> configKeys() {
        return CONFIG_KEYS;
    }

    /** The models left out by {@code config(enabled=false)}, in name order. */
    public List<TableName> disabled() {
        return disabled;
    }

    /**
     * The enabled models' and seeds' own names (a file's {@code schema.name}, or the name given in code) to the relations
     * they are built as: the same but for a model with dbt's {@code schema} or {@code alias} config.
     */
    public Map<TableName, TableName> relations() {
        return relations;
    }

    /** The models, every model after the models it refers to; ties in name order. */
    public List<ModelSpec> ordered() {
        return ordered;
    }

    /** The models that depend on {@code table}, directly or not. */
    public Set<TableName> descendants(TableName table) {
        return descendants.getOrDefault(table, Set.of());
    }

    /**
     * The models and seeds {@code table} ref()s, as written: an ephemeral model it refers to is one of them (not the
     * models that one refers to), so graph distances count ephemeral models as dbt's do.
     */
    public Set<TableName> refParents(TableName table) {
        return refParents.getOrDefault(table, Set.of());
    }

    /** The models whose ref()s name {@code table}: the other direction of {@link #refParents}. */
    public Set<TableName> refChildren(TableName table) {
        return refChildren.getOrDefault(table, Set.of());
    }

    /**
     * Parses and resolves the models.
     *
     * @throws BadInputException for a bad tag, config, ref, source or var, naming the source and line
     * @throws TransformException for a cycle, naming it
     */
    public static ProjectModels resolve(List<Source> sources, Declarations declared) {
        Template.check(declared.macros(), declared.target(), declared.vars().keySet());
        Map<TableName, Source> byName = new TreeMap<>((a, b) -> a.toString().compareTo(b.toString()));
        for (Source s : sources) {
            Source prior = byName.put(s.table(), s);
            if (prior != null) {
                throw new BadInputException(InputLocation.of(s.source()), (s.seed() != null ? "seed " : "model ")
                        + s.table() + " is defined twice (also in " + prior.source() + ")");
            }
        }
        // dbt's enabled=false: the model is left out of the project, and a ref() to it is refused
        Map<TableName, Template> templates = new HashMap<>();
        Map<TableName, Source> disabled = new TreeMap<>((a, b) -> a.toString().compareTo(b.toString()));
        for (Source s : byName.values()) {
            if (s.seed() == null) {
                Template t = Template.parse(s.source(), s.sql(), declared.macros(), declared.target(),
                        declared.vars().keySet());
                checkConfig(s, t);
                Template.Setting enabled = t.config().get("enabled");
                if (enabled != null && Boolean.FALSE.equals(enabled.value())) {
                    disabled.put(s.table(), s);
                } else {
                    templates.put(s.table(), t);
                }
            }
        }
        disabled.keySet().forEach(byName::remove);
        Map<TableName, TableName> relations = relations(byName, templates);
        Map<TableName, ModelSpec> specs = new LinkedHashMap<>();
        for (Source named : byName.values()) {
            // from here on a model is its relation: ref()s to it, {{ this }}, its hooks, the order and the results
            TableName relation = relations.get(named.table());
            Source s = relation.equals(named.table()) ? named
                    : new Source(relation, named.source(), named.sql(), named.seed(), named.file());
            if (s.seed() != null) {
                specs.put(s.table(), seed(s));
                continue;
            }
            Template t = templates.get(named.table());
            Materialization m = materialization(s, t);
            List<String> key = uniqueKey(s, t, m);
            Map<Template.Tag, String> values = new HashMap<>();
            Set<TableName> parents = new LinkedHashSet<>();
            for (Template.Tag tag : t.tags()) {
                if (tag instanceof Template.Ref r) {
                    TableName target = relations.get(target(s, r, byName.keySet(), disabled.keySet()));
                    values.put(r, target.quoted());
                    parents.add(target);
                } else if (tag instanceof Template.SourceRef r) {
                    values.put(r, source(s, r, declared).quoted());
                } else if (tag instanceof Template.Var v) {
                    values.put(v, var(s, v, declared));
                }
            }
            ModelSpec.Strategy strategy = strategy(s, t, m, key);
            ModelSpec.OnSchemaChange onSchemaChange = onSchemaChange(s, t, m);
            ModelSpec.MergeColumns mergeColumns = mergeColumns(s, t, strategy, key);
            checkPredicates(s, t, m, strategy);
            ModelSpec.SnapshotConfig snapshot = snapshot(s, t, m, key);
            refuseSecondStatement(s, t, values);
            List<ModelSpec.Hook> preHooks = hooks(s, t, "pre_hook");
            List<ModelSpec.Hook> postHooks = hooks(s, t, "post_hook");
            if (m == Materialization.EPHEMERAL) {
                refuseForEphemeral(s, t);
            }
            List<ModelSpec.Index> indexes = indexes(s, t, m);
            specs.put(s.table(), new ModelSpec(s.table(), s.source(), t, m, key, strategy, onSchemaChange, mergeColumns,
                    snapshot, preHooks, postHooks, indexes, m == Materialization.EPHEMERAL ? Map.of() : grants(s, t, declared),
                    Map.copyOf(values), Collections.unmodifiableSet(parents), List.of(), null, tags(s, t), s.file()));
        }
        List<ModelSpec> direct = order(specs);
        List<ModelSpec> ordered = inlineEphemerals(direct);
        Map<TableName, Set<TableName>> descendants = new HashMap<>();
        for (int i = ordered.size() - 1; i >= 0; i--) {
            Set<TableName> edges = new LinkedHashSet<>(direct.get(i).parents());
            edges.addAll(ordered.get(i).parents());
            for (TableName p : edges) {
                Set<TableName> d = descendants.computeIfAbsent(p, k -> new HashSet<>());
                d.add(ordered.get(i).table());
                d.addAll(descendants.getOrDefault(ordered.get(i).table(), Set.of()));
            }
        }
        Map<TableName, Set<TableName>> refParents = new HashMap<>();
        direct.forEach(m -> refParents.put(m.table(), m.parents()));
        return new ProjectModels(List.copyOf(ordered), descendants, refParents, List.copyOf(disabled.keySet()),
                Collections.unmodifiableMap(relations));
    }

    /**
     * The relation each model (and seed) is built as: its own name, or with dbt's {@code config(schema='…')} and
     * {@code config(alias='…')} in place of its schema and name. Each is taken exactly as written, as a file's name is
     * (the schema as is, not appended to a target schema: mds has none, so this is the common override of dbt's
     * {@code generate_schema_name}).
     *
     * @throws BadInputException naming the file and line of a value that is not one name, or of a model built as the
     *     relation of another model or seed (naming both)
     */
    private static Map<TableName, TableName> relations(Map<TableName, Source> byName, Map<TableName, Template> templates) {
        Map<TableName, TableName> out = new LinkedHashMap<>();
        Map<TableName, Source> builtAs = new HashMap<>();
        for (Source s : byName.values()) {
            Template t = templates.get(s.table());
            Template.Setting schema = t == null ? null : t.config().get("schema");
            Template.Setting alias = t == null ? null : t.config().get("alias");
            TableName relation = s.table();
            if (schema != null || alias != null) {
                String sc = schema == null ? s.table().schema() : oneName(s, schema, "schema");
                String name = alias == null ? s.table().name() : oneName(s, alias, "alias");
                Template.Setting at = alias != null ? alias : schema;
                try {
                    relation = TableName.of(sc, name);
                } catch (IllegalArgumentException e) {
                    throw new BadInputException(InputLocation.of(s.source()).withLine(at.line()), "cannot build model "
                            + s.table() + " as " + sc + "." + name + ": " + e.getMessage());
                }
            }
            out.put(s.table(), relation);
        }
        for (Source s : byName.values()) {
            Source prior = builtAs.put(out.get(s.table()), s);
            if (prior != null) {
                Source renamed = out.get(s.table()).equals(s.table()) ? prior : s;
                Source other = renamed == s ? prior : s;
                Template t = templates.get(renamed.table());
                Template.Setting at = t.config().containsKey("alias") ? t.config().get("alias") : t.config().get("schema");
                throw new BadInputException(InputLocation.of(renamed.source()).withLine(at.line()), "model "
                        + renamed.table() + " is built as " + out.get(renamed.table()) + " (config schema/alias), which "
                        + (other.seed() != null ? "seed " : "model ") + other.table() + " (" + other.source() + ")"
                        + (out.get(other.table()).equals(other.table()) ? " is" : " is built as too"));
            }
        }
        return out;
    }

    /** A schema or alias config's value: one non-empty name. */
    private static String oneName(Source s, Template.Setting setting, String key) {
        if (!(setting.value() instanceof String v) || v.isEmpty()) {
            throw new BadInputException(InputLocation.of(s.source()).withLine(setting.line()), key + "=" + setting.value()
                    + ": the value must be one quoted, non-empty name");
        }
        return v;
    }

    /**
     * A seed: its header read (so that a bad one, or a column type set for a column it lacks, is refused now), never
     * parsed as SQL.
     */
    private static ModelSpec seed(Source s) {
        List<String> header = Seeds.header(s.seed().file());
        List<String> unknown = s.seed().columnTypes().keySet().stream().filter(c -> !header.contains(c)).sorted().toList();
        if (!unknown.isEmpty()) {
            throw new BadInputException(InputLocation.of(s.source()).withLine(1), "seedColumnTypes names column(s) "
                    + unknown + ", which the header lacks (it names " + String.join(", ", header) + ")");
        }
        return new ModelSpec(s.table(), s.source(), Template.parse(s.source(), ""), Materialization.SEED, List.of(),
                ModelSpec.Strategy.APPEND, ModelSpec.OnSchemaChange.FAIL, ModelSpec.MergeColumns.ALL, null, List.of(),
                List.of(), List.of(), Map.of(), Map.of(), Set.of(), List.of(), s.seed(), List.of(), s.file());
    }

    /** Whether {@code type} reads as a type name, for a seed's column ({@code varchar(2)}, {@code text[]}). */
    public static boolean isTypeName(String type) {
        return type != null && Seeds.isTypeName(type);
    }

    /** An ephemeral model is never built, so it has no relation for {@code {{ this }}} or hooks to act on. */
    private static void refuseForEphemeral(Source s, Template t) {
        Optional<Integer> line = t.thisLine();
        if (line.isPresent()) {
            throw new BadInputException(InputLocation.of(s.source()).withLine(line.get()), "{{ this }} in an ephemeral"
                    + " model: it is never built, so it has no relation of its own (it is inlined as a CTE where it is"
                    + " referred to); use materialized='view' or 'table'");
        }
        for (String hook : List.of("pre_hook", "post_hook")) {
            Template.Setting setting = t.config().get(hook);
            if (setting != null) {
                throw new BadInputException(InputLocation.of(s.source()).withLine(setting.line()), hook + " on an"
                        + " ephemeral model: it is never built, so its hooks would never run");
            }
        }
        Optional<Template.Star> star = t.tags().stream().filter(Template.Star.class::isInstance)
                .map(Template.Star.class::cast).findFirst();
        if (star.isPresent()) {
            throw new BadInputException(InputLocation.of(s.source()).withLine(star.get().line()), "dbt_utils.star() in"
                    + " an ephemeral model: its columns are read from the catalog when a model runs, and an ephemeral"
                    + " model is inlined before that; write the columns, or make it a view");
        }
        Template.Setting grants = t.config().get("grants");
        if (grants != null) {
            throw new BadInputException(InputLocation.of(s.source()).withLine(grants.line()), "grants on an ephemeral"
                    + " model: it is never built, so there is no relation to grant on");
        }
    }

    /**
     * Replaces every ref() to an ephemeral model by its CTE: each model gets the CTEs of the ephemeral models it
     * refers to, recursively, in dependency order and each once, and as parents the models those refer to.
     */
    private static List<ModelSpec> inlineEphemerals(List<ModelSpec> direct) {
        Map<TableName, ModelSpec> done = new HashMap<>();
        Map<TableName, Integer> position = new HashMap<>();
        Map<TableName, String> cteNames = cteNames(direct);
        List<ModelSpec> out = new ArrayList<>();
        for (ModelSpec m : direct) {
            position.put(m.table(), position.size());
            Map<Template.Tag, String> values = new HashMap<>(m.tagValues());
            Set<TableName> parents = new LinkedHashSet<>();
            Set<TableName> inlined = new HashSet<>();
            for (TableName p : m.parents()) {
                ModelSpec parent = done.get(p);
                if (!parent.ephemeral()) {
                    parents.add(p);
                    continue;
                }
                parents.addAll(parent.parents());
                inlined.add(p);
                parent.ctes().forEach(c -> inlined.add(cteOwner(c, cteNames)));
            }
            for (Map.Entry<Template.Tag, String> e : m.tagValues().entrySet()) {
                if (e.getKey() instanceof Template.Ref) {
                    cteNames.entrySet().stream().filter(n -> e.getValue().equals(n.getKey().quoted()))
                            .findFirst().ifPresent(n -> values.put(e.getKey(), n.getValue()));
                }
            }
            for (Template.Tag tag : m.template().tags()) {
                if (tag instanceof Template.Star star && !values.get(star.from()).equals(m.tagValues().get(star.from()))) {
                    throw new BadInputException(InputLocation.of(m.source()).withLine(star.line()), "dbt_utils.star() of "
                            + (star.from() instanceof Template.Ref r ? "ref('" + r.target() + "')" : star.from())
                            + ", an ephemeral model: it has no relation whose columns could be read (write"
                            + " the columns, or make it a view)");
                }
            }
            List<TableName> order = new ArrayList<>(inlined);
            order.sort((a, b) -> Integer.compare(position.get(a), position.get(b)));
            List<Template.Cte> ctes = new ArrayList<>();
            for (TableName e : order) {
                ModelSpec eph = done.get(e);
                ctes.add(new Template.Cte(cteNames.get(e), eph.template().render(false, eph.table(),
                        eph.tagValues()::get), eph.source()));
            }
            ModelSpec resolved = new ModelSpec(m.table(), m.source(), m.template(), m.materialization(), m.uniqueKey(),
                    m.strategy(), m.onSchemaChange(), m.mergeColumns(), m.snapshot(), m.preHooks(), m.postHooks(),
                    m.indexes(), m.grants(), Map.copyOf(values), Collections.unmodifiableSet(parents), ctes, m.seed(), m.tags(),
                    m.file());
            done.put(m.table(), resolved);
            out.add(resolved);
        }
        return out;
    }

    /** The ephemeral model whose CTE {@code cte} is. */
    private static TableName cteOwner(Template.Cte cte, Map<TableName, String> cteNames) {
        return cteNames.entrySet().stream().filter(e -> e.getValue().equals(cte.quotedName())).findFirst()
                .orElseThrow().getKey();
    }

    /**
     * Each ephemeral model's quoted CTE name: dbt's {@code __dbt__cte__<name>}; {@code __dbt__cte__<schema>__<name>}
     * when two ephemeral models share a name; shortened with a hash of the full name beyond PostgreSQL's 63 bytes,
     * and given that hash as well when it would still be another ephemeral model's ({@code b.x} beside {@code c.x}
     * and {@code a.b__x} would all be {@code __dbt__cte__b__x} otherwise).
     */
    private static Map<TableName, String> cteNames(List<ModelSpec> models) {
        List<TableName> ephemeral = models.stream().filter(ModelSpec::ephemeral).map(ModelSpec::table).toList();
        Map<TableName, String> names = new HashMap<>();
        for (TableName e : ephemeral) {
            boolean shared = ephemeral.stream().filter(o -> o.name().equals(e.name())).count() > 1;
            String name = "__dbt__cte__" + (shared ? e.schema() + "__" : "") + e.name();
            if (name.getBytes(StandardCharsets.UTF_8).length > Identifiers.MAX_IDENTIFIER_BYTES) {
                name = hashed(name, e);
            }
            names.put(e, name);
        }
        Map<TableName, String> quoted = new HashMap<>();
        for (TableName e : ephemeral) {
            String name = names.get(e);
            boolean taken = ephemeral.stream().anyMatch(o -> !o.equals(e) && names.get(o).equals(name));
            quoted.put(e, Identifiers.quote(taken ? hashed(name, e) : name));
        }
        return quoted;
    }

    /** {@code name} ending in a hash of the ephemeral model's full name, within PostgreSQL's 63 bytes. */
    private static String hashed(String name, TableName ephemeral) {
        return Plan.suffixed(name, "_" + String.format("%08x", ephemeral.toString().hashCode()));
    }

    /**
     * Refuses a model whose SQL (rendered either way of is_incremental()) is empty, leaves a string, quoted name or
     * comment open, or holds a second statement after a {@code ;}: it would run inside the model's build, unchecked,
     * or break the statement mds wraps around it.
     */
    private static void refuseSecondStatement(Source s, Template t, Map<Template.Tag, String> values) {
        for (boolean incremental : new boolean[] {false, true}) {
            // a star's columns and this.database are read when the model runs; any select list or name serves the
            // checks here
            Template.Rendered r = t.render(incremental, s.table(), tag -> tag instanceof Template.Star ? "*"
                    : tag instanceof Template.ThisDatabase ? "postgres" : values.get(tag));
            if (Statements.isEmpty(r.sql())) {
                // before, the build wrapped nothing and failed in PostgreSQL ('syntax error at end of input')
                throw new BadInputException(InputLocation.of(s.source()), "the model has no SQL"
                        + (incremental ? " when is_incremental() is true" : "") + ": a model is one SELECT (the file"
                        + " holds only config(), comments or white space)");
            }
            Statements.Unclosed open = Statements.unclosed(r.sql()).orElse(null);
            if (open != null) {
                // before, the run failed in the JDBC driver ("Unterminated string literal started at position 50 in SQL
                // create table ..."), naming neither file nor line
                String nest = open.what().equals("a block comment") ? " (block comments nest)" : "";
                throw new BadInputException(InputLocation.of(s.source()).withLine(r.ownLineAt(open.at())), open.what()
                        + " opened here is never closed" + nest + (incremental ? " when is_incremental() is true" : ""));
            }
            int at = Statements.secondStatement(r.sql());
            if (at >= 0) {
                throw new BadInputException(InputLocation.of(s.source()).withLine(r.ownLineAt(at)), "a ';' ends the"
                        + " model's statement here, but more SQL follows: a model is one SELECT (remove the ';', or"
                        + " move what follows into a model of its own)");
            }
        }
    }

    /**
     * A hook config's statements, {@code {{ this }}} rendered as the model's table (and {@code this.schema},
     * {@code this.identifier}, {@code this.name}, {@code this.table} as its parts, unquoted): each one statement, with
     * no other tag. Each is a string (run in the model's transaction) or, as dbt takes them, a dict
     * {@code {'sql': '...', 'transaction': false}} ({@code transaction} true when left out); the value is one of
     * them or a list of them.
     */
    private static List<ModelSpec.Hook> hooks(Source s, Template t, String configKey) {
        Template.Setting setting = t.config().get(configKey);
        if (setting == null) {
            return List.of();
        }
        InputLocation at = InputLocation.of(s.source()).withLine(setting.line());
        List<?> written = setting.value() instanceof List<?> list ? list : List.of(setting.value());
        List<ModelSpec.Hook> hooks = new ArrayList<>();
        for (Object value : written) {
            boolean transaction = true;
            String hook;
            if (value instanceof String text) {
                hook = text;
            } else if (value instanceof Map<?, ?> dict) {
                for (Object key : dict.keySet()) {
                    if (!"sql".equals(key) && !"transaction".equals(key)) {
                        throw new BadInputException(at, configKey + ": unknown hook key '" + key + "' (a hook dict"
                                + " takes 'sql' and 'transaction': {'sql': 'vacuum {{ this }}', 'transaction': false})");
                    }
                }
                if (!(dict.get("sql") instanceof String text)) {
                    throw new BadInputException(at, configKey + ": a hook dict needs 'sql', a quoted statement"
                            + " ({'sql': 'vacuum {{ this }}', 'transaction': false})");
                }
                hook = text;
                Object inside = dict.containsKey("transaction") ? dict.get("transaction") : Boolean.TRUE;
                if (!(inside instanceof Boolean b)) {
                    throw new BadInputException(at, configKey + ": 'transaction' must be true or false (unquoted), not "
                            + (inside instanceof String ? "'" + inside + "'" : inside));
                }
                transaction = b;
            } else {
                throw new BadInputException(at, configKey + "=" + setting.value() + ": a hook is a quoted statement or"
                        + " a dict {'sql': '...', 'transaction': false}, or a list of them");
            }
            String sql = THIS.matcher(hook).replaceAll(m -> Matcher.quoteReplacement(m.group(1) == null ? s.table().quoted()
                    : m.group(1).equals("schema") ? s.table().schema() : s.table().name())).strip();
            while (sql.endsWith(";")) {
                sql = sql.substring(0, sql.length() - 1).strip();
            }
            if (sql.isEmpty()) {
                throw new BadInputException(at, configKey + " holds an empty statement");
            }
            if (sql.contains("{{") || sql.contains("{%")) {
                throw new BadInputException(at, configKey + " '" + hook + "': the only tags a hook may hold are {{ this }},"
                        + " {{ this.schema }} and {{ this.identifier }} (or this.name, this.table)");
            }
            if (Statements.secondStatement(sql) >= 0) {
                throw new BadInputException(at, configKey + " '" + hook + "' holds more than one statement: give a"
                        + " list, one statement each");
            }
            Statements.Unclosed open = Statements.unclosed(sql).orElse(null);
            if (open != null) {
                throw new BadInputException(at, configKey + " '" + hook + "': " + open.what() + " in it is never closed");
            }
            hooks.add(new ModelSpec.Hook(sql, transaction));
        }
        return List.copyOf(hooks);
    }

    /**
     * config(tags=...): a tag or a list of them, as dbt takes them; each once. A tag is refused when it is empty or
     * holds white space or a comma: a selector ({@code tag:nightly}) could never name it.
     */
    private static List<String> tags(Source s, Template t) {
        Template.Setting setting = t.config().get("tags");
        if (setting == null) {
            return List.of();
        }
        InputLocation at = InputLocation.of(s.source()).withLine(setting.line());
        Set<String> tags = new LinkedHashSet<>();
        for (String tag : stringOrList(setting.value())) {
            if (tag.isEmpty() || tag.chars().anyMatch(c -> Character.isWhitespace(c) || c == ',')) {
                throw new BadInputException(at, "tags: '" + tag + "' cannot be selected (Select.parse(\"tag:...\") splits"
                        + " on white space and commas): a tag is a non-empty word without them");
            }
            tags.add(tag);
        }
        return List.copyOf(tags);
    }

    /** A declared table, else the table of that name in its source's declared schema; like dbt, never a guess. */
    private static TableName source(Source s, Template.SourceRef r, Declarations declared) {
        TableName table = declared.sourceTables().get(new SourceTable(r.source(), r.table()));
        if (table != null) {
            return table;
        }
        String schema = declared.sourceSchemas().get(r.source());
        InputLocation at = InputLocation.of(s.source()).withLine(r.line());
        if (schema == null) {
            Set<String> known = new TreeSet<>(declared.sourceSchemas().keySet());
            declared.sourceTables().keySet().forEach(k -> known.add(k.source()));
            throw new BadInputException(at, r + " names an undeclared source '" + r.source() + "'"
                    + (known.isEmpty() ? " (no sources are declared" : " (declared: " + String.join(", ", known))
                    + "; declare it with source(name, table, relation) or sourceSchema(name, schema))");
        }
        try {
            return TableName.of(schema, r.table());
        } catch (IllegalArgumentException e) {
            throw new BadInputException(at, r + ": " + e.getMessage());
        }
    }

    /** The variable's value, else the tag's default; a missing variable without one is refused, as dbt does. */
    private static String var(Source s, Template.Var v, Declarations declared) {
        String value = declared.vars().get(v.name());
        if (value != null) {
            return value;
        }
        if (v.fallback() != null) {
            return v.fallback();
        }
        Set<String> known = new TreeSet<>(declared.vars().keySet());
        throw new BadInputException(InputLocation.of(s.source()).withLine(v.line()), "var('" + v.name() + "') has no"
                + " value and no default (set it with var(name, value)"
                + (known.isEmpty() ? "" : "; set: " + String.join(", ", known)) + ")");
    }

    /**
     * Every config key is known, {@code enabled} is true or false, the descriptive keys are what dbt takes, and every
     * other value a string or a list.
     */
    private static void checkConfig(Source s, Template t) {
        for (Map.Entry<String, Template.Setting> e : t.config().entrySet()) {
            InputLocation at = InputLocation.of(s.source()).withLine(e.getValue().line());
            if (!CONFIG_KEYS.contains(e.getKey())) {
                throw new BadInputException(at,
                        "unknown config key '" + e.getKey() + "' (supported: " + String.join(", ", CONFIG_KEYS) + ")");
            }
            Object value = e.getValue().value();
            if (DESCRIPTIVE_KEYS.contains(e.getKey())) {
                checkDescriptive(at, e.getKey(), value);
                continue;
            }
            boolean flag = e.getKey().equals("enabled") || e.getKey().equals("invalidate_hard_deletes")
                    || e.getKey().equals("full_refresh");
            if (flag && !(value instanceof Boolean)) {
                throw new BadInputException(at, e.getKey() + " must be true or false (unquoted), not "
                        + (value instanceof String ? "'" + value + "'" : value));
            }
            boolean strings = value instanceof String || value instanceof List<?> l && l.stream().allMatch(String.class::isInstance);
            if (e.getKey().equals("grants") && !(value instanceof Map<?, ?>)) {
                throw new BadInputException(at, "grants=" + value + ": the value must be a dict of privileges to roles:"
                        + " {'select': ['reporter', 'bi']}");
            }
            boolean hook = e.getKey().equals("pre_hook") || e.getKey().equals("post_hook");   // checked by hooks()
            if (!flag && !hook && !e.getKey().equals("indexes") && !e.getKey().equals("grants") && !strings) {
                throw new BadInputException(at, e.getKey() + "=" + value + ": the value must be a quoted string or a list of them");
            }
        }
    }

    /**
     * The config keys that describe a model without changing what is built (dbt's {@code meta}, {@code docs},
     * {@code persist_docs}, {@code contract}, {@code access}, {@code group}).
     */
    private static final List<String> DESCRIPTIVE_KEYS = List.of("meta", "docs", "persist_docs", "contract", "access",
            "group");
    /** Of the descriptive keys, those whose value is a dict, to the keys that dict takes (empty: any). */
    private static final Map<String, List<String>> DICT_KEYS = Map.of("meta", List.of(),
            "docs", List.of("show", "node_color"), "persist_docs", List.of("relation", "columns"),
            "contract", List.of("enforced", "alias_types"));
    private static final List<String> ACCESS = List.of("private", "protected", "public");

    /**
     * Checks a descriptive key's value as dbt does. {@code persist_docs} writes the descriptions of a model's .yml
     * file, which mds does not read, so (as in dbt for a model without descriptions) it writes nothing; an enforced
     * {@code contract} checks the columns declared there, so it is refused.
     */
    private static void checkDescriptive(InputLocation at, String key, Object value) {
        List<String> keys = DICT_KEYS.get(key);
        if (keys == null) {   // access, group: a name
            if (!(value instanceof String name) || name.isBlank()
                    || key.equals("access") && !ACCESS.contains(name)) {
                throw new BadInputException(at, key + "=" + shown(value) + ": the value must be "
                        + (key.equals("access") ? "'private', 'protected' or 'public'" : "a quoted name"));
            }
            return;
        }
        if (!(value instanceof Map<?, ?> dict)) {
            throw new BadInputException(at, key + "=" + shown(value) + ": the value must be a dict: " + key + "="
                    + switch (key) {
                        case "meta" -> "{'owner': 'finance'}";
                        case "docs" -> "{'show': false}";
                        case "persist_docs" -> "{'relation': true, 'columns': true}";
                        default -> "{'enforced': false}";
                    });
        }
        for (Map.Entry<?, ?> entry : dict.entrySet()) {
            if (!keys.isEmpty() && !keys.contains(entry.getKey())) {
                throw new BadInputException(at, key + ": unknown key '" + entry.getKey() + "' (supported: "
                        + String.join(", ", keys) + ")");
            }
            boolean flag = !key.equals("meta") && !entry.getKey().equals("node_color");
            if (flag && !(entry.getValue() instanceof Boolean)) {
                throw new BadInputException(at, key + ": '" + entry.getKey() + "' must be true or false (unquoted), not "
                        + shown(entry.getValue()));
            }
        }
        if (key.equals("contract") && Boolean.TRUE.equals(dict.get("enforced"))) {
            throw new BadInputException(at, "contract: enforced=true is not supported: an enforced contract checks the"
                    + " columns declared in a model's .yml file, which mds does not read (set enforced to false, or leave"
                    + " contract out)");
        }
    }

    private static String shown(Object value) {
        return value instanceof String text ? "'" + text + "'" : String.valueOf(value);
    }

    /** The privileges a table or view can be granted (PostgreSQL 17 adds {@code maintain}). */
    public static final List<String> PRIVILEGES = List.of("select", "insert", "update", "delete", "truncate",
            "references", "trigger", "maintain");

    /**
     * The privileges and roles of a grants dict ({@code config(grants=...)} or the project's {@code grants(...)}):
     * each key a privilege, any case, with a leading {@code +} when {@code plus} allows it; each value a role or a list
     * of them ({@code 'public'}, any case, is PUBLIC).
     *
     * @return privilege (lower case, with its {@code +}) to its roles, in the order written
     * @throws IllegalArgumentException naming the bad privilege or role
     */
    public static Map<String, List<String>> grants(Map<?, ?> dict, boolean plus) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : dict.entrySet()) {
            String key = String.valueOf(e.getKey()).strip();
            boolean add = plus && key.startsWith("+");
            String privilege = (add ? key.substring(1).strip() : key).toLowerCase(Locale.ROOT);
            if (!PRIVILEGES.contains(privilege)) {
                throw new IllegalArgumentException("grants: '" + key + "' is not a privilege of a table or view ("
                        + String.join(", ", PRIVILEGES) + (plus ? "; a leading + adds to the project's grants(...)" : "")
                        + ")");
            }
            Object value = e.getValue();
            if (!(value instanceof String) && !(value instanceof List<?> l && l.stream().allMatch(String.class::isInstance))) {
                throw new IllegalArgumentException("grants: '" + key + "' takes a role or a list of roles, not " + value);
            }
            List<String> roles = new ArrayList<>();
            for (String role : stringOrList(value)) {
                if (role.isBlank()) {
                    throw new IllegalArgumentException("grants: '" + key + "' names an empty role");
                }
                if (!roles.contains(role)) {
                    roles.add(role);
                }
            }
            if (out.containsKey(privilege) || out.containsKey("+" + privilege)) {
                throw new IllegalArgumentException("grants: '" + privilege + "' is set twice");
            }
            out.put((add ? "+" : "") + privilege, List.copyOf(roles));
        }
        return out;
    }

    /**
     * A model's grants: its config(grants=...) over the project's grants(...), privilege by privilege as dbt merges
     * them (the model's roles replace the project's, or, written {@code '+select'}, are added to them).
     */
    private static Map<String, List<String>> grants(Source s, Template t, Declarations declared) {
        Template.Setting setting = t.config().get("grants");
        Map<String, List<String>> merged = new LinkedHashMap<>(declared.grants());
        if (setting == null) {
            return merged;
        }
        Map<String, List<String>> own;
        try {
            own = grants((Map<?, ?>) setting.value(), true);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(InputLocation.of(s.source()).withLine(setting.line()), e.getMessage());
        }
        own.forEach((key, roles) -> {
            if (key.startsWith("+")) {
                List<String> all = new ArrayList<>(merged.getOrDefault(key.substring(1), List.of()));
                roles.stream().filter(r -> !all.contains(r)).forEach(all::add);
                merged.put(key.substring(1), all);
            } else {
                merged.put(key, roles);
            }
        });
        return merged;
    }

    private static final List<String> INDEX_KEYS = List.of("columns", "unique", "type");

    /**
     * dbt-postgres' {@code indexes=[{'columns': [...], 'unique': True, 'type': 'hash'}, ...]}: for a table or an
     * incremental model; each names one or more distinct columns, {@code unique} is true or false, {@code type} an
     * access method's name.
     */
    private static List<ModelSpec.Index> indexes(Source s, Template t, Materialization m) {
        Template.Setting setting = t.config().get("indexes");
        if (setting == null) {
            return List.of();
        }
        InputLocation at = InputLocation.of(s.source()).withLine(setting.line());
        if (m != Materialization.TABLE && m != Materialization.INCREMENTAL) {
            throw new BadInputException(at, "indexes applies only to materialized='table' or 'incremental'");
        }
        if (!(setting.value() instanceof List<?> list) || list.isEmpty() || !list.stream().allMatch(Map.class::isInstance)) {
            throw new BadInputException(at, "indexes is a list of dicts: [{'columns': ['a', 'b'], 'unique': True,"
                    + " 'type': 'btree'}, ...]");
        }
        List<ModelSpec.Index> out = new ArrayList<>();
        for (Object o : list) {
            Map<?, ?> index = (Map<?, ?>) o;
            for (Object k : index.keySet()) {
                if (!INDEX_KEYS.contains(k)) {
                    throw new BadInputException(at, "indexes: unknown key '" + k + "' (supported: " + String.join(", ", INDEX_KEYS) + ")");
                }
            }
            Object columns = index.get("columns");
            if (!(columns instanceof String) && !(columns instanceof List<?> l && l.stream().allMatch(String.class::isInstance))) {
                throw new BadInputException(at, "indexes: each needs 'columns', a column name or a list of them");
            }
            Object unique = index.containsKey("unique") ? index.get("unique") : Boolean.FALSE;
            if (!(unique instanceof Boolean)) {
                throw new BadInputException(at, "indexes: 'unique' is True or False, not " + unique);
            }
            Object type = index.get("type");
            if (type != null && !(type instanceof String name && name.matches("[A-Za-z_][A-Za-z0-9_]*"))) {
                throw new BadInputException(at, "indexes: 'type' is an index access method's name (btree, hash, gin, gist,"
                        + " brin, spgist), not " + type);
            }
            out.add(new ModelSpec.Index(columnList(at, "indexes", columns), (Boolean) unique,
                    type == null ? null : ((String) type).toLowerCase(Locale.ROOT)));
        }
        return List.copyOf(out);
    }

    private static Materialization materialization(Source s, Template t) {
        Template.Setting setting = t.config().get("materialized");
        if (setting == null) {
            return Materialization.VIEW;
        }
        // as written: dbt looks up the materialization macro by name, so 'TABLE' is no materialization there
        boolean otherCase = false;
        if (setting.value() instanceof String v) {
            for (Materialization m : Materialization.values()) {
                if (m != Materialization.SEED && m.configName().equals(v)) {
                    return m;
                }
                otherCase |= m != Materialization.SEED && m.configName().equals(v.toLowerCase(Locale.ROOT));
            }
        }
        throw new BadInputException(InputLocation.of(s.source()).withLine(setting.line()), "materialized="
                + setting.value() + " is not supported (use 'view', 'table', 'incremental', 'snapshot' or 'ephemeral'"
                + (otherCase ? ", in lower case, as dbt names its materializations" : "") + ")");
    }

    /** The strategy: as configured, else delete+insert with a unique_key and append without. */
    private static ModelSpec.Strategy strategy(Source s, Template t, Materialization m, List<String> key) {
        Template.Setting setting = t.config().get("incremental_strategy");
        if (setting == null) {
            return key.isEmpty() ? ModelSpec.Strategy.APPEND : ModelSpec.Strategy.DELETE_INSERT;
        }
        InputLocation at = InputLocation.of(s.source()).withLine(setting.line());
        if (m != Materialization.INCREMENTAL) {
            throw new BadInputException(at, "incremental_strategy applies only to materialized='incremental'");
        }
        for (ModelSpec.Strategy strategy : ModelSpec.Strategy.values()) {
            if (strategy.configName().equals(setting.value())) {
                if (strategy == ModelSpec.Strategy.APPEND && !key.isEmpty()) {
                    throw new BadInputException(at, "incremental_strategy='append' inserts every new row: it does not"
                            + " use the unique_key " + key + " (remove one of them)");
                }
                if (strategy != ModelSpec.Strategy.APPEND && key.isEmpty()) {
                    throw new BadInputException(at, "incremental_strategy='" + strategy.configName() + "' needs a"
                            + " unique_key to match the new rows with the table's");
                }
                return strategy;
            }
        }
        throw new BadInputException(at, "incremental_strategy=" + setting.value() + " is not supported (use 'append',"
                + " 'delete+insert' or 'merge')");
    }

    private static ModelSpec.OnSchemaChange onSchemaChange(Source s, Template t, Materialization m) {
        Template.Setting setting = t.config().get("on_schema_change");
        if (setting == null) {
            return ModelSpec.OnSchemaChange.FAIL;
        }
        InputLocation at = InputLocation.of(s.source()).withLine(setting.line());
        if (m != Materialization.INCREMENTAL) {
            throw new BadInputException(at, "on_schema_change applies only to materialized='incremental'");
        }
        for (ModelSpec.OnSchemaChange o : ModelSpec.OnSchemaChange.values()) {
            if (o.configName().equals(setting.value())) {
                return o;
            }
        }
        throw new BadInputException(at, "on_schema_change=" + setting.value() + " is not supported (use 'fail',"
                + " 'ignore', 'append_new_columns' or 'sync_all_columns')");
    }

    private static List<String> uniqueKey(Source s, Template t, Materialization m) {
        Template.Setting setting = t.config().get("unique_key");
        if (setting == null) {
            return List.of();
        }
        InputLocation at = InputLocation.of(s.source()).withLine(setting.line());
        if (m != Materialization.INCREMENTAL && m != Materialization.SNAPSHOT) {
            throw new BadInputException(at, "unique_key applies only to materialized='incremental' or 'snapshot'");
        }
        List<String> keys = stringOrList(setting.value());
        for (String k : keys) {
            // longer than any name: an SQL expression (dbt's older unique_key="..."), taken by delete+insert only
            if (!ModelSpec.isUnquotedIdentifier(k) && k.getBytes(StandardCharsets.UTF_8).length > 63
                    && (k.indexOf('\0') >= 0 || k.contains("{{") || k.contains("{%") || !Statements.isOneExpression(k))) {
                throw new BadInputException(at, "unique_key '" + k + "' is neither a column name (it is longer than 63"
                        + " bytes) nor one SQL expression (no ';', no tag, no string, quoted name or comment left open,"
                        + " no -- comment)");
            }
        }
        return columnList(at, "unique_key", setting.value(),
                k -> !ModelSpec.isUnquotedIdentifier(k) && k.getBytes(StandardCharsets.UTF_8).length > 63);
    }

    /** A config value as a list: a string is a list of one (config() values are a string or a list of strings). */
    @SuppressWarnings("unchecked")
    private static List<String> stringOrList(Object value) {
        return value instanceof String one ? List.of(one) : (List<String>) value;
    }

    /** One or more distinct column names, a single one written as a string or a list. */
    private static List<String> columnList(InputLocation at, String configKey, Object value) {
        return columnList(at, configKey, value, c -> false);
    }

    /** {@link #columnList(InputLocation, String, Object)}, but the names {@code expression} accepts are not checked as names. */
    private static List<String> columnList(InputLocation at, String configKey, Object value,
            java.util.function.Predicate<String> expression) {
        List<String> columns = stringOrList(value);
        if (columns.isEmpty() || columns.stream().anyMatch(String::isBlank)) {
            throw new BadInputException(at, configKey + " needs one or more column names");
        }
        if (new HashSet<>(columns).size() != columns.size()) {
            throw new BadInputException(at, configKey + " names a column twice: " + columns);
        }
        for (String c : columns) {
            if (expression.test(c)) {
                continue;
            }
            try {
                Identifiers.check(c);
            } catch (IllegalArgumentException e) {
                throw new BadInputException(at, configKey + ": " + e.getMessage());
            }
        }
        return List.copyOf(columns);
    }

    /** merge_update_columns or merge_exclude_columns: only with the merge strategy, one of them, never a key. */
    private static ModelSpec.MergeColumns mergeColumns(Source s, Template t, ModelSpec.Strategy strategy,
            List<String> key) {
        Template.Setting update = t.config().get("merge_update_columns");
        Template.Setting exclude = t.config().get("merge_exclude_columns");
        Template.Setting set = update != null ? update : exclude;
        if (set == null) {
            return ModelSpec.MergeColumns.ALL;
        }
        String name = update != null ? "merge_update_columns" : "merge_exclude_columns";
        InputLocation at = InputLocation.of(s.source()).withLine(set.line());
        if (strategy != ModelSpec.Strategy.MERGE) {
            throw new BadInputException(at, name + " applies only to incremental_strategy='merge'");
        }
        if (update != null && exclude != null) {
            throw new BadInputException(at, "merge_update_columns and merge_exclude_columns cannot both be set (one"
                    + " lists the columns a match updates, the other those it leaves)");
        }
        List<String> columns = columnList(at, name, set.value());
        List<String> keys = columns.stream().filter(key::contains).toList();
        if (update != null && !keys.isEmpty()) {
            throw new BadInputException(at, name + " names the unique_key " + keys + ": a match never changes its key");
        }
        return update != null ? new ModelSpec.MergeColumns(columns, List.of()) : new ModelSpec.MergeColumns(List.of(), columns);
    }

    /**
     * Checks config(incremental_predicates=[...]), or its older name predicates (dbt reads either): SQL conditions, each one expression, of an incremental model whose
     * strategy deletes or matches rows (dbt ignores them under append).
     */
    private static void checkPredicates(Source s, Template t, Materialization m, ModelSpec.Strategy strategy) {
        Template.Setting legacy = t.config().get("predicates");
        Template.Setting current = t.config().get("incremental_predicates");
        Template.Setting setting = legacy != null ? legacy : current;
        if (setting == null) {
            return;
        }
        InputLocation at = InputLocation.of(s.source()).withLine(setting.line());
        String name = legacy != null ? "predicates" : "incremental_predicates";
        if (legacy != null && current != null) {
            // dbt reads config.get('predicates') or config.get('incremental_predicates'): the second is then ignored
            throw new BadInputException(at, "predicates and incremental_predicates cannot both be set (predicates is"
                    + " dbt's older name of incremental_predicates, and dbt would use it and ignore the other: keep one)");
        }
        if (m != Materialization.INCREMENTAL) {
            throw new BadInputException(at, name + " apply only to materialized='incremental'");
        }
        if (!(setting.value() instanceof List<?> list) || list.isEmpty()
                || !list.stream().allMatch(String.class::isInstance)) {
            String shown = setting.value() instanceof String one ? "'" + one + "'" : String.valueOf(setting.value());
            throw new BadInputException(at, name + "=" + shown + ": the value must be a list of SQL"
                    + " conditions: [" + (setting.value() instanceof String one ? "'" + one + "'" : "'id > 2'") + "]");
        }
        if (strategy == ModelSpec.Strategy.APPEND) {
            throw new BadInputException(at, name + " apply only to incremental_strategy='delete+insert'"
                    + " or 'merge' (append deletes and matches nothing)");
        }
        for (Object predicate : list) {
            String p = (String) predicate;
            if (p.contains("{{") || p.contains("{%") || !Statements.isOneExpression(p)) {
                throw new BadInputException(at, name + ": '" + p + "' is not one SQL condition (no ';',"
                        + " no tag, no string, quoted name or comment left open, no -- comment)");
            }
        }
    }

    /** The snapshot configs of a snapshot model (null for the others, which may not set them). */
    private static ModelSpec.SnapshotConfig snapshot(Source s, Template t, Materialization m, List<String> key) {
        if (m != Materialization.SNAPSHOT) {
            for (String k : SNAPSHOT_KEYS) {
                Template.Setting setting = t.config().get(k);
                if (setting != null) {
                    throw new BadInputException(InputLocation.of(s.source()).withLine(setting.line()), k
                            + " applies only to materialized='snapshot'" + (k.equals("strategy")
                                    ? " (an incremental model's is incremental_strategy)" : ""));
                }
            }
            return null;
        }
        InputLocation model = InputLocation.of(s.source()).withLine(t.config().get("materialized").line());
        if (key.isEmpty()) {
            throw new BadInputException(model, "materialized='snapshot' needs a unique_key: the column(s) identifying"
                    + " a row across versions");
        }
        Template.Setting strategy = t.config().get("strategy");
        if (strategy == null) {
            throw new BadInputException(model, "materialized='snapshot' needs strategy='timestamp' (with updated_at)"
                    + " or strategy='check' (with check_cols)");
        }
        InputLocation at = InputLocation.of(s.source()).withLine(strategy.line());
        boolean check;
        if ("timestamp".equals(strategy.value())) {
            check = false;
        } else if ("check".equals(strategy.value())) {
            check = true;
        } else {
            throw new BadInputException(at, "strategy=" + strategy.value() + " is not supported (use 'timestamp' or"
                    + " 'check')");
        }
        Template.Setting updatedAt = t.config().get("updated_at");
        String updated = null;
        if (updatedAt != null) {
            if (!(updatedAt.value() instanceof String u)) {
                throw new BadInputException(InputLocation.of(s.source()).withLine(updatedAt.line()),
                        "updated_at names one column, not a list");
            }
            updated = columnList(InputLocation.of(s.source()).withLine(updatedAt.line()), "updated_at", u).get(0);
        } else if (!check) {
            throw new BadInputException(at, "strategy='timestamp' needs updated_at: the column saying when a row last"
                    + " changed");
        }
        Template.Setting checkCols = t.config().get("check_cols");
        List<String> cols = List.of();
        if (checkCols == null && check) {
            throw new BadInputException(at, "strategy='check' needs check_cols: a list of columns, or 'all'");
        }
        if (checkCols != null) {
            InputLocation c = InputLocation.of(s.source()).withLine(checkCols.line());
            if (!check) {
                throw new BadInputException(c, "check_cols applies only to strategy='check' (strategy='timestamp'"
                        + " compares updated_at)");
            }
            cols = "all".equals(checkCols.value()) ? List.of() : columnList(c, "check_cols", checkCols.value());
        }
        Template.Setting deletes = t.config().get("hard_deletes");
        Template.Setting legacy = t.config().get("invalidate_hard_deletes");
        ModelSpec.HardDeletes hardDeletes = ModelSpec.HardDeletes.IGNORE;
        if (legacy != null && deletes != null) {
            throw new BadInputException(InputLocation.of(s.source()).withLine(legacy.line()), "invalidate_hard_deletes"
                    + " and hard_deletes are both set: set only hard_deletes (invalidate_hard_deletes=True is dbt's legacy"
                    + " name of hard_deletes='invalidate'; dbt refuses both too)");
        }
        if (legacy != null && Boolean.TRUE.equals(legacy.value())) {
            hardDeletes = ModelSpec.HardDeletes.INVALIDATE;   // dbt 1.8's config, still read by dbt 1.9
        }
        if (deletes != null) {
            hardDeletes = null;
            for (ModelSpec.HardDeletes h : ModelSpec.HardDeletes.values()) {
                if (h.configName().equals(deletes.value())) {
                    hardDeletes = h;
                }
            }
            if (hardDeletes == null) {
                throw new BadInputException(InputLocation.of(s.source()).withLine(deletes.line()), "hard_deletes="
                        + deletes.value() + " is not supported (use 'ignore', 'invalidate' or 'new_record')");
            }
        }
        Template.Setting current = t.config().get("dbt_valid_to_current");
        String validToCurrent = null;
        if (current != null) {
            InputLocation c = InputLocation.of(s.source()).withLine(current.line());
            if (!(current.value() instanceof String expression) || expression.isBlank()) {
                throw new BadInputException(c, "dbt_valid_to_current is one SQL expression, such as"
                        + " \"'9999-12-31'::date\", not a list or nothing");
            }
            if (expression.contains("{{") || expression.contains("{%") || !Statements.isOneExpression(expression)) {
                throw new BadInputException(c, "dbt_valid_to_current=\"" + expression + "\" is not one SQL expression"
                        + " (no ';', no tag, no string, quoted name or comment left open, no -- comment)");
            }
            validToCurrent = expression.strip();
        }
        return new ModelSpec.SnapshotConfig(check, updated, cols, hardDeletes, validToCurrent);
    }

    /** The model a ref() names; a model that is there but disabled is refused, as dbt refuses it. */
    private static TableName target(Source s, Template.Ref r, Set<TableName> names, Set<TableName> disabled) {
        TableName target;
        try {
            target = target(s, r, names);
        } catch (BadInputException e) {
            Set<TableName> all = new HashSet<>(names);
            all.addAll(disabled);
            TableName off = disabled.isEmpty() ? null : targetOrNull(s, r, all);
            if (off != null && disabled.contains(off)) {
                throw new BadInputException(InputLocation.of(s.source()).withLine(r.line()), "ref('" + r.target()
                        + "')" + r.macro() + " names model " + off + ", which is disabled (config enabled=false)");
            }
            throw e;
        }
        return target;
    }

    private static TableName targetOrNull(Source s, Template.Ref r, Set<TableName> names) {
        try {
            return target(s, r, names);
        } catch (BadInputException e) {
            return null;
        }
    }

    private static TableName target(Source s, Template.Ref r, Set<TableName> names) {
        InputLocation at = InputLocation.of(s.source()).withLine(r.line());
        String written = "ref('" + r.target() + "')" + r.macro();
        if (!r.target().contains(".")) {
            List<TableName> matches = names.stream().filter(n -> n.name().equals(r.target())).toList();
            if (matches.size() == 1) {
                return matches.get(0);
            }
            if (matches.size() > 1) {
                throw new BadInputException(at, written + " is ambiguous: it could be any of " + matches
                        + " (write schema.model)");
            }
        } else {
            TableName exact = exactName(r.target());
            try {
                TableName t = TableName.parse(r.target());
                exact = exact == null ? t : exact;
                boolean folded = names.contains(t);
                if (folded && !exact.equals(t) && names.contains(exact)) {
                    throw new BadInputException(at, written + " is ambiguous: it could be " + t + " (as SQL reads"
                            + " it) or " + exact + " (the file's exact name); write ref('\"" + exact.schema() + "\".\""
                            + exact.name() + "\"') or rename a file");
                }
                if (folded) {
                    return t;
                }
                if (names.contains(exact)) {
                    return exact;
                }
            } catch (IllegalArgumentException e) {
                if (exact != null && names.contains(exact)) {
                    return exact;   // a seed file's name that SQL reads only quoted: ref('Raw.My Seed')
                }
                throw new BadInputException(at, written + ": " + e.getMessage());
            }
        }
        String hint = closest(r.target(), names);
        throw new BadInputException(at, written + " names no model"
                + (hint == null ? "" : " (did you mean " + hint + "?)"));
    }

    /**
     * The name {@code written} as a file names a model, exactly, without folding or quotes ({@code Raw.My Seed} is
     * {@code "Raw"."My Seed"}, where SQL would fold or refuse it); null when it is quoted or not two parts.
     */
    public static TableName exactName(String written) {
        String[] parts = written.split("\\.", -1);
        if (parts.length != 2 || written.indexOf('"') >= 0) {
            return null;
        }
        try {
            return TableName.of(parts[0].strip(), parts[1].strip());
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * A model's name as a selector or {@code Select} writes it: as SQL reads it ({@link TableName#parse}), or else,
     * when SQL would refuse it unquoted, a file's exact name ({@link #exactName}).
     *
     * @throws IllegalArgumentException when it is neither
     */
    public static TableName modelName(String written) {
        try {
            return TableName.parse(written);
        } catch (IllegalArgumentException e) {
            TableName exact = exactName(written);
            if (exact == null) {
                throw e;
            }
            return exact;
        }
    }

    private static String closest(String wanted, Set<TableName> names) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (TableName n : names) {
            String candidate = wanted.contains(".") ? n.toString() : n.name();
            int d = candidate.startsWith(wanted) ? 1 : distance(wanted, candidate);
            if (d < bestDistance) {
                bestDistance = d;
                best = n.toString();
            }
        }
        return best != null && bestDistance <= Math.max(3, wanted.length() / 2) ? best : null;
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /** Kahn's algorithm, always taking the first ready model in name order, so the order is deterministic. */
    private static List<ModelSpec> order(Map<TableName, ModelSpec> specs) {
        List<ModelSpec> out = new ArrayList<>();
        Set<TableName> done = new HashSet<>();
        List<ModelSpec> pending = new ArrayList<>(specs.values());
        while (!pending.isEmpty()) {
            ModelSpec ready = null;
            for (ModelSpec m : pending) {
                if (done.containsAll(m.parents())) {
                    ready = m;
                    break;
                }
            }
            if (ready == null) {
                throw new TransformException("the models form a cycle: " + cycle(specs, pending));
            }
            pending.remove(ready);
            done.add(ready.table());
            out.add(ready);
        }
        return out;
    }

    private static String cycle(Map<TableName, ModelSpec> specs, List<ModelSpec> pending) {
        Set<TableName> left = new HashSet<>();
        pending.forEach(m -> left.add(m.table()));
        // every pending model has a pending parent: walk parents until one repeats
        List<TableName> path = new ArrayList<>();
        TableName at = pending.get(0).table();
        while (!path.contains(at)) {
            path.add(at);
            for (TableName p : specs.get(at).parents()) {
                if (left.contains(p)) {
                    at = p;
                    break;
                }
            }
        }
        List<TableName> loop = new ArrayList<>(path.subList(path.indexOf(at), path.size()));
        Collections.reverse(loop);   // walked child -> parent; show parent -> child
        int first = 0;
        for (int i = 1; i < loop.size(); i++) {
            if (loop.get(i).toString().compareTo(loop.get(first).toString()) < 0) {
                first = i;
            }
        }
        Collections.rotate(loop, -first);   // start at the first name, so the message does not depend on the walk
        loop.add(loop.get(0));
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < loop.size(); i++) {
            s.append(i == 0 ? "" : " -> ").append(loop.get(i));
        }
        // each edge where it is written: the child's ref() to its parent
        List<String> refs = new ArrayList<>();
        for (int i = 1; i < loop.size(); i++) {
            refs.add(refAt(specs.get(loop.get(i)), loop.get(i - 1)));
        }
        s.append(" (").append(String.join("; ", refs)).append(')');
        return s.toString();
    }

    /** {@code models/silver/c.sql line 3: ref('a')}: where {@code child} first refers to {@code parent}. */
    private static String refAt(ModelSpec child, TableName parent) {
        for (Template.Tag tag : child.template().tags()) {
            if (tag instanceof Template.Ref r && parent.quoted().equals(child.tagValues().get(r))) {
                return child.source() + " line " + r.line() + ": ref('" + r.target() + "')" + r.macro();
            }
        }
        return child.source();
    }
}
