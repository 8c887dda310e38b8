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
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * An effectivity satellite with a secondary key, AutomateDV's {@code eff_sat} {@code src_sfk}: a link over customer and
 * order driven by the customer, the order's hash key as secondary key. As in AutomateDV, the table stores it after the
 * driving key, and a stage row with a NULL in it is skipped ({@code WHERE a.ORDER_HK IS NOT NULL}). Which link a driving
 * key is on is decided by the link's hash key, as by AutomateDV's current eff_sat (older dbtvault compared the secondary
 * keys, {@code lo.ORDER_HK <> h.ORDER_HK}; the two agree when the link hashes exactly the driving and secondary keys).
 */
@MdsPostgres
class EffectivitySecondaryKeysTest {

    /**
     * A raw table (customer, ord, nation, since, ended, ld) and its stage with a hash key per hub, the customer-order
     * link's ({@code link_hk}) and the customer-order-nation link's ({@code link3_hk}).
     */
    static Stage setUp(Vault vault, DataSource ds, String name, Row... rows) {
        TableFixture.on(ds, "raw." + name).columns("customer text", "ord text", "nation text", "since timestamptz",
                "ended timestamptz", "ld timestamptz").rows(rows);
        Stage stage = Stage.of("raw." + name).into("stg." + name).loadDate("ld").recordSource("orders")
                .hashKey("customer_hk", "customer").hashKey("order_hk", "ord").hashKey("nation_hk", "nation")
                .hashKey("link_hk", "customer", "ord").hashKey("link3_hk", "customer", "ord", "nation");
        vault.createStage(stage);
        return stage;
    }

    private static EffectivitySatellite eff(Vault vault, String table, Stage stage) {
        return vault.effectivitySatellite(table).link("link_hk").drivingKey("customer_hk").secondaryKey("order_hk")
                .effectiveFrom("since").from(stage);
    }

    /** {@code CASE encode(column, 'hex') WHEN ... THEN 'label' ... END} for the hashes of {@code values}' combinations. */
    private static String label(Vault vault, String column, List<List<String>> values) {
        StringBuilder out = new StringBuilder("CASE encode(" + column + ", 'hex')");
        for (List<String> v : values) {
            Field[] fields = new Field[v.size()];
            for (int i = 0; i < fields.length; i++) {
                fields[i] = Field.of("f" + i, FieldType.STRING);
            }
            out.append(" WHEN '").append(HexFormat.of().formatHex(vault.hasher(Schema.of(fields))
                    .hashKey(v.toArray()).orElseThrow())).append("' THEN '").append(String.join("", v)).append("'");
        }
        return out.append(" ELSE '?' END").toString();
    }

    /**
     * Rows as "c1o1 start end load order" (UTC days; the stored secondary key as its order), ordered by link then load
     * date; {@code link} is link_hk (customer, order) or link3_hk (customer, order, nation).
     */
    private static List<String> periods(Vault vault, DataSource ds, String table, String link) {
        List<List<String>> links = new java.util.ArrayList<>();
        for (String c : List.of("c1", "c2")) {
            for (String o : List.of("o1", "o2", "o3")) {
                if (link.equals("link_hk")) {
                    links.add(List.of(c, o));
                } else {
                    links.add(List.of(c, o, "n1"));
                    links.add(List.of(c, o, "n2"));
                }
            }
        }
        String l = label(vault, link, links);
        String order = label(vault, "order_hk", List.of(List.of("o1"), List.of("o2"), List.of("o3")));
        String day = " || ' ' || (%s at time zone 'UTC')::date::text";
        return strings(ds, "select " + l + day.formatted("start_date") + day.formatted("end_date")
                + day.formatted("load_date") + " || ' ' || " + order + " from " + table + " order by " + l + ", load_date");
    }

    /** The number of open links per customer that has more than one. */
    private static List<String> doublyOpen(DataSource ds, String table, String link) {
        return strings(ds, "select count(*) from (select distinct on (" + link + ") customer_hk, end_date from " + table
                + " order by " + link + ", load_date desc) l where end_date = '9999-12-31 00:00:00+00'"
                + " group by customer_hk having count(*) > 1");
    }

