package dev.mds.vault;

import static dev.mds.testing.Row.row;
import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static dev.mds.vault.VaultFixtures.batch;
import static dev.mds.vault.VaultFixtures.day;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.MdsException;
import dev.mds.core.SchemaMismatchException;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.Row;
import dev.mds.testing.TableFixture;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** AutomateDV {@code t_link} scenarios: one row per transaction hash key, never updated. */
@MdsPostgres
class TransactionalLinkTest {
    /** A raw purchases table: transaction id, user, product, amount, purchase time, load date. */
    private static void purchases(DataSource ds, String table, Row... rows) {
        TableFixture.on(ds, table).columns("id text", "email text", "product text", "amount numeric(10,2)",
                "bought timestamptz", "ld timestamptz").rows(rows);
    }

    private static Stage stage(String raw, String source) {
        return Stage.of(raw).into("stg." + raw.substring(4)).loadDate("ld").recordSource(source)
                .hashKey("purchase_hk", "id").hashKey("user_hk", "email").hashKey("product_hk", "product");
    }

    private static TransactionalLink tlink(Vault vault, String table, Stage... stages) {
        return vault.transactionalLink(table).hashKey("purchase_hk").refs("user_hk", "product_hk")
                .payload("id", "amount").effectiveFrom("bought").from(stages);
    }

    /** The stored transactions as id:amount:load day:record source, by id. */
    private static List<String> stored(DataSource ds, String table) {
        return strings(ds, "select id || ':' || amount || ':' || extract(day from load_date at time zone 'UTC') || ':' || record_source"
                + " from " + table + " order by id");
    }

    @ParameterizedTest
    @EnumSource(HashStandard.class)
    void insertsEachTransactionOnceWithItsEarliestLoadDateOverThreeBatchesAndNeverUpdates(HashStandard standard, DataSource ds) throws Exception {
        String raw = "raw.p_" + standard.name().toLowerCase();
        String t = "dds.t_link_" + standard.name().toLowerCase();
        Vault vault = Vault.on(ds).standard(standard);
        purchases(ds, raw,
                row("1001", "a@x", "p1", new BigDecimal("10.00"), day(1), day(2)),
                row("1001", "a@x", "p1", new BigDecimal("99.00"), day(1), day(1)),     // same transaction, earlier load
                row("1001", "a@x", "p1", new BigDecimal("99.00"), day(1), day(1)),     // exact duplicate
                row("1002", "b@x", "p2", new BigDecimal("20.00"), day(1), day(1)),
                row(null, "c@x", "p3", new BigDecimal("1.00"), day(1), day(1)),        // no transaction key
                row("1003", null, "p3", new BigDecimal("1.00"), day(1), day(1)),       // NULL reference
                row("1004", "d@x", "", new BigDecimal("1.00"), day(1), day(1)));       // '' is NULL only under AUTOMATEDV
        Stage stage = stage(raw, "shop");
        vault.createStage(stage);
        TransactionalLink link = tlink(vault, t, stage);
        link.createTable();
        boolean adv = standard == HashStandard.AUTOMATEDV;
        assertThat(link.load().rowsInserted()).isEqualTo(adv ? 2 : 3);
        assertThat(link.load().rowsInserted()).isZero();
        assertThat(stored(ds, t)).startsWith("1001:99.00:1:shop", "1002:20.00:1:shop").hasSize(adv ? 2 : 3);
        if (adv) {
            assertThat(strings(ds, "select upper(encode(purchase_hk, 'hex')) from " + t + " where id = '1001'"))
                    .containsExactly("B8C37E33DEFDE51CF91E1E03E51657DA");
        }
        assertThat(strings(ds, "select count(*) from " + t + " where effective_from = '2024-01-01T00:00:00Z'")).containsExactly(adv ? "2" : "3");

        // batch 2: a stored transaction arrives again with another amount (not updated), two new ones
        batch(ds, raw, row("1002", "b@x", "p2", new BigDecimal("77.00"), day(1), day(2)),
                row("1005", "a@x", "p2", new BigDecimal("5.00"), day(2), day(2)),
                row("1006", "b@x", "p1", new BigDecimal("6.00"), day(2), day(2)));
        assertThat(link.load().rowsInserted()).isEqualTo(2);
        // batch 3: one new, one old
        batch(ds, raw, row("1001", "a@x", "p1", new BigDecimal("1.00"), day(1), day(3)),
                row("1007", "a@x", "p1", new BigDecimal("7.00"), day(3), day(3)));
        assertThat(link.load().rowsInserted()).isEqualTo(1);
        assertThat(link.load().rowsInserted()).isZero();
        assertThat(stored(ds, t)).contains("1001:99.00:1:shop", "1002:20.00:1:shop", "1005:5.00:2:shop",
                "1006:6.00:2:shop", "1007:7.00:3:shop").hasSize(adv ? 5 : 6);
    }

