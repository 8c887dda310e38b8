package dev.mds.transform;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.BadInputException;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestSql;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** config(materialized='snapshot'): dbt's snapshots, a type 2 slowly changing dimension kept by every run. */
@MdsPostgres
class SnapshotsTest {
    /** A timestamp snapshot of {@code schema.customers}, created by {@link #customers}. */
    private static String timestamp(String schema) {
        return "{{ config(materialized='snapshot', unique_key='id', strategy='timestamp', updated_at='updated_at') }}\n"
                + "select * from " + schema + ".customers";
    }

    /** {@code schema.customers} (id, name, updated_at) holding Ann and Bob, both updated 2024-01-01. */
    private static void customers(DataSource ds, String schema) {
        TestSql.sql(ds, "create schema " + schema + "; create table " + schema + ".customers (id int, name text,"
                + " updated_at timestamp); insert into " + schema + ".customers values (1, 'Ann', '2024-01-01'),"
                + " (2, 'Bob', '2024-01-01')");
    }

    private static RunResults run(DataSource ds, String name, String sql) {
        return TransformProject.builder(ds).model(name, sql).build().run();
    }

    /** Every version as {@code id name valid_from..valid_to} (valid_to '-' while current), in key and time order. */
    private static List<String> versions(DataSource ds, String table) {
        return TestSql.strings(ds, "select id || ' ' || coalesce(name, 'NULL') || ' ' || dbt_valid_from::text || '..'"
                + " || coalesce(dbt_valid_to::text, '-') from " + table + " order by id, dbt_valid_from, dbt_valid_to nulls last");
    }

    @Test
    void timestampStrategyEndsChangedVersionsAndInsertsTheirNewOnes(DataSource ds) {
        customers(ds, "raw1");
        RunResults first = run(ds, "snap1.customers", timestamp("raw1"));
        first.assertSucceeded();
        assertThat(first.model("snap1.customers").rows()).hasValue(2);
        assertThat(first.model("snap1.customers").materialization()).isEqualTo(Materialization.SNAPSHOT);
        assertThat(versions(ds, "snap1.customers")).containsExactly(
                "1 Ann 2024-01-01 00:00:00..-", "2 Bob 2024-01-01 00:00:00..-");
        // dbt's dbt_scd_id: md5 of the key and updated_at, joined by '|'
        assertThat(TestSql.strings(ds, "select dbt_scd_id = md5('1|2024-01-01 00:00:00') and dbt_updated_at = updated_at"
                + " from snap1.customers where id = 1")).containsExactly("t");

        // nothing changed: nothing inserted
        assertThat(run(ds, "snap1.customers", timestamp("raw1")).model("snap1.customers").rows()).hasValue(0);

        // Ann changed; Bob's row changed with an older updated_at (not newer than his version: not a change); Cy is new
        TestSql.sql(ds, "update raw1.customers set name = 'Anne', updated_at = '2024-02-01' where id = 1;"
                + " update raw1.customers set name = 'Robert', updated_at = '2023-12-01' where id = 2;"
                + " insert into raw1.customers values (3, 'Cy', '2024-02-01')");
        RunResults second = run(ds, "snap1.customers", timestamp("raw1"));
        second.assertSucceeded();
        assertThat(second.model("snap1.customers").rows()).hasValue(2);
        assertThat(versions(ds, "snap1.customers")).containsExactly(
                "1 Ann 2024-01-01 00:00:00..2024-02-01 00:00:00",
                "1 Anne 2024-02-01 00:00:00..-",
                "2 Bob 2024-01-01 00:00:00..-",
                "3 Cy 2024-02-01 00:00:00..-");
        // a re-run of the same data adds nothing
        assertThat(run(ds, "snap1.customers", timestamp("raw1")).model("snap1.customers").rows()).hasValue(0);
        assertThatTable(ds, "snap1.customers").hasRowCount(4);
    }

