package dev.mds.vault;

import static dev.mds.testing.Row.row;
import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static dev.mds.vault.VaultFixtures.batch;
import static dev.mds.vault.VaultFixtures.day;
import static dev.mds.vault.VaultFixtures.effectivityLoad;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.Field;
import dev.mds.core.FieldType;
import dev.mds.core.MdsException;
import dev.mds.core.Schema;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.Row;
import dev.mds.testing.TableFixture;
import java.util.HexFormat;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * An effectivity satellite driven by several columns, as AutomateDV's {@code eff_sat} takes a list as {@code src_dfk}:
 * a link over customer, order and nation driven by (customer, nation), so each (customer, nation) pair has at most one
 * open link (one order), and a NULL in either driving column skips the row, as AutomateDV's
 * {@code WHERE a.CUSTOMER_HK IS NOT NULL AND a.NATION_HK IS NOT NULL} does.
 */
@MdsPostgres
class EffectivityDrivingKeysTest {

    /** A raw table (customer, ord, nation, since, ended, ld) and its stage with a hash key per hub and the link's. */
    private static Stage setUp(Vault vault, DataSource ds, String name, Row... rows) {
        TableFixture.on(ds, "raw." + name).columns("customer text", "ord text", "nation text", "since timestamptz",
                "ended timestamptz", "ld timestamptz").rows(rows);
        Stage stage = Stage.of("raw." + name).into("stg." + name).loadDate("ld").recordSource("orders")
                .hashKey("customer_hk", "customer").hashKey("order_hk", "ord").hashKey("nation_hk", "nation")
                .hashKey("link_hk", "customer", "ord", "nation");
        vault.createStage(stage);
        return stage;
    }

    private static EffectivitySatellite eff(Vault vault, String table, Stage stage) {
        return vault.effectivitySatellite(table).link("link_hk").drivingKey("customer_hk", "nation_hk")
                .effectiveFrom("since").from(stage);
    }

    /** Rows as "c1o1n1 start end load" (UTC days), ordered by link label then load date. */
    private static List<String> periods(Vault vault, DataSource ds, String table) {
        Hasher link = vault.hasher(Schema.of(Field.of("customer", FieldType.STRING), Field.of("ord", FieldType.STRING),
                Field.of("nation", FieldType.STRING)));
        StringBuilder label = new StringBuilder("CASE encode(link_hk, 'hex')");
        for (String c : List.of("c1", "c2")) {
            for (String o : List.of("o1", "o2", "o3")) {
                for (String n : List.of("n1", "n2")) {
                    label.append(" WHEN '").append(HexFormat.of().formatHex(link.hashKey(c, o, n).orElseThrow()))
                            .append("' THEN '").append(c).append(o).append(n).append("'");
                }
            }
        }
        label.append(" ELSE '?' END");
        String day = " || ' ' || (%s at time zone 'UTC')::date::text";
        return strings(ds, "select " + label + day.formatted("start_date") + day.formatted("end_date")
                + day.formatted("load_date") + " from " + table + " order by " + label + ", load_date");
    }

    /** The number of open links per driving key (customer, nation) that has more than one. */
    private static List<String> doublyOpen(DataSource ds, String table) {
        return strings(ds, "select count(*) from (select distinct on (link_hk) customer_hk, nation_hk, end_date from " + table
                + " order by link_hk, load_date desc) l where end_date = '9999-12-31 00:00:00+00'"
                + " group by customer_hk, nation_hk having count(*) > 1");
    }

