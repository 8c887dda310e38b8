package dev.mds.vault;

import static dev.mds.testing.Row.row;
import static dev.mds.testing.TestSql.strings;
import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.Field;
import dev.mds.core.FieldType;
import dev.mds.core.Schema;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TableFixture;
import dev.mds.core.SchemaMismatchException;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** What a demanding AutomateDV user tries to break: hostile names and values, odd payload types, races. */
@MdsPostgres
class VaultAdversarialTest {
    private static final HexFormat HEX = HexFormat.of();

    /**
     * AutomateDV hashes a single-column key without CONCAT_WS, so a real '^^' is a value there (only a composite
     * key of '^^' parts is NULL). The Java Hasher took a single '^^' for NULL.
     */
    @Test
    void automateDvSingleKeyOfCaretsIsHashedInJavaAsInSql(DataSource ds) throws Exception {
        OffsetDateTime ld = OffsetDateTime.parse("2024-01-01T00:00:00Z");
        TableFixture.on(ds, "raw.carets").columns("id int", "k text", "ld timestamptz")
                .rows(row(1, "^^", ld), row(2, " ^^ ", ld), row(3, "^^||^^", ld));
        Vault vault = Vault.on(ds).standard(HashStandard.AUTOMATEDV);
        vault.createStage(Stage.of("raw.carets").into("stg.carets").loadDate("ld").hashKey("hk", "k"));
        Hasher java = vault.hasher(Schema.of(Field.of("k", FieldType.STRING)));
        List<String> sql = strings(ds, "select coalesce(encode(hk, 'hex'), 'NULL') from stg.carets order by id");
        assertThat(sql).containsExactly("ea01662a5bcbe94a3236d555bbcb3da3", "ea01662a5bcbe94a3236d555bbcb3da3",
                java.hashKey("^^||^^").map(HEX::formatHex).orElse("NULL"));
        assertThat(java.hashKey("^^").map(HEX::formatHex)).contains(sql.get(0));
        assertThat(java.hashKey(" ^^ ").map(HEX::formatHex)).contains(sql.get(1));
    }

    /**
     * Quotes, spaces, upper case, dots and non-ASCII letters in every schema, table and column name: stage, hub,
     * link, satellite, effectivity satellite and PIT are created, loaded, and reloaded without a duplicate.
     */
    @Test
    void hostileIdentifiersWorkInEveryStructureAndItsDdl(DataSource ds) throws Exception {
        for (HashStandard standard : HashStandard.values()) {
            String sch = "Vault \"Q\" " + standard.name().charAt(0) + " ü.x";
            String q = "\"" + sch.replace("\"", "\"\"") + "\"";
            sql(ds, "create schema " + q);
            sql(ds, "create table " + q + ".\"Raw \"\"Orders\"\" ✓\" (\"Order ID\" text, \"Kunde Ä\" text, \"Prod.Uct\" text,"
                    + " \"NAME\" text, \"it's\" int, \"Seit\" timestamptz, \"LD\" timestamptz)");
            sql(ds, "insert into " + q + ".\"Raw \"\"Orders\"\" ✓\" values ('o1', 'k1', 'p1', 'Ann', 1, '2024-01-01Z', '2024-01-01Z'),"
                    + " ('o2', 'k1', 'p2', 'Ann', 2, '2024-01-02Z', '2024-01-02Z'), ('o3', 'k2', 'p1', 'Bob', 3, '2024-01-03Z', '2024-01-03Z')");
            Vault vault = Vault.on(ds).standard(standard);
            String raw = q + ".\"Raw \"\"Orders\"\" ✓\"";
            Stage stage = Stage.of(raw).into(q + ".\"Stg \"\"O\"\"\"").loadDate("LD").recordSource("it's \"src\"")
                    .hashKey("Kunde HK \"", "Kunde Ä").hashKey("PRODUCT.HK", "Prod.Uct").hashKey("Link HK", "Kunde Ä", "Prod.Uct")
                    .hashDiff("Diff ✓", "NAME", "it's");
            vault.createStage(stage);
            Hub hub = vault.hub(q + ".\"Hub \"\"K\"\"\"").hashKey("Kunde HK \"").businessKey("Kunde Ä").from(stage);
            Link link = vault.link(q + ".\"LINK.KP\"").hashKey("Link HK").refs("Kunde HK \"", "PRODUCT.HK").from(stage);
            Satellite sat = vault.satellite(q + ".\"Sat \"\"K\"\"\"").parent("Kunde HK \"").hashDiff("Diff ✓")
                    .payload("NAME", "it's").from(stage);
            EffectivitySatellite eff = vault.effectivitySatellite(q + ".\"Eff Sat\"").link("Link HK").drivingKey("Kunde HK \"")
                    .effectiveFrom("Seit").from(stage);
            for (Structure st : List.of(hub, link, sat, eff)) {
                st.createTable();
            }
            assertThat(hub.load().rowsInserted()).isEqualTo(2);
            assertThat(link.load().rowsInserted()).isEqualTo(3);
            assertThat(sat.load().rowsInserted()).isEqualTo(3);
            assertThat(eff.load().rowsInserted()).isPositive();
            sat.insertGhostRecord();
            Pit pit = vault.pit(q + ".\"PIT \"\"K\"\"\"").hub(q + ".\"Hub \"\"K\"\"\"", "Kunde HK \"")
                    .satellites(q + ".\"Sat \"\"K\"\"\"").asOf(List.of(LocalDate.of(2024, 1, 2), LocalDate.of(2024, 1, 5)));
            pit.createTable();
            assertThat(pit.load().rowsInserted()).isEqualTo(4);
            for (Structure st : List.of(hub, link, sat, eff, pit)) {
                assertThat(st.load().rowsInserted()).as("reload of %s", st.name()).isZero();
            }
            assertThat(strings(ds, "select count(*) from " + q + ".\"Sat \"\"K\"\"\"")).containsExactly("4");
        }
    }

