"""The one place sample values leave the quality service: failing-row samples, profile values
(most common values, min/max/percentiles, histogram bounds) and suggested value sets are
collected with where they came from, masked for the viewer's role in one call to the masking
port (governance's masking rules), and put back. Stored values stay clear so that exempt
roles can see them; every read path goes through here."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any

from quality_service.application.ports import SampleMasker
from quality_service.domain import rule_types

# Profile statistics that are (or are computed from) the column's own values.
VALUE_STATS = (
    "min_value",
    "max_value",
    "mean_value",
    "median_value",
    "percentile_25",
    "percentile_75",
    "earliest",
    "latest",
)


class Samples:
    def __init__(self) -> None:
        self._slots: list[tuple[str, MutableMapping[str, Any], str]] = []

    def add(self, container: MutableMapping[str, Any], key: str, *, column: str) -> None:
        if column and key in container:
            self._slots.append((column, container, key))

    def add_failing_rows(self, samples: list[Any]) -> None:
        """[{"values": {column: value}, "occurrences": n}, ...] as checks store them."""
        for sample in samples:
            values = sample.get("values") if isinstance(sample, dict) else None
            if isinstance(values, dict):
                for column in values:
                    self.add(values, column, column=column)

    def add_check_values(self, column: str, check: MutableMapping[str, Any]) -> None:
        """What a check quotes from its column: the expected text (a value set, bounds), the
        details (newest value, mean, outlier bounds), its error and, for statistics, the
        measure."""
        self.add(check, "expected_value", column=column)
        if check.get("error"):  # a source's error may quote the value it choked on
            self.add(check, "error", column=column)
        details = check.get("details")
        if isinstance(details, MutableMapping):
            for key, value in details.items():
                if not isinstance(value, dict | list):
                    self.add(details, key, column=column)
        # Some types measure statistics of the column's values (others shares of rows, ages).
        kind = rule_types.find(str(check.get("rule_type")))
        if kind is not None and kind.value_measure:
            self.add(check, "measured_value", column=column)
            self.add(check, "threshold_value", column=column)

    def add_profile(self, column: str, stats: MutableMapping[str, Any]) -> None:
        for key in VALUE_STATS:
            self.add(stats, key, column=column)
        for entry in stats.get("most_common_values") or []:
            self.add(entry, "value", column=column)
        for bucket in stats.get("histogram") or []:
            self.add(bucket, "low", column=column)
            self.add(bucket, "high", column=column)

    def add_rule_config(self, column: str, config: MutableMapping[str, Any]) -> None:
        """Values a suggested rule was built from (a value set, observed bounds)."""
        values = config.get("allowed_values")
        if isinstance(values, list):
            slots = _ListSlot(values)
            for i in slots:
                self.add(slots, i, column=column)
        for key in ("min", "max"):
            self.add(config, key, column=column)

    async def reveal(self, masker: SampleMasker, *, object_ref: str, role: str) -> set[str]:
        """Mask every collected value in place; returns the columns that were masked."""
        if not self._slots:
            return set()
        by_column: dict[str, list[Any]] = {}
        for column, container, key in self._slots:
            by_column.setdefault(column, []).append(container[key])
        shown, masked = await masker.mask(object_ref, role=role, columns=by_column)
        cursor: dict[str, int] = {}
        for column, container, key in self._slots:
            i = cursor.get(column, 0)
            container[key] = shown[column][i]
            cursor[column] = i + 1
        return masked


class _ListSlot(MutableMapping[str, Any]):
    """A list seen as a mapping of str(index) → item, so list items are slots like dict keys."""

    def __init__(self, items: list[Any]) -> None:
        self._values = items

    def __getitem__(self, key: str) -> Any:
        return self._values[int(key)]

    def __setitem__(self, key: str, value: Any) -> None:
        self._values[int(key)] = value

    def __delitem__(self, key: str) -> None:
        raise TypeError("sample slots cannot be deleted")

    def __iter__(self) -> Iterator[str]:
        return iter(str(i) for i in range(len(self._values)))

    def __len__(self) -> int:
        return len(self._values)