    @Test
    void severalStagesBreakLoadDateTiesByRecordSourceAndNullReferencesCanBecomeTheGhostKey(DataSource ds) {
        Vault vault = Vault.on(ds);
        purchases(ds, "raw.p_web", row("1", "a@x", "p1", new BigDecimal("1.00"), day(1), day(5)),
                row("2", null, "p1", new BigDecimal("2.00"), day(1), day(5)));
        purchases(ds, "raw.p_app", row("1", "a@x", "p1", new BigDecimal("3.00"), day(1), day(5)),
                row("3", "b@x", "p1", new BigDecimal("4.00"), day(1), day(4)));
        Stage web = stage("raw.p_web", "web");
        Stage app = stage("raw.p_app", "app");
        vault.createStage(web);
        vault.createStage(app);
        TransactionalLink link = tlink(vault, "dds.t_link_multi", web, app).nullKeys(NullKeys.GHOST);
        link.createTable();
        assertThat(link.load().rowsInserted()).isEqualTo(3);
        assertThat(stored(ds, "dds.t_link_multi")).containsExactly("1:3.00:5:app", "2:2.00:5:web", "3:4.00:4:app");
        assertThat(strings(ds, "select encode(user_hk, 'hex') from dds.t_link_multi where id = '2'")).containsExactly("00".repeat(16));
        assertThat(tlink(vault, "dds.t_link_multi", app, web).nullKeys(NullKeys.GHOST).load().rowsInserted()).isZero();
    }

    @Test
    void ddlHasThePrimaryKeyOnTheHashKeyAndSqlShowsEveryStatementWithoutWriting(DataSource ds) {
        Vault vault = Vault.on(ds);
        purchases(ds, "raw.p_ddl", row("1", "a@x", "p1", new BigDecimal("1.00"), day(1), day(1)));
        Stage stage = stage("raw.p_ddl", "shop");
        vault.createStage(stage);
        TransactionalLink link = tlink(vault, "dds.t_link_ddl", stage);
        assertThat(String.join("\n", link.createTableSql())).contains("\"purchase_hk\" bytea NOT NULL CHECK (octet_length(\"purchase_hk\") = 16) PRIMARY KEY")
                .contains("\"effective_from\" timestamp with time zone").contains("CREATE INDEX IF NOT EXISTS");
        link.createTable();
        List<String> statements = link.sql();
        assertThat(statements).hasSize(3);
        assertThat(statements.get(0)).isEqualTo("SELECT pg_advisory_xact_lock(hashtext('mds-vault'), hashtext('\"dds\".\"t_link_ddl\"'));"
                + " LOCK TABLE \"dds\".\"t_link_ddl\" IN SHARE ROW EXCLUSIVE MODE");
        assertThat(statements.get(2)).startsWith("INSERT INTO \"dds\".\"t_link_ddl\"").contains("DISTINCT ON").contains("NOT EXISTS");
        assertThat(strings(ds, "select count(*) from dds.t_link_ddl")).containsExactly("0");
        assertThat(strings(ds, "select pg_get_constraintdef(oid) from pg_constraint where conrelid = 'dds.t_link_ddl'::regclass and contype = 'p'"))
                .containsExactly("PRIMARY KEY (purchase_hk)");
        // a duplicate transaction from any other writer is refused by the key
        link.load();
        assertThatThrownBy(() -> sql(ds, "insert into dds.t_link_ddl select * from dds.t_link_ddl")).hasMessageContaining("duplicate key");
    }