    /**
     * A row whose order (secondary key) is NULL while its link key is not (the link hashes the NULL as a part) is
     * skipped, as AutomateDV's eff_sat filters it out: it opens no link and moves no customer, and it is not counted
     * as skipped (that count is for rows older than their driving key's open link), as a NULL driving column. Without
     * the secondary key the same stage opens a link for it and moves the customer.
     */
    @Test
    void aRowWithANullSecondaryKeyIsSkippedWithoutMovingAnything(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        Stage stage = setUp(vault, ds, "esk_null", row("c1", "o1", "n1", day(1), null, day(1)),
                row("c2", null, "n1", day(1), null, day(1)));
        assertThat(strings(ds, "select count(*) from stg.esk_null where order_hk is null and link_hk is not null"))
                .containsExactly("1");
        EffectivitySatellite e = eff(vault, "dds.esk_null", stage);
        e.createTable();
        EffectivitySatellite plain = vault.effectivitySatellite("dds.esk_null_plain").link("link_hk").drivingKey("customer_hk")
                .effectiveFrom("since").from(stage);
        plain.createTable();
        assertThat(effectivityLoad(ds, null, e.sql())).containsExactly(1L, 0L);
        assertThat(effectivityLoad(ds, null, plain.sql())).containsExactly(2L, 0L);
        batch(ds, "raw.esk_null", row("c1", null, "n1", day(3), null, day(3)), row("c2", null, "n1", day(3), null, day(3)));
        assertThat(effectivityLoad(ds, null, e.sql())).containsExactly(0L, 0L);
        assertThat(effectivityLoad(ds, null, plain.sql())).containsExactly(2L, 0L);   // c1 moved to "no order"
        assertThat(periods(vault, ds, "dds.esk_null", "link_hk")).containsExactly("c1o1 2024-01-01 9999-12-31 2024-01-01 o1");
        // with an end-date column, a row with a NULL secondary key is not looked at for an end before its start either
        batch(ds, "raw.esk_null", row("c1", null, "n1", day(3), day(2), day(4)));
        EffectivitySatellite ending = vault.effectivitySatellite("dds.esk_null").link("link_hk").drivingKey("customer_hk")
                .secondaryKey("order_hk").effectiveFrom("since").endDate("ended").from(stage);
        assertThat(effectivityLoad(ds, null, ending.sql())).containsExactly(0L, 0L);
        assertThat(periods(vault, ds, "dds.esk_null", "link_hk")).containsExactly("c1o1 2024-01-01 9999-12-31 2024-01-01 o1");
    }

    /**
     * c1 moves from o1 to o2: the closing row keeps o1 as its secondary key, the new link stores o2; the table's columns
     * are AutomateDV's eff_sat's (link, driving key, secondary key, start, end, load date, source). A late row (starting
     * before the open link) is skipped and counted; every re-load and replay of an earlier batch inserts nothing.
     */
    @Test
    void aMoveStoresTheSecondaryKeysAndReloadsInsertNothing(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        Row[] first = {row("c1", "o1", "n1", day(1), null, day(1)), row("c2", "o1", "n1", day(1), null, day(1))};
        Row[] second = {row("c1", "o2", "n1", day(3), null, day(3)), row("c2", "o1", "n1", day(1), null, day(3))};
        Row[] late = {row("c1", "o3", "n1", day(2), null, day(4))};
        Stage stage = setUp(vault, ds, "esk_move", first);
        EffectivitySatellite e = eff(vault, "dds.esk_move", stage);
        assertThat(String.join("\n", e.createTableSql())).contains("\"customer_hk\" bytea NOT NULL,\n    \"order_hk\" bytea NOT NULL,");
        e.createTable();
        assertThat(strings(ds, "select column_name from information_schema.columns where table_schema = 'dds'"
                + " and table_name = 'esk_move' order by ordinal_position")).containsExactly("link_hk", "customer_hk",
                "order_hk", "start_date", "end_date", "load_date", "record_source");
        assertThat(e.load().rowsInserted()).isEqualTo(2);
        assertThat(e.load().rowsInserted()).isZero();
        batch(ds, "raw.esk_move", second);
        assertThat(effectivityLoad(ds, null, e.sql())).containsExactly(2L, 0L);
        batch(ds, "raw.esk_move", late);
        assertThat(effectivityLoad(ds, null, e.sql())).containsExactly(0L, 1L);
        List<String> expected = List.of("c1o1 2024-01-01 9999-12-31 2024-01-01 o1", "c1o1 2024-01-01 2024-01-03 2024-01-03 o1",
                "c1o2 2024-01-03 9999-12-31 2024-01-03 o2", "c2o1 2024-01-01 9999-12-31 2024-01-01 o1");
        assertThat(periods(vault, ds, "dds.esk_move", "link_hk")).containsExactlyElementsOf(expected);
        for (Row[] replay : List.of(first, second, late, first, second)) {
            batch(ds, "raw.esk_move", replay);
            assertThat(e.load().rowsInserted()).isZero();
        }
        assertThat(periods(vault, ds, "dds.esk_move", "link_hk")).containsExactlyElementsOf(expected);
        assertThat(doublyOpen(ds, "dds.esk_move", "link_hk")).isEmpty();
    }

