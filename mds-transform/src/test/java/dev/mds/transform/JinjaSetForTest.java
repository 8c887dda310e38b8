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
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code {% set %}}, {@code {% for %}} with {@code loop.*}, {@code {{ name }}}, ifs on them, and Jinja's whitespace
 * control. Every expected SQL text here is what Jinja 3.1.6 (dbt's default environment: no trim_blocks, no
 * lstrip_blocks) renders from the same template, ref() stubbed to the quoted relation.
 */
@MdsPostgres
class JinjaSetForTest {
    private static final Path JAFFLE = Path.of("src/test/resources/jaffle_shop");

    /**
     * dbt-labs' jaffle_shop tutorial models, as written there (src/test/resources/jaffle_shop/models: orders.sql
     * pivots the payments with a set list and two for loops, the staging models trim around a comment with
     * {@code {#-}), over its seeds: compiled as dbt compiles them (compiled/), and run.
     */
    @Test
    void jaffleShopOrdersModelRunsUnchangedAndPivotsThePaymentsByMethod(DataSource ds) throws Exception {
        TransformProject project = TransformProject.builder(ds).seedsFrom(JAFFLE.resolve("seeds"))
                .modelsFrom(JAFFLE.resolve("models")).build();

        List<String> sql = project.sql();
        for (String model : new String[] {"orders", "stg_orders", "stg_payments"}) {
            String compiled = Files.readString(JAFFLE.resolve("compiled/jaffle/" + model + ".sql"));
            assertThat(sql).as(model).anySatisfy(s -> assertThat(s).contains(" as\n" + compiled));
        }
        project.run().assertSucceeded();
        assertThat(Db.columns(ds, "jaffle", "orders")).containsExactly("order_id", "customer_id", "order_date", "status",
                "credit_card_amount", "coupon_amount", "bank_transfer_amount", "gift_card_amount", "amount");
        assertThat(TestSql.strings(ds, "select concat_ws(' ', order_id, customer_id, order_date, status,"
                + " credit_card_amount, coupon_amount, bank_transfer_amount, gift_card_amount, amount)"
                + " from jaffle.orders order by order_id")).containsExactly(
                "1 1 2018-01-01 returned 10 0 0 0 10",
                "2 3 2018-01-02 completed 20 0 3 0 23",
                "3 94 2018-01-04 completed 0 26 0 6 32",
                "4 50 2018-01-05 placed");
    }

    @Test
    void whitespaceControlTrimsAsJinjaDoesAroundEveryKindOfTag(DataSource ds) {
        TableFixture.on(ds, "ws.src").columns("id int", "name text").rows(row(1, "a"), row(2, "b"), row(0, "zero"));
        TransformProject project = TransformProject.builder(ds).model("ws.src2", "select * from ws.src")
                .model("ws.trim", """
                        {%- set cols = ['id', 'name'] -%}
                        {# a comment that leaves nothing #}
                        select
                            {%- for c in cols %}
                            {{ c }}{% if not loop.last %},{% endif %}
                            {%- endfor %}
                        from {{ ref('ws.src2') }}   {#- trims before -#}   where true
                        {{- ' and id > 0' }}   {{- "" -}}
                        {% raw -%}   -- {{ kept as written }}
                        {%- endraw %}
                        order by id
                        """).build();

        assertThat(project.sql()).anySatisfy(s -> assertThat(s).endsWith(" as\n"
                + "\n"
                + "select\n"
                + "    id,\n"
                + "    name\n"
                + "from \"ws\".\"src2\"where true and id > 0-- {{ kept as written }}\n"
                + "order by id"));
        project.run().assertSucceeded();
        assertThatTable(ds, "ws.trim").containsExactlyInAnyOrder(row(1, "a"), row(2, "b"));
    }

