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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** AutomateDV {@code ma_sat} scenarios: per parent key and load date a set of rows, stored whole when it changes. */
@MdsPostgres
class MultiActiveSatelliteTest {
    /** A raw phones table: a user's email, the phone type (child key), the number, the load date. */
    private static void phones(DataSource ds, String table, Row... rows) {
        TableFixture.on(ds, table).columns("email text", "phone_type text", "phone text", "ld timestamptz").rows(rows);
    }

    private static Stage stage(String raw) {
        return Stage.of(raw).into("stg." + raw.substring(4)).loadDate("ld").recordSource("crm")
                .hashKey("user_hk", "email").hashDiff("phone_hashdiff", "phone_type", "phone");
    }

    private static MultiActiveSatellite maSat(Vault vault, String table, Stage stage) {
        return vault.multiActiveSatellite(table).parent("user_hk").childKeys("phone_type").hashDiff("phone_hashdiff")
                .payload("email", "phone").from(stage);
    }

    /** The stored sets: per user and load day, {type=phone,...}, in time order. */
    private static List<String> sets(DataSource ds, String table) {
        return strings(ds, "select email || '@' || extract(day from load_date at time zone 'UTC') || ' {'"
                + " || string_agg(phone_type || '=' || phone, ',' order by phone_type) || '}' from " + table
                + " group by email, load_date order by email, load_date");
    }

    @ParameterizedTest
    @EnumSource(HashStandard.class)
    void insertsAWholeSetWhenItChangesOverThreeBatchesAndNothingOnReload(HashStandard standard, DataSource ds) throws Exception {
        String raw = "raw.ph_" + standard.name().toLowerCase();
        String t = "dds.ma_sat_" + standard.name().toLowerCase();
        Vault vault = Vault.on(ds).standard(standard);
        phones(ds, raw,
                row("a@x", "home", "111", day(1)), row("a@x", "work", "112", day(1)),
                row("a@x", "work", "112", day(1)),                            // duplicate row
                row("b@x", "home", "211", day(1)),
                row(null, "home", "999", day(1)),                             // no parent key
                row("c@x", null, "311", day(1)));                             // no child key: not loaded, as AutomateDV
        Stage stage = stage(raw);
        vault.createStage(stage);
        MultiActiveSatellite sat = maSat(vault, t, stage);
        sat.createTable();
        assertThat(sat.load().rowsInserted()).isEqualTo(3);
        assertThat(sat.load().rowsInserted()).isZero();
        assertThat(sets(ds, t)).containsExactly("a@x@1 {home=111,work=112}", "b@x@1 {home=211}");

        // batch 2: a's set again in another order (no change), b's number changed, c new
        batch(ds, raw, row("a@x", "work", "112", day(2)), row("a@x", "home", "111", day(2)),
                row("b@x", "home", "222", day(2)), row("c@x", "mobile", "333", day(2)));
        assertThat(sat.load().rowsInserted()).isEqualTo(2);
        // batch 3: a's set shrinks (a subset of the stored one), b's grows (a superset), c keeps its type with another number
        batch(ds, raw, row("a@x", "home", "111", day(3)),
                row("b@x", "home", "222", day(3)), row("b@x", "work", "223", day(3)),
                row("c@x", "mobile", "334", day(3)));
        assertThat(sat.load().rowsInserted()).isEqualTo(4);
        assertThat(sat.load().rowsInserted()).isZero();
        assertThat(sets(ds, t)).containsExactly("a@x@1 {home=111,work=112}", "a@x@3 {home=111}",
                "b@x@1 {home=211}", "b@x@2 {home=222}", "b@x@3 {home=222,work=223}",
                "c@x@2 {mobile=333}", "c@x@3 {mobile=334}");
    }

    @Test
    void severalSetsOfOneKeyInOneStageAreComparedInTimeOrderChangedThenChangedBack(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        phones(ds, "raw.ph_seq",
                row("d@x", "home", "1", day(1)), row("d@x", "work", "2", day(1)),
                row("d@x", "home", "1", day(2)),                                                       // shrinks
                row("d@x", "home", "1", day(3)), row("d@x", "work", "2", day(3)),                      // back
                row("d@x", "work", "2", day(4)), row("d@x", "home", "1", day(4)),                      // same as before
                row("d@x", "home", "1", day(5)), row("d@x", "work", "9", day(5)));                     // a number changes
        Stage stage = stage("raw.ph_seq");
        vault.createStage(stage);
        MultiActiveSatellite sat = maSat(vault, "dds.ma_sat_seq", stage);
        sat.createTable();
        assertThat(sat.load().rowsInserted()).isEqualTo(7);
        assertThat(sat.load().rowsInserted()).isZero();          // AutomateDV would compare all rows as one set and insert again
        assertThat(sets(ds, "dds.ma_sat_seq")).containsExactly("d@x@1 {home=1,work=2}", "d@x@2 {home=1}",
                "d@x@3 {home=1,work=2}", "d@x@5 {home=1,work=9}");
        // the same in the next batch: a new set equal to the latest stored one is not stored
        batch(ds, "raw.ph_seq", row("d@x", "home", "1", day(6)), row("d@x", "work", "9", day(6)));
        assertThat(sat.load().rowsInserted()).isZero();
        // one row of a stored set moved to another type: same numbers, other pairs
        batch(ds, "raw.ph_seq", row("d@x", "home", "9", day(7)), row("d@x", "work", "1", day(7)));
        assertThat(sat.load().rowsInserted()).isEqualTo(2);
    }

