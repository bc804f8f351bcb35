"""Profiles an object's columns on its source: one statement for every column's scalar
statistics, and per column one for its most common values and distinct count, one for its
histogram (numbers, once the scalar statistics gave the bounds) and one for its value shapes
(strings); up to `parallelism` statements at a time. With `sample_rows`, every query reads the
same Bernoulli sample."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from dcconnectors.types import NUMERIC, TEXT
from dckit.errors import InvalidArgument
from quality_service.application.ports import CatalogObject, Executor
from quality_service.domain import profiling as dp
from quality_service.domain.profiling import ColumnProfile, ObjectProfile
from quality_service.domain.query import Query


def chosen_columns(obj: CatalogObject, columns: Sequence[str] | None) -> list[str]:
    """`columns` without repeats (none: all of the object's); InvalidArgument naming those the
    catalog does not know."""
    if not columns:
        return list(obj.columns)
    unknown = [c for c in columns if c not in obj.columns]
    if unknown:
        names = ", ".join(repr(c) for c in unknown)
        raise InvalidArgument(f"columns: {names} not in the catalog for {obj.ref}")
    return list(dict.fromkeys(columns))


async def profile_object(
    executor: Executor,
    obj: CatalogObject,
    columns: Sequence[str] | None = None,
    *,
    sample_rows: int | None = None,
    top_values: int = 10,
    parallelism: int = 4,
    progress: Callable[[int, int], None] | None = None,
) -> ObjectProfile:
    """`columns` None or empty: all of the object's columns. progress(done, total) after each
    query (a step that needs no query, like the histogram of a constant column, counts too).
    `parallelism`: statements running at once (each on its own connection of the executor)."""
    names = chosen_columns(obj, columns)
    if sample_rows is not None and sample_rows < 1:
        raise InvalidArgument("sample_rows: must be at least 1")
    if top_values < 1:
        raise InvalidArgument("top_values: must be at least 1")
    if parallelism < 1:
        raise InvalidArgument("parallelism: must be at least 1")
    started = time.monotonic()
    types = {name: obj.columns[name] for name in names}
    families = {name: executor.dialect.type_family(t) for name, t in types.items()}
    total_steps = (
        (1 if sample_rows is not None else 0)
        + 1
        + sum(1 + (f == NUMERIC) + (f == TEXT) for f in families.values())
    )
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total_steps)

    slots = asyncio.Semaphore(parallelism)

    async def fetch(query: Query) -> list[dict[str, Any]]:
        async with slots:
            return await executor.fetch(query)

    table = executor.table_path(obj.schema, obj.name)
    dialect = executor.dialect
    sample = None
    row_count: int | None = None
    if sample_rows is not None:
        rows = await executor.fetch(dp.ProfileSql(dialect, table, types).count())
        row_count = int(rows[0]["n"])
        step()
        sample = dp.sample_for(row_count, sample_rows, random.randrange(1, 2**31))
    sql = dp.ProfileSql(dialect, table, types, sample)

    scalar = sql.scalar(names)

    async def scalar_stats() -> tuple[int, dict[str, ColumnProfile]]:
        rows = await fetch(scalar)
        step()
        return dp.column_profiles(rows[0], scalar, types, dialect)

    # The scalar statement first (the longest); the value counts and shapes need nothing from
    # it to run, only to be shaped; the histograms need its bounds.
    stats = asyncio.ensure_future(scalar_stats())

    async def values(name: str) -> None:
        rows = await fetch(sql.top_values(name, top_values))
        step()
        dp.value_counts((await stats)[1][name], rows)

    async def shapes(name: str) -> None:
        rows = await fetch(sql.patterns(name))
        step()
        prof = (await stats)[1][name]
        prof.detected_patterns = dp.detected_patterns(rows, prof.non_null_count)

    async def histogram(name: str) -> None:
        prof = (await stats)[1][name]
        low, high = prof.min_value, prof.max_value
        if low is not None and high is not None:
            buckets = [] if low == high else await fetch(sql.histogram(name, low, high))
            prof.histogram = dp.histogram(buckets, low, high, prof.non_null_count)
        step()

    jobs: list[Awaitable[Any]] = [stats]
    jobs += [shapes(name) for name in names if families[name] == TEXT]
    jobs += [values(name) for name in names]
    jobs += [histogram(name) for name in names if families[name] == NUMERIC]
    await _all(jobs)
    profiled, by_column = stats.result()
    if row_count is None:
        row_count = profiled

    return ObjectProfile(
        row_count=row_count,
        sampled=sample is not None,
        sample_size=profiled,
        sample_percentage=sample.percentage if sample else 100.0,
        duration_ms=int((time.monotonic() - started) * 1000),
        columns=[by_column[name] for name in names],
    )


async def _all(jobs: Sequence[Awaitable[Any]]) -> None:
    """Runs the jobs; on the first failure cancels the others (their statements too) and
    raises it as it is (not wrapped in an ExceptionGroup, as a TaskGroup would)."""
    tasks = [asyncio.ensure_future(job) for job in jobs]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
