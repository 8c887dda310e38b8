package dev.mds.transform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.BadInputException;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestSql;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** dbt 1.9's dbt_valid_to_current: the value a current version's dbt_valid_to holds instead of NULL. */
@MdsPostgres
class SnapshotValidToCurrentTest {
    private static final String CURRENT = "dbt_valid_to_current=\"'9999-12-31'::date\"";

    private static String model(String schema, String extra) {
        return "{{ config(materialized='snapshot', unique_key='id', strategy='timestamp', updated_at='updated_at'"
                + extra + ") }}\nselect * from " + schema + ".customers";
    }

    private static void customers(DataSource ds, String schema) {
        TestSql.sql(ds, "create schema " + schema + "; create table " + schema + ".customers (id int, name text,"
                + " updated_at timestamp); insert into " + schema + ".customers values (1, 'Ann', '2024-01-01'),"
                + " (2, 'Bob', '2024-01-01')");
    }

    private static RunResults run(DataSource ds, String name, String sql) {
        return TransformProject.builder(ds).model(name, sql).build().run();
    }

    /** Every version as {@code id name valid_from..valid_to} (valid_to 'NULL' when NULL), in key and time order. */
    private static List<String> versions(DataSource ds, String table) {
        return TestSql.strings(ds, "select id || ' ' || name || ' ' || dbt_valid_from::date || '..'"
                + " || coalesce(dbt_valid_to::date::text, 'NULL') from " + table + " order by id, dbt_valid_from");
    }

    @Test
    void currentVersionsHoldTheConfiguredValueInEveryRun(DataSource ds) {
        customers(ds, "raw1");
        String model = model("raw1", ", " + CURRENT);
        TransformProject project = TransformProject.builder(ds).model("snap1.customers", model).build();
        assertThat(project.sql()).anySatisfy(s -> assertThat(s).contains("coalesce(nullif(s.\"updated_at\","
                + " s.\"updated_at\"), ('9999-12-31'::date)) as \"dbt_valid_to\""));
        project.run().assertSucceeded();
        assertThat(versions(ds, "snap1.customers")).containsExactly("1 Ann 2024-01-01..9999-12-31",
                "2 Bob 2024-01-01..9999-12-31");
        assertThat(TestSql.strings(ds, "select format_type(atttypid, atttypmod) from pg_attribute where attrelid ="
                + " 'snap1.customers'::regclass and attname = 'dbt_valid_to'")).containsExactly("timestamp without time zone");
        assertThat(project.sql()).anySatisfy(s -> assertThat(s).startsWith("update \"snap1\".\"customers\" t set")
                .contains("(t.\"dbt_valid_to\" is null or t.\"dbt_valid_to\" = ('9999-12-31'::date))"));

        assertThat(project.run().model("snap1.customers").rows()).hasValue(0);   // nothing changed, nothing added
        TestSql.sql(ds, "update raw1.customers set name = 'Anne', updated_at = '2024-02-01' where id = 1");
        assertThat(project.run().assertSucceeded().model("snap1.customers").rows()).hasValue(1);
        TestSql.sql(ds, "update raw1.customers set name = 'Annie', updated_at = '2024-03-01' where id = 1");
        assertThat(project.run().assertSucceeded().model("snap1.customers").rows()).hasValue(1);
        assertThat(versions(ds, "snap1.customers")).containsExactly("1 Ann 2024-01-01..2024-02-01",
                "1 Anne 2024-02-01..2024-03-01", "1 Annie 2024-03-01..9999-12-31", "2 Bob 2024-01-01..9999-12-31");
        assertThat(TestSql.strings(ds, "select count(*) from snap1.customers where dbt_valid_to is null")).containsExactly("0");
    }

    @Test
    void versionsWrittenBeforeTheConfigStayNullAndStillCountAsCurrent(DataSource ds) {
        customers(ds, "raw2");
        run(ds, "snap2.customers", model("raw2", "")).assertSucceeded();
        TestSql.sql(ds, "update raw2.customers set name = 'Anne', updated_at = '2024-02-01' where id = 1");
        RunResults later = run(ds, "snap2.customers", model("raw2", ", " + CURRENT)).assertSucceeded();
        assertThat(later.model("snap2.customers").rows()).hasValue(1);
        // as in dbt: Bob's version, written before, keeps its NULL; it is still his current one (no second version)
        assertThat(versions(ds, "snap2.customers")).containsExactly("1 Ann 2024-01-01..2024-02-01",
                "1 Anne 2024-02-01..9999-12-31", "2 Bob 2024-01-01..NULL");
        TestSql.sql(ds, "update raw2.customers set name = 'Robert', updated_at = '2024-03-01' where id = 2");
        run(ds, "snap2.customers", model("raw2", ", " + CURRENT)).assertSucceeded();
        assertThat(versions(ds, "snap2.customers")).containsExactly("1 Ann 2024-01-01..2024-02-01",
                "1 Anne 2024-02-01..9999-12-31", "2 Bob 2024-01-01..2024-03-01", "2 Robert 2024-03-01..9999-12-31");
    }

