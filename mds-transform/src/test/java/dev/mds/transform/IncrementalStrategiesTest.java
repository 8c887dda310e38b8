package dev.mds.transform;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.BadInputException;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TableFixture;
import dev.mds.testing.TestSql;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** config(incremental_strategy=...) and config(on_schema_change=...), as dbt-postgres reads them. */
@MdsPostgres
class IncrementalStrategiesTest {

    static RunResults run(DataSource ds, String name, String sql) {
        return TransformProject.builder(ds).model(name, sql).build().run();
    }

    @Test
    void mergeUpdatesMatchedRowsInPlaceAndInsertsTheOthers(DataSource ds) {
        TableFixture.on(ds, "raw.m").columns("id int", "v text").rows(row(1, "a"), row(2, "b"));
        String model = "{{ config(materialized='incremental', unique_key='id', incremental_strategy='merge') }}\n"
                + "select id, v from raw.m";
        run(ds, "mg.t", model).assertSucceeded();
        // rows referring to the model's rows by key: delete+insert would cascade-delete them, merge never deletes
        TestSql.sql(ds, "alter table mg.t add primary key (id);"
                + " create table mg.child (id int references mg.t (id) on delete cascade); insert into mg.child values (1), (2)");
        TestSql.sql(ds, "update raw.m set v = 'B' where id = 2; insert into raw.m values (3, 'c')");

        TransformProject project = TransformProject.builder(ds).model("mg.t", model).build();
        assertThat(project.sql()).contains("merge into \"mg\".\"t\" t using \"pg_temp\".\"t__mds_stage\" s on t.\"id\" = s.\"id\"\n"
                + "when matched then update set \"v\" = s.\"v\"\n"
                + "when not matched then insert (\"id\", \"v\") values (s.\"id\", s.\"v\")");
        RunResults results = project.run();

        results.assertSucceeded();
        assertThat(results.model("mg.t").rows()).hasValue(3);   // 2 matched and updated (one to its same value), 1 inserted
        assertThatTable(ds, "mg.t").containsExactlyInAnyOrder(row(1, "a"), row(2, "B"), row(3, "c"));
        assertThatTable(ds, "mg.child").containsExactlyInAnyOrder(row(1), row(2));
    }

    @Test
    void aLongerVarcharUpstreamWidensTheTablesColumnAsDbtExpandsIt(DataSource ds) {
        // dbt's incremental materialization expands the target's string columns to the new rows' longer ones
        // (expand_target_column_types) before it writes, whatever on_schema_change says
        TestSql.sql(ds, "create schema rawwide; create table rawwide.w (id int, code varchar(3), note varchar(5));"
                + " insert into rawwide.w values (1, 'abc', 'x')");
        String ignore = "{{ config(materialized='incremental', unique_key='id', on_schema_change='ignore') }}\n"
                + "select id, code, note from rawwide.w";
        String append = "{{ config(materialized='incremental', unique_key='id', incremental_strategy='merge',"
                + " on_schema_change='append_new_columns') }}\nselect id, code, note from rawwide.w";
        run(ds, "wd.i", ignore).assertSucceeded();
        run(ds, "wd.a", append).assertSucceeded();
        TestSql.sql(ds, "alter table rawwide.w alter column code type varchar(10), alter column note type text;"
                + " insert into rawwide.w values (2, 'abcdefgh', 'a longer note')");

        run(ds, "wd.i", ignore).assertSucceeded();
        run(ds, "wd.a", append).assertSucceeded();

        for (String t : new String[] {"wd.i", "wd.a"}) {
            assertThatTable(ds, t).containsExactlyInAnyOrder(row(1, "abc", "x"), row(2, "abcdefgh", "a longer note"));
            assertThat(TestSql.strings(ds, "select string_agg(format_type(atttypid, atttypmod), ', ' order by attnum)"
                    + " from pg_attribute where attrelid = '" + t + "'::regclass and attnum > 0"))
                    .containsExactly("integer, character varying(10), text");
        }
    }

