package dev.mds.transform;

import dev.mds.core.BadInputException;
import dev.mds.core.Identifiers;
import dev.mds.core.InputLocation;
import dev.mds.core.TableName;
import dev.mds.transform.internal.ModelSpec;
import dev.mds.transform.internal.ProjectModels;
import dev.mds.transform.internal.Runner;
import dev.mds.transform.internal.Selector;
import dev.mds.transform.internal.Template;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.sql.DataSource;

/**
 * SQL models, run in dependency order against PostgreSQL: the dbt-like part of mds.
 *
 * <pre>{@code
 * TransformProject project = TransformProject.builder(dataSource)
 *     .modelsFrom(Path.of("models"))        // models/silver/transactions.sql is the model silver.transactions
 *     .model("gold.daily_volume", "{{ config(materialized='table') }}\n"
 *         + "select transaction_date, sum(price) as volume from {{ ref('silver.transactions') }} group by 1")
 *     .threads(2)
 *     .build();                             // parses every model, resolves ref()s, checks for cycles
 * RunResults results = project.run();       // never throws for a failing model: see results.models()
 * }</pre>
 *
 * <p>Each model is built in its own transaction, so a failure leaves its previous version in place; the models
 * downstream of a failed model are skipped, the others still run. Immutable and thread-safe once built; a run
 * borrows one connection per running model from the {@link DataSource}.
 */
public final class TransformProject {
    private final DataSource dataSource;
    private final ProjectModels models;
    private final int threads;
    private final boolean fullRefresh;
    private final Map<TableName, List<Audit>> audits;

    private TransformProject(Builder b, ProjectModels models, Map<TableName, List<Audit>> audits) {
        this.dataSource = b.dataSource;
        this.models = models;
        this.threads = b.threads;
        this.fullRefresh = b.fullRefresh;
        this.audits = audits;
    }

    /** A builder of a project whose models run against {@code dataSource}. */
    public static Builder builder(DataSource dataSource) {
        return new Builder(dataSource);
    }

    /**
     * The models' names ({@code schema.model}) in the order a run starts them: each after the models it refers to.
     * Seeds are listed (before the models that ref() them); ephemeral models are not: they are never built, only
     * inlined where they are referred to.
     */
    public List<String> models() {
        return built(models.ordered()).stream().map(ModelSpec::name).toList();
    }

    private static List<ModelSpec> built(List<ModelSpec> models) {
        return models.stream().filter(m -> !m.ephemeral()).toList();
    }

    /**
     * Every statement {@link #run()} would run now, in order, compiled, without running any: the schemas, then each
     * model's build. The catalog is read (whether a model's relation exists decides between a first build and an
     * incremental one), nothing is created.
     */
    public List<String> sql() {
        return runner(built(models.ordered())).sql();
    }

    /**
     * Runs every model in dependency order (creating their schemas when missing) and reports each one. A model that
     * fails is {@link ModelStatus#ERROR} with the reason, its downstream models {@link ModelStatus#SKIPPED}.
     *
     * <p>Interrupting the calling thread stops the run: no model starts after the interrupt, the models already
     * running finish (each in its own transaction), then this throws with the interrupt flag set.
     *
     * @throws dev.mds.core.MdsException when the run cannot start (no connection, schemas cannot be created), or when
     *     the calling thread is interrupted, naming the models done (with their status) and those not started
     */
    public RunResults run() {
        return runner(built(models.ordered())).run();
    }

    /**
     * Runs the selected models (see {@link Select}) in dependency order; the others are left as they are. A plain
     * view over a relation a selected model replaces (an unselected view model, or a view that is no model) is kept:
     * dropped with the old relation and created again, as it was, over the new one ({@link ModelResult#keptViews()});
     * when it no longer fits the new relation, or a materialized view or a table's foreign key depends on the old
     * one, that model is reported as an error naming them, and nothing is changed.
     * An interrupt of the calling thread stops it as it stops {@link #run()}.
     *
     * <pre>{@code
     * project.run(Select.parse("+silver.transactions tag:nightly").excluding("gold.report"));
     * }</pre>
     *
     * @throws IllegalArgumentException when a criterion of the selection or of an exclusion selects no model of this
     *     project (an unknown or disabled model, a tag no model has, ...), when an ephemeral model is named alone
     *     (it is never built itself), or when nothing is left to build; each message names the criterion
     */
    public RunResults run(Select select) {
        return runner(selected(select)).run();
    }

