package dev.mds.vault;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.Field;
import dev.mds.core.FieldType;
import dev.mds.core.MdsException;
import dev.mds.core.Schema;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestDatabase;
import dev.mds.testing.TableFixture;
import dev.mds.testing.Row;
import java.math.BigDecimal;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

@MdsPostgres
class HashStandardTest {
    private static final HexFormat HEX = HexFormat.of().withUpperCase();

    private static String hex(byte[] b) {
        return b == null ? null : HEX.formatHex(b);
    }

    @Test
    void automateDvStandardGivesTheKnownAutomateDvValuesInSqlAndJava(DataSource ds) throws Exception {
        TableFixture.on(ds, "raw.keys").columns("id int", "k text", "a text", "b text", "c text", "d text", "ld timestamptz")
                .rows(Row.row(1, "1001", null, null, null, null, OffsetDateTime.parse("2024-01-01T00:00:00Z")),
                        Row.row(2, " 1000 ", "", "  ", null, null, OffsetDateTime.parse("2024-01-01T00:00:00Z")),
                        Row.row(3, "", "x", null, null, null, OffsetDateTime.parse("2024-01-01T00:00:00Z")));
        Vault vault = Vault.on(ds).standard(HashStandard.AUTOMATEDV);
        vault.createStage(Stage.of("raw.keys").into("stg.keys").loadDate("ld")
                .hashKey("hk", "k").hashKey("ck", "c", "d").hashDiff("hd", "d", "c", "b", "a"));
        List<String[]> rows = query(ds, "select hk, ck, hd from stg.keys order by id", 3);
        assertThat(rows.get(0)[0]).isEqualTo("B8C37E33DEFDE51CF91E1E03E51657DA");
        assertThat(rows.get(1)[0]).isEqualTo("A9B7BA70783B617E9998DC4DD82EB3C5");      // trimmed
        assertThat(rows.get(2)[0]).isNull();                                            // empty single key
        assertThat(rows.get(0)[1]).isNull();                                            // composite all NULL
        assertThat(rows.get(0)[2]).isEqualTo("889D3256EAF8CEC0209F1FB105142881");      // ^^||^^||^^||^^
        assertThat(rows.get(1)[2]).isEqualTo("889D3256EAF8CEC0209F1FB105142881");      // '' and '  ' count as NULL

        Hasher key = vault.hasher(Schema.of(Field.of("k", FieldType.STRING)));
        assertThat(hex(key.hashKey("1001").orElseThrow())).isEqualTo("B8C37E33DEFDE51CF91E1E03E51657DA");
        assertThat(hex(key.hashKey(1000L == 1000L ? " 1000" : "").orElseThrow())).isEqualTo("A9B7BA70783B617E9998DC4DD82EB3C5");
        assertThat(key.hashKey("")).isEmpty();
        Schema four = Schema.of(Field.of("a", FieldType.STRING), Field.of("b", FieldType.STRING),
                Field.of("c", FieldType.STRING), Field.of("d", FieldType.STRING));
        assertThat(hex(vault.hasher(four).hashDiff(null, null, null, null))).isEqualTo("889D3256EAF8CEC0209F1FB105142881");
        assertThat(vault.hasher(four).hashKey(null, "", null, null)).isEmpty();
    }

