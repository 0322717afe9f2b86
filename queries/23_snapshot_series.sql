-- One row per snapshot and asset across every snapshot in the database, in publication order: amounts
-- (exact *_units beside the DECIMALs), ratios, USD values and the change since the exchange's previous snapshot.
create or replace view snapshot_series as
select
    t.exchange,
    rr.snapshot_id,
    t.published_at,
    t.time_source,
    rr.asset,
    rr.published_reserves as published,
    rr.onchain_reserves as onchain,
    rr.verified_reserves as verified,
    rr.published_proven_reserves as published_proven,
    rr.liabilities,
    rr.ratio_published,
    rr.ratio_onchain,
    rr.ratio_verified,
    rr.rows,
    rr.rows_fetched,
    u.price_usd,
    u.price_at,
    u.published_usd,
    u.onchain_usd,
    u.verified_usd,
    u.liabilities_usd,
    u.own_token,
    rr.published_reserves - lag(rr.published_reserves) over w as published_change,
    rr.onchain_reserves - lag(rr.onchain_reserves) over w as onchain_change,
    lag(rr.snapshot_id) over w as previous_snapshot_id,
    r.scale,
    r.published_units,
    r.onchain_units,
    r.verified_units,
    row_number() over (partition by t.exchange, rr.asset order by t.published_at, rr.snapshot_id) as seq
from reserve_ratios rr
join snapshot_times t on t.snapshot_id = rr.snapshot_id
left join reserves r on r.snapshot_id = rr.snapshot_id and r.asset = rr.asset
left join reserves_usd u on u.snapshot_id = rr.snapshot_id and u.asset = rr.asset
window w as (partition by t.exchange, rr.asset order by t.published_at, rr.snapshot_id)
order by t.exchange, t.published_at, rr.snapshot_id, rr.asset;
-- Per snapshot: USD totals, "clean" totals without the exchange's own token, and how much of the value is priced.
create or replace view snapshot_usd_totals as
select
    exchange,
    snapshot_id,
    any_value(published_at) as published_at,
    count(*) as assets,
    count(price_usd) as assets_priced,
    string_agg(asset, ',' order by asset) filter (where price_usd is null) as assets_unpriced,
    sum(published_usd) as published_usd,
    sum(onchain_usd) as onchain_usd,
    sum(verified_usd) as verified_usd,
    sum(liabilities_usd) as liabilities_usd,
    sum(published_usd) filter (where not own_token) as clean_published_usd,
    sum(onchain_usd) filter (where not own_token) as clean_onchain_usd,
    sum(verified_usd) filter (where not own_token) as clean_verified_usd,
    sum(liabilities_usd) filter (where not own_token) as clean_liabilities_usd,
    cast(sum(verified_usd) as double) / nullif(cast(sum(published_usd) as double), 0) as share_verified,
    cast(sum(verified_usd) as double) / nullif(cast(sum(liabilities_usd) as double), 0) as ratio_verified_usd,
    cast(sum(published_usd) as double) / nullif(cast(sum(liabilities_usd) as double), 0) as ratio_published_usd
from reserves_usd
group by exchange, snapshot_id
order by exchange, published_at, snapshot_id;
