"""Profiles an object's columns on its source: one statement for every column's scalar
statistics, then one query per column for its most common values, histogram (numbers) and
value shapes (strings). With `sample_rows`, every query reads the same Bernoulli sample."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence

from dckit.errors import InvalidArgument
from quality_service.application.ports import CatalogObject, Executor
from quality_service.domain import profiling as dp
from quality_service.domain.metrics import type_family
from quality_service.domain.profiling import ObjectProfile


def _columns(obj: CatalogObject, columns: Sequence[str] | None) -> list[str]:
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
    progress: Callable[[int, int], None] | None = None,
) -> ObjectProfile:
    """`columns` None or empty: all of the object's columns. progress(done, total) after each
    query (a step that needs no query, like the histogram of a constant column, counts too)."""
    names = _columns(obj, columns)
    if sample_rows is not None and sample_rows < 1:
        raise InvalidArgument("sample_rows: must be at least 1")
    if top_values < 1:
        raise InvalidArgument("top_values: must be at least 1")
    started = time.monotonic()
    types = {name: obj.columns[name] for name in names}
    families = {name: type_family(t) for name, t in types.items()}
    total_steps = (
        (1 if sample_rows is not None else 0)
        + 1
        + sum(1 + (f == "numeric") + (f == "text") for f in families.values())
    )
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total_steps)

    table = executor.table_path(obj)
    dialect = executor.dialect.name
    sample = None
    row_count: int | None = None
    if sample_rows is not None:
        rows = await executor.fetch(dp.ProfileSql(dialect, table, types).count())
        row_count = int(rows[0]["n"])
        step()
        sample = dp.sample_for(row_count, sample_rows, random.randrange(1, 2**31))
    sql = dp.ProfileSql(dialect, table, types, sample)

    scalar = sql.scalar(names)
    rows = await executor.fetch(scalar)
    step()
    profiled, by_column = dp.column_profiles(rows[0], scalar, types)
    if row_count is None:
        row_count = profiled

    for name in names:
        prof = by_column[name]
        mcv = await executor.fetch(sql.top_values(name, top_values))
        prof.most_common_values = dp.most_common_values(mcv, prof.total_count)
        step()
        if prof.family == "numeric":
            low, high = prof.min_value, prof.max_value
            if low is not None and high is not None:
                buckets = (
                    [] if low == high else await executor.fetch(sql.histogram(name, low, high))
                )
                prof.histogram = dp.histogram(buckets, low, high, prof.non_null_count)
            step()
        elif prof.family == "text":
            if prof.non_null_count:
                shapes = await executor.fetch(sql.patterns(name))
                prof.detected_patterns = dp.detected_patterns(shapes, prof.non_null_count)
            step()

    return ObjectProfile(
        row_count=row_count,
        sampled=sample is not None,
        sample_size=profiled,
        sample_percentage=sample.percentage if sample else 100.0,
        duration_ms=int((time.monotonic() - started) * 1000),
        columns=[by_column[name] for name in names],
    )
