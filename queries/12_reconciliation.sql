-- Claimed against on-chain, row by row, at the snapshot height. 'missing' = nothing fetched or a fetch error;
-- 'latest_only' = only the current state could be read (method latest): not comparable with the claim, so no
-- onchain amount and no difference.
create or replace view reconciliation as
select
    snapshot_id,
    row_no,
    network,
    coin,
    address,
    por_amount(published_base_units, decimals) as published_amount,
    por_amount(snapshot_base_units, decimals) as onchain_amount,
    por_amount(snapshot_base_units - published_base_units, decimals) as difference,
    case
        when snapshot_valid and snapshot_base_units = published_base_units then 'match'
        when snapshot_valid then 'mismatch'
        when proxy_only then 'latest_only'
        else 'missing'
    end as status,
    published_base_units,
    snapshot_base_units as onchain_base_units,
    snapshot_base_units - published_base_units as difference_base_units,
    snapshot_block as block_height,
    snapshot_error as error,
    signature_status,
    snapshot_method as method,
    snapshot_read_block as read_block,
    snapshot_note as note
from row_facts;