    /** As {@link #sql()}, for the selected models only; refuses a selection as {@link #run(Select)} does. */
    public List<String> sql(Select select) {
        return runner(selected(select)).sql();
    }

    private List<ModelSpec> selected(Select select) {
        Objects.requireNonNull(select, "select");
        Set<TableName> wanted = Selector.select(models, Selector.parse(select.select(), "select"), "select",
                select.select(), c -> named(c, !select.downstream()));
        if (select.downstream()) {
            new ArrayList<>(wanted).forEach(t -> wanted.addAll(models.descendants(t)));
        }
        Set<TableName> included = Set.copyOf(wanted);
        for (String exclude : select.exclude()) {
            wanted.removeAll(Selector.select(models, Selector.parse(exclude, "exclude"), "exclude", exclude,
                    c -> named(c, false)));
        }
        List<ModelSpec> out = built(models.ordered()).stream().filter(m -> wanted.contains(m.table())).toList();
        if (out.isEmpty()) {
            // dbt warns "Nothing to do" and succeeds; a run that builds nothing is more likely a mistake here
            throw new IllegalArgumentException(select + " leaves no model to build: " + (included.isEmpty()
                    ? "its comma-joined criteria have no model in common"
                    : wanted.isEmpty() ? "the exclusions remove all it selects (" + names(included) + ")"
                    : "it selects only ephemeral models (" + names(wanted) + "), which are never built"));
        }
        return out;
    }

    /**
     * For a name written without a schema (so in public), the models of that name in other schemas: ref() would find
     * them, a selector does not.
     */
    private String elsewhere(String written, TableName named) {
        if (written.contains(".")) {
            return "";
        }
        List<TableName> same = models.ordered().stream().map(ModelSpec::table)
                .filter(t -> t.name().equalsIgnoreCase(named.name())).toList();
        return same.isEmpty() ? "" : " (a name without a schema is in public; did you mean " + names(same) + "?)";
    }

    private static String names(Collection<TableName> tables) {
        return tables.stream().map(TableName::toString).sorted().collect(Collectors.joining(", "));
    }

    /**
     * The model a name criterion names, found as {@code ref()} finds it for its case; an ephemeral model named alone
     * is refused when {@code refuseEphemeral} (it would build nothing).
     */
    private TableName named(Selector.Criterion c, boolean refuseEphemeral) {
        TableName named = ProjectModels.modelName(c.value());
        TableName t = find(models, named).orElseThrow(() -> new IllegalArgumentException("no model " + named
                + " in this project" + (Select.find(named, models.disabled()).isPresent()
                        ? ": it is disabled (config enabled=false)" : elsewhere(c.value(), named) + "; models: " + models())));
        if (refuseEphemeral && !c.operators()
                && models.ordered().stream().anyMatch(m -> m.table().equals(t) && m.ephemeral())) {
            throw new IllegalArgumentException(t + " is ephemeral: it is never built, only inlined as a CTE in the"
                    + " models that ref() it; select those, or Select.models(\"" + t + "\").withDownstream()"
                    + " (Select.parse(\"" + t + "+\"))");
        }
        return t;
    }

    /**
     * The relation of the model (or seed) {@code named} names: by the model's own name first, as ref() finds it, then
     * by the relation it is built as (they differ under dbt's schema and alias configs).
     */
    private static Optional<TableName> find(ProjectModels models, TableName named) {
        Map<TableName, TableName> relations = models.relations();
        return Select.find(named, relations.keySet()).map(relations::get)
                .or(() -> Select.find(named, models.ordered().stream().map(ModelSpec::table).toList()));
    }

    private Runner runner(List<ModelSpec> selected) {
        return new Runner(dataSource, models, selected, threads, fullRefresh, audits);
    }