    @Test
    void checkStrategyVersionsOnlyChangesOfItsColumnsNullsIncluded(DataSource ds) {
        TestSql.sql(ds, "create schema if not exists raw; create table raw.accounts (id int, name text, status text, note text);"
                + " insert into raw.accounts values (1, 'a', 'open', 'x'), (2, 'b', null, 'y')");
        String model = "{{ config(materialized='snapshot', unique_key='id', strategy='check', check_cols=['name', 'status']) }}\n"
                + "select * from raw.accounts";
        run(ds, "snap.accounts", model).assertSucceeded();
        TestSql.sql(ds, "update raw.accounts set note = 'changed, but not checked' where id = 1;"
                + " update raw.accounts set status = 'open' where id = 2");
        RunResults second = run(ds, "snap.accounts", model);
        second.assertSucceeded();
        assertThat(second.model("snap.accounts").rows()).hasValue(1);   // NULL -> 'open' is a change; note is not checked
        TestSql.sql(ds, "update raw.accounts set status = 'closed' where id = 1");
        run(ds, "snap.accounts", model).assertSucceeded();
        TestSql.sql(ds, "update raw.accounts set status = 'open' where id = 1");   // changed back: a version of its own
        run(ds, "snap.accounts", model).assertSucceeded();

        assertThat(TestSql.strings(ds, "select id || ' ' || coalesce(status, 'NULL') || ' ' || (dbt_valid_to is null)"
                + " from snap.accounts order by id, dbt_valid_from")).containsExactly(
                "1 open false", "1 closed false", "1 open true", "2 NULL false", "2 open true");
        // without updated_at a version starts at the run's time, which also ends the version before it
        assertThat(TestSql.strings(ds, "select count(*) from snap.accounts a join snap.accounts b on a.id = b.id"
                + " and a.dbt_valid_to = b.dbt_valid_from and a.dbt_valid_from = a.dbt_updated_at")).containsExactly("3");
        assertThat(TestSql.strings(ds, "select format_type(atttypid, atttypmod) from pg_attribute"
                + " where attrelid = 'snap.accounts'::regclass and attname = 'dbt_valid_from'")).containsExactly(
                "timestamp with time zone");
    }

    @Test
    void checkAllComparesJsonByValueAndAddsNewColumnsVersioningOnlyTheRowsTheyChange(DataSource ds) {
        TestSql.sql(ds, "create schema if not exists raw; create table raw.items (id int, attrs json);"
                + " insert into raw.items values (1, '{\"a\": 1, \"b\": 2}'), (2, '{\"a\": 3}')");
        String model = "{{ config(materialized='snapshot', unique_key='id', strategy='check', check_cols='all') }}\n"
                + "select * from raw.items";
        run(ds, "snap.items", model).assertSucceeded();
        // the same value written differently is no change
        TestSql.sql(ds, "update raw.items set attrs = '{\"b\":2,\"a\":1}' where id = 1");
        assertThat(run(ds, "snap.items", model).model("snap.items").rows()).hasValue(0);

        // a new column: added to the table; only the row where it holds a value gets a version (dbt versions every row)
        TestSql.sql(ds, "alter table raw.items add column colour text; update raw.items set colour = 'red' where id = 2");
        RunResults added = run(ds, "snap.items", model);
        added.assertSucceeded();
        assertThat(added.model("snap.items").rows()).hasValue(1);
        assertThat(Db.columns(ds, "snap", "items")).containsExactly("id", "attrs", "dbt_scd_id", "dbt_updated_at",
                "dbt_valid_from", "dbt_valid_to", "colour");
        assertThat(TestSql.strings(ds, "select id || ' ' || coalesce(colour, 'NULL') || ' ' || (dbt_valid_to is null)"
                + " from snap.items order by id, dbt_valid_from")).containsExactly(
                "1 NULL true", "2 NULL false", "2 red true");
    }

