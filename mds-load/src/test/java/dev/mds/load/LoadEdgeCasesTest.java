package dev.mds.load;

import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.BadInputException;
import dev.mds.core.ChangeBatch;
import dev.mds.core.ChangeEvent;
import dev.mds.core.EventPosition;
import dev.mds.core.FieldType;
import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import dev.mds.core.Schema;
import dev.mds.core.SchemaMismatchException;
import dev.mds.core.TableName;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestDatabase;
import dev.mds.testing.TestSql;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Edge cases a user of Airbyte destinations, Spring Batch writers or Debezium sinks runs into: collations, keys the
 * database finds equal although Java does not, cursors given as text, constraints checked only by the target,
 * hostile names, several commits in one CDC batch, generated columns and triggers, empty and very wide batches.
 */
@MdsPostgres
class LoadEdgeCasesTest {
    static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

    static String text(DataSource ds, String query) throws Exception {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(query)) {
            rs.next();
            return rs.getString(1);
        }
    }

    // ------------------------------------------------------------------------------------------ collations

    /**
     * Text longer than one slice of the COPY encoder (2.5 slices), with a surrogate pair across a slice boundary and
     * escapes on both sides of it, arrives as it was sent (compared by its MD5 in PostgreSQL). The encoder reserves
     * its worst case per slice: one reservation for the whole string overflowed an int beyond ~716M characters.
     */
    @Test
    void textLongerThanOneEncoderSliceArrivesWholeWithPairsAndEscapesAtTheBoundary(DataSource ds) throws Exception {
        int slice = 1 << 20;   // CopyText.SLICE
        StringBuilder v = new StringBuilder("a\tb\\c\n");
        v.append("x".repeat(slice - 1 - v.length())).append("\uD83D\uDE00").append("\r\\é日");  // the pair at slice-1, slice
        while (v.length() < slice * 5 / 2) {
            v.append("ü\t");
        }
        String text = v.toString();
        assertThat(Character.isHighSurrogate(text.charAt(slice - 1))).isTrue();
        Schema schema = Schema.builder().required("id", FieldType.LONG).add("v", FieldType.STRING).build();
        MergeLoader.into(ds, "raw.long_text").key("id").build().load(RecordBatch.of(schema, List.of(Record.of(1L, text))));
        String md5 = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("MD5")
                .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("select md5(v), length(v) from raw.long_text")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo(md5);
            assertThat(rs.getInt(2)).isEqualTo(text.codePointCount(0, text.length()));
        }
    }

    @Test
    void mergeIntoATableWhoseTextColumnsHaveAnExplicitCollation(DataSource ds) throws Exception {
        // a key and a value column declared COLLATE "C" (common for byte-order keys): the stage is created from
        // format_type, which drops the collation, so t.code = s.code compares two different implicit collations
        sql(ds, "create schema if not exists raw",
                "create table raw.collated (code text collate \"C\" primary key, label text collate \"C\")",
                "insert into raw.collated values ('a', 'one'), ('b', 'two')");
        Schema schema = Schema.builder().required("code", FieldType.STRING).add("label", FieldType.STRING).build();
        MergeLoader loader = MergeLoader.into(ds, "raw.collated").key("code").build();
        LoadResult r = loader.load(RecordBatch.of(schema, List.of(Record.of("a", "one"), Record.of("b", "TWO"),
                Record.of("c", "three"))));
        assertThat(r.inserted()).as(r.toString()).isEqualTo(1);
        assertThat(r.updated()).as(r.toString()).isEqualTo(1);
        assertThat(r.unchanged()).as(r.toString()).isEqualTo(1);
        assertThatTable(ds, "raw.collated").columns("code", "label")
                .containsExactlyInAnyOrder(row("a", "one"), row("b", "TWO"), row("c", "three"));
    }

    @Test
    void cdcIntoATableWhoseKeyHasAnExplicitCollation(DataSource ds) throws Exception {
        sql(ds, "create schema if not exists raw",
                "create table raw.collated_cdc (code text collate \"C\" primary key, label text, _mds_commit bigint,"
                        + " _mds_change bigint)",
                "insert into raw.collated_cdc values ('a', 'one', 1, 1)");
        TableName src = TableName.of("app", "codes");
        Schema schema = Schema.builder().required("code", FieldType.STRING).add("label", FieldType.STRING).build();
        MergeLoader loader = MergeLoader.into(ds, "raw.collated_cdc").mode(SyncMode.CDC).build();
        LoadResult r = loader.load(new ChangeBatch(src, schema, List.of("code"), List.of(
                ChangeEvent.update(src, Record.of("a"), Record.of("a", "uno"), new EventPosition(10, 10), T),
                ChangeEvent.create(src, Record.of("b"), Record.of("b", "dos"), new EventPosition(11, 11), T)),
                Optional.empty()));
        assertThat(r.updated()).as(r.toString()).isEqualTo(1);
        assertThat(r.inserted()).as(r.toString()).isEqualTo(1);
        assertThatTable(ds, "raw.collated_cdc").columns("code", "label").containsExactlyInAnyOrder(row("a", "uno"), row("b", "dos"));
    }

    @Test
    void keysEqualUnderANondeterministicCollationAreCollapsed(DataSource ds) throws Exception {
        // "Alice" and "ALICE" are one key of a case-insensitive column: the loader dedupes text keys with Java's
        // String.equals (TEXT_TYPES skips the database's view), so the database sees two source rows for one key
        sql(ds, "create schema if not exists raw",
                "create collation if not exists raw.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false)",
                "create table raw.ci_keys (email text collate raw.ci primary key, name text)");
        Schema schema = Schema.builder().required("email", FieldType.STRING).add("name", FieldType.STRING).build();
        MergeLoader loader = MergeLoader.into(ds, "raw.ci_keys").key("email").build();
        LoadResult r = loader.load(RecordBatch.of(schema, List.of(Record.of("alice@x.org", "first"),
                Record.of("ALICE@X.ORG", "second"), Record.of("bob@x.org", "bob"))));
        assertThat(r.inserted()).as(r.toString()).isEqualTo(2);
        assertThatTable(ds, "raw.ci_keys").column("name").containsOnly("second", "bob");
    }

    /**
     * {@code ALTER COLUMN ... TYPE} without {@code COLLATE} gives the column its new type's default collation: a
     * widened case-insensitive key became case-sensitive (and a "C" column took the database's), silently.
     */
    @Test
    void wideningAColumnKeepsItsCollation(DataSource ds) throws Exception {
        sql(ds, "create schema if not exists raw",
                "create collation if not exists raw.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false)",
                "create table raw.ci_widened (email varchar(12) collate raw.ci primary key, name varchar(3) collate \"C\")",
                "insert into raw.ci_widened values ('alice@x.org', 'a')");
        Schema schema = Schema.builder().required("email", FieldType.STRING).add("name", FieldType.STRING).build();
        MergeLoader loader = MergeLoader.into(ds, "raw.ci_widened").key("email")
                .onSchemaChange(dev.mds.load.SchemaChange.ADD_AND_WIDEN_COLUMNS).build();

        LoadResult r = loader.load(RecordBatch.of(schema, List.of(Record.of("ALICE@x.org", "longer"),
                Record.of("bob.is.longer@x.org", "b"))));

        assertThat(dev.mds.testing.TestSql.strings(ds, "select a.attname || ' ' || format_type(a.atttypid, a.atttypmod)"
                + " || ' ' || co.collname from pg_attribute a join pg_collation co on co.oid = a.attcollation"
                + " where a.attrelid = 'raw.ci_widened'::regclass and a.attnum > 0 order by a.attnum"))
                .containsExactly("email text ci", "name text C");
        // the key still matches case-insensitively: ALICE@x.org is alice@x.org's row
        assertThat(r.updated()).as(r.toString()).isEqualTo(1);
        assertThat(r.inserted()).as(r.toString()).isEqualTo(1);
        assertThatTable(ds, "raw.ci_widened").columns("email", "name").containsExactlyInAnyOrder(
                row("alice@x.org", "longer"), row("bob.is.longer@x.org", "b"));
    }

    @Test
    void aKeyInAnotherCaseUpdatesTheRowOfACaseInsensitiveKeyColumn(DataSource ds) throws Exception {
        // the stage's key has the default collation; the column's non-default one wins the comparison
        sql(ds, "create schema if not exists raw",
                "create collation if not exists raw.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false)",
                "create table raw.ci_seeded (email text collate raw.ci primary key, name text)",
                "insert into raw.ci_seeded values ('alice@x.org', 'seed')");
        Schema schema = Schema.builder().required("email", FieldType.STRING).add("name", FieldType.STRING).build();
        MergeLoader loader = MergeLoader.into(ds, "raw.ci_seeded").key("email").build();
        LoadResult r = loader.load(RecordBatch.of(schema, List.of(Record.of("ALICE@x.org", "changed"))));
        assertThat(r.updated()).as(r.toString()).isEqualTo(1);
        assertThatTable(ds, "raw.ci_seeded").columns("email", "name").containsExactlyInAnyOrder(row("alice@x.org", "changed"));
    }

    @Test
    void caseOnlyChangeOfACitextValueIsAnUpdate(DataSource ds) throws Exception {
        // citext's equality ignores case: the IS DISTINCT FROM change test finds 'alice' equal to 'Alice', so the
        // source's new spelling never reaches the target (the row is reported unchanged)
        sql(ds, "create schema if not exists raw", "create extension if not exists citext",
                "create table raw.citext_values (id bigint primary key, name citext)");
        Schema schema = Schema.builder().required("id", FieldType.LONG).add("name", FieldType.STRING).build();
        MergeLoader loader = MergeLoader.into(ds, "raw.citext_values").key("id").build();
        loader.load(RecordBatch.of(schema, List.of(Record.of(1L, "alice"))));
        LoadResult r = loader.load(RecordBatch.of(schema, List.of(Record.of(1L, "Alice"))));
        assertThat(text(ds, "select name::text from raw.citext_values where id = 1")).isEqualTo("Alice");
        assertThat(r.updated()).as(r.toString()).isEqualTo(1);
    }

    @Test
    void citextKeysDifferingInCaseAreOneKey(DataSource ds) throws Exception {
        sql(ds, "create schema if not exists raw", "create extension if not exists citext",
                "create table raw.citext_keys (email citext primary key, v text)",
                "insert into raw.citext_keys values ('seed@x.org', 'seed')");
        Schema schema = Schema.builder().required("email", FieldType.STRING).add("v", FieldType.STRING).build();
        MergeLoader loader = MergeLoader.into(ds, "raw.citext_keys").key("email").build();
        LoadResult r = loader.load(RecordBatch.of(schema, List.of(Record.of("a@x.org", "first"), Record.of("A@X.org", "second"),
                Record.of("SEED@x.org", "seed changed"))));
        assertThat(r.inserted()).as(r.toString()).isEqualTo(1);
        assertThat(r.updated()).as(r.toString()).isEqualTo(1);
        assertThatTable(ds, "raw.citext_keys").column("v").containsOnly("second", "seed changed");
    }

    // ------------------------------------------------------------------------------------------ keys of unusual types

    @Test
    void numericKeysThatTheColumnsScaleRoundsToOneValueAreCollapsed(DataSource ds) throws Exception {
        // numeric(10,1) stores 1.54 and 1.50 as 1.5: one key for the database, two for Java
        sql(ds, "create schema if not exists raw", "create table raw.scaled_keys (k numeric(10,1) primary key, v text)",
                "insert into raw.scaled_keys values (9, 'seed')");
        Schema schema = Schema.builder().required("k", FieldType.decimal(10, 1)).add("v", FieldType.STRING).build();
        MergeLoader loader = MergeLoader.into(ds, "raw.scaled_keys").key("k").build();
        LoadResult r = loader.load(RecordBatch.of(schema, List.of(Record.of(new BigDecimal("1.54"), "first"),
                Record.of(new BigDecimal("1.50"), "second"))));
        assertThat(r.inserted()).as(r.toString()).isEqualTo(1);
        assertThatTable(ds, "raw.scaled_keys").columns("k", "v").containsExactlyInAnyOrder(row(new BigDecimal("1.5"), "second"),
                row(new BigDecimal("9.0"), "seed"));
    }

    @Test
    void aKeyGivenAsLongAndAsBigDecimalOfTheSameValueIsOneKey(DataSource ds) throws Exception {
        // a JSON-fed DECIMAL column often carries Long for whole numbers and BigDecimal otherwise (the binary COPY
        // accepts both for numeric): 2 and 2.0 are one numeric key
        sql(ds, "create schema if not exists raw", "create table raw.mixed_keys (k numeric primary key, v text)",
                "insert into raw.mixed_keys values (9, 'seed')");
        Schema schema = Schema.builder().required("k", FieldType.DECIMAL).add("v", FieldType.STRING).build();
        MergeLoader loader = MergeLoader.into(ds, "raw.mixed_keys").key("k").build();
        LoadResult r = loader.load(RecordBatch.of(schema, List.of(Record.of(2L, "first"), Record.of(new BigDecimal("2.0"), "second"))));
        assertThat(r.inserted()).as(r.toString()).isEqualTo(1);
        assertThat(text(ds, "select v from raw.mixed_keys where k = 2")).isEqualTo("second");
    }

    /**
     * An integer column takes a whole decimal or double as the integer (TypedValuesTest), so 5 and 5.0 of a JSON-fed
     * decimal key are one bigint key, and 5.0 and 6 of a cursor compare as 5 and 6. Before, the keys were compared as
     * given (the database could not read '5.0' as a bigint to find them equal): both were staged and the batch failed,
     * the COPY into an empty table on a duplicate key naming record 2, the MERGE refusing records 1 and 2 (each
     * named twice); and the cursor values were 'cannot be compared'.
     */
    @Test
    void aWholeDecimalOrDoubleKeyOrCursorIntoAnIntegerColumnIsComparedAsTheIntegerItIsStoredAs(DataSource ds) throws Exception {
        sql(ds, "create schema if not exists raw", "create table raw.int_keys_empty (id bigint primary key, v text, ver integer)",
                "create table raw.int_keys_seeded (id bigint primary key, v text, ver integer)",
                "insert into raw.int_keys_seeded values (9, 'seed', 0)");
        for (FieldType type : List.of(FieldType.DECIMAL, FieldType.DOUBLE)) {
            Object five = type == FieldType.DECIMAL ? new BigDecimal("5.0") : (Object) 5.0;
            Schema schema = Schema.builder().required("id", type).add("v", FieldType.STRING).add("ver", type).build();
            for (String table : List.of("raw.int_keys_empty", "raw.int_keys_seeded")) {
                sql(ds, "delete from " + table + " where id <> 9");
                MergeLoader loader = MergeLoader.into(ds, table).key("id").cursor("ver").build();
                LoadResult r = loader.load(RecordBatch.of(schema, List.of(Record.of(5L, "first", 6L), Record.of(five, "second", five),
                        Record.of(7L, "x", 1L))));
                assertThat(r.inserted()).as(type + " " + table + " " + r).isEqualTo(2);
                assertThat(text(ds, "select v || ' ' || ver from " + table + " where id = 5")).as(type + " " + table)
                        .isEqualTo("first 6");
            }
        }
    }

    @Test
    void timestampKeysThatTheColumnsPrecisionWouldRoundAreRefusedNotCollapsed(DataSource ds) throws Exception {
        // timestamptz(0) keeps whole seconds: 10:00:00.2 and 10:00:00.3 would become one key (SchemaDriftTest)
        sql(ds, "create schema if not exists raw", "create table raw.ts0_keys (at timestamptz(0) primary key, v text)",
                "insert into raw.ts0_keys values ('2020-01-01Z', 'seed')");
        Schema schema = Schema.builder().required("at", FieldType.TIMESTAMPTZ).add("v", FieldType.STRING).build();
        MergeLoader loader = MergeLoader.into(ds, "raw.ts0_keys").key("at").build();
        Instant at = Instant.parse("2024-01-01T10:00:00Z");
        assertThatThrownBy(() -> loader.load(RecordBatch.of(schema, List.of(Record.of(at, "whole"),
                Record.of(at.plusMillis(200), "first"), Record.of(at.plusMillis(300), "second")))))
                .isInstanceOf(dev.mds.core.SchemaMismatchException.class)
                .hasMessageContaining("'at' is timestamptz in the batch but timestamp(0) with time zone in the table"
                        + " (record 2's value would be rounded)");
        assertThat(text(ds, "select count(*) from raw.ts0_keys")).isEqualTo("1");
        // whole seconds load as before
        LoadResult r = loader.load(RecordBatch.of(schema, List.of(Record.of(at, "first"), Record.of(at, "second"))));
        assertThat(r.inserted()).as(r.toString()).isEqualTo(1);
        assertThat(text(ds, "select v from raw.ts0_keys where at = '2024-01-01T10:00:00Z'")).isEqualTo("second");
    }

    @Test
    void uuidAndBpcharKeysGivenAsTextAreComparedAsTheDatabaseDoes(DataSource ds) throws Exception {
        sql(ds, "create schema if not exists raw", "create table raw.char_keys (code char(4), u uuid, v text, primary key (code, u))",
                "insert into raw.char_keys values ('zz', '00000000-0000-0000-0000-000000000000', 'seed')");
        Schema schema = Schema.builder().required("code", FieldType.STRING).required("u", FieldType.STRING)
                .add("v", FieldType.STRING).build();
        String u = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11";
        MergeLoader loader = MergeLoader.into(ds, "raw.char_keys").key("code", "u").build();
        LoadResult r = loader.load(RecordBatch.of(schema, List.of(Record.of("ab", u, "first"),
                Record.of("ab  ", u.toUpperCase(java.util.Locale.ROOT), "second"))));
        assertThat(r.inserted()).as(r.toString()).isEqualTo(1);
        assertThat(text(ds, "select v from raw.char_keys where code = 'ab'")).isEqualTo("second");
    }

    /**
     * Keys the database finds equal though their text differs ('a' and 'a  ' in a char(3) key, a uuid given as text in
     * upper and in lower case) are one key in every mode, as MERGE and OVERWRITE with a key already folded them: in CDC
     * the later event wins, a delete of one spelling deletes the row of the other. Before, the CDC fold kept them apart
     * (Java's string equality) and the load failed on PostgreSQL's unique violation naming the record ('raw.ck_cdc
     * record 2 (key code=a  ): duplicate key value violates unique constraint'), into a table with rows "the table
     * refused 4 record(s)"; DEAD_LETTER set the later event aside as a bad row and kept the older value.
     */
    @Test
    void keysEqualToTheDatabaseButNotAsTextAreOneKeyInMergeOverwriteAndCdc(DataSource ds) throws Exception {
        Schema schema = Schema.builder().required("code", FieldType.STRING).required("u", FieldType.STRING)
                .add("v", FieldType.STRING).build();
        String u = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11";
        String upper = u.toUpperCase(java.util.Locale.ROOT);
        TableName src = TableName.of("app", "codes");
        for (String mode : List.of("merge", "overwrite", "cdc", "cdc_seeded")) {
            String table = "raw.padded_" + mode;
            sql(ds, "create schema if not exists raw", "create table " + table + " (code char(3), u uuid, v text,"
                    + " primary key (code, u))");
            if (mode.equals("cdc_seeded")) {
                sql(ds, "insert into " + table + " (code, u, v) values ('zz', '" + u + "', 'seed')");
            }
            for (OnBadRow onBadRow : List.of(OnBadRow.FAIL, OnBadRow.DEAD_LETTER)) {
                sql(ds, "delete from " + table + " where code <> 'zz'");
                MergeLoader.Builder b = MergeLoader.into(ds, table).key("code", "u").onBadRow(onBadRow);
                LoadResult r;
                if (mode.startsWith("cdc")) {
                    MergeLoader loader = b.mode(SyncMode.CDC).build();
                    r = loader.load(new ChangeBatch(src, schema, List.of("code", "u"), List.of(
                            ChangeEvent.create(src, Record.of("a", u), Record.of("a", u, "first"), new EventPosition(10, 10), T),
                            ChangeEvent.update(src, Record.of("a  ", upper), Record.of("a  ", upper, "second"),
                                    new EventPosition(11, 11), T),
                            ChangeEvent.create(src, Record.of("b", u), Record.of("b", u, "gone"), new EventPosition(12, 12), T),
                            ChangeEvent.delete(src, Record.of("b ", upper), new EventPosition(13, 13), T)), Optional.empty()));
                } else {
                    MergeLoader loader = b.mode(mode.equals("merge") ? SyncMode.MERGE : SyncMode.OVERWRITE).build();
                    r = loader.load(RecordBatch.of(schema, List.of(Record.of("a", u, "first"), Record.of("a  ", upper, "second"))));
                }
                assertThat(r.rejected()).as(mode + " " + r).isZero();
                assertThat(r.inserted()).as(mode + " " + r).isEqualTo(1);
                assertThat(TestSql.strings(ds, "select code || '|' || u || '|' || v from " + table + " where code <> 'zz'"))
                        .as(mode + " " + onBadRow).containsExactly("a|" + u + "|second");
            }
        }
    }

    @Test
    void nullInTheSecondColumnOfACompositeKeyNamesThatColumn(DataSource ds) throws Exception {
        Schema schema = Schema.builder().required("tenant", FieldType.STRING).required("id", FieldType.LONG)
                .add("v", FieldType.STRING).build();
        MergeLoader loader = MergeLoader.into(ds, "raw.composite_null").key("tenant", "id").build();
        loader.load(RecordBatch.of(schema, List.of(Record.of("t", 1L, "seed"))));
        assertThatThrownBy(() -> loader.load(RecordBatch.of(schema, List.of(Record.of("t", 1L, "changed"),
                Record.of("t", null, "bad")))))
                .isInstanceOfSatisfying(BadInputException.class, e -> {
                    assertThat(e.location().recordNumber()).hasValue(2);
                    assertThat(e.location().key()).hasValue("tenant=t, id=NULL");
                    assertThat(e.location().column()).hasValue("id");
                    assertThat(e.getMessage()).contains("raw.composite_null", "key column 'id' is NULL");
                });
        assertThatTable(ds, "raw.composite_null").columns("tenant", "id", "v").containsExactlyInAnyOrder(row("t", 1, "seed"));
    }

    // ------------------------------------------------------------------------------------------ cursors

    @Test
    void aCursorGivenAsTextIsComparedAsItsColumnsTypeWithinTheBatch(DataSource ds) throws Exception {
        // CSV-shaped batches carry text for every column (the README supports text for numeric columns). Against
        // the target the cursor is compared as bigint (10 > 9), but duplicates within the batch are compared as
        // Java strings ("9" > "10"), so the older record wins inside the batch
        sql(ds, "create schema if not exists raw",
                "create table raw.text_cursor (id bigint primary key, name text, updated_at bigint)",
                "insert into raw.text_cursor values (7, 'seed', 1)");
        Schema schema = Schema.builder().required("id", FieldType.STRING).add("name", FieldType.STRING)
                .add("updated_at", FieldType.STRING).build();
        MergeLoader loader = MergeLoader.into(ds, "raw.text_cursor").key("id").cursor("updated_at").build();
        LoadResult r = loader.load(RecordBatch.of(schema, List.of(Record.of("1", "newest", "10"), Record.of("1", "older", "9"))));
        assertThat(r.inserted()).isEqualTo(1);
        assertThatTable(ds, "raw.text_cursor").columns("id", "name", "updated_at")
                .containsExactlyInAnyOrder(row(1, "newest", 10), row(7, "seed", 1));
        // against the target the database compares bigints: an older cursor does not overwrite
        loader.load(RecordBatch.of(schema, List.of(Record.of("1", "stale", "9"))));
        assertThat(text(ds, "select name from raw.text_cursor where id = 1")).isEqualTo("newest");
    }

    @Test
    void anOlderCursorKeepsTheTargetRowAndItsLoadTimestamp(DataSource ds) throws Exception {
        Schema schema = Schema.builder().required("id", FieldType.LONG).add("name", FieldType.STRING)
                .add("version", FieldType.LONG).build();
        MergeLoader loader = MergeLoader.into(ds, "raw.cursor_ts").key("id").cursor("version").loadTimestamp("loaded_at").build();
        loader.load(RecordBatch.of(schema, List.of(Record.of(1L, "v5", 5L), Record.of(2L, "v1", 1L))));
        String before = text(ds, "select string_agg(xmin::text || loaded_at::text, ',' order by id) from raw.cursor_ts");
        Thread.sleep(5);
        LoadResult r = loader.load(RecordBatch.of(schema, List.of(Record.of(1L, "v4", 4L), Record.of(2L, "v1", 1L))));
        assertThat(r.updated()).isZero();
        assertThat(r.unchanged()).isEqualTo(2);
        assertThat(text(ds, "select string_agg(xmin::text || loaded_at::text, ',' order by id) from raw.cursor_ts")).isEqualTo(before);
        assertThatTable(ds, "raw.cursor_ts").columns("id", "name").containsExactlyInAnyOrder(row(1, "v5"), row(2, "v1"));
    }

    // ------------------------------------------------------------------------------------------ target constraints

    @Test
    void aCheckConstraintRefusingARowInTheMergeNamesTheRecordAndKeyAndCommitsNothing(DataSource ds) throws Exception {
        // the stage carries the column types but not the target's CHECK constraints: the row is refused by the MERGE,
        // not by the COPY. Into an empty target (direct COPY) the same row is a BadInputException with its record;
        // into a non-empty one it should be too
        sql(ds, "create schema if not exists raw",
                "create table raw.checked (id bigint primary key, amount numeric check (amount >= 0))",
                "insert into raw.checked values (1, 10)");
        Schema schema = Schema.builder().required("id", FieldType.LONG).add("amount", FieldType.DECIMAL).build();
        MergeLoader loader = MergeLoader.into(ds, "raw.checked").key("id").build();
        assertThatThrownBy(() -> loader.load(RecordBatch.of(schema, List.of(Record.of(1L, new BigDecimal("11")),
                Record.of(2L, new BigDecimal("-5")), Record.of(3L, new BigDecimal("3"))))))
                .isInstanceOfSatisfying(BadInputException.class, e -> {
                    assertThat(e.location().source()).isEqualTo("raw.checked");
                    assertThat(e.location().recordNumber()).hasValue(2);
                    assertThat(e.location().key()).hasValue("id=2");
                });
        assertThatTable(ds, "raw.checked").columns("id", "amount").containsExactlyInAnyOrder(row(1, 10));
    }

    @Test
    void deadLetterSetsAsideARowRefusedByATargetConstraintAndLoadsTheGoodOnes(DataSource ds) throws Exception {
        sql(ds, "create schema if not exists raw",
                "create table raw.checked_dead (id bigint primary key, amount numeric check (amount >= 0))",
                "insert into raw.checked_dead values (1, 10)");
        Schema schema = Schema.builder().required("id", FieldType.LONG).add("amount", FieldType.DECIMAL).build();
        MergeLoader loader = MergeLoader.into(ds, "raw.checked_dead").key("id").onBadRow(OnBadRow.DEAD_LETTER).build();
        LoadResult r = loader.load(RecordBatch.of(schema, List.of(Record.of(1L, new BigDecimal("11")),
                Record.of(2L, new BigDecimal("-5")), Record.of(3L, new BigDecimal("3")))));
        assertThat(r.rejected()).as(r.toString()).isEqualTo(1);
        assertThatTable(ds, "raw.checked_dead").columns("id", "amount").containsExactlyInAnyOrder(row(1, 11), row(3, 3));
        assertThatTable(ds, "raw.checked_dead_rejected").columns("record_number", "key").containsExactlyInAnyOrder(row(2, "id=2"));
    }

    @Test
    void aNotNullColumnMissingFromTheBatchIsAClearErrorNamingTheColumn(DataSource ds) throws Exception {
        sql(ds, "create schema if not exists raw",
                "create table raw.required_col (id bigint primary key, name text, owner text not null)",
                "insert into raw.required_col values (1, 'a', 'me')");
        Schema schema = Schema.builder().required("id", FieldType.LONG).add("name", FieldType.STRING).build();
        MergeLoader loader = MergeLoader.into(ds, "raw.required_col").key("id").build();
        // updating an existing row leaves the missing column as it is
        assertThat(loader.load(RecordBatch.of(schema, List.of(Record.of(1L, "a2")))).updated()).isEqualTo(1);
        // a new key cannot be inserted without it: the error names the table and the column
        assertThatThrownBy(() -> loader.load(RecordBatch.of(schema, List.of(Record.of(1L, "a3"), Record.of(2L, "b")))))
                .hasMessageContaining("required_col").hasMessageContaining("owner");
        assertThatTable(ds, "raw.required_col").columns("id", "name", "owner").containsExactlyInAnyOrder(row(1, "a2", "me"));
    }

    @Test
    void generatedColumnsDefaultsAndTriggersOfTheTargetAreHonoured(DataSource ds) throws Exception {
        sql(ds, "create schema if not exists raw",
                "create table raw.gen (id bigint primary key, qty int, price numeric, total numeric generated always as (qty * price) stored,"
                        + " created_by text not null default 'loader', touched int not null default 0)",
                "create function raw.gen_touch() returns trigger language plpgsql as"
                        + " $$ begin new.touched := old.touched + 1; return new; end $$",
                "create trigger touch before update on raw.gen for each row execute function raw.gen_touch()",
                "insert into raw.gen (id, qty, price) values (100, 1, 1)");
        Schema schema = Schema.builder().required("id", FieldType.LONG).add("qty", FieldType.INT).add("price", FieldType.DECIMAL).build();
        MergeLoader loader = MergeLoader.into(ds, "raw.gen").key("id").build();
        LoadResult first = loader.load(RecordBatch.of(schema, List.of(Record.of(1L, 2, new BigDecimal("1.50")),
                Record.of(2L, 3, new BigDecimal("2")))));
        assertThat(first.inserted()).isEqualTo(2);
        LoadResult second = loader.load(RecordBatch.of(schema, List.of(Record.of(1L, 4, new BigDecimal("1.5")),
                Record.of(2L, 3, new BigDecimal("2.00")))));
        assertThat(second.updated()).as(second.toString()).isEqualTo(1);
        assertThat(second.unchanged()).as(second.toString()).isEqualTo(1);
        assertThatTable(ds, "raw.gen").columns("id", "total", "created_by", "touched").containsExactlyInAnyOrder(
                row(1, new BigDecimal("6.0"), "loader", 1), row(2, 6, "loader", 0), row(100, 1, "loader", 0));
    }

    @Test
    void aKeyThatIsAGeneratedAlwaysIdentityColumnTakesTheSourcesValueInEveryLoadAsInTheFirst(DataSource ds)
            throws Exception {
        // a target made with its source's DDL: the first load into the empty table is a COPY, which stores the given
        // ids; the next loads insert new keys with MERGE, which needs 'overriding system value' to do the same
        sql(ds, "create schema if not exists raw",
                "create table raw.ident_key (id bigint generated always as identity primary key, name text)");
        Schema schema = Schema.builder().required("id", FieldType.LONG).add("name", FieldType.STRING).build();
        MergeLoader merge = MergeLoader.into(ds, "raw.ident_key").key("id").build();
        assertThat(merge.load(RecordBatch.of(schema, List.of(Record.of(10L, "a"), Record.of(20L, "b")))).inserted())
                .isEqualTo(2);
        LoadResult second = merge.load(RecordBatch.of(schema, List.of(Record.of(20L, "b2"), Record.of(30L, "c"))));
        assertThat(second.inserted()).as(second.toString()).isEqualTo(1);
        assertThat(second.updated()).as(second.toString()).isEqualTo(1);

        MergeLoader cdc = MergeLoader.into(ds, "raw.ident_key_cdc").mode(SyncMode.CDC).key("id").build();
        sql(ds, "create table raw.ident_key_cdc (id bigint generated always as identity primary key, name text,"
                + " _mds_commit bigint, _mds_change bigint)", "insert into raw.ident_key_cdc values (default, 'x', 1, 1)");
        TableName src = TableName.of("raw", "ident_key_cdc");
        ChangeBatch changes = new ChangeBatch(src, schema, List.of("id"), List.of(
                ChangeEvent.update(src, Record.of(1L), Record.of(1L, "y"), new EventPosition(5, 1), T),
                ChangeEvent.update(src, Record.of(40L), Record.of(40L, "d"), new EventPosition(5, 2), T)),
                Optional.empty());
        assertThat(cdc.load(changes).inserted()).isEqualTo(1);

        assertThatTable(ds, "raw.ident_key").columns("id", "name")
                .containsExactlyInAnyOrder(row(10, "a"), row(20, "b2"), row(30, "c"));
        assertThatTable(ds, "raw.ident_key_cdc").columns("id", "name").containsExactlyInAnyOrder(row(1, "y"), row(40, "d"));
    }

    @Test
    void aLoadTimestampColumnWithoutTimeZoneGetsTheSessionsLocalNowOnEveryPath(DataSource ds) throws Exception {
        // the MERGE assigns now() to it (the session's local time); the COPY straight into an empty table or in
        // APPEND sent now() as a timestamptz, which a timestamp column stores as UTC wall-clock time
        sql(ds, "create schema if not exists raw",
                "create table raw.lts_local (id bigint primary key, name text, loaded timestamp)",
                "create table raw.lts_local_append (id bigint, name text, loaded timestamp)");
        Schema schema = Schema.builder().required("id", FieldType.LONG).add("name", FieldType.STRING).build();
        MergeLoader merge = MergeLoader.into(ds, "raw.lts_local").key("id").loadTimestamp("loaded").build();
        MergeLoader append = MergeLoader.into(ds, "raw.lts_local_append").mode(SyncMode.APPEND).loadTimestamp("loaded")
                .build();
        List<List<Record>> batches = List.of(List.of(Record.of(1L, "a")), List.of(Record.of(1L, "b"), Record.of(2L, "c")));
        for (List<Record> records : batches) {   // into the empty table (a COPY), then a MERGE
            try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
                c.setAutoCommit(false);
                st.execute("set local timezone = 'Pacific/Kiritimati'");   // UTC+14
                merge.load(RecordBatch.of(schema, records), c);
                append.load(RecordBatch.of(schema, records), c);
                for (String table : List.of("raw.lts_local", "raw.lts_local_append")) {
                    try (ResultSet rs = st.executeQuery("select count(*) filter (where loaded = localtimestamp)"
                            + " from " + table + " where name in ('a', 'b', 'c')")) {
                        rs.next();
                        assertThat(rs.getLong(1)).as(table + " after " + records).isEqualTo(records.size());
                    }
                }
                c.commit();
            }
        }
    }

    @Test
    void aLoadTimestampColumnOfAnotherTypeThanTimestampIsRefusedNamingItBeforeAnythingIsWritten(DataSource ds)
            throws Exception {
        // a bigint column took the binary timestamptz as a meaningless number; date and text failed naming record 1
        sql(ds, "create schema if not exists raw");
        Schema schema = Schema.builder().required("id", FieldType.LONG).add("name", FieldType.STRING).build();
        for (String type : List.of("bigint", "date", "text")) {
            for (SyncMode mode : List.of(SyncMode.MERGE, SyncMode.APPEND)) {
                String table = "raw.lts_" + type + "_" + mode.name().toLowerCase();
                sql(ds, "create table " + table + " (id bigint, name text, loaded " + type + ")");
                MergeLoader loader = MergeLoader.into(ds, table).mode(mode)
                        .key(mode == SyncMode.MERGE ? new String[] {"id"} : new String[0]).loadTimestamp("loaded").build();
                assertThatThrownBy(() -> loader.load(RecordBatch.of(schema, List.of(Record.of(1L, "a")))))
                        .isInstanceOf(SchemaMismatchException.class)
                        .hasMessageContaining(table)
                        .hasMessageContaining("load timestamp column 'loaded' is " + type);
                assertThatTable(ds, table).isEmpty();
            }
        }
    }

    @Test
    void cdcIntoATableWhosePositionColumnsAreNotBigintIsRefusedNamingThemBeforeAnythingIsWritten(DataSource ds)
            throws Exception {
        // a target made beforehand with integer position columns: the snapshot's COPY failed blaming record 1 and
        // column '_mds_commit' ("incorrect binary data format"), a position past 2^31 failed the MERGE naming nothing
        sql(ds, "create schema if not exists raw",
                "create table raw.int_positions (id bigint primary key, name text, _mds_commit integer, _mds_change bigint)");
        TableName src = TableName.of("raw", "int_positions");
        Schema schema = Schema.builder().required("id", FieldType.LONG).add("name", FieldType.STRING).build();
        MergeLoader loader = MergeLoader.into(ds, src).mode(SyncMode.CDC).key("id").build();
        assertThatThrownBy(() -> loader.load(new ChangeBatch(src, schema, List.of("id"), List.of(
                ChangeEvent.update(src, Record.of(1L), Record.of(1L, "a"), new EventPosition(5, 1), T)), Optional.empty())))
                .isInstanceOf(SchemaMismatchException.class)
                .hasMessageContaining("raw.int_positions")
                .hasMessageContaining("'_mds_commit' is integer")
                .hasMessageNotContaining("'_mds_change'");
        assertThatTable(ds, "raw.int_positions").isEmpty();
    }

    @Test
    void batchColumnsTheLoadCannotWriteAreRefusedNamingThemBeforeAnythingIsWritten(DataSource ds) throws Exception {
        // a stored generated column failed the COPY with "column g is a generated column" and no table; a non-key
        // 'generated always as identity' column loaded once by COPY into the empty table, then failed every MERGE
        // with "column id can only be updated to DEFAULT"
        sql(ds, "create schema if not exists raw",
                "create table raw.gen_col (k bigint primary key, v int, g int generated always as (v * 2) stored)",
                "create table raw.ident_col (k bigint primary key, id bigint generated always as identity, v text)",
                "create table raw.ident_col_append (k bigint, id bigint generated always as identity, v text)");
        Schema gen = Schema.builder().required("k", FieldType.LONG).add("v", FieldType.INT).add("g", FieldType.INT).build();
        for (SyncMode mode : List.of(SyncMode.MERGE, SyncMode.APPEND)) {
            assertThatThrownBy(() -> MergeLoader.into(ds, "raw.gen_col").mode(mode).key("k").build()
                    .load(RecordBatch.of(gen, List.of(Record.of(1L, 1, 2)))))
                    .isInstanceOf(SchemaMismatchException.class)
                    .hasMessageContaining("raw.gen_col")
                    .hasMessageContaining("'g' is a generated column");
        }
        assertThatTable(ds, "raw.gen_col").isEmpty();

        Schema ident = Schema.builder().required("k", FieldType.LONG).add("id", FieldType.LONG).add("v", FieldType.STRING)
                .build();
        assertThatThrownBy(() -> MergeLoader.into(ds, "raw.ident_col").key("k").build()
                .load(RecordBatch.of(ident, List.of(Record.of(1L, 10L, "a")))))
                .isInstanceOf(SchemaMismatchException.class)
                .hasMessageContaining("raw.ident_col")
                .hasMessageContaining("'id' is 'generated always as identity' and not a key column");
        assertThatTable(ds, "raw.ident_col").isEmpty();
        // APPEND only COPYs, which stores the given values
        MergeLoader.into(ds, "raw.ident_col_append").mode(SyncMode.APPEND).build()
                .load(RecordBatch.of(ident, List.of(Record.of(1L, 10L, "a"))));
        assertThatTable(ds, "raw.ident_col_append").columns("k", "id", "v").containsExactlyInAnyOrder(row(1, 10, "a"));
    }

    // ------------------------------------------------------------------------------------------ hostile names

    @Test
    void columnsDifferingOnlyInCaseReservedWordsAndTheAliasesOfTheGeneratedSql(DataSource ds) throws Exception {
        TableName table = TableName.of("Raw Data", "Order.Items");
        Schema schema = Schema.builder().required("Id", FieldType.LONG).required("id", FieldType.LONG)
                .add("t", FieldType.STRING).add("s", FieldType.STRING).add("user", FieldType.STRING)
                .add("excluded", FieldType.STRING).add("where x = 1", FieldType.STRING).build();
        MergeLoader loader = MergeLoader.into(ds, table).key("Id", "id").loadTimestamp("Load Time").onBadRow(OnBadRow.DEAD_LETTER).build();
        LoadResult r = loader.load(RecordBatch.of(schema, List.of(Record.of(1L, 2L, "t1", "s1", "u", "e", "w"),
                Record.of(2L, 1L, "t2", "s2", "u", "e", "w"), Record.of(null, 1L, "bad", "bad", "bad", "bad", "bad"))));
        assertThat(r.inserted()).isEqualTo(2);
        assertThat(r.rejected()).isEqualTo(1);
        r = loader.load(RecordBatch.of(schema, List.of(Record.of(1L, 2L, "t1", "s1", "u", "e", "w"),
                Record.of(2L, 1L, "T2", "s2", "u", "e", "w"), Record.of(3L, 3L, "t3", "s3", "u", "e", "w"))));
        assertThat(r.inserted()).isEqualTo(1);
        assertThat(r.updated()).isEqualTo(1);
        assertThat(r.unchanged()).isEqualTo(1);
        assertThatTable(ds, table).columns("Id", "id", "t", "s").containsExactlyInAnyOrder(row(1, 2, "t1", "s1"), row(2, 1, "T2", "s2"),
                row(3, 3, "t3", "s3"));
        assertThatTable(ds, TableName.of("Raw Data", "Order.Items_rejected")).column("key").containsOnly("Id=NULL, id=1");
        assertThat(text(ds, "select count(*) from \"Raw Data\".\"Order.Items\" where \"Load Time\" is not null")).isEqualTo("3");
    }

    @Test
    void aRoleThatMayCreateTablesOnlyInTheTargetsSchemaCreatesTheTargetAndItsBookkeepingTables(TestDatabase db) {
        // CREATE on the schema, not on the database (the usual grant to a loading role): before, every first load
        // failed with 'permission denied for database', since PostgreSQL checks "create schema if not exists"
        // against the database's privilege before it looks for the schema
        sql(db.dataSource(), "do $$ begin create role mds_schema_loader login password 'loader';"
                        + " exception when duplicate_object then null; end $$",
                "create schema if not exists raw", "grant usage, create on schema raw to mds_schema_loader");
        DataSource loader = new RowLevelSecurityTest.RoleDataSource(db.jdbcUrl(), "mds_schema_loader", "loader");
        Schema schema = Schema.builder().required("id", FieldType.LONG).add("v", FieldType.STRING).build();
        MergeLoader merge = MergeLoader.into(loader, "raw.granted_merge").key("id").onBadRow(OnBadRow.DEAD_LETTER).build();
        // shown as it runs: the table's creation, not the existing schema's
        assertThat(merge.sql(schema)).anyMatch(s -> s.startsWith("create table")).noneMatch(s -> s.startsWith("create schema"));
        LoadResult r = merge
                .load(RecordBatch.of(schema, List.of(Record.of(1L, "one"), Record.of(null, "no key"))));
        assertThat(r.inserted()).as(r.toString()).isEqualTo(1);
        assertThat(r.rejected()).as(r.toString()).isEqualTo(1);
        TableName src = TableName.of("app", "t");
        r = MergeLoader.into(loader, "raw.granted_cdc").mode(SyncMode.CDC).build().load(new ChangeBatch(src, schema,
                List.of("id"), List.of(ChangeEvent.create(src, Record.of(1L), Record.of(1L, "one"), new EventPosition(1, 1), T),
                        ChangeEvent.delete(src, Record.of(1L), new EventPosition(2, 2), T)),
                Optional.empty()));
        assertThat(r.deleted()).as(r.toString()).isZero();
        assertThatTable(db.dataSource(), "raw.granted_merge").columns("id", "v").containsExactlyInAnyOrder(row(1, "one"));
        assertThatTable(db.dataSource(), "raw.granted_merge_rejected").hasRowCount(1);
        assertThatTable(db.dataSource(), "raw.granted_cdc").isEmpty();
        assertThatTable(db.dataSource(), "raw.granted_cdc_mds_tombstones").hasRowCount(1);
    }

    @Test
    void aRoleThatMayOnlyWriteTheTablesMadeForItSetsRowsAsideAndAppliesTruncates(TestDatabase db) {
        // the target, its dead-letter and truncate tables made beforehand, the role granted DML on them only: before,
        // a load with a bad row failed with 'permission denied for schema raw' (and a CDC truncate too), since
        // PostgreSQL checks "create table if not exists" against the schema's CREATE privilege before it looks for
        // the table
        Schema schema = Schema.builder().required("id", FieldType.LONG).add("v", FieldType.STRING).build();
        TableName src = TableName.of("app", "t");
        java.util.function.Function<DataSource, MergeLoader> merge = ds -> MergeLoader.into(ds, "raw.dml_merge").key("id")
                .onBadRow(OnBadRow.DEAD_LETTER).build();
        java.util.function.Function<DataSource, MergeLoader> cdc = ds -> MergeLoader.into(ds, "raw.dml_cdc")
                .mode(SyncMode.CDC).build();
        java.util.function.Function<Long, ChangeBatch> truncateAndInsert = lsn -> new ChangeBatch(src, schema, List.of("id"),
                List.of(ChangeEvent.truncate(src, new EventPosition(lsn, lsn), T), ChangeEvent.create(src, Record.of(lsn),
                        Record.of(lsn, "after"), new EventPosition(lsn, lsn + 1), T)), Optional.empty());
        merge.apply(db.dataSource()).load(RecordBatch.of(schema, List.of(Record.of(1L, "one"), Record.of(null, "no key"))));
        cdc.apply(db.dataSource()).load(truncateAndInsert.apply(10L));
        sql(db.dataSource(), "do $$ begin create role mds_dml_loader login password 'loader';"
                        + " exception when duplicate_object then null; end $$",
                "grant usage on schema raw to mds_dml_loader",
                "grant select, insert, update, delete on raw.dml_merge, raw.dml_merge_rejected, raw.dml_cdc,"
                        + " raw.dml_cdc_mds_truncated to mds_dml_loader");
        DataSource loader = new RowLevelSecurityTest.RoleDataSource(db.jdbcUrl(), "mds_dml_loader", "loader");
        LoadResult r = merge.apply(loader).load(RecordBatch.of(schema, List.of(Record.of(2L, "two"), Record.of(null, "none"))));
        assertThat(r.inserted()).as(r.toString()).isEqualTo(1);
        assertThat(r.rejected()).as(r.toString()).isEqualTo(1);
        r = cdc.apply(loader).load(truncateAndInsert.apply(20L));
        assertThat(r.deleted()).as(r.toString()).isEqualTo(1);
        assertThatTable(db.dataSource(), "raw.dml_merge_rejected").hasRowCount(2);
        assertThatTable(db.dataSource(), "raw.dml_cdc").columns("id", "v").containsExactlyInAnyOrder(row(20, "after"));
    }

    // ------------------------------------------------------------------------------------------ schema drift

    @Test
    void aTypeChangeAtTheSourceIsAClearErrorNamingTheColumnAndNothingLoads(DataSource ds) throws Exception {
        Schema v1 = Schema.builder().required("id", FieldType.LONG).add("score", FieldType.INT).build();
        MergeLoader loader = MergeLoader.into(ds, "raw.drift_type").key("id").onSchemaChange(SchemaChange.ADD_COLUMNS).build();
        loader.load(RecordBatch.of(v1, List.of(Record.of(1L, 5))));
        Schema v2 = Schema.builder().required("id", FieldType.LONG).add("score", FieldType.TIMESTAMPTZ)
                .add("extra", FieldType.STRING).build();
        assertThatThrownBy(() -> loader.load(RecordBatch.of(v2, List.of(Record.of(1L, T, "x")))))
                .isInstanceOfSatisfying(SchemaMismatchException.class, e -> {
                    assertThat(e.columns()).containsExactly("score");
                    assertThat(e.getMessage()).contains("raw.drift_type", "score");
                });
        // the new column of the refused batch was not added either
        assertThat(text(ds, "select count(*) from information_schema.columns where table_schema = 'raw'"
                + " and table_name = 'drift_type'")).isEqualTo("2");
    }

    @Test
    void cdcColumnDroppedAtTheSourceKeepsTheTargetsValues(DataSource ds) {
        TableName src = TableName.of("app", "people");
        Schema v1 = Schema.builder().required("id", FieldType.LONG).add("name", FieldType.STRING).add("phone", FieldType.STRING).build();
        Schema v2 = Schema.builder().required("id", FieldType.LONG).add("name", FieldType.STRING).build();
        MergeLoader loader = MergeLoader.into(ds, "raw.people").mode(SyncMode.CDC).build();
        loader.load(new ChangeBatch(src, v1, List.of("id"), List.of(
                ChangeEvent.create(src, Record.of(1L), Record.of(1L, "a", "555"), new EventPosition(10, 10), T)), Optional.empty()));
        LoadResult r = loader.load(new ChangeBatch(src, v2, List.of("id"), List.of(
                ChangeEvent.update(src, Record.of(1L), Record.of(1L, "a2"), new EventPosition(20, 20), T),
                ChangeEvent.create(src, Record.of(2L), Record.of(2L, "b"), new EventPosition(21, 21), T)), Optional.empty()));
        assertThat(r.updated()).isEqualTo(1);
        assertThat(r.inserted()).isEqualTo(1);
        assertThatTable(ds, "raw.people").columns("id", "name", "phone").containsExactlyInAnyOrder(row(1, "a2", "555"), row(2, "b", null));
    }

    // ------------------------------------------------------------------------------------------ CDC ordering

    @Test
    void cdcEventsOfSeveralCommitsAreOrderedByCommitThenChange(DataSource ds) {
        // a change LSN of a later commit can be lower than one of an earlier commit (interleaved transactions):
        // the commit position decides, within one batch and against what the target holds
        TableName src = TableName.of("app", "acct");
        Schema schema = Schema.builder().required("id", FieldType.LONG).add("v", FieldType.STRING).build();
        MergeLoader loader = MergeLoader.into(ds, "raw.acct").mode(SyncMode.CDC).build();
        LoadResult r = loader.load(new ChangeBatch(src, schema, List.of("id"), List.of(
                ChangeEvent.create(src, Record.of(1L), Record.of(1L, "commit 100"), new EventPosition(100, 190), T),
                ChangeEvent.update(src, Record.of(1L), Record.of(1L, "commit 200"), new EventPosition(200, 150), T),
                ChangeEvent.delete(src, Record.of(2L), new EventPosition(200, 160), T),
                ChangeEvent.create(src, Record.of(2L), Record.of(2L, "created before its delete"), new EventPosition(100, 195), T)),
                Optional.empty()));
        // key 1: its insert (commit 100) then its update (commit 200) fold to one insert; key 2 ends deleted
        assertThat(r.inserted()).as(r.toString()).isEqualTo(1);
        assertThat(r.unchanged()).as(r.toString()).isEqualTo(1);
        assertThatTable(ds, "raw.acct").columns("id", "v", "_mds_commit", "_mds_change")
                .containsExactlyInAnyOrder(row(1, "commit 200", 200, 150));
        // a replay of commit 100 (higher change LSN, older commit) changes nothing, nor brings key 2 back
        r = loader.load(new ChangeBatch(src, schema, List.of("id"), List.of(
                ChangeEvent.update(src, Record.of(1L), Record.of(1L, "commit 100 again"), new EventPosition(100, 199), T),
                ChangeEvent.create(src, Record.of(2L), Record.of(2L, "replayed"), new EventPosition(100, 195), T)), Optional.empty()));
        assertThat(r.changed()).as(r.toString()).isZero();
        assertThatTable(ds, "raw.acct").columns("id", "v").containsExactlyInAnyOrder(row(1, "commit 200"));
    }

    @Test
    void cdcDeleteThenReinsertThenDeleteAcrossBatchesEndsDeletedAndReplaysStayOut(DataSource ds) {
        TableName src = TableName.of("app", "flip");
        Schema schema = Schema.builder().required("id", FieldType.LONG).add("v", FieldType.STRING).build();
        MergeLoader loader = MergeLoader.into(ds, "raw.flip").mode(SyncMode.CDC).deleteMode(DeleteMode.SOFT).build();
        List<ChangeEvent> all = List.of(
                ChangeEvent.create(src, Record.of(1L), Record.of(1L, "a"), new EventPosition(10, 10), T),
                ChangeEvent.delete(src, Record.of(1L), new EventPosition(20, 20), T.plusSeconds(20)),
                ChangeEvent.create(src, Record.of(1L), Record.of(1L, "b"), new EventPosition(30, 30), T),
                ChangeEvent.delete(src, Record.of(1L), new EventPosition(40, 40), T.plusSeconds(40)));
        for (ChangeEvent e : all) {
            loader.load(new ChangeBatch(src, schema, List.of("id"), List.of(e), Optional.empty()));
        }
        assertThatTable(ds, "raw.flip").columns("id", "v", "_deleted_at").containsExactlyInAnyOrder(row(1, "b", T.plusSeconds(40)));
        // the whole history delivered again in one batch, out of order: still deleted at 40
        LoadResult r = loader.load(new ChangeBatch(src, schema, List.of("id"), List.of(all.get(2), all.get(0), all.get(3), all.get(1)),
                Optional.empty()));
        assertThat(r.changed()).as(r.toString()).isZero();
        assertThatTable(ds, "raw.flip").columns("id", "v", "_deleted_at").containsExactlyInAnyOrder(row(1, "b", T.plusSeconds(40)));
    }

    // ------------------------------------------------------------------------------------------ modes, sizes

    @Test
    void duplicateKeysInAnOverwriteBatchAreCollapsedAsInMerge(DataSource ds) throws Exception {
        Schema schema = Schema.builder().required("id", FieldType.LONG).add("v", FieldType.STRING).add("ver", FieldType.LONG).build();
        MergeLoader loader = MergeLoader.into(ds, "raw.ow_dupes").mode(SyncMode.OVERWRITE).key("id").build();
        loader.load(RecordBatch.of(schema, List.of(Record.of(9L, "old", 1L))));
        LoadResult r = loader.load(RecordBatch.of(schema, List.of(Record.of(1L, "first", 1L), Record.of(2L, "x", 1L),
                Record.of(1L, "second", 2L))));
        assertThat(r.inserted()).isEqualTo(2);
        assertThat(r.deleted()).isEqualTo(1);
        assertThatTable(ds, "raw.ow_dupes").columns("id", "v").containsExactlyInAnyOrder(row(1, "second"), row(2, "x"));
    }

    @Test
    void emptyBatchesChangeNothingInMergeAppendAndCdcAndCreateTheTable(DataSource ds) throws Exception {
        Schema schema = Schema.builder().required("id", FieldType.LONG).add("v", FieldType.STRING).build();
        MergeLoader merge = MergeLoader.into(ds, "raw.empty_merge").key("id").loadTimestamp("lt").build();
        LoadResult r = merge.load(RecordBatch.of(schema, List.of()));
        assertThat(r.changed() + r.unchanged()).isZero();
        assertThatTable(ds, "raw.empty_merge").exists().hasRowCount(0);
        merge.load(RecordBatch.of(schema, List.of(Record.of(1L, "a"))));
        r = merge.load(RecordBatch.of(schema, List.of()));
        assertThat(r.changed() + r.unchanged()).isZero();
        assertThatTable(ds, "raw.empty_merge").columns("id", "v").containsExactlyInAnyOrder(row(1, "a"));

        MergeLoader append = MergeLoader.into(ds, "raw.empty_append").mode(SyncMode.APPEND).build();
        assertThat(append.load(RecordBatch.of(schema, List.of())).changed()).isZero();
        assertThatTable(ds, "raw.empty_append").exists().hasRowCount(0);

        TableName src = TableName.of("app", "nothing");
        MergeLoader cdc = MergeLoader.into(ds, "raw.empty_cdc").mode(SyncMode.CDC).build();
        cdc.load(new ChangeBatch(src, schema, List.of("id"), List.of(
                ChangeEvent.create(src, Record.of(1L), Record.of(1L, "a"), new EventPosition(1, 1), T)), Optional.empty()));
        r = cdc.load(new ChangeBatch(src, schema, List.of("id"), List.of(), Optional.empty()));
        assertThat(r.changed() + r.unchanged()).isZero();
        assertThatTable(ds, "raw.empty_cdc").columns("id", "v").containsExactlyInAnyOrder(row(1, "a"));
    }

    @Test
    void veryWideRowsMergeAndCompareEveryColumn(DataSource ds) throws Exception {
        int width = 600;
        Schema.Builder b = Schema.builder().required("id", FieldType.LONG);
        for (int i = 1; i < width; i++) {
            b.add("c" + i, i % 3 == 0 ? FieldType.LONG : FieldType.STRING);
        }
        Schema schema = b.build();
        List<Record> records = new ArrayList<>();
        for (long id = 1; id <= 20; id++) {
            Object[] v = new Object[width];
            v[0] = id;
            for (int i = 1; i < width; i++) {
                v[i] = i % 3 == 0 ? (Object) (id * i) : (i == 7 ? "x".repeat(20_000) : "v" + i);
            }
            records.add(Record.of(v));
        }
        MergeLoader loader = MergeLoader.into(ds, "raw.wide").key("id").loadTimestamp("lt").build();
        assertThat(loader.load(RecordBatch.of(schema, records)).inserted()).isEqualTo(20);
        List<Record> changed = new ArrayList<>(records);
        changed.set(4, records.get(4).with(width - 1, "last column changed"));
        LoadResult r = loader.load(RecordBatch.of(schema, changed));
        assertThat(r.updated()).as(r.toString()).isEqualTo(1);
        assertThat(r.unchanged()).as(r.toString()).isEqualTo(19);
        assertThat(text(ds, "select c" + (width - 1) + " from raw.wide where id = 5")).isEqualTo("last column changed");
        assertThat(text(ds, "select length(c7) from raw.wide where id = 20")).isEqualTo("20000");
    }

    @Test
    void aBadValueDeepInABatchIntoAnEmptyTableNamesItsRecordAndLeavesNoTableBehind(DataSource ds) throws Exception {
        Schema schema = Schema.builder().required("id", FieldType.LONG).add("amount", FieldType.decimal(5, 2)).build();
        List<Record> records = new ArrayList<>();
        for (long i = 1; i <= 5000; i++) {
            records.add(Record.of(i, i == 4321 ? new BigDecimal("12345.6") : new BigDecimal("1.25")));
        }
        MergeLoader loader = MergeLoader.into(ds, "raw.deep_bad").key("id").build();
        assertThatThrownBy(() -> loader.load(RecordBatch.of(schema, records)))
                .isInstanceOfSatisfying(BadInputException.class, e -> {
                    assertThat(e.location().recordNumber()).hasValue(4321);
                    assertThat(e.location().key()).hasValue("id=4321");
                    assertThat(e.location().column()).hasValue("amount");
                    assertThat(e.getMessage()).contains("raw.deep_bad");
                });
        assertThatTable(ds, "raw.deep_bad").doesNotExist();
    }
}
