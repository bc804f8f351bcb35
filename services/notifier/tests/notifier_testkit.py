"""Fixtures for the notifier suite: the notifier in-process over real gRPC, PostgreSQL and
NATS; a local HTTP server standing in for Slack and webhook receivers (scripted answers);
a real SMTP server (aiosmtpd) with login; and a publisher that puts event envelopes on the
test's stream exactly as dckit's outbox relay does."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import asyncpg
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from google.protobuf import struct_pb2
from google.protobuf.message import Message

from datacompass.notifier.v1 import notifier_pb2 as pb
from datacompass.notifier.v1 import notifier_pb2_grpc
from datacompass.quality.v1 import dq_pb2 as qpb
from dckit.bus import EventBus
from dckit.crypto import SecretBox
from dckit.events import make_envelope, nats_subject
from dckit.grpc_client import channel
from dckit.protoconv import enum_number, enum_text
from dckit.settings import to_libpq_url
from devstack.embedded import free_port as find_free_port
from devstack.http_sink import Sink, running_sink
from devstack.testing import eventually as shared_eventually
from devstack.testing import starts_stack
from notifier_service.app import NotifierService, build, start
from notifier_service.config import NotifierSettings

SMTP_USER, SMTP_PASSWORD = "alerts", "s3cret-smtp-pass"


# ---------------------------------------------------------------- HTTP sink
@pytest.fixture
def sink() -> Iterator[Sink]:
    with running_sink() as state:
        yield state


# ---------------------------------------------------------------- SMTP
@dataclass
class Mailbox:
    port: int
    messages: list[tuple[Envelope, EmailMessage]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def wait_for(self, count: int, within: float = 20.0) -> list[EmailMessage]:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if len(self.messages) >= count:
                return [m for _, m in self.messages]
            await asyncio.sleep(0.05)
        raise AssertionError(f"{len(self.messages)} emails, expected {count}")


@pytest.fixture
def smtp() -> Iterator[Mailbox]:
    box = Mailbox(find_free_port())

    class Handler:
        async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
            parsed = message_from_bytes(envelope.content or b"", policy=policy.default)
            box.messages.append((envelope, parsed))  # type: ignore[arg-type]
            return "250 Message accepted for delivery"

    def authenticator(
        server: Any, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login.decode(), data.password.decode()) == (
            SMTP_USER,
            SMTP_PASSWORD,
        )
        if ok:
            box.logins.append(data.login.decode())
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535

    controller = Controller(
        Handler(), hostname="127.0.0.1", port=box.port, authenticator=authenticator,
        auth_require_tls=False,
    )  # fmt: skip
    controller.start()
    yield box
    controller.stop()


# ---------------------------------------------------------------- the notifier
@dataclass
class Env:
    settings: NotifierSettings
    database_url: str
    bus: EventBus
    prefix: str
    api: notifier_pb2_grpc.NotifierServiceStub | None = None
    service: NotifierService | None = None

    @property
    def stub(self) -> notifier_pb2_grpc.NotifierServiceStub:
        assert self.api is not None, "the notifier is not running"
        return self.api

    @asynccontextmanager
    async def running(
        self, *, send: bool = True, **overrides: Any
    ) -> AsyncIterator[NotifierService]:
        """The notifier in this process; send=False leaves out the sender worker (a notifier
        that dies after planning, before sending)."""
        settings = self.settings.model_copy(update=overrides)
        service = build(settings)
        if not send:
            service.grpc.workers.remove(service.sender.run)
        await start(service)
        await service.grpc.start()
        workers = [asyncio.create_task(w(service.grpc.stop)) for w in service.grpc.workers]
        chan = channel(f"127.0.0.1:{service.grpc.bound_port}", max_attempts=1)
        self.api, self.service = notifier_pb2_grpc.NotifierServiceStub(chan), service
        try:
            yield service
        finally:
            await chan.close()
            await service.grpc.shutdown(workers)
            self.api = self.service = None

    async def sql(self, query: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.database_url)
        try:
            return await conn.fetch(query, *args)
        finally:
            await conn.close()

    async def publish(
        self, event_type: str, subject: str, data: Message, *, event_id: str = ""
    ) -> str:
        """Put an envelope on the stream as the outbox relay does (Nats-Msg-Id = event id)."""
        envelope = make_envelope(event_type, "/datacompass/test", subject, data)
        if event_id:
            envelope.id = event_id
        js = await self.bus.jetstream()
        await js.publish(
            nats_subject(event_type, self.prefix),
            envelope.SerializeToString(),
            stream=self.bus.stream,
        )
        return envelope.id

    async def webhook(self, url: str, **config: Any) -> tuple[pb.Channel, str]:
        res = await self.stub.CreateChannel(
            pb.CreateChannelRequest(
                name=f"hook-{url}", channel_type="webhook", config=struct({"url": url, **config})
            )
        )
        return res.channel, res.generated_secret

    async def rule(self, channel_ids: list[int], **kw: Any) -> pb.Rule:
        values = {"name": f"rule-{time.monotonic_ns()}", "event_types": ["breach_detected"], **kw}
        return await self.stub.CreateRule(pb.CreateRuleRequest(channel_ids=channel_ids, **values))

    async def log(self, status: str = "", **filters: Any) -> list[pb.LogEntry]:
        number = enum_number(pb.AttemptStatus.DESCRIPTOR, status)
        res = await self.stub.ListLog(pb.ListLogRequest(status=number, **filters))
        return list(reversed(res.items))  # oldest first


def status(entry: pb.LogEntry) -> str:
    """A log entry's status as its label (`sent`)."""
    return enum_text(pb.AttemptStatus.DESCRIPTOR, entry.status)


def struct(value: dict[str, Any]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update(value)
    return out


def breach(breach_id: int, ref: str = "shop.sales.orders", **kw: Any) -> qpb.BreachDetected:
    values: dict[str, Any] = {
        "id": breach_id, "object_ref": ref, "metric_type": "row_count", "priority": "high",
        "bucket": "2026-11-20", "value": 3.0, "threshold_low": 40.0, "direction": "below",
        "deviation": 0.925, "run_id": 7, **kw,
    }  # fmt: skip
    return qpb.BreachDetected(breach=qpb.Breach(**values))


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 20.0) -> None:
    await shared_eventually(check, within=within, interval=0.05)


@pytest.fixture
@starts_stack
async def env(
    service_database: str, nats_url: str, nats_stream: str, event_subject_prefix: str
) -> AsyncIterator[Env]:
    settings = NotifierSettings(
        database_url=service_database,
        nats_url=nats_url,
        nats_stream=nats_stream,
        event_subject_prefix=event_subject_prefix,
        grpc_port=find_free_port(),
        metrics_port=0,
        shutdown_grace_seconds=3,
        encryption_key=SecretBox.generate_key(),
        slack_allowed_hosts=["127.0.0.1"],
        allow_loopback_targets=True,  # the sinks listen on 127.0.0.1
        public_url="http://dc.example",
        retry_base_seconds=0.05,
        retry_max_seconds=5,
        max_attempts=3,
        send_timeout_seconds=2,
        poll_seconds=0.1,
        lease_seconds=30,
    )
    bus = EventBus(nats_url, nats_stream, event_subject_prefix, "test")
    await bus.connect()
    try:
        yield Env(settings, to_libpq_url(service_database), bus, event_subject_prefix)
    finally:
        await bus.close()