    @Test
    void aLongerVarcharUpstreamIsWidenedUnderOnSchemaChangeFailAndSyncAllColumnsAsDbtExpandsItFirst(DataSource ds) {
        // dbt's incremental materialization runs expand_target_column_types before process_schema_changes, so a
        // varchar that only grew is no schema change under 'fail' (the default here) or 'sync_all_columns'
        TestSql.sql(ds, "create schema rawfail; create table rawfail.w (id int, code varchar(3), note varchar(5));"
                + " insert into rawfail.w values (1, 'abc', 'x')");
        String fail = "{{ config(materialized='incremental', unique_key='id') }}\n"
                + "select id, code, note from rawfail.w";
        String sync = "{{ config(materialized='incremental', unique_key='id', on_schema_change='sync_all_columns') }}\n"
                + "select id, code, note from rawfail.w";
        run(ds, "wf.f", fail).assertSucceeded();
        run(ds, "wf.s", sync).assertSucceeded();
        TestSql.sql(ds, "create view wf.report as select code from wf.s;"
                + " alter table rawfail.w alter column code type varchar(10), alter column note type text;"
                + " insert into rawfail.w values (2, 'abc', 'a longer note')");

        run(ds, "wf.f", fail).assertSucceeded();
        run(ds, "wf.s", sync).assertSucceeded();   // code keeps varchar(3) (a view reads it), its new values fit

        for (String t : new String[] {"wf.f", "wf.s"}) {
            assertThatTable(ds, t).containsExactlyInAnyOrder(row(1, "abc", "x"), row(2, "abc", "a longer note"));
        }
        assertThat(TestSql.strings(ds, "select string_agg(format_type(atttypid, atttypmod), ', ' order by attnum)"
                + " from pg_attribute where attrelid = 'wf.f'::regclass and attnum > 0"))
                .containsExactly("integer, character varying(10), text");
        assertThat(TestSql.strings(ds, "select string_agg(format_type(atttypid, atttypmod), ', ' order by attnum)"
                + " from pg_attribute where attrelid = 'wf.s'::regclass and attnum > 0"))
                .containsExactly("integer, character varying(3), text");
    }

    @Test
    void aColumnAViewReadsIsNotWidenedItsRowsLoadWhenTheyFitAndALongerOneIsRefusedNamingTheView(DataSource ds) {
        // PostgreSQL refuses to change the type of a column a view reads: the column keeps its type, and the run
        // succeeds as before while the values fit it
        TestSql.sql(ds, "create schema raw2; create table raw2.w (id int, code varchar(3)); insert into raw2.w values (1, 'abc')");
        String model = "{{ config(materialized='incremental', unique_key='id', on_schema_change='ignore') }}\n"
                + "select id, code from raw2.w";
        run(ds, "wv.t", model).assertSucceeded();
        TestSql.sql(ds, "create view wv.report as select code from wv.t;"
                + " alter table raw2.w alter column code type varchar(10); insert into raw2.w values (2, 'xyz')");

        run(ds, "wv.t", model).assertSucceeded();

        assertThatTable(ds, "wv.report").containsExactlyInAnyOrder(row("abc"), row("xyz"));
        TestSql.sql(ds, "insert into raw2.w values (3, 'too long')");
        assertThat(run(ds, "wv.t", model).model("wv.t").error()).hasValue("wv.t (model wv.t): column code is character"
                + " varying(3) in the table and a new row's value has 8 characters (the new rows' column is character"
                + " varying(10)); it is not widened, as dbt would widen it, because rule _RETURN on view wv.report reads it"
                + " (drop that, alter the column's type, and create it again); the table is unchanged");
        assertThatTable(ds, "wv.report").containsExactlyInAnyOrder(row("abc"), row("xyz"));
    }

    @Test
    void mergeRefusesDuplicateAndNullKeysLeavingTheTableUnchanged(DataSource ds) {
        TableFixture.on(ds, "raw.md").columns("id int", "v int").rows(row(1, 1));
        String model = "{{ config(materialized='incremental', unique_key='id', incremental_strategy='merge') }}\n"
                + "select id, v from raw.md";
        run(ds, "md.t", model).assertSucceeded();
        TestSql.sql(ds, "insert into raw.md values (1, 10)");
        assertThat(run(ds, "md.t", model).model("md.t").error()).hasValue(
                "md.t (model md.t): duplicate unique_key in the new rows: id=1 appears 2 times; the table is unchanged");
        TestSql.sql(ds, "delete from raw.md where v = 10; insert into raw.md values (null, 5)");
        assertThat(run(ds, "md.t", model).model("md.t").error()).hasValueSatisfying(e -> assertThat(e)
                .contains("unique_key id is NULL in 1 new row(s): merge cannot match a NULL key"));
        assertThatTable(ds, "md.t").containsExactlyInAnyOrder(row(1, 1));
    }

