-- Exact helpers: amounts live as HUGEINT base units; these turn them into text/DECIMAL only at the edge.
create or replace macro por_pow10(n) as cast('1' || repeat('0', cast(n as integer)) as hugeint);
create or replace macro por_units_text(units, scale) as
    case
        when units is null or scale is null then null
        when scale = 0 then cast(units as varchar)
        else (case when units < 0 then '-' else '' end)
             || cast(abs(units) // por_pow10(scale) as varchar) || '.'
             || lpad(cast(abs(units) % por_pow10(scale) as varchar), cast(scale as integer), '0')
    end;
-- DECIMAL(38,18) for convenience; the exact value is always the *_units column beside it.
create or replace macro por_amount(units, scale) as cast(por_units_text(units, scale) as decimal(38, 18));
create or replace macro por_rescale(units, from_scale, to_scale) as units * por_pow10(to_scale - from_scale);
