from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from opentelemetry import trace

from dckit import context, telemetry
from dckit import logging as dclogging


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(dclogging.JsonFormatter("kit-test"))
    logger = logging.getLogger("dckit.tests.logging")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        yield logger, stream
    finally:
        logger.removeHandler(handler)


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_line_with_request_id_and_trace_id(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = captured
    telemetry.setup_tracing("kit-test")
    tracer = trace.get_tracer("kit-test")
    with (
        context.bound(context.RequestContext(request_id="req-42", actor="alice")),
        tracer.start_as_current_span("op") as span,
    ):
        logger.info("scan done", extra={"objects": 12})
        trace_id = f"{span.get_span_context().trace_id:032x}"
    logger.warning("outside")
    inside, outside = _lines(stream)
    assert inside["message"] == "scan done"
    assert inside["request_id"] == "req-42"
    assert inside["trace_id"] == trace_id and trace_id != "0" * 32
    assert inside["service"] == "kit-test"
    assert inside["level"] == "info"
    assert inside["objects"] == 12
    assert outside["request_id"] is None
    assert outside["trace_id"] is None
    assert outside["level"] == "warning"


def test_exception_is_logged_as_one_line(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    try:
        raise ValueError("bad thing")
    except ValueError:
        logger.exception("failed")
    assert len(stream.getvalue().splitlines()) == 1
    (line,) = _lines(stream)
    assert "ValueError: bad thing" in str(line["exc"])


def test_configure_sets_root_handler(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    try:
        dclogging.configure("svc", "debug")
        assert root.level == logging.DEBUG
        assert len(root.handlers) == 1
        assert isinstance(root.handlers[0].formatter, dclogging.JsonFormatter)
        assert logging.getLogger("nats").level == logging.WARNING
    finally:
        root.handlers[:] = saved
        root.setLevel(level)
