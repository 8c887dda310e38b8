package dev.mds.transform;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.BadInputException;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TableFixture;
import dev.mds.testing.TestSql;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * unique_key, updated_at and check_cols as dbt writes them into its SQL, unquoted: {@code 'ID'} is the column
 * {@code id}, as PostgreSQL folds an unquoted name; a column named exactly as written still wins.
 */
@MdsPostgres
class UnquotedConfigNamesTest {

    private static RunResults run(DataSource ds, String name, String sql) {
        return TransformProject.builder(ds).model(name, sql).build().run();
    }

    @Test
    void incrementalMergeAndDeleteInsertMatchAUniqueKeyWrittenInUpperCaseAsPostgresFoldsIt(DataSource ds) {
        TableFixture.on(ds, "rawuq.m").columns("id int", "v text").rows(row(1, "a"), row(2, "b"));
        for (String strategy : List.of("merge", "delete+insert")) {
            String schema = strategy.equals("merge") ? "uqm" : "uqd";
            String model = "{{ config(materialized='incremental', unique_key='ID', incremental_strategy='" + strategy
                    + "') }}\nselect id, v from rawuq.m";
            run(ds, schema + ".t", model).assertSucceeded();
            assertThatTable(ds, schema + ".t").containsExactlyInAnyOrder(row(1, "a"), row(2, "b"));
        }
        TestSql.sql(ds, "update rawuq.m set v = 'B' where id = 2; insert into rawuq.m values (3, 'c')");
        for (String strategy : List.of("merge", "delete+insert")) {
            String schema = strategy.equals("merge") ? "uqm" : "uqd";
            String model = "{{ config(materialized='incremental', unique_key='ID', incremental_strategy='" + strategy
                    + "') }}\nselect id, v from rawuq.m";
            TransformProject project = TransformProject.builder(ds).model(schema + ".t", model).build();
            assertThat(project.sql()).anySatisfy(s -> assertThat(s).contains(strategy.equals("merge")
                    ? "merge into \"uqm\".\"t\" t using \"pg_temp\".\"t__mds_stage\" s on t.\"id\" = s.\"id\"\n"
                            + "when matched then update set \"v\" = s.\"v\""
                    : "delete from \"uqd\".\"t\" t using \"pg_temp\".\"t__mds_stage\" s where t.\"id\" = s.\"id\""));
            project.run().assertSucceeded();
            assertThatTable(ds, schema + ".t").containsExactlyInAnyOrder(row(1, "a"), row(2, "B"), row(3, "c"));
        }
    }

    @Test
    void snapshotConfigNamesInAnotherCaseResolveAsPostgresFoldsThem(DataSource ds) {
        TestSql.sql(ds, "create schema rawus; create table rawus.customers (id int, name text, updated_at timestamp);"
                + " insert into rawus.customers values (1, 'Ann', '2024-01-01'), (2, 'Bob', '2024-01-01')");
        String timestamp = "{{ config(materialized='snapshot', unique_key='ID', strategy='timestamp',"
                + " updated_at='Updated_At') }}\nselect * from rawus.customers";
        String check = "{{ config(materialized='snapshot', unique_key='ID', strategy='check', check_cols=['Name']) }}\n"
                + "select id, name from rawus.customers";
        TransformProject first = TransformProject.builder(ds).model("uss.ts", timestamp).model("uss.ck", check).build();
        // a first build's statements: the query's columns are not known yet, so the names are folded as SQL folds them
        assertThat(first.sql()).anySatisfy(s -> assertThat(s).startsWith("create table \"uss\".\"ts\" as\nselect s.*,"
                + " md5(coalesce(cast(s.\"id\" as varchar), '') || '|' || coalesce(cast(s.\"updated_at\" as varchar), ''))"));
        first.run().assertSucceeded();

        TestSql.sql(ds, "update rawus.customers set name = 'Anne', updated_at = '2024-02-01' where id = 1");
        TransformProject later = TransformProject.builder(ds).model("uss.ts", timestamp).model("uss.ck", check).build();
        assertThat(later.sql()).anySatisfy(s -> assertThat(s).startsWith("update \"uss\".\"ts\" t set \"dbt_valid_to\""
                + " = s.\"updated_at\"\nfrom \"pg_temp\".\"ts__mds_stage\" s\nwhere t.\"id\" = s.\"id\""))
                .anySatisfy(s -> assertThat(s).startsWith("update \"uss\".\"ck\" t set")
                        .contains("where t.\"id\" = s.\"id\"").contains("(t.\"name\" is distinct from s.\"name\")"));
        RunResults second = later.run();
        second.assertSucceeded();
        assertThat(second.model("uss.ts").rows()).hasValue(1);
        assertThat(second.model("uss.ck").rows()).hasValue(1);
        for (String table : List.of("uss.ts", "uss.ck")) {
            assertThat(TestSql.strings(ds, "select id || ' ' || name || ' ' || (dbt_valid_to is null) from " + table
                    + " order by id, dbt_valid_from")).containsExactly("1 Ann false", "1 Anne true", "2 Bob true");
        }
    }

