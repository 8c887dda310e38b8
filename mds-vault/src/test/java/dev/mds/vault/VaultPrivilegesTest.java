package dev.mds.vault;

import static dev.mds.testing.Row.row;
import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static dev.mds.vault.VaultFixtures.batch;
import static dev.mds.vault.VaultFixtures.day;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TableFixture;
import dev.mds.testing.TestDatabase;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.AfterAll;

/**
 * The vault loaded by roles that are not superusers, as a warehouse grants them: a role that builds the vault (it may
 * create schemas in the database and reads the raw table another role owns), and an insert-only role that loads
 * tables an administrator created (INSERT and SELECT on the insert-only structures, the usual Data Vault grant).
 */
@MdsPostgres
class VaultPrivilegesTest {
    private static final List<com.zaxxer.hikari.HikariDataSource> POOLS = new java.util.concurrent.CopyOnWriteArrayList<>();

    @AfterAll
    static void closePools() {
        POOLS.forEach(com.zaxxer.hikari.HikariDataSource::close);
    }

    /** A login role (created once per server) and a data source connecting as it. */
    private static DataSource role(TestDatabase db, String name) {
        sql(db.adminDataSource(), "do $$ begin create role " + name + " login password 'secret'; exception when duplicate_object"
                + " then null; end $$");
        com.zaxxer.hikari.HikariConfig config = new com.zaxxer.hikari.HikariConfig();
        config.setJdbcUrl(db.jdbcUrl());
        config.setUsername(name);
        config.setPassword("secret");
        config.setMaximumPoolSize(2);
        com.zaxxer.hikari.HikariDataSource ds = new com.zaxxer.hikari.HikariDataSource(config);
        POOLS.add(ds);
        return ds;
    }

    /** A raw table of purchases (email, product, phone type, phone, bought, ld) that the administrator owns. */
    private static void raw(DataSource admin, String table, dev.mds.testing.Row... rows) {
        TableFixture.on(admin, table).columns("email text", "product text", "phone_type text", "phone text", "bought timestamptz",
                "ld timestamptz").rows(rows);
    }

    private static Stage stage(String raw, String stageSchema) {
        return Stage.of(raw).into(stageSchema + "." + raw.substring(raw.indexOf('.') + 1)).loadDate("ld").recordSource("shop")
                .hashKey("user_hk", "email").hashKey("product_hk", "product").hashKey("purchase_hk", "email", "product")
                .hashDiff("phone_hashdiff", "phone");
    }

    /** Every structure of the vault over one stage. */
    private record Model(Hub hub, Link link, Satellite sat, EffectivitySatellite eff, MultiActiveSatellite ma,
            TransactionalLink tlink, Pit pit) {
        static Model of(Vault vault, String schema, Stage stage) {
            return new Model(
                    vault.hub(schema + ".hub_user").hashKey("user_hk").businessKey("email").from(stage),
                    vault.link(schema + ".link_purchase").hashKey("purchase_hk").refs("user_hk", "product_hk").from(stage),
                    vault.satellite(schema + ".sat_user").parent("user_hk").hashDiff("phone_hashdiff").payload("phone").from(stage),
                    vault.effectivitySatellite(schema + ".eff_purchase").link("purchase_hk").drivingKey("user_hk")
                            .effectiveFrom("bought").from(stage),
                    vault.multiActiveSatellite(schema + ".ma_phone").parent("user_hk").childKeys("phone_type")
                            .hashDiff("phone_hashdiff").payload("phone").from(stage),
                    vault.transactionalLink(schema + ".t_purchase").hashKey("purchase_hk").refs("user_hk", "product_hk")
                            .payload("phone").effectiveFrom("bought").from(stage),
                    vault.pit(schema + ".pit_user").hub(schema + ".hub_user", "user_hk").satellites(schema + ".sat_user")
                            .asOf(List.of(day(2), day(4))));
        }

        void createTables() {
            hub.createTable();
            link.createTable();
            sat.createTable();
            eff.createTable();
            ma.createTable();
            tlink.createTable();
        }

        /** Loads every structure but the PIT; returns the rows each inserted. */
        List<Long> load() {
            return List.of(hub.load().rowsInserted(), link.load().rowsInserted(), sat.load().rowsInserted(),
                    eff.load().rowsInserted(), ma.load().rowsInserted(), tlink.load().rowsInserted());
        }

        List<Long> ghosts() {
            return List.of(sat.insertGhostRecord().rowsInserted(), ma.insertGhostRecord().rowsInserted());
        }
    }

