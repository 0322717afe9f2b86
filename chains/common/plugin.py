"""The schemes shared by many chains: secp256k1 and ed25519 signatures under OKX's message header (SPEC §3.2, §3.5).

Why a plugin in ``chains.common`` and not in one chain's package: ``okx-framed-ecdsa`` and ``okx-framed-ed25519``
frame the message the same way for some thirty chains and differ per chain only in how a key prints as an
address, which each chain's package declares (``ChainPlugin.address_codecs``) and the schemes look up by the row's
address type. This module is the only one of ``chains.common`` that declares anything; the others are shared
primitives.
"""

from chains.common.framed_ecdsa import sign_okx_ecdsa, verify_okx_ecdsa, verify_okx_ecdsa_okx_go
from chains.common.framed_ed25519 import sign_ed25519, verify_ed25519, verify_ed25519_okx_go
from indexer.plugins import ChainPlugin, SignatureScheme

plugin = ChainPlugin(
    name="okx-framed",
    schemes=(
        SignatureScheme("okx-framed-ecdsa", verify_okx_ecdsa, family="ECDSA", variants={"okx-go": verify_okx_ecdsa_okx_go}, sign=sign_okx_ecdsa),
        SignatureScheme("okx-framed-ed25519", verify_ed25519, family="ED25519", variants={"okx-go": verify_ed25519_okx_go}, sign=sign_ed25519),
    ),
)
