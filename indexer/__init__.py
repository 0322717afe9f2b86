"""por-indexer: check an exchange's Proof of Reserves against the chains themselves."""

__version__ = "0.1.0"