    /**
     * Where the link's hash key hashes other columns than the driving and secondary keys, a move is decided by the link
     * key (as by AutomateDV's current eff_sat, and mds without a secondary key), not by comparing secondary keys (older
     * dbtvault's {@code lo.ORDER_HK <> h.ORDER_HK}): a link over (customer, order, nation) with the order as secondary
     * key moves when only the nation changes (comparing orders would have left c1o1n1 open beside c1o1n2); a link over
     * (customer, order) with order and nation as secondary keys does not move when only the nation changes (the row is
     * its link's replay), and keeps the nation it was stored with.
     */
    @Test
    void aMoveIsDecidedByTheLinkKey(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        Stage stage = setUp(vault, ds, "esk_link", row("c1", "o1", "n1", day(1), null, day(1)));
        EffectivitySatellite wider = vault.effectivitySatellite("dds.esk_link3").link("link3_hk").drivingKey("customer_hk")
                .secondaryKey("order_hk").effectiveFrom("since").from(stage);
        EffectivitySatellite narrower = vault.effectivitySatellite("dds.esk_link2").link("link_hk").drivingKey("customer_hk")
                .secondaryKey("order_hk", "nation_hk").effectiveFrom("since").from(stage);
        wider.createTable();
        narrower.createTable();
        assertThat(effectivityLoad(ds, null, wider.sql())).containsExactly(1L, 0L);
        assertThat(effectivityLoad(ds, null, narrower.sql())).containsExactly(1L, 0L);
        batch(ds, "raw.esk_link", row("c1", "o1", "n2", day(3), null, day(3)));
        assertThat(effectivityLoad(ds, null, wider.sql())).containsExactly(2L, 0L);
        assertThat(effectivityLoad(ds, null, narrower.sql())).containsExactly(0L, 0L);
        assertThat(periods(vault, ds, "dds.esk_link3", "link3_hk")).containsExactly(
                "c1o1n1 2024-01-01 9999-12-31 2024-01-01 o1", "c1o1n1 2024-01-01 2024-01-03 2024-01-03 o1",
                "c1o1n2 2024-01-03 9999-12-31 2024-01-03 o1");
        assertThat(doublyOpen(ds, "dds.esk_link3", "link3_hk")).isEmpty();
        String n1 = HexFormat.of().formatHex(vault.hasher(Schema.of(Field.of("nation", FieldType.STRING))).hashKey("n1").orElseThrow());
        assertThat(strings(ds, "select count(*) || ' ' || encode(nation_hk, 'hex') from dds.esk_link2 group by nation_hk"))
                .containsExactly("1 " + n1);
        assertThat(wider.load().rowsInserted()).isZero();
        assertThat(narrower.load().rowsInserted()).isZero();
    }

    /**
     * End dates with a secondary key: ending c1o1 stores its order; the closed customer takes a new link starting on or
     * after its last end, with the new order; a row starting before that is late data (skipped and counted). A re-load
     * inserts nothing.
     */
    @Test
    void endDatesStoreTheSecondaryKeys(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        Stage stage = setUp(vault, ds, "esk_end", row("c1", "o1", "n1", day(1), null, day(1)));
        EffectivitySatellite e = vault.effectivitySatellite("dds.esk_end").link("link_hk").drivingKey("customer_hk")
                .secondaryKey("order_hk").effectiveFrom("since").endDate("ended").from(stage);
        e.createTable();
        assertThat(e.load().rowsInserted()).isEqualTo(1);
        batch(ds, "raw.esk_end", row("c1", "o1", "n1", day(1), day(3), day(4)));
        assertThat(effectivityLoad(ds, null, e.sql())).containsExactly(1L, 0L);
        batch(ds, "raw.esk_end", row("c1", "o2", "n1", day(5), null, day(6)));
        assertThat(effectivityLoad(ds, null, e.sql())).containsExactly(1L, 0L);
        batch(ds, "raw.esk_end", row("c1", "o3", "n1", day(2), null, day(7)));
        assertThat(effectivityLoad(ds, null, e.sql())).containsExactly(0L, 1L);
        assertThat(e.load().rowsInserted()).isZero();
        assertThat(periods(vault, ds, "dds.esk_end", "link_hk")).containsExactly("c1o1 2024-01-01 9999-12-31 2024-01-01 o1",
                "c1o1 2024-01-01 2024-01-03 2024-01-04 o1", "c1o2 2024-01-05 9999-12-31 2024-01-06 o2");
        // an end before its start is still refused naming the link, for a row whose keys are all set
        batch(ds, "raw.esk_end", row("c2", "o1", "n2", day(5), day(4), day(8)));
        assertThatThrownBy(e::load).isInstanceOf(MdsException.class).hasMessageContaining("effectivity satellite dds.esk_end")
                .hasMessageContaining("before it starts");
    }

