"""Use cases for DQ configs and expectations. Objects and columns are checked against the
catalog; every change is audited in the same transaction (outbox)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dckit.db import Database
from dckit.errors import InvalidArgument, NotFound
from dckit.outbox import Outbox, diff
from dckit.paging import clamp_limit, decode_cursor, next_cursor
from quality_service.application.ports import Catalog
from quality_service.db.repository import QualityRepository, Row
from quality_service.domain import configs as config_rules
from quality_service.domain import thresholds
from quality_service.domain.breaches import validate_priority
from quality_service.domain.metrics import validate_metric

CONFIG_FIELDS = ("date_column", "date_format", "grain", "timezone", "enabled")
EXPECTATION_FIELDS = ("threshold", "priority", "enabled")


def config_snapshot(row: Row) -> dict[str, Any]:
    return {k: row[k] for k in ("object_ref", *CONFIG_FIELDS)}


def expectation_snapshot(row: Row) -> dict[str, Any]:
    return {k: row[k] for k in ("metric_type", "column_name", *EXPECTATION_FIELDS)}


class ConfigUseCases:
    def __init__(self, db: Database, outbox: Outbox, catalog: Catalog) -> None:
        self.db, self.outbox, self.catalog = db, outbox, catalog

    # ------------------------------------------------------------ configs
    async def create_config(
        self,
        object_ref: str,
        date_column: str,
        date_format: str,
        grain: str,
        timezone: str,
        enabled: bool,
    ) -> tuple[Row, Sequence[Row]]:
        if not object_ref:
            raise InvalidArgument("object_ref is required")
        obj = await self.catalog.object(object_ref)
        _, grain, timezone = config_rules.validate(
            date_column, date_format, grain, timezone, obj.columns, obj.dialect
        )
        async with self.db.session() as session:
            repo = QualityRepository(session)
            row = await repo.insert_config(
                {
                    "object_ref": obj.ref,
                    "object_urn": obj.urn,
                    "source_name": obj.source_name,
                    "date_column": date_column,
                    "date_format": date_format,
                    "grain": grain,
                    "timezone": timezone,
                    "enabled": enabled,
                }
            )
            await self.outbox.audit(
                session,
                action="dq_config.create",
                entity_type="dq_config",
                entity_id=row["id"],
                entity_urn=obj.urn,
                changes=diff({}, config_snapshot(row)),
            )
        return row, []

    async def get_config(self, config_id: int, object_ref: str = "") -> tuple[Row, Sequence[Row]]:
        async with self.db.session() as session:
            repo = QualityRepository(session)
            row = await _config(repo, config_id, object_ref)
            return row, await repo.expectations([row["id"]])

    async def page_configs(
        self, object_ref: str, limit: int, cursor: str
    ) -> tuple[list[tuple[Row, Sequence[Row]]], str]:
        limit, offset = clamp_limit(limit), decode_cursor(cursor)
        async with self.db.session() as session:
            repo = QualityRepository(session)
            rows = await repo.list_configs(object_ref, offset, limit + 1)
            page = list(rows[:limit])
            exps = await repo.expectations([r["id"] for r in page])
        by_config: dict[int, Sequence[Row]] = {}
        for e in exps:
            by_config.setdefault(e["config_id"], []).append(e)  # type: ignore[attr-defined]
        items = [(r, by_config.get(r["id"], [])) for r in page]
        return items, next_cursor(offset, limit, len(page), len(rows) > limit)

    async def update_config(
        self, config_id: int, changes: dict[str, Any]
    ) -> tuple[Row, Sequence[Row]]:
        async with self.db.session() as session:
            repo = QualityRepository(session)
            before = await _config(repo, config_id, "", for_update=True)
            merged = {**config_snapshot(before), **changes}
            if any(k in changes for k in ("date_column", "date_format", "grain", "timezone")):
                obj = await self.catalog.object(before["object_ref"])
                _, merged["grain"], merged["timezone"] = config_rules.validate(
                    merged["date_column"],
                    merged["date_format"],
                    merged["grain"],
                    merged["timezone"],
                    obj.columns,
                    obj.dialect,
                )
            values = {k: merged[k] for k in CONFIG_FIELDS if merged[k] != before[k]}
            row = await repo.update_config(config_id, values) if values else before
            if values:
                await self.outbox.audit(
                    session,
                    action="dq_config.update",
                    entity_type="dq_config",
                    entity_id=config_id,
                    entity_urn=before["object_urn"],
                    changes=diff(config_snapshot(before), config_snapshot(row)),
                )
            return row, await repo.expectations([config_id])

    async def delete_config(self, config_id: int) -> None:
        async with self.db.session() as session:
            repo = QualityRepository(session)
            before = await _config(repo, config_id, "", for_update=True)
            await repo.delete_config(config_id)
            await self.outbox.audit(
                session,
                action="dq_config.delete",
                entity_type="dq_config",
                entity_id=config_id,
                entity_urn=before["object_urn"],
                changes=diff(config_snapshot(before), {}),
            )

    # ------------------------------------------------------------ expectations
    async def create_expectation(
        self,
        config_id: int,
        metric_type: str,
        column: str,
        threshold: dict[str, Any],
        priority: str,
        enabled: bool,
    ) -> Row:
        async with self.db.session() as session:
            config = await _config(QualityRepository(session), config_id, "")
        obj = await self.catalog.object(config["object_ref"])
        column = validate_metric(metric_type, column, obj.columns, obj.dialect)
        values = {
            "config_id": config_id,
            "metric_type": metric_type,
            "column_name": column,
            "threshold": thresholds.validate(threshold),
            "priority": validate_priority(priority),
            "enabled": enabled,
        }
        async with self.db.session() as session:
            repo = QualityRepository(session)
            await _config(repo, config_id, "", for_update=True)  # still there, and serialised
            row = await repo.insert_expectation(values)
            await self.outbox.audit(
                session,
                action="dq_expectation.create",
                entity_type="dq_expectation",
                entity_id=row["id"],
                entity_urn=config["object_urn"],
                changes=diff({}, expectation_snapshot(row)),
            )
        return row

    async def get_expectation(self, expectation_id: int) -> Row:
        async with self.db.session() as session:
            return await _expectation(QualityRepository(session), expectation_id)

    async def list_expectations(self, config_id: int) -> Sequence[Row]:
        async with self.db.session() as session:
            repo = QualityRepository(session)
            await _config(repo, config_id, "")
            return await repo.expectations([config_id])

    async def update_expectation(self, expectation_id: int, changes: dict[str, Any]) -> Row:
        if "threshold" in changes:
            changes["threshold"] = thresholds.validate(changes["threshold"])
        if "priority" in changes:
            changes["priority"] = validate_priority(changes["priority"])
        async with self.db.session() as session:
            repo = QualityRepository(session)
            before = await _expectation(repo, expectation_id, for_update=True)
            values = {k: v for k, v in changes.items() if before[k] != v}
            if not values:
                return before
            row = await repo.update_expectation(expectation_id, values)
            config = await _config(repo, before["config_id"], "")
            await self.outbox.audit(
                session,
                action="dq_expectation.update",
                entity_type="dq_expectation",
                entity_id=expectation_id,
                entity_urn=config["object_urn"],
                changes=diff(expectation_snapshot(before), expectation_snapshot(row)),
            )
            return row

    async def delete_expectation(self, expectation_id: int) -> None:
        async with self.db.session() as session:
            repo = QualityRepository(session)
            before = await _expectation(repo, expectation_id, for_update=True)
            config = await _config(repo, before["config_id"], "")
            await repo.delete_expectation(expectation_id)
            await self.outbox.audit(
                session,
                action="dq_expectation.delete",
                entity_type="dq_expectation",
                entity_id=expectation_id,
                entity_urn=config["object_urn"],
                changes=diff(expectation_snapshot(before), {}),
            )


async def _config(
    repo: QualityRepository, config_id: int, object_ref: str, *, for_update: bool = False
) -> Row:
    if config_id:
        row = await repo.get_config(config_id, for_update=for_update)
        if row is None:
            raise NotFound(f"DQ config {config_id} not found")
        return row
    if object_ref:
        row = await repo.config_by_ref(object_ref)
        if row is None:
            raise NotFound(f"no DQ config for {object_ref}")
        return row
    raise InvalidArgument("a config id or object_ref is required")


async def _expectation(
    repo: QualityRepository, expectation_id: int, *, for_update: bool = False
) -> Row:
    row = await repo.get_expectation(expectation_id, for_update=for_update)
    if row is None:
        raise NotFound(f"expectation {expectation_id} not found")
    return row


find_config = _config
