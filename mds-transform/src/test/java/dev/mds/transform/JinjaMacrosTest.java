package dev.mds.transform;

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

/**
 * {@code {% macro %}} defined in a model's file or in a macros directory ({@code macrosFrom}, dbt's macro-paths) and
 * called as {@code {{ name(args) }}}. Every expected SQL text here is what Jinja 3.1.6 renders from the same files,
 * each macro file's macros made global to the model as dbt makes them, ref() stubbed to the quoted relation.
 */
@MdsPostgres
class JinjaMacrosTest {
    private static final Path PROJECT = Path.of("src/test/resources/macros_project");

    /**
     * src/test/resources/macros_project: macros/finance/money.sql (cents_to_dollars with a default precision;
     * amount_per_method looping over a list argument, calling cents_to_dollars, with filters, ~ and keyword
     * arguments), macros/labels.sql (a set inside a macro, an inline if on its argument, replace) and a model defining
     * a macro of its own, calling them with literals, lists, names, a loop's item and a comparison: compiled as Jinja
     * compiles it, and run.
     */
    @Test
    void macrosFromTheMacrosDirectoryAndTheModelsFileCompileAsJinjaAndRun(DataSource ds) {
        TableFixture.on(ds, "mac_src.payments").columns("order_id int", "payment_method text", "amount numeric")
                .rows(row(1, "credit_card", 1000), row(1, "coupon", 250), row(2, "bank_transfer", 700),
                        row(2, "gift_card", 1), row(2, "bank_transfer", 900));
        TransformProject project = TransformProject.builder(ds).macrosFrom(PROJECT.resolve("macros"))
                .modelsFrom(PROJECT.resolve("models")).model("mart.payments", "select * from mac_src.payments").build();

        assertThat(project.sql()).anySatisfy(s -> assertThat(s).endsWith(" as\n"
                + "select\n"
                + "    order_id,\n"
                + "    \n"
                + "    SUM(case when payment_method = 'credit_card' then (amount / 100)::numeric(16, 2) else 0 end) as credit_card_amount,\n"
                + "    SUM(case when payment_method = 'coupon' then (amount / 100)::numeric(16, 2) else 0 end) as coupon_amount,\n"
                + "    SUM(case when payment_method = 'gift_card' then (amount / 100)::numeric(16, 2) else 0 end) as gift_card_amount,\n"
                + "    \n"
                + "    MAX(case when payment_method = 'bank_transfer' then (amount / 100)::numeric(16, 2) else 0 end) as bank_transfer_max,\n"
                + "    (sum(amount) / 100)::numeric(16, 4) as total,\n"
                + "    'method: credit_card' as credit_card_label,\n"
                + "    'method: coupon' as coupon_label,\n"
                + "    'method: gift_card' as gift_card_label,\n"
                + "    'is O''Brien' as quoted,\n"
                + "    true as has_coupon\n"
                + "from \"mart\".\"payments\"\n"
                + "group by 1"));
        project.run().assertSucceeded();
        assertThat(TestSql.strings(ds, "select concat_ws(' ', order_id, credit_card_amount, coupon_amount,"
                + " gift_card_amount, bank_transfer_max, total, credit_card_label, quoted, has_coupon)"
                + " from mart.order_payments order by 1")).containsExactly(
                "1 10.00 2.50 0 0 12.5000 method: credit_card is O'Brien t",
                "2 0 0 0.01 9.00 16.0100 method: credit_card is O'Brien t");
    }

