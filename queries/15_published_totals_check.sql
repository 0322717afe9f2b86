-- An exact decimal text ('12.5', '+3', '.25') as integer units at ``scale`` (scale >= its written decimals).
create or replace macro por_text_units(amount, scale) as
    cast(split_part(amount, '.', 1) || rpad(split_part(amount, '.', 2), cast(scale as integer), '0') as hugeint);

-- The file's own summary section against the sum of the detail rows it covers. `por ingest` refuses a file with a
-- `mismatch` (it is incomplete or altered) unless --allow-mismatch; `por report` shows the mismatches of a snapshot.
--
-- What a total covers: a per-asset row (ASSET(ALL), or any row of today's two-column summary) every coin of the
-- asset; a per-coin-key row its key, or, when its key has no row in the file, the keys the exchange's coin map
-- makes the same holding (`covers`: HTX's summary writes USDT-ERC20 where its detail writes USDT-ETH). A summary
-- covers the detail rows of its own file (source_member), also when an archive holds several files.
--
-- Exact: every amount is an integer at one scale per total (the asset's scale, or for a coin the registry does not
-- know, the decimals written), never a float. Within rounding: a total may differ from its rows' sum by one unit of
-- the last non-zero decimal it is written with (`146359` +-1, `5.2834` +-0.0001, HTX's `...323.00` +-1: a whole
-- figure written with two zero decimals); OKX's example truncates its ETH(ALL) `6` from 6.9019. Where the exchange
-- rounds each detail amount (snapshots.amounts_rounded: HTX), half a unit of each row's last written digit more.
--
-- status: `ok`, `mismatch`, or `not compared: ...` when the file has no detail rows (a summary-only file), or when
-- none of the summary's snapshot heights is a height of its detail rows: it describes another snapshot (OKX's
-- okx_por_example.csv: summary at heights 16005122, 46095694, ...; its five rows at 20914735, 43716515 and 100).
create or replace view published_totals_check as
with detail as (
    -- a member's rows per coin key as exact integers at the row's scale: the registry's decimals stored with the
    -- row, or for a coin it does not know, the decimals its amount is written with. ``digits``: the decimals a row
    -- is written with, for the rounding of an exchange that rounds its rows; the text is read only where needed.
    select snapshot_id, source_member, coin, asset, scale, digits, sum(units) as units, sum(rows) as rows
    from (
        select a.snapshot_id, a.source_member, a.coin, a.asset, a.decimals as scale, a.decimals as digits,
               sum(a.published_base_units) as units, count(*) as rows
        from addresses a
        left join snapshots s on s.snapshot_id = a.snapshot_id
        where a.published_amount is not null and a.decimals is not null and not coalesce(s.amounts_rounded, false)
        group by all
        union all
        select snapshot_id, source_member, coin, asset, scale, least(written, coalesce(decimals, written)) as digits,
               sum(coalesce(published_base_units, por_text_units(published_amount, scale))) as units, count(*) as rows
        from (
            select a.*, length(split_part(a.published_amount, '.', 2)) as written,
                   coalesce(a.decimals, length(split_part(a.published_amount, '.', 2))) as scale
            from addresses a
            left join snapshots s on s.snapshot_id = a.snapshot_id
            where a.published_amount is not null and (a.decimals is null or coalesce(s.amounts_rounded, false))
        )
        group by snapshot_id, source_member, coin, asset, scale, digits
    )
    group by all
),
members as (select snapshot_id, source_member, count(*) as rows from addresses group by all),
heights as (select distinct snapshot_id, source_member, snapshot_height from addresses where snapshot_height is not null),
scope as (
    select
        t.snapshot_id, t.source_member,
        count(try_cast(t.snapshot_height as bigint)) as stated,
        count(h.snapshot_height) as found
    from published_totals t
    left join heights h
      on h.snapshot_id = t.snapshot_id and h.source_member is not distinct from t.source_member
     and h.snapshot_height = try_cast(t.snapshot_height as bigint)
    group by all
),
targets as (
    -- what a total covers: an asset, or coin keys (its own, then those of the same holding); and the scale its own
    -- text needs. Every CTE here is read once, so a filter on one snapshot reaches the scans of its rows.
    select
        snapshot_id, row_no, source_member, coin,
        greatest(coalesce(scale, 0), length(split_part(amount, '.', 2))) as text_scale,
        coalesce(asset, case when coin like '%(ALL)' then replace(coin, '(ALL)', '') end) as covered_asset,
        case when asset is null and coin not like '%(ALL)' then coalesce(covers, [coin]) end as covered_keys
    from published_totals
),
candidates as (
    -- one equality join: a total's keys ('a:' asset, 'c:' coin key) against each detail group's two keys
    select x.snapshot_id, x.row_no, x.text_scale, x.by_asset, d.coin = x.coin as own, d.asset, d.scale, d.digits, d.units, d.rows
    from (
        select snapshot_id, row_no, source_member, coin, text_scale, true as by_asset, 'a:' || covered_asset as match_key
        from targets where covered_asset is not null
        union all
        select snapshot_id, row_no, source_member, coin, text_scale, false, 'c:' || unnest(covered_keys)
        from targets where covered_keys is not null
    ) x
    join (
        select d.*, case k.kind when 'a' then 'a:' || d.asset else 'c:' || d.coin end as match_key
        from detail d cross join (values ('a'), ('c')) k(kind)
    ) d
      on d.snapshot_id = x.snapshot_id and d.source_member is not distinct from x.source_member and d.match_key = x.match_key
),
matched as (
    -- a per-key total takes the keys of the same holding only when its own key has no row in the file; each total is
    -- compared at a scale fine enough for its text and for every row it covers
    select *, greatest(text_scale, max(scale) over (partition by snapshot_id, row_no)) as cmp_scale
    from (select *, bool_or(own) over (partition by snapshot_id, row_no) as has_own from candidates)
    where by_asset or own or not has_own
),
sums as (
    select
        snapshot_id, row_no, cmp_scale,
        any_value(asset order by asset) as detail_asset,
        sum(por_rescale(units, scale, cmp_scale)) as units,
        sum(rows) as rows,
        sum(rows * por_pow10(cmp_scale - digits)) as rounding2  -- twice half a unit of each row's last written digit
    from matched
    group by all
),
totals as (
    select
        t.*,
        coalesce(s.cmp_scale, greatest(coalesce(t.scale, 0), length(split_part(t.amount, '.', 2)))) as cmp_scale,
        coalesce(t.asset, s.detail_asset, replace(t.coin, '(ALL)', '')) as total_asset,
        coalesce(s.units, 0) as detail_units,
        coalesce(s.rows, 0) as detail_rows,
        case when coalesce(snap.amounts_rounded, false) then coalesce(s.rounding2, 0) else 0 end as rounding2,
        m.rows as member_rows,
        sc.stated,
        sc.found
    from published_totals t
    left join sums s on s.snapshot_id = t.snapshot_id and s.row_no = t.row_no
    left join snapshots snap on snap.snapshot_id = t.snapshot_id
    left join members m on m.snapshot_id = t.snapshot_id and m.source_member is not distinct from t.source_member
    left join scope sc on sc.snapshot_id = t.snapshot_id and sc.source_member is not distinct from t.source_member
),
checked as (
    select
        *,
        por_text_units(amount, cmp_scale) as total_units,
        2 * por_pow10(cmp_scale - length(rtrim(split_part(amount, '.', 2), '0'))) + rounding2 as tolerance2
    from totals
)
select
    snapshot_id,
    coin,
    snapshot_height,
    por_amount(total_units, cmp_scale) as published_total,
    por_amount(detail_units, cmp_scale) as detail_sum,
    por_amount(detail_units - total_units, cmp_scale) as difference,
    detail_rows,
    amount as published_total_text,
    scale,
    source_member,
    por_amount(tolerance2 * 5, cmp_scale + 1) as tolerance,
    por_units_text(detail_units, cmp_scale) as detail_sum_text,  -- exact texts (the DECIMAL columns stop at 1e20)
    por_units_text(detail_units - total_units, cmp_scale) as difference_text,
    case
        when member_rows is null then 'not compared: the file has no detail rows'
        when stated > 0 and found = 0 then 'not compared: none of the summary''s snapshot heights is a height of its detail rows, so it describes another snapshot'
        when 2 * abs(detail_units - total_units) <= tolerance2 then 'ok'
        else 'mismatch'
    end as status,
    total_asset,  -- the asset the total counts toward (for a per-key total, its rows' asset)
    row_no as total_row_no
from checked;
