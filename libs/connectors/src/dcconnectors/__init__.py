"""Source connectors: one package per source type, registered by name in `registry`."""
