"""Threshold strategies: what range a metric value must fall in, given its history.
The maths of each strategy is documented in docs/data-quality.md; keep the two in step.

History handed to a strategy holds only earlier buckets that were measured and were not
breaches: the bucket under test, later buckets and earlier anomalies never train the model
that judges them (otherwise one outage widens the band enough to hide the next)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from dckit.errors import InvalidArgument

STRATEGIES = ("absolute", "relative", "anomaly")
# 1.4826 · MAD estimates the standard deviation for normally distributed data.
MAD_TO_SIGMA = 1.4826
# When the training data has no spread at all, tolerate this fraction of |centre| per unit of
# sensitivity instead of flagging any change at all.
FLAT_FLOOR = 0.01


@dataclass(frozen=True)
class Bounds:
    low: float | None
    high: float | None
    strategy: str
    learning: bool = False  # not enough history yet: no verdict

    def breached(self, value: float) -> str:
        """'' when inside, else 'below' / 'above'."""
        if self.learning:
            return ""
        if self.low is not None and value < self.low:
            return "below"
        if self.high is not None and value > self.high:
            return "above"
        return ""


def deviation(value: float, bounds: Bounds, direction: str) -> float:
    """How far outside the violated bound, relative to its magnitude."""
    bound = bounds.low if direction == "below" else bounds.high
    if bound is None:
        return 0.0
    return abs(value - bound) / abs(bound) if bound else abs(value - bound)


def _number(spec: Mapping[str, Any], key: str, *, positive: bool = False) -> float | None:
    if key not in spec or spec[key] is None:
        return None
    value = spec[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidArgument(f"threshold.{key} must be a number")
    if positive and value <= 0:
        raise InvalidArgument(f"threshold.{key} must be greater than 0")
    return float(value)


def _count(spec: Mapping[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = spec.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise InvalidArgument(f"threshold.{key} must be an integer")
    if not low <= int(value) <= high:
        raise InvalidArgument(f"threshold.{key} must be between {low} and {high}")
    return int(value)


def validate(spec: Mapping[str, Any]) -> dict[str, Any]:
    """A complete, normalised threshold spec (defaults filled in), or InvalidArgument."""
    strategy = spec.get("strategy")
    if strategy not in STRATEGIES:
        raise InvalidArgument(f"threshold.strategy must be one of {', '.join(STRATEGIES)}")
    allowed: set[str]
    if strategy == "absolute":
        allowed = {"strategy", "min", "max"}
        low, high = _number(spec, "min"), _number(spec, "max")
        if low is None and high is None:
            raise InvalidArgument("an absolute threshold needs threshold.min or threshold.max")
        if low is not None and high is not None and low > high:
            raise InvalidArgument("threshold.min must not be greater than threshold.max")
        clean: dict[str, Any] = {"strategy": strategy, "min": low, "max": high}
    elif strategy == "relative":
        allowed = {"strategy", "window", "max_decrease_pct", "max_increase_pct"}
        down = _number(spec, "max_decrease_pct", positive=True)
        up = _number(spec, "max_increase_pct", positive=True)
        if down is None and up is None:
            raise InvalidArgument(
                "a relative threshold needs threshold.max_decrease_pct or max_increase_pct"
            )
        if down is not None and down > 100:
            raise InvalidArgument("threshold.max_decrease_pct must be at most 100")
        clean = {
            "strategy": strategy,
            "window": _count(spec, "window", 7, 1, 365),
            "max_decrease_pct": down,
            "max_increase_pct": up,
        }
    else:
        allowed = {
            "strategy", "method", "sensitivity", "training_window", "min_history",
            "seasonality", "direction",
        }  # fmt: skip
        method = spec.get("method", "mad")
        if method not in ("mad", "zscore"):
            raise InvalidArgument("threshold.method must be 'mad' or 'zscore'")
        seasonality = spec.get("seasonality", "none")
        if seasonality not in ("none", "day_of_week"):
            raise InvalidArgument("threshold.seasonality must be 'none' or 'day_of_week'")
        direction = spec.get("direction", "both")
        if direction not in ("both", "above", "below"):
            raise InvalidArgument("threshold.direction must be 'both', 'above' or 'below'")
        sensitivity = _number(spec, "sensitivity", positive=True)
        clean = {
            "strategy": strategy,
            "method": method,
            "sensitivity": 3.0 if sensitivity is None else sensitivity,
            "training_window": _count(spec, "training_window", 28, 3, 730),
            "min_history": _count(spec, "min_history", 7, 2, 730),
            "seasonality": seasonality,
            "direction": direction,
        }
        if clean["min_history"] > clean["training_window"]:
            raise InvalidArgument("threshold.min_history must not exceed training_window")
    unknown = sorted(set(spec) - allowed)
    if unknown:
        raise InvalidArgument(f"unknown threshold setting(s): {', '.join(unknown)}")
    return clean


def bounds_for(
    spec: Mapping[str, Any],
    bucket: date,
    history: Sequence[tuple[date, float]],
    grain: str,
    *,
    count: bool = False,
) -> Bounds:
    """The range in force for `bucket`. `history`: (bucket, value) of earlier, non-breaching
    measurements, oldest first (the caller guarantees the exclusions; see module doc).
    `count`: the metric counts events (rows, nulls, distinct values), whose natural noise is
    Poisson: its scale is never taken below √centre, so a short, quiet history does not make
    a normal ±2 wobble an anomaly."""
    strategy = spec["strategy"]
    if strategy == "absolute":
        return Bounds(spec["min"], spec["max"], strategy)
    earlier = [(b, v) for b, v in history if b < bucket]
    if strategy == "relative":
        window = [v for _, v in earlier[-spec["window"] :]]
        if not window:
            return Bounds(None, None, strategy, learning=True)
        base = statistics.fmean(window)
        down, up = spec["max_decrease_pct"], spec["max_increase_pct"]
        return Bounds(
            base - abs(base) * down / 100 if down is not None else None,
            base + abs(base) * up / 100 if up is not None else None,
            strategy,
        )
    if spec["seasonality"] == "day_of_week" and grain == "daily":
        earlier = [(b, v) for b, v in earlier if b.weekday() == bucket.weekday()]
    training = [v for _, v in earlier[-spec["training_window"] :]]
    if len(training) < spec["min_history"]:
        return Bounds(None, None, strategy, learning=True)
    k = spec["sensitivity"]
    if spec["method"] == "mad":
        centre = statistics.median(training)
        scale = MAD_TO_SIGMA * statistics.median(abs(v - centre) for v in training)
        if scale == 0:
            # More than half the points equal the median: fall back to the mean absolute
            # deviation (scaled to a standard deviation), which still sees the minority's spread.
            scale = math.sqrt(math.pi / 2) * statistics.fmean(abs(v - centre) for v in training)
    else:
        centre = statistics.fmean(training)
        scale = statistics.stdev(training)
    if count:
        scale = max(scale, math.sqrt(abs(centre)))
    if scale == 0:
        scale = FLAT_FLOOR * abs(centre)
    low, high = centre - k * scale, centre + k * scale
    direction = spec["direction"]
    return Bounds(
        None if direction == "above" else low,
        None if direction == "below" else high,
        strategy,
    )
