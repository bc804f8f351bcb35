"""Schedule rules without I/O: validation of every field, fire times in a time zone (DST),
catch-up after missed slots, backoff."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from dckit.errors import InvalidArgument
from scheduler_service.application.tasks import TASK_TYPES
from scheduler_service.domain import schedules
from scheduler_service.domain.runs import backoff_delay
from scheduler_service.domain.schedules import ScheduleSpec, is_misfire, latest_due, next_fire

PARIS = "Europe/Paris"


def validate(spec: ScheduleSpec) -> ScheduleSpec:
    """The domain's validation with the task types' param checks, as the use cases run it."""
    return schedules.validate(spec, TASK_TYPES.check)


def spec(**kw: Any) -> ScheduleSpec:
    values: dict[str, Any] = {
        "name": "s",
        "cron": "*/5 * * * *",
        "timezone": "UTC",
        "task_type": "metadata_scan",
        "params": {"source_name": "shop"},
        **kw,
    }
    return ScheduleSpec(**values)


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"name": "  "}, "name:"),
        ({"name": "x" * 201}, "name:"),
        ({"cron": "61 * * * *"}, "cron:"),
        ({"cron": "* * * *"}, "cron:"),
        ({"cron": "0 * * * * *"}, "cron:"),  # 6 fields (seconds) is not what we promise
        ({"cron": "@hourly"}, "cron:"),
        ({"cron": "not a cron"}, "cron:"),
        ({"cron": ""}, "cron:"),
        ({"timezone": "Mars/Olympus"}, "timezone:"),
        ({"timezone": "../etc/passwd"}, "timezone:"),
        ({"task_type": "backup"}, "task_type:"),
        ({"task_type": ""}, "task_type:"),
        ({"params": {}}, "params.source_name:"),
        ({"params": {"source_name": ""}}, "params.source_name:"),
        ({"params": {"source_name": 3}}, "params.source_name:"),
        ({"params": {"source_name": "a", "extra": 1}}, "params.extra:"),
        ({"task_type": "dq_run", "params": {}}, "params.object_ref:"),
        ({"task_type": "quality_check", "params": {}}, "params.object_ref:"),
        ({"task_type": "quality_check", "params": {"object_ref": "a.b"}}, "params.object_ref:"),
        ({"task_type": "dq_run", "params": {"object_ref": "a.b"}}, "params.object_ref:"),
        ({"task_type": "dq_run", "params": {"object_ref": "a..c"}}, "params.object_ref:"),
        ({"task_type": "dq_run", "params": {"object_ref": "a.b.c", "days": 1.5}}, "params.days:"),
        ({"task_type": "dq_run", "params": {"object_ref": "a.b.c", "days": 0}}, "params.days:"),
        ({"task_type": "dq_run", "params": {"object_ref": "a.b.c", "days": True}}, "params.days:"),
        ({"task_type": "dq_run", "params": {"object_ref": "a.b.c", "days": "3"}}, "params.days:"),
        ({"misfire_grace_seconds": 0}, "misfire_grace_seconds:"),
        ({"max_attempts": 0}, "max_attempts:"),
        ({"max_attempts": 11}, "max_attempts:"),
    ],
)
def test_each_bad_field_is_named(kw: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidArgument) as err:
        validate(spec(**kw))
    assert err.value.message.startswith(field), err.value.message


def test_valid_specs_are_normalised() -> None:
    got = validate(spec(name=" a ", cron=" 0  6 * * 1-5 ", timezone=""))
    assert (got.name, got.cron, got.timezone) == ("a", "0 6 * * 1-5", "UTC")
    dq = validate(spec(task_type="dq_run", params={"object_ref": "s.a.t", "days": 7.0}))
    assert dq.params == {"object_ref": "s.a.t", "days": 7}
    assert validate(spec(task_type="dq_run", params={"object_ref": "s.a.t"})).params == {
        "object_ref": "s.a.t"
    }


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_daily_wall_time_follows_paris_across_spring_forward() -> None:
    # 09:00 in Paris is 08:00 UTC in winter, 07:00 UTC from 29 March 2026 (CEST).
    first = next_fire("0 9 * * *", PARIS, at(2026, 3, 28, 6))
    second = next_fire("0 9 * * *", PARIS, first)
    assert (first, second) == (at(2026, 3, 28, 8), at(2026, 3, 29, 7))


def test_a_wall_time_that_does_not_exist_fires_when_the_clock_jumps() -> None:
    # 02:30 does not exist on 29 March 2026 in Paris (02:00 → 03:00): it fires at 03:00 CEST.
    assert next_fire("30 2 * * *", PARIS, at(2026, 3, 28, 12)) == at(2026, 3, 29, 1)


def test_a_wall_time_that_occurs_twice_fires_once() -> None:
    # 02:30 happens twice on 25 October 2026 (CEST then CET): one run, the next day's follows.
    first = next_fire("30 2 * * *", PARIS, at(2026, 10, 24, 12))
    assert first == at(2026, 10, 25, 0, 30)
    assert next_fire("30 2 * * *", PARIS, first) == at(2026, 10, 26, 1, 30)


def test_an_interval_keeps_firing_through_the_repeated_hour() -> None:
    times = [at(2026, 10, 24, 23, 45)]
    for _ in range(5):
        times.append(next_fire("*/30 * * * *", PARIS, times[-1]))
    # Real half hours, including the repeated 02:00-03:00 local hour (00:00-02:00 UTC).
    assert times[1:] == [at(2026, 10, 25, 0), at(2026, 10, 25, 0, 30), at(2026, 10, 25, 1),
                         at(2026, 10, 25, 1, 30), at(2026, 10, 25, 2)]  # fmt: skip


def test_latest_due_is_the_newest_missed_slot() -> None:
    due = at(2026, 1, 1, 10, 1)
    assert latest_due("* * * * *", "UTC", due, at(2026, 1, 1, 10, 1, 30)) == due
    assert latest_due("* * * * *", "UTC", due, at(2026, 1, 1, 10, 7, 10)) == at(2026, 1, 1, 10, 7)
    # A month-long outage of a minute cron does not walk every slot and still lands right.
    assert latest_due("* * * * *", "UTC", due, at(2026, 2, 1, 0, 0, 5)) == at(2026, 2, 1)


def test_misfire_is_beyond_the_grace_only() -> None:
    slot = at(2026, 1, 1, 10)
    assert not is_misfire(slot, at(2026, 1, 1, 10, 5), 300)
    assert is_misfire(slot, at(2026, 1, 1, 10, 5, 1), 300)


def test_backoff_doubles_is_capped_and_jittered() -> None:
    assert [backoff_delay(a, 1, 100, 1.0) for a in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert backoff_delay(10, 1, 30, 1.0) == 30
    assert backoff_delay(3, 1, 100, 0.0) == 2  # half of 4 is fixed, the rest is jitter
