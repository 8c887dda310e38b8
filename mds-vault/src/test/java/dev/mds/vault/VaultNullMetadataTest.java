package dev.mds.vault;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.Row.row;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.MdsException;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TableFixture;
import java.time.OffsetDateTime;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A stage row without a load date or record source: the tables' NOT NULL refuses it, and the error names the
 * structure, the stage and the source column to fix, with nothing written.
 */
@MdsPostgres
class VaultNullMetadataTest {
    private static final OffsetDateTime LD = OffsetDateTime.parse("2024-01-01T00:00:00Z");

    @Test
    void aNullLoadDateOrRecordSourceNamesTheStructureStageAndSourceColumn(DataSource ds) {
        TableFixture.on(ds, "raw.src").columns("id int", "k text", "name text", "src text", "ld timestamptz")
                .rows(row(1, "a", "Ann", "crm", LD), row(2, "b", "Bob", null, LD), row(3, "c", "Cy", "crm", null));
        Vault vault = Vault.on(ds);
        Stage stage = Stage.of("raw.src").into("stg.src").loadDate("ld").recordSourceColumn("src")
                .hashKey("hk", "k").hashKey("name_hk", "name").hashKey("lhk", "k", "name").hashDiff("hd", "name");
        vault.createStage(stage);
        Hub hub = vault.hub("dv.hub").hashKey("hk").businessKey("k").from(stage);
        Satellite sat = vault.satellite("dv.sat").parent("hk").hashDiff("hd").payload("name").from(stage);
        Link link = vault.link("dv.lnk").hashKey("lhk").refs("hk", "name_hk").from(stage);
        hub.createTable();
        sat.createTable();
        link.createTable();

        for (Structure s : new Structure[] {hub, sat, link}) {
            assertThatThrownBy(s::load).isInstanceOf(MdsException.class)
                    .hasMessageStartingWith(s.name() + ": load failed: ")
                    .hasMessageContaining("stage stg.src (from raw.src) has 1 row(s) with a NULL load_date (its load date column 'ld' is NULL)")
                    .hasMessageContaining("stage stg.src (from raw.src) has 1 row(s) with a NULL record_source (its record source column 'src' is NULL)")
                    .hasMessageContaining("Stage.derived");
        }
        assertThatTable(ds, "dv.hub").isEmpty();
        assertThatTable(ds, "dv.sat").isEmpty();
        assertThatTable(ds, "dv.lnk").isEmpty();
    }

    @Test
    void otherFailuresAreNamedByTheStructureOnly(DataSource ds) {
        TableFixture.on(ds, "raw.ok").columns("k text", "ld timestamptz").rows(row("a", LD));
        Vault vault = Vault.on(ds);
        Stage stage = Stage.of("raw.ok").into("stg.ok").loadDate("ld").recordSource("crm").hashKey("hk", "k");
        vault.createStage(stage);
        Hub hub = vault.hub("dv.hub_ok").hashKey("hk").businessKey("k").from(stage);
        hub.createTable();
        dev.mds.testing.TestSql.sql(ds, "alter table dv.hub_ok add constraint no_a check (k <> 'a')");
        assertThatThrownBy(hub::load).hasMessageStartingWith("hub dv.hub_ok: load failed: ")
                .hasMessageContaining("no_a").hasMessageNotContaining("NULL load_date");
        assertThatTable(ds, "dv.hub_ok").isEmpty();
    }
}