    @Test
    void badInputsFailNamingTheStructureAndColumnAndWriteNothing(DataSource ds) {
        Vault vault = Vault.on(ds);
        purchases(ds, "raw.p_bad", row("1", "a@x", "p1", new BigDecimal("1.00"), day(1), day(1)));
        Stage stage = stage("raw.p_bad", "shop");
        vault.createStage(stage);
        TransactionalLink good = tlink(vault, "dds.t_link_bad", stage);
        good.createTable();

        assertThatThrownBy(() -> vault.transactionalLink("dds.t_link_bad").hashKey("purchase_hk").load())
                .isInstanceOf(IllegalArgumentException.class).hasMessage("transactional link dds.t_link_bad: set refs, from");
        assertThatThrownBy(() -> tlink(vault, "dds.t_link_bad", stage).refs("customer_hk").load())
                .isInstanceOf(MdsException.class).hasMessageContaining("transactional link dds.t_link_bad")
                .hasMessageContaining("no column 'customer_hk'");
        assertThatThrownBy(() -> vault.transactionalLink("dds.t_link_bad").hashKey("purchase_hk").refs("user_hk", "product_hk")
                .payload("id", "amount", "colour").effectiveFrom("bought").from(stage).load())
                .isInstanceOf(MdsException.class).hasMessageContaining("transactional link dds.t_link_bad from stage")
                .hasMessageContaining("no column 'colour'");
        // a reference that is not a hash
        assertThatThrownBy(() -> vault.transactionalLink("dds.t_link_text").hashKey("purchase_hk").refs("email").from(stage).createTable())
                .isInstanceOf(MdsException.class).hasMessageContaining("column 'email'").hasMessageContaining("expected bytea");
        // the table holds 16-byte hashes, a SHA-256 vault's are 32
        Vault sha = vault.algorithm(HashAlgorithm.SHA256);
        assertThatThrownBy(() -> tlink(sha, "dds.t_link_bad", stage).load()).isInstanceOf(MdsException.class)
                .hasMessageContaining("transactional link dds.t_link_bad").hasMessageContaining("column 'purchase_hk'")
                .hasMessageContaining("16-byte");
        // a payload column the table stores as numeric arrives as a point: refused, naming both types
        sql(ds, "create table raw.p_pt as select id, email, product, point(1, 2) as amount, bought, ld from raw.p_bad");
        Stage pt = stage("raw.p_pt", "shop");
        vault.createStage(pt);
        assertThatThrownBy(() -> tlink(vault, "dds.t_link_bad", pt).load()).isInstanceOf(MdsException.class)
                .hasMessageContaining("column 'amount'").hasMessageContaining("point");
        // a type that cannot be hashed is refused by the stage, naming it
        assertThatThrownBy(() -> vault.createStage(Stage.of("raw.p_pt").into("stg.p_pt2").loadDate("ld").recordSource("x")
                .hashKey("purchase_hk", "amount"))).isInstanceOf(MdsException.class)
                .hasMessageContaining("stage stg.p_pt2").hasMessageContaining("column 'amount' is point");
        // a row with no load date: the load fails as a whole, naming the stage's column
        sql(ds, "insert into raw.p_bad values ('2', 'a@x', 'p1', 2, now(), null)");
        assertThatThrownBy(good::load).isInstanceOf(MdsException.class).hasMessageContaining("transactional link dds.t_link_bad")
                .hasMessageContaining("load date column 'ld'");
        assertThat(strings(ds, "select count(*) from dds.t_link_bad")).containsExactly("0");
    }

