-- Reserves over liabilities per asset. Ratios are exact DECIMAL(38,18), truncated; counts are 0, never NULL.
create or replace view reserve_ratios as
with l as (
    select snapshot_id, asset, base_units, scale, source from liabilities
)
select
    coalesce(r.snapshot_id, l.snapshot_id) as snapshot_id,
    coalesce(r.asset, l.asset) as asset,
    por_amount(l.base_units, l.scale) as liabilities,
    -- an asset the file does not list at all has published reserves of zero; a listed asset without amounts has NULL
    por_amount(case when r.asset is null then 0 else r.published_units end, coalesce(r.scale, l.scale)) as published_reserves,
    r.onchain_amount as onchain_reserves,
    r.onchain_verified_amount as onchain_verified_reserves,
    r.published_verified_amount as published_verified_reserves,
    por_ratio(case when r.asset is null then 0 else r.published_units end, coalesce(r.scale, l.scale), l.base_units, l.scale)
        as ratio_published,
    por_ratio(r.onchain_units, r.scale, l.base_units, l.scale) as ratio_onchain,
    por_ratio(r.onchain_verified_units, r.scale, l.base_units, l.scale) as ratio_onchain_verified,
    coalesce(r.rows, 0) as rows,
    coalesce(r.rows_fetched, 0) as rows_fetched,
    l.source as liabilities_source
from reserves r
full outer join l on l.snapshot_id = r.snapshot_id and l.asset = r.asset;
