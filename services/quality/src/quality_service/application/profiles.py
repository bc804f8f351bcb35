"""Column profiles: a profile run reads an object's columns on its source in the background
(application/profiling.py does the reading), reports progress step by step, and stores one
profile row per column (the history). A run is held by a lease (dckit.leases): one whose
process died is failed once its heartbeat is stale. Rule suggestions are derived from the
latest profile and accepted into rules. Every value shown to a viewer is masked for their
role first."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dckit.errors import AlreadyExists, InvalidArgument, NotFound
from quality_service.application.ports import (
    Catalog,
    ExecutorFactory,
    Row,
    RunLeases,
    SampleMasker,
    Transactions,
)
from quality_service.application.profiling import chosen_columns, profile_object
from quality_service.application.quality_rules import QualityRuleUseCases
from quality_service.application.samples import Samples
from quality_service.domain.objects import ObjectName
from quality_service.domain.profiling import ColumnProfile, ObjectProfile
from quality_service.domain.quality_rules import QualityRuleSpec
from quality_service.domain.suggestions import Suggestion, suggest_all

log = logging.getLogger(__name__)
MAX_HISTORY = 200
SHUT_DOWN = "interrupted: the quality service shut down"
PROFILE_FIELDS = frozenset(f.name for f in dataclasses.fields(ColumnProfile))


@dataclass(frozen=True)
class ProfileRunView:
    run: Row
    columns: Sequence[dict[str, Any]]  # column profile rows, stats masked for the viewer
    masked: frozenset[str] = frozenset()


@dataclass(frozen=True)
class SuggestionView:
    suggestion: Suggestion
    exists: bool
    # As the viewer may see them (the reason quotes observed values, the config holds them).
    shown: dict[str, Any] = dataclasses.field(default_factory=dict)


class ProfileUseCases:
    def __init__(
        self,
        tx: Transactions,
        catalog: Catalog,
        executors: ExecutorFactory,
        masker: SampleMasker,
        rules: QualityRuleUseCases,
        leases: RunLeases,
        *,
        profiled_by: str = "datacompass-quality",
    ) -> None:
        self.tx, self.catalog, self.executors = tx, catalog, executors
        self.masker, self.rules, self.leases = masker, rules, leases
        self.profiled_by = profiled_by

    async def start(
        self,
        name: ObjectName | None,
        columns: Sequence[str],
        *,
        sample_rows: int,
        wait: bool,
        actor: str,
        role: str,
    ) -> ProfileRunView:
        if not name:
            raise InvalidArgument("capsule: an object ref or URN is required")
        if sample_rows < 0:
            raise InvalidArgument("sample_rows: must be 0 (full scan) or more")
        obj = await self.catalog.object(name)
        chosen = chosen_columns(obj, columns) if columns else []  # checked before the run exists
        async with self.tx() as uow:
            run = await uow.profiles.insert_run(
                {
                    "object_urn": obj.urn,
                    "object_ref": obj.ref,
                    "status": "running",
                    "columns": chosen,
                    "sample_rows": sample_rows or None,
                    "triggered_by": actor,
                    **self.leases.stamp(),
                }
            )
        task = asyncio.create_task(self._execute(run), name=f"profile-{run['id']}")
        self.leases.hold(run["id"], task)
        if wait:
            await asyncio.shield(task)
        return await self.get_run(run["id"], role)

    async def _execute(self, run: Row) -> None:
        run_id = run["id"]
        loop = asyncio.get_running_loop()
        pending: set[asyncio.Task[None]] = set()

        async def record(done: int, total: int) -> None:
            async with self.tx() as uow:
                await uow.profiles.progress(run_id, done, total)

        def progress(done: int, total: int) -> None:
            task = loop.create_task(record(done, total))
            pending.add(task)
            task.add_done_callback(pending.discard)

        try:
            obj = await self.catalog.object(ObjectName(urn=run["object_urn"]))
            source_type, connection = await self.catalog.connection(obj.source_name)
            executor = self.executors(source_type, connection)
            try:
                profile = await profile_object(
                    executor,
                    obj,
                    run["columns"] or None,
                    sample_rows=run["sample_rows"],
                    progress=progress,
                )
            finally:
                await executor.close()
            await asyncio.gather(*pending, return_exceptions=True)
            await self._store(run, profile)
        except Exception as exc:  # any failure ends the run with its reason
            if not isinstance(exc, (InvalidArgument, NotFound)):
                log.warning("profile run %s failed: %s", run_id, exc)
            await asyncio.gather(*pending, return_exceptions=True)
            async with self.tx() as uow:
                await uow.profiles.finish_run(
                    run_id, {"status": "failed", "error": str(exc)[:1000]}
                )

    async def _store(self, run: Row, profile: ObjectProfile) -> None:
        async with self.tx() as uow:
            await uow.profiles.insert_columns(
                [
                    {
                        "profile_run_id": run["id"],
                        "object_urn": run["object_urn"],
                        "object_ref": run["object_ref"],
                        "column_name": c.column,
                        "data_type": c.data_type,
                        "stats": c.to_dict(),
                        "sampled": profile.sampled,
                        "sample_size": profile.sample_size,
                        "sample_percentage": profile.sample_percentage,
                        "profiled_by": self.profiled_by,
                    }
                    for c in profile.columns
                ]
            )
            await uow.profiles.finish_run(
                run["id"],
                {
                    "status": "succeeded",
                    "row_count": profile.row_count,
                    "sampled": profile.sampled,
                    "sample_size": profile.sample_size,
                    "sample_percentage": profile.sample_percentage,
                    "duration_ms": profile.duration_ms,
                },
            )

    async def drain(self) -> None:
        """On shutdown: our unfinished runs end failed now rather than after a stale timeout."""
        await self.leases.drain(0, reason=SHUT_DOWN)

    # ------------------------------------------------------------ reads
    async def get_run(self, run_id: int, role: str) -> ProfileRunView:
        async with self.tx() as uow:
            run = await uow.profiles.get_run(run_id)
            if run is None:
                raise NotFound(f"profile run {run_id} does not exist")
            columns = await uow.profiles.columns_of(run_id)
        return await self._shown(run, columns, role)

    async def latest(self, name: ObjectName, role: str) -> ProfileRunView:
        obj = await self.catalog.object(name, cached=True)
        async with self.tx() as uow:
            run = await uow.profiles.latest_run(obj.urn)
            if run is None:
                raise NotFound(f"{obj.ref} has not been profiled yet")
            columns = await uow.profiles.columns_of(run["id"])
        return await self._shown(run, columns, role)

    async def column(
        self, name: ObjectName, *, column: str, role: str, limit: int = 1
    ) -> ProfileRunView:
        """The column's newest `limit` profiles (newest first), wrapped with the run of the
        newest."""
        obj = await self.catalog.object(name, cached=True)
        if column not in obj.columns:
            raise NotFound(f"column {column!r} is not in the catalog for {obj.ref}")
        limit = max(1, min(limit or 20, MAX_HISTORY))
        async with self.tx() as uow:
            rows = await uow.profiles.column_history(obj.urn, column=column, limit=limit)
            if not rows:
                raise NotFound(f"{obj.ref}.{column} has not been profiled yet")
            run = await uow.profiles.get_run(rows[0]["profile_run_id"])
        assert run is not None  # the FK cascades: a profile row always has its run
        return await self._shown(run, rows, role)

    async def _shown(self, run: Row, rows: Sequence[Row], role: str) -> ProfileRunView:
        columns = [{**r, "stats": dict(r["stats"])} for r in rows]
        samples = Samples()
        for c in columns:
            samples.add_profile(c["column_name"], c["stats"])
        masked = await samples.reveal(self.masker, object_ref=run["object_ref"], role=role)
        return ProfileRunView(run, columns, frozenset(masked))

    # ------------------------------------------------------------ suggestions
    async def suggestions(self, name: ObjectName, role: str) -> tuple[list[SuggestionView], int]:
        view, suggestions = await self._suggest(name)
        existing = await self._existing(view.run["object_urn"])
        items = [
            SuggestionView(
                s,
                (s.column, s.rule_type) in existing,
                {"reason": s.reason, "rule_config": copy.deepcopy(s.rule_config)},
            )
            for s in suggestions
        ]
        samples = Samples()
        for item in items:
            samples.add_rule_config(item.suggestion.column, item.shown["rule_config"])
            samples.add(item.shown, "reason", column=item.suggestion.column)
        await samples.reveal(self.masker, object_ref=view.run["object_ref"], role=role)
        return items, view.run["id"]

    async def accept(
        self, name: ObjectName, keys: Sequence[str], *, actor: str, role: str
    ) -> tuple[list[Row], list[str]]:
        view, suggestions = await self._suggest(name)
        by_key = {s.key: s for s in suggestions}
        unknown = [k for k in keys if k not in by_key]
        if unknown:
            raise InvalidArgument(
                f"keys: {', '.join(map(repr, unknown))} are not suggestions for "
                f"{view.run['object_ref']} (list them first)"
            )
        chosen = [by_key[k] for k in dict.fromkeys(keys)] if keys else suggestions
        existing = await self._existing(view.run["object_urn"])
        created: list[Row] = []
        skipped: list[str] = []
        for s in chosen:
            if (s.column, s.rule_type) in existing:
                skipped.append(s.key)
                continue
            try:
                spec = QualityRuleSpec(
                    rule_type=s.rule_type,
                    column=s.column,
                    config=s.rule_config,
                    severity=s.severity,
                    # Not the reason: it quotes observed values, and descriptions are shown
                    # unmasked.
                    description=f"Suggested from profile run {view.run['id']}",
                )
                obj = ObjectName(urn=view.run["object_urn"])
                created.append(await self.rules.create(obj, spec, actor=actor, role=role))
            except AlreadyExists:
                skipped.append(s.key)
        return created, skipped

    async def _suggest(self, name: ObjectName) -> tuple[ProfileRunView, list[Suggestion]]:
        obj = await self.catalog.object(name)
        async with self.tx() as uow:
            # Each column's newest profile: a later run may have profiled only some columns.
            rows = await uow.profiles.latest_columns(obj.urn)
            if not rows:
                raise NotFound(f"{obj.ref} has not been profiled yet: profile it first")
            run = await uow.profiles.get_run(max(r["profile_run_id"] for r in rows))
        assert run is not None  # the FK cascades: a profile row always has its run
        columns = [
            ColumnProfile(**{k: v for k, v in r["stats"].items() if k in PROFILE_FIELDS})
            for r in rows
            if r["column_name"] in obj.columns  # a column dropped since is not suggested
        ]
        profile = ObjectProfile(
            row_count=run["row_count"] or 0,
            sampled=run["sampled"],
            sample_size=run["sample_size"] or 0,
            sample_percentage=run["sample_percentage"] or 100.0,
            duration_ms=run["duration_ms"],
            columns=columns,
        )
        return ProfileRunView(run, [dict(r) for r in rows]), suggest_all(profile)

    async def _existing(self, object_urn: str) -> set[tuple[str, str]]:
        async with self.tx() as uow:
            rules = await uow.quality_rules.of_object(object_urn)
        return {(r["column_name"], r["rule_type"]) for r in rules}
