package dev.mds.transform;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TableFixture;
import dev.mds.testing.TestSql;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A view model over a table model that the run rebuilds: the table's swap keeps the view as it was (created again over
 * the new table, in a savepoint) until the view's own build replaces it, so a view model that then fails or is skipped
 * is left as it was. When the old definition no longer fits the new table, the view is dropped after all and its own
 * build creates it again, with its grants and comments.
 */
@MdsPostgres
class ViewModelsOverSwapsTest {
    private static final String TABLE = "{{ config(materialized='table') }}\n";

    @BeforeEach
    void dropTheSchema(DataSource ds) {
        TestSql.sql(ds, "drop schema if exists vs cascade");
    }

    private static RunResults run(DataSource ds, String table, String view) {
        return TransformProject.builder(ds).model("vs.t", TABLE + table).model("vs.v", view).build().run();
    }

    @Test
    void aViewModelWhoseNewSqlFailsKeepsItsOldViewOverTheNewTable(DataSource ds) {
        run(ds, "select 1 as id, 10 as amount", "select id, amount * 2 as twice from {{ ref('vs.t') }}").assertSucceeded();
        String oid = TestSql.strings(ds, "select 'vs.v'::regclass::oid::text").get(0);

        RunResults r = run(ds, "select 1 as id, 10 as amount union all select 2, 20",
                "select id, no_such_column from {{ ref('vs.t') }}");

        assertThat(r.model("vs.t").status()).isEqualTo(ModelStatus.SUCCESS);
        assertThat(r.model("vs.t").keptViews()).as("the views of models rebuilt after it are not listed").isEmpty();
        assertThat(r.model("vs.v").status()).isEqualTo(ModelStatus.ERROR);
        assertThat(r.model("vs.v").error()).hasValueSatisfying(e -> assertThat(e).contains("no_such_column"));
        // the old view (created again: a new oid), reading the new table
        assertThatTable(ds, "vs.v").containsExactlyInAnyOrder(row(1, 20), row(2, 40));
        assertThat(TestSql.strings(ds, "select 'vs.v'::regclass::oid::text").get(0)).isNotEqualTo(oid);
    }

    @Test
    void aViewModelSkippedAfterItsTableFailedIsAsItWas(DataSource ds) {
        run(ds, "select 1 as id", "select id from {{ ref('vs.t') }}").assertSucceeded();

        RunResults r = run(ds, "select 1 / 0 as id", "select id, 'new' as tag from {{ ref('vs.t') }}");

        assertThat(r.model("vs.t").status()).isEqualTo(ModelStatus.ERROR);
        assertThat(r.model("vs.v").status()).isEqualTo(ModelStatus.SKIPPED);
        assertThat(Db.columns(ds, "vs", "v")).containsExactly("id");
        assertThatTable(ds, "vs.v").containsExactlyInAnyOrder(row(1));
    }

    @Test
    void aViewModelChangedWithTheColumnItReadsIsDroppedByTheSwapAndBuiltAgainWithItsGrantsAndComment(DataSource ds) {
        Db.roles(ds, "mds_vs_reader");
        run(ds, "select 1 as id, 'x'::text as gone", "select id, gone from {{ ref('vs.t') }}").assertSucceeded();
        TestSql.sql(ds, "grant usage on schema vs to mds_vs_reader", "grant select on vs.v to mds_vs_reader",
                "comment on view vs.v is 'kept through rebuilds'");

        // the old view reads vs.t.gone, which the new table lacks: it cannot be kept, and its model replaces it
        RunResults r = run(ds, "select 2 as id", "select id, id * 10 as tens from {{ ref('vs.t') }}").assertSucceeded();

        assertThat(r.model("vs.t").keptViews()).isEmpty();
        assertThat(Db.columns(ds, "vs", "v")).containsExactly("id", "tens");
        assertThatTable(ds, "vs.v").containsExactlyInAnyOrder(row(2, 20));
        assertThat(TestSql.strings(ds, "select has_table_privilege('mds_vs_reader', 'vs.v', 'select')::text"))
                .containsExactly("true");
        assertThat(TestSql.strings(ds, "select obj_description('vs.v'::regclass, 'pg_class')"))
                .containsExactly("kept through rebuilds");
    }

