package dev.mds.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.testing.MdsPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** mds-core's JDBC parts, tested here because they need a real PostgreSQL (mds-testing depends on mds-core). */
@MdsPostgres
class PostgresDialectTest {
    private final PostgresDialect dialect = PostgresDialect.INSTANCE;

    @Test
    void detectsServerVersionAndFeatures(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection(); var st = c.createStatement();
             var rs = st.executeQuery("select current_setting('server_version_num')::int")) {
            rs.next();
            int versionNum = rs.getInt(1);   // 170007 for 17.7 (the embedded server; others via MDS_TEST_JDBC_URL)
            Dialect.Features f = dialect.features(c);
            assertThat(f.version().major()).isEqualTo(versionNum / 10000);
            assertThat(f.version().minor()).isEqualTo(versionNum % 10000);
            assertThat(f.merge()).isTrue();
            assertThat(f.mergeReturningAction()).isEqualTo(versionNum >= 170000);
        }
    }

    @Test
    void relationOidFindsTablesByExactNameTheSessionsTemporaryOnesAndNothingElse(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection(); var st = c.createStatement()) {
            st.execute("create schema if not exists \"Odd Schema\"");
            st.execute("create table if not exists \"Odd Schema\".\"it's\" (i int)");
            st.execute("create temp table scratch (i int)");
            assertThat(regclass(c, TableName.of("Odd Schema", "it's"))).isEqualTo("\"Odd Schema\".\"it's\"");
            assertThat(regclass(c, TableName.of("pg_temp", "scratch"))).isEqualTo("scratch");
            assertThat(regclass(c, TableName.of("odd schema", "it's"))).isNull();
            assertThat(regclass(c, TableName.of("public", "scratch"))).isNull();
        }
    }

    /** The relation that {@link PostgresDialect#relationOid} finds for {@code table}, as regclass text, or null. */
    private String regclass(Connection c, TableName table) throws SQLException {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select " + dialect.relationOid(table) + "::regclass::text")) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void refusesServersOlderThan15WithAClearMessage() {
        assertThatThrownBy(() -> dialect.features(new Dialect.ServerVersion(14, 11)))
                .isInstanceOf(MdsException.class).hasMessageContaining("PostgreSQL 14.11 is too old")
                .hasMessageContaining("15 or later");
        Dialect.Features v15 = dialect.features(new Dialect.ServerVersion(15, 0));
        assertThat(v15.merge()).isTrue();
        assertThat(v15.mergeReturningAction()).isFalse();
    }

    @Test
    void everyFieldTypeRoundTripsThroughATable(DataSource ds) throws Exception {
        List<FieldType> types = List.of(FieldType.STRING, FieldType.INT, FieldType.LONG, FieldType.decimal(12, 2),
                FieldType.DECIMAL, FieldType.DOUBLE, FieldType.BOOLEAN, FieldType.DATE, FieldType.TIME,
                FieldType.TIMESTAMP, FieldType.TIMESTAMPTZ, FieldType.JSON, FieldType.BYTES, FieldType.UUID,
                FieldType.arrayOf(FieldType.STRING), FieldType.arrayOf(FieldType.LONG),
                FieldType.arrayOf(FieldType.decimal(12, 2)), FieldType.arrayOf(FieldType.DECIMAL));
        Schema.Builder b = Schema.builder();
        StringBuilder ddl = new StringBuilder();
        for (int i = 0; i < types.size(); i++) {
            String name = "c" + i + " " + types.get(i);   // hostile-ish: spaces, parentheses, commas
            b.add(name, types.get(i));
            ddl.append(i == 0 ? "" : ", ").append(Identifiers.quote(name)).append(' ').append(dialect.typeName(types.get(i)));
        }
        TableName t = TableName.of("Types Schema", "all types");
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create schema " + Identifiers.quote(t.schema()));
            Sql.execute(c, "create table " + t.quoted() + " (" + ddl + ", " + Identifiers.quote("req") + " bigint not null)");
            Schema read = dialect.readSchema(c, t).orElseThrow();
            assertThat(read.fields().subList(0, types.size())).isEqualTo(b.build().fields());
            assertThat(read.field("req")).contains(Field.required("req", FieldType.LONG));
            assertThat(dialect.readSchema(c, TableName.of("Types Schema", "missing"))).isEmpty();
            // the LIKE pattern characters in names are escaped: "all_types" must not match "all types"
            assertThat(dialect.readSchema(c, TableName.of("Types Schema", "all_types"))).isEmpty();
        }
    }

    @Test
    void readsNamedColumnsOfATableWhoseOtherColumnsHaveUnmappedTypes(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create table net_hosts (addr inet, id bigint not null, zone text, primary key (zone, id))");
            TableName t = TableName.of("public", "net_hosts");
            assertThatThrownBy(() -> dialect.readSchema(c, t)).isInstanceOf(MdsException.class).hasMessageContaining("inet");
            Schema key = dialect.readSchema(c, t, dialect.primaryKey(c, t));
            assertThat(key.fields()).containsExactly(Field.required("zone", FieldType.STRING), Field.required("id", FieldType.LONG));
            assertThatThrownBy(() -> dialect.readSchema(c, t, List.of("id", "host"))).isInstanceOf(MdsException.class)
                    .hasMessage("table public.net_hosts has no column 'host'");
        }
    }

    /** {@code pg_index.indkey} also lists an index's INCLUDE columns, which are stored in it but are no part of the key. */
    @Test
    void primaryKeyLeavesOutTheColumnsItsIndexOnlyIncludes(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("create table pk_include (extra text, b int, a int, primary key (b, a) include (extra))");
            assertThat(dialect.primaryKey(c, TableName.of("public", "pk_include"))).containsExactly("b", "a");
            assertThat(dialect.uniqueKeys(c, TableName.of("public", "pk_include")))
                    .extracting(PostgresDialect.UniqueKey::columns).containsExactly(List.of("b", "a"));
        }
    }

    @Test
    void anArrayOfADomainOverADomainReadsAsAnArrayOfTheInnermostBaseType(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create domain money12 as numeric(12,2)");
            Sql.execute(c, "create domain positive_money12 as money12 check (value > 0)");
            Sql.execute(c, "create domain small as int");
            Sql.execute(c, "create domain tiny as small check (value < 10)");
            Sql.execute(c, "create domain tinier as tiny check (value < 5)");
            Sql.execute(c, "create type dd_mood as enum ('sad', 'ok')");
            Sql.execute(c, "create domain dd_moody as dd_mood");
            Sql.execute(c, "create domain dd_moodier as dd_moody");
            Sql.execute(c, "create table domain_domain_arrays (a positive_money12[], b tinier[], c dd_moodier[])");
            Schema s = dialect.readSchema(c, TableName.of("public", "domain_domain_arrays")).orElseThrow();
            assertThat(s.fields()).containsExactly(Field.of("a", FieldType.arrayOf(FieldType.decimal(12, 2))),
                    Field.of("b", FieldType.arrayOf(FieldType.INT)), Field.of("c", FieldType.arrayOf(FieldType.STRING)));
        }
    }

    @Test
    void bitColumnsReadAsBooleanOnlyWhenTheyHoldOneBit(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create table bits (one bit, also_one bit(1), three bit(3), any_bits varbit, four_at_most bit varying(4))");
            Sql.execute(c, "insert into bits values (B'1', B'0', B'101', B'110011', B'11')");
            Schema s = dialect.readSchema(c, TableName.of("public", "bits")).orElseThrow();
            assertThat(s.fields()).extracting(Field::type).containsExactly(FieldType.BOOLEAN, FieldType.BOOLEAN,
                    FieldType.STRING, FieldType.STRING, FieldType.STRING);
            // a query's metadata (what JdbcIncrementalSource reads) gives the same types, and the values read as them
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select * from bits")) {
                java.sql.ResultSetMetaData md = rs.getMetaData();
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    assertThat(dialect.fieldType(md.getColumnType(i), md.getColumnTypeName(i), md.getPrecision(i),
                            md.getScale(i))).as(md.getColumnName(i)).isEqualTo(s.field(i - 1).type());
                }
                rs.next();
                assertThat(rs.getBoolean(1)).isTrue();
                assertThat(rs.getBoolean(2)).isFalse();
                assertThat(rs.getString(3)).isEqualTo("101");
                assertThat(rs.getString(4)).isEqualTo("110011");
                assertThat(rs.getString(5)).isEqualTo("11");
            }
        }
    }

    @Test
    void domainColumnsReadAsTheirBaseTypeWithTheDomainsModifier(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create domain amount as numeric(12,2)");
            Sql.execute(c, "create domain positive_amount as amount check (value > 0)");
            Sql.execute(c, "create domain flag as bit");
            Sql.execute(c, "create domain mask as bit(8)");
            Sql.execute(c, "create type mood as enum ('sad', 'ok')");
            Sql.execute(c, "create domain moody as mood");
            Sql.execute(c, "create domain ids as bigint[]");
            Sql.execute(c, "create domain code as varchar(5)");
            Sql.execute(c, "create table domained (a amount, b positive_amount, c flag, d mask, e moody, f ids,"
                    + " g code not null, h mood)");
            Schema s = dialect.readSchema(c, TableName.of("public", "domained")).orElseThrow();
            assertThat(s.fields()).containsExactly(Field.of("a", FieldType.decimal(12, 2)),
                    Field.of("b", FieldType.decimal(12, 2)), Field.of("c", FieldType.BOOLEAN), Field.of("d", FieldType.STRING),
                    Field.of("e", FieldType.STRING), Field.of("f", FieldType.arrayOf(FieldType.LONG)),
                    Field.required("g", FieldType.STRING), Field.of("h", FieldType.STRING));
            assertThat(dialect.readSchema(c, TableName.of("public", "domained"), List.of("b", "g")).fields())
                    .containsExactly(Field.of("b", FieldType.decimal(12, 2)), Field.required("g", FieldType.STRING));
        }
    }

    @Test
    void numericColumnsKeepPrecisionAndScaleInArraysAndScalesNoDecimalDescribesReadAsNumeric(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create table nums (a numeric(12,2), b numeric, c numeric(12,2)[], d numeric[],"
                    + " e numeric(5,-2), f numeric(2,5), g numeric(1000,1000))");
            Schema s = dialect.readSchema(c, TableName.of("public", "nums")).orElseThrow();
            assertThat(s.fields()).extracting(Field::type).containsExactly(FieldType.decimal(12, 2), FieldType.DECIMAL,
                    FieldType.arrayOf(FieldType.decimal(12, 2)), FieldType.arrayOf(FieldType.DECIMAL), FieldType.DECIMAL,
                    FieldType.DECIMAL, FieldType.decimal(1000, 1000));
            // re-created from the types read, the representable columns have the same types
            StringBuilder ddl = new StringBuilder();
            for (String col : List.of("a", "b", "c", "d", "g")) {
                ddl.append(ddl.length() == 0 ? "" : ", ").append(col).append(' ')
                        .append(dialect.typeName(s.field(col).orElseThrow().type()));
            }
            Sql.execute(c, "create table nums_again (" + ddl + ")");
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select string_agg(format_type(atttypid,"
                    + " atttypmod), ', ' order by attname) filter (where attrelid = 'nums'::regclass and attname in ('a', 'b', 'c', 'd', 'g')),"
                    + " string_agg(format_type(atttypid, atttypmod), ', ' order by attname) filter (where attrelid = 'nums_again'::regclass)"
                    + " from pg_attribute where attrelid in ('nums'::regclass, 'nums_again'::regclass) and attnum > 0")) {
                rs.next();
                assertThat(rs.getString(2)).isEqualTo(rs.getString(1))
                        .isEqualTo("numeric(12,2), numeric, numeric(12,2)[], numeric[], numeric(1000,1000)");
            }
        }
    }

    @Test
    void mapsCommonPostgresTypeNames() {
        assertThat(dialect.fieldType(java.sql.Types.VARCHAR, "varchar", 20, 0)).isEqualTo(FieldType.STRING);
        assertThat(dialect.fieldType(java.sql.Types.SMALLINT, "int2", 5, 0)).isEqualTo(FieldType.INT);
        assertThat(dialect.fieldType(java.sql.Types.NUMERIC, "numeric", 131089, 0)).isEqualTo(FieldType.DECIMAL);
        assertThat(dialect.fieldType(java.sql.Types.ARRAY, "_int4", 0, 0)).isEqualTo(FieldType.arrayOf(FieldType.INT));
        assertThatThrownBy(() -> dialect.fieldType(java.sql.Types.OTHER, "tsvector", 0, 0))
                .isInstanceOf(MdsException.class).hasMessageContaining("tsvector");
    }

    @Test
    void literalsMeanTheirValueWhateverStandardConformingStringsIs(DataSource ds) throws Exception {
        List<String> values = List.of("plain", "it's", "back\\slash", "\\'; select 1; --", "\\\\", "ünï\\code ☃", "\\x00");
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            for (String setting : List.of("on", "off")) {
                st.execute("set standard_conforming_strings = " + setting);
                for (String v : values) {
                    try (ResultSet rs = st.executeQuery("select " + Identifiers.literal(v))) {
                        rs.next();
                        assertThat(rs.getString(1)).as(v + " with standard_conforming_strings " + setting).isEqualTo(v);
                    }
                }
            }
            st.execute("reset standard_conforming_strings");
        }
    }

    @Test
    void hostileNamesCreateExactlyTheNamedTable(DataSource ds) throws Exception {
        String[] names = {"x\"; drop table victim; --", "Upper Case", "select", "naïve ☃", "semi;colon", "a".repeat(63),
            "back\\slash_%", "it's \\'; select 1; --"};
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create table victim (id int)");
            for (String n : names) {
                TableName t = TableName.of("public", n);
                Sql.execute(c, "create table " + t.quoted() + " (" + Identifiers.quote(n) + " text)");
                Sql.execute(c, "insert into " + t.quoted() + " values (" + Identifiers.literal(n) + ")");
                assertThat(dialect.readSchema(c, t).orElseThrow().names()).containsExactly(n);
            }
            assertThat(dialect.readSchema(c, TableName.of("public", "victim"))).isPresent();
        }
    }
}
