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
 * Jinja expressions in models: inline ifs ({@code {{ ',' if not loop.last }}}), {@code {% elif %}}, comparisons and
 * {@code and}/{@code or}/{@code not}/{@code in} with parentheses, {@code ~} and the filters join, upper, lower, trim,
 * replace, length and default. Every expected SQL text here is what Jinja 3.1.6 (dbt's default environment: no
 * trim_blocks, no lstrip_blocks) renders from the same template, ref() stubbed to the quoted relation and var() to the
 * text mds gives it.
 */
@MdsPostgres
class JinjaExpressionsTest {
    private static final String PIVOT = """
            {%- set payment_methods = ['credit_card', 'coupon', 'bank_transfer', 'gift_card'] -%}
            {%- set mode = var('mode', 'full') -%}
            select
                order_id,
                {% for payment_method in payment_methods -%}
                {%- if payment_method == 'coupon' and mode != 'strict' %}
                -sum(case when payment_method = '{{ payment_method }}' then amount else 0 end) as {{ payment_method | upper }}_credit
                {%- elif payment_method in ['bank_transfer', 'gift_card'] or (mode == 'cash' and not loop.first) %}
                sum(case when payment_method = '{{ payment_method }}' then amount end) as {{ payment_method ~ '_' ~ loop.index }}
                {%- elif loop.length >= 4 and loop.index < 2 %}
                sum(case when payment_method = '{{ payment_method }}' then amount else 0 end) as {{ payment_method }}_amount
                {%- else %}
                null as never
                {%- endif %}{{ "," if not loop.last }}
                {% endfor -%}
                , '{{ payment_methods | join("|") | replace("_", "-") }}' as methods
                , {{ payment_methods | length }} as n_methods
                , '{{ "  " ~ mode | upper ~ "  " | trim }}' as mode_text
                , {{ 'true' if mode == 'full' else 'false' }} as is_full
            from {{ ref('xp.payments') }}
            group by 1
            """;

    /**
     * A payment pivot as dbt users write it: an if/elif/else chain on comparisons of the loop item and a var, joined
     * with and/or/not and parentheses, {@code {{ "," if not loop.last }}}, filters and {@code ~}: compiled as Jinja
     * compiles it under two values of the var, and run.
     */
    @Test
    void ifElifChainsComparisonsInlineIfsAndFiltersCompileAsJinjaAndRun(DataSource ds) {
        TableFixture.on(ds, "xp_src.payments").columns("order_id int", "payment_method text", "amount int")
                .rows(row(1, "credit_card", 10), row(1, "coupon", 3), row(2, "bank_transfer", 7),
                        row(2, "gift_card", 5), row(2, "credit_card", 1));
        TransformProject full = TransformProject.builder(ds).model("xp.payments", "select * from xp_src.payments")
                .model("xp.pivot", PIVOT).build();
        assertThat(full.sql()).anySatisfy(s -> assertThat(s).endsWith(" as\n"
                + "select\n"
                + "    order_id,\n"
                + "    \n"
                + "    sum(case when payment_method = 'credit_card' then amount else 0 end) as credit_card_amount,\n"
                + "    \n"
                + "    -sum(case when payment_method = 'coupon' then amount else 0 end) as COUPON_credit,\n"
                + "    \n"
                + "    sum(case when payment_method = 'bank_transfer' then amount end) as bank_transfer_3,\n"
                + "    \n"
                + "    sum(case when payment_method = 'gift_card' then amount end) as gift_card_4\n"
                + "    , 'credit-card|coupon|bank-transfer|gift-card' as methods\n"
                + "    , 4 as n_methods\n"
                + "    , '  FULL' as mode_text\n"
                + "    , true as is_full\n"
                + "from \"xp\".\"payments\"\n"
                + "group by 1"));
        full.run().assertSucceeded();
        assertThat(TestSql.strings(ds, "select concat_ws(' ', order_id, credit_card_amount, coupon_credit,"
                + " bank_transfer_3, gift_card_4, methods, n_methods, mode_text, is_full) from xp.pivot order by 1"))
                .containsExactly("1 10 -3 credit-card|coupon|bank-transfer|gift-card 4   FULL t",
                        "2 1 0 7 5 credit-card|coupon|bank-transfer|gift-card 4   FULL t");

        TransformProject strict = TransformProject.builder(ds).var("mode", "strict")
                .model("xp.payments", "select * from xp_src.payments").model("xp.pivot", PIVOT).build();
        assertThat(strict.sql()).anySatisfy(s -> assertThat(s).endsWith(" as\n"
                + "select\n"
                + "    order_id,\n"
                + "    \n"
                + "    sum(case when payment_method = 'credit_card' then amount else 0 end) as credit_card_amount,\n"
                + "    \n"
                + "    null as never,\n"
                + "    \n"
                + "    sum(case when payment_method = 'bank_transfer' then amount end) as bank_transfer_3,\n"
                + "    \n"
                + "    sum(case when payment_method = 'gift_card' then amount end) as gift_card_4\n"
                + "    , 'credit-card|coupon|bank-transfer|gift-card' as methods\n"
                + "    , 4 as n_methods\n"
                + "    , '  STRICT' as mode_text\n"
                + "    , false as is_full\n"
                + "from \"xp\".\"payments\"\n"
                + "group by 1"));
        strict.run().assertSucceeded();
        assertThat(TestSql.strings(ds, "select concat_ws(' ', order_id, credit_card_amount, never, bank_transfer_3,"
                + " mode_text, is_full) from xp.pivot order by 1"))
                .containsExactly("1 10   STRICT f", "2 1 7   STRICT f");
    }