    @Test
    void checkComparesJsonArraysAndAJsonColumnThatTheQueryNowReturnsAsJsonb(DataSource ds) {
        TestSql.sql(ds, "create schema rawj; create table rawj.items (id int, attrs json, tags json[]);"
                + " insert into rawj.items values (1, '{\"a\": 1}', array['{\"t\": 1, \"u\": 2}'::json]),"
                + " (2, '{\"a\": 2}', null)");
        String json = "{{ config(materialized='snapshot', unique_key='id', strategy='check', check_cols='all') }}\n"
                + "select id, attrs, tags from rawj.items";
        run(ds, "snapj.items", json).assertSucceeded();
        TestSql.sql(ds, "update rawj.items set tags = array['{\"u\":2,\"t\":1}'::json] where id = 1");
        assertThat(run(ds, "snapj.items", json).model("snapj.items").rows()).hasValue(0);

        // the table's attrs is json, the query's now jsonb (and back): compared by value, only id 2 changed
        String jsonb = json.replace("select id, attrs, tags", "select id, attrs::jsonb as attrs, tags::jsonb[] as tags");
        TestSql.sql(ds, "update rawj.items set attrs = '{\"a\": 3}' where id = 2");
        RunResults changed = run(ds, "snapj.items", jsonb);
        changed.assertSucceeded();
        assertThat(changed.model("snapj.items").rows()).hasValue(1);
        run(ds, "snapj.b", jsonb).assertSucceeded();
        assertThat(run(ds, "snapj.b", json).model("snapj.b").rows()).hasValue(0);
        assertThat(TestSql.strings(ds, "select id || ' ' || attrs::text || ' ' || (dbt_valid_to is null) from snapj.items"
                + " order by id, dbt_valid_from")).containsExactly("1 {\"a\": 1} true", "2 {\"a\": 2} false",
                "2 {\"a\": 3} true");
    }

    @Test
    void hardDeletesInvalidateEndsTheVersionOfAKeyTheQueryNoLongerReturns(DataSource ds) {
        customers(ds, "raw4");
        String model = timestamp("raw4").replace("updated_at='updated_at'", "updated_at='updated_at', hard_deletes='invalidate'");
        run(ds, "snap4.customers", model).assertSucceeded();
        TestSql.sql(ds, "delete from raw4.customers where id = 2");
        run(ds, "snap4.customers", model).assertSucceeded();
        assertThat(TestSql.strings(ds, "select id || ' ' || (dbt_valid_to is null) || ' ' || coalesce((dbt_valid_to > dbt_valid_from)::text, '')"
                + " from snap4.customers order by id, dbt_valid_from")).containsExactly("1 true ", "2 false true");
        // a second run without it changes nothing; its return starts a new version
        assertThat(run(ds, "snap4.customers", model).model("snap4.customers").rows()).hasValue(0);
        TestSql.sql(ds, "insert into raw4.customers values (2, 'Bob', '2024-03-01')");
        assertThat(run(ds, "snap4.customers", model).model("snap4.customers").rows()).hasValue(1);
        assertThat(versions(ds, "snap4.customers")).hasSize(3).last().isEqualTo("2 Bob 2024-03-01 00:00:00..-");

        // with hard_deletes='ignore' (the default) a missing key stays current
        run(ds, "snap4.kept", timestamp("raw4")).assertSucceeded();
        TestSql.sql(ds, "delete from raw4.customers where id = 1");
        run(ds, "snap4.kept", timestamp("raw4")).assertSucceeded();
        assertThat(TestSql.strings(ds, "select count(*) from snap4.kept where dbt_valid_to is null")).containsExactly("2");
    }

