"""HTTP client for the gateway's REST API (`/api/v1`)."""

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

import httpx

from datacompass_cli import __version__

API_PREFIX = "/api/v1"
MAX_PAGE_SIZE = 500

Params = Mapping[str, str | int | bool | None]


class CliError(Exception):
    """An error to report to the user as `error: <message>` (exit code 1)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def render(self) -> str:
        return f"error: {self.message}"


class GatewayUnreachableError(CliError):
    """The gateway could not be reached (connection refused, DNS, timeout)."""


class ApiError(CliError):
    """The gateway answered with an error body `{"error": {code, message, request_id}}`."""

    def __init__(self, status: int, code: str, message: str, request_id: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.request_id = request_id

    def render(self) -> str:
        detail = self.code if not self.request_id else f"{self.code}, request {self.request_id}"
        return f"error: {self.message} ({detail})"

    @classmethod
    def from_response(cls, response: httpx.Response) -> "ApiError":
        request_id = response.headers.get("x-request-id")
        code = f"HTTP_{response.status_code}"
        message = response.reason_phrase or "request failed"
        try:
            body = response.json()
        except ValueError:
            body = None
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            code = str(error.get("code") or code)
            message = str(error.get("message") or message)
            request_id = str(error.get("request_id") or request_id or "") or None
        elif response.text.strip():
            message = f"{message}: {response.text.strip()[:200]}"
        return cls(response.status_code, code, message, request_id)


def segment(value: str | int) -> str:
    """Quote one path segment (names, refs and URNs may contain reserved characters)."""
    return quote(str(value), safe="")


def api_base_url(url: str) -> str:
    base = url.rstrip("/")
    if not base.endswith(API_PREFIX):
        base += API_PREFIX
    return base


class Client:
    """Synchronous client; every method returns the decoded JSON body or raises `CliError`."""

    def __init__(
        self,
        url: str,
        token: str | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url
        headers = {"User-Agent": f"datacompass-cli/{__version__}", "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(
            base_url=api_base_url(url), headers=headers, timeout=timeout, transport=transport
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
    ) -> httpx.Response:
        """Send one request (`path` relative to the API base, or an absolute URL); raise
        `CliError` for transport failures and `ApiError` for error statuses."""
        query = {k: _query_value(v) for k, v in (params or {}).items() if v is not None}
        try:
            response = self._http.request(method, path, params=query, json=json)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise GatewayUnreachableError(
                f"gateway at {self.url} is unreachable ({_reason(exc)}); "
                "is it running? (set --url or DATACOMPASS_URL)"
            ) from exc
        except httpx.TimeoutException as exc:
            raise GatewayUnreachableError(
                f"gateway at {self.url} did not answer in time ({_reason(exc)}); "
                "try a larger --timeout"
            ) from exc
        except httpx.HTTPError as exc:
            raise CliError(f"request to gateway at {self.url} failed: {_reason(exc)}") from exc
        if response.status_code >= 400:
            raise ApiError.from_response(response)
        return response

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
    ) -> Any:
        response = self.send(method, path, params=params, json=json)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise CliError(
                f"unexpected non-JSON response from {response.request.url} "
                f"(HTTP {response.status_code}); is {self.url} a Data Compass gateway?"
            ) from exc

    def text(self, path: str) -> str:
        """GET a plain-text resource (e.g. Prometheus metrics)."""
        return self.send("GET", path).text

    def get(self, path: str, params: Params | None = None) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, json: Any = None, params: Params | None = None) -> Any:
        return self.request("POST", path, json=json, params=params)

    def patch(self, path: str, json: Any) -> Any:
        return self.request("PATCH", path, json=json)

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path)

    def page(self, path: str, params: Params | None = None) -> tuple[list[Any], str | None]:
        """One page of a list endpoint: `(items, next_cursor)`."""
        body = self.get(path, params)
        if not isinstance(body, dict) or not isinstance(body.get("items"), list):
            raise CliError(f"unexpected list response from {path}")
        cursor = body.get("next_cursor")
        return body["items"], str(cursor) if cursor else None

    def paginate(
        self,
        path: str,
        params: Params | None = None,
        *,
        page_size: int = MAX_PAGE_SIZE,
        max_items: int | None = None,
    ) -> Iterator[Any]:
        """Yield items across pages, following `next_cursor` (up to `max_items` if given)."""
        yielded = 0
        cursor: str | None = None
        while True:
            limit = page_size if max_items is None else min(page_size, max_items - yielded)
            items, cursor = self.page(path, {**(params or {}), "limit": limit, "cursor": cursor})
            for item in items:
                if max_items is not None and yielded >= max_items:
                    return
                yield item
                yielded += 1
            if not cursor or (max_items is not None and yielded >= max_items):
                return


def _query_value(value: str | int | bool) -> str | int:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    return text or type(exc).__name__