    @Test
    void aLateSetIsComparedWithTheSetBeforeItInTime(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        phones(ds, "raw.ph_late", row("a@x", "home", "1", day(1)), row("a@x", "work", "2", day(1)),
                row("a@x", "home", "3", day(5)));
        Stage stage = stage("raw.ph_late");
        vault.createStage(stage);
        MultiActiveSatellite sat = maSat(vault, "dds.ma_sat_late", stage);
        sat.createTable();
        assertThat(sat.load().rowsInserted()).isEqualTo(3);
        // late: day 3 equals day 1 (not stored), day 4 differs from day 3 (stored); day 6 equals day 5 (not stored)
        batch(ds, "raw.ph_late", row("a@x", "work", "2", day(3)), row("a@x", "home", "1", day(3)),
                row("a@x", "home", "9", day(4)), row("a@x", "home", "3", day(6)));
        assertThat(sat.load().rowsInserted()).isEqualTo(1);
        assertThat(sat.load().rowsInserted()).isZero();
        assertThat(sets(ds, "dds.ma_sat_late")).containsExactly("a@x@1 {home=1,work=2}", "a@x@4 {home=9}", "a@x@5 {home=3}");
        // a late set before every stored set has nothing before it: stored
        batch(ds, "raw.ph_late", row("a@x", "home", "1", day(0 + 1).minusHours(12)));
        assertThat(sat.load().rowsInserted()).isEqualTo(1);
    }

    @Test
    void ambiguousRowsOfOneChildKeyKeepTheSmallestHashdiffWhateverTheirOrder(DataSource ds) {
        Vault vault = Vault.on(ds);
        List<String> kept = new java.util.ArrayList<>();
        for (String order : List.of("x_first", "y_first")) {
            List<String> numbers = order.equals("x_first") ? List.of("x", "y") : List.of("y", "x");
            phones(ds, "raw.ph_" + order, row("a@x", "home", numbers.get(0), day(1)), row("a@x", "home", numbers.get(1), day(1)));
            Stage stage = stage("raw.ph_" + order);
            vault.createStage(stage);
            MultiActiveSatellite sat = maSat(vault, "dds.ma_sat_" + order, stage);
            sat.createTable();
            assertThat(sat.load().rowsInserted()).isEqualTo(1);
            kept.addAll(strings(ds, "select phone from dds.ma_sat_" + order));
        }
        assertThat(kept.get(0)).isEqualTo(kept.get(1));
    }

    /**
     * With an effective-from, rows of one child key and load date are changes of it within the batch: the latest is
     * the set's row, whatever the hashdiffs' order (keeping the smallest hashdiff stored the earlier number for one of
     * the two users, whose rows are in opposite orders). A batch ending on the stored numbers stores no new set.
     */
    @Test
    void rowsOfOneChildKeyAndLoadDateKeepTheLatestEffectiveFrom(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        TableFixture.on(ds, "raw.ph_eff").columns("email text", "phone_type text", "phone text", "upd timestamptz", "ld timestamptz")
                .rows(row("a@x", "home", "x", day(1).minusHours(3), day(1)), row("a@x", "home", "y", day(1).minusHours(2), day(1)),
                        row("b@x", "home", "y", day(1).minusHours(3), day(1)), row("b@x", "home", "x", day(1).minusHours(2), day(1)),
                        row("b@x", "work", "w", day(1).minusHours(4), day(1)));
        Stage stage = stage("raw.ph_eff");
        vault.createStage(stage);
        MultiActiveSatellite sat = maSat(vault, "dds.ma_sat_eff", stage).effectiveFrom("upd");
        sat.createTable();
        assertThat(sat.load().rowsInserted()).isEqualTo(3);
        assertThat(sets(ds, "dds.ma_sat_eff")).containsExactly("a@x@1 {home=y}", "b@x@1 {home=x,work=w}");
        assertThat(sat.load().rowsInserted()).isZero();
        batch(ds, "raw.ph_eff", row("a@x", "home", "y", day(2).minusHours(1), day(2)), row("a@x", "home", "x", day(2).minusHours(2), day(2)),
                row("b@x", "home", "y", day(2).minusHours(2), day(2)), row("b@x", "home", "x", day(2).minusHours(1), day(2)),
                row("b@x", "work", "w", day(2).minusHours(1), day(2)));
        assertThat(sat.load().rowsInserted()).isZero();
        assertThat(sets(ds, "dds.ma_sat_eff")).containsExactly("a@x@1 {home=y}", "b@x@1 {home=x,work=w}");
    }

    @Test
    void ddlKeysTheSetByParentChildKeysAndLoadDateAndSqlShowsEveryStatement(DataSource ds) {
        Vault vault = Vault.on(ds);
        phones(ds, "raw.ph_ddl", row("a@x", "home", "1", day(1)));
        Stage stage = stage("raw.ph_ddl");
        vault.createStage(stage);
        MultiActiveSatellite sat = maSat(vault, "dds.ma_sat_ddl", stage).effectiveFrom("ld");
        assertThat(String.join("\n", sat.createTableSql())).contains("\"phone_type\" text NOT NULL")
                .contains("PRIMARY KEY (\"user_hk\", \"phone_type\", \"load_date\")")
                .contains("ON \"dds\".\"ma_sat_ddl\" (\"user_hk\", \"load_date\")");
        sat.createTable();
        List<String> statements = sat.sql();
        assertThat(statements).hasSize(2);
        assertThat(statements.get(0)).isEqualTo("SELECT pg_advisory_xact_lock(hashtext('mds-vault'), hashtext('\"dds\".\"ma_sat_ddl\"'));"
                + " LOCK TABLE \"dds\".\"ma_sat_ddl\" IN SHARE ROW EXCLUSIVE MODE");
        assertThat(statements.get(1)).startsWith("WITH cand AS MATERIALIZED").contains("INSERT INTO \"dds\".\"ma_sat_ddl\"");
        assertThat(strings(ds, "select count(*) from dds.ma_sat_ddl")).containsExactly("0");
        assertThat(sat.load().rowsInserted()).isEqualTo(1);
        assertThat(strings(ds, "select effective_from = load_date from dds.ma_sat_ddl")).containsExactly("t");
        assertThatThrownBy(() -> sql(ds, "insert into dds.ma_sat_ddl select * from dds.ma_sat_ddl")).hasMessageContaining("duplicate key");
    }

