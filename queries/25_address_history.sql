-- Every snapshot an address appears in (per exchange and network; 0x-hex addresses case-insensitively), with
-- its published and on-chain amounts in coin units, in publication order. appearances / first_seen / last_seen
-- summarise the address over the whole database.
create or replace view address_history as
select
    t.exchange,
    f.network,
    f.address,
    f.asset,
    f.coin,
    f.snapshot_id,
    t.published_at,
    f.row_no,
    f.row_type,
    por_amount(f.published_base_units, f.decimals) as published_amount,
    case when f.snapshot_status = 'ok' then por_amount(f.snapshot_base_units, f.decimals) end as onchain_amount,
    f.published_base_units,
    case when f.snapshot_status = 'ok' then f.snapshot_base_units end as onchain_base_units,
    coalesce(f.snapshot_status, 'not fetched') as balance_status,
    f.signature_status,
    count(distinct f.snapshot_id) over k as appearances,
    min(t.published_at) over k as first_seen,
    max(t.published_at) over k as last_seen,
    por_address_key(f.address) as address_key
from row_facts f
join snapshot_times t on t.snapshot_id = f.snapshot_id
window k as (partition by t.exchange, f.network, por_address_key(f.address))
order by t.exchange, f.network, por_address_key(f.address), t.published_at, f.snapshot_id, f.row_no;