    /**
     * Collects the models and settings of a {@link TransformProject}. Defaults: no models, {@code threads(1)} (no
     * threads are started), {@code fullRefresh(false)}, no project grants (a relation's grants are left as they are),
     * no audits, no macros directory, {@code target("dev")}.
     *
     * <pre>{@code
     * TransformProject.builder(ds).modelsFrom(Path.of("models")).threads(4).build();
     * }</pre>
     */
    public static final class Builder {
        private final DataSource dataSource;
        private final List<ProjectModels.Source> sources = new ArrayList<>();
        private final Map<ProjectModels.SourceTable, TableName> sourceTables = new HashMap<>();
        private final Map<String, String> sourceSchemas = new HashMap<>();
        private final Map<String, String> vars = new HashMap<>();
        private final Map<String, Template.Macro> macros = new LinkedHashMap<>();
        private String target = Template.DEFAULT_TARGET;
        private final Map<String, List<String>> grants = new LinkedHashMap<>();
        private final Map<String, List<Audit>> audits = new LinkedHashMap<>();
        private final Map<TableName, Map<String, String>> seedColumnTypes = new LinkedHashMap<>();
        private int threads = 1;
        private boolean fullRefresh;

        private Builder(DataSource dataSource) {
            this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        }

        /**
         * Adds every {@code *.sql} file below {@code directory}. A model's schema is the name of the folder
         * right below {@code directory} that holds it (deeper folders only organise files), its name the file name
         * without {@code .sql}, both taken exactly: {@code models/silver/transactions.sql} is
         * {@code silver.transactions}. Files directly in {@code directory} are in the {@code public} schema.
         *
         * @throws UncheckedIOException when the directory cannot be read
         * @throws IllegalArgumentException when it is not a directory
         */
        public Builder modelsFrom(Path directory) {
            if (!Files.isDirectory(directory)) {
                throw new IllegalArgumentException("models directory " + directory + " is not a directory");
            }
            List<Path> files;
            try (Stream<Path> walk = Files.walk(directory)) {
                files = walk.filter(p -> p.getFileName().toString().endsWith(".sql") && Files.isRegularFile(p))
                        .sorted().toList();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list models in " + directory, e);
            }
            for (Path f : files) {
                Path rel = directory.relativize(f);
                String file = f.getFileName().toString();
                String name = file.substring(0, file.length() - ".sql".length());
                String schema = rel.getNameCount() > 1 ? rel.getName(0).toString() : TableName.DEFAULT_SCHEMA;
                TableName table;
                try {
                    table = TableName.of(schema, name);
                } catch (IllegalArgumentException e) {
                    throw new BadInputException(InputLocation.of(f.toString()), "cannot name a model after this"
                            + " file: " + e.getMessage());
                }
                sources.add(new ProjectModels.Source(table, f.toString(), read(f), null,
                        new ModelSpec.ModelFile(directory, f)));
            }
            return this;
        }

        /**
         * Sets dbt's {@code target.name}, which models test as {@code {% if target.name == 'prod' %}}; default
         * {@code "dev"}. ({@code target.type} is {@code 'postgres'}; other attributes of {@code target} are refused.)
         *
         * @throws IllegalArgumentException when {@code name} is blank
         */
        public Builder target(String name) {
            if (Objects.requireNonNull(name, "name").isBlank()) {
                throw new IllegalArgumentException("target name is blank");
            }
            this.target = name;
            return this;
        }

        /**
         * Reads the macros of every {@code *.sql} file below {@code directory} (dbt's {@code macro-paths}): each file
         * holds {@code {% macro name(param, param='default') %} … {% endmacro %}} blocks (and comments), and every
         * model may call them, {@code {{ name(args) }}}. A macro defined in a model's own file, above the call, hides
         * one of the same name here. A body is checked where it is called, with that call's arguments.
         *
         * @throws UncheckedIOException when the directory cannot be read
         * @throws IllegalArgumentException when it is not a directory
         * @throws BadInputException for a file holding anything but macros, a bad definition, or a name defined
         *         twice, naming the file and line
         */
        public Builder macrosFrom(Path directory) {
            if (!Files.isDirectory(directory)) {
                throw new IllegalArgumentException("macros directory " + directory + " is not a directory");
            }
            List<Path> files;
            try (Stream<Path> walk = Files.walk(directory)) {
                files = walk.filter(p -> p.getFileName().toString().endsWith(".sql") && Files.isRegularFile(p))
                        .sorted().toList();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list macros in " + directory, e);
            }
            for (Path f : files) {
                for (Template.Macro m : Template.macros(f.toString(), read(f)).values()) {
                    Template.Macro prior = macros.putIfAbsent(m.name(), m);
                    if (prior != null) {
                        throw new BadInputException(InputLocation.of(f.toString()).withLine(m.line()), "macro '"
                                + m.name() + "' is defined twice (also in " + prior.source() + " line " + prior.line()
                                + ")");
                    }
                }
            }
            return this;
        }

