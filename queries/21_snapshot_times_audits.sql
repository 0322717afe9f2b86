-- requires: audits.snapshot_id, audits.createTime
-- With the audit page loaded (audits.createTime, ms since the epoch per SPEC §6.4, or a timestamp):
-- published_at from the file name, else the audit's createTime, else the ingest time.
create or replace view snapshot_times as
with audit_time as (
    select snapshot_id,
           min(coalesce(try_cast(createTime as timestamptz), epoch_ms(try_cast(createTime as bigint)))) as created
    from audits
    group by snapshot_id
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
