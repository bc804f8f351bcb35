"""Real servers for benchmarks: external ones from DATACOMPASS_DATABASE_URL / _NATS_URL,
otherwise embedded PostgreSQL and NATS in a temporary directory."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from devstack.embedded import EmbeddedNats, EmbeddedPostgres


@dataclass(frozen=True)
class Servers:
    database_url: str  # postgresql:// URL of a server database where we may CREATE DATABASE
    nats_url: str


@contextmanager
def servers() -> Iterator[Servers]:
    with ExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dc-bench-")))
        db = os.environ.get("DATACOMPASS_DATABASE_URL")
        if not db:
            db = stack.enter_context(EmbeddedPostgres(root / "pg")).url()
        nats = os.environ.get("DATACOMPASS_NATS_URL")
        if not nats:
            nats = stack.enter_context(EmbeddedNats(root / "nats")).url
        yield Servers(db.replace("postgresql+asyncpg://", "postgresql://"), nats)
