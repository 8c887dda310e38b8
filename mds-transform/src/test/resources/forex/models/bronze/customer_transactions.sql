-- bronze: the raw CSV text, typed; unreadable values become null
select transaction_id,
       nullif(customer_id, '')::numeric::int as customer_id,
       case when transaction_date ~ '^\d{4}-\d{2}-\d{2}$' then transaction_date::date
            when transaction_date ~ '^\d{2}-\d{2}-\d{4}$' then to_date(transaction_date, 'DD-MM-YYYY')
       end as transaction_date,
       product_name,
       nullif(quantity, '')::numeric::int as quantity,
       case when price ~ '^\d+(\.\d+)?$' then price::numeric
            when lower(price) = 'two hundred' then 200   -- the one price written in words, as the original project reads it
       end as price,
       customer_country,
       customer_city
from raw.customer_transactions