    @Test
    void nestedLoopsSeeTheirOwnLoopAndIfsTestLoopFirstLastAndSetBooleans(DataSource ds) {
        TableFixture.on(ds, "nest_src.sales").columns("region text", "kind text", "qty int")
                .rows(row("eu", "a", 1), row("eu", "c", 2), row("us", "b", 4), row("us", "b", 8));
        TransformProject project = TransformProject.builder(ds).model("nest.sales", "select * from nest_src.sales")
                .model("nest.pivot", """
                        {% set regions = ['eu', 'us'] %}
                        {% set kinds = ["a", 'b', 'c'] %}
                        {% set with_total = true %}
                        {% set ratio = 0.50 %}
                        select
                        {%- for r in regions %}
                          {%- for k in kinds %}
                          sum(case when region = '{{ r }}' and kind = '{{ k }}' then qty else 0 end) as {{ r }}_{{ k }}_{{ loop.index }}_of_{{ loop.length }}{% if not loop.last %},{% endif %}
                          {%- endfor %}{% if not loop.last %},{% endif %}
                        {%- endfor %}
                        {%- if with_total %},
                          sum(qty) * {{ ratio }} as half_total{% else %} no{% endif %}
                        {%- for r in regions %}{% if loop.first %},
                          '{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}' as first_loop{% endif %}{% endfor %}
                        {%- for x in [] %} never {% else %},
                          {{ 7 }} as empty_loop{% endfor %}
                        from {{ ref('nest.sales') }}
                        """).build();

        assertThat(project.sql()).anySatisfy(s -> assertThat(s).endsWith(" as\n"
                + "\n"
                + "\n"
                + "\n"
                + "\n"
                + "select\n"
                + "  sum(case when region = 'eu' and kind = 'a' then qty else 0 end) as eu_a_1_of_3,\n"
                + "  sum(case when region = 'eu' and kind = 'b' then qty else 0 end) as eu_b_2_of_3,\n"
                + "  sum(case when region = 'eu' and kind = 'c' then qty else 0 end) as eu_c_3_of_3,\n"
                + "  sum(case when region = 'us' and kind = 'a' then qty else 0 end) as us_a_1_of_3,\n"
                + "  sum(case when region = 'us' and kind = 'b' then qty else 0 end) as us_b_2_of_3,\n"
                + "  sum(case when region = 'us' and kind = 'c' then qty else 0 end) as us_c_3_of_3,\n"
                + "  sum(qty) * 0.5 as half_total,\n"
                + "  '021TrueFalse' as first_loop,\n"
                + "  7 as empty_loop\n"
                + "from \"nest\".\"sales\""));
        project.run().assertSucceeded();
        assertThat(TestSql.strings(ds, "select concat_ws(' ', eu_a_1_of_3, eu_b_2_of_3, eu_c_3_of_3, us_a_1_of_3,"
                + " us_b_2_of_3, us_c_3_of_3, half_total, first_loop, empty_loop) from nest.pivot"))
                .containsExactly("1 0 2 0 12 0 7.5 021TrueFalse 7");
    }

    @Test
    void isIncrementalInsideAForRendersEachIterationsBranch(DataSource ds) {
        TableFixture.on(ds, "inc_src.events").columns("id int", "part text", "v text")
                .rows(row(1, "a", "one"), row(2, "b", "two"));
        String model = """
                {{ config(materialized='incremental', unique_key='id') }}
                {% set parts = ['a', 'b'] %}
                {% for p in parts %}
                select id, part, v from inc_src.events where part = '{{ p }}'
                {%- if is_incremental() %} and id > (select coalesce(max(id), 0) from {{ this }} where part = '{{ p }}'){% endif %}
                {% if not loop.last %}union all{% endif %}
                {%- endfor %}
                """;
        TransformProject project = TransformProject.builder(ds).model("inc.parts", model).build();
        assertThat(project.sql()).anySatisfy(s -> assertThat(s).endsWith(" as\n\n\n\n"
                + "select id, part, v from inc_src.events where part = 'a'\n"
                + "union all\n"
                + "select id, part, v from inc_src.events where part = 'b'"));
        project.run().assertSucceeded();

        TestSql.sql(ds, "update inc_src.events set v = 'changed' where id = 1;"
                + " insert into inc_src.events values (3, 'a', 'three'), (4, 'b', 'four')");
        assertThat(project.sql()).anySatisfy(s -> assertThat(s).contains(" as\n\n\n\n"
                + "select id, part, v from inc_src.events where part = 'a' and id > (select coalesce(max(id), 0) from"
                + " \"inc\".\"parts\" where part = 'a')\n"
                + "union all\n"
                + "select id, part, v from inc_src.events where part = 'b' and id > (select coalesce(max(id), 0) from"
                + " \"inc\".\"parts\" where part = 'b')"));
        project.run().assertSucceeded();
        assertThatTable(ds, "inc.parts").containsExactlyInAnyOrder(row(1, "a", "one"), row(2, "b", "two"),
                row(3, "a", "three"), row(4, "b", "four"));
    }

