package dev.mds.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.sql.Types;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Edge cases of mds-core that need no database (those that do are in mds-testing's CoreOnPostgresEdgeCasesTest). */
class CoreEdgeCasesTest {
    private final PostgresDialect dialect = PostgresDialect.INSTANCE;
    private static final javax.sql.DataSource NO_DATABASE = (javax.sql.DataSource) java.lang.reflect.Proxy.newProxyInstance(
            CoreEdgeCasesTest.class.getClassLoader(), new Class<?>[] {javax.sql.DataSource.class}, (proxy, method, args) -> {
                throw new UnsupportedOperationException("no database in mds-core's tests");
            });

    // ---------------------------------------------------------------- TableName.parse

    @Test
    void parseSkipsWhiteSpaceAroundQuotedPartsAsPostgresDoes() {
        assertThat(TableName.parse(" \"Raw\" . \"My Table\" ")).isEqualTo(TableName.of("Raw", "My Table"));
        assertThat(TableName.parse("raw .\t\"Users\"")).isEqualTo(TableName.of("raw", "Users"));
        assertThat(TableName.parse("\" x \"\n")).isEqualTo(TableName.of("public", " x "));
        assertThatThrownBy(() -> TableName.parse("\"a\" \"b\"")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unexpected '\"'");
    }

    @Test
    void parseReadsSpacingAndQuotesAsPostgresDoesOrRefusesClearly() {
        assertThat(TableName.parse(" raw . users ")).isEqualTo(TableName.of("raw", "users"));
        assertThat(TableName.parse("raw.\"Users\"")).isEqualTo(TableName.of("raw", "Users"));
        assertThat(TableName.parse("\"a\"\"\".\"\"\"b\"")).isEqualTo(TableName.of("a\"", "\"b"));
        assertThat(TableName.parse("\"a.b\"")).isEqualTo(TableName.of("public", "a.b"));
        assertThat(TableName.parse("\"x\".\".\"")).isEqualTo(TableName.of("x", "."));
        for (String bad : List.of("\"a\"x", "a\"b\"", "\"a\".", ".a", "\"\".a", "a.\"\"", "a..b", "\"a\"\"", " ",
                "\"a\".\"b\".\"c\"", "a.\"b\"c")) {
            assertThatThrownBy(() -> TableName.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void parseOfAnInjectionAttemptIsRefusedUnquotedAndYieldsOneQuotedNameQuoted() {
        // unquoted, PostgreSQL would not read it as one name: refused (it was one quoted name before)
        assertThatThrownBy(() -> TableName.parse("raw.users; drop table x; --")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'users; drop table x; --' has ';'");
        TableName q = TableName.parse("\"raw\".\"users\"\"; drop table x; --\"");
        assertThat(q.name()).isEqualTo("users\"; drop table x; --");
        assertThat(q.quoted()).isEqualTo("\"raw\".\"users\"\"; drop table x; --\"");
    }

    @Test
    void dotsQuotesAndSpacesInsideNamesRoundTripThroughToStringAndParse() {
        for (TableName t : List.of(TableName.of("a.b", "c\"d.e"), TableName.of(" ", "\""), TableName.of("x", "."),
                TableName.of("x", "Ä"), TableName.of("x", "ä"), TableName.of("_x", "_1"), TableName.of("x", "a$b"),
                TableName.of("x", "\\"), TableName.of("x", "'"), TableName.of("x", "😀"), TableName.of("X", "y"))) {
            assertThat(TableName.parse(t.toString())).as(t.toString()).isEqualTo(t);
        }
    }

    @Test
    void the63ByteLimitCountsUtf8BytesForEveryCharacterWidth() {
        for (String unit : List.of("a", "é", "€", "😀")) {
            int bytes = unit.getBytes(StandardCharsets.UTF_8).length;
            String fits = unit.repeat(63 / bytes) + "a".repeat(63 % bytes);
            assertThat(fits.getBytes(StandardCharsets.UTF_8)).hasSize(63);
            assertThat(Identifiers.check(fits)).isEqualTo(fits);
            assertThat(TableName.parse("\"" + fits.replace("\"", "\"\"") + "\"").name()).isEqualTo(fits);
            String over = fits + "a";
            assertThatThrownBy(() -> Identifiers.quote(over)).as(unit).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("64 bytes");
            assertThatThrownBy(() -> TableName.of("s", over)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> Field.of(over, FieldType.INT)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> JdbcStateStore.builder(NO_DATABASE).schema(over))
                    .isInstanceOf(IllegalArgumentException.class);
        }
        // folding does not change the byte count: ASCII stays ASCII
        assertThat(TableName.parse("A".repeat(63)).name()).isEqualTo("a".repeat(63));
        assertThatThrownBy(() -> TableName.parse("A".repeat(64))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void identifiersRefuseEmptyAndNulEverywhereTheyEnter() {
        assertThatThrownBy(() -> TableName.of("", "x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TableName.of("s", "a\0")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("NUL");
        assertThatThrownBy(() -> TableName.parse("\"a\0\".b")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Field.of("", FieldType.INT)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Identifiers.quoteAll(List.of("ok", ""))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Identifiers.check(null)).isInstanceOf(IllegalArgumentException.class);
    }

    // ---------------------------------------------------------------- literals

    @Test
    void literalsUseEscapeStringsOnlyWhenABackslashIsPresentAndDoubleEveryQuote() {
        assertThat(Identifiers.literal("")).isEqualTo("''");
        assertThat(Identifiers.literal("'")).isEqualTo("''''");
        assertThat(Identifiers.literal("\\")).isEqualTo("E'\\\\'");
        assertThat(Identifiers.literal("\\'")).isEqualTo("E'\\\\'''");
        assertThat(Identifiers.literal("a\\")).isEqualTo("E'a\\\\'");   // a trailing backslash cannot escape the quote
        assertThat(Identifiers.literal("$$; select 1; $$")).isEqualTo("'$$; select 1; $$'");
        assertThat(Identifiers.literal("☃\n\t")).isEqualTo("'☃\n\t'");
        // decoding the E-string by PostgreSQL's rules gives the value back
        for (String v : List.of("\\", "\\'", "a\\b'c", "\\\\''", "\\x41", "\\u0041", "\\101")) {
            assertThat(decodeEscapeString(Identifiers.literal(v))).as(v).isEqualTo(v);
        }
    }

    /** Decodes E'…' holding only \\ and '' escapes (what literal writes), refusing any other escape. */
    private static String decodeEscapeString(String literal) {
        assertThat(literal).startsWith("E'").endsWith("'");
        String body = literal.substring(2, literal.length() - 1);
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < body.length(); i++) {
            char ch = body.charAt(i);
            if (ch == '\\') {
                assertThat(body.charAt(i + 1)).as("escape in %s", literal).isEqualTo('\\');
                out.append('\\');
                i++;
            } else if (ch == '\'') {
                assertThat(body.charAt(i + 1)).as("quote in %s", literal).isEqualTo('\'');
                out.append('\'');
                i++;
            } else {
                out.append(ch);
            }
        }
        return out.toString();
    }

    // ---------------------------------------------------------------- types

    @Test
    void typeNamesAreValidPostgresTypesForEveryKind() {
        assertThat(dialect.typeName(FieldType.decimal(1000, 1000))).isEqualTo("numeric(1000,1000)");
        assertThat(dialect.typeName(FieldType.decimal(1, 0))).isEqualTo("numeric(1,0)");
        assertThat(dialect.typeName(FieldType.DECIMAL)).isEqualTo("numeric");
        assertThat(dialect.typeName(FieldType.arrayOf(FieldType.decimal(12, 2)))).isEqualTo("numeric(12,2)[]");
        assertThat(dialect.typeName(FieldType.arrayOf(FieldType.TIMESTAMPTZ))).isEqualTo("timestamptz[]");
        assertThat(dialect.typeName(FieldType.arrayOf(FieldType.DOUBLE))).isEqualTo("double precision[]");
        assertThatThrownBy(() -> FieldType.decimal(0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FieldType.decimal(1001, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FieldType.decimal(5, -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void fieldTypeReadsTheNamesJdbcGivesForScalarsAndArrays() {
        assertThat(dialect.fieldType(Types.TIMESTAMP, "timestamptz", 35, 6)).isEqualTo(FieldType.TIMESTAMPTZ);
        assertThat(dialect.fieldType(Types.TIMESTAMP, "timestamp", 29, 6)).isEqualTo(FieldType.TIMESTAMP);
        assertThat(dialect.fieldType(Types.OTHER, "timestamp with time zone", 0, 0)).isEqualTo(FieldType.TIMESTAMPTZ);
        assertThat(dialect.fieldType(Types.ARRAY, "_timestamptz", 35, 6)).isEqualTo(FieldType.arrayOf(FieldType.TIMESTAMPTZ));
        assertThat(dialect.fieldType(Types.ARRAY, "_numeric", 12, 2)).isEqualTo(FieldType.arrayOf(FieldType.decimal(12, 2)));
        assertThat(dialect.fieldType(Types.ARRAY, "_varchar", 20, 0)).isEqualTo(FieldType.arrayOf(FieldType.STRING));
        assertThat(dialect.fieldType(Types.ARRAY, "numeric[]", 12, 2)).isEqualTo(FieldType.arrayOf(FieldType.decimal(12, 2)));
        assertThat(dialect.fieldType(Types.ARRAY, "character varying[]", 0, 0)).isEqualTo(FieldType.arrayOf(FieldType.STRING));
        assertThat(dialect.fieldType(Types.CHAR, "\"char\"", 1, 0)).isEqualTo(FieldType.STRING);
        assertThat(dialect.fieldType(Types.NUMERIC, "NUMERIC", 10, 10)).isEqualTo(FieldType.decimal(10, 10));
        assertThat(dialect.fieldType(Types.NUMERIC, "numeric", 1001, 0)).isEqualTo(FieldType.DECIMAL);
        assertThat(dialect.fieldType(Types.NUMERIC, "numeric", 5, 6)).isEqualTo(FieldType.DECIMAL);
        assertThat(dialect.fieldType(Types.NUMERIC, "numeric", 5, -2)).isEqualTo(FieldType.DECIMAL);
        assertThatThrownBy(() -> dialect.fieldType(Types.OTHER, "interval", 0, 0)).isInstanceOf(MdsException.class)
                .hasMessageContaining("interval");
        assertThatThrownBy(() -> dialect.fieldType(Types.ARRAY, "_interval", 0, 0)).isInstanceOf(MdsException.class)
                .hasMessageContaining("interval");
    }

    /** typmod = ((precision << 16) | (scale & 0x7ff)) + 4, as PostgreSQL 15+ stores it. */
    @Test
    void numericTypmodsDecodeToPrecisionAndScaleIncludingTheOnesNoDecimalHolds() {
        assertThat(dialect.numericType(-1)).isEqualTo(FieldType.DECIMAL);
        assertThat(dialect.numericType(typmod(12, 2))).isEqualTo(FieldType.decimal(12, 2));
        assertThat(dialect.numericType(typmod(1, 0))).isEqualTo(FieldType.decimal(1, 0));
        assertThat(dialect.numericType(typmod(1000, 1000))).isEqualTo(FieldType.decimal(1000, 1000));
        assertThat(dialect.numericType(typmod(5, -2))).isEqualTo(FieldType.DECIMAL);
        assertThat(dialect.numericType(typmod(2, 5))).isEqualTo(FieldType.DECIMAL);
        assertThat(dialect.numericType(typmod(1000, -1000))).isEqualTo(FieldType.DECIMAL);
    }

    private static int typmod(int precision, int scale) {
        return ((precision << 16) | (scale & 0x7ff)) + 4;
    }

    @Test
    void serverVersionsOrderAndGateFeatures() {
        Dialect.ServerVersion v15 = new Dialect.ServerVersion(15, 0);
        Dialect.ServerVersion v17 = new Dialect.ServerVersion(17, 2);
        assertThat(v15).isLessThan(v17);
        assertThat(new Dialect.ServerVersion(16, 10)).isGreaterThan(new Dialect.ServerVersion(16, 9));
        assertThat(dialect.features(v17).mergeReturningAction()).isTrue();
        assertThat(dialect.features(new Dialect.ServerVersion(16, 4)).mergeReturningAction()).isFalse();
        assertThatThrownBy(() -> dialect.features(new Dialect.ServerVersion(9, 6))).isInstanceOf(MdsException.class)
                .hasMessageContaining("9.6").hasMessageContaining("15");
    }

    // ---------------------------------------------------------------- records, events, positions, errors

    @Test
    void changeEventsKeepTheirInvariants() {
        TableName t = TableName.of("product", "users");
        EventPosition p = new EventPosition(10, 5);
        Instant at = Instant.parse("2024-05-01T00:00:00Z");
        ChangeEvent del = ChangeEvent.delete(t, Record.of(1), p, at).withBefore(Record.of(1, "x"));
        assertThat(del.before()).contains(Record.of(1, "x"));
        assertThat(del.isDelete()).isTrue();
        assertThatThrownBy(() -> new ChangeEvent(ChangeEvent.Operation.DELETE, t, Record.of(1),
                java.util.Optional.empty(), java.util.Optional.of(Record.of(1)), p, at)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ChangeEvent(ChangeEvent.Operation.UPDATE, t, Record.of(1),
                java.util.Optional.empty(), java.util.Optional.empty(), p, at)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ChangeEvent.truncate(t, p, at).withBefore(Record.of(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ChangeBatch(t, Schema.of(Field.of("id", FieldType.INT)), List.of("ID"), List.of(),
                java.util.Optional.empty())).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ID");
    }

    /**
     * Every event of a change batch comes from the batch's table: one from another table (a producer grouping events by
     * something else than their table) is refused naming the event's number and both tables. Before, the batch was
     * made, and mds-load wrote that event's row into the batch's table without a word. Tables equal by name are one
     * table, whichever instance carries them.
     */
    @Test
    void aChangeBatchRefusesAnEventOfAnotherTableNamingItsNumberAndBothTables() {
        TableName users = TableName.of("product", "users");
        Schema schema = Schema.builder().required("id", FieldType.INT).add("name", FieldType.STRING).build();
        Instant at = Instant.parse("2024-05-01T00:00:00Z");
        ChangeEvent one = ChangeEvent.create(users, Record.of(1), Record.of(1, "a"), new EventPosition(1, 1), at);
        ChangeEvent other = ChangeEvent.create(TableName.of("product", "orders"), Record.of(2), Record.of(2, "b"),
                new EventPosition(2, 2), at);
        ChangeEvent third = ChangeEvent.delete(TableName.parse("product.users"), Record.of(1), new EventPosition(3, 3), at);
        assertThatThrownBy(() -> new ChangeBatch(users, schema, List.of("id"), List.of(one, other, third),
                java.util.Optional.empty())).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("product.users: event 2 of the change batch (CREATE at 2/2) comes from the table product.orders,"
                        + " not from the batch's table product.users: a change batch holds the events of one table");
        assertThat(new ChangeBatch(users, schema, List.of("id"), List.of(one, third), java.util.Optional.empty()).size())
                .isEqualTo(2);
    }

    /** LSNs are unsigned 64-bit: one past 2^63 must order after every smaller one. */
    @Test
    void eventPositionsOrderAsUnsignedLsns() {
        EventPosition high = new EventPosition(Long.MIN_VALUE, 0);   // 2^63
        EventPosition below = new EventPosition(Long.MAX_VALUE, Long.MAX_VALUE);
        assertThat(high.isAfter(below)).isTrue();
        assertThat(below.isAfter(high)).isFalse();
        assertThat(high).hasToString("9223372036854775808/0");
        assertThat(new EventPosition(1, -1).isAfter(new EventPosition(1, 1))).isTrue();
        assertThat(EventPosition.ZERO.isAfter(EventPosition.ZERO)).isFalse();
    }

    @Test
    void sourcePositionJsonCarriesEveryCharacterAndRefusesNestedValues() {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("quote\"back\\slash", "a\u0001b\u001fc\u007f\u2028d😀\r\n\t");
        values.put("empty", "");
        values.put("null", null);
        values.put("neg", -9_223_372_036_854_775_808L);
        SourcePosition p = SourcePosition.of("dir\\file \"x\".csv", values);
        assertThat(SourcePosition.fromJson(p.toJson())).isEqualTo(p);
        // escapes as another writer (jsonb) may produce them: a surrogate pair, a solidus, \b and \f
        SourcePosition escaped = SourcePosition.fromJson(
                "{\"source\": \"s\", \"e\": \"\\ud83d\\ude00\\/\\b\\f\", \"n\": 1.50, \"m\": -0.0}");
        assertThat(escaped.get("e")).contains("😀/\b\f");
        assertThat(escaped.get("n")).contains(new java.math.BigDecimal("1.5"));
        assertThat(escaped.get("m")).contains(0L);
        for (String bad : List.of("{\"source\":\"s\",\"x\":{}}", "{\"source\":\"s\",\"x\":[1]}", "{\"source\":\"s\",\"x\":1,}",
                "{\"source\":\"s\",\"x\":\"\\u12\"}", "{\"source\":\"s\"", "{\"source\":\"s\",\"x\":nul}")) {
            assertThatThrownBy(() -> SourcePosition.fromJson(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> SourcePosition.of("s", Map.of("source", "x"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SourcePosition.of("s", Map.of("x", List.of(1)))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'x'");
    }

    /**
     * Half of a UTF-16 surrogate pair cannot be encoded in UTF-8: a position holding one was made, and the state
     * store's put refused it (or the JSON escape of it) only when the batch was written, naming no entry.
     */
    @Test
    void sourcePositionRefusesHalfASurrogatePairWhenMadeNamingWhereItIs() {
        assertThatThrownBy(() -> SourcePosition.of("s", Map.of("file", "a\ud83d.csv")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("position of s: entry 'file' holds half of a UTF-16 surrogate pair (\\ud83d) in its value,"
                        + " which UTF-8 cannot encode, so the position could not be stored");
        assertThatThrownBy(() -> SourcePosition.of("s", Map.of("k\ude00", 1L)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("position of s: entry 'k\\ude00' holds half of a UTF-16 surrogate pair (\\ude00) in its name,"
                        + " which UTF-8 cannot encode, so the position could not be stored");
        assertThatThrownBy(() -> SourcePosition.of("x\ud83d", Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("position of x\\ud83d: the source's name holds half of a UTF-16 surrogate pair (\\ud83d),"
                        + " which UTF-8 cannot encode, so the position could not be stored");
        // a low half before its high half is no pair either; read from JSON's escapes as from a string
        assertThatThrownBy(() -> SourcePosition.of("s", Map.of("v", "\ude00\ud83d")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("(\\ude00)");
        assertThatThrownBy(() -> SourcePosition.fromJson("{\"source\":\"s\",\"v\":\"\\ud83d\"}"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("entry 'v' holds half");
        // a whole pair is a character like any other
        SourcePosition p = SourcePosition.of("s😀", Map.of("k😀", "v😀"));
        assertThat(SourcePosition.fromJson(p.toJson())).isEqualTo(p);
    }

    @Test
    void sourcePositionRefusesANumberWithMoreWholeDigitsThanPostgresNumericInsteadOfExpandingIt() {
        assertThatThrownBy(() -> SourcePosition.fromJson("{\"source\":\"s\",\"x\":1e1000000000}"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1e1000000000");
        assertThatThrownBy(() -> SourcePosition.of("s", Map.of("x", new java.math.BigDecimal("1E+1000000000"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'x'").hasMessageContaining("131072");
        java.math.BigDecimal largest = new java.math.BigDecimal("9E+131071");
        SourcePosition p = SourcePosition.of("s", Map.of("x", largest));
        assertThat(SourcePosition.fromJson(p.toJson())).isEqualTo(p);
        assertThat(p.get("x")).contains(largest.setScale(0));
    }

    /**
     * jsonb keeps a number as numeric, which holds at most 16383 digits after the point: a position holding
     * 1.5E-16383 (16384 digits after the point) was made and written, and jsonb refused it ('value overflows numeric
     * format'), so the state store's put failed the batch's whole transaction on every run.
     */
    @Test
    void sourcePositionRefusesANumberWithMoreDigitsAfterThePointThanPostgresNumericHolds() {
        assertThatThrownBy(() -> SourcePosition.of("s", Map.of("x", new java.math.BigDecimal("1.5E-16383"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'x'").hasMessageContaining("16383");
        assertThatThrownBy(() -> SourcePosition.of("s", Map.of("x", new java.math.BigDecimal("1E-20000"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'x'");
        assertThatThrownBy(() -> SourcePosition.fromJson("{\"source\":\"s\",\"x\":1E-16384}"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1E-16384");
        // the smallest number jsonb holds, and trailing zeros beyond the limit that are no digits of the value
        java.math.BigDecimal smallest = new java.math.BigDecimal("1E-16383");
        SourcePosition p = SourcePosition.of("s", Map.of("x", smallest, "y", new java.math.BigDecimal("0.5" + "0".repeat(20000))));
        assertThat(SourcePosition.fromJson(p.toJson())).isEqualTo(p);
        assertThat(p.get("x")).contains(smallest);
        assertThat(p.get("y")).contains(new java.math.BigDecimal("0.5"));
    }

    /**
     * BigDecimal.stripTrailingZeros divides by ten once per zero: reading back the largest whole number jsonb holds (a
     * 9 and 131071 zeros, as jsonb writes it) took about 10 s, on every read of such a stored position, and a text of a
     * 1 and a million zeros was read whole (about 15 s) before it was refused. The timeout is a guard against that,
     * not a measurement: the whole test took over 30 s before and takes a few seconds now, most of them BigDecimal
     * reading 131072 digits.
     */
    @Test
    @Timeout(value = 30, unit = java.util.concurrent.TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void numbersWithManyZerosAreReadWithoutDividingByTenOncePerZero() {
        for (char lead : "123".toCharArray()) {
            String digits = lead + "0".repeat(131_071);
            SourcePosition p = SourcePosition.fromJson("{\"source\":\"s\",\"x\":" + digits + "}");
            assertThat(p.get("x")).contains(new java.math.BigDecimal(digits));
            assertThat(SourcePosition.fromJson(p.toJson())).isEqualTo(p);
        }
        SourcePosition fraction = SourcePosition.fromJson("{\"source\":\"s\",\"x\":0.5" + "0".repeat(16_000) + "}");
        assertThat(fraction.get("x")).contains(new java.math.BigDecimal("0.5"));
        String hostile = "{\"source\":\"s\",\"x\":1" + "0".repeat(1_000_000) + "}";
        assertThatThrownBy(() -> SourcePosition.fromJson(hostile)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("131072");
    }

    /**
     * A number whose exponent is near int's limit, with zeros to strip ({@code 100e2147483647}), made BigDecimal's
     * stripTrailingZeros overflow the scale: fromJson threw an ArithmeticException ('Overflow') without the position or
     * the text, instead of the IllegalArgumentException it promises for what it cannot read.
     */
    @Test
    void aNumberWhoseExponentOverflowsWhenItsZerosAreStrippedIsRefusedAsTooLarge() {
        assertThatThrownBy(() -> SourcePosition.fromJson("{\"source\":\"s\",\"x\":100e2147483647}"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("100e2147483647");
        assertThatThrownBy(() -> SourcePosition.of("s", Map.of("x", new java.math.BigDecimal(java.math.BigInteger.valueOf(100),
                -2147483647)))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'x'");
    }

    /**
     * A state value read as a position may be large (a value of another key, a hand-edited row): its refusal quoted the
     * whole text, a message of a megabyte for a one-megabyte value, logged and stored as it is. It now quotes the part
     * around the fault and says how long the text is.
     */
    @Test
    void aPositionRefusedFromJsonQuotesAnExcerptOfALargeTextNotAllOfIt() {
        String big = "a".repeat(1_000_000);
        for (String json : List.of("{\"source\":\"s\",\"x\":\"" + big,              // unterminated string
                "{\"x\":\"" + big + "\"}",                                               // no source
                "{\"source\":\"s\",\"x\":\"" + big + "\",\"y\":nope}")) {          // bad value at the end
            assertThatThrownBy(() -> SourcePosition.fromJson(json)).isInstanceOf(IllegalArgumentException.class)
                    .satisfies(e -> assertThat(e.getMessage().length()).as(e.getMessage().substring(0, 120)).isLessThan(500))
                    .hasMessageContaining(json.length() + " characters");
        }
        assertThatThrownBy(() -> SourcePosition.fromJson("{\"source\":\"s\",\"x\":\"" + big + "\",\"y\":nope}"))
                .hasMessageContaining("\"y\":nope}");   // the fault is in the excerpt
        assertThatThrownBy(() -> SourcePosition.fromJson("{\"x\":1}")).hasMessageContaining("{\"x\":1}");   // short: all of it
    }

    @Test
    void sourcePositionRefusesEscapesJsonDoesNotHaveInsteadOfReadingAnotherCharacter() {
        for (String escape : List.of("\\u-001", "\\u+041", "\\u 041", "\\x41", "\\a", "\\'")) {
            String json = "{\"source\":\"s\",\"x\":\"" + escape + "\"}";
            assertThatThrownBy(() -> SourcePosition.fromJson(json)).as(json).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("escape");
        }
        assertThat(SourcePosition.fromJson("{\"source\":\"s\",\"x\":\"\\u00e9\\u00C9\\\"\\\\\\/\"}").get("x"))
                .contains("éÉ\"\\/");
    }

    @Test
    void aNegativeLineIsRefusedNotTakenForNoLine() {
        assertThatThrownBy(() -> InputLocation.of("transactions.csv").withLine(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("line -1 in transactions.csv");
        assertThatThrownBy(() -> InputLocation.of("t").withRecordNumber(3).withLine(Long.MIN_VALUE))
                .isInstanceOf(IllegalArgumentException.class);
        // no line: a location never given one
        InputLocation none = InputLocation.of("transactions.csv").withRecordNumber(3);
        assertThat(none.line()).isEmpty();
        assertThat(none.describe()).isEqualTo("transactions.csv record 3");
        assertThat(none.withLine(0).line()).hasValue(0);
        assertThat(none.withLine(7).describe()).isEqualTo("transactions.csv line 7 record 3");
    }

    @Test
    void badInputSaysWhereAndWhatAndCutsLongExcerpts() {
        InputLocation at = InputLocation.of("transactions.csv").withLine(1042).withRecordNumber(1041)
                .withKey("id=7").withColumn("price").withExcerpt("x".repeat(100));
        BadInputException e = new BadInputException(at, "\"Two Hundred\" is not a decimal");
        assertThat(e.getMessage()).isEqualTo("transactions.csv line 1042 record 1041 (key id=7), column 'price', near \""
                + "x".repeat(80) + "…\": \"Two Hundred\" is not a decimal");
        assertThat(e.location().line()).hasValue(1042);
        assertThat(e.reason()).isEqualTo("\"Two Hundred\" is not a decimal");
        assertThat(e).isInstanceOf(MdsException.class);
        assertThat(InputLocation.of("t").withLine(0).line()).hasValue(0);
        assertThat(InputLocation.of("t").describe()).isEqualTo("t");
        assertThat(at).isEqualTo(InputLocation.of("transactions.csv").withLine(1042).withRecordNumber(1041)
                .withKey("id=7").withColumn("price").withExcerpt("x".repeat(100)));
    }

    @Test
    void aFailedStatementsMessageNeverThrowsAndNeverCutsACharacterInTwo() {
        java.sql.SQLException cause = new java.sql.SQLException("boom");
        assertThat(Sql.failed(null, cause).getMessage()).isEqualTo("boom\n  in: (no statement)");
        assertThat(Sql.failed(null, cause).getCause()).isSameAs(cause);
        assertThat(Sql.failed("select 1", new java.sql.SQLException()).getMessage()).startsWith("java.sql.SQLException");
        assertThat(Sql.failed("select 1", null).getMessage()).isEqualTo("(no error)\n  in: select 1");
        // a character outside the BMP right at the 2000-character cut: kept whole, not half of it
        String sql = "x".repeat(1999) + "😀" + "y".repeat(10);
        String message = Sql.failed(sql, cause).getMessage();
        assertThat(message).isEqualTo("boom\n  in: " + "x".repeat(1999) + " …");
        assertThat(Sql.failed("x".repeat(1998) + "😀" + "y", cause).getMessage()).endsWith("x😀 …");
        assertThat(Sql.failed("x".repeat(2000), cause).getMessage()).endsWith("x".repeat(2000));
    }

    @Test
    void longExcerptsAndNamesInMessagesAreCutBetweenCharactersNotInsideOne() {
        String excerpt = "x".repeat(79) + "😀" + "tail";
        assertThat(InputLocation.of("f.csv").withExcerpt(excerpt).excerpt()).hasValue("x".repeat(79) + "…");
        assertThat(InputLocation.of("f.csv").withExcerpt("x".repeat(78) + "😀" + "tail").excerpt())
                .hasValue("x".repeat(78) + "😀…");
        String name = "x".repeat(79) + "😀".repeat(20);
        assertThatThrownBy(() -> Identifiers.quote(name)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'" + "x".repeat(79) + "…'");
    }

    @Test
    void schemasRefuseDuplicatesHoweverTheyArise() {
        Schema s = Schema.builder().add("a", FieldType.INT).add("A", FieldType.INT).build();   // case-sensitive
        assertThat(s.names()).containsExactly("a", "A");
        assertThatThrownBy(() -> s.with(Field.of("a", FieldType.LONG))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> s.select(List.of("a", "a"))).isInstanceOf(IllegalArgumentException.class);
        assertThat(Schema.of().size()).isZero();
        assertThat(RecordBatch.of(Schema.of(), List.of(Record.of())).size()).isEqualTo(1);
    }
}
