"""gather_parts: the answers by name, the parts run at once, the first failure cancels the rest
and is raised as is; optional: NotFound is None, other errors pass."""

from __future__ import annotations

import asyncio

import pytest

from dckit.errors import InvalidArgument, NotFound
from dckit.summary import gather_parts, optional


async def test_answers_by_name_and_concurrently() -> None:
    both_started = asyncio.Event()
    started: list[str] = []

    async def part(name: str) -> str:
        started.append(name)
        if len(started) == 2:
            both_started.set()
        await asyncio.wait_for(both_started.wait(), 5)  # only passes if the other runs too
        return name.upper()

    assert await gather_parts({"a": part("a"), "b": part("b")}) == {"a": "A", "b": "B"}


async def test_first_failure_cancels_the_rest_and_is_raised_as_is() -> None:
    cancelled = asyncio.Event()

    async def slow() -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    async def bad() -> None:
        await asyncio.sleep(0)
        raise NotFound("capsule 'x' not found")

    with pytest.raises(NotFound, match="capsule 'x'"):
        await gather_parts({"slow": slow(), "bad": bad()})
    assert cancelled.is_set()


async def test_optional() -> None:
    async def missing() -> int:
        raise NotFound("no profile")

    async def refused() -> int:
        raise InvalidArgument("bad")

    async def there() -> int:
        return 3

    assert await optional(missing()) is None
    assert await optional(there()) == 3
    with pytest.raises(InvalidArgument):
        await optional(refused())