    /**
     * dbt's legacy invalidate_hard_deletes=True (dbt 1.8 and earlier, still read by 1.9) is hard_deletes='invalidate'
     * and False is 'ignore'; setting both is refused, as dbt's get_hard_delete_behavior refuses it.
     */
    @Test
    void legacyInvalidateHardDeletesIsHardDeletesInvalidate(DataSource ds) {
        customers(ds, "rawlegacy");
        String model = timestamp("rawlegacy").replace("updated_at='updated_at'", "updated_at='updated_at', invalidate_hard_deletes=True");
        run(ds, "snaplegacy.customers", model).assertSucceeded();
        String ignored = timestamp("rawlegacy").replace("updated_at='updated_at'", "updated_at='updated_at', invalidate_hard_deletes=false");
        run(ds, "snaplegacy.kept", ignored).assertSucceeded();
        TestSql.sql(ds, "delete from rawlegacy.customers where id = 2");
        run(ds, "snaplegacy.customers", model).assertSucceeded();
        run(ds, "snaplegacy.kept", ignored).assertSucceeded();
        assertThat(TestSql.strings(ds, "select id || ' ' || (dbt_valid_to is null) from snaplegacy.customers order by id"))
                .containsExactly("1 true", "2 false");
        assertThat(TestSql.strings(ds, "select id || ' ' || (dbt_valid_to is null) from snaplegacy.kept order by id"))
                .containsExactly("1 true", "2 true");
        assertBuildError(ds, "{{ config(materialized='snapshot', unique_key='id', strategy='check', check_cols='all',"
                        + " invalidate_hard_deletes=True, hard_deletes='new_record') }}\nselect 1 as id",
                "model s.x line 1: invalidate_hard_deletes and hard_deletes are both set: set only hard_deletes"
                        + " (invalidate_hard_deletes=True is dbt's legacy name of hard_deletes='invalidate'; dbt refuses both too)");
        assertBuildError(ds, "{{ config(materialized='snapshot', unique_key='id', strategy='check', check_cols='all',"
                        + " invalidate_hard_deletes='yes') }}\nselect 1 as id",
                "model s.x line 1: invalidate_hard_deletes must be true or false (unquoted), not 'yes'");
        assertBuildError(ds, "{{ config(materialized='table', invalidate_hard_deletes=True) }}\nselect 1 as id",
                "model s.x line 1: invalidate_hard_deletes applies only to materialized='snapshot'");
    }

    @Test
    void hardDeletesNewRecordAddsADeletionVersionOnceAndEndsItWhenTheKeyReturns(DataSource ds) {
        customers(ds, "raw5");
        String model = timestamp("raw5").replace("updated_at='updated_at'", "updated_at='updated_at', hard_deletes='new_record'");
        run(ds, "snap5.customers", model).assertSucceeded();
        TestSql.sql(ds, "delete from raw5.customers where id = 2");
        assertThat(run(ds, "snap5.customers", model).model("snap5.customers").rows()).hasValue(1);
        assertThat(run(ds, "snap5.customers", model).model("snap5.customers").rows()).hasValue(0);   // recorded once
        TestSql.sql(ds, "insert into raw5.customers values (2, 'Bobby', now())");
        assertThat(run(ds, "snap5.customers", model).model("snap5.customers").rows()).hasValue(1);

        assertThat(TestSql.strings(ds, "select id || ' ' || name || ' ' || dbt_is_deleted || ' ' || (dbt_valid_to is null)"
                + " from snap5.customers order by id, dbt_valid_from")).containsExactly(
                "1 Ann False true", "2 Bob False false", "2 Bob True false", "2 Bobby False true");
        // the deletion version starts when the old one ends, with an id of its own
        assertThat(TestSql.strings(ds, "select count(*) from snap5.customers a join snap5.customers b on a.id = b.id"
                + " and a.dbt_valid_to = b.dbt_valid_from and b.dbt_is_deleted = 'True' and a.dbt_scd_id <> b.dbt_scd_id"))
                .containsExactly("1");
    }

