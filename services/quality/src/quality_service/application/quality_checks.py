"""Check runs: running a capsule's quality rules now. Each rule is re-validated against the
catalog's current columns (a rule whose column is gone is skipped, not an error of the data),
the rest evaluated on the source (application/check_engine.py batches them into as few
statements as possible); one check is stored per rule, the capsule scored and the run
announced. A run is held by a lease (dckit.leases) while it runs: one whose process died is
failed once its heartbeat is stale. Reads mask sample values for the viewer
(application/samples.py)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dcconnectors.errors import SourceError
from dckit import event_catalogue
from dckit.errors import FailedPrecondition, InvalidArgument, NotFound, Unavailable
from dckit.paging import paginate
from dckit.uow import Event
from quality_service.application.check_engine import evaluate
from quality_service.application.ports import (
    Catalog,
    CatalogObject,
    CheckRunPayload,
    ExecutorFactory,
    Row,
    RunLeases,
    SampleMasker,
    Transactions,
)
from quality_service.application.quality_rules import QualityRuleUseCases
from quality_service.application.samples import Samples
from quality_service.domain import quality_checks as scoring
from quality_service.domain import rule_types
from quality_service.domain.objects import ObjectName
from quality_service.domain.quality_checks import redact_literals
from quality_service.domain.quality_rules import Rule
from quality_service.domain.rule_types.base import CheckOutcome

MAX_SAMPLES = 100


@dataclass(frozen=True)
class CheckRunView:
    run: Row
    checks: Sequence[Mapping[Any, Any]]


@dataclass(frozen=True)
class ScoreView:
    object_urn: str
    object_ref: str
    score: scoring.Score
    run_id: int
    as_of: Any


class CheckRunUseCases:
    def __init__(
        self,
        tx: Transactions,
        catalog: Catalog,
        executors: ExecutorFactory,
        masker: SampleMasker,
        rules: QualityRuleUseCases,
        leases: RunLeases,
        finished_payload: CheckRunPayload,
        *,
        default_sample_limit: int = 10,
    ) -> None:
        self.tx, self.catalog = tx, catalog
        self.executors, self.masker, self.rules = executors, masker, rules
        self.leases, self.finished_payload = leases, finished_payload
        self.default_sample_limit = default_sample_limit

    async def run(
        self,
        name: ObjectName | None,
        rule_ids: Sequence[int],
        *,
        execution_context: Mapping[str, Any],
        sample_limit: int,
        actor: str,
        role: str,
    ) -> CheckRunView:
        if not name:
            raise InvalidArgument("capsule: an object ref or URN is required")
        if sample_limit < 0 or sample_limit > MAX_SAMPLES:
            raise InvalidArgument(f"sample_limit: between 0 and {MAX_SAMPLES}")
        obj = await self.catalog.object(name, structure=True)  # samples show the key
        async with self.tx() as uow:
            rows = await uow.quality_rules.of_object(obj.urn, enabled_only=not rule_ids)
        if rule_ids:
            by_id = {r["id"]: r for r in rows}
            unknown = [i for i in rule_ids if i not in by_id]
            if unknown:
                raise InvalidArgument(
                    f"rule_ids: {', '.join(map(str, unknown))} are not rules of {obj.ref}"
                )
            rows = [by_id[i] for i in dict.fromkeys(rule_ids)]
        if not rows:
            raise InvalidArgument(
                f"capsule: {obj.ref} has no enabled quality rules (add one, or accept suggestions)"
            )
        started = time.monotonic()
        async with self.tx() as uow:
            run = await uow.quality_checks.insert_run(
                {
                    "object_urn": obj.urn,
                    "object_ref": obj.ref,
                    "status": "running",
                    "triggered_by": actor,
                    "execution_context": dict(execution_context),
                    **self.leases.stamp(),
                }
            )
        task = asyncio.current_task()
        if task is not None:  # the call that runs it holds its lease
            self.leases.hold(run["id"], task)
        try:
            view = await self._finish(run, obj, rows, sample_limit, started)
        except BaseException as exc:
            # Whatever stopped the run (a cancelled call, an unexpected error), it must not
            # stay "running": record it as an error, then let the cause propagate.
            await self._abandon(run["id"], exc, started)
            raise
        try:
            return await self._shown(view, role)
        except Unavailable as exc:
            # The run is recorded; failing the call now would make a scheduler run it again.
            return CheckRunView(view.run, [_withheld(c, str(exc)) for c in view.checks])

    async def _finish(
        self,
        run: Row,
        obj: CatalogObject,
        rows: Sequence[Row],
        sample_limit: int,
        started: float,
    ) -> CheckRunView:
        outcomes, error = await self._evaluate(obj, rows, sample_limit or self.default_sample_limit)
        missing = CheckOutcome(0, "error", error="the engine returned no outcome")
        checks = [_check_row(run["id"], row, outcomes.get(row["id"], missing)) for row in rows]
        status = "error" if error else scoring.run_status(checks)
        async with self.tx() as uow:
            stored = await uow.quality_checks.insert_checks(checks)
            # The score reflects every enabled rule, also when this run checked only some.
            enabled = await uow.quality_rules.of_object(obj.urn, enabled_only=True)
            latest = await uow.quality_checks.latest_checks([r["id"] for r in enabled])
            score = scoring.score(latest)
            counts = {s: sum(1 for c in checks if c["status"] == s) for s in scoring.STATUSES}
            finished = await uow.quality_checks.finish_run(
                run["id"],
                {
                    "status": status,
                    "passed": counts["passed"],
                    "failed": counts["failed"],
                    "warnings": counts["warning"],
                    "errors": counts["error"],
                    "skipped": counts["skipped"],
                    "quality_score": score.score,
                    "dimension_scores": score.dimensions,
                    "error": error,
                    "duration_ms": int((time.monotonic() - started) * 1000),
                },
            )
            # Events carry outcomes, no values (subscribers are not viewers with a role).
            payload = self.finished_payload(
                _run_without_values(finished), [_without_values(c) for c in stored]
            )
            await uow.publish(Event(event_catalogue.CHECK_COMPLETED, obj.urn, payload))
            if status == "failed":
                await uow.publish(Event(event_catalogue.CHECK_FAILED, obj.urn, payload))
        return CheckRunView(finished, stored)

    async def _abandon(self, run_id: int, exc: BaseException, started: float) -> None:
        reason = "cancelled" if isinstance(exc, asyncio.CancelledError) else str(exc)[:500]
        with contextlib.suppress(Exception):
            async with self.tx() as uow:
                await uow.quality_checks.finish_run(
                    run_id,
                    {
                        "status": "error",
                        "error": f"the run stopped: {reason or type(exc).__name__}",
                        "duration_ms": int((time.monotonic() - started) * 1000),
                    },
                )

    async def drain(self) -> None:
        """On shutdown: runs still held (their calls outlived the server's grace) end now."""
        await self.leases.drain(0, reason="interrupted: the quality service shut down")

    async def _evaluate(
        self, obj: CatalogObject, rows: Sequence[Row], sample_limit: int
    ) -> tuple[dict[int, CheckOutcome], str]:
        outcomes: dict[int, CheckOutcome] = {}
        runnable: list[Rule] = []
        references: dict[str, CatalogObject] = {}
        for row in rows:
            try:
                spec, refs = await self.rules.validate(
                    obj,
                    rule_type=row["rule_type"],
                    column=row["column_name"],
                    config=row["config"],
                    severity=row["severity"],
                    blocking=row["blocking"],
                    known=references,
                )
            except (InvalidArgument, NotFound) as exc:
                outcomes[row["id"]] = CheckOutcome(
                    row["id"], "skipped", error=f"rule no longer applies: {exc}"
                )
                continue
            except Unavailable as exc:
                outcomes[row["id"]] = CheckOutcome(row["id"], "error", error=str(exc))
                continue
            references.update(refs)
            runnable.append(Rule(row["id"], row["name"], spec))
        if not runnable:
            return outcomes, ""
        try:
            source_type, connection = await self.catalog.connection(obj.source_name)
            executor = self.executors(source_type, connection)
        except (SourceError, Unavailable, NotFound, FailedPrecondition) as exc:
            return _all_errors(outcomes, runnable, str(exc)), str(exc)
        try:
            for outcome in await evaluate(
                executor, obj, runnable, references=references, sample_limit=sample_limit
            ):
                outcomes[outcome.rule_id] = outcome
        except SourceError as exc:
            return _all_errors(outcomes, runnable, str(exc)), str(exc)
        finally:
            await executor.close()
        return outcomes, ""

    # ------------------------------------------------------------ reads
    async def get(self, run_id: int, role: str) -> CheckRunView:
        async with self.tx() as uow:
            run = await uow.quality_checks.get_run(run_id)
            if run is None:
                raise NotFound(f"quality check run {run_id} does not exist")
            checks = await uow.quality_checks.checks_of([run_id])
        return await self._shown(CheckRunView(run, checks), role)

    async def page(
        self, name: ObjectName | None, limit: int, cursor: str
    ) -> tuple[list[CheckRunView], str]:
        """Runs without their checks' samples (a listing shows outcomes, not values)."""
        urn = (await self.catalog.object(name, cached=True)).urn if name else None
        async with self.tx() as uow:
            page, next_cursor = await paginate(
                limit,
                cursor,
                lambda offset, count: uow.quality_checks.page_runs(urn, offset, count),
            )
            checks = await uow.quality_checks.checks_of([r["id"] for r in page])
        by_run: dict[int, list[Mapping[Any, Any]]] = {}
        for c in checks:
            by_run.setdefault(c["run_id"], []).append(_without_values(c))
        return [
            CheckRunView(_run_without_values(r), by_run.get(r["id"], [])) for r in page
        ], next_cursor

    async def score(self, name: ObjectName) -> ScoreView:
        obj = await self.catalog.object(name, cached=True)
        async with self.tx() as uow:
            rules = await uow.quality_rules.of_object(obj.urn, enabled_only=True)
            latest = await uow.quality_checks.latest_checks([r["id"] for r in rules])
        newest = max(latest, key=lambda c: c["id"], default=None)
        return ScoreView(
            obj.urn,
            obj.ref,
            scoring.score(latest),
            newest["run_id"] if newest else 0,
            newest["checked_at"] if newest else None,
        )

    async def _shown(self, view: CheckRunView, role: str) -> CheckRunView:
        checks = [_copy(c) for c in view.checks]
        samples = Samples()
        for c in checks:
            kind = rule_types.find(c["rule_type"])
            if kind is not None and kind.own_columns and role != "admin":
                # An admin's SQL may return any column under any name: no mask can follow it.
                c.update(sample_failures=[], details={}, error=redact_literals(c["error"] or ""))
                continue
            samples.add_failing_rows(c["sample_failures"])
            samples.add_check_values(c["column_name"], c)
        await samples.reveal(self.masker, object_ref=view.run["object_ref"], role=role)
        for c in checks:
            for key in ("measured_value", "threshold_value"):
                if not isinstance(c[key], int | float):  # masked into text: not a number
                    c[key] = None
        run = view.run if role == "admin" else _run_without_values(view.run)
        return CheckRunView(run, checks)


def _run_without_values(run: Row) -> Row:
    """A run whose error (the source's, which may quote a value) has its literals redacted."""
    return {**run, "error": redact_literals(run.get("error") or "")}


def _copy(check: Mapping[Any, Any]) -> dict[str, Any]:
    return {
        **check,
        "sample_failures": [
            {**s, "values": dict(s.get("values") or {})} for s in check["sample_failures"] or []
        ],
        "details": dict(check["details"] or {}),
    }


def _withheld(check: Mapping[Any, Any], reason: str) -> dict[str, Any]:
    return {**_without_values(check), "details": {"values_withheld": reason}}


def _all_errors(
    outcomes: dict[int, CheckOutcome], rules: Sequence[Rule], error: str
) -> dict[int, CheckOutcome]:
    for rule in rules:
        outcomes[rule.id] = CheckOutcome(rule.id, "error", error=error)
    return outcomes


def _without_values(check: Mapping[Any, Any]) -> dict[str, Any]:
    """The outcome without anything read from the column (samples, details, the expected
    text that may quote a value set)."""
    kind = rule_types.find(check["rule_type"])
    value_measure = kind is not None and kind.value_measure
    return {
        **check,
        "sample_failures": [],
        "details": {},
        "error": redact_literals(check["error"] or ""),
        "expected_value": "",
        "measured_value": None if value_measure else check["measured_value"],
        "threshold_value": None if value_measure else check["threshold_value"],
    }


def _check_row(run_id: int, rule: Row, outcome: CheckOutcome) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "rule_id": rule["id"],
        "rule_name": rule["name"],
        "rule_type": rule["rule_type"],
        "category": rule["category"],
        "column_name": rule["column_name"],
        "severity": rule["severity"],
        "blocking": rule["blocking"],
        "status": outcome.status,
        "measured_value": outcome.measured_value,
        "expected_value": outcome.expected_value,
        "threshold_value": outcome.threshold_value,
        "failure_count": outcome.failure_count,
        "failure_percentage": outcome.failure_percentage,
        "total_count": outcome.total_count,
        "sample_failures": outcome.samples,
        "error": outcome.error,
        "duration_ms": outcome.duration_ms,
        "details": outcome.details,
    }