    private static void twoBatches(DataSource admin, String rawTable, Model model) throws Exception {
        assertThat(model.load()).containsExactly(2L, 2L, 2L, 2L, 2L, 2L);
        batch(admin, rawTable, row("a@x", "p2", "home", "2", day(3), day(3)), row("b@x", "p1", "home", "9", day(1), day(1)));
        // a: a new product (closes p1, opens p2), a new phone; b: as before
        assertThat(model.load()).containsExactly(0L, 1L, 1L, 2L, 1L, 1L);
        assertThat(model.load()).containsExactly(0L, 0L, 0L, 0L, 0L, 0L);
        assertThat(model.ghosts()).containsExactly(1L, 1L);
    }

    @Test
    void aRoleThatMayCreateSchemasBuildsAndLoadsTheWholeVaultFromARawTableItMayOnlyRead(TestDatabase db) throws Exception {
        DataSource admin = db.adminDataSource();
        DataSource builder = role(db, "mds_vault_builder");
        raw(admin, "raw.buy_b", row("a@x", "p1", "home", "1", day(1), day(1)), row("b@x", "p1", "home", "9", day(1), day(1)));
        sql(admin, "grant create on database \"" + db.name() + "\" to mds_vault_builder",
                "grant usage on schema raw to mds_vault_builder", "grant select on raw.buy_b to mds_vault_builder");
        Vault vault = Vault.on(builder);
        Stage stage = stage("raw.buy_b", "bstg");
        vault.createStage(stage);
        Model model = Model.of(vault, "bdds", stage);
        model.createTables();
        twoBatches(admin, "raw.buy_b", model);
        model.pit().createTable();
        assertThat(model.pit().load().rowsInserted()).isEqualTo(4);
        assertThat(model.pit().load().rowsInserted()).isZero();
        assertThat(strings(admin, "select tableowner from pg_tables where schemaname in ('bstg', 'bdds') group by 1"))
                .containsExactly("mds_vault_builder");
    }

    /**
     * A role that may create tables and views in the schemas an administrator made, but no schemas (no CREATE on the
     * database). Before, createStage and createTable failed with 'permission denied for database': PostgreSQL checks
     * CREATE SCHEMA IF NOT EXISTS against the database's privilege before it looks for the schema.
     */
    @Test
    void aRoleThatMayCreateTablesOnlyInExistingSchemasBuildsTheVault(TestDatabase db) throws Exception {
        DataSource admin = db.adminDataSource();
        DataSource builder = role(db, "mds_vault_schema_builder");
        raw(admin, "raw.buy_s", row("a@x", "p1", "home", "1", day(1), day(1)), row("b@x", "p1", "home", "9", day(1), day(1)));
        sql(admin, "create schema sstg", "create schema sdds", "grant usage on schema raw to mds_vault_schema_builder",
                "grant select on raw.buy_s to mds_vault_schema_builder",
                "grant usage, create on schema sstg, sdds to mds_vault_schema_builder");
        Vault vault = Vault.on(builder);
        Stage stage = stage("raw.buy_s", "sstg");
        assertThat(vault.stageSql(stage)).noneMatch(s -> s.toLowerCase(java.util.Locale.ROOT).startsWith("create schema"));
        vault.createStage(stage);
        Model model = Model.of(vault, "sdds", stage);
        model.createTables();
        twoBatches(admin, "raw.buy_s", model);
        assertThat(strings(admin, "select count(*) from sdds.hub_user")).containsExactly("2");
    }

