package dev.mds.vault;

import static dev.mds.testing.Row.row;
import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static dev.mds.vault.VaultFixtures.customers;
import static dev.mds.vault.VaultFixtures.day;
import static dev.mds.vault.VaultFixtures.raw;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.MdsException;
import dev.mds.testing.MdsPostgres;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A stage records how mds hashed it (standard, algorithm, empty strings), and a vault hashing otherwise refuses to
 * load from it or to replace it, naming the stage and both settings, before anything is written: hub and satellite
 * loads would otherwise mix two standards' hash keys and hashdiffs without a word.
 */
@MdsPostgres
class StageHashStandardTest {
    private static Vault vault(DataSource ds, HashStandard standard) {
        return Vault.on(ds).standard(standard);
    }

    private static HashStandard other(HashStandard s) {
        return s == HashStandard.CANONICAL ? HashStandard.AUTOMATEDV : HashStandard.CANONICAL;
    }

    @ParameterizedTest
    @EnumSource(HashStandard.class)
    void loadsFromAViewStageOfTheOtherStandardAreRefusedBeforeWriting(HashStandard created, DataSource ds) {
        String name = "std_view_" + created.name().toLowerCase();
        raw(ds, "raw." + name, row("1", "a@x", "Ann", 30, day(1)), row("2", "b@x", "Bob", 40, day(1)));
        Stage stage = customers("raw." + name, "crm");
        vault(ds, created).createStage(stage);

        Vault reader = vault(ds, other(created));
        Hub hub = reader.hub("dds.hub_" + name).hashKey("customer_hk").businessKey("id").from(stage);
        Satellite sat = reader.satellite("dds.sat_" + name).parent("customer_hk").hashDiff("customer_hashdiff")
                .payload("email", "name", "age").from(stage);
        hub.createTable();
        sat.createTable();
        for (Structure s : List.of(hub, sat)) {
            assertThatThrownBy(s::load).isInstanceOf(MdsException.class)
                    .hasMessageContaining(s.name()).hasMessageContaining("stage stg." + name)
                    .hasMessageContaining("hash standard " + created.name())
                    .hasMessageContaining("this vault hashes with " + other(created).name());
        }
        assertThatThrownBy(hub::sql).hasMessageContaining("hash standard " + created.name());
        assertThat(strings(ds, "select count(*)::text from dds.hub_" + name)).containsExactly("0");
        assertThat(strings(ds, "select count(*)::text from dds.sat_" + name)).containsExactly("0");

        // the vault of the stage's standard loads it
        assertThat(vault(ds, created).hub("dds.hub_" + name).hashKey("customer_hk").businessKey("id").from(stage).load()
                .rowsInserted()).isEqualTo(2);
    }

    @ParameterizedTest
    @EnumSource(HashStandard.class)
    void aTableStageOfTheOtherStandardIsRefusedToo(HashStandard created, DataSource ds) {
        String name = "std_table_" + created.name().toLowerCase();
        raw(ds, "raw." + name, row("1", "a@x", "Ann", 30, day(1)));
        Stage stage = customers("raw." + name, "crm").materialized(Stage.Materialization.TABLE);
        vault(ds, created).createStage(stage);
        Satellite sat = vault(ds, other(created)).satellite("dds.sat_" + name).parent("customer_hk")
                .hashDiff("customer_hashdiff").payload("email", "name", "age").from(stage);
        sat.createTable();
        assertThatThrownBy(sat::load).hasMessageContaining("stage stg." + name)
                .hasMessageContaining("hash standard " + created.name())
                .hasMessageContaining("this vault hashes with " + other(created).name());
        assertThat(strings(ds, "select count(*)::text from dds.sat_" + name)).containsExactly("0");
    }

    @Test
    void aStageReplacedUnderTheOtherStandardIsRefusedToTheVaultsOfTheFirst(DataSource ds) {
        raw(ds, "raw.std_replaced", row("1", "a@x", "Ann", 30, day(1)));
        Stage stage = customers("raw.std_replaced", "crm");
        Vault automate = vault(ds, HashStandard.AUTOMATEDV);
        automate.createStage(stage);
        Hub hub = automate.hub("dds.hub_std_replaced").hashKey("customer_hk").businessKey("id").from(stage);
        hub.createTable();
        assertThat(hub.load().rowsInserted()).isEqualTo(1);
        // createStage replaces a stage whatever its standard (as it replaces one of another definition)
        vault(ds, HashStandard.CANONICAL).createStage(stage);
        assertThatThrownBy(hub::load).hasMessageContaining("hub dds.hub_std_replaced: stage stg.std_replaced")
                .hasMessageContaining("hash standard CANONICAL MD5, but this vault hashes with AUTOMATEDV MD5");
        assertThat(strings(ds, "select count(*)::text from dds.hub_std_replaced")).containsExactly("1");
    }

    @Test
    void anotherRuleForEmptyStringsIsRefusedToo(DataSource ds) {
        raw(ds, "raw.std_alg", row("1", "a@x", "Ann", 30, day(1)));
        Stage stage = customers("raw.std_alg", "crm");
        Vault.on(ds).createStage(stage);
        assertThatThrownBy(() -> Vault.on(ds).emptyStringAsNull(true).hub("dds.hub_std_alg").hashKey("customer_hk")
                .businessKey("id").from(stage).sql()).hasMessageContaining("stage stg.std_alg")
                .hasMessageContaining("hash standard CANONICAL MD5, but this vault hashes with CANONICAL MD5, empty strings as NULL");
    }

