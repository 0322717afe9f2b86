-- What was proven and fetched per network and coin key, and which adapter (if any) serves the network.
-- balances_ok counts snapshot values only (method state_at_height, dump, replayed); the balances_<method> columns
-- break ok rows down by how they were obtained, balances_latest being current values that are not the snapshot's.
create or replace view coverage as
select
    f.snapshot_id,
    f.network,
    f.coin,
    count(*) as rows,
    count(*) filter (where f.signature_status = 'verified') as signatures_verified,
    count(*) filter (where f.signature_status = 'signature_only') as signatures_signature_only,
    count(*) filter (where f.signature_status = 'failed') as signatures_failed,
    count(*) filter (where f.signature_status = 'unsupported') as signatures_unsupported,
    count(*) filter (where f.signature_status is null) as signatures_not_checked,
    count(*) filter (where f.snapshot_valid) as balances_ok,
    count(*) filter (where f.snapshot_status = 'error') as balances_error,
    count(*) filter (where f.snapshot_status is null) as balances_not_fetched,
    nullif(any_value(n.adapter), '') as adapter,
    case when bool_and(f.coin_known) then null else 'unknown coin' end as marker,
    count(*) filter (where f.snapshot_status = 'ok' and f.snapshot_method = 'state_at_height') as balances_state_at_height,
    count(*) filter (where f.snapshot_status = 'ok' and f.snapshot_method = 'dump') as balances_dump,
    count(*) filter (where f.snapshot_status = 'ok' and f.snapshot_method = 'replayed') as balances_replayed,
    count(*) filter (where f.proxy_only) as balances_latest,
    count(*) filter (where f.signature_extra is not null) as signatures_extra  -- counted apart: never a failure
from row_facts f
left join networks n on n.network = f.network
group by f.snapshot_id, f.network, f.coin;