    /**
     * Composite business keys with NULL and empty parts: a key is NULL (the row skipped) only when every part is
     * NULL (CANONICAL: '' is a value; AUTOMATEDV: '' and blanks count as NULL), and SQL and Java agree.
     */
    @Test
    void compositeKeysWithNullAndEmptyPartsAreNullOnlyWhenEveryPartIsAndJavaAgrees(DataSource ds) throws Exception {
        OffsetDateTime ld = OffsetDateTime.parse("2024-01-01T00:00:00Z");
        TableFixture.on(ds, "raw.ck").columns("id int", "a text", "b text", "ld timestamptz")
                .rows(row(1, null, "x", ld), row(2, "", "x", ld), row(3, null, null, ld), row(4, "", "", ld),
                        row(5, " ", null, ld), row(6, "x", null, ld), row(7, "^^", "^^", ld));
        for (HashStandard standard : HashStandard.values()) {
            String suffix = standard.name().toLowerCase();
            Vault vault = Vault.on(ds).standard(standard);
            Stage stage = Stage.of("raw.ck").into("stg.ck_" + suffix).loadDate("ld").hashKey("hk", "a", "b");
            vault.createStage(stage);
            Hub hub = vault.hub("dds.hub_ck_" + suffix).hashKey("hk").businessKey("a", "b").from(stage);
            hub.createTable();
            long loaded = hub.load().rowsInserted();
            Hasher java = vault.hasher(Schema.of(Field.of("a", FieldType.STRING), Field.of("b", FieldType.STRING)));
            List<String> sql = strings(ds, "select coalesce(encode(hk, 'hex'), 'NULL') from stg.ck_" + suffix + " order by id");
            Object[][] rows = {{null, "x"}, {"", "x"}, {null, null}, {"", ""}, {" ", null}, {"x", null}, {"^^", "^^"}};
            List<String> javaKeys = new ArrayList<>();
            for (Object[] r : rows) {
                javaKeys.add(java.hashKey(r).map(HEX::formatHex).orElse("NULL"));
            }
            assertThat(javaKeys).as(standard.name()).isEqualTo(sql);
            if (standard == HashStandard.CANONICAL) {
                assertThat(sql).filteredOn("NULL"::equals).hasSize(1);        // only (NULL, NULL)
                assertThat(loaded).isEqualTo(6);
            } else {
                // (NULL, NULL), ('', ''), and ('^^', '^^') are all ^^||^^; (' ', NULL) too
                assertThat(sql).filteredOn("NULL"::equals).hasSize(4);
                assertThat(loaded).isEqualTo(2);                               // ^^||X and X||^^ (rows 1 and 2 share one)
            }
        }
    }

