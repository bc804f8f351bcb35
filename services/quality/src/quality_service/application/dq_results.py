"""Use cases for DQ results and trends: an expectation's results over time, and a config's
summary (latest result, 30-day breach count and 7-day trend per expectation)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from dckit.clock import Clock, utc_now
from dckit.errors import InvalidArgument, NotFound
from quality_service.application import dq_values
from quality_service.application.dq_configs import find_config
from quality_service.application.dq_runs import with_object
from quality_service.application.ports import Row, SampleMasker, Transactions
from quality_service.domain.dq_evaluation import trend

MAX_DAYS = 3660


@dataclass(frozen=True)
class ExpectationSummary:
    expectation: Row
    latest: Row | None
    breaches_30d: int
    trend_7d: str


@dataclass(frozen=True)
class ConfigSummary:
    config: Row  # with its expectations
    expectations: list[ExpectationSummary]
    open_breaches: int
    last_run: Row | None


class DqResultUseCases:
    def __init__(self, tx: Transactions, masker: SampleMasker, *, clock: Clock = utc_now) -> None:
        self.tx, self.masker, self.clock = tx, masker, clock

    async def results(self, expectation_id: int, days: int, role: str) -> list[Row]:
        """The values of a column masked for `role` are withheld (application/dq_values)."""
        if days < 0 or days > MAX_DAYS:
            raise InvalidArgument(f"days must be between 1 and {MAX_DAYS}")
        since = self.clock().date() - timedelta(days=days or 30)
        async with self.tx() as uow:
            expectation = await uow.dq_configs.get_expectation(expectation_id)
            if expectation is None:
                raise NotFound(f"expectation {expectation_id} not found")
            config = await find_config(uow, expectation["config_id"])
            rows = await uow.dq_results.since(expectation_id, since)
        return await dq_values.shown(
            self.masker, role, [_measured(config, expectation, r) for r in rows]
        )

    async def summary(self, config_id: int, role: str) -> ConfigSummary:
        today = self.clock().date()
        async with self.tx() as uow:
            config = await find_config(uow, config_id)
            expectations = await uow.dq_configs.expectations([config_id])
            ids = [e["id"] for e in expectations]
            latest = await uow.dq_results.latest(ids)
            counts = await uow.dq_breaches.counts(ids, today - timedelta(days=30))
            per = []
            for e in expectations:
                recent = await uow.dq_results.since(e["id"], today - timedelta(days=8))
                values = [r["value"] for r in recent if r["value"] is not None][-7:]
                per.append(
                    ExpectationSummary(
                        e, latest.get(e["id"]), counts.get(e["id"], 0), trend(values)
                    )
                )
            open_count = sum((await uow.dq_breaches.open_by_priority(config_id)).values())
            runs = await uow.dq_runs.page(config_id, 0, 1)
        last_run = with_object(runs[0], config) if runs else None
        latest_shown = await dq_values.shown(
            self.masker,
            role,
            [_measured(config, s.expectation, s.latest) for s in per if s.latest is not None],
        )
        shown = iter(latest_shown)
        per = [replace(s, latest=next(shown)) if s.latest is not None else s for s in per]
        return ConfigSummary({**config, "expectations": expectations}, per, open_count, last_run)


def _measured(config: Row, expectation: Row, row: Row) -> dq_values.Measured:
    return dq_values.Measured(
        config["object_ref"], expectation["column_name"], expectation["metric_type"], row
    )