    @Test
    void badInputsFailNamingTheStructureAndColumnAndWriteNothing(DataSource ds) {
        Vault vault = Vault.on(ds);
        phones(ds, "raw.ph_bad", row("a@x", "home", "1", day(1)));
        Stage stage = stage("raw.ph_bad");
        vault.createStage(stage);
        MultiActiveSatellite good = maSat(vault, "dds.ma_sat_bad", stage);
        good.createTable();
        assertThatThrownBy(() -> vault.multiActiveSatellite("dds.ma_sat_bad").parent("user_hk").from(stage).sql())
                .isInstanceOf(IllegalArgumentException.class).hasMessage("multi-active satellite dds.ma_sat_bad: set childKeys, hashDiff");
        assertThatThrownBy(() -> maSat(vault, "dds.ma_sat_bad", stage).childKeys("extension").load())
                .isInstanceOf(MdsException.class).hasMessageContaining("multi-active satellite dds.ma_sat_bad from stage stg.ph_bad")
                .hasMessageContaining("no column 'extension'");
        assertThatThrownBy(() -> vault.multiActiveSatellite("dds.ma_sat_x").parent("user_hk").childKeys("phone_type")
                .hashDiff("phone").from(stage).createTable())
                .isInstanceOf(MdsException.class).hasMessageContaining("multi-active satellite dds.ma_sat_x")
                .hasMessageContaining("column 'phone'").hasMessageContaining("expected bytea");
        assertThatThrownBy(() -> maSat(vault.algorithm(HashAlgorithm.SHA256), "dds.ma_sat_bad", stage).load())
                .isInstanceOf(MdsException.class).hasMessageContaining("multi-active satellite dds.ma_sat_bad")
                .hasMessageContaining("column 'user_hk'").hasMessageContaining("16-byte");
        assertThatThrownBy(() -> maSat(vault, "dds.ma_sat_bad", stage).payload("phone_type").sql())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("column 'phone_type' would be stored twice");
        // a child key whose type changed to one the table cannot store
        sql(ds, "create table raw.ph_int as select email, 1 as phone_type, phone, ld from raw.ph_bad");
        Stage ints = Stage.of("raw.ph_int").into("stg.ph_int").loadDate("ld").recordSource("crm")
                .hashKey("user_hk", "email").hashDiff("phone_hashdiff", "phone");
        vault.createStage(ints);
        maSat(vault, "dds.ma_sat_int", ints).createTable();
        sql(ds, "create table raw.ph_pt as select email, point(1, 2) as phone_type, phone, ld from raw.ph_bad");
        Stage pt = Stage.of("raw.ph_pt").into("stg.ph_pt").loadDate("ld").recordSource("crm")
                .hashKey("user_hk", "email").hashDiff("phone_hashdiff", "phone");
        vault.createStage(pt);
        assertThatThrownBy(() -> maSat(vault, "dds.ma_sat_int", pt).load()).isInstanceOf(MdsException.class)
                .hasMessageContaining("multi-active satellite dds.ma_sat_int")
                .hasMessageContaining("column 'phone_type' of stg.ph_pt is point").hasMessageContaining("stores it as integer");
        // a child key PostgreSQL cannot order (json, point): refused by createTable naming it (before: PostgreSQL's
        // 'data type json has no default operator class for access method "btree"', naming no structure or column)
        sql(ds, "create table raw.ph_json as select email, json_build_object('t', phone_type) as phone_type, phone, ld from raw.ph_bad");
        Stage json = Stage.of("raw.ph_json").into("stg.ph_json").loadDate("ld").recordSource("crm")
                .hashKey("user_hk", "email").hashDiff("phone_hashdiff", "phone");
        vault.createStage(json);
        assertThatThrownBy(() -> maSat(vault, "dds.ma_sat_json", json).createTable()).isInstanceOf(MdsException.class)
                .hasMessageContaining("multi-active satellite dds.ma_sat_json from stage stg.ph_json")
                .hasMessageContaining("child key 'phone_type' is json, which PostgreSQL cannot order");
        assertThat(strings(ds, "select count(*) from pg_class where relname = 'ma_sat_json'")).containsExactly("0");
        sql(ds, "create table raw.ph_arr as select email, array[phone_type] as phone_type, phone, ld from raw.ph_bad");
        Stage arr = Stage.of("raw.ph_arr").into("stg.ph_arr").loadDate("ld").recordSource("crm")
                .hashKey("user_hk", "email").hashDiff("phone_hashdiff", "phone");
        vault.createStage(arr);
        maSat(vault, "dds.ma_sat_arr", arr).createTable();           // an array of an ordered type is a key
        assertThat(maSat(vault, "dds.ma_sat_arr", arr).load().rowsInserted()).isEqualTo(1);
        // a row with no load date: the load fails as a whole, naming the stage
        sql(ds, "insert into raw.ph_bad values ('b@x', 'home', '2', null)");
        assertThatThrownBy(good::load).isInstanceOf(MdsException.class).hasMessageContaining("multi-active satellite dds.ma_sat_bad")
                .hasMessageContaining("load date column 'ld'");
        assertThat(strings(ds, "select count(*) from dds.ma_sat_bad")).containsExactly("0");
    }

    /** Quotes, spaces, dots, upper case and non-ASCII letters in every name, two child keys, both standards. */
    @ParameterizedTest
    @EnumSource(HashStandard.class)
    void hostileIdentifiersAndTwoChildKeysWorkInTheDdlAndTheLoad(HashStandard standard, DataSource ds) {
        String q = "\"M \"\"Q\"\" " + standard.name().charAt(0) + " ü.x\"";
        sql(ds, "create schema " + q, "create table " + q + ".\"Raw \"\"P\"\"\" (\"Kunde Ä\" text, \"Typ.E\" text, \"it's\" int,"
                + " \"Nr\" text, \"LD\" timestamptz)",
                "insert into " + q + ".\"Raw \"\"P\"\"\" values ('k1', 'home', 1, '111', '2024-01-01Z'), ('k1', 'home', 2, '112', '2024-01-01Z'),"
                        + " ('k1', 'home', 1, '111', '2024-01-02Z'), ('k1', 'home', 2, '112', '2024-01-02Z'),"
                        + " ('k1', 'home', 1, '111', '2024-01-03Z')");
        Vault vault = Vault.on(ds).standard(standard);
        Stage stage = Stage.of(q + ".\"Raw \"\"P\"\"\"").into(q + ".\"Stg \"\"P\"\"\"").loadDate("LD").recordSource("it's \"src\"")
                .hashKey("Kunde.HK \"", "Kunde Ä").hashDiff("Diff ✓", "Typ.E", "it's", "Nr");
        vault.createStage(stage);
        MultiActiveSatellite sat = vault.multiActiveSatellite(q + ".\"MA.Sat \"\"P\"\"\"").parent("Kunde.HK \"")
                .childKeys("Typ.E", "it's").hashDiff("Diff ✓").payload("Nr").effectiveFrom("LD").from(stage);
        sat.createTable();
        assertThat(sat.load().rowsInserted()).isEqualTo(3);       // the set of day 1, then the smaller one of day 3
        assertThat(sat.load().rowsInserted()).isZero();
        assertThat(strings(ds, "select string_agg(\"Nr\", ',' order by effective_from, \"it's\") from " + q + ".\"MA.Sat \"\"P\"\"\""))
                .containsExactly("111,112,111");
    }


