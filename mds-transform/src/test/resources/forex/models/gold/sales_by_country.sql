{{ config(materialized='table') }}
select country, sum(revenue) as revenue
from {{ ref('silver.transactions') }}
group by country
