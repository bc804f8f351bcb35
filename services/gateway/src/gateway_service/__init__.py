"""Data Compass REST gateway: the only public door (REST `/api/v1` over the services' gRPC)."""
