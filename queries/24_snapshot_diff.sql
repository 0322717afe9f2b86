-- Addresses compare by (asset, network, address); 0x-hex addresses (EVM, OKX-ECDSA, Aptos, Sui) case-insensitively.
create or replace macro por_address_key(address) as
    case when address ilike '0x%' then lower(address) else address end;
-- A snapshot id that does not exist is an error, never an empty side: snapshot_diff(3, 99) would otherwise report
-- every address of 3 as removed.
create or replace macro por_snapshot_must_exist(id) as
    case when exists (select 1 from snapshots s where s.snapshot_id = id) then true
         else error('there is no snapshot ' || id || ' in this database: select * from snapshots lists them') end;
-- Two snapshots, address by address: status added (only in b), removed (only in a) or kept, with the
-- published and on-chain amounts on both sides (at the asset's scale; on-chain NULL where nothing was fetched).
create or replace macro snapshot_diff_addresses(a, b) as table
with per as (
    select
        asset,
        network,
        por_address_key(address) as address_key,
        min(address) as address,
        max(asset_scale) as scale,
        count(*) filter (where snapshot_id = a) as rows_a,
        count(*) filter (where snapshot_id = b) as rows_b,
        sum(published_scaled) filter (where snapshot_id = a) as published_a_units,
        sum(published_scaled) filter (where snapshot_id = b) as published_b_units,
        sum(snapshot_scaled) filter (where snapshot_id = a) as onchain_a_units,
        sum(snapshot_scaled) filter (where snapshot_id = b) as onchain_b_units
    from row_facts
    where (snapshot_id = a or snapshot_id = b) and por_snapshot_must_exist(a) and por_snapshot_must_exist(b)
    group by asset, network, por_address_key(address)
)
select
    asset,
    network,
    address,
    case when rows_a > 0 and rows_b > 0 then 'kept' when rows_b > 0 then 'added' else 'removed' end as status,
    por_amount(published_a_units, scale) as published_a,
    por_amount(published_b_units, scale) as published_b,
    por_amount(coalesce(published_b_units, 0) - coalesce(published_a_units, 0), scale) as published_change,
    por_amount(onchain_a_units, scale) as onchain_a,
    por_amount(onchain_b_units, scale) as onchain_b,
    por_amount(onchain_b_units - onchain_a_units, scale) as onchain_change,
    scale,
    published_a_units,
    published_b_units,
    onchain_a_units,
    onchain_b_units,
    address_key
from per;
-- Two snapshots per asset and network: addresses added, removed and kept; published and on-chain amounts
-- on both sides and the change (b - a). published_added = what the new addresses hold in b,
-- published_removed = what the vanished ones held in a. On-chain sums cover fetched rows only (NULL if none).
create or replace macro snapshot_diff(a, b) as table
select
    asset,
    network,
    count(*) filter (where status <> 'added') as addresses_a,
    count(*) filter (where status <> 'removed') as addresses_b,
    count(*) filter (where status = 'added') as added,
    count(*) filter (where status = 'removed') as removed,
    count(*) filter (where status = 'kept') as kept,
    por_amount(coalesce(sum(published_a_units), 0), max(scale)) as published_a,
    por_amount(coalesce(sum(published_b_units), 0), max(scale)) as published_b,
    por_amount(coalesce(sum(published_b_units), 0) - coalesce(sum(published_a_units), 0), max(scale)) as published_change,
    por_amount(sum(onchain_a_units), max(scale)) as onchain_a,
    por_amount(sum(onchain_b_units), max(scale)) as onchain_b,
    por_amount(sum(onchain_b_units) - sum(onchain_a_units), max(scale)) as onchain_change,
    por_amount(coalesce(sum(published_b_units) filter (where status = 'added'), 0), max(scale)) as published_added,
    por_amount(coalesce(sum(published_a_units) filter (where status = 'removed'), 0), max(scale)) as published_removed,
    por_amount(coalesce(sum(published_b_units - published_a_units) filter (where status = 'kept'), 0), max(scale)) as published_kept_change,
    max(scale) as scale,
    coalesce(sum(published_a_units), 0) as published_a_units,
    coalesce(sum(published_b_units), 0) as published_b_units,
    sum(onchain_a_units) as onchain_a_units,
    sum(onchain_b_units) as onchain_b_units
from snapshot_diff_addresses(a, b)
group by asset, network
order by asset, network;
