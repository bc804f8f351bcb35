"""Use cases for DQ configs and their expectations. Objects and columns are checked against the
catalog; every change is audited in its own transaction (uow.record_change). A config is
returned with its `expectations`."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from dckit.errors import InvalidArgument, NotFound
from dckit.paging import paginate
from dckit.uow import Entity
from quality_service.application.ports import Catalog, Row, Transactions, UnitOfWork
from quality_service.domain import dq_configs as rules
from quality_service.domain import dq_thresholds
from quality_service.domain.dq_breaches import validate_priority
from quality_service.domain.dq_configs import (
    CONFIG_FIELDS,
    DqConfigSpec,
    ExpectationSpec,
    config_snapshot,
    expectation_snapshot,
)
from quality_service.domain.dq_metrics import validate_metric
from quality_service.domain.objects import ObjectName

# Changing any of these re-checks the config against the object's columns.
_DATING = frozenset({"date_column", "date_format", "grain", "timezone"})


class DqConfigUseCases:
    def __init__(self, tx: Transactions, catalog: Catalog) -> None:
        self.tx, self.catalog = tx, catalog

    # ------------------------------------------------------------ configs
    async def create_config(self, name: ObjectName | None, spec: DqConfigSpec) -> Row:
        if not name:
            raise InvalidArgument("object: an object ref or URN is required")
        obj = await self.catalog.object(name)
        _, grain, timezone = rules.validate(
            spec.date_column, spec.date_format, spec.grain, spec.timezone, obj.columns, obj.dialect
        )
        values = {**asdict(spec), "grain": grain, "timezone": timezone}
        async with self.tx() as uow:
            where = {"object_urn": obj.urn, "object_ref": obj.ref, "source_name": obj.source_name}
            row = await uow.dq_configs.insert({**values, **where})
            await uow.record_change("dq_config.create", _entity(row), None, config_snapshot(row))
        return {**row, "expectations": []}

    async def get_config(self, config_id: int, name: ObjectName | None = None) -> Row:
        urn = await self.catalog.urn(name) if name else ""
        async with self.tx() as uow:
            row = await find_config(uow, config_id, name, urn)
            return {**row, "expectations": await uow.dq_configs.expectations([row["id"]])}

    async def page_configs(
        self, name: ObjectName | None, limit: int, cursor: str
    ) -> tuple[list[Row], str]:
        urn = await self.catalog.urn(name) if name else None
        if urn == "":  # not an object the catalog knows: it has no config
            return [], ""
        async with self.tx() as uow:
            rows, next_cursor = await paginate(
                limit, cursor, lambda offset, count: uow.dq_configs.page(urn, offset, count)
            )
            expectations = await uow.dq_configs.expectations([r["id"] for r in rows])
        by_config: dict[int, list[Row]] = {}
        for e in expectations:
            by_config.setdefault(e["config_id"], []).append(e)
        return [{**r, "expectations": by_config.get(r["id"], [])} for r in rows], next_cursor

    async def update_config(self, config_id: int, changes: dict[str, Any]) -> Row:
        async with self.tx() as uow:
            before = await find_config(uow, config_id, for_update=True)
            merged = {**before, **changes}
            if _DATING & changes.keys():
                obj = await self.catalog.object(ObjectName(urn=before["object_urn"]))
                _, merged["grain"], merged["timezone"] = rules.validate(
                    merged["date_column"],
                    merged["date_format"],
                    merged["grain"],
                    merged["timezone"],
                    obj.columns,
                    obj.dialect,
                )
            values = {k: merged[k] for k in CONFIG_FIELDS if merged[k] != before[k]}
            row = before
            if values:
                row = await uow.dq_configs.update(config_id, values)
                await uow.record_change(
                    "dq_config.update",
                    _entity(row),
                    config_snapshot(before),
                    config_snapshot(row),
                )
            return {**row, "expectations": await uow.dq_configs.expectations([config_id])}

    async def delete_config(self, config_id: int) -> None:
        async with self.tx() as uow:
            before = await find_config(uow, config_id, for_update=True)
            await uow.dq_configs.delete(config_id)
            await uow.record_change(
                "dq_config.delete", _entity(before), config_snapshot(before), None
            )

    # ------------------------------------------------------------ expectations
    async def create_expectation(self, spec: ExpectationSpec) -> Row:
        async with self.tx() as uow:
            config = await find_config(uow, spec.config_id)
        obj = await self.catalog.object(ObjectName(urn=config["object_urn"]))
        values = {
            "config_id": spec.config_id,
            "metric_type": spec.metric_type,
            "column_name": validate_metric(spec.metric_type, spec.column, obj.columns, obj.dialect),
            "threshold": dq_thresholds.validate(spec.threshold),
            "priority": validate_priority(spec.priority),
            "enabled": spec.enabled,
        }
        async with self.tx() as uow:
            await find_config(uow, spec.config_id, for_update=True)  # still there, serialised
            row = await uow.dq_configs.insert_expectation(values)
            await uow.record_change(
                "dq_expectation.create",
                _expectation_entity(row, config),
                None,
                expectation_snapshot(row),
            )
        return row

    async def get_expectation(self, expectation_id: int) -> Row:
        async with self.tx() as uow:
            return await _expectation(uow, expectation_id)

    async def list_expectations(self, config_id: int) -> list[Row]:
        async with self.tx() as uow:
            await find_config(uow, config_id)
            return await uow.dq_configs.expectations([config_id])

    async def update_expectation(self, expectation_id: int, changes: dict[str, Any]) -> Row:
        if "threshold" in changes:
            changes["threshold"] = dq_thresholds.validate(changes["threshold"])
        if "priority" in changes:
            changes["priority"] = validate_priority(changes["priority"])
        async with self.tx() as uow:
            before = await _expectation(uow, expectation_id, for_update=True)
            values = {k: v for k, v in changes.items() if before[k] != v}
            if not values:
                return before
            row = await uow.dq_configs.update_expectation(expectation_id, values)
            config = await find_config(uow, before["config_id"])
            await uow.record_change(
                "dq_expectation.update",
                _expectation_entity(row, config),
                expectation_snapshot(before),
                expectation_snapshot(row),
            )
            return row

    async def delete_expectation(self, expectation_id: int) -> None:
        async with self.tx() as uow:
            before = await _expectation(uow, expectation_id, for_update=True)
            config = await find_config(uow, before["config_id"])
            await uow.dq_configs.delete_expectation(expectation_id)
            await uow.record_change(
                "dq_expectation.delete",
                _expectation_entity(before, config),
                expectation_snapshot(before),
                None,
            )


async def find_config(
    uow: UnitOfWork,
    config_id: int,
    name: ObjectName | None = None,
    urn: str = "",
    *,
    for_update: bool = False,
) -> Row:
    """The config `config_id`, else the config of the object `name` (whose URN is `urn`)."""
    if config_id:
        row = await uow.dq_configs.get(config_id, for_update=for_update)
        if row is None:
            raise NotFound(f"DQ config {config_id} not found")
        return row
    if name:
        found = await uow.dq_configs.of_object(urn) if urn else None
        if found is None:
            raise NotFound(f"no DQ config for {name}")
        return found
    raise InvalidArgument("a config id or object is required")


async def _expectation(uow: UnitOfWork, expectation_id: int, *, for_update: bool = False) -> Row:
    row = await uow.dq_configs.get_expectation(expectation_id, for_update=for_update)
    if row is None:
        raise NotFound(f"expectation {expectation_id} not found")
    return row


def _entity(config: Row) -> Entity:
    return Entity("dq_config", config["id"], config["object_urn"])


def _expectation_entity(expectation: Row, config: Row) -> Entity:
    return Entity("dq_expectation", expectation["id"], config["object_urn"])
