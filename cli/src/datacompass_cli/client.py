"""HTTP client for the gateway's REST API (`/api/v1`)."""

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

import httpx

from datacompass_cli import __version__, config

API_PREFIX = "/api/v1"
MAX_PAGE_SIZE = 500

# A list value becomes a repeated query parameter (?status=a&status=b).
Params = Mapping[str, str | int | bool | list[str] | None]


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


# Requests that must never trigger a token refresh (they are how tokens are obtained).
_NO_REFRESH_PATHS = ("/auth/login", "/auth/refresh")


class Client:
    """Synchronous client; every method returns the decoded JSON body or raises `CliError`.

    Without an explicit `token`, the access token stored by `datacompass auth login` for this
    gateway is used (`use_stored=False` disables that). When a stored access token gets a 401,
    the stored refresh token is exchanged once (`POST /auth/refresh`), the new tokens are saved
    and the request is retried."""

    def __init__(
        self,
        url: str,
        token: str | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        *,
        use_stored: bool = True,
    ) -> None:
        self.url = url
        self.base_url = api_base_url(url)
        self.stored: config.Credentials | None = None
        if use_stored:
            stored = config.load(self.base_url)
            # An explicit token wins; the stored one is refreshed only when it is the one in use
            # (also when it was exported as DATACOMPASS_TOKEN after `auth login`).
            if stored is not None and (not token or stored.issued(token)):
                self.stored = stored
                token = stored.access_token
        self._refreshed = False
        headers = {"User-Agent": f"datacompass-cli/{__version__}", "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(
            base_url=self.base_url, headers=headers, timeout=timeout, transport=transport
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
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Send one request (`path` relative to the API base, or an absolute URL); raise
        `CliError` for transport failures and `ApiError` for error statuses. `content` (with
        its Content-Type in `headers`) sends a non-JSON body."""
        query = {k: _query_value(v) for k, v in (params or {}).items() if v is not None}
        request = self._http.build_request(
            method, path, params=query, json=json, content=content, headers=headers
        )
        response = self._transmit(request)
        if response.status_code >= 400:
            raise ApiError.from_response(response)
        return response

    @contextlib.contextmanager
    def stream(
        self, method: str, path: str, *, params: Params | None = None
    ) -> Iterator[httpx.Response]:
        """Send one request and yield the response with its body not read yet (iterate
        `response.iter_bytes()`); errors as in `send`."""
        query = {k: _query_value(v) for k, v in (params or {}).items() if v is not None}
        request = self._http.build_request(method, path, params=query)
        response = self._transmit(request, stream=True)
        try:
            if response.status_code >= 400:
                response.read()
                raise ApiError.from_response(response)
            try:
                yield response
            except httpx.HTTPError as exc:  # the connection failed while the body streamed
                raise CliError(
                    f"reading the response of gateway at {self.url} failed: {_reason(exc)}"
                ) from exc
        finally:
            response.close()

    def _transmit(self, request: httpx.Request, *, stream: bool = False) -> httpx.Response:
        """Send `request`; on a 401 for a stored access token, refresh it once and resend."""
        response = self._send_once(request, stream=stream)
        if response.status_code == 401 and self._can_refresh(request):
            response.close()
            self._refresh()
            request.headers["Authorization"] = self._http.headers["Authorization"]
            response = self._send_once(request, stream=stream)
        return response

    def _can_refresh(self, request: httpx.Request) -> bool:
        if self.stored is None or not self.stored.refresh_token or self._refreshed:
            return False
        path = request.url.path
        return not any(path.endswith(p) for p in _NO_REFRESH_PATHS)

    def _refresh(self) -> None:
        assert self.stored is not None
        self._refreshed = True
        request = self._http.build_request(
            "POST", "/auth/refresh", json={"refresh_token": self.stored.refresh_token}
        )
        request.headers.pop("Authorization", None)
        response = self._send_once(request)
        if response.status_code >= 400:
            error = ApiError.from_response(response)
            if response.status_code in (400, 401):
                error.message = (
                    f"the stored login of {self.stored.username or 'this user'} has expired or "
                    f"was revoked ({error.message}); run `datacompass auth login` again"
                )
            raise error
        tokens = response.json()
        self.stored = config.Credentials(
            url=self.base_url,
            username=str(tokens.get("user", {}).get("username") or self.stored.username),
            access_token=str(tokens["access_token"]),
            refresh_token=str(tokens.get("refresh_token") or self.stored.refresh_token),
            exported_token_sha256=self.stored.exported_token_sha256,
        )
        config.save(self.stored)
        self._http.headers["Authorization"] = f"Bearer {self.stored.access_token}"

    def _send_once(self, request: httpx.Request, *, stream: bool = False) -> httpx.Response:
        try:
            return self._http.send(request, stream=stream)
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

    def health(self) -> dict[str, Any]:
        """`GET /health`: `{"status": "ok"|"degraded", "checks": {name: {status, error}}}`,
        also when degraded (HTTP 503); `checks` only for an admin token."""
        response = self._transmit(self._http.build_request("GET", "/health"))
        if response.status_code not in (200, 503):
            raise ApiError.from_response(response)
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("checks", {}), dict):
            raise CliError(
                f"unexpected /health response from {self.url}; is it a Data Compass gateway?"
            )
        return body

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


def _query_value(value: str | int | bool | list[str]) -> str | int | list[str]:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    return text or type(exc).__name__
