"""The Sui GraphQL stub answers as sui-indexer-alt-graphql does (sources in tests/fixtures/sui_graphql.py): the
same refusals with the same bodies, the same limits and defaults, errors where the service errs, silence where
it is silent. Documents here are written by hand, not by the adapter."""

from __future__ import annotations

import json
import urllib.request

from tests.fixtures.sui_graphql import SuiScenario, SuiTx, sui_node

SUI = "0x2::sui::SUI"
A = "0x" + "5a" * 32


def post(url: str, query: str) -> tuple[int, dict]:
    body = json.dumps({"query": query}).encode()
    req = urllib.request.Request(url + "/graphql", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as resp:
        return len(body), json.loads(resp.read())


def balances(n: int, cp: int, coin: str = SUI) -> str:
    aliases = " ".join(f'a{i}: address(address: "0x{0x7000 + i:064x}") {{ balance(coinType: "{coin}") {{ totalBalance }} }}' for i in range(n))
    return f"query {{ checkpoint(sequenceNumber: {cp}) {{ query {{ {aliases} }} }} }}"


def test_a_body_over_5000_bytes_is_refused_whole() -> None:
    with sui_node(SuiScenario()) as node:
        size, answer = post(node.url, balances(50, 40_000))
    assert size > 5_000
    assert answer == {"data": None, "errors": [{"message": f"Query payload too large: {size}B > 5000B", "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}]}


def test_the_22nd_balance_of_a_request_fails_alone() -> None:
    sc = SuiScenario()
    with sui_node(sc) as node:
        size, answer = post(node.url, balances(22, 40_000))
    assert size <= 5_000
    scope = answer["data"]["checkpoint"]["query"]
    assert [scope[f"a{i}"]["balance"]["totalBalance"] for i in range(21)] == ["0"] * 21  # never held: "0", not null
    assert scope["a21"] == {"balance": None}
    (err,) = answer["errors"]
    assert err["message"] == "Exceeded the maximum number (21) of queries that require dedicated access to a backing store in a single request."
    assert err["extensions"] == {"code": "RESOURCE_EXHAUSTED"} and err["path"] == ["checkpoint", "query", "a21", "balance"]


def test_outside_the_consistent_range_a_balance_is_an_error_not_null() -> None:
    sc = SuiScenario(tip=60_000)
    sc.history[(A, SUI)] = [(10, 5)]
    with sui_node(sc) as node:
        _, old = post(node.url, f'query {{ checkpoint(sequenceNumber: 45000) {{ query {{ address(address: "{A}") {{ balance(coinType: "{SUI}") {{ totalBalance }} }} }} }} }}')
        _, edge = post(node.url, f'query {{ checkpoint(sequenceNumber: 45001) {{ query {{ address(address: "{A}") {{ balance(coinType: "{SUI}") {{ totalBalance coinType {{ repr }} }} }} }} }} }}')
        _, future = post(node.url, "query { checkpoint(sequenceNumber: 60001) { sequenceNumber } }")
    assert old["data"] == {"checkpoint": {"query": {"address": {"balance": None}}}}
    assert [(e["message"], e["extensions"]["code"], e["path"]) for e in old["errors"]] == [
        ("Request is outside consistent range", "BAD_USER_INPUT", ["checkpoint", "query", "address", "balance"])
    ]
    # 15,000 checkpoints are kept: 45,001..60,000; coin types come back in their canonical 64-hex form
    assert edge["data"]["checkpoint"]["query"]["address"]["balance"] == {"totalBalance": "5", "coinType": {"repr": "0x" + "0" * 63 + "2::sui::SUI"}}
    assert future == {"data": {"checkpoint": None}}


def test_page_sizes_over_50_are_refused_and_retention_drops_history_silently() -> None:
    sc = SuiScenario(tip=100, tx_first=50)
    sc.transactions += [SuiTx(cp, [(A, SUI, 1)]) for cp in (10, 60, 70)]
    q = 'query {{ transactions(first: {n}, filter: {{affectedAddress: "{a}", afterCheckpoint: 5}}) {{ nodes {{ effects {{ checkpoint {{ sequenceNumber }} }} }} }} }}'
    with sui_node(sc) as node:
        _, big = post(node.url, q.format(n=51, a=A))
        _, ok = post(node.url, q.format(n=50, a=A))
        _, rng = post(node.url, 'query { serviceConfig { availableRange(type: "Query", field: "transactions", filters: ["affectedAddress"]) { first { sequenceNumber } } maxPageSize(type: "Query", field: "transactions") maxRichQueries maxQueryPayloadSize } }')
    assert big["data"] is None and big["errors"][0]["message"] == "Page size is too large: 51 > 50"
    assert big["errors"][0]["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"} and big["errors"][0]["path"] == ["transactions"]
    assert "errors" not in ok  # the transaction at checkpoint 10 is simply not there
    assert [n["effects"]["checkpoint"]["sequenceNumber"] for n in ok["data"]["transactions"]["nodes"]] == [60, 70]
    assert rng["data"]["serviceConfig"] == {"availableRange": {"first": {"sequenceNumber": 50}}, "maxPageSize": 50, "maxRichQueries": 21, "maxQueryPayloadSize": 5000}


def test_input_nodes_and_depth_are_limited() -> None:
    many = " ".join(f"c{i}: checkpoint {{ sequenceNumber }}" for i in range(151))  # 302 nodes
    deep = "query { " + "checkpoint { query { " * 10 + "checkpoint { sequenceNumber }" + " } }" * 10 + " }"  # 22 levels
    with sui_node(SuiScenario()) as node:
        _, nodes = post(node.url, "query { " + many + " }")
        _, depth = post(node.url, deep)
    assert nodes["data"] is None and nodes["errors"][0]["message"] == "Query has over 300 nodes"
    assert depth["data"] is None and depth["errors"][0]["message"] == "Query nesting is over 20"
