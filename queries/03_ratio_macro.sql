-- Exact ratios of two base-unit amounts as DECIMAL(38,18), truncated (never rounded up), by long division
-- in HUGEINT six digits at a time so no step overflows. NULL when the denominator is NULL or zero, or when
-- the ratio is 10^20 or more (beyond DECIMAL(38,18); only a dust liability could do that).
create or replace macro por_rem6(r, d) as (r * 1000000) % d;
create or replace macro por_dig6(r, d) as lpad(cast((r * 1000000) // d as varchar), 6, '0');
create or replace macro por_ratio_n(n, d) as
    case
        when n is null or d is null or d = 0 then null
        when n // d >= por_pow10(20) then null
        else cast(
            cast(n // d as varchar) || '.' || por_dig6(n % d, d) || por_dig6(por_rem6(n % d, d), d)
            || por_dig6(por_rem6(por_rem6(n % d, d), d), d)
            as decimal(38, 18))
    end;
create or replace macro por_ratio(num_units, num_scale, den_units, den_scale) as
    por_ratio_n(
        cast(num_units as hugeint) * por_pow10(greatest(num_scale, den_scale) - num_scale),
        cast(den_units as hugeint) * por_pow10(greatest(num_scale, den_scale) - den_scale));
