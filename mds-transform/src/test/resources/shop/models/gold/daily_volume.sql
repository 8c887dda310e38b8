{{ config(materialized='table') }}
select transaction_date, count(*) as transactions, sum(amount) as volume
from {{ ref('silver.transactions') }}
group by transaction_date
