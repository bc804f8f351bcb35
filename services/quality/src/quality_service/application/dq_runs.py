"""DQ runs and backfills: measure an object's metrics over a date range on the source (one
scan per chunk of buckets, chunks in parallel up to a bound, queries rate-limited), judge every
value against its threshold in date order, store results idempotently, open breaches and emit
their events, all in one transaction per run. Runs execute in the background with progress,
held by a lease (dckit.leases): a run whose process died is failed by any replica once its
heartbeat is stale, with its run.failed event. A run is returned with its object's URN and
ref."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from dcconnectors.errors import SourceError
from dckit import context, event_catalogue
from dckit.clock import Clock, utc_now
from dckit.errors import Conflict, FailedPrecondition, NotFound
from dckit.paging import paginate
from dckit.uow import Entity, Event
from quality_service.application.dq_configs import find_config
from quality_service.application.dq_measure import Measured, RateLimiter, measure
from quality_service.application.ports import (
    Catalog,
    DqRunPayloads,
    ExecutorFactory,
    Row,
    RunLeases,
    Transactions,
    UnitOfWork,
)
from quality_service.domain import dq_configs as config_rules
from quality_service.domain import dq_grain as grains
from quality_service.domain.dq_evaluation import (
    ExpectationView,
    History,
    Measurement,
    MetricKey,
    Outcome,
    evaluate,
    fill_empty,
)
from quality_service.domain.dq_metrics import without_values
from quality_service.domain.dq_runs import (
    ACTIVE,
    HISTORY_LIMIT,
    DqRunSpec,
    bucket_summary,
    plan_buckets,
    run_status,
)
from quality_service.domain.dq_sql import MetricRequest, ScanSpec
from quality_service.domain.objects import ObjectName

log = logging.getLogger(__name__)
SHUT_DOWN = "the quality service shut down"


@dataclass
class _Plan:
    run: Row
    config: Row
    expectations: list[Row]
    buckets: list[date]
    parallelism: int
    limiter: RateLimiter
    cancel: asyncio.Event = field(default_factory=asyncio.Event)


class DqRunUseCases:
    def __init__(
        self,
        tx: Transactions,
        catalog: Catalog,
        executors: ExecutorFactory,
        leases: RunLeases,
        payloads: DqRunPayloads,
        *,
        default_parallelism: int = 1,
        max_parallelism: int = 8,
        default_queries_per_second: float = 0.0,
        poll_seconds: float = 5.0,
        clock: Clock = utc_now,
        on_finished: Callable[[Row, float], None] = lambda run, seconds: None,
    ) -> None:
        self.tx, self.catalog, self.executors = tx, catalog, executors
        self.leases, self.payloads = leases, payloads
        self.default_parallelism = default_parallelism
        self.max_parallelism = max_parallelism
        self.default_qps = default_queries_per_second
        self.poll_seconds = poll_seconds  # how often a run looks for a cancel request
        self.clock = clock
        self.on_finished = on_finished
        self._plans: dict[int, _Plan] = {}

    # ------------------------------------------------------------ start / read / cancel
    async def start(self, name: ObjectName | None, spec: DqRunSpec) -> Row:
        spec = spec.validated()
        urn = await self.catalog.urn(name) if name and not spec.config_id else ""
        async with self.tx() as uow:
            config = await find_config(uow, spec.config_id, name, urn)
            expectations = [
                e for e in await uow.dq_configs.expectations([config["id"]]) if e["enabled"]
            ]
        if not config["enabled"]:
            raise FailedPrecondition(f"the DQ config of {config['object_ref']} is disabled")
        if not expectations:
            raise FailedPrecondition(f"{config['object_ref']} has no enabled expectations")
        today = self.clock().astimezone(ZoneInfo(config["timezone"])).date()
        buckets = plan_buckets(spec, config["grain"], today)
        parallelism = min(spec.parallelism or self.default_parallelism, self.max_parallelism)
        async with self.tx() as uow:
            await find_config(uow, config["id"], for_update=True)  # one run per object at a time
            active = await uow.dq_runs.active(config["id"])
            if active is not None:
                raise Conflict(f"run {active['id']} of {config['object_ref']} is still in progress")
            run = await uow.dq_runs.insert(
                {
                    "config_id": config["id"],
                    "start_date": buckets[0],
                    "end_date": buckets[-1],
                    "status": "running",
                    "buckets_total": len(buckets),
                    "triggered_by": context.current().actor,
                    "started_at": self.clock(),
                    **self.leases.stamp(),
                }
            )
            await uow.record_change(
                "dq_run.start",
                Entity("dq_run", run["id"], config["object_urn"]),
                None,
                {
                    "object_ref": config["object_ref"],
                    "start_date": buckets[0].isoformat(),
                    "end_date": buckets[-1].isoformat(),
                },
            )
        plan = _Plan(
            run,
            config,
            expectations,
            buckets,
            max(1, parallelism),
            RateLimiter(spec.max_queries_per_second or self.default_qps),
        )
        run_id: int = run["id"]
        self._plans[run_id] = plan
        task = asyncio.create_task(self._execute(plan), name=f"dq-run-{run_id}")
        self.leases.hold(run_id, task)
        task.add_done_callback(lambda _t: self._plans.pop(run_id, None))
        if spec.wait:
            await asyncio.shield(task)
        return await self.get(run_id)

    async def get(self, run_id: int) -> Row:
        async with self.tx() as uow:
            run = await uow.dq_runs.get(run_id)
            if run is None:
                raise NotFound(f"DQ run {run_id} not found")
            return (await _with_objects(uow, [run]))[0]

    async def page(
        self, config_id: int, name: ObjectName | None, limit: int, cursor: str
    ) -> tuple[list[Row], str]:
        urn = await self.catalog.urn(name) if name and not config_id else ""
        async with self.tx() as uow:
            if name and not config_id:
                config_id = (await find_config(uow, 0, name, urn))["id"]
            rows, next_cursor = await paginate(
                limit, cursor, lambda offset, count: uow.dq_runs.page(config_id, offset, count)
            )
            return await _with_objects(uow, rows), next_cursor

    async def cancel(self, run_id: int) -> Row:
        async with self.tx() as uow:
            run = await uow.dq_runs.get(run_id)
            if run is None:
                raise NotFound(f"DQ run {run_id} not found")
            if run["status"] not in ACTIVE:
                raise FailedPrecondition(f"DQ run {run_id} has already ended ({run['status']})")
            config = await find_config(uow, run["config_id"])
            await uow.dq_runs.update(run_id, {"cancel_requested": True})
            await uow.record_change(
                "dq_run.cancel",
                Entity("dq_run", run_id, config["object_urn"]),
                {"cancel_requested": False},
                {"cancel_requested": True},
            )
        plan = self._plans.get(run_id)
        if plan is not None:  # ours: stop now; another replica's watch sees the flag
            plan.cancel.set()
        return await self.get(run_id)

    # ------------------------------------------------------------ execution
    async def _execute(self, plan: _Plan) -> None:
        run_id = plan.run["id"]
        started = time.monotonic()
        watch = asyncio.create_task(self._watch_cancel(plan))
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
            await asyncio.shield(self._end(run_id, "failed", SHUT_DOWN))
            raise
        except Exception as exc:  # the run must end, whatever happened
            log.exception("DQ run %s failed", run_id)
            message = str(exc) if isinstance(exc, SourceError) else f"internal error: {exc}"
            run = await self._end(run_id, "failed", message)
        finally:
            watch.cancel()
            cancel_wait.cancel()
        self.on_finished(run, time.monotonic() - started)

    async def _watch_cancel(self, plan: _Plan) -> None:
        """A cancel request may reach another replica: it sets the run's flag, seen here."""
        while True:
            await asyncio.sleep(self.poll_seconds)
            async with self.tx() as uow:
                run = await uow.dq_runs.get(plan.run["id"])
            if run is not None and run["cancel_requested"]:
                plan.cancel.set()

    async def _measure(self, plan: _Plan) -> tuple[Measured, dict[date, str], dict[MetricKey, str]]:
        """Values per bucket, the buckets whose chunk could not be read at all, and the
        metrics whose column is gone."""
        config = plan.config
        obj = await self.catalog.object(ObjectName(urn=config["object_urn"]), structure=True)
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
                async with self.tx() as uow:
                    await uow.dq_runs.update(plan.run["id"], {"buckets_done": done})

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
        async with self.tx() as uow:
            history = {
                v.id: History(
                    await uow.dq_results.history(
                        v.id, plan.buckets[-1], plan.buckets, HISTORY_LIMIT
                    )
                )
                for v in views
            }
            outcomes = evaluate(views, plan.buckets, filled, history, config["grain"])
            by_id = {e["id"]: e for e in plan.expectations}
            await uow.dq_results.upsert(
                [self._result(o, by_id[o.expectation_id]["threshold"], run_id) for o in outcomes]
            )
            opened = await self._breaches(uow, plan, outcomes)
            summary = bucket_summary(plan.buckets, outcomes, failed, opened)
            errors = sum(1 for o in outcomes if o.status == "error")
            run = await uow.dq_runs.update(
                run_id,
                {
                    "status": run_status(summary, errors),
                    "buckets_done": len(plan.buckets),
                    "results_stored": len(outcomes),
                    "metric_errors": errors,
                    "breaches_opened": len(opened),
                    "buckets": summary,
                    "error": next(iter(failed.values()), ""),
                    "finished_at": self.clock(),
                },
            )
            await self._announce(uow, run, config)
        return run

    def _result(self, o: Outcome, threshold: Any, run_id: int) -> dict[str, Any]:
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
            "executed_at": self.clock(),
        }

    async def _breaches(self, uow: UnitOfWork, plan: _Plan, outcomes: list[Outcome]) -> list[Row]:
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
            existing = await uow.dq_breaches.of_buckets(exp_id, [o.bucket for o in items])
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
                        opened.append(
                            await uow.dq_breaches.insert(
                                {
                                    **values,
                                    "expectation_id": exp_id,
                                    "config_id": config["id"],
                                    "bucket": o.bucket,
                                    "priority": priority[exp_id],
                                }
                            )
                        )
                        continue
                    if current["status"] == "resolved":
                        values |= {
                            "status": "open",
                            "status_changed_by": "system",
                            "status_reason": "breached again on re-run",
                        }
                    await uow.dq_breaches.update(current["id"], values)
                elif (
                    current is not None
                    and current["status"] in ("open", "acknowledged")
                    and o.status in ("ok", "learning")
                ):
                    await uow.dq_breaches.update(
                        current["id"],
                        {
                            "status": "resolved",
                            "status_changed_by": "system",
                            "status_reason": "re-run measured a value within the threshold",
                        },
                    )
        if opened:
            full = [await uow.dq_breaches.get(b["id"]) for b in opened]
            # Events (and the notices made of them) reach people outside any role: a value
            # metric's numbers stay out of them (the deviation tells how far off it is).
            rows = [
                without_values(r, r["column_name"] or "", r["metric_type"])
                for r in full
                if r is not None
            ]
            urn = config["object_urn"]
            for row in rows:
                payload = self.payloads.breach_detected(row)
                await uow.publish(Event(event_catalogue.BREACH_DETECTED, urn, payload))
            if len(rows) > 1:
                payload = self.payloads.breach_bulk(plan.run, rows)
                await uow.publish(Event(event_catalogue.BREACH_BULK, urn, payload))
        return opened

    async def _announce(self, uow: UnitOfWork, run: Mapping[str, Any], config: Row) -> None:
        kind = (
            event_catalogue.DQ_RUN_FAILED
            if run["status"] == "failed"
            else event_catalogue.DQ_RUN_COMPLETED
        )
        payload = self.payloads.run_finished(with_object(run, config))
        await uow.publish(Event(kind, config["object_urn"], payload))

    async def _end(self, run_id: int, status: str, error: str) -> Row:
        async with self.tx() as uow:
            run = await uow.dq_runs.update(
                run_id, {"status": status, "error": error, "finished_at": self.clock()}
            )
            config = await uow.dq_configs.get(run["config_id"])
            if config is not None:
                await self._announce(uow, run, config)
        return run

    # ------------------------------------------------------------ leases
    async def lost(self, uow: UnitOfWork, runs: Sequence[Mapping[str, Any]]) -> None:
        """Runs failed by the lease sweep or at shutdown announce their failure, in the
        transaction that failed them."""
        for run in runs:
            config = await uow.dq_configs.get(run["config_id"])
            if config is not None:
                await self._announce(uow, run, config)

    async def drain(self) -> None:
        """On shutdown: our unfinished runs end failed now rather than after a stale timeout."""
        await self.leases.drain(0, reason=SHUT_DOWN)


def with_object(run: Mapping[str, Any], config: Mapping[str, Any]) -> Row:
    return {**run, "object_urn": config["object_urn"], "object_ref": config["object_ref"]}


async def _with_objects(uow: UnitOfWork, runs: list[Row]) -> list[Row]:
    configs: dict[int, Row] = {}
    for config_id in dict.fromkeys(r["config_id"] for r in runs):
        configs[config_id] = await find_config(uow, config_id)
    return [with_object(r, configs[r["config_id"]]) for r in runs]