    @Test
    void setValuesPrintAsJinjaPrintsThemAndAVarCanBeSet(DataSource ds) {
        TransformProject project = TransformProject.builder(ds).var("day", "2024-01-31").model("sv.x", """
                {% set n = 70 %}{% set d = -1.250 %}{% set f = False %}{% set s = "say \\"hi\\"" %}{% set s2 = s %}
                {% set day = var('day') %}{% set fallback = var('missing', 3) %}
                select {{ n }} as n, {{ d }} as d, {{ f }} as f, '{{ s2 }}' as s, '{{ day }}'::date as day,
                    {{ fallback }} as fb, {{ 'lit' }} as lit
                {% set n = 8 %}, {{ n }} as n2
                """).build();

        assertThat(project.sql()).anySatisfy(s -> assertThat(s).contains("select 70 as n, -1.25 as d, False as f,"
                + " 'say \"hi\"' as s, '2024-01-31'::date as day,\n    3 as fb, lit as lit\n, 8 as n2"));
    }

    @Test
    void everyMisuseIsRefusedNamingTheFileAndLine(DataSource ds, @TempDir Path dir) throws Exception {
        refused(ds, "select 1\n{{ payment_method }}", "model e.x line 2: {{ payment_method }}: 'payment_method' is"
                + " undefined (set it above with {% set payment_method = … %}, or loop with {% for payment_method in"
                + " … %})");
        refused(ds, "select 1\n{% for x in ['a'] %}{% endfor %}\n{{ x }}", "model e.x line 3: {{ x }}: 'x' is undefined");
        refused(ds, "select {{ m }}\n{% set m = 1 %}", "model e.x line 1: {{ m }}: 'm' is undefined");
        refused(ds, "{% set m = 'credit_card' %}\nselect\n{% for x in m %}{{ x }}{% endfor %}", "model e.x line 3:"
                + " {% for x in m %}: m is a single value, not a list; write {% for name in list %}, the list a name"
                + " set with {% set name = ['a', 'b'] %} or written in place");
        refused(ds, "select\n{% for x in var('cols', 'a') %}{% endfor %} 1", "model e.x line 2: {% for x in var('cols', 'a')"
                + " %}: var('cols', 'a') is a single value, not a list");
        refused(ds, "select 1\n{% for x in ['a'] %}\n, 2", "model e.x line 2: {% for x in ['a'] %} is never closed with"
                + " {% endfor %}");
        refused(ds, "select 1\n{% for x in ['a'] %}{% for y in ['b'] %}\n{% endfor %}", "model e.x line 2:"
                + " {% for x in ['a'] %} is never closed with {% endfor %}");
        refused(ds, "select 1\n\n{% endfor %}", "model e.x line 3: {% endfor %} without an open {% for %}");
        refused(ds, "select 1\n{% for x in ['a'] %}\n{% endif %}{% endfor %}", "model e.x line 3: {% endif %} while the"
                + " {% for x in ['a'] %} of line 2 is open (close it first with {% endfor %})");
        refused(ds, "select 1\n{% if is_incremental() %}{% endfor %}{% endif %}", "model e.x line 2: {% endfor %} while"
                + " the {% if is_incremental() %} of line 2 is open (close it first with {% endif %})");
        for (String name : new String[] {"ref", "source", "var", "config", "this", "loop", "is_incremental", "true",
                "None", "target"}) {
            refused(ds, "select 1\n{% set " + name + " = 'x' %}", "model e.x line 2: {% set " + name + " = 'x' %}: '"
                    + name + "' is a reserved name (a tag's, Jinja's or dbt's); choose another");
        }
        refused(ds, "select 1\n{% for loop in ['a'] %}{% endfor %}", "model e.x line 2: {% for loop in ['a'] %}: 'loop' is a"
                + " reserved name");
        refused(ds, "select 1\n{% for x in ['a'] %}{% set y = 1 %}{% endfor %}", "model e.x line 2: {% set y = 1 %}:"
                + " {% set %} is read only at the top level of the file, not inside the {% for x in ['a'] %} of line 2");
        refused(ds, "{% set cols = ['a', 'b'] %}\nselect {{ cols }}", "model e.x line 2: {{ cols }}: cols is a list, which"
                + " mds does not print (Jinja would print a Python list, not SQL); loop over it with {% for %}");
        refused(ds, "select {{ loop.index }}", "model e.x line 1: {{ loop.index }}: loop.index outside a {% for %}");
        refused(ds, "select {% for x in ['a'] %}{{ loop.cycle }}{% endfor %}", "model e.x line 1: {{ loop.cycle }}: loop"
                + " has no attribute 'cycle'");
        refused(ds, "select {% for x in ['a'] %}{% if loop.index %}1{% endif %}{% endfor %}", "model e.x line 1:"
                + " {% if loop.index %}: loop.index is a single value, not true or false; {% if %} tests"
                + " is_incremental(), loop.first, loop.last or a name set to true or false, perhaps after not");
        refused(ds, "select 1 {% for x in ['a'] %}{% if loop.index == '1' %}{% endif %}{% endfor %}", "model e.x line 1:"
                + " {% if loop.index == '1' %}: loop.index == '1' compares a number with text, which Jinja never finds"
                + " equal");
        refused(ds, "select 1 {% if loop.index + 1 %}{% endif %}", "model e.x line 1: unknown tag {% if loop.index + 1 %}:"
                + " unexpected '+'");
        refused(ds, "select 1\n{% set a, b = 1, 2 %}", "model e.x line 2: {% set a, b = 1, 2 %}: write {% set name = value %}");
        refused(ds, "select 1\n{% set a = [['x']] %}", "model e.x line 2: cannot read {% set a = [['x']] %}: a list holds"
                + " quoted strings, numbers and true/false");
        refused(ds, "select 1\n{% for a, b in [1] %}{% endfor %}", "model e.x line 2: {% for a, b in [1] %}: write"
                + " {% for name in list %}");
        refused(ds, "select 1\n{% set n = 007 %}", "model e.x line 2: cannot read {% set n = 007 %}: 007 is not a number"
                + " (no leading zeros)");
        refused(ds, "select 1\n{% else %}", "model e.x line 2: {% else %} without an open {% if %} or {% for %}");
        refused(ds, "select 1\n{% call m() %}{% endcall %}", "model e.x line 2: unknown tag {% call m() %}: the supported"
                + " statements are");
        refused(ds, "{% set cols = ['a'] %}select {{ cols | batch(2) }}", "model e.x line 1: {{ cols | batch(2) }}:"
                + " unknown filter 'batch' (mds has join, upper, lower, trim, replace, length and default)");

        Files.createDirectories(dir.resolve("mart"));
        Path file = dir.resolve("mart/orders.sql");
        Files.writeString(file, "select\n  {% for m in payment_methods -%}\n  {{ m }}_amount,\n  {% endfor -%}\n  1\n");
        assertThatThrownBy(() -> TransformProject.builder(ds).modelsFrom(dir).build())
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith(file + " line 2: {% for m in payment_methods -%}: 'payment_methods' is undefined")
                .satisfies(e -> assertThat(((BadInputException) e).location().line()).hasValue(2));
    }

    private static void refused(DataSource ds, String sql, String message) {
        assertThatThrownBy(() -> TransformProject.builder(ds).model("e.x", sql).build())
                .as(sql).isInstanceOf(BadInputException.class).hasMessageStartingWith(message);
    }
}