    @Test
    void aColumnNamedExactlyAsTheUniqueKeyIsWrittenWinsOverTheFoldedName(DataSource ds) {
        // a query may return both "ID" (quoted) and id: 'ID' names the first, as a quoted name would
        String model = "{{ config(materialized='incremental', unique_key='ID', incremental_strategy='merge') }}\n"
                + "select * from (values (1, 10, 'a'), (2, 10, 'b')) v(\"ID\", id, v)";
        run(ds, "uqx.t", model).assertSucceeded();
        TransformProject project = TransformProject.builder(ds).model("uqx.t", model).build();
        assertThat(project.sql()).anySatisfy(s -> assertThat(s).contains("on t.\"ID\" = s.\"ID\""));
        project.run().assertSucceeded();
        assertThat(TestSql.strings(ds, "select \"ID\" || ' ' || id || ' ' || v from uqx.t order by 1"))
                .containsExactly("1 10 a", "2 10 b");
    }

    @Test
    void anSqlExpressionAsUniqueKeyIsRefusedByMergeAndSnapshotsSayingToListItsColumns(DataSource ds) {
        // dbt's merge writes DBT_INTERNAL_SOURCE.id || '-' || region = DBT_INTERNAL_DEST.id || '-' || region, where
        // region is ambiguous: an expression works with delete+insert only
        RunResults merge = run(ds, "uqe.t", "{{ config(materialized='incremental', unique_key=\"id || '-' || region\","
                + " incremental_strategy='merge') }}\nselect 1 as id, 'eu' as region");
        assertThat(merge.model("uqe.t").error()).hasValueSatisfying(e -> assertThat(e).contains("(if id || '-' || region"
                + " is an SQL expression, as dbt allows: mds takes one with incremental_strategy='delete+insert' only, as"
                + " dbt, whose merge writes DBT_INTERNAL_SOURCE.<key> = DBT_INTERNAL_DEST.<key>, which fails for an"
                + " expression; list the columns it combines, unique_key=[...])"));
        RunResults snapshot = run(ds, "uqe.s", "{{ config(materialized='snapshot', unique_key=\"id || '-' || region\","
                + " strategy='check', check_cols='all') }}\nselect 1 as id, 'eu' as region");
        assertThat(snapshot.model("uqe.s").error()).hasValueSatisfying(e -> assertThat(e).contains("(if id || '-' ||"
                + " region is an SQL expression, as dbt allows: an mds snapshot takes column names only; list the columns"
                + " it combines, unique_key=[...])"));
        assertThatTable(ds, "uqe.t").doesNotExist();
        assertThatTable(ds, "uqe.s").doesNotExist();
    }

