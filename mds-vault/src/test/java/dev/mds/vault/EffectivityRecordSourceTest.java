package dev.mds.vault;

import static dev.mds.testing.Row.row;
import static dev.mds.testing.TestSql.strings;
import static dev.mds.vault.VaultFixtures.batch;
import static dev.mds.vault.VaultFixtures.day;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.core.Field;
import dev.mds.core.FieldType;
import dev.mds.core.Schema;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.Row;
import dev.mds.testing.TableFixture;
import java.util.HexFormat;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * The record source and load date of an effectivity satellite's closing rows, as AutomateDV's {@code eff_sat} writes
 * them: its {@code new_closed_records} take the closed link's stored row's source ({@code lo.RECORD_SOURCE}) and the
 * stage row's load date ({@code h.LOAD_DATETIME}), in the auto end-dating (a move) and in the end-date branch alike.
 */
@MdsPostgres
class EffectivityRecordSourceTest {

    /** A raw table (customer, product, since, ended, src, ld) and its stage, whose record source is the src column. */
    private static Stage setUp(Vault vault, DataSource ds, String name, Row... rows) {
        TableFixture.on(ds, "raw." + name).columns("customer text", "product text", "since timestamptz",
                "ended timestamptz", "src text", "ld timestamptz").rows(rows);
        Stage stage = Stage.of("raw." + name).into("stg." + name).loadDate("ld").recordSourceColumn("src")
                .hashKey("customer_hk", "customer").hashKey("product_hk", "product")
                .hashKey("assign_hk", "customer", "product");
        vault.createStage(stage);
        return stage;
    }

    /** Rows as "c1p2 start end load source" (UTC days), ordered by link then load date. */
    private static List<String> rows(Vault vault, DataSource ds, String table) {
        Hasher link = vault.hasher(Schema.of(Field.of("customer", FieldType.STRING), Field.of("product", FieldType.STRING)));
        StringBuilder label = new StringBuilder("CASE encode(assign_hk, 'hex')");
        for (String c : List.of("c1", "c2")) {
            for (String p : List.of("p1", "p2")) {
                label.append(" WHEN '").append(HexFormat.of().formatHex(link.hashKey(c, p).orElseThrow()))
                        .append("' THEN '").append(c).append(p).append("'");
            }
        }
        label.append(" ELSE '?' END");
        String day = " || ' ' || (%s at time zone 'UTC')::date::text";
        return strings(ds, "select " + label + day.formatted("start_date") + day.formatted("end_date")
                + day.formatted("load_date") + " || ' ' || record_source from " + table + " order by " + label
                + ", load_date");
    }

    /**
     * c1 moves from p1 (loaded from crm) to p2 (loaded from web): the row closing c1p1 carries crm, the source of the
     * row it closes, and the move's load date; the new link carries web. A re-load inserts nothing.
     */
    @Test
    void aClosingRowCarriesTheRecordSourceOfTheRowItCloses(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        Stage stage = setUp(vault, ds, "ers_move", row("c1", "p1", day(1), null, "crm", day(1)));
        EffectivitySatellite e = vault.effectivitySatellite("dds.ers_move").link("assign_hk").drivingKey("customer_hk")
                .effectiveFrom("since").from(stage);
        e.createTable();
        assertThat(e.load().rowsInserted()).isEqualTo(1);
        batch(ds, "raw.ers_move", row("c1", "p2", day(3), null, "web", day(4)));
        assertThat(e.load().rowsInserted()).isEqualTo(2);
        assertThat(e.load().rowsInserted()).isZero();
        assertThat(rows(vault, ds, "dds.ers_move")).containsExactly(
                "c1p1 2024-01-01 9999-12-31 2024-01-01 crm",
                "c1p1 2024-01-01 2024-01-03 2024-01-04 crm",
                "c1p2 2024-01-03 9999-12-31 2024-01-04 web");
    }

    /**
     * With an end-date column: a row ending c1's open link p1 (from web) stores the closing row with crm, the open
     * row's source, as AutomateDV's closing row does; a closed period of a link that is not open (c2p1, from web) is
     * the stage row's own and keeps web.
     */
    @Test
    void anEndingRowClosingTheOpenLinkCarriesTheOpenRowsRecordSource(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        Stage stage = setUp(vault, ds, "ers_end", row("c1", "p1", day(1), null, "crm", day(1)));
        EffectivitySatellite e = vault.effectivitySatellite("dds.ers_end").link("assign_hk").drivingKey("customer_hk")
                .effectiveFrom("since").endDate("ended").from(stage);
        e.createTable();
        assertThat(e.load().rowsInserted()).isEqualTo(1);
        batch(ds, "raw.ers_end", row("c1", "p1", day(1), day(3), "web", day(4)),
                row("c2", "p1", day(2), day(3), "web", day(4)));
        assertThat(e.load().rowsInserted()).isEqualTo(2);
        assertThat(e.load().rowsInserted()).isZero();
        assertThat(rows(vault, ds, "dds.ers_end")).containsExactly(
                "c1p1 2024-01-01 9999-12-31 2024-01-01 crm",
                "c1p1 2024-01-01 2024-01-03 2024-01-04 crm",
                "c2p1 2024-01-02 2024-01-03 2024-01-04 web");
    }
}
