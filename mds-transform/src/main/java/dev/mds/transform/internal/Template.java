package dev.mds.transform.internal;

import dev.mds.core.BadInputException;
import dev.mds.core.Identifiers;
import dev.mds.core.TableName;
import dev.mds.core.InputLocation;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A model's SQL parsed into text and the few tags mds-transform understands: {@code {{ ref('x') }}},
 * {@code {{ source('s', 't') }}}, {@code {{ var('v') }}} (or {@code var('v', 'default')}), {@code {{ this }}},
 * {@code {{ config(...) }}}, {@code {% if test %} ... {% elif test %} ... {% else %} ... {% endif %}},
 * {@code {% set name = value %}} at the top level, {@code {% for x in list %} ... {% endfor %}} with {@code loop.*},
 * {@code {{ expression }}}, {@code {% raw %} ... {% endraw %}} and {@code {# comments #}}, with Jinja's {@code -}
 * whitespace control. An expression is Jinja's: literals, names, {@code loop.*}, {@code var()},
 * {@code is_incremental()}, inline ifs, {@code or}, {@code and}, {@code not}, comparisons, {@code in}, {@code ~},
 * parentheses and the filters join, upper, lower, trim, replace, length and default, each operand's kind checked;
 * and {@code {% macro name(params) %} … {% endmacro %}} (in the file or a {@link Macro} of the macros directory),
 * called as {@code name(args)}, its body checked at each call with that call's arguments.
 * Anything else (an unknown name included) is a {@link BadInputException} naming the source and the line: every check
 * is made when parsing, none when rendering.
 */
public final class Template {
    /** A part of the parsed model. */
    public sealed interface Node permits Text, Tag, This, If, For, Assign, Print {
    }

    /**
     * A tag replaced by a value that the project resolves ({@link Ref}, {@link SourceRef}, {@link Var}) or, for a
     * {@link Star}, that a run reads from the catalog.
     */
    public sealed interface Tag extends Node permits Ref, SourceRef, Var, Star, ThisDatabase {
        /** The line the tag is on. */
        int line();
    }

    /** Literal SQL text starting on {@code line}. */
    record Text(String text, int line) implements Node {
    }

    /**
     * {@code {{ ref('target') }}} on {@code line}; {@code macro} is {@code ""}, or, for a ref() in a macro's body,
     * where it is written: {@code " (in macro src at macros/src.sql line 3)"}.
     */
    public record Ref(String target, int line, String macro) implements Tag {
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

    /**
     * {@code this.database}: the database the run is connected to ({@code current_database()}), read when the model
     * runs, as {@code dbt_utils.star()}'s columns are.
     */
    public record ThisDatabase(int line) implements Tag {
    }

    /**
     * {@code this.schema}, {@code this.identifier} (also {@code this.name}, {@code this.table}) or
     * {@code this.database} (then {@code database} is its tag, else null): the part of the model's relation as
     * written, unquoted, as dbt's Relation gives it.
     */
    record ThisAttr(String attribute, ThisDatabase database, int line) implements Expr {
    }

    /** {@code {% if test %} then {% else %} otherwise {% endif %}} ({@code elif} is an If in {@code otherwise}). */
    record If(Expr test, List<Node> then, List<Node> otherwise, int line) implements Node {
    }

    /** {@code {% for name in list %} body {% else %} otherwise {% endfor %}} (otherwise when the list is empty). */
    record For(String name, Expr list, List<Node> body, List<Node> otherwise, int line) implements Node {
    }

    /** {@code {% set name = value %}}, at the top level. */
    record Assign(String name, Expr value, int line) implements Node {
    }

    /** {@code {{ expression }}}: the value as Jinja prints it. */
    record Print(Expr value, int line) implements Node {
    }

    /** A value in a tag. */
    sealed interface Expr permits Literal, Name, LoopAttr, VarValue, Incremental, Not, Logic, Compare, Choice, Concat,
            Filter, MacroCall, ListOf, ThisAttr {
    }

    /** {@code [a, b ~ 'x', …]}: a list whose items are not all literals. */
    record ListOf(List<Expr> items) implements Expr {
    }

    /** A String, {@link Num}, Boolean, or List of those. */
    record Literal(Object value) implements Expr {
    }

    /** A name set, or the item of the innermost for looping over it. */
    record Name(String name) implements Expr {
    }

    /** {@code loop.index} and the like, of the innermost for. */
    record LoopAttr(String attribute) implements Expr {
    }

    /** {@code var('name')} as a value: its text. */
    record VarValue(Var var) implements Expr {
    }

    /** {@code is_incremental()}. */
    record Incremental() implements Expr {
    }

    /** {@code not operand}. */
    record Not(Expr operand) implements Expr {
    }

    /** {@code left and right} ({@code and} true) or {@code left or right}, both true/false. */
    record Logic(boolean and, Expr left, Expr right) implements Expr {
    }

    /** {@code left op right}, op one of {@code == != < > <= >= in notin}. */
    record Compare(String op, Expr left, Expr right) implements Expr {
    }

    /** {@code then if test else otherwise}; {@code otherwise} null when there is no else (Jinja's undefined). */
    record Choice(Expr test, Expr then, Expr otherwise) implements Expr {
    }

    /** {@code a ~ b ~ …}: the values printed one after the other. */
    record Concat(List<Expr> parts) implements Expr {
    }

    /** {@code operand | name(args)}. */
    record Filter(String name, Expr operand, List<Expr> args) implements Expr {
    }

    /**
     * {@code name(args)}: the macro's body, parsed for this call (with the kinds of these arguments), rendered with
     * {@code params} bound to {@code args} and nothing else of the caller's; its text.
     */
    record MacroCall(String name, List<String> params, List<Expr> args, List<Node> body, String source) implements Expr {
    }

    /**
     * A {@code {% macro name(params) %} body {% endmacro %}}: its parameters, their defaults (a literal, or null when
     * the parameter is required), its body as written, where it was read ({@code source}) and the lines of the
     * definition and of the body's first character.
     */
    public record Macro(String name, List<String> params, List<Object> defaults, String body, String source, int line,
            int bodyLine) {
        public Macro {
            params = List.copyOf(params);
            defaults = Collections.unmodifiableList(new ArrayList<>(defaults));
        }
    }

    /** Jinja's undefined: what an inline if without else gives when its test is false; prints as nothing. */
    private enum Undefined {
        VALUE
    }

    /** A number literal, held as Jinja prints it ({@code 0.50} as {@code 0.5}, {@code 10.0} as itself, {@code 1e+16}). */
    record Num(String printed) {
        @Override
        public String toString() {
            return printed;
        }
    }

    /** What a value is, known when parsing: so a for over a string, or an if on a number, is refused there. */
    private enum Kind {
        STRING("a single value", "text", "texts"), NUMBER("a single value", "a number", "numbers"),
        BOOLEAN("true or false", "true/false", "true/false values"), LIST("a list", "a list", "lists"),
        SCALAR("a single value", "a value of a list mixing kinds", "values"),
        /** A macro's parameter when its body is checked where it is defined: any kind passes every check. */
        ANY("a value", "a value", "values");

        final String what;
        final String noun;
        final String plural;

        Kind(String what, String noun, String plural) {
            this.what = what;
            this.noun = noun;
            this.plural = plural;
        }

        boolean scalar() {
            return this != LIST;
        }
    }

    /**
     * A value, its kind, for a list the kind of its items ({@code SCALAR} when they mix), whether it may be Jinja's
     * undefined (an inline if without else), and its text as written (for messages).
     */
    private record Typed(Expr expr, Kind kind, Kind item, boolean maybeUndefined, String text) {
    }

    /** Names a set or for may not take: the tags', Jinja's words and constants, dbt's context. */
    private static final List<String> THIS_ATTRIBUTES = List.of("database", "schema", "identifier", "name", "table");
    private static final Set<String> RESERVED = Set.of("ref", "source", "var", "config", "this", "loop",
            "is_incremental", "dbt_utils", "dbt", "target", "env_var", "adapter", "execute", "model", "run_query",
            "return", "log", "exceptions", "modules", "graph", "invocation_id", "true", "false", "none", "True",
            "False", "None", "not", "and", "or", "in", "is", "if", "else", "elif", "for", "set", "raw", "endif",
            "endfor", "endraw", "endset", "block", "macro", "call", "filter", "with", "import", "from", "include",
            "extends", "do", "break", "continue");
    private static final Set<String> BOOLEANS = Set.of("true", "True", "false", "False");
    private static final String IF_USAGE = "{% if %} tests is_incremental(), loop.first, loop.last or a name set to"
            + " true or false, perhaps after not ({% if not is_incremental() %}, {% if not loop.last %}), or a comparison"
            + " (==, !=, <, >, <=, >=, in, not in) of values, joined with and / or (parentheses group)";
    private static final String FOR_USAGE = "write {% for name in list %}, the list a name set with {% set name ="
            + " ['a', 'b'] %} or written in place";
    private static final String SET_USAGE = "write {% set name = value %}, the value a quoted string, a number, true"
            + " or false, a [list] of those, or var('name') (perhaps with a default)";
    private static final String VALUE_USAGE = "a value is a quoted string, a number, true or false, a [list] of"
            + " those, var('name') (perhaps with a default), a name set before or loop.index and the like";
    private static final String FILTERS = "join, upper, lower, trim, replace, length and default";

    /** A config value with the line it was set on. */
    public record Setting(Object value, int line) {
    }

    /** A number literal in a tag: an integer or a decimal, perhaps negative. */
    private static final Pattern NUMBER = Pattern.compile("-?\\d+(\\.\\d+)?");
    private static final Pattern END_RAW = Pattern.compile("\\{%-?\\s*endraw\\s*-?%}");
    private static final Pattern END_MACRO = Pattern.compile("\\{%-?\\s*endmacro\\s*-?%}");

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

    /**
     * Every ref(), source() and var() in the order written, in both branches of an {@code if}, once for a
     * {@code for}'s body, var() in a {@code set} included.
     */
    public List<Tag> tags() {
        return tags;
    }

    /**
     * config() keys to values: a String, a Boolean, a BigDecimal (a number), a List of such values or of dicts, or a
     * dict (a Map of String to such values).
     */
    public Map<String, Setting> config() {
        return config;
    }

    public String source() {
        return source;
    }

    /**
     * SQL text and, for every character, the line in its source: segment {@code i} starts at {@code starts[i]},
     * on line {@code lines[i]} (counting on through its newlines when {@code text[i]}), of {@code sources[i]} (null
     * for the model's own source, else an ephemeral model's inlined in a CTE, or a macro's file). {@code calls[i]} is
     * null, or, for text a macro call printed, that call (then {@code lines[i]} are the macro file's).
     */
    public record Rendered(String sql, int[] starts, int[] lines, boolean[] text, String[] sources, Call[] calls) {
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

        /**
         * The 1-based line of the character at {@code offset} in the file rendered (the model's, or the ephemeral
         * model's it was inlined from): for text a macro printed, the line of the call there.
         */
        public int ownLineAt(int offset) {
            int seg = segmentAt(offset);
            return seg >= 0 && calls[seg] != null ? calls[seg].line() : lineAt(offset);
        }

        /**
         * Where the character at {@code offset} was written, for a message: {@code own line 4}, {@code own, in the
         * ephemeral model inlined from models/e.sql line 3}, or {@code own line 2, in macro cents at macros/cents.sql
         * line 3} (each call of a chain of macros named in turn).
         */
        public String whereAt(int offset, String own) {
            int seg = segmentAt(offset);
            String line = " line " + lineAt(offset);
            if (seg >= 0 && calls[seg] != null) {
                return calls[seg].where() + line;
            }
            String source = seg < 0 || sources[seg] == null ? own : sources[seg];
            return (source.equals(own) ? own : own + ", in the ephemeral model inlined from " + source) + line;
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
            int line = ownLineAt(Math.max(at, 0));
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
     * A macro call whose body's text is in a rendering: {@code where} it is ({@code models/x.sql line 2, in macro
     * cents at macros/cents.sql}, each call of a chain of macros in turn) and the line in the rendered file of the
     * call made there (the first of the chain).
     */
    public record Call(String where, int line) {
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
        private final List<Call> calls = new ArrayList<>();

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
                calls.add(r.calls()[i]);
            }
            out.append(r.sql(), from, to);
        }

        /** Generated text, counted as the model's own {@code line}. */
        void glue(String text, int line) {
            segs.add(new int[] {out.length(), line});
            isText.add(false);
            sources.add(null);
            calls.add(null);
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
            return new Rendered(out.toString(), starts, lines, text, sources.toArray(new String[0]),
                    calls.toArray(new Call[0]));
        }
    }

    /**
     * Renders the model: {@code this} as {@code self} quoted (its attributes as its parts), every ref(), source(),
     * var() and {@code this.database} as {@code tags} gives
     * it, a trailing {@code ;} removed.
     */
    public Rendered render(boolean incremental, TableName self, Function<Tag, String> tags) {
        Renderer r = new Renderer(incremental, self, tags, source, null);
        r.render(nodes);
        StringBuilder out = r.out;
        List<int[]> segs = r.segs;
        List<Boolean> isText = r.isText;
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
        return new Rendered(out.toString(), starts, lines, text, r.sources.toArray(new String[0]),
                r.calls.toArray(new Call[0]));
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
            Optional<Integer> inCall = n instanceof Print p ? thisLine(p.value()) : n instanceof Assign a
                    ? thisLine(a.value()) : n instanceof If f ? thisLine(f.test()) : Optional.empty();
            if (inCall.isPresent()) {
                return inCall;
            }
            if (n instanceof If f) {
                Optional<Integer> in = thisLine(f.then()).or(() -> thisLine(f.otherwise()));
                if (in.isPresent()) {
                    return in;
                }
            }
            if (n instanceof For f) {
                Optional<Integer> in = thisLine(f.body()).or(() -> thisLine(f.otherwise()));
                if (in.isPresent()) {
                    return in;
                }
            }
        }
        return Optional.empty();
    }

    /**
     * The line of a {@code this.attribute} in {@code e}, or of a {@code {{ this }}} in a macro called in {@code e}
     * (the call's line in the model).
     */
    private static Optional<Integer> thisLine(Expr e) {
        List<Expr> inside;
        if (e instanceof ThisAttr a) {
            return Optional.of(a.line());
        }
        if (e instanceof MacroCall m) {
            Optional<Integer> in = thisLine(m.body());
            if (in.isPresent()) {
                return in;
            }
            inside = m.args();
        } else if (e instanceof Not n) {
            inside = List.of(n.operand());
        } else if (e instanceof Logic l) {
            inside = List.of(l.left(), l.right());
        } else if (e instanceof Compare c) {
            inside = List.of(c.left(), c.right());
        } else if (e instanceof Choice c) {
            inside = c.otherwise() == null ? List.of(c.test(), c.then()) : List.of(c.test(), c.then(), c.otherwise());
        } else if (e instanceof Concat c) {
            inside = c.parts();
        } else if (e instanceof ListOf l) {
            inside = l.items();
        } else if (e instanceof Filter f) {
            inside = new ArrayList<>(f.args());
            inside.add(0, f.operand());
        } else {
            return Optional.empty();
        }
        return inside.stream().map(Template::thisLine).flatMap(Optional::stream).findFirst();
    }

    /** One rendering: the text so far, its segments, the names set and the loops open. */
    private static final class Renderer {
        private final boolean incremental;
        private final TableName self;
        private final Function<Tag, String> tags;
        private final StringBuilder out = new StringBuilder();
        private final List<int[]> segs = new ArrayList<>();
        private final List<Boolean> isText = new ArrayList<>();
        private final List<String> sources = new ArrayList<>();
        private final List<Call> calls = new ArrayList<>();
        private final Map<String, Object> globals = new HashMap<>();
        private final List<Loop> loops = new ArrayList<>();
        /** The file its nodes' lines are in. */
        private final String file;
        /** Null for a model's text; for a macro's body, the call ({@link Rendered#calls()}). */
        private final Call call;

        /** A for's current item. */
        private record Loop(String name, Object item, int index0, int length) {
        }

        Renderer(boolean incremental, TableName self, Function<Tag, String> tags, String file, Call call) {
            this.incremental = incremental;
            this.self = self;
            this.tags = tags;
            this.file = file;
            this.call = call;
        }

        private void append(String text, int line, boolean literal) {
            segs.add(new int[] {out.length(), line});
            isText.add(literal);
            sources.add(call == null ? null : file);
            calls.add(call);
            out.append(text);
        }

        /** The body of macro call {@code m}, written on {@code line}, rendered with its arguments. */
        private Renderer call(MacroCall m, int line) {
            Call where = new Call((call == null ? file : call.where()) + " line " + line + ", in macro " + m.name()
                    + " at" + (m.source().equals(file) ? "" : " " + m.source()), call == null ? line : call.line());
            Renderer body = new Renderer(incremental, self, tags, m.source(), where);      // sees only its arguments
            for (int k = 0; k < m.params().size(); k++) {
                body.globals.put(m.params().get(k), eval(m.args().get(k)));
            }
            body.render(m.body());
            return body;
        }

        void render(List<Node> nodes) {
            for (Node n : nodes) {
                if (n instanceof Text t) {
                    append(t.text(), t.line(), true);
                } else if (n instanceof Tag tag) {
                    append(tags.apply(tag), tag.line(), false);
                } else if (n instanceof This t) {
                    append(self.quoted(), t.line(), false);
                } else if (n instanceof Print p && p.value() instanceof MacroCall m) {
                    // the body's text keeps its lines in the macro's file, so an error in it names them
                    Renderer body = call(m, p.line());
                    for (int k = 0; k < body.segs.size(); k++) {
                        segs.add(new int[] {out.length() + body.segs.get(k)[0], body.segs.get(k)[1]});
                        isText.add(body.isText.get(k));
                        sources.add(body.sources.get(k));
                        calls.add(body.calls.get(k));
                    }
                    out.append(body.out);
                } else if (n instanceof Print p) {
                    append(print(eval(p.value())), p.line(), false);
                } else if (n instanceof If f) {
                    render((Boolean) eval(f.test()) ? f.then() : f.otherwise());
                } else if (n instanceof For f) {
                    List<?> items = (List<?>) eval(f.list());
                    if (items.isEmpty()) {
                        render(f.otherwise());
                    }
                    for (int k = 0; k < items.size(); k++) {
                        loops.add(new Loop(f.name(), items.get(k), k, items.size()));
                        render(f.body());
                        loops.remove(loops.size() - 1);
                    }
                } else if (n instanceof Assign a) {
                    globals.put(a.name(), eval(a.value()));
                }
            }
        }

        private Object eval(Expr e) {
            if (e instanceof Literal l) {
                return l.value();
            }
            if (e instanceof VarValue v) {
                return tags.apply(v.var());
            }
            if (e instanceof ThisAttr a) {
                return a.database() != null ? tags.apply(a.database())
                        : a.attribute().equals("schema") ? self.schema() : self.name();
            }
            if (e instanceof Name name) {
                for (int k = loops.size() - 1; k >= 0; k--) {
                    if (loops.get(k).name().equals(name.name())) {
                        return loops.get(k).item();
                    }
                }
                return globals.get(name.name());
            }
            if (e instanceof Incremental) {
                return incremental;
            }
            if (e instanceof Not not) {
                return !(Boolean) eval(not.operand());
            }
            if (e instanceof Logic l) {
                boolean left = (Boolean) eval(l.left());
                return l.and() ? left && (Boolean) eval(l.right()) : left || (Boolean) eval(l.right());
            }
            if (e instanceof Compare c) {
                return compare(c.op(), eval(c.left()), eval(c.right()));
            }
            if (e instanceof Choice c) {
                return (Boolean) eval(c.test()) ? eval(c.then())
                        : c.otherwise() == null ? Undefined.VALUE : eval(c.otherwise());
            }
            if (e instanceof Concat c) {
                StringBuilder text = new StringBuilder();
                c.parts().forEach(p -> text.append(print(eval(p))));
                return text.toString();
            }
            if (e instanceof Filter f) {
                return filter(f);
            }
            if (e instanceof ListOf l) {
                List<Object> items = new ArrayList<>();
                l.items().forEach(item -> items.add(eval(item)));
                return items;
            }
            if (e instanceof MacroCall m) {
                return call(m, -1).out.toString();
            }
            Loop loop = loops.get(loops.size() - 1);
            return switch (((LoopAttr) e).attribute()) {
                case "index" -> loop.index0() + 1;
                case "index0" -> loop.index0();
                case "revindex" -> loop.length() - loop.index0();
                case "revindex0" -> loop.length() - loop.index0() - 1;
                case "first" -> loop.index0() == 0;
                case "last" -> loop.index0() == loop.length() - 1;
                default -> loop.length();
            };
        }

        /** A filter as Jinja 3.1's: the kinds were checked when parsing. */
        private Object filter(Filter f) {
            Object value = eval(f.operand());
            List<Object> args = new ArrayList<>();
            f.args().forEach(a -> args.add(eval(a)));
            return switch (f.name()) {
                case "join" -> {
                    StringBuilder text = new StringBuilder();
                    String separator = args.isEmpty() ? "" : print(args.get(0));
                    List<?> items = (List<?>) value;
                    for (int k = 0; k < items.size(); k++) {
                        text.append(k == 0 ? "" : separator).append(print(items.get(k)));
                    }
                    yield text.toString();
                }
                case "upper" -> print(value).toUpperCase(java.util.Locale.ROOT);
                case "lower" -> print(value).toLowerCase(java.util.Locale.ROOT);
                case "trim" -> strip(print(value), args.isEmpty() ? null : print(args.get(0)));
                case "replace" -> print(value).replace(print(args.get(0)), print(args.get(1)));
                case "length" -> value instanceof List<?> list ? list.size()
                        : print(value).codePointCount(0, print(value).length());
                default -> {                                                  // default
                    boolean falsy = args.size() > 1 && (Boolean) args.get(1);
                    yield value == Undefined.VALUE || falsy && !truthy(value) ? args.isEmpty() ? "" : args.get(0)
                            : value;
                }
            };
        }

        /** A single value as Jinja prints it: booleans as {@code True}/{@code False}, undefined as nothing. */
        private static String print(Object value) {
            return value instanceof Boolean b ? (b ? "True" : "False")
                    : value == Undefined.VALUE ? "" : String.valueOf(value);
        }
    }

    /** Python's truth of a value: false for False, 0, '', [] and undefined. */
    private static boolean truthy(Object value) {
        if (value instanceof Boolean b) {
            return b;
        }
        if (value instanceof Num || value instanceof Integer) {
            return decimal(value).signum() != 0;
        }
        if (value instanceof String text) {
            return !text.isEmpty();
        }
        if (value instanceof List<?> list) {
            return !list.isEmpty();
        }
        return value != Undefined.VALUE;
    }

    /** Python's {@code str.strip()} (white space as Python's {@code isspace}), or {@code strip(chars)}. */
    private static String strip(String text, String chars) {
        int from = 0;
        int to = text.length();
        while (from < to && stripped(text.charAt(from), chars)) {
            from++;
        }
        while (to > from && stripped(text.charAt(to - 1), chars)) {
            to--;
        }
        return text.substring(from, to);
    }

    private static boolean stripped(char c, String chars) {
        return chars == null ? jinjaSpace(c) : chars.indexOf(c) >= 0;
    }

    /**
     * White space as Python's {@code str.isspace()} and Jinja's {@code \s} see it: Java's white space, the
     * no-break spaces and U+0085 too.
     */
    private static boolean jinjaSpace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085';
    }

    /** A number (or a boolean, as Python counts it in a comparison) as its exact value. */
    private static BigDecimal decimal(Object value) {
        if (value instanceof Boolean b) {
            return b ? BigDecimal.ONE : BigDecimal.ZERO;
        }
        if (value instanceof Integer n) {
            return BigDecimal.valueOf(n);
        }
        String printed = ((Num) value).printed();
        // a decimal literal is a Python float: compared by the double it is, as Python does
        return printed.indexOf('.') < 0 && printed.indexOf('e') < 0 ? new BigDecimal(printed)
                : new BigDecimal(Double.parseDouble(printed));
    }

    private static boolean numeric(Object value) {
        return value instanceof Num || value instanceof Integer || value instanceof Boolean;
    }

    /** Python's {@code ==}. */
    private static boolean same(Object a, Object b) {
        if (numeric(a) && numeric(b)) {
            return decimal(a).compareTo(decimal(b)) == 0;
        }
        if (a instanceof List<?> x && b instanceof List<?> y) {
            if (x.size() != y.size()) {
                return false;
            }
            for (int k = 0; k < x.size(); k++) {
                if (!same(x.get(k), y.get(k))) {
                    return false;
                }
            }
            return true;
        }
        return a.equals(b);
    }

    /** A comparison as Python makes it, the kinds checked when parsing (ordering: two numbers or two texts). */
    private static boolean compare(String op, Object a, Object b) {
        switch (op) {
            case "==" -> {
                return same(a, b);
            }
            case "!=" -> {
                return !same(a, b);
            }
            case "in", "notin" -> {
                boolean in = b instanceof List<?> list ? list.stream().anyMatch(item -> same(a, item))
                        : ((String) b).contains((String) a);
                return in == op.equals("in");
            }
            default -> {
                int order = a instanceof String x ? codePointOrder(x, (String) b) : decimal(a).compareTo(decimal(b));
                return switch (op) {
                    case "<" -> order < 0;
                    case ">" -> order > 0;
                    case "<=" -> order <= 0;
                    default -> order >= 0;
                };
            }
        }
    }

    /** Orders two texts by code point, as Python does (not by UTF-16 unit, as {@link String#compareTo}). */
    private static int codePointOrder(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int x = a.codePointAt(i);
            int y = b.codePointAt(j);
            if (x != y) {
                return Integer.compare(x, y);
            }
            i += Character.charCount(x);
            j += Character.charCount(y);
        }
        return Boolean.compare(i < a.length(), j < b.length());
    }

    /**
     * A number literal as Jinja (Python) prints it: an integer as written, a decimal as Python's repr of the float it
     * is ({@code 0.50} as {@code 0.5}, {@code -0.0} signed, {@code 1e+16} from 1e16, {@code 1e-05} below 1e-4).
     */
    private static String jinjaNumber(String token) {
        if (token.indexOf('.') < 0) {
            return new BigInteger(token).toString();
        }
        // a Python float: the shortest text reading back as the same double, as Python's repr writes it
        double d = Double.parseDouble(token);
        String sign = token.startsWith("-") ? "-" : "";
        if (d == 0) {
            return sign + "0.0";
        }
        if (Double.isInfinite(d)) {
            return sign + "inf";
        }
        BigDecimal exact = new BigDecimal(d).abs();
        BigDecimal shortest = exact;
        for (int digits = 1; digits <= 17; digits++) {
            BigDecimal rounded = exact.round(new MathContext(digits, RoundingMode.HALF_EVEN));
            if (rounded.doubleValue() == Math.abs(d)) {
                shortest = rounded;
                break;
            }
        }
        shortest = shortest.stripTrailingZeros();
        String digits = shortest.unscaledValue().toString();
        int exponent = digits.length() - 1 - shortest.scale();
        if (exponent < -4 || exponent >= 16) {
            String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
            return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + (Math.abs(exponent) < 10 ? "0" : "")
                    + Math.abs(exponent);
        }
        String plain = shortest.toPlainString();
        return sign + (plain.contains(".") ? plain : plain + ".0");
    }

    /** Parses {@code sql} read from {@code source} (a file name or {@code model x.y}). */
    public static Template parse(String source, String sql) {
        return parse(source, sql, Map.of(), DEFAULT_TARGET);
    }

    /** dbt's {@code target.name} when none is set: the name dbt's profiles give the development target. */
    public static final String DEFAULT_TARGET = "dev";

    /**
     * Parses {@code sql} read from {@code source}, the macros of {@code library} (dbt's macro-paths) callable in it
     * besides those it defines, {@code target.name} being {@code target}.
     */
    public static Template parse(String source, String sql, Map<String, Macro> library, String target) {
        return parse(source, sql, library, target, Set.of());
    }

    /**
     * As {@link #parse(String, String, Map, String)}, {@code setVars} naming the vars given a value: a
     * {@code var('name', 3)} whose var has none is the number 3, as in dbt (a var's value is text).
     */
    public static Template parse(String source, String sql, Map<String, Macro> library, String target,
            Set<String> setVars) {
        Parser p = new Parser(Objects.requireNonNull(source), Objects.requireNonNull(sql), new ArrayList<>(),
                Map.copyOf(library), new LinkedHashMap<>(), List.of(), null, "", 1);
        p.target = Objects.requireNonNull(target);
        p.setVars = Set.copyOf(setVars);
        return p.parse();
    }

    /**
     * The macros defined in {@code text}, read from {@code source} (a file of dbt's macro-paths), by name: the file
     * holds {@code {% macro %}} blocks, white space and comments only. Their bodies are checked where they are called.
     */
    public static Map<String, Macro> macros(String source, String text) {
        Parser p = new Parser(Objects.requireNonNull(source), Objects.requireNonNull(text), new ArrayList<>(), Map.of(),
                new LinkedHashMap<>(), List.of(), null, "", 1);
        p.macroFile = true;
        List<Node> nodes = p.nodes();
        for (Node n : nodes) {
            if (!(n instanceof Text t) || !t.text().isBlank()) {
                int line = n instanceof Text t ? t.line() + leadingNewlines(t.text()) : nodeLine(n);
                throw p.error(line, "a macro file holds only {% macro %} … {% endmacro %} blocks (and comments),"
                        + " not SQL or other tags");
            }
        }
        return Collections.unmodifiableMap(new LinkedHashMap<>(p.local));
    }

    /**
     * Checks the body of every macro of {@code library} (a macros directory) as it would be checked at a call, but
     * with arguments of any kind: a body that no call could pass (bad syntax, an unknown name, filter or macro, a
     * recursion) is refused even when no model calls it, as dbt refuses a macro file it cannot compile.
     */
    public static void check(Map<String, Macro> library, String target, Set<String> setVars) {
        for (Macro m : library.values()) {
            Parser p = new Parser(m.source(), "", new ArrayList<>(), Map.copyOf(library), new LinkedHashMap<>(),
                    List.of(), null, "", 1);
            p.target = Objects.requireNonNull(target);
            p.setVars = Set.copyOf(setVars);
            p.check(m, Map.of());
        }
    }

    private static int leadingNewlines(String text) {
        int lines = 0;
        for (int i = 0; i < text.length() && Character.isWhitespace(text.charAt(i)); i++) {
            lines += text.charAt(i) == '\n' ? 1 : 0;
        }
        return lines;
    }

    private static int nodeLine(Node n) {
        return n instanceof Tag t ? t.line() : n instanceof This t ? t.line() : n instanceof If f ? f.line()
                : n instanceof For f ? f.line() : n instanceof Assign a ? a.line() : ((Print) n).line();
    }

    private static final class Parser {
        private final String source;
        private final String sql;
        private final List<Tag> tags;
        private final Map<String, Setting> config = new LinkedHashMap<>();
        /** The macros of the macros directory, and those defined in this file so far. */
        private final Map<String, Macro> library;
        private final Map<String, Macro> local;
        /** The macros being called, outermost first, when this parses a macro's body; else empty. */
        private final List<String> calling;
        /** In a macro's body, the model's line of the outermost call: tags and {@code this} are counted there. */
        private final Integer callLine;
        /** In a macro's body, where it is called, added to every error; else empty. */
        private final String context;
        /** The line {@code sql} starts on in {@code source}. */
        private final int firstLine;
        /** dbt's {@code target.name}. */
        private String target = DEFAULT_TARGET;
        /** The vars given a value (the others are their default, a number default being a number). */
        private Set<String> setVars = Set.of();
        /**
         * In the body of a macro of a model's file, called: the names the file's top level has set at the call, which
         * Jinja's macro would see (mds's does not); else null.
         */
        private Map<String, Typed> fileSets;
        /** Whether {@code sql} is a macros directory's file (its macros are checked with the whole directory's). */
        private boolean macroFile;
        /** The names set so far and what they hold. */
        private final Map<String, Typed> globals = new HashMap<>();
        /** The open fors' items (the name and the kind of the list's items), innermost last. */
        private final List<LoopVar> loops = new ArrayList<>();

        private record LoopVar(String name, Kind kind) {
        }

        Parser(String source, String sql, List<Tag> tags, Map<String, Macro> library, Map<String, Macro> local,
                List<String> calling, Integer callLine, String context, int firstLine) {
            this.source = source;
            this.sql = sql;
            this.tags = tags;
            this.library = library;
            this.local = local;
            this.calling = calling;
            this.callLine = callLine;
            this.context = context;
            this.firstLine = firstLine;
        }

        BadInputException error(int line, String reason) {
            return new BadInputException(InputLocation.of(source).withLine(line), reason + context);
        }

        /** {@code ""}, or, in a macro's body, {@code " (in macro m at macros/m.sql line 3)"} for {@code line}. */
        String inMacro(int line) {
            return calling.isEmpty() ? "" : " (in macro " + calling.get(calling.size() - 1) + " at " + source + " line "
                    + line + ")";
        }

        /** The line a tag on {@code line} is counted on: in a macro's body, the model's line of the call. */
        int tagLine(int line) {
            return callLine != null ? callLine : line;
        }

        int lineOf(int offset) {
            int line = firstLine;
            for (int i = 0; i < offset; i++) {
                if (sql.charAt(i) == '\n') {
                    line++;
                }
            }
            return line;
        }

        Template parse() {
            List<Node> root = nodes();
            return new Template(source, List.copyOf(root), List.copyOf(tags), Map.copyOf(config));
        }

        /**
         * Parses {@code m}'s body as a call would, each parameter of any kind and the tags it finds discarded; only
         * the errors count.
         */
        void check(Macro m, Map<String, Macro> file) {
            Parser body = new Parser(m.source(), m.body(), new ArrayList<>(), library, new LinkedHashMap<>(file),
                    List.of(m.name()), m.line(), " (in macro " + m.name() + ")", m.bodyLine());
            body.target = target;
            body.setVars = setVars;
            for (String param : m.params()) {
                body.globals.put(param, new Typed(new Name(param), Kind.ANY, Kind.ANY, false, param));
            }
            body.nodes();
        }

        /** The nodes of {@code sql}. */
        List<Node> nodes() {
            List<Node> root = new ArrayList<>();
            List<Frame> stack = new ArrayList<>();
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
                }
                if (kind == '%' && tokens.get(0).equals("macro")) {
                    if (!stack.isEmpty() || !calling.isEmpty()) {
                        throw error(line, tag + ": a macro is defined only at the top level of a file, not inside "
                                + (calling.isEmpty() ? "the " + stack.get(stack.size() - 1).tag + " of line "
                                + stack.get(stack.size() - 1).line : "another macro"));
                    }
                    int from = trimAfter ? whitespaceAfter(i) : i;
                    Matcher end = END_MACRO.matcher(sql);
                    if (!end.find(from)) {
                        throw error(line, tag + " is never closed with {% endmacro %}");
                    }
                    Matcher nested = Pattern.compile("\\{%-?\\s*macro\\b").matcher(sql).region(from, end.start());
                    if (nested.find()) {
                        throw error(lineOf(nested.start()), "a macro is defined only at the top level of a file, not"
                                + " inside the " + tag + " of line " + line);
                    }
                    int to = end.group().startsWith("{%-") ? whitespaceBefore(end.start(), from) : end.start();
                    define(tokens, line, tag, sql.substring(from, to), lineOf(from));
                    i = end.group().endsWith("-%}") ? whitespaceAfter(end.end()) : end.end();
                    continue;
                }
                if (kind == '%' && tokens.get(0).equals("endmacro")) {
                    throw error(line, tag + " without an open {% macro %}");
                }
                if (kind == '{' && !stack.isEmpty() && tokens.size() >= 2 && tokens.get(0).equals("config")
                        && tokens.get(1).equals("(")) {
                    // read when the project is built, so an if could not leave it out (nor a for repeat it)
                    Frame f = stack.get(stack.size() - 1);
                    throw error(line, tag + ": config() is read when the project is built, apart from the " + f.tag
                            + " of line " + f.line + " (dbt would apply it only as that block renders it): write config()"
                            + " at the top level of the file");
                }
                if (kind == '{') {
                    expression(tokens, line, tag, current);
                } else {
                    current = statement(tokens, line, tag, stack, current);
                }
                if (trimAfter) {
                    i = whitespaceAfter(i);
                }
            }
            if (!stack.isEmpty()) {
                Frame f = stack.get(stack.size() - 1);
                throw error(f.line, f.tag + " is never closed with {% end" + f.kind + " %}");
            }
            if (calling.isEmpty() && !macroFile) {
                local.values().forEach(m -> check(m, local));        // the file's macros, called or not
            }
            return root;
        }

        /** Where the white space ending {@code sql[from, at)} starts. */
        private int whitespaceBefore(int at, int from) {
            while (at > from && jinjaSpace(sql.charAt(at - 1))) {
                at--;
            }
            return at;
        }

        /** The first character at or after {@code at} that is not white space. */
        private int whitespaceAfter(int at) {
            while (at < sql.length() && jinjaSpace(sql.charAt(at))) {
                at++;
            }
            return at;
        }

        /** An open {@code {% if %}} or {@code {% for %}}: what it holds so far and the list it goes into. */
        private static final class Frame {
            final String kind;
            final int line;
            final String tag;
            final List<Node> parent;
            final List<Node> first = new ArrayList<>();
            List<Node> second;
            /** An if's tests and their bodies: the if's, then each elif's, with their lines. */
            final List<Expr> tests = new ArrayList<>();
            final List<List<Node>> bodies = new ArrayList<>();
            final List<Integer> lines = new ArrayList<>();
            String name;
            Expr list;

            Frame(String kind, int line, String tag, List<Node> parent) {
                this.kind = kind;
                this.line = line;
                this.tag = tag;
                this.parent = parent;
            }
        }

        /** A {@code {% … %}} statement; returns the list the nodes after it go into. */
        private List<Node> statement(List<String> t, int line, String tag, List<Frame> stack, List<Node> current) {
            Frame top = stack.isEmpty() ? null : stack.get(stack.size() - 1);
            switch (t.get(0)) {
                case "if" -> {
                    Frame f = new Frame("if", line, tag, current);
                    f.tests.add(condition(t.subList(1, t.size()), line, tag));
                    f.bodies.add(f.first);
                    f.lines.add(line);
                    stack.add(f);
                    return f.first;
                }
                case "elif" -> {
                    if (top == null || !top.kind.equals("if")) {
                        throw error(line, tag + " without an open {% if %}" + (top == null ? ""
                                : " (the " + top.tag + " of line " + top.line + " is open)"));
                    }
                    if (top.second != null) {
                        throw error(line, tag + " after the {% else %} of the " + top.tag + " of line " + top.line
                                + ": elif comes before else");
                    }
                    List<Node> body = new ArrayList<>();
                    top.tests.add(condition(t.subList(1, t.size()), line, tag));
                    top.bodies.add(body);
                    top.lines.add(line);
                    return body;
                }
                case "for" -> {
                    if (t.size() < 4 || !isIdent(t.get(1)) || !t.get(2).equals("in")) {
                        throw error(line, tag + ": " + FOR_USAGE);
                    }
                    String name = t.get(1);
                    checkName(name, line, tag);
                    int depth = 0;
                    for (String token : t.subList(3, t.size())) {
                        depth += token.equals("(") || token.equals("[") ? 1 : token.equals(")") || token.equals("]") ? -1 : 0;
                        if (depth == 0 && token.equals("if")) {
                            throw error(line, tag + ": a loop filter (for x in list if test) is not supported; put an"
                                    + " {% if test %} inside the loop");
                        }
                    }
                    Typed list = defined(value(t.subList(3, t.size()), line, tag, () -> error(line, "cannot read " + tag
                            + ": " + FOR_USAGE)), tag, line, "loop over");
                    if (list.kind() != Kind.LIST && list.kind() != Kind.ANY) {
                        throw error(line, tag + ": " + list.text() + " is " + list.kind().what + ", not a list; "
                                + FOR_USAGE);
                    }
                    Frame f = new Frame("for", line, tag, current);
                    f.name = name;
                    f.list = list.expr();
                    stack.add(f);
                    loops.add(new LoopVar(name, list.kind() == Kind.ANY ? Kind.ANY : list.item()));
                    return f.first;
                }
                case "else" -> {
                    if (t.size() != 1) {
                        throw unknownStatement(line, tag);
                    }
                    if (top == null || top.second != null) {
                        throw error(line, "{% else %} without an open {% if %} or {% for %}");
                    }
                    if (top.kind.equals("for")) {
                        loops.remove(loops.size() - 1);       // Jinja's for-else runs when the list is empty, no loop
                    }
                    top.second = new ArrayList<>();
                    return top.second;
                }
                case "endif", "endfor" -> {
                    String kind = t.get(0).substring(3);
                    if (t.size() != 1) {
                        throw unknownStatement(line, tag);
                    }
                    if (top == null) {
                        throw error(line, "{% " + t.get(0) + " %} without an open {% " + kind + " %}");
                    }
                    if (!top.kind.equals(kind)) {
                        throw error(line, "{% " + t.get(0) + " %} while the " + top.tag + " of line " + top.line
                                + " is open (close it first with {% end" + top.kind + " %})");
                    }
                    stack.remove(stack.size() - 1);
                    if (kind.equals("for") && top.second == null) {
                        loops.remove(loops.size() - 1);
                    }
                    List<Node> otherwise = top.second == null ? List.of() : List.copyOf(top.second);
                    if (kind.equals("for")) {
                        top.parent.add(new For(top.name, top.list, List.copyOf(top.first), otherwise, top.line));
                        return top.parent;
                    }
                    for (int k = top.tests.size() - 1; k >= 0; k--) {          // elif: an if in the else part
                        If f = new If(top.tests.get(k), List.copyOf(top.bodies.get(k)), otherwise, top.lines.get(k));
                        otherwise = List.of(f);
                    }
                    top.parent.add(otherwise.get(0));
                    return top.parent;
                }
                case "set" -> {
                    if (top != null) {
                        throw error(line, tag + ": {% set %} is read only at the top level of the file, not inside"
                                + " the " + top.tag + " of line " + top.line);
                    }
                    if (t.size() < 4 || !isIdent(t.get(1)) || !t.get(2).equals("=")) {
                        throw error(line, tag + ": " + SET_USAGE);
                    }
                    String name = t.get(1);
                    checkName(name, line, tag);
                    Typed value = value(t.subList(3, t.size()), line, tag, () -> error(line, "cannot read " + tag
                            + ": " + VALUE_USAGE));
                    defined(value, tag, line, "set");
                    globals.put(name, value);
                    current.add(new Assign(name, value.expr(), line));
                    return current;
                }
                default -> throw unknownStatement(line, tag);
            }
        }

        private BadInputException unknownStatement(int line, String tag) {
            return error(line, "unknown tag " + tag + ": the supported statements are {% if is_incremental() %}"
                    + " (or loop.first, loop.last, a name set to true or false, a comparison; with not, and, or),"
                    + " {% elif … %}, {% else %}, {% endif %}, {% for name in list %}, {% endfor %},"
                    + " {% set name = value %}, {% macro name(params) %}, {% endmacro %} and {% raw %}");
        }

        /** A name a {@code set} or {@code for} may not take: the tags', Jinja's words, dbt's context. */
        private void checkName(String name, int line, String tag) {
            if (RESERVED.contains(name)) {
                throw error(line, tag + ": '" + name + "' is a reserved name (a tag's, Jinja's or dbt's); choose"
                        + " another");
            }
        }

        /** The test of an {@code {% if %}} or {@code {% elif %}}: an expression that is true or false. */
        private Expr condition(List<String> t, int line, String tag) {
            if (t.isEmpty()) {
                throw error(line, tag + ": " + IF_USAGE);
            }
            Typed test = value(t, line, tag, () -> error(line, "unknown tag " + tag + ": " + IF_USAGE));
            return bool(test, tag, line).expr();
        }

        /** {@code v}, which must be true or false (and not perhaps undefined). */
        private Typed bool(Typed v, String tag, int line) {
            if (v.kind() != Kind.BOOLEAN && v.kind() != Kind.ANY) {
                throw error(line, tag + ": " + v.text() + " is " + v.kind().what + ", not true or false; " + IF_USAGE);
            }
            return defined(v, tag, line, "test");
        }

        /** {@code v}, which must not be an inline if without else (Jinja's undefined when its test is false). */
        private Typed defined(Typed v, String tag, int line, String use) {
            if (v.maybeUndefined()) {
                throw error(line, tag + ": " + v.text() + " has no else, so it is undefined when its test is false;"
                        + " give it an else to " + use + " it (only {{ }} and ~ print an undefined value, as nothing)");
            }
            return v;
        }

        /** Tokens being read as one expression, the cursor at {@code i}. */
        private final class Cursor {
            final List<String> t;
            final int line;
            final String tag;
            /** The error for a tag that is not an expression mds reads (a call of an unknown function...). */
            final java.util.function.Supplier<BadInputException> unknown;
            int i;

            Cursor(List<String> t, int line, String tag, java.util.function.Supplier<BadInputException> unknown) {
                this.t = t;
                this.line = line;
                this.tag = tag;
                this.unknown = unknown;
            }

            String peek() {
                return i < t.size() ? t.get(i) : "";
            }

            String peek(int ahead) {
                return i + ahead < t.size() ? t.get(i + ahead) : "";
            }

            boolean accept(String token) {
                if (peek().equals(token)) {
                    i++;
                    return true;
                }
                return false;
            }

            void expect(String token, String what) {
                if (!accept(token)) {
                    throw error(line, "cannot read " + tag + ": expected '" + token + "' " + what + (i < t.size()
                            ? ", not '" + t.get(i) + "'" : ""));
                }
            }

            String text(int from) {
                return display(t.subList(from, i));
            }
        }

        /** Tokens as written, roughly: spaced around words, operators and after commas, not in calls' brackets. */
        private static String display(List<String> t) {
            StringBuilder out = new StringBuilder();
            for (int k = 0; k < t.size(); k++) {
                String token = t.get(k);
                if (k > 0) {
                    String before = t.get(k - 1);
                    boolean tight = Set.of("(", "[", ".").contains(before)
                            || Set.of(")", "]", ",", ".").contains(token)
                            || token.equals("(") && isIdent(before);
                    out.append(tight ? "" : " ");
                }
                out.append(token);
            }
            return out.toString();
        }

        /**
         * All of {@code t} as one expression, Jinja's grammar and precedence: inline if, or, and, not, comparisons,
         * {@code ~}, filters, then values; each operand's kind checked.
         */
        private Typed value(List<String> t, int line, String tag, java.util.function.Supplier<BadInputException> unknown) {
            Cursor c = new Cursor(t, line, tag, unknown);
            Typed v = choice(c);
            if (c.i < t.size()) {
                throw error(line, "cannot read " + tag + ": unexpected '" + t.get(c.i) + "' after " + v.text());
            }
            return v;
        }

        /** {@code then if test else otherwise}, or without else. */
        private Typed choice(Cursor c) {
            int from = c.i;
            Typed v = or(c);
            while (c.accept("if")) {
                Typed test = bool(or(c), c.tag, c.line);
                if (c.accept("else")) {
                    Typed otherwise = choice(c);
                    Kind kind = v.kind() == otherwise.kind() ? v.kind()
                            : v.kind() == Kind.ANY || otherwise.kind() == Kind.ANY ? Kind.ANY : null;
                    if (kind == null && (v.kind() == Kind.LIST || otherwise.kind() == Kind.LIST)) {
                        throw error(c.line, c.tag + ": " + c.text(from) + " is a list on one side of else and not"
                                + " on the other");
                    }
                    Kind item = v.item() == otherwise.item() ? v.item() : union(v.item(), otherwise.item());
                    v = new Typed(new Choice(test.expr(), v.expr(), otherwise.expr()), kind == null ? Kind.SCALAR
                            : kind, item, v.maybeUndefined() || otherwise.maybeUndefined(), c.text(from));
                } else {
                    v = new Typed(new Choice(test.expr(), v.expr(), null), v.kind(), v.item(), true, c.text(from));
                }
            }
            return v;
        }

        private Typed or(Cursor c) {
            int from = c.i;
            Typed v = and(c);
            while (c.accept("or")) {
                Typed right = and(c);
                v = new Typed(new Logic(false, bool(v, c.tag, c.line).expr(), bool(right, c.tag, c.line).expr()),
                        Kind.BOOLEAN, null, false, c.text(from));
            }
            return v;
        }

        private Typed and(Cursor c) {
            int from = c.i;
            Typed v = not(c);
            while (c.accept("and")) {
                Typed right = not(c);
                v = new Typed(new Logic(true, bool(v, c.tag, c.line).expr(), bool(right, c.tag, c.line).expr()),
                        Kind.BOOLEAN, null, false, c.text(from));
            }
            return v;
        }

        private Typed not(Cursor c) {
            int from = c.i;
            if (c.accept("not")) {
                Typed v = bool(not(c), c.tag, c.line);
                return new Typed(new Not(v.expr()), Kind.BOOLEAN, null, false, c.text(from));
            }
            return comparison(c);
        }

        private static final Set<String> COMPARISONS = Set.of("==", "!=", "<", ">", "<=", ">=", "in");

        /** {@code left op right}; a chain ({@code a < b < c}) is refused. */
        private Typed comparison(Cursor c) {
            int from = c.i;
            Typed left = concat(c);
            String op = c.peek().equals("not") && c.peek(1).equals("in") ? "notin" : c.peek();
            if (!COMPARISONS.contains(op) && !op.equals("notin")) {
                return left;
            }
            c.i += op.equals("notin") ? 2 : 1;
            Typed right = concat(c);
            String text = c.text(from);
            defined(left, c.tag, c.line, "compare");
            defined(right, c.tag, c.line, "compare");
            switch (op) {
                case "==", "!=" -> {
                    if (!comparable(left.kind(), right.kind())) {
                        throw error(c.line, c.tag + ": " + text + " compares " + left.kind().noun + " with "
                                + right.kind().noun + never(left.kind(), right.kind(), ", which Jinja never finds equal"));
                    }
                }
                case "in", "notin" -> {
                    if (right.kind() == Kind.ANY || left.kind() == Kind.ANY && right.kind() == Kind.STRING) {
                        break;
                    } else if (right.kind() == Kind.LIST) {
                        if (left.kind() == Kind.LIST || !comparable(left.kind(), right.item())) {
                            throw error(c.line, c.tag + ": " + text + " looks for " + left.kind().noun + " in a list"
                                    + " of " + right.item().plural + never(left.kind(), right.item(), ", where Jinja never finds it"));
                        }
                    } else if (right.kind() != Kind.STRING || left.kind() != Kind.STRING) {
                        throw error(c.line, c.tag + ": " + text + ": in looks for a value in a list or a text in a"
                                + " text, not " + left.kind().noun + " in " + right.kind().noun);
                    }
                }
                default -> {
                    boolean any = left.kind() == Kind.ANY && right.kind() != Kind.LIST && right.kind() != Kind.BOOLEAN
                            || right.kind() == Kind.ANY && left.kind() != Kind.LIST && left.kind() != Kind.BOOLEAN;
                    if (!any && (left.kind() != right.kind() || left.kind() != Kind.STRING
                            && left.kind() != Kind.NUMBER)) {
                        throw error(c.line, c.tag + ": " + text + ": " + op + " orders two numbers or two texts, not "
                                + left.kind().noun + " and " + right.kind().noun);
                    }
                }
            }
            if (COMPARISONS.contains(c.peek()) || c.peek().equals("not") && c.peek(1).equals("in")) {
                throw error(c.line, c.tag + ": " + display(c.t.subList(from, c.t.size())) + " chains comparisons;"
                        + " write each one and join them with and");
            }
            return new Typed(new Compare(op, left.expr(), right.expr()), Kind.BOOLEAN, null, false, text);
        }

        /**
         * Why comparing kinds {@code a} and {@code b} is refused: Jinja never finds them equal, but for true/false and
         * a number, which Python compares as 1/0 (so {@code true == 1}): compare like with like.
         */
        private static String never(Kind a, Kind b, String otherwise) {
            boolean counted = a == Kind.BOOLEAN && b == Kind.NUMBER || a == Kind.NUMBER && b == Kind.BOOLEAN;
            return counted ? " (Jinja counts true as 1 and false as 0); compare true/false with true/false"
                    : otherwise;
        }

        /** Whether Jinja may find values of these kinds equal (a mixed list's item may be anything). */
        private static boolean comparable(Kind a, Kind b) {
            return a == b || a == Kind.SCALAR && b.scalar() || b == Kind.SCALAR && a.scalar() || a == Kind.ANY
                    || b == Kind.ANY;
        }

        /** {@code a ~ b ~ …}: text. */
        private Typed concat(Cursor c) {
            int from = c.i;
            Typed v = filtered(c);
            if (!c.peek().equals("~")) {
                return v;
            }
            List<Expr> parts = new ArrayList<>();
            parts.add(v.expr());
            List<Typed> typed = new ArrayList<>(List.of(v));
            while (c.accept("~")) {
                Typed part = filtered(c);
                parts.add(part.expr());
                typed.add(part);
            }
            for (Typed part : typed) {
                if (part.kind() == Kind.LIST) {
                    throw error(c.line, c.tag + ": " + part.text() + " is a list, which ~ would print as a Python"
                            + " list, not SQL; use | join(', ')");
                }
            }
            return new Typed(new Concat(List.copyOf(parts)), Kind.STRING, null, false, c.text(from));
        }

        /** A value and the filters after it. */
        private Typed filtered(Cursor c) {
            int from = c.i;
            Typed v;
            String token = c.peek();
            if (isIdent(token) && !RESERVED.contains(token) && !c.peek(1).equals("(") && !defined(token)) {
                // an undefined name is an error, unless a default filter follows it
                if (!(c.peek(1).equals("|") && c.peek(2).equals("default"))) {
                    throw undefined(token, c.line, c.tag);
                }
                if (fileSets != null && fileSets.containsKey(token)) {
                    throw error(c.line, c.tag + ": " + token + " is set in the file where the macro is called, which"
                            + " Jinja's macro would see (printing its value, not the default) but an mds macro does"
                            + " not; pass it as an argument");
                }
                c.i += 3;
                List<Typed> args = arguments(c, "default");
                if (args.size() > 2) {
                    throw error(c.line, c.tag + ": default takes a value and perhaps true (default('x'), default('x',"
                            + " true))");
                }
                v = args.isEmpty() ? new Typed(new Literal(""), Kind.STRING, null, false, c.text(from))
                        : new Typed(args.get(0).expr(), args.get(0).kind(), args.get(0).item(), false, c.text(from));
            } else {
                v = primary(c);
            }
            while (c.accept("|")) {
                String name = c.peek();
                if (!isIdent(name)) {
                    throw error(c.line, "cannot read " + c.tag + ": a filter's name after '|', not '" + name + "'");
                }
                c.i++;
                List<Typed> args = arguments(c, name);
                v = filter(name, v, args, c, from);
            }
            return v;
        }

        /** A filter's arguments, {@code (a, b)} or none; keyword arguments are refused. */
        private List<Typed> arguments(Cursor c, String filter) {
            List<Typed> args = new ArrayList<>();
            if (!c.accept("(")) {
                return args;
            }
            while (!c.accept(")")) {
                if (isIdent(c.peek()) && c.peek(1).equals("=")) {
                    throw error(c.line, c.tag + ": " + filter + "(" + c.peek() + "=…): mds reads a filter's arguments"
                            + " by position only");
                }
                args.add(defined(choice(c), c.tag, c.line, "pass"));
                if (!c.peek().equals(")")) {
                    c.expect(",", "between " + filter + "'s arguments");
                }
            }
            return args;
        }

        /** {@code v | name(args)}, kinds checked as Jinja 3.1 would fail or print something not SQL. */
        private Typed filter(String name, Typed v, List<Typed> args, Cursor c, int from) {
            String text = c.text(from);
            int[] arity = switch (name) {
                case "join", "trim" -> new int[] {0, 1};
                case "upper", "lower", "length" -> new int[] {0, 0};
                case "replace" -> new int[] {2, 2};
                case "default" -> new int[] {0, 2};
                default -> throw error(c.line, c.tag + ": unknown filter '" + name + "' (mds has " + FILTERS + ")");
            };
            if (args.size() < arity[0] || args.size() > arity[1]) {
                throw error(c.line, c.tag + ": " + text + ": " + name + " takes " + (arity[1] == 0 ? "no arguments"
                        : arity[0] == arity[1] ? arity[0] + " arguments" : "at most " + arity[1] + " argument"
                        + (arity[1] > 1 ? "s" : "")) + ", not " + args.size());
            }
            for (Typed a : args) {
                if (a.kind() == Kind.LIST && !name.equals("default")) {
                    throw error(c.line, c.tag + ": " + text + ": " + a.text() + " is a list, not a value " + name
                            + " can take");
                }
            }
            if (name.equals("default")) {
                if (args.size() == 2 && !(args.get(1).expr() instanceof Literal l && l.value() instanceof Boolean)) {
                    throw error(c.line, c.tag + ": " + text + ": default's second argument is true or false");
                }
                boolean replaces = v.maybeUndefined() || args.size() == 2;
                Kind with = args.isEmpty() ? Kind.STRING : args.get(0).kind();
                Kind kind = !replaces || v.kind() == with ? v.kind()
                        : v.kind() == Kind.ANY || with == Kind.ANY ? Kind.ANY : null;
                if (kind == null && (v.kind() == Kind.LIST || with == Kind.LIST)) {
                    throw error(c.line, c.tag + ": " + text + ": a list or its default, not a list");
                }
                Kind item = !replaces ? v.item() : args.isEmpty() || v.item() == args.get(0).item() ? v.item()
                        : union(v.item(), args.get(0).item());
                return new Typed(new Filter(name, v.expr(), args.stream().map(Typed::expr).toList()),
                        kind == null ? Kind.SCALAR : kind, item, false, text);
            }
            defined(v, c.tag, c.line, "filter");
            Kind result = name.equals("length") ? Kind.NUMBER : Kind.STRING;
            if (v.kind() != Kind.ANY && (name.equals("join") ? v.kind() != Kind.LIST : name.equals("length")
                    ? v.kind() != Kind.LIST && v.kind() != Kind.STRING : v.kind() == Kind.LIST)) {
                throw error(c.line, c.tag + ": " + text + ": " + name + " takes " + (name.equals("join") ? "a list"
                        : name.equals("length") ? "a list or a text" : "a single value") + ", and "
                        + v.text() + " is " + v.kind().noun);
            }
            return new Typed(new Filter(name, v.expr(), args.stream().map(Typed::expr).toList()), result, null, false,
                    text);
        }

        private boolean defined(String name) {
            return globals.containsKey(name) || loops.stream().anyMatch(l -> l.name().equals(name));
        }

        private BadInputException undefined(String name, int line, String tag) {
            return error(line, tag + ": '" + name + "' is undefined (set it above with {% set " + name
                    + " = … %}, or loop with {% for " + name + " in … %}" + (calling.isEmpty() ? ")"
                    : "; a macro sees only its parameters and the names it sets)"));
        }

        /**
         * A value: a quoted string, a number, true/false, a {@code [list]} of those, {@code var('name')} (perhaps
         * with a default; its text), {@code is_incremental()}, a name set or looped over before, {@code loop.attribute}
         * or an expression in parentheses.
         */
        private Typed primary(Cursor c) {
            int from = c.i;
            String token = c.peek();
            if (c.accept("(")) {
                Typed v = choice(c);
                c.expect(")", "closing the '(' of " + display(c.t.subList(from, Math.min(c.i, c.t.size()))));
                return new Typed(v.expr(), v.kind(), v.item(), v.maybeUndefined(), c.text(from));
            }
            if (token.equals("var") && c.peek(1).equals("(")) {
                int after = c.t.subList(c.i, c.t.size()).indexOf(")");
                int close = after < 0 ? -1 : c.i + after;
                List<String> call = close < 0 ? List.of() : c.t.subList(c.i, close + 1);
                if (!(call(call, "var", 1) || call(call, "var", 2) || numberDefault(call))) {
                    throw c.unknown.get();
                }
                String fallback = call.size() != 6 ? null
                        : isNumber(call.get(4)) ? jinjaNumber(call.get(4)) : unquote(call.get(4));
                // the name as written: dbt looks ' days ' up as ' days ', not days
                Var v = new Var(unquote(call.get(2)), fallback, tagLine(c.line));
                if (v.name().isEmpty()) {
                    throw error(c.line, c.tag + ": var() needs a variable name");
                }
                tags.add(v);
                c.i = close + 1;
                if (numberDefault(call) && !setVars.contains(v.name())) {
                    // dbt gives the default itself: a number, compared and filtered as one
                    Object value = literal(call, new int[] {4}, c.line, c.tag, false);
                    return new Typed(new Literal(value), kindOf(value), null, false, c.text(from));
                }
                return new Typed(new VarValue(v), Kind.STRING, null, false, c.text(from));
            }
            if (token.equals("is_incremental") && c.peek(1).equals("(") && c.peek(2).equals(")")) {
                c.i += 3;
                return new Typed(new Incremental(), Kind.BOOLEAN, null, false, c.text(from));
            }
            if (token.equals("target") && c.peek(1).equals(".") && isIdent(c.peek(2))) {
                c.i += 3;
                String value = switch (c.t.get(c.i - 1)) {
                    case "name" -> target;
                    case "type" -> "postgres";
                    default -> throw error(c.line, c.tag + ": mds knows target.name (set with target(name), default '"
                            + DEFAULT_TARGET + "') and target.type ('postgres'), not target." + c.t.get(c.i - 1)
                            + (c.t.get(c.i - 1).equals("schema") ? " (mds has no default schema: a model names its"
                            + " own)" : ""));
                };
                return new Typed(new Literal(value), Kind.STRING, null, false, c.text(from));
            }
            if (token.equals("loop") && c.peek(1).equals(".") && isIdent(c.peek(2))) {
                c.i += 3;
                return reference(c.t.subList(from, c.i), c.line, c.tag);
            }
            if (token.equals("this") && c.peek(1).equals(".") && isIdent(c.peek(2))) {
                c.i += 3;
                String attribute = c.t.get(c.i - 1);
                if (!THIS_ATTRIBUTES.contains(attribute)) {
                    throw error(c.line, c.tag + ": this has no attribute '" + attribute + "' (it has database, schema,"
                            + " identifier, name and table)");
                }
                ThisDatabase database = null;
                if (attribute.equals("database")) {
                    database = new ThisDatabase(tagLine(c.line));
                    tags.add(database);
                }
                return new Typed(new ThisAttr(attribute, database, tagLine(c.line)), Kind.STRING, null, false,
                        c.text(from));
            }
            if (isIdent(token) && !RESERVED.contains(token) && !c.peek(1).equals("(")) {
                c.i++;
                return reference(List.of(token), c.line, c.tag);
            }
            if (isIdent(token) && !RESERVED.contains(token)) {
                return call(c);
            }
            if (c.accept("[")) {
                String usage = "cannot read " + c.tag + ": a list holds quoted strings, numbers and true/false (or"
                        + " names and expressions giving them)";
                List<Expr> items = new ArrayList<>();
                Kind item = null;
                while (!c.accept("]")) {
                    if (c.i >= c.t.size() || c.peek().equals("[")) {
                        throw error(c.line, usage);
                    }
                    Typed v = defined(choice(c), c.tag, c.line, "list");
                    if (v.kind() == Kind.LIST) {
                        throw error(c.line, usage);
                    }
                    items.add(v.expr());
                    item = item == null || item == v.kind() ? v.kind() : union(item, v.kind());
                    if (!c.peek().equals("]") && !c.accept(",")) {
                        throw error(c.line, "cannot read " + c.tag + ": a list is [item, item, …], not '" + c.peek()
                                + "' after an item");
                    }
                }
                Expr list = items.stream().allMatch(Literal.class::isInstance)
                        ? new Literal(items.stream().map(e -> ((Literal) e).value()).toList()) : new ListOf(items);
                return new Typed(list, Kind.LIST, item == null ? Kind.SCALAR : item, false, c.text(from));
            }
            if (isString(token) || isNumber(token) || BOOLEANS.contains(token)) {
                int[] i = {c.i};
                Object value = literal(c.t, i, c.line, c.tag, false);
                c.i = i[0];
                Kind item = null;
                if (value instanceof List<?> list) {
                    for (Object o : list) {
                        Kind k = kindOf(o);
                        item = item == null || item == k ? k : Kind.SCALAR;
                    }
                    item = item == null ? Kind.SCALAR : item;
                }
                return new Typed(new Literal(value), kindOf(value), item, false, c.text(from));
            }
            if (isIdent(token) || c.i == 0) {
                throw c.unknown.get();
            }
            throw error(c.line, "cannot read " + c.tag + ": expected a value" + (token.isEmpty() ? " at the end"
                    : ", not '" + token + "'") + "; " + VALUE_USAGE);
        }

        /** Reads {@code {% macro name(a, b='default') %}} and keeps {@code body} as this file's macro. */
        private void define(List<String> t, int line, String tag, String body, int bodyLine) {
            String usage = tag + ": write {% macro name(param, param='default', …) %}, each default a quoted string, a"
                    + " number, true/false or a [list] of those";
            if (t.size() < 4 || !isIdent(t.get(1)) || !t.get(2).equals("(") || !t.get(t.size() - 1).equals(")")) {
                throw error(line, usage);
            }
            String name = t.get(1);
            checkName(name, line, tag);
            List<String> params = new ArrayList<>();
            List<Object> defaults = new ArrayList<>();
            int[] i = {3};
            while (i[0] < t.size() - 1) {
                String param = t.get(i[0]);
                if (!isIdent(param)) {
                    throw error(line, usage);
                }
                checkName(param, line, tag);
                if (params.contains(param)) {
                    throw error(line, tag + ": parameter '" + param + "' is named twice");
                }
                params.add(param);
                i[0]++;
                Object fallback = null;
                if (t.get(i[0]).equals("=")) {
                    i[0]++;
                    fallback = literal(t, i, line, tag, false);
                } else if (defaults.stream().anyMatch(Objects::nonNull)) {
                    throw error(line, tag + ": parameter '" + param + "' has no default but one before it has (as in"
                            + " Python, parameters with defaults come last)");
                }
                defaults.add(fallback);
                if (i[0] < t.size() - 1 && !t.get(i[0]++).equals(",")) {
                    throw error(line, usage);
                }
            }
            Macro prior = local.get(name);
            if (prior != null) {
                throw error(line, tag + ": macro '" + name + "' is defined twice in this file (also on line "
                        + prior.line() + ")");
            }
            local.put(name, new Macro(name, params, defaults, body, source, line, bodyLine));
        }

        /**
         * {@code name(args)} at the cursor: a macro of this file defined above, or of the macros directory, its
         * arguments by position or {@code param=value}; its body parsed here with the arguments' kinds.
         */
        private Typed call(Cursor c) {
            int from = c.i;
            String name = c.t.get(c.i);
            Macro m = local.containsKey(name) ? local.get(name) : library.get(name);
            if (m == null) {
                throw error(c.line, c.tag + ": no macro '" + name + "' (define it above with {% macro " + name
                        + "(…) %} in this file, or in a file of the macros directory)");
            }
            c.i += 2;
            Typed[] args = new Typed[m.params().size()];
            int positional = 0;
            boolean keywords = false;
            while (!c.accept(")")) {
                if (c.i >= c.t.size()) {
                    throw error(c.line, "cannot read " + c.tag + ": " + name + "( is never closed with ')'");
                }
                String param = null;
                if (isIdent(c.peek()) && c.peek(1).equals("=")) {
                    param = c.peek();
                    c.i += 2;
                }
                Typed arg = defined(choice(c), c.tag, c.line, "pass");
                int k;
                if (param == null) {
                    if (keywords) {
                        throw error(c.line, c.tag + ": a positional argument after a keyword one (" + name + "(…, "
                                + "param=value, value))");
                    }
                    k = positional++;
                    if (k >= args.length) {
                        throw error(c.line, c.tag + ": macro " + name + " takes " + args.length + " argument"
                                + (args.length == 1 ? "" : "s") + " (" + String.join(", ", m.params()) + "), not more");
                    }
                } else {
                    keywords = true;
                    k = m.params().indexOf(param);
                    if (k < 0) {
                        throw error(c.line, c.tag + ": macro " + name + " has no parameter '" + param + "' (it has "
                                + (m.params().isEmpty() ? "none" : String.join(", ", m.params())) + ")");
                    }
                    if (args[k] != null) {
                        throw error(c.line, c.tag + ": macro " + name + "'s parameter '" + param + "' is given twice");
                    }
                }
                args[k] = arg;
                if (!c.peek().equals(")")) {
                    c.expect(",", "between " + name + "'s arguments");
                }
            }
            String text = c.text(from);
            for (int k = 0; k < args.length; k++) {
                if (args[k] == null) {
                    Object fallback = m.defaults().get(k);
                    if (fallback == null) {
                        throw error(c.line, c.tag + ": " + text + ": macro " + name + "(" + String.join(", ", m.params())
                                + ") needs " + m.params().get(k));
                    }
                    args[k] = typedLiteral(fallback, display(List.of(m.params().get(k))));
                }
            }
            if (calling.contains(name)) {
                List<String> chain = new ArrayList<>(calling.subList(calling.indexOf(name), calling.size()));
                chain.add(name);
                throw error(c.line, c.tag + ": macro " + name + " calls itself (" + String.join(" -> ", chain)
                        + "); mds does not run recursive macros");
            }
            List<String> nowCalling = new ArrayList<>(calling);
            nowCalling.add(name);
            int line = tagLine(c.line);
            String where = " (in macro " + name + ", called " + (context.isEmpty() ? "from " + source + " line " + line
                    + ")" : "by " + context.substring(" (in ".length()));
            Parser body = new Parser(m.source(), m.body(), tags, library, new LinkedHashMap<>(
                    m.source().equals(source) ? local : Map.of()), List.copyOf(nowCalling), line, where, m.bodyLine());
            body.target = target;
            body.setVars = setVars;
            body.fileSets = !m.source().equals(source) ? null : context.isEmpty() ? Map.copyOf(globals) : fileSets;
            for (int k = 0; k < args.length; k++) {
                body.globals.put(m.params().get(k), new Typed(new Name(m.params().get(k)), args[k].kind(),
                        args[k].item(), false, m.params().get(k)));
            }
            List<Node> nodes = body.nodes();
            return new Typed(new MacroCall(name, List.copyOf(m.params()), Arrays.stream(args).map(Typed::expr).toList(),
                    List.copyOf(nodes), m.source()), Kind.STRING, null, false, text);
        }

        private static Typed typedLiteral(Object value, String text) {
            Kind item = null;
            if (value instanceof List<?> list) {
                for (Object o : list) {
                    Kind k = kindOf(o);
                    item = item == null || item == k ? k : Kind.SCALAR;
                }
                item = item == null ? Kind.SCALAR : item;
            }
            return new Typed(new Literal(value), kindOf(value), item, false, text);
        }

        /** The kind of an item of a list holding items of kinds {@code a} and {@code b}. */
        private static Kind union(Kind a, Kind b) {
            return a == b ? a : a == Kind.ANY || b == Kind.ANY ? Kind.ANY : a == null ? b : b == null ? a : Kind.SCALAR;
        }

        private static Kind kindOf(Object literal) {
            return literal instanceof List ? Kind.LIST : literal instanceof Boolean ? Kind.BOOLEAN
                    : literal instanceof String ? Kind.STRING : Kind.NUMBER;
        }

        /** A name set or looped over before, or {@code loop.attribute} inside a for; else an error naming it. */
        private Typed reference(List<String> t, int line, String tag) {
            String text = display(t);
            if (t.get(0).equals("loop")) {
                if (loops.isEmpty()) {
                    throw error(line, tag + ": loop." + t.get(2) + " outside a {% for %}");
                }
                Kind kind = switch (t.get(2)) {
                    case "first", "last" -> Kind.BOOLEAN;
                    case "index", "index0", "revindex", "revindex0", "length" -> Kind.NUMBER;
                    default -> throw error(line, tag + ": loop has no attribute '" + t.get(2) + "' (it has index,"
                            + " index0, revindex, revindex0, first, last and length)");
                };
                return new Typed(new LoopAttr(t.get(2)), kind, null, false, text);
            }
            String name = t.get(0);
            for (int k = loops.size() - 1; k >= 0; k--) {
                if (loops.get(k).name().equals(name)) {
                    return new Typed(new Name(name), loops.get(k).kind(), null, false, text);
                }
            }
            Typed set = globals.get(name);
            if (set == null) {
                throw undefined(name, line, tag);
            }
            return new Typed(new Name(name), set.kind(), set.item(), false, text);
        }

        /** A literal at {@code t[i[0]]}, {@code i[0]} moved past it; a list holds no list. */
        private Object literal(List<String> t, int[] i, int line, String tag, boolean inList) {
            String token = i[0] < t.size() ? t.get(i[0]) : "";
            if (isString(token)) {
                i[0]++;
                return unquote(token);
            }
            if (isNumber(token)) {
                if (token.matches("-?0\\d+")) {
                    // Jinja (Python 3) refuses them too, rather than read them as octal or decimal
                    throw error(line, "cannot read " + tag + ": " + token + " is not a number (no leading zeros)");
                }
                if (token.indexOf('.') >= 0 && Double.isInfinite(Double.parseDouble(token))) {
                    throw error(line, "cannot read " + tag + ": " + token + " is beyond a float's range");
                }
                i[0]++;
                return new Num(jinjaNumber(token));
            }
            if (BOOLEANS.contains(token)) {
                i[0]++;
                return Boolean.valueOf(token.equalsIgnoreCase("true"));
            }
            if (token.equals("[") && !inList) {
                i[0]++;
                List<Object> items = new ArrayList<>();
                while (true) {
                    if (i[0] < t.size() && t.get(i[0]).equals("]")) {
                        i[0]++;
                        return List.copyOf(items);
                    }
                    items.add(literal(t, i, line, tag, true));
                    if (i[0] < t.size() && t.get(i[0]).equals(",")) {
                        i[0]++;
                    } else if (i[0] >= t.size() || !t.get(i[0]).equals("]")) {
                        throw error(line, "cannot read " + tag + ": a list is [item, item, …] of quoted strings,"
                                + " numbers and true/false");
                    }
                }
            }
            throw error(line, "cannot read " + tag + ": " + (inList ? "a list holds quoted strings, numbers and"
                    + " true/false" : VALUE_USAGE));
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
                current.add(new This(tagLine(line)));
            } else if (t.size() == 4 && t.get(0).equals("ref") && t.get(1).equals("(") && isString(t.get(2))
                    && t.get(3).equals(")")) {
                Ref r = new Ref(unquote(t.get(2)).strip(), tagLine(line), inMacro(line));
                if (r.target().isEmpty()) {
                    throw error(line, tag + ": ref() needs a model name");
                }
                tags.add(r);
                current.add(r);
            } else if (call(t, "source", 2)) {
                SourceRef r = new SourceRef(unquote(t.get(2)).strip(), unquote(t.get(4)).strip(), tagLine(line));
                if (r.source().isEmpty() || r.table().isEmpty()) {
                    throw error(line, tag + ": source() needs a source name and a table name");
                }
                tags.add(r);
                current.add(r);
            } else if (call(t, "var", 1) || call(t, "var", 2) || numberDefault(t)) {
                String fallback = t.size() != 6 ? null : isNumber(t.get(4)) ? jinjaNumber(t.get(4)) : unquote(t.get(4));
                Var v = new Var(unquote(t.get(2)), fallback, tagLine(line));
                if (v.name().isEmpty()) {
                    throw error(line, tag + ": var() needs a variable name");
                }
                tags.add(v);
                current.add(v);
            } else if (t.size() >= 3 && t.get(0).equals("config") && t.get(1).equals("(")
                    && t.get(t.size() - 1).equals(")")) {
                if (!calling.isEmpty()) {
                    throw error(line, tag + ": config() is read in a model, not in a macro");
                }
                config(t.subList(2, t.size() - 1), line, tag);
            } else if (t.size() >= 5 && t.get(0).equals("dbt_utils") && t.get(1).equals(".") && t.get(2).equals("star")
                    && t.get(3).equals("(") && t.get(t.size() - 1).equals(")")) {
                Star star = star(t.subList(4, t.size() - 1), line, tag);
                tags.add(star);
                current.add(star);
            } else if (t.size() >= 5 && t.get(0).equals("dbt_utils") && t.get(1).equals(".")
                    && t.get(2).equals("generate_surrogate_key") && t.get(3).equals("(") && t.get(t.size() - 1).equals(")")) {
                current.add(new Text(surrogateKey(t.subList(4, t.size() - 1), line, tag), line));
            } else if (t.size() >= 5 && (t.get(0).equals("dbt_utils") || t.get(0).equals("dbt")) && t.get(1).equals(".")
                    && t.get(2).equals("date_spine") && t.get(3).equals("(") && t.get(t.size() - 1).equals(")")) {
                current.add(new Text(dateSpine(t.subList(4, t.size() - 1), line, tag), line));
            } else {
                Typed value = value(t, line, tag, () -> error(line, "unknown tag " + tag + ": the supported"
                        + " expressions are {{ ref('schema.model') }}, {{ source('source', 'table') }}, {{ var('name') }},"
                        + " {{ var('name', 'default') }}, {{ this }} (and this.database, this.schema, this.identifier,"
                        + " this.name, this.table), {{ name }} (set or looped over), {{ loop.index }}"
                        + " (and index0, revindex, revindex0, first, last, length), {{ 'a' if test else 'b' }},"
                        + " {{ a ~ b }}, {{ value | " + FILTERS.replace(" and ", ", ") + " }},"
                        + " {{ dbt_utils.generate_surrogate_key(['a', 'b']) }},"
                        + " {{ dbt_utils.date_spine('day', \"cast('2024-01-01' as date)\", \"cast('2025-01-01' as date)\") }},"
                        + " {{ dbt_utils.star(from=ref('x'), except=['a']) }} and"
                        + " {{ config(materialized='view'|'table'|'incremental'|'snapshot', unique_key=...) }}"));
                if (value.kind() == Kind.LIST) {
                    throw error(line, tag + ": " + value.text() + " is a list, which mds does not print (Jinja"
                            + " would print a Python list, not SQL); loop over it with {% for %} or | join(', ')");
                }
                current.add(new Print(value.expr(), line));
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
                        from = new Ref(unquote(call.get(2)).strip(), tagLine(line), inMacro(line));
                    } else if (call(call, "source", 2)) {
                        from = new SourceRef(unquote(call.get(2)).strip(), unquote(call.get(4)).strip(), tagLine(line));
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
            return new Star(from, except, alias, prefix, suffix, quote, tagLine(line));
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

        /** The dateparts {@code date_spine} takes: those dbt-postgres' {@code datediff} and {@code dateadd} both handle. */
        private static final List<String> DATEPARTS = List.of("year", "month", "week", "day", "hour", "minute", "second",
                "millisecond", "microsecond");

        /**
         * dbt's {@code date_spine(datepart, start_date, end_date)} (dbt_utils' and dbt-core's): one row per period from
         * {@code start_date} on, {@code start_date + k * interval '1 <datepart>'} for k from 0 while k is below dbt-postgres'
         * {@code datediff(start_date, end_date, datepart)} and the period is not after {@code end_date}, in a column
         * {@code date_<datepart>}, as dbt's rows. dbt counts the periods with a query when it compiles the model; here the
         * count is part of the statement ({@code generate_series}), so no query runs at {@code build()}. The two dates are
         * SQL expressions, inserted as written (as dbt does).
         */
        private String dateSpine(List<String> t, int line, String tag) {
            String usage = tag + ": date_spine(datepart='day', start_date=\"cast('2024-01-01' as date)\","
                    + " end_date=\"cast('2025-01-01' as date)\")";
            List<String> names = List.of("datepart", "start_date", "end_date");
            Map<String, String> args = new HashMap<>();
            int i = 0;
            boolean keywords = false;
            while (i < t.size()) {
                String key;
                if (i + 1 < t.size() && t.get(i + 1).equals("=")) {
                    key = t.get(i);
                    keywords = true;
                    i += 2;
                    if (!names.contains(key)) {
                        throw error(line, usage + ": unknown argument '" + key + "'");
                    }
                } else if (keywords || args.size() == names.size()) {
                    throw error(line, usage + ": three arguments, by position before any by name");
                } else {
                    key = names.get(args.size());
                }
                int[] at = {i};
                Object value = value(t, at, line, tag, key);
                i = at[0];
                if (args.put(key, text(value, key, usage, line)) != null) {
                    throw error(line, usage + ": " + key + " is given twice");
                }
                if (i < t.size()) {
                    if (!t.get(i).equals(",")) {
                        throw error(line, usage);
                    }
                    i++;
                }
            }
            for (String name : names) {
                if (args.get(name) == null || args.get(name).isBlank()) {
                    throw error(line, usage + ": " + name + " is required");
                }
            }
            // as written: dbt-postgres' datediff compares it with 'day', 'month'..., failing on 'DAY' or ' day'
            String part = args.get("datepart");
            if (!DATEPARTS.contains(part)) {
                throw error(line, usage + ": datepart '" + args.get("datepart") + "' is not one of " + String.join(", ", DATEPARTS)
                        + (DATEPARTS.contains(part.strip().toLowerCase(Locale.ROOT)) ? " (written in lower case, without"
                                + " spaces, as dbt-postgres' datediff compares it)" : "")
                        + (part.equals("quarter") ? " (dbt-postgres adds no interval '1 quarter' either: use month and"
                                + " keep every third)" : ""));
            }
            String start = args.get("start_date");
            String end = args.get("end_date");
            String column = "date_" + part;
            return "select " + column + " from (\n    select (" + start + ") + ((interval '1 " + part + "') * (generated_number - 1)) as "
                    + column + "\n    from generate_series(1, (" + datediff(start, end, part) + ")::bigint) as generated_number\n)"
                    + " as all_periods\nwhere " + column + " <= (" + end + ")";
        }

        /** dbt-postgres' {@code datediff(first, second, datepart)}, as its macro renders it, for {@link #DATEPARTS}. */
        private static String datediff(String first, String second, String part) {
            String a = "(" + first + ")";
            String b = "(" + second + ")";
            return switch (part) {
                case "year" -> "(date_part('year', " + b + "::date) - date_part('year', " + a + "::date))";
                case "month" -> "(" + datediff(first, second, "year") + " * 12 + date_part('month', " + b
                        + "::date) - date_part('month', " + a + "::date))";
                case "day" -> "(" + b + "::date - " + a + "::date)";
                case "week" -> "(" + datediff(first, second, "day") + " / 7 + case when date_part('dow', " + a
                        + "::timestamp) <= date_part('dow', " + b + "::timestamp) then case when " + first + " <= " + second
                        + " then 0 else -1 end else case when " + first + " <= " + second + " then 1 else 0 end end)";
                case "hour" -> "(" + datediff(first, second, "day") + " * 24 + date_part('hour', " + b
                        + "::timestamp) - date_part('hour', " + a + "::timestamp))";
                case "minute" -> "(" + datediff(first, second, "hour") + " * 60 + date_part('minute', " + b
                        + "::timestamp) - date_part('minute', " + a + "::timestamp))";
                case "second" -> "(" + datediff(first, second, "minute") + " * 60 + floor(date_part('second', " + b
                        + "::timestamp)) - floor(date_part('second', " + a + "::timestamp)))";
                case "millisecond" -> "(" + datediff(first, second, "minute") + " * 60000 + floor(date_part('millisecond', " + b
                        + "::timestamp)) - floor(date_part('millisecond', " + a + "::timestamp)))";
                default -> "(" + datediff(first, second, "minute") + " * 60000000 + floor(date_part('microsecond', " + b
                        + "::timestamp)) - floor(date_part('microsecond', " + a + "::timestamp)))";
            };
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

        /** Whether {@code t} is {@code var('name', 3)}: a number as the default, printed as Python prints it. */
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
         * {@code false} (a Boolean), a number (a BigDecimal, as written), a list {@code [ … ]} of such values or of
         * dicts {@code {'k': value, …}} (as dbt-postgres' {@code indexes}), or a dict.
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
            if (isNumber(token)) {
                if (token.matches("-?0\\d+")) {
                    throw error(line, "cannot read " + tag + ": " + token + " is not a number (no leading zeros)");
                }
                i[0]++;
                return new java.math.BigDecimal(token);
            }
            if (token.equals("[")) {
                List<Object> list = new ArrayList<>();
                i[0]++;
                while (i[0] < t.size() && !t.get(i[0]).equals("]")) {
                    if (t.get(i[0]).equals("[")) {
                        throw error(line, "cannot read " + tag + ": a list holds quoted strings, numbers, true / false"
                                + " or {…} dicts, not lists");
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
            if ((key.equals("pre_hook") || key.equals("post_hook")) && HOOK_MACROS.containsKey(token)) {
                // dbt's before_begin("sql"), in_transaction("sql"), after_commit("sql"): a hook config
                // {'sql': ..., 'transaction': ...}, as the dict dbt's make_hook_config writes
                if (i[0] + 3 >= t.size() || !t.get(i[0] + 1).equals("(") || !isString(t.get(i[0] + 2))
                        || !t.get(i[0] + 3).equals(")")) {
                    throw error(line, "cannot read " + tag + ": write " + token + "(\"<one statement>\"), one quoted"
                            + " string");
                }
                Map<String, Object> hook = new LinkedHashMap<>();
                hook.put("sql", unquote(t.get(i[0] + 2)));
                hook.put("transaction", HOOK_MACROS.get(token));
                i[0] += 4;
                return Collections.unmodifiableMap(hook);
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
                    + " must be a quoted string, a number, true / false, a list [ … ] or a dict { … }");
        }

        /** dbt's hook macros, to whether the hook they make runs in the model's transaction. */
        private static final Map<String, Boolean> HOOK_MACROS = Map.of("before_begin", false, "in_transaction", true,
                "after_commit", false);

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
         * A string token's value, read as Jinja reads it: its line breaks as {@code \n}, then Python's
         * {@code unicode-escape} (after {@code backslashreplace}, so a backslash before a non-ASCII character keeps
         * both as that character's escape): {@code \'}, {@code \"}, {@code \\}, {@code \a}, {@code \b}, {@code \f},
         * {@code \n}, {@code \r}, {@code \t}, {@code \v}, up to three octal digits, {@code \xhh}, a backslash-u and four,
         * {@code \Uhhhhhhhh}, {@code \N{name}}, a backslash before a line break dropped with it; any other backslash
         * is kept.
         *
         * @throws IllegalArgumentException for an escape Python cannot read (Jinja fails on it too)
         */
        private static String unquote(String token) {
            String text = token.substring(1, token.length() - 1).replace("\r\n", "\n").replace('\r', '\n');
            StringBuilder out = new StringBuilder();
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c != '\\' || i + 1 == text.length()) {
                    out.append(c);
                    continue;
                }
                char next = text.charAt(++i);
                switch (next) {
                    case '\n' -> { }
                    case '\'', '"', '\\' -> out.append(next);
                    case 'a' -> out.append('\u0007');
                    case 'b' -> out.append('\b');
                    case 'f' -> out.append('\f');
                    case 'n' -> out.append('\n');
                    case 'r' -> out.append('\r');
                    case 't' -> out.append('\t');
                    case 'v' -> out.append('\u000b');
                    case '0', '1', '2', '3', '4', '5', '6', '7' -> {
                        int end = i + 1;
                        while (end < text.length() && end < i + 3 && text.charAt(end) >= '0' && text.charAt(end) <= '7') {
                            end++;
                        }
                        out.append((char) Integer.parseInt(text.substring(i, end), 8));
                        i = end - 1;
                    }
                    case 'x', 'u', 'U' -> {
                        int digits = next == 'x' ? 2 : next == 'u' ? 4 : 8;
                        String hex = text.substring(i + 1, Math.min(text.length(), i + 1 + digits));
                        if (hex.length() < digits || !hex.chars().allMatch(h -> Character.digit(h, 16) >= 0
                                && h < 128)) {
                            throw new IllegalArgumentException("truncated \\" + next + " escape (it takes " + digits
                                    + " hexadecimal digits)");
                        }
                        long code = Long.parseLong(hex, 16);
                        if (code > Character.MAX_CODE_POINT) {
                            throw new IllegalArgumentException("\\" + next + hex + " is beyond Unicode");
                        }
                        out.appendCodePoint((int) code);
                        i += digits;
                    }
                    case 'N' -> {
                        int close = text.indexOf('}', i);
                        if (i + 1 >= text.length() || text.charAt(i + 1) != '{' || close < 0) {
                            throw new IllegalArgumentException("malformed \\N character escape (write \\N{name})");
                        }
                        String name = text.substring(i + 2, close);
                        int code;
                        try {
                            code = Character.codePointOf(name);
                        } catch (IllegalArgumentException e) {
                            throw new IllegalArgumentException("\\N{" + name + "} names no Unicode character");
                        }
                        out.appendCodePoint(code);
                        i = close;
                    }
                    default -> {
                        out.append('\\');
                        if (next < 128) {
                            out.append(next);
                        } else {
                            // Python escapes the character before reading the backslash: \é is \\xe9, read as \ and xe9
                            int cp = text.codePointAt(i);
                            out.append(cp < 0x100 ? String.format("x%02x", cp)
                                    : cp < 0x10000 ? String.format("u%04x", cp) : String.format("U%08x", cp));
                            i += Character.charCount(cp) - 1;
                        }
                    }
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
                    try {
                        unquote(inner.substring(i, end + 1));
                    } catch (IllegalArgumentException e) {
                        throw error(line, "cannot read " + tag + ": " + e.getMessage());
                    }
                    out.add(inner.substring(i, end + 1));
                    i = end + 1;
                } else if (Character.isDigit(c) || (c == '-' && i + 1 < n && Character.isDigit(inner.charAt(i + 1)))) {
                    Matcher number = NUMBER.matcher(inner).region(i, n);
                    number.lookingAt();
                    out.add(number.group());
                    i = number.end();
                } else if (i + 1 < n && Set.of("==", "!=", "<=", ">=").contains(inner.substring(i, i + 2))) {
                    out.add(inner.substring(i, i + 2));
                    i += 2;
                } else if ("()[],={}:.<>|~".indexOf(c) >= 0) {
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