    @Test
    void anSqlExpressionAsUniqueKeyMatchesRowsWithDeleteInsertAsDbtWritesIt(DataSource ds) {
        // dbt-postgres's default strategy with a unique_key: delete from t where (key) in (select distinct key from
        // stage), the key written as it is, so dbt's older unique_key="id || '-' || day" works, alone or in a list
        TestSql.sql(ds, "create schema rawxk; create table rawxk.s (id int, day date, region text, v text);"
                + " insert into rawxk.s values (1, '2024-01-01', 'EU', 'a'), (1, '2024-01-02', 'EU', 'b'),"
                + " (2, '2024-01-01', 'US', 'c')");
        String one = "{{ config(materialized='incremental', unique_key=\"id || '-' || day\") }}\n"
                + "select * from rawxk.s{% if is_incremental() %} where v >= 'b'{% endif %}";
        String list = "{{ config(materialized='incremental', incremental_strategy='delete+insert',\n"
                + "    unique_key=['id', 'day', 'lower(region)']) }}\n"
                + "select * from rawxk.s{% if is_incremental() %} where v >= 'b'{% endif %}";
        TransformProject.Builder builder = TransformProject.builder(ds).model("xk.one", one).model("xk.list", list);
        builder.build().run().assertSucceeded();
        TestSql.sql(ds, "update rawxk.s set v = v || '2' where v <> 'a'; insert into rawxk.s values (3, '2024-01-01', 'EU', 'd')");

        TransformProject project = builder.build();
        assertThat(project.sql()).contains("delete from \"xk\".\"one\" as DBT_INTERNAL_DEST\nwhere ((id || '-' || day))"
                + " in (select (id || '-' || day) from \"pg_temp\".\"one__mds_stage\" as DBT_INTERNAL_SOURCE)")
                .contains("delete from \"xk\".\"list\" as DBT_INTERNAL_DEST\nwhere (\"id\", \"day\", (lower(region)))"
                        + " in (select \"id\", \"day\", (lower(region)) from \"pg_temp\".\"list__mds_stage\" as"
                        + " DBT_INTERNAL_SOURCE)");
        RunResults second = project.run();
        second.assertSucceeded();
        assertThat(second.model("xk.one").rows()).hasValue(3);
        for (String t : List.of("xk.one", "xk.list")) {
            assertThat(TestSql.strings(ds, "select id || ' ' || day || ' ' || v from " + t + " order by 1"))
                    .containsExactly("1 2024-01-01 a", "1 2024-01-02 b2", "2 2024-01-01 c2", "3 2024-01-01 d");
        }

        // a key value twice, or an expression the rows cannot evaluate: refused, the table unchanged, as for columns
        TestSql.sql(ds, "insert into rawxk.s values (3, '2024-01-01', 'US', 'e')");
        RunResults twice = TransformProject.builder(ds).model("xk.one", one).build().run();
        assertThat(twice.model("xk.one").error()).hasValueSatisfying(e -> assertThat(e).contains("duplicate unique_key"
                + " in the new rows: id || '-' || day=3-2024-01-01 appears 2 times; the table is unchanged"));
        RunResults wrong = TransformProject.builder(ds).model("xk.bad", one.replace("day\"", "dya\"")).build().run();
        assertThat(wrong.model("xk.bad").error()).hasValueSatisfying(e -> assertThat(e).startsWith("xk.bad (model xk.bad"
                + " line 1): unique_key id || '-' || dya cannot be evaluated on the model's rows (id, day, region, v):"
                + " ERROR: column \"dya\" does not exist").endsWith("; nothing was built"));
        assertThatTable(ds, "xk.bad").doesNotExist();
        assertThat(TestSql.strings(ds, "select count(*) from xk.one")).containsExactly("4");
    }

    @Test
    void onlyAsciiLettersAreFoldedAsPostgresFoldsAnUnquotedNameInUtf8(DataSource ds) {
        // PostgreSQL reads select 1 as ÉID as the column Éid: É stays, ID is folded
        String model = "{{ config(materialized='incremental', unique_key='ÉID', incremental_strategy='merge') }}\n"
                + "select 1 as ÉID, 'a' as v";
        run(ds, "uqu.t", model).assertSucceeded();
        TransformProject project = TransformProject.builder(ds).model("uqu.t", model).build();
        assertThat(project.sql()).anySatisfy(s -> assertThat(s).contains("on t.\"Éid\" = s.\"Éid\""));
        project.run().assertSucceeded();
        assertThat(TestSql.strings(ds, "select \"Éid\" || ' ' || v from uqu.t")).containsExactly("1 a");
        // éid is not Éid: refused, as the server would refuse it unquoted
        assertThat(run(ds, "uqu.u", model.replace("'ÉID'", "'éid'")).model("uqu.u").error())
                .hasValueSatisfying(e -> assertThat(e).contains("unique_key column(s) [éid] are not columns of the model"));
    }

