package dev.mds.vault;

import static dev.mds.testing.Row.row;
import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static dev.mds.vault.VaultFixtures.batch;
import static dev.mds.vault.VaultFixtures.day;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TableFixture;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * An effectivity satellite AutomateDV loaded holds its open links with the end its stages give them, AutomateDV's
 * max datetime 9999-12-31 23:59:59.999 (AutomateDV's eff_sat takes a link as open when DATE(end_date) is 9999-12-31).
 */
@MdsPostgres
class EffectivityAutomateDvOpenEndTest {
    /**
     * The stored link ending 9999-12-31 23:59:59.999 was not open for mds (it compared the end with its own
     * 9999-12-31 00:00:00 exactly), so its driving key counted as settled until that end, and the move of c1 to p2 was
     * skipped as late data: 0 rows inserted, c1 left on p1. Now it is open: the move closes it and opens p2.
     */
    @Test
    void aStoredLinkEndingOnAutomateDvsMaxDatetimeIsOpenAndAMoveClosesIt(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds).standard(HashStandard.AUTOMATEDV);
        TableFixture.on(ds, "raw.eo").columns("customer text", "product text", "since timestamptz", "ld timestamptz")
                .rows(row("c1", "p1", day(1), day(1)));
        Stage stage = Stage.of("raw.eo").into("stg.eo").loadDate("ld").recordSource("crm")
                .hashKey("customer_hk", "customer").hashKey("assign_hk", "customer", "product");
        vault.createStage(stage);
        EffectivitySatellite eff = vault.effectivitySatellite("dds.eo").link("assign_hk").drivingKey("customer_hk")
                .effectiveFrom("since").from(stage);
        eff.createTable();
        // what AutomateDV's eff_sat inserted from a stage deriving END_DATE as its max datetime
        sql(ds, "insert into dds.eo (assign_hk, customer_hk, start_date, end_date, load_date, record_source)"
                + " select assign_hk, customer_hk, since, '9999-12-31 23:59:59.999+00', load_date, record_source from stg.eo");
        batch(ds, "raw.eo", row("c1", "p2", day(3), day(3)));
        assertThat(eff.load().rowsInserted()).isEqualTo(2);
        assertThat(eff.load().rowsInserted()).isZero();
        String day = " || ' ' || (%s at time zone 'UTC')::date::text";
        assertThat(strings(ds, "select case when assign_hk = (select assign_hk from dds.eo order by load_date limit 1)"
                + " then 'p1' else 'p2' end" + day.formatted("start_date") + day.formatted("end_date")
                + day.formatted("load_date") + " from dds.eo order by 1")).containsExactly(
                "p1 2024-01-01 2024-01-03 2024-01-03", "p1 2024-01-01 9999-12-31 2024-01-01", "p2 2024-01-03 9999-12-31 2024-01-03");
    }
}