    /**
     * Payload types people do put in satellites (jsonb, arrays, bytea, numeric NaN, infinite timestamps) hash under
     * both standards; a reload inserts nothing; jsonb whose keys are only reordered is no change; a real change is one.
     */
    @Test
    void satellitesOfJsonArrayByteaNanAndInfinityPayloadsLoadAndReloadUnderBothStandards(DataSource ds) throws Exception {
        sql(ds, "create table raw.odd (id text, j jsonb, arr text[], by bytea, n numeric, ts timestamptz, d date, ld timestamptz)",
                "insert into raw.odd values"
                        + " ('1', '{\"a\": 1, \"b\": [1, 2]}', array['x', null, 'y'], '\\x00ff5c', 'NaN', 'infinity', '-infinity', '2024-01-01Z'),"
                        + " ('2', null, '{}', '', '1.50', '-infinity', 'infinity', '2024-01-01Z'),"
                        + " ('1', '{\"b\": [1, 2], \"a\": 1}', array['x', null, 'y'], '\\x00ff5c', 'NaN', 'infinity', '-infinity', '2024-01-02Z'),"
                        + " ('2', 'null', '{}', '', '1.5', '-infinity', 'infinity', '2024-01-02Z'),"
                        + " ('1', '{\"a\": 1, \"b\": [2, 1]}', array['x', null, 'y'], '\\x00ff5c', 'NaN', 'infinity', '-infinity', '2024-01-03Z')");
        for (HashStandard standard : HashStandard.values()) {
            String suffix = standard.name().toLowerCase();
            Vault vault = Vault.on(ds).standard(standard);
            Stage stage = Stage.of("raw.odd").into("stg.odd_" + suffix).loadDate("ld").recordSource("x").hashKey("hk", "id")
                    .hashDiff("hd", "j", "arr", "by", "n", "ts", "d");
            vault.createStage(stage);
            Satellite sat = vault.satellite("dds.sat_odd_" + suffix).parent("hk").hashDiff("hd").payload("j", "arr", "by", "n", "ts", "d")
                    .from(stage);
            sat.createTable();
            // key 1: day 1, day 3 (day 2 only reorders the keys); key 2: day 1, day 2 (JSON null is not SQL NULL;
            // 1.5 = 1.50 under CANONICAL, not under AUTOMATEDV, whose text differs, but the JSON change counts anyway)
            assertThat(sat.load().rowsInserted()).as(standard.name()).isEqualTo(4);
            assertThat(sat.load().rowsInserted()).as(standard.name()).isZero();
            assertThat(strings(ds, "select id || ' ' || s.n || ' ' || s.ts || ' ' || s.d from dds.sat_odd_" + suffix
                    + " s join stg.odd_" + suffix + " g on g.hk = s.hk and g.ld = s.load_date where id = '1' order by s.load_date limit 1"))
                    .containsExactly("1 NaN infinity -infinity");
        }
    }

