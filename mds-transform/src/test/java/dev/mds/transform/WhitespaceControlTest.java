package dev.mds.transform;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TableFixture;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Jinja's whitespace control: {@code {%- {{- {#-} remove the white space before a tag, {@code -%} -}} -#}} after it.
 * The expected SQL is what Jinja 3.1.6 (dbt's default environment: no trim_blocks, no lstrip_blocks) renders from
 * the same template, ref() and var() stubbed to the values mds gives them.
 */
@MdsPostgres
class WhitespaceControlTest {

    @Test
    void trimMarkersRemoveTheWhiteSpaceBeforeAndAfterTheirTagAsJinjaDoes(DataSource ds) {
        TableFixture.on(ds, "wc_src.src").columns("id int", "name text").rows(row(1, "a"), row(2, "b"), row(0, "zero"));
        TransformProject project = TransformProject.builder(ds).var("filter", " and id > 0")
                .model("wc.src", "select * from wc_src.src")
                .model("wc.trim", """
                        {{- config(materialized='table') -}}
                        {# a comment that leaves nothing #}
                        select
                            id,
                            {%- if is_incremental() %} 'later' as name {%- else %}
                            name
                            {%- endif %}
                        from {{ ref('wc.src') }}   {#- trims before -#}   where true
                        {{- var('filter') }}   {{- var('nothing', '') -}}
                        {% raw -%}   -- {{ kept as written }}
                        {%- endraw %}
                        order by id
                        """).build();

        assertThat(project.sql()).anySatisfy(s -> assertThat(s).endsWith(" as\n"
                + "\n"
                + "select\n"
                + "    id,\n"
                + "    name\n"
                + "from \"wc\".\"src\"where true and id > 0-- {{ kept as written }}\n"
                + "order by id"));
        project.run().assertSucceeded();
        assertThatTable(ds, "wc.trim").containsExactlyInAnyOrder(row(1, "a"), row(2, "b"));
    }
}
