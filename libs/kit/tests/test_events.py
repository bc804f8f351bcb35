from __future__ import annotations

import pytest
from google.protobuf import wrappers_pb2
from opentelemetry import trace

from dckit import context, telemetry
from dckit.events import make_envelope, nats_subject, unpack


def test_envelope_carries_context_and_trace() -> None:
    telemetry.setup_tracing("kit-test")
    with (
        context.bound(context.RequestContext(request_id="r-1", actor="dave")),
        trace.get_tracer("kit-test").start_as_current_span("op") as span,
    ):
        env = make_envelope(
            "datacompass.kittest.item.created",
            "/datacompass/kittest",
            "item/1",
            wrappers_pb2.StringValue(value="v"),
        )
    assert env.specversion == "1.0"
    assert env.actor == "dave" and env.request_id == "r-1"
    assert env.dataschema == "google.protobuf.StringValue"
    assert f"{span.get_span_context().trace_id:032x}" in env.traceparent
    assert unpack(env, wrappers_pb2.StringValue).value == "v"  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="carries"):
        unpack(env, wrappers_pb2.Int64Value)


def test_explicit_actor_and_unique_ids() -> None:
    a = make_envelope("datacompass.x.y", "/s", "s", wrappers_pb2.StringValue(), actor="sys")
    b = make_envelope("datacompass.x.y", "/s", "s", wrappers_pb2.StringValue())
    assert a.actor == "sys"
    assert a.id != b.id


def test_event_type_must_be_canonical() -> None:
    with pytest.raises(ValueError, match="must start with"):
        make_envelope("catalog.x.y", "/s", "s", wrappers_pb2.StringValue())
    with pytest.raises(ValueError):
        make_envelope("datacompassx.y", "/s", "s", wrappers_pb2.StringValue())


def test_nats_subject() -> None:
    assert nats_subject("datacompass.catalog.source.created") == (
        "datacompass.catalog.source.created"
    )
    assert nats_subject("datacompass.catalog.>", "dctest1") == "dctest1.catalog.>"
