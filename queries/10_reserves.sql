-- Reserves per snapshot and asset, summed across networks. On-chain sums are NULL until something was
-- fetched, and cover only rows whose value was obtained for the snapshot block (method state_at_height, dump,
-- replayed): compare rows_fetched with rows before trusting them. Rows that could only be read at the current
-- state are counted apart (rows_latest_proxy) and summed apart (onchain_latest_proxy): a side figure, never
-- part of onchain_amount. Custody rows (a named custodian) and derivative forms are also summed apart.
-- rows_fetched / rows is the asset's on-chain coverage (reserve_ratios.coverage_onchain).
create or replace view reserves as
select
    snapshot_id,
    asset,
    por_amount(sum(published_scaled), max(asset_scale)) as published_amount,
    por_amount(sum(snapshot_scaled), max(asset_scale)) as onchain_amount,
    por_amount(sum(snapshot_scaled) filter (where signature_status = 'verified'), max(asset_scale)) as verified_amount,
    por_amount(sum(published_scaled) filter (where signature_status = 'verified'), max(asset_scale)) as published_proven_amount,
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
    sum(snapshot_scaled) filter (where signature_status = 'verified') as verified_units,
    bool_and(coin_known) as all_coins_known,
    count(*) filter (where proxy_only) as rows_latest_proxy,
    por_amount(sum(proxy_scaled), max(asset_scale)) as onchain_latest_proxy,
    sum(proxy_scaled) as onchain_latest_proxy_units,
    -- rows a named third-party custodian holds for the exchange (Binance's custodian column), shown apart:
    -- part of published_amount, and the file's own counterpart of the audit page's custody figure
    count(*) filter (where custodian is not null) as rows_custody,
    por_amount(sum(published_scaled) filter (where custodian is not null), max(asset_scale)) as custody_published,
    sum(published_scaled) filter (where custodian is not null) as custody_published_units,
    -- rows whose holding is a derivative of the asset (wrapped, bridged, staked, lent: stETH counts as ETH),
    -- per the exchange's coin map; see reserves_by_form to exclude them form by form
    count(*) filter (where form is not null and form <> 'native') as rows_derivative,
    por_amount(sum(published_scaled) filter (where form is not null and form <> 'native'), max(asset_scale)) as derivative_published,
    -- what the on-chain coverage of reserve_ratios is made of (snapshot_valid, as in the coverage view): the
    -- signature-verified rows that hold a snapshot value, and the published amount of the rows that do
    count(*) filter (where signature_status = 'verified' and snapshot_valid) as rows_verified_fetched,
    sum(published_scaled) filter (where snapshot_valid) as published_fetched_units
from row_facts
group by snapshot_id, asset;
