-- Reserves per snapshot and asset, summed across networks. On-chain sums are NULL until something was
-- fetched, and cover only rows whose value was obtained for the snapshot block (method state_at_height, dump,
-- replayed): compare rows_fetched with rows before trusting them. Rows that could only be read at the current
-- state are counted apart (rows_latest_proxy) and summed apart (onchain_latest_proxy): a side figure, never
-- part of onchain_amount.
create or replace view reserves as
select
    snapshot_id,
    asset,
    por_amount(sum(published_scaled), max(asset_scale)) as published_amount,
    por_amount(sum(snapshot_scaled), max(asset_scale)) as onchain_amount,
    por_amount(sum(snapshot_scaled) filter (where signature_status = 'verified'), max(asset_scale)) as onchain_verified_amount,
    por_amount(sum(published_scaled) filter (where signature_status = 'verified'), max(asset_scale)) as published_verified_amount,
    count(*) as rows,
    count(*) filter (where signature_status = 'verified') as rows_verified,
    count(*) filter (where signature_status = 'signature_only') as rows_signature_only,
    count(*) filter (where signature_status = 'failed') as rows_signature_failed,
    count(*) filter (where snapshot_valid) as rows_fetched,
    count(*) filter (where snapshot_status = 'error') as rows_fetch_error,
    count(*) filter (where snapshot_status is null) as rows_not_fetched,
    string_agg(distinct network, ',' order by network) as networks,
    max(asset_scale) as scale,
    sum(published_scaled) as published_units,
    sum(snapshot_scaled) as onchain_units,
    sum(snapshot_scaled) filter (where signature_status = 'verified') as onchain_verified_units,
    bool_and(coin_known) as all_coins_known,
    count(*) filter (where proxy_only) as rows_latest_proxy,
    por_amount(sum(proxy_scaled), max(asset_scale)) as onchain_latest_proxy,
    sum(proxy_scaled) as onchain_latest_proxy_units
from row_facts
group by snapshot_id, asset;
