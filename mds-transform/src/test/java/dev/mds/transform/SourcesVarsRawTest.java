package dev.mds.transform;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.BadInputException;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TableFixture;
import dev.mds.testing.TestSql;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {{ source() }}, {{ var() }} and {% raw %}: declared in code, resolved at build(), refused with file and line. */
@MdsPostgres
class SourcesVarsRawTest {

    @Test
    void sourceReadsTheDeclaredRelationOrTheSourceSchemaAndOrdersNothing(DataSource ds) {
        TableFixture.on(ds, "raw.users").columns("id int", "name text").rows(row(1, "John"), row(2, "Jane"));
        TableFixture.on(ds, "crm_v2.accounts").columns("user_id int", "plan text").rows(row(1, "starter"), row(2, "enterprise"));

        TransformProject project = TransformProject.builder(ds)
                .sourceSchema("product", "raw")
                .source("crm", "accounts", "crm_v2.accounts")
                .model("mart.users", """
                        {{ config(materialized='table') }}
                        select u.id, u.name, a.plan
                        from {{ source('product', 'users') }} u
                        join {{ source("crm", "accounts") }} a on a.user_id = u.id""")
                .build();

        assertThat(project.sql()).anySatisfy(s -> assertThat(s)
                .contains("from \"raw\".\"users\" u\njoin \"crm_v2\".\"accounts\" a on a.user_id = u.id"));
        project.run().assertSucceeded();
        assertThatTable(ds, "mart.users").containsExactlyInAnyOrder(row(1, "John", "starter"), row(2, "Jane", "enterprise"));
    }

    @Test
    void undeclaredSourceIsRefusedWithFileLineAndTheDeclaredSources(DataSource ds, @TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("mart"));
        Path file = dir.resolve("mart/users.sql");
        Files.writeString(file, "select *\n\nfrom {{ source('prodcut', 'users') }}\n");