    /**
     * Two stage rows of one (parent, child key, load date) with the same hashdiff but another spelling ('abc' and
     * 'ABC ' under AUTOMATEDV; child keys 1.0 and 1.00 under CANONICAL): the stored row must not depend on the order
     * of the stage's rows. Before, the first row the sort met was stored ('abc' from one table, 'ABC ' from the other).
     */
    @Test
    void tiedRowsOfOneChildKeyStoreTheSameSpellingWhateverTheRowOrder(DataSource ds) {
        Vault adv = Vault.on(ds).standard(HashStandard.AUTOMATEDV);
        List<String> kept = new ArrayList<>();
        for (String order : List.of("sp1", "sp2")) {
            Row a = row("a@x", "home", "abc", day(1));
            Row b = row("a@x", "home", "ABC ", day(1));
            phones(ds, "raw.ph_" + order, order.equals("sp1") ? new Row[] {a, b} : new Row[] {b, a});
            Stage stage = stage("raw.ph_" + order);
            adv.createStage(stage);
            MultiActiveSatellite sat = maSat(adv, "dds.ma_sat_" + order, stage);
            sat.createTable();
            assertThat(sat.load().rowsInserted()).isEqualTo(1);
            kept.addAll(strings(ds, "select phone from dds.ma_sat_" + order));
        }
        assertThat(kept).containsExactly("ABC ", "ABC ");         // the smallest text in byte order

        Vault canonical = Vault.on(ds);
        kept.clear();
        for (String order : List.of("num1", "num2")) {
            String values = order.equals("num1") ? "('a@x', 1.0, 'p', '2024-01-01Z'), ('a@x', 1.00, 'p', '2024-01-01Z')"
                    : "('a@x', 1.00, 'p', '2024-01-01Z'), ('a@x', 1.0, 'p', '2024-01-01Z')";
            sql(ds, "create table raw.ph_" + order + " (email text, line numeric, phone text, ld timestamptz)",
                    "insert into raw.ph_" + order + " values " + values);
            Stage stage = Stage.of("raw.ph_" + order).into("stg.ph_" + order).loadDate("ld").recordSource("crm")
                    .hashKey("user_hk", "email").hashDiff("phone_hashdiff", "line", "phone");
            canonical.createStage(stage);
            MultiActiveSatellite sat = canonical.multiActiveSatellite("dds.ma_sat_" + order).parent("user_hk").childKeys("line")
                    .hashDiff("phone_hashdiff").payload("phone").from(stage);
            sat.createTable();
            assertThat(sat.load().rowsInserted()).isEqualTo(1);   // 1.0 = 1.00: one child key, one CANONICAL hashdiff
            kept.addAll(strings(ds, "select line::text from dds.ma_sat_" + order));
        }
        assertThat(kept).containsExactly("1.0", "1.00".equals(kept.get(0)) ? "1.00" : "1.0");
        assertThat(kept.get(0)).isEqualTo(kept.get(1));
    }

    /**
     * A stage whose load dates are timestamps loaded into a table keyed by date: the table stores one set per day,
     * the one of the day's latest stage timestamp (a's 14:00 set {work}, as a table of timestamps stores {home} at
     * 10:00 and then {work} at 14:00), and the load does not break the primary key. Before 1794cc6e each timestamp was
     * stored as its own set, and two of one day broke the primary key; until the day's last set was kept, a's rows were
     * merged into {home, work}, a set the source never had.
     */
    @Test
    void stageTimestampsOfOneDayIntoADateTableAreOneSet(DataSource ds) {
        Vault vault = Vault.on(ds);
        sql(ds, "create schema if not exists raw",
                "create table raw.ph_days (email text, phone_type text, phone text, ld date)",
                "insert into raw.ph_days values ('a@x', 'home', '1', '2024-01-01')",
                "create table raw.ph_times (email text, phone_type text, phone text, ld timestamptz)",
                "insert into raw.ph_times values ('a@x', 'home', '2', '2024-01-02 10:00Z'), ('a@x', 'work', '3', '2024-01-02 14:00Z'),"
                        + " ('b@x', 'home', '4', '2024-01-02 23:30Z'), ('b@x', 'home', '5', '2024-01-02 23:45Z')");
        Stage days = stage("raw.ph_days");
        Stage times = stage("raw.ph_times");
        vault.createStage(days);
        vault.createStage(times);
        maSat(vault, "dds.ma_sat_days", days).createTable();
        assertThat(maSat(vault, "dds.ma_sat_days", days).load().rowsInserted()).isEqualTo(1);
        MultiActiveSatellite fromTimes = maSat(vault, "dds.ma_sat_days", times);
        assertThat(fromTimes.load().rowsInserted()).isEqualTo(2);
        assertThat(fromTimes.load().rowsInserted()).isZero();
        assertThat(strings(ds, "select email || ' ' || load_date || ' ' || string_agg(phone_type || '=' || phone, ',' order by phone_type)"
                + " from dds.ma_sat_days group by email, load_date order by 1"))
                .containsExactly("a@x 2024-01-01 home=1", "a@x 2024-01-02 work=3", "b@x 2024-01-02 home=5");
    }

