package dev.mds.vault;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.Row.row;
import static dev.mds.vault.VaultFixtures.customers;
import static dev.mds.vault.VaultFixtures.day;
import static dev.mds.vault.VaultFixtures.raw;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import dev.mds.testing.Sessions;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Pipelines that start together (a hub fed by two sources, a hub and a satellite task sharing a stage) each create
 * the structures they load. The first of two such calls is held open in a test transaction running the statements
 * it shows; the second must wait for it and then find the table (or view) there, not fail on PostgreSQL's catalog
 * ('duplicate key value violates unique constraint "pg_type_typname_nsp_index"', 'relation already exists').
 */
@MdsPostgres
class ConcurrentDdlTest {

    @Test
    void twoCreateTablesOfOneHubAtTheSameTimeBothSucceed(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        raw(ds, "raw.ddl_turns", row("1", "a", "A", 1, day(1)));
        Stage stage = customers("raw.ddl_turns", "crm");
        vault.createStage(stage);
        Hub hub = vault.hub("stg.ddl_turns_hub").hashKey("customer_hk").businessKey("id").from(stage);
        whileHeld(ds, hub.createTableSql(), () -> {
            hub.createTable();
            return null;
        });
        assertThat(hub.load().rowsInserted()).isEqualTo(1);
        assertThatTable(ds, "stg.ddl_turns_hub").hasRowCount(1);
    }

    @Test
    void twoCreateStagesOfOneNewViewAtTheSameTimeBothSucceed(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        raw(ds, "raw.ddl_stage", row("1", "a", "A", 1, day(1)));
        Stage stage = customers("raw.ddl_stage", "crm").into("ddl_stage_stg.users");
        whileHeld(ds, vault.stageSql(stage), () -> vault.createStage(stage));
        assertThat(vault.stageSql(stage)).isEmpty();
        Hub hub = vault.hub("dds.ddl_stage_hub").hashKey("customer_hk").businessKey("id").from(stage);
        hub.createTable();
        assertThat(hub.load().rowsInserted()).isEqualTo(1);
    }

    @Test
    void twoCreateStagesOfOneNewTableAtTheSameTimeBothSucceed(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        raw(ds, "raw.ddl_stage_t", row("1", "a", "A", 1, day(1)));
        Stage stage = customers("raw.ddl_stage_t", "crm").materialized(Stage.Materialization.TABLE);
        assertThat(whileHeld(ds, vault.stageSql(stage), () -> vault.createStage(stage)).rowsInserted()).isEqualTo(1);
        assertThatTable(ds, "stg.ddl_stage_t").hasRowCount(1);
    }

    @Test
    void twoTablesCreatedInOneNewSchemaAtTheSameTimeBothSucceed(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        raw(ds, "raw.ddl_schema", row("1", "a", "A", 1, day(1)));
        Stage stage = customers("raw.ddl_schema", "crm");
        vault.createStage(stage);
        Hub hub = vault.hub("ddl_schema_dds.hub").hashKey("customer_hk").businessKey("id").from(stage);
        Satellite sat = vault.satellite("ddl_schema_dds.sat").parent("customer_hk").hashDiff("customer_hashdiff")
                .payload("name").from(stage);
        whileHeld(ds, hub.createTableSql(), () -> {
            sat.createTable();
            return null;
        });
        assertThat(List.of(hub.load().rowsInserted(), sat.load().rowsInserted())).containsExactly(1L, 1L);
    }

    /**
     * Runs {@code statements} (what the first call shows) in a transaction held open until {@code second} waits for
     * a lock, then commits it; {@code second}'s result.
     */
    private static <T> T whileHeld(DataSource ds, List<String> statements, Supplier<T> second) throws Exception {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            for (String s : statements) {
                st.execute(s);
            }
            CompletableFuture<T> waiting = CompletableFuture.supplyAsync(second);
            Sessions.awaitLockWait(ds, waiting);
            c.commit();
            return waiting.join();
        }
    }
}
