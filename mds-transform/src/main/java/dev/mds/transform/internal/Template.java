package dev.mds.transform.internal;

import dev.mds.core.BadInputException;
import dev.mds.core.Identifiers;
import dev.mds.core.InputLocation;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A model's SQL parsed into text and the few tags mds-transform understands: {@code {{ ref('x') }}},
 * {@code {{ source('s', 't') }}}, {@code {{ var('v') }}} (or {@code var('v', 'default')}), {@code {{ this }}},
 * {@code {{ config(...) }}}, {@code {% if is_incremental() %} ... {% else %} ... {% endif %}} (or {@code if not}),
 * {@code {% raw %} ... {% endraw %}} and {@code {# comments #}}, with Jinja's {@code -} whitespace control. Anything
 * else is a {@link BadInputException} naming the source and the line.
 */
public final class Template {
    /** A part of the parsed model. */
    public sealed interface Node permits Text, Tag, This, If {
    }

    /**
     * A tag replaced by a value that the project resolves ({@link Ref}, {@link SourceRef}, {@link Var}) or, for a
     * {@link Star}, that a run reads from the catalog.
     */
    public sealed interface Tag extends Node permits Ref, SourceRef, Var, Star {
        /** The line the tag is on. */
        int line();
    }

    /** Literal SQL text starting on {@code line}. */
    record Text(String text, int line) implements Node {
    }

    /** {@code {{ ref('target') }}} on {@code line}. */
    public record Ref(String target, int line) implements Tag {
    }

    /** {@code {{ source('source', 'table') }}} on {@code line}. */
    public record SourceRef(String source, String table, int line) implements Tag {
        /** As written: {@code source('s', 't')}. */
        @Override
        public String toString() {
            return "source('" + source + "', '" + table + "')";
        }
    }

    /** {@code {{ var('name') }}} or {@code {{ var('name', 'fallback') }}} ({@code fallback} null when absent). */
    public record Var(String name, String fallback, int line) implements Tag {
    }

    /**
     * {@code {{ dbt_utils.star(from=ref('x'), except=['a'], relation_alias='t', prefix='p_', suffix='_s') }}}: the
     * columns of {@code from} (a {@link Ref} or {@link SourceRef}, itself a tag of the template) but those of
     * {@code except} (compared ignoring case), each quoted unless {@code quote} is false, after {@code alias.} when
     * set, renamed {@code prefix || column || suffix} when either is set.
     */
    public record Star(Tag from, List<String> except, String alias, String prefix, String suffix, boolean quote, int line)
            implements Tag {
        public Star {
            except = List.copyOf(except);
        }

        /** The select list for a relation whose columns, in order, are {@code columns}. */
        public String render(List<String> columns) {
            List<String> out = new ArrayList<>();
            for (String c : columns) {
                if (except.stream().anyMatch(e -> e.equalsIgnoreCase(c))) {
                    continue;
                }
                String name = quote ? Identifiers.quote(c) : c;
                String item = (alias == null ? "" : alias + ".") + name;
                if (!prefix.isEmpty() || !suffix.isEmpty()) {
                    String renamed = prefix + c + suffix;
                    item += " as " + (quote ? Identifiers.quote(renamed) : renamed);
                }
                out.add(item);
            }
            return String.join(",\n  ", out);
        }
    }

    /** {@code {{ this }}}. */
    record This(int line) implements Node {
    }

    /** {@code {% if is_incremental() %}}. */
    record If(List<Node> then, List<Node> otherwise, int line) implements Node {
    }

    /** A config value with the line it was set on. */
    public record Setting(Object value, int line) {
    }

    /** A number literal in a tag: an integer or a decimal, perhaps negative. */
    private static final Pattern NUMBER = Pattern.compile("-?\\d+(\\.\\d+)?");
    private static final Pattern END_RAW = Pattern.compile("\\{%-?\\s*endraw\\s*-?%}");

    private final String source;
    private final List<Node> nodes;
    private final List<Tag> tags;
    private final Map<String, Setting> config;

    private Template(String source, List<Node> nodes, List<Tag> tags, Map<String, Setting> config) {
        this.source = source;
        this.nodes = nodes;
        this.tags = tags;
        this.config = config;
    }

    /** Every ref(), source() and var() in the order written, in both branches of an {@code if}. */
    public List<Tag> tags() {
        return tags;
    }

    /** config() keys to values: a String, a Boolean, or a List of Strings or of dicts (Maps of such values). */
    public Map<String, Setting> config() {
        return config;
    }

    public String source() {
        return source;
    }

    /**
     * SQL text and, for every character, the line in its source: segment {@code i} starts at {@code starts[i]},
     * on line {@code lines[i]} (counting on through its newlines when {@code text[i]}), of {@code sources[i]} (null
     * for the model's own source, else an ephemeral model's inlined in a CTE).
     */
    public record Rendered(String sql, int[] starts, int[] lines, boolean[] text, String[] sources) {
        /** The 1-based source line of the 0-based character {@code offset} of {@link #sql()}. */
        public int lineAt(int offset) {
            int seg = segmentAt(offset);
            if (seg < 0) {
                return 1;
            }
            int line = lines[seg];
            if (text[seg]) {
                for (int i = starts[seg]; i < offset && i < sql.length(); i++) {
                    if (sql.charAt(i) == '\n') {
                        line++;
                    }
                }
            }
            return line;
        }

        /** The source of the character at {@code offset}: {@code own} unless it is in an inlined ephemeral model. */
        public String sourceAt(int offset, String own) {
            int seg = segmentAt(offset);
            return seg < 0 || sources[seg] == null ? own : sources[seg];
        }

        private int segmentAt(int offset) {
            int seg = -1;
            for (int i = 0; i < starts.length && starts[i] <= offset; i++) {
                seg = i;
            }
            return seg;
        }

        /**
         * This SQL with {@code ctes} (ephemeral models, in dependency order) inlined as dbt does: added to its
         * leading WITH clause when it has one, else in a WITH clause of their own before it.
         */
        public Rendered withCtes(List<Cte> ctes) {
            if (ctes.isEmpty()) {
                return this;
            }
            Composer c = new Composer();
            int at = Statements.afterLeadingWith(sql);
            int line = lineAt(Math.max(at, 0));
            if (at >= 0) {
                c.append(this, 0, at, null);
                c.glue(" ", line);
            } else {
                c.glue("with ", line);
            }
            for (int i = 0; i < ctes.size(); i++) {
                Cte cte = ctes.get(i);
                c.glue(cte.quotedName() + " as (\n", line);
                // a ';' ending the ephemeral model's statement (and comments after it) would end the query here
                c.append(cte.sql(), 0, Statements.statementEnd(cte.sql().sql()), cte.source());
                c.glue(i < ctes.size() - 1 ? "\n), " : at >= 0 ? "\n)," : "\n)\n", line);
            }
            c.append(this, Math.max(at, 0), sql.length(), null);
            return c.done();
        }
    }

    /**
     * An ephemeral model inlined in a query: its CTE's quoted name, its SQL (rendered, its own CTE references in
     * place) and where it was read from.
     */
    public record Cte(String quotedName, Rendered sql, String source) {
    }

    /** Builds a {@link Rendered} from pieces of others. */
    private static final class Composer {
        private final StringBuilder out = new StringBuilder();
        private final List<int[]> segs = new ArrayList<>();
        private final List<Boolean> isText = new ArrayList<>();
        private final List<String> sources = new ArrayList<>();

        /** {@code r.sql()[from, to)} with its segments; {@code source} for those that are the model's own. */
        void append(Rendered r, int from, int to, String source) {
            for (int i = 0; i < r.starts().length; i++) {
                int end = i + 1 < r.starts().length ? r.starts()[i + 1] : r.sql().length();
                int start = Math.max(r.starts()[i], from);
                if (start >= Math.min(end, to)) {
                    continue;
                }
                segs.add(new int[] {out.length() + start - from, r.starts()[i] >= from ? r.lines()[i] : r.lineAt(from)});
                isText.add(r.text()[i]);
                sources.add(r.sources()[i] != null ? r.sources()[i] : source);
            }
            out.append(r.sql(), from, to);
        }

        /** Generated text, counted as the model's own {@code line}. */
        void glue(String text, int line) {
            segs.add(new int[] {out.length(), line});
            isText.add(false);
            sources.add(null);
            out.append(text);
        }

        Rendered done() {
            int[] starts = new int[segs.size()];
            int[] lines = new int[segs.size()];
            boolean[] text = new boolean[segs.size()];
            for (int i = 0; i < segs.size(); i++) {
                starts[i] = segs.get(i)[0];
                lines[i] = segs.get(i)[1];
                text[i] = isText.get(i);
            }
            return new Rendered(out.toString(), starts, lines, text, sources.toArray(new String[0]));
        }
    }

    /**
     * Renders the model: {@code this} as {@code thisQuoted}, every ref(), source() and var() as {@code tags} gives
     * it, a trailing {@code ;} removed.
     */
    public Rendered render(boolean incremental, String thisQuoted, Function<Tag, String> tags) {
        StringBuilder out = new StringBuilder();
        List<int[]> segs = new ArrayList<>();
        List<Boolean> isText = new ArrayList<>();
        render(nodes, incremental, thisQuoted, tags, out, segs, isText);
        int end = out.length();
        while (end > 0 && (Character.isWhitespace(out.charAt(end - 1)) || out.charAt(end - 1) == ';')) {
            end--;
        }
        out.setLength(end);
        int[] starts = new int[segs.size()];
        int[] lines = new int[segs.size()];
        boolean[] text = new boolean[segs.size()];
        for (int i = 0; i < segs.size(); i++) {
            starts[i] = segs.get(i)[0];
            lines[i] = segs.get(i)[1];
            text[i] = isText.get(i);
        }
        return new Rendered(out.toString(), starts, lines, text, new String[segs.size()]);
    }

    /** The line of the first {@code {{ this }}} (in either branch of an {@code if}), when there is one. */
    public Optional<Integer> thisLine() {
        return thisLine(nodes);
    }

    private static Optional<Integer> thisLine(List<Node> nodes) {
        for (Node n : nodes) {
            if (n instanceof This t) {
                return Optional.of(t.line());
            }
            if (n instanceof If f) {
                Optional<Integer> in = thisLine(f.then()).or(() -> thisLine(f.otherwise()));
                if (in.isPresent()) {
                    return in;
                }
            }
        }
        return Optional.empty();
    }

    private static void render(List<Node> nodes, boolean incremental, String thisQuoted,
            Function<Tag, String> tags, StringBuilder out, List<int[]> segs, List<Boolean> isText) {
        for (Node n : nodes) {
            if (n instanceof Text t) {
                segs.add(new int[] {out.length(), t.line()});
                isText.add(true);
                out.append(t.text());
            } else if (n instanceof Tag tag) {
                segs.add(new int[] {out.length(), tag.line()});
                isText.add(false);
                out.append(tags.apply(tag));
            } else if (n instanceof This t) {
                segs.add(new int[] {out.length(), t.line()});
                isText.add(false);
                out.append(thisQuoted);
            } else if (n instanceof If f) {
                render(incremental ? f.then() : f.otherwise(), incremental, thisQuoted, tags, out, segs, isText);
            }
        }
    }

    /** Parses {@code sql} read from {@code source} (a file name or {@code model x.y}). */
    public static Template parse(String source, String sql) {
        return new Parser(Objects.requireNonNull(source), Objects.requireNonNull(sql)).parse();
    }

    private static final class Parser {
        private final String source;
        private final String sql;
        private final List<Tag> tags = new ArrayList<>();
        private final Map<String, Setting> config = new LinkedHashMap<>();

        Parser(String source, String sql) {
            this.source = source;
            this.sql = sql;
        }

        BadInputException error(int line, String reason) {
            return new BadInputException(InputLocation.of(source).withLine(line), reason);
        }

        int lineOf(int offset) {
            int line = 1;
            for (int i = 0; i < offset; i++) {
                if (sql.charAt(i) == '\n') {
                    line++;
                }
            }
            return line;
        }

        Template parse() {
            List<Node> root = new ArrayList<>();
            // stack of open ifs: each frame is [If line, then-list, else-list or null, parent list, negated]
            List<Object[]> stack = new ArrayList<>();
            List<Node> current = root;
            int i = 0;
            int n = sql.length();
            while (i < n) {
                int open = nextOpen(i);
                if (open < 0) {
                    current.add(new Text(sql.substring(i), lineOf(i)));
                    break;
                }
                // Jinja's whitespace control: {%- {{- {#- remove the white space before the tag, -%} -}} -#} after it
                boolean trimBefore = open + 2 < n && sql.charAt(open + 2) == '-';
                int textEnd = trimBefore ? whitespaceBefore(open, i) : open;
                if (textEnd > i) {
                    current.add(new Text(sql.substring(i, textEnd), lineOf(i)));
                }
                char kind = sql.charAt(open + 1);
                String closer = kind == '{' ? "}}" : kind == '%' ? "%}" : "#}";
                int line = lineOf(open);
                int close = kind == '{' ? expressionEnd(open + 2) : sql.indexOf(closer, open + 2);
                if (close < 0) {
                    throw error(line, "'" + sql.substring(open, open + 2) + "' is never closed with '" + closer + "'");
                }
                int innerStart = open + 2 + (trimBefore ? 1 : 0);
                boolean trimAfter = close - 1 >= innerStart && sql.charAt(close - 1) == '-';
                String inner = sql.substring(innerStart, trimAfter ? close - 1 : close);
                String tag = sql.substring(open, close + 2);
                i = close + 2;
                if (kind == '#') {
                    i = trimAfter ? whitespaceAfter(i) : i;
                    continue;
                }
                List<String> tokens = tokens(inner, line, tag);
                if (kind == '%' && tokens.equals(List.of("raw"))) {
                    // as Jinja: {% raw -%} trims the start of the text, {%- endraw %} its end
                    int from = trimAfter ? whitespaceAfter(i) : i;
                    Matcher end = END_RAW.matcher(sql);
                    if (!end.find(from)) {
                        throw error(line, "{% raw %} is never closed with {% endraw %}");
                    }
                    int to = end.group().startsWith("{%-") ? whitespaceBefore(end.start(), from) : end.start();
                    if (to > from) {
                        current.add(new Text(sql.substring(from, to), lineOf(from)));
                    }
                    i = end.group().endsWith("-%}") ? whitespaceAfter(end.end()) : end.end();
                    continue;
                } else if (kind == '{') {
                    expression(tokens, line, tag, current);
                } else if (tokens.equals(List.of("if", "is_incremental", "(", ")"))
                        || tokens.equals(List.of("if", "not", "is_incremental", "(", ")"))) {
                    List<Node> then = new ArrayList<>();
                    // the last element: whether it is "if not", whose branches the If holds the other way round
                    stack.add(new Object[] {line, then, null, current, tokens.size() == 5});
                    current = then;
                } else if (tokens.equals(List.of("else"))) {
                    if (stack.isEmpty() || stack.get(stack.size() - 1)[2] != null) {
                        throw error(line, "{% else %} without an open {% if is_incremental() %}");
                    }
                    List<Node> otherwise = new ArrayList<>();
                    stack.get(stack.size() - 1)[2] = otherwise;
                    current = otherwise;
                } else if (tokens.equals(List.of("endif"))) {
                    if (stack.isEmpty()) {
                        throw error(line, "{% endif %} without an open {% if is_incremental() %}");
                    }
                    Object[] frame = stack.remove(stack.size() - 1);
                    @SuppressWarnings("unchecked")
                    List<Node> then = (List<Node>) frame[1];
                    @SuppressWarnings("unchecked")
                    List<Node> otherwise = frame[2] == null ? List.of() : (List<Node>) frame[2];
                    @SuppressWarnings("unchecked")
                    List<Node> parent = (List<Node>) frame[3];
                    parent.add(Boolean.TRUE.equals(frame[4])
                            ? new If(List.copyOf(otherwise), List.copyOf(then), (Integer) frame[0])
                            : new If(List.copyOf(then), List.copyOf(otherwise), (Integer) frame[0]));
                    current = parent;
                } else {
                    throw error(line, "unknown tag " + tag + ": the supported statements are"
                            + " {% if is_incremental() %}, {% if not is_incremental() %}, {% else %}, {% endif %} and"
                            + " {% raw %}");
                }
                if (trimAfter) {
                    i = whitespaceAfter(i);
                }
            }
            if (!stack.isEmpty()) {
                throw error((Integer) stack.get(stack.size() - 1)[0],
                        "{% if is_incremental() %} is never closed with {% endif %}");
            }
            return new Template(source, List.copyOf(root), List.copyOf(tags), Map.copyOf(config));
        }

        /** Where the white space ending {@code sql[from, at)} starts. */
        private int whitespaceBefore(int at, int from) {
            while (at > from && Character.isWhitespace(sql.charAt(at - 1))) {
                at--;
            }
            return at;
        }

        /** The first character at or after {@code at} that is not white space. */
        private int whitespaceAfter(int at) {
            while (at < sql.length() && Character.isWhitespace(sql.charAt(at))) {
                at++;
            }
            return at;
        }

        /**
         * Where the {@code }}} closing an expression starts, reading from {@code from} over quoted strings (a hook in
         * config() may hold {@code {{ this }}}); -1 when there is none.
         */
        private int expressionEnd(int from) {
            int i = from;
            while (i < sql.length() - 1) {
                char c = sql.charAt(i);
                if (c == '\'' || c == '"') {
                    int end = stringEnd(sql, i);
                    if (end < 0) {
                        return -1;
                    }
                    i = end + 1;
                } else if (c == '}' && sql.charAt(i + 1) == '}') {
                    return i;
                } else {
                    i++;
                }
            }
            return -1;
        }

        private int nextOpen(int from) {
            int best = -1;
            for (String o : new String[] {"{{", "{%", "{#"}) {
                int at = sql.indexOf(o, from);
                if (at >= 0 && (best < 0 || at < best)) {
                    best = at;
                }
            }
            return best;
        }

        private void expression(List<String> t, int line, String tag, List<Node> current) {
            if (t.equals(List.of("this"))) {
                current.add(new This(line));
            } else if (t.size() == 4 && t.get(0).equals("ref") && t.get(1).equals("(") && isString(t.get(2))
                    && t.get(3).equals(")")) {
                Ref r = new Ref(unquote(t.get(2)).strip(), line);
                if (r.target().isEmpty()) {
                    throw error(line, tag + ": ref() needs a model name");
                }
                tags.add(r);
                current.add(r);
            } else if (call(t, "source", 2)) {
                SourceRef r = new SourceRef(unquote(t.get(2)).strip(), unquote(t.get(4)).strip(), line);
                if (r.source().isEmpty() || r.table().isEmpty()) {
                    throw error(line, tag + ": source() needs a source name and a table name");
                }
                tags.add(r);
                current.add(r);
            } else if (call(t, "var", 1) || call(t, "var", 2) || numberDefault(t)) {
                String fallback = t.size() != 6 ? null : isNumber(t.get(4)) ? t.get(4) : unquote(t.get(4));
                Var v = new Var(unquote(t.get(2)).strip(), fallback, line);
                if (v.name().isEmpty()) {
                    throw error(line, tag + ": var() needs a variable name");
                }
                tags.add(v);
                current.add(v);
            } else if (t.size() >= 3 && t.get(0).equals("config") && t.get(1).equals("(")
                    && t.get(t.size() - 1).equals(")")) {
                config(t.subList(2, t.size() - 1), line, tag);
            } else if (t.size() >= 5 && t.get(0).equals("dbt_utils") && t.get(1).equals(".") && t.get(2).equals("star")
                    && t.get(3).equals("(") && t.get(t.size() - 1).equals(")")) {
                Star star = star(t.subList(4, t.size() - 1), line, tag);
                tags.add(star);
                current.add(star);
            } else if (t.size() >= 5 && t.get(0).equals("dbt_utils") && t.get(1).equals(".")
                    && t.get(2).equals("generate_surrogate_key") && t.get(3).equals("(") && t.get(t.size() - 1).equals(")")) {
                current.add(new Text(surrogateKey(t.subList(4, t.size() - 1), line, tag), line));
            } else {
                throw error(line, "unknown tag " + tag + ": the supported expressions are {{ ref('schema.model') }},"
                        + " {{ source('source', 'table') }}, {{ var('name') }}, {{ var('name', 'default') }},"
                        + " {{ this }}, {{ dbt_utils.generate_surrogate_key(['a', 'b']) }},"
                        + " {{ dbt_utils.star(from=ref('x'), except=['a']) }} and"
                        + " {{ config(materialized='view'|'table'|'incremental'|'snapshot', unique_key=...) }}");
            }
        }

        /**
         * The arguments of {@code dbt_utils.star(...)}: {@code from} first or as {@code from=}, a {@code ref()} or
         * {@code source()} (added to the template's tags, so it orders the model as any other); then {@code except},
         * {@code relation_alias}, {@code prefix}, {@code suffix}, {@code quote_identifiers}.
         */
        private Star star(List<String> t, int line, String tag) {
            String usage = tag + ": dbt_utils.star(from=ref('model') or source('s', 't'), except=['column', ...],"
                    + " relation_alias='alias', prefix='', suffix='', quote_identifiers=True)";
            Tag from = null;
            List<String> except = List.of();
            String alias = null;
            String prefix = "";
            String suffix = "";
            boolean quote = true;
            int i = 0;
            while (i < t.size()) {
                String key = "from";
                if (i + 1 < t.size() && t.get(i + 1).equals("=")) {
                    key = t.get(i);
                    i += 2;
                } else if (i > 0) {
                    throw error(line, usage);
                }
                if (key.equals("from")) {
                    int close = i;
                    while (close < t.size() && !t.get(close).equals(")")) {
                        close++;
                    }
                    List<String> call = close == t.size() ? List.of() : t.subList(i, close + 1);
                    if (call(call, "ref", 1)) {
                        from = new Ref(unquote(call.get(2)).strip(), line);
                    } else if (call(call, "source", 2)) {
                        from = new SourceRef(unquote(call.get(2)).strip(), unquote(call.get(4)).strip(), line);
                    } else {
                        throw error(line, usage + ": from is a ref() or a source()");
                    }
                    i = close + 1;
                } else {
                    int[] at = {i};
                    Object value = value(t, at, line, tag, key);
                    i = at[0];
                    switch (key) {
                        case "except" -> {
                            if (!(value instanceof List<?> list) || !list.stream().allMatch(String.class::isInstance)) {
                                throw error(line, usage + ": except is a list of column names");
                            }
                            except = list.stream().map(String.class::cast).toList();
                        }
                        case "relation_alias" -> alias = text(value, key, usage, line);
                        case "prefix" -> prefix = text(value, key, usage, line);
                        case "suffix" -> suffix = text(value, key, usage, line);
                        case "quote_identifiers" -> {
                            if (!(value instanceof Boolean b)) {
                                throw error(line, usage + ": quote_identifiers is True or False");
                            }
                            quote = b;
                        }
                        default -> throw error(line, usage + ": unknown argument '" + key + "'");
                    }
                }
                if (i < t.size()) {
                    if (!t.get(i).equals(",")) {
                        throw error(line, usage);
                    }
                    i++;
                }
            }
            if (from == null) {
                throw error(line, usage + ": from is required");
            }
            if (alias != null && !alias.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw error(line, usage + ": relation_alias is a plain name, not '" + alias + "'");
            }
            tags.add(from);
            return new Star(from, except, alias, prefix, suffix, quote, line);
        }

        private String text(Object value, String key, String usage, int line) {
            if (!(value instanceof String text)) {
                throw error(line, usage + ": " + key + " is a quoted string");
            }
            return text;
        }

        /**
         * dbt_utils' {@code generate_surrogate_key(['a', 'b'])} as dbt-postgres renders it, so keys match a dbt
         * project's byte for byte: {@code md5(cast(coalesce(cast(a as varchar), '_dbt_utils_surrogate_key_null_') ||
         * '-' || … as varchar))}. Each string is a column or SQL expression, inserted as written (as dbt does).
         */
        private String surrogateKey(List<String> t, int line, String tag) {
            int[] i = {0};
            Object fields = t.isEmpty() ? null : value(t, i, line, tag, "generate_surrogate_key");
            if (i[0] != t.size() || !(fields instanceof List<?> list) || list.isEmpty()
                    || !list.stream().allMatch(f -> f instanceof String text && !text.isBlank())) {
                throw error(line, tag + ": generate_surrogate_key takes one list of column names or expressions:"
                        + " dbt_utils.generate_surrogate_key(['customer_id', 'order_date'])");
            }
            StringBuilder sql = new StringBuilder("md5(cast(");
            for (int k = 0; k < list.size(); k++) {
                sql.append(k == 0 ? "" : " || '-' || ").append("coalesce(cast(").append(list.get(k))
                        .append(" as varchar), '_dbt_utils_surrogate_key_null_')");
            }
            return sql.append(" as varchar))").toString();
        }

        /** Whether {@code t} is {@code name(} followed by {@code args} quoted strings separated by commas, then {@code )}. */
        private static boolean call(List<String> t, String name, int args) {
            if (t.size() != 2 + 2 * args || !t.get(0).equals(name) || !t.get(1).equals("(")) {
                return false;
            }
            for (int a = 0; a < args; a++) {
                if (!isString(t.get(2 + 2 * a)) || !t.get(3 + 2 * a).equals(a == args - 1 ? ")" : ",")) {
                    return false;
                }
            }
            return true;
        }

        /** Whether {@code t} is {@code var('name', 3)}: a number as the default, rendered as written. */
        private static boolean numberDefault(List<String> t) {
            return t.size() == 6 && t.get(0).equals("var") && t.get(1).equals("(") && isString(t.get(2))
                    && t.get(3).equals(",") && isNumber(t.get(4)) && t.get(5).equals(")");
        }

        private static boolean isNumber(String token) {
            return NUMBER.matcher(token).matches();
        }

        private void config(List<String> t, int line, String tag) {
            int[] i = {0};
            while (i[0] < t.size()) {
                if (i[0] + 2 >= t.size() || !isIdent(t.get(i[0])) || !t.get(i[0] + 1).equals("=")) {
                    throw error(line, "cannot read " + tag + ": expected key='value', ...");
                }
                String key = t.get(i[0]);
                i[0] += 2;
                Object value = value(t, i, line, tag, key);
                if (config.containsKey(key)) {
                    throw error(line, "config key '" + key + "' is set twice (also on line "
                            + config.get(key).line() + ")");
                }
                config.put(key, new Setting(value, line));
                if (i[0] < t.size()) {
                    if (!t.get(i[0]).equals(",")) {
                        throw error(line, "cannot read " + tag + ": expected ',' after " + key);
                    }
                    i[0]++;
                }
            }
        }

        /**
         * A config value at {@code t[i[0]]}, {@code i[0]} moved past it: a quoted string, Jinja's {@code true} /
         * {@code false} (a Boolean), a list {@code [ … ]} of strings, or of dicts {@code {'k': value, …}} (as
         * dbt-postgres' {@code indexes}).
         */
        private Object value(List<String> t, int[] i, int line, String tag, String key) {
            String token = i[0] < t.size() ? t.get(i[0]) : "";
            if (isString(token)) {
                i[0]++;
                return unquote(token);
            }
            if (token.equals("true") || token.equals("True") || token.equals("false") || token.equals("False")) {
                i[0]++;
                return Boolean.valueOf(token.equalsIgnoreCase("true"));      // Jinja's booleans
            }
            if (token.equals("[")) {
                List<Object> list = new ArrayList<>();
                i[0]++;
                while (i[0] < t.size() && !t.get(i[0]).equals("]")) {
                    if (!isString(t.get(i[0])) && !t.get(i[0]).equals("{")) {
                        throw error(line, "cannot read " + tag + ": a list holds only quoted strings (or {…} dicts)");
                    }
                    list.add(value(t, i, line, tag, key));
                    if (i[0] < t.size() && t.get(i[0]).equals(",")) {
                        i[0]++;
                    }
                }
                if (i[0] >= t.size()) {
                    throw error(line, "cannot read " + tag + ": '[' without ']'");
                }
                i[0]++;
                return List.copyOf(list);
            }
            if (token.equals("{")) {
                Map<String, Object> dict = new LinkedHashMap<>();
                i[0]++;
                while (i[0] < t.size() && !t.get(i[0]).equals("}")) {
                    if (!isString(t.get(i[0])) || i[0] + 1 >= t.size() || !t.get(i[0] + 1).equals(":")) {
                        throw error(line, "cannot read " + tag + ": a dict holds 'key': value pairs");
                    }
                    String name = unquote(t.get(i[0]));
                    i[0] += 2;
                    if (dict.put(name, value(t, i, line, tag, key)) != null) {
                        throw error(line, "cannot read " + tag + ": '" + name + "' is set twice in a dict of " + key);
                    }
                    if (i[0] < t.size() && t.get(i[0]).equals(",")) {
                        i[0]++;
                    }
                }
                if (i[0] >= t.size()) {
                    throw error(line, "cannot read " + tag + ": '{' without '}'");
                }
                i[0]++;
                return Collections.unmodifiableMap(dict);
            }
            throw error(line, "cannot read " + tag + ": the value of " + key
                    + " must be a quoted string, a list of them, or true / false");
        }

        private static boolean isString(String token) {
            return token.length() >= 2 && (token.charAt(0) == '\'' || token.charAt(0) == '"');
        }

        private static boolean isIdent(String token) {
            return !token.isEmpty() && (Character.isLetter(token.charAt(0)) || token.charAt(0) == '_');
        }

        /**
         * Where the string literal opened by the quote at {@code open} closes, -1 when it does not; a backslash
         * escapes the character after it, as in Jinja ({@code 'O\'Brien'}).
         */
        private static int stringEnd(String text, int open) {
            char quote = text.charAt(open);
            for (int i = open + 1; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c == '\\') {
                    i++;
                } else if (c == quote) {
                    return i;
                }
            }
            return -1;
        }

        /**
         * A string token's value, its escapes read as Jinja (Python) reads them: {@code \'}, {@code \"} and
         * {@code \\} are the character, {@code \n}, {@code \t} and {@code \r} a control character, any other
         * backslash is kept.
         */
        private static String unquote(String token) {
            StringBuilder out = new StringBuilder();
            for (int i = 1; i < token.length() - 1; i++) {
                char c = token.charAt(i);
                if (c == '\\' && i + 1 < token.length() - 1) {
                    char next = token.charAt(++i);
                    switch (next) {
                        case '\'', '"', '\\' -> out.append(next);
                        case 'n' -> out.append('\n');
                        case 't' -> out.append('\t');
                        case 'r' -> out.append('\r');
                        default -> out.append(c).append(next);
                    }
                } else {
                    out.append(c);
                }
            }
            return out.toString();
        }

        private List<String> tokens(String inner, int line, String tag) {
            List<String> out = new ArrayList<>();
            int i = 0;
            int n = inner.length();
            while (i < n) {
                char c = inner.charAt(i);
                if (Character.isWhitespace(c)) {
                    i++;
                } else if (Character.isLetter(c) || c == '_') {
                    int s = i;
                    while (i < n && (Character.isLetterOrDigit(inner.charAt(i)) || inner.charAt(i) == '_')) {
                        i++;
                    }
                    out.add(inner.substring(s, i));
                } else if (c == '\'' || c == '"') {
                    int end = stringEnd(inner, i);
                    if (end < 0) {
                        throw error(line, "cannot read " + tag + ": unterminated string");
                    }
                    out.add(inner.substring(i, end + 1));
                    i = end + 1;
                } else if (Character.isDigit(c) || (c == '-' && i + 1 < n && Character.isDigit(inner.charAt(i + 1)))) {
                    Matcher number = NUMBER.matcher(inner).region(i, n);
                    number.lookingAt();
                    out.add(number.group());
                    i = number.end();
                } else if ("()[],={}:.".indexOf(c) >= 0) {
                    out.add(String.valueOf(c));
                    i++;
                } else {
                    throw error(line, "unknown tag " + tag + ": unexpected '" + c + "'");
                }
            }
            if (out.isEmpty()) {
                throw error(line, "empty tag " + tag);
            }
            return out;
        }
    }
}
