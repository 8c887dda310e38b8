{% macro label(value, kind='plain') -%}
    {%- set prefix = 'is ' if kind == 'plain' else kind ~ ': ' -%}
    '{{ prefix ~ value | replace("'", "''") }}'
{%- endmacro %}