    @Test
    void appendStrategyInsertsEveryNewRow(DataSource ds) {
        TableFixture.on(ds, "raw.ap").columns("id int").rows(row(1), row(2));
        String model = "{{ config(materialized='incremental', incremental_strategy='append') }}\nselect id from raw.ap\n"
                + "{% if is_incremental() %}where id > (select max(id) from {{ this }}){% endif %}";
        run(ds, "ap.t", model).assertSucceeded();
        TestSql.sql(ds, "insert into raw.ap values (3)");
        RunResults results = run(ds, "ap.t", model);
        assertThat(results.model("ap.t").rows()).hasValue(1);
        assertThatTable(ds, "ap.t").containsExactlyInAnyOrder(row(1), row(2), row(3));
    }

    @Test
    void appendNewColumnsAddsThemInTheSameTransactionAndOldRowsReadNull(DataSource ds) {
        TableFixture.on(ds, "raw.sc").columns("id int", "v int", "w numeric(5,2)").rows(row(1, 1, null));
        String before = "{{ config(materialized='incremental', unique_key='id', on_schema_change='append_new_columns') }}\n"
                + "select id, v from raw.sc";
        run(ds, "sc.t", before).assertSucceeded();
        TestSql.sql(ds, "insert into raw.sc values (2, 2, 2.5)");

        RunResults results = run(ds, "sc.t", before.replace("select id, v", "select id, w"));

        results.assertSucceeded();
        assertThat(Db.columns(ds, "sc", "t")).containsExactly("id", "v", "w");
        assertThat(TestSql.strings(ds, "select format_type(atttypid, atttypmod) from pg_attribute"
                + " where attrelid = 'sc.t'::regclass and attname = 'w'")).containsExactly("numeric(5,2)");
        // id 1 was re-written by delete+insert without v (the model no longer selects it): v is NULL, as in dbt
        assertThatTable(ds, "sc.t").containsExactlyInAnyOrder(row(1, null, null), row(2, null, new java.math.BigDecimal("2.50")));
    }

    @Test
    void appendNewColumnsThatFailsLeavesTheTableWithoutTheColumn(DataSource ds) {
        TableFixture.on(ds, "raw.sf").columns("id int", "v int").rows(row(1, 1));
        String model = "{{ config(materialized='incremental', unique_key='id', on_schema_change='append_new_columns') }}\n"
                + "select id, v from raw.sf";
        run(ds, "sf.t", model).assertSucceeded();
        TestSql.sql(ds, "insert into raw.sf values (1, 2)");   // a duplicate key: the run fails after the column is added

        RunResults results = run(ds, "sf.t", model.replace("select id, v", "select id, v, v * 2 as w"));

        assertThat(results.model("sf.t").error()).hasValueSatisfying(e -> assertThat(e).contains("duplicate unique_key"));
        assertThat(Db.columns(ds, "sf", "t")).containsExactly("id", "v");
        assertThatTable(ds, "sf.t").containsExactlyInAnyOrder(row(1, 1));
    }

    @Test
    void syncAllColumnsAddsDropsAndRetypesColumnsConvertingStoredValues(DataSource ds) {
        TableFixture.on(ds, "raw.sy").columns("id int", "v int", "old text").rows(row(1, 1, "x"));
        String model = "{{ config(materialized='incremental', unique_key='id', on_schema_change='sync_all_columns') }}\n";
        run(ds, "sy.t", model + "select id, v, old from raw.sy").assertSucceeded();
        TestSql.sql(ds, "insert into raw.sy values (2, 2, 'y')");

        run(ds, "sy.t", model + "select id, v::numeric(6,1) as v, 'new' as added from raw.sy where id = 2").assertSucceeded();

        assertThat(Db.columns(ds, "sy", "t")).containsExactly("id", "v", "added");
        assertThat(TestSql.strings(ds, "select format_type(atttypid, atttypmod) from pg_attribute"
                + " where attrelid = 'sy.t'::regclass and attname = 'v'")).containsExactly("numeric(6,1)");
        assertThatTable(ds, "sy.t").containsExactlyInAnyOrder(row(1, new java.math.BigDecimal("1.0"), null),
                row(2, new java.math.BigDecimal("2.0"), "new"));
    }