    /**
     * (c1, n1) and (c1, n2) are two driving keys: c1's order changing under n1 closes c1o1n1 and opens c1o2n1 and
     * leaves c1o1n2 open; then the n2 pair moves too. Every re-load and every replay of an earlier batch inserts
     * nothing.
     */
    @Test
    void aChangeMovesOnlyTheCombinationOfDrivingColumnsItBelongsTo(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        Row[] first = {row("c1", "o1", "n1", day(1), null, day(1)), row("c1", "o1", "n2", day(1), null, day(1))};
        Row[] second = {row("c1", "o2", "n1", day(3), null, day(3)), row("c1", "o1", "n2", day(1), null, day(3))};
        Row[] third = {row("c1", "o2", "n1", day(3), null, day(5)), row("c1", "o2", "n2", day(5), null, day(5))};
        Stage stage = setUp(vault, ds, "edk_move", first);
        EffectivitySatellite e = eff(vault, "dds.edk_move", stage);
        e.createTable();
        assertThat(e.load().rowsInserted()).isEqualTo(2);   // one open link per pair, both for c1
        assertThat(e.load().rowsInserted()).isZero();
        batch(ds, "raw.edk_move", second);
        assertThat(effectivityLoad(ds, null, e.sql())).containsExactly(2L, 0L);
        assertThat(periods(vault, ds, "dds.edk_move")).containsExactly("c1o1n1 2024-01-01 9999-12-31 2024-01-01",
                "c1o1n1 2024-01-01 2024-01-03 2024-01-03", "c1o1n2 2024-01-01 9999-12-31 2024-01-01",
                "c1o2n1 2024-01-03 9999-12-31 2024-01-03");
        batch(ds, "raw.edk_move", third);
        assertThat(effectivityLoad(ds, null, e.sql())).containsExactly(2L, 0L);
        assertThat(e.load().rowsInserted()).isZero();
        List<String> expected = List.of("c1o1n1 2024-01-01 9999-12-31 2024-01-01", "c1o1n1 2024-01-01 2024-01-03 2024-01-03",
                "c1o1n2 2024-01-01 9999-12-31 2024-01-01", "c1o1n2 2024-01-01 2024-01-05 2024-01-05",
                "c1o2n1 2024-01-03 9999-12-31 2024-01-03", "c1o2n2 2024-01-05 9999-12-31 2024-01-05");
        assertThat(periods(vault, ds, "dds.edk_move")).containsExactlyElementsOf(expected);
        for (Row[] replay : List.of(first, second, third, first)) {
            batch(ds, "raw.edk_move", replay);
            assertThat(e.load().rowsInserted()).isZero();
        }
        assertThat(periods(vault, ds, "dds.edk_move")).containsExactlyElementsOf(expected);
        assertThat(doublyOpen(ds, "dds.edk_move")).isEmpty();
        // c1 has two open links, one per nation: the customer alone is not the driving key
        assertThat(strings(ds, "select count(*) from (select distinct on (link_hk) end_date from dds.edk_move"
                + " order by link_hk, load_date desc) l where end_date = '9999-12-31 00:00:00+00'")).containsExactly("2");
        // the index a load looks a driving key's stored links up by holds every driving column, then the load date
        assertThat(strings(ds, "select indexdef from pg_indexes where schemaname = 'dds' and tablename = 'edk_move'"))
                .anySatisfy(d -> assertThat(d).contains("(customer_hk, nation_hk, load_date)"));
    }

    /**
     * A row with a NULL in one of the driving columns (no nation: its hash key is NULL) is skipped, as AutomateDV's
     * eff_sat filters such rows out: it opens no link and moves no driving key, and it is not counted as skipped
     * (that count is for rows older than their driving key's open link).
     */
    @Test
    void aRowWithANullInOneDrivingColumnIsSkippedWithoutMovingAnything(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        Stage stage = setUp(vault, ds, "edk_null", row("c1", "o1", "n1", day(1), null, day(1)),
                row("c2", "o1", null, day(1), null, day(1)));
        assertThat(strings(ds, "select count(*) from stg.edk_null where nation_hk is null and link_hk is not null")).containsExactly("1");
        EffectivitySatellite e = eff(vault, "dds.edk_null", stage);
        e.createTable();
        assertThat(effectivityLoad(ds, null, e.sql())).containsExactly(1L, 0L);
        batch(ds, "raw.edk_null", row("c1", "o2", null, day(3), null, day(3)), row("c2", "o2", null, day(3), null, day(3)));
        assertThat(effectivityLoad(ds, null, e.sql())).containsExactly(0L, 0L);
        assertThat(periods(vault, ds, "dds.edk_null")).containsExactly("c1o1n1 2024-01-01 9999-12-31 2024-01-01");
        // with an end-date column, a row with a NULL driving column is not looked at for an end before its start either
        batch(ds, "raw.edk_null", row("c1", "o1", null, day(3), day(2), day(4)));
        EffectivitySatellite ending = vault.effectivitySatellite("dds.edk_null").link("link_hk").drivingKey("customer_hk", "nation_hk")
                .effectiveFrom("since").endDate("ended").from(stage);
        assertThat(effectivityLoad(ds, null, ending.sql())).containsExactly(0L, 0L);
    }

