package dev.mds.transform.internal;

import dev.mds.core.TableName;
import dev.mds.transform.Materialization;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * dbt's node selection syntax ({@code --select} / {@code --exclude}): parses a selector string into criteria and
 * finds the models they select in a project.
 */
public final class Selector {
    /** dbt's RAW_SELECTOR_PATTERN: {@code @}, {@code n+}, {@code method:}, the value, {@code +n}. */
    private static final Pattern CRITERION = Pattern.compile(
            "(@)?(?:(\\d*)\\+)?(?:([A-Za-z0-9_.]+):)?(.*?)(?:\\+(\\d*))?");
    /** No graph operator in this direction. */
    public static final int NONE = -1;
    /** All the way: {@code +} without a number. */
    public static final int ALL = Integer.MAX_VALUE;
    private static final List<String> MATERIALIZED = Arrays.stream(Materialization.values())
            .map(Materialization::configName).toList();

    private Selector() {
    }

    /** How a criterion's value finds models. */
    public enum Method {
        /** A model's name, {@code schema.model}, found as {@code Select.models} finds it. */
        NAME,
        /** A name with {@code *} or {@code ?}: every model whose {@code schema.model} matches it. */
        GLOB,
        /** {@code tag:}, a tag in config(tags=...) ({@code *} and {@code ?} allowed). */
        TAG,
        /** {@code path:}, or a value with a {@code /}: the model and seed files at or below this path. */
        PATH,
        /**
         * {@code config.<key>:}, the models whose config sets key to the value (or, for a list, holds it): materialized
         * as resolved ({@code view} by default, {@code seed} for seeds), tags as {@link #TAG}, enabled is true for
         * every model in the project, the other keys as written in config().
         */
        CONFIG
    }

    /**
     * One criterion of a selector: a method and value, with graph operators.
     *
     * @param text the criterion as written ({@code +silver.tx+})
     * @param at where it starts in the selector string (0-based)
     * @param childrensParents dbt's {@code @}: its descendants and all their ancestors too
     * @param parents how many levels of ancestors ({@code 2+x}): {@link #NONE}, a number, or {@link #ALL}
     * @param children how many levels of descendants ({@code x+2}), likewise
     * @param method how the value finds models
     * @param key for {@link Method#CONFIG}, the config key ({@code materialized}); else null
     * @param value the value as written
     */
    public record Criterion(String text, int at, boolean childrensParents, int parents, int children, Method method,
            String key, String value) {
        /** Whether it has any graph operator. */
        public boolean operators() {
            return childrensParents || parents != NONE || children != NONE;
        }
    }

    /**
     * Parses a selector: criteria separated by white space are a union, those joined by commas (without white
     * space) an intersection.
     *
     * @param flag {@code select} or {@code exclude}, for messages
     * @return the union's members, each the list of criteria it intersects
     * @throws IllegalArgumentException naming the part of {@code selector} that cannot be read and where it starts
     */
    public static List<List<Criterion>> parse(String selector, String flag) {
        List<List<Criterion>> union = new ArrayList<>();
        int i = 0;
        int n = selector.length();
        while (i < n) {
            if (Character.isWhitespace(selector.charAt(i))) {
                i++;
                continue;
            }
            int start = i;
            boolean quoted = false;
            while (i < n && (quoted || !Character.isWhitespace(selector.charAt(i)))) {
                quoted ^= selector.charAt(i) == '"';
                i++;
            }
            if (quoted) {
                throw bad(selector, flag, start, selector.substring(start, i), "a '\"' is left open");
            }
            union.add(intersection(selector, flag, start, i));
        }
        if (union.isEmpty()) {
            throw new IllegalArgumentException(flag + " '" + selector + "' is empty: name a model, tag:..., path:... or"
                    + " config.materialized:...");
        }
        return List.copyOf(union);
    }

