"""Exchange plugins, one package per exchange (``okx``, ``htx``, ``binance``), beside ``chains``.

Each package holds its file layouts, its coin map (package data), its audit page, its own tool's rules and its
``synth``, and publishes one ``indexer.plugins.ExchangePlugin`` through the ``por.exchanges`` entry-point group.
An exchange imports only the plugin-facing core modules (``indexer.models``, ``indexer.plugins``,
``indexer.rpc``, ``indexer.config``) and names the chains' signature schemes by name, never by import.
"""
