"""The audit trail: governance's own mutations are audited, every service's audit records are
stored exactly once (replays included), nothing is lost while NATS is down, rows are
append-only, and queries filter and page."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import nats
import pytest
import pytest_asyncio
from google.protobuf import timestamp_pb2
from google.protobuf.field_mask_pb2 import FieldMask
from governance_testkit import PASSWORD, Governance, settings_for

from datacompass.common.v1 import audit_pb2
from datacompass.governance.v1 import governance_pb2 as pb
from dckit import context
from dckit.events import AUDIT_RECORDED, make_envelope, nats_subject
from devstack.embedded import EmbeddedNats
from devstack.testing import eventually, starts_stack
from governance_service.app import running

META = [("x-dc-actor", "root-admin"), ("x-request-id", "req-42"), ("x-dc-client-ip", "10.1.2.3")]


def _record(entity_id: str, action: str = "object.update") -> audit_pb2.AuditRecord:
    now = timestamp_pb2.Timestamp()
    now.FromDatetime(datetime.now(UTC))
    return audit_pb2.AuditRecord(
        id=f"rec-{entity_id}",
        time=now,
        service="catalog",
        actor="alice",
        action=action,
        entity_type="object",
        entity_id=entity_id,
        entity_urn=f"urn:dcs:postgres:table:shop.sales:{entity_id}",
        changes=[audit_pb2.FieldChange(field="description", old_json="null", new_json='"new"')],
        request_id="req-from-catalog",
    )


async def _publish(nats_url: str, prefix: str, record: audit_pb2.AuditRecord, times: int) -> None:
    with context.bound(context.RequestContext(request_id=record.request_id, actor=record.actor)):
        envelope = make_envelope(AUDIT_RECORDED, "/datacompass/catalog", record.entity_urn, record)
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()

        async def stream_ready() -> bool:
            # The service creates the stream when it first connects; don't publish into nothing.
            try:
                await js.find_stream_name_by_subject(nats_subject(AUDIT_RECORDED, prefix))
            except nats.js.errors.NotFoundError:
                return False
            return True

        await eventually(stream_ready)
        for attempt in range(times):
            # Distinct Nats-Msg-Id: JetStream's own dedupe must not hide the replay from us.
            await js.publish(
                nats_subject(AUDIT_RECORDED, prefix),
                envelope.SerializeToString(),
                headers={"Nats-Msg-Id": f"{envelope.id}-{attempt}"},
            )
    finally:
        await nc.close()


async def test_own_mutations_are_audited_with_context(governance: Governance) -> None:
    await governance.stub.CreateUser(
        pb.CreateUserRequest(username="frank", password=PASSWORD, role="editor"), metadata=META
    )
    await governance.stub.UpdateUser(
        pb.UpdateUserRequest(username="frank", role="steward", password="another long password",
                             update_mask=FieldMask(paths=["role", "password"])),
        metadata=META,
    )  # fmt: skip
    created = await eventually(lambda: governance.audit_rows("user.create"))
    updated = await eventually(lambda: governance.audit_rows("user.update"))
    assert len(created) == 1 and len(updated) == 1
    row = updated[0]
    assert (row["user_id"], row["entity_type"], row["entity_id"]) == ("root-admin", "user", "frank")
    changes = json.loads(row["changes"]) if isinstance(row["changes"], str) else row["changes"]
    assert changes["role"] == {"old": "editor", "new": "steward"}
    assert changes["password"] == {"old": "<redacted>", "new": "<changed>"}
    ctx = json.loads(row["context"]) if isinstance(row["context"], str) else row["context"]
    assert ctx["request_id"] == "req-42" and ctx["ip"] == "10.1.2.3"
    everything = str(
        [dict(r) for r in await governance.sql("SELECT * FROM governance.audit_events")]
    )
    assert "argon2" not in everything and "another long password" not in everything

    # ... and served through the API, newest first, filterable.
    page = await governance.stub.ListAuditEvents(pb.ListAuditEventsRequest(entity_type="user"))
    assert [e.record.action for e in page.items] == ["user.update", "user.create"]
    page = await governance.stub.ListAuditEvents(
        pb.ListAuditEventsRequest(entity="frank", action="user.update", user="root-admin")
    )
    assert len(page.items) == 1 and page.items[0].record.request_id == "req-42"
    page = await governance.stub.ListAuditEvents(pb.ListAuditEventsRequest(user="nobody"))
    assert not page.items


async def test_replayed_record_is_stored_once(
    governance: Governance, nats_url: str, event_subject_prefix: str
) -> None:
    await _publish(nats_url, event_subject_prefix, _record("orders"), times=2)
    await _publish(nats_url, event_subject_prefix, _record("marker"), times=1)
    # Messages are handled in order: once the marker is stored, both copies were handled.
    await eventually(
        lambda: governance.sql("SELECT 1 FROM governance.audit_events WHERE entity_id = 'marker'")
    )
    rows = await governance.sql("SELECT * FROM governance.audit_events WHERE entity_id = 'orders'")
    assert len(rows) == 1
    assert rows[0]["entity_urn"].endswith(":orders") and rows[0]["service"] == "catalog"


async def test_audit_events_are_append_only(governance: Governance) -> None:
    await governance.create_user("gina")
    await eventually(lambda: governance.audit_rows("user.create"))
    for statement in (
        "UPDATE governance.audit_events SET user_id = 'someone-else'",
        "DELETE FROM governance.audit_events",
    ):
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await governance.sql(statement)
    assert len(await governance.audit_rows("user.create")) == 1


async def test_audit_query_paging_and_time_window(governance: Governance) -> None:
    for name in ("u1", "u2", "u3"):
        await governance.create_user(name)
    await eventually(lambda: _count(governance, 3))
    first = await governance.stub.ListAuditEvents(
        pb.ListAuditEventsRequest(page={"limit": 2})  # type: ignore[arg-type]
    )
    assert len(first.items) == 2 and first.page.next_cursor
    second = await governance.stub.ListAuditEvents(
        pb.ListAuditEventsRequest(page={"limit": 2, "cursor": first.page.next_cursor})  # type: ignore[arg-type]
    )
    assert len(second.items) == 1 and not second.page.next_cursor
    ids = {e.record.entity_id for e in [*first.items, *second.items]}
    assert ids == {"u1", "u2", "u3"}
    future = timestamp_pb2.Timestamp()
    future.FromDatetime(datetime.now(UTC) + timedelta(hours=1))
    page = await governance.stub.ListAuditEvents(pb.ListAuditEventsRequest(since=future))
    assert not page.items


async def _count(governance: Governance, n: int) -> bool:
    return len(await governance.sql("SELECT id FROM governance.audit_events")) >= n


@pytest_asyncio.fixture
@starts_stack
async def own_nats(tmp_path: Path) -> AsyncIterator[EmbeddedNats]:
    server = EmbeddedNats(tmp_path / "nats")
    await asyncio.to_thread(server.start)
    try:
        yield server
    finally:
        await asyncio.to_thread(server.stop)


async def test_no_audit_record_lost_while_nats_is_down(
    service_database: str, own_nats: EmbeddedNats
) -> None:
    settings = settings_for(service_database, own_nats.url, "DCGOVDOWN", "dcgovdown")
    async with running(settings) as service:
        from datacompass.governance.v1 import governance_pb2_grpc
        from dckit.grpc_client import channel

        async with channel(f"127.0.0.1:{service.grpc.bound_port}") as chan:
            gov = Governance(
                service, governance_pb2_grpc.GovernanceServiceStub(chan), service_database
            )
            await gov.create_user("before")
            await eventually(lambda: gov.audit_rows("user.create"))

            await asyncio.to_thread(own_nats.stop)
            await gov.create_user("during")  # the change commits; its audit record waits
            await asyncio.sleep(1.0)
            assert len(await gov.audit_rows("user.create")) == 1
            pending = await gov.sql("SELECT id FROM governance.outbox WHERE published_at IS NULL")
            assert len(pending) == 1

            await asyncio.to_thread(own_nats.start)
            rows = await eventually(lambda: _with_entity(gov, "during"), within=30)
            assert len(rows) == 1
            assert len(await gov.audit_rows("user.create")) == 2


async def _with_entity(gov: Governance, entity: str) -> list[asyncpg.Record]:
    return await gov.sql("SELECT * FROM governance.audit_events WHERE entity_id = $1", entity)
