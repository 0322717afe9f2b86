-- The file's own summary section against the sum of the detail rows it covers: a per-asset row (ASSET(ALL), or
-- any row of today's two-column summary) covers every coin of the asset, a per-coin row that coin key. A summary
-- covers the detail rows of its own file (source_member), also when an archive holds several files.
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
    t.scale,
    t.source_member
from published_totals t
left join lateral (
    select
        sum(por_rescale(f.published_base_units, f.decimals, t.scale)) as units,
        count(*) as rows
    from row_facts f
    where f.snapshot_id = t.snapshot_id
      and f.source_member is not distinct from t.source_member
      and (case
               when t.asset is not null then f.asset = t.asset
               when t.coin like '%(ALL)' then f.asset = replace(t.coin, '(ALL)', '')
               else f.coin = t.coin
           end)
) d on true;
