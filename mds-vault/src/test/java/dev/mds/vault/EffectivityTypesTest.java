package dev.mds.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.MdsException;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TableFixture;
import dev.mds.testing.Row;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * An effectivity satellite orders a driving key's links by effective-from and compares ends with the end of time, so
 * its effective-from and end date must be a date, timestamp or timestamptz.
 */
@MdsPostgres
class EffectivityTypesTest {
    private static final OffsetDateTime LD = OffsetDateTime.of(2024, 10, 2, 0, 0, 0, 0, ZoneOffset.UTC);

    /**
     * A stage of text dates (a CSV loaded as text) is refused naming the column, its type and the fix. Before, the
     * table was created with a text start_date and the load compared the texts: '9/15/2024' sorted after
     * '10/1/2024', so the link of 15 September was stored as the open one and that of 1 October (loaded a day later)
     * was dropped, silently; an integer effective-from failed inside the load with 'invalid input syntax for type integer: "9999-12-31
     * 00:00:00+00"', naming no column.
     */
    @Test
    void anEffectiveFromOrEndDateThatIsNoDateOrTimestampIsRefusedNamingTheColumn(DataSource ds) {
        TableFixture.on(ds, "raw.eff_text").columns("customer text", "product text", "since text", "since_n int",
                "ended text", "ld timestamptz").rows(
                Row.row("c1", "p1", "9/15/2024", 1, null, LD), Row.row("c1", "p2", "10/1/2024", 2, null, LD.plusDays(1)));
        Vault vault = Vault.on(ds);
        Stage stage = Stage.of("raw.eff_text").into("stg.eff_text").loadDate("ld").recordSource("crm")
                .hashKey("customer_hk", "customer").hashKey("assign_hk", "customer", "product");
        vault.createStage(stage);
        EffectivitySatellite byText = vault.effectivitySatellite("dds.eff_text").link("assign_hk").drivingKey("customer_hk")
                .effectiveFrom("since").from(stage);
        assertThatThrownBy(byText::createTableSql).isInstanceOf(MdsException.class)
                .hasMessageContaining("effectivity satellite dds.eff_text").hasMessageContaining("'since'")
                .hasMessageContaining("text").hasMessageContaining("derived column");
        assertThatThrownBy(byText::sql).isInstanceOf(MdsException.class).hasMessageContaining("'since'");
        EffectivitySatellite byNumber = vault.effectivitySatellite("dds.eff_number").link("assign_hk").drivingKey("customer_hk")
                .effectiveFrom("since_n").from(stage);
        assertThatThrownBy(byNumber::createTableSql).isInstanceOf(MdsException.class).hasMessageContaining("'since_n'")
                .hasMessageContaining("integer");
        EffectivitySatellite ending = vault.effectivitySatellite("dds.eff_ending").link("assign_hk").drivingKey("customer_hk")
                .effectiveFrom("ld").endDate("ended").from(stage);
        assertThatThrownBy(ending::createTableSql).isInstanceOf(MdsException.class).hasMessageContaining("end date column 'ended'")
                .hasMessageContaining("text");
        assertThat(vault.effectivitySatellite("dds.eff_ok").link("assign_hk").drivingKey("customer_hk").effectiveFrom("ld")
                .from(stage).createTableSql()).isNotEmpty();
    }
}