    @Test
    void aUniqueKeyColumnThatTheRunWouldAddIsRefusedSinceNoStoredRowCouldMatch(DataSource ds) {
        TableFixture.on(ds, "raw.nk").columns("a int", "b text", "v int").rows(row(1, "x", 1), row(2, "y", 1));
        for (String strategy : new String[] {"merge", "delete+insert"}) {
            for (String policy : new String[] {"append_new_columns", "sync_all_columns"}) {
                String table = "nk.t_" + policy;
                String model = "{{ config(materialized='incremental', unique_key=['a', 'b'], incremental_strategy='"
                        + strategy + "', on_schema_change='" + policy + "') }}\n";
                run(ds, table, model + "select a, b, v from raw.nk").assertSucceeded();
                // the key's b is now called bb: the stored rows would hold NULL there, so every new row would be added again
                RunResults renamed = run(ds, table, model.replace("'b'", "'bb'") + "select a, b as bb, v + 1 as v from raw.nk");
                assertThat(renamed.model(table).error()).hasValueSatisfying(e -> assertThat(e).contains(
                        "unique_key column(s) [bb] are not in the table, which holds rows: none of them could match a new"
                                + " row, so each would stay beside its new version (rebuild the model with fullRefresh(true));"
                                + " the table is unchanged"));
                assertThat(Db.columns(ds, "nk", "t_" + policy)).containsExactly("a", "b", "v");
                assertThatTable(ds, table).containsExactlyInAnyOrder(row(1, "x", 1), row(2, "y", 1));
            }
            TestSql.sql(ds, "drop table nk.t_append_new_columns, nk.t_sync_all_columns");
        }
    }

    /**
     * A first build (or a full rebuild) whose rows hold a unique_key twice or NULL fails as a later run does, the
     * table unchanged: before, it was stored, and every later delete+insert or merge then replaced or updated both
     * rows of the key (a NULL key never matched, so its rows were added again).
     */
    @Test
    void aFirstBuildWithADuplicateOrNullKeyFailsAsALaterRunDoes(DataSource ds) {
        String model = "{{ config(materialized='incremental', unique_key='id') }}\n";
        RunResults twice = run(ds, "ukd.t", model + "select * from (values (1, 'a'), (1, 'b'), (2, 'c')) v(id, v)");
        assertThat(twice.model("ukd.t").error()).hasValueSatisfying(e -> assertThat(e)
                .contains("duplicate unique_key in the new rows: id=1 appears 2 times; nothing was built"));
        assertThat(TestSql.strings(ds, "select count(*)::text from pg_class where relnamespace ="
                + " (select oid from pg_namespace where nspname = 'ukd')")).containsExactly("0");
        // a first snapshot likewise builds nothing, and says so (there is no table to be unchanged)
        RunResults snapshot = run(ds, "ukd.s", "{{ config(materialized='snapshot', unique_key='id', strategy='check',"
                + " check_cols='all') }}\nselect * from (values (1, 'a'), (1, 'b')) v(id, v)");
        assertThat(snapshot.model("ukd.s").error()).hasValueSatisfying(e -> assertThat(e)
                .endsWith("duplicate unique_key in the new rows: id=1 appears 2 times; nothing was built"));
        RunResults nulls = run(ds, "ukd.t", model + "select * from (values (1, 'a'), (null, 'b')) v(id, v)");
        assertThat(nulls.model("ukd.t").error()).hasValueSatisfying(e -> assertThat(e).contains("unique_key id is NULL in 1"
                + " new row(s): a later delete+insert cannot match a NULL key").endsWith("; nothing was built"));
        run(ds, "ukd.t", model + "select 1 as id, 'a' as v").assertSucceeded();
        RunResults rebuilt = TransformProject.builder(ds).model("ukd.t", model + "select * from (values (1, 'x'), (1, 'y')) v(id, v)")
                .fullRefresh(true).build().run();
        assertThat(rebuilt.model("ukd.t").error()).hasValueSatisfying(e -> assertThat(e).contains("duplicate unique_key"));
        assertThatTable(ds, "ukd.t").containsExactlyInAnyOrder(row(1, "a"));
    }

