-- What was proven and fetched per network and coin key, and which adapter (if any) serves the network.
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
    count(*) filter (where f.snapshot_status = 'ok') as balances_ok,
    count(*) filter (where f.snapshot_status = 'error') as balances_error,
    count(*) filter (where f.snapshot_status is null) as balances_not_fetched,
    nullif(any_value(n.adapter), '') as adapter,
    case when bool_and(f.coin_known) then null else 'unknown coin' end as marker
from row_facts f
left join networks n on n.network = f.network
group by f.snapshot_id, f.network, f.coin;
