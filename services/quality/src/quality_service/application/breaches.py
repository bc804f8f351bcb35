"""Use cases for breaches (list, read, lifecycle changes with who and why) and trends
(results over time, per-config summary)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from dckit import context
from dckit.db import Database
from dckit.errors import InvalidArgument, NotFound
from dckit.outbox import Outbox
from dckit.paging import clamp_limit, decode_cursor, next_cursor
from quality_service.application.configs import find_config
from quality_service.db.repository import BreachFilter, QualityRepository, Row
from quality_service.domain import breaches as rules
from quality_service.domain.evaluation import trend


@dataclass(frozen=True)
class ExpectationSummary:
    expectation: Row
    latest: Row | None
    breaches_30d: int
    trend_7d: str


@dataclass(frozen=True)
class Summary:
    config: Row
    expectations: list[Row]
    per_expectation: list[ExpectationSummary]
    open_breaches: int
    last_run: Row | None


class BreachUseCases:
    def __init__(self, db: Database, outbox: Outbox) -> None:
        self.db, self.outbox = db, outbox

    async def page(self, f: BreachFilter, limit: int, cursor: str) -> tuple[list[Row], str]:
        for s in f.status:
            if s not in rules.STATUSES:
                raise InvalidArgument(f"status must be one of {', '.join(rules.STATUSES)}")
        for p in f.priority:
            if p not in rules.PRIORITIES:
                raise InvalidArgument(f"priority must be one of {', '.join(rules.PRIORITIES)}")
        limit, offset = clamp_limit(limit), decode_cursor(cursor)
        async with self.db.session() as session:
            rows = await QualityRepository(session).list_breaches(f, offset, limit + 1)
        page = list(rows[:limit])
        return page, next_cursor(offset, limit, len(page), len(rows) > limit)

    async def get(self, breach_id: int) -> Row:
        async with self.db.session() as session:
            row = await QualityRepository(session).get_breach(breach_id)
        if row is None:
            raise NotFound(f"breach {breach_id} not found")
        return row

    async def update(self, breach_id: int, status: str, reason: str) -> Row:
        async with self.db.session() as session:
            repo = QualityRepository(session)
            before = await repo.get_breach(breach_id, for_update=True)
            if before is None:
                raise NotFound(f"breach {breach_id} not found")
            target = rules.transition(before["status"], status, reason)
            actor = context.current().actor
            await repo.update_breach(
                breach_id,
                {"status": target, "status_changed_by": actor, "status_reason": reason},
            )
            config = await repo.get_config(before["config_id"])
            await self.outbox.audit(
                session,
                action=f"dq_breach.{target}",
                entity_type="dq_breach",
                entity_id=breach_id,
                entity_urn=config["object_urn"] if config else "",
                changes={
                    "status": (before["status"], target),
                    "status_reason": (before["status_reason"], reason),
                },
            )
            row = await repo.get_breach(breach_id)
        assert row is not None
        return row

    # ------------------------------------------------------------ trends
    async def results(self, expectation_id: int, days: int) -> Sequence[Row]:
        if days < 0 or days > 3660:
            raise InvalidArgument("days must be between 1 and 3660")
        since = datetime.now(UTC).date() - timedelta(days=days or 30)
        async with self.db.session() as session:
            repo = QualityRepository(session)
            if await repo.get_expectation(expectation_id) is None:
                raise NotFound(f"expectation {expectation_id} not found")
            return await repo.results(expectation_id, since)

    async def summary(self, config_id: int) -> Summary:
        today = datetime.now(UTC).date()
        async with self.db.session() as session:
            repo = QualityRepository(session)
            config = await find_config(repo, config_id, "")
            exps = list(await repo.expectations([config_id]))
            ids = [e["id"] for e in exps]
            latest = await repo.latest_results(ids)
            counts = await repo.breach_counts(ids, today - timedelta(days=30))
            per = []
            for e in exps:
                recent = await repo.results(e["id"], today - timedelta(days=8))
                values = [r["value"] for r in recent if r["value"] is not None][-7:]
                per.append(
                    ExpectationSummary(
                        e, latest.get(e["id"]), counts.get(e["id"], 0), trend(values)
                    )
                )
            open_count = sum((await repo.open_breaches(config_id)).values())
            runs = await repo.list_runs(config_id, 0, 1)
        return Summary(config, exps, per, open_count, runs[0] if runs else None)


def since_date(text: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidArgument(f"since must be a date (YYYY-MM-DD), not {text!r}") from exc
