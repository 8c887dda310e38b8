{# money macros, as a project's macros/ folder holds them #}

{% macro cents_to_dollars(column_name, precision=2) -%}
    ({{ column_name }} / 100)::numeric(16, {{ precision }})
{%- endmacro %}

{%- macro amount_per_method(methods, agg='sum', suffix='_amount') %}
    {%- for m in methods %}
    {{ agg | upper }}(case when payment_method = '{{ m }}' then {{ cents_to_dollars('amount') }} else 0 end) as {{ m ~ suffix }}
    {%- if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}
