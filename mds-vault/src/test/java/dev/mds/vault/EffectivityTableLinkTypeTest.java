package dev.mds.vault;

import static dev.mds.testing.Row.row;
import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static dev.mds.vault.VaultFixtures.day;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.MdsException;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TableFixture;
import java.util.List;
import javax.sql.DataSource;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/**
 * An effectivity satellite table whose link or driving key column is not {@code bytea} (changed by hand) is refused by a
 * load and by {@code sql()} before anything is written, naming the effectivity satellite and the column, as the
 * stage's link column is, and as a satellite's table hashdiff is.
 */
@MdsPostgres
class EffectivityTableLinkTypeTest {
    /**
     * Before, the load's own checks passed over the table's link and driving key columns: sql() and load() failed
     * with PostgreSQL's 'function btrim(text, bytea) does not exist' from the hash-width check of the link column,
     * naming neither the effectivity satellite nor the column's type; a text driving key failed inside the load.
     */
    @Test
    void aTableLinkOrDrivingKeyOfAnotherTypeThanByteaIsRefusedNamingIt(DataSource ds) throws Exception {
        TableFixture.on(ds, "raw.etl_t").columns("customer text", "ord text", "since timestamptz", "ld timestamptz")
                .rows(row("c1", "o1", day(1), day(1)));
        Vault vault = Vault.on(ds);
        Stage stage = Stage.of("raw.etl_t").into("stg.etl_t").loadDate("ld").recordSource("orders")
                .hashKey("customer_hk", "customer").hashKey("link_hk", "customer", "ord");
        vault.createStage(stage);
        for (String column : List.of("link_hk", "customer_hk")) {
            String table = "dds.etl_" + column;
            EffectivitySatellite eff = vault.effectivitySatellite(table).link("link_hk").drivingKey("customer_hk")
                    .effectiveFrom("since").from(stage);
            eff.createTable();
            sql(ds, "alter table " + table + " alter column " + column + " type text");
            for (ThrowingCallable call : List.<ThrowingCallable>of(eff::sql, eff::load)) {
                assertThatThrownBy(call).isInstanceOf(MdsException.class)
                        .hasMessageContaining("effectivity satellite " + table)
                        .hasMessageContaining("column '" + column + "' of " + table + " is text, expected bytea");
            }
            assertThat(strings(ds, "select count(*) from " + table)).containsExactly("0");
        }
    }
}