    /** The comma-joined criteria of {@code selector[start, end)}. */
    private static List<Criterion> intersection(String selector, String flag, int start, int end) {
        List<Criterion> all = new ArrayList<>();
        int from = start;
        boolean quoted = false;
        for (int i = start; i <= end; i++) {
            char c = i < end ? selector.charAt(i) : ',';
            quoted ^= c == '"';
            if (c == ',' && !quoted) {
                if (i == from) {
                    throw bad(selector, flag, from, selector.substring(start, end), "an empty criterion "
                            + (i == start ? "before" : i == end ? "after" : "between") + " ','"
                            + " (a comma intersects the criteria on either side)");
                }
                all.add(criterion(selector, flag, from, selector.substring(from, i)));
                from = i + 1;
            }
        }
        return List.copyOf(all);
    }

    private static Criterion criterion(String selector, String flag, int at, String text) {
        Matcher m = CRITERION.matcher(text);
        if (!m.matches()) {   // the value's .*? accepts anything; kept as a guard
            throw bad(selector, flag, at, text, "cannot be read");
        }
        boolean childrensParents = m.group(1) != null;
        int parents = depth(selector, flag, at, text, m.group(2));
        int children = depth(selector, flag, at, text, m.group(5));
        String method = m.group(3);
        String value = m.group(4);
        if (childrensParents && (parents != NONE || children != NONE)) {
            throw bad(selector, flag, at, text, "'@' cannot be combined with '+' (as in dbt): @x already selects x's"
                    + " descendants and their ancestors");
        }
        if (value.isEmpty()) {
            throw bad(selector, flag, at, text, method != null ? "no value after '" + method + ":'"
                    : "names no model (a graph operator needs a model, tag:..., path:... or config...:... )");
        }
        int inside = firstOutsideQuotes(value, "+@");
        if (inside >= 0) {
            throw bad(selector, flag, at, text, "'" + value.charAt(inside) + "' inside '" + value + "': '@' and 'n+'"
                    + " go before a criterion, '+n' after it");
        }
        if (method == null) {
            boolean path = value.indexOf('"') < 0 && (value.contains("/") || value.endsWith(".sql")
                    || value.endsWith(".csv"));
            if (path) {
                return new Criterion(text, at, childrensParents, parents, children, Method.PATH, null,
                        checkedPath(selector, flag, at, text, value));
            }
            if (firstOutsideQuotes(value, "*?") >= 0) {
                return new Criterion(text, at, childrensParents, parents, children, Method.GLOB, null, value);
            }
            try {
                ProjectModels.modelName(value);
            } catch (IllegalArgumentException e) {
                throw bad(selector, flag, at, text, "not a model name: " + e.getMessage());
            }
            return new Criterion(text, at, childrensParents, parents, children, Method.NAME, null, value);
        }
        switch (method) {
            case "tag":
                return new Criterion(text, at, childrensParents, parents, children, Method.TAG, null, value);
            case "path":
                return new Criterion(text, at, childrensParents, parents, children, Method.PATH, null,
                        checkedPath(selector, flag, at, text, value));
            default:
                break;
        }
        if (!method.startsWith("config.")) {
            throw bad(selector, flag, at, text, "unknown method '" + method + "' (supported: tag, path,"
                    + " config.<key>; a model is named without a method)");
        }
        String key = method.substring("config.".length());
        if (!ProjectModels.configKeys().contains(key)) {
            throw bad(selector, flag, at, text, "unknown config key '" + key + "' (supported: "
                    + String.join(", ", ProjectModels.configKeys()) + ")");
        }
        if (key.equals("materialized") && !MATERIALIZED.contains(value.toLowerCase(Locale.ROOT))) {
            throw bad(selector, flag, at, text, "materialized is one of " + String.join(", ", MATERIALIZED)
                    + ", not '" + value + "'");
        }
        return new Criterion(text, at, childrensParents, parents, children, Method.CONFIG, key, value);
    }

    private static String checkedPath(String selector, String flag, int at, String text, String value) {
        try {
            Path.of(value);
            return value;
        } catch (InvalidPathException e) {
            throw bad(selector, flag, at, text, "not a path: " + e.getMessage());
        }
    }

    private static int depth(String selector, String flag, int at, String text, String digits) {
        if (digits == null) {
            return NONE;
        }
        if (digits.isEmpty()) {
            return ALL;
        }
        try {
            return Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            throw bad(selector, flag, at, text, "depth " + digits + " is too large");
        }
    }