    /**
     * An effective-from column of a type the table's {@code effective_from} cannot be assigned from is refused naming
     * both columns, before anything is written (before: 'cannot cast type integer to timestamp with time zone' from
     * inside the load, naming no column); a date into a timestamptz is read as midnight UTC.
     */
    @Test
    void effectiveFromOfAnotherTypeIsConvertedInUtcOrRefusedNamingTheColumn(DataSource ds) {
        Vault vault = Vault.on(ds);
        phones(ds, "raw.ph_ef", row("a@x", "home", "1", day(1)));
        Stage stage = stage("raw.ph_ef");
        vault.createStage(stage);
        maSat(vault, "dds.ma_sat_ef", stage).effectiveFrom("ld").createTable();
        sql(ds, "create table raw.ph_ef_int as select email, phone_type, phone, ld, 7 as since, ld::date as since_day from raw.ph_ef");
        Stage ints = Stage.of("raw.ph_ef_int").into("stg.ph_ef_int").loadDate("ld").recordSource("crm")
                .hashKey("user_hk", "email").hashDiff("phone_hashdiff", "phone_type", "phone");
        vault.createStage(ints);
        assertThatThrownBy(() -> maSat(vault, "dds.ma_sat_ef", ints).effectiveFrom("since").load())
                .isInstanceOf(SchemaMismatchException.class).hasMessageContaining("multi-active satellite dds.ma_sat_ef")
                .hasMessageContaining("column 'since' of stg.ph_ef_int is integer")
                .hasMessageContaining("(as 'effective_from') as timestamp with time zone");
        assertThat(strings(ds, "select count(*) from dds.ma_sat_ef")).containsExactly("0");
        assertThat(maSat(vault, "dds.ma_sat_ef", ints).effectiveFrom("since_day").load().rowsInserted()).isEqualTo(1);
        assertThat(strings(ds, "select effective_from = '2024-01-01T00:00:00Z' from dds.ma_sat_ef")).containsExactly("t");
    }


    /**
     * Two stages feeding one multi-active satellite (phones from the CRM and from the web shop): a set is the rows of a
     * (parent key, load date) in both, each with its stage's record source; a child key in both is one row, the same
     * whichever stage is named first. Before, {@code from} took one stage and a second call silently replaced it.
     */
    @Test
    void severalStagesAreUnionedIntoOneSetPerKeyAndLoadDate(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        phones(ds, "raw.ph_crm", row("a@x", "home", "1", day(1)), row("b@x", "home", "5", day(1)));
        phones(ds, "raw.ph_web", row("a@x", "mobile", "2", day(1)), row("b@x", "home", "6", day(1)));
        Stage crm = stage("raw.ph_crm");
        Stage web = Stage.of("raw.ph_web").into("stg.ph_web").loadDate("ld").recordSource("web")
                .hashKey("user_hk", "email").hashDiff("phone_hashdiff", "phone_type", "phone");
        vault.createStage(crm);
        vault.createStage(web);
        maSat(vault, "dds.ma_sat_two", crm).createTable();
        maSat(vault, "dds.ma_sat_two_r", crm).createTable();
        assertThat(maSat(vault, "dds.ma_sat_two", crm).from(web).load().rowsInserted()).isEqualTo(3);
        assertThat(vault.multiActiveSatellite("dds.ma_sat_two_r").parent("user_hk").childKeys("phone_type")
                .hashDiff("phone_hashdiff").payload("email", "phone").from(web, crm).load().rowsInserted()).isEqualTo(3);
        String rows = "select email || ' ' || phone_type || '=' || phone || ' ' || record_source from ";
        assertThat(strings(ds, rows + "dds.ma_sat_two order by 1")).hasSize(3).contains("a@x home=1 crm", "a@x mobile=2 web")
                .isEqualTo(strings(ds, rows + "dds.ma_sat_two_r order by 1"));
        assertThat(maSat(vault, "dds.ma_sat_two", crm).from(web).load().rowsInserted()).isZero();
        // day 2: only the web number of a changes; a's set is the union again, stored whole
        batch(ds, "raw.ph_crm", row("a@x", "home", "1", day(2)), row("b@x", "home", "5", day(2)));
        batch(ds, "raw.ph_web", row("a@x", "mobile", "3", day(2)), row("b@x", "home", "6", day(2)));
        assertThat(maSat(vault, "dds.ma_sat_two", crm).from(web).load().rowsInserted()).isEqualTo(2);
        assertThat(sets(ds, "dds.ma_sat_two")).containsExactly("a@x@1 {home=1,mobile=2}", "a@x@2 {home=1,mobile=3}",
                strings(ds, "select 'b@x@1 {home=' || phone || '}' from dds.ma_sat_two where email = 'b@x'").get(0));
    }


    /**
     * History loaded in parts (the odd days, then every day: the even days arrive late, between stored sets) stores
     * every set that loading it at once stores. The extra sets are only odd-day sets stored in the first part as
     * changes from the set two days before, which the late even day between them now equals: a stored set is never
     * compared again (as {@link Satellite}; AutomateDV does not re-evaluate either).
     */
    @Test
    void historyLoadedInPartsKeepsEverySetOfTheOneShotLoadAndOnlyStoredSetsOnTop(DataSource ds) {
        StringBuilder v = new StringBuilder();
        java.util.Random r = new java.util.Random(7);
        for (int d = 1; d <= 8; d++) {
            for (int k = 0; k < 30; k++) {
                for (String t : new String[] {"home", "work", "mobile"}) {
                    if (r.nextInt(3) > 0) {
                        v.append(v.length() == 0 ? "" : ",").append("('u").append(k).append("', '").append(t).append("', '")
                                .append(r.nextInt(2)).append("', '2024-01-0").append(d).append("Z')");
                    }
                }
            }
        }
        sql(ds, "create schema if not exists raw", "create table raw.ph_hist (email text, phone_type text, phone text, ld timestamptz)",
                "insert into raw.ph_hist values " + v,
                "create view raw.ph_hist_odd as select * from raw.ph_hist where extract(day from ld at time zone 'UTC')::int % 2 = 1");
        Vault vault = Vault.on(ds);
        Stage all = stage("raw.ph_hist");
        Stage odd = stage("raw.ph_hist_odd");
        vault.createStage(all);
        vault.createStage(odd);
        maSat(vault, "dds.ma_sat_once", all).createTable();
        maSat(vault, "dds.ma_sat_once", all).load();
        maSat(vault, "dds.ma_sat_parts", odd).createTable();
        maSat(vault, "dds.ma_sat_parts", odd).load();
        maSat(vault, "dds.ma_sat_parts", all).load();
        assertThat(maSat(vault, "dds.ma_sat_parts", all).load().rowsInserted()).isZero();
        assertThat(strings(ds, "select count(*) from (select * from dds.ma_sat_once except select * from dds.ma_sat_parts) x"))
                .containsExactly("0");
        assertThat(strings(ds, "select distinct extract(day from load_date at time zone 'UTC')::int % 2 from"
                + " (select * from dds.ma_sat_parts except select * from dds.ma_sat_once) x")).containsExactly("1");
    }


