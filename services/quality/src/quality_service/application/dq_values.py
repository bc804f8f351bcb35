"""DQ results and breaches as the caller's role may see them: the value metrics (min, max,
mean, sum, median) of a column that governance masks for that role are withheld (value and
thresholds unset), like sample values (application/samples). Fails closed: when masking cannot
be decided, those numbers are withheld."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from dckit.errors import NotFound, Unavailable
from quality_service.application.ports import Row, SampleMasker
from quality_service.domain.dq_metrics import VALUE_METRICS, withheld


class Measured(NamedTuple):
    object_ref: str
    column: str
    metric_type: str
    row: Row


async def shown(masker: SampleMasker, role: str, items: Sequence[Measured]) -> list[Row]:
    """Each item's row, its numbers withheld where its column is masked for `role`."""
    by_object: dict[str, dict[str, list[object]]] = {}
    for item in items:
        if item.column and item.metric_type in VALUE_METRICS:
            columns = by_object.setdefault(item.object_ref, {})
            columns.setdefault(item.column, []).append(item.row.get("value"))
    masked: dict[str, set[str]] = {}
    for ref, columns in by_object.items():
        try:
            _, masked[ref] = await masker.mask(ref, role=role, columns=columns)
        except (Unavailable, NotFound):
            masked[ref] = set(columns)
    return [
        withheld(item.row)
        if item.metric_type in VALUE_METRICS and item.column in masked.get(item.object_ref, ())
        else item.row
        for item in items
    ]


def breach_item(row: Row) -> Measured:
    return Measured(row["object_ref"], row["column_name"] or "", row["metric_type"], row)
