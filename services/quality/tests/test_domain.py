"""Pure domain rules: buckets, the metric query, thresholds, evaluation, breach lifecycle."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from dcconnectors import registry
from dckit.errors import FailedPrecondition, InvalidArgument
from quality_service.domain import dq_breaches as breaches
from quality_service.domain import dq_grain as grain
from quality_service.domain import dq_thresholds as thresholds
from quality_service.domain.dq_evaluation import (
    ExpectationView,
    History,
    Measurement,
    evaluate,
    fill_empty,
    trend,
)
from quality_service.domain.dq_metrics import validate_metric, without_values
from quality_service.domain.dq_sql import MetricRequest, ScanSpec, metric_query

D = date(2026, 3, 2)  # a Monday
PG, DBX = registry.dialect("postgres"), registry.dialect("databricks")


def test_buckets_follow_the_grain() -> None:
    assert grain.buckets(date(2026, 1, 30), date(2026, 2, 2), "daily") == [
        date(2026, 1, 30), date(2026, 1, 31), date(2026, 2, 1), date(2026, 2, 2),
    ]  # fmt: skip
    assert grain.buckets(date(2026, 3, 4), date(2026, 3, 10), "weekly") == [
        date(2026, 3, 2), date(2026, 3, 9),
    ]  # fmt: skip
    assert grain.buckets(date(2025, 12, 15), date(2026, 2, 1), "monthly") == [
        date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1),
    ]  # fmt: skip
    assert grain.next_bucket(date(2025, 12, 1), "monthly") == date(2026, 1, 1)
    assert grain.last_complete(date(2026, 3, 4), "weekly") == date(2026, 2, 23)
    assert grain.last_complete(date(2026, 3, 4), "monthly") == date(2026, 2, 1)
    assert grain.backfill_range(date(2026, 3, 31), 30, "daily") == (
        date(2026, 3, 1), date(2026, 3, 30),
    )  # fmt: skip
    with pytest.raises(InvalidArgument, match="before start"):
        grain.buckets(D, D - timedelta(days=1), "daily")
    with pytest.raises(InvalidArgument, match="grain must be"):
        grain.validate_grain("hourly")


def test_split_keeps_every_bucket_once_in_order() -> None:
    days = grain.buckets(D, D + timedelta(days=9), "daily")
    chunks = grain.split(days, 3)
    assert [len(c) for c in chunks] == [4, 3, 3]
    assert [d for c in chunks for d in c] == days
    assert grain.split(days[:2], 8) == [[days[0]], [days[1]]]


def test_metric_validation_names_the_problem() -> None:
    cols = {"amount": "numeric(12,2)", "name": "text", "at": "timestamp with time zone"}
    assert validate_metric("row_count", "", cols, PG) == ""
    assert validate_metric("median", "amount", cols, PG) == "amount"
    with pytest.raises(InvalidArgument, match="unknown metric_type 'p99'"):
        validate_metric("p99", "amount", cols, PG)
    with pytest.raises(InvalidArgument, match="needs a column"):
        validate_metric("null_count", "", cols, PG)
    with pytest.raises(InvalidArgument, match="'nope' is not in the catalog"):
        validate_metric("max", "nope", cols, PG)
    with pytest.raises(InvalidArgument, match="needs a numeric column"):
        validate_metric("mean", "name", cols, PG)
    with pytest.raises(InvalidArgument, match="needs a text column"):
        validate_metric("max_length", "amount", cols, PG)
    # Column types are read in the source's dialect (families: libs/connectors/tests).
    assert validate_metric("max_length", "s", {"s": "STRING"}, DBX) == "s"
    with pytest.raises(InvalidArgument, match="needs a text column"):
        validate_metric("max_length", "s", {"s": "STRING"}, PG)


def _spec(**kw: object) -> ScanSpec:
    base: dict[str, object] = {
        "table": ("sales", 'odd"name'),
        "date_column": "created_at",
        "date_family": "timestamptz",
        "date_format": "",
        "grain": "daily",
        "timezone": "Europe/Paris",
        "start": D,
        "end_exclusive": D + timedelta(days=30),
        "metrics": (
            MetricRequest("row_count", ""),
            MetricRequest("median", "amount"),
            MetricRequest("row_count", ""),  # duplicates share one aggregate
            MetricRequest("null_count", "amount"),
        ),
    }
    base.update(kw)
    return ScanSpec(**base)  # type: ignore[arg-type]


def test_postgres_query_is_one_grouped_scan_with_parameters() -> None:
    q = metric_query(PG, _spec())
    assert q.sql.count("SELECT") == 1 and "GROUP BY 1" in q.sql
    assert '"sales"."odd""name"' in q.sql  # identifiers quoted, quotes doubled
    assert "percentile_disc(ARRAY[0.5, 0.5000000000001]) WITHIN GROUP" in q.sql
    assert list(q.aliases.values()) == [
        ("row_count", ""), ("median", "amount"), ("null_count", "amount"),
    ]  # fmt: skip
    assert q.params == [D, D + timedelta(days=30), "Europe/Paris"]
    assert "Europe/Paris" not in q.sql and "2026" not in q.sql  # values are parameters
    text = metric_query(PG, _spec(date_family="text", date_format="YYYYMMDD"))
    assert "to_date(" in text.sql and text.params[-1] == "YYYYMMDD"


def test_an_indexed_date_column_reads_bucket_by_bucket_in_one_statement() -> None:
    q = metric_query(PG, _spec(date_indexed=True, end_exclusive=D + timedelta(days=3)))
    assert q.sql.count("SELECT") == 2 and "CROSS JOIN LATERAL" in q.sql
    assert q.params[0] == [D, D + timedelta(days=1), D + timedelta(days=2)]
    assert q.params[1] == [D + timedelta(days=1), D + timedelta(days=2), D + timedelta(days=3)]
    assert q.params[2] == "Europe/Paris"
    # Without a sorting aggregate the GROUP BY plan (hash, parallel) is the better one.
    cheap = (MetricRequest("row_count", ""), MetricRequest("sum", "amount"))
    assert "GROUP BY" in metric_query(PG, _spec(date_indexed=True, metrics=cheap)).sql
    text = _spec(date_indexed=True, date_family="text", date_format="YYYYMMDD")
    assert "GROUP BY" in metric_query(PG, text).sql


def test_databricks_query_uses_backticks_named_parameters_and_percentile() -> None:
    q = metric_query(DBX, _spec(table=("main", "sales", "orders")))
    assert "`main`.`sales`.`orders`" in q.sql
    assert "percentile(`amount`, 0.5)" in q.sql and "count_if(`amount` IS NULL)" in q.sql
    assert q.params == {"start": D, "end": D + timedelta(days=30), "tz": "Europe/Paris"}
    assert ":start" in q.sql and "from_utc_timestamp" in q.sql
    # No bucket-by-bucket plan on Databricks: an indexed date column still groups.
    indexed = metric_query(DBX, _spec(table=("main", "sales", "orders"), date_indexed=True))
    assert "GROUP BY 1" in indexed.sql and "LATERAL" not in indexed.sql


def test_runs_need_a_connector_with_queries() -> None:
    from quality_service.app import executors

    make = executors(1000)
    with pytest.raises(FailedPrecondition, match="not supported on oracle sources"):
        make("oracle", {})
    assert make("postgres", {"host": "h", "database": "d", "username": "u"}).dialect is not None


def test_threshold_specs_are_validated_with_defaults() -> None:
    spec = thresholds.validate({"strategy": "anomaly"})
    assert spec["method"] == "mad" and spec["sensitivity"] == 3.0
    assert spec["training_window"] == 28 and spec["min_history"] == 7
    for bad, message in [
        ({"strategy": "magic"}, "strategy must be one of"),
        ({"strategy": "absolute"}, "needs threshold.min or threshold.max"),
        ({"strategy": "absolute", "min": 5, "max": 1}, "min must not be greater"),
        ({"strategy": "absolute", "min": "5"}, "threshold.min must be a number"),
        ({"strategy": "relative", "window": 7}, "needs threshold.max_decrease_pct"),
        ({"strategy": "anomaly", "method": "prophet"}, "method must be"),
        ({"strategy": "anomaly", "min_history": 50}, "must not exceed training_window"),
        ({"strategy": "anomaly", "sensitivity": 0}, "greater than 0"),
        ({"strategy": "absolute", "min": 1, "colour": "red"}, "unknown threshold setting"),
    ]:
        with pytest.raises(InvalidArgument, match=message):
            thresholds.validate(bad)


def _history(values: list[float], start: date = D) -> list[tuple[date, float]]:
    return [(start + timedelta(days=i), v) for i, v in enumerate(values)]


def test_mad_bounds_are_median_plus_minus_k_scaled_mad() -> None:
    spec = thresholds.validate({"strategy": "anomaly", "sensitivity": 2, "min_history": 5})
    hist = _history([10, 12, 11, 13, 9, 100])  # one outlier barely moves median and MAD
    b = thresholds.bounds_for(spec, D + timedelta(days=6), hist, "daily")
    # median 11.5, |x-m| = 1.5 .5 .5 1.5 2.5 88.5 → MAD 1.5 → scale ≈ 2.2239
    assert b.low == pytest.approx(11.5 - 2 * 1.4826 * 1.5)
    assert b.high == pytest.approx(11.5 + 2 * 1.4826 * 1.5)
    z = thresholds.validate({"strategy": "anomaly", "method": "zscore", "min_history": 5})
    zb = thresholds.bounds_for(z, D + timedelta(days=6), hist, "daily")
    assert zb.high is not None and zb.high > 100  # the outlier inflates a z-score band


def test_bounds_only_learn_from_earlier_buckets_and_need_minimum_history() -> None:
    spec = thresholds.validate({"strategy": "anomaly", "min_history": 3, "training_window": 3})
    hist = _history([10, 10, 10, 50, 50, 50])
    early = thresholds.bounds_for(spec, D + timedelta(days=3), hist, "daily")
    assert early.high is not None and early.high < 50  # later 50s are not training data
    assert thresholds.bounds_for(spec, D + timedelta(days=2), hist, "daily").learning
    flat = thresholds.bounds_for(spec, D + timedelta(days=3), hist, "daily")
    assert flat.low == pytest.approx(10 - 3 * 0.1) and flat.high == pytest.approx(10.3)


def test_day_of_week_seasonality_trains_on_the_same_weekday() -> None:
    values = [100 if (D + timedelta(days=i)).weekday() < 5 else 10 for i in range(35)]
    hist = _history(values)
    spec = thresholds.validate(
        {"strategy": "anomaly", "seasonality": "day_of_week", "min_history": 4}
    )
    saturday = D + timedelta(days=40)
    assert saturday.weekday() == 5
    b = thresholds.bounds_for(spec, saturday, hist, "daily")
    assert b.breached(10) == "" and b.breached(100) == "above"
    plain = thresholds.validate({"strategy": "anomaly", "min_history": 4})
    # Without seasonality, a weekday-sized Saturday looks normal: the anomaly goes unseen.
    assert thresholds.bounds_for(plain, saturday, hist, "daily").breached(100) == ""


def test_relative_threshold_compares_with_the_trailing_mean() -> None:
    spec = thresholds.validate({"strategy": "relative", "window": 3, "max_decrease_pct": 50})
    b = thresholds.bounds_for(spec, D + timedelta(days=4), _history([1, 100, 100, 100]), "daily")
    assert b.low == pytest.approx(50) and b.high is None
    assert b.breached(49) == "below" and b.breached(1000) == ""


def test_evaluation_keeps_breaches_and_the_bucket_under_test_out_of_training() -> None:
    exp = ExpectationView(
        1, "row_count", "", thresholds.validate({"strategy": "anomaly", "min_history": 5})
    )
    days = [D + timedelta(days=i) for i in range(12)]
    values = [100, 102, 98, 101, 99, 100, 5, 6, 100, 101, 99, 3]
    measured = {d: {exp.key: Measurement(float(v))} for d, v in zip(days, values, strict=True)}
    out = evaluate([exp], days, measured, {}, "daily")
    assert [o.status for o in out] == (
        ["learning"] * 5 + ["ok", "breach", "breach", "ok", "ok", "ok", "breach"]
    )
    # The second outage day is still a breach: the first one did not widen the band.
    assert out[7].bounds is not None and out[7].bounds.low == out[6].bounds.low  # type: ignore[union-attr]
    assert out[6].direction == "below" and out[6].deviation > 0.9


def test_evaluation_uses_stored_history_and_reports_errors_and_gaps() -> None:
    exp = ExpectationView(7, "mean", "amount", thresholds.validate({"strategy": "anomaly"}))
    hist = {7: History(_history([10.0] * 10, D - timedelta(days=10)))}
    measured = {
        D: {exp.key: Measurement(10.2)},
        D + timedelta(days=1): {exp.key: Measurement(None, "boom")},
    }
    filled = fill_empty(measured, [D, D + timedelta(days=1), D + timedelta(days=2)], [exp.key])
    out = evaluate([exp], sorted(filled), filled, hist, "daily")
    assert [o.status for o in out] == ["ok", "error", "no_data"]
    assert out[1].error == "boom"
    empty = fill_empty({}, [D], [("row_count", ""), ("max", "amount")])
    assert empty[D][("row_count", "")].value == 0.0 and empty[D][("max", "amount")].value is None


def test_breach_lifecycle() -> None:
    assert breaches.transition("open", "acknowledged", "") == "acknowledged"
    assert breaches.transition("resolved", "open", "") == "open"
    with pytest.raises(FailedPrecondition, match="cannot become"):
        breaches.transition("dismissed", "resolved", "")
    with pytest.raises(InvalidArgument, match="needs a reason"):
        breaches.transition("open", "dismissed", " ")
    with pytest.raises(InvalidArgument, match="status must be"):
        breaches.transition("open", "closed", "")


def test_trend() -> None:
    assert trend([1, 2, 3, 4, 5, 6, 7]) == "up"
    assert trend([7, 6, 5, 4, 3, 2, 1]) == "down"
    assert trend([5, 5.01, 4.99, 5, 5]) == "stable"
    assert trend([1, 2]) == "unknown"


def test_count_metrics_never_take_a_scale_below_poisson_noise() -> None:
    spec = thresholds.validate({"strategy": "anomaly", "min_history": 5})
    hist = _history([39, 38, 39, 39, 40])  # MAD 0: any wobble would look anomalous
    tight = thresholds.bounds_for(spec, D + timedelta(days=6), hist, "daily")
    counted = thresholds.bounds_for(spec, D + timedelta(days=6), hist, "daily", count=True)
    assert tight.breached(42) == "above"
    assert counted.breached(42) == "" and counted.breached(0) == "below"
    assert counted.high == pytest.approx(39 + 3 * 39**0.5)


def test_events_carry_no_value_of_a_value_metric() -> None:
    row = {"value": 3000.0, "threshold_low": None, "threshold_high": 1000.0, "deviation": 2.0}
    for metric in ("min", "max", "mean", "sum", "median"):
        withheld = {"value": None, "threshold_low": None, "threshold_high": None}
        assert without_values(row, "ms", metric) == {**withheld, "deviation": 2.0}
    assert without_values(row, "ms", "null_count") == row
    assert without_values(row, "", "row_count") == row
