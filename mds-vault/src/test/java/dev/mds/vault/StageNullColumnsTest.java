package dev.mds.vault;

import static dev.mds.testing.Row.row;
import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static dev.mds.vault.VaultFixtures.day;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.Field;
import dev.mds.core.FieldType;
import dev.mds.core.MdsException;
import dev.mds.core.Schema;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TableFixture;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link Stage#nullColumnsRequired} and {@link Stage#nullColumnsOptional}: AutomateDV's {@code null_columns}, which
 * replaces a NULL business key with {@code '-1'} (required) or {@code '-2'} (optional) and keeps the value as it came
 * in {@code <column>_original}, before the hashes are computed.
 */
@MdsPostgres
class StageNullColumnsTest {
    private static final HexFormat HEX = HexFormat.of();

    /** customer_id (text) and nation_id (int) business keys, each NULL in some rows. */
    private static void source(DataSource ds, String table) {
        TableFixture.on(ds, table).columns("customer_id text", "nation_id int", "name text", "ld timestamptz")
                .rows(row("C1", 7, "Ann", day(1)), row(null, null, "Bob", day(1)), row("C3", null, null, day(2)));
    }

    private static Stage stage(String name) {
        return Stage.of("raw." + name).into("stg." + name).loadDate("ld").recordSource("crm")
                .nullColumnsRequired("customer_id").nullColumnsOptional("nation_id")
                .hashKey("customer_hk", "customer_id").hashKey("customer_nation_hk", "customer_id", "nation_id")
                .hashDiff("customer_hd", "nation_id", "name");
    }

