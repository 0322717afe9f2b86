-- Rows where our strict verdict and OKX's own tool (por verify --okx-compat) disagree, with both reasons.
create or replace view signature_disagreements as
select
    a.snapshot_id,
    a.row_no,
    a.coin,
    a.network,
    a.address,
    s.status as strict_status,
    s.reason as strict_reason,
    s.okx_status,
    s.okx_reason
from signatures s
join addresses a using (snapshot_id, row_no)
where s.okx_status is not null
  and (s.status in ('verified', 'signature_only')) <> (s.okx_status in ('verified', 'signature_only'));
