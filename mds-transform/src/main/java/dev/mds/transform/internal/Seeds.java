package dev.mds.transform.internal;

import dev.mds.core.BadInputException;
import dev.mds.core.Identifiers;
import dev.mds.core.InputLocation;
import dev.mds.core.Sql;
import dev.mds.core.TableName;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.format.ResolverStyle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.csv.CSVException;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.util.PSQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A seed (dbt's {@code dbt seed}): a CSV file whose header row names the columns, loaded into a table with COPY.
 * Column types are inferred as dbt infers them (its agate type tester, in dbt's order: integer or double precision,
 * date, timestamp, boolean, else text; {@code ""} and {@code null} are NULL), or set with {@code seedColumnTypes}.
 */
final class Seeds {
    private static final Logger LOG = LoggerFactory.getLogger(Seeds.class);
    /** A number written with a leading zero ({@code 02134}, {@code -007}, {@code 01.5}): a number type drops it. */
    private static final Pattern ZERO_PADDED = Pattern.compile("[+-]?0\\d.*");
    private static final CSVFormat FORMAT = CSVFormat.RFC4180.builder().setIgnoreEmptyLines(true).get();
    private static final Pattern INTEGER = Pattern.compile("[+-]?\\d+");
    private static final BigDecimal INT_MIN = BigDecimal.valueOf(Integer.MIN_VALUE);
    private static final BigDecimal INT_MAX = BigDecimal.valueOf(Integer.MAX_VALUE);
    private static final BigDecimal LONG_MIN = BigDecimal.valueOf(Long.MIN_VALUE);
    private static final BigDecimal LONG_MAX = BigDecimal.valueOf(Long.MAX_VALUE);
    private static final Pattern NUMBER = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");
    /** dbt's date format, {@code %Y-%m-%d}: strptime takes one-digit months and days too. */
    private static final Pattern DATE = Pattern.compile("\\d{4}-\\d{1,2}-\\d{1,2}");
    private static final DateTimeFormatter DATE_FORMAT = DateTimeFormatter.ofPattern("uuuu-M-d")
            .withResolverStyle(ResolverStyle.STRICT);
    private static final Pattern TIMESTAMP = Pattern.compile(
            "(\\d{4}-\\d{2}-\\d{2})[ T](\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?)(Z|[+-]\\d{2}(:?\\d{2})?)?");
    /**
     * A type name as PostgreSQL spells one (white space around parentheses and commas removed, runs of it made one
     * space): a name, perhaps schema-qualified, perhaps {@code precision} or {@code varying}, an optional
     * (precision[,scale]), an optional {@code with[out] time zone}, optional {@code []}s. Nothing else (no
     * constraint, default or collation) gets into the {@code create table}.
     */
    private static final Pattern TYPE = Pattern.compile("(?i)[a-z_][a-z0-9_]*(\\.[a-z_][a-z0-9_]*)?( precision| varying)?"
            + "(\\(\\d+(,\\d+)?\\))?( (with|without) time zone)?(\\[\\d*])*");
    private static final Pattern COPY_WHERE = Pattern.compile("COPY [^,]+, line (\\d+)(, column ([^:]+))?");
    private static final int FLUSH_CHARS = 1 << 16;

    /** The table a seed becomes: its columns (the header's names) and their types, as {@code create table} writes them. */
    record Table(List<String> columns, List<String> types) {
        Table {
            columns = List.copyOf(columns);
            types = List.copyOf(types);
        }

        /** {@code ("a" integer, "b" text)}. */
        String definition() {
            StringBuilder s = new StringBuilder("(");
            for (int i = 0; i < columns.size(); i++) {
                s.append(i == 0 ? "" : ", ").append(Identifiers.quote(columns.get(i))).append(' ').append(types.get(i));
            }
            return s.append(')').toString();
        }

        /** {@code copy "s"."t" ("a", "b") from stdin with (format csv)}. */
        String copy(TableName into) {
            return "copy " + into.quoted() + " (" + Identifiers.quoteAll(columns) + ") from stdin with (format csv)";
        }
    }

    private Seeds() {
    }

    /**
     * {@code type} as {@code format_type} prints it, for the common spellings ({@code int} is {@code integer},
     * {@code varchar(2)} is {@code character varying(2)}, {@code timestamptz} is {@code timestamp with time zone});
     * another is lower-cased, its white space collapsed (a spelling this misses only makes a seed's table be
     * replaced instead of truncated).
     */
    static String formatType(String type) {
        String t = normalized(type).toLowerCase(Locale.ROOT);
        String arrays = "";
        while (t.endsWith("[]")) {
            arrays += "[]";
            t = t.substring(0, t.length() - 2).strip();
        }
        String base = t;
        String mod = "";
        int paren = t.indexOf('(');
        if (paren > 0 && t.endsWith(")")) {
            base = t.substring(0, paren).strip();
            mod = t.substring(paren);
        }
        String name = switch (base) {
            case "int", "int4", "integer" -> "integer";
            case "int8", "bigint" -> "bigint";
            case "int2", "smallint" -> "smallint";
            case "float8", "double precision", "float" -> "double precision";
            case "float4", "real" -> "real";
            case "bool", "boolean" -> "boolean";
            case "varchar", "character varying" -> "character varying";
            case "char", "character", "bpchar" -> "character";
            case "decimal", "numeric" -> "numeric";
            case "timestamp", "timestamp without time zone" -> "timestamp";
            case "timestamptz", "timestamp with time zone" -> "timestamptz";
            case "time", "time without time zone" -> "time";
            case "timetz", "time with time zone" -> "timetz";
            default -> base;
        };
        String formatted = switch (name) {
            case "timestamp" -> "timestamp" + mod + " without time zone";
            case "timestamptz" -> "timestamp" + mod + " with time zone";
            case "time" -> "time" + mod + " without time zone";
            case "timetz" -> "time" + mod + " with time zone";
            case "character" -> "character" + (mod.isEmpty() ? "(1)" : mod);
            default -> name + mod;
        };
        return formatted + arrays;
    }

    /** Whether {@code type} reads as a type name ({@code varchar(2)}, {@code numeric(12, 2)}, {@code text[]}). */
    static boolean isTypeName(String type) {
        return TYPE.matcher(normalized(type)).matches();
    }

    /** {@code type} with runs of white space made one space, none inside parentheses and brackets or around commas. */
    private static String normalized(String type) {
        return type.strip().replaceAll("\\s+", " ").replaceAll(" ?([(\\[,]) ?", "$1").replaceAll(" ([)\\]])", "$1");
    }

    /**
     * The header row of {@code file}: the column names, exactly as written.
     *
     * @throws BadInputException naming the file and line 1 when there is no header, a name is empty, too long or
     *     given twice
     */
    static List<String> header(Path file) {
        try (CSVParser parser = parser(file, false)) {
            Iterator<CSVRecord> it = parser.iterator();
            if (!it.hasNext()) {
                throw new BadInputException(InputLocation.of(file.toString()), "the seed has no header row (its first"
                        + " line names the columns)");
            }
            CSVRecord header = it.next();
            InputLocation at = InputLocation.of(file.toString()).withLine(parser.getCurrentLineNumber());
            List<String> names = header.toList();
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < names.size(); i++) {
                String name = names.get(i);
                if (name.isBlank()) {
                    throw new BadInputException(at, "column " + (i + 1) + " of the header has no name");
                }
                try {
                    Identifiers.check(name);
                } catch (IllegalArgumentException e) {
                    throw new BadInputException(at, "column " + (i + 1) + " of the header: " + e.getMessage());
                }
                if (!seen.add(name)) {
                    throw new BadInputException(at, "the header names column '" + name + "' twice");
                }
            }
            return List.copyOf(names);
        } catch (IOException e) {
            throw unreadable(file, e, 1);
        } catch (UncheckedIOException e) {
            throw unreadable(file, e.getCause(), 1);
        }
    }

    /**
     * Reads the whole file and settles its columns' types: those of {@code columnTypes}, the others inferred. A number
     * column losing a value's leading zeros ({@code 02134} is 2134) is logged as a warning naming {@code seed}.
     *
     * @throws BadInputException naming the file and line of a row whose field count is not the header's, or of
     *     bytes that are not UTF-8
     */
    static Table infer(Path file, String seed, Map<String, String> columnTypes) {
        checkUtf8(file);
        List<String> columns = header(file);
        Inference[] inferred = new Inference[columns.size()];
        for (int i = 0; i < inferred.length; i++) {
            inferred[i] = new Inference();
        }
        read(file, columns.size(), (values, line) -> {
            for (int i = 0; i < values.length; i++) {
                inferred[i].see(values[i], line);
            }
        });
        List<String> types = new ArrayList<>();
        for (int i = 0; i < columns.size(); i++) {
            String set = columnTypes.get(columns.get(i));
            types.add(set != null ? normalized(set) : inferred[i].type());
            if (set == null && inferred[i].zeroPadded != null
                    && List.of("integer", "bigint", "numeric", "double precision").contains(types.get(i))) {
                // dbt drops them silently; say so, with where and how to keep them
                String v = inferred[i].zeroPadded.strip();
                LOG.warn("{} line {}, column '{}': '{}' loses its leading zeros (the column is inferred {}, as dbt infers"
                        + " it; it loads as {}): set the column's type with seedColumnTypes(\"{}\", Map.of(\"{}\","
                        + " \"text\")) to keep them", file, inferred[i].zeroPaddedLine, columns.get(i), v, types.get(i),
                        loaded(withoutLeadingZeros(v), types.get(i)), seed, columns.get(i));
            }
        }
        return new Table(columns, types);
    }

    /**
     * Loads every row of {@code file} into {@code into} (whose columns are {@code table}'s) with one COPY, on
     * {@code c}'s transaction.
     *
     * @return the rows loaded
     * @throws BadInputException naming the file and line of a ragged row, of bytes that are not UTF-8, or of a value
     *     the column's type refuses (with the column and PostgreSQL's reason)
     */
    static long load(Connection c, Path file, Table table, TableName into, Set<String> typesSet) throws SQLException {
        String sql = table.copy(into);
        long start = System.nanoTime();
        CopyIn copy = c.unwrap(PGConnection.class).getCopyAPI().copyIn(sql);
        long[][] lines = {new long[1024]};   // the file line of each row sent, to place the server's "line n"
        int[] sent = {0};
        StringBuilder buffer = new StringBuilder();
        // an inferred integer column's 1.0 or 1e3 (whole, as dbt reads them) is written as the integer the type takes
        boolean[] whole = new boolean[table.columns().size()];
        for (int i = 0; i < whole.length; i++) {
            whole[i] = !typesSet.contains(table.columns().get(i))
                    && List.of("integer", "bigint").contains(table.types().get(i));
        }
        try {
            read(file, table.columns().size(), (values, line) -> {
                if (sent[0] == lines[0].length) {
                    lines[0] = Arrays.copyOf(lines[0], sent[0] * 2);
                }
                lines[0][sent[0]++] = line;
                for (int i = 0; i < values.length; i++) {
                    if (i > 0) {
                        buffer.append(',');
                    }
                    if (values[i] != null) {   // as written: the types' input functions skip white space around
                        String v = whole[i] ? asInteger(values[i]) : values[i];
                        buffer.append('"').append(v.replace("\"", "\"\"")).append('"');
                    }
                }
                buffer.append('\n');
                if (buffer.length() >= FLUSH_CHARS) {
                    write(copy, buffer);
                }
            });
            write(copy, buffer);
            long rows = copy.endCopy();
            Sql.logged(sql + " [" + rows + " rows]", start);
            return rows;
        } catch (SQLException e) {
            throw refused(file, e, Arrays.copyOf(lines[0], sent[0]), table, typesSet);
        } catch (UncheckedSqlException e) {
            throw refused(file, e.getCause(), Arrays.copyOf(lines[0], sent[0]), table, typesSet);
        } finally {
            if (copy.isActive()) {
                try {
                    copy.cancelCopy();
                } catch (SQLException ignored) {
                    // the load already failed: its own error is the one to report
                }
            }
        }
    }

    private static void write(CopyIn copy, StringBuilder buffer) {
        byte[] bytes = buffer.toString().getBytes(StandardCharsets.UTF_8);
        buffer.setLength(0);
        try {
            copy.writeToCopy(bytes, 0, bytes.length);
        } catch (SQLException e) {
            throw new UncheckedSqlException(e);
        }
    }

    /** An {@link SQLException} carried out of a row callback. */
    private static final class UncheckedSqlException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UncheckedSqlException(SQLException cause) {
            super(cause);
        }

        @Override
        public synchronized SQLException getCause() {
            return (SQLException) super.getCause();
        }
    }

    /**
     * The COPY's error as bad input at the file's line, when the server names the line; else as it is. The hint says
     * where the refusing type came from: {@code typesSet} (the columns given a type with seedColumnTypes), or the
     * inference.
     */
    private static RuntimeException refused(Path file, SQLException e, long[] lines, Table table, Set<String> typesSet) {
        if (e instanceof PSQLException p && p.getServerErrorMessage() != null && p.getServerErrorMessage().getWhere() != null) {
            Matcher where = COPY_WHERE.matcher(p.getServerErrorMessage().getWhere());
            int record = where.find() ? Integer.parseInt(where.group(1)) : -1;
            if (record >= 1 && record <= lines.length) {
                InputLocation at = InputLocation.of(file.toString()).withLine(lines[record - 1]);
                String column = where.group(3);
                if (column != null) {
                    at = at.withColumn(column);
                }
                int i = column == null ? -1 : table.columns().indexOf(column);
                String hint = i >= 0 && typesSet.contains(column)
                        ? "the column's type, " + table.types().get(i) + ", is set with seedColumnTypes: change it there,"
                                + " or fix the value"
                        : "set the column's type with seedColumnTypes, or fix the value";
                return new BadInputException(at, p.getServerErrorMessage().getMessage() + " (" + hint + "); the seed's"
                        + " table is unchanged", e);
            }
        }
        return Sql.failed("copy from " + file, e);
    }

    /** Receives one data row: its values (NULL as null) and the file line it starts on. */
    private interface RowHandler {
        void row(String[] values, long line);
    }

    /** Calls {@code handler} for every row after the header, checking each has {@code width} fields. */
    private static void read(Path file, int width, RowHandler handler) {
        long line = 1;
        try (CSVParser parser = parser(file, true)) {
            Iterator<CSVRecord> it = parser.iterator();
            it.next();
            while (true) {
                line = parser.getCurrentLineNumber() + 1;
                if (!it.hasNext()) {
                    break;
                }
                CSVRecord r = it.next();
                long end = parser.getCurrentLineNumber();
                String[] values = r.toList().toArray(new String[0]);
                long inside = 0;
                for (String v : values) {
                    inside += v.chars().filter(ch -> ch == '\n').count();
                }
                line = end - inside;
                if (values.length != width) {
                    throw new BadInputException(InputLocation.of(file.toString()).withLine(line), "the row has "
                            + values.length + " field(s), the header " + width + " (a ragged row: every row of a seed"
                            + " has a value, perhaps empty, for every column); the seed's table is unchanged");
                }
                for (int i = 0; i < values.length; i++) {
                    if (isNull(values[i])) {
                        values[i] = null;
                    }
                }
                handler.row(values, line);
            }
        } catch (IOException e) {
            throw unreadable(file, e, line);
        } catch (UncheckedIOException e) {
            throw unreadable(file, e.getCause(), line);
        }
    }

    /**
     * A whole number as an integer type's input reads it: {@code 1.0} as 1, {@code 1e3} as 1000; anything else (a
     * value that changed since the types were inferred) as written, for the server to refuse with its line.
     */
    private static String asInteger(String value) {
        String v = value.strip();
        if (INTEGER.matcher(v).matches() || !NUMBER.matcher(v).matches()) {
            return value;
        }
        try {
            return new BigDecimal(v).toBigIntegerExact().toString();
        } catch (ArithmeticException | NumberFormatException notWhole) {
            return value;
        }
    }

    /**
     * A number as {@code type} prints it back: an integer as the whole number it is ({@code 1e1} as 10), a double
     * without a fraction's trailing zeros ({@code -0.50} as -0.5).
     */
    private static String loaded(String number, String type) {
        if (type.equals("integer") || type.equals("bigint")) {
            return asInteger(number);
        }
        if (!type.equals("double precision") || !number.contains(".") || number.matches(".*[eE].*")) {
            return number;
        }
        String v = number.replaceAll("0+$", "");
        return v.endsWith(".") ? v.substring(0, v.length() - 1) : v;
    }

    /** {@code 02134} as 2134, {@code -007} as -7, {@code 00.5} as 0.5: a zero-padded number as a number type keeps it. */
    static String withoutLeadingZeros(String number) {
        int start = number.startsWith("-") || number.startsWith("+") ? 1 : 0;
        int i = start;
        while (i + 1 < number.length() && number.charAt(i) == '0' && Character.isDigit(number.charAt(i + 1))) {
            i++;
        }
        return (number.startsWith("-") ? "-" : "") + number.substring(i);
    }

    /** dbt's null values: an empty field and {@code null} (any case). */
    private static boolean isNull(String value) {
        String v = value.strip();
        return v.isEmpty() || v.equalsIgnoreCase("null");
    }

    private static RuntimeException unreadable(Path file, IOException e, long line) {
        if (e instanceof CharacterCodingException) {   // the file changed since checkUtf8 read it
            return new BadInputException(InputLocation.of(file.toString()), "the bytes are not UTF-8 (seeds are read as"
                    + " UTF-8: convert the file)", e);
        }
        if (e instanceof CSVException) {   // the parser's reason: a stray quote, a quoted field never closed
            return new BadInputException(InputLocation.of(file.toString()).withLine(line), "the CSV is malformed (a"
                    + " quoted field must be closed right before a ',' or the line's end; a quote inside it is written"
                    + " twice): " + e.getMessage() + "; the seed's table is unchanged", e);
        }
        return new UncheckedIOException("cannot read seed " + file + " (near line " + line + ")", e);
    }

    /**
     * Checks that {@code file} is UTF-8 throughout (a reader decodes ahead of the parser, so its error could not say
     * which line holds the bad bytes).
     *
     * @throws BadInputException naming the file and the line of the first byte that is not UTF-8
     */
    private static void checkUtf8(Path file) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer bytes = ByteBuffer.allocate(1 << 16);
        CharBuffer chars = CharBuffer.allocate(1 << 16);
        long line = 1;
        try (InputStream in = Files.newInputStream(file)) {
            boolean end = false;
            while (!end) {
                int n = in.read(bytes.array(), bytes.position(), bytes.remaining());
                end = n < 0;
                bytes.position(bytes.position() + Math.max(n, 0));
                bytes.flip();
                CoderResult result;
                do {
                    int from = bytes.position();
                    chars.clear();
                    result = decoder.decode(bytes, chars, end);
                    for (int i = from; i < bytes.position(); i++) {
                        line += bytes.get(i) == '\n' ? 1 : 0;
                    }
                } while (result.isOverflow());
                if (result.isError() || (end && bytes.hasRemaining())) {
                    throw new BadInputException(InputLocation.of(file.toString()).withLine(line), "the bytes are not"
                            + " UTF-8 (seeds are read as UTF-8: convert the file)");
                }
                bytes.compact();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read seed " + file, e);
        }
    }

    /**
     * A parser of {@code file} as UTF-8 (a leading byte-order mark dropped): {@code strict} refuses bytes that are not
     * UTF-8, else they read as U+FFFD (the header is read so, and the whole file checked when the seed runs).
     */
    private static CSVParser parser(Path file, boolean strict) throws IOException {
        CodingErrorAction action = strict ? CodingErrorAction.REPORT : CodingErrorAction.REPLACE;
        Reader reader = new BufferedReader(new InputStreamReader(Files.newInputStream(file), StandardCharsets.UTF_8
                .newDecoder().onMalformedInput(action).onUnmappableCharacter(action)));
        try {
            reader.mark(1);
            if (reader.read() != '\uFEFF') {
                reader.reset();
            }
            return CSVParser.builder().setReader(new UniversalNewlines(reader)).setFormat(FORMAT).get();
        } catch (IOException | RuntimeException e) {
            reader.close();
            throw e;
        }
    }

    /**
     * Reads CRLF and a lone CR as LF, quoted fields included, as Python's universal newlines do when dbt opens a seed:
     * a line break inside a quoted value loads as {@code \n} whatever the file's line endings.
     */
    private static final class UniversalNewlines extends Reader {
        private final Reader in;
        private boolean afterCr;

        UniversalNewlines(Reader in) {
            this.in = in;
        }

        @Override
        public int read(char[] buffer, int offset, int length) throws IOException {
            while (true) {
                int n = in.read(buffer, offset, length);
                if (n <= 0) {
                    return n;
                }
                int w = offset;
                for (int i = offset; i < offset + n; i++) {
                    char ch = buffer[i];
                    if (ch == '\n' && afterCr) {   // the LF of a CRLF whose CR is already an LF
                        afterCr = false;
                        continue;
                    }
                    afterCr = ch == '\r';
                    buffer[w++] = afterCr ? '\n' : ch;
                }
                if (w > offset) {
                    return w - offset;
                }
            }
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    /**
     * One column's type as dbt infers it: the first of number, date, timestamp, boolean that every non-NULL value is,
     * else text; a number is {@code integer} when no value has decimal places once written without trailing zeros
     * ({@code 1.0} and {@code 1e3} are whole), else {@code double precision} (dbt-postgres' float8); a column of NULLs
     * only is integer, as in dbt. Beyond dbt: whole numbers beyond {@code integer}'s range make it {@code bigint}
     * ({@code numeric} beyond bigint's), and timestamps that all carry an offset make it
     * {@code timestamptz} (dbt would drop the offsets), a mix of both text.
     */
    private static final class Inference {
        private boolean number = true;
        /** A number has decimal places, once written without trailing zeros (1.50 has, 1.0 has not). */
        private boolean fraction;
        private boolean bigint;
        private boolean beyondBigint;
        private boolean date = true;
        private boolean timestamp = true;
        private boolean withOffset;
        private boolean withoutOffset;
        private boolean bool = true;
        /** The first number written with a leading zero, and its line. */
        private String zeroPadded;
        private long zeroPaddedLine;

        void see(String raw, long line) {
            if (raw == null) {
                return;
            }
            String v = raw.strip();
            if (zeroPadded == null && ZERO_PADDED.matcher(v).matches()) {
                zeroPadded = v;
                zeroPaddedLine = line;
            }
            if (number && NUMBER.matcher(v).matches()) {
                // agate's Decimal, normalized: 1.0, 2.00 and 1e3 have no decimal places, so dbt makes them integer
                try {
                    BigDecimal n = new BigDecimal(v).stripTrailingZeros();
                    fraction |= n.scale() > 0;
                    if (n.scale() <= 0 && (n.compareTo(LONG_MIN) < 0 || n.compareTo(LONG_MAX) > 0)) {
                        beyondBigint = true;
                    } else if (n.scale() <= 0) {
                        bigint |= n.compareTo(INT_MIN) < 0 || n.compareTo(INT_MAX) > 0;
                    }
                } catch (NumberFormatException | ArithmeticException exponentBeyondInt) {
                    number = false;
                }
            } else {
                number = false;
            }
            date &= DATE.matcher(v).matches() && validDate(v);
            if (timestamp) {
                Matcher m = TIMESTAMP.matcher(v);
                timestamp = m.matches() && validTimestamp(m.group(1) + "T" + m.group(2));
                if (timestamp) {
                    withOffset |= m.group(5) != null;
                    withoutOffset |= m.group(5) == null;
                }
            }
            String lower = v.toLowerCase(Locale.ROOT);
            bool &= lower.equals("true") || lower.equals("false");
        }

        String type() {
            if (number && !fraction) {
                return beyondBigint ? "numeric" : bigint ? "bigint" : "integer";
            }
            if (number) {
                return "double precision";
            }
            if (date) {
                return "date";
            }
            if (timestamp && !(withOffset && withoutOffset)) {
                return withOffset ? "timestamptz" : "timestamp";
            }
            return bool ? "boolean" : "text";
        }

        private static boolean validDate(String v) {
            try {
                return LocalDate.parse(v, DATE_FORMAT).getYear() > 0;
            } catch (DateTimeParseException e) {
                return false;
            }
        }

        private static boolean validTimestamp(String v) {
            try {
                return LocalDateTime.parse(v).getYear() > 0;
            } catch (DateTimeParseException e) {
                return false;
            }
        }
    }
}