    /**
     * A macro may use ref(), var(), {@code {{ this }}} and is_incremental(): the ref orders the model after its
     * target (as if written in the model), and the macro's output follows the run, as Jinja renders it.
     */
    @Test
    void aMacroUsingRefVarThisAndIsIncrementalOrdersTheModelAndFollowsTheRun(DataSource ds) {
        TableFixture.on(ds, "minc_src.t").columns("id int", "v text").rows(row(1, "one"), row(2, "two"));
        String model = """
                {{ config(materialized='incremental', unique_key='id') }}
                {% macro newer_than_target(col, floor=0) -%}
                    {% if is_incremental() %}where {{ col }} > (select coalesce(max({{ col }}), {{ floor }}) from {{ this }}){% endif %}
                {%- endmacro %}
                {% macro from_source() %}{{ ref('minc.src') }}{% endmacro %}
                select id, v, '{{ var('batch', 'b0') }}' as batch from {{ from_source() }}
                {{ newer_than_target('id') }}
                """;
        TransformProject first = TransformProject.builder(ds).model("minc.m", model)
                .model("minc.src", "select * from minc_src.t").build();
        assertThat(first.sql()).anySatisfy(s -> assertThat(s).endsWith(" as\n\n\n\n"
                + "select id, v, 'b0' as batch from \"minc\".\"src\""));
        assertThat(first.sql().stream().filter(s -> s.startsWith("create")).toList().toString())
                .containsSubsequence("\"minc\".\"src__mds_tmp\"", "\"minc\".\"m__mds_tmp\"");
        first.run().assertSucceeded();

        TestSql.sql(ds, "insert into minc_src.t values (3, 'three')");
        TransformProject second = TransformProject.builder(ds).model("minc.m", model).var("batch", "b2")
                .model("minc.src", "select * from minc_src.t").build();
        assertThat(second.sql()).anySatisfy(s -> assertThat(s).contains(" as\n\n\n\n"
                + "select id, v, 'b2' as batch from \"minc\".\"src\"\n"
                + "where id > (select coalesce(max(id), 0) from \"minc\".\"m\")"));
        second.run().assertSucceeded();
        assertThat(TestSql.strings(ds, "select id || v || batch from minc.m order by id"))
                .containsExactly("1oneb0", "2twob0", "3threeb2");
    }

