package dev.mds.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.testing.MdsPostgres;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** {@link PostgresDialect#createSchemaIfMissing}: the one way mds modules create a missing schema. */
@MdsPostgres
class CreateSchemaTest {
    private final PostgresDialect dialect = PostgresDialect.INSTANCE;

    @Test
    void createsAMissingSchemaOnceInAutoCommitMode(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            assertThat(dialect.createSchemaIfMissing(c, "Odd \"Schema\"")).isTrue();
            assertThat(dialect.createSchemaIfMissing(c, "Odd \"Schema\"")).isFalse();
            assertThat(dialect.schemaExists(c, "Odd \"Schema\"")).isTrue();
            assertThat(c.getAutoCommit()).isTrue();
        }
    }

    @Test
    void showsTheLockAndTheCreateWithTheNameQuoted() {
        assertThat(dialect.createSchemaSql("it's")).containsExactly(
                "select pg_advisory_xact_lock(hashtextextended('mds.schema \"it''s\"', 0))",
                "create schema if not exists \"it's\"");
    }

    /** pg_temp names the session's own temporary schema: it always exists and is never created. */
    @Test
    void pgTempIsTheSessionsTemporarySchemaAndAlwaysExists(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            assertThat(dialect.schemaExists(c, "pg_temp")).isTrue();
            assertThat(dialect.createSchemaIfMissing(c, "pg_temp")).isFalse();
            Sql.execute(c, "create temporary table staging (id int)");
            Sql.execute(c, "insert into pg_temp.staging values (1)");
            assertThat(dialect.readSchema(c, TableName.of("pg_temp", "staging"))).as("read as the session's own").isPresent();
        }
    }

    /** Inside the caller's transaction the schema commits or rolls back with it. */
    @Test
    void joinsTheCallersTransaction(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            assertThat(dialect.createSchemaIfMissing(c, "rolled_back")).isTrue();
            c.rollback();
            assertThat(dialect.schemaExists(c, "rolled_back")).isFalse();
            c.rollback();
        }
    }

    /**
     * Two transactions creating the same new schema at once (the first loads of two streams into one schema, or a
     * load and a vault's createTable): plain {@code create schema if not exists} makes the second fail on
     * pg_namespace's unique index once the first commits; through the helper the second waits and finds it.
     */
    @Test
    void concurrentCreatorsOfOneSchemaTakeTurnsInsteadOfFailing(DataSource ds) throws Exception {
        try (Connection a = ds.getConnection(); Connection b = ds.getConnection()) {
            a.setAutoCommit(false);
            b.setAutoCommit(false);
            Sql.execute(a, "create schema if not exists plain");
            CompletableFuture<Void> plain = CompletableFuture.runAsync(
                    () -> Sql.execute(b, "create schema if not exists plain"));
            waitUntilWaiting(ds);
            a.commit();
            assertThatThrownBy(() -> plain.get(30, TimeUnit.SECONDS)).hasRootCauseInstanceOf(SQLException.class)
                    .rootCause().hasMessageContaining("pg_namespace_nspname_index");
            b.rollback();

            assertThat(dialect.createSchemaIfMissing(a, "shared")).isTrue();
            CompletableFuture<Boolean> second = CompletableFuture.supplyAsync(() -> dialect.createSchemaIfMissing(b, "shared"));
            waitUntilWaiting(ds);
            assertThat(second).isNotDone();
            a.commit();
            assertThat(second.get(30, TimeUnit.SECONDS)).isFalse();
            b.commit();
            assertThat(dialect.schemaExists(a, "shared")).isTrue();
            a.commit();
        }
    }

    /** A session that is not mds (it takes no lock) creating the schema at the same moment does not fail the call. */
    @Test
    void aSchemaCreatedMeanwhileByAnotherProgramIsFound(DataSource ds) throws Exception {
        try (Connection other = ds.getConnection(); Connection c = ds.getConnection()) {
            other.setAutoCommit(false);
            Sql.execute(other, "create schema by_hand");   // not committed yet
            CompletableFuture<Boolean> created = CompletableFuture.supplyAsync(() -> dialect.createSchemaIfMissing(c, "by_hand"));
            waitUntilWaiting(ds);
            other.commit();
            assertThat(created.get(30, TimeUnit.SECONDS)).isFalse();
            assertThat(c.getAutoCommit()).isTrue();
            assertThat(dialect.schemaExists(c, "by_hand")).isTrue();
        }
    }

    /** Until a session of this database waits on a lock. */
    private static void waitUntilWaiting(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            for (int i = 0; i < 300; i++) {
                try (var st = c.createStatement(); var rs = st.executeQuery("select count(*) from pg_stat_activity"
                        + " where datname = current_database() and wait_event_type = 'Lock'")) {
                    rs.next();
                    if (rs.getInt(1) > 0) {
                        return;
                    }
                }
                Thread.sleep(20);
            }
            throw new AssertionError("no session waited on a lock within 6 s");
        }
    }

    /**
     * schemaExists took any text: a name with a NUL character failed at the server ('invalid byte sequence for
     * encoding "UTF8": 0x00'), aborting a caller's transaction, and a name with half of a surrogate pair was sent with
     * '?' for it, so it found another schema ("a?b"). Such names, and empty or too long ones, are refused as
     * {@link Identifiers#check} refuses them, before any statement runs, by createSchemaIfMissing too.
     */
    @Test
    void aSchemaNameNoSchemaCanHaveIsRefusedBeforeAnyStatementRuns(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            dialect.createSchemaIfMissing(c, "a?b");
            c.setAutoCommit(false);
            for (String bad : new String[] {"a\0b", "a\uD800b", "", "s".repeat(64)}) {
                assertThatThrownBy(() -> dialect.schemaExists(c, bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
                assertThatThrownBy(() -> dialect.createSchemaIfMissing(c, bad)).as(bad)
                        .isInstanceOf(IllegalArgumentException.class);
            }
            assertThat(dialect.schemaExists(c, "a?b")).isTrue();   // the transaction goes on
            c.commit();
        }
    }
}
