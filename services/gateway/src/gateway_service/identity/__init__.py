"""Login, token refresh, users and API keys: the `/auth` routes (governance service)."""
