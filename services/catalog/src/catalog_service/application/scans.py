"""Use cases for metadata scans: start (in the background or waiting), read, list.

A scan reads the source outside any catalog transaction, then writes everything it found in
one transaction together with its completion event, so readers never see half a scan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from prometheus_client import Gauge, Histogram

from catalog_service.application.sources import _require
from catalog_service.application.structure_sync import record_structure
from catalog_service.db.repository import CatalogRepository, Row
from catalog_service.db.structure import StructureRepository
from catalog_service.domain.models import OBJECT_TYPES, reconcile
from datacompass.catalog.v1 import catalog_pb2
from dcconnectors.errors import SourceError
from dcconnectors.interfaces import MetadataReader
from dckit import context
from dckit.crypto import SecretBox
from dckit.db import Database
from dckit.errors import FailedPrecondition, NotFound
from dckit.outbox import Outbox
from dckit.paging import clamp_limit, decode_cursor, next_cursor

log = logging.getLogger(__name__)

SCAN_SECONDS = Histogram(
    "dc_catalog_scan_duration_seconds", "Metadata scan duration", ["source_type", "status"]
)

# Live objects per source and type as of the latest successful scan this process ran.
OBJECTS = Gauge(
    "dc_catalog_objects", "Catalog objects by source and type", ["source", "object_type"]
)

# (source_type, connection, *, statement_timeout_ms, parallelism) → a reader (the registry's).
ReaderFactory = Callable[..., MetadataReader]
ScanEventBuilder = Callable[[Row, str], catalog_pb2.ScanFinished]


class ScanUseCases:
    def __init__(
        self,
        db: Database,
        outbox: Outbox,
        box: SecretBox,
        reader_for: ReaderFactory,
        *,
        event_for: ScanEventBuilder,
        scan_timeout: float,
        statement_timeout_ms: int,
        max_concurrent: int,
        worker: str,
        parallelism: int = 4,
        progress_seconds: float = 0.5,
        lease_seconds: float = 10.0,
        stale_seconds: float = 60.0,
        on_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self.db, self.outbox, self.box = db, outbox, box
        self.reader_for = reader_for
        self.event_for = event_for
        self.scan_timeout = scan_timeout
        self.statement_timeout_ms = statement_timeout_ms
        self._slots = asyncio.Semaphore(max_concurrent)
        self._tasks: dict[asyncio.Task[Row], int] = {}  # scan task -> scan run id
        self.parallelism = parallelism
        self.progress_seconds = progress_seconds
        self.on_commit = on_commit
        # Leases: this process renews its runs every `lease_seconds`; a run not renewed for
        # `stale_seconds` belongs to a dead process and any replica fails it.
        self.worker = worker
        self.lease_seconds = lease_seconds
        self.stale_seconds = stale_seconds

    async def recover(self) -> int:
        """Runs whose process died can never finish: fail them, and tell subscribers
        (scan.failed) as for any other failed scan. Runs of live replicas keep their lease."""
        return await self._fail(
            lambda repo: repo.fail_stale_scans(
                self.stale_seconds, "interrupted: the catalog process running it stopped"
            )
        )

    async def keep_leases(self, stop: asyncio.Event) -> None:
        """Worker: renew this process's leases and fail other processes' stale runs."""
        while not stop.is_set():
            try:
                async with self.db.session() as session:
                    await CatalogRepository(session).renew_leases(list(self._tasks.values()))
                await self.recover()
            except Exception as exc:  # database blip: try again next round
                log.warning("scan lease upkeep failed: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.lease_seconds)

    async def _fail(self, select_runs: Callable[[CatalogRepository], Awaitable[list[Row]]]) -> int:
        async with self.db.session() as session:
            rows = await select_runs(CatalogRepository(session))
            for row in rows:
                await self.outbox.publish(
                    session,
                    "datacompass.catalog.scan.failed",
                    f"urn:dcs:source:{row['source_name']}",
                    self.event_for(row, row["source_type"]),
                )
                with context.bound(context.RequestContext(actor="system")):
                    await self._audit_outcome(session, row, row["source_name"])
        if rows:
            self.on_commit()
            log.warning("failed %d interrupted scan(s): %s", len(rows), rows[0]["error"])
        return len(rows)

    async def _audit_outcome(self, session: Any, row: Row, source_name: str) -> None:
        """How a scan ended, with what it changed in the catalog (one record per scan, not
        one per object: the objects' own history is in their schema versions)."""
        changed = ("objects_created", "objects_updated", "objects_deleted")
        await self.outbox.audit(
            session,
            action=f"scan.{'complete' if row['status'] == 'succeeded' else row['status']}",
            entity_type="scan",
            entity_id=row["id"],
            entity_urn=f"urn:dcs:source:{source_name}",
            changes={
                "status": ("running", row["status"]),
                **{k: (None, row[k]) for k in changed if row.get(k)},
                **({"error": (None, row["error"])} if row.get("error") else {}),
            },
        )

    async def start(self, source_name: str, *, wait: bool) -> Row:
        actor = context.current().actor
        async with self.db.session() as session:
            repo = CatalogRepository(session)
            source = await _require(repo, source_name)
            scan = await repo.insert_scan(source["id"], source_name, actor, self.worker)
            await self.outbox.audit(
                session,
                action="scan.start",
                entity_type="scan",
                entity_id=scan["id"],
                entity_urn=f"urn:dcs:source:{source_name}",
                changes={"status": (None, "running")},
            )
        self.on_commit()
        task = asyncio.create_task(self._run(dict(source), scan["id"]), name=f"scan-{scan['id']}")
        self._tasks[task] = scan["id"]
        task.add_done_callback(self._done)
        if wait:
            return await asyncio.shield(task)
        return scan

    async def _run(self, source: dict[str, Any], scan_id: int) -> Row:
        loop = asyncio.get_running_loop()
        started = loop.time()
        async with self._slots:
            try:
                metadata = self.reader_for(
                    source["source_type"],
                    self.box.open(source["connection_encrypted"]),
                    statement_timeout_ms=self.statement_timeout_ms,
                    parallelism=self.parallelism,
                )
                progress = _Progress()
                reader = asyncio.create_task(metadata.scan(progress.update))
                watcher = asyncio.create_task(self._watch(scan_id, progress, reader))
                try:
                    found = await asyncio.wait_for(reader, timeout=self.scan_timeout)
                finally:
                    watcher.cancel()
            except asyncio.CancelledError:
                current = asyncio.current_task()
                if not reader.cancelled() or (current is not None and current.cancelling()):
                    raise  # shutdown, not a cancel request
                return await self._finish_failed(
                    source, scan_id, "cancelled on request", started, status="cancelled"
                )
            except (SourceError, TimeoutError) as exc:
                message = str(exc) or f"scan timed out after {self.scan_timeout:g}s"
                return await self._finish_failed(source, scan_id, message, started)
            except Exception as exc:
                log.exception("scan %s of %s crashed", scan_id, source["name"])
                return await self._finish_failed(
                    source, scan_id, f"internal error: {type(exc).__name__}", started
                )
        try:
            async with self.db.session() as session:
                repo = CatalogRepository(session)
                plan = reconcile(await repo.existing_objects(source["id"]), found)
                written = await repo.apply_plan(source, plan)
                schema_events = await record_structure(
                    StructureRepository(session), source, written, found, scan_id
                )
                row = await repo.finish_scan(
                    scan_id,
                    {
                        "status": "succeeded",
                        "objects_found": len(found),
                        "objects_total": len(found),
                        "objects_done": len(found),
                        "objects_created": len(plan.create),
                        "objects_updated": len(plan.change),
                        "objects_deleted": len(plan.vanished_ids),
                        "columns_found": sum(len(o.columns) for o in found),
                    },
                )
                if row is None:
                    raise _source_deleted(source)
                for event in schema_events:
                    await self.outbox.publish(
                        session, "datacompass.catalog.schema.changed", event.object_urn, event
                    )
                await self.outbox.publish(
                    session,
                    "datacompass.catalog.scan.completed",
                    f"urn:dcs:source:{source['name']}",
                    self.event_for(row, source["source_type"]),
                )
                await self._audit_outcome(session, row, source["name"])
        except Exception as exc:
            log.exception("storing scan %s failed", scan_id)
            return await self._finish_failed(
                source, scan_id, f"storing results failed: {type(exc).__name__}", started
            )
        self.on_commit()
        SCAN_SECONDS.labels(source["source_type"], "succeeded").observe(loop.time() - started)
        by_type = Counter(obj.object_type for obj in found)
        for object_type in OBJECT_TYPES:  # zeros too, so a type that vanished drops to 0
            OBJECTS.labels(source["name"], object_type).set(by_type.get(object_type, 0))
        log.info(
            "scan finished",
            extra={"scan_id": scan_id, "source": source["name"], "objects": len(found)},
        )
        return row

    async def _watch(self, scan_id: int, progress: _Progress, reader: asyncio.Task[Any]) -> None:
        """While the source is read: store progress (done/total) for GET /scans/{id} and
        stop the read when someone asked to cancel (any replica may have recorded that)."""
        stored = (-1, -1)
        while not reader.done():
            await asyncio.sleep(self.progress_seconds)
            try:
                async with self.db.session() as session:
                    repo = CatalogRepository(session)
                    if progress.value != stored:
                        stored = progress.value
                        await repo.scan_progress(scan_id, *stored)
                    cancel = await repo.cancel_requested(scan_id)
            except Exception as exc:  # progress is best effort; the scan goes on
                log.warning("scan %s progress update failed: %s", scan_id, exc)
                continue
            if cancel:
                reader.cancel()
                return

    async def cancel(self, scan_id: int) -> Row:
        async with self.db.session() as session:
            repo = CatalogRepository(session)
            row = await repo.get_scan(scan_id)
            if row is None:
                raise NotFound(f"scan {scan_id} not found")
            if row["status"] != "running":
                raise FailedPrecondition(f"scan {scan_id} is not running ({row['status']})")
            await repo.request_cancel(scan_id)
            await self.outbox.audit(
                session,
                action="scan.cancel",
                entity_type="scan",
                entity_id=scan_id,
                entity_urn=f"urn:dcs:source:{row['source_name']}",
                changes={"cancel_requested": (False, True)},
            )
            row = await repo.get_scan(scan_id)
        self.on_commit()
        assert row is not None
        return row

    async def _finish_failed(
        self,
        source: dict[str, Any],
        scan_id: int,
        message: str,
        started: float,
        status: str = "failed",
    ) -> Row:
        async with self.db.session() as session:
            row = await CatalogRepository(session).finish_scan(
                scan_id, {"status": status, "error": message}
            )
            if row is None:
                raise _source_deleted(source)
            await self.outbox.publish(
                session,
                f"datacompass.catalog.scan.{status}",
                f"urn:dcs:source:{source['name']}",
                self.event_for(row, source["source_type"]),
            )
            await self._audit_outcome(session, row, source["name"])
        self.on_commit()
        SCAN_SECONDS.labels(source["source_type"], status).observe(
            asyncio.get_running_loop().time() - started
        )
        log.warning(
            "scan failed", extra={"scan_id": scan_id, "source": source["name"], "error": message}
        )
        return row

    def _done(self, task: asyncio.Task[Row]) -> None:
        self._tasks.pop(task, None)
        if not task.cancelled() and task.exception() is not None:
            # Nobody may be awaiting a background scan: say why it ended here.
            log.warning("scan task %s ended: %s", task.get_name(), task.exception())

    async def get(self, scan_id: int) -> Row:
        async with self.db.session() as session:
            row = await CatalogRepository(session).get_scan(scan_id)
        if row is None:
            raise NotFound(f"scan {scan_id} not found")
        return row

    async def page(self, source_name: str, limit: int, cursor: str) -> tuple[list[Row], str]:
        limit, offset = clamp_limit(limit), decode_cursor(cursor)
        async with self.db.session() as session:
            repo = CatalogRepository(session)
            source = await _require(repo, source_name)
            rows = await repo.list_scans(source["id"], offset, limit + 1)
        page = list(rows[:limit])
        return page, next_cursor(offset, limit, len(page), len(rows) > limit)

    async def drain(self, grace_seconds: float) -> None:
        """On shutdown give running scans a moment, then stop the rest and fail their runs
        now (rather than leaving them for another replica once their lease goes stale)."""
        if not self._tasks:
            return
        await asyncio.wait(list(self._tasks), timeout=grace_seconds)
        leftover = dict(self._tasks)
        for task in leftover:
            task.cancel()
        await asyncio.gather(*leftover, return_exceptions=True)
        await self._fail(
            lambda repo: repo.fail_scans(
                list(leftover.values()), "interrupted: the catalog service shut down"
            )
        )


class _Progress:
    def __init__(self) -> None:
        self.value = (0, 0)  # (done, total)

    def update(self, done: int, total: int) -> None:
        self.value = (done, total)


def _source_deleted(source: dict[str, Any]) -> NotFound:
    return NotFound(f"source {source['name']!r} was deleted during the scan")