    @Test
    void aUniqueKeyTheModelDoesNotReturnFailsItsFirstBuildNotEveryLaterRun(DataSource ds) {
        // Id is id, as SQL folds an unquoted name, not the column "ID"
        String model = "{{ config(materialized='incremental', unique_key=['Id', 'day']) }}\nselect 1 as \"ID\", 'x' as v";
        RunResults first = run(ds, "uk.t", model);
        assertThat(first.model("uk.t").error()).hasValue("uk.t (model uk.t line 1): unique_key column(s) [Id, day] are not"
                + " columns of the model (it returns ID, v) (a name is matched exactly, or folded to lower case as SQL folds"
                + " an unquoted name: did you mean ID?), so no later run could match its new rows with the table's; nothing"
                + " was built");
        assertThat(TestSql.strings(ds, "select count(*)::text from pg_class where relname like 't%' and relnamespace ="
                + " (select oid from pg_namespace where nspname = 'uk')")).containsExactly("0");

        // a full rebuild is checked too, and leaves the table as it was
        run(ds, "uk.t", model.replace("['Id', 'day']", "'ID'")).assertSucceeded();
        RunResults rebuilt = TransformProject.builder(ds).model("uk.t", model).fullRefresh(true).build().run();
        assertThat(rebuilt.model("uk.t").error()).hasValueSatisfying(e -> assertThat(e).contains("[Id, day] are not columns"));
        assertThatTable(ds, "uk.t").containsExactlyInAnyOrder(row(1, "x"));
    }

    @Test
    void syncAllColumnsThatCannotConvertLeavesTheTableAsItWas(DataSource ds) {
        TableFixture.on(ds, "raw.sn").columns("id int", "v text").rows(row(1, "not a number"));
        String model = "{{ config(materialized='incremental', unique_key='id', on_schema_change='sync_all_columns') }}\n";
        run(ds, "sn.t", model + "select id, v from raw.sn").assertSucceeded();

        RunResults results = run(ds, "sn.t", model + "select id, 2 as v, 'new' as added from raw.sn");

        assertThat(results.model("sn.t").error()).hasValueSatisfying(e -> assertThat(e)
                .startsWith("sn.t (model sn.t): ERROR: invalid input syntax for type integer: \"not a number\""));
        assertThat(Db.columns(ds, "sn", "t")).containsExactly("id", "v");
        assertThatTable(ds, "sn.t").containsExactlyInAnyOrder(row(1, "not a number"));
    }

    @Test
    void ignoreWritesTheColumnsBothHave(DataSource ds) {
        TableFixture.on(ds, "raw.ig").columns("id int", "v int").rows(row(1, 1));
        String model = "{{ config(materialized='incremental', on_schema_change='ignore') }}\nselect id, v from raw.ig";
        run(ds, "ig.t", model).assertSucceeded();
        TestSql.sql(ds, "insert into raw.ig values (2, 2)");

        run(ds, "ig.t", model.replace("select id, v from raw.ig", "select id, 'x' as extra from raw.ig where id = 2"))
                .assertSucceeded();

        assertThat(Db.columns(ds, "ig", "t")).containsExactly("id", "v");
        assertThatTable(ds, "ig.t").containsExactlyInAnyOrder(row(1, 1), row(2, null));
        RunResults none = run(ds, "ig.t", model.replace("select id, v from raw.ig", "select 1 as other"));
        assertThat(none.model("ig.t").error()).hasValue("ig.t (model ig.t): the new rows have no column of the table"
                + " (new rows: other; table: id, v); the table is unchanged");
    }

    @Test
    void badStrategyOrSchemaChangeConfigIsRefusedWithItsLine(DataSource ds) {
        assertThatThrownBy(() -> run(ds, "b.t", "\n{{ config(materialized='incremental', incremental_strategy='insert_overwrite') }}\nselect 1 as id"))
                .isInstanceOf(BadInputException.class)
                .hasMessage("model b.t line 2: incremental_strategy=insert_overwrite is not supported (use 'append',"
                        + " 'delete+insert' or 'merge')");
        assertThatThrownBy(() -> run(ds, "b.t", "{{ config(materialized='incremental', incremental_strategy='merge') }} select 1 as id"))
                .hasMessage("model b.t line 1: incremental_strategy='merge' needs a unique_key to match the new rows"
                        + " with the table's");
        assertThatThrownBy(() -> run(ds, "b.t", "{{ config(materialized='incremental', unique_key='id',"
                + " incremental_strategy='append') }} select 1 as id"))
                .hasMessage("model b.t line 1: incremental_strategy='append' inserts every new row: it does not use the"
                        + " unique_key [id] (remove one of them)");
        assertThatThrownBy(() -> run(ds, "b.t", "{{ config(materialized='table', on_schema_change='ignore') }} select 1 as id"))
                .hasMessage("model b.t line 1: on_schema_change applies only to materialized='incremental'");
        assertThatThrownBy(() -> run(ds, "b.t", "{{ config(materialized='incremental', on_schema_change='sync') }} select 1"))
                .hasMessage("model b.t line 1: on_schema_change=sync is not supported (use 'fail', 'ignore',"
                        + " 'append_new_columns' or 'sync_all_columns')");
    }