        /**
         * Adds every {@code *.csv} file below {@code directory} as a seed (dbt's {@code dbt seed}), named as
         * {@link #modelsFrom} names models: {@code seeds/raw/countries.csv} is the table {@code raw.countries}, which
         * models read with {@code {{ ref('raw.countries') }}}. Its header row names the columns (exactly as written);
         * their types are inferred from the values as dbt infers them (integer, double precision, date, timestamp,
         * boolean, else text; an empty field or {@code null} is NULL) unless {@link #seedColumnTypes} sets them.
         * Each run loads the file with COPY in one transaction, replacing the table's rows (truncate, then copy, when
         * the columns and types are unchanged; else a new table swapped in, as a table model is). The header is read
         * here; the rows when the seed runs.
         *
         * @throws IllegalArgumentException when it is not a directory
         * @throws UncheckedIOException when it cannot be read
         */
        public Builder seedsFrom(Path directory) {
            if (!Files.isDirectory(directory)) {
                throw new IllegalArgumentException("seeds directory " + directory + " is not a directory");
            }
            List<Path> files;
            try (Stream<Path> walk = Files.walk(directory)) {
                files = walk.filter(p -> p.getFileName().toString().endsWith(".csv") && Files.isRegularFile(p))
                        .sorted().toList();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list seeds in " + directory, e);
            }
            for (Path f : files) {
                Path rel = directory.relativize(f);
                String file = f.getFileName().toString();
                String name = file.substring(0, file.length() - ".csv".length());
                String schema = rel.getNameCount() > 1 ? rel.getName(0).toString() : TableName.DEFAULT_SCHEMA;
                TableName table;
                try {
                    table = TableName.of(schema, name);
                } catch (IllegalArgumentException e) {
                    throw new BadInputException(InputLocation.of(f.toString()), "cannot name a seed after this file: "
                            + e.getMessage());
                }
                sources.add(new ProjectModels.Source(table, f.toString(), "", new ModelSpec.SeedSpec(f, Map.of()),
                        new ModelSpec.ModelFile(directory, f)));
            }
            return this;
        }

        /**
         * Sets the types of some columns of a seed (dbt's {@code column_types}), as {@code create table} writes them:
         * {@code seedColumnTypes("raw.countries", Map.of("code", "varchar(2)", "population", "bigint"))}; the other
         * columns' types are inferred. {@code seed} finds the seed as {@code ref()} does. A later call for the same
         * seed replaces the earlier one.
         *
         * @throws IllegalArgumentException when a type is not a type name: a name (perhaps schema-qualified, perhaps
         *     {@code double precision} or {@code character varying}), an optional precision and scale, an optional
         *     {@code with[out] time zone}, optional {@code []}; no constraint, default or collation
         */
        public Builder seedColumnTypes(String seed, Map<String, String> columnTypes) {
            TableName table = ProjectModels.modelName(Objects.requireNonNull(seed, "seed"));
            for (Map.Entry<String, String> e : Map.copyOf(columnTypes).entrySet()) {
                Identifiers.check(e.getKey());
                if (!ProjectModels.isTypeName(e.getValue())) {
                    throw new IllegalArgumentException("seedColumnTypes for " + seed + ": '" + e.getValue() + "' (column "
                            + e.getKey() + ") is not a type name such as integer, varchar(2), numeric(12, 2) or text[]");
                }
            }
            seedColumnTypes.put(table, Map.copyOf(columnTypes));
            return this;
        }

