package dev.mds.quality;

import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.testing.MdsPostgres;
import dev.mds.testing.SeedData;
import dev.mds.testing.TableFixture;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * {@code relationships(...).parentWhere(condition)}: dbt-utils' {@code relationships_where} with a {@code to_condition},
 * over the SaaS product project's subscriptions and users.
 */
@MdsPostgres
class ParentWhereTest {

    private static long scalar(DataSource ds, String query) throws SQLException {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(query)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void childValuesWhoseOnlyParentsFailTheConditionAreOrphansAsInDbtUtilsRelationshipsWhere(DataSource ds) throws Exception {
        TableFixture.on(ds, "raw.subscriptions").csv(SeedData.file("000-saas-product/subscriptions.csv"));
        TableFixture.on(ds, "raw.users").csv(SeedData.file("000-saas-product/users.csv"));
        sql(ds, "create schema audit_p");
        // dbt-utils' relationships_where(to='raw.users', field='user_id', from_condition='paid', to_condition=...)
        long dbtUtils = scalar(ds, "with left_table as (select user_id as id from raw.subscriptions where user_id is not null"
                + " and (paid = 'true')), right_table as (select user_id as id from raw.users where user_id is not null and"
                + " (name <> 'Jane Doe')), exceptions as (select left_table.id, right_table.id as right_id from left_table"
                + " left join right_table on left_table.id = right_table.id where right_table.id is null)"
                + " select count(*) from exceptions");
        assertThat(dbtUtils).isEqualTo(4);   // Jane Doe's paid subscriptions

        QualityReport r = QualitySuite.on(ds).storeFailures("audit_p").table("raw.subscriptions", t -> t.key("id")
                .where("paid = 'true'")
                .relationships("user_id", "raw.users", "user_id").parentWhere("name <> 'Jane Doe'")
                .relationships("user_id", "raw.users", "user_id").id("all_users"))
                .run();
        CheckResult rel = r.check("raw.subscriptions", "relationships_user_id").orElseThrow();
        assertThat(rel.status()).isEqualTo(Status.FAIL);
        assertThat(rel.failingRows()).isEqualTo(dbtUtils);
        assertThat(rel.observed()).isEqualTo("4 of 12 rows have no user_id in raw.users where name <> 'Jane Doe'");
        assertThat(rel.samples()).extracting(m -> m.get("user_id")).containsOnly("2");
        assertThat(scalar(ds, "select count(*) from " + rel.failuresTable())).isEqualTo(4);
        assertThat(r.check("raw.subscriptions", "all_users").orElseThrow().status()).isEqualTo(Status.PASS);
    }

    @Test
    void aParentWhereOnAParentOfAnotherTypeAndItsErrorsNameTheCheck(DataSource ds) {
        sql(ds, "create table kids (id int, parent_id bigint)", "insert into kids values (1, 1), (2, 2), (3, null)",
                "create table parents (id numeric, active boolean)", "insert into parents values (1, true), (2, false)");
        QualityReport r = QualitySuite.on(ds).table("kids", t -> t
                .relationships("parent_id", "parents", "id").parentWhere("active")
                .relationships("parent_id", "parents", "id").parentWhere("no_such_column").id("broken"))
                .run();
        assertThat(r.checks().get(0).failingRows()).isEqualTo(1);
        assertThat(r.checks().get(0).checkedRows()).isEqualTo(3);
        assertThat(r.checks().get(1).status()).isEqualTo(Status.ERROR);
        assertThat(r.checks().get(1).message()).contains("check broken", "public.kids", "no_such_column");
        assertThatThrownBy(() -> QualitySuite.on(ds).table("kids", t -> t.notNull("id").parentWhere("true")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not_null_id");
        assertThatThrownBy(() -> QualitySuite.on(ds).table("kids", t -> t.relationships("parent_id", "parents", "id")
                .parentWhere(" "))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty");
    }
}
