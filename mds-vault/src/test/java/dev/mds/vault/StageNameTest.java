package dev.mds.vault;

import static dev.mds.testing.Row.row;
import static dev.mds.vault.VaultFixtures.day;
import static dev.mds.vault.VaultFixtures.raw;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.core.TableName;
import dev.mds.testing.MdsPostgres;
import java.nio.charset.StandardCharsets;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** A stage's target: the default {@code stg_<name>} must not stop a source whose name leaves no room for it. */
@MdsPostgres
class StageNameTest {

    /**
     * A source named with 63 bytes (PostgreSQL's limit) can be staged: into(...) names the target, and without it the
     * default target is cut to 63 bytes and tagged with the source name's hash, so two such sources of one schema that
     * share their first 50 bytes get two stages. Before, Stage.of refused the name itself ('identifier stg_... is 67
     * bytes long'), into(...) or not.
     */
    @Test
    void aSourceWithALongNameCanBeStagedWithANamedOrADefaultTarget(DataSource ds) {
        String name = "customers_from_the_crm_of_the_northern_region_and_" + "x".repeat(13);
        String twin = "customers_from_the_crm_of_the_northern_region_and_" + "y".repeat(13);
        assertThat(name.getBytes(StandardCharsets.UTF_8)).hasSize(63);
        raw(ds, "raw." + name, row("1", "a@x", "Ann", 30, day(1)));
        Vault vault = Vault.on(ds);
        Stage named = Stage.of("raw." + name).into("stg.long_named").loadDate("ld").recordSource("crm").hashKey("customer_hk", "id");
        assertThat(vault.createStage(named).rowsInserted()).isZero();
        Hub hub = vault.hub("dds.long_named_hub").hashKey("customer_hk").businessKey("id").from(named);
        hub.createTable();
        assertThat(hub.load().rowsInserted()).isEqualTo(1);

        TableName byDefault = Stage.of("raw." + name).target();
        TableName twinDefault = Stage.of("raw." + twin).target();
        assertThat(byDefault.schema()).isEqualTo("raw");
        assertThat(byDefault.name()).startsWith("stg_customers_from_the_crm").hasSizeLessThanOrEqualTo(63);
        assertThat(twinDefault).isNotEqualTo(byDefault);
        assertThat(Stage.of("raw.users").target()).isEqualTo(TableName.of("raw", "stg_users"));   // names that fit: unchanged
        Stage stage = Stage.of("raw." + name).loadDate("ld").recordSource("crm").hashKey("customer_hk", "id");
        vault.createStage(stage);
        assertThat(vault.stageSql(stage)).isEmpty();
    }
}