    @Test
    void mergeUpdateAndExcludeColumnsInAnotherCaseResolveAsPostgresFoldsThem(DataSource ds) {
        // dbt writes merge_update_columns into its SQL unquoted, and compares merge_exclude_columns ignoring case
        TableFixture.on(ds, "rawuc.mu").columns("id int", "v text", "first_seen date", "hits int")
                .rows(row(1, "a", java.time.LocalDate.of(2024, 1, 1), 1));
        String update = "{{ config(materialized='incremental', unique_key='id', incremental_strategy='merge',"
                + " merge_update_columns=['V']) }}\nselect * from rawuc.mu";
        String exclude = "{{ config(materialized='incremental', unique_key='id', incremental_strategy='merge',"
                + " merge_exclude_columns=['First_Seen']) }}\nselect * from rawuc.mu";
        TransformProject.builder(ds).model("ucm.u", update).model("ucm.e", exclude).build().run().assertSucceeded();
        TestSql.sql(ds, "update rawuc.mu set v = 'b', first_seen = '2024-06-01', hits = 2");
        TransformProject project = TransformProject.builder(ds).model("ucm.u", update).model("ucm.e", exclude).build();
        assertThat(project.sql()).anySatisfy(s -> assertThat(s).contains("merge into \"ucm\".\"u\" t using"
                + " \"pg_temp\".\"u__mds_stage\" s on t.\"id\" = s.\"id\"\nwhen matched then update set \"v\" = s.\"v\"\n"))
                .anySatisfy(s -> assertThat(s).contains("merge into \"ucm\".\"e\" t using \"pg_temp\".\"e__mds_stage\" s on"
                        + " t.\"id\" = s.\"id\"\nwhen matched then update set \"v\" = s.\"v\", \"hits\" = s.\"hits\"\n"));
        project.run().assertSucceeded();
        assertThat(TestSql.strings(ds, "select v || ' ' || first_seen || ' ' || hits from ucm.u"))
                .containsExactly("b 2024-01-01 1");
        assertThat(TestSql.strings(ds, "select v || ' ' || first_seen || ' ' || hits from ucm.e"))
                .containsExactly("b 2024-01-01 2");
    }

    @Test
    void mergeExcludeColumnsMatchAColumnIgnoringCaseAsDbtComparesThem(DataSource ds) {
        // default__get_merge_update_columns: column.column | lower not in merge_exclude_columns | map("lower"), so
        // 'first_seen' (and 'FIRST_SEEN') exclude a column "First_Seen", which PostgreSQL's folding would not reach
        TestSql.sql(ds, "create schema rawux; create table rawux.s (id int, v text, \"First_Seen\" date);"
                + " insert into rawux.s values (1, 'a', '2024-01-01')");
        for (String name : List.of("first_seen", "FIRST_SEEN")) {
            String table = "ux." + name.charAt(0);
            String model = "{{ config(materialized='incremental', unique_key='id', incremental_strategy='merge',"
                    + " merge_exclude_columns=['" + name + "']) }}\nselect * from rawux.s";
            run(ds, table, model).assertSucceeded();
        }
        TestSql.sql(ds, "update rawux.s set v = 'b', \"First_Seen\" = '2024-06-01'");
        for (String name : List.of("first_seen", "FIRST_SEEN")) {
            String table = "ux." + name.charAt(0);
            String model = "{{ config(materialized='incremental', unique_key='id', incremental_strategy='merge',"
                    + " merge_exclude_columns=['" + name + "']) }}\nselect * from rawux.s";
            TransformProject project = TransformProject.builder(ds).model(table, model).build();
            assertThat(project.sql()).anySatisfy(s -> assertThat(s).contains("when matched then update set \"v\" = s.\"v\"\n"));
            project.run().assertSucceeded();
            assertThat(TestSql.strings(ds, "select v || ' ' || \"First_Seen\" from " + table)).containsExactly("b 2024-01-01");
        }
    }

