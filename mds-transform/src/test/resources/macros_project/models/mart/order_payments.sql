{%- set methods = ['credit_card', 'coupon', 'gift_card'] -%}
{% macro flag(name, on) -%}
    {{ 'true' if on else 'false' }} as {{ name }}
{%- endmacro -%}
select
    order_id,
    {{ amount_per_method(methods) }},
    {{ amount_per_method(['bank_transfer'], suffix='_max', agg='max') }},
    {{ cents_to_dollars('sum(amount)', 4) }} as total,
    {% for m in methods -%}
    {{ label(m, kind='method') }} as {{ m }}_label,
    {% endfor -%}
    {{ label("O'Brien") }} as quoted,
    {{ flag('has_coupon', 'coupon' in methods) }}
from {{ ref('mart.payments') }}
group by 1