    @Test
    void mergeUpdateAndExcludeColumnsChooseWhatAMatchUpdates(DataSource ds) {
        TableFixture.on(ds, "raw.mu").columns("id int", "v text", "first_seen date", "hits int")
                .rows(row(1, "a", java.time.LocalDate.of(2024, 1, 1), 1));
        String update = "{{ config(materialized='incremental', unique_key='id', incremental_strategy='merge',"
                + " merge_update_columns=['v', 'hits']) }}\nselect * from raw.mu";
        String exclude = "{{ config(materialized='incremental', unique_key='id', incremental_strategy='merge',"
                + " merge_exclude_columns=['first_seen']) }}\nselect * from raw.mu";
        run(ds, "mu.u", update).assertSucceeded();
        run(ds, "mu.e", exclude).assertSucceeded();
        TestSql.sql(ds, "update raw.mu set v = 'b', first_seen = '2024-06-01', hits = 2; insert into raw.mu values (2, 'c', '2024-06-01', 1)");
        TransformProject project = TransformProject.builder(ds).model("mu.u", update).model("mu.e", exclude).build();
        assertThat(project.sql()).contains("merge into \"mu\".\"u\" t using \"pg_temp\".\"u__mds_stage\" s on t.\"id\" = s.\"id\"\n"
                + "when matched then update set \"v\" = s.\"v\", \"hits\" = s.\"hits\"\n"
                + "when not matched then insert (\"id\", \"v\", \"first_seen\", \"hits\") values (s.\"id\", s.\"v\", s.\"first_seen\", s.\"hits\")");
        project.run().assertSucceeded();
        // the matched row keeps its first_seen; the new row is inserted whole
        for (String t : new String[] {"mu.u", "mu.e"}) {
            assertThat(TestSql.strings(ds, "select id || ' ' || v || ' ' || first_seen || ' ' || hits from " + t + " order by id"))
                    .containsExactly("1 b 2024-01-01 2", "2 c 2024-06-01 1");
        }

        // a column the merge does not write is refused at run time, the table unchanged
        String unknown = update.replace("['v', 'hits']", "['v', 'hitz']");
        assertThat(run(ds, "mu.u", unknown).model("mu.u").error()).hasValue("mu.u (model mu.u line 1): merge_update_columns names"
                + " [hitz], not written by the merge (it writes id, v, first_seen, hits); the table is unchanged");
        // and on a first build, which would otherwise build the table for every later run to fail (as before)
        RunResults first = run(ds, "mu.n", unknown.replace("hitz", "hitz2"));
        assertThat(first.model("mu.n").error()).hasValue("mu.n (model mu.n line 1): merge_update_columns names"
                + " [hitz2], not written by the merge (it writes id, v, first_seen, hits); nothing was built");
        assertThat(TestSql.strings(ds, "select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace"
                + " where n.nspname = 'mu' and c.relname like 'n%'")).containsExactly("0");
        // and at build(): with another strategy, both at once, or a key to update
        assertThatThrownBy(() -> TransformProject.builder(ds).model("mu.x", update.replace("incremental_strategy='merge'",
                "incremental_strategy='delete+insert'")).build()).isInstanceOf(BadInputException.class)
                .hasMessage("model mu.x line 1: merge_update_columns applies only to incremental_strategy='merge'");
        assertThatThrownBy(() -> TransformProject.builder(ds).model("mu.x", update.replace("merge_update_columns=['v', 'hits']",
                "merge_update_columns=['v'], merge_exclude_columns=['hits']")).build())
                .hasMessage("model mu.x line 1: merge_update_columns and merge_exclude_columns cannot both be set (one lists"
                        + " the columns a match updates, the other those it leaves)");
        assertThatThrownBy(() -> TransformProject.builder(ds).model("mu.x", update.replace("['v', 'hits']", "['id', 'v']")).build())
                .hasMessage("model mu.x line 1: merge_update_columns names the unique_key [id]: a match never changes its key");
    }
}
