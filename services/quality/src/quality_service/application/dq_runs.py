"""DQ runs and backfills: measure an object's metrics over a date range on the source (one
scan per chunk of buckets, chunks in parallel up to a bound, queries rate-limited), judge every
value against its threshold in date order, store results idempotently, open breaches and emit
their events, all in one transaction per run. Runs execute in the background with progress and
a heartbeat; a run whose process died is failed by any replica once its heartbeat is stale."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from google.protobuf.message import Message

from dcconnectors.errors import SourceError
from dckit import context
from dckit.db import Database
from dckit.errors import Conflict, FailedPrecondition, InvalidArgument, NotFound
from dckit.outbox import Outbox
from dckit.paging import clamp_limit, decode_cursor, next_cursor
from quality_service.application.configs import find_config
from quality_service.application.measure import Measured, RateLimiter, measure
from quality_service.application.ports import Catalog, ExecutorFactory
from quality_service.db.repository import QualityRepository, Row
from quality_service.domain import configs as config_rules
from quality_service.domain import grain as grains
from quality_service.domain.evaluation import (
    ExpectationView,
    History,
    Measurement,
    MetricKey,
    Outcome,
    evaluate,
    fill_empty,
)
from quality_service.domain.sql import MetricRequest, ScanSpec

log = logging.getLogger(__name__)

MAX_BUCKETS = 3660
HISTORY_LIMIT = 730  # the longest training window a threshold may ask for


@dataclass(frozen=True)
class RunRequest:
    config_id: int = 0
    object_ref: str = ""
    start_date: str = ""
    end_date: str = ""
    parallelism: int = 0
    max_queries_per_second: float = 0.0
    wait: bool = False
    days: int = 0


@dataclass
class RunEvents:
    """Builds the protobuf payloads of the events a run emits (set by the API layer, which
    owns the protobuf mapping)."""

    breach_detected: Callable[[Row], Message]
    breach_bulk: Callable[[Row, Sequence[Row]], Message]
    run_finished: Callable[[Mapping[str, Any]], Message]


@dataclass
class _Plan:
    run: Row
    config: Row
    expectations: list[Row]
    buckets: list[date]
    parallelism: int
    limiter: RateLimiter
    cancel: asyncio.Event = field(default_factory=asyncio.Event)


def _parse_day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidArgument(f"{name} must be a date (YYYY-MM-DD), not {value!r}") from exc


class RunUseCases:
    def __init__(
        self,
        db: Database,
        outbox: Outbox,
        catalog: Catalog,
        executors: ExecutorFactory,
        events: RunEvents,
        *,
        worker: str,
        default_parallelism: int = 1,
        max_parallelism: int = 8,
        default_queries_per_second: float = 0.0,
        heartbeat_seconds: float = 5.0,
        stale_seconds: float = 60.0,
        today: Callable[[str], date] | None = None,
    ) -> None:
        self.db, self.outbox, self.catalog, self.executors = db, outbox, catalog, executors
        self.events = events
        self.worker = worker
        self.default_parallelism = default_parallelism
        self.max_parallelism = max_parallelism
        self.default_qps = default_queries_per_second
        self.heartbeat_seconds = heartbeat_seconds
        self.stale_seconds = stale_seconds
        self.today = today or (lambda tz: datetime.now(ZoneInfo(tz)).date())
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._plans: dict[int, _Plan] = {}
        self.on_finished: Callable[[Row, float], None] = lambda run, seconds: None

    # ------------------------------------------------------------ start / read / cancel
    async def start(self, req: RunRequest) -> Row:
        if req.parallelism < 0 or req.max_queries_per_second < 0:
            raise InvalidArgument("parallelism and max_queries_per_second must not be negative")
        async with self.db.session() as session:
            repo = QualityRepository(session)
            config = await find_config(repo, req.config_id, req.object_ref)
            expectations = [e for e in await repo.expectations([config["id"]]) if e["enabled"]]
        if not config["enabled"]:
            raise FailedPrecondition(f"the DQ config of {config['object_ref']} is disabled")
        if not expectations:
            raise FailedPrecondition(f"{config['object_ref']} has no enabled expectations")
        buckets = self._buckets(config, req.start_date, req.end_date, req.days)
        parallelism = min(req.parallelism or self.default_parallelism, self.max_parallelism)
        async with self.db.session() as session:
            repo = QualityRepository(session)
            await repo.get_config(config["id"], for_update=True)  # one run per object at a time
            active = await repo.active_run(config["id"])
            if active is not None:
                raise Conflict(f"run {active['id']} of {config['object_ref']} is still in progress")
            run = await repo.insert_run(
                {
                    "config_id": config["id"],
                    "start_date": buckets[0],
                    "end_date": buckets[-1],
                    "status": "running",
                    "buckets_total": len(buckets),
                    "triggered_by": context.current().actor,
                    "worker": self.worker,
                    "heartbeat_at": datetime.now(UTC),
                    "started_at": datetime.now(UTC),
                }
            )
            await self.outbox.audit(
                session,
                action="dq_run.start",
                entity_type="dq_run",
                entity_id=run["id"],
                entity_urn=config["object_urn"],
                changes={
                    "object_ref": (None, config["object_ref"]),
                    "start_date": (None, buckets[0].isoformat()),
                    "end_date": (None, buckets[-1].isoformat()),
                },
            )
        plan = _Plan(
            run,
            config,
            list(expectations),
            buckets,
            max(1, parallelism),
            RateLimiter(req.max_queries_per_second or self.default_qps),
        )
        self._plans[run["id"]] = plan
        task = asyncio.create_task(self._execute(plan), name=f"dq-run-{run['id']}")
        self._tasks[run["id"]] = task
        run_id: int = run["id"]
        task.add_done_callback(lambda _t: self._forget(run_id))
        if req.wait:
            await asyncio.shield(task)
        return await self.get(run["id"])

    def _forget(self, run_id: int) -> None:
        self._tasks.pop(run_id, None)
        self._plans.pop(run_id, None)

    def _buckets(self, config: Row, start_text: str, end_text: str, days: int) -> list[date]:
        grain, today = config["grain"], self.today(config["timezone"])
        if days:
            if start_text or end_text:
                raise InvalidArgument("give either days or start/end dates, not both")
            first, last = grains.backfill_range(today, days, grain)
            return grains.buckets(first, last, grain)
        start = (
            _parse_day(start_text, "start_date")
            if start_text
            else grains.last_complete(today, grain)
        )
        end = _parse_day(end_text, "end_date") if end_text else start
        if end > today:
            raise InvalidArgument(f"end_date {end} is in the future (today is {today})")
        buckets = grains.buckets(start, end, grain)
        if len(buckets) > MAX_BUCKETS:
            raise InvalidArgument(f"a run covers at most {MAX_BUCKETS} buckets")
        return buckets

    async def get(self, run_id: int) -> Row:
        async with self.db.session() as session:
            run = await QualityRepository(session).get_run(run_id)
        if run is None:
            raise NotFound(f"DQ run {run_id} not found")
        return run

    async def page(
        self, config_id: int, object_ref: str, limit: int, cursor: str
    ) -> tuple[list[Row], str]:
        limit, offset = clamp_limit(limit), decode_cursor(cursor)
        async with self.db.session() as session:
            repo = QualityRepository(session)
            if object_ref and not config_id:
                config_id = (await find_config(repo, 0, object_ref))["id"]
            rows = await repo.list_runs(config_id, offset, limit + 1)
        page = list(rows[:limit])
        return page, next_cursor(offset, limit, len(page), len(rows) > limit)

    async def cancel(self, run_id: int) -> Row:
        async with self.db.session() as session:
            repo = QualityRepository(session)
            run = await repo.get_run(run_id)
            if run is None:
                raise NotFound(f"DQ run {run_id} not found")
            if run["status"] not in ("pending", "running"):
                raise FailedPrecondition(f"DQ run {run_id} has already ended ({run['status']})")
            await repo.update_run(run_id, {"cancel_requested": True})
            await self.outbox.audit(
                session,
                action="dq_run.cancel",
                entity_type="dq_run",
                entity_id=run_id,
                changes={"cancel_requested": (False, True)},
            )
        plan = self._plans.get(run_id)
        if plan is not None:  # ours: stop now; another replica's heartbeat sees the flag
            plan.cancel.set()
        return await self.get(run_id)

    # ------------------------------------------------------------ execution
    async def _execute(self, plan: _Plan) -> None:
        run_id = plan.run["id"]
        started = time.monotonic()
        heart = asyncio.create_task(self._heartbeat(plan))
        measuring = asyncio.create_task(self._measure(plan))
        cancel_wait = asyncio.create_task(plan.cancel.wait())
        try:
            done, _ = await asyncio.wait(
                {measuring, cancel_wait}, return_when=asyncio.FIRST_COMPLETED
            )
            if measuring not in done:
                measuring.cancel()
                await asyncio.gather(measuring, return_exceptions=True)
                run = await self._end(run_id, "cancelled", "cancelled on request")
            else:
                run = await self._store(plan, *measuring.result())
        except asyncio.CancelledError:
            measuring.cancel()
            await asyncio.shield(self._end(run_id, "failed", "the quality service shut down"))
            raise
        except Exception as exc:  # the run must end, whatever happened
            log.exception("DQ run %s failed", run_id)
            message = str(exc) if isinstance(exc, SourceError) else f"internal error: {exc}"
            run = await self._end(run_id, "failed", message)
        finally:
            heart.cancel()
            cancel_wait.cancel()
        self.on_finished(run, time.monotonic() - started)

    async def _heartbeat(self, plan: _Plan) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_seconds)
            async with self.db.session() as session:
                run = await QualityRepository(session).update_run(
                    plan.run["id"], {"heartbeat_at": datetime.now(UTC)}
                )
            if run["cancel_requested"]:
                plan.cancel.set()

    async def _measure(self, plan: _Plan) -> tuple[Measured, dict[date, str], dict[MetricKey, str]]:
        """Values per bucket, the buckets whose chunk could not be read at all, and the
        metrics whose column is gone."""
        config = plan.config
        obj = await self.catalog.object(config["object_ref"], structure=True)
        family = config_rules.date_family(
            config["date_column"], config["date_format"], obj.columns, obj.dialect
        )
        source_type, connection = await self.catalog.connection(obj.source_name)
        executor = self.executors(source_type, connection)
        metrics = tuple(
            MetricRequest(e["metric_type"], e["column_name"])
            for e in plan.expectations
            if not e["column_name"] or e["column_name"] in obj.columns
        )
        measured: Measured = {}
        failed: dict[date, str] = {}
        done = 0
        lock = asyncio.Lock()

        async def chunk(buckets: list[date]) -> None:
            nonlocal done
            spec = ScanSpec(
                table=executor.table_path(obj.schema, obj.name),
                date_column=config["date_column"],
                date_family=family,
                date_format=config["date_format"],
                grain=config["grain"],
                timezone=config["timezone"],
                start=buckets[0],
                end_exclusive=grains.next_bucket(buckets[-1], config["grain"]),
                metrics=metrics,
                date_indexed=config["date_column"] in obj.range_indexed,
            )
            try:
                got = await measure(executor, spec, plan.limiter)
            except SourceError as exc:
                got = {}
                failed.update({b: str(exc) for b in buckets})
            async with lock:
                measured.update(got)
                done += len(buckets)
                async with self.db.session() as session:
                    await QualityRepository(session).update_run(
                        plan.run["id"], {"buckets_done": done, "heartbeat_at": datetime.now(UTC)}
                    )

        try:
            sem = asyncio.Semaphore(plan.parallelism)

            async def bounded(buckets: list[date]) -> None:
                async with sem:
                    await chunk(buckets)

            await asyncio.gather(
                *(bounded(c) for c in grains.split(plan.buckets, plan.parallelism))
            )
        finally:
            await executor.close()
        # A column that left the catalog since the expectation was made: an error, not a skip.
        vanished = {
            (e["metric_type"], e["column_name"]): f"column {e['column_name']!r} is no longer in "
            "the catalog"
            for e in plan.expectations
            if e["column_name"] and e["column_name"] not in obj.columns
        }
        return measured, failed, vanished

    async def _store(
        self,
        plan: _Plan,
        measured: Measured,
        failed: dict[date, str],
        vanished: dict[MetricKey, str],
    ) -> Row:
        config, run_id = plan.config, plan.run["id"]
        views = [
            ExpectationView(e["id"], e["metric_type"], e["column_name"], e["threshold"])
            for e in plan.expectations
        ]
        keys = list(dict.fromkeys(v.key for v in views))
        ok_buckets = [b for b in plan.buckets if b not in failed]
        filled = fill_empty(measured, ok_buckets, keys)
        for bucket, error in failed.items():
            filled[bucket] = {k: Measurement(None, error) for k in keys}
        for key, error in vanished.items():
            for bucket in ok_buckets:
                filled[bucket][key] = Measurement(None, error)
        async with self.db.session() as session:
            repo = QualityRepository(session)
            history = {
                v.id: History(
                    await repo.history(v.id, plan.buckets[-1], plan.buckets, HISTORY_LIMIT)
                )
                for v in views
            }
            outcomes = evaluate(views, plan.buckets, filled, history, config["grain"])
            by_id = {e["id"]: e for e in plan.expectations}
            await repo.upsert_results(
                [_result_row(o, by_id[o.expectation_id]["threshold"], run_id) for o in outcomes]
            )
            opened = await self._breaches(repo, session, plan, outcomes)
            summary = _bucket_summary(plan.buckets, outcomes, failed, opened)
            errors = sum(1 for o in outcomes if o.status == "error")
            failed_buckets = sum(1 for s in summary if s["status"] == "failed")
            status = (
                "failed"
                if failed_buckets == len(plan.buckets)
                else "partial"
                if failed_buckets or errors
                else "succeeded"
            )
            run = await repo.update_run(
                run_id,
                {
                    "status": status,
                    "buckets_done": len(plan.buckets),
                    "results_stored": len(outcomes),
                    "metric_errors": errors,
                    "breaches_opened": len(opened),
                    "buckets": summary,
                    "error": next(iter(failed.values()), ""),
                    "finished_at": datetime.now(UTC),
                },
            )
            await self._run_event(session, run, config)
        return run

    async def _breaches(
        self, repo: QualityRepository, session: Any, plan: _Plan, outcomes: list[Outcome]
    ) -> list[Row]:
        """Open a breach per new violation (one event each, plus one bulk event when a run
        opens several); re-runs update the breach they already opened; a re-run inside the
        threshold resolves the open breach of that bucket."""
        config, run_id = plan.config, plan.run["id"]
        priority = {e["id"]: e["priority"] for e in plan.expectations}
        opened: list[Row] = []
        by_exp: dict[int, list[Outcome]] = {}
        for o in outcomes:
            by_exp.setdefault(o.expectation_id, []).append(o)
        for exp_id, items in by_exp.items():
            existing = await repo.breaches_for(exp_id, [o.bucket for o in items])
            for o in items:
                current = existing.get(o.bucket)
                if o.is_breach and o.bounds is not None and o.value is not None:
                    values = {
                        "value": o.value,
                        "threshold_low": o.bounds.low,
                        "threshold_high": o.bounds.high,
                        "direction": o.direction,
                        "deviation": o.deviation,
                        "run_id": run_id,
                    }
                    if current is None:
                        row = await repo.insert_breach(
                            {
                                **values,
                                "expectation_id": exp_id,
                                "config_id": config["id"],
                                "bucket": o.bucket,
                                "priority": priority[exp_id],
                            }
                        )
                        opened.append(row)
                    else:
                        if current["status"] == "resolved":
                            values |= {
                                "status": "open",
                                "status_changed_by": "system",
                                "status_reason": "breached again on re-run",
                            }
                        await repo.update_breach(current["id"], values)
                elif (
                    current is not None
                    and current["status"] in ("open", "acknowledged")
                    and o.status in ("ok", "learning")
                ):
                    await repo.update_breach(
                        current["id"],
                        {
                            "status": "resolved",
                            "status_changed_by": "system",
                            "status_reason": "re-run measured a value within the threshold",
                        },
                    )
        if opened:
            full = [await repo.get_breach(b["id"]) for b in opened]
            rows = [r for r in full if r is not None]
            for row in rows:
                await self.outbox.publish(
                    session,
                    "datacompass.quality.breach.detected",
                    config["object_urn"] or config["object_ref"],
                    self.events.breach_detected(row),
                )
            if len(rows) > 1:
                await self.outbox.publish(
                    session,
                    "datacompass.quality.breach.bulk",
                    config["object_urn"] or config["object_ref"],
                    self.events.breach_bulk(plan.run, rows),
                )
        return opened

    async def _run_event(self, session: Any, run: Row, config: Row) -> None:
        kind = "failed" if run["status"] == "failed" else "completed"
        await self.outbox.publish(
            session,
            f"datacompass.quality.run.{kind}",
            config["object_urn"] or config["object_ref"],
            self.events.run_finished({**run, "object_ref": config["object_ref"]}),
        )

    async def _end(self, run_id: int, status: str, error: str) -> Row:
        async with self.db.session() as session:
            repo = QualityRepository(session)
            run = await repo.update_run(
                run_id, {"status": status, "error": error, "finished_at": datetime.now(UTC)}
            )
            config = await repo.get_config(run["config_id"])
            if config is not None:
                await self._run_event(session, run, config)
        return run

    # ------------------------------------------------------------ lifecycle workers
    async def recover_stale(self, stop: asyncio.Event) -> None:
        """Worker: fail runs whose process stopped heart-beating (any replica may do it)."""
        while not stop.is_set():
            try:
                async with self.db.session() as session:
                    repo = QualityRepository(session)
                    for run in await repo.fail_stale_runs(
                        self.stale_seconds, "the process running it stopped (no heartbeat)"
                    ):
                        config = await repo.get_config(run["config_id"])
                        if config is not None:
                            await self._run_event(session, run, config)
            except Exception:  # keep the worker alive through database hiccups
                log.exception("recovering stale DQ runs failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), max(1.0, self.stale_seconds / 4))

    async def drain(self) -> None:
        """On shutdown: our unfinished runs end failed now rather than after a stale timeout."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _result_row(o: Outcome, threshold: Any, run_id: int) -> dict[str, Any]:
    return {
        "expectation_id": o.expectation_id,
        "bucket": o.bucket,
        "status": o.status,
        "value": o.value,
        "threshold_low": o.bounds.low if o.bounds else None,
        "threshold_high": o.bounds.high if o.bounds else None,
        "threshold": threshold,
        "error": o.error,
        "run_id": run_id,
        "executed_at": datetime.now(UTC),
    }


def _bucket_summary(
    buckets: Sequence[date],
    outcomes: Sequence[Outcome],
    failed: dict[date, str],
    opened: Sequence[Row],
) -> list[dict[str, Any]]:
    stored: dict[date, int] = {}
    for o in outcomes:
        if o.status != "error":
            stored[o.bucket] = stored.get(o.bucket, 0) + 1
    breaches: dict[date, int] = {}
    for b in opened:
        breaches[b["bucket"]] = breaches.get(b["bucket"], 0) + 1
    return [
        {
            "bucket": b.isoformat(),
            "status": "failed" if b in failed or not stored.get(b) else "succeeded",
            "error": failed.get(b, "" if stored.get(b) else "every metric failed"),
            "metrics": stored.get(b, 0),
            "breaches": breaches.get(b, 0),
        }
        for b in buckets
    ]
