-- Reserves per snapshot, asset and form, so an analyst can exclude what is not the asset itself: HTX counts
-- stETH and aETH toward ETH, WBTC and BTC-TRC20 toward BTC, jUSDT and aEthUSDT toward USDT (its own (ALL) totals
-- do), and the exchange's coin map says which form each coin key is (native, wrapped, bridged, staked, lent).
-- Rows of a coin nobody classified (OKX's registry) have form 'unclassified'. Same sums and rules as reserves.
create or replace view reserves_by_form as
select
    snapshot_id,
    asset,
    coalesce(form, 'unclassified') as form,
    por_amount(sum(published_scaled), max(asset_scale)) as published_amount,
    por_amount(sum(snapshot_scaled), max(asset_scale)) as onchain_amount,
    por_amount(sum(snapshot_scaled) filter (where signature_status = 'verified'), max(asset_scale)) as verified_amount,
    count(*) as rows,
    count(*) filter (where signature_status = 'verified') as rows_verified,
    count(*) filter (where snapshot_valid) as rows_fetched,
    count(*) filter (where published_base_units is null) as rows_without_amount,
    string_agg(distinct coin, ',' order by coin) as coins,
    string_agg(distinct network, ',' order by network) as networks,
    max(asset_scale) as scale,
    sum(published_scaled) as published_units,
    sum(snapshot_scaled) as onchain_units
from row_facts
group by snapshot_id, asset, coalesce(form, 'unclassified');
