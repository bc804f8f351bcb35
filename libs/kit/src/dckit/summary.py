"""One call answering what several would: a service's summary RPC (the capsule's parts in the
catalog, quality or governance) runs its parts at once, each in its own transaction, and
answers with all of them, or fails as a whole with the first part's error."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from typing import Any, TypeVar

from dckit.errors import NotFound

T = TypeVar("T")


async def gather_parts(parts: Mapping[str, Awaitable[Any]]) -> dict[str, Any]:
    """Run `parts` concurrently (in the caller's context: its actor and role) and return their
    answers by name. The first part to fail cancels the others, and its error is raised as is,
    so a domain error reaches the error interceptor unwrapped (NotFound → NOT_FOUND)."""
    tasks = {name: asyncio.ensure_future(part) for name, part in parts.items()}
    try:
        await asyncio.gather(*tasks.values())
    except BaseException:
        for task in tasks.values():
            task.cancel()
        await asyncio.gather(*tasks.values(), return_exceptions=True)
        raise
    return {name: task.result() for name, task in tasks.items()}


async def optional(part: Awaitable[T]) -> T | None:
    """`part`'s answer, or None when what it reads does not exist (NotFound): a part a summary
    may lack (a capsule never profiled)."""
    try:
        return await part
    except NotFound:
        return None
