-- The finest decimals among an asset's coin keys: sums across networks happen at this scale, exactly.
create or replace view asset_scales as
select asset, max(decimals) as scale
from coins
where asset <> '' and decimals is not null
group by asset;
