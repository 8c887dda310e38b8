package dev.mds.vault;

import static dev.mds.testing.Row.row;
import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static dev.mds.vault.VaultFixtures.day;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.MdsException;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TableFixture;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link Stage#hashDiffExcluding}: AutomateDV's {@code exclude_columns: true} hashdiff, over every column of the source
 * except the listed ones, resolved against the catalog when the stage is created.
 */
@MdsPostgres
class StageHashDiffExcludingTest {
    /** A source whose column order (id, Zip, email, name, age, ld) is not AutomateDV's sorted order (age, email, name, Zip). */
    private static void source(DataSource ds, String table) {
        TableFixture.on(ds, table).columns("id text", "\"Zip\" text", "email text", "name text", "age int", "ld timestamptz")
                .rows(row("1", "75001", "a@x", "Ann", 30, day(1)), row("2", null, " b@x ", "", null, day(1)),
                        row("3", "10115", "c@x", "Cé", 51, day(2)));
    }

    private static List<String> hashes(DataSource ds, String stage, String column) {
        return strings(ds, "select id || ' ' || encode(" + column + ", 'hex') from " + stage + " order by id");
    }

    @ParameterizedTest
    @EnumSource(HashStandard.class)
    void theHashEqualsTheOneOverTheRemainingColumnsListed(HashStandard standard, DataSource ds) {
        for (HashAlgorithm alg : HashAlgorithm.values()) {
            String name = "excl_" + standard.name().toLowerCase() + "_" + alg.name().toLowerCase();
            source(ds, "raw." + name);
            Vault vault = Vault.on(ds).standard(standard).algorithm(alg);
            Stage excluding = Stage.of("raw." + name).into("stg." + name).loadDate("ld").recordSource("crm")
                    .hashKey("hk", "id").hashDiffExcluding("hd", "id", "ld");
            Stage listed = Stage.of("raw." + name).into("stg." + name + "_listed").loadDate("ld").recordSource("crm")
                    .hashKey("hk", "id").hashDiff("hd", "Zip", "email", "name", "age");
            vault.createStage(excluding);
            vault.createStage(listed);
            assertThat(hashes(ds, "stg." + name, "hd")).hasSize(3).doesNotHaveDuplicates()
                    .isEqualTo(hashes(ds, "stg." + name + "_listed", "hd"));
            // the satellite a user builds on it loads, and a re-load inserts nothing
            Satellite sat = vault.satellite("dds.sat_" + name).parent("hk").hashDiff("hd")
                    .payload("Zip", "email", "name", "age").from(excluding);
            sat.createTable();
            assertThat(sat.load().rowsInserted()).isEqualTo(3);
            assertThat(sat.load().rowsInserted()).isZero();
        }
    }

    @Test
    void automateDvSortsTheRemainingColumnsByNameIgnoringCaseAndCanonicalKeepsTheSourcesOrder(DataSource ds) {
        source(ds, "raw.excl_order");
        Stage stage = Stage.of("raw.excl_order").into("stg.excl_order").loadDate("ld").hashKey("hk", "id")
                .hashDiffExcluding("hd", "id", "ld");
        Vault.on(ds).standard(HashStandard.AUTOMATEDV).createStage(stage);
        // AutomateDV's SQL for PostgreSQL, its hashdiff columns sorted: age, email, name, Zip
        String automateDv = "DECODE(MD5(CONCAT_WS('||', %s)), 'hex')";
        String sorted = String.format(automateDv, String.join(", ", part("age"), part("email"), part("name"), part("\"Zip\"")));
        String sourceOrder = String.format(automateDv, String.join(", ", part("\"Zip\""), part("email"), part("name"), part("age")));
        assertThat(hashes(ds, "stg.excl_order", "hd")).isEqualTo(hashes(ds, "raw.excl_order", sorted))
                .isNotEqualTo(hashes(ds, "raw.excl_order", sourceOrder));

        Vault canonical = Vault.on(ds);
        canonical.createStage(stage);
        canonical.createStage(stage.into("stg.excl_order_source").hashDiff("hd2", "Zip", "email", "name", "age")
                .hashDiff("hd3", "age", "email", "name", "Zip"));
        assertThat(hashes(ds, "stg.excl_order", "hd")).isEqualTo(hashes(ds, "stg.excl_order_source", "hd2"))
                .isNotEqualTo(hashes(ds, "stg.excl_order_source", "hd3"));
    }

    private static String part(String col) {
        return "COALESCE(NULLIF(UPPER(TRIM(CAST(" + col + " AS VARCHAR))), ''), '^^')";
    }

