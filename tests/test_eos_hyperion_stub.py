"""The Hyperion stub answers as Hyperion v4.0.7 does (tests/fixtures/eos_node.py cites each rule's source).

These pin the limits and error bodies the EOS adapter is tested against, so that a stub drifting back to a
friendlier idea of the service (unbounded skip, any ``after``, dates in UTC) fails here.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta, timezone
from typing import Any

from tests.fixtures.eos_node import EosScenario, block_time, eos_node

ACCT = "okbwallet1tr"


def get(url: str, path: str, **params: object) -> tuple[int, Any, dict[str, str]]:
    query = urllib.parse.urlencode({k: str(v) for k, v in params.items()})
    try:
        with urllib.request.urlopen(f"{url}{path}?{query}", timeout=10) as resp:
            return resp.status, json.loads(resp.read()), dict(resp.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read()), dict(exc.headers)


def busy(sc: EosScenario, n: int, first_block: int, per_block: int) -> None:
    for i in range(n):
        sc.transfers.append((first_block + i // per_block, "eosio.token", "faucet111111", ACCT, "0.0001 EOS"))


def bad(message: str) -> dict[str, Any]:
    return {"statusCode": 400, "error": "Bad Request", "message": message}


def test_skip_above_10000_and_limit_above_the_configured_maximum_are_refused() -> None:
    sc = EosScenario(head=20_000)
    busy(sc, 12_000, 100, 1)
    with eos_node(sc) as node:
        ok = get(node.url, "/v2/history/get_actions", account=ACCT, skip=10_000, limit=1000)
        too_far = get(node.url, "/v2/history/get_actions", account=ACCT, skip=10_001, limit=1000)
        too_big = get(node.url, "/v2/history/get_actions", account=ACCT, limit=1001)
        zero = get(node.url, "/v2/history/get_actions", account=ACCT, limit=0)
        default = get(node.url, "/v2/history/get_actions", account=ACCT)
    assert ok[0] == 200 and len(ok[1]["actions"]) == 1000
    assert ok[1]["total"] == {"value": 10_000, "relation": "gte"}  # track_total_hits 10000
    assert too_far[:2] == (400, bad("skip is above maximum internal limit: 10000. please limit your search scope or use pagination with before/after parameters"))
    assert too_big[:2] == (400, bad("limit too big, maximum: 1000"))
    assert zero[:2] == (400, {"statusCode": 400, "code": "FST_ERR_VALIDATION", "error": "Bad Request", "message": "querystring/limit must be >= 1"})
    assert default[0] == 200 and len(default[1]["actions"]) == 10  # no limit: 10


def test_sort_asc_needs_a_bound_and_an_iso_after_within_90_days_while_a_block_number_is_exempt() -> None:
    sc = EosScenario(head=20_000_000)  # the head block is ~116 days after genesis
    sc.transfers += [(1_000_001, "eosio.token", "faucet111111", ACCT, "1.0000 EOS"), (19_000_000, "eosio.token", ACCT, "faucet111111", "0.5000 EOS")]
    old, recent = block_time(1_000_000), block_time(19_000_000)
    with eos_node(sc) as node:
        unbounded = get(node.url, "/v2/history/get_actions", account=ACCT, sort="asc")
        too_old = get(node.url, "/v2/history/get_actions", account=ACCT, sort="asc", after=old)
        in_window = get(node.url, "/v2/history/get_actions", account=ACCT, sort="asc", after=recent)
        by_block = get(node.url, "/v2/history/get_actions", account=ACCT, sort="asc", after=1_000_000)
        desc_old = get(node.url, "/v2/history/get_actions", account=ACCT, sort="desc", after=old)
    assert unbounded[:2] == (400, bad('sort=asc requires a valid "after" or "before" (ISO date or block number) to bound the search'))
    assert too_old[:2] == (400, bad('sort=asc "after" date must be within the last 90 days'))
    assert in_window[0] == 200 and [a["block_num"] for a in in_window[1]["actions"]] == [19_000_000]
    assert by_block[0] == 200 and [a["block_num"] for a in by_block[1]["actions"]] == [1_000_001, 19_000_000]
    assert desc_old[0] == 200 and [a["block_num"] for a in desc_old[1]["actions"]] == [19_000_000, 1_000_001]
    sc.max_asc_window_days = 200  # api.max_asc_window_days is configurable
    with eos_node(sc) as node:
        assert get(node.url, "/v2/history/get_actions", account=ACCT, sort="asc", after=old)[0] == 200


def test_a_zoneless_iso_date_is_read_in_the_servers_local_time() -> None:
    sc = EosScenario(head=100_000)
    sc.transfers += [(50_000 + 3600 * 2 * h, "eosio.token", "faucet111111", ACCT, "1.0000 EOS") for h in range(6)]  # one per hour
    after = block_time(50_000)  # nodeos block time, no zone
    blocks = {}
    for name, tz in (("utc", timezone.utc), ("sao_paulo", timezone(timedelta(hours=-3))), ("tokyo", timezone(timedelta(hours=9)))):
        sc.tz = tz
        with eos_node(sc) as node:
            _, body, _ = get(node.url, "/v2/history/get_actions", account=ACCT, sort="asc", after=after, limit=100)
            by_number = get(node.url, "/v2/history/get_actions", account=ACCT, sort="asc", after=50_000, limit=100)[1]
        blocks[name] = [a["block_num"] for a in body["actions"]]
        assert [a["block_num"] for a in by_number["actions"]] == [50_000 + 7200 * h for h in range(6)]
    assert blocks["utc"] == [50_000 + 7200 * h for h in range(6)]
    assert blocks["sao_paulo"] == blocks["utc"][3:]  # read as 03:00 later: three hours of actions lost
    assert blocks["tokyo"] == blocks["utc"]  # read as 09:00 earlier: nothing lost here (earlier ones would come in)


def test_results_are_sorted_by_global_sequence_and_answer_documents_as_hyperion_does() -> None:
    sc = EosScenario()
    sc.transfers += [(300, "eosio.token", ACCT, "b11111111111", "2.0000 EOS"), (200, "eosio.token", "a11111111111", ACCT, "1.5000 EOS")]
    sc.issue(250, "eosio.token", ACCT, "9.0000 EOS")
    with eos_node(sc) as node:
        _, body, _ = get(node.url, "/v2/history/get_actions", account=ACCT, sort="asc", after=1, filter="eosio.token:*")
        _, transfers_only, _ = get(node.url, "/v2/history/get_actions", account=ACCT, sort="asc", after=1, filter="eosio.token:transfer")
    acts = body["actions"]
    assert [a["block_num"] for a in acts] == [200, 250, 300]
    seqs = [a["global_sequence"] for a in acts]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3
    assert [a["act"]["name"] for a in transfers_only["actions"]] == ["transfer", "transfer"]
    first = acts[0]
    assert first["act"]["data"] == {"from": "a11111111111", "to": ACCT, "amount": 1.5, "symbol": "EOS", "quantity": "1.5000 EOS", "memo": ""}
    assert "notified" not in first  # dropped by the route's response schema
    assert acts[1]["act"]["name"] == "issue" and [r["receiver"] for r in acts[1]["receipts"]] == ["eosio.token"]


def test_health_reports_the_index_range_limits_and_pruning_and_the_rate_limit_answers_429() -> None:
    sc = EosScenario(head=10_000, indexed_lag=4, first_indexed=500, missing={700, 701}, max_retained_blocks=8_000, rate_limit_rpm=3)
    with eos_node(sc) as node:
        status, health, headers = get(node.url, "/v2/health")
        answers = [get(node.url, "/v2/history/get_actions", account=ACCT, sort="asc", after=1) for _ in range(3)]
    es = next(h["service_data"] for h in health["health"] if h["service"] == "Elasticsearch")
    assert (es["first_indexed_block"], es["last_indexed_block"], es["missing_blocks"]) == (500, 9_996, 2)
    assert health["limits"]["get_actions"] == 1000
    assert health["pruning"] == {"auto_pruning_enabled": True, "max_retained_blocks": 8_000}
    assert headers["x-ratelimit-limit"] == "3"
    assert [a[0] for a in answers] == [200, 200, 429]
    assert answers[2][1] == {"statusCode": 429, "error": "Too Many Requests", "message": "Rate limit exceeded, retry in 1 minute"}
    assert int(answers[2][2]["retry-after"]) > 0