    /**
     * What each operator and filter gives, printed, against Jinja's own rendering: Python's equality (1 == 1.0,
     * True == 1), ordering of numbers and of texts by code point, in over texts and lists, not/and/or precedence,
     * inline ifs without else printing nothing, default on an undefined name and on an empty value, ~ and filters'
     * precedence (a filter binds tighter than ~, a comparison looser), length counting code points, a list of names and
     * expressions.
     */
    @Test
    void everyOperatorAndFilterPrintsWhatJinjaPrints(DataSource ds) {
        TransformProject project = TransformProject.builder(ds).model("xv.values", """
                {% set n = 3 %}{% set half = 0.50 %}{% set on = True %}{% set words = ['b', 'a', 'c'] %}{% set mixed = [1, true, 'x', 2.50] %}
                select '{{ 1 == 1.0 }}|{{ n != 3 }}|{{ half < 1 }}|{{ 'b' > 'a' }}|{{ 'B' < 'a' }}|{{ 'ab' <= 'ab' }}|{{ n >= 4 }}' as comparisons,
                  '{{ 'ab' in 'xaby' }}|{{ 'z' not in words }}|{{ 2.5 in mixed }}|{{ 1 in mixed }}|{{ true in mixed }}|{{ 'x' in mixed }}' as membership,
                  '{{ not on or on }}|{{ not (on or on) }}|{{ on and not on or on }}|{{ on and (not on or false) }}|{{ not n == 3 }}' as logic,
                  '{{ 'x' if false }}|{{ 'y' if on }}|{{ 'a' if false else 'b' if on else 'c' }}|{{ ('x' if false) | default('d') }}|{{ nothing | default('u') }}|{{ nothing | default }}|{{ '' | default('e', true) }}|{{ 0 | default('z', true) }}|{{ 'k' | default('e', true) }}' as choices,
                  '{{ 'x' ~ 1 ~ true ~ half ~ ('q' if false) }}|{{ 'a' ~ 'b' | upper }}|{{ mixed | join('-') }}|{{ words | join }}|{{ words | join(', ') | upper }}' as texts,
                  '{{ 'MiXed' | lower }}|{{ 'straße' | upper }}|{{ '  pad  ' | trim }}|{{ 'xxhixx' | trim('x') }}|{{ 'a.b.c' | replace('.', '__') }}|{{ n | replace('3', 'three') }}|{{ on | upper }}' as filters,
                  {{ 'héllo😀' | length }} as len_text, {{ words | length }} as len_list, {{ words | length > 2 }} as long_list,
                  '{% for w in words %}{{ [w, loop.index, w ~ '!', on] | join('/') }}{{ ';' if not loop.last }}{% endfor %}' as lists,
                  {% for w in words %}{% if w == 'a' %}'first_a'{% elif w in 'bc' and loop.index0 > 0 %}'late_{{ w }}'{% elif loop.first %}'{{ w ~ "_first" }}'{% else %}'never'{% endif %}{{ " || " if not loop.last else " as w," }}{% endfor %}
                  '{% for m in mixed %}{{ m == 1 }}{{ '/' if not loop.last }}{% endfor %}' as m
                """).build();
        assertThat(project.sql()).anySatisfy(s -> assertThat(s).endsWith(" as\n"
                + "\n"
                + "select 'True|False|True|True|True|True|False' as comparisons,\n"
                + "  'True|True|True|True|True|True' as membership,\n"
                + "  'True|False|True|False|False' as logic,\n"
                + "  '|y|b|d|u||e|z|k' as choices,\n"
                + "  'x1True0.5|aB|1-True-x-2.5|bac|B, A, C' as texts,\n"
                + "  'mixed|STRASSE|pad|hi|a__b__c|three|TRUE' as filters,\n"
                + "  6 as len_text, 3 as len_list, True as long_list,\n"
                + "  'b/1/b!/True;a/2/a!/True;c/3/c!/True' as lists,\n"
                + "  'b_first' || 'first_a' || 'late_c' as w,\n"
                + "  'True/True/False/False' as m"));
        project.run().assertSucceeded();
        assertThat(TestSql.strings(ds, "select concat_ws(' ', comparisons, membership, logic, choices, texts, filters, len_text,"
                + " len_list, long_list, lists, w, m) from xv.values")).containsExactly("True|False|True|True|True|True|False"
                + " True|True|True|True|True|True True|False|True|False|False |y|b|d|u||e|z|k x1True0.5|aB|1-True-x-2.5|bac|B, A, C mixed|STRASSE|pad|hi|a__b__c|three|TRUE 6 3"
                + " t b/1/b!/True;a/2/a!/True;c/3/c!/True b_firstfirst_alate_c True/True/False/False");
    }

