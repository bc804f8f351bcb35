"""Use cases for metadata scans: start (in the background or waiting), read, list, cancel.

A scan reads the source outside any catalog transaction, then writes everything it found in
one transaction together with its completion event, so readers never see half a scan. A
running scan is leased (RunLeases): this process renews the leases of its runs, any replica
fails runs whose process died, and shutdown fails the runs it could not finish."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from catalog_service.application import lineage, structure
from catalog_service.application.ports import (
    CatalogUnit,
    Connectors,
    Record,
    RunLeases,
    ScanMetrics,
    ScanPayload,
    SchemaChangedPayload,
    Secrets,
    Transactions,
)
from catalog_service.application.sources import require_source
from catalog_service.domain import scans as domain
from catalog_service.domain.scans import OBJECT_TYPES, reconcile
from catalog_service.domain.sources import source_urn
from dcconnectors.errors import SourceError
from dckit import context, event_catalogue
from dckit.errors import FailedPrecondition, NotFound
from dckit.event_catalogue import EventType
from dckit.paging import paginate
from dckit.uow import Entity, Event

log = logging.getLogger(__name__)

# Why a run whose process is gone was failed (another replica's sweep, or this one's drain).
STALE = "interrupted: the catalog process running it stopped"
SHUT_DOWN = "interrupted: the catalog service shut down"

FINISHED: dict[str, EventType] = {
    domain.SUCCEEDED: event_catalogue.SCAN_COMPLETED,
    domain.FAILED: event_catalogue.SCAN_FAILED,
    domain.CANCELLED: event_catalogue.SCAN_CANCELLED,
}


class ScanUseCases:
    def __init__(
        self,
        tx: Transactions,
        *,
        connectors: Connectors,
        secrets: Secrets,
        leases: RunLeases,
        metrics: ScanMetrics,
        scan_payload: ScanPayload,
        schema_payload: SchemaChangedPayload,
        scan_timeout: float,
        statement_timeout_ms: int,
        max_concurrent: int,
        parallelism: int = 4,
        progress_seconds: float = 0.5,
    ) -> None:
        self.tx = tx
        self.connectors, self.secrets = connectors, secrets
        self.leases, self.metrics = leases, metrics
        self.scan_payload, self.schema_payload = scan_payload, schema_payload
        self.scan_timeout = scan_timeout
        self.statement_timeout_ms = statement_timeout_ms
        self._slots = asyncio.Semaphore(max_concurrent)
        self.parallelism = parallelism
        self.progress_seconds = progress_seconds

    # ------------------------------------------------------------ leases
    async def recover(self) -> int:
        """Runs whose process died can never finish: fail them (with scan.failed, as for any
        other failed scan). Runs of live replicas keep their lease."""
        return len(await self.leases.sweep(STALE))

    async def keep_leases(self, stop: asyncio.Event) -> None:
        """Worker: renew this process's leases and fail other processes' stale runs."""
        await self.leases.upkeep(stop, reason=STALE)

    async def drain(self, grace_seconds: float) -> None:
        """On shutdown give running scans a moment, then stop the rest and fail their runs
        now (rather than leaving them for another replica once their lease goes stale)."""
        await self.leases.drain(grace_seconds, reason=SHUT_DOWN)

    async def lost(self, uow: CatalogUnit, runs: Sequence[Mapping[str, Any]]) -> None:
        """Runs the leases failed, in the failing transaction: tell subscribers and audit."""
        with context.bound(context.RequestContext(actor="system")):
            for failed in runs:
                run = await uow.scans.get(failed["id"])
                if run is not None:
                    await self._record_outcome(uow, run, run["source_type"])

    # ------------------------------------------------------------ running a scan
    async def start(self, source_name: str, *, wait: bool) -> Record:
        async with self.tx() as uow:
            source = await require_source(uow, source_name)
            run = await uow.scans.insert(
                source_id=source["id"],
                source_name=source_name,
                triggered_by=context.current().actor,
                lease=self.leases.stamp(),
            )
            await uow.record_change("scan.start", _entity(run), None, {"status": domain.RUNNING})
        task = asyncio.create_task(self._run(source, run["id"]), name=f"scan-{run['id']}")
        self.leases.hold(run["id"], task)
        task.add_done_callback(_log_end)
        if wait:
            return await asyncio.shield(task)
        return run

    async def _run(self, source: Record, scan_id: int) -> Record:
        loop = asyncio.get_running_loop()
        started = loop.time()
        async with self._slots:
            try:
                metadata = self.connectors.reader(
                    source["source_type"],
                    self.secrets.open(source["connection_encrypted"]),
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
                return await self._fail(
                    source,
                    scan_id,
                    started,
                    message="cancelled on request",
                    status=domain.CANCELLED,
                )
            except (SourceError, TimeoutError) as exc:
                message = str(exc) or f"scan timed out after {self.scan_timeout:g}s"
                return await self._fail(source, scan_id, started, message=message)
            except Exception as exc:
                log.exception("scan %s of %s crashed", scan_id, source["name"])
                return await self._fail(
                    source, scan_id, started, message=f"internal error: {type(exc).__name__}"
                )
        try:
            async with self.tx() as uow:
                plan = reconcile(await uow.objects.existing(source["id"]), found)
                written = await uow.objects.apply_plan(source, plan)
                known = await uow.objects.index(source["id"])
                changes = await structure.record_scanned(uow, source, known, written, scan_id)
                await lineage.record_scanned(uow, known, written, found)
                run = await uow.scans.finish(scan_id, domain.counts(plan, found))
                if run is None:
                    raise _source_deleted(source)
                for change in changes:
                    await uow.publish(
                        Event(
                            event_catalogue.SCHEMA_CHANGED,
                            change.object_urn,
                            self.schema_payload(change),
                        )
                    )
                await self._record_outcome(uow, run, source["source_type"])
        except Exception as exc:
            log.exception("storing scan %s failed", scan_id)
            return await self._fail(
                source, scan_id, started, message=f"storing results failed: {type(exc).__name__}"
            )
        self.metrics.finished(
            source_type=source["source_type"],
            status=domain.SUCCEEDED,
            seconds=loop.time() - started,
        )
        by_type = Counter(obj.object_type for obj in found)
        # zeros too, so a type that vanished drops to 0
        self.metrics.objects(source["name"], {t: by_type.get(t, 0) for t in OBJECT_TYPES})
        log.info(
            "scan finished",
            extra={"scan_id": scan_id, "source": source["name"], "objects": len(found)},
        )
        return run

    async def _watch(self, scan_id: int, progress: _Progress, reader: asyncio.Task[Any]) -> None:
        """While the source is read: store progress (done/total) for GET /scans/{id} and
        stop the read when someone asked to cancel (any replica may have recorded that)."""
        stored = (-1, -1)
        while not reader.done():
            await asyncio.sleep(self.progress_seconds)
            try:
                async with self.tx() as uow:
                    if progress.value != stored:
                        stored = progress.value
                        await uow.scans.progress(scan_id, *stored)
                    cancel = await uow.scans.cancel_requested(scan_id)
            except Exception as exc:  # progress is best effort; the scan goes on
                log.warning("scan %s progress update failed: %s", scan_id, exc)
                continue
            if cancel:
                reader.cancel()
                return

    async def _fail(
        self,
        source: Record,
        scan_id: int,
        started: float,
        *,
        message: str,
        status: str = domain.FAILED,
    ) -> Record:
        async with self.tx() as uow:
            run = await uow.scans.finish(scan_id, {"status": status, "error": message})
            if run is None:
                raise _source_deleted(source)
            await self._record_outcome(uow, run, source["source_type"])
        self.metrics.finished(
            source_type=source["source_type"],
            status=status,
            seconds=asyncio.get_running_loop().time() - started,
        )
        log.warning(
            "scan failed", extra={"scan_id": scan_id, "source": source["name"], "error": message}
        )
        return run

    async def _record_outcome(
        self, uow: CatalogUnit, run: Mapping[str, Any], source_type: str
    ) -> None:
        """How a scan ended: its audit record and its event (completed, failed, cancelled)."""
        before, after = domain.outcome(run)
        urn = source_urn(run["source_name"])
        await uow.record_change(
            domain.OUTCOME_ACTIONS[run["status"]],
            _entity(run),
            before,
            after,
            event=Event(FINISHED[run["status"]], urn, self.scan_payload(run, source_type)),
        )

    # ------------------------------------------------------------ reading, cancelling
    async def cancel(self, scan_id: int) -> Record:
        async with self.tx() as uow:
            run = await _require(uow, scan_id)
            if run["status"] != domain.RUNNING:
                raise FailedPrecondition(f"scan {scan_id} is not running ({run['status']})")
            await uow.scans.request_cancel(scan_id)
            await uow.record_change(
                "scan.cancel", _entity(run), {"cancel_requested": False}, {"cancel_requested": True}
            )
            return await _require(uow, scan_id)

    async def get(self, scan_id: int) -> Record:
        async with self.tx() as uow:
            return await _require(uow, scan_id)

    async def page(self, *, source_name: str, limit: int, cursor: str) -> tuple[list[Record], str]:
        async with self.tx() as uow:
            source = await require_source(uow, source_name)
            return await paginate(
                limit, cursor, lambda offset, count: uow.scans.page(source["id"], offset, count)
            )


class _Progress:
    def __init__(self) -> None:
        self.value = (0, 0)  # (done, total)

    def update(self, done: int, total: int) -> None:
        self.value = (done, total)


async def _require(uow: CatalogUnit, scan_id: int) -> Record:
    run = await uow.scans.get(scan_id)
    if run is None:
        raise NotFound(f"scan {scan_id} not found")
    return run


def _entity(run: Mapping[str, Any]) -> Entity:
    return Entity("scan", run["id"], source_urn(run["source_name"]))


def _source_deleted(source: Mapping[str, Any]) -> NotFound:
    return NotFound(f"source {source['name']!r} was deleted during the scan")


def _log_end(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        # Nobody may be awaiting a background scan: say why it ended here.
        log.warning("scan task %s ended: %s", task.get_name(), task.exception())
