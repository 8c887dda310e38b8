package dev.mds.testing;

import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** {@code @MdsPostgres(role = OWNER)}: the tests connect as a login role that owns the database and is no superuser. */
@MdsPostgres(role = MdsPostgres.Role.OWNER)
class OwnerRoleTest {
    @Test
    void connectsAsANonSuperuserOwningTheDatabase(DataSource ds, TestDatabase db) {
        assertThat(db.ownedByLoginRole()).isTrue();
        assertThat(strings(ds, "select current_user")).containsExactly(db.user());
        assertThat(strings(ds, "select rolsuper or rolcreatedb or rolcreaterole or rolreplication or rolbypassrls"
                + " from pg_roles where rolname = current_user")).containsExactly("f");
        assertThat(strings(ds, "select pg_get_userbyid(datdba) from pg_database where datname = current_database()"))
                .containsExactly(db.user());
    }

    @Test
    void mayCreateSchemasTablesAndTemporaryTablesButNotRunSuperuserStatements(DataSource ds) {
        sql(ds, "create schema raw", "create table raw.t (id int)", "create table public.p (id int)",
                "create temporary table tmp (id int)");
        assertThatThrownBy(() -> sql(ds, "checkpoint")).hasMessageContaining("permission denied");
        assertThatThrownBy(() -> sql(ds, "create role someone")).hasMessageContaining("permission denied");
    }

    @Test
    void theAdminDataSourceConnectsAsTheServersUser(TestDatabase db) {
        assertThat(strings(db.adminDataSource(), "select current_user")).containsExactly(db.server().user());
        assertThat(db.adminDataSource()).isNotSameAs(db.dataSource());
    }

    @Test
    void droppingTheDatabaseDropsItsRole(TestDatabase db) {
        TestDatabase other = db.server().createOwnedDatabase(db.name() + "_other");
        sql(other.dataSource(), "create schema s", "create table s.t (id int)");
        String role = other.user();
        other.drop();
        assertThat(strings(db.adminDataSource(), "select count(*) from pg_roles where rolname = '" + role + "'"))
                .isEqualTo(List.of("0"));
    }
}
