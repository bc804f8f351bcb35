"""`/audit/events`: the audit trail, filtered and paginated, and its streamed export."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from google.protobuf import timestamp_pb2

from datacompass.common.v1 import paging_pb2
from datacompass.governance.v1 import governance_pb2 as pb
from dckit.paging import MAX_LIMIT
from gateway_service.audit import mappers as m
from gateway_service.audit import schemas as s
from gateway_service.core.convert import page_of, page_request
from gateway_service.core.deps import Governance, PageParams
from gateway_service.core.errors import ApiError

router = APIRouter(prefix="/audit", tags=["audit"])

CSV_COLUMNS = (
    "id", "event_id", "timestamp", "service", "user", "action", "entity_type", "entity_id",
    "entity_urn", "changes", "request_id", "client_ip", "user_agent",
)  # fmt: skip


@dataclass(frozen=True)
class AuditQuery:
    entity_type: str | None
    entity: str | None
    user: str | None
    action: str | None
    since: datetime | None
    until: datetime | None
    change_set: str | None = None

    def request(self, page: paging_pb2.PageRequest) -> pb.ListAuditEventsRequest:
        if self.since and self.until and self.since >= self.until:
            raise ApiError(400, "INVALID_ARGUMENT", "'since' must be before 'until'")
        req = pb.ListAuditEventsRequest(
            entity_type=self.entity_type or "",
            entity=self.entity or "",
            user=self.user or "",
            action=self.action or "",
            change_set=self.change_set or "",
            page=page,
        )
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None:
                ts = timestamp_pb2.Timestamp()
                ts.FromDatetime(value)
                getattr(req, name).CopyFrom(ts)
        return req


def audit_query(
    entity_type: Annotated[str | None, Query(description="e.g. object, source, user")] = None,
    entity: Annotated[str | None, Query(description="entity id or URN")] = None,
    user: Annotated[str | None, Query(description="who made the change")] = None,
    action: Annotated[str | None, Query(description="e.g. object.update")] = None,
    since: Annotated[datetime | None, Query(description="from (inclusive, ISO-8601)")] = None,
    until: Annotated[datetime | None, Query(description="to (exclusive, ISO-8601)")] = None,
    change_set: Annotated[
        str | None, Query(description="one change set's records (a capsule apply)")
    ] = None,
) -> AuditQuery:
    return AuditQuery(entity_type, entity, user, action, since, until, change_set)


Filters = Annotated[AuditQuery, Depends(audit_query)]


@router.get("/events", response_model=s.AuditEventPage, summary="Query the audit trail")
async def list_events(governance: Governance, query: Filters, page: PageParams) -> s.AuditEventPage:
    resp = await governance.ListAuditEvents(query.request(page.request()))
    return page_of(s.AuditEventPage, resp, m.audit_event)


@router.get(
    "/events/export",
    summary="Export the audit trail (JSON lines or CSV, streamed)",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}, "text/csv": {}}}},
)
async def export_events(
    governance: Governance,
    query: Filters,
    format: Annotated[Literal["jsonl", "csv"], Query(description="jsonl or csv")] = "jsonl",
) -> StreamingResponse:
    first = query.request(page_request(MAX_LIMIT, None))  # validates before streaming starts
    resp = await governance.ListAuditEvents(first)

    async def pages() -> AsyncIterator[list[s.AuditEvent]]:
        current = resp
        while True:
            yield [m.audit_event(e) for e in current.items]
            if not current.page.next_cursor:
                return
            current = await governance.ListAuditEvents(
                query.request(page_request(MAX_LIMIT, current.page.next_cursor))
            )

    async def jsonl() -> AsyncIterator[str]:
        async for events in pages():
            for event in events:
                yield event.model_dump_json() + "\n"

    async def csv_rows() -> AsyncIterator[str]:
        yield _csv_line(CSV_COLUMNS)
        async for events in pages():
            for event in events:
                row = event.model_dump(mode="json")
                row["changes"] = json.dumps(row["changes"], sort_keys=True)
                yield _csv_line([_cell(row[c]) for c in CSV_COLUMNS])

    if format == "csv":
        return StreamingResponse(
            csv_rows(),
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="audit-events.csv"'},
        )
    return StreamingResponse(jsonl(), media_type="application/x-ndjson")


# A cell a spreadsheet would run as a formula (CSV injection): `=`, `+`, `-`, `@`, or a tab or
# carriage return before one of them.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    """The value as a CSV cell: a text a spreadsheet would evaluate gets a leading `'`
    (user agents, names and descriptions are caller-controlled)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _csv_line(values: object) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(values)  # type: ignore[arg-type]
    return out.getvalue()
