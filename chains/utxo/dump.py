"""Balances from a UTXO-set dump written by Bitcoin Core's ``dumptxoutset`` — one pass, no node time.

Why: ``scantxoutset`` only answers at the tip, and rewinding a node costs hours on
mainnet. Bitcoin Core ≥ 30 (NOTES.md) writes the UTXO set *as of an older height* with
``dumptxoutset <file> rollback=<height>``; reading that file answers every
address of a snapshot in one streaming pass.

Format, as relied on here (Bitcoin Core src/node/utxo_snapshot.h, src/rpc/blockchain.cpp
WriteUTXOSnapshot, src/coins.h Coin::Serialize, src/compressor.{h,cpp}, src/serialize.h):

* **v2 header (Core ≥ 28)**: magic ``75 74 78 6f ff`` ("utxo\\xff"), version uint16 LE (= 2),
  network message start (4 bytes), base block hash (32 bytes, internal byte order),
  coins count uint64 LE. Then coins grouped by txid: txid (32 bytes), CompactSize
  number of coins of that txid, then per coin CompactSize vout followed by the Coin.
* **legacy header (Core 0.21–25, and Litecoin Core 0.21 whose real dumps the tests read)**: no magic;
  base block hash (32), coins count uint64 LE, nChainTx uint32 LE; then per coin the
  outpoint (txid 32 bytes + vout uint32 LE) followed by the Coin.
  Core 26–27 dropped nChainTx but kept the ungrouped layout: not supported (that
  file would be misread at its first coin and is rejected by the count/end checks).
* **Coin**: VARINT(height·2 + coinbase), VARINT(CompressAmount(value)), compressed script.
  VARINT is Core's MSB-first base-128 with the "+1 per continuation" bijection.
  DecompressAmount: x=0 → 0; else x−1 = 10·q + e; e<9: d = q%9 + 1, n = (q//9)·10 + d;
  e=9: n = q + 1; value = n·10^e.
* **Compressed script**: VARINT size; 0 → P2PKH(20-byte hash), 1 → P2SH(20), 2/3 → P2PK with
  the compressed key (prefix = size, 32-byte x), 4/5 → P2PK with the uncompressed key
  (x with prefix size−2, decompressed); otherwise size−6 raw script bytes (a size above
  MAX_SCRIPT_SIZE 10,000 stands for an unspendable OP_RETURN and its bytes are skipped).

Memory: the file is read in blocks; only coins whose script belongs to the
snapshot's addresses are kept (a hash-set test per coin), and those go to DuckDB
through Arrow in batches, where they are summed per script and joined back to the
requested scripts. Memory is bounded by the address list, never by the UTXO set.

Height: the file names its base block by hash only. The height comes from the
node when one is configured (``getblockheader``; it must be on the active chain)
and/or from ``options.utxo_dump_height``; when both are given they must agree,
when neither is, the fetch is refused. Rows at any other height are refused.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from chains.utxo.params import CHAIN_PARAMS, ChainParams, chain_params
from chains.utxo.scripts import decode_scripts
from indexer.models import BalanceRequest, BalanceResult, Network
from indexer.plugins import FeedHints, FetchBlocked

MAGIC = b"utxo\xff"
SUPPORTED_VERSIONS = frozenset({2})
MAX_SCRIPT_SIZE = 10_000
N_SPECIAL_SCRIPTS = 6
READ_BLOCK = 8 << 20
MAX_RECORD = 32 + 9 + 9 + 10 + 10 + 5 + MAX_SCRIPT_SIZE + 64  # the longest coin record we must see whole
ARROW_BATCH = 65_536


class DumpError(ValueError):
    """The file is not a UTXO dump this reader supports, or it is damaged (the message says where)."""


@dataclass(frozen=True)
class DumpHeader:
    layout: str  # "v2" or "legacy"
    version: int | None
    message_start: bytes | None  # network magic (v2 only)
    base_hash: str  # block hash as RPCs print it (byte-reversed)
    coins: int
    size: int  # header bytes


@dataclass
class DumpTotals:
    coins: int = 0
    amount: int = 0  # sum of every coin (compare with gettxoutsetinfo total_amount)
    matched: int = 0


def read_header(f: BinaryIO) -> DumpHeader:
    head = f.read(51)
    if head[:5] == MAGIC:
        if len(head) < 51:
            raise DumpError("truncated v2 header")
        (version,) = struct.unpack_from("<H", head, 5)
        if version not in SUPPORTED_VERSIONS:
            raise DumpError(f"dump format version {version} is not supported (supported: {sorted(SUPPORTED_VERSIONS)})")
        (coins,) = struct.unpack_from("<Q", head, 43)
        return DumpHeader("v2", version, head[7:11], head[11:43][::-1].hex(), coins, 51)
    if len(head) < 44:
        raise DumpError("file too short for a UTXO dump header")
    (coins,) = struct.unpack_from("<Q", head, 32)
    return DumpHeader("legacy", None, None, head[:32][::-1].hex(), coins, 44)


def decompress_amount(x: int) -> int:
    if x == 0:
        return 0
    x -= 1
    e = x % 10
    x //= 10
    if e < 9:
        d = x % 9 + 1
        n = (x // 9) * 10 + d
    else:
        n = x + 1
    return n * 10**e


def _uncompressed_p2pk(kind: int, x: bytes) -> bytes:
    from coincurve import PublicKey

    try:
        full = PublicKey(bytes([kind - 2]) + x).format(compressed=False)
    except Exception as exc:  # Core only compresses valid keys, so this is damage
        raise DumpError(f"compressed P2PK key type {kind} is not on the curve: {exc}") from None
    return b"\x41" + full + b"\xac"


def iter_coins(path: Path, *, want_uncompressed_p2pk: bool = False) -> Iterator[DumpHeader | tuple[bytes | None, int, int]]:
    """The header, then (scriptPubKey, value, height) per coin, streamed (script None: not rebuilt).

    Checks what Core's loader checks: the coin count of the header is met exactly,
    no trailing bytes, no vout of 2^32−1, no txid group larger than the coins left.
    Uncompressed-P2PK scripts need an EC point decompression each; nothing an address
    names can be such a script, so they are only rebuilt when asked for.
    """
    with open(path, "rb") as f:
        header = read_header(f)
        yield header
        f.seek(header.size)
        buf = f.read(READ_BLOCK)
        pos = 0
        eof = len(buf) < READ_BLOCK
        left = header.coins
        grouped = header.layout == "v2"
        group_left = 0
        while left:
            if not eof and len(buf) - pos < MAX_RECORD:
                more = f.read(READ_BLOCK)
                eof = len(more) < READ_BLOCK
                buf = buf[pos:] + more
                pos = 0
            try:
                if grouped:
                    if group_left == 0:
                        pos += 32  # txid
                        group_left, pos = _compact(buf, pos)
                        if group_left == 0 or group_left > left:
                            raise DumpError(f"txid group of {group_left} coins with {left} coins left")
                    vout, pos = _compact(buf, pos)
                    group_left -= 1
                else:
                    pos += 32
                    (vout,) = struct.unpack_from("<I", buf, pos)
                    pos += 4
                if vout >= 0xFFFFFFFF:
                    raise DumpError("vout out of range")
                code, pos = _varint(buf, pos)
                value, pos = _varint(buf, pos)
                value = decompress_amount(value)
                size, pos = _varint(buf, pos)
                if size < N_SPECIAL_SCRIPTS:
                    if size < 2:
                        h = buf[pos : pos + 20]
                        pos += 20
                        script = (b"\x76\xa9\x14" + h + b"\x88\xac") if size == 0 else (b"\xa9\x14" + h + b"\x87")
                    else:
                        x = buf[pos : pos + 32]
                        pos += 32
                        if size < 4:
                            script = b"\x21" + bytes([size]) + x + b"\xac"
                        else:
                            script = _uncompressed_p2pk(size, x) if want_uncompressed_p2pk else None
                else:
                    size -= N_SPECIAL_SCRIPTS
                    if size > MAX_SCRIPT_SIZE:
                        raise DumpError(f"script of {size} bytes (over MAX_SCRIPT_SIZE) at coin {header.coins - left}")
                    script = buf[pos : pos + size]
                    pos += size
            except (IndexError, struct.error):
                raise DumpError(f"file ends inside coin {header.coins - left} of {header.coins}") from None
            if pos > len(buf):
                raise DumpError(f"file ends inside coin {header.coins - left} of {header.coins}")
            left -= 1
            yield script, value, code >> 1
        if group_left:
            raise DumpError("the last txid group announces more coins than the header")
        if pos < len(buf) or f.read(1):
            raise DumpError(f"trailing bytes after the {header.coins} coins the header announces")


def _compact(buf: bytes, pos: int) -> tuple[int, int]:
    first = buf[pos]
    if first < 0xFD:
        return first, pos + 1
    if first == 0xFD:
        n, size = struct.unpack_from("<H", buf, pos + 1)[0], 3
        minimum = 0xFD
    elif first == 0xFE:
        n, size = struct.unpack_from("<I", buf, pos + 1)[0], 5
        minimum = 0x10000
    else:
        n, size = struct.unpack_from("<Q", buf, pos + 1)[0], 9
        minimum = 0x100000000
    if n < minimum:
        raise DumpError("non-canonical CompactSize")
    return n, pos + size


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    n = 0
    while True:
        b = buf[pos]
        pos += 1
        if n >> 57:
            raise DumpError("VARINT too large")
        n = (n << 7) | (b & 0x7F)
        if b & 0x80:
            n += 1
        else:
            return n, pos


def sum_scripts(path: Path, wanted: set[bytes], *, base_height: int | None = None) -> tuple[DumpHeader, dict[bytes, int], DumpTotals]:
    """Exact per-script totals of ``wanted`` over the whole dump (scripts holding nothing get 0).

    Matching coins stream into DuckDB as Arrow batches and are summed there (HUGEINT),
    then left-joined to the wanted scripts.
    """
    import duckdb
    import pyarrow as pa

    want_p2pk_u = any(len(s) == 67 and s[:2] == b"\x41\x04" for s in wanted)
    con = duckdb.connect()
    con.execute("create table coins (script blob, amount ubigint)")
    totals = DumpTotals()
    scripts: list[bytes] = []
    amounts: list[int] = []

    def flush() -> None:
        if scripts:
            batch = pa.table({"script": pa.array(scripts, pa.binary()), "amount": pa.array(amounts, pa.uint64())})
            con.register("_batch", batch)
            con.execute("insert into coins select * from _batch")
            con.unregister("_batch")
            scripts.clear()
            amounts.clear()

    coins = iter_coins(path, want_uncompressed_p2pk=want_p2pk_u)
    header = next(coins)
    assert isinstance(header, DumpHeader)
    for script, value, height in coins:  # type: ignore[misc]
        totals.coins += 1
        totals.amount += value
        if base_height is not None and height > base_height:
            raise DumpError(f"a coin of height {height} is above the dump's base height {base_height}")
        if script in wanted:
            scripts.append(script)
            amounts.append(value)
            if len(scripts) >= ARROW_BATCH:
                flush()
    flush()
    totals.matched = int(con.execute("select count(*) from coins").fetchall()[0][0])
    con.register("_wanted", pa.table({"script": pa.array(sorted(wanted), pa.binary())}))
    rows = con.execute(
        "select w.script, coalesce(sum(c.amount::hugeint), 0) from _wanted w "
        "left join coins c on c.script = w.script group by w.script"
    ).fetchall()
    con.close()
    return header, {bytes(s): int(v) for s, v in rows}, totals


def chain_of(network: str, message_start: bytes | None) -> str | None:
    """The chain whose P2P magic the v2 header carries (None when the header has none or it is unknown)."""
    if message_start is None:
        return None
    for (net, chain), params in CHAIN_PARAMS.items():
        if net == network and params.magic == message_start:
            return chain
    return None


class DumpFetcher:
    """The BalanceFetcher over a ``dumptxoutset`` file: every answer is at the dump's base height."""

    def __init__(self, network: Network, settings: Any) -> None:
        self.network = network
        self.settings = settings
        self.path = Path(settings.options["utxo_dump"])
        self.source = f"utxo-dump:{self.path.name}"
        self.header: DumpHeader | None = None
        self.height: int | None = None
        self.chain: str | None = None
        self.totals: DumpTotals | None = None
        self._done: dict[bytes, int] = {}
        self._client: Any = None

    async def _node(self, method: str, params: Sequence[Any] = ()) -> Any:
        if self._client is None:
            from decimal import Decimal

            from indexer.rpc import JsonRpcClient

            self._client = JsonRpcClient(self.settings, parse_float=Decimal)
        return await self._client.call(method, params)

    async def _resolve(self) -> None:
        if self.height is not None:
            return
        name = self.network.name
        try:
            with open(self.path, "rb") as f:
                header = read_header(f)
        except OSError as exc:
            raise FetchBlocked(f"The {name} UTXO dump {self.path} cannot be read: {exc.strerror}.") from None
        except DumpError as exc:
            raise FetchBlocked(f"The {name} UTXO dump {self.path} is not usable: {exc}.") from None
        chain = chain_of(name, header.message_start)
        if header.message_start is not None and chain is None:
            raise FetchBlocked(f"The UTXO dump {self.path} is of a network with magic {header.message_start.hex()}, not {name}.")
        given = (self.settings.options or {}).get("utxo_dump_height")
        from_node: int | None = None
        if self.settings.rpc:
            from indexer.rpc import RpcError

            try:
                info = await self._node("getblockchaininfo")
                block = await self._node("getblockheader", [header.base_hash])
            except RpcError as exc:
                raise FetchBlocked(f"The {name} node does not know the dump's base block {header.base_hash} ({exc}).") from None
            if chain is not None and info["chain"] != chain:
                raise FetchBlocked(f"The UTXO dump is of {name} {chain}, the configured node runs {info['chain']}.")
            chain = info["chain"]
            if int(block.get("confirmations", -1)) < 1:
                raise FetchBlocked(f"The dump's base block {header.base_hash} is not on the {name} node's active chain.")
            from_node = int(block["height"])
        if given is not None and from_node is not None and int(given) != from_node:
            raise FetchBlocked(f"utxo_dump_height {given} disagrees with the node, which puts the dump's base block at {from_node}.")
        height = from_node if from_node is not None else (int(given) if given is not None else None)
        if height is None:
            raise FetchBlocked(
                f"The {name} UTXO dump names its base block only by hash ({header.base_hash}): configure the node "
                f"(rpc) or set options.utxo_dump_height so its height can be checked."
            )
        self.header, self.height, self.chain = header, height, chain or "main"

    async def preflight(self, blocks: set[int | None]) -> FeedHints:
        """Refuse any height but the dump's; ask for every request in one call (each call is a pass over the file)."""
        await self._resolve()
        for block in blocks:
            if block != self.height:
                at = "the chain tip (--at latest)" if block is None else f"height {block}"
                raise FetchBlocked(
                    f"The {self.network.name} UTXO dump is as of height {self.height}, but rows ask for {at}: "
                    f"write one with `dumptxoutset <file> rollback={block if block is not None else '<height>'}`."
                )
        return FeedHints(request_chunk=10**9, workers=1)

    async def tip(self) -> int:
        """A dump has no moving tip: "--at latest" is refused rather than answered at the dump's height."""
        await self._resolve()
        raise FetchBlocked(f"A UTXO dump answers only at its base height {self.height}, not at the chain tip: use --at snapshot.")

    async def fetch(self, requests: Sequence[BalanceRequest]) -> list[BalanceResult]:
        await self.preflight({r.block for r in requests})
        assert self.header is not None and self.chain is not None
        params: ChainParams | None = chain_params(self.network.name, self.chain)
        if params is None:
            raise FetchBlocked(f"No address parameters are known for {self.network.name} on chain {self.chain!r}.")
        groups, results = decode_scripts(self.network, self.chain, params, requests, self.source, method="dump")
        todo = {s for g in groups.values() for s in g} - self._done.keys()
        if todo:  # one pass answers every script asked so far; a later call re-reads only for new scripts
            import asyncio

            try:
                _, sums, totals = await asyncio.to_thread(sum_scripts, self.path, todo, base_height=self.height)
            except (DumpError, OSError) as exc:
                raise FetchBlocked(f"The {self.network.name} UTXO dump {self.path} is damaged: {exc}.") from None
            if totals.coins != self.header.coins:  # iter_coins enforces it; kept as the last word
                raise FetchBlocked(f"The UTXO dump holds {totals.coins} coins, its header says {self.header.coins}.")
            self.totals = totals
            self._done.update(sums)
        for g in groups.values():
            for script, idx in g.items():
                for i in idx:
                    results[i] = BalanceResult(requests[i], self._done[script], self.height, "", self.source, method="dump", note=f"dumptxoutset file at height {self.height}")
        return results  # type: ignore[return-value]

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
