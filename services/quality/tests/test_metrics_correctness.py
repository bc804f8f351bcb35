"""Every metric measured on a real PostgreSQL source equals an independent computation in
Python over the same rows: NULLs, an empty bucket, an all-NULL bucket, and buckets taken in a
non-UTC time zone (rows at 23:xx UTC belong to the next day in Paris)."""

from __future__ import annotations

import statistics
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from quality_testkit import ALL_NULL_DAY, DAYS, EMPTY_DAY, Stack

from datacompass.quality.v1 import dq_pb2 as pb

METRICS = [
    ("row_count", ""),
    ("null_count", "amount"),
    ("distinct_count", "category"),
    ("max_length", "name"),
    ("min", "amount"),
    ("max", "amount"),
    ("mean", "amount"),
    ("sum", "amount"),
    ("median", "amount"),
    ("median", "qty"),  # integer: the mean of two middles must not truncate
    ("mean", "qty"),
    ("median", "score"),  # double precision
    ("sum", "score"),
]
COLUMN = {"amount": 4, "name": 5, "category": 6, "qty": 7, "score": 8}


def expected(rows: list[tuple[Any, ...]], metric: str, column: str) -> float | None:
    if metric == "row_count":
        return float(len(rows))
    values = [r[COLUMN[column]] for r in rows]
    present = [v for v in values if v is not None]
    if metric == "null_count":
        return float(len(values) - len(present))
    if metric == "distinct_count":
        return float(len(set(present)))
    if not present:
        return None
    if metric == "max_length":
        return float(max(len(v) for v in present))
    numbers = [float(v) for v in present]
    return float(
        {
            "min": min,
            "max": max,
            "mean": statistics.fmean,
            "sum": sum,
            "median": statistics.median,
        }[metric](numbers)
    )


@pytest.mark.parametrize(
    ("timezone", "indexed"),
    [("UTC", False), ("Europe/Paris", False), ("UTC", True), ("Europe/Paris", True)],
)
async def test_every_metric_matches_an_independent_computation(
    stack: Stack, timezone: str, indexed: bool
) -> None:
    if indexed:  # the per-bucket index-range plan instead of one GROUP BY
        await stack.source_sql("CREATE INDEX events_created_at ON sales.events (created_at)")
        await stack.rescan()
    config = await stack.config(timezone=timezone)
    ids = {}
    for metric, column in METRICS:
        exp = await stack.expect(config.id, metric, column)
        ids[exp.id] = (metric, column)
    base = stack.rows.base
    run = await stack.dq.StartRun(
        pb.StartRunRequest(
            config_id=config.id,
            start_date=base.isoformat(),
            end_date=(base + timedelta(days=DAYS - 1)).isoformat(),
            wait=True,
        )
    )
    assert run.status == pb.DQ_RUN_STATUS_SUCCEEDED, run
    assert run.buckets_total == DAYS and run.buckets_done == DAYS
    assert run.results_stored == DAYS * len(METRICS) and run.metric_errors == 0

    by_day = stack.rows.by_local_day(ZoneInfo(timezone))
    checked = 0
    for exp_id, (metric, column) in ids.items():
        got = await stack.dq.ListResults(pb.ListResultsRequest(expectation_id=exp_id, days=60))
        results = {r.bucket: r for r in got.items}
        assert len(results) == DAYS
        for i in range(DAYS):
            day = base + timedelta(days=i)
            r = results[day.isoformat()]
            want = expected(by_day.get(day, []), metric, column)
            if want is None:
                assert not r.HasField("value") and r.status == pb.DQ_RESULT_STATUS_NO_DATA, (
                    metric,
                    day,
                )
            else:
                assert r.value == pytest.approx(want, rel=1e-9, abs=1e-6), (metric, day, timezone)
            checked += 1
    assert checked == DAYS * len(METRICS)
    # The edge buckets really are edges.
    empty = (base + timedelta(days=EMPTY_DAY)).isoformat()
    rows = await stack.own_sql(
        "SELECT e.metric_type, r.value, r.status FROM quality.dq_results r "
        "JOIN quality.dq_expectations e ON e.id = r.expectation_id WHERE r.bucket = $1::date",
        base + timedelta(days=EMPTY_DAY),
    )
    by_metric = {r["metric_type"]: r for r in rows}
    if timezone == "UTC":
        assert by_metric["row_count"]["value"] == 0.0, empty
        assert by_metric["median"]["status"] == "no_data"
        all_null = base + timedelta(days=ALL_NULL_DAY)
        assert expected(by_day[all_null], "mean", "amount") is None
        assert expected(by_day[all_null], "null_count", "amount") == len(by_day[all_null])
    else:
        # In Paris the empty UTC day still gets the previous evening's late rows.
        assert by_metric["row_count"]["value"] == len(
            by_day.get(base + timedelta(days=EMPTY_DAY), [])
        )


async def test_text_date_column_with_a_format(stack: Stack) -> None:
    config = await stack.config(date_column="day_text", date_format="YYYYMMDD")
    exp = await stack.expect(config.id, "row_count")
    base = stack.rows.base
    run = await stack.dq.StartRun(
        pb.StartRunRequest(
            config_id=config.id,
            start_date=base.isoformat(),
            end_date=(base + timedelta(days=4)).isoformat(),
            wait=True,
        )
    )
    assert run.status == pb.DQ_RUN_STATUS_SUCCEEDED, run
    got = await stack.dq.ListResults(pb.ListResultsRequest(expectation_id=exp.id, days=60))
    by_day = stack.rows.by_local_day(ZoneInfo("UTC"))
    assert [r.value for r in got.items] == [len(by_day[base + timedelta(days=i)]) for i in range(5)]


async def test_weekly_grain_sums_whole_weeks(stack: Stack) -> None:
    config = await stack.config(date_column="day", grain="weekly")
    exp = await stack.expect(config.id, "row_count")
    base = stack.rows.base
    end = base + timedelta(days=DAYS - 1)
    run = await stack.dq.StartRun(
        pb.StartRunRequest(
            config_id=config.id, start_date=base.isoformat(), end_date=end.isoformat(), wait=True
        )
    )
    assert run.status == pb.DQ_RUN_STATUS_SUCCEEDED, run
    got = await stack.dq.ListResults(pb.ListResultsRequest(expectation_id=exp.id, days=60))
    monday = base - timedelta(days=base.weekday())
    for r in got.items:
        start = monday.fromisoformat(r.bucket)
        assert start.weekday() == 0
        want = sum(1 for row in stack.rows.rows if start <= row[2] < start + timedelta(days=7))
        assert r.value == want
