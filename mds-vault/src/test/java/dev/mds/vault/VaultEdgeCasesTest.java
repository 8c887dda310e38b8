package dev.mds.vault;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.Row.row;
import static dev.mds.vault.VaultFixtures.batch;
import static dev.mds.vault.VaultFixtures.customers;
import static dev.mds.vault.VaultFixtures.day;
import static dev.mds.vault.VaultFixtures.raw;
import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.Field;
import dev.mds.core.FieldType;
import dev.mds.core.MdsException;
import dev.mds.core.Schema;
import dev.mds.core.SchemaMismatchException;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.Row;
import dev.mds.testing.TableFixture;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Edge cases a demanding AutomateDV user would replay: satellites, hubs, links,
 * effectivity satellites, PIT, DDL, bad input, transaction safety and AutomateDV hash compatibility.
 */
@MdsPostgres
class VaultEdgeCasesTest {
    private static final HexFormat HEX = HexFormat.of().withUpperCase();

    private static Satellite customerSat(Vault vault, String table, Stage stage) {
        return vault.satellite(table).parent("customer_hk").hashDiff("customer_hashdiff").payload("id", "name").from(stage);
    }

    /** A satellite's rows as {@code id:name:day}, ordered by id then load date; NULL name as {@code ∅}. */
    private static List<String> history(DataSource ds, String table) throws Exception {
        return strings(ds, "select coalesce(id, '∅') || ':' || coalesce(name, '∅') || ':' || extract(day from load_date at time zone 'UTC')::int"
                + " from " + table + " order by id, load_date");
    }

    // ---------------------------------------------------------------- satellites