    /**
     * dbt's {@code target.name}, from {@code target(name)} (default {@code dev}), and {@code target.type}: compiled
     * under three targets as Jinja compiles the model with that target, and run.
     */
    @Test
    void targetNameIsTheBuildersTargetAndIfsOnItCompileAsJinja(DataSource ds) {
        TableFixture.on(ds, "tg_src.t").columns("id int").rows(row(-1), row(5), row(7), row(200));
        String model = """
                select id,
                    '{{ target.name }}' as target_name, '{{ target.type | upper }}' as adapter
                from {{ ref('tg.src') }}
                {% if target.name == 'prod' -%}
                where id > 0
                {%- elif target.name in ['dev', 'ci'] -%}
                where id < 100 limit {{ 1 if target.name == 'ci' else 2 }}
                {%- endif %}
                """;
        String[][] expected = {
                {null, "'dev' as target_name", "where id < 100 limit 2", "2"},
                {"prod", "'prod' as target_name", "where id > 0", "3"},
                {"ci", "'ci' as target_name", "where id < 100 limit 1", "1"}};
        for (String[] e : expected) {
            TransformProject.Builder builder = TransformProject.builder(ds).model("tg.src", "select * from tg_src.t")
                    .model("tg.m", model);
            TransformProject project = (e[0] == null ? builder : builder.target(e[0])).build();
            assertThat(project.sql()).as(e[0]).anySatisfy(s -> assertThat(s).endsWith(" as\n"
                    + "select id,\n"
                    + "    " + e[1] + ", 'POSTGRES' as adapter\n"
                    + "from \"tg\".\"src\"\n"
                    + e[2]));
            project.run().assertSucceeded();
            assertThat(TestSql.strings(ds, "select count(*) || ' ' || min(target_name) from tg.m"))
                    .containsExactly(e[3] + " " + (e[0] == null ? "dev" : e[0]));
        }
        assertThatThrownBy(() -> TransformProject.builder(ds).target(" ")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("target name is blank");
    }

    /**
     * A decimal literal is a Python float and prints as Python prints it: the shortest text that reads back as the
     * same double, in exponent form below 1e-4 and from 1e16, -0.0 keeping its sign, and compares as that double; an
     * integer prints as written; a decimal beyond a double's range is refused.
     * Expected: Jinja 3.1.6's rendering of the same tags.
     */
    @Test
    void decimalLiteralsPrintAsPythonPrintsFloats(DataSource ds) {
        TransformProject project = TransformProject.builder(ds).model("xn.n", "select '"
                + "{{ -0.0 }}|{{ -0.00 }}|{{ 0.1000000000000000055511 }}|{{ 12345678901234567890.5 }}|{{ 0.00001 }}|"
                + "{{ 0.0001 }}|{{ 123456789012345678.0 }}|{{ 1234567890123456.7 }}|{{ 10.0 }}|{{ 2.50 }}|"
                + "{{ 0.30000000000000004 }}|{{ 9999999999999999.0 }}|{{ 0.000012345 }}|{{ [-0.0, 1.10] | join(\",\") }}|"
                + "{{ -0 }}|{{ 123456789012345678901234567890 }}|{{ 12345678901234567890.5 == 12345678901234567168 }}|"
                + "{{ 12345678901234567890.5 == 12345678901234567890 }}|{{ 0.1 == 0.10000000000000001 }}' as n").build();
        assertThat(project.sql()).anySatisfy(s -> assertThat(s).endsWith(" as\nselect '-0.0|-0.0|0.1|"
                + "1.2345678901234567e+19|1e-05|0.0001|1.2345678901234568e+17|1234567890123456.8|10.0|2.5|"
                + "0.30000000000000004|1e+16|1.2345e-05|-0.0,1.1|0|123456789012345678901234567890|True|False|True' as n"));
        project.run().assertSucceeded();
        assertThatThrownBy(() -> TransformProject.builder(ds).model("xn.m", "select\n{{ 1" + "0".repeat(400) + ".5 }}")
                .build()).isInstanceOf(BadInputException.class).hasMessageEndingWith(".5 is beyond a float's range")
                .hasMessageStartingWith("model xn.m line 2: cannot read {{ 1000");
    }

    @Test
    void aVarsNumberDefaultIsTheNumberAsInDbt(DataSource ds) {
        // dbt gives var('n', 2) the default itself, an int, when n has no value: a number in comparisons and printing
        // (texts from Jinja 3.1.6 with var returning its default); a value set with var(name, value) stays text
        String model = "select '{{ var('n', 0.50) }}|{{ var('n', 2.50) ~ 'x' }}|{% if var('n', 2) == 2 %}two{% else %}"
                + "other{% endif %}|{{ var('n', 3) > 2 }}|{% set x = var('n', 1.50) %}{{ x }}{{ x > 1 }}|"
                + "{{ [var('n', 1.0), 2] | join('-') }}' as v";
        TransformProject unset = TransformProject.builder(ds).model("vn.v", model).build();
        assertThat(unset.sql()).anySatisfy(s -> assertThat(s).endsWith(" as\nselect '0.5|2.5x|two|True|1.5True|1.0-2' as v"));
        unset.run().assertSucceeded();
        refused(ds, "select {% if var('n', 2) == '2' %}1{% endif %}", "model e.x line 1: {% if var('n', 2) == '2' %}:"
                + " var('n', 2) == '2' compares a number with text, which Jinja never finds equal");
        refused(ds, "select {{ var('n', 2) | length }}", "model e.x line 1: {{ var('n', 2) | length }}: var('n', 2) |"
                + " length: length takes a list or a text");
        TransformProject set = TransformProject.builder(ds).var("n", "7").model("vn.w",
                "select '{{ var('n', 0.50) }}|{% if var('n', 2) == '7' %}seven{% endif %}' as v").build();
        assertThat(set.sql()).anySatisfy(s -> assertThat(s).endsWith(" as\nselect '7|seven' as v"));
    }

    @Test
    void everyMisusedExpressionIsRefusedNamingTheFileAndLine(DataSource ds, @TempDir Path dir) throws Exception {
        refused(ds, "select 1\n{% for x in ['a'] %}{{ 'a' if loop.index else 'b' }}{% endfor %}", "model e.x line 2:"
                + " {{ 'a' if loop.index else 'b' }}: loop.index is a single value, not true or false; {% if %} tests");
        refused(ds, "select 1\n{% if not 'a' %}{% endif %}", "model e.x line 2: {% if not 'a' %}: 'a' is a single value,"
                + " not true or false");
        refused(ds, "select 1\n{% if true and 'x' %}{% endif %}", "model e.x line 2: {% if true and 'x' %}: 'x' is a"
                + " single value, not true or false");
        refused(ds, "select 1\n{% set x = 'a' if true %}", "model e.x line 2: {% set x = 'a' if true %}: 'a' if true has"
                + " no else, so it is undefined when its test is false; give it an else to set it");
        refused(ds, "select 1\n{% if ('a' if true) == 'a' %}{% endif %}", "model e.x line 2: {% if ('a' if true) == 'a' %}:"
                + " ('a' if true) has no else");
        refused(ds, "select 1\n{% for x in ['a'] if true %}{% endfor %}", "model e.x line 2: {% for x in ['a'] if true %}:"
                + " a loop filter (for x in list if test) is not supported; put an {% if test %} inside the loop");
        refused(ds, "select 1\n{% if 1 == 'a' %}{% endif %}", "model e.x line 2: {% if 1 == 'a' %}: 1 == 'a' compares a"
                + " number with text, which Jinja never finds equal");
        refused(ds, "select 1\n{% if true != 1 %}{% endif %}", "model e.x line 2: {% if true != 1 %}: true != 1 compares"
                + " true/false with a number (Jinja counts true as 1 and false as 0); compare true/false with true/false");
        refused(ds, "select 1\n{% if 1 in [true] %}{% endif %}", "model e.x line 2: {% if 1 in [true] %}: 1 in [true] looks"
                + " for a number in a list of true/false values (Jinja counts true as 1 and false as 0)");
        refused(ds, "select 1\n{% if var('n') == 3 %}{% endif %}", "model e.x line 2: {% if var('n') == 3 %}:"
                + " var('n') == 3 compares text with a number");
        refused(ds, "select 1\n{% if 'a' < 1 %}{% endif %}", "model e.x line 2: {% if 'a' < 1 %}: 'a' < 1: < orders two"
                + " numbers or two texts, not text and a number");
        refused(ds, "select 1\n{% if true > false %}{% endif %}", "model e.x line 2: {% if true > false %}: true > false:"
                + " > orders two numbers or two texts, not true/false and true/false");
        refused(ds, "select 1\n{% if 1 < 2 < 3 %}{% endif %}", "model e.x line 2: {% if 1 < 2 < 3 %}: 1 < 2 < 3 chains"
                + " comparisons; write each one and join them with and");
        refused(ds, "select 1\n{% if 1 in 'abc' %}{% endif %}", "model e.x line 2: {% if 1 in 'abc' %}: 1 in 'abc': in"
                + " looks for a value in a list or a text in a text, not a number in text");
        refused(ds, "select 1\n{% if 'a' not in [1, 2] %}{% endif %}", "model e.x line 2: {% if 'a' not in [1, 2] %}:"
                + " 'a' not in [1, 2] looks for text in a list of numbers, where Jinja never finds it");
        refused(ds, "select 1\n{% if (true %}{% endif %}", "model e.x line 2: cannot read {% if (true %}: expected ')'"
                + " closing the '(' of (true");
        refused(ds, "select 1\n{% if true false %}{% endif %}", "model e.x line 2: cannot read {% if true false %}:"
                + " unexpected 'false' after true");
        refused(ds, "select 1\n{% if x is defined %}{% endif %}", "model e.x line 2: {% if x is defined %}: 'x' is"
                + " undefined");
        refused(ds, "select 1\n{{ ['a'] ~ 'b' }}", "model e.x line 2: {{ ['a'] ~ 'b' }}: ['a'] is a list, which ~ would"
                + " print as a Python list, not SQL; use | join(', ')");
        refused(ds, "select 1\n{{ 'x' if true else ['a'] }}", "model e.x line 2: {{ 'x' if true else ['a'] }}: 'x' if"
                + " true else ['a'] is a list on one side of else and not on the other");
        refused(ds, "select 1\n{{ 'a' | upper(1) }}", "model e.x line 2: {{ 'a' | upper(1) }}: 'a' | upper(1): upper"
                + " takes no arguments, not 1");
        refused(ds, "select 1\n{{ 'a' | replace('a') }}", "model e.x line 2: {{ 'a' | replace('a') }}: 'a' |"
                + " replace('a'): replace takes 2 arguments, not 1");
        refused(ds, "select 1\n{{ 1 | join(', ') }}", "model e.x line 2: {{ 1 | join(', ') }}: 1 | join(', '): join"
                + " takes a list, and 1 is a number");
        refused(ds, "select 1\n{{ 7 | length }}", "model e.x line 2: {{ 7 | length }}: 7 | length: length takes a list or"
                + " a text, and 7 is a number");
        refused(ds, "{% set l = ['a'] %}select 1\n{{ l | upper }}", "model e.x line 2: {{ l | upper }}: l | upper: upper"
                + " takes a single value, and l is a list");
        refused(ds, "select 1\n{{ 'a' | join(d=', ') }}", "model e.x line 2: {{ 'a' | join(d=', ') }}: join(d=…): mds"
                + " reads a filter's arguments by position only");
        refused(ds, "select 1\n{{ x | default('d') | title }}", "model e.x line 2: {{ x | default('d') | title }}: unknown"
                + " filter 'title' (mds has join, upper, lower, trim, replace, length and default)");
        refused(ds, "select 1\n{{ x | upper }}", "model e.x line 2: {{ x | upper }}: 'x' is undefined");
        refused(ds, "select 1\n{{ 'a' | default('b', 'yes') }}", "model e.x line 2: {{ 'a' | default('b', 'yes') }}:"
                + " 'a' | default('b', 'yes'): default's second argument is true or false");
        refused(ds, "select 1\n{{ 'a' + 'b' }}", "model e.x line 2: unknown tag {{ 'a' + 'b' }}: unexpected '+'");
        refused(ds, "select 1\n{{ ref('a') ~ 'b' }}", "model e.x line 2: unknown tag {{ ref('a') ~ 'b' }}: the supported"
                + " expressions are");
        refused(ds, "select 1\n{{ target.schema }}", "model e.x line 2: {{ target.schema }}: mds knows target.name (set"
                + " with target(name), default 'dev') and target.type ('postgres'), not target.schema (mds has no default"
                + " schema: a model names its own)");
        refused(ds, "select 1\n{{ target }}", "model e.x line 2: unknown tag {{ target }}");
        refused(ds, "select 1\n{% elif true %}", "model e.x line 2: {% elif true %} without an open {% if %}");
        refused(ds, "select 1\n{% for x in ['a'] %}\n{% elif true %}{% endfor %}", "model e.x line 3: {% elif true %}"
                + " without an open {% if %} (the {% for x in ['a'] %} of line 2 is open)");
        refused(ds, "select 1\n{% if true %}{% else %}\n{% elif false %}{% endif %}", "model e.x line 3:"
                + " {% elif false %} after the {% else %} of the {% if true %} of line 2: elif comes before else");
        refused(ds, "select 1\n{% if true %}{% elif %}{% endif %}", "model e.x line 2: {% elif %}: {% if %} tests");

        Files.createDirectories(dir.resolve("mart"));
        Path file = dir.resolve("mart/orders.sql");
        Files.writeString(file, "{% set methods = ['coupon'] %}\nselect\n{% for m in methods %}\n"
                + "{% if m == 'coupon' %}1{% elif m == 2 %}2{% endif %}\n{% endfor %}\n");
        assertThatThrownBy(() -> TransformProject.builder(ds).modelsFrom(dir).build())
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith(file + " line 4: {% elif m == 2 %}: m == 2 compares text with a number")
                .satisfies(e -> assertThat(((BadInputException) e).location().line()).hasValue(4));
    }

    private static void refused(DataSource ds, String sql, String message) {
        assertThatThrownBy(() -> TransformProject.builder(ds).model("e.x", sql).build())
                .as(sql).isInstanceOf(BadInputException.class).hasMessageStartingWith(message);
    }
}