    /** MD5 of the exact text AutomateDV hashes, computed here, not by PostgreSQL. */
    private static String md5(String text) throws Exception {
        return HEX.formatHex(MessageDigest.getInstance("MD5").digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    private static String hex(String column) {
        return "coalesce(encode(" + column + ", 'hex'), 'NULL')";
    }

    @ParameterizedTest
    @EnumSource(value = Stage.Materialization.class, names = {"VIEW", "TABLE"})
    void automateDvStageReplacesNullKeysKeepsTheOriginalsAndHashesTheReplacedValues(Stage.Materialization m, DataSource ds)
            throws Exception {
        String name = "nc_" + m.name().toLowerCase();
        source(ds, "raw." + name);
        Vault.on(ds).standard(HashStandard.AUTOMATEDV).createStage(stage(name).materialized(m));

        String values = "select name || ' ' || coalesce(customer_id, 'NULL') || ' ' || coalesce(customer_id_original, 'NULL')"
                + " || ' ' || coalesce(nation_id::text, 'NULL') || ' ' || coalesce(nation_id_original::text, 'NULL')"
                + " from stg." + name + " where name is not null order by name";
        assertThat(strings(ds, values)).containsExactly("Ann C1 C1 7 7", "Bob -1 NULL -2 NULL");
        // the replaced column keeps its type: nation_id is still an integer, -2
        assertThat(strings(ds, "select format_type(atttypid, atttypmod) from pg_attribute where attrelid = 'stg." + name
                + "'::regclass and attname in ('nation_id', 'nation_id_original') order by attname"))
                .containsExactly("integer", "integer");

        // the hashes AutomateDV computes from the replaced values: MD5 of '-1', '-1||-2', and the hashdiff's sorted
        // columns (name, nation_id) upper-cased, NULL as '^^'
        String hashes = "select coalesce(customer_id_original, 'NULL') || ' ' || " + hex("customer_hk") + " || ' ' || "
                + hex("customer_nation_hk") + " || ' ' || " + hex("customer_hd") + " from stg." + name + " order by customer_id";
        assertThat(strings(ds, hashes)).containsExactly(
                "NULL " + md5("-1") + " " + md5("-1||-2") + " " + md5("BOB||-2"),
                "C1 " + md5("C1") + " " + md5("C1||7") + " " + md5("ANN||7"),
                "C3 " + md5("C3") + " " + md5("C3||-2") + " " + md5("^^||-2"));

        // byte for byte what AutomateDV's SQL for PostgreSQL gives (stage.sql's CTEs, null_columns.sql's
        // postgres__null_column_sql, hash.sql), with the columns it produces
        String automateDv = "WITH source_data AS (SELECT customer_id, nation_id, name, ld FROM raw." + name + "),\n"
                + "null_columns AS (SELECT name, ld,\n"
                + "    customer_id AS customer_id_ORIGINAL,\n"
                + "    COALESCE(customer_id, '-1') AS customer_id,\n"
                + "    nation_id AS nation_id_ORIGINAL,\n"
                + "    COALESCE(nation_id, '-2') AS nation_id\n"
                + "    FROM source_data),\n"
                + "hashed_columns AS (SELECT name, ld, customer_id, customer_id_ORIGINAL, nation_id, nation_id_ORIGINAL,\n"
                + "    DECODE(MD5(NULLIF(UPPER(TRIM(CAST(customer_id AS VARCHAR))), '')), 'hex') AS customer_hk,\n"
                + "    DECODE(MD5(NULLIF(CONCAT_WS('||',\n"
                + "        COALESCE(NULLIF(UPPER(TRIM(CAST(customer_id AS VARCHAR))), ''), '^^'),\n"
                + "        COALESCE(NULLIF(UPPER(TRIM(CAST(nation_id AS VARCHAR))), ''), '^^')), '^^||^^')), 'hex')"
                + " AS customer_nation_hk,\n"
                + "    DECODE(MD5(CONCAT_WS('||',\n"
                + "        COALESCE(NULLIF(UPPER(TRIM(CAST(name AS VARCHAR))), ''), '^^'),\n"
                + "        COALESCE(NULLIF(UPPER(TRIM(CAST(nation_id AS VARCHAR))), ''), '^^'))), 'hex') AS customer_hd\n"
                + "    FROM null_columns),\n"
                + "columns_to_select AS (SELECT name, ld, customer_id, customer_id_ORIGINAL, nation_id, nation_id_ORIGINAL,"
                + " customer_hk, customer_nation_hk, customer_hd FROM hashed_columns)\n"
                + "SELECT * FROM columns_to_select";
        String compare = "select coalesce(customer_id, 'NULL') || ' ' || coalesce(customer_id_original, 'NULL') || ' '"
                + " || nation_id || ' ' || coalesce(nation_id_original::text, 'NULL') || ' ' || " + hex("customer_hk")
                + " || ' ' || " + hex("customer_nation_hk") + " || ' ' || " + hex("customer_hd") + " from (%s) as q order by 1";
        assertThat(strings(ds, String.format(compare, "select * from stg." + name)))
                .hasSize(3).isEqualTo(strings(ds, String.format(compare, automateDv)));
        // every column AutomateDV's stage has (its unquoted customer_id_ORIGINAL folds to customer_id_original)
        sql(ds, "create view stg." + name + "_automatedv as " + automateDv);
        String columns = "select attname::text from pg_attribute where attrelid = '%s'::regclass and attnum > 0 order by attname";
        assertThat(strings(ds, String.format(columns, "stg." + name)))
                .containsAll(strings(ds, String.format(columns, "stg." + name + "_automatedv")))
                .contains("customer_id_original", "nation_id_original");
    }

    @ParameterizedTest
    @EnumSource(HashStandard.class)
    void aHubLoadedFromTheStageKeepsTheRequiredKeysReplacementInsteadOfSkippingTheRow(HashStandard standard, DataSource ds)
            throws Exception {
        String name = "nc_hub_" + standard.name().toLowerCase();
        source(ds, "raw." + name);
        Vault vault = Vault.on(ds).standard(standard);
        Stage stage = stage(name);
        vault.createStage(stage);
        Hub hub = vault.hub("dds.hub_" + name).hashKey("customer_hk").businessKey("customer_id").from(stage);
        hub.createTable();
        assertThat(hub.load().rowsInserted()).isEqualTo(3);
        assertThat(hub.load().rowsInserted()).isZero();
        assertThat(strings(ds, "select customer_id from dds.hub_" + name + " order by customer_id"))
                .containsExactly("-1", "C1", "C3");
        // the stored key is the hash of '-1', as the Java Hasher of the vault's standard computes it
        byte[] unknown = vault.hasher(Schema.of(Field.of("customer_id", FieldType.STRING))).hashKey("-1").orElseThrow();
        assertThat(strings(ds, "select encode(customer_hk, 'hex') from dds.hub_" + name + " where customer_id = '-1'"))
                .containsExactly(HEX.formatHex(unknown));
        if (standard == HashStandard.AUTOMATEDV) {
            assertThat(HEX.formatHex(unknown)).isEqualTo(md5("-1"));
        }
        // a satellite over the stage (its hashdiff computed lazily from the view) stores the replaced values' hashdiff
        Satellite sat = vault.satellite("dds.sat_" + name).parent("customer_hk").hashDiff("customer_hd")
                .payload("name", "nation_id", "nation_id_original").from(stage);
        sat.createTable();
        assertThat(sat.load().rowsInserted()).isEqualTo(3);
        assertThat(strings(ds, "select encode(s.customer_hd, 'hex') = encode(g.customer_hd, 'hex') from dds.sat_" + name
                + " as s join stg." + name + " as g using (customer_hk)")).containsExactly("t", "t", "t");
        assertThat(strings(ds, "select nation_id || ' ' || coalesce(nation_id_original::text, 'NULL') from dds.sat_" + name
                + " order by 1")).containsExactly("-2 NULL", "-2 NULL", "7 7");

        // without null columns the same row is not loaded: its hash key is NULL
        Stage plain = Stage.of("raw." + name).into("stg." + name + "_plain").loadDate("ld").recordSource("crm")
                .hashKey("customer_hk", "customer_id");
        vault.createStage(plain);
        Hub plainHub = vault.hub("dds.hub_" + name + "_plain").hashKey("customer_hk").businessKey("customer_id").from(plain);
        plainHub.createTable();
        assertThat(plainHub.load().rowsInserted()).isEqualTo(2);
    }

    @Test
    void customReplacementValuesAreUsedAsAutomateDvsNullKeyVarsAre(DataSource ds) throws Exception {
        source(ds, "raw.nc_custom");
        Vault vault = Vault.on(ds).standard(HashStandard.AUTOMATEDV);
        Stage stage = stage("nc_custom").nullKeyRequired("N'A").nullKeyOptional("0");
        assertThat(stage.nullColumns()).containsExactly(new Stage.NullColumn("customer_id", true, "N'A"),
                new Stage.NullColumn("nation_id", false, "0"));
        vault.createStage(stage);
        assertThat(strings(ds, "select customer_id || ' ' || nation_id || ' ' || encode(customer_hk, 'hex') || ' '"
                + " || encode(customer_nation_hk, 'hex') from stg.nc_custom where customer_id_original is null"))
                .containsExactly("N'A 0 " + md5("N'A") + " " + md5("N'A||0"));
        // the defaults are AutomateDV's
        assertThat(stage("x").nullColumns()).extracting(Stage.NullColumn::replacement).containsExactly("-1", "-2");
    }

    @Test
    void derivedColumnsSeeTheValueAsItCameAndANullColumnMayBeADerivedOne(DataSource ds) {
        source(ds, "raw.nc_derived");
        Stage stage = Stage.of("raw.nc_derived").into("stg.nc_derived").loadDate("ld")
                .derived("customer_ref", "lower(customer_id)").derived("nation_ref", "nation_id::text")
                .nullColumnsRequired("customer_id").nullColumnsOptional("nation_ref")
                .hashKey("nation_ref_hk", "nation_ref").hashDiffExcluding("hd", "ld");
        Vault.on(ds).standard(HashStandard.AUTOMATEDV).createStage(stage);
        assertThat(strings(ds, "select name || ' ' || customer_id || ' ' || coalesce(customer_ref, 'NULL') || ' ' || nation_ref"
                + " || ' ' || coalesce(nation_ref_original, 'NULL') from stg.nc_derived where name is not null order by name"))
                .containsExactly("Ann C1 c1 7 7", "Bob -1 NULL -2 NULL");
        // an excluding hashdiff hashes the source's columns as replaced, never the _original ones
        Vault.on(ds).standard(HashStandard.AUTOMATEDV).createStage(stage.into("stg.nc_derived_listed")
                .hashDiff("hd2", "customer_id", "name", "nation_id"));
        assertThat(strings(ds, "select encode(hd, 'hex') from stg.nc_derived order by customer_id_original nulls first"))
                .isEqualTo(strings(ds, "select encode(hd2, 'hex') from stg.nc_derived_listed"
                        + " order by customer_id_original nulls first"));
    }

    @ParameterizedTest
    @EnumSource(HashStandard.class)
    void aNullColumnTheSourceLacksIsRefusedNamingTheStageAndColumn(HashStandard standard, DataSource ds) {
        String name = "nc_missing_" + standard.name().toLowerCase();
        source(ds, "raw." + name);
        Vault vault = Vault.on(ds).standard(standard);
        Stage stage = Stage.of("raw." + name).into("stg." + name).loadDate("ld").nullColumnsRequired("Customer_ID")
                .hashKey("customer_hk", "Customer_ID");
        assertThatThrownBy(() -> vault.stageSql(stage)).isInstanceOf(MdsException.class)
                .hasMessageContaining("stage stg." + name).hasMessageContaining("null column 'Customer_ID'")
                .hasMessageContaining("names are exact: it has 'customer_id'");
        assertThatThrownBy(() -> vault.createStage(stage)).isInstanceOf(MdsException.class)
                .hasMessageContaining("stage stg." + name).hasMessageContaining("null column 'Customer_ID'");
        assertThat(strings(ds, "select count(*)::text from pg_class where oid = to_regclass('stg." + name + "')"))
                .containsExactly("0");
    }

    @Test
    void aColumnListedTwiceOrAsBothRequiredAndOptionalIsRefusedNamingTheStageAndColumn() {
        Stage stage = Stage.of("raw.nc_twice").into("stg.nc_twice").nullColumnsRequired("customer_id");
        assertThatThrownBy(() -> stage.nullColumnsRequired("customer_id")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("stg.nc_twice").hasMessageContaining("null column 'customer_id' is listed twice");
        assertThatThrownBy(() -> stage.nullColumnsOptional("nation_id", "nation_id"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("stg.nc_twice")
                .hasMessageContaining("null column 'nation_id' is listed twice as optional");
        assertThatThrownBy(() -> stage.nullColumnsOptional("customer_id")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("stg.nc_twice")
                .hasMessageContaining("null column 'customer_id' is listed both as required and as optional");
        assertThatThrownBy(() -> stage.nullColumnsOptional("c".repeat(60))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("stg.nc_twice").hasMessageContaining("_original' would be longer");
    }

    @Test
    void collisionsAndATypeThatCannotHoldTheValueAreRefusedWhenTheStageIsCreated(DataSource ds) {
        TableFixture.on(ds, "raw.nc_bad").columns("customer_id text", "customer_id_original text", "born date",
                "ld timestamptz").rows(row("C1", "x", null, day(1)));
        Vault vault = Vault.on(ds).standard(HashStandard.AUTOMATEDV);
        Stage base = Stage.of("raw.nc_bad").into("stg.nc_bad").loadDate("ld");
        assertThatThrownBy(() -> vault.createStage(base.nullColumnsRequired("customer_id")))
                .isInstanceOf(MdsException.class).hasMessageContaining("stage stg.nc_bad")
                .hasMessageContaining("null column 'customer_id' keeps its value as it came in 'customer_id_original',"
                        + " which is already a column of raw.nc_bad");
        assertThatThrownBy(() -> vault.createStage(base.nullColumnsOptional("born").hashKey("born_original", "born")))
                .isInstanceOf(MdsException.class).hasMessageContaining("stage stg.nc_bad")
                .hasMessageContaining("hash column 'born_original' is the stage's column holding null column 'born'");
        // a date cannot read '-2': refused naming the column, nothing created
        assertThatThrownBy(() -> vault.createStage(base.nullColumnsOptional("born").hashKey("born_hk", "born")))
                .isInstanceOf(MdsException.class).hasMessageContaining("stage stg.nc_bad")
                .hasMessageContaining("null column 'born' cannot hold its optional replacement '-2'")
                .hasMessageContaining("type date");
        assertThat(strings(ds, "select count(*)::text from pg_class where oid = to_regclass('stg.nc_bad')"))
                .containsExactly("0");
        // a value of its type is taken
        vault.createStage(base.nullColumnsOptional("born").nullKeyOptional("1900-01-01").hashKey("born_hk", "born"));
        assertThat(strings(ds, "select born::text || ' ' || encode(born_hk, 'hex') from stg.nc_bad")).hasSize(1)
                .allSatisfy(s -> assertThat(s).startsWith("1900-01-01 "));
    }
}
