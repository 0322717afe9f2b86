"""Chain-family plugins: each module exposes ``plugin`` (see ``indexer.plugins.ChainPlugin``)."""