    /**
     * A stage whose child key column has a case-insensitive (nondeterministic) collation: its rows are told apart as
     * the table tells them apart (the table's column has the database's deterministic collation). Before, the stage's
     * collation made 'home' and 'Home' one child key and one of the two rows was dropped, though the table stores both.
     */
    @Test
    void childKeysAreToldApartByTheTablesCollationNotTheStages(DataSource ds) {
        sql(ds, "create collation if not exists public.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false)",
                "create schema if not exists raw",
                "create table raw.ph_ci (email text, phone_type text collate public.ci, phone text, ld timestamptz)",
                "insert into raw.ph_ci values ('a@x', 'home', '1', '2024-01-01Z'), ('a@x', 'Home', '2', '2024-01-01Z'),"
                        + " ('a@x', 'home', '1', '2024-01-02Z'), ('a@x', 'Home', '2', '2024-01-02Z'), ('a@x', 'HOME', '3', '2024-01-03Z')");
        Vault vault = Vault.on(ds);
        Stage stage = stage("raw.ph_ci");
        vault.createStage(stage);
        MultiActiveSatellite sat = maSat(vault, "dds.ma_sat_ci", stage);
        sat.createTable();
        assertThat(sat.load().rowsInserted()).isEqualTo(3);
        assertThat(sat.load().rowsInserted()).isZero();
        assertThat(strings(ds, "select extract(day from load_date at time zone 'UTC') || ' ' || string_agg(phone_type || '=' || phone, ','"
                + " order by phone_type collate \"C\") from dds.ma_sat_ci group by load_date order by load_date"))
                .containsExactly("1 Home=2,home=1", "3 HOME=3");
    }

    /** Two loads of one multi-active satellite at once: one waits for the other (the table lock); each row once. */
    @Test
    void twoLoadsAtOnceInsertEachSetOnce(DataSource ds) {
        sql(ds, "create schema if not exists raw", "create table raw.ph_race as select 'u' || (i % 5000) as email,"
                + " 't' || (i / 5000 % 2) as phone_type, 'n' || (i / 10000) as phone,"
                + " '2024-01-01Z'::timestamptz + (i / 10000) * interval '1 day' as ld from generate_series(0, 29999) i");
        Vault vault = Vault.on(ds);
        Stage stage = stage("raw.ph_race");
        vault.createStage(stage);
        MultiActiveSatellite sat = maSat(vault, "dds.ma_sat_race", stage);
        sat.createTable();
        for (int round = 0; round < 2; round++) {
            sql(ds, "truncate dds.ma_sat_race");
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
            assertThat(loads.stream().mapToLong(f -> f.join().rowsInserted()).sum()).isEqualTo(30_000);
            assertThat(strings(ds, "select count(*) from dds.ma_sat_race")).containsExactly("30000");
        }
    }

    /** The ghost key of a 16-byte (MD5) vault, as hex. */
    private static final String GHOST_MD5 = "0".repeat(32);

    /**
     * The ghost record, as a satellite's (AutomateDV's ma_sat has none): one row of the ghost key, an all-zero
     * hashdiff, NULL payload, load date and effective-from 1900-01-01 midnight UTC, the standard's ghost record
     * source, the child key the empty text (it is part of the primary key, so it cannot be NULL); inserted once,
     * whether the table is empty or loaded, and whatever the session's TimeZone.
     */
    @Test
    void ghostRecordIsOneRowOfTheGhostKeyStoredOnce(DataSource ds, dev.mds.testing.TestDatabase db) throws Exception {
        Vault adv = Vault.on(ds).standard(HashStandard.AUTOMATEDV);
        phones(ds, "raw.ph_ghost", row("a@x", "home", "1", day(1)));
        Stage stage = stage("raw.ph_ghost");
        adv.createStage(stage);
        MultiActiveSatellite sat = maSat(adv, "dds.ma_sat_ghost", stage).effectiveFrom("ld");
        sat.createTable();
        List<String> load = sat.sql();
        try (com.zaxxer.hikari.HikariDataSource newYork = db.newDataSource(1)) {
            try (java.sql.Connection c = newYork.getConnection(); java.sql.Statement st = c.createStatement()) {
                st.execute("set timezone = 'America/New_York'");      // the pool's only connection keeps it
            }
            assertThat(maSat(Vault.on(newYork).standard(HashStandard.AUTOMATEDV), "dds.ma_sat_ghost", stage).effectiveFrom("ld")
                    .insertGhostRecord().rowsInserted()).isEqualTo(1);
        }
        assertThat(sat.insertGhostRecord().rowsInserted()).isZero();
        assertThat(sat.sql()).isEqualTo(load);                        // the load's statements do not change
        String stored = "select encode(user_hk, 'hex') || '|' || phone_type || '|' || encode(phone_hashdiff, 'hex') || '|'"
                + " || coalesce(email, 'NULL') || '|' || coalesce(phone, 'NULL') || '|' || (effective_from at time zone 'UTC')"
                + " || '|' || (load_date at time zone 'UTC') || '|' || record_source from dds.ma_sat_ghost order by load_date, email";
        assertThat(strings(ds, stored)).containsExactly(
                GHOST_MD5 + "||" + GHOST_MD5 + "|NULL|NULL|1900-01-01 00:00:00|1900-01-01 00:00:00|AUTOMATE_DV_SYSTEM");
        assertThat(sat.load().rowsInserted()).isEqualTo(1);
        assertThat(sat.insertGhostRecord().rowsInserted()).isZero();
        assertThat(strings(ds, stored)).hasSize(2).first().asString().startsWith(GHOST_MD5 + "||");
        // CANONICAL: SYSTEM; a set vault record source is taken
        Vault canonical = Vault.on(ds);
        MultiActiveSatellite other = maSat(canonical.ghostRecordSource("dv_system"), "dds.ma_sat_ghost2", stage);
        other.createTable();
        assertThat(other.insertGhostRecord().rowsInserted()).isEqualTo(1);
        assertThat(strings(ds, "select record_source || ' ' || count(*) from dds.ma_sat_ghost2 group by record_source")).containsExactly("dv_system 1");
    }