    @Test
    void aViewFromBeforeTheStandardWasRecordedIsRecognisedByItsQuery(DataSource ds) {
        raw(ds, "raw.std_legacy", row("1", "a@x", "Ann", 30, day(1)));
        Stage stage = customers("raw.std_legacy", "crm");
        Vault automate = vault(ds, HashStandard.AUTOMATEDV);
        automate.createStage(stage);
        // the comment an earlier version wrote: the query's SHA-256 alone
        sql(ds, "do $$ begin execute format('comment on view stg.std_legacy is %L', split_part(obj_description("
                + "'stg.std_legacy'::regclass, 'pg_class'), ';', 1)); end $$");
        assertThat(strings(ds, "select obj_description('stg.std_legacy'::regclass, 'pg_class')").get(0)).doesNotContain("hashes");
        Hub hub = vault(ds, HashStandard.CANONICAL).hub("dds.hub_std_legacy").hashKey("customer_hk").businessKey("id").from(stage);
        hub.createTable();
        assertThatThrownBy(hub::load).hasMessageContaining("hash standard AUTOMATEDV")
                .hasMessageContaining("this vault hashes with CANONICAL");
        assertThat(automate.hub("dds.hub_std_legacy").hashKey("customer_hk").businessKey("id").from(stage).load()
                .rowsInserted()).isEqualTo(1);
    }

    @Test
    void aStageMdsDidNotBuildIsReadAsItIs(DataSource ds) {
        raw(ds, "raw.std_foreign", row("1", "a@x", "Ann", 30, day(1)));
        Stage stage = customers("raw.std_foreign", "crm");
        vault(ds, HashStandard.AUTOMATEDV).createStage(stage);
        sql(ds, "comment on view stg.std_foreign is null");
        Hub hub = vault(ds, HashStandard.CANONICAL).hub("dds.hub_std_foreign").hashKey("customer_hk").businessKey("id").from(stage);
        hub.createTable();
        assertThat(hub.load().rowsInserted()).isEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(HashStandard.class)
    void aTableLoadedUnderOneStandardRefusesLoadsUnderTheOtherEvenFromAStageRebuiltForIt(HashStandard created, DataSource ds) {
        String name = "std_tbl_" + created.name().toLowerCase();
        raw(ds, "raw." + name, row("1", "a@x", "Ann", 30, day(1)));
        Stage stage = customers("raw." + name, "crm");
        Vault first = vault(ds, created);
        first.createStage(stage);
        Hub hub = first.hub("dds.hub_" + name).hashKey("customer_hk").businessKey("id").from(stage);
        Satellite sat = first.satellite("dds.sat_" + name).parent("customer_hk").hashDiff("customer_hashdiff")
                .payload("email", "name", "age").from(stage);
        hub.createTable();
        sat.createTable();
        hub.load();
        sat.load();

        // the program now builds its vault under the other standard: the stage is rebuilt, the tables are not
        Vault second = vault(ds, other(created));
        second.createStage(stage);
        Hub hub2 = second.hub("dds.hub_" + name).hashKey("customer_hk").businessKey("id").from(stage);
        Satellite sat2 = second.satellite("dds.sat_" + name).parent("customer_hk").hashDiff("customer_hashdiff")
                .payload("email", "name", "age").from(stage);
        hub2.createTable();
        sat2.createTable();
        for (Structure s : List.of(hub2, sat2)) {
            assertThatThrownBy(s::load).isInstanceOf(MdsException.class).hasMessageContaining(s.name() + ": " + s.table + " was created")
                    .hasMessageContaining("hash standard " + created.name())
                    .hasMessageContaining("this vault hashes with " + other(created).name());
        }
        assertThat(strings(ds, "select count(*)::text from dds.hub_" + name)).containsExactly("1");
        assertThat(strings(ds, "select count(*)::text from dds.sat_" + name)).containsExactly("1");
    }

    @Test
    void aViewFromBeforeTheStandardWasRecordedIsStillUpToDateForItsOwnStandard(DataSource ds) {
        raw(ds, "raw.std_legacy_own", row("1", "a@x", "Ann", 30, day(1)));
        Stage stage = customers("raw.std_legacy_own", "crm");
        Vault vault = Vault.on(ds);
        vault.createStage(stage);
        sql(ds, "do $$ begin execute format('comment on view stg.std_legacy_own is %L', split_part(obj_description("
                + "'stg.std_legacy_own'::regclass, 'pg_class'), ';', 1)); end $$");
        // a view of the user's over the stage: rebuilding the stage (DROP VIEW) would fail on it
        sql(ds, "create view stg.std_legacy_own_report as select customer_hk from stg.std_legacy_own");
        assertThat(vault.stageSql(stage)).isEmpty();
        vault.createStage(stage);
        Hub hub = vault.hub("dds.hub_std_legacy_own").hashKey("customer_hk").businessKey("id").from(stage);
        hub.createTable();
        assertThat(hub.load().rowsInserted()).isEqualTo(1);
    }
}
