"""CLI suite fixtures (helpers live in cli_testkit, importable by the test modules)."""

import sys
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from cli_testkit import Cli, FakeGateway, GatewayHandler


@pytest.fixture
def gateway() -> Iterator[FakeGateway]:
    fake = FakeGateway()
    handler = type("Handler", (GatewayHandler,), {"gateway": fake})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def cli(gateway: FakeGateway) -> Cli:
    return Cli(gateway.url)
