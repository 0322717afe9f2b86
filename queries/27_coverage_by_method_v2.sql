-- requires: balances.method
-- balances.method present: the method recorded per snapshot row ('latest' values are listed, never counted as the snapshot's).
create or replace view coverage_by_method as
select
    a.snapshot_id,
    a.network,
    case when b.status = 'ok' then coalesce(nullif(b.method, ''), 'state_at_height')
         when b.status = 'error' then 'error'
         else 'missing' end as method,
    count(*) as rows
from addresses a
left join balances b on b.snapshot_id = a.snapshot_id and b.row_no = a.row_no and b.as_of = 'snapshot'
group by all;
