-- What each address held at the snapshot and holds now. NULL wherever either side was not fetched.
create or replace view snapshot_vs_latest as
select
    snapshot_id,
    row_no,
    network,
    coin,
    address,
    por_amount(snapshot_base_units, decimals) as snapshot_amount,
    por_amount(latest_base_units, decimals) as latest_amount,
    por_amount(latest_base_units - snapshot_base_units, decimals) as change,
    latest_block,
    snapshot_block,
    case when snapshot_status = 'ok' then snapshot_base_units end as snapshot_base_units,
    case when latest_status = 'ok' then latest_base_units end as latest_base_units
from row_facts;

create or replace view snapshot_vs_latest_by_asset as
select
    snapshot_id,
    asset,
    por_amount(sum(snapshot_scaled), max(asset_scale)) as snapshot_amount,
    por_amount(sum(latest_scaled), max(asset_scale)) as latest_amount,
    por_amount(sum(latest_scaled - snapshot_scaled), max(asset_scale)) as change,
    count(*) filter (where snapshot_scaled is not null and latest_scaled is not null) as rows_compared,
    count(*) as rows,
    min(latest_block) as latest_block_min,
    max(latest_block) as latest_block_max
from row_facts
group by snapshot_id, asset;
