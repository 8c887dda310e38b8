package dev.mds.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.mds.core.Field;
import dev.mds.core.FieldType;
import dev.mds.core.Identifiers;
import dev.mds.core.JdbcStateStore;
import dev.mds.core.MdsException;
import dev.mds.core.PostgresDialect;
import dev.mds.core.Schema;
import dev.mds.core.Sql;
import dev.mds.core.StateStore;
import dev.mds.core.TableName;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Edge cases of mds-core's quoting, catalog reads, state store and transactions, against a real PostgreSQL.
 */
@MdsPostgres
class CoreOnPostgresEdgeCasesTest {
    private final PostgresDialect dialect = PostgresDialect.INSTANCE;

    // ---------------------------------------------------------------- quoting

    /** Names PostgreSQL must store byte for byte: the catalog holds exactly the Java string. */
    private static final List<String> HOSTILE = List.of(
            "x\"; drop table victim; --",
            "\"",
            "\"\"",
            "a.b",
            ".",
            " leading and trailing ",
            "back\\slash\\",
            "\\'; select 1; --",
            "it's",
            "$1",
            "/* c */",
            "Ünïcödé Ωmega",
            "€".repeat(21),                       // 63 bytes in UTF-8, 21 characters
            "😀".repeat(15) + "abc",              // 63 bytes, 4-byte characters (surrogate pairs in Java)
            "tab\tnew\nline",
            "user",                                // reserved word
            "ǅ titlecase",
            "\u212Aelvin");