    @Test
    void automateDvJavaHasherMatchesSqlForSessionIndependentTypes(DataSource ds) throws Exception {
        Schema schema = Schema.builder().add("s", FieldType.STRING).add("i", FieldType.LONG)
                .add("m", FieldType.decimal(12, 2)).add("f", FieldType.BOOLEAN).add("u", FieldType.UUID).build();
        SplittableRandom r = new SplittableRandom(7);
        List<Object[]> rows = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            // no backslashes: AutomateDV's SHA-256 input is CAST(text AS BYTEA), which fails on them
            rows.add(new Object[] {r.nextInt(5) == 0 ? null : randomString(r).replace('\\', '/'), r.nextInt(5) == 0 ? null : r.nextLong(),
                    r.nextInt(5) == 0 ? null : BigDecimal.valueOf(r.nextLong(-10_000_000, 10_000_000), r.nextInt(0, 3)),
                    r.nextInt(5) == 0 ? null : r.nextBoolean(), r.nextInt(5) == 0 ? null : new UUID(r.nextLong(), r.nextLong())});
        }
        insert(ds, "raw.adv", "s text, i bigint, m numeric(12,2), f boolean, u uuid", rows);
        for (HashAlgorithm alg : HashAlgorithm.values()) {
            Vault vault = Vault.on(ds).standard(HashStandard.AUTOMATEDV).algorithm(alg);
            vault.createStage(Stage.of("raw.adv").into("stg.adv").loadDate("ld")
                    .hashKey("hk", "s", "i").hashDiff("hd", "u", "s", "i", "m", "f"));
            Hasher key = vault.hasher(schema.select(List.of("s", "i")));
            Hasher diff = vault.hasher(schema);
            List<String[]> sql = query(ds, "select hk, hd from stg.adv order by id", 2);
            for (int i = 0; i < rows.size(); i++) {
                Object[] v = rows.get(i);
                assertThat(sql.get(i)[0]).as("key row %d", i).isEqualTo(key.hashKey(v[0], v[1]).map(HashStandardTest::hex).orElse(null));
                assertThat(sql.get(i)[1]).as("diff row %d", i).isEqualTo(hex(diff.hashDiff(v)));
            }
        }
    }

    /** PostgreSQL's upper() follows the database's LC_CTYPE; the Java Hasher a vault hands out follows it too. */
    @Test
    void automateDvJavaHasherUpperCasesAsTheDatabaseDoes(TestDatabase db) throws Exception {
        Schema schema = Schema.of(Field.of("s", FieldType.STRING));
        List<Object[]> rows = List.<Object[]>of(new Object[] {"ça été"}, new Object[] {"straße"}, new Object[] {"plain ascii"});
        String cName = db.name() + "_ctype_c";
        try (com.zaxxer.hikari.HikariDataSource unicode = db.newDataSource(2)) {
            try (Connection c = unicode.getConnection(); Statement st = c.createStatement()) {
                st.execute("create database " + cName + " template template0 encoding 'UTF8' lc_ctype 'C' lc_collate 'C'");
            }
            try (com.zaxxer.hikari.HikariDataSource ascii = db.server().dataSource(cName, 2)) {
                List<List<String>> byDatabase = new ArrayList<>();
                for (DataSource ds : List.<DataSource>of(unicode, ascii)) {
                    insert(ds, "raw.ctype", "s text", rows);
                    Vault vault = Vault.on(ds).standard(HashStandard.AUTOMATEDV);
                    vault.createStage(Stage.of("raw.ctype").into("stg.ctype").loadDate("ld").hashKey("hk", "s"));
                    Hasher java = vault.hasher(schema);
                    List<String> sql = query(ds, "select hk from stg.ctype order by id", 1).stream().map(r -> r[0]).toList();
                    for (int i = 0; i < rows.size(); i++) {
                        assertThat(sql.get(i)).as("row %d", i).isEqualTo(hex(java.hashKey(rows.get(i)).orElseThrow()));
                    }
                    byDatabase.add(sql);
                }
                // 'ça été' is upper-cased differently (only ASCII letters under C); in 'straße' ß stays ß either way
                assertThat(byDatabase.get(0).get(0)).isNotEqualTo(byDatabase.get(1).get(0));
                assertThat(byDatabase.get(0).subList(1, 3)).isEqualTo(byDatabase.get(1).subList(1, 3));
            }
        } finally {
            db.server().dropDatabase(cName);
        }
    }

    /**
     * Under ICU, PostgreSQL's upper() maps by full case mapping in the database's ICU locale (straße becomes STRASSE,
     * the ligature ﬁ FI, and in Turkish i becomes İ); the Java Hasher a vault hands out maps as the database does.
     */
    @Test
    void automateDvJavaHasherUpperCasesAsAnIcuDatabaseDoes(TestDatabase db) throws Exception {
        Schema schema = Schema.of(Field.of("s", FieldType.STRING));
        List<Object[]> rows = List.<Object[]>of(new Object[] {"straße"}, new Object[] {"ﬁle"}, new Object[] {"ŉ istanbul"},
                new Object[] {"plain ascii"});
        for (String icuLocale : List.of("und", "tr-TR")) {
            String name = db.name() + "_icu_" + icuLocale.replace('-', '_').toLowerCase(java.util.Locale.ROOT);
            try (com.zaxxer.hikari.HikariDataSource admin = db.newDataSource(2)) {
                try (Connection c = admin.getConnection(); Statement st = c.createStatement()) {
                    st.execute("create database " + name + " template template0 encoding 'UTF8' locale_provider icu"
                            + " icu_locale '" + icuLocale + "' lc_ctype 'C' lc_collate 'C'");
                }
                try (com.zaxxer.hikari.HikariDataSource ds = db.server().dataSource(name, 2)) {
                    insert(ds, "raw.icu", "s text", rows);
                    Vault vault = Vault.on(ds).standard(HashStandard.AUTOMATEDV);
                    vault.createStage(Stage.of("raw.icu").into("stg.icu").loadDate("ld").hashKey("hk", "s").hashDiff("hd", "s", "id"));
                    Hasher key = vault.hasher(schema);
                    Hasher diff = vault.hasher(Schema.of(Field.of("s", FieldType.STRING), Field.of("id", FieldType.INT)));
                    List<String[]> sql = query(ds, "select hk, hd from stg.icu order by id", 2);
                    for (int i = 0; i < rows.size(); i++) {
                        assertThat(sql.get(i)[0]).as("%s key of %s", icuLocale, rows.get(i)[0])
                                .isEqualTo(hex(key.hashKey(rows.get(i)).orElseThrow()));
                        assertThat(sql.get(i)[1]).as("%s hashdiff of %s", icuLocale, rows.get(i)[0])
                                .isEqualTo(hex(diff.hashDiff(rows.get(i)[0], i)));
                    }
                    assertThat(query(ds, "select upper(s) from raw.icu where id = 0", 1).get(0)[0]).isEqualTo("STRASSE");
                }
            } finally {
                db.server().dropDatabase(name);
            }
        }
    }

    @Test
    void canonicalJavaHasherMatchesSqlOnTenThousandRowsUnderAnySessionSettings(DataSource ds) throws Exception {
        Schema schema = Schema.builder().add("s", FieldType.STRING).add("n", FieldType.INT).add("l", FieldType.LONG)
                .add("m", FieldType.DECIMAL).add("x", FieldType.DOUBLE).add("b", FieldType.BOOLEAN)
                .add("d", FieldType.DATE).add("t", FieldType.TIME).add("ts", FieldType.TIMESTAMP)
                .add("tz", FieldType.TIMESTAMPTZ).add("by", FieldType.BYTES).add("u", FieldType.UUID)
                .add("sa", FieldType.arrayOf(FieldType.STRING)).add("la", FieldType.arrayOf(FieldType.LONG)).build();
        SplittableRandom r = new SplittableRandom(42);
        List<Object[]> rows = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            rows.add(randomRow(r));
        }
        insert(ds, "raw.all_types", "s text, n int, l bigint, m numeric, x double precision, b boolean, d date,"
                + " t time, ts timestamp, tz timestamptz, by bytea, u uuid, sa text[], la bigint[]", rows);
        for (HashAlgorithm alg : HashAlgorithm.values()) {
            for (boolean emptyAsNull : alg == HashAlgorithm.MD5 ? new boolean[] {false, true} : new boolean[] {false}) {
                Vault vault = Vault.on(ds).algorithm(alg).emptyStringAsNull(emptyAsNull);
                vault.createStage(Stage.of("raw.all_types").into("stg.all_types").loadDate("ld")
                        .hashKey("hk", "s", "n").hashDiff("hd", schema.names().toArray(String[]::new)));
                Hasher key = vault.hasher(schema.select(List.of("s", "n")));
                Hasher diff = vault.hasher(schema);
                List<String> expectedKeys = new ArrayList<>();
                List<String> expectedDiffs = new ArrayList<>();
                for (Object[] v : rows) {
                    expectedKeys.add(key.hashKey(v[0], v[1]).map(HashStandardTest::hex).orElse(null));
                    expectedDiffs.add(hex(diff.hashDiff(v)));
                }
                String[][] sessions = {
                    {"UTC", "ISO, MDY", "1"}, {"Pacific/Chatham", "SQL, DMY", "0"}, {"America/St_Johns", "German", "-3"},
                    {"Asia/Kathmandu", "Postgres, YMD", "3"}};
                for (String[] s : sessions) {
                    List<String[]> sql;
                    // pgjdbc refuses a session DateStyle other than ISO, so the settings apply inside a function
                    try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
                        st.execute("create or replace function pg_temp.hashes() returns table(id int, hk bytea, hd bytea)"
                                + " language sql set timezone = '" + s[0] + "' set datestyle = '" + s[1] + "'"
                                + " set extra_float_digits = " + s[2] + " set bytea_output = 'escape'"
                                + " as $$ select id, hk, hd from stg.all_types $$");
                        sql = query(c, "select hk, hd, current_setting('timezone') from pg_temp.hashes() order by id", 2);
                        assertThat(query(c, "select current_setting('datestyle') from pg_temp.hashes() limit 1", 1)).isNotEmpty();
                    }
                    for (int i = 0; i < rows.size(); i++) {
                        assertThat(sql.get(i)[0]).as("%s key of row %d under %s", alg, i, String.join("/", s)).isEqualTo(expectedKeys.get(i));
                        assertThat(sql.get(i)[1]).as("%s hashdiff of row %d under %s", alg, i, String.join("/", s)).isEqualTo(expectedDiffs.get(i));
                    }
                }
            }
        }
    }

    /**
     * 'infinity' and '-infinity' (a common valid_to) hash in SQL as tokens of their own, also inside arrays, and
     * the Java Hasher gives the same bytes for the values pgjdbc reads back (LocalDate/LocalDateTime/OffsetDateTime
     * MAX and MIN); a stage holding them loads.
     */
    @Test
    void canonicalHashesInfiniteDatesAndTimestampsAsTheJavaHasherDoesTheValuesJdbcReads(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("create schema raw_inf");
            st.execute("create table raw_inf.c (id int, d date, ts timestamp, tz timestamptz, da date[],"
                    + " ld timestamptz default '2024-01-01T00:00:00Z')");
            st.execute("insert into raw_inf.c (id, d, ts, tz, da) values"
                    + " (1, 'infinity', 'infinity', 'infinity', '{infinity,-infinity,2024-01-01}'),"
                    + " (2, '-infinity', '-infinity', '-infinity', null),"
                    + " (3, '2024-01-01', '2024-01-01 00:00', '2024-01-01T00:00:00Z', '{}')");
        }
        Vault vault = Vault.on(ds);
        Stage stage = Stage.of("raw_inf.c").into("stg_inf.c").loadDate("ld").hashKey("hk", "id")
                .hashDiff("hd", "d", "ts", "tz", "da").hashDiff("hd_d", "d").hashDiff("hd_ts", "ts").hashDiff("hd_tz", "tz");
        vault.createStage(stage);
        Schema schema = Schema.builder().add("d", FieldType.DATE).add("ts", FieldType.TIMESTAMP)
                .add("tz", FieldType.TIMESTAMPTZ).add("da", FieldType.arrayOf(FieldType.DATE)).build();
        Hasher hasher = vault.hasher(schema);
        List<List<Object>> arrays = java.util.Arrays.asList(List.of(LocalDate.MAX, LocalDate.MIN, LocalDate.of(2024, 1, 1)), null, List.of());
        List<Object[]> read = new ArrayList<>();
        List<String[]> sqlHashes = new ArrayList<>();
        try (Connection c = ds.getConnection();
                PreparedStatement ps = c.prepareStatement("select d, ts, tz, hd, hd_d, hd_ts, hd_tz from stg_inf.c order by id");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                read.add(new Object[] {rs.getObject(1, LocalDate.class), rs.getObject(2, LocalDateTime.class),
                    rs.getObject(3, OffsetDateTime.class), arrays.get(read.size())});
                sqlHashes.add(new String[] {hex(rs.getBytes(4)), hex(rs.getBytes(5)), hex(rs.getBytes(6)), hex(rs.getBytes(7))});
            }
        }
        assertThat(read.get(0)).startsWith(LocalDate.MAX, LocalDateTime.MAX, OffsetDateTime.MAX);     // what pgjdbc reads
        assertThat(read.get(1)).startsWith(LocalDate.MIN, LocalDateTime.MIN, OffsetDateTime.MIN);
        for (int i = 0; i < read.size(); i++) {
            assertThat(sqlHashes.get(i)[0]).as("row %d", i + 1).isEqualTo(hex(hasher.hashDiff(read.get(i))));
            assertThat(sqlHashes.get(i)[1]).isEqualTo(hex(vault.hasher(schema.select(List.of("d"))).hashDiff(read.get(i)[0])));
        }
        for (int column = 1; column <= 3; column++) {
            int k = column;
            assertThat(sqlHashes.stream().map(h -> h[k]).distinct()).as("+infinity, -infinity, finite").hasSize(3);
        }
        Satellite sat = vault.satellite("dds_inf.sat_c").parent("hk").hashDiff("hd").payload("d", "ts", "tz", "da").from(stage);
        sat.createTable();
        assertThat(sat.load().rowsInserted()).isEqualTo(3);
        assertThat(sat.load().rowsInserted()).isZero();
    }

    /**
     * PostgreSQL holds every NaN equal, whatever its bits ('NaN' sends 7ff8..., 'Infinity' - 'Infinity' fff8...): the
     * SQL hashes them alike, in double, real and array columns, and like the Java Hasher's NaN.
     */
    @Test
    void canonicalHashOfNaNDoesNotDependOnItsBits(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("create schema raw_nan");
            st.execute("create table raw_nan.m (id int, x float8, r real, xa float8[], ld timestamptz default '2024-01-01T00:00:00Z')");
            st.execute("insert into raw_nan.m (id, x, r, xa) values (1, 'NaN', 'NaN', '{NaN}'),"
                    + " (2, 'Infinity'::float8 - 'Infinity'::float8, 'Infinity'::real - 'Infinity'::real,"
                    + " array['Infinity'::float8 - 'Infinity'::float8])");
        }
        assertThat(query(ds, "select string_agg(encode(float8send(x), 'hex'), ' ' order by id) from raw_nan.m", 1).get(0)[0])
                .as("the NaNs' bits differ").isEqualTo("7ff8000000000000 fff8000000000000");
        Vault vault = Vault.on(ds);
        vault.createStage(Stage.of("raw_nan.m").into("stg_nan.m").loadDate("ld")
                .hashDiff("hd_x", "x").hashDiff("hd_r", "r").hashDiff("hd_xa", "xa"));
        List<String[]> sql = query(ds, "select hd_x, hd_r, hd_xa from stg_nan.m order by id", 3);
        String javaNaN = hex(vault.hasher(Schema.of(Field.of("x", FieldType.DOUBLE))).hashDiff(Double.NaN));
        String javaNaNArray = hex(vault.hasher(Schema.of(Field.of("xa", FieldType.arrayOf(FieldType.DOUBLE))))
                .hashDiff(List.of(Double.longBitsToDouble(0xfff8000000000000L))));
        for (int row = 0; row < 2; row++) {
            assertThat(sql.get(row)[0]).as("double, row %d", row + 1).isEqualTo(javaNaN);
            assertThat(sql.get(row)[1]).as("real, row %d", row + 1).isEqualTo(javaNaN);
            assertThat(sql.get(row)[2]).as("array, row %d", row + 1).isEqualTo(javaNaNArray);
        }
    }

    /**
     * char(n) hashes without its padding, as PostgreSQL compares it (one hash key with a text column holding the
     * same value); pgjdbc reads it padded, and a hasher told which columns are char(n) gives the SQL's bytes.
     */
    @Test
    void canonicalHashOfCharColumnIgnoresPaddingAndMatchesAHasherThatDeclaresIt(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("create schema raw_chr");
            st.execute("create table raw_chr.c (id int, code char(5), name text, codes char(3)[], ld timestamptz default '2024-01-01T00:00:00Z')");
            st.execute("insert into raw_chr.c (id, code, name, codes) values (1, 'ab', 'ab', '{x,yz}'), (2, '', '', '{}')");
        }
        Vault vault = Vault.on(ds);
        vault.createStage(Stage.of("raw_chr.c").into("stg_chr.c").loadDate("ld")
                .hashKey("hk", "code").hashKey("hk_text", "name").hashDiff("hd_codes", "codes"));
        Schema code = Schema.of(Field.of("code", FieldType.STRING));
        Schema codes = Schema.of(Field.of("codes", FieldType.arrayOf(FieldType.STRING)));
        Hasher declared = vault.hasherBuilder(code).charColumns("code").build();
        Hasher declaredArray = vault.hasherBuilder(codes).charColumns("codes").build();
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("select code, codes, hk, hk_text, hd_codes from stg_chr.c order by id")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).as("what pgjdbc reads").isEqualTo("ab   ");
            List<Object> array = List.of((Object[]) rs.getArray(2).getArray());
            assertThat(array).containsExactly("x  ", "yz ");
            assertThat(hex(rs.getBytes(3))).as("char(5) 'ab' and text 'ab'").isEqualTo(hex(rs.getBytes(4)))
                    .isEqualTo(hex(declared.hashKey(rs.getString(1)).orElseThrow()))
                    .isNotEqualTo(hex(vault.hasher(code).hashKey(rs.getString(1)).orElseThrow()));
            assertThat(hex(rs.getBytes(5))).isEqualTo(hex(declaredArray.hashDiff(array)));
            assertThat(rs.next()).isTrue();
            assertThat(hex(rs.getBytes(3))).as("char(5) ''").isEqualTo(hex(declared.hashKey(rs.getString(1)).orElseThrow()))
                    .isEqualTo(hex(rs.getBytes(4)));
        }
        assertThatThrownBy(() -> vault.hasherBuilder(code).charColumns("cdoe")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'cdoe'");
        assertThatThrownBy(() -> Hasher.builder(Schema.of(Field.of("n", FieldType.INT))).charColumns("n"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'n'").hasMessageContaining("not a string");
    }

    @Test
    void canonicalEncodingIsUnambiguousAndNormalisesNumbers() {
        Schema two = Schema.of(Field.of("a", FieldType.STRING), Field.of("b", FieldType.STRING));
        Hasher h = Hasher.builder(two).build();
        assertThat(h.hashDiff("A||B", "C")).isNotEqualTo(h.hashDiff("A", "B||C"));
        assertThat(h.hashDiff("^^", "C")).isNotEqualTo(h.hashDiff(null, "C"));
        assertThat(h.hashDiff("", "C")).isNotEqualTo(h.hashDiff(null, "C"));
        assertThat(h.hashDiff("1:a", null)).isNotEqualTo(h.hashDiff("1", "a"));
        assertThat(Hasher.builder(two).emptyStringAsNull(true).build().hashDiff("", "C"))
                .isEqualTo(Hasher.builder(two).emptyStringAsNull(true).build().hashDiff(null, "C"));
        assertThat(h.hashKey(null, null)).isEmpty();
        assertThat(h.hashKey(null, "x")).isPresent();
        Hasher dec = Hasher.builder(Schema.of(Field.of("m", FieldType.DECIMAL))).build();
        assertThat(dec.hashDiff(new BigDecimal("1.50"))).isEqualTo(dec.hashDiff(new BigDecimal("1.5")));
        assertThat(dec.hashDiff(new BigDecimal("0.000"))).isEqualTo(dec.hashDiff(BigDecimal.ZERO));
        assertThat(h.ghostKey()).hasSize(16).containsOnly(0);
        assertThat(Hasher.builder(two).algorithm(HashAlgorithm.SHA256).build().ghostKey()).hasSize(32).containsOnly(0);
    }

    @Test
    void canonicalSqlTreatsNumericScaleAndEncodingLikeJava(DataSource ds) throws Exception {
        TableFixture.on(ds, "raw.edge").columns("id int", "a text", "b text", "m numeric(12,4)", "ld date")
                .rows(Row.row(1, "A||B", "C", new BigDecimal("1.5000"), LocalDate.of(2024, 1, 1)),
                        Row.row(2, "A", "B||C", new BigDecimal("1.5"), LocalDate.of(2024, 1, 1)),
                        Row.row(3, "back\\slash", null, null, LocalDate.of(2024, 1, 1)));
        Vault vault = Vault.on(ds);
        vault.createStage(Stage.of("raw.edge").into("stg.edge").loadDate("ld").hashDiff("hd", "a", "b").hashDiff("md", "m"));
        List<String[]> rows = query(ds, "select hd, md from stg.edge order by id", 2);
        assertThat(rows.get(0)[0]).isNotEqualTo(rows.get(1)[0]);
        assertThat(rows.get(0)[1]).isEqualTo(rows.get(1)[1]);
        Hasher h = vault.hasher(Schema.of(Field.of("a", FieldType.STRING), Field.of("b", FieldType.STRING)));
        assertThat(rows.get(2)[0]).isEqualTo(hex(h.hashDiff("back\\slash", null)));
    }

    @Test
    void hasherRefusesWhatItCannotReproduce() {
        Schema date = Schema.of(Field.of("booked_on", FieldType.DATE));
        assertThatThrownBy(() -> Hasher.builder(date).standard(HashStandard.AUTOMATEDV).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("booked_on").hasMessageContaining("DateStyle");
        assertThatThrownBy(() -> Hasher.builder(Schema.of(Field.of("doc", FieldType.JSON))).build())
                .hasMessageContaining("doc").hasMessageContaining("jsonb");
        Hasher s = Hasher.builder(Schema.of(Field.of("s", FieldType.STRING))).build();
        assertThatThrownBy(() -> s.hashDiff(42)).hasMessageContaining("'s'").hasMessageContaining("Integer");
        assertThatThrownBy(() -> s.hashDiff("a", "b")).hasMessageContaining("1 values");
        Hasher sha = Hasher.builder(Schema.of(Field.of("s", FieldType.STRING))).standard(HashStandard.AUTOMATEDV)
                .algorithm(HashAlgorithm.SHA256).build();
        assertThatThrownBy(() -> sha.hashDiff("a\\b")).hasMessageContaining("backslash");
    }

    @Test
    void stageNamesTheMissingColumnAndTheUnhashableType(DataSource ds) {
        TableFixture.on(ds, "raw.places").columns("id int", "name text", "loc point", "ld timestamptz").rows();
        Vault vault = Vault.on(ds);
        assertThatThrownBy(() -> vault.createStage(Stage.of("raw.places").into("stg.places").loadDate("ld").hashKey("hk", "nmae")))
                .isInstanceOf(MdsException.class).hasMessageContaining("stage stg.places").hasMessageContaining("'nmae'");
        assertThatThrownBy(() -> vault.createStage(Stage.of("raw.places").into("stg.places").loadDate("ld").hashDiff("hd", "name", "loc")))
                .isInstanceOf(MdsException.class).hasMessageContaining("'loc'").hasMessageContaining("point")
                .hasMessageContaining("cannot be hashed");
        // a derived column's type is named as a source column's (it read "column 'spot' is its type")
        assertThatThrownBy(() -> vault.createStage(Stage.of("raw.places").into("stg.places").loadDate("ld")
                .derived("spot", "point(1, 2)").hashKey("hk", "id", "spot")))
                .isInstanceOf(MdsException.class).hasMessageContaining("stage stg.places: hash column 'hk': column 'spot' is point,"
                        + " which cannot be hashed");
        assertThatThrownBy(() -> vault.createStage(Stage.of("raw.places").into("stg.places").loadDate("ld")
                .derived("spots", "array[loc]").hashDiff("hd", "name", "spots")))
                .isInstanceOf(MdsException.class).hasMessageContaining("hash column 'hd': column 'spots' is point[], which cannot be hashed");
        assertThatThrownBy(() -> vault.createStage(Stage.of("raw.places").into("stg.places").loadDate("name").hashKey("hk", "id")))
                .isInstanceOf(MdsException.class).hasMessageContaining("load date column 'name'");
        assertThatThrownBy(() -> vault.createStage(Stage.of("raw.nowhere").loadDate("ld").hashKey("hk", "id")))
                .isInstanceOf(MdsException.class).hasMessageContaining("raw.nowhere does not exist");
        assertThatTable(ds, "raw.places").isEmpty();
    }

    /**
     * PostgreSQL 15+ allows a negative scale (numeric(5,-2)) and a scale above the precision (numeric(2,5)); their
     * typmod was decoded as a 16-bit scale, so such a column was refused as unhashable. Both standards now hash
     * the stored value as the Java Hasher hashes that value as a plain DECIMAL.
     */
    @Test
    void numericWithANegativeOrLargeScaleHashesItsStoredValueInBothStandards(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            org.junit.jupiter.api.Assumptions.assumeTrue(c.getMetaData().getDatabaseMajorVersion() >= 15,
                    "numeric scales outside 0..precision need PostgreSQL 15");
        }
        TableFixture.on(ds, "raw.scales").columns("id int", "hundreds numeric(5,-2)", "tiny numeric(2,5)", "ld date")
                .rows(Row.row(1, new BigDecimal("12345"), new BigDecimal("0.000123"), LocalDate.of(2024, 1, 1)));
        Schema parts = Schema.of(Field.of("hundreds", FieldType.DECIMAL), Field.of("tiny", FieldType.DECIMAL));
        for (HashStandard standard : HashStandard.values()) {
            Vault vault = Vault.on(ds).standard(standard);
            vault.createStage(Stage.of("raw.scales").into("stg.scales").loadDate("ld").hashDiff("hd", "hundreds", "tiny")
                    .derived("cast_hundreds", "hundreds::numeric(6,-3)").hashKey("hk", "cast_hundreds"));
            String[] row = query(ds, "select hd, hk from stg.scales", 2).get(0);
            assertThat(row[0]).as(standard.toString())
                    .isEqualTo(hex(vault.hasher(parts).hashDiff(new BigDecimal("12300"), new BigDecimal("0.00012"))));
            assertThat(row[1]).as(standard.toString()).isEqualTo(hex(vault.hasher(Schema.of(Field.of("c", FieldType.DECIMAL)))
                    .hashKey(new BigDecimal("12000")).orElseThrow()));
        }
    }

    /**
     * A timetz keeps its offset and CANONICAL hashed it as seconds from midnight UTC (negative for 02:00+05), which
     * the Java Hasher (TIME is a LocalTime) cannot reproduce: CANONICAL refuses it, naming the column and the cast
     * to use; AUTOMATEDV hashes its text, as AutomateDV does.
     */
    @Test
    void canonicalRefusesTimeWithTimeZoneNamingTheColumnAndAutomateDvHashesItsText(DataSource ds) throws Exception {
        TableFixture.on(ds, "raw.shifts").columns("id int", "starts timetz", "ld date")
                .rows(Row.row(1, java.time.OffsetTime.of(2, 0, 0, 0, ZoneOffset.ofHours(5)), LocalDate.of(2024, 1, 1)));
        Vault canonical = Vault.on(ds);
        assertThatThrownBy(() -> canonical.createStage(Stage.of("raw.shifts").into("stg.shifts").loadDate("ld").hashDiff("hd", "id", "starts")))
                .isInstanceOf(MdsException.class).hasMessageContaining("stage stg.shifts").hasMessageContaining("'starts'")
                .hasMessageContaining("time with time zone");
        assertThatThrownBy(() -> canonical.createStage(Stage.of("raw.shifts").into("stg.shifts").loadDate("ld")
                .derived("starts_tz", "starts").hashKey("hk", "starts_tz")))
                .isInstanceOf(MdsException.class).hasMessageContaining("'starts_tz'").hasMessageContaining("time with time zone");
        canonical.createStage(Stage.of("raw.shifts").into("stg.shifts").loadDate("ld")
                .derived("starts_utc", "(starts AT TIME ZONE 'UTC')::time").hashKey("hk", "starts_utc"));
        assertThat(query(ds, "select hk from stg.shifts", 1).get(0)[0])
                .isEqualTo(hex(canonical.hasher(Schema.of(Field.of("t", FieldType.TIME))).hashKey(LocalTime.of(21, 0)).orElseThrow()));
        Vault automate = Vault.on(ds).standard(HashStandard.AUTOMATEDV);
        automate.createStage(Stage.of("raw.shifts").into("stg.shifts").loadDate("ld").hashKey("hk", "starts"));
        String[] automateRow = query(ds, "select hk, upper(md5('02:00:00+05')) from stg.shifts", 2).get(0);
        assertThat(automateRow[0]).isEqualTo(automateRow[1]);
    }

    /**
     * PostgreSQL's time '24:00:00' is a whole day in SQL's epoch micros; pgjdbc reads it as LocalTime.MAX, which the
     * Java Hasher hashed as 23:59:59.999999 (one microsecond less), so the key of the value read back differed.
     */
    @Test
    void canonicalHashOfMidnightAtTheEndOfTheDayMatchesTheValuePgjdbcReads(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("create schema if not exists raw");
            st.execute("create table raw.closing (id int, closes time, ld date)");
            st.execute("insert into raw.closing values (1, '24:00:00', '2024-01-01'), (2, '23:59:59.999999', '2024-01-01')");
        }
        Vault vault = Vault.on(ds);
        vault.createStage(Stage.of("raw.closing").into("stg.closing").loadDate("ld").hashKey("hk", "closes"));
        Hasher h = vault.hasher(Schema.of(Field.of("closes", FieldType.TIME)));
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select closes, hk from stg.closing order by id")) {
            List<String> read = new ArrayList<>();
            while (rs.next()) {
                LocalTime t = rs.getObject(1, LocalTime.class);
                assertThat(hex(rs.getBytes(2))).as("%s", t).isEqualTo(hex(h.hashKey(t).orElseThrow()));
                read.add(hex(rs.getBytes(2)));
            }
            assertThat(read).hasSize(2).doesNotHaveDuplicates();
        }
    }

    // ---- data

    private static final String[] TRICKY = {"", " ", "^^", "||", "a||b", "\\", "\\x00", "O'Brien", "Zürich", "日本語",
        "emoji 😀", "~", "1:a", "NULL", "  padded  ", "tab\there", "new\nline"};

    private static String randomString(SplittableRandom r) {
        if (r.nextInt(3) == 0) {
            return TRICKY[r.nextInt(TRICKY.length)];
        }
        StringBuilder s = new StringBuilder();
        int n = r.nextInt(0, 20);
        for (int i = 0; i < n; i++) {
            int kind = r.nextInt(10);
            s.appendCodePoint(kind < 7 ? r.nextInt(32, 127) : kind < 9 ? r.nextInt(0xA0, 0x3000) : r.nextInt(0x1F600, 0x1F650));
        }
        return s.toString();
    }

    private static Object[] randomRow(SplittableRandom r) {
        Object[] v = new Object[14];
        v[0] = randomString(r);
        v[1] = r.nextInt();
        v[2] = r.nextLong();
        v[3] = BigDecimal.valueOf(r.nextLong(-1_000_000_000_000L, 1_000_000_000_000L), r.nextInt(-3, 8));
        double[] specials = {0.0, -0.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1e-300, 0.1};
        v[4] = r.nextInt(10) == 0 ? specials[r.nextInt(specials.length)] : (r.nextDouble() - 0.5) * Math.pow(10, r.nextInt(-20, 20));
        v[5] = r.nextBoolean();
        v[6] = LocalDate.ofEpochDay(r.nextLong(-100_000, 100_000));
        v[7] = LocalTime.ofNanoOfDay(r.nextLong(0, 86_400_000_000L) * 1000);
        long micros = r.nextLong(-3_000_000_000_000_000L, 7_000_000_000_000_000L);
        v[8] = LocalDateTime.ofEpochSecond(Math.floorDiv(micros, 1_000_000), (int) Math.floorMod(micros, 1_000_000) * 1000, ZoneOffset.UTC);
        Instant i = Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000), Math.floorMod(micros, 1_000_000) * 1000);
        v[9] = i.atOffset(ZoneOffset.ofHours(r.nextInt(-12, 14)));
        byte[] b = new byte[r.nextInt(0, 12)];
        r.nextBytes(b);
        v[10] = b;
        v[11] = new UUID(r.nextLong(), r.nextLong());
        if (r.nextInt(50) == 0) {           // 'infinity' / '-infinity', as pgjdbc reads (and writes) them
            boolean plus = r.nextBoolean();
            v[6] = plus ? LocalDate.MAX : LocalDate.MIN;
            v[8] = plus ? LocalDateTime.MAX : LocalDateTime.MIN;
            v[9] = plus ? OffsetDateTime.MAX : OffsetDateTime.MIN;
        }
        List<String> sa = new ArrayList<>();
        for (int k = r.nextInt(0, 4); k > 0; k--) {
            sa.add(r.nextInt(4) == 0 ? null : randomString(r));
        }
        v[12] = sa;
        List<Long> la = new ArrayList<>();
        for (int k = r.nextInt(0, 4); k > 0; k--) {
            la.add(r.nextInt(4) == 0 ? null : r.nextLong());
        }
        v[13] = la;
        for (int k = 0; k < v.length; k++) {
            if (r.nextInt(8) == 0) {
                v[k] = null;
            }
        }
        return v;
    }

    static void insert(DataSource ds, String table, String columns, List<Object[]> rows) throws Exception {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            st.execute("create schema if not exists " + table.substring(0, table.indexOf('.')));
            st.execute("drop table if exists " + table + " cascade");
            st.execute("create table " + table + " (id int primary key, " + columns + ", ld timestamptz default '2024-01-01T00:00:00Z')");
            int n = rows.get(0).length;
            StringBuilder marks = new StringBuilder("?");
            for (int i = 0; i < n; i++) {
                marks.append(", ?");
            }
            String[] names = columns.split(",(?![^()]*\\))");
            try (PreparedStatement ps = c.prepareStatement("insert into " + table + " (id, "
                    + String.join(",", java.util.Arrays.stream(names).map(s -> s.trim().split(" ")[0]).toList()) + ") values (" + marks + ")")) {
                for (int i = 0; i < rows.size(); i++) {
                    ps.setInt(1, i);
                    Object[] v = rows.get(i);
                    for (int k = 0; k < n; k++) {
                        Object x = v[k];
                        if (x instanceof List<?> list) {
                            String type = names[k].trim().split(" ")[1].replace("[]", "");
                            Array a = c.createArrayOf(type, list.toArray());
                            ps.setArray(k + 2, a);
                        } else if (x == null && names[k].contains("[]")) {
                            ps.setNull(k + 2, java.sql.Types.ARRAY);
                        } else {
                            ps.setObject(k + 2, x);
                        }
                    }
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            c.commit();
        }
    }

    static List<String[]> query(DataSource ds, String sql, int columns) throws Exception {
        try (Connection c = ds.getConnection()) {
            return query(c, sql, columns);
        }
    }

    static List<String[]> query(Connection c, String sql, int columns) throws Exception {
        List<String[]> out = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                String[] row = new String[columns];
                for (int i = 0; i < columns; i++) {
                    Object o = rs.getObject(i + 1);
                    row[i] = o instanceof byte[] b ? hex(b) : o == null ? null : o.toString();
                }
                out.add(row);
            }
        }
        return out;
    }
}