    /**
     * Child keys of every type with an empty value get it in the ghost row, as the table stores it (a date load date
     * is 1900-01-01); a type without one (inet) is refused naming the column, and nothing is written.
     */
    @Test
    void ghostRecordGivesEachChildKeyTheEmptyValueOfItsTypeOrRefusesNamingIt(DataSource ds) {
        sql(ds, "create schema if not exists raw", "create type raw.mood as enum ('sad', 'ok', 'happy')",
                "create domain raw.kind as text check (value <> 'x')",
                "create table raw.ph_types (email text, k_text varchar(10), k_int int, k_num numeric(5,2), k_bool boolean,"
                        + " k_date date, k_ts timestamp, k_tstz timestamptz, k_time time, k_uuid uuid, k_enum raw.mood, k_arr int[],"
                        + " k_iv interval, k_dom raw.kind, k_bytes bytea, k_inet inet, phone text, ld date)",
                "insert into raw.ph_types values ('a@x', 'home', 1, 1.5, true, '2024-01-01', '2024-01-01 10:00', '2024-01-01 10:00Z',"
                        + " '10:00', gen_random_uuid(), 'ok', '{1}', '1 day', 'home', '\\x01', '10.0.0.1', '1', '2024-01-01')");
        Vault vault = Vault.on(ds);
        Stage stage = Stage.of("raw.ph_types").into("stg.ph_types").loadDate("ld").recordSource("crm")
                .hashKey("user_hk", "email").hashDiff("phone_hashdiff", "phone");
        vault.createStage(stage);
        List<String> keys = List.of("k_text", "k_int", "k_num", "k_bool", "k_date", "k_ts", "k_tstz", "k_time", "k_uuid", "k_enum",
                "k_arr", "k_iv", "k_dom", "k_bytes");
        MultiActiveSatellite sat = vault.multiActiveSatellite("dds.ma_sat_types").parent("user_hk")
                .childKeys(keys.toArray(String[]::new)).hashDiff("phone_hashdiff").payload("phone").from(stage);
        sat.createTable();
        String ghostSql = sat.ghostRecordSql();                        // shown before it runs, and what runs
        sql(ds, ghostSql);
        assertThat(sat.insertGhostRecord().rowsInserted()).isZero();
        assertThat(sat.ghostRecordSql()).isEqualTo(ghostSql);
        assertThat(strings(ds, "select concat_ws('|', k_text, k_int, k_num, k_bool, k_date, k_ts, k_tstz at time zone 'UTC', k_time,"
                + " k_uuid, k_enum, k_arr, k_iv, k_dom, encode(k_bytes, 'hex'), coalesce(phone, 'NULL'), load_date, record_source)"
                + " from dds.ma_sat_types"))
                .containsExactly("|0|0.00|f|1900-01-01|1900-01-01 00:00:00|1900-01-01 00:00:00|00:00:00"
                        + "|00000000-0000-0000-0000-000000000000|sad|{}|00:00:00||" + GHOST_MD5 + "|NULL|1900-01-01|SYSTEM");
        assertThat(sat.load().rowsInserted()).isEqualTo(1);

        MultiActiveSatellite inet = vault.multiActiveSatellite("dds.ma_sat_inet").parent("user_hk").childKeys("k_text", "k_inet")
                .hashDiff("phone_hashdiff").from(stage);
        inet.createTable();
        assertThatThrownBy(inet::ghostRecordSql).isInstanceOf(MdsException.class).hasMessageContaining("child key 'k_inet' is inet");
        assertThatThrownBy(inet::insertGhostRecord).isInstanceOf(MdsException.class)
                .hasMessageContaining("multi-active satellite dds.ma_sat_inet: cannot insert a ghost record: child key 'k_inet' is inet");
        assertThat(strings(ds, "select count(*) from dds.ma_sat_inet")).containsExactly("0");
    }

