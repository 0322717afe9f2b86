-- One row per published address row with everything the other views need, already at the asset's scale.
-- A snapshot balance counts (snapshot_valid, snapshot_base_units, snapshot_scaled) only when it is ok AND was
-- obtained for the snapshot block (method state_at_height, dump or replayed). An ok snapshot row read only at the
-- current state (method latest) is a "latest proxy": kept apart in proxy_* columns, never in a snapshot figure.
-- Decimals, family, contract, form and custodian are the ones stored with the row at ingest (never today's coins table).
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
    sig.extra_signature as signature_extra,  -- a signature the single-key address does not need: same_key | other_key | unreadable
    bs.status as snapshot_status,
    coalesce(bs.status = 'ok' and bs.method in ('state_at_height', 'dump', 'replayed'), false) as snapshot_valid,
    case when bs.status = 'ok' and bs.method in ('state_at_height', 'dump', 'replayed') then bs.base_units end as snapshot_base_units,
    bs.block_height as snapshot_block,
    bs.read_block as snapshot_read_block,
    bs.method as snapshot_method,
    bs.note as snapshot_note,
    bs.run_id as snapshot_run_id,
    bs.error as snapshot_error,
    case when bs.status = 'ok' and bs.method in ('state_at_height', 'dump', 'replayed')
         then por_rescale(bs.base_units, a.decimals, s.scale) end as snapshot_scaled,
    coalesce(bs.status = 'ok' and coalesce(bs.method not in ('state_at_height', 'dump', 'replayed'), true), false) as proxy_only,
    case when bs.status = 'ok' and coalesce(bs.method not in ('state_at_height', 'dump', 'replayed'), true)
         then bs.base_units end as proxy_base_units,
    case when bs.status = 'ok' and coalesce(bs.method not in ('state_at_height', 'dump', 'replayed'), true)
         then por_rescale(bs.base_units, a.decimals, s.scale) end as proxy_scaled,
    bl.status as latest_status,
    case when bl.status = 'ok' then bl.base_units end as latest_base_units,
    coalesce(bl.read_block, bl.block_height) as latest_block,
    bl.error as latest_error,
    case when bl.status = 'ok' then por_rescale(bl.base_units, a.decimals, s.scale) end as latest_scaled,
    a.custodian,  -- Binance: the third-party custodian holding the address (NULL = the exchange itself)
    a.form        -- the exchange's coin map: native | wrapped | bridged | staked | lent (NULL = not classified)
from addresses a
left join asset_scales s on s.snapshot_id = a.snapshot_id and s.asset = a.asset
left join signatures sig on sig.snapshot_id = a.snapshot_id and sig.row_no = a.row_no
left join balances bs on bs.snapshot_id = a.snapshot_id and bs.row_no = a.row_no and bs.as_of = 'snapshot'
left join balances bl on bl.snapshot_id = a.snapshot_id and bl.row_no = a.row_no and bl.as_of = 'latest';