    @Test
    void hardDeletesEndCurrentVersionsAndADeletionVersionIsCurrentWithTheValue(DataSource ds) {
        customers(ds, "raw3");
        String invalidate = model("raw3", ", hard_deletes='invalidate', " + CURRENT);
        run(ds, "snap3.inv", invalidate).assertSucceeded();
        String newRecord = model("raw3", ", hard_deletes='new_record', dbt_valid_to_current=\"to_date('9999-12-31',"
                + " 'YYYY-MM-DD')\"");
        run(ds, "snap3.rec", newRecord).assertSucceeded();
        TestSql.sql(ds, "delete from raw3.customers where id = 2");
        run(ds, "snap3.inv", invalidate).assertSucceeded();
        assertThat(TestSql.strings(ds, "select id || ' ' || (dbt_valid_to::date = current_date) from snap3.inv order by id"))
                .containsExactly("1 false", "2 true");
        assertThat(run(ds, "snap3.rec", newRecord).model("snap3.rec").rows()).hasValue(1);
        assertThat(run(ds, "snap3.rec", newRecord).model("snap3.rec").rows()).hasValue(0);   // the deletion, once
        TestSql.sql(ds, "insert into raw3.customers values (2, 'Bobby', now())");
        assertThat(run(ds, "snap3.rec", newRecord).model("snap3.rec").rows()).hasValue(1);
        assertThat(TestSql.strings(ds, "select id || ' ' || name || ' ' || dbt_is_deleted || ' '"
                + " || (dbt_valid_to = '9999-12-31') from snap3.rec order by id, dbt_valid_from")).containsExactly(
                "1 Ann False true", "2 Bob False false", "2 Bob True false", "2 Bobby False true");
    }

    @Test
    void aRunInAnotherTimeZoneThanTheOneThatWroteATimestamptzValueFailsInsteadOfAddingSecondCurrentVersions(
            DataSource ds) {
        customers(ds, "raw4");
        String check = "{{ config(materialized='snapshot', unique_key='id', strategy='check', check_cols=['name'],"
                + " hard_deletes='invalidate', " + CURRENT + ") }}\nselect id, name from raw4.customers";
        DataSource utc = inTimeZone(ds, "UTC");
        DataSource newYork = inTimeZone(ds, "America/New_York");
        run(utc, "snap4.customers", check).assertSucceeded();   // dbt_valid_to is timestamptz: now() has a zone
        TestSql.sql(ds, "update raw4.customers set name = 'Anne' where id = 1");
        String versions = "select id || ' ' || name || ' ' || coalesce((dbt_valid_to at time zone 'UTC')::text, 'NULL')"
                + " from snap4.customers order by id, dbt_valid_from";
        List<String> before = TestSql.strings(ds, versions);

        // '9999-12-31'::date is another instant in New York: the stored values no longer equal it
        RunResults elsewhere = run(newYork, "snap4.customers", check);
        assertThat(elsewhere.model("snap4.customers").status()).isEqualTo(ModelStatus.ERROR);
        assertThat(elsewhere.model("snap4.customers").error().orElseThrow()).startsWith("snap4.customers (model"
                + " snap4.customers): the version of id=1 has dbt_valid_to 9999-12-31 00:00:00+00, later than now but not"
                + " dbt_valid_to_current ('9999-12-31'::date), which is 9999-12-31 05:00:00+00 in this session's time zone"
                + " America/New_York");
        assertThat(TestSql.strings(ds, versions)).isEqualTo(before);

        assertThat(run(utc, "snap4.customers", check).assertSucceeded().model("snap4.customers").rows()).hasValue(1);
        assertThat(TestSql.strings(ds, "select id || ' ' || name || ' ' || (dbt_valid_to = '9999-12-31 00:00:00+00')"
                + " from snap4.customers order by id, dbt_valid_from")).containsExactly("1 Ann false", "1 Anne true",
                "2 Bob true");
    }

    /** {@code ds} with each connection's session in {@code zone} (as a JVM in that zone would connect). */
    private static DataSource inTimeZone(DataSource ds, String zone) {
        return (DataSource) java.lang.reflect.Proxy.newProxyInstance(DataSource.class.getClassLoader(),
                new Class<?>[] {DataSource.class}, (proxy, method, args) -> {
                    Object result;
                    try {
                        result = method.invoke(ds, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (result instanceof java.sql.Connection c) {
                        try (java.sql.Statement st = c.createStatement()) {
                            st.execute("set time zone '" + zone + "'");
                        }
                    }
                    return result;
                });
    }

    @Test
    void badValuesAreRefusedAtBuildWithTheirLine(DataSource ds) {
        String snapshot = "{{ config(materialized='snapshot', unique_key='id', strategy='timestamp', updated_at='u',\n";
        assertThatThrownBy(() -> run(ds, "s.x", snapshot + "dbt_valid_to_current=\"'9999-12-31'; drop table t\") }}\nselect 1"))
                .isInstanceOf(BadInputException.class)
                .hasMessage("model s.x line 1: dbt_valid_to_current=\"'9999-12-31'; drop table t\" is not one SQL"
                        + " expression (no ';', no tag, no string, quoted name or comment left open, no -- comment)");
        assertThatThrownBy(() -> run(ds, "s.x", snapshot + "dbt_valid_to_current=\"'9999-12-31 -- open\") }}\nselect 1"))
                .isInstanceOf(BadInputException.class).hasMessageContaining("is not one SQL expression");
        assertThatThrownBy(() -> run(ds, "s.x", snapshot + "dbt_valid_to_current=\"null -- x\") }}\nselect 1"))
                .isInstanceOf(BadInputException.class).hasMessageContaining("is not one SQL expression");
        assertThatThrownBy(() -> run(ds, "s.x", snapshot + "dbt_valid_to_current=['a']) }}\nselect 1"))
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("model s.x line 1: dbt_valid_to_current is one SQL expression");
        assertThatThrownBy(() -> run(ds, "s.x", "{{ config(materialized='table',\n dbt_valid_to_current='now()') }}\nselect 1"))
                .isInstanceOf(BadInputException.class)
                .hasMessage("model s.x line 1: dbt_valid_to_current applies only to materialized='snapshot'");
    }
}
