"""The HTTP client of the HTTP channel types (Slack, webhooks)."""

from __future__ import annotations

import httpx

from notifier_service.domain.deliveries import Outcome, http_outcome

USER_AGENT = "DataCompass-Notifier/1"


class Http:
    def __init__(self, timeout: float) -> None:
        self.client = httpx.AsyncClient(timeout=timeout, follow_redirects=False)

    async def close(self) -> None:
        await self.client.aclose()

    async def post_json(self, url: str, body: bytes, headers: dict[str, str]) -> Outcome:
        response = await self.client.post(
            url,
            content=body,
            headers={**headers, "Content-Type": "application/json", "User-Agent": USER_AGENT},
        )
        return http_outcome(
            response.status_code, response.headers.get("Retry-After"), response.text
        )