    /** Two loads of one satellite at once, from two threads: one waits for the other; no duplicate, no error. */
    @Test
    void twoLoadsOfOneSatelliteAtOnceInsertEachRowOnce(DataSource ds) throws Exception {
        sql(ds, "create table raw.race (id text, name text, ld timestamptz)",
                "insert into raw.race select (i % 5000)::text, 'n' || (i / 5000), '2024-01-01Z'::timestamptz + (i / 5000) * interval '1 day'"
                        + " from generate_series(0, 49999) i");
        Vault vault = Vault.on(ds);
        Stage stage = Stage.of("raw.race").into("stg.race").loadDate("ld").hashKey("hk", "id").hashDiff("hd", "name");
        vault.createStage(stage);
        Satellite sat = vault.satellite("dds.sat_race").parent("hk").hashDiff("hd").payload("name").from(stage);
        sat.createTable();
        for (int round = 0; round < 3; round++) {
            sql(ds, "truncate dds.sat_race");
            CyclicBarrier start = new CyclicBarrier(2);
            List<CompletableFuture<LoadResult>> loads = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                loads.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        start.await();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                    return sat.load();
                }));
            }
            long total = 0;
            for (CompletableFuture<LoadResult> f : loads) {
                total += f.join().rowsInserted();
            }
            assertThat(total).isEqualTo(50_000);
            assertThat(strings(ds, "select count(*) || ' ' || count(distinct (hk, load_date)) from dds.sat_race")).containsExactly("50000 50000");
        }
    }

    /**
     * A stage column whose type changed after the tables were created: a type PostgreSQL cannot store in the
     * table's column fails the load naming the structure, the column and both types, and writes nothing (before:
     * "UNION types text and integer cannot be matched" from inside the satellite's insert); a type it can assign
     * (integer into text, integer into bigint) loads, also into a satellite that already holds rows.
     */
    @Test
    void stageColumnWhoseTypeChangedSinceCreateTableFailsNamingTheColumnOrLoadsWhenAssignable(DataSource ds) throws Exception {
        sql(ds, "create schema if not exists raw", "create table raw.tc (id text, name text, age int, ld timestamptz)",
                "insert into raw.tc values ('1', 'a', 1, '2024-01-01Z'), ('2', 'b', 2, '2024-01-01Z')");
        Vault vault = Vault.on(ds);
        Stage stage = Stage.of("raw.tc").into("stg.tc").loadDate("ld").hashKey("hk", "id").hashKey("nk", "name")
                .hashKey("lk", "id", "name").hashDiff("hd", "name", "age");
        vault.createStage(stage);
        Hub hub = vault.hub("dds.hub_tc").hashKey("hk").businessKey("id").from(stage);
        Satellite sat = vault.satellite("dds.sat_tc").parent("hk").hashDiff("hd").payload("name", "age").from(stage);
        Link link = vault.link("dds.link_tc").hashKey("lk").refs("hk", "nk").payload("age").from(stage);
        for (Structure st : List.of(hub, sat, link)) {
            st.createTable();
            assertThat(st.load().rowsInserted()).isEqualTo(2);
        }
        sql(ds, "drop view stg.tc", "alter table raw.tc alter column age type text", "update raw.tc set age = 'x' || age, ld = '2024-01-02Z'");
        vault.createStage(stage);
        for (Structure st : List.of(sat, link)) {
            assertThatThrownBy(st::load).as(st.name()).isInstanceOf(SchemaMismatchException.class)
                    .hasMessageContaining(st.name()).hasMessageContaining("column 'age' of stg.tc is text")
                    .hasMessageContaining("stores it as integer");
        }
        assertThat(strings(ds, "select count(*) from dds.sat_tc")).containsExactly("2");
        assertThat(strings(ds, "select count(*) from dds.link_tc")).containsExactly("2");

        // integer into a text payload and a text business key: assignable, so it loads (into rows already there)
        sql(ds, "create table raw.tc2 (id int, age int, ld timestamptz)", "insert into raw.tc2 values (1, 7, '2024-01-03Z'), (3, 3, '2024-01-03Z')");
        Stage ints = Stage.of("raw.tc2").into("stg.tc2").loadDate("ld").hashKey("hk", "id").hashDiff("hd", "age");
        vault.createStage(ints);
        Satellite textSat = vault.satellite("dds.sat_tc_text").parent("hk").hashDiff("hd").payload("age").from(stage);
        textSat.createTable();
        assertThat(textSat.load().rowsInserted()).isEqualTo(2);
        Satellite fromInts = vault.satellite("dds.sat_tc_text").parent("hk").hashDiff("hd").payload("age").from(ints);
        assertThat(fromInts.load().rowsInserted()).isEqualTo(2);
        assertThat(fromInts.load().rowsInserted()).isZero();
        assertThat(strings(ds, "select age from dds.sat_tc_text order by load_date, age")).containsExactly("x1", "x2", "3", "7");
        // a hub fed by a text stage and an integer stage: their union no longer fails on the types
        Hub both = vault.hub("dds.hub_tc").hashKey("hk").businessKey("id").from(stage, ints);
        assertThat(both.load().rowsInserted()).isEqualTo(1);             // id 3 (1 hashes alike as text and as integer)
        assertThat(strings(ds, "select id from dds.hub_tc order by id")).containsExactly("1", "2", "3");
    }

    /**
     * Settings that would store one column twice (a payload naming the parent key, load_date or itself twice, a
     * business key naming the hash key, an effectivity satellite whose driving key names load_date or its link) are
     * refused naming the structure and the column, before any SQL; before, the DDL failed with PostgreSQL's "specified more than once".
     */
    @Test
    void settingsThatWouldStoreAColumnTwiceAreRefusedNamingTheStructureAndColumn(DataSource ds) throws Exception {
        sql(ds, "create schema if not exists raw", "create schema if not exists dds", "create table raw.twice (id text, name text, ld timestamptz)");
        Vault vault = Vault.on(ds);
        Stage stage = Stage.of("raw.twice").into("stg.twice").loadDate("ld").hashKey("hk", "id").hashKey("nk", "name")
                .hashDiff("hd", "name");
        vault.createStage(stage);
        List<Structure> bad = List.of(
                vault.satellite("dds.s1").parent("hk").hashDiff("hd").payload("name", "hk").from(stage),
                vault.satellite("dds.s2").parent("hk").hashDiff("hd").payload("name", "name").from(stage),
                vault.satellite("dds.s3").parent("hk").hashDiff("hd").payload("load_date").from(stage),
                vault.hub("dds.h1").hashKey("hk").businessKey("hk").from(stage),
                vault.link("dds.l1").hashKey("hk").refs("hk", "nk").from(stage),
                vault.effectivitySatellite("dds.e1").link("hk").drivingKey("nk", "load_date").effectiveFrom("ld").from(stage));
        for (Structure st : bad) {
            assertThatThrownBy(st::createTableSql).as(st.name()).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(st.name()).hasMessageContaining("would be stored twice");
        }
        // an effectivity satellite whose link is its driving key is refused by the setter, naming the column
        assertThatThrownBy(() -> vault.effectivitySatellite("dds.e1").link("hk").drivingKey("hk"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("effectivity satellite dds.e1: driving key column 'hk' is the link's hash key");
        // a satellite table made by hand with the columns: the load refuses the settings too, naming the column
        sql(ds, "create table dds.s2 (hk bytea, hd bytea, name text, load_date timestamptz, record_source text)");
        assertThatThrownBy(bad.get(1)::load).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("satellite dds.s2: column 'name' would be stored twice");
        assertThatThrownBy(bad.get(1)::createTableSql).hasMessageContaining("column 'name'");
        assertThatThrownBy(bad.get(2)::createTableSql).hasMessageContaining("column 'load_date'");
        assertThat(strings(ds, "select count(*) from information_schema.tables where table_schema = 'dds' and table_name in ('s1', 's3', 'h1', 'l1', 'e1')")).containsExactly("0");
    }

    /** A stage hash named load_date or record_source (columns every stage adds) is refused naming the stage and hash. */
    @Test
    void stageHashNamedLikeAColumnEveryStageAddsIsRefusedNamingIt(DataSource ds) throws Exception {
        sql(ds, "create schema if not exists raw", "create table raw.clash (id text, ld timestamptz)");
        Vault vault = Vault.on(ds);
        for (String name : List.of("load_date", "record_source")) {
            assertThatThrownBy(() -> vault.createStage(Stage.of("raw.clash").into("stg.clash").loadDate("ld").hashKey(name, "id")))
                    .isInstanceOf(dev.mds.core.MdsException.class).hasMessageContaining("stage stg.clash")
                    .hasMessageContaining("hash column '" + name + "'");
        }
        assertThat(strings(ds, "select count(*) from information_schema.tables where table_schema = 'stg' and table_name = 'clash'")).containsExactly("0");
    }

    /**
     * A PIT names its columns after its satellites ({@code <sat>_pk}, {@code <sat>_ldts}): a satellite whose name is
     * too long for that is refused naming the PIT and the satellite (before: only the over-long identifier).
     */
    @Test
    void pitRefusesASatelliteWhoseColumnNamesWouldBeTooLongNamingThePitAndTheSatellite(DataSource ds) {
        String longName = "s".repeat(60);
        assertThatThrownBy(() -> Vault.on(ds).pit("dds.pit_long").satellites("dds.ok", "dds." + longName))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pit dds.pit_long")
                .hasMessageContaining("satellite dds." + longName).hasMessageContaining(longName + "_ldts");
        Vault.on(ds).pit("dds.pit_long").satellites("dds." + "s".repeat(58));      // 58 + "_ldts" = 63 bytes
    }
}