    @Test
    void hardDeletesNewRecordLeavesAColumnTheQueryLostNullInTheDeletionVersion(DataSource ds) {
        // found by SnapshotDifferentialTest: the deletion version copied every column of the ended version, so a
        // column the query no longer returns kept its old value there, where every other new version has NULL (and
        // dbt's deletion_records take only the query's columns)
        customers(ds, "raw5b");
        TestSql.sql(ds, "alter table raw5b.customers add column note text; update raw5b.customers set note = 'old'");
        String model = timestamp("raw5b").replace("updated_at='updated_at'", "updated_at='updated_at', hard_deletes='new_record'");
        run(ds, "snap5b.customers", model).assertSucceeded();
        TestSql.sql(ds, "alter table raw5b.customers drop column note; delete from raw5b.customers where id = 2");
        assertThat(run(ds, "snap5b.customers", model).assertSucceeded().model("snap5b.customers").rows()).hasValue(1);
        assertThat(TestSql.strings(ds, "select id || ' ' || name || ' ' || coalesce(note, 'NULL') || ' ' || dbt_is_deleted"
                + " from snap5b.customers order by id, dbt_valid_from")).containsExactly(
                "1 Ann old False", "2 Bob old False", "2 Bob NULL True");
    }

    @Test
    void aLongerVarcharInTheQueryWidensTheSnapshotsColumnAsDbtExpandsIt(DataSource ds) {
        // dbt's snapshot expands the table's string columns to the staged query's longer ones
        // (expand_target_column_types); a snapshot is never rebuilt, so without it no later run could write the value
        TestSql.sql(ds, "create schema rawwide; create table rawwide.customers (id int, name varchar(3), updated_at timestamp);"
                + " insert into rawwide.customers values (1, 'Ann', '2024-01-01')");
        run(ds, "snapwide.customers", timestamp("rawwide")).assertSucceeded();
        TestSql.sql(ds, "alter table rawwide.customers alter column name type varchar(20);"
                + " update rawwide.customers set name = 'Annabelle', updated_at = '2024-02-01'");

        run(ds, "snapwide.customers", timestamp("rawwide")).assertSucceeded();

        assertThat(versions(ds, "snapwide.customers")).containsExactly("1 Ann 2024-01-01 00:00:00..2024-02-01 00:00:00",
                "1 Annabelle 2024-02-01 00:00:00..-");
        assertThat(TestSql.strings(ds, "select format_type(atttypid, atttypmod) from pg_attribute"
                + " where attrelid = 'snapwide.customers'::regclass and attname = 'name'")).containsExactly("character varying(20)");
    }

    @Test
    void compositeKeyAndADownstreamModelOfTheCurrentVersions(DataSource ds) {
        TestSql.sql(ds, "create schema if not exists raw; create table raw.prices (shop text, sku text, price numeric, changed date);"
                + " insert into raw.prices values ('a', 'x', 1.5, '2024-01-01'), ('b', 'x', 2, '2024-01-01')");
        TransformProject project = TransformProject.builder(ds)
                .model("snap.prices", "{{ config(materialized='snapshot', unique_key=['shop', 'sku'],"
                        + " strategy='timestamp', updated_at='changed') }}\nselect * from raw.prices")
                .model("mart.current_prices", "select shop, sku, price from {{ ref('snap.prices') }} where dbt_valid_to is null")
                .build();
        project.run().assertSucceeded();
        TestSql.sql(ds, "update raw.prices set price = 1.75, changed = '2024-02-01' where shop = 'a'");
        RunResults results = project.run();
        results.assertSucceeded();
        assertThat(results.models()).extracting(ModelResult::name).containsExactly("snap.prices", "mart.current_prices");
        assertThat(TestSql.strings(ds, "select shop || sku || ' ' || price from mart.current_prices order by 1"))
                .containsExactly("ax 1.75", "bx 2");
        assertThat(TestSql.strings(ds, "select dbt_scd_id = md5('a|x|2024-02-01') from snap.prices where price = 1.75"))
                .containsExactly("t");
    }