    @Test
    void everyMisusedMacroIsRefusedNamingTheFileAndLine(DataSource ds, @TempDir Path dir) throws Exception {
        String m = "{% macro m(a, b='x') %}{{ a }}{{ b }}{% endmacro %}\n";
        refused(ds, "select\n{{ nope(1) }}", "model e.x line 2: {{ nope(1) }}: no macro 'nope' (define it above with"
                + " {% macro nope(…) %} in this file, or in a file of the macros directory)");
        refused(ds, "select\n{{ m(1) }}\n{% macro m(a) %}{% endmacro %}", "model e.x line 2: {{ m(1) }}: no macro 'm'");
        refused(ds, m + "select\n{{ m() }}", "model e.x line 3: {{ m() }}: m(): macro m(a, b) needs a");
        refused(ds, m + "select\n{{ m(1, 2, 3) }}", "model e.x line 3: {{ m(1, 2, 3) }}: macro m takes 2 arguments (a,"
                + " b), not more");
        refused(ds, m + "select\n{{ m(1, c=2) }}", "model e.x line 3: {{ m(1, c=2) }}: macro m has no parameter 'c' (it"
                + " has a, b)");
        refused(ds, m + "select\n{{ m(1, a=2) }}", "model e.x line 3: {{ m(1, a=2) }}: macro m's parameter 'a' is given"
                + " twice");
        refused(ds, m + "select\n{{ m(b=1, 2) }}", "model e.x line 3: {{ m(b=1, 2) }}: a positional argument after a"
                + " keyword one");
        refused(ds, m + "select\n{{ m(undefined_name) }}", "model e.x line 3: {{ m(undefined_name) }}: 'undefined_name'"
                + " is undefined");
        refused(ds, "{% macro r(n) %}{{ r(n) }}{% endmacro %}\nselect\n{{ r(1) }}", "model e.x line 1: {{ r(n) }}: macro r"
                + " calls itself (r -> r); mds does not run recursive macros (in macro r, called from model e.x line 3)");
        refused(ds, "{% macro a() %}{{ b() }}{% endmacro %}\n{% macro b() %}\n{{ a() }}{% endmacro %}\nselect {{ a() }}",
                "model e.x line 3: {{ a() }}: macro a calls itself (a -> b -> a); mds does not run recursive macros (in"
                + " macro b, called by macro a, called from model e.x line 4)");
        refused(ds, "{% set g = 1 %}{% macro m() %}\n{{ g }}{% endmacro %}\nselect {{ m() }}", "model e.x line 2: {{ g }}:"
                + " 'g' is undefined (set it above with {% set g = … %}, or loop with {% for g in … %}; a macro sees only"
                + " its parameters and the names it sets) (in macro m, called from model e.x line 3)");
        refused(ds, "{% macro m(a) %}\n{% if a %}{% endif %}{% endmacro %}\nselect {{ m('x') }}", "model e.x line 2:"
                + " {% if a %}: a is a single value, not true or false");
        refused(ds, "{% macro m() %}{{ config(materialized='table') }}{% endmacro %}\nselect {{ m() }}", "model e.x line 1:"
                + " {{ config(materialized='table') }}: config() is read in a model, not in a macro");
        refused(ds, "select\n{% if true %}{% macro m() %}{% endmacro %}{% endif %}", "model e.x line 2: {% macro m() %}: a"
                + " macro is defined only at the top level of a file, not inside the {% if true %} of line 2");
        refused(ds, "{% macro m() %}\n{% macro n() %}{% endmacro %}", "model e.x line 2: a macro is defined only at the"
                + " top level of a file, not inside the {% macro m() %} of line 1");
        refused(ds, "select 1\n{% macro m() %}", "model e.x line 2: {% macro m() %} is never closed with {% endmacro %}");
        refused(ds, "select 1\n{% endmacro %}", "model e.x line 2: {% endmacro %} without an open {% macro %}");
        refused(ds, "{% macro ref(a) %}{% endmacro %}select 1", "model e.x line 1: {% macro ref(a) %}: 'ref' is a reserved"
                + " name");
        refused(ds, "{% macro m(a=1, b) %}{% endmacro %}select 1", "model e.x line 1: {% macro m(a=1, b) %}: parameter"
                + " 'b' has no default but one before it has");
        refused(ds, m + m + "select 1", "model e.x line 2: {% macro m(a, b='x') %}: macro 'm' is defined twice in this file"
                + " (also on line 1)");
        refused(ds, "{% macro never(a) %}\n{{ a | nofilter }}{% endmacro %}\nselect 1", "model e.x line 2:"
                + " {{ a | nofilter }}: unknown filter 'nofilter' (mds has join, upper, lower, trim, replace, length and"
                + " default) (in macro never)");
        refused(ds, "{% macro r() %}{{ r() }}{% endmacro %}select 1", "model e.x line 1: {{ r() }}: macro r calls itself"
                + " (r -> r); mds does not run recursive macros (in macro r)");
        refused(ds, "{% macro m(a) %}{{ a | upper }}{% endmacro %}\nselect {{ m(['x']) }}", "model e.x line 1:"
                + " {{ a | upper }}: a | upper: upper takes a single value, and a is a list (in macro m, called from model"
                + " e.x line 2)");

        Path macros = Files.createDirectories(dir.resolve("macros"));
        Files.writeString(macros.resolve("a.sql"), "{% macro twice() %}1{% endmacro %}\n");
        Files.writeString(macros.resolve("b.sql"), "\n\n{%- macro twice() %}2{% endmacro %}\n");
        assertThatThrownBy(() -> TransformProject.builder(ds).macrosFrom(macros))
                .isInstanceOf(BadInputException.class)
                .hasMessage(macros.resolve("b.sql") + " line 3: macro 'twice' is defined twice (also in "
                        + macros.resolve("a.sql") + " line 1)");
        Files.writeString(macros.resolve("b.sql"), "{# fine #}\n{% macro other() %}2{% endmacro %}\nselect 1\n");
        assertThatThrownBy(() -> TransformProject.builder(ds).macrosFrom(macros))
                .isInstanceOf(BadInputException.class)
                .hasMessage(macros.resolve("b.sql") + " line 3: a macro file holds only {% macro %} … {% endmacro %}"
                        + " blocks (and comments), not SQL or other tags");
        // a body no call could pass is refused even when no model calls it
        Files.writeString(macros.resolve("b.sql"), "{% macro other(col) %}\n\n  {{ col ~ missing }}\n{% endmacro %}\n");
        Path models = Files.createDirectories(dir.resolve("models/mart"));
        Files.writeString(models.resolve("x.sql"), "select\n  {{ up(['a']) }}\n");
        assertThatThrownBy(() -> TransformProject.builder(ds).macrosFrom(macros).model("mart.y", "select 1").build())
                .isInstanceOf(BadInputException.class)
                .hasMessage(macros.resolve("b.sql") + " line 3: {{ col ~ missing }}: 'missing' is undefined (set it above"
                        + " with {% set missing = … %}, or loop with {% for missing in … %}; a macro sees only its"
                        + " parameters and the names it sets) (in macro other)")
                .satisfies(e -> assertThat(((BadInputException) e).location().line()).hasValue(3));
        // one that fails only with a call's arguments is refused at that call, naming both places
        Files.writeString(macros.resolve("b.sql"), "{% macro up(x) %}\n{{ x | upper }}{% endmacro %}\n");
        assertThatThrownBy(() -> TransformProject.builder(ds).macrosFrom(macros).modelsFrom(dir.resolve("models")).build())
                .isInstanceOf(BadInputException.class)
                .hasMessage(macros.resolve("b.sql") + " line 2: {{ x | upper }}: x | upper: upper takes a single value,"
                        + " and x is a list (in macro up, called from " + models.resolve("x.sql") + " line 2)");
    }