    /**
     * AutomateDV standardises every hashdiff column with NULLIF(UPPER(TRIM(..)), ''): NULL, '' and blanks are one
     * value, and a change of case or of outer blanks is no change. Only real changes are stored.
     */
    @Test
    void automateDvSatelliteTreatsNullEmptyAndBlankAlikeAndIgnoresCaseAndOuterBlankChanges(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds).standard(HashStandard.AUTOMATEDV);
        raw(ds, "raw.rv_adv_sat", row("1", "a", null, 1, day(1)), row("1", "a", "", 1, day(2)), row("1", "a", "   ", 1, day(3)),
                row("1", "a", "ann", 1, day(4)), row("1", "a", " ANN ", 1, day(5)), row("1", "a", "Bob", 1, day(6)),
                row("1", "a", null, 1, day(7)));
        Stage stage = customers("raw.rv_adv_sat", "crm");
        vault.createStage(stage);
        Satellite sat = customerSat(vault, "dds.rv_adv_sat", stage);
        sat.createTable();
        assertThat(sat.load().rowsInserted()).isEqualTo(4);
        assertThat(sat.load().rowsInserted()).isZero();
        assertThat(history(ds, "dds.rv_adv_sat")).containsExactly("1:∅:1", "1:ann:4", "1:Bob:6", "1:∅:7");
        // the all-NULL-name row's hashdiff is AutomateDV's: AGE||EMAIL||NAME sorted by name
        assertThat(strings(ds, "select upper(encode(customer_hashdiff, 'hex')) = upper(md5('1||A||^^')) from dds.rv_adv_sat"
                + " where load_date = '2024-01-01T00:00:00Z'")).containsExactly("t");
    }

    /**
     * Several changes per key in one batch are all kept in order (A, B, back to A, C); later batches compare with
     * the latest stored row; a late row is compared with its predecessor; replaying any earlier batch (or the same
     * one) inserts nothing.
     */
    @Test
    void satelliteKeepsEveryChangeOfSeveralKeysAndReplayingEarlierBatchesInsertsNothing(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        raw(ds, "raw.rv_sat_batches", row("1", "a", "A", 1, day(1)));
        Stage stage = customers("raw.rv_sat_batches", "crm");
        vault.createStage(stage);
        Satellite sat = customerSat(vault, "dds.rv_sat_batches", stage);
        sat.createTable();
        Row[] batch1 = {row("1", "a", "A", 1, day(1)), row("1", "a", "B", 1, day(2)), row("1", "a", "A", 1, day(3)),
                row("1", "a", "A", 1, day(4)), row("1", "a", "C", 1, day(5)), row("2", "b", "X", 1, day(1)), row("2", "b", "X", 1, day(2))};
        Row[] batch2 = {row("1", "a", "C", 1, day(6)), row("1", "a", "D", 1, day(8)), row("2", "b", "Y", 1, day(3))};
        Row[] batch3 = {row("1", "a", "C", 1, day(7)), row("2", "b", "Z", 1, day(2))};
        batch(ds, "raw.rv_sat_batches", batch1);
        assertThat(sat.load().rowsInserted()).isEqualTo(5);
        batch(ds, "raw.rv_sat_batches", batch2);
        assertThat(sat.load().rowsInserted()).isEqualTo(2);
        batch(ds, "raw.rv_sat_batches", batch3);
        assertThat(sat.load().rowsInserted()).isEqualTo(1);        // 2/Z late at day 2 (after X, before Y); 1/C at day 7 equals day 5
        for (Row[] replay : List.of(batch1, batch2, batch3)) {
            batch(ds, "raw.rv_sat_batches", replay);
            assertThat(sat.load().rowsInserted()).isZero();
        }
        assertThat(history(ds, "dds.rv_sat_batches")).containsExactly("1:A:1", "1:B:2", "1:A:3", "1:C:5", "1:D:8",
                "2:X:1", "2:Z:2", "2:Y:3");
    }

    /**
     * A satellite whose stored columns carry the names of the load's own intermediate columns (parent key
     * {@code min_ld}, hashdiff {@code is_new}, payload {@code prev_hashdiff}): before, every load failed with 'column
     * reference "prev_hashdiff" is ambiguous' (and the second with "min_ld").
     */
    @Test
    void satelliteLoadsColumnsNamedLikeItsOwnIntermediateColumns(DataSource ds) throws Exception {
        sql(ds, "create schema if not exists raw", "create table raw.rv_sat_names (id text, prev_hashdiff text, ld timestamptz)",
                "insert into raw.rv_sat_names values ('1', 'A', '2024-01-01Z'), ('1', 'B', '2024-01-03Z'), ('2', 'X', '2024-01-01Z')");
        Vault vault = Vault.on(ds);
        Stage stage = Stage.of("raw.rv_sat_names").into("stg.rv_sat_names").loadDate("ld").recordSource("crm")
                .hashKey("min_ld", "id").hashDiff("is_new", "prev_hashdiff");
        vault.createStage(stage);
        Satellite sat = vault.satellite("dds.rv_sat_names").parent("min_ld").hashDiff("is_new").payload("prev_hashdiff").from(stage);
        sat.createTable();
        assertThat(sat.load().rowsInserted()).isEqualTo(3);               // into an empty satellite
        sql(ds, "insert into raw.rv_sat_names values ('1', 'C', '2024-01-02Z'), ('1', 'B', '2024-01-04Z'), ('2', 'Y', '2024-01-05Z')");
        assertThat(sat.load().rowsInserted()).isEqualTo(2);               // late C between A and B; Y; B again is no change
        assertThat(sat.load().rowsInserted()).isZero();
        assertThat(strings(ds, "select s.prev_hashdiff || ':' || extract(day from s.load_date at time zone 'UTC')"
                + " from dds.rv_sat_names s join stg.rv_sat_names g on g.min_ld = s.min_ld and g.ld = s.load_date"
                + " order by g.id, s.load_date"))
                .containsExactly("A:1", "C:2", "B:3", "X:1", "Y:5");
    }

    /**
     * A late row equal to its predecessor is not a change even when it differs from the latest row (AutomateDV's
     * "compare with the latest" would insert it); a late row that differs from its predecessor is inserted.
     */
    @Test
    void satelliteComparesALateRowWithItsPredecessorNotWithTheLatestRow(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        raw(ds, "raw.rv_sat_late", row("1", "a", "A", 1, day(1)), row("1", "a", "B", 1, day(5)));
        Stage stage = customers("raw.rv_sat_late", "crm");
        vault.createStage(stage);
        Satellite sat = customerSat(vault, "dds.rv_sat_late", stage);
        sat.createTable();
        assertThat(sat.load().rowsInserted()).isEqualTo(2);
        batch(ds, "raw.rv_sat_late", row("1", "a", "A", 1, day(3)));
        assertThat(sat.load().rowsInserted()).isZero();
        batch(ds, "raw.rv_sat_late", row("1", "a", "C", 1, day(4)), row("1", "a", "B", 1, day(6)));
        assertThat(sat.load().rowsInserted()).isEqualTo(1);
        assertThat(history(ds, "dds.rv_sat_late")).containsExactly("1:A:1", "1:C:4", "1:B:5");
    }

    /**
     * A satellite whose load date is a {@code date}, loaded from a stage of timestamps with two rows of one key and day:
     * one row per key and day, into an empty satellite and into one holding rows. Before, each timestamp was its own
     * (key, load date) and the two rows of one day failed on the primary key.
     */
    @Test
    void satelliteOfDateLoadDatesTakesStageTimestampsOfOneDayAsOneRow(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        raw(ds, "raw.rv_sat_times", row("1", "a", "A", 1, day(2).plusHours(9)), row("1", "a", "B", 1, day(2).plusHours(23)),
                row("2", "b", "X", 1, day(2).plusHours(1)));
        sql(ds, "create table raw.rv_sat_days as select id, email, name || '0' as name, age, (ld at time zone 'UTC')::date - 1 as ld from raw.rv_sat_times");
        Stage days = customers("raw.rv_sat_days", "crm");
        Stage times = customers("raw.rv_sat_times", "crm");
        vault.createStage(days);
        vault.createStage(times);
        customerSat(vault, "dds.rv_sat_empty", days).createTable();
        customerSat(vault, "dds.rv_sat_held", days).createTable();
        assertThat(customerSat(vault, "dds.rv_sat_held", days).load().rowsInserted()).isEqualTo(2);     // day 1
        for (String t : List.of("dds.rv_sat_empty", "dds.rv_sat_held")) {
            Satellite sat = customerSat(vault, t, times);
            assertThat(sat.load().rowsInserted()).as(t).isEqualTo(2);
            assertThat(sat.load().rowsInserted()).as(t).isZero();
            assertThat(strings(ds, "select count(*) from " + t + " where load_date = '2024-01-02'")).as(t).containsExactly("2");
        }
    }

    /**
     * A satellite's effective-from of a type its table cannot be assigned (an integer, a text into a timestamptz) is
     * refused naming the stage column and both types, into an empty satellite and into one holding rows, and nothing is
     * written. Before: PostgreSQL's 'UNION types timestamp with time zone and integer cannot be matched' (or, into an
     * empty satellite, 'column "effective_from" is of type timestamp with time zone but expression is of type integer'),
     * naming no stage or column.
     */
    @Test
    void satelliteEffectiveFromOfAnotherTypeIsRefusedNamingTheColumn(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        raw(ds, "raw.rv_sat_ef", row("1", "a", "A", 1, day(1)));
        Stage stage = customers("raw.rv_sat_ef", "crm");
        vault.createStage(stage);
        sql(ds, "create table raw.rv_sat_ef2 as select id, email, name, age, ld, 5 as n, '01/02/2024'::text as t,"
                + " (ld at time zone 'UTC')::date as d from raw.rv_sat_ef");
        Stage other = customers("raw.rv_sat_ef2", "crm");
        vault.createStage(other);
        for (String t : List.of("dds.rv_sat_ef_empty", "dds.rv_sat_ef_held")) {
            customerSat(vault, t, stage).effectiveFrom("ld").createTable();
            long before = t.endsWith("held") ? customerSat(vault, t, stage).effectiveFrom("ld").load().rowsInserted() : 0;
            for (String col : List.of("n", "t")) {
                assertThatThrownBy(() -> customerSat(vault, t, other).effectiveFrom(col).load()).as(t + " " + col)
                        .isInstanceOf(SchemaMismatchException.class).hasMessageContaining("satellite " + t + " from stage stg.rv_sat_ef2")
                        .hasMessageContaining("column '" + col + "' of stg.rv_sat_ef2 is ")
                        .hasMessageContaining("(as 'effective_from') as timestamp with time zone");
            }
            assertThat(strings(ds, "select count(*) from " + t)).containsExactly(String.valueOf(before));
        }
        sql(ds, "update raw.rv_sat_ef2 set name = 'B', ld = ld + interval '1 day'");
        assertThat(customerSat(vault, "dds.rv_sat_ef_held", other).effectiveFrom("d").load().rowsInserted()).isEqualTo(1);
        assertThat(strings(ds, "select effective_from = '2024-01-01T00:00:00Z' from dds.rv_sat_ef_held where name = 'B'"))
                .containsExactly("t");
    }

    /**
     * The load has two inserts: one into an empty satellite and one into a satellite holding rows. The same stage gives
     * the same rows either way, ambiguous duplicates (same key and load date, different payload) included.
     */
    @Test
    void satelliteFirstLoadGivesTheSameRowsIntoAnEmptyTableAsIntoOneHoldingOtherKeys(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        raw(ds, "raw.rv_sat_paths", row("9", "z", "Other", 1, day(1)));
        Stage stage = customers("raw.rv_sat_paths", "crm");
        vault.createStage(stage);
        Satellite empty = customerSat(vault, "dds.rv_sat_path_empty", stage);
        Satellite holding = customerSat(vault, "dds.rv_sat_path_holding", stage);
        empty.createTable();
        holding.createTable();
        assertThat(holding.load().rowsInserted()).isEqualTo(1);
        batch(ds, "raw.rv_sat_paths", row("1", "a", "A", 1, day(1)), row("1", "a", "Q", 1, day(1)), row("1", "a", "A", 1, day(2)),
                row("1", "a", "B", 1, day(3)), row("1", null, null, null, day(4)), row("1", null, null, null, day(5)),
                row("1", "a", "A", 1, day(6)), row(null, "n", "N", 1, day(1)));
        long first = empty.load().rowsInserted();
        long second = holding.load().rowsInserted();
        assertThat(second).isEqualTo(first);
        List<String> inEmpty = history(ds, "dds.rv_sat_path_empty");
        List<String> inHolding = history(ds, "dds.rv_sat_path_holding");
        inHolding.remove("9:Other:1");
        assertThat(inHolding).isEqualTo(inEmpty);
        // day 1 is A or Q (whichever hashdiff is smaller); then, whatever it was, B from day 3, NULLs from day 4, A from day 6
        assertThat(inEmpty).endsWith("1:B:3", "1:∅:4", "1:A:6").hasSizeBetween(4, 5);
        assertThat(inEmpty.get(0)).isIn("1:A:1", "1:Q:1");
    }

    // ---------------------------------------------------------------- hubs and links

    /**
     * Three stages feed one hub: each key is stored with its earliest load date, and on equal load dates with the
     * smallest record source. Under AUTOMATEDV NULL, empty and blank keys are skipped; under CANONICAL with
     * emptyStringAsNull the empty key is skipped and a blank one is a value.
     */
    @Test
    void hubFromThreeStagesTakesEarliestLoadDateThenSmallestRecordSourceAndSkipsNullEmptyKeys(DataSource ds) throws Exception {
        raw(ds, "raw.rv_hub_web", row("K", "w", "W", 1, day(2)), row("L", "w", "W", 1, day(1)), row(null, "x", "X", 1, day(1)),
                row("", "x", "X", 1, day(1)));
        raw(ds, "raw.rv_hub_app", row("K", "a", "A", 1, day(2)), row("L", "a", "A", 1, day(2)), row("   ", "x", "X", 1, day(1)));
        raw(ds, "raw.rv_hub_crm", row("K", "c", "C", 1, day(3)), row("M", "c", "C", 1, day(3)));
        for (HashStandard standard : HashStandard.values()) {
            Vault vault = Vault.on(ds).standard(standard).emptyStringAsNull(true);
            String suffix = standard.name().toLowerCase();
            List<Stage> stages = new ArrayList<>();
            for (String src : List.of("web", "app", "crm")) {
                Stage s = Stage.of("raw.rv_hub_" + src).into("stg.rv_hub_" + src + "_" + suffix).loadDate("ld").recordSource(src)
                        .hashKey("customer_hk", "id");
                vault.createStage(s);
                stages.add(s);
            }
            Hub hub = vault.hub("dds.rv_hub_" + suffix).hashKey("customer_hk").businessKey("id").from(stages.toArray(Stage[]::new));
            hub.createTable();
            long expected = standard == HashStandard.AUTOMATEDV ? 3 : 4;     // CANONICAL: '   ' is a value
            assertThat(hub.load().rowsInserted()).as(suffix).isEqualTo(expected);
            assertThat(hub.load().rowsInserted()).as(suffix).isZero();
            assertThat(strings(ds, "select id || ' ' || record_source || ' ' || extract(day from load_date at time zone 'UTC')::int"
                    + " from dds.rv_hub_" + suffix + " where trim(id) <> '' order by id"))
                    .as(suffix).containsExactly("K app 2", "L web 1", "M crm 3");
            assertThat(strings(ds, "select count(*) from dds.rv_hub_" + suffix + " where id is null or id = ''"))
                    .as(suffix).containsExactly("0");
        }
    }

    /**
     * A link's row with a NULL reference is dropped (SKIP) or points at the ghost key (GHOST); a row whose every
     * business key is NULL has a NULL link hash key and is dropped under both. Under AUTOMATEDV an empty or blank
     * business key is a NULL reference.
     */
    @Test
    void linkMapsNullOrBlankReferencesToTheGhostOrDropsThemAndAlwaysDropsANullLinkKey(DataSource ds) throws Exception {
        TableFixture.on(ds, "raw.rv_link").columns("customer text", "product text", "ld timestamptz")
                .rows(row("c1", "p1", day(1)), row("c1", "  ", day(1)), row(null, "p2", day(1)), row(null, null, day(1)),
                        row("", "", day(1)));
        Vault vault = Vault.on(ds).standard(HashStandard.AUTOMATEDV);
        Stage stage = Stage.of("raw.rv_link").into("stg.rv_link").loadDate("ld").recordSource("shop")
                .hashKey("customer_hk", "customer").hashKey("product_hk", "product").hashKey("sale_hk", "customer", "product");
        vault.createStage(stage);
        Link skip = vault.link("dds.rv_link_skip").hashKey("sale_hk").refs("customer_hk", "product_hk").from(stage);
        Link ghost = vault.link("dds.rv_link_ghost").hashKey("sale_hk").refs("customer_hk", "product_hk").from(stage)
                .nullKeys(NullKeys.GHOST);
        skip.createTable();
        ghost.createTable();
        assertThat(skip.load().rowsInserted()).isEqualTo(1);
        assertThat(ghost.load().rowsInserted()).isEqualTo(3);
        assertThat(ghost.load().rowsInserted()).isZero();
        String zero = "00".repeat(16);
        assertThat(strings(ds, "select (encode(customer_hk, 'hex') = '" + zero + "')::text || ' ' || (encode(product_hk, 'hex') = '"
                + zero + "')::text from dds.rv_link_ghost order by 1")).containsExactly("false false", "false true", "true false");
        // the link key of (c1, '  ') is AutomateDV's: MD5('C1||^^')
        assertThat(strings(ds, "select count(*) from dds.rv_link_ghost where upper(encode(sale_hk, 'hex')) = upper(md5('C1||^^'))"))
                .containsExactly("1");
    }

    /** A link whose name leaves no room for its index names: each reference still gets an index of its own. */
    @Test
    void linkWithALongNameGetsOneIndexPerReference(DataSource ds) throws Exception {
        TableFixture.on(ds, "raw.rv_link_long").columns("customer text", "product text", "ld timestamptz")
                .rows(row("c1", "p1", day(1)));
        Vault vault = Vault.on(ds);
        Stage stage = Stage.of("raw.rv_link_long").into("stg.rv_link_long").loadDate("ld").recordSource("shop")
                .hashKey("customer_hk", "customer").hashKey("customer_product_hk", "product")
                .hashKey("sale_hk", "customer", "product");
        vault.createStage(stage);
        String name = "link_" + "x".repeat(50);   // 55 bytes: "<name>_customer_..." is cut to the same 60 bytes for both
        Link link = vault.link("dds." + name).hashKey("sale_hk").refs("customer_hk", "customer_product_hk").from(stage);
        link.createTable();
        link.createTable();   // idempotent: no second copy of either index
        assertThat(strings(ds, "select string_agg(pg_get_indexdef(indexrelid), ' | ' order by indexrelid) from pg_index"
                + " where indrelid = 'dds." + name + "'::regclass and not indisprimary"))
                .singleElement().asString().contains("(customer_hk)", "(customer_product_hk)");
        assertThat(strings(ds, "select count(*) from pg_index where indrelid = 'dds." + name + "'::regclass and not indisprimary"))
                .containsExactly("2");
        assertThat(link.load().rowsInserted()).isEqualTo(1);
    }

    // ---------------------------------------------------------------- effectivity satellites and PIT

    private static List<String> openLinks(DataSource ds, String table) throws Exception {
        // latest row per link that is open: driving key ~ link (identified by the stage's business keys)
        return strings(ds, "select distinct g.customer || '>' || g.product || ' ' || extract(day from l.start_date at time zone 'UTC')::int"
                + " from (select distinct on (assign_hk) * from " + table + " order by assign_hk, load_date desc) l"
                + " join stg.rv_eff g on g.assign_hk = l.assign_hk where l.end_date = '9999-12-31 00:00:00+00' order by 1");
    }

    /** Three driving keys over three batches: one moves away and back, one stays, one appears; every re-run inserts nothing. */
    @Test
    void effectivitySatelliteFollowsDrivingKeysAwayAndBackOverThreeBatches(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        TableFixture.on(ds, "raw.rv_eff").columns("customer text", "product text", "since timestamptz", "ld timestamptz")
                .rows(row("c1", "p1", day(1), day(1)), row("c2", "p1", day(1), day(1)));
        Stage stage = Stage.of("raw.rv_eff").into("stg.rv_eff").loadDate("ld").recordSource("crm")
                .hashKey("customer_hk", "customer").hashKey("product_hk", "product").hashKey("assign_hk", "customer", "product");
        vault.createStage(stage);
        EffectivitySatellite eff = vault.effectivitySatellite("dds.rv_eff").link("assign_hk").drivingKey("customer_hk")
                .effectiveFrom("since").from(stage);
        eff.createTable();
        assertThat(eff.load().rowsInserted()).isEqualTo(2);
        assertThat(eff.load().rowsInserted()).isZero();
        // keep every batch's rows in the raw table so openLinks can name the links
        sql(ds, "insert into raw.rv_eff values ('c1', 'p2', '2024-01-03', '2024-01-03'), ('c2', 'p1', '2024-01-01', '2024-01-03'),"
                + " ('c3', 'p3', '2024-01-03', '2024-01-03')");
        assertThat(eff.load().rowsInserted()).isEqualTo(3);       // c1: close p1, open p2; c3: open p3
        assertThat(eff.load().rowsInserted()).isZero();
        sql(ds, "insert into raw.rv_eff values ('c1', 'p1', '2024-01-05', '2024-01-05')");
        assertThat(eff.load().rowsInserted()).isEqualTo(2);       // c1: close p2, reopen p1
        assertThat(eff.load().rowsInserted()).isZero();
        assertThat(openLinks(ds, "dds.rv_eff")).containsExactly("c1>p1 5", "c2>p1 1", "c3>p3 3");
        assertThatTable(ds, "dds.rv_eff").hasRowCount(7);
    }

    /**
     * An effectivity satellite whose driving key is named like the load's own column {@code stop}: before, every load
     * failed with 'column reference "stop" is ambiguous'.
     */
    @Test
    void effectivitySatelliteLoadsADrivingKeyNamedLikeItsOwnIntermediateColumn(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        TableFixture.on(ds, "raw.rv_eff_stop").columns("customer text", "product text", "since timestamptz", "ld timestamptz")
                .rows(row("c1", "p1", day(1), day(1)), row("c2", "p1", day(1), day(1)));
        Stage stage = Stage.of("raw.rv_eff_stop").into("stg.rv_eff_stop").loadDate("ld").recordSource("crm")
                .hashKey("stop", "customer").hashKey("assign_hk", "customer", "product");
        vault.createStage(stage);
        EffectivitySatellite eff = vault.effectivitySatellite("dds.rv_eff_stop").link("assign_hk").drivingKey("stop")
                .effectiveFrom("since").from(stage);
        eff.createTable();
        assertThat(eff.load().rowsInserted()).isEqualTo(2);
        sql(ds, "insert into raw.rv_eff_stop values ('c1', 'p2', '2024-01-03', '2024-01-03')");
        assertThat(eff.load().rowsInserted()).isEqualTo(2);       // c1: close p1, open p2
        assertThat(eff.load().rowsInserted()).isZero();
        assertThat(strings(ds, "select count(*) from dds.rv_eff_stop where end_date < '9999-12-31'")).containsExactly("1");
        assertThatTable(ds, "dds.rv_eff_stop").hasRowCount(4);
    }

    /**
     * A satellite and an effectivity satellite load from one stage (AutomateDV's sat and eff_sat take one source
     * model): a second from(...) throws naming the table and both stages and saying to union the sources in one
     * stage (before: it silently replaced the first, so {@code .from(a).from(b)} loaded b only); the definition keeps
     * the first stage, which a load then reads.
     */
    @Test
    void satelliteAndEffectivitySatelliteRefuseASecondStageAndKeepTheFirst(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        raw(ds, "raw.rv_two_a", row("1", "a", "Ann", 1, day(1)));
        raw(ds, "raw.rv_two_b", row("2", "b", "Bob", 2, day(1)));
        Stage a = customers("raw.rv_two_a", "crm");
        Stage b = customers("raw.rv_two_b", "web");
        vault.createStage(a);
        vault.createStage(b);
        Satellite sat = customerSat(vault, "dds.rv_two_sat", a);
        assertThatThrownBy(() -> sat.from(b)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("satellite dds.rv_two_sat")
                .hasMessageContaining("from(stage stg.rv_two_b (from raw.rv_two_b)) after from(stage stg.rv_two_a (from raw.rv_two_a))")
                .hasMessageContaining("union them in one stage");
        assertThatThrownBy(() -> sat.from(a)).isInstanceOf(IllegalStateException.class);     // the same stage again too
        sat.createTable();
        assertThat(sat.load().rowsInserted()).isEqualTo(1);
        assertThat(strings(ds, "select id || ':' || name || ':' || record_source from dds.rv_two_sat")).containsExactly("1:Ann:crm");

        TableFixture.on(ds, "raw.rv_two_ea").columns("customer text", "product text", "since timestamptz", "ld timestamptz")
                .rows(row("c1", "p1", day(1), day(1)));
        TableFixture.on(ds, "raw.rv_two_eb").columns("customer text", "product text", "since timestamptz", "ld timestamptz")
                .rows(row("c2", "p2", day(1), day(1)));
        List<Stage> stages = new ArrayList<>();
        for (String r : List.of("raw.rv_two_ea", "raw.rv_two_eb")) {
            Stage s = Stage.of(r).into("stg." + r.substring(4)).loadDate("ld").recordSource(r.substring(4))
                    .hashKey("customer_hk", "customer").hashKey("product_hk", "product").hashKey("assign_hk", "customer", "product");
            vault.createStage(s);
            stages.add(s);
        }
        EffectivitySatellite eff = vault.effectivitySatellite("dds.rv_two_eff").link("assign_hk").drivingKey("customer_hk")
                .effectiveFrom("since").from(stages.get(0));
        assertThatThrownBy(() -> eff.from(stages.get(1))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("effectivity satellite dds.rv_two_eff")
                .hasMessageContaining("from(stage stg.rv_two_eb (from raw.rv_two_eb)) after from(stage stg.rv_two_ea (from raw.rv_two_ea))")
                .hasMessageContaining("union them in one stage")
                .hasMessageContaining("an effectivity satellite loads from one stage");
        assertThatThrownBy(() -> vault.satellite("dds.rv_two_sat2").from(stages.get(0)).from(stages.get(1)))
                .hasMessageContaining("a satellite loads from one stage");
        eff.createTable();
        assertThat(eff.load().rowsInserted()).isEqualTo(1);
        assertThat(strings(ds, "select record_source from dds.rv_two_eff")).containsExactly("rv_two_ea");
        assertThatThrownBy(() -> vault.satellite("dds.rv_two_null").from(null)).isInstanceOf(NullPointerException.class);
    }

    /**
     * A null among the stages of from(Stage...) is refused, naming its position, and adds none of them, in every
     * structure that loads from several stages (hubs and links refused it without a message; multi-active satellites
     * and transactional links kept the stages before the null one).
     */
    @Test
    void aNullStageAmongSeveralIsRefusedNamingItsPositionAndAddsNone(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        raw(ds, "raw.rv_null_stage", row("1", "a", "A", 1, day(1)));
        Stage a = customers("raw.rv_null_stage", "crm");
        Hub hub = vault.hub("dds.rv_null_hub").hashKey("customer_hk").businessKey("id");
        Link link = vault.link("dds.rv_null_link").hashKey("customer_hk").refs("customer_hk");
        MultiActiveSatellite mas = vault.multiActiveSatellite("dds.rv_null_mas");
        TransactionalLink tl = vault.transactionalLink("dds.rv_null_tl");
        for (Runnable call : List.<Runnable>of(() -> hub.from(a, null), () -> link.from(a, null), () -> mas.from(a, null),
                () -> tl.from(a, null))) {
            assertThatThrownBy(call::run).isInstanceOf(NullPointerException.class)
                    .hasMessage("stage 2 of from(...) is null");
        }
        for (Structure s : List.<Structure>of(hub, link, mas, tl)) {
            assertThat(s.stagesRead()).as(s.name() + ": nothing added by the refused call").isEmpty();
        }
        vault.createStage(a);
        hub.from(a).createTable();
        assertThat(hub.stagesRead()).containsExactly(a);
        assertThat(hub.load().rowsInserted()).isEqualTo(1);
    }

    /** A PIT over two satellites points, per as-of date, at each one's row in effect (or the ghost), and follows new loads. */
    @Test
    void pitOverTwoSatellitesPointsAtEachRowInEffectAndIsRebuiltAfterNewLoads(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        raw(ds, "raw.rv_pit", row("1", "a", "A", 1, day(1)), row("1", "a", "B", 1, day(4)));
        TableFixture.on(ds, "raw.rv_pit_b").columns("id text", "email text", "name text", "age int", "ld timestamptz")
                .rows(row("1", "x", "X", 1, day(3)));
        Stage a = customers("raw.rv_pit", "crm");
        Stage b = customers("raw.rv_pit_b", "web");
        vault.createStage(a);
        vault.createStage(b);
        Hub hub = vault.hub("dds.rv_pit_hub").hashKey("customer_hk").businessKey("id").from(a, b);
        hub.createTable();
        hub.load();
        Satellite satA = customerSat(vault, "dds.rv_pit_sat_a", a);
        Satellite satB = customerSat(vault, "dds.rv_pit_sat_b", b);
        satA.createTable();
        satB.createTable();
        satA.load();
        satB.load();
        Pit pit = vault.pit("dds.rv_pit").hub("dds.rv_pit_hub", "customer_hk").satellites("dds.rv_pit_sat_a", "dds.rv_pit_sat_b")
                .asOf(List.of(day(2), day(5)));
        pit.createTable();
        assertThat(pit.load().rowsInserted()).isEqualTo(2);
        String q = "select extract(day from as_of_date at time zone 'UTC')::int || ' ' || (rv_pit_sat_a_ldts at time zone 'UTC')::date"
                + " || ' ' || (rv_pit_sat_b_ldts at time zone 'UTC')::date || ' ' || (encode(rv_pit_sat_b_pk, 'hex') = repeat('0', 32))"
                + " from dds.rv_pit order by as_of_date";
        assertThat(strings(ds, q)).containsExactly("2 2024-01-01 1900-01-01 true", "5 2024-01-04 2024-01-03 false");
        batch(ds, "raw.rv_pit_b", row("1", "x", "Y", 1, day(5)));
        assertThat(satB.load().rowsInserted()).isEqualTo(1);
        assertThat(pit.load().rowsInserted()).isEqualTo(1);          // only the row as of day 5 changed
        assertThat(strings(ds, q)).containsExactly("2 2024-01-01 1900-01-01 true", "5 2024-01-04 2024-01-05 false");
    }

    /**
     * A PIT that finds no satellite row points at the ghost key and 1900-01-01, which is exactly the satellite's ghost
     * record, also when the load dates are dates: an equi-join from the PIT to the satellite never loses a row.
     */
    @Test
    void pitRowsOfDateLoadDatesJoinTheSatellitesGhostRecord(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        TableFixture.on(ds, "raw.rv_pit_date").columns("id text", "email text", "name text", "age int", "ld date")
                .rows(row("1", "a", "A", 1, java.time.LocalDate.of(2024, 1, 3)));
        Stage stage = customers("raw.rv_pit_date", "crm");
        vault.createStage(stage);
        Hub hub = vault.hub("dds.rv_pit_date_hub").hashKey("customer_hk").businessKey("id").from(stage);
        hub.createTable();
        hub.load();
        Satellite sat = customerSat(vault, "dds.rv_pit_date_sat", stage);
        sat.createTable();
        sat.load();
        assertThat(sat.insertGhostRecord().rowsInserted()).isEqualTo(1);
        Pit pit = vault.pit("dds.rv_pit_date").hub("dds.rv_pit_date_hub", "customer_hk").satellites("dds.rv_pit_date_sat")
                .asOf(List.of(java.time.LocalDate.of(2024, 1, 2), java.time.LocalDate.of(2024, 1, 3)));
        pit.createTable();
        assertThat(pit.load().rowsInserted()).isEqualTo(2);
        assertThat(strings(ds, "select p.as_of_date::text || ' ' || s.load_date::text || ' ' || s.record_source from dds.rv_pit_date p"
                + " join dds.rv_pit_date_sat s on s.customer_hk = p.rv_pit_date_sat_pk and s.load_date = p.rv_pit_date_sat_ldts"
                + " order by p.as_of_date")).containsExactly("2024-01-02 1900-01-01 SYSTEM", "2024-01-03 2024-01-03 crm");
    }

    /**
     * A stage view that mds did not create (here: rendered as AutomateDV renders one, with its own record source
     * column) is read as it is by hubs, links and effectivity satellites. The satellite did not read it: for a VIEW
     * stage it inlined a query rebuilt from the Stage definition over the source table, so it saw other columns
     * (no hash columns here, and record source 'unknown' instead of the view's).
     */
    @Test
    void satelliteReadsAnExistingStageViewAsTheHubDoes(DataSource ds) throws Exception {
        raw(ds, "raw.rv_ext", row("1", "a", "Ann", 1, day(1)), row("1", "a", "Bob", 1, day(2)));
        sql(ds, "create schema if not exists stg", "drop view if exists stg.rv_ext_view",
                "create view stg.rv_ext_view as select r.*, r.ld as load_date, 'adv_crm'::text as record_source,"
                        + " DECODE(MD5(NULLIF(UPPER(TRIM(CAST(r.id AS VARCHAR))), '')), 'hex') as customer_hk,"
                        + " DECODE(MD5(CONCAT_WS('||', COALESCE(NULLIF(UPPER(TRIM(CAST(r.name AS VARCHAR))), ''), '^^'))), 'hex') as customer_hashdiff"
                        + " from raw.rv_ext r");
        Vault vault = Vault.on(ds).standard(HashStandard.AUTOMATEDV);
        Stage existing = Stage.of("raw.rv_ext").into("stg.rv_ext_view").loadDate("ld");
        Hub hub = vault.hub("dds.rv_ext_hub").hashKey("customer_hk").businessKey("id").from(existing);
        hub.createTable();
        assertThat(hub.load().rowsInserted()).isEqualTo(1);
        Satellite sat = customerSat(vault, "dds.rv_ext_sat", existing);
        sat.createTable();
        assertThat(sat.load().rowsInserted()).isEqualTo(2);
        assertThat(strings(ds, "select record_source || ' ' || name from dds.rv_ext_sat order by load_date"))
                .containsExactly("adv_crm Ann", "adv_crm Bob");
    }

    // ---------------------------------------------------------------- DDL

    /** The DDL gives each structure its keys, the indexes that serve "latest row per key", checked hash widths and the stage's types. */
    @Test
    void createTableGivesKeysIndexesHashChecksAndTheStagesTypes(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        TableFixture.on(ds, "raw.rv_ddl").columns("customer varchar(40)", "product text", "price numeric(10,2)",
                "since timestamptz", "ld date").rows(row("c1", "p1", new java.math.BigDecimal("1.50"), day(1), java.time.LocalDate.of(2024, 1, 1)));
        Stage stage = Stage.of("raw.rv_ddl").into("stg.rv_ddl").loadDate("ld").recordSource("crm")
                .hashKey("customer_hk", "customer").hashKey("product_hk", "product").hashKey("assign_hk", "customer", "product")
                .hashDiff("assign_hashdiff", "price");
        vault.createStage(stage);
        Hub hub = vault.hub("dds.rv_ddl_hub").hashKey("customer_hk").businessKey("customer").from(stage);
        Link link = vault.link("dds.rv_ddl_link").hashKey("assign_hk").refs("customer_hk", "product_hk").from(stage);
        Satellite sat = vault.satellite("dds.rv_ddl_sat").parent("assign_hk").hashDiff("assign_hashdiff").payload("price")
                .effectiveFrom("since").from(stage);
        EffectivitySatellite eff = vault.effectivitySatellite("dds.rv_ddl_eff").link("assign_hk").drivingKey("customer_hk")
                .effectiveFrom("since").from(stage);
        for (Structure s : List.of(hub, link, sat, eff)) {
            s.createTable();
            s.createTable();                          // IF NOT EXISTS: a second call changes nothing
            assertThat(s.sql()).isNotEmpty();
        }
        assertThatTable(ds, "dds.rv_ddl_hub").isEmpty();  // sql() only reads
        Pit pit = vault.pit("dds.rv_ddl_pit").hub("dds.rv_ddl_hub", "customer_hk").satellites("dds.rv_ddl_sat")
                .asOf(List.of(java.time.LocalDate.of(2024, 1, 2)));
        // the PIT's satellite is a link satellite (parent assign_hk): a hub-keyed PIT cannot use it, and no table is made
        assertThatThrownBy(pit::createTable).isInstanceOf(MdsException.class).hasMessageContaining("pit dds.rv_ddl_pit")
                .hasMessageContaining("dds.rv_ddl_sat has no column 'customer_hk'");
        assertThat(strings(ds, "select count(*) from pg_class where relname = 'rv_ddl_pit'")).containsExactly("0");
        assertThat(strings(ds, "select format_type(atttypid, atttypmod) from pg_attribute where attrelid = 'dds.rv_ddl_hub'::regclass"
                + " and attname in ('customer', 'load_date') order by attname")).containsExactly("character varying(40)", "date");
        assertThat(strings(ds, "select format_type(atttypid, atttypmod) from pg_attribute where attrelid = 'dds.rv_ddl_sat'::regclass"
                + " and attname in ('price', 'effective_from') order by attname")).containsExactly("timestamp with time zone", "numeric(10,2)");
        assertThat(strings(ds, "select indexdef from pg_indexes where schemaname = 'dds' and tablename like 'rv_ddl_%' order by indexdef"))
                .anySatisfy(d -> assertThat(d).contains("rv_ddl_hub").contains("(customer_hk)"))
                .anySatisfy(d -> assertThat(d).contains("rv_ddl_sat").contains("(assign_hk, load_date)"))
                .anySatisfy(d -> assertThat(d).contains("rv_ddl_link").contains("(customer_hk)"))
                .anySatisfy(d -> assertThat(d).contains("rv_ddl_link").contains("(product_hk)"))
                .anySatisfy(d -> assertThat(d).contains("rv_ddl_eff").contains("(assign_hk, load_date)"))
                .anySatisfy(d -> assertThat(d).contains("rv_ddl_eff").contains("(customer_hk, load_date)"));
        // each table's hash columns refuse a hash of another width
        assertThatThrownBy(() -> sql(ds, "insert into dds.rv_ddl_hub values ('\\x00'::bytea, 'x', '2024-01-01', 'crm')"))
                .hasMessageContaining("check constraint");
        hub.load();
        link.load();
        sat.load();
        eff.load();
        assertThat(strings(ds, "select (select count(*) from dds.rv_ddl_hub)::text || (select count(*) from dds.rv_ddl_link)"
                + " || (select count(*) from dds.rv_ddl_sat) || (select count(*) from dds.rv_ddl_eff)")).containsExactly("1111");
    }

    // ---------------------------------------------------------------- bad input

    /** Missing or mistyped columns of hubs, links, effectivity satellites and PITs: the message names the structure and the column. */
    @Test
    void badInputOfEveryStructureNamesTheStructureAndTheColumnAndWritesNothing(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        TableFixture.on(ds, "raw.rv_bad").columns("customer text", "product text", "since timestamptz", "ld timestamptz")
                .rows(row("c1", "p1", day(1), day(1)));
        Stage stage = Stage.of("raw.rv_bad").into("stg.rv_bad").loadDate("ld").recordSource("crm")
                .hashKey("customer_hk", "customer").hashKey("product_hk", "product").hashKey("assign_hk", "customer", "product");
        vault.createStage(stage);
        Hub hub = vault.hub("dds.rv_bad_hub").hashKey("customer_hk").businessKey("customer").from(stage);
        hub.createTable();
        assertThatThrownBy(() -> vault.hub("dds.rv_bad_hub").hashKey("customer_hk").businessKey("custmer").from(stage).load())
                .isInstanceOf(MdsException.class).hasMessageContaining("hub dds.rv_bad_hub").hasMessageContaining("'custmer'");
        assertThatThrownBy(() -> vault.hub("dds.rv_bad_hub").hashKey("customer").businessKey("customer").from(stage).load())
                .isInstanceOf(MdsException.class).hasMessageContaining("hub dds.rv_bad_hub").hasMessageContaining("'customer'")
                .hasMessageContaining("bytea");
        Link link = vault.link("dds.rv_bad_link").hashKey("assign_hk").refs("customer_hk", "product_hk").from(stage);
        link.createTable();
        assertThatThrownBy(() -> vault.link("dds.rv_bad_link").hashKey("assign_hk").refs("customer_hk", "prodcut_hk").from(stage).load())
                .isInstanceOf(MdsException.class).hasMessageContaining("link dds.rv_bad_link").hasMessageContaining("'prodcut_hk'");
        assertThatThrownBy(() -> vault.link("dds.rv_bad_link").hashKey("assign_hk").refs("customer_hk").from(stage).load())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("link dds.rv_bad_link").hasMessageContaining("refs");
        EffectivitySatellite eff = vault.effectivitySatellite("dds.rv_bad_eff").link("assign_hk").drivingKey("customer_hk")
                .effectiveFrom("since").from(stage);
        eff.createTable();
        assertThatThrownBy(() -> vault.effectivitySatellite("dds.rv_bad_eff").link("assign_hk").drivingKey("customer_hk")
                .effectiveFrom("sinse").from(stage).load())
                .isInstanceOf(MdsException.class).hasMessageContaining("effectivity satellite dds.rv_bad_eff").hasMessageContaining("'sinse'");
        assertThatThrownBy(() -> vault.pit("dds.rv_bad_pit").hub("dds.rv_bad_hub", "customer_hk").satellites("dds.rv_no_such_sat")
                .asOf(List.of(day(1))).createTable())
                .isInstanceOf(MdsException.class).hasMessageContaining("pit dds.rv_bad_pit").hasMessageContaining("dds.rv_no_such_sat");
        // a SHA-256 stage into MD5 tables holding rows: the structure and the column are named
        hub.load();
        link.load();
        Vault sha = vault.algorithm(HashAlgorithm.SHA256);
        Stage shaStage = Stage.of("raw.rv_bad").into("stg.rv_bad_sha").loadDate("ld").recordSource("crm")
                .hashKey("customer_hk", "customer").hashKey("product_hk", "product").hashKey("assign_hk", "customer", "product");
        sha.createStage(shaStage);
        assertThatThrownBy(() -> sha.hub("dds.rv_bad_hub").hashKey("customer_hk").businessKey("customer").from(shaStage).load())
                .isInstanceOf(MdsException.class).hasMessageContaining("hub dds.rv_bad_hub").hasMessageContaining("'customer_hk'")
                .hasMessageContaining("16-byte");
        assertThatThrownBy(() -> vault.link("dds.rv_bad_link").hashKey("assign_hk").refs("customer_hk", "product_hk").from(shaStage).load())
                .isInstanceOf(MdsException.class).hasMessageContaining("link dds.rv_bad_link").hasMessageContaining("'assign_hk'")
                .hasMessageContaining("32-byte");
        assertThatTable(ds, "dds.rv_bad_hub").hasRowCount(1);
        assertThatTable(ds, "dds.rv_bad_link").hasRowCount(1);
        assertThatTable(ds, "dds.rv_bad_eff").isEmpty();
    }

    /**
     * createTable of a hub, link, satellite or effectivity satellite whose hash column (hash key, reference, parent, the
     * stage's hashdiff, driving key) the stage does not have, or has as another type than bytea: refused naming the
     * structure and the column, and no table is created. These tables' hash columns are bytea whatever the stage, so
     * the stage was not read for them: a mistyped name created a table with a column no stage fills, which every load
     * then refused, and which had to be dropped by hand.
     */
    @Test
    void createTableRefusesAHashColumnTheStageDoesNotHaveAndCreatesNothing(DataSource ds) {
        Vault vault = Vault.on(ds);
        TableFixture.on(ds, "raw.rv_ct").columns("customer text", "product text", "name text", "since timestamptz", "ld timestamptz")
                .rows(row("c1", "p1", "n", day(1), day(1)));
        Stage stage = Stage.of("raw.rv_ct").into("stg.rv_ct").loadDate("ld").recordSource("crm")
                .hashKey("customer_hk", "customer").hashKey("product_hk", "product").hashKey("assign_hk", "customer", "product")
                .hashDiff("customer_hashdiff", "name");
        vault.createStage(stage);
        Stage other = Stage.of("raw.rv_ct").into("stg.rv_ct_other").loadDate("ld").recordSource("web").hashKey("product_hk", "product");
        vault.createStage(other);
        List<String> columns = new ArrayList<>();
        List<Structure> structures = new ArrayList<>();
        columns.add("'custmer_hk'");
        structures.add(vault.hub("dds.rv_ct_hub").hashKey("custmer_hk").businessKey("customer").from(stage));
        columns.add("'name' of stg.rv_ct is text, expected bytea");
        structures.add(vault.hub("dds.rv_ct_hub").hashKey("name").businessKey("customer").from(stage));
        columns.add("hub dds.rv_ct_hub from stage stg.rv_ct_other (from raw.rv_ct): stg.rv_ct_other has no column 'customer_hk'");
        structures.add(vault.hub("dds.rv_ct_hub").hashKey("customer_hk").businessKey("customer").from(stage, other));
        columns.add("'asign_hk'");
        structures.add(vault.link("dds.rv_ct_link").hashKey("asign_hk").refs("customer_hk", "product_hk").from(stage));
        columns.add("'prodcut_hk'");
        structures.add(vault.link("dds.rv_ct_link").hashKey("assign_hk").refs("customer_hk", "prodcut_hk").from(stage));
        columns.add("'custmer_hk'");
        structures.add(vault.satellite("dds.rv_ct_sat").parent("custmer_hk").hashDiff("customer_hashdiff").payload("name").from(stage));
        columns.add("'hashdiff'");
        structures.add(vault.satellite("dds.rv_ct_sat").parent("customer_hk").hashDiff("hashdiff").payload("name").from(stage));
        columns.add("'name' of stg.rv_ct is text, expected bytea");
        structures.add(vault.satellite("dds.rv_ct_sat").parent("customer_hk").hashDiff("hashdiff", "name").payload("name").from(stage));
        columns.add("'asign_hk'");
        structures.add(vault.effectivitySatellite("dds.rv_ct_eff").link("asign_hk").drivingKey("customer_hk").effectiveFrom("since").from(stage));
        columns.add("'custmer_hk'");
        structures.add(vault.effectivitySatellite("dds.rv_ct_eff").link("assign_hk").drivingKey("custmer_hk").effectiveFrom("since").from(stage));
        for (int i = 0; i < structures.size(); i++) {
            Structure s = structures.get(i);
            assertThatThrownBy(s::createTable).as(s.name()).isInstanceOf(MdsException.class).hasMessageContaining(s.name())
                    .hasMessageContaining(columns.get(i));
        }
        assertThat(strings(ds, "select count(*) from pg_class where relname like 'rv\\_ct\\_%' and relkind = 'r'")).containsExactly("0");
    }

    /**
     * A hub created by a SHA-256 vault (its hash key checked to 32 bytes) and still empty, loaded by an MD5 vault: the
     * width check reads stored rows only, so the mismatch surfaced as a raw check-constraint violation from the INSERT
     * instead of an error naming the structure, the column and the two widths.
     */
    @Test
    void loadIntoAnEmptyTableCreatedForAnotherHashWidthNamesTheStructureAndTheColumn(DataSource ds) {
        TableFixture.on(ds, "raw.rv_width").columns("id text", "email text", "name text", "age int", "ld timestamptz")
                .rows(row("1", "a", "A", 1, day(1)));
        Vault md5 = Vault.on(ds);
        Vault sha = md5.algorithm(HashAlgorithm.SHA256);
        Stage stage = customers("raw.rv_width", "crm");
        md5.createStage(stage);
        sha.hub("dds.rv_width_hub").hashKey("customer_hk").businessKey("id").from(stage).createTable();
        assertThatThrownBy(() -> md5.hub("dds.rv_width_hub").hashKey("customer_hk").businessKey("id").from(stage).load())
                .isInstanceOf(MdsException.class).hasMessageContaining("hub dds.rv_width_hub").hasMessageContaining("'customer_hk'")
                .hasMessageContaining("declared for 32-byte hashes").hasMessageContaining("MD5 (16 bytes)");
        assertThatTable(ds, "dds.rv_width_hub").isEmpty();
    }

    /**
     * A stage row without a load date cannot be loaded (the column is NOT NULL): the load fails as a whole (the valid
     * row of key 1 is not written either) and the message names the table and the column.
     */
    @Test
    void stageRowWithoutALoadDateFailsTheLoadNamingTheStructureAndColumnAndWritesNothing(DataSource ds) {
        raw(ds, "raw.rv_null_ld", row("1", "a", "A", 1, day(1)), row("2", "b", "B", 1, null));
        Vault vault = Vault.on(ds);
        Stage stage = customers("raw.rv_null_ld", "crm");
        vault.createStage(stage);
        Hub hub = vault.hub("dds.rv_null_ld_hub").hashKey("customer_hk").businessKey("id").from(stage);
        Satellite sat = customerSat(vault, "dds.rv_null_ld_sat", stage);
        hub.createTable();
        sat.createTable();
        assertThatThrownBy(hub::load).isInstanceOf(MdsException.class).hasMessageContaining("rv_null_ld_hub")
                .hasMessageContaining("\"load_date\"");
        assertThatThrownBy(sat::load).isInstanceOf(MdsException.class).hasMessageContaining("rv_null_ld_sat")
                .hasMessageContaining("\"load_date\"");
        assertThatTable(ds, "dds.rv_null_ld_hub").isEmpty();
        assertThatTable(ds, "dds.rv_null_ld_sat").isEmpty();
    }

    // ---------------------------------------------------------------- transaction safety

    /**
     * A stage table re-created over a batch whose derived column fails keeps the previous stage (the drop and the
     * create are one transaction); a hub fed by two stages, one of which fails while it is read, stores nothing from
     * the other.
     */
    @Test
    void failedStageRebuildKeepsThePreviousStageAndAFailingStageLoadsNothingFromTheOthers(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        raw(ds, "raw.rv_tx", row("1", "a", "A", 10, day(1)));
        Stage table = customers("raw.rv_tx", "crm").into("stg.rv_tx_table").derived("ratio", "100 / age")
                .materialized(Stage.Materialization.TABLE);
        vault.createStage(table);
        batch(ds, "raw.rv_tx", row("2", "b", "B", 0, day(2)));
        assertThatThrownBy(() -> vault.createStage(table)).isInstanceOf(MdsException.class).hasMessageContaining("division by zero");
        assertThat(strings(ds, "select id || ' ' || ratio from stg.rv_tx_table")).containsExactly("1 10");

        raw(ds, "raw.rv_tx_ok", row("5", "e", "E", 1, day(1)));
        Stage ok = customers("raw.rv_tx_ok", "web");
        Stage failing = Stage.of("raw.rv_tx").into("stg.rv_tx_view").loadDate("ld").recordSource("crm")
                .derived("ratio", "100 / age").hashKey("customer_hk", "id", "ratio");
        vault.createStage(ok);
        vault.createStage(failing);
        Hub hub = vault.hub("dds.rv_tx_hub").hashKey("customer_hk").businessKey("id").from(ok, failing);
        hub.createTable();
        assertThatThrownBy(hub::load).isInstanceOf(MdsException.class).hasMessageContaining("division by zero");
        assertThatTable(ds, "dds.rv_tx_hub").isEmpty();
        Satellite sat = customerSat(vault, "dds.rv_tx_sat", ok);
        sat.createTable();
        sat.load();
        batch(ds, "raw.rv_tx_ok", row("5", "e", "F", 1, day(2)), row("6", "f", "G", 1, day(2)));
        sql(ds, "alter table dds.rv_tx_sat add constraint rv_tx_no_g check (name <> 'G')");
        assertThatThrownBy(sat::load).isInstanceOf(MdsException.class);
        assertThat(history(ds, "dds.rv_tx_sat")).containsExactly("5:E:1");
    }

    // ---------------------------------------------------------------- AutomateDV hash compatibility

    /**
     * AutomateDV sorts hashdiff columns with Jinja's {@code sort} filter, which ignores case by default: ORDER_DATE
     * comes before ORDERSTATUS ('_' < 's') and name before Zip. mds sorted by Java's case-sensitive String order
     * (ORDERSTATUS first, 'S' < '_'; Zip first, 'Z' < 'n'), so hashdiffs over upper-case or mixed-case column
     * names (AutomateDV's own examples use upper-case names) differed from AutomateDV's.
     */
    @Test
    void automateDvHashdiffSortsColumnNamesAsAutomateDvsCaseInsensitiveSortDoes(DataSource ds) throws Exception {
        TableFixture.on(ds, "raw.rv_sort").columns("\"ORDERSTATUS\" text", "\"ORDER_DATE\" text", "\"Zip\" text", "name text",
                "ld timestamptz").rows(row("open", "2024-01-01", "z1", "ann", day(1)));
        Vault vault = Vault.on(ds).standard(HashStandard.AUTOMATEDV);
        vault.createStage(Stage.of("raw.rv_sort").into("stg.rv_sort").loadDate("ld")
                .hashDiff("order_hd", "ORDERSTATUS", "ORDER_DATE").hashDiff("person_hd", "Zip", "name"));
        assertThat(strings(ds, "select upper(encode(order_hd, 'hex')) || ' ' || upper(encode(person_hd, 'hex')) from stg.rv_sort"))
                .containsExactly(HEX.formatHex(md5("2024-01-01||OPEN")) + " " + HEX.formatHex(md5("ANN||Z1")));
        Hasher h = vault.hasher(Schema.of(Field.of("ORDERSTATUS", FieldType.STRING), Field.of("ORDER_DATE", FieldType.STRING)));
        assertThat(HEX.formatHex(h.hashDiff("open", "2024-01-01"))).isEqualTo(HEX.formatHex(md5("2024-01-01||OPEN")));
    }

    private static byte[] md5(String s) throws Exception {
        return java.security.MessageDigest.getInstance("MD5").digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /**
     * AutomateDV hashes any column through CAST(.. AS VARCHAR): an enum, an interval or an inet is hashed by its text.
     * AUTOMATEDV must hash them the same way to sit beside an AutomateDV vault; it refused them as unhashable.
     */
    @Test
    void automateDvHashesEnumIntervalAndInetColumnsByTheirTextAsAutomateDvDoes(DataSource ds) throws Exception {
        sql(ds, "create schema if not exists raw", "drop type if exists raw.rv_mood cascade",
                "create type raw.rv_mood as enum ('happy', 'sad')");
        TableFixture.on(ds, "raw.rv_types").columns("id int", "mood raw.rv_mood", "span interval", "ip inet", "ld timestamptz")
                .rows(row(1, null, null, null, day(1)));
        sql(ds, "update raw.rv_types set mood = 'happy', span = '1 day', ip = '10.0.0.1'");
        Vault vault = Vault.on(ds).standard(HashStandard.AUTOMATEDV);
        vault.createStage(Stage.of("raw.rv_types").into("stg.rv_types").loadDate("ld").hashKey("mood_hk", "mood")
                .hashDiff("hd", "span", "mood", "ip"));
        String automateDv = "DECODE(MD5(CONCAT_WS('||', COALESCE(NULLIF(UPPER(TRIM(CAST(r.ip AS VARCHAR))), ''), '^^'),"
                + " COALESCE(NULLIF(UPPER(TRIM(CAST(r.mood AS VARCHAR))), ''), '^^'),"
                + " COALESCE(NULLIF(UPPER(TRIM(CAST(r.span AS VARCHAR))), ''), '^^'))), 'hex')";
        assertThat(strings(ds, "select (s.hd = " + automateDv + ")::text || ' ' || (s.mood_hk = DECODE(MD5(NULLIF(UPPER(TRIM(CAST(r.mood AS VARCHAR))), '')), 'hex'))::text"
                + " from stg.rv_types s join raw.rv_types r using (id)")).containsExactly("true true");
    }

    /**
     * A column of a domain over text (CREATE DOMAIN email AS text) is text: both standards hash it as they hash text.
     * The stage read the domain's name as an unknown type and refused the column as unhashable.
     */
    @Test
    void stageHashesADomainOverTextAsText(DataSource ds) throws Exception {
        sql(ds, "create schema if not exists raw", "drop domain if exists raw.rv_email cascade",
                "create domain raw.rv_email as text check (value like '%@%')");
        TableFixture.on(ds, "raw.rv_domain").columns("email raw.rv_email", "plain text", "ld timestamptz")
                .rows(row("ann@x", "ann@x", day(1)));
        for (HashStandard standard : HashStandard.values()) {
            Vault vault = Vault.on(ds).standard(standard);
            vault.createStage(Stage.of("raw.rv_domain").into("stg.rv_domain").loadDate("ld").hashKey("hk", "email")
                    .hashKey("plain_hk", "plain"));
            assertThat(strings(ds, "select (hk = plain_hk)::text from stg.rv_domain")).as(standard.toString()).containsExactly("true");
        }
    }

    /**
     * AutomateDV's composite key: every part standardised, NULL parts as ^^, NULL only when all parts are (blank
     * and empty parts included); SHA-256 as SHA256(CAST(.. AS BYTEA)). SQL and the Java Hasher agree.
     */
    @Test
    void automateDvCompositeKeysAndSha256MatchAutomateDvInSqlAndJava(DataSource ds) throws Exception {
        TableFixture.on(ds, "raw.rv_comp").columns("n int", "a text", "b text", "ld timestamptz")
                .rows(row(1, "", "   ", day(1)), row(2, " x ", null, day(1)), row(3, null, "y", day(1)), row(4, "ab", "c", day(1)));
        for (HashAlgorithm alg : HashAlgorithm.values()) {
            Vault vault = Vault.on(ds).standard(HashStandard.AUTOMATEDV).algorithm(alg);
            vault.createStage(Stage.of("raw.rv_comp").into("stg.rv_comp").loadDate("ld").hashKey("hk", "a", "b"));
            String digest = alg == HashAlgorithm.MD5 ? "DECODE(MD5(%s), 'hex')" : "SHA256(CAST(%s AS BYTEA))";
            String expected = digest.formatted("NULLIF(CONCAT_WS('||', COALESCE(NULLIF(UPPER(TRIM(CAST(r.a AS VARCHAR))), ''), '^^'),"
                    + " COALESCE(NULLIF(UPPER(TRIM(CAST(r.b AS VARCHAR))), ''), '^^')), '^^||^^')");
            assertThat(strings(ds, "select n || ' ' || coalesce(encode(s.hk, 'hex'), 'null') || ' ' || (s.hk IS NOT DISTINCT FROM " + expected
                    + ")::text from stg.rv_comp AS s join raw.rv_comp AS r using (n) order by n"))
                    .as(alg.toString()).hasSize(4).allSatisfy(r -> assertThat(r).endsWith("true")).first().asString().startsWith("1 null");
            Hasher h = vault.hasher(Schema.of(Field.of("a", FieldType.STRING), Field.of("b", FieldType.STRING)));
            assertThat(h.hashKey("", "   ")).as(alg.toString()).isEmpty();
            assertThat(HexFormat.of().formatHex(h.hashKey(" x ", null).orElseThrow())).as(alg.toString())
                    .isEqualTo(strings(ds, "select encode(hk, 'hex') from stg.rv_comp where n = 2").get(0));
            assertThat(HexFormat.of().formatHex(h.hashKey("ab", "c").orElseThrow())).as(alg.toString())
                    .isEqualTo(strings(ds, "select encode(hk, 'hex') from stg.rv_comp where n = 4").get(0));
        }
    }

    /**
     * On equal load dates the smallest record source wins in byte order, whatever the collation of the stage's record
     * source column: 'Web' (0x57) before 'app' (0x61), where an ICU collation puts 'app' first.
     */
    @Test
    void recordSourceTieBreakIsByteOrderWhateverTheColumnsCollation(DataSource ds) throws Exception {
        TableFixture.on(ds, "raw.rv_rs_icu").columns("id text", "src text collate \"und-x-icu\"", "ld timestamptz")
                .rows(row("1", "app", day(1)), row("1", "Web", day(1)), row("2", "app", day(1)));
        Vault vault = Vault.on(ds);
        Stage stage = Stage.of("raw.rv_rs_icu").into("stg.rv_rs_icu").loadDate("ld").recordSourceColumn("src")
                .hashKey("customer_hk", "id");
        vault.createStage(stage);
        Hub hub = vault.hub("dds.rv_rs_icu_hub").hashKey("customer_hk").businessKey("id").from(stage);
        hub.createTable();
        assertThat(hub.load().rowsInserted()).isEqualTo(2);
        assertThat(strings(ds, "select id || ' ' || record_source from dds.rv_rs_icu_hub order by id"))
                .containsExactly("1 Web", "2 app");
    }

    /** Two satellites of one table name in different schemas would give the PIT the same columns: refused up front. */
    @Test
    void pitRefusesTwoSatellitesWhoseColumnsWouldClash(DataSource ds) {
        Vault vault = Vault.on(ds);
        assertThatThrownBy(() -> vault.pit("dds.rv_pit_clash").hub("dds.hub_c", "customer_hk")
                .satellites("dds.sat_c", "crm.sat_c"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("pit dds.rv_pit_clash: satellites dds.sat_c and crm.sat_c would both give the columns sat_c_pk"
                        + " and sat_c_ldts; a PIT takes one satellite of each table name");
    }

    /**
     * createStage leaves a view stage alone when it is the one mds built from this definition over the source's
     * present columns: nothing runs (the view keeps its oid) and a reader of the view does not hold it up; a column
     * added to the source, or another definition, builds it again. Before, every call dropped and created the view,
     * waiting for every transaction that had read it.
     */
    @Test
    void createStageLeavesAnUpToDateViewAloneAndRebuildsAStaleOne(DataSource ds) throws Exception {
        raw(ds, "raw.c_fresh", row("1", "a@x", "Ann", 30, day(1)));
        Vault vault = Vault.on(ds);
        Stage stage = customers("raw.c_fresh", "crm");
        assertThat(vault.stageSql(stage)).isNotEmpty();
        vault.createStage(stage);
        String oid = "select 'stg.c_fresh'::regclass::oid::text";
        List<String> first = strings(ds, oid);
        assertThat(vault.stageSql(stage)).isEmpty();
        try (java.sql.Connection reader = ds.getConnection(); java.sql.Statement st = reader.createStatement()) {
            reader.setAutoCommit(false);
            st.executeQuery("select count(*) from stg.c_fresh").close();        // holds the view until it ends
            java.util.concurrent.CompletableFuture<LoadResult> again = java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> vault.createStage(stage));
            assertThat(dev.mds.testing.Sessions.awaitLockWait(ds, again)).isFalse();
            assertThat(again.join().rowsInserted()).isZero();
            reader.rollback();
        }
        assertThat(strings(ds, oid)).isEqualTo(first);

        sql(ds, "alter table raw.c_fresh add column city text");               // the view still has the old columns
        assertThat(vault.stageSql(stage).get(1)).startsWith("DROP VIEW");   // the schema exists: the lock, then the drop
        vault.createStage(stage);
        assertThat(strings(ds, oid)).isNotEqualTo(first);
        assertThat(strings(ds, "select count(*) from information_schema.columns where table_schema = 'stg'"
                + " and table_name = 'c_fresh' and column_name = 'city'")).containsExactly("1");
        assertThat(vault.stageSql(stage)).isEmpty();

        Stage other = Stage.of("raw.c_fresh").into("stg.c_fresh").loadDate("ld").recordSource("crm")
                .hashKey("customer_hk", "id").hashDiff("customer_hashdiff", "email", "name");
        assertThat(vault.stageSql(other)).hasSize(4);
        vault.createStage(other);
        assertThat(vault.stageSql(stage)).hasSize(4);                        // the view is now the other definition's
    }
}