    @Test
    void aViewModelThatNoLongerFitsAndThenFailsIsMissingButTheTableIsBuilt(DataSource ds) {
        run(ds, "select 1 as id, 'x'::text as gone", "select id, gone from {{ ref('vs.t') }}").assertSucceeded();

        RunResults r = run(ds, "select 2 as id", "select id, gone from {{ ref('vs.t') }}");

        // the one case left as dbt leaves every case: the old view cannot stand over the new table
        assertThat(r.model("vs.t").status()).isEqualTo(ModelStatus.SUCCESS);
        assertThat(r.model("vs.v").status()).isEqualTo(ModelStatus.ERROR);
        assertThat(r.model("vs.v").error()).hasValueSatisfying(e -> assertThat(e).contains("gone"));
        assertThatTable(ds, "vs.t").containsExactlyInAnyOrder(row(2));
        assertThat(TestSql.strings(ds, "select count(*)::text from pg_class where oid = to_regclass('vs.v')"))
                .containsExactly("0");
    }

    @Test
    void aHandMadeViewOverAViewModelThatNoLongerFitsFailsTheTableAndChangesNothing(DataSource ds) {
        run(ds, "select 1 as id, 'x'::text as gone", "select id, gone from {{ ref('vs.t') }}").assertSucceeded();
        TestSql.sql(ds, "create view vs.report as select count(*) as n from vs.v");

        RunResults r = run(ds, "select 2 as id", "select id from {{ ref('vs.t') }}");

        // vs.v could be dropped until its build, but vs.report reads it and no model builds vs.report again
        assertThat(r.model("vs.t").status()).isEqualTo(ModelStatus.ERROR);
        assertThat(r.model("vs.t").error()).hasValueSatisfying(e -> assertThat(e).contains("cannot keep view vs.report",
                "nothing was changed"));
        assertThat(r.model("vs.v").status()).isEqualTo(ModelStatus.SKIPPED);
        assertThatTable(ds, "vs.t").containsExactlyInAnyOrder(row(1, "x"));
        assertThatTable(ds, "vs.v").containsExactlyInAnyOrder(row(1, "x"));
        assertThatTable(ds, "vs.report").containsExactlyInAnyOrder(row(1L));
    }

    /** Before, the table's {@code drop ... cascade} took the view model along, and with it, silently, the function. */
    @Test
    void aFunctionOverAViewModelsRowTypeFailsTheTableNamingItAndIsNotDropped(DataSource ds) {
        run(ds, "select 1 as id", "select id from {{ ref('vs.t') }}").assertSucceeded();
        TestSql.sql(ds, "create function vs.all_v() returns setof vs.v language sql as 'select * from vs.v'");

        RunResults r = run(ds, "select 2 as id", "select id from {{ ref('vs.t') }}");

        assertThat(r.model("vs.t").status()).isEqualTo(ModelStatus.ERROR);
        assertThat(r.model("vs.t").error()).hasValueSatisfying(e -> assertThat(e).contains("vs.v", "function vs.all_v()"));
        assertThat(TestSql.strings(ds, "select id::text from vs.all_v()")).containsExactly("1");
    }

    @Test
    void sqlShowsTheViewModelCreatedAgainInASavepoint(DataSource ds) {
        run(ds, "select 1 as id", "select id from {{ ref('vs.t') }}").assertSucceeded();
        TransformProject project = TransformProject.builder(ds).model("vs.t", TABLE + "select 1 as id")
                .model("vs.v", "select id from {{ ref('vs.t') }}").build();

        List<String> sql = project.sql();

        assertThat(sql).containsSubsequence("drop table \"vs\".\"t__mds_backup\" cascade", "savepoint mds_keep_view",
                "create view \"vs\".\"v\" as\nSELECT id\n   FROM vs.t", "release savepoint mds_keep_view",
                "create view \"vs\".\"v__mds_tmp\" as\nselect id from \"vs\".\"t\"");
        project.run().assertSucceeded();
        assertThat(project.sql()).isEqualTo(sql);
    }

    /**
     * A view model over two table models swapped at the same time: each swap keeps it, locking both tables in one
     * order, so they take turns instead of deadlocking.
     */
    @Test
    void aViewModelOverTwoTablesSwappedAtTheSameTimeIsKeptByBothAndThenRebuilt(DataSource ds) {
        TableFixture.on(ds, "raw.vs_src").columns("id int").rows(row(1), row(2));
        TransformProject project = TransformProject.builder(ds).threads(2)
                .model("vs.a", TABLE + "select id from raw.vs_src")
                .model("vs.b", TABLE + "select id, 'b' || id as name from raw.vs_src")
                .model("vs.ab", "select a.id, b.name from {{ ref('vs.a') }} a join {{ ref('vs.b') }} b using (id)")
                .build();
        project.run().assertSucceeded();
        TestSql.sql(ds, "insert into raw.vs_src values (3)");

        for (int i = 0; i < 3; i++) {
            project.run().assertSucceeded();
        }

        assertThatTable(ds, "vs.ab").containsExactlyInAnyOrder(row(1, "b1"), row(2, "b2"), row(3, "b3"));
    }
}
