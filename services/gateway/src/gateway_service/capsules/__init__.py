"""The whole capsule in one call: its seven dimensions fanned out to catalog, quality and
governance in parallel (`GET /capsules/{urn}`)."""
