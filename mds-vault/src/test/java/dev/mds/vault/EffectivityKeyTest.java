package dev.mds.vault;

import static dev.mds.testing.Row.row;
import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static dev.mds.vault.VaultFixtures.batch;
import static dev.mds.vault.VaultFixtures.day;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.MdsException;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TableFixture;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * An effectivity satellite's table whose primary key (or a unique index) holds fewer rows than it writes: one per
 * link, where it writes one per (link, load date).
 */
@MdsPostgres
class EffectivityKeyTest {
    /**
     * An effectivity satellite table keyed on the link alone failed the load that moves a driving key with
     * PostgreSQL's duplicate-key error (the old link's closing row beside its opening row). Now it is refused before
     * anything is written; the table createTable() makes, and one without a key, load the move.
     */
    @Test
    void anEffectivitySatelliteKeyWithoutTheLoadDateIsRefusedBeforeWriting(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        TableFixture.on(ds, "raw.ek").columns("customer text", "product text", "since timestamptz", "ld timestamptz")
                .rows(row("c1", "p1", day(1), day(1)));
        Stage stage = Stage.of("raw.ek").into("stg.ek").loadDate("ld").recordSource("crm")
                .hashKey("customer_hk", "customer").hashKey("assign_hk", "customer", "product");
        vault.createStage(stage);
        String cols = " (assign_hk bytea not null, customer_hk bytea not null, start_date timestamptz,"
                + " end_date timestamptz not null, load_date timestamptz not null, record_source text not null";
        sql(ds, "create schema if not exists dds", "create table dds.ek_link" + cols + ", primary key (assign_hk))",
                "create table dds.ek_nokey" + cols + ")");
        EffectivitySatellite made = eff(vault, "ek_made", stage);
        made.createTable();
        for (String t : new String[] {"ek_made", "ek_nokey"}) {
            assertThat(eff(vault, t, stage).load().rowsInserted()).as(t).isEqualTo(1);
        }
        // what an earlier load (or AutomateDV) stored in the table keyed on the link: c1 on p1
        sql(ds, "insert into dds.ek_link select * from dds.ek_made");
        batch(ds, "raw.ek", row("c1", "p2", day(3), day(3)));
        EffectivitySatellite bad = eff(vault, "ek_link", stage);
        assertThatThrownBy(bad::load).isInstanceOf(MdsException.class)
                .hasMessageStartingWith("effectivity satellite dds.ek_link: ")
                .hasMessageContaining("primary key (assign_hk)")
                .hasMessageContaining("[load_date]")
                .hasMessageNotContaining("duplicate key");
        assertThat(strings(ds, "select count(*) from dds.ek_link")).containsExactly("1");
        for (String t : new String[] {"ek_made", "ek_nokey"}) {
            assertThat(eff(vault, t, stage).load().rowsInserted()).as(t).isEqualTo(2);
        }
    }

    private static EffectivitySatellite eff(Vault vault, String table, Stage stage) {
        return vault.effectivitySatellite("dds." + table).link("assign_hk").drivingKey("customer_hk")
                .effectiveFrom("since").from(stage);
    }
}
