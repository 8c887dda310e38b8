package dev.mds.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.FieldType;
import dev.mds.core.Schema;
import dev.mds.testing.MdsPostgres;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

@MdsPostgres
class BuilderTest {
    @Test
    void buildNamesTheSettingsThatDoNotGoTogether(DataSource ds) {
        assertThatThrownBy(() -> MergeLoader.into(ds, "raw.x").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("mode MERGE needs key(...)");
        assertThatThrownBy(() -> MergeLoader.into(ds, "raw.x").mode(SyncMode.APPEND).cursor("ts").build())
                .hasMessageContaining("cursor(\"ts\") only applies to mode MERGE");
        assertThatThrownBy(() -> MergeLoader.into(ds, "raw.x").key("id").deleteMode(DeleteMode.SOFT).build())
                .hasMessageContaining("deleteMode SOFT only applies to mode CDC");
        assertThatThrownBy(() -> MergeLoader.into(ds, "raw.x").key("id", "id")).hasMessageContaining("repeat");
        // the cursor comes in the batch, the load timestamp is set by the loader (a batch carrying it is refused): one
        // column cannot be both, which every load refused only when it ran
        assertThatThrownBy(() -> MergeLoader.into(ds, "raw.x").key("id").cursor("lt").loadTimestamp("lt").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cursor \"lt\" is the loadTimestamp column, which the loader sets itself");
        assertThatThrownBy(() -> MergeLoader.into(ds, "raw.x").key("x".repeat(64))).hasMessageContaining("63 bytes");
    }

    /**
     * A load timestamp named like the loader's own bookkeeping columns ({@code _mds_commit}, {@code _mds_change}, and
     * {@code _deleted_at} in CDC mode) used to be accepted, and every CDC load then failed in PostgreSQL with
     * 'column "_mds_commit" specified more than once' inside the generated CREATE TABLE. build() refuses it instead.
     */
    @Test
    void buildRefusesALoadTimestampNamedLikeTheLoadersBookkeepingColumns(DataSource ds) {
        for (String reserved : List.of("_mds_commit", "_mds_change", "_mds_loaded_at")) {
            for (SyncMode mode : SyncMode.values()) {
                MergeLoader.Builder b = MergeLoader.into(ds, "raw.x").mode(mode).key("id").loadTimestamp(reserved);
                assertThatThrownBy(b::build).as(mode + " " + reserved)
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("MergeLoader into raw.x: loadTimestamp \"" + reserved + "\" is reserved");
            }
        }
        assertThatThrownBy(() -> MergeLoader.into(ds, "raw.x").mode(SyncMode.CDC).loadTimestamp("_deleted_at")
                .deleteMode(DeleteMode.SOFT).build()).hasMessageContaining("loadTimestamp \"_deleted_at\" is reserved");
        assertThatThrownBy(() -> MergeLoader.into(ds, "raw.x").mode(SyncMode.CDC).loadTimestamp("_deleted_at").build())
                .hasMessageContaining("loadTimestamp \"_deleted_at\" is reserved");
        // outside CDC, _deleted_at is an ordinary name (as for a batch column)
        assertThat(MergeLoader.into(ds, "raw.x").key("id").loadTimestamp("_deleted_at").build().mode())
                .isEqualTo(SyncMode.MERGE);
    }

    @Test
    void cdcPlanShowsTombstonesAndPositionChecks(DataSource ds) {
        MergeLoader loader = MergeLoader.into(ds, "raw.planned_cdc").mode(SyncMode.CDC).key("id").build();
        List<String> sql = loader.sql(Schema.builder().required("id", FieldType.LONG).add("v", FieldType.STRING).build());
        assertThat(String.join("\n", sql)).contains("\"raw\".\"planned_cdc_mds_tombstones\"",
                "(t.\"_mds_commit\", t.\"_mds_change\") < (s.\"_mds_commit\", s.\"_mds_change\")", "on conflict (\"id\")");
    }

    @Test
    void longTableNamesGetShortenedBookkeepingTables(DataSource ds) {
        String name = "t".repeat(63);
        MergeLoader loader = MergeLoader.into(ds, dev.mds.core.TableName.of("raw", name)).mode(SyncMode.CDC).key("id").build();
        List<String> sql = loader.sql(Schema.builder().required("id", FieldType.LONG).build());
        assertThat(String.join("\n", sql)).containsPattern("\"t+_[0-9a-f]{8}_mds_tombstones\"");
    }

    @Test
    void shortenedBookkeepingNamesKeepSurrogatePairsWhole(DataSource ds) {
        // 15 emoji of 4 UTF-8 bytes each (two chars each in Java): the name must be cut between them, never inside
        String name = "\uD83D\uDE00".repeat(15);
        MergeLoader loader = MergeLoader.into(ds, dev.mds.core.TableName.of("raw", name)).mode(SyncMode.CDC).key("id").build();
        Schema schema = Schema.builder().required("id", FieldType.LONG).add("v", FieldType.STRING).build();
        String sql = String.join("\n", loader.sql(schema));
        assertThat(sql).containsPattern("\"(\uD83D\uDE00)+_[0-9a-f]{8}_mds_tombstones\"");
        dev.mds.core.TableName src = dev.mds.core.TableName.of("app", "t");
        java.time.Instant t = java.time.Instant.parse("2024-01-01T00:00:00Z");
        loader.load(new dev.mds.core.ChangeBatch(src, schema, List.of("id"), List.of(
                dev.mds.core.ChangeEvent.create(src, dev.mds.core.Record.of(1L), dev.mds.core.Record.of(1L, "a"),
                        new dev.mds.core.EventPosition(10, 1), t),
                dev.mds.core.ChangeEvent.create(src, dev.mds.core.Record.of(2L), dev.mds.core.Record.of(2L, "b"),
                        new dev.mds.core.EventPosition(10, 2), t),
                dev.mds.core.ChangeEvent.delete(src, dev.mds.core.Record.of(1L), new dev.mds.core.EventPosition(20, 1), t)),
                java.util.Optional.empty()));
        dev.mds.testing.MdsAssertions.assertThatTable(ds, dev.mds.core.TableName.of("raw", name))
                .columns("id", "v", "_mds_commit", "_mds_change").containsExactlyInAnyOrder(dev.mds.testing.MdsAssertions.row(2L, "b", 10L, 2L));
    }
}
