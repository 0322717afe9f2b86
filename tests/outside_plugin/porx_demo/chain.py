"""democoin: an invented chain whose account address is its ed25519 public key (hex), with a JSON-RPC balance node.

What a chain plugin declares: a named signature scheme (``democoin-ed25519``), its network (a registry row the
package brings, since it cannot add one to por-indexer's data/), a balance adapter at a height, and the address codec
of its type ``DMO``, through which rows signed under OKX's framed ed25519 scheme are tied to their addresses.
"""

from __future__ import annotations

from collections.abc import Sequence

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from indexer.models import BalanceRequest, BalanceResult, Coin, Network, SignedRow, Verdict
from indexer.plugins import ED25519, AdapterCapabilities, AddressCodec, AddressLink, BlockReference, ChainPlugin, FetchBlocked, SignatureScheme
from indexer.rpc import JsonRpcClient, RpcError


def verify(row: SignedRow, coin: Coin) -> Verdict:
    """Strict: ed25519 over the message's bytes, by the key the address is."""
    try:
        key, sig = bytes.fromhex(row.address), bytes.fromhex(row.signature1)
    except ValueError:
        return Verdict("failed", "address or signature is not hex")
    if len(key) != 32 or len(sig) != 64:
        return Verdict("failed", "address is not a 32-byte key or signature not 64 bytes")
    try:
        VerifyKey(key).verify(row.message.encode(), sig)
    except BadSignatureError:
        return Verdict("failed", "ed25519 signature does not verify")
    return Verdict("verified", "the address is the signing key")


def check_address(claimed: str, pub: bytes) -> AddressLink:
    """A democoin address is its ed25519 key in lower-case hex."""
    return ("verified", "the address is the key") if claimed == pub.hex() else ("failed", "address is not hex(public key)")


class DemoFetcher:
    """``demo_getBalance(address, height)`` -> {"balance": "<base units>", "height": n} on the configured node."""

    def __init__(self, network: Network, settings) -> None:
        self.network = network
        self.client = JsonRpcClient(settings)

    @property
    def source(self) -> str:
        return self.client.source

    async def preflight(self, blocks: set[int | None]) -> None:
        tip = await self.tip()
        if any(b is not None and b > tip for b in blocks):
            raise FetchBlocked(f"{self.network.name}: the node is at {tip}, behind the snapshot")

    async def tip(self) -> int:
        return int(await self.client.call("demo_tip", []))

    async def fetch(self, requests: Sequence[BalanceRequest]) -> list[BalanceResult]:
        out = []
        for req in requests:
            try:
                got = await self.client.call("demo_getBalance", [req.address, req.block])
            except RpcError as exc:
                out.append(BalanceResult(req, None, None, str(exc), self.source))
                continue
            out.append(BalanceResult(req, int(got["balance"]), int(got["height"]), source=self.source, method="state_at_height"))
        return out

    async def close(self) -> None:
        await self.client.close()


plugin = ChainPlugin(
    name="democoin",
    schemes=(SignatureScheme("democoin-ed25519", verify),),
    address_codecs={"DMO": AddressCodec(ED25519, check_address, address=bytes.hex)},
    adapter="democoin",
    make_fetcher=DemoFetcher,
    capabilities=AdapterCapabilities(native_methods=("state_at_height",), block_reference=BlockReference.HEIGHT),
    networks=(Network("DEMO", "democoin", None, "DMO", 6, description="democoin (an outside chain plugin)"),),
)
