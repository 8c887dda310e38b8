{{ config(materialized='incremental', unique_key='transaction_id') }}
-- silver: one row per transaction, the latest version of each
select transaction_id, customer_id, transaction_date, product, amount, updated_at
from {{ ref('bronze.transactions') }}
{% if is_incremental() %}
where updated_at > (select coalesce(max(updated_at), '-infinity') from {{ this }})
{% endif %}
