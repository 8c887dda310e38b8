package dev.mds.transform;

import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.FaultInjection;
import dev.mds.testing.FaultSweep;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TableFixture;
import dev.mds.testing.TestSql;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * The session of a project run dies at every statement it sends in turn ({@link FaultSweep}): the killed model is
 * ERROR naming itself and leaves its old relation, its downstream models are SKIPPED and leave theirs, the models that
 * succeeded hold what an uninterrupted run gives, no temporary relation is left, and a re-run gives exactly what an
 * uninterrupted run gives.
 */
@MdsPostgres
class FaultInjectionTransformTest {
    /** Each model's relation in a snapshot, and the models downstream of it. */
    static final Map<String, String> RELATION = Map.of("p.base", "p.base (r)", "p.wide", "p.wide (v)",
            "p.inc", "p.inc (r)", "p.total", "p.total (r)");
    /** The view first: p.wide (view over raw.src), p.base (table), p.inc (incremental), p.total (table). */
    static final Map<String, Set<String>> VIEW_FIRST = Map.of("p.wide", Set.of("p.base", "p.inc", "p.total"),
            "p.base", Set.of("p.inc", "p.total"), "p.inc", Set.of("p.total"), "p.total", Set.of());
    /** The view over the table: p.base (table), p.wide (view over it), p.inc (incremental), p.total (table). */
    static final Map<String, Set<String>> VIEW_OVER_TABLE = Map.of("p.base", Set.of("p.wide", "p.inc", "p.total"),
            "p.wide", Set.of("p.inc", "p.total"), "p.inc", Set.of("p.total"), "p.total", Set.of());

    static TransformProject project(DataSource ds, boolean viewOverTable) {
        String inc = """
                {{ config(materialized='incremental', unique_key='id') }}
                select id, v, v2 from {{ ref('%s') }}
                {%% if is_incremental() %%}where v >= (select coalesce(max(v), 0) from {{ this }}){%% endif %%}""";
        return viewOverTable
                ? TransformProject.builder(ds)
                        .model("p.base", "{{ config(materialized='table') }}\nselect id, v from raw.src")
                        .model("p.wide", "select id, v, v * 2 as v2 from {{ ref('p.base') }}")
                        .model("p.inc", inc.formatted("p.wide"))
                        .model("p.total", "{{ config(materialized='table') }}\nselect count(*) as n, sum(v2) as s from {{ ref('p.inc') }}")
                        .threads(1).build()
                : TransformProject.builder(ds)
                        .model("p.wide", "select id, v, v * 2 as v2 from raw.src")
                        .model("p.base", "{{ config(materialized='table') }}\nselect id, v, v2 from {{ ref('p.wide') }}")
                        .model("p.inc", inc.formatted("p.base"))
                        .model("p.total", "{{ config(materialized='table') }}\nselect count(*) as n, sum(v2) as s from {{ ref('p.inc') }}")
                        .threads(1).build();
    }

    @Test
    void aRunWhoseSessionDiesLeavesEachModelOldOrNewAndSkipsWhatIsDownstreamOfTheKilledOne(DataSource ds) throws Exception {
        assertThat(sweep(ds, false)).isGreaterThan(8);
    }

    /**
     * A view model over a table model: the table's swap keeps the view as it was (dropped with the old table and created
     * again over the new one) until the view's own build replaces it, so when that build then fails (its session dies),
     * or the table's commit reply is lost (the table reports ERROR and the view is SKIPPED), the view is still there.
     */
    @Test
    void aViewModelOverATableModelIsLeftAsItWasWhenItsBuildFails(DataSource ds) throws Exception {
        assertThat(sweep(ds, true)).isGreaterThan(8);
    }

