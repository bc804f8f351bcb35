"""A fake gateway (real HTTP server on 127.0.0.1) plus canned, contract-true API objects."""

import itertools
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from typer.testing import CliRunner, Result

from datacompass_cli.main import app

Obj = dict[str, Any]
Reply = tuple[int, Any]
Handler = Callable[["Recorded"], Reply]


@dataclass
class Recorded:
    method: str
    raw_path: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


@dataclass
class FakeGateway:
    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    routes: dict[tuple[str, str], Handler] = field(default_factory=dict)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def route(self, method: str, path: str, reply: Reply | Handler | Sequence[Reply]) -> None:
        """Answer `method path` (decoded, without /api/v1) with a fixed reply, a handler,
        or a sequence of replies (the last one repeats)."""
        if callable(reply):
            self.routes[(method, path)] = reply
        elif isinstance(reply, list):
            queue = list(reply)
            self.routes[(method, path)] = lambda _r: queue.pop(0) if len(queue) > 1 else queue[0]
        else:
            fixed: Reply = reply  # type: ignore[assignment]
            self.routes[(method, path)] = lambda _r: fixed

    def paged(self, method: str, path: str, items: list[Obj], page_size: int) -> None:
        """A list endpoint serving `items` in pages of `page_size`, cursor = offset."""

        def handler(request: Recorded) -> Reply:
            start = int(request.param("cursor") or 0)
            end = start + min(page_size, int(request.param("limit") or 50))
            cursor = str(end) if end < len(items) else None
            return 200, {"items": items[start:end], "next_cursor": cursor}

        self.route(method, path, handler)

    def calls(self, method: str | None = None, path: str | None = None) -> list[Recorded]:
        return [
            r
            for r in self.requests
            if (method is None or r.method == method) and (path is None or r.path == path)
        ]

    def handle(self, request: Recorded) -> tuple[int, Any, str]:
        self.requests.append(request)
        request_id = request.headers.get("x-request-id") or f"req-{next(self._ids)}"
        if not request.path.startswith("/api/v1/"):
            return 404, "<html>not found</html>", request_id
        handler = self.routes.get((request.method, request.path.removeprefix("/api/v1")))
        if handler is None:
            return 404, api_error("NOT_FOUND", f"no route {request.path}", request_id), request_id
        status, body = handler(request)
        if status >= 400 and isinstance(body, dict) and isinstance(body.get("error"), dict):
            body = {"error": {"request_id": request_id, **body["error"]}}
        return status, body, request_id


def api_error(code: str, message: str, request_id: str | None = None) -> Obj:
    error: Obj = {"code": code, "message": message}
    if request_id:
        error["request_id"] = request_id
    return {"error": error}


class GatewayHandler(BaseHTTPRequestHandler):
    gateway: FakeGateway

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        recorded = Recorded(
            method=self.command,
            raw_path=split.path,
            path=unquote(split.path),
            query=parse_qs(split.query),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=json.loads(raw) if raw else None,
        )
        status, body, request_id = self.gateway.handle(recorded)
        if isinstance(body, str):
            data, content_type = body.encode(), "text/html"
        else:
            data, content_type = json.dumps(body).encode(), "application/json"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Request-ID", request_id)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_DELETE = _serve


CLEAN_ENV: dict[str, str | None] = {
    "DATACOMPASS_URL": None,
    "DATACOMPASS_TOKEN": None,
    "DATACOMPASS_BOOTSTRAP_ADMIN_KEY": None,
    "DATACOMPASS_FORMAT": None,
    "DATACOMPASS_TIMEOUT": None,
    "COLUMNS": None,
    "FORCE_COLOR": None,
    "TTY_COMPATIBLE": None,
    "NO_COLOR": "1",
}


class Cli:
    def __init__(self, url: str) -> None:
        self.url = url
        self.runner = CliRunner()

    def __call__(
        self, *args: str, env: dict[str, str] | None = None, input: str | None = None
    ) -> Result:
        return self.runner.invoke(
            app, ["--url", self.url, *args], env={**CLEAN_ENV, **(env or {})}, input=input
        )

    def json(self, *args: str, **kwargs: Any) -> Any:
        result = self("--format", "json", *args, **kwargs)
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)


# --- canned API objects (shapes from docs/rest-api.md) ------------------------------------


def make_scan(**overrides: Any) -> Obj:
    scan: Obj = {
        "id": 7,
        "source_name": "warehouse",
        "status": "succeeded",
        "started_at": "2024-05-01T12:00:00.123456Z",
        "finished_at": "2024-05-01T12:00:02.623456Z",
        "duration_ms": 2500,
        "objects_found": 12,
        "objects_created": 3,
        "objects_updated": 9,
        "objects_deleted": 0,
        "columns_found": 87,
        "error": None,
        "triggered_by": "admin",
    }
    scan.update(overrides)
    return scan


def make_source(name: str = "warehouse", **overrides: Any) -> Obj:
    source: Obj = {
        "id": 1,
        "name": name,
        "source_type": "postgres",
        "description": "Main warehouse",
        "connection_keys": ["database", "host", "password", "port", "schemas", "username"],
        "created_at": "2024-04-30T08:15:00Z",
        "updated_at": "2024-04-30T09:00:00.5Z",
        "last_scan": make_scan(source_name=name),
    }
    source.update(overrides)
    return source


def make_column(name: str, ordinal: int, **overrides: Any) -> Obj:
    column: Obj = {
        "name": name,
        "ordinal": ordinal,
        "data_type": "integer",
        "nullable": False,
        "default_expression": None,
        "comment": None,
        "urn": f"urn:dc:postgres:warehouse:public.orders.{name}",
    }
    column.update(overrides)
    return column


def make_object(name: str = "orders", schema: str = "public", **overrides: Any) -> Obj:
    obj: Obj = {
        "id": 42,
        "ref": f"warehouse.{schema}.{name}",
        "urn": f"urn:dc:postgres:warehouse:{schema}.{name}",
        "source_name": "warehouse",
        "source_type": "postgres",
        "schema_name": schema,
        "name": name,
        "object_type": "table",
        "description": f"All {name}",
        "tags": ["sales"],
        "source_metadata": {"owner": "app"},
        "user_metadata": {},
        "column_count": 2,
        "deleted": False,
        "first_seen_at": "2024-04-30T08:20:00Z",
        "last_seen_at": "2024-05-01T12:00:01Z",
        "updated_at": "2024-05-01T12:00:01Z",
    }
    obj.update(overrides)
    return obj