    /**
     * Bad secondary keys are refused naming the structure and the column: one named twice, none, the link's own hash key
     * or a driving column (whichever setter comes last), one the stage lacks or holds as text (at createTable, creating
     * nothing), and one the table lacks (created without the secondary key: refused before the load writes). The table
     * created without it still loads by a definition without it.
     */
    @Test
    void badSecondaryKeysAreRefusedNamingTheStructureAndTheColumn(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        Stage stage = setUp(vault, ds, "esk_bad", row("c1", "o1", "n1", day(1), null, day(1)));
        assertThatThrownBy(() -> vault.effectivitySatellite("dds.esk_bad").secondaryKey("order_hk", "nation_hk", "order_hk"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("effectivity satellite dds.esk_bad")
                .hasMessageContaining("secondary key column 'order_hk' is named twice");
        assertThatThrownBy(() -> vault.effectivitySatellite("dds.esk_bad").secondaryKey())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("effectivity satellite dds.esk_bad")
                .hasMessageContaining("secondaryKey needs at least one column");
        assertThatThrownBy(() -> vault.effectivitySatellite("dds.esk_bad").link("link_hk").secondaryKey("order_hk", "link_hk"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("effectivity satellite dds.esk_bad")
                .hasMessageContaining("secondary key column 'link_hk' is the link's hash key");
        assertThatThrownBy(() -> vault.effectivitySatellite("dds.esk_bad").secondaryKey("order_hk", "link_hk").link("link_hk"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("effectivity satellite dds.esk_bad")
                .hasMessageContaining("secondary key column 'link_hk' is the link's hash key");
        assertThatThrownBy(() -> vault.effectivitySatellite("dds.esk_bad").drivingKey("customer_hk").secondaryKey("order_hk", "customer_hk"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("effectivity satellite dds.esk_bad")
                .hasMessageContaining("column 'customer_hk' is both a driving key and a secondary key column");
        assertThatThrownBy(() -> vault.effectivitySatellite("dds.esk_bad").secondaryKey("customer_hk").drivingKey("nation_hk", "customer_hk"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("effectivity satellite dds.esk_bad")
                .hasMessageContaining("column 'customer_hk' is both a driving key and a secondary key column");
        assertThatThrownBy(() -> vault.effectivitySatellite("dds.esk_bad").link("link_hk").drivingKey("customer_hk")
                .secondaryKey("ordr_hk").effectiveFrom("since").from(stage).createTable())
                .isInstanceOf(MdsException.class).hasMessageContaining("effectivity satellite dds.esk_bad")
                .hasMessageContaining("has no column 'ordr_hk'");
        assertThatThrownBy(() -> vault.effectivitySatellite("dds.esk_bad").link("link_hk").drivingKey("customer_hk")
                .secondaryKey("ord").effectiveFrom("since").from(stage).createTable())
                .isInstanceOf(MdsException.class).hasMessageContaining("effectivity satellite dds.esk_bad")
                .hasMessageContaining("'ord' of stg.esk_bad is text, expected bytea");
        assertThat(strings(ds, "select to_regclass('dds.esk_bad') is null")).containsExactly("t");
        // the table was created without a secondary key; the definition now has one
        EffectivitySatellite plain = vault.effectivitySatellite("dds.esk_bad").link("link_hk").drivingKey("customer_hk")
                .effectiveFrom("since").from(stage);
        plain.createTable();
        assertThatThrownBy(() -> eff(vault, "dds.esk_bad", stage).load())
                .isInstanceOf(MdsException.class).hasMessageStartingWith("effectivity satellite dds.esk_bad")
                .hasMessageContaining("dds.esk_bad has no column 'order_hk'");
        assertThatThrownBy(() -> eff(vault, "dds.esk_bad", stage).sql())
                .isInstanceOf(MdsException.class).hasMessageContaining("dds.esk_bad has no column 'order_hk'");
        assertThat(strings(ds, "select count(*) from dds.esk_bad")).containsExactly("0");
        assertThat(plain.load().rowsInserted()).isEqualTo(1);
        sql(ds, "drop table dds.esk_bad");
    }

    /**
     * A table created with secondary key columns (order_hk, nation_hk: NOT NULL) loaded by a definition without them, or
     * with only one of them, is refused before anything is written, naming the structure, the table and the columns
     * the definition leaves empty; sql() refuses it too. Before, PostgreSQL's 'null value in column "order_hk"' came
     * from inside the insert. The definition the table was created with still loads.
     */
    @Test
    void aTableCreatedWithSecondaryKeysRefusesADefinitionWithoutThemNamingTheColumns(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        Stage stage = setUp(vault, ds, "esk_more", row("c1", "o1", "n1", day(1), null, day(1)));
        EffectivitySatellite full = vault.effectivitySatellite("dds.esk_more").link("link3_hk").drivingKey("customer_hk")
                .secondaryKey("order_hk", "nation_hk").effectiveFrom("since").from(stage);
        full.createTable();
        assertThat(full.load().rowsInserted()).isEqualTo(1);
        batch(ds, "raw.esk_more", row("c1", "o2", "n1", day(3), null, day(3)));
        EffectivitySatellite none = vault.effectivitySatellite("dds.esk_more").link("link3_hk").drivingKey("customer_hk")
                .effectiveFrom("since").from(stage);
        assertThatThrownBy(none::load).isInstanceOf(MdsException.class)
                .hasMessageStartingWith("effectivity satellite dds.esk_more: dds.esk_more has NOT NULL column(s) [order_hk, nation_hk]")
                .hasMessageContaining("secondaryKey")
                .hasMessageNotContaining("null value");
        assertThatThrownBy(none::sql).isInstanceOf(MdsException.class).hasMessageContaining("[order_hk, nation_hk]");
        EffectivitySatellite one = vault.effectivitySatellite("dds.esk_more").link("link3_hk").drivingKey("customer_hk")
                .secondaryKey("order_hk").effectiveFrom("since").from(stage);
        assertThatThrownBy(one::load).isInstanceOf(MdsException.class)
                .hasMessageStartingWith("effectivity satellite dds.esk_more: dds.esk_more has NOT NULL column(s) [nation_hk]");
        assertThat(strings(ds, "select count(*) from dds.esk_more")).containsExactly("1");
        assertThat(full.load().rowsInserted()).isEqualTo(2);
    }

    /**
     * Without a secondary key, createTableSql() and sql() are byte for byte what they were before secondaryKey existed
     * (captured from de5c6b0 into src/test/resources/dev/mds/vault/effectivity-sql): one driving column, one with an
     * end date, two driving columns. Since then only the closing rows' record source changed (the closed row's, as
     * AutomateDV's: EffectivityRecordSourceTest), and a stored link is open when its end is on the last day, not only
     * at its midnight (EffectivityAutomateDvOpenEndTest).
     */
    @Test
    void withoutASecondaryKeyTheSqlIsAsBefore(DataSource ds) throws Exception {
        Map<String, String> actual = definitionsSql(ds);
        assertThat(actual).hasSize(3);
        for (Map.Entry<String, String> e : actual.entrySet()) {
            try (InputStream in = getClass().getResourceAsStream("effectivity-sql/" + e.getKey() + ".sql")) {
                assertThat(in).as(e.getKey()).isNotNull();
                assertThat(e.getValue()).as(e.getKey()).isEqualTo(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
    }

    /**
     * createTableSql() and sql() of definitions without a secondary key (one driving column; one with an end date; two
     * driving columns), each table created before its sql() is read.
     */
    static Map<String, String> definitionsSql(DataSource ds) {
        Vault vault = Vault.on(ds);
        sql(ds, "create schema if not exists dds");   // whether another test created it first or not
        Stage stage = setUp(vault, ds, "esk_gold", row("c1", "o1", "n1", day(1), null, day(1)));
        Map<String, EffectivitySatellite> defs = new LinkedHashMap<>();
        defs.put("one-driving-column", vault.effectivitySatellite("dds.esk_gold_one").link("link_hk")
                .drivingKey("customer_hk").effectiveFrom("since").from(stage));
        defs.put("one-driving-column-end-date", vault.effectivitySatellite("dds.esk_gold_end").link("link_hk")
                .drivingKey("customer_hk").effectiveFrom("since").endDate("ended").from(stage));
        defs.put("two-driving-columns", vault.effectivitySatellite("dds.esk_gold_two").link("link3_hk")
                .drivingKey("customer_hk", "nation_hk").effectiveFrom("since").from(stage));
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, EffectivitySatellite> d : defs.entrySet()) {
            String ddl = String.join(";\n", d.getValue().createTableSql());
            d.getValue().createTable();
            out.put(d.getKey(), "-- createTableSql()\n" + ddl + ";\n-- sql()\n" + String.join(";\n", d.getValue().sql()) + ";\n");
        }
        return out;
    }
}