    /**
     * End dates with a two-column key: ending c1o1n1 leaves c1o1n2 open; the closed (c1, n1) pair takes a new link
     * starting on or after its last end, and a row starting before the new link's start is late data (skipped and
     * counted). A re-load inserts nothing.
     */
    @Test
    void endDatesCloseTheLinkOfOneCombinationOnly(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        Stage stage = setUp(vault, ds, "edk_end", row("c1", "o1", "n1", day(1), null, day(1)),
                row("c1", "o1", "n2", day(1), null, day(1)));
        EffectivitySatellite e = vault.effectivitySatellite("dds.edk_end").link("link_hk").drivingKey("customer_hk", "nation_hk")
                .effectiveFrom("since").endDate("ended").from(stage);
        e.createTable();
        assertThat(e.load().rowsInserted()).isEqualTo(2);
        batch(ds, "raw.edk_end", row("c1", "o1", "n1", day(1), day(3), day(4)), row("c1", "o1", "n2", day(1), null, day(4)));
        assertThat(effectivityLoad(ds, null, e.sql())).containsExactly(1L, 0L);
        batch(ds, "raw.edk_end", row("c1", "o2", "n1", day(5), null, day(6)));
        assertThat(effectivityLoad(ds, null, e.sql())).containsExactly(1L, 0L);
        batch(ds, "raw.edk_end", row("c1", "o3", "n1", day(2), null, day(7)));
        assertThat(effectivityLoad(ds, null, e.sql())).containsExactly(0L, 1L);
        assertThat(e.load().rowsInserted()).isZero();
        assertThat(periods(vault, ds, "dds.edk_end")).containsExactly("c1o1n1 2024-01-01 9999-12-31 2024-01-01",
                "c1o1n1 2024-01-01 2024-01-03 2024-01-04", "c1o1n2 2024-01-01 9999-12-31 2024-01-01",
                "c1o2n1 2024-01-05 9999-12-31 2024-01-06");
        // an end before its start is refused naming the link, for a row whose driving columns are all set
        batch(ds, "raw.edk_end", row("c2", "o1", "n2", day(5), day(4), day(8)));
        assertThatThrownBy(e::load).isInstanceOf(MdsException.class).hasMessageContaining("effectivity satellite dds.edk_end")
                .hasMessageContaining("before it starts");
        assertThat(doublyOpen(ds, "dds.edk_end")).isEmpty();
    }

    /**
     * Bad driving keys are refused naming the structure and the column: one named twice, none, the link's own hash key
     * (whichever setter comes last), one the stage lacks or holds as text (at createTable, creating nothing), and one
     * the table lacks (a table created with fewer driving columns: before, PostgreSQL's "column e.nation_hk does not
     * exist" from inside the load).
     */
    @Test
    void badDrivingKeysAreRefusedNamingTheStructureAndTheColumn(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        Stage stage = setUp(vault, ds, "edk_bad", row("c1", "o1", "n1", day(1), null, day(1)));
        assertThatThrownBy(() -> vault.effectivitySatellite("dds.edk_bad").drivingKey("customer_hk", "nation_hk", "customer_hk"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("effectivity satellite dds.edk_bad")
                .hasMessageContaining("driving key column 'customer_hk' is named twice");
        assertThatThrownBy(() -> vault.effectivitySatellite("dds.edk_bad").drivingKey())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("effectivity satellite dds.edk_bad")
                .hasMessageContaining("at least one column");
        assertThatThrownBy(() -> vault.effectivitySatellite("dds.edk_bad").link("link_hk").drivingKey("customer_hk", "link_hk"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("effectivity satellite dds.edk_bad")
                .hasMessageContaining("driving key column 'link_hk' is the link's hash key");
        assertThatThrownBy(() -> vault.effectivitySatellite("dds.edk_bad").drivingKey("customer_hk", "link_hk").link("link_hk"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("driving key column 'link_hk' is the link's hash key");
        assertThatThrownBy(() -> vault.effectivitySatellite("dds.edk_bad").link("link_hk").drivingKey("customer_hk", "nashun_hk")
                .effectiveFrom("since").from(stage).createTable())
                .isInstanceOf(MdsException.class).hasMessageContaining("effectivity satellite dds.edk_bad")
                .hasMessageContaining("has no column 'nashun_hk'");
        assertThatThrownBy(() -> vault.effectivitySatellite("dds.edk_bad").link("link_hk").drivingKey("customer_hk", "nation")
                .effectiveFrom("since").from(stage).createTable())
                .isInstanceOf(MdsException.class).hasMessageContaining("effectivity satellite dds.edk_bad")
                .hasMessageContaining("'nation' of stg.edk_bad is text, expected bytea");
        assertThat(strings(ds, "select to_regclass('dds.edk_bad') is null")).containsExactly("t");
        // the table was created with the customer alone as driving key; the definition now adds the nation
        vault.effectivitySatellite("dds.edk_bad").link("link_hk").drivingKey("customer_hk").effectiveFrom("since").from(stage)
                .createTable();
        assertThatThrownBy(() -> eff(vault, "dds.edk_bad", stage).load())
                .isInstanceOf(MdsException.class).hasMessageStartingWith("effectivity satellite dds.edk_bad")
                .hasMessageContaining("dds.edk_bad has no column 'nation_hk'");
        assertThat(strings(ds, "select count(*) from dds.edk_bad")).containsExactly("0");
        sql(ds, "drop table dds.edk_bad");
    }
}
