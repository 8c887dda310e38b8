{# a view over a table model, found by its name alone #}
select transaction_date, volume
from {{ ref('daily_volume') }}
order by volume desc
limit 1
