-- How each snapshot row's balance was obtained, per network: state_at_height / dump / replayed (count for the
-- snapshot), latest (read at the tip: never the snapshot's value), error, missing (nothing fetched).
-- Before balances carry a method (another branch's migration), an ok snapshot balance was read at the height.
create or replace view coverage_by_method as
select
    f.snapshot_id,
    f.network,
    case when f.snapshot_status = 'ok' then 'state_at_height'
         when f.snapshot_status = 'error' then 'error'
         else 'missing' end as method,
    count(*) as rows
from row_facts f
group by all;
