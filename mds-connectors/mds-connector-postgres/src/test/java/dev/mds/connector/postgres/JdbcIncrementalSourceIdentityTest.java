package dev.mds.connector.postgres;

import static dev.mds.connector.postgres.Cdc.count;
import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.JdbcStateStore;
import dev.mds.core.MdsException;
import dev.mds.core.SourcePosition;
import dev.mds.core.StateStore;
import dev.mds.load.MergeLoader;
import dev.mds.load.SyncMode;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestDatabase;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * The stored position names the source database it was read from ({@code current_database()} and the cluster's
 * {@code system_identifier}), so that two sources of tables of the same name in two databases, loading into one
 * warehouse under one state key, do not share a cursor: the second is refused instead of starting at the first's
 * cursor and skipping its own rows.
 */
@MdsPostgres
class JdbcIncrementalSourceIdentityTest {
    private static final String TABLE = "create table shop.orders (id int primary key, updated_at int not null, v text)";

    /**
     * Shard A's orders have cursors 10..50, shard B's 1..5. Before, B's run under the default key (the same as A's,
     * {@code jdbc-incremental:shop.orders:updated_at}) started at A's cursor 50, read nothing and loaded nothing,
     * silently, and so did it under an explicit shared {@code stateKey}. Now it is refused naming the key and both
     * databases; nothing of B is loaded and A's stored position is as it was. Given its own key, B reads all its rows.
     */
    @Test
    void aSecondSourceDatabaseSharingTheStateKeyIsRefusedByNameAndLoadsNothing(TestDatabase db) {
        DataSource ds = db.dataSource();
        TestDatabase shardB = db.server().createDatabase(db.name() + "_shard_b");
        try {
            sql(ds, "create schema shop", TABLE, "insert into shop.orders select g, g * 10, 'a' || g from generate_series(1, 5) g");
            sql(shardB.dataSource(), "create schema shop", TABLE,
                    "insert into shop.orders select 100 + g, g, 'b' || g from generate_series(1, 5) g");
            StateStore state = JdbcStateStore.create(ds);
            MergeLoader loader = MergeLoader.into(ds, "raw.orders").mode(SyncMode.MERGE).key("id").build();
            for (String sharedKey : new String[] {null, "orders"}) {
                sql(ds, "drop table if exists raw.orders");
                JdbcIncrementalSource.Builder a = JdbcIncrementalSource.builder(ds, "shop.orders").cursor("updated_at")
                        .key("id").batchRows(2).offsets(state);
                JdbcIncrementalSource.Builder b = JdbcIncrementalSource.builder(shardB.dataSource(), "shop.orders")
                        .cursor("updated_at").key("id").batchRows(2).offsets(state);
                if (sharedKey != null) {
                    a.stateKey(sharedKey);
                    b.stateKey(sharedKey);
                }
                JdbcIncrementalSource sourceA = a.build();
                JdbcIncrementalSource sourceB = b.build();
                assertThat(sourceB.stateKey()).isEqualTo(sourceA.stateKey());
                assertThat(sourceA.run(ds, (batch, c) -> loader.load(batch, c))).isEqualTo(5);
                StateStore.State before = state.get(sourceA.stateKey()).orElseThrow();

                int[] batches = {0};
                assertThatThrownBy(() -> sourceB.run(ds, (batch, c) -> {
                    batches[0]++;
                    loader.load(batch, c);
                })).isInstanceOf(MdsException.class)
                        .hasMessageContaining("shop.orders")
                        .hasMessageContaining("state key '" + sourceA.stateKey() + "'")
                        .hasMessageContaining("database " + db.name() + ",")
                        .hasMessageContaining("database " + shardB.name() + ",")
                        .hasMessageContaining("stateKey(");
                assertThat(batches[0]).as("no batch handed to the loader").isZero();
                assertThat(count(ds, "select count(*) from raw.orders")).isEqualTo(5);
                assertThat(count(ds, "select count(*) from raw.orders where id > 100")).isZero();
                StateStore.State after = state.get(sourceA.stateKey()).orElseThrow();
                assertThat(after.version()).isEqualTo(before.version());
                assertThat(after.json()).isEqualTo(before.json());

                // what the message asks for: B under a key of its own reads all its rows, and A goes on as before
                JdbcIncrementalSource ownKey = JdbcIncrementalSource.builder(shardB.dataSource(), "shop.orders")
                        .cursor("updated_at").key("id").batchRows(2).offsets(state).stateKey("shard_b:" + sharedKey)
                        .build();
                assertThat(ownKey.run(ds, (batch, c) -> loader.load(batch, c))).isEqualTo(5);
                assertThat(sourceA.run(ds, (batch, c) -> loader.load(batch, c))).as("the row at A's cursor").isEqualTo(1);
                assertThat(count(ds, "select count(*) from raw.orders")).isEqualTo(10);
                state.delete(sourceA.stateKey());
                state.delete(ownKey.stateKey());
            }
        } finally {
            shardB.drop();
        }
    }