        assertThatThrownBy(() -> TransformProject.builder(ds).sourceSchema("product", "raw")
                .source("crm", "accounts", "crm.accounts").modelsFrom(dir).build())
                .isInstanceOf(BadInputException.class)
                .hasMessage(file + " line 3: source('prodcut', 'users') names an undeclared source 'prodcut' (declared:"
                        + " crm, product; declare it with source(name, table, relation) or sourceSchema(name, schema))")
                .satisfies(e -> assertThat(((BadInputException) e).location().line()).hasValue(3));
        assertThatThrownBy(() -> TransformProject.builder(ds).model("m.x", "select * from {{ source('a', 'b') }}").build())
                .hasMessageContaining("names an undeclared source 'a' (no sources are declared;");
        assertThatThrownBy(() -> TransformProject.builder(ds).model("m.x", "select * from {{ source('a') }}").build())
                .hasMessageStartingWith("model m.x line 1: unknown tag {{ source('a') }}");
        assertThatThrownBy(() -> TransformProject.builder(ds).model("m.x", "select * from {{ source('', 'b') }}").build())
                .hasMessage("model m.x line 1: {{ source('', 'b') }}: source() needs a source name and a table name");
    }

    @Test
    void sourceAndTableNamesWithDotsAreKeptApart(DataSource ds) {
        TableFixture.on(ds, "dots.one").columns("x int").rows(row(1));
        TableFixture.on(ds, "dots.two").columns("x int").rows(row(2));
        TransformProject project = TransformProject.builder(ds)
                .source("a", "b.c", "dots.one")
                .source("a.b", "c", "dots.two")
                .model("dots.from_a", "select * from {{ source('a', 'b.c') }}")
                .model("dots.from_ab", "select * from {{ source('a.b', 'c') }}")
                .build();
        project.run().assertSucceeded();
        assertThatTable(ds, "dots.from_a").containsExactlyInAnyOrder(row(1));
        assertThatTable(ds, "dots.from_ab").containsExactlyInAnyOrder(row(2));

        assertThatThrownBy(() -> TransformProject.builder(ds).source("a.b", "c", "dots.two")
                .model("m.x", "select * from {{ source('x.y', 'c') }}").build())
                .hasMessageContaining("names an undeclared source 'x.y' (declared: a.b;");
    }

    @Test
    void quotedStringsInTagsReadBackslashEscapesAsJinjaDoes(DataSource ds) {
        TransformProject project = TransformProject.builder(ds)
                .model("esc.names", """
                        {{ config(materialized='table', post_hook='comment on table {{ this }} is \\'it\\'\\'s\\'') }}
                        select $${{ var('who', 'O\\'Brien') }}$$ as who, $${{ var("path", "C:\\\\x \\"y\\"") }}$$ as path""")
                .build();
        project.run().assertSucceeded();
        assertThatTable(ds, "esc.names").containsExactlyInAnyOrder(row("O'Brien", "C:\\x \"y\""));
        assertThat(TestSql.strings(ds, "select obj_description('esc.names'::regclass, 'pg_class')")).containsExactly("it's");
    }

    @Test
    void aVarsDefaultMayBeANumberAsInDbt(DataSource ds) {
        TransformProject project = TransformProject.builder(ds)
                .model("num.v", "select {{ var('days', 3) }} as days, {{var('rate',-0.25)}} as rate, {{ var('set', 1) }} as set")
                .var("set", "7")
                .build();
        project.run().assertSucceeded();
        assertThat(TestSql.strings(ds, "select days || ' ' || rate || ' ' || set from num.v")).containsExactly("3 -0.25 7");
        assertThatThrownBy(() -> TransformProject.builder(ds).model("num.x", "select {{ var(3) }}").build())
                .isInstanceOf(BadInputException.class).hasMessageStartingWith("model num.x line 1: unknown tag {{ var(3) }}");
    }

    @Test
    void aVarsNameIsTakenAsWrittenAsInDbt(DataSource ds) {
        // dbt looks var(' days ') up as ' days ': not the var days, so its default (texts from dbt's var())
        TransformProject project = TransformProject.builder(ds).var("days", "7")
                .model("vw.v", "select '{{ var('days') }}|{{ var(' days', 'd') }}|{% set x = var('days ', 'e') %}{{ x }}' as v")
                .build();
        assertThat(project.sql()).anySatisfy(s -> assertThat(s).endsWith(" as\nselect '7|d|e' as v"));
        assertThatThrownBy(() -> TransformProject.builder(ds).var("days", "7").model("vw.x", "select {{ var(' days ') }}")
                .build()).isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("model vw.x line 1: var(' days ') has no value and no default");
    }

    @Test
    void varRendersItsValueOrTheTagsDefaultAndAMissingOneIsRefused(DataSource ds) {
        TableFixture.on(ds, "raw.tx").columns("id int", "day date", "amount int")
                .rows(row(1, java.time.LocalDate.of(2024, 1, 1), 5), row(2, java.time.LocalDate.of(2024, 1, 2), 7),
                        row(3, java.time.LocalDate.of(2024, 1, 2), 100));

        TransformProject project = TransformProject.builder(ds)
                .var("day", "2024-01-02")
                .var("max_amount", 50)
                .model("gold.day_volume", """
                        {{ config(materialized='table') }}
                        select sum(amount) as volume, '{{ var("currency", "EUR") }}' as currency
                        from raw.tx
                        where day = '{{ var('day') }}' and amount <= {{ var('max_amount') }}""")
                .build();

        assertThat(project.sql()).anySatisfy(s -> assertThat(s)
                .contains("select sum(amount) as volume, 'EUR' as currency\nfrom raw.tx\nwhere day = '2024-01-02' and amount <= 50"));
        project.run().assertSucceeded();
        assertThatTable(ds, "gold.day_volume").containsExactlyInAnyOrder(row(7L, "EUR"));

        assertThatThrownBy(() -> TransformProject.builder(ds).var("da", "x")
                .model("gold.v", "select 1\n{% if is_incremental() %}\nwhere day > '{{ var('day') }}'\n{% endif %}").build())
                .isInstanceOf(BadInputException.class)
                .hasMessage("model gold.v line 3: var('day') has no value and no default (set it with var(name, value);"
                        + " set: da)");
    }

    @Test
    void rawBlockKeepsTagsInsideAsTextAndLinesAfterItStayRight(DataSource ds) {
        RunResults results = TransformProject.builder(ds)
                .model("r.ok", "select {% raw %}'{{ not a tag }}'{% endraw %} as t,\n{%- raw -%}\n'{% if %}'\n{%- endraw -%} as u")
                .model("r.bad", "select {% raw %}'{{ x }}\n\n'{% endraw %} as t\nfrom no_such_table")
                .build().run();

        assertThat(TestSql.strings(ds, "select t || '|' || u from r.ok")).containsExactly("{{ not a tag }}|{% if %}");
        assertThat(results.model("r.bad").error()).hasValueSatisfying(e -> assertThat(e)
                .startsWith("r.bad (model r.bad line 4): ERROR: relation \"no_such_table\" does not exist"));
        assertThatThrownBy(() -> TransformProject.builder(ds).model("r.x", "select 1\n{% raw %}\n{{ x }}").build())
                .isInstanceOf(BadInputException.class)
                .hasMessage("model r.x line 2: {% raw %} is never closed with {% endraw %}");
    }
}