    @Test
    void aRuntimeErrorInAMacroNamesTheCallInTheModelAndTheMacrosFileAndLine(DataSource ds, @TempDir Path dir)
            throws Exception {
        Path macros = Files.createDirectories(dir.resolve("macros"));
        Files.writeString(macros.resolve("cents.sql"), "{% macro cents(col) %}\n  round({{ col }} / 100.0, 2)\n"
                + "  + no_such_column\n{% endmacro %}\n");
        Path models = Files.createDirectories(dir.resolve("models/mart"));
        Files.writeString(models.resolve("direct.sql"), "select\n  {{ cents('amount') }} as eur\n"
                + "from (select 150 as amount) s\n");
        Files.writeString(models.resolve("nested.sql"), "{% macro wrap(c) %}\ncoalesce({{ cents(c) }}, 0)"
                + "{% endmacro %}\nselect\n  {{ wrap('amount') }} as eur\nfrom (select 150 as amount) s\n");

        RunResults results = TransformProject.builder(ds).macrosFrom(macros).modelsFrom(dir.resolve("models")).build()
                .run();

        assertThat(results.model("mart.direct").error()).hasValue("mart.direct (" + models.resolve("direct.sql")
                + " line 2, in macro cents at " + macros.resolve("cents.sql") + " line 3): ERROR: column"
                + " \"no_such_column\" does not exist");
        assertThat(results.model("mart.nested").error()).hasValue("mart.nested (" + models.resolve("nested.sql")
                + " line 4, in macro wrap at line 2, in macro cents at " + macros.resolve("cents.sql") + " line 3):"
                + " ERROR: column \"no_such_column\" does not exist");
        // a second statement from a macro is still refused at build() at the call's line in the model
        Files.writeString(models.resolve("nested.sql"), "select\n\n  {{ semi() }}\n");
        Files.writeString(macros.resolve("semi.sql"), "{% macro semi() %}\n1; select 2{% endmacro %}\n");
        assertThatThrownBy(() -> TransformProject.builder(ds).macrosFrom(macros).modelsFrom(dir.resolve("models")).build())
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith(models.resolve("nested.sql") + " line 3: a ';' ends the model's statement here");
    }

    private static void refused(DataSource ds, String sql, String message) {
        assertThatThrownBy(() -> TransformProject.builder(ds).model("e.x", sql).build())
                .as(sql).isInstanceOf(BadInputException.class).hasMessageStartingWith(message);
    }
}
