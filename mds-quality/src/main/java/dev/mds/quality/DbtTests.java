package dev.mds.quality;

import dev.mds.core.Identifiers;
import dev.mds.core.TableName;
import dev.mds.quality.internal.YamlTree;
import dev.mds.quality.internal.YamlTree.ListNode;
import dev.mds.quality.internal.YamlTree.MapNode;
import dev.mds.quality.internal.YamlTree.Node;
import dev.mds.quality.internal.YamlTree.Scalar;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the data tests of dbt properties files ({@code models/*.yml}, config version 2) into the checks dbt would run,
 * named as dbt names them. See {@link QualitySuite#dbtTests}.
 */
final class DbtTests {
    private static final Logger LOG = LoggerFactory.getLogger(DbtTests.class);

    /** One dbt test: the table it checks, dbt's {@code where}, and how to declare it on that table's checks. */
    record Test(TableName table, Optional<String> where, String id, String at, Consumer<TableChecks> declare) {
    }

    /** dbt's config keys, which may also stand among a test's arguments (dbt's {@code CONFIG_ARGS}). */
    private static final List<String> CONFIG_ARGS = List.of("severity", "tags", "enabled", "where", "limit", "warn_if",
            "error_if", "fail_calc", "store_failures", "store_failures_as", "meta", "database", "schema", "alias");
    /** Config keys that change nothing a check here decides (dbt's failures relation, selection, docs). */
    private static final Set<String> CONFIG_WITHOUT_EFFECT = Set.of("tags", "meta", "store_failures",
            "store_failures_as", "database", "schema", "alias", "description", "group");
    private static final Set<String> TOP_LEVEL = Set.of("version", "models", "sources", "seeds", "snapshots",
            "analyses", "macros", "exposures", "metrics", "semantic_models", "saved_queries", "groups", "unit_tests", "anchors",
            "functions");
    private static final Set<String> MODEL_KEYS = Set.of("name", "description", "columns", "tests", "data_tests",
            "config", "meta", "docs", "tags", "access", "group", "constraints", "contract", "latest_version",
            "deprecation_date", "time_spine", "versions");
    private static final Set<String> COLUMN_KEYS = Set.of("name", "description", "tests", "data_tests", "quote", "meta",
            "tags", "data_type", "constraints", "policy_tags", "docs", "config", "granularity");
    private static final Set<String> SOURCE_KEYS = Set.of("name", "description", "database", "schema", "loader",
            "loaded_at_field", "loaded_at_query", "tables", "meta", "tags", "config", "freshness", "quoting",
            "overrides");
    private static final Set<String> SOURCE_TABLE_KEYS = Set.of("name", "description", "identifier",
            "loaded_at_field", "loaded_at_query", "columns", "tests", "data_tests", "meta", "tags", "config",
            "freshness", "quoting", "external", "docs");
    private static final Pattern TEST_NAME = Pattern.compile("(?:([a-zA-Z_][0-9a-zA-Z_]*)\\.)?([a-zA-Z_][0-9a-zA-Z_]*)");
    private static final Pattern REF = Pattern.compile(
            "\\s*ref\\(\\s*(['\"])([^'\"]+)\\1\\s*(?:,\\s*(['\"])([^'\"]+)\\3\\s*)?\\)\\s*");
    private static final Pattern SOURCE = Pattern.compile(
            "\\s*source\\(\\s*(['\"])([^'\"]+)\\1\\s*,\\s*(['\"])([^'\"]+)\\3\\s*\\)\\s*");

    /** A model, seed or snapshot, or a source table: what a test is attached to. */
    private record Target(String yamlName, String testPrefix, TableName table, String label) {
    }

    private record Source(String schema, Map<String, String> identifiers) {
    }

    /** A column: its name as the yml writes it (in dbt's test names) and as PostgreSQL reads it in dbt's SQL. */
    private record Col(String raw, String sql) {
    }

    /** Thrown for a test this class cannot run as dbt would; skippable with {@link UnsupportedDbtTest#SKIP_WITH_WARNING}. */
    private static final class Unsupported extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Unsupported(String message) {
            super(message, null, false, false);
        }
    }

    private final DbtRelations relations;
    private final UnsupportedDbtTest onUnsupported;
    private final Map<String, String> models = new LinkedHashMap<>();       // model name -> where declared
    private final Map<String, String> aliases = new HashMap<>();             // model name -> its config alias
    private final Map<String, String> unmapped = new HashMap<>();            // model name -> why its table must be mapped
    private final Map<String, Source> sources = new LinkedHashMap<>();
    private final List<Test> tests = new ArrayList<>();
    private final Map<String, String> ids = new HashMap<>();                // table + id -> where declared

    private DbtTests(DbtRelations relations, UnsupportedDbtTest onUnsupported) {
        this.relations = relations;
        this.onUnsupported = onUnsupported;
    }

    /** The tests of {@code path} (a yml file, or a directory read recursively for {@code *.yml} and {@code *.yaml}). */
    static List<Test> read(Path path, DbtRelations relations, UnsupportedDbtTest onUnsupported) {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(relations, "relations");
        Objects.requireNonNull(onUnsupported, "onUnsupported");
        List<Path> files = files(path);
        Map<String, MapNode> docs = new LinkedHashMap<>();
        for (Path f : files) {
            String name = Files.isDirectory(path) ? path.relativize(f).toString() : f.toString();
            try (Reader r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
                Node doc = YamlTree.read(r, name);
                if (!(doc instanceof MapNode m)) {
                    throw new IllegalArgumentException(name + " line " + doc.line() + ": a dbt properties file is a mapping"
                            + " (version: 2, models: ...)");
                }
                docs.put(name, m);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read dbt properties file " + f + ": " + e.getMessage(), e);
            }
        }
        DbtTests d = new DbtTests(relations, onUnsupported);
        docs.forEach(d::declare);
        docs.forEach(d::collect);
        return List.copyOf(d.tests);
    }

    private static List<Path> files(Path path) {
        if (!Files.exists(path)) {
            throw new IllegalArgumentException("dbt properties: " + path + " does not exist");
        }
        if (!Files.isDirectory(path)) {
            return List.of(path);
        }
        try (Stream<Path> s = Files.walk(path)) {
            List<Path> files = s.filter(Files::isRegularFile)
                    .filter(p -> p.getFileName().toString().endsWith(".yml") || p.getFileName().toString().endsWith(".yaml"))
                    .sorted().toList();
            if (files.isEmpty()) {
                throw new IllegalArgumentException("dbt properties: no .yml or .yaml file under " + path);
            }
            return files;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list dbt properties files under " + path + ": " + e.getMessage(), e);
        }
    }

    /** First pass: the models and sources the files declare, so a {@code ref} or {@code source} to any of them resolves. */
    private void declare(String file, MapNode doc) {
        for (var e : doc.entries().entrySet()) {
            String at = file + " line " + doc.keyLines().get(e.getKey());
            if (!TOP_LEVEL.contains(e.getKey())) {
                throw new IllegalArgumentException(at + ": unknown key '" + e.getKey() + "' in a dbt properties file (known: "
                        + String.join(", ", new java.util.TreeSet<>(TOP_LEVEL)) + ")");
            }
        }
        Node version = doc.get("version");
        if (version != null && !(version instanceof Scalar s && "2".equals(s.text()))) {
            throw new IllegalArgumentException(file + " line " + version.line() + ": version must be 2 (dbt's properties"
                    + " files), not " + text(version));
        }
        for (String kind : List.of("models", "seeds", "snapshots")) {
            for (MapNode m : entries(file, doc, kind)) {
                String name = string(file, m, "name", kind.substring(0, kind.length() - 1));
                models.putIfAbsent(name, file + " line " + m.line());
                if (m.get("config") instanceof MapNode c) {
                    String what = kind.substring(0, kind.length() - 1) + " " + name;
                    String map = "; map it with DbtRelations.model(\"" + name + "\", \"schema.table\")";
                    if (!isNull(c.get("alias"))) {
                        String at = file + " line " + c.get("alias").line() + ": " + what;
                        String alias = scalarText(file, c.get("alias"), what + ": config alias");
                        if (jinja(alias)) {
                            unmapped.putIfAbsent(name, at + ": config alias '" + alias + "' holds Jinja, which is not rendered" + map);
                        } else {
                            aliases.putIfAbsent(name, alias);
                        }
                    }
                    if (!isNull(c.get("schema"))) {
                        String at = file + " line " + c.get("schema").line() + ": " + what;
                        String schema = scalarText(file, c.get("schema"), what + ": config schema");
                        unmapped.putIfAbsent(name, at + ": config schema '" + schema + "' " + (jinja(schema)
                                ? "holds Jinja, which is not rendered"
                                : "builds its table in the schema the project's generate_schema_name makes of it (dbt's"
                                        + " default: " + relations.schemaName() + "_" + schema + ")") + map);
                    }
                }
            }
        }
        for (MapNode s : entries(file, doc, "sources")) {
            String name = string(file, s, "name", "source");
            String schema = s.get("schema") == null ? name : string(file, s, "schema", "source " + name);
            // quoting: false makes dbt write the name unquoted, which PostgreSQL folds to lower case
            if (!quoting(file, s, "schema", true)) {
                schema = fold(schema);
            }
            boolean quoteIdentifiers = quoting(file, s, "identifier", true);
            Map<String, String> tables = new LinkedHashMap<>();
            for (MapNode t : list(file, s, "tables", "source " + name)) {
                String table = string(file, t, "name", "source " + name + " table");
                String identifier = t.get("identifier") == null ? table
                        : string(file, t, "identifier", "source " + name + " table " + table);
                tables.put(table, quoting(file, t, "identifier", quoteIdentifiers) ? identifier : fold(identifier));
            }
            Source earlier = sources.get(name);
            if (earlier != null) {
                tables.forEach(earlier.identifiers()::putIfAbsent);
            } else {
                sources.put(name, new Source(schema, tables));
            }
        }
    }

    /** Second pass: the tests. */
    private void collect(String file, MapNode doc) {
        for (String kind : List.of("models", "seeds", "snapshots")) {
            String what = kind.substring(0, kind.length() - 1);
            for (MapNode m : entries(file, doc, kind)) {
                String name = string(file, m, "name", what);
                String label = what + " " + name;
                keys(file, m, MODEL_KEYS, label);
                if (m.get("versions") != null) {
                    unsupported(file, m.get("versions").line(), label + ": versioned models (versions:) are not read; map each"
                            + " version's table with DbtRelations.model and write its tests without versions");
                    continue;
                }
                if (disabled(file, m, label)) {
                    continue; // dbt runs no test of a disabled model
                }
                Target target = new Target(name, "", modelTable(name), label);
                testsOf(file, m, target, Optional.empty());
                for (MapNode c : list(file, m, "columns", label)) {
                    keys(file, c, COLUMN_KEYS, label + " column");
                    testsOf(file, c, target, Optional.of(column(file, c, label, false)));
                }
            }
        }
        for (MapNode s : entries(file, doc, "sources")) {
            String sourceName = string(file, s, "name", "source");
            keys(file, s, SOURCE_KEYS, "source " + sourceName);
            freshness(file, s, "source " + sourceName);
            Source source = sources.get(sourceName);
            for (MapNode t : list(file, s, "tables", "source " + sourceName)) {
                String tableName = string(file, t, "name", "source " + sourceName + " table");
                String label = "source " + sourceName + " table " + tableName;
                keys(file, t, SOURCE_TABLE_KEYS, label);
                freshness(file, t, label);
                if (disabled(file, s, "source " + sourceName) || disabled(file, t, label)) {
                    continue;
                }
                TableName table = relations.sourceTable(sourceName, tableName, source.schema(),
                        source.identifiers().get(tableName));
                Target target = new Target(sourceName + "_" + tableName, "source_", table, label);
                testsOf(file, t, target, Optional.empty());
                boolean quoteColumns = quoteColumns(file, t, quoteColumns(file, s, false));
                for (MapNode c : list(file, t, "columns", label)) {
                    keys(file, c, COLUMN_KEYS, label + " column");
                    testsOf(file, c, target, Optional.of(column(file, c, label, quoteColumns)));
                }
            }
        }
    }

    /** Whether the entry's {@code config:} says {@code enabled: false}. */
    private static boolean disabled(String file, MapNode m, String label) {
        if (m.get("config") instanceof MapNode c && c.get("enabled") != null) {
            return !bool(file, c.get("enabled"), true, label + ": config enabled");
        }
        return false;
    }

    private void freshness(String file, MapNode m, String label) {
        Node f = m.get("freshness");
        if (f != null && !(f instanceof Scalar s && s.value() == null)) {
            unsupported(file, f.line(), label + ": freshness: is dbt source freshness (its warn_after and error_after), not a"
                    + " dbt test, and is not run; declare TableChecks.freshness(column, maxAge) in a table(...) of its own,"
                    + " or set freshness: null");
        }
    }

    /**
     * A column. Unquoted, dbt pastes its name into SQL as written, so PostgreSQL folds its ASCII letters to lower case;
     * quoted ({@code quote: true}, or a source's {@code quoting: column: true}), dbt passes it double-quoted, also in
     * the test's name ({@code not_null_orders__Status_}). A name written double-quoted ({@code '"Status"'}) without
     * {@code quote: true} is pasted as written too, so it is the column of that exact name, as in an argument.
     */
    private static Col column(String file, MapNode c, String label, boolean quoteColumns) {
        String name = string(file, c, "name", label + " column");
        Node quote = c.get("quote");
        boolean quoted = isNull(quote) ? quoteColumns : bool(file, quote, false, label + " column " + name + ": quote");
        return quoted ? new Col(Identifiers.quote(name), name) : new Col(name, sqlName(name));
    }

    /** A source's or source table's {@code quoting: <part>:} (schema, identifier), or {@code dflt} when it says nothing. */
    private static boolean quoting(String file, MapNode m, String part, boolean dflt) {
        if (m.get("quoting") instanceof MapNode q && !isNull(q.get(part))) {
            return bool(file, q.get(part), dflt, "quoting: " + part);
        }
        return dflt;
    }

    /** A source's or source table's {@code quoting: column:}, or {@code dflt} when it says nothing. */
    private static boolean quoteColumns(String file, MapNode m, boolean dflt) {
        if (m.get("quoting") instanceof MapNode q && !isNull(q.get("column"))) {
            return bool(file, q.get("column"), false, "quoting: column");
        }
        return dflt;
    }

    /**
     * A column name that dbt pastes into its SQL as written: {@code "Id"} (double-quoted) is the column Id, anything
     * else is read as PostgreSQL reads an unquoted name (ASCII letters folded to lower case).
     */
    private static String sqlName(String written) {
        String w = written.strip();
        if (w.length() >= 2 && w.startsWith("\"") && w.endsWith("\"")) {
            return w.substring(1, w.length() - 1).replace("\"\"", "\"");
        }
        return fold(w);
    }

    /**
     * A column named by an argument dbt pastes into its SQL ({@code field}, {@code combination_of_columns}…), as
     * PostgreSQL reads it ({@link #sqlName}); an expression there is refused as unsupported: a check takes a column.
     */
    private static String columnArg(String test, String argument, String written) {
        if (!isName(written)) {
            throw new Unsupported(test + ": " + argument + " '" + written + "' is an expression, not a column name (dbt pastes"
                    + " it into its SQL; a check here takes a column: make the expression a column of a model)");
        }
        return sqlName(written);
    }

    /** A number scalar's value as a decimal. */
    private static BigDecimal decimal(Scalar s) {
        return s.value() instanceof BigDecimal d ? d : new BigDecimal(s.value().toString());
    }

    /** Whether dbt pastes {@code written} as a column's name: an identifier, bare or double-quoted, not an expression. */
    private static boolean isName(String written) {
        String w = written.strip();
        return w.matches("\"([^\"]|\"\")+\"") || w.matches("[\\p{L}_][\\p{L}\\p{N}_$]*");
    }

    private static String fold(String name) {
        StringBuilder b = new StringBuilder(name.length());
        for (char ch : name.toCharArray()) {
            b.append(ch >= 'A' && ch <= 'Z' ? (char) (ch + 32) : ch);
        }
        return b.toString();
    }

    private void testsOf(String file, MapNode owner, Target target, Optional<Col> column) {
        Node tests = owner.get("data_tests");
        if (owner.get("tests") != null) {
            if (tests != null) {
                throw new IllegalArgumentException(file + " line " + owner.get("tests").line() + ": " + target.label()
                        + column.map(c -> " column " + c.raw()).orElse("") + ": both tests: and data_tests: (dbt refuses this too;"
                        + " keep data_tests:)");
            }
            tests = owner.get("tests");
        }
        if (tests == null || tests instanceof Scalar s && s.value() == null) {
            return;
        }
        if (!(tests instanceof ListNode l)) {
            throw new IllegalArgumentException(file + " line " + tests.line() + ": " + target.label()
                    + column.map(c -> " column " + c.raw()).orElse("") + ": tests must be a list");
        }
        for (Node t : l.items()) {
            try {
                test(file, t, target, column).ifPresent(this::add);
            } catch (Unsupported e) {
                unsupported(file, t.line(), e.getMessage());
            }
        }
    }

    private void add(Test t) {
        String key = t.table() + "\u0000" + t.id();
        String first = ids.putIfAbsent(key, t.at());
        if (first != null) {
            throw new IllegalArgumentException(t.at() + ": test " + t.id() + " on " + t.table() + " is already declared at "
                    + first + " (dbt refuses two tests of one name too; give one a name:)");
        }
        tests.add(t);
    }

    private void unsupported(String file, int line, String message) {
        String m = file + " line " + line + ": " + message;
        if (onUnsupported == UnsupportedDbtTest.FAIL) {
            throw new IllegalArgumentException(m + " (UnsupportedDbtTest.SKIP_WITH_WARNING leaves such tests out)");
        }
        LOG.warn("dbt test left out: {}", m);
    }

    /** One test entry, or empty when it is disabled ({@code enabled: false}). */
    private Optional<Test> test(String file, Node entry, Target target, Optional<Col> column) {
        String where0 = file + " line " + entry.line();
        String ctx = target.label() + column.map(c -> " column " + c.raw()).orElse("");
        String testName;
        Map<String, Node> args = new LinkedHashMap<>();
        if (entry instanceof Scalar s && s.value() instanceof String n) {
            testName = n;
        } else if (entry instanceof MapNode m && m.get("test_name") != null) {
            testName = string(file, m, "test_name", ctx + " test");
            m.entries().forEach((k, v) -> {
                if (!k.equals("test_name")) {
                    args.put(k, v);
                }
            });
        } else if (entry instanceof MapNode m && m.entries().size() == 1) {
            var e = m.entries().entrySet().iterator().next();
            testName = e.getKey();
            Node v = e.getValue();
            if (v instanceof MapNode vm) {
                args.putAll(vm.entries());
            } else if (!(v instanceof Scalar sv && sv.value() == null)) {
                throw new IllegalArgumentException(where0 + ": " + ctx + " test " + testName + ": its arguments must be a"
                        + " mapping (values: [...], config: {...}), not " + text(v));
            }
        } else {
            throw new IllegalArgumentException(where0 + ": " + ctx + ": a test is a name (- unique) or a mapping of one"
                    + " name to its arguments (- accepted_values: {values: [...]}), not " + text(entry));
        }
        String test = ctx + " test " + testName;
        Matcher nm = TEST_NAME.matcher(testName);
        if (!nm.matches()) {
            throw new IllegalArgumentException(where0 + ": " + test + ": not a test name ([package.]name)");
        }
        String namespace = nm.group(1);
        String name = nm.group(2);
        Node arguments = args.remove("arguments");
        if (arguments != null) {
            if (!(arguments instanceof MapNode am)) {
                throw new IllegalArgumentException(where0 + ": " + test + ": arguments must be a mapping");
            }
            for (var e : am.entries().entrySet()) {
                if (args.putIfAbsent(e.getKey(), e.getValue()) != null) {
                    throw new IllegalArgumentException(where0 + ": " + test + ": '" + e.getKey() + "' given both under arguments:"
                            + " and beside it");
                }
            }
        }
        // dbt's config: keys among the arguments, then config: (a key in both is an error in dbt too)
        Map<String, Node> config = new LinkedHashMap<>();
        Node configNode = args.remove("config");
        for (String k : CONFIG_ARGS) {
            Node v = args.remove(k);
            if (v != null) {
                config.put(k, v);
            }
        }
        if (configNode != null && !(configNode instanceof Scalar cs && cs.value() == null)) {
            if (!(configNode instanceof MapNode cm)) {
                throw new IllegalArgumentException(where0 + ": " + test + ": config must be a mapping");
            }
            for (var e : cm.entries().entrySet()) {
                if (config.putIfAbsent(e.getKey(), e.getValue()) != null) {
                    throw new IllegalArgumentException(file + " line " + e.getValue().line() + ": " + test + ": config '"
                            + e.getKey() + "' given both in config: and beside it (dbt refuses this too)");
                }
            }
        }
        Node customName = args.remove("name");
        args.remove("description");
        if (column.isPresent()) {
            args.put("column_name", new Scalar(column.get().raw(), column.get().raw(), entry.line()));
        }
        String id;
        if (customName != null) {
            id = scalarText(file, customName, test + ": name");
        } else {
            String prefix = (namespace != null ? namespace + "_" : "") + target.testPrefix() + name;
            id = fullName(prefix, target.yamlName(), args);
        }
        // config
        Severity severity = Severity.ERROR;
        String warnIf = null;
        String errorIf = null;
        String where = null;
        for (var e : config.entrySet()) {
            String k = e.getKey();
            Node v = e.getValue();
            String at = file + " line " + v.line() + ": " + test;
            switch (k) {
                case "enabled" -> {
                    if (v instanceof Scalar s && s.value() instanceof String str) {
                        noJinja(at, str);
                    }
                    if (!(v instanceof Scalar s && s.value() instanceof Boolean b)) {
                        throw new IllegalArgumentException(at + ": enabled must be true or false, not " + text(v));
                    }
                    if (!b) {
                        return Optional.empty();
                    }
                }
                case "severity" -> {
                    String s = noJinja(at, scalarText(file, v, test + ": severity"));
                    severity = switch (s.toLowerCase(Locale.ROOT)) {
                        case "warn" -> Severity.WARN;
                        case "error" -> Severity.ERROR;
                        default -> throw new IllegalArgumentException(at + ": severity must be warn or error, not '" + s + "'");
                    };
                }
                case "warn_if" -> warnIf = noJinja(at, scalarText(file, v, test + ": warn_if"));
                case "error_if" -> errorIf = noJinja(at, scalarText(file, v, test + ": error_if"));
                case "where" -> {
                    if (!(v instanceof Scalar s && s.value() == null)) {
                        String w = noJinja(at, scalarText(file, v, test + ": where"));
                        // dbt's get_where_subquery filters only when the where is not empty ({% if where %})
                        if (!w.isEmpty() && w.isBlank()) {
                            throw new IllegalArgumentException(at + ": where is blank (leave it out, or write a condition)");
                        }
                        where = w.isEmpty() ? null : w;
                    }
                }
                case "fail_calc" -> {
                    String calc = scalarText(file, v, test + ": fail_calc");
                    if (!calc.replace(" ", "").equalsIgnoreCase("count(*)")) {
                        throw new Unsupported(test + ": fail_calc '" + calc + "' is not supported (failures are counted as"
                                + " dbt's default count(*))");
                    }
                }
                case "limit" -> throw new Unsupported(test + ": config limit is not supported (it caps the failures dbt"
                        + " counts; here every failing row is counted)");
                default -> {
                    if (k.equals("name")) {
                        throw new Unsupported(test + ": name under config: (dbt does not take a test's name from its"
                                + " config and names it " + id + "; write name: beside the test's arguments)");
                    }
                    if (!CONFIG_WITHOUT_EFFECT.contains(k)) {
                        throw new Unsupported(test + ": unknown config '" + k + "'");
                    }
                }
            }
        }
        for (String[] cond : new String[][] {{"warn_if", warnIf}, {"error_if", errorIf}}) {
            if (cond[1] != null) {
                try {
                    Threshold.parse(cond[1]);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(file + " line " + config.get(cond[0]).line() + ": " + test + ": "
                            + cond[0] + " " + e.getMessage(), e);
                }
            }
        }
        Consumer<TableChecks> declare = declare(file, entry.line(), test, namespace, name, args, id, target, column);
        Severity sev = severity;
        String w = warnIf;
        String er = errorIf;
        Consumer<TableChecks> full = t -> {
            declare.accept(t);
            t.id(id).severity(sev);
            if (w != null) {
                t.warnIf(w);
            }
            if (er != null) {
                t.errorIf(er);
            }
        };
        if ((warnIf != null || errorIf != null) && "recency".equals(name)) {
            for (String cond : new String[] {warnIf, errorIf}) {
                if (cond != null && !Threshold.parse(cond).equals(Threshold.NONE)) {
                    throw new Unsupported(test + ": warn_if / error_if '" + cond + "' on recency, which passes or fails as a"
                            + " whole here");
                }
            }
            full = t -> {
                declare.accept(t);
                t.id(id).severity(sev);
            };
        }
        return Optional.of(new Test(target.table(), Optional.ofNullable(where), id, where0, full));
    }

    /** How the test declares its check, after checking its arguments. */
    private Consumer<TableChecks> declare(String file, int line, String test, String namespace, String name,
            Map<String, Node> args, String id, Target target, Optional<Col> column) {
        String at = file + " line " + line + ": " + test;
        String kind = namespace == null ? name : namespace + "." + name;
        Node columnName = args.get("column_name");
        String rawColumn = columnName == null ? null : scalarText(file, columnName, test + ": column_name");
        String col = column.map(Col::sql).orElse(rawColumn == null ? null : sqlName(rawColumn));
        // dbt pastes column_name into its SQL, so it may be an expression ("(country_code || '-' || order_id)", as dbt's
        // docs test one for uniqueness); a check takes a column: only expression_is_true pastes it too
        if (column.isEmpty() && rawColumn != null && !kind.equals("dbt_utils.expression_is_true") && !isName(rawColumn)) {
            throw new Unsupported(test + ": column_name '" + rawColumn + "' is an expression, not a column name (dbt pastes"
                    + " it into its SQL; a check here takes a column: make the expression a column of a model, or test it"
                    + " with dbt_utils.expression_is_true)");
        }
        switch (kind) {
            case "not_null" -> {
                allowed(at, args, Set.of("column_name"), Set.of("column_name"));
                return t -> t.notNull(col);
            }
            case "unique" -> {
                allowed(at, args, Set.of("column_name"), Set.of("column_name"));
                return t -> t.unique(col).countValues();
            }
            case "accepted_values" -> {
                allowed(at, args, Set.of("column_name", "values", "quote"), Set.of("column_name", "values"));
                boolean quote = bool(file, args.get("quote"), true, test + ": quote");
                Node values = args.get("values");
                if (!(values instanceof ListNode vl) || vl.items().isEmpty()) {
                    throw new IllegalArgumentException(file + " line " + values.line() + ": " + test
                            + ": values must be a non-empty list");
                }
                List<Object> list = new ArrayList<>();
                for (Node v : vl.items()) {
                    if (!(v instanceof Scalar s) || s.value() == null) {
                        throw new IllegalArgumentException(file + " line " + v.line() + ": " + test + ": a value must be a"
                                + " string, number or boolean, not " + text(v));
                    }
                    if (!quote && s.value() instanceof String str) {
                        throw new Unsupported(test + ": with quote: false the value '" + str + "' is SQL dbt pastes into"
                                + " its query; only numbers and booleans are taken unquoted");
                    }
                    list.add(pyStr(s));
                }
                return t -> t.acceptedValues(col, list.toArray()).countValues();
            }
            case "relationships" -> {
                allowed(at, args, Set.of("column_name", "to", "field"), Set.of("column_name", "to", "field"));
                String to = noJinja(at, scalarText(file, args.get("to"), test + ": to"));
                String field = columnArg(test, "field", scalarText(file, args.get("field"), test + ": field"));
                TableName parent = resolve(file, args.get("to").line(), test, to);
                return t -> t.relationships(col, parent.toString(), field);
            }
            case "dbt_utils.unique_combination_of_columns" -> {
                allowed(at, args, Set.of("combination_of_columns", "quote_columns"), Set.of("combination_of_columns"));
                boolean quoted = bool(file, args.get("quote_columns"), false, test + ": quote_columns");
                Node cols = args.get("combination_of_columns");
                if (!(cols instanceof ListNode cl) || cl.items().isEmpty()) {
                    throw new IllegalArgumentException(file + " line " + cols.line() + ": " + test
                            + ": combination_of_columns must be a non-empty list of column names");
                }
                String[] names = cl.items().stream()
                        .map(n -> scalarText(file, n, test + ": combination_of_columns"))
                        .map(n -> quoted ? n : columnArg(test, "combination_of_columns", n)).toArray(String[]::new);
                return t -> t.unique(names).nullKeys(NullKeys.COMPARED).countValues();
            }
            case "dbt_utils.expression_is_true" -> {
                allowed(at, args, Set.of("column_name", "expression"), Set.of("expression"));
                String expression = noJinja(at, scalarText(file, args.get("expression"), test + ": expression"));
                // dbt-utils: where not(<column_name> <expression>), the column name pasted as written
                String condition = col == null ? expression
                        : (column.isPresent() ? Identifiers.quote(col) : rawColumn) + " " + expression;
                return t -> t.expression(id, condition);
            }
            case "dbt_utils.accepted_range" -> {
                allowed(at, args, Set.of("column_name", "min_value", "max_value", "inclusive"), Set.of("column_name"));
                boolean inclusive = bool(file, args.get("inclusive"), true, test + ": inclusive");
                Node min = args.get("min_value");
                Node max = args.get("max_value");
                if (isNull(min) && isNull(max)) {
                    throw new IllegalArgumentException(at + ": give min_value, max_value or both");
                }
                String c = col;
                if (isNumberOrNull(min) && isNumberOrNull(max)) {
                    // the value YAML read, not its text: 0x0F, 017 and 1_000 are integers there, as for dbt's PyYAML
                    Object lo = isNull(min) ? null : decimal((Scalar) min);
                    Object hi = isNull(max) ? null : decimal((Scalar) max);
                    return inclusive ? t -> t.range(c, lo, hi) : t -> t.range(c, lo, hi).exclusive();
                }
                // a bound that is SQL ('2020-01-01', current_date): dbt-utils pastes it; so does this expression
                String op = inclusive ? "=" : "";
                StringBuilder cond = new StringBuilder();
                if (!isNull(min)) {
                    cond.append(Identifiers.quote(c)).append(" >").append(op).append(' ')
                            .append(noJinja(at, sqlOf(file, min, test + ": min_value")));
                }
                if (!isNull(max)) {
                    cond.append(cond.length() > 0 ? " and " : "").append(Identifiers.quote(c)).append(" <").append(op)
                            .append(' ').append(noJinja(at, sqlOf(file, max, test + ": max_value")));
                }
                String condition = cond.toString();
                return t -> t.expression(id, condition);
            }
            case "dbt_utils.recency" -> {
                allowed(at, args, Set.of("datepart", "field", "interval", "group_by_columns", "ignore_time_component"),
                        Set.of("datepart", "field", "interval"));
                if (bool(file, args.get("ignore_time_component"), false, test + ": ignore_time_component")) {
                    throw new Unsupported(test + ": ignore_time_component: true is not supported");
                }
                String datepart = scalarText(file, args.get("datepart"), test + ": datepart").toLowerCase(Locale.ROOT);
                Node iv = args.get("interval");
                if (!(iv instanceof Scalar is && is.value() instanceof Long n) || n <= 0) {
                    throw new IllegalArgumentException(file + " line " + iv.line() + ": " + test
                            + ": interval must be a positive whole number, not " + text(iv));
                }
                Duration maxAge = switch (datepart) {
                    case "second" -> Duration.ofSeconds(n);
                    case "minute" -> Duration.ofMinutes(n);
                    case "hour" -> Duration.ofHours(n);
                    case "day" -> Duration.ofDays(n);
                    case "week" -> Duration.ofDays(7 * n);
                    default -> throw new Unsupported(test + ": datepart '" + datepart + "' has no fixed length (second,"
                            + " minute, hour, day and week are taken)");
                };
                String field = columnArg(test, "field", scalarText(file, args.get("field"), test + ": field"));
                Node g = args.get("group_by_columns");
                List<String> groups = new ArrayList<>();
                if (g != null && !isNull(g)) {
                    if (!(g instanceof ListNode gl)) {
                        throw new IllegalArgumentException(file + " line " + g.line() + ": " + test
                                + ": group_by_columns must be a list");
                    }
                    gl.items().forEach(x -> groups.add(columnArg(test, "group_by_columns", scalarText(file, x, test + ": group_by_columns"))));
                }
                return groups.isEmpty() ? t -> t.freshness(field, maxAge)
                        : t -> t.freshness(field, maxAge).groupBy(groups.toArray(String[]::new));
            }
            default -> throw new Unsupported(test + ": unknown test (taken: not_null, unique, accepted_values,"
                    + " relationships, dbt_utils.unique_combination_of_columns, dbt_utils.expression_is_true,"
                    + " dbt_utils.accepted_range, dbt_utils.recency)");
        }
    }

    /**
     * A model's table: as {@link DbtRelations#model} maps it, else the table of its config alias (or its name) in the
     * relations' schema, as dbt names its relation. A model whose config gives a schema is refused unless mapped: dbt
     * builds it in the schema the project's generate_schema_name makes of it (by default the target schema, an
     * underscore and the custom schema), which the yml does not say.
     */
    private TableName modelTable(String model) {
        if (relations.mapsModel(model)) {
            return relations.modelTable(model);
        }
        String why = unmapped.get(model);
        if (why != null) {
            throw new IllegalArgumentException(why);
        }
        return relations.defaultTable(aliases.getOrDefault(model, model));
    }

    /** The table of {@code ref('model')} or {@code source('source', 'table')}. */
    private TableName resolve(String file, int line, String test, String to) {
        Matcher r = REF.matcher(to);
        if (r.matches()) {
            String model = r.group(4) != null ? r.group(4) : r.group(2);
            if (!models.containsKey(model) && !relations.mapsModel(model)) {
                throw new IllegalArgumentException(file + " line " + line + ": " + test + ": ref('" + model + "') names no"
                        + " model, seed or snapshot of the yml files read" + (models.isEmpty() ? "" : " ("
                        + String.join(", ", models.keySet()) + ")") + "; map it with DbtRelations.model(\"" + model
                        + "\", \"schema.table\")");
            }
            return modelTable(model);
        }
        Matcher s = SOURCE.matcher(to);
        if (s.matches()) {
            String source = s.group(2);
            String table = s.group(4);
            Source src = sources.get(source);
            if (src == null || !src.identifiers().containsKey(table)) {
                throw new IllegalArgumentException(file + " line " + line + ": " + test + ": source('" + source + "', '" + table
                        + "') is declared in no sources: of the yml files read");
            }
            return relations.sourceTable(source, table, src.schema(), src.identifiers().get(table));
        }
        throw new IllegalArgumentException(file + " line " + line + ": " + test + ": to must be ref('model') or"
                + " source('source', 'table'), not '" + to + "'");
    }

    /**
     * dbt's name for a generic test ({@code synthesize_generic_test_names}'s full name, the node's name in
     * {@code dbt test}'s output): {@code <test>_<target>_<arguments>}, the arguments' values in the order of their
     * sorted names, each with runs of characters other than letters, digits and {@code _} made {@code _}, joined by
     * {@code __}.
     */
    static String fullName(String test, String target, Map<String, Node> args) {
        List<String> parts = new ArrayList<>();
        new TreeMap<>(args).forEach((k, v) -> {
            if (v instanceof MapNode m) {
                m.entries().values().forEach(x -> parts.add(pyStr(x)));
            } else if (v instanceof ListNode l) {
                l.items().forEach(x -> parts.add(pyStr(x)));
            } else {
                parts.add(pyStr(v));
            }
        });
        List<String> clean = parts.stream().map(p -> p.replaceAll("[^0-9a-zA-Z_]+", "_")).toList();
        return test + "_" + target + "_" + String.join("__", clean);
    }

    /** Python's {@code str()} of a YAML value, as dbt builds names and renders {@code '{{ value }}'}. */
    private static String pyStr(Node n) {
        if (n instanceof Scalar s) {
            Object v = s.value();
            if (v == null) {
                return "None";
            }
            if (v instanceof Boolean b) {
                return b ? "True" : "False";
            }
            if (v instanceof Long || v instanceof BigInteger) {
                return v.toString();
            }
            if (v instanceof BigDecimal) {
                double d = Double.parseDouble(s.text());
                double a = Math.abs(d);
                if (a == 0 || a >= 1e-4 && a < 1e16) {
                    String plain = new BigDecimal(Double.toString(d)).toPlainString();
                    return plain.contains(".") ? plain : plain + ".0";
                }
                return Double.toString(d);
            }
            return v.toString();
        }
        return pyRepr(n);
    }

    private static String pyRepr(Node n) {
        if (n instanceof Scalar s) {
            return s.value() instanceof String str ? "'" + str.replace("\\", "\\\\").replace("'", "\\'") + "'" : pyStr(s);
        }
        if (n instanceof ListNode l) {
            return "[" + String.join(", ", l.items().stream().map(DbtTests::pyRepr).toList()) + "]";
        }
        MapNode m = (MapNode) n;
        List<String> kv = new ArrayList<>();
        m.entries().forEach((k, v) -> kv.add("'" + k + "': " + pyRepr(v)));
        return "{" + String.join(", ", kv) + "}";
    }

    private static void allowed(String at, Map<String, Node> args, Set<String> allowed, Set<String> required) {
        for (String k : args.keySet()) {
            if (!allowed.contains(k)) {
                throw new Unsupported(at.substring(at.indexOf(": ") + 2) + ": unknown argument '" + k + "' (taken: "
                        + String.join(", ", new java.util.TreeSet<>(allowed)) + ")");
            }
        }
        for (String k : required) {
            if (isNull(args.get(k))) {
                throw new IllegalArgumentException(at + ": " + (k.equals("column_name")
                        ? "a column test: give it under a column's tests:, or column_name:" : "missing '" + k + "'"));
            }
        }
    }

    private static boolean isNull(Node n) {
        return n == null || n instanceof Scalar s && s.value() == null;
    }

    private static boolean isNumberOrNull(Node n) {
        return isNull(n) || n instanceof Scalar s && (s.value() instanceof Long || s.value() instanceof BigInteger
                || s.value() instanceof BigDecimal);
    }

    private static String sqlOf(String file, Node n, String what) {
        if (n instanceof Scalar s && s.value() instanceof Boolean) {
            return pyStr(s);
        }
        return scalarText(file, n, what);
    }

    private static boolean bool(String file, Node n, boolean dflt, String what) {
        if (isNull(n)) {
            return dflt;
        }
        if (n instanceof Scalar s && s.value() instanceof Boolean b) {
            return b;
        }
        throw new IllegalArgumentException(file + " line " + n.line() + ": " + what + " must be true or false, not " + text(n));
    }

    private static boolean jinja(String text) {
        return text.contains("{{") || text.contains("{%");
    }

    private static String noJinja(String at, String text) {
        if (text.contains("{{") || text.contains("{%")) {
            throw new Unsupported(at.substring(at.indexOf(": ") + 2) + ": '" + text + "' holds Jinja, which is not rendered"
                    + " here");
        }
        return text;
    }

    private static String scalarText(String file, Node n, String what) {
        if (n instanceof Scalar s && s.value() != null) {
            return s.value() instanceof String str ? str : s.text();
        }
        throw new IllegalArgumentException(file + " line " + (n == null ? "?" : n.line()) + ": " + what + " must be a"
                + " string, not " + text(n));
    }

    private static String string(String file, MapNode m, String key, String what) {
        Node n = m.get(key);
        if (n instanceof Scalar s && s.value() instanceof String str && !str.isBlank()) {
            return str;
        }
        throw new IllegalArgumentException(file + " line " + (n == null ? m.line() : n.line()) + ": " + what + ": '" + key
                + "' must be a non-empty string" + (n == null ? " and is missing" : ", not " + text(n)));
    }

    private static List<MapNode> entries(String file, MapNode doc, String key) {
        return list(file, doc, key, key);
    }

    private static List<MapNode> list(String file, MapNode m, String key, String what) {
        Node n = m.get(key);
        if (isNull(n)) {
            return List.of();
        }
        if (!(n instanceof ListNode l)) {
            throw new IllegalArgumentException(file + " line " + n.line() + ": " + what + ": " + key + " must be a list");
        }
        List<MapNode> out = new ArrayList<>();
        for (Node item : l.items()) {
            if (!(item instanceof MapNode im)) {
                throw new IllegalArgumentException(file + " line " + item.line() + ": " + what + ": each entry of " + key
                        + " must be a mapping with a name, not " + text(item));
            }
            out.add(im);
        }
        return out;
    }

    private static void keys(String file, MapNode m, Set<String> known, String what) {
        for (var e : m.entries().entrySet()) {
            if (!known.contains(e.getKey())) {
                throw new IllegalArgumentException(file + " line " + m.keyLines().get(e.getKey()) + ": " + what
                        + (m.get("name") instanceof Scalar s ? " " + s.text() : "") + ": unknown key '" + e.getKey() + "'");
            }
        }
    }

    private static String text(Node n) {
        if (n == null) {
            return "nothing";
        }
        return n instanceof Scalar s ? (s.value() == null ? "null" : "'" + s.text() + "'")
                : n instanceof ListNode ? "a list" : "a mapping";
    }
}
