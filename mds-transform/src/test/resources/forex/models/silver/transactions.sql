{{ config(materialized='incremental', unique_key='transaction_id') }}
select transaction_id, customer_id, transaction_date, product_name, quantity, price,
       quantity * price as revenue, customer_country as country, customer_city as city
from {{ ref('customer_transactions') }} b
{% if is_incremental() %}
where not exists (select 1 from {{ this }} t where t.transaction_id = b.transaction_id)
{% endif %}