    @Test
    void aUniqueKeyColumnInMergeUpdateColumnsIsRefusedAlsoWhenWrittenInAnotherCase(DataSource ds) {
        // build() refuses merge_update_columns=['id'] with unique_key='id'; 'ID' is the same column once resolved
        String model = "{{ config(materialized='incremental', unique_key='id', incremental_strategy='merge',\n"
                + "    merge_update_columns=['ID', 'v']) }}\nselect 1 as id, 'a' as v";
        RunResults first = run(ds, "uk.t", model);
        assertThat(first.model("uk.t").error()).hasValue("uk.t (model uk.t line 1): merge_update_columns [ID, v] names"
                + " the unique_key column(s) [id], a name being resolved as PostgreSQL resolves it unquoted: a match never"
                + " changes its key (leave it out); nothing was built");
        assertThatTable(ds, "uk.t").doesNotExist();
        TestSql.sql(ds, "create table uk.t as select 1 as id, 'a' as v");
        assertThat(run(ds, "uk.t", model).model("uk.t").error()).hasValueSatisfying(e -> assertThat(e)
                .contains("names the unique_key column(s) [id]").endsWith("; the table is unchanged"));
        assertThatTable(ds, "uk.t").containsExactlyInAnyOrder(row(1, "a"));
    }

    @Test
    void anSqlExpressionAsUniqueKeyLongerThanANameIsTakenAndOneThatIsNotOneExpressionIsRefusedAtBuild(DataSource ds) {
        String key = "coalesce(customer_id::text, '') || '-' || coalesce(order_date::text, '')";   // 70 bytes
        String model = "{{ config(materialized='incremental', unique_key=\"" + key + "\") }}\n"
                + "select 1 as customer_id, date '2024-01-01' as order_date, 'a' as v";
        TransformProject.builder(ds).model("xl.t", model).build().run().assertSucceeded();
        TransformProject.builder(ds).model("xl.t", model.replace("'a' as v", "'b' as v")).build().run().assertSucceeded();
        assertThat(TestSql.strings(ds, "select v from xl.t")).containsExactly("b");
        assertThatThrownBy(() -> TransformProject.builder(ds).model("xl.u", model.replace("''", "''); drop table x; --"))
                .build())
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("model xl.u line 1: unique_key 'coalesce(customer_id::text, ''); drop table x;")
                .hasMessageEndingWith("' is neither a column name (it is longer than 63 bytes) nor one SQL expression"
                        + " (no ';', no tag, no string, quoted name or comment left open, no -- comment)");
        // a shorter one may be a column's name: refused once the model's columns are known, before it is run
        RunResults shortOne = run(ds, "xl.v", "{{ config(materialized='incremental', unique_key='id; drop table xl.t')"
                + " }}\nselect 1 as id");
        assertThat(shortOne.model("xl.v").error()).hasValue("xl.v (model xl.v line 1): unique_key 'id; drop table xl.t'"
                + " is neither a column nor one SQL expression (no ';', no tag, no string, quoted name or comment left"
                + " open, no -- comment); nothing was built");
        assertThatTable(ds, "xl.v").doesNotExist();
        assertThatTable(ds, "xl.t").exists();
    }

    @Test
    void anSqlExpressionAsUniqueKeyOverAColumnTheTableGainsIsRefusedAsSuchAKeyColumnIs(DataSource ds) {
        // append_new_columns adds region NULL in the stored rows: id || '-' || region is NULL there, matches no new
        // row, and each stored row would stay beside its new version (dbt's outcome), as for a key column added so
        TestSql.sql(ds, "create schema rawxn; create table rawxn.s (id int, region text, v text);"
                + " insert into rawxn.s values (1, 'EU', 'a')");
        TransformProject.builder(ds).model("xn.t", "{{ config(materialized='incremental', unique_key='id') }}\n"
                + "select id, v from rawxn.s").build().run().assertSucceeded();
        TestSql.sql(ds, "update rawxn.s set v = 'b'");

        RunResults later = run(ds, "xn.t", "{{ config(materialized='incremental', unique_key=\"id || '-' || region\",\n"
                + "    on_schema_change='append_new_columns') }}\nselect id, v, region from rawxn.s");

        assertThat(later.model("xn.t").error()).hasValue("xn.t (model xn.t line 1): unique_key id || '-' || region is NULL"
                + " in 1 stored row(s) once column(s) [region] are added to the table (NULL in its rows): none of them"
                + " could match a new row, so each would stay beside its new version (rebuild the model with"
                + " fullRefresh(true)); the table is unchanged");
        assertThat(Db.columns(ds, "xn", "t")).containsExactly("id", "v");
        assertThat(TestSql.strings(ds, "select id || ' ' || v from xn.t")).containsExactly("1 a");
    }
}
