-- One price per (asset, time): a price the user imported wins over fetched ones at the same time.
create or replace view price_points as
select asset, "at", usd, usd_text, usd_units, source
from (
    select *, row_number() over (partition by asset, "at" order by source <> 'import', source) as pick
    from prices
)
where pick = 1;
-- Reserves per snapshot and asset in USD, each snapshot valued at the latest price at or before its
-- publication time (snapshot_times). USD values are DECIMAL(38,18), computed from the exact base units
-- (see por_usd_units); NULL where no price is known. own_token marks the exchange's own token (data/exchanges.csv).
create or replace view reserves_usd as
with assets as (
    select rr.snapshot_id, rr.asset, t.exchange, t.published_at
    from reserve_ratios rr
    join snapshot_times t on t.snapshot_id = rr.snapshot_id
),
priced as (
    select a.*, p.at as price_at, p.usd as price_usd, p.usd_units as price_units, p.source as price_source
    from assets a
    asof left join price_points p on p.asset = a.asset and a.published_at >= p.at
)
select
    x.exchange,
    x.snapshot_id,
    x.published_at,
    x.asset,
    x.price_usd,
    x.price_at,
    x.price_source,
    por_usd(r.published_units, r.scale, x.price_units) as published_usd,
    por_usd(r.onchain_units, r.scale, x.price_units) as onchain_usd,
    por_usd(r.verified_units, r.scale, x.price_units) as verified_usd,
    por_usd(l.base_units, l.scale, x.price_units) as liabilities_usd,
    exists (
        select 1 from exchange_own_tokens o where o.exchange = lower(x.exchange) and o.asset = x.asset
    ) as own_token
from priced x
left join reserves r on r.snapshot_id = x.snapshot_id and r.asset = x.asset
left join liabilities l on l.snapshot_id = x.snapshot_id and l.asset = x.asset;
