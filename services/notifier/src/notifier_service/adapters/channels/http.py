"""The HTTP client of the HTTP channel types (Slack, webhooks)."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from notifier_service.adapters.channels.targets import TargetGuard
from notifier_service.domain.deliveries import Outcome, http_outcome

USER_AGENT = "DataCompass-Notifier/1"


class Http:
    def __init__(self, timeout: float, guard: TargetGuard) -> None:
        # No redirects: a public URL must not bounce the request to an internal one.
        self.client = httpx.AsyncClient(timeout=timeout, follow_redirects=False)
        self.guard = guard

    async def close(self) -> None:
        await self.client.aclose()

    async def post_json(self, url: str, body: bytes, headers: dict[str, str]) -> Outcome:
        """TargetRefused (adapters/channels/targets) when the URL's host is not allowed."""
        parts = urlsplit(url)
        await self.guard.check(parts.hostname or "", parts.port or _PORTS.get(parts.scheme, 443))
        response = await self.client.post(
            url,
            content=body,
            headers={**headers, "Content-Type": "application/json", "User-Agent": USER_AGENT},
        )
        return http_outcome(
            response.status_code, response.headers.get("Retry-After"), response.text
        )


_PORTS = {"http": 80, "https": 443}
