package dev.mds.quality.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mds.core.MdsException;
import dev.mds.quality.CheckResult;
import dev.mds.quality.QualityReport;
import dev.mds.quality.Status;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;

/** Renders a {@link QualityReport} as a console table, JSON and XHTML. */
public final class ReportRenderer {
    /** Numeric sample values as PostgreSQL prints them, 0.0000001 and not 1E-7. */
    private static final ObjectMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT)
            .enable(StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN).build();
    private static final int MAX_CELL = 70;

    private ReportRenderer() {
    }

    /**
     * A summary line, a table of {@code checks}, then the observed values and messages its cells cut, in full, then
     * where failing rows were stored, then the samples of those that did not pass.
     */
    public static String console(QualityReport report, List<CheckResult> checks) {
        String[] head = {"TABLE", "CHECK", "STATUS", "FAILING", "%", "DECIDED BY", "OBSERVED", "MESSAGE"};
        List<String[]> rows = new ArrayList<>();
        for (CheckResult c : checks) {
            rows.add(new String[] {cell(c.table()), cell(c.id()), c.status().name(),
                c.checkedRows() < 0 ? "-" : Long.toString(c.failingRows()),
                c.checkedRows() < 0 ? "-" : percentCell(c),
                c.decidedBy().isEmpty() ? "-" : cell(c.decidedBy()), cell(c.observed()), cell(c.message())});
        }
        int[] w = new int[head.length];
        for (int i = 0; i < head.length; i++) {
            w[i] = head[i].length();
            for (String[] r : rows) {
                w[i] = Math.max(w[i], width(r[i]));
            }
        }
        StringBuilder s = new StringBuilder();
        s.append(summary(report)).append('\n');
        line(s, head, w);
        StringBuilder rule = new StringBuilder();
        for (int i = 0; i < w.length; i++) {
            rule.append(i == 0 ? "" : "-+-").append("-".repeat(w[i]));
        }
        s.append(rule.toString().stripTrailing()).append('\n');
        for (String[] r : rows) {
            line(s, r, w);
        }
        for (CheckResult c : checks) {
            whole(s, c, "observed", c.observed());
            whole(s, c, "message", c.message());
        }
        boolean storedHead = false;
        for (CheckResult c : checks) {
            if (!c.failuresTable().isEmpty()) {
                if (!storedHead) {
                    s.append('\n');
                    storedHead = true;
                }
                s.append("failing rows of ").append(escaped(c.table())).append(' ').append(escaped(c.id()))
                        .append(" in ").append(escaped(c.failuresTable())).append('\n');
            }
        }
        for (CheckResult c : checks) {
            if (!c.samples().isEmpty()) {
                s.append('\n').append("samples of ").append(escaped(c.table())).append(' ').append(escaped(c.id()))
                        .append(":\n");
                for (Map<String, Object> m : c.samples()) {
                    StringJoiner row = new StringJoiner(", ", "  {", "}\n");
                    m.forEach((k, v) -> row.add(escaped(k) + "=" + consoleValue(v)));
                    s.append(row);
                }
            }
        }
        return s.toString();
    }

    /**
     * A check's failing percentage for the report's % column: 2 decimals, or as many more (up to 12) as it takes not to
     * read 0.00 when rows fail (1 of 100,000: 0.001) nor 100.00 when some pass (99.999).
     */
    private static String percentCell(CheckResult c) {
        return Runner.shareText(c.failingRows(), c.checkedRows(), (BigDecimal) null);
    }

    /**
     * A sample value in the console: NULL as NULL; a value a reader could mistake for another (empty, with white
     * space at either end, starting with a quote, or the word null in any case: a load's "null", a jsonb null) quoted
     * as SQL quotes it ('null', '', ' EUR'); any other value bare, as before. Then escaped.
     */
    private static String consoleValue(Object v) {
        if (v == null) {
            return "NULL";
        }
        String t = text(v);
        boolean mistakable = t.isEmpty() || blank(t.charAt(0)) || blank(t.charAt(t.length() - 1)) || t.startsWith("'")
                || t.equalsIgnoreCase("null");
        return escaped(mistakable ? "'" + t.replace("'", "''") + "'" : t, true);
    }

    /**
     * A character that takes no room and shows nothing (Unicode's format characters: a byte order mark U+FEFF, a
     * zero-width space U+200B, a soft hyphen U+00AD, zero-width joiners): in a sample value it can be the very
     * difference that failed the check, so samples show it escaped.
     */
    private static boolean invisible(char ch) {
        return Character.getType(ch) == Character.FORMAT;
    }

    /**
     * A sample value for the HTML page: escaped for XHTML, with each control character but the line break and the tab
     * (which the page shows, white-space: break-spaces), each {@link #invisible} character and the line separators
     * written as the console writes them (<code>&#92;r</code>, <code>&#92;u0001</code>, <code>&#92;ufeff</code>) in an
     * {@code <em>}, set apart from the value's text (XML cannot hold most control characters; the others show nothing).
     */
    private static String htmlValue(String v) {
        StringBuilder b = new StringBuilder(v.length() + 16);
        int from = 0;
        for (int i = 0; i < v.length(); i++) {
            char ch = v.charAt(i);
            if (ch != '\n' && ch != '\t' && (Character.isISOControl(ch) || bidiOrLineSeparator(ch) || invisible(ch))) {
                b.append(esc(v.substring(from, i))).append("<em>").append(escaped(String.valueOf(ch), true)).append("</em>");
                from = i + 1;
            }
        }
        return b.append(esc(v.substring(from))).toString();
    }

    private static boolean blank(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c);
    }

    /**
     * A check's observed value or message in full, line by line, when its cell was cut: an ERROR's reason stands at
     * the end of its message (could not run: ERROR: invalid regular expression...), past what a cell shows.
     */
    private static void whole(StringBuilder s, CheckResult c, String what, String text) {
        if (cell(text).equals(escaped(text))) {
            return;
        }
        s.append('\n').append(what).append(" of ").append(escaped(c.table())).append(' ').append(escaped(c.id()))
                .append(":\n");
        text.lines().forEach(l -> s.append("  ").append(escaped(l)).append('\n'));
    }

    private static String summary(QualityReport r) {
        return String.format(Locale.ROOT, "quality run %s: %s, %d passed, %d warned, %d failed, %s; %s in %d ms",
                r.runId(), Plural.count(r.checks().size(), "check"), r.withStatus(Status.PASS).size(),
                r.withStatus(Status.WARN).size(), r.withStatus(Status.FAIL).size(),
                Plural.count(r.withStatus(Status.ERROR).size(), "error"), Plural.count(r.queries(), "query", "queries"),
                r.duration().toMillis());
    }

    private static void line(StringBuilder s, String[] cells, int[] w) {
        StringBuilder l = new StringBuilder();
        for (int i = 0; i < cells.length; i++) {
            boolean right = i == 3 || i == 4;
            String cell = cells[i];
            String pad = " ".repeat(w[i] - width(cell));
            l.append(i == 0 ? "" : " | ").append(right ? pad + cell : cell + pad);
        }
        s.append(l.toString().stripTrailing()).append('\n');
    }

    /**
     * A table cell: one line (line breaks and tabs as spaces, other control characters escaped as in
     * {@link #escaped}), cut to {@link #MAX_CELL} terminal columns ({@link #width}) between code points.
     */
    private static String cell(String v) {
        String one = escaped(v.replace('\n', ' ').replace('\r', ' ').replace('\t', ' '));
        if (width(one) <= MAX_CELL) {
            return one;
        }
        int used = 0;
        int end = 0;
        while (end < one.length()) {
            int cp = one.codePointAt(end);
            if (used + columns(cp) > MAX_CELL - 1) {
                break;
            }
            used += columns(cp);
            end += Character.charCount(cp);
        }
        return one.substring(0, end) + "…";
    }

    /** The terminal columns {@code s} takes (see {@link #columns}), which line the console table's cells up. */
    private static int width(String s) {
        int w = 0;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            w += columns(cp);
            i += Character.charCount(cp);
        }
        return w;
    }

    /**
     * The terminal columns of one code point, as wcwidth counts them: none for a combining mark, a zero-width or
     * format character, two for East Asian wide and fullwidth characters (CJK, kana, hangul, fullwidth forms) and
     * emoji, else one.
     */
    private static int columns(int cp) {
        int type = Character.getType(cp);
        if (type == Character.NON_SPACING_MARK || type == Character.ENCLOSING_MARK || type == Character.FORMAT
                || cp >= 0x1160 && cp <= 0x11FF) {
            return 0;
        }
        boolean wide = cp >= 0x1100 && cp <= 0x115F || cp >= 0x2E80 && cp <= 0x303E || cp >= 0x3041 && cp <= 0x33FF
                || cp >= 0x3400 && cp <= 0x4DBF || cp >= 0x4E00 && cp <= 0x9FFF || cp >= 0xA000 && cp <= 0xA4CF
                || cp >= 0xAC00 && cp <= 0xD7A3 || cp >= 0xF900 && cp <= 0xFAFF || cp >= 0xFE30 && cp <= 0xFE4F
                || cp >= 0xFF00 && cp <= 0xFF60 || cp >= 0xFFE0 && cp <= 0xFFE6 || cp >= 0x1F300 && cp <= 0x1F64F
                || cp >= 0x1F900 && cp <= 0x1F9FF || cp >= 0x20000 && cp <= 0x3FFFD;
        return wide ? 2 : 1;
    }

    /**
     * {@code v} with control characters, bidirectional controls and line separators written as escapes ({@code \n},
     * {@code \r}, {@code \t}, else <code>&#92;u001b</code>, <code>&#92;u202e</code>): a value from the data then takes
     * one line of the console and cannot drive the terminal (an ANSI escape sequence in a sample would otherwise be
     * obeyed, a right-to-left override reverse the rest of the line).
     */
    private static String escaped(String v) {
        return escaped(v, false);
    }

    /**
     * As {@link #escaped(String)}, and with {@code invisible} a sample value's other invisible characters too
     * ({@link #invisible}: a byte order mark, a zero-width space, a soft hyphen), which can be all that tells it from
     * an accepted value.
     */
    private static String escaped(String v, boolean invisible) {
        StringBuilder b = null;
        for (int i = 0; i < v.length(); i++) {
            char ch = v.charAt(i);
            if (!Character.isISOControl(ch) && !bidiOrLineSeparator(ch) && !(invisible && invisible(ch))) {
                if (b != null) {
                    b.append(ch);
                }
                continue;
            }
            if (b == null) {
                b = new StringBuilder(v.length() + 16).append(v, 0, i);
            }
            switch (ch) {
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> b.append(String.format(Locale.ROOT, "\\u%04x", (int) ch));
            }
        }
        return b == null ? v : b.toString();
    }

    /**
     * Unicode's bidirectional controls (the embeddings, overrides and isolates, the marks) and the line and paragraph
     * separators: a terminal that does bidi shows text past an override reversed (the Trojan Source trick), and some
     * break a line at a separator.
     */
    private static boolean bidiOrLineSeparator(char ch) {
        return ch >= '\u202A' && ch <= '\u202E' || ch >= '\u2066' && ch <= '\u2069' || ch == '\u200E' || ch == '\u200F'
                || ch == '\u061C' || ch == '\u2028' || ch == '\u2029';
    }

    /** The report as an indented JSON document. */
    public static String json(QualityReport r) {
        ObjectNode root = JSON.createObjectNode();
        root.put("runId", r.runId());
        root.put("startedAt", r.startedAt().toString());
        root.put("passed", r.passed());
        root.put("queries", r.queries());
        root.put("durationMs", r.duration().toMillis());
        ArrayNode checks = root.putArray("checks");
        for (CheckResult c : r.checks()) {
            ObjectNode n = checks.addObject();
            n.put("table", c.table());
            n.put("id", c.id());
            n.put("kind", c.kind());
            ArrayNode cols = n.putArray("columns");
            c.columns().forEach(cols::add);
            n.put("severity", c.severity().name());
            n.put("status", c.status().name());
            n.put("observed", c.observed());
            n.put("failingRows", c.failingRows());
            n.put("checkedRows", c.checkedRows());
            n.put("failingPercent", c.failingPercent());
            n.put("message", c.message());
            n.put("decidedBy", c.decidedBy());
            n.put("failuresTable", c.failuresTable());
            n.put("sql", c.sql());
            n.put("durationMs", c.duration().toMillis());
            ArrayNode samples = n.putArray("samples");
            for (Map<String, Object> m : c.samples()) {
                ObjectNode o = samples.addObject();
                m.forEach((k, v) -> putValue(o, k, v));
            }
        }
        try {
            return JSON.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new MdsException("cannot write the quality report as JSON: " + e.getMessage(), e);
        }
    }

    private static void putValue(ObjectNode o, String k, Object v) {
        if (v == null) {
            o.putNull(k);
        } else if (v instanceof Integer i) {
            o.put(k, i);
        } else if (v instanceof Long l) {
            o.put(k, l);
        } else if (v instanceof BigDecimal d) {
            o.put(k, d);
        } else if (v instanceof BigInteger b) {
            o.put(k, b);
        } else if (v instanceof Short s) {
            o.put(k, s);
        } else if (v instanceof Double d) {
            putFloat(o, k, PgFloats.text(d));
        } else if (v instanceof Float f) {
            putFloat(o, k, PgFloats.text(f));
        } else if (v instanceof Boolean b) {
            o.put(k, b);
        } else {
            o.put(k, v.toString());
        }
    }

    /**
     * A float as PostgreSQL prints it: a JSON number ({@code 1e+10}, valid JSON as it is), or a string for
     * {@code NaN} and the infinities, which JSON has no number for.
     */
    private static void putFloat(ObjectNode o, String k, String pgText) {
        char last = pgText.charAt(pgText.length() - 1);
        if (last >= '0' && last <= '9') {
            o.putRawValue(k, new com.fasterxml.jackson.databind.util.RawValue(pgText));
        } else {
            o.put(k, pgText);
        }
    }

    /** The report as one self-contained, well-formed XHTML page. */
    public static String html(QualityReport r) {
        StringBuilder h = new StringBuilder(8192);
        h.append("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n")
                .append("<meta charset=\"utf-8\" />\n<title>mds quality report ").append(esc(r.runId())).append("</title>\n")
                .append("<style>\n")
                .append("body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2em;color:#222}\n")
                .append("table{border-collapse:collapse;width:100%;margin-bottom:1.5em}\n")
                .append("th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top;font-size:14px;overflow-wrap:anywhere}\n")
                .append("th{background:#f3f3f3}\n")
                .append("td.num{text-align:right;font-variant-numeric:tabular-nums}\n")
                // words of a fixed set and numbers: never broken, however much the message column takes
                .append("th,td.nw,td.num{white-space:nowrap}\n")
                .append(".PASS{background:#dff3df}.WARN{background:#fff3cd}.FAIL{background:#f8d7da}.ERROR{background:#e2d4f0}\n")
                .append("pre{white-space:pre-wrap;margin:0;font-size:12px}\n")
                .append(".v{white-space:break-spaces;background:#ececec}\n")
                .append("details{margin:2px 0}\n.summary{font-size:16px;margin-bottom:1em}\n")
                .append("</style>\n</head>\n<body>\n<h1>Data quality report</h1>\n");
        h.append("<p class=\"summary\">").append(esc(summary(r))).append("</p>\n");
        h.append("<p class=\"summary\">Result: <strong class=\"").append(r.passed() ? "PASS" : "FAIL").append("\">")
                .append(r.passed() ? "passed" : "did not pass").append("</strong></p>\n");
        h.append("<table>\n<thead><tr><th>Table</th><th>Check</th><th>Kind</th><th>Columns</th><th>Severity</th>")
                .append("<th>Status</th><th>Failing</th><th>%</th><th>Decided by</th><th>Observed</th><th>Message</th><th>ms</th></tr></thead>\n<tbody>\n");
        for (CheckResult c : r.checks()) {
            h.append("<tr class=\"").append(c.status().name()).append("\">")
                    .append(td(c.table())).append(td(c.id())).append("<td class=\"nw\">").append(esc(c.kind())).append("</td>")
                    .append(td(String.join(", ", c.columns())))
                    .append("<td class=\"nw\">").append(c.severity().name()).append("</td>")
                    .append("<td class=\"nw\"><strong>").append(c.status().name()).append("</strong></td>")
                    .append("<td class=\"num\">").append(c.checkedRows() < 0 ? "-" : Long.toString(c.failingRows())).append("</td>")
                    .append("<td class=\"num\">").append(c.checkedRows() < 0 ? "-" : percentCell(c)).append("</td>")
                    .append(td(c.decidedBy())).append(td(c.observed()))
                    .append("<td>").append(esc(c.message()));
            if (!c.failuresTable().isEmpty()) {
                h.append(c.message().isEmpty() ? "" : "<br />").append("failing rows in <code>").append(esc(c.failuresTable()))
                        .append("</code>");
            }
            if (!c.samples().isEmpty()) {
                h.append("<details><summary>").append(Plural.count(c.samples().size(), "sample row")).append("</summary>")
                        .append(samplesTable(c.samples())).append("</details>");
            }
            if (!c.sql().isEmpty()) {
                h.append("<details><summary>SQL</summary><pre>").append(esc(c.sql())).append("</pre></details>");
            }
            h.append("</td><td class=\"num\">").append(c.duration().toMillis()).append("</td></tr>\n");
        }
        h.append("</tbody>\n</table>\n<p>Generated by mds-quality at ").append(esc(r.startedAt().toString()))
                .append(".</p>\n</body>\n</html>\n");
        return h.toString();
    }

    private static String samplesTable(List<Map<String, Object>> samples) {
        Set<String> cols = new LinkedHashSet<>();
        samples.forEach(m -> cols.addAll(m.keySet()));
        StringBuilder t = new StringBuilder("<table><thead><tr>");
        for (String c : cols) {
            t.append("<th>").append(esc(c)).append("</th>");
        }
        t.append("</tr></thead><tbody>");
        for (Map<String, Object> m : samples) {
            t.append("<tr>");
            for (String c : cols) {
                Object v = m.get(c);
                // a value in a span that keeps its white space on a shaded ground: 'EUR ' is not 'EUR', a line break
                // is not a blank (plain cell text collapses them all); an empty string would be an empty span, so it
                // reads as NULL does, in words set apart from the values
                String shown = v == null ? null : text(v);
                t.append("<td>").append(shown == null ? "<em>NULL</em>" : shown.isEmpty() ? "<em>empty string</em>"
                        : "<span class=\"v\">" + htmlValue(shown) + "</span>").append("</td>");
            }
            t.append("</tr>");
        }
        return t.append("</tbody></table>").toString();
    }

    /**
     * A sample value's text: a numeric as PostgreSQL prints it (0.0000001, where BigDecimal's toString says 1E-7), a
     * float too (1e+10, where Java says 1.0E10).
     */
    private static String text(Object v) {
        return v instanceof BigDecimal d ? d.toPlainString() : v instanceof Double d ? PgFloats.text(d)
                : v instanceof Float f ? PgFloats.text(f) : v.toString();
    }

    private static String td(String v) {
        return "<td>" + esc(v) + "</td>";
    }

    /** Escapes text for XHTML content and attributes; characters XML cannot hold become U+FFFD. */
    public static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> {
                    boolean allowed = ch == '\t' || ch == '\n' || ch == '\r' || (ch >= 0x20 && ch <= 0xD7FF)
                            || (ch >= 0xE000 && ch <= 0xFFFD) || Character.isSurrogate(ch);
                    if (Character.isHighSurrogate(ch) && (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1)))
                            || Character.isLowSurrogate(ch) && (i == 0 || !Character.isHighSurrogate(s.charAt(i - 1)))) {
                        allowed = false;
                    }
                    b.append(allowed ? ch : '\uFFFD');
                }
            }
        }
        return b.toString();
    }
}
