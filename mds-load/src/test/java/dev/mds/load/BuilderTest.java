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
        assertThatThrownBy(() -> MergeLoader.into(ds, "raw.x").key("x".repeat(64))).hasMessageContaining("63 bytes");
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
}
