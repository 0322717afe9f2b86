-- Claimed against on-chain, row by row, at the snapshot height. 'missing' = nothing fetched or a fetch error.
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
        when snapshot_status is distinct from 'ok' then 'missing'
        when snapshot_base_units = published_base_units then 'match'
        else 'mismatch'
    end as status,
    published_base_units,
    snapshot_base_units as onchain_base_units,
    snapshot_base_units - published_base_units as difference_base_units,
    snapshot_block as block_height,
    snapshot_error as error,
    signature_status
from row_facts;
