-- How each snapshot row's balance was obtained, per network: state_at_height / dump / replayed (they count for
-- the snapshot), latest (a current value: never the snapshot's), error, missing (nothing fetched). An ok row with
-- no recorded method (written before methods were recorded, by an adapter that did not exist then) is 'unknown'
-- and, like the reserve views, not counted as a snapshot value.
create or replace view coverage_by_method as
select
    a.snapshot_id,
    a.network,
    case when b.status = 'ok' then coalesce(nullif(b.method, ''), 'unknown')
         when b.status = 'error' then 'error'
         else 'missing' end as method,
    count(*) as rows
from addresses a
left join balances b on b.snapshot_id = a.snapshot_id and b.row_no = a.row_no and b.as_of = 'snapshot'
group by all;
