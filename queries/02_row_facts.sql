-- One row per published address row with everything the other views need, already at the asset's scale.
-- Decimals, family and contract are the ones stored with the row at ingest (never today's coins table).
create or replace view row_facts as
select
    a.snapshot_id, a.row_no, a.coin, a.asset, a.network, a.address, a.row_type, a.snapshot_height, a.coin_known,
    a.decimals,
    a.family,
    a.contract,
    a.source_member,
    a.line_no,
    s.scale as asset_scale,
    a.published_amount,
    a.published_base_units,
    por_rescale(a.published_base_units, a.decimals, s.scale) as published_scaled,
    sig.family as signature_family,
    sig.status as signature_status,
    sig.reason as signature_reason,
    bs.status as snapshot_status,
    bs.base_units as snapshot_base_units,
    bs.block_height as snapshot_block,
    bs.error as snapshot_error,
    case when bs.status = 'ok' then por_rescale(bs.base_units, a.decimals, s.scale) end as snapshot_scaled,
    bl.status as latest_status,
    bl.base_units as latest_base_units,
    bl.block_height as latest_block,
    bl.error as latest_error,
    case when bl.status = 'ok' then por_rescale(bl.base_units, a.decimals, s.scale) end as latest_scaled
from addresses a
left join asset_scales s on s.snapshot_id = a.snapshot_id and s.asset = a.asset
left join signatures sig on sig.snapshot_id = a.snapshot_id and sig.row_no = a.row_no
left join balances bs on bs.snapshot_id = a.snapshot_id and bs.row_no = a.row_no and bs.as_of = 'snapshot'
left join balances bl on bl.snapshot_id = a.snapshot_id and bl.row_no = a.row_no and bl.as_of = 'latest';