    @Test
    void fullRefreshNeverRebuildsASnapshot(DataSource ds) {
        TestSql.sql(ds, "create schema raw7; create table raw7.customers (id int, name text, updated_at timestamp);"
                + " insert into raw7.customers values (1, 'Ann', '2024-01-01')");
        run(ds, "snap7.customers", timestamp("raw7")).assertSucceeded();
        TestSql.sql(ds, "update raw7.customers set name = 'Anne', updated_at = '2024-02-01'");
        TransformProject.builder(ds).model("snap7.customers", timestamp("raw7")).fullRefresh(true).build().run().assertSucceeded();
        assertThat(versions(ds, "snap7.customers")).containsExactly(
                "1 Ann 2024-01-01 00:00:00..2024-02-01 00:00:00", "1 Anne 2024-02-01 00:00:00..-");
    }

    @Test
    void sqlShowsTheFirstBuildAndTheLaterRunsStatements(DataSource ds) {
        TestSql.sql(ds, "create schema raw8; create table raw8.customers (id int, name text, updated_at timestamp)");
        TransformProject project = TransformProject.builder(ds).model("snap8.customers", timestamp("raw8")).build();
        assertThat(String.join(";\n", project.sql())).contains("create table \"snap8\".\"customers\" as\n"
                + "select s.*, md5(coalesce(cast(s.\"id\" as varchar), '') || '|' || coalesce(cast(s.\"updated_at\" as varchar), ''))"
                + " as \"dbt_scd_id\", s.\"updated_at\" as \"dbt_updated_at\", s.\"updated_at\" as \"dbt_valid_from\","
                + " nullif(s.\"updated_at\", s.\"updated_at\") as \"dbt_valid_to\"\nfrom \"pg_temp\".\"customers__mds_stage\" s");
        project.run().assertSucceeded();
        assertThat(project.sql()).contains(
                "update \"snap8\".\"customers\" t set \"dbt_valid_to\" = s.\"updated_at\"\n"
                        + "from \"pg_temp\".\"customers__mds_stage\" s\n"
                        + "where t.\"id\" = s.\"id\" and t.\"dbt_valid_to\" is null\n"
                        + "and (t.\"dbt_valid_from\" < s.\"updated_at\")",
                "insert into \"snap8\".\"customers\" (\"id\", \"name\", \"updated_at\", \"dbt_scd_id\", \"dbt_updated_at\","
                        + " \"dbt_valid_from\", \"dbt_valid_to\")\nselect s.\"id\", s.\"name\", s.\"updated_at\", md5(coalesce(cast("
                        + "s.\"id\" as varchar), '') || '|' || coalesce(cast(s.\"updated_at\" as varchar), '')), s.\"updated_at\","
                        + " s.\"updated_at\", null from \"pg_temp\".\"customers__mds_stage\" s\n"
                        + "where not exists (select from \"snap8\".\"customers\" t where t.\"id\" = s.\"id\" and t.\"dbt_valid_to\" is null)");
    }

    @Test
    void sqlShowsALaterRunWhoseCheckColsNameAColumnTheTableDoesNotHaveYet(DataSource ds) {
        customers(ds, "raw8b");
        run(ds, "snap8b.customers", "{{ config(materialized='snapshot', unique_key='id', strategy='check',"
                + " check_cols=['name']) }}\nselect id, name from raw8b.customers").assertSucceeded();
        TransformProject project = TransformProject.builder(ds).model("snap8b.customers", "{{ config(materialized="
                + "'snapshot', unique_key='id', strategy='check', check_cols=['name', 'tier']) }}\n"
                + "select id, name, 'gold' as tier from raw8b.customers").build();
        assertThat(project.sql()).anySatisfy(s -> assertThat(s).startsWith("update \"snap8b\".\"customers\" t set")
                .contains("t.\"name\" is distinct from s.\"name\" or t.\"tier\" is distinct from s.\"tier\""));
        assertThat(project.run().assertSucceeded().model("snap8b.customers").rows()).hasValue(2);
    }