    /**
     * Loads around the ghost record store what they store without it: a twin table without a ghost gets the same
     * rows over new, changed, late and re-loaded sets, the ghost inserted before the first load and again between
     * loads (a no-op). The ghost's set is never compared with a real key's.
     */
    @Test
    void loadsAroundTheGhostRecordStoreWhatTheyStoreWithoutIt(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        phones(ds, "raw.ph_gn", row("a@x", "home", "1", day(2)), row("a@x", "work", "2", day(2)), row("b@x", "home", "3", day(2)));
        Stage stage = stage("raw.ph_gn");
        vault.createStage(stage);
        MultiActiveSatellite withGhost = maSat(vault, "dds.ma_sat_gn", stage);
        MultiActiveSatellite twin = maSat(vault, "dds.ma_sat_gn_twin", stage);
        withGhost.createTable();
        twin.createTable();
        assertThat(withGhost.insertGhostRecord().rowsInserted()).isEqualTo(1);
        String rows = "select email || ' ' || phone_type || ' ' || phone || ' ' || (load_date at time zone 'UTC') || ' ' || record_source"
                + " from %s where user_hk <> decode('" + GHOST_MD5 + "', 'hex') order by 1";
        List<List<Row>> batches = List.of(
                List.of(),                                                                              // the first batch above
                List.of(row("a@x", "home", "1", day(3)), row("a@x", "work", "2", day(3)),               // a unchanged
                        row("b@x", "home", "9", day(3)), row("c@x", "home", "4", day(3))),              // b changed, c new
                List.of(row("a@x", "home", "1", day(1)), row("b@x", "home", "3", day(1)),               // late, before all
                        row("b@x", "home", "3", day(4))));                                              // b back
        for (List<Row> batch : batches) {
            if (!batch.isEmpty()) {
                batch(ds, "raw.ph_gn", batch.toArray(Row[]::new));
            }
            long n = withGhost.load().rowsInserted();
            assertThat(n).isEqualTo(twin.load().rowsInserted());
            assertThat(withGhost.insertGhostRecord().rowsInserted()).isZero();
            assertThat(withGhost.load().rowsInserted()).isZero();
            assertThat(strings(ds, rows.formatted("dds.ma_sat_gn"))).isEqualTo(strings(ds, rows.formatted("dds.ma_sat_gn_twin")));
        }
        assertThat(sets(ds, "dds.ma_sat_gn_twin")).containsExactly("a@x@1 {home=1}", "a@x@2 {home=1,work=2}",
                "b@x@1 {home=3}", "b@x@2 {home=3}", "b@x@3 {home=9}", "b@x@4 {home=3}", "c@x@3 {home=4}");
        assertThat(strings(ds, "select count(*) from dds.ma_sat_gn where user_hk = decode('" + GHOST_MD5 + "', 'hex')"))
                .containsExactly("1");
    }

    /**
     * A second stage whose child key and payload are text where the table stores varchar(5): values too long for the
     * columns fail the load, and nothing is written. Before, both were cast explicitly to varchar(5), which cuts:
     * 'mobile-1' and 'mobile-2' became one child key 'mobil' and one of the two phones was dropped without a word.
     */
    @Test
    void childKeysAndPayloadTooLongForTheTablesColumnsFailTheLoadInsteadOfBeingCut(DataSource ds) {
        Vault vault = Vault.on(ds);
        sql(ds, "create schema if not exists raw",
                "create table raw.ph_v5 (email text, phone_type varchar(5), phone varchar(5), ld timestamptz)",
                "insert into raw.ph_v5 values ('a@x', 'home', '1', '2024-01-01Z')",
                "create table raw.ph_vtext (email text, phone_type text, phone text, ld timestamptz)",
                "insert into raw.ph_vtext values ('b@x', 'mobile-1', '1', '2024-01-02Z'), ('b@x', 'mobile-2', '2', '2024-01-02Z')");
        Stage narrow = stage("raw.ph_v5");
        Stage wide = stage("raw.ph_vtext");
        vault.createStage(narrow);
        vault.createStage(wide);
        MultiActiveSatellite sat = maSat(vault, "dds.ma_sat_cut", narrow).from(wide);
        sat.createTable();
        assertThatThrownBy(sat::load).isInstanceOf(MdsException.class).hasMessageContaining("multi-active satellite dds.ma_sat_cut")
                .hasMessageContaining("value too long for type character varying(5)")
                // where: the stage, column, key and value (the first such row of the stage)
                .hasMessageContaining("stg.ph_vtext (from raw.ph_vtext) column 'phone_type' holds a value of 8 characters for character varying(5)"
                        + " (user_hk \\x")
                .hasMessageContaining("): 'mobile-")
                .hasMessageNotContaining("column 'phone' ");
        assertThat(strings(ds, "select count(*) from dds.ma_sat_cut")).containsExactly("0");
        sql(ds, "update raw.ph_vtext set phone_type = replace(phone_type, 'mobile', 'mob'), phone = phone || '23456'");
        assertThatThrownBy(sat::load).isInstanceOf(MdsException.class).hasMessageContaining("value too long for type character varying(5)")
                .hasMessageContaining("column 'phone' holds a value of 6 characters for character varying(5)")
                .hasMessageNotContaining("column 'phone_type' ");
        sql(ds, "update raw.ph_vtext set phone = left(phone, 5)");
        assertThat(sat.load().rowsInserted()).isEqualTo(3);
        assertThat(sets(ds, "dds.ma_sat_cut")).containsExactly("a@x@1 {home=1}", "b@x@2 {mob-1=12345,mob-2=22345}");
    }

    /**
     * Columns named as the load's own intermediate columns (a parent key 'members', a child key 'is_new', a hashdiff
     * 'min_ld', a payload 'prev_members') load as any others. Before, the load failed with PostgreSQL's 'column
     * reference "is_new" is ambiguous'.
     */
    @Test
    void columnsNamedAsTheLoadsIntermediateColumnsLoad(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        TableFixture.on(ds, "raw.ph_names").columns("email text", "is_new boolean", "prev_members text", "ld timestamptz")
                .rows(row("a@x", true, "1", day(1)), row("a@x", false, "2", day(1)), row("a@x", true, "1", day(2)),
                        row("a@x", true, "1", day(3)), row("a@x", false, "2", day(3)));
        Stage stage = Stage.of("raw.ph_names").into("stg.ph_names").loadDate("ld").recordSource("crm")
                .hashKey("members", "email").hashDiff("min_ld", "is_new", "prev_members");
        vault.createStage(stage);
        MultiActiveSatellite sat = vault.multiActiveSatellite("dds.ma_sat_names").parent("members").childKeys("is_new")
                .hashDiff("min_ld").payload("prev_members").from(stage);
        sat.createTable();
        assertThat(sat.load().rowsInserted()).isEqualTo(5);
        assertThat(sat.load().rowsInserted()).isZero();
        batch(ds, "raw.ph_names", row("a@x", true, "1", day(4)), row("a@x", false, "2", day(4)));     // equal to day 3
        assertThat(sat.load().rowsInserted()).isZero();
        assertThat(strings(ds, "select extract(day from load_date at time zone 'UTC') || ':' || string_agg(is_new || '=' || prev_members,"
                + " ',' order by is_new) from dds.ma_sat_names group by load_date order by load_date"))
                .containsExactly("1:false=2,true=1", "2:true=1", "3:false=2,true=1");
    }
}