    /**
     * A position stored before the identity was (only a cursor) is taken as this source's: the run resumes at its
     * cursor, reading nothing before it again, and the position it stores names this source; a source of another
     * database under the key is refused from then on.
     */
    @Test
    void aPositionStoredWithoutIdentityIsAdoptedAndThenCarriesIt(TestDatabase db) {
        DataSource ds = db.dataSource();
        sql(ds, "create schema legacy", "create table legacy.t (id int primary key, ts int not null)",
                "insert into legacy.t select g, g from generate_series(1, 10) g");
        StateStore state = JdbcStateStore.create(ds);
        JdbcIncrementalSource source = JdbcIncrementalSource.builder(ds, "legacy.t").cursor("ts").key("id").batchRows(4)
                .offsets(state).build();
        // as the version before wrote it
        state.put(source.stateKey(), SourcePosition.of(source.stateKey(), Map.of("cursor", "7")).toJson());

        assertThat(source.run(ds, (batch, c) -> { })).as("rows 7 to 10, from the stored cursor").isEqualTo(4);
        Map<String, Object> stored = SourcePosition.fromJson(state.get(source.stateKey()).orElseThrow().json()).values();
        assertThat(stored).containsEntry("cursor", "10").containsEntry("source.database", db.name());
        assertThat(stored.get("source.cluster").toString()).as("the test server's user may call pg_control_system()")
                .matches("system_identifier=[0-9]+");

        TestDatabase other = db.server().createDatabase(db.name() + "_other");
        try {
            sql(other.dataSource(), "create schema legacy", "create table legacy.t (id int primary key, ts int not null)",
                    "insert into legacy.t values (1, 1)");
            JdbcIncrementalSource fromOther = JdbcIncrementalSource.builder(other.dataSource(), "legacy.t").cursor("ts")
                    .key("id").offsets(state).build();
            assertThatThrownBy(() -> fromOther.run(ds, (batch, c) -> { })).isInstanceOf(MdsException.class)
                    .hasMessageContaining("database " + other.name() + ",");
        } finally {
            other.drop();
        }
    }

    /**
     * The same source, built again on a new pool (a restarted process), finds its own identity stored and goes on
     * where it stopped; so does a source whose role may not call {@code pg_control_system()}, identified by the
     * server's address and port instead.
     */
    @Test
    void theSameSourceAfterARestartContinuesWhereItStopped(TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        sql(ds, "create schema again", "create table again.t (id int primary key, ts int not null)",
                "insert into again.t select g, g from generate_series(1, 6) g");
        StateStore state = JdbcStateStore.create(ds);
        JdbcIncrementalSource first = JdbcIncrementalSource.builder(ds, "again.t").cursor("ts").key("id").batchRows(4)
                .offsets(state).build();
        assertThat(first.run(ds, (batch, c) -> { })).isEqualTo(6);
        String identity = SourcePosition.fromJson(state.get(first.stateKey()).orElseThrow().json()).values()
                .get("source.cluster").toString();
        sql(ds, "insert into again.t values (7, 7), (8, 8)");
        try (com.zaxxer.hikari.HikariDataSource restarted = db.newDataSource(1)) {
            JdbcIncrementalSource second = JdbcIncrementalSource.builder(restarted, "again.t").cursor("ts").key("id")
                    .batchRows(4).offsets(JdbcStateStore.create(ds)).build();
            assertThat(second.run(ds, (batch, c) -> { })).as("the row at the stored cursor and the two new").isEqualTo(3);
            assertThat(second.storedCursor()).hasValue("8");
            assertThat(SourcePosition.fromJson(state.get(first.stateKey()).orElseThrow().json()).values())
                    .containsEntry("source.cluster", identity).containsEntry("source.database", db.name());
        }

        // a role that may not read the control file: identified by the server's address and port, and resumes too
        TestDatabase owned = db.server().createOwnedDatabase(db.name() + "_owned");
        try {
            sql(owned.dataSource(), "create schema s", "create table s.t (id int primary key, ts int not null)",
                    "insert into s.t select g, g from generate_series(1, 3) g");
            // pg_proc is the database's own: this takes the function from the owned database's roles only
            sql(owned.adminDataSource(), "revoke execute on function pg_control_system() from public");
            for (int run = 0; run < 2; run++) {
                JdbcIncrementalSource limited = JdbcIncrementalSource.builder(owned.dataSource(), "s.t").cursor("ts")
                        .key("id").offsets(state).build();
                assertThat(limited.run(ds, (batch, c) -> { })).isEqualTo(run == 0 ? 3 : 1);
                Map<String, Object> stored = SourcePosition.fromJson(state.get(limited.stateKey()).orElseThrow()
                        .json()).values();
                assertThat(stored).containsEntry("source.database", owned.name());
                assertThat(stored.get("source.cluster").toString()).startsWith("server=").endsWith(":" + db.port());
            }
        } finally {
            owned.drop();
        }
    }
}