    @Test
    void badRowsFailTheRunNamingTheKeyAndLeaveTheSnapshotUnchanged(DataSource ds) {
        customers(ds, "raw9");
        run(ds, "snap9.customers", timestamp("raw9")).assertSucceeded();
        List<String> before = versions(ds, "snap9.customers");

        TestSql.sql(ds, "insert into raw9.customers values (2, 'Bob again', '2024-05-01')");
        assertThat(run(ds, "snap9.customers", timestamp("raw9")).model("snap9.customers").error()).hasValue("snap9.customers"
                + " (model snap9.customers): duplicate unique_key in the new rows: id=2 appears 2 times; the table is unchanged");
        TestSql.sql(ds, "delete from raw9.customers where name = 'Bob again'; insert into raw9.customers values (null, 'Nobody', now())");
        assertThat(run(ds, "snap9.customers", timestamp("raw9")).model("snap9.customers").error()).hasValueSatisfying(e ->
                assertThat(e).contains("unique_key id is NULL in 1 new row(s): a snapshot cannot match a NULL key"));
        TestSql.sql(ds, "delete from raw9.customers where id is null;"
                + " update raw9.customers set name = 'Anne', updated_at = null where id = 1");
        assertThat(run(ds, "snap9.customers", timestamp("raw9")).model("snap9.customers").error()).hasValue("snap9.customers"
                + " (model snap9.customers): updated_at updated_at is NULL for id=1: a version needs a date to start from;"
                + " coalesce it in the query; the snapshot is unchanged");
        assertThat(versions(ds, "snap9.customers")).isEqualTo(before);

        // the query may not return the columns the snapshot adds, nor lack the ones its config names
        assertThat(run(ds, "snap9.again", "{{ config(materialized='snapshot', unique_key='id', strategy='timestamp',"
                + " updated_at='dbt_valid_from') }}\nselect * from snap9.customers").model("snap9.again").error())
                .hasValue("snap9.again (model snap9.again): the query returns [dbt_scd_id, dbt_updated_at, dbt_valid_from,"
                        + " dbt_valid_to], which the snapshot adds itself: rename or leave out these columns (a select * from"
                        + " another snapshot brings them along)");
        assertThat(run(ds, "snap9.other", "{{ config(materialized='snapshot', unique_key='id', strategy='check',"
                + " check_cols=['name', 'colour']) }}\nselect id, name from raw9.customers").model("snap9.other").error())
                .hasValue("snap9.other (model snap9.other line 1): the snapshot's config names [colour], which the query does not"
                        + " return (it returns id, name)");
        assertThatTable(ds, "snap9.again").doesNotExist();
        assertThatTable(ds, "snap9.other").doesNotExist();
    }

    @Test
    void aConfigNameDifferingFromTheQuerysColumnOnlyInCaseAndNotFoldingToItIsRefusedSayingSo(DataSource ds) {
        // dbt writes these names unquoted: ID is id, as SQL folds it, but name is not the column "Name"
        customers(ds, "rawcase");
        assertThat(run(ds, "snapcase.customers", "{{ config(materialized='snapshot', unique_key='ID', strategy='check',"
                + " check_cols=['name', 'colour']) }}\nselect id, name as \"Name\", updated_at from rawcase.customers")
                .model("snapcase.customers").error())
                .hasValue("snapcase.customers (model snapcase.customers line 1): the snapshot's config names [name,"
                        + " colour], which the query does not return (it returns id, Name, updated_at) (a name is matched"
                        + " exactly, or folded to lower case as SQL folds an unquoted name: did you mean Name?)");
        assertThatTable(ds, "snapcase.customers").doesNotExist();
    }

