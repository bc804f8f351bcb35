"""Running a capsule's quality rules now: re-validate each rule against the catalog's current
columns (a rule whose column is gone is skipped, not an error of the data), evaluate the rest
on the source (application/checks.py batches them into as few statements as possible), store
one check per rule, score the capsule and announce the run. Reads mask sample values for the
viewer (application/samples.py)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from google.protobuf.message import Message

from dckit.db import Database
from dckit.errors import InvalidArgument, NotFound, Unavailable
from dckit.outbox import Outbox
from dckit.paging import clamp_limit, decode_cursor, next_cursor
from dckit.source_postgres import SourceError
from quality_service.application.checks import evaluate
from quality_service.application.ports import Catalog, CatalogObject, ExecutorFactory, SampleMasker
from quality_service.application.quality_rules import QualityRuleUseCases
from quality_service.application.samples import Samples
from quality_service.db.checks_repo import ChecksRepository
from quality_service.db.repository import Row
from quality_service.domain import rules as rule_domain
from quality_service.domain import scoring

MAX_SAMPLES = 100


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
    ) -> None:
        self.db, self.outbox, self.catalog = db, outbox, catalog
        self.executors, self.masker, self.rules = executors, masker, rules
        self.finished_event = finished_event
        self.default_sample_limit = default_sample_limit

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
        obj = await self.catalog.object(object_ref)
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
        outcomes, error = await self._evaluate(obj, rows, sample_limit or self.default_sample_limit)
        missing = rule_domain.CheckOutcome(0, "error", error="the engine returned no outcome")
        checks = [_check_row(run["id"], row, outcomes.get(row["id"], missing)) for row in rows]
        status = "error" if error else scoring.run_status(checks)
        async with self.db.session() as session:
            repo = ChecksRepository(session)
            stored = await repo.insert_checks(checks)
            latest = await repo.latest_checks([r["id"] for r in rows if r["enabled"]])
            score = scoring.score(latest)
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
            # Events carry no sample values (subscribers are not viewers with a role).
            event = self.finished_event(finished, [_without_samples(c) for c in stored])
            subject = obj.urn or obj.ref
            await self.outbox.publish(
                session, "datacompass.quality.check.completed", subject, event
            )
            if status == "failed":
                await self.outbox.publish(
                    session, "datacompass.quality.check.failed", subject, event
                )
        return await self._shown(CheckRunView(finished, stored), role)

    async def _evaluate(
        self, obj: CatalogObject, rows: Sequence[Row], sample_limit: int
    ) -> tuple[dict[int, rule_domain.CheckOutcome], str]:
        outcomes: dict[int, rule_domain.CheckOutcome] = {}
        runnable: list[rule_domain.Rule] = []
        references: dict[str, CatalogObject] = {}
        for row in rows:
            try:
                refs = await self.rules.references(row["rule_type"], row["config"])
                spec = rule_domain.validate(
                    row["rule_type"],
                    row["column_name"],
                    row["config"],
                    columns=obj.columns,
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
            references.update(refs)
            runnable.append(rule_domain.Rule(row["id"], row["name"], spec))
        if not runnable:
            return outcomes, ""
        try:
            source_type, connection = await self.catalog.connection(obj.source_name)
            executor = self.executors(source_type, connection)
        except (SourceError, Unavailable, NotFound) as exc:
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
            by_run.setdefault(c["run_id"], []).append(_without_samples(c))
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
        checks = [{**c, "sample_failures": list(c["sample_failures"] or [])} for c in view.checks]
        samples = Samples()
        for c in checks:
            samples.add_failing_rows(c["sample_failures"])
        await samples.reveal(self.masker, view.run["object_ref"], role)
        return CheckRunView(view.run, checks)


def _all_errors(
    outcomes: dict[int, rule_domain.CheckOutcome], rules: Sequence[rule_domain.Rule], error: str
) -> dict[int, rule_domain.CheckOutcome]:
    for rule in rules:
        outcomes[rule.id] = rule_domain.CheckOutcome(rule.id, "error", error=error)
    return outcomes


def _without_samples(check: Mapping[Any, Any]) -> dict[str, Any]:
    return {**check, "sample_failures": []}


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
