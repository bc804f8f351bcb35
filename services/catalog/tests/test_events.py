"""Events through the transactional outbox to real NATS JetStream; crash recovery."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest
from catalog_testkit import (
    SOURCE_OBJECTS,
    SourceDb,
    connect,
    create_source,
    outbox_rows,
    stream_messages,
    wait_published,
)

from catalog_service.app import CatalogService, migrate, running
from catalog_service.config import CatalogSettings
from datacompass.catalog.v1 import catalog_pb2 as pb
from datacompass.common.v1 import audit_pb2
from dckit.crypto import SecretBox
from devstack.embedded import EmbeddedNats, free_port

pytestmark = pytest.mark.stack  # starts services or servers in its tests


async def test_scan_events_on_jetstream(
    service: CatalogService,
    source_db: SourceDb,
    catalog_db: asyncpg.Connection,
    nats_url: str,
    nats_stream: str,
    event_subject_prefix: str,
) -> None:
    async with connect(service) as stub:
        await create_source(stub, "shop", source_db.connection())
        await create_source(stub, "broken", source_db.connection(database="no_such_db"))
        ok = await stub.StartScan(pb.StartScanRequest(source_name="shop", wait=True))
        failed = await stub.StartScan(pb.StartScanRequest(source_name="broken", wait=True))
    assert ok.status == pb.SCAN_STATUS_SUCCEEDED and failed.status == pb.SCAN_STATUS_FAILED

    total = await wait_published(catalog_db)
    assert total == 8  # 2 source.create, 2 scan.start, 2 scan outcome audits; 2 scan events
    messages = await stream_messages(nats_url, nats_stream, at_least=total, settle=0.3)
    assert len(messages) == total
    ids = {r["id"] for r in await outbox_rows(catalog_db)}
    assert {m.msg_id for m in messages} == ids
    for m in messages:
        assert m.msg_id == m.envelope.id
        assert m.subject == event_subject_prefix + m.envelope.type.removeprefix("datacompass")
        assert m.envelope.source == "/datacompass/catalog"

    by_type = {m.envelope.type: m for m in messages if "scan" in m.envelope.type}
    completed = by_type["datacompass.catalog.scan.completed"]
    assert completed.subject == f"{event_subject_prefix}.catalog.scan.completed"
    assert completed.envelope.subject == "urn:dcs:source:shop"
    assert completed.envelope.dataschema == "datacompass.catalog.v1.ScanFinished"
    payload = pb.ScanFinished()
    assert completed.envelope.data.Unpack(payload)
    assert payload.source_type == "postgres"
    assert payload.scan == ok and payload.scan.objects_created == len(SOURCE_OBJECTS)

    failure = by_type["datacompass.catalog.scan.failed"]
    assert failure.subject == f"{event_subject_prefix}.catalog.scan.failed"
    payload = pb.ScanFinished()
    assert failure.envelope.data.Unpack(payload)
    assert payload.scan == failed and "database does not exist" in payload.scan.error

    audits = [m for m in messages if m.envelope.type == "datacompass.audit.recorded"]
    assert {m.subject for m in audits} == {f"{event_subject_prefix}.audit.recorded"}
    actions = set()
    for m in audits:
        record = audit_pb2.AuditRecord()
        assert m.envelope.data.Unpack(record)
        actions.add(record.action)
    assert actions == {"source.create", "scan.start", "scan.complete", "scan.failed"}


async def test_recover_fails_scans_left_running(
    settings: CatalogSettings, catalog_db: asyncpg.Connection, nats_url: str, nats_stream: str
) -> None:
    await migrate(settings)
    source_id = await catalog_db.fetchval(
        "INSERT INTO catalog.sources (name, source_type, connection_encrypted) "
        "VALUES ('crashed', 'postgres', '\\x00') RETURNING id"
    )
    # Left by a process that died 10 minutes ago: its lease is long stale.
    scan_id = await catalog_db.fetchval(
        "INSERT INTO catalog.scan_runs (source_id, status, worker, heartbeat_at) "
        "VALUES ($1, 'running', 'dead-host:1', now() - interval '10 minutes') RETURNING id",
        source_id,
    )
    async with running(settings) as service, connect(service) as stub:
        scan = await stub.GetScan(pb.GetScanRequest(id=scan_id))
        assert scan.status == pb.SCAN_STATUS_FAILED
        assert "process running it stopped" in scan.error and scan.finished_at.seconds > 0
        # The source is scannable again (no longer blocked by the stale run).
        source = await stub.GetSource(pb.GetSourceRequest(name="crashed"))
        assert source.last_scan.id == scan_id
        total = await wait_published(catalog_db)
    events = await stream_messages(nats_url, nats_stream, at_least=total)
    failed = [m for m in events if m.envelope.type == "datacompass.catalog.scan.failed"]
    assert len(failed) == 1
    payload = pb.ScanFinished()
    assert failed[0].envelope.data.Unpack(payload)
    assert payload.scan.id == scan_id and payload.scan.status == pb.SCAN_STATUS_FAILED


async def test_nats_outage_loses_no_event(
    tmp_path: Path,
    service_database: str,
    catalog_db: asyncpg.Connection,
    source_db: SourceDb,
    event_subject_prefix: str,
) -> None:
    port = free_port()
    nats_server = EmbeddedNats(tmp_path / "nats", port=port)
    nats_server.start()
    stream = event_subject_prefix.upper()
    settings = CatalogSettings(
        database_url=service_database,
        nats_url=nats_server.url,
        nats_stream=stream,
        event_subject_prefix=event_subject_prefix,
        grpc_port=free_port(),
        metrics_port=0,
        encryption_key=SecretBox.generate_key(),
        shutdown_grace_seconds=3,
    )
    try:
        async with running(settings) as service, connect(service) as stub:
            await create_source(stub, "before", source_db.connection())
            before = await wait_published(catalog_db)
            assert before == 1

            nats_server.stop()
            await create_source(stub, "during", source_db.connection())
            for name in ("before", "during", "before"):
                run = await stub.StartScan(pb.StartScanRequest(source_name=name, wait=True))
                assert run.status == pb.SCAN_STATUS_SUCCEEDED, run.error
            await asyncio.sleep(0.5)  # the relay tries (and fails) meanwhile
            pending = await catalog_db.fetchval(
                "SELECT count(*) FROM catalog.outbox WHERE published_at IS NULL"
            )
            # source.create, 3 x (scan.start + scan.completed + scan.complete audit)
            assert pending == 1 + 3 * 3

            nats_server.start()
            total = await wait_published(catalog_db, wait=30)
            assert total == before + pending
            messages = await stream_messages(nats_server.url, stream, at_least=total, settle=1.5)
    finally:
        nats_server.stop()
    ids = [m.msg_id for m in messages]
    assert len(ids) == len(set(ids)) == total  # every event exactly once
    assert set(ids) == {r["id"] for r in await outbox_rows(catalog_db)}
    assert all(m.msg_id == m.envelope.id for m in messages)
    completed = [m for m in messages if m.envelope.type == "datacompass.catalog.scan.completed"]
    assert len(completed) == 3
