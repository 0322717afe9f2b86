-- Reserves over liabilities per asset, beside OKX's own claims from its audit page (audit_claims).
-- Ratios are exact DECIMAL(38,18), truncated (por_ratio); OKX's ratio_claimed is its own figure, exact; amounts are
-- exact in *_units; counts are 0, never NULL. Coverages are fractions (0..1) of the same exact kind, NULL without
-- rows. Every asset that has reserves, liabilities or a claim in a snapshot gets a row; unknown figures are NULL, never 0.
create or replace view reserve_ratios as
with l as (
    select snapshot_id, asset, base_units, scale, source from liabilities
),
c as (
    select snapshot_id, asset, audit_id, scale, reserve_units, exchange_reserve_units, custody_reserve_units, capital_ratio_value
    from audit_claims
),
k as (
    select snapshot_id, asset from reserves
    union
    select snapshot_id, asset from l
    union
    select snapshot_id, asset from c
)
select
    k.snapshot_id,
    k.asset,
    por_amount(l.base_units, l.scale) as liabilities,
    -- an asset the file does not list at all has published reserves of zero; a listed asset without amounts has NULL
    por_amount(case when r.asset is null then 0 else r.published_units end, coalesce(r.scale, l.scale, c.scale)) as published_reserves,
    r.onchain_amount as onchain_reserves,
    r.verified_amount as verified_reserves,
    r.published_proven_amount as published_proven_reserves,
    por_ratio(case when r.asset is null then 0 else r.published_units end, coalesce(r.scale, l.scale, c.scale), l.base_units, l.scale)
        as ratio_published,
    por_ratio(r.onchain_units, r.scale, l.base_units, l.scale) as ratio_onchain,
    -- the on-chain coverage beside each on-chain ratio: the share of the asset's rows whose balance was read for the
    -- snapshot block (ok, method state_at_height/dump/replayed), exact and truncated (1 only when every row is);
    -- of the verified rows for the verified ratio; and the share of the published amount those rows carry
    por_ratio_n(r.rows_fetched, r.rows) as coverage_onchain,
    por_ratio_n(coalesce(r.published_fetched_units, 0), r.published_units) as coverage_onchain_published,
    por_ratio(r.verified_units, r.scale, l.base_units, l.scale) as ratio_verified,
    por_ratio_n(r.rows_verified_fetched, r.rows_verified) as coverage_verified,
    coalesce(r.rows, 0) as rows,
    coalesce(r.rows_fetched, 0) as rows_fetched,
    l.source as liabilities_source,
    coalesce(r.rows_latest_proxy, 0) as rows_latest_proxy,
    -- OKX's claims (audit page): reserveBalances = exchange part (the published addresses) + custody part (off-chain)
    por_amount(c.reserve_units, c.scale) as claimed_reserves,
    por_amount(c.exchange_reserve_units, c.scale) as claimed_exchange_reserves,
    por_amount(c.custody_reserve_units, c.scale) as claimed_custody_reserves,
    c.capital_ratio_value as ratio_claimed,
    -- what the chain shows plus what OKX says custodians hold (not checkable), over liabilities
    por_ratio(
        por_rescale(r.onchain_units, r.scale, greatest(r.scale, c.scale)) + por_rescale(c.custody_reserve_units, c.scale, greatest(r.scale, c.scale)),
        greatest(r.scale, c.scale), l.base_units, l.scale) as ratio_onchain_with_custody,
    c.audit_id,
    l.base_units as liabilities_units,
    l.scale as liabilities_scale,
    c.reserve_units as claimed_reserves_units,
    c.exchange_reserve_units as claimed_exchange_reserves_units,
    c.custody_reserve_units as claimed_custody_reserves_units,
    c.scale as claims_scale
from k
left join reserves r on r.snapshot_id = k.snapshot_id and r.asset = k.asset
left join l on l.snapshot_id = k.snapshot_id and l.asset = k.asset
left join c on c.snapshot_id = k.snapshot_id and c.asset = k.asset;
