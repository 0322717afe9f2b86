-- Per snapshot, the scale an asset's amounts are summed at: the finest decimals among the asset's coin keys
-- as the registry said when the snapshot was ingested (snapshot_asset_scales), and never coarser than the
-- decimals stored with its rows, so every sum is exact. Today's coins table plays no part: a registry fix
-- never rescales a snapshot already loaded.
create or replace view asset_scales as
with rows_scale as (
    select snapshot_id, asset, max(decimals) as scale
    from addresses
    where asset <> '' and decimals is not null
    group by snapshot_id, asset
)
select
    coalesce(f.snapshot_id, r.snapshot_id) as snapshot_id,
    coalesce(f.asset, r.asset) as asset,
    greatest(f.scale, r.scale) as scale
from snapshot_asset_scales f
full outer join rows_scale r on r.snapshot_id = f.snapshot_id and r.asset = f.asset;