    @Test
    void hostileIdentifiersAreStoredExactlyWhateverStandardConformingStringsIs(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            Sql.execute(c, "create table victim (id int)");
            for (String scs : List.of("on", "off")) {
                st.execute("set standard_conforming_strings = " + scs);
                for (String n : HOSTILE) {
                    // with scs on, the hostile name is the schema too; with scs off, a plain schema per name
                    String schema = scs.equals("on") ? n : "off_" + HOSTILE.indexOf(n);
                    TableName t = TableName.of(schema, n);
                    Sql.execute(c, "create schema " + Identifiers.quote(t.schema()));
                    Sql.execute(c, "create table " + t.quoted() + " (" + Identifiers.quote(n) + " text, x text)");
                    Sql.execute(c, "insert into " + t.quoted() + " (" + Identifiers.quote(n) + ") values ("
                            + Identifiers.literal(n) + ")");
                    try (PreparedStatement ps = c.prepareStatement("select n.nspname, c.relname from pg_class c"
                            + " join pg_namespace n on n.oid = c.relnamespace where c.oid = (" + dialect.relationOid(t) + ")")) {
                        try (ResultSet rs = ps.executeQuery()) {
                            assertThat(rs.next()).as("relation %s found by relationOid (scs %s)", t, scs).isTrue();
                            assertThat(rs.getString(1)).isEqualTo(t.schema());
                            assertThat(rs.getString(2)).isEqualTo(n);
                        }
                    }
                    try (ResultSet rs = st.executeQuery("select " + Identifiers.quote(n) + " from " + t.quoted())) {
                        assertThat(rs.next()).isTrue();
                        assertThat(rs.getString(1)).as("literal %s with scs %s", n, scs).isEqualTo(n);
                    }
                    Schema s = dialect.readSchema(c, t).orElseThrow(() -> new AssertionError("readSchema found no " + t
                            + " with standard_conforming_strings " + scs));
                    assertThat(s.names()).containsExactly(n, "x");
                    // toString reads back through parse to the same table
                    assertThat(TableName.parse(t.toString())).isEqualTo(t);
                }
            }
            st.execute("reset standard_conforming_strings");
            assertThat(dialect.readSchema(c, TableName.of("public", "victim"))).isPresent();
        }
    }

    /**
     * TableName.parse says it reads a name the way PostgreSQL reads it in SQL: run the same text as SQL and compare
     * with what the catalog holds.
     */
    @Test
    void parseFoldsUnquotedNamesExactlyAsPostgresDoes(DataSource ds) throws Exception {
        List<String> inputs = List.of("Obst.ÄPFEL", "MiXeD.CaSe", "\"Quoted\".\"A.B\"", "fold.\"Keep\"",
                "ǅ.ǅx", "\u212A.\u212Aelvin", "İs.İL", "ÉCOLE.ÉLÈVE", "ß.STRASSE", "\"with \"\"q\"\"\".plain_1",
                " spaced . around ");
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            for (String in : inputs) {
                TableName parsed = TableName.parse(in);
                String schemaText = in.substring(0, splitDot(in));
                st.execute("create schema if not exists " + schemaText);
                st.execute("create table " + in + " (i int)");
                try (ResultSet rs = st.executeQuery("select " + dialect.relationOid(parsed) + " is not null")) {
                    rs.next();
                    assertThat(rs.getBoolean(1)).as("PostgreSQL created %s as %s", in, parsed).isTrue();
                }
            }
        }
    }

    /**
     * PostgreSQL takes every non-ASCII character, a Unicode space too, as part of an unquoted identifier; Java's
     * strip() removes Unicode spaces, so parse names a different table than the same text in SQL does.
     */
    @Test
    void parseKeepsUnicodeSpacesThatPostgresReadsAsPartOfAnUnquotedName(DataSource ds) throws Exception {
        String in = "wide.tail\u3000";   // ends in an ideographic space
        TableName parsed = TableName.parse(in);
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("create schema if not exists wide");
            st.execute("create table " + in + " (i int)");
            try (ResultSet rs = st.executeQuery("select relname from pg_class where relnamespace = 'wide'::regnamespace")) {
                rs.next();
                assertThat(escaped(parsed.name())).as("parse(%s)", escaped(in)).isEqualTo(escaped(rs.getString(1)));
            }
        }
    }

    /** The position of the dot separating schema and name (outside quotes). */
    private static int splitDot(String s) {
        boolean quoted = false;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == '"') {
                quoted = !quoted;
            } else if (ch == '.' && !quoted) {
                return i;
            }
        }
        throw new IllegalArgumentException(s);
    }

    /**
     * Two names that only differ after their 63rd byte would be the same table after PostgreSQL's truncation; a
     * multibyte character straddling byte 63 is where a character count goes wrong.
     */
    @Test
    void namesJustOver63BytesAreRefusedAndJustUnderAreKeptWhole(DataSource ds) throws Exception {
        String base = "é".repeat(31);                            // 62 bytes
        assertThat(Identifiers.check(base + "x")).isNotNull();   // 63 bytes
        assertThatThrownBy(() -> Identifiers.quote(base + "é")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("64 bytes");
        assertThatThrownBy(() -> TableName.parse("\"" + base + "xy\"")).isInstanceOf(IllegalArgumentException.class);
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            Sql.execute(c, "create table " + TableName.of("public", base + "x").quoted() + " (i int)");
            try (ResultSet rs = st.executeQuery("select relname from pg_class where relname like 'é%'")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo(base + "x");
            }
        }
    }

    /**
     * A Java string with an unpaired surrogate has no UTF-8 form: it is sent as '?', so the table created is not the
     * one named; check() claims the name "can be an identifier without change".
     */
    @Test
    void anIdentifierWithAnUnpairedSurrogateIsRefusedRatherThanChanged(DataSource ds) throws Exception {
        String lone = "t\uD83D";   // the high half of an emoji, alone
        Throwable refused = catchThrowable(() -> Identifiers.check(lone));
        if (refused == null) {
            // show what happens instead: a table named something else
            try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
                Sql.execute(c, "create table " + TableName.of("public", lone).quoted() + " (i int)");
                try (ResultSet rs = st.executeQuery("select string_agg(relname, ',') from pg_class where relname like 't_'"
                        + " and relnamespace = 'public'::regnamespace")) {
                    rs.next();
                    assertThat(escaped(rs.getString(1))).as("the table created for a name with an unpaired surrogate")
                            .isEqualTo(escaped(lone));
                }
            }
        }
        assertThat(refused).isInstanceOf(IllegalArgumentException.class);
    }

    /** The same for a literal: the value PostgreSQL receives is not the one given. */
    @Test
    void aLiteralWithAnUnpairedSurrogateIsRefusedRatherThanChanged(DataSource ds) throws Exception {
        String lone = "v\uDE00";   // the low half of an emoji, alone
        Throwable refused = catchThrowable(() -> Identifiers.literal(lone));
        if (refused == null) {
            try (Connection c = ds.getConnection(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("select " + Identifiers.literal(lone))) {
                rs.next();
                assertThat(escaped(rs.getString(1))).as("the value PostgreSQL got").isEqualTo(escaped(lone));
            }
        }
        assertThat(refused).isInstanceOf(IllegalArgumentException.class);
    }

    /** The string with every character outside printable ASCII as a Java escape, so that a report can show it. */
    private static String escaped(String s) {
        StringBuilder b = new StringBuilder();
        for (char ch : s.toCharArray()) {
            b.append(ch >= 0x20 && ch < 0x7f ? String.valueOf(ch) : String.format("\\u%04X", (int) ch));
        }
        return b.toString();
    }

    // ---------------------------------------------------------------- catalog reads and type mapping

    /** A domain reads as its base type (tested elsewhere); an array of that domain should read as an array of it. */
    @Test
    void arraysOfDomainsReadAsArraysOfTheDomainsBaseType(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create domain amount as numeric(12,2)");
            Sql.execute(c, "create domain short_code as varchar(5)");
            Sql.execute(c, "create table domain_arrays (a amount, am amount[], sc short_code[])");
            Schema s = dialect.readSchema(c, TableName.of("public", "domain_arrays"), List.of("a", "am", "sc"));
            assertThat(s.fields()).containsExactly(Field.of("a", FieldType.decimal(12, 2)),
                    Field.of("am", FieldType.arrayOf(FieldType.decimal(12, 2))),
                    Field.of("sc", FieldType.arrayOf(FieldType.STRING)));
        }
    }

    /** An enum column reads as STRING (pgjdbc calls it VARCHAR); an array of the same enum is refused instead. */
    @Test
    void enumArrayAloneReadsAsArrayOfString(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create type colour as enum ('red', 'green')");
            Sql.execute(c, "create table paints (id int, colour colour, colours colour[])");
            assertThat(dialect.readSchema(c, TableName.of("public", "paints"), List.of("colour")).fields())
                    .containsExactly(Field.of("colour", FieldType.STRING));
            Schema s = dialect.readSchema(c, TableName.of("public", "paints"), List.of("colours"));
            assertThat(s.fields()).containsExactly(Field.of("colours", FieldType.arrayOf(FieldType.STRING)));
        }
    }

    /**
     * timetz holds an offset that TIME (LocalTime, {@code time}) cannot: reading such a column as TIME drops it.
     * A type mds cannot represent should be refused (as interval and inet are), not narrowed.
     */
    @Test
    void timeWithTimeZoneIsNotSilentlyReadAsZonelessTime(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create table tz_times (t timetz)");
            Throwable t = catchThrowable(() -> dialect.readSchema(c, TableName.of("public", "tz_times")));
            if (t == null) {
                assertThat(dialect.readSchema(c, TableName.of("public", "tz_times")).orElseThrow().field(0).type())
                        .as("logical type of a timetz column").isNotEqualTo(FieldType.TIME);
            } else {
                assertThat(t).isInstanceOf(MdsException.class).hasMessageContaining("timetz");
            }
        }
    }

    @Test
    void timestampTypesMapRegardlessOfTheSessionTimeZone(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("set time zone 'Pacific/Chatham'");
            Sql.execute(c, "create table stamps (a timestamp(3), b timestamptz(0), c timestamp with time zone,"
                    + " d time(2), e date, f time without time zone)");
            Schema s = dialect.readSchema(c, TableName.of("public", "stamps")).orElseThrow();
            assertThat(s.fields()).extracting(Field::type).containsExactly(FieldType.TIMESTAMP, FieldType.TIMESTAMPTZ,
                    FieldType.TIMESTAMPTZ, FieldType.TIME, FieldType.DATE, FieldType.TIME);
            st.execute("reset time zone");
        }
    }

    /** readSchema's Javadoc: empty only "when there is no such relation". A table with no columns exists. */
    @Test
    void aTableWithoutColumnsIsFoundWithAnEmptySchema(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create table no_columns ()");
            Sql.execute(c, "create table all_dropped (a int)");
            Sql.execute(c, "alter table all_dropped drop column a");
            assertThat(dialect.readSchema(c, TableName.of("public", "no_columns"))).as("no_columns").isPresent();
            assertThat(dialect.readSchema(c, TableName.of("public", "all_dropped"))).as("all_dropped").isPresent();
        }
    }

    @Test
    void viewsMaterializedViewsAndPartitionedTablesAreRead(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create table parted (id bigint not null, at date) partition by range (at)");
            Sql.execute(c, "create table parted_2024 partition of parted for values from ('2024-01-01') to ('2025-01-01')");
            Sql.execute(c, "create view parted_view as select id, at, 1.5::numeric(3,1) as n from parted");
            Sql.execute(c, "create materialized view parted_mv as select id, at from parted");
            Schema expected = Schema.of(Field.required("id", FieldType.LONG), Field.of("at", FieldType.DATE));
            assertThat(dialect.readSchema(c, TableName.of("public", "parted"))).contains(expected);
            assertThat(dialect.readSchema(c, TableName.of("public", "parted_2024"))).contains(expected);
            assertThat(dialect.readSchema(c, TableName.of("public", "parted_mv")).orElseThrow().names())
                    .containsExactly("id", "at");
            assertThat(dialect.readSchema(c, TableName.of("public", "parted_view")).orElseThrow().field("n"))
                    .map(Field::type).contains(FieldType.decimal(3, 1));
        }
    }

    /** relationOid resolves pg_temp to the session's temporary schema; readSchema should find the same relation. */
    @Test
    void readSchemaFindsTheSessionsTemporaryTableThroughPgTemp(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create temp table scratch_pad (id bigint not null, note text)");
            TableName t = TableName.of("pg_temp", "scratch_pad");
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select " + dialect.relationOid(t)
                    + " is not null")) {
                rs.next();
                assertThat(rs.getBoolean(1)).as("relationOid finds it").isTrue();
            }
            assertThat(dialect.readSchema(c, t)).as("readSchema of pg_temp.scratch_pad")
                    .contains(Schema.of(Field.required("id", FieldType.LONG), Field.of("note", FieldType.STRING)));
        }
    }

    @Test
    void primaryKeyAndUniqueKeysOfHostileNamesAreReadInKeyOrder(DataSource ds) throws Exception {
        TableName t = TableName.of("Key \"Schema\"", "it's; a table");
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create schema " + Identifiers.quote(t.schema()));
            Sql.execute(c, "create table " + t.quoted() + " (" + Identifiers.quote("b\"2") + " int, "
                    + Identifiers.quote("A 1") + " text, c int, primary key (" + Identifiers.quote("b\"2") + ", "
                    + Identifiers.quote("A 1") + "), unique (c))");
            assertThat(dialect.primaryKey(c, t)).containsExactly("b\"2", "A 1");
            assertThat(dialect.uniqueKeys(c, t)).extracting(PostgresDialect.UniqueKey::columns)
                    .containsExactlyInAnyOrder(List.of("b\"2", "A 1"), List.of("c"));
            assertThat(dialect.primaryKey(c, TableName.of("Key \"Schema\"", "missing"))).isEmpty();
        }
    }

    // ---------------------------------------------------------------- state store

    @Test
    void anUpdateInACallersTransactionThatRollsBackLeavesNothingAndLetsAWaitingUpdateGoOn(DataSource ds) throws Exception {
        StateStore store = JdbcStateStore.builder(ds).schema("rb").build();
        store.put("warm", "0");   // create the table outside the test
        CountDownLatch locked = new CountDownLatch(1);
        try (Connection a = ds.getConnection(); Connection b = ds.getConnection()) {
            a.setAutoCommit(false);
            StateStore.State first = store.update(a, "new-key", old -> {
                assertThat(old).isEmpty();
                return "{\"n\": 1}";
            });
            assertThat(first.version()).isEqualTo(1);
            locked.countDown();
            CompletableFuture<StateStore.State> second = CompletableFuture.supplyAsync(() -> {
                try {
                    b.setAutoCommit(false);
                    StateStore.State s = store.update(b, "new-key", old -> old.isEmpty() ? "{\"n\": 10}" : "{\"n\": 99}");
                    b.commit();
                    return s;
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            Sessions.awaitLockWait(ds, second);
            a.rollback();
            StateStore.State s = second.get(60, TimeUnit.SECONDS);
            assertThat(s.json()).as("the second update saw no value: the first rolled back").isEqualTo("{\"n\": 10}");
            assertThat(s.version()).isEqualTo(1);
        }
        assertThat(store.get("new-key").orElseThrow().json()).isEqualTo("{\"n\": 10}");
    }

    @Test
    void twoCallerTransactionsUpdatingOneNewKeyQueueUpAndNeitherIsLost(DataSource ds) throws Exception {
        StateStore store = JdbcStateStore.builder(ds).schema("queue").build();
        store.put("warm", "0");
        try (Connection a = ds.getConnection(); Connection b = ds.getConnection()) {
            a.setAutoCommit(false);
            store.update(a, "k", old -> String.valueOf(old.map(Integer::parseInt).orElse(0) + 1));
            CompletableFuture<StateStore.State> second = CompletableFuture.supplyAsync(() -> {
                try {
                    b.setAutoCommit(false);
                    StateStore.State s = store.update(b, "k", old -> String.valueOf(old.map(Integer::parseInt).orElse(0) + 1));
                    b.commit();
                    return s;
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            Sessions.awaitLockWait(ds, second);
            // a plain put and a compare-and-set on the locked key also wait rather than overwrite
            CompletableFuture<Boolean> cas = CompletableFuture.supplyAsync(() -> store.compareAndSet("k", 0, "100"));
            a.commit();
            assertThat(second.get(60, TimeUnit.SECONDS).json()).isEqualTo("2");
            assertThat(cas.get(60, TimeUnit.SECONDS)).as("key existed by the time the CAS ran").isFalse();
        }
        StateStore.State s = store.get("k").orElseThrow();
        assertThat(s.json()).isEqualTo("2");
        assertThat(s.version()).isEqualTo(2);
    }

    /**
     * In REPEATABLE READ the snapshot does not see a key another transaction wrote since: the update must fail with a
     * serialization error the caller can retry on, not a NoSuchElementException, and not write over the other.
     */
    @Test
    void anUpdateInARepeatableReadTransactionThatMissedAConcurrentWriteFailsAsASerializationFailure(DataSource ds)
            throws Exception {
        StateStore store = JdbcStateStore.builder(ds).schema("rr").build();
        store.put("warm", "0");
        try (Connection a = ds.getConnection()) {
            a.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            a.setAutoCommit(false);
            assertThat(store.get(a, "fresh")).isEmpty();   // the snapshot is taken here
            store.put("fresh", "1");                        // another transaction writes the key and commits
            Throwable t = catchThrowable(() -> store.update(a, "fresh", old -> old.orElse("0") + "0"));
            assertThat(t).isInstanceOf(MdsException.class).hasMessageContaining("rr.state, key 'fresh'");
            assertThat(((SQLException) t.getCause()).getSQLState()).isEqualTo("40001");
            a.rollback();
            a.setAutoCommit(true);
            a.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
        }
        assertThat(store.get("fresh").orElseThrow().json()).isEqualTo("1");
    }

    @Test
    void hostileKeysAndValuesAreStoredExactlyOrRefusedWithTheKeyNamed(DataSource ds) {
        StateStore store = JdbcStateStore.builder(ds).schema("hostile").build();
        List<String> keys = List.of("'; drop table hostile.state; --", "\\", "\\'", "ünï ☃ 😀", "", " ", "K", "k",
                "x".repeat(2000));
        for (String k : keys) {
            String json = "{\"k\": " + jsonString(k) + "}";
            assertThat(store.put(k, json)).as("put %s", k).isEqualTo(1);
        }
        for (String k : keys) {
            assertThat(store.get(k).orElseThrow().json()).as("get %s", k).isEqualTo("{\"k\": " + jsonString(k) + "}");
        }
        assertThat(store.update("K", old -> "\"upper\"").version()).isEqualTo(2);
        assertThat(store.get("k").orElseThrow().version()).as("keys are case-sensitive").isEqualTo(1);
        // a NUL cannot be stored: refused with the table named, not stored as something else
        assertThatThrownBy(() -> store.put("nul\0key", "1")).isInstanceOf(MdsException.class)
                .hasMessageContaining("hostile.state");
        assertThatThrownBy(() -> store.put("k2", "\"a\\u0000b\"")).isInstanceOf(MdsException.class)
                .hasMessageContaining("hostile.state, key 'k2'");
        assertThat(store.get("k2")).isEmpty();
    }

    private static String jsonString(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            if (ch == '"' || ch == '\\') {
                b.append('\\');
            }
            b.append(ch);
        }
        return b.append('"').toString();
    }

    @Test
    void aVeryLargeValueRoundTrips(DataSource ds) {
        StateStore store = JdbcStateStore.builder(ds).schema("large").build();
        String big = "\"" + "0123456789abcdef".repeat(1 << 20) + "\"";   // 16 MiB string
        assertThat(store.put("big", big)).isEqualTo(1);
        assertThat(store.get("big").orElseThrow().json()).hasSize(big.length()).isEqualTo(big);
    }

    /** updated_at is an instant: the session's time zone (Chatham is +12:45/+13:45) must not shift it. */
    @Test
    void updatedAtIsTheDatabasesInstantWhateverTheSessionTimeZone(DataSource ds) throws Exception {
        StateStore store = JdbcStateStore.builder(ds).schema("when").build();
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("set time zone 'Pacific/Chatham'");
            store.put(c, "k", "1");
            Instant at = store.get(c, "k").orElseThrow().updatedAt();
            try (ResultSet rs = st.executeQuery("select extract(epoch from updated_at) * 1000 from \"when\".state where key = 'k'")) {
                rs.next();
                assertThat(at.toEpochMilli()).isEqualTo((long) Math.floor(rs.getDouble(1)));
            }
            assertThat(Duration.between(at, Instant.now()).abs()).isLessThan(Duration.ofMinutes(5));
            st.execute("reset time zone");
        }
    }

    @Test
    void aStoreOnAHostileSchemaAndTableNameWorksInACallersTransactionToo(DataSource ds) throws Exception {
        StateStore store = JdbcStateStore.builder(ds).schema("St\\ate'; --").table("\"T\".x").build();
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            assertThat(store.put(c, "k", "{\"a\": 1}")).isEqualTo(1);
            assertThat(store.update(c, "k", old -> "{\"a\": 2}").version()).isEqualTo(2);
            c.commit();
            c.setAutoCommit(true);
        }
        assertThat(store.get("k").orElseThrow().json()).isEqualTo("{\"a\": 2}");
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select count(*) from " + TableName.of("St\\ate'; --", "\"T\".x").quoted())) {
            rs.next();
            assertThat(rs.getLong(1)).isEqualTo(1);
        }
    }

    /**
     * Versions restart at 1 after a delete, so a writer holding version 1 from before the delete wins a
     * compare-and-set over a value written after it that it never saw (ABA): exactly the silent overwrite
     * compareAndSet exists to prevent.
     */
    @Test
    void compareAndSetDoesNotWinOverAValueWrittenAfterADeleteItNeverSaw(DataSource ds) {
        StateStore store = JdbcStateStore.builder(ds).schema("aba").build();
        store.put("offset", "{\"lsn\": 100}");
        StateStore.State seen = store.get("offset").orElseThrow();     // writer A reads version 1
        assertThat(store.delete("offset")).isTrue();                    // the pipeline is reset
        store.put("offset", "{\"lsn\": 5}");                          // writer B starts over
        boolean won = store.compareAndSet("offset", seen.version(), "{\"lsn\": 101}");
        assertThat(store.get("offset").orElseThrow().json()).as("B's value, which A never saw").isEqualTo("{\"lsn\": 5}");
        assertThat(won).as("A's compare-and-set over a version it read before the delete").isFalse();
    }

    // ---------------------------------------------------------------- Sql.transaction

    /**
     * Sql.transaction inside another Sql.transaction on the same connection: the outer work must commit or roll back
     * as one. The inner call sees auto-commit off and commits, taking the outer's earlier work with it.
     */
    @Test
    void aNestedTransactionDoesNotCommitTheOuterTransactionsWork(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create table nested (id int)");
            Throwable t = catchThrowable(() -> Sql.transaction(c, outer -> {
                Sql.execute(outer, "insert into nested values (1)");
                Sql.transaction(outer, inner -> Sql.update(inner, "insert into nested values (2)"));
                throw new IllegalStateException("the outer work fails after the inner one");
            }));
            assertThat(t).isInstanceOf(IllegalStateException.class);
            assertThat(c.getAutoCommit()).isTrue();
        }
        assertThat(count(ds, "nested")).as("rows left by the failed outer transaction").isZero();
    }

    /** A failing inner transaction rolls back the outer's earlier work while the outer goes on and commits. */
    @Test
    void aFailedNestedTransactionDoesNotRollBackTheOuterWorkThatThenCommits(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create table nested_fail (id int)");
            Sql.transaction(c, outer -> {
                Sql.execute(outer, "insert into nested_fail values (1)");
                catchThrowable(() -> Sql.transaction(outer, inner -> Sql.update(inner, "insert into nested_fail values ('x')")));
                Sql.execute(outer, "insert into nested_fail values (3)");
                return null;
            });
        }
        assertThat(count(ds, "nested_fail")).as("outer rows 1 and 3 commit together").isEqualTo(2);
    }

    /** The first failure is thrown, with later ones suppressed, even when the work closed the connection. */
    @Test
    void theWorksOwnFailureIsThrownWhenItLeftTheConnectionClosed(DataSource ds) throws Exception {
        Connection c = ds.getConnection();
        try {
            Sql.execute(c, "create table closed_work (id int)");
            SQLException own = new SQLException("own failure", "XX001");
            Throwable t = catchThrowable(() -> Sql.transaction(c, x -> {
                Sql.execute(x, "insert into closed_work values (1)");
                try (Statement st = x.createStatement()) {
                    st.execute("select pg_terminate_backend(pg_backend_pid())");
                } catch (SQLException expected) {
                    // the session is gone
                }
                throw own;
            }));
            assertThat(t).isSameAs(own);
            assertThat(t.getSuppressed()).isNotEmpty();
        } finally {
            try {
                c.close();
            } catch (SQLException ignored) {
                // broken connection
            }
        }
        assertThat(count(ds, "closed_work")).isZero();
    }

    @Test
    void transactionRestoresAutoCommitAndKeepsTheFirstFailureWhenCommitFails(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create table deferred_parent (id int primary key)");
            Sql.execute(c, "create table deferred_child (pid int references deferred_parent deferrable initially deferred)");
            Throwable t = catchThrowable(() -> Sql.transaction(c, x -> Sql.update(x, "insert into deferred_child values (7)")));
            assertThat(t).isInstanceOf(SQLException.class).hasMessageContaining("deferred_child");
            assertThat(c.getAutoCommit()).isTrue();
            // the connection is usable afterwards
            assertThat(Sql.update(c, "insert into deferred_parent values (1)")).isEqualTo(1);
        }
        assertThat(count(ds, "deferred_child")).isZero();
    }

    /**
     * Work that swallows a failed statement leaves the transaction aborted; its COMMIT becomes a ROLLBACK. The call
     * must not return as if the work had been committed.
     */
    @Test
    void workThatSwallowedAFailedStatementIsNotReportedAsCommitted(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create table swallowed (id int)");
            Throwable t = catchThrowable(() -> Sql.transaction(c, x -> {
                Sql.execute(x, "insert into swallowed values (1)");
                catchThrowable(() -> Sql.execute(x, "insert into swallowed values ('not a number')"));
                return "done";
            }));
            assertThat(count(ds, "swallowed")).isZero();
            assertThat(t).as("a transaction whose commit rolled back").isInstanceOf(SQLException.class);
            assertThat(c.getAutoCommit()).isTrue();
        }
    }

    // ---------------------------------------------------------------- helpers

    private static long count(DataSource ds, String table) throws SQLException {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select count(*) from " + Identifiers.quote(table))) {
            rs.next();
            return rs.getLong(1);
        }
    }


}
