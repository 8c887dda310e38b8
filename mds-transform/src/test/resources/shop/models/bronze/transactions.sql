-- bronze: the raw rows, typed and with the line amount computed
select transaction_id,
       customer_id,
       transaction_date,
       product,
       quantity * price as amount,
       updated_at
from raw.transactions
