-- When each snapshot was published: the time in the file's name (published_at), else the audit page's createTime
-- (audits.create_time, SPEC §6.4), else the ingest time. Series are ordered and valued by it.
create or replace macro por_usd_units(units, scale, price_units) as
    -- units (at `scale` decimals) x price (in 1e-18 USD) -> value in 1e-18 USD, exact to 1e-12 of a coin:
    -- whole coins times the price, plus the fraction (first 12 decimals) times the price. No HUGEINT overflow
    -- below 1.7e20 USD per value; truncated toward zero.
    (units // por_pow10(scale)) * price_units
    + (case when scale >= 12 then (units % por_pow10(scale)) // por_pow10(scale - 12)
            else (units % por_pow10(scale)) * por_pow10(12 - scale) end) * price_units // por_pow10(12);
create or replace macro por_usd(units, scale, price_units) as por_amount(por_usd_units(units, scale, price_units), 18);
create or replace view snapshot_times as
with audit_time as (
    select snapshot_id, min(create_time) as created from audits group by snapshot_id
)
select
    s.snapshot_id,
    s.exchange,
    coalesce(s.published_at, a.created, s.loaded_at) as published_at,
    case when s.published_at is not null then 'file name'
         when a.created is not null then 'audit createTime'
         else 'ingest time' end as time_source,
    s.loaded_at
from snapshots s
left join audit_time a on a.snapshot_id = s.snapshot_id;
