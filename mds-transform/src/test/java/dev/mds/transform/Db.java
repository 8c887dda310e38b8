package dev.mds.transform;

import dev.mds.testing.TestSql;
import java.util.List;
import javax.sql.DataSource;

/** The transform tests' catalog look-up (plain SQL is {@link TestSql}). */
final class Db {
    private Db() {
    }

    /** Creates the roles if missing: roles belong to the server, not to a test's database, so any class may come first. */
    static void roles(DataSource ds, String... names) {
        for (String name : names) {
            TestSql.sql(ds, "do $$ begin create role " + name + "; exception when duplicate_object then null; end $$");
        }
    }

    /**
     * The grants on a relation to roles other than its owner, {@code role=PRIV,PRIV} (PUBLIC for PUBLIC, {@code *}
     * after a privilege held with grant option), sorted, space-separated.
     */
    static String acl(DataSource ds, String relation) {
        return String.join(" ", TestSql.strings(ds, "select coalesce(r.rolname, 'PUBLIC') || '=' || string_agg(a.privilege_type"
                + " || case when a.is_grantable then '*' else '' end, ',' order by a.privilege_type)"
                + " from pg_class c cross join lateral aclexplode(c.relacl) a left join pg_roles r on r.oid = a.grantee"
                + " where c.oid = '" + relation + "'::regclass and a.grantee <> c.relowner group by r.rolname order by 1"));
    }

    /** The columns of a table or view, in order. */
    static List<String> columns(DataSource ds, String schema, String table) {
        return TestSql.strings(ds, "select column_name from information_schema.columns where table_schema = '" + schema
                + "' and table_name = '" + table + "' order by ordinal_position");
    }
}
