"""REST routers: each translates HTTP ↔ gRPC and nothing more."""
