-- The file's own summary section against the sum of the detail rows it covers (ASSET(ALL) = every coin of the asset).
create or replace view published_totals_check as
select
    t.snapshot_id,
    t.coin,
    t.snapshot_height,
    por_amount(t.base_units, t.scale) as published_total,
    por_amount(coalesce(d.units, 0), t.scale) as detail_sum,
    por_amount(coalesce(d.units, 0) - t.base_units, t.scale) as difference,
    coalesce(d.rows, 0) as detail_rows,
    t.amount as published_total_text,
    t.scale
from published_totals t
left join lateral (
    select
        sum(por_rescale(f.published_base_units, f.decimals, t.scale)) as units,
        count(*) as rows
    from row_facts f
    where f.snapshot_id = t.snapshot_id
      and (case when t.coin like '%(ALL)' then f.asset = replace(t.coin, '(ALL)', '') else f.coin = t.coin end)
) d on true;