    @ParameterizedTest
    @EnumSource(HashStandard.class)
    void anExcludedColumnTheSourceDoesNotHaveIsRefusedNamingTheStageAndColumn(HashStandard standard, DataSource ds) {
        String name = "excl_missing_" + standard.name().toLowerCase();
        source(ds, "raw." + name);
        Vault vault = Vault.on(ds).standard(standard);
        Stage stage = Stage.of("raw." + name).into("stg." + name).loadDate("ld").hashKey("hk", "id")
                .derived("city", "upper(name)").hashDiffExcluding("hd", "id", "ld", "zip");
        assertThatThrownBy(() -> vault.stageSql(stage)).isInstanceOf(MdsException.class)
                .hasMessageContaining("stage stg." + name).hasMessageContaining("hashdiff 'hd'")
                .hasMessageContaining("column 'zip'").hasMessageContaining("[id, Zip, email, name, age, ld]")
                .hasMessageContaining("names are exact: the source has 'Zip'");
        assertThatThrownBy(() -> vault.createStage(stage)).isInstanceOf(MdsException.class)
                .hasMessageContaining("stage stg." + name).hasMessageContaining("column 'zip'");
        assertThat(strings(ds, "select count(*)::text from pg_class where oid = to_regclass('stg." + name + "')"))
                .containsExactly("0");
        // a derived column is never hashed by an excluding hashdiff: excluding it is refused, saying so
        Stage derived = Stage.of("raw." + name).into("stg." + name + "_d").loadDate("ld").derived("city", "upper(name)")
                .hashDiffExcluding("hd", "city");
        assertThatThrownBy(() -> vault.createStage(derived))
                .hasMessageContaining("stage stg." + name + "_d").hasMessageContaining("column 'city'")
                .hasMessageContaining("derived column");
    }

    @ParameterizedTest
    @EnumSource(HashStandard.class)
    void excludingEveryColumnIsRefused(HashStandard standard, DataSource ds) {
        String name = "excl_all_" + standard.name().toLowerCase();
        source(ds, "raw." + name);
        Stage stage = Stage.of("raw." + name).into("stg." + name).loadDate("ld").hashKey("hk", "id")
                .hashDiffExcluding("hd", "id", "Zip", "email", "name", "age", "ld");
        assertThatThrownBy(() -> Vault.on(ds).standard(standard).createStage(stage)).isInstanceOf(MdsException.class)
                .hasMessageContaining("stage stg." + name).hasMessageContaining("hashdiff 'hd' excludes every column");
        assertThat(strings(ds, "select count(*)::text from pg_class where oid = to_regclass('stg." + name + "')"))
                .containsExactly("0");
    }

    @Test
    void withNothingExcludedEverySourceColumnIsHashed(DataSource ds) {
        source(ds, "raw.excl_none");
        Vault vault = Vault.on(ds).standard(HashStandard.AUTOMATEDV);
        Stage stage = Stage.of("raw.excl_none").into("stg.excl_none").loadDate("ld").hashKey("hk", "id")
                .derived("upper_name", "upper(name)").hashDiffExcluding("hd");
        vault.createStage(stage);
        vault.createStage(stage.into("stg.excl_none_listed").hashDiff("hd2", "id", "Zip", "email", "name", "age", "ld"));
        assertThat(hashes(ds, "stg.excl_none", "hd")).isEqualTo(hashes(ds, "stg.excl_none_listed", "hd2"));
    }

    @ParameterizedTest
    @EnumSource(HashStandard.class)
    void aColumnAddedToTheSourceLaterIsHashedOnceTheStageIsCreatedAgain(HashStandard standard, DataSource ds) {
        String name = "excl_added_" + standard.name().toLowerCase();
        source(ds, "raw." + name);
        Vault vault = Vault.on(ds).standard(standard);
        Stage stage = Stage.of("raw." + name).into("stg." + name).loadDate("ld").hashKey("hk", "id")
                .hashDiffExcluding("hd", "id", "ld");
        vault.createStage(stage);
        assertThat(vault.stageSql(stage)).isEmpty();
        List<String> before = hashes(ds, "stg." + name, "hd");

        sql(ds, "alter table raw." + name + " add column city text default 'Paris'");
        assertThat(vault.stageSql(stage)).isNotEmpty();
        assertThat(hashes(ds, "stg." + name, "hd")).isEqualTo(before);   // the view as it was created
        vault.createStage(stage);
        vault.createStage(stage.into("stg." + name + "_listed").hashDiff("hd2", "Zip", "email", "name", "age", "city"));
        List<String> after = hashes(ds, "stg." + name, "hd");
        assertThat(after).isEqualTo(hashes(ds, "stg." + name + "_listed", "hd2"));
        assertThat(after.get(0)).isNotEqualTo(before.get(0));
        assertThat(strings(ds, "select city from stg." + name + " order by id")).containsExactly("Paris", "Paris", "Paris");
    }
}
