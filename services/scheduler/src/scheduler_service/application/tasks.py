"""Task types: what a schedule can run. One entry per type — how its params are checked and
how it is handed to the service that owns it — in one registry, so a new task type (contracts,
dbt) is one entry here and, when it calls a new RPC, one method of the `Owners` port."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from dckit.errors import InvalidArgument
from scheduler_service.application.ports import Dispatched, DispatchFailed, Owners
from scheduler_service.domain.schedules import object_ref, only, required_text, whole_number

MAX_DQ_DAYS = 3660

Params = Mapping[str, Any]


@dataclass(frozen=True)
class TaskType:
    name: str
    check: Callable[[Params], dict[str, Any]]  # normalised params, or InvalidArgument
    dispatch: Callable[[Owners, Params], Awaitable[Dispatched]]


class TaskTypes:
    """The registry: task types by name."""

    def __init__(self, *types: TaskType) -> None:
        self._by_name = {t.name: t for t in types}

    def names(self) -> list[str]:
        return list(self._by_name)

    def check(self, task_type: str, params: Params) -> dict[str, Any]:
        """A schedule's params checked by its task type (domain.schedules.ParamsCheck)."""
        found = self._by_name.get(task_type)
        if found is None:
            names = ", ".join(self._by_name)
            raise InvalidArgument(
                f"task_type: {task_type!r} is not one of {names}"
                if task_type
                else f"task_type: required (one of {names})"
            )
        return found.check(params)

    async def dispatch(self, owners: Owners, task_type: str, params: Params) -> Dispatched:
        found = self._by_name.get(task_type)
        if found is None:  # a schedule stored before its task type was removed
            raise DispatchFailed(f"no dispatcher for task type {task_type!r}", transient=False)
        return await found.dispatch(owners, params)


# ---------------------------------------------------------------- metadata_scan (catalog)


def _scan_params(params: Params) -> dict[str, Any]:
    only(params, {"source_name"})
    return {"source_name": required_text(params, "source_name")}


METADATA_SCAN = TaskType(
    "metadata_scan",
    _scan_params,
    lambda owners, params: owners.start_scan(source_name=params["source_name"]),
)


# ---------------------------------------------------------------- dq_run (quality)


def _dq_params(params: Params) -> dict[str, Any]:
    only(params, {"object_ref", "days"})
    out: dict[str, Any] = {"object_ref": object_ref(params)}
    days = whole_number(params, "days", 1, MAX_DQ_DAYS)
    if days is not None:
        out["days"] = days
    return out


DQ_RUN = TaskType(
    "dq_run",
    _dq_params,
    # days 0: the last complete period (the quality service's default).
    lambda owners, params: owners.start_dq_run(
        object_ref=params["object_ref"], days=int(params.get("days", 0))
    ),
)


# ---------------------------------------------------------------- quality_check (quality)


def _check_params(params: Params) -> dict[str, Any]:
    only(params, {"object_ref"})
    return {"object_ref": object_ref(params)}


QUALITY_CHECK = TaskType(
    "quality_check",
    _check_params,
    lambda owners, params: owners.run_checks(object_ref=params["object_ref"]),
)


TASK_TYPES = TaskTypes(METADATA_SCAN, DQ_RUN, QUALITY_CHECK)