        /**
         * A model file's text: UTF-8, a leading byte-order mark dropped (editors on Windows write one).
         *
         * @throws BadInputException naming the file and line of a byte sequence that is not UTF-8
         */
        private static String read(Path f) {
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(f);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read model " + f, e);
            }
            int start = bytes.length >= 3 && bytes[0] == (byte) 0xEF && bytes[1] == (byte) 0xBB && bytes[2] == (byte) 0xBF
                    ? 3 : 0;
            ByteBuffer in = ByteBuffer.wrap(bytes, start, bytes.length - start);
            CharBuffer out = CharBuffer.allocate(bytes.length);
            CoderResult result = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(in, out, true);
            if (result.isError()) {
                int line = 1;
                for (int i = start; i < in.position(); i++) {
                    line += bytes[i] == '\n' ? 1 : 0;
                }
                throw new BadInputException(InputLocation.of(f.toString()).withLine(line), "byte 0x"
                        + String.format("%02X", bytes[in.position()] & 0xFF) + " is not UTF-8 (model files are read as"
                        + " UTF-8: convert the file)");
            }
            return out.flip().toString();
        }

        /**
         * Adds a model given in code: {@code name} is {@code schema.model} (read as {@link TableName#parse}),
         * {@code sql} its templated SELECT.
         */
        public Builder model(String name, String sql) {
            Objects.requireNonNull(sql, "sql");
            TableName table = TableName.parse(Objects.requireNonNull(name, "name"));
            sources.add(new ProjectModels.Source(table, "model " + table, sql));
            return this;
        }

        /**
         * Declares the relation that {@code {{ source('source', 'table') }}} reads, as dbt's {@code sources:} does:
         * {@code source("product", "users", "raw.users")}. A source is not a model: it is read, never built, and
         * orders nothing. A later call for the same source and table replaces the earlier one.
         *
         * @throws IllegalArgumentException when {@code relation} is not a valid {@code schema.table}
         */
        public Builder source(String source, String table, String relation) {
            Objects.requireNonNull(source, "source");
            Objects.requireNonNull(table, "table");
            sourceTables.put(new ProjectModels.SourceTable(source.strip(), table.strip()),
                    TableName.parse(Objects.requireNonNull(relation, "relation")));
            return this;
        }

        /**
         * Declares that every table of {@code source} is the table of the same name in {@code schema} (dbt's
         * {@code schema:} of a source): after {@code sourceSchema("product", "raw")},
         * {@code {{ source('product', 'users') }}} reads {@code raw.users}. A table declared with
         * {@link #source(String, String, String)} takes precedence.
         */
        public Builder sourceSchema(String source, String schema) {
            Identifiers.check(Objects.requireNonNull(schema, "schema"));
            sourceSchemas.put(Objects.requireNonNull(source, "source").strip(), schema);
            return this;
        }

        /**
         * Sets the value that {@code {{ var('name') }}} renders, as {@code dbt run --vars} does: the text of
         * {@code value}, inserted as it is (write the quotes in the model: {@code where day = '{{ var('day') }}'}).
         * A var without a value is refused at {@link #build()} unless the tag gives a default:
         * {@code {{ var('name', 'default') }}}.
         */
        public Builder var(String name, Object value) {
            vars.put(Objects.requireNonNull(name, "name"), String.valueOf(Objects.requireNonNull(value, "value")));
            return this;
        }

        /**
         * Grants {@code privilege} on every model's relation (views, tables, incremental models, snapshots; not seeds)
         * to {@code roles}, as dbt's {@code +grants} in {@code dbt_project.yml} does:
         * {@code grants("select", "reporter", "bi")}. A model's {@code config(grants={'select': [...]})} replaces the
         * roles of the privileges it names, or adds to them when written {@code '+select'}. Once a model is built, in
         * its transaction, the grants its role made on the relation become exactly these: the missing ones are
         * granted, and the others (other roles, other privileges) revoked, as dbt does. A privilege given no role
         * ({@code grants("insert")}) revokes it from every role. Without any grants, the relation's grants are left as
         * they are (a rebuild carries them over). A later call for the same privilege replaces the earlier one.
         *
         * @param privilege a table privilege: select, insert, update, delete, truncate, references, trigger, maintain
         * @param roles role names as the server spells them ({@code 'public'}, any case, is PUBLIC)
         * @throws IllegalArgumentException for another privilege or an empty role name
         */
        public Builder grants(String privilege, String... roles) {
            Objects.requireNonNull(privilege, "privilege");
            List<String> list = List.of(Objects.requireNonNull(roles, "roles"));
            ProjectModels.grants(Map.of(privilege, list), false).forEach(grants::put);
            return this;
        }

