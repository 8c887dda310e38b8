package dev.mds.transform;

import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.FaultInjection;
import dev.mds.testing.FaultSweep;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TableFixture;
import dev.mds.testing.TestSql;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
        return sweep(ds, d -> {
            TableFixture.on(d, "raw.src").columns("id int", "v int").rows(row(1, 1), row(2, 2));
            project(d, viewOverTable).run().assertSucceeded();
            TestSql.sql(d, "insert into raw.src values (3, 3)", "update raw.src set v = 5 where id = 2");
        }, d -> project(d, viewOverTable), RELATION, viewOverTable ? VIEW_OVER_TABLE : VIEW_FIRST);
    }

    /**
     * Sweeps a run of {@code project} over the state {@code setUp} leaves (after dropping the schemas raw, p and s):
     * {@code relation} names each model's relation in a snapshot, {@code downstreamOf} the models downstream of each.
     */
    static int sweep(DataSource ds, FaultSweep.Work setUp, Function<DataSource, TransformProject> project,
            Map<String, String> relation, Map<String, Set<String>> downstreamOf) throws Exception {
        RunResults[] last = new RunResults[1];
        return FaultSweep.on(ds)
                .setUp(d -> {
                    TestSql.sql(d, "drop schema if exists raw cascade", "drop schema if exists p cascade",
                            "drop schema if exists s cascade");
                    setUp.run(d);
                })
                .operation(d -> {
                    last[0] = null;
                    last[0] = project.apply(d).run();
                    last[0].assertSucceeded();
                })
                .check(o -> {
                    assertThat(o.now().relations().keySet()).as("no relation left behind or lost")
                            .isEqualTo(o.before().relations().keySet());
                    o.before().relations().keySet().stream().filter(k -> k.startsWith("raw.")).forEach(k ->
                            assertThat(o.now().relations().get(k)).as("source %s", k).isEqualTo(o.before().relations().get(k)));
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
                        String rel = relation.get(m.name());
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

    /** A seed, a view over it, a snapshot (timestamp strategy) and a table over both. */
    static final Map<String, String> SEED_AND_SNAPSHOT = Map.of("s.status", "s.status (r)", "p.labels", "p.labels (v)",
            "p.snap", "p.snap (r)", "p.joined", "p.joined (r)");
    static final Map<String, Set<String>> SEED_AND_SNAPSHOT_DOWNSTREAM = Map.of("s.status", Set.of("p.labels", "p.joined"),
            "p.labels", Set.of("p.joined"), "p.snap", Set.of("p.joined"), "p.joined", Set.of());

    static TransformProject seedAndSnapshot(DataSource ds, Path seeds) {
        return TransformProject.builder(ds).seedsFrom(seeds)
                .model("p.labels", "select code, upper(label) as l from {{ ref('s.status') }}")
                .model("p.snap", "{{ config(materialized='snapshot', unique_key='id', strategy='timestamp',"
                        + " updated_at='updated_at') }}\nselect id, name, updated_at from raw.cust")
                .model("p.joined", "{{ config(materialized='table') }}\nselect c.id, c.name, l.l from {{ ref('p.snap') }} c"
                        + " left join {{ ref('p.labels') }} l on l.code = c.id where c.dbt_valid_to is null")
                .threads(1).build();
    }

    /**
     * The seed's new file has the same columns, so its rows are replaced (truncate, then copy; a seed whose columns
     * change is swapped as a table model is, swept above); the snapshot sees a changed, a new and an unchanged row.
     */
    @Test
    void aSeedAndASnapshotAreEachOldOrNewWhereverTheSessionDies(DataSource ds, @TempDir Path seeds) throws Exception {
        Path csv = seeds.resolve("s/status.csv");
        int points = sweep(ds, d -> {
            Files.createDirectories(csv.getParent());
            Files.writeString(csv, "code,label\n1,open\n2,closed\n");
            TestSql.sql(d, "create schema raw", "create table raw.cust (id int, name text, updated_at timestamp)",
                    "insert into raw.cust values (1, 'Ann', '2024-01-01'), (2, 'Bob', '2024-01-01')");
            seedAndSnapshot(d, seeds).run().assertSucceeded();
            Files.writeString(csv, "code,label\n1,opened\n2,closed\n3,held\n");
            TestSql.sql(d, "update raw.cust set name = 'Anne', updated_at = '2024-02-01' where id = 1",
                    "insert into raw.cust values (3, 'Cy', '2024-02-01')");
        }, d -> seedAndSnapshot(d, seeds), SEED_AND_SNAPSHOT, SEED_AND_SNAPSHOT_DOWNSTREAM);
        assertThat(points).isGreaterThan(8);
    }
}