    /** The same without a dead session: the view model's new SQL fails. */
    @Test
    void aViewModelOverATableModelWhoseSqlFailsKeepsItsOldView(DataSource ds) {
        TableFixture.on(ds, "raw.vt").columns("id int", "v int").rows(row(1, 1));
        TransformProject.builder(ds).model("vt.base", "{{ config(materialized='table') }}\nselect id, v from raw.vt")
                .model("vt.wide", "select id, v * 2 as v2 from {{ ref('vt.base') }}").build().run().assertSucceeded();
        RunResults r = TransformProject.builder(ds).model("vt.base", "{{ config(materialized='table') }}\nselect id, v from raw.vt")
                .model("vt.wide", "select id, no_such_column from {{ ref('vt.base') }}").build().run();
        assertThat(r.model("vt.wide").status()).isEqualTo(ModelStatus.ERROR);
        assertThat(TestSql.strings(ds, "select v2::text from vt.wide")).containsExactly("2");   // the old view
    }

    /** What a relation's snapshot says of the relation itself: a view's columns and definition, without its rows. */
    static List<String> own(List<String> snapshot) {
        return snapshot == null || snapshot.stream().noneMatch(s -> s.startsWith("definition ")) ? snapshot
                : snapshot.stream().filter(s -> !s.startsWith("row ")).toList();
    }

    static int sweep(DataSource ds, boolean viewOverTable) throws Exception {
        Map<String, Set<String>> downstreamOf = viewOverTable ? VIEW_OVER_TABLE : VIEW_FIRST;
        RunResults[] last = new RunResults[1];
        return FaultSweep.on(ds)
                .setUp(d -> {
                    TestSql.sql(d, "drop schema if exists raw cascade", "drop schema if exists p cascade");
                    TableFixture.on(d, "raw.src").columns("id int", "v int").rows(row(1, 1), row(2, 2));
                    project(d, viewOverTable).run().assertSucceeded();
                    TestSql.sql(d, "insert into raw.src values (3, 3)", "update raw.src set v = 5 where id = 2");
                })
                .operation(d -> {
                    last[0] = null;
                    last[0] = project(d, viewOverTable).run();
                    last[0].assertSucceeded();
                })
                .check(o -> {
                    assertThat(o.now().relations().keySet()).as("no relation left behind or lost")
                            .isEqualTo(o.before().relations().keySet());
                    assertThat(o.now().relations().get("raw.src (r)")).isEqualTo(o.before().relations().get("raw.src (r)"));
                    if (!o.failed()) {
                        assertThat(o.now()).isEqualTo(o.after());
                        return;
                    }
                    RunResults r = last[0];
                    if (r == null) {   // the run failed before any model (creating the schemas): it changed nothing
                        assertThat(o.failure()).hasMessageContaining("cannot create the models' schemas");
                        assertThat(o.now()).isEqualTo(o.before());
                        return;
                    }
                    Set<String> failed = new TreeSet<>();
                    boolean ambiguous = o.kill().commits() && o.kill().moment() == FaultInjection.Moment.LOST_REPLY;
                    for (ModelResult m : r.models()) {
                        String rel = RELATION.get(m.name());
                        List<String> now = o.now().relations().get(rel);
                        // a view's rows are its upstream's: one left as it was reads a rebuilt upstream's new rows
                        boolean old = Objects.equals(own(now), own(o.before().relations().get(rel)));
                        boolean done = Objects.equals(now, o.after().relations().get(rel));
                        switch (m.status()) {
                            case SUCCESS -> assertThat(done).as("%s succeeded but holds %s", m.name(), now).isTrue();
                            case SKIPPED -> assertThat(old).as("%s was skipped but holds %s", m.name(), now).isTrue();
                            case ERROR -> {
                                failed.add(m.name());
                                assertThat(m.error()).hasValueSatisfying(e -> assertThat(e).startsWith(m.name()));
                                assertThat(old || ambiguous && done).as("%s failed but holds %s", m.name(), now).isTrue();
                            }
                        }
                    }
                    assertThat(failed).as("one model failed: %s", r).hasSize(1);
                    for (String f : failed) {
                        for (String down : downstreamOf.get(f)) {
                            assertThat(r.model(down).status()).as("%s is downstream of %s", down, f).isEqualTo(ModelStatus.SKIPPED);
                        }
                    }
                })
                .run();
    }
}