    /** Quotes, spaces, dots, upper case and non-ASCII letters in every name, under both standards. */
    @ParameterizedTest
    @EnumSource(HashStandard.class)
    void hostileIdentifiersWorkInTheDdlAndTheLoad(HashStandard standard, DataSource ds) {
        String q = "\"T \"\"Q\"\" " + standard.name().charAt(0) + " ü.x\"";
        sql(ds, "create schema " + q, "create table " + q + ".\"Raw \"\"P\"\"\" (\"Tx ID\" text, \"Kunde Ä\" text, \"Prod.Uct\" text,"
                + " \"it's\" int, \"Seit\" timestamptz, \"LD\" timestamptz)",
                "insert into " + q + ".\"Raw \"\"P\"\"\" values ('t1', 'k1', 'p1', 1, '2024-01-01Z', '2024-01-01Z'),"
                        + " ('t1', 'k1', 'p1', 2, '2024-01-01Z', '2024-01-02Z'), ('t2', 'k2', 'p1', 3, '2024-01-03Z', '2024-01-03Z')");
        Vault vault = Vault.on(ds).standard(standard);
        Stage stage = Stage.of(q + ".\"Raw \"\"P\"\"\"").into(q + ".\"Stg \"\"P\"\"\"").loadDate("LD").recordSource("it's \"src\"")
                .hashKey("Tx HK \"", "Tx ID").hashKey("Kunde.HK", "Kunde Ä").hashKey("PRODUCT HK", "Prod.Uct");
        vault.createStage(stage);
        TransactionalLink link = vault.transactionalLink(q + ".\"T.Link \"\"P\"\"\"").hashKey("Tx HK \"").refs("Kunde.HK", "PRODUCT HK")
                .payload("it's").effectiveFrom("Seit").from(stage);
        link.createTable();
        assertThat(link.load().rowsInserted()).isEqualTo(2);
        assertThat(link.load().rowsInserted()).isZero();
        assertThat(strings(ds, "select string_agg(\"it's\"::text, ',' order by \"it's\") from " + q + ".\"T.Link \"\"P\"\"\""))
                .containsExactly("1,3");
    }