    /**
     * Tables made by an administrator; the loading role may insert into the insert-only structures and read them,
     * nothing more (it may not update, delete or truncate them). Before, every load failed on its first statement,
     * LOCK TABLE … IN SHARE ROW EXCLUSIVE MODE, which PostgreSQL grants only with UPDATE, DELETE, TRUNCATE or
     * MAINTAIN.
     */
    @Test
    void anInsertOnlyRoleLoadsTablesAnAdministratorCreated(TestDatabase db) throws Exception {
        DataSource admin = db.adminDataSource();
        DataSource loader = role(db, "mds_vault_inserter");
        raw(admin, "raw.buy_i", row("a@x", "p1", "home", "1", day(1), day(1)), row("b@x", "p1", "home", "9", day(1), day(1)));
        Stage stage = stage("raw.buy_i", "istg");
        Vault.on(admin).createStage(stage);
        Model.of(Vault.on(admin), "idds", stage).createTables();
        sql(admin, "grant usage on schema raw, istg, idds to mds_vault_inserter",
                "grant select on raw.buy_i, istg.buy_i to mds_vault_inserter",
                "grant select, insert on idds.hub_user, idds.link_purchase, idds.sat_user, idds.eff_purchase, idds.ma_phone,"
                        + " idds.t_purchase to mds_vault_inserter");
        // the stage view is up to date, so a role that may only read it can run the pipeline's createStage
        assertThat(Vault.on(loader).createStage(stage).rowsInserted()).isZero();
        Model model = Model.of(Vault.on(loader), "idds", stage);
        twoBatches(admin, "raw.buy_i", model);
        assertThat(strings(admin, "select count(*) from idds.sat_user")).containsExactly("4");   // 3 + the ghost

        // two loads of one hub by this role at once take turns: the second waits for the first's advisory lock, then
        // sees its rows (without the turn it would meet the first's uncommitted keys and fail on the primary key)
        batch(admin, "raw.buy_i", row("c@x", "p1", "home", "5", day(5), day(5)));
        Hub hub = Model.of(Vault.on(loader), "idds", stage).hub();
        try (java.sql.Connection first = loader.getConnection(); java.sql.Statement st = first.createStatement()) {
            first.setAutoCommit(false);
            List<String> statements = hub.sql();
            assertThat(statements.get(0)).isEqualTo("SELECT pg_advisory_xact_lock(hashtext('mds-vault'), hashtext('\"idds\".\"hub_user\"'))");
            for (String statement : statements) {
                st.execute(statement);
            }
            java.util.concurrent.CompletableFuture<Long> second = java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> hub.load().rowsInserted());
            assertThat(dev.mds.testing.Sessions.awaitLockWait(admin, second)).isTrue();
            first.commit();
            assertThat(second.join()).isZero();
        }
        assertThat(strings(admin, "select email from idds.hub_user order by 1")).containsExactly("a@x", "b@x", "c@x");
        // the owner (who may update) takes the advisory lock too, then the table lock, which also holds other writers back
        Hub owners = Model.of(Vault.on(admin), "idds", stage).hub();
        assertThat(owners.sql().get(0)).isEqualTo("SELECT pg_advisory_xact_lock(hashtext('mds-vault'),"
                + " hashtext('\"idds\".\"hub_user\"')); LOCK TABLE \"idds\".\"hub_user\" IN SHARE ROW EXCLUSIVE MODE");

        // a load by the owner and one by the insert-only role take turns, whichever comes first. Before, the owner's
        // table lock and the role's advisory lock did not meet: a satellite load by the role, started while the
        // owner's load of the empty satellite was open, found it empty, chose the statement that compares with no stored
        // row, then waited at its insert and failed on the unique key (hash key, load date)
        // the role's sessions default to REPEATABLE READ: a load still sees what the load it waited for committed (its
        // transaction is READ COMMITTED; before, the lock's SELECT fixed the snapshot before the wait)
        sql(admin, "alter role mds_vault_inserter set default_transaction_isolation = 'repeatable read'");
        loader = role(db, "mds_vault_inserter");
        assertThat(strings(loader, "show transaction_isolation")).containsExactly("repeatable read");
        Satellite inserters = Model.of(Vault.on(loader), "idds", stage).sat();
        Satellite ownersSat = Model.of(Vault.on(admin), "idds", stage).sat();
        for (boolean ownerFirst : new boolean[] {true, false}) {
            sql(admin, "truncate idds.sat_user");
            Satellite first = ownerFirst ? ownersSat : inserters;
            Satellite second = ownerFirst ? inserters : ownersSat;
            try (java.sql.Connection c = (ownerFirst ? admin : loader).getConnection(); java.sql.Statement st = c.createStatement()) {
                c.setAutoCommit(false);
                List<String> statements = first.sql();   // the lock, "is it empty?", the load, the load of an empty table
                st.execute(statements.get(0));
                st.execute(statements.get(3));
                long rows = st.getUpdateCount();
                assertThat(rows).isPositive();
                java.util.concurrent.CompletableFuture<Long> later = java.util.concurrent.CompletableFuture.supplyAsync(
                        () -> second.load().rowsInserted());
                assertThat(dev.mds.testing.Sessions.awaitLockWait(admin, later)).isTrue();
                c.commit();
                assertThat(later.join()).as("owner first: %s", ownerFirst).isZero();
                assertThat(strings(admin, "select count(*) from idds.sat_user")).containsExactly(Long.toString(rows));
            }
        }
    }
}