    private static int firstOutsideQuotes(String value, String chars) {
        boolean quoted = false;
        for (int i = 0; i < value.length(); i++) {
            quoted ^= value.charAt(i) == '"';
            if (!quoted && chars.indexOf(value.charAt(i)) >= 0) {
                return i;
            }
        }
        return -1;
    }

    private static IllegalArgumentException bad(String selector, String flag, int at, String part, String why) {
        return new IllegalArgumentException("cannot read " + flag + " '" + selector + "': '" + part
                + "' at character " + (at + 1) + ": " + why);
    }

    /**
     * The models (ephemeral ones and seeds included) that the union of intersections selects: each criterion's
     * models, widened by its graph operators, intersected, then joined.
     *
     * @param named finds the model a name criterion names, or throws naming it (as {@code Select.models} does)
     * @throws IllegalArgumentException for a criterion that matches no model, naming it
     */
    public static Set<TableName> select(ProjectModels models, List<List<Criterion>> union, String flag,
            String selector, Function<Criterion, TableName> named) {
        Set<TableName> out = new LinkedHashSet<>();
        for (List<Criterion> intersection : union) {
            Set<TableName> common = null;
            for (Criterion c : intersection) {
                Set<TableName> these = widen(models, matches(models, c, flag, selector, named), c);
                if (common == null) {
                    common = these;
                } else {
                    common.retainAll(these);
                }
            }
            out.addAll(common);
        }
        return out;
    }

    /** The models {@code c}'s method and value find, before graph operators. */
    private static Set<TableName> matches(ProjectModels models, Criterion c, String flag, String selector,
            Function<Criterion, TableName> named) {
        Set<TableName> found = new LinkedHashSet<>();
        switch (c.method()) {
            case NAME:
                found.add(named.apply(c));
                return found;
            case GLOB:
                Pattern glob = nameGlob(c.value());
                models.ordered().stream().filter(m -> glob.matcher(m.table().schema() + "." + m.table().name()).matches())
                        .forEach(m -> found.add(m.table()));
                return nonEmpty(found, c, flag, selector, "no model's schema.name matches it");
            case TAG:
                Pattern tag = glob(c.value());
                models.ordered().stream().filter(m -> m.tags().stream().anyMatch(t -> tag.matcher(t).matches()))
                        .forEach(m -> found.add(m.table()));
                Set<String> tags = new TreeSet<>();
                models.ordered().forEach(m -> tags.addAll(m.tags()));
                return nonEmpty(found, c, flag, selector, "no model has this tag (" + (tags.isEmpty()
                        ? "no model has tags: config(tags=['nightly'])" : "tags: " + String.join(", ", tags)) + ")");
            case PATH:
                Path wanted = Path.of(c.value()).normalize();
                models.ordered().stream().filter(m -> m.file() != null && under(m.file(), wanted))
                        .forEach(m -> found.add(m.table()));
                return nonEmpty(found, c, flag, selector, "no model or seed file is at or below this path ("
                        + (models.ordered().stream().anyMatch(m -> m.file() != null)
                                ? "paths are relative to the directory given to modelsFrom or seedsFrom, or start with it"
                                : "this project has no models from files") + ")");
            default:
                models.ordered().stream().filter(m -> hasConfig(m, c.key(), c.value())).forEach(m -> found.add(m.table()));
                return nonEmpty(found, c, flag, selector, "no model has " + c.key() + "='" + c.value() + "'");
        }
    }

    private static Set<TableName> nonEmpty(Set<TableName> found, Criterion c, String flag, String selector, String why) {
        if (found.isEmpty()) {
            throw new IllegalArgumentException(flag + " '" + selector + "': '" + c.text() + "' (character " + (c.at() + 1)
                    + ") selects nothing: " + why);
        }
        return found;
    }

    /** Whether the file is {@code wanted} or below it: relative to its directory, or as found. */
    private static boolean under(ModelSpec.ModelFile file, Path wanted) {
        Path found = file.path().normalize();
        if (wanted.isAbsolute()) {
            return found.toAbsolutePath().startsWith(wanted);
        }
        return file.relative().normalize().startsWith(wanted) || found.startsWith(wanted);
    }