    /** Two loads of one transactional link at once: one waits for the other (the table lock); each row once. */
    @Test
    void twoLoadsAtOnceInsertEachTransactionOnce(DataSource ds) {
        sql(ds, "create schema if not exists raw", "create table raw.p_race as select (i % 20000)::text as id, 'u' || (i % 97) as email,"
                + " 'p' || (i % 13) as product, (i % 100)::numeric(10,2) as amount, now() as bought,"
                + " '2024-01-01Z'::timestamptz + (i / 20000) * interval '1 day' as ld from generate_series(0, 39999) i");
        Vault vault = Vault.on(ds);
        Stage stage = stage("raw.p_race", "shop");
        vault.createStage(stage);
        TransactionalLink link = tlink(vault, "dds.t_link_race", stage);
        link.createTable();
        for (int round = 0; round < 2; round++) {
            sql(ds, "truncate dds.t_link_race");
            CyclicBarrier start = new CyclicBarrier(2);
            List<CompletableFuture<LoadResult>> loads = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                loads.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        start.await();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                    return link.load();
                }));
            }
            assertThat(loads.stream().mapToLong(f -> f.join().rowsInserted()).sum()).isEqualTo(20_000);
            assertThat(strings(ds, "select count(*) || ' ' || min(load_date) from dds.t_link_race")).containsExactly("20000 2024-01-01 00:00:00+00");
        }
    }

    /**
     * A stage whose effective-from is an integer, loaded into a link storing a timestamptz: refused naming the column
     * and both types, nothing written (before: 'cannot cast type integer to timestamp with time zone' from inside the
     * load); a text one is refused too (before: cast in the session's DateStyle); a date is read as midnight UTC.
     */
    @Test
    void effectiveFromOfAnotherTypeIsConvertedInUtcOrRefusedNamingTheColumn(DataSource ds) {
        Vault vault = Vault.on(ds);
        purchases(ds, "raw.p_ef", row("1", "a@x", "p1", new BigDecimal("1.00"), day(1), day(1)));
        Stage stage = stage("raw.p_ef", "shop");
        vault.createStage(stage);
        tlink(vault, "dds.t_link_ef", stage).createTable();
        sql(ds, "create table raw.p_ef2 as select '2' as id, email, product, amount, 5 as n, '01/02/2024'::text as t,"
                + " date '2024-01-03' as d, ld from raw.p_ef");
        Stage other = stage("raw.p_ef2", "shop");
        vault.createStage(other);
        TransactionalLink base = vault.transactionalLink("dds.t_link_ef").hashKey("purchase_hk").refs("user_hk", "product_hk")
                .payload("id", "amount");
        for (String col : List.of("n", "t")) {
            assertThatThrownBy(() -> vault.transactionalLink("dds.t_link_ef").hashKey("purchase_hk").refs("user_hk", "product_hk")
                    .payload("id", "amount").effectiveFrom(col).from(other).load())
                    .isInstanceOf(SchemaMismatchException.class).hasMessageContaining("transactional link dds.t_link_ef from stage stg.p_ef2")
                    .hasMessageContaining("column '" + col + "' of stg.p_ef2 is ")
                    .hasMessageContaining("(as 'effective_from') as timestamp with time zone");
        }
        assertThat(strings(ds, "select count(*) from dds.t_link_ef")).containsExactly("0");
        assertThat(base.effectiveFrom("d").from(other).load().rowsInserted()).isEqualTo(1);
        assertThat(strings(ds, "select effective_from = '2024-01-03T00:00:00Z' from dds.t_link_ef")).containsExactly("t");
    }

    /**
     * A second stage whose payload column is text where the table stores varchar(3): a value too long for the column
     * fails the load naming the type, and nothing is written (before: cast explicitly to varchar(3), 'EURO' was
     * stored as 'EUR' without a word); a value that fits loads from that stage.
     */
    @Test
    void aPayloadValueTooLongForTheTablesColumnFailsTheLoadInsteadOfBeingCut(DataSource ds) {
        Vault vault = Vault.on(ds);
        sql(ds, "create schema if not exists raw",
                "create table raw.p_cur3 (id text, email text, product text, currency varchar(3), ld timestamptz)",
                "insert into raw.p_cur3 values ('1', 'a@x', 'p1', 'EUR', '2024-01-01Z')",
                "create table raw.p_curtext (id text, email text, product text, currency text, ld timestamptz)",
                "insert into raw.p_curtext values ('2', 'a@x', 'p1', 'EURO', '2024-01-02Z')");
        Stage narrow = stage("raw.p_cur3", "shop");
        Stage wide = stage("raw.p_curtext", "app");
        vault.createStage(narrow);
        vault.createStage(wide);
        TransactionalLink link = vault.transactionalLink("dds.t_link_cut").hashKey("purchase_hk").refs("user_hk", "product_hk")
                .payload("id", "currency").from(narrow, wide);
        link.createTable();
        assertThatThrownBy(link::load).isInstanceOf(MdsException.class).hasMessageContaining("transactional link dds.t_link_cut")
                .hasMessageContaining("value too long for type character varying(3)")
                .hasMessageContaining("stg.p_curtext (from raw.p_curtext) column 'currency' holds a value of 4 characters for character varying(3)"
                        + " (purchase_hk \\x")
                .hasMessageContaining("): 'EURO'");
        assertThat(strings(ds, "select count(*) from dds.t_link_cut")).containsExactly("0");
        sql(ds, "update raw.p_curtext set currency = 'USD'");
        assertThat(link.load().rowsInserted()).isEqualTo(2);
        assertThat(strings(ds, "select id || ':' || currency from dds.t_link_cut order by id")).containsExactly("1:EUR", "2:USD");
    }
}
