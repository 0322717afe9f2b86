"""The ED25519 family: SOL, APTOS, SUI, TON, Substrate SS58, Stellar/Pi, Cardano and the signature-only chains.

``verify.py`` checks signatures, ``addresses.py`` derives addresses, ``ton.py``
hashes TON wallet state-inits, ``goverify.py`` reproduces Go's ed25519 rules for
compat mode.
"""

from chains.ed25519.verify import sign_ed25519, verify_ed25519
from indexer.plugins import ChainPlugin

__all__ = ["plugin", "sign_ed25519", "verify_ed25519"]

plugin = ChainPlugin(name="ed25519", verifiers={"ED25519": verify_ed25519}, signers={"ED25519": sign_ed25519})
