"""Running a capsule's quality rules now: re-validate each rule against the catalog's current
columns (a rule whose column is gone is skipped, not an error of the data), evaluate the rest
on the source (application/checks.py batches them into as few statements as possible), store
one check per rule, score the capsule and announce the run. Reads mask sample values for the
viewer (application/samples.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from google.protobuf.message import Message

from dcconnectors.errors import SourceError
from dckit.db import Database
from dckit.errors import FailedPrecondition, InvalidArgument, NotFound, Unavailable
from dckit.outbox import Outbox
from dckit.paging import clamp_limit, decode_cursor, next_cursor
from quality_service.application.checks import evaluate
from quality_service.application.ports import Catalog, CatalogObject, ExecutorFactory, SampleMasker
from quality_service.application.quality_rules import QualityRuleUseCases
from quality_service.application.samples import VALUE_MEASURES, Samples
from quality_service.db.checks_repo import ChecksRepository
from quality_service.db.repository import Row
from quality_service.domain import rules as rule_domain
from quality_service.domain import scoring

MAX_SAMPLES = 100
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckRunView:
    run: Row
    checks: Sequence[Mapping[Any, Any]]


@dataclass(frozen=True)
class ScoreView:
    object_ref: str
    score: scoring.Score
    run_id: int
    as_of: Any


class CheckRunUseCases:
    def __init__(
        self,
        db: Database,
        outbox: Outbox,
        catalog: Catalog,
        executors: ExecutorFactory,
        masker: SampleMasker,
        rules: QualityRuleUseCases,
        finished_event: Callable[[Row, Sequence[Mapping[Any, Any]]], Message],
        *,
        default_sample_limit: int = 10,
        stale_seconds: float = 3600.0,
    ) -> None:
        self.db, self.outbox, self.catalog = db, outbox, catalog
        self.executors, self.masker, self.rules = executors, masker, rules
        self.finished_event = finished_event
        self.default_sample_limit = default_sample_limit
        self.stale_seconds = stale_seconds

    async def run(
        self,
        object_ref: str,
        rule_ids: Sequence[int],
        *,
        execution_context: Mapping[str, Any],
        sample_limit: int,
        actor: str,
        role: str,
    ) -> CheckRunView:
        if not object_ref:
            raise InvalidArgument("capsule: an object ref or URN is required")
        if sample_limit < 0 or sample_limit > MAX_SAMPLES:
            raise InvalidArgument(f"sample_limit: between 0 and {MAX_SAMPLES}")
        obj = await self.catalog.object(object_ref, structure=True)  # samples show the key
        async with self.db.session() as session:
            rows = await ChecksRepository(session).rules(obj.ref, enabled_only=not rule_ids)
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
        async with self.db.session() as session:
            run = await ChecksRepository(session).insert_run(
                {
                    "object_ref": obj.ref,
                    "object_urn": obj.urn,
                    "status": "running",
                    "triggered_by": actor,
                    "execution_context": dict(execution_context),
                }
            )
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
        missing = rule_domain.CheckOutcome(0, "error", error="the engine returned no outcome")
        checks = [_check_row(run["id"], row, outcomes.get(row["id"], missing)) for row in rows]
        status = "error" if error else scoring.run_status(checks)
        async with self.db.session() as session:
            repo = ChecksRepository(session)
            stored = await repo.insert_checks(checks)
            # The score reflects every enabled rule, also when this run checked only some.
            enabled = await repo.rules(obj.ref, enabled_only=True)
            score = scoring.score(await repo.latest_checks([r["id"] for r in enabled]))
            counts = {s: sum(1 for c in checks if c["status"] == s) for s in scoring.STATUSES}
            finished = await repo.finish_run(
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
            event = self.finished_event(finished, [_without_values(c) for c in stored])
            subject = obj.urn or obj.ref
            await self.outbox.publish(
                session, "datacompass.quality.check.completed", subject, event
            )
            if status == "failed":
                await self.outbox.publish(
                    session, "datacompass.quality.check.failed", subject, event
                )
        return CheckRunView(finished, stored)

    async def _abandon(self, run_id: int, exc: BaseException, started: float) -> None:
        reason = "cancelled" if isinstance(exc, asyncio.CancelledError) else str(exc)[:500]
        with contextlib.suppress(Exception):
            async with self.db.session() as session:
                await ChecksRepository(session).finish_run(
                    run_id,
                    {
                        "status": "error",
                        "error": f"the run stopped: {reason or type(exc).__name__}",
                        "duration_ms": int((time.monotonic() - started) * 1000),
                    },
                )

    async def recover_stale(self, stop: asyncio.Event) -> None:
        """Worker: a run whose process died mid-run stays "running"; fail it once it is older
        than any run can last (the source's statement timeout bounds each statement)."""
        while not stop.is_set():
            try:
                async with self.db.session() as session:
                    failed = await ChecksRepository(session).fail_stale_check_runs(
                        self.stale_seconds
                    )
                if failed:
                    log.warning("failed %d interrupted quality check run(s)", failed)
            except Exception:  # keep the worker alive through database hiccups
                log.exception("stale check run upkeep failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=60.0)

    async def _evaluate(
        self, obj: CatalogObject, rows: Sequence[Row], sample_limit: int
    ) -> tuple[dict[int, rule_domain.CheckOutcome], str]:
        outcomes: dict[int, rule_domain.CheckOutcome] = {}
        runnable: list[rule_domain.Rule] = []
        references: dict[str, CatalogObject] = {}
        for row in rows:
            try:
                refs = await self.rules.references(row["rule_type"], row["config"], references)
                spec = rule_domain.validate(
                    row["rule_type"],
                    row["column_name"],
                    row["config"],
                    columns=obj.columns,
                    dialect=obj.dialect,
                    references=refs,
                    source_name=obj.source_name,
                    severity=row["severity"],
                    blocking=row["blocking"],
                )
            except (InvalidArgument, NotFound) as exc:
                outcomes[row["id"]] = rule_domain.CheckOutcome(
                    row["id"], "skipped", error=f"rule no longer applies: {exc}"
                )
                continue
            except Unavailable as exc:
                outcomes[row["id"]] = rule_domain.CheckOutcome(row["id"], "error", error=str(exc))
                continue
            references.update(refs)
            runnable.append(rule_domain.Rule(row["id"], row["name"], spec))
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
        async with self.db.session() as session:
            repo = ChecksRepository(session)
            run = await repo.get_run(run_id)
            if run is None:
                raise NotFound(f"quality check run {run_id} does not exist")
            checks = await repo.checks_of([run_id])
        return await self._shown(CheckRunView(run, checks), role)

    async def page(
        self, object_ref: str, limit: int, cursor: str
    ) -> tuple[list[CheckRunView], str]:
        """Runs without their checks' samples (a listing shows outcomes, not values)."""
        ref = (await self.catalog.object(object_ref)).ref if object_ref else ""
        limit, offset = clamp_limit(limit), decode_cursor(cursor)
        async with self.db.session() as session:
            repo = ChecksRepository(session)
            rows = await repo.list_runs(ref, offset, limit + 1)
            page = list(rows[:limit])
            checks = await repo.checks_of([r["id"] for r in page])
        by_run: dict[int, list[Mapping[Any, Any]]] = {}
        for c in checks:
            by_run.setdefault(c["run_id"], []).append(_without_values(c))
        views = [CheckRunView(r, by_run.get(r["id"], [])) for r in page]
        return views, next_cursor(offset, limit, len(page), len(rows) > limit)

    async def score(self, object_ref: str) -> ScoreView:
        obj = await self.catalog.object(object_ref)
        async with self.db.session() as session:
            repo = ChecksRepository(session)
            rules = await repo.rules(obj.ref, enabled_only=True)
            latest = await repo.latest_checks([r["id"] for r in rules])
        newest = max(latest, key=lambda c: c["id"], default=None)
        return ScoreView(
            obj.ref,
            scoring.score(latest),
            newest["run_id"] if newest else 0,
            newest["checked_at"] if newest else None,
        )

    async def _shown(self, view: CheckRunView, role: str) -> CheckRunView:
        checks = [_copy(c) for c in view.checks]
        samples = Samples()
        for c in checks:
            if c["rule_type"] in ADMIN_SAMPLES and role != "admin":
                # An admin's SQL may return any column under any name: no mask can follow it.
                c.update(sample_failures=[], details={})
                continue
            samples.add_failing_rows(c["sample_failures"])
            samples.add_check_values(c["column_name"], c)
        await samples.reveal(self.masker, view.run["object_ref"], role)
        for c in checks:
            for key in ("measured_value", "threshold_value"):
                if not isinstance(c[key], int | float):  # masked into text: not a number
                    c[key] = None
        return CheckRunView(view.run, checks)


# Rules whose samples are whatever the admin's SQL selects.
ADMIN_SAMPLES = frozenset({"custom_sql"})


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
    outcomes: dict[int, rule_domain.CheckOutcome], rules: Sequence[rule_domain.Rule], error: str
) -> dict[int, rule_domain.CheckOutcome]:
    for rule in rules:
        outcomes[rule.id] = rule_domain.CheckOutcome(rule.id, "error", error=error)
    return outcomes


def _without_values(check: Mapping[Any, Any]) -> dict[str, Any]:
    """The outcome without anything read from the column (samples, details, the expected
    text that may quote a value set)."""
    value_measure = check["rule_type"] in VALUE_MEASURES
    return {
        **check,
        "sample_failures": [],
        "details": {},
        "expected_value": "",
        "measured_value": None if value_measure else check["measured_value"],
        "threshold_value": None if value_measure else check["threshold_value"],
    }


def _check_row(run_id: int, rule: Row, outcome: rule_domain.CheckOutcome) -> dict[str, Any]:
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
