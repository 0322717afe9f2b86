"""An outside plugin distribution for the test suite: a chain (``chain.py``) and an exchange (``exchange/``)."""
