package dev.mds.transform;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.testing.TestSql;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TableFixture;
import java.util.Map;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

@MdsPostgres
class FailuresTest {

    static TransformProject project(DataSource ds, String badModel, int threads) {
        return TransformProject.builder(ds)
                .model("f.base", "{{ config(materialized='table') }}\nselect id, v from raw.f")
                .model("f.mid", badModel)
                .model("f.after", "{{ config(materialized='table') }}\nselect count(*) as n from {{ ref('f.mid') }}")
                .model("f.last", "select n from {{ ref('f.after') }}")
                .model("f.other", "{{ config(materialized='table') }}\nselect sum(v) as total from {{ ref('f.base') }}")
                .threads(threads)
                .build();
    }

    static final String GOOD = "{{ config(materialized='table') }}\nselect id, v * 10 as v\nfrom {{ ref('f.base') }}";
    static final String BAD = "{{ config(materialized='table') }}\nselect id,\n       no_such_column\nfrom {{ ref('f.base') }}";

    @Test
    void failingModelIsErrorWithFileLineAndServerMessageDownstreamSkippedOthersRunOldTableIntact(DataSource ds)
            throws Exception {
        TableFixture.on(ds, "raw.f").columns("id int", "v int").rows(row(1, 1), row(2, 2));
        project(ds, GOOD, 1).run().assertSucceeded();
        TestSql.sql(ds, "insert into raw.f values (3, 3)");

        RunResults results = project(ds, BAD, 1).run();

        assertThat(statuses(results)).isEqualTo(Map.of("f.base", ModelStatus.SUCCESS, "f.mid", ModelStatus.ERROR,
                "f.after", ModelStatus.SKIPPED, "f.last", ModelStatus.SKIPPED, "f.other", ModelStatus.SUCCESS));
        assertThat(results.model("f.mid").error()).hasValueSatisfying(e -> assertThat(e)
                .startsWith("f.mid (model f.mid line 3): ERROR: column \"no_such_column\" does not exist"));
        assertThat(results.model("f.after").error()).hasValue("upstream model f.mid failed");
        assertThat(results.model("f.last").error()).hasValue("upstream model f.after was skipped");
        assertThatTable(ds, "f.mid").containsExactlyInAnyOrder(row(1, 10), row(2, 20));
        assertThatTable(ds, "f.other").containsExactlyInAnyOrder(row(6));
        assertThat(TestSql.strings(ds, "select table_name from information_schema.tables where table_schema = 'f'"))
                .containsExactlyInAnyOrder("base", "mid", "after", "last", "other");
        assertThatThrownBy(results::assertSucceeded).isInstanceOf(TransformException.class)
                .hasMessageContaining("1 model(s) failed, 2 skipped")
                .hasMessageContaining("f.mid table ERROR");
    }

    @Test
    void errorLineCountsTheLinesOfTheModelFileAcrossTags(DataSource ds) {
        RunResults results = TransformProject.builder(ds)
                .model("el.a", "select 1 as id")
                .model("el.b", "{# line 1 #}\nselect id\nfrom {{ ref('el.a') }}\n{% if is_incremental() %}\n"
                        + "where false\n{% endif %}\nwhere id = 'x' + 1")
                .build().run();

        assertThat(results.model("el.b").error()).hasValueSatisfying(e -> assertThat(e)
                .startsWith("el.b (model el.b line 7): ERROR: "));
    }

    @Test
    void parallelRunGivesTheSameResultsAsASerialOneOnADiamond(DataSource ds) throws Exception {
        TableFixture.on(ds, "raw.d").columns("id int", "v int").rows(row(1, 1), row(2, 2), row(3, 3));
        Map<String, String> models = Map.of(
                "d.a", "{{ config(materialized='table') }} select id, v from raw.d",
                "d.b", "select id, v + 1 as v from {{ ref('d.a') }}",
                "d.c", "{{ config(materialized='table') }} select id, v * 2 as v from {{ ref('d.a') }}",
                "d.d", "{{ config(materialized='table') }} select b.id, b.v + c.v as v from {{ ref('d.b') }} b"
                        + " join {{ ref('d.c') }} c using (id)",
                "d.e", "{{ config(materialized='table') }} select 1 / 0 as boom from {{ ref('d.a') }}",
                "d.f", "select * from {{ ref('d.e') }}");
        Map<String, ModelStatus> expected = Map.of("d.a", ModelStatus.SUCCESS, "d.b", ModelStatus.SUCCESS,
                "d.c", ModelStatus.SUCCESS, "d.d", ModelStatus.SUCCESS, "d.e", ModelStatus.ERROR,
                "d.f", ModelStatus.SKIPPED);
        for (int threads : new int[] {1, 2, 1, 2}) {
            TransformProject.Builder b = TransformProject.builder(ds).threads(threads);
            models.forEach(b::model);
            RunResults results = b.build().run();

            assertThat(statuses(results)).as("threads %s", threads).isEqualTo(expected);
            assertThat(results.models()).extracting(ModelResult::name)
                    .containsExactly("d.a", "d.b", "d.c", "d.d", "d.e", "d.f");
            assertThat(results.model("d.e").error()).hasValueSatisfying(e -> assertThat(e).contains("division by zero"));
            assertThatTable(ds, "d.d").containsExactlyInAnyOrder(row(1, 4), row(2, 7), row(3, 10));
        }
    }

    static Map<String, ModelStatus> statuses(RunResults results) {
        return results.models().stream().collect(Collectors.toMap(ModelResult::name, ModelResult::status));
    }
}