    @Test
    void refusesToWriteIntoATableOrViewThatIsNotASnapshot(DataSource ds) {
        TestSql.sql(ds, "create schema raw10; create table raw10.customers (id int, name text, updated_at timestamp);"
                + " insert into raw10.customers values (1, 'Ann', '2024-01-01');"
                + " create schema snap10; create table snap10.customers (id int, name text, updated_at timestamp);"
                + " create view snap10.v as select 1 as id");
        assertThat(run(ds, "snap10.customers", timestamp("raw10")).model("snap10.customers").error()).hasValueSatisfying(e ->
                assertThat(e).contains("snap10.customers exists but is not a snapshot: it lacks dbt_scd_id, dbt_updated_at,"
                        + " dbt_valid_from, dbt_valid_to"));
        assertThat(run(ds, "snap10.v", timestamp("raw10")).model("snap10.v").error()).hasValueSatisfying(e ->
                assertThat(e).contains("snap10.v is a view: a snapshot keeps its versions in a table"));
        assertThat(TestSql.strings(ds, "select count(*) from snap10.customers")).containsExactly("0");
    }

    @Test
    void configErrorsAreRefusedAtBuildNamingTheLine(DataSource ds) {
        assertBuildError(ds, "{{ config(materialized='snapshot', strategy='timestamp', updated_at='u') }}\nselect 1 as id",
                "model s.x line 1: materialized='snapshot' needs a unique_key: the column(s) identifying a row across versions");
        assertBuildError(ds, "{{ config(materialized='snapshot', unique_key='id') }}\nselect 1 as id",
                "model s.x line 1: materialized='snapshot' needs strategy='timestamp' (with updated_at) or strategy='check'"
                        + " (with check_cols)");
        assertBuildError(ds, "{{ config(materialized='snapshot', unique_key='id', strategy='timestamp') }}\nselect 1 as id",
                "model s.x line 1: strategy='timestamp' needs updated_at: the column saying when a row last changed");
        assertBuildError(ds, "{{ config(materialized='snapshot', unique_key='id', strategy='check') }}\nselect 1 as id",
                "model s.x line 1: strategy='check' needs check_cols: a list of columns, or 'all'");
        assertBuildError(ds, "{{ config(materialized='snapshot', unique_key='id', strategy='timestamp', updated_at='u',"
                        + " check_cols='all') }}\nselect 1 as id",
                "model s.x line 1: check_cols applies only to strategy='check' (strategy='timestamp' compares updated_at)");
        assertBuildError(ds, "{{ config(materialized='snapshot', unique_key='id', strategy='newest') }}\nselect 1 as id",
                "model s.x line 1: strategy=newest is not supported (use 'timestamp' or 'check')");
        assertBuildError(ds, "{{ config(materialized='snapshot', unique_key='id', strategy='check', check_cols='all',"
                        + " hard_deletes='purge') }}\nselect 1 as id",
                "model s.x line 1: hard_deletes=purge is not supported (use 'ignore', 'invalidate' or 'new_record')");
        assertBuildError(ds, "{{ config(materialized='snapshot', unique_key='id', strategy='check', check_cols=['a', 'a']) }}\nselect 1 as id",
                "model s.x line 1: check_cols names a column twice: [a, a]");
        assertBuildError(ds, "{{ config(materialized='incremental', unique_key='id', strategy='check') }}\nselect 1 as id",
                "model s.x line 1: strategy applies only to materialized='snapshot' (an incremental model's is"
                        + " incremental_strategy)");
        assertBuildError(ds, "{{ config(materialized='snapshot', unique_key='id', strategy='timestamp', updated_at='u',"
                        + " incremental_strategy='merge') }}\nselect 1 as id",
                "model s.x line 1: incremental_strategy applies only to materialized='incremental'");
    }

    private static void assertBuildError(DataSource ds, String sql, String message) {
        assertThatThrownBy(() -> TransformProject.builder(ds).model("s.x", sql).build())
                .isInstanceOf(BadInputException.class).hasMessage(message);
    }
}