        /**
         * Adds an {@link Audit} of {@code model} (a model or seed, named as {@code ref()} names it): run in the model's
         * transaction once it is built (after its post_hooks and grants), before it commits; a rejection rolls the
         * model back, fails it and skips the models downstream. Several audits of one model run in the order added.
         * {@link #build()} refuses a name that is no model, or an ephemeral model (never built).
         */
        public Builder audit(String model, Audit audit) {
            audits.computeIfAbsent(Objects.requireNonNull(model, "model"), k -> new ArrayList<>())
                    .add(Objects.requireNonNull(audit, "audit"));
            return this;
        }

        /** How many models may run at once, each on its own connection; default 1 (no threads are started). */
        public Builder threads(int threads) {
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be at least 1, got " + threads);
            }
            this.threads = threads;
            return this;
        }

        /**
         * Rebuilds incremental models from scratch (as tables) instead of adding to them, and replaces seeds' tables by
         * new ones even when their columns are unchanged (dbt's {@code --full-refresh}); default false. Snapshots are
         * never rebuilt.
         */
        public Builder fullRefresh(boolean fullRefresh) {
            this.fullRefresh = fullRefresh;
            return this;
        }

        /**
         * Parses every model, resolves its {@code ref()}s and orders them.
         *
         * @throws IllegalArgumentException when no model was added
         * @throws BadInputException for a bad tag, config, ref, undeclared source or var without a value, naming the
         *         file (or model) and the line
         * @throws TransformException when the models refer to each other in a cycle, naming it
         */
        public TransformProject build() {
            if (sources.isEmpty()) {   // a seeds folder with no CSV file adds none
                throw new IllegalArgumentException("no models: call modelsFrom(directory), model(name, sql) or"
                        + " seedsFrom(directory)");
            }
            List<ProjectModels.Source> all = new ArrayList<>(sources);
            List<TableName> seeds = sources.stream().filter(src -> src.seed() != null).map(ProjectModels.Source::table)
                    .toList();
            for (Map.Entry<TableName, Map<String, String>> types : seedColumnTypes.entrySet()) {
                TableName seed = Select.find(types.getKey(), seeds).orElseThrow(() -> new IllegalArgumentException(
                        "seedColumnTypes names " + types.getKey() + ", which is no seed (seeds: " + seeds + ")"));
                for (int i = 0; i < all.size(); i++) {
                    ProjectModels.Source src = all.get(i);
                    if (src.seed() != null && src.table().equals(seed)) {
                        all.set(i, new ProjectModels.Source(src.table(), src.source(), "",
                                new ModelSpec.SeedSpec(src.seed().file(), types.getValue()), src.file()));
                    }
                }
            }
            ProjectModels resolved = ProjectModels.resolve(List.copyOf(all),
                    new ProjectModels.Declarations(sourceTables, sourceSchemas, vars, grants, macros, target));
            Map<TableName, List<Audit>> audited = new LinkedHashMap<>();
            List<TableName> built = resolved.ordered().stream().map(ModelSpec::table).toList();
            for (Map.Entry<String, List<Audit>> e : audits.entrySet()) {
                TableName named = ProjectModels.modelName(e.getKey());
                TableName t = find(resolved, named).orElseThrow(() -> new IllegalArgumentException("audit names "
                        + named + ", which is no model of this project (models: " + names(built) + ")"));
                if (resolved.ordered().stream().anyMatch(m -> m.table().equals(t) && m.ephemeral())) {
                    throw new IllegalArgumentException("audit names " + t + ", which is ephemeral: it is never built,"
                            + " so there is nothing to audit (audit the models that ref() it)");
                }
                audited.computeIfAbsent(t, k -> new ArrayList<>()).addAll(e.getValue());
            }
            audited.replaceAll((t, list) -> List.copyOf(list));
            return new TransformProject(this, resolved, Map.copyOf(audited));
        }
    }
}
