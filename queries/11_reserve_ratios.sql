-- Reserves over liabilities per asset. A ratio is a ratio (DOUBLE); the amounts beside it are exact.
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
    (cast(case when r.asset is null then 0 else r.published_units end as double) / 10 ** coalesce(r.scale, l.scale))
        / nullif(cast(l.base_units as double) / 10 ** l.scale, 0) as ratio_published,
    (cast(r.onchain_units as double) / 10 ** r.scale) / nullif(cast(l.base_units as double) / 10 ** l.scale, 0) as ratio_onchain,
    (cast(r.onchain_verified_units as double) / 10 ** r.scale)
        / nullif(cast(l.base_units as double) / 10 ** l.scale, 0) as ratio_onchain_verified,
    r.rows,
    r.rows_fetched,
    l.source as liabilities_source,
    r.rows_latest_proxy
from reserves r
full outer join l on l.snapshot_id = r.snapshot_id and l.asset = r.asset;
