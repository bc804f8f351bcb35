from __future__ import annotations

import asyncio

from dckit import context
from dckit.context import RequestContext


def test_metadata_round_trip() -> None:
    ctx = RequestContext(
        request_id="req-1",
        actor="alice",
        client_ip="10.0.0.7",
        user_agent="dc-cli/1.0",
        role="steward",
    )
    md = ctx.to_metadata()
    assert all(k == k.lower() for k, _ in md)
    assert RequestContext.from_metadata(md) == ctx


def test_from_metadata_accepts_bytes_and_ignores_other_keys() -> None:
    ctx = RequestContext.from_metadata(
        [("x-request-id", b"r-2"), ("x-dc-actor", b"bob"), ("authorization", "Bearer x")]
    )
    assert ctx.request_id == "r-2"
    assert ctx.actor == "bob"
    assert ctx.client_ip == ""


def test_from_empty_metadata_generates_request_id() -> None:
    a = RequestContext.from_metadata(None)
    b = RequestContext.from_metadata([])
    assert a.request_id and b.request_id and a.request_id != b.request_id
    assert a.actor == "anonymous"


def test_empty_values_not_sent() -> None:
    assert RequestContext(request_id="r").to_metadata() == [
        ("x-request-id", "r"),
        ("x-dc-actor", "system"),
    ]


def test_bound_restores_previous_context() -> None:
    outer = RequestContext(request_id="outer", actor="a")
    inner = RequestContext(request_id="inner", actor="b")
    default = context.current()
    assert default.request_id == ""
    with context.bound(outer):
        assert context.current() is outer
        with context.bound(inner):
            assert context.current() is inner
        assert context.current() is outer
        try:
            with context.bound(inner):
                raise RuntimeError("boom")
        except RuntimeError:
            pass
        assert context.current() is outer
    assert context.current() == default


def test_with_actor() -> None:
    ctx = RequestContext(request_id="r", actor="a")
    assert ctx.with_actor("b") == RequestContext(request_id="r", actor="b")
    assert ctx.actor == "a"


async def test_context_isolated_between_tasks() -> None:
    seen: dict[str, str] = {}

    async def worker(name: str) -> None:
        with context.bound(RequestContext(request_id=name)):
            await asyncio.sleep(0.01)
            seen[name] = context.current().request_id

    await asyncio.gather(worker("t1"), worker("t2"))
    assert seen == {"t1": "t1", "t2": "t2"}
