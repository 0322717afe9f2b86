"""GraphQL documents as small trees, so the cost of a request is known before it is sent.

Why: the Sui GraphQL service refuses a whole request that is over its query limits (the body's bytes, input
nodes, depth, estimated output nodes, page sizes) and fails each field past its rich-query budget. Building the
documents as trees lets the adapter count nodes, depth and output nodes the way the service does
(``sui-indexer-alt-graphql/src/extensions/query_limits/input.rs`` and ``output.rs``), measure the exact body it
will POST, and pack as many reads into one request as fit.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Field:
    """One selection: ``alias: name(args) { sel }``; ``page`` > 0 marks a connection read ``first: page``."""

    name: str
    args: tuple[tuple[str, Any], ...] = ()
    sel: tuple[Field, ...] = ()
    alias: str = ""
    page: int = 0

    def render(self) -> str:
        head = f"{self.alias}: {self.name}" if self.alias else self.name
        if self.args:
            head += "(" + ", ".join(f"{k}: {value(v)}" for k, v in self.args) + ")"
        if self.sel:
            head += " { " + " ".join(f.render() for f in self.sel) + " }"
        return head


def value(v: Any) -> str:
    """A GraphQL literal: strings JSON-quoted, ints bare, input objects ``{k: v}``."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {value(x)}" for k, x in v.items() if x is not None) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(value(x) for x in v) + "]"
    raise TypeError(f"no GraphQL literal for {v!r}")


def document(fields: Sequence[Field]) -> str:
    return "query { " + " ".join(f.render() for f in fields) + " }"


def body_size(doc: str) -> int:
    """Bytes of the POST body ``{"query": doc}`` as the HTTP layer serialises it (``json.dumps``): the service
    measures the whole Content-Length against ``max_query_payload_size``."""
    return len(json.dumps({"query": doc}).encode("utf-8"))


def nodes(fields: Sequence[Field]) -> int:
    """Input nodes: every selection counts one (input.rs)."""
    return sum(1 + nodes(f.sel) for f in fields)


def depth(fields: Sequence[Field]) -> int:
    """Levels of selections (input.rs: the operation's own selections are level 1)."""
    return max((1 + depth(f.sel) for f in fields), default=0)


def output_nodes(fields: Sequence[Field], mult: int = 1, page: int | None = None) -> int:
    """output.rs's estimate: each field costs its multiplicity; ``nodes``/``edges`` under a connection multiply
    what is beneath them by the page size."""
    total = 0
    for f in fields:
        total += mult
        m, p = mult, page
        if f.name in ("nodes", "edges") and p is not None:
            m, p = mult * p, None
            total += m
        elif f.page:
            p = f.page
        total += output_nodes(f.sel, m, p)
    return total
