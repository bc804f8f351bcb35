"""A local HTTP server standing in for webhook and Slack receivers in tests and benchmarks:
answers each path with scripted statuses (then 200), records every request, and verifies
Data Compass webhook signatures the way a real receiver should."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from devstack.embedded import free_port


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.time() when received

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Sink:
    """Answers each path with the scripted statuses in order, then 200; records every request."""

    port: int
    script: dict[str, list[tuple[int, dict[str, str]]]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def answer(self, path: str, *responses: tuple[int, dict[str, str]]) -> None:
        self.script[path] = list(responses)

    def received(self, path: str) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.path == path]

    async def wait_for(self, path: str, count: int, within: float = 20.0) -> list[Request]:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            got = self.received(path)
            if len(got) >= count:
                return got
            await asyncio.sleep(0.05)
        raise AssertionError(f"{path}: {len(self.received(path))} requests, expected {count}")


@contextmanager
def running_sink() -> Iterator[Sink]:
    state = Sink(free_port())

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with state.lock:
                state.requests.append(Request(self.path, dict(self.headers), body, time.time()))
                queue = state.script.get(self.path, [])
                status, headers = queue.pop(0) if queue else (200, {})
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", state.port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def signature_ok(request: Request, secret: str, max_age: float = 300) -> bool:
    """What a receiver does: recompute the HMAC over "<timestamp>.<body>" and reject stale
    timestamps (so a captured request cannot be replayed later)."""
    timestamp = request.headers.get("X-DataCompass-Timestamp", "")
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + request.body, hashlib.sha256
    ).hexdigest()
    signature = request.headers.get("X-DataCompass-Signature", "")
    fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) < max_age
    return fresh and hmac.compare_digest(signature, f"sha256={expected}")


def verify_signature(request: Request, secret: str, max_age: float = 300) -> None:
    assert signature_ok(request, secret, max_age), request.headers