    /** Whether config() sets {@code key} to {@code value}, or to a list holding it. */
    private static boolean hasConfig(ModelSpec m, String key, String value) {
        if (key.equals("materialized")) {
            return m.materialization().configName().equals(value.toLowerCase(Locale.ROOT));
        }
        if (key.equals("tags")) {
            return m.tags().contains(value);
        }
        if (key.equals("enabled")) {   // a disabled model is not in the project
            return value.equalsIgnoreCase("true");
        }
        Template.Setting setting = m.template().config().get(key);
        if (setting == null) {
            return false;
        }
        Object v = setting.value();
        if (v instanceof Collection<?> list) {
            return list.contains(value);
        }
        return v instanceof Boolean ? v.toString().equalsIgnoreCase(value) : v.equals(value);
    }

    /**
     * A wildcard over {@code schema.name} as SQL reads a name: {@code *} any characters, {@code ?} one, the rest
     * literal; a double-quoted part is literal throughout ({@code *} and {@code ?} included), its quotes dropped and a
     * doubled quote one quote, so {@code "Gold Ü".*} matches the models of the schema {@code Gold Ü}.
     */
    private static Pattern nameGlob(String glob) {
        StringBuilder regex = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < glob.length(); i = glob.offsetByCodePoints(i, 1)) {
            int ch = glob.codePointAt(i);
            if (ch == '"') {
                if (quoted && i + 1 < glob.length() && glob.charAt(i + 1) == '"') {
                    regex.append(Pattern.quote("\""));
                    i++;
                } else {
                    quoted = !quoted;
                }
            } else if (!quoted && ch == '*') {
                regex.append(".*");
            } else if (!quoted && ch == '?') {
                regex.append('.');
            } else {
                regex.append(Pattern.quote(new String(Character.toChars(ch))));
            }
        }
        return Pattern.compile(regex.toString(), Pattern.DOTALL);
    }

    /** {@code *} any characters, {@code ?} one; the rest literal. */
    private static Pattern glob(String glob) {
        StringBuilder regex = new StringBuilder();
        for (char ch : glob.toCharArray()) {
            regex.append(ch == '*' ? ".*" : ch == '?' ? "." : Pattern.quote(String.valueOf(ch)));
        }
        return Pattern.compile(regex.toString());
    }

    /** {@code found} with what the criterion's graph operators add. */
    private static Set<TableName> widen(ProjectModels models, Set<TableName> found, Criterion c) {
        Set<TableName> out = new LinkedHashSet<>(found);
        if (c.childrensParents()) {
            Set<TableName> down = walk(found, ALL, models::refChildren);
            down.addAll(found);
            out.addAll(down);
            out.addAll(walk(down, ALL, models::refParents));
            return out;
        }
        if (c.parents() != NONE) {
            out.addAll(walk(found, c.parents(), models::refParents));
        }
        if (c.children() != NONE) {
            out.addAll(walk(found, c.children(), models::refChildren));
        }
        return out;
    }

    /** The models up to {@code depth} edges away from {@code from} along {@code next}, {@code from} not included. */
    private static Set<TableName> walk(Set<TableName> from, int depth, Function<TableName, Set<TableName>> next) {
        Map<TableName, Integer> seen = new HashMap<>();
        Deque<TableName> queue = new ArrayDeque<>();
        from.forEach(t -> {
            seen.put(t, 0);
            queue.add(t);
        });
        Set<TableName> out = new LinkedHashSet<>();
        while (!queue.isEmpty()) {
            TableName t = queue.poll();
            int d = seen.get(t);
            if (d == depth) {
                continue;
            }
            for (TableName n : next.apply(t)) {
                if (!seen.containsKey(n)) {
                    seen.put(n, d + 1);
                    queue.add(n);
                    out.add(n);
                }
            }
        }
        return out;
    }

    /** The criteria of a union, written back as a selector string. */
    public static String text(List<List<Criterion>> union) {
        return union.stream().map(i -> i.stream().map(Criterion::text).collect(Collectors.joining(",")))
                .collect(Collectors.joining(" "));
    }
}
