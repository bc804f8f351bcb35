"""Deprecation campaigns over real gRPC and PostgreSQL: deprecate, list, show, withdraw, all
audited; deadline notices sent once per deprecation and threshold, also across replicas."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta

import asyncpg
import grpc
import pytest
from catalog_testkit import SourceDb, audit_records, create_source, envelope, outbox_rows

from catalog_service.api.deprecations_mappers import deadline_approaching
from catalog_service.app import CatalogService
from catalog_service.application.deprecations import DeprecationUseCases
from catalog_service.domain import deprecations as domain
from datacompass.catalog.v1 import catalog_pb2 as pb
from datacompass.catalog.v1 import catalog_pb2_grpc
from datacompass.common.v1 import refs_pb2
from dckit.clock import ManualClock
from dckit.errors import InvalidArgument
from dckit.event_catalogue import DEPRECATION_DEADLINE_APPROACHING

Stub = catalog_pb2_grpc.CatalogServiceStub
ORDERS_URN = "urn:dcs:postgres:table:shop.sales:orders"
TODAY = date(2031, 3, 10)


def ref(name: str) -> refs_pb2.ObjectRef:
    return refs_pb2.ObjectRef(qualified_name=name)


ACTIVE = pb.DEPRECATION_STATUS_ACTIVE
DEADLINE_PASSED = pb.DEPRECATION_STATUS_DEADLINE_PASSED
WITHDRAWN = pb.DEPRECATION_STATUS_WITHDRAWN


def at(day: date) -> datetime:
    """Noon UTC of `day`: deadlines are UTC dates."""
    return datetime.combine(day, time(12), tzinfo=UTC)


@pytest.fixture
async def shop(stub: Stub, source_db: SourceDb, service: CatalogService) -> Stub:
    await create_source(stub, "shop", source_db.connection())
    run = await stub.StartScan(pb.StartScanRequest(source_name="shop", wait=True))
    assert run.status == pb.SCAN_STATUS_SUCCEEDED, run.error
    service.deprecations.clock = ManualClock(at(TODAY))
    return stub


def in_days(n: int) -> str:
    return (TODAY + timedelta(days=n)).isoformat()


async def notices(conn: asyncpg.Connection) -> list[pb.DeprecationDeadlineApproaching]:
    out = []
    for row in await outbox_rows(conn):
        if row["event_type"] == DEPRECATION_DEADLINE_APPROACHING.name:
            payload = pb.DeprecationDeadlineApproaching()
            env = envelope(row["payload"])
            assert env.data.Unpack(payload) and env.subject == payload.deprecation.object_urn
            out.append(payload)
    return out


async def test_deprecate_show_list_withdraw_audited(
    shop: Stub, catalog_db: asyncpg.Connection
) -> None:
    dep = await shop.DeprecateObject(
        pb.DeprecateObjectRequest(
            ref=ref("shop.sales.orders"),
            deadline=in_days(30),
            replacement=ref("shop.sales.big_orders"),
            message="use big_orders",
        )
    )
    assert (dep.object_urn, dep.object_ref, dep.deadline) == (
        ORDERS_URN,
        "shop.sales.orders",
        "2031-04-09",
    )
    assert dep.status == ACTIVE and dep.days_left == 30 and dep.last_notice_days == 0
    assert dep.replacement_ref == "shop.sales.big_orders"
    assert dep.replacement_urn == "urn:dcs:postgres:view:shop.sales:big_orders"
    assert dep.message == "use big_orders" and dep.created_by

    obj = await shop.GetObject(pb.GetObjectRequest(ref=ref("shop.sales.orders")))
    assert obj.HasField("deprecation") and obj.deprecation.id == dep.id
    other = await shop.GetObject(pb.GetObjectRequest(ref=ref("shop.sales.customers")))
    assert not other.HasField("deprecation")

    # Deprecating again updates the open deprecation (one per object).
    again = await shop.DeprecateObject(
        pb.DeprecateObjectRequest(ref=ref(ORDERS_URN), deadline=in_days(20))
    )
    assert again.id == dep.id and again.days_left == 20 and again.replacement_urn == ""
    await shop.DeprecateObject(
        pb.DeprecateObjectRequest(ref=ref("shop.sales.customers"), deadline=in_days(5))
    )
    listed = await shop.ListDeprecations(pb.ListDeprecationsRequest())
    assert [d.object_ref for d in listed.items] == ["shop.sales.customers", "shop.sales.orders"]

    withdrawn = await shop.WithdrawDeprecation(
        pb.WithdrawDeprecationRequest(ref=ref("shop.sales.orders"))
    )
    assert withdrawn.status == WITHDRAWN and withdrawn.withdrawn_at.seconds > 0
    assert withdrawn.withdrawn_by
    shown = await shop.GetDeprecation(pb.GetDeprecationRequest(ref=ref("shop.sales.orders")))
    assert shown.status == WITHDRAWN and shown.id == dep.id
    obj = await shop.GetObject(pb.GetObjectRequest(ref=ref("shop.sales.orders")))
    assert not obj.HasField("deprecation")
    for status, refs in (
        (ACTIVE, ["shop.sales.customers"]),
        (WITHDRAWN, ["shop.sales.orders"]),
        (DEADLINE_PASSED, []),
    ):
        page = await shop.ListDeprecations(pb.ListDeprecationsRequest(status=status))
        assert [d.object_ref for d in page.items] == refs, status

    # A new campaign after a withdrawal starts afresh; the old one stays as history.
    renewed = await shop.DeprecateObject(
        pb.DeprecateObjectRequest(ref=ref("shop.sales.orders"), deadline=in_days(40))
    )
    assert renewed.id != dep.id and renewed.status == ACTIVE
    shown = await shop.GetDeprecation(pb.GetDeprecationRequest(ref=ref("shop.sales.orders")))
    assert shown.id == renewed.id

    rows = await outbox_rows(catalog_db)
    actions = [r.action for r in audit_records(rows) if r.action.startswith("deprecation.")]
    assert actions == [
        "deprecation.create",
        "deprecation.update",
        "deprecation.create",
        "deprecation.withdraw",
        "deprecation.create",
    ]
    (update,) = audit_records(rows, "deprecation.update")
    fields = {c.field: (c.old_json, c.new_json) for c in update.changes}
    assert fields["deadline"] == ('"2031-04-09"', '"2031-03-30"')
    assert update.entity_urn == ORDERS_URN


async def test_validation_errors(shop: Stub) -> None:
    cases = [
        ("shop.sales.orders", in_days(-1), "", grpc.StatusCode.INVALID_ARGUMENT, "past"),
        ("shop.sales.orders", "31/12/2031", "", grpc.StatusCode.INVALID_ARGUMENT, "YYYY-MM-DD"),
        ("shop.sales.orders", "", "", grpc.StatusCode.INVALID_ARGUMENT, "YYYY-MM-DD"),
        (
            "shop.sales.orders",
            in_days(3),
            "shop.sales.nope",
            grpc.StatusCode.INVALID_ARGUMENT,
            "not in the catalog",
        ),
        (
            "shop.sales.orders",
            in_days(3),
            ORDERS_URN,
            grpc.StatusCode.INVALID_ARGUMENT,
            "own replacement",
        ),
        ("shop.sales.nope", in_days(3), "", grpc.StatusCode.NOT_FOUND, "not found"),
    ]
    for name, deadline, replacement, code, text in cases:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await shop.DeprecateObject(
                pb.DeprecateObjectRequest(
                    ref=ref(name), deadline=deadline, replacement=ref(replacement)
                )
            )
        assert err.value.code() == code and text in (err.value.details() or ""), name
    # Today is a valid deadline.
    dep = await shop.DeprecateObject(
        pb.DeprecateObjectRequest(ref=ref("shop.sales.orders"), deadline=in_days(0))
    )
    assert dep.days_left == 0 and dep.status == ACTIVE
    for call, code in (
        # A status this build does not know (a newer client's).
        (shop.ListDeprecations(pb.ListDeprecationsRequest(status=99)), "INVALID_ARGUMENT"),
        (
            shop.GetDeprecation(pb.GetDeprecationRequest(ref=ref("shop.sales.customers"))),
            "NOT_FOUND",
        ),
        (
            shop.WithdrawDeprecation(
                pb.WithdrawDeprecationRequest(ref=ref("shop.sales.customers"))
            ),
            "NOT_FOUND",
        ),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await call
        assert err.value.code().name == code


async def test_deadline_notices_once_per_threshold(
    shop: Stub, service: CatalogService, catalog_db: asyncpg.Connection
) -> None:
    clock = ManualClock(at(TODAY))
    service.deprecations.clock = clock
    await shop.DeprecateObject(
        pb.DeprecateObjectRequest(ref=ref("shop.sales.orders"), deadline=in_days(10))
    )
    await shop.DeprecateObject(
        pb.DeprecateObjectRequest(ref=ref("shop.sales.customers"), deadline=in_days(1))
    )
    # customers is within a day: only the most urgent notice (1), never a stale 7-day one.
    assert await service.deprecations.notify_due() == 1
    assert await service.deprecations.notify_due() == 0

    # Three "replicas" (separate use-case objects, separate sessions) at once, 3 days later:
    # orders is now within 7 days; exactly one of them sends its notice.
    clock.now = at(TODAY + timedelta(days=3))
    replicas = [
        DeprecationUseCases(service.tx, payload=deadline_approaching, clock=clock) for _ in range(3)
    ]
    assert sum(await asyncio.gather(*(r.notify_due() for r in replicas))) == 1
    # A restarted process (a fresh instance) repeats nothing.
    assert await replicas[0].notify_due() == 0

    clock.now = at(TODAY + timedelta(days=9))  # 1 day left for orders
    assert await service.deprecations.notify_due() == 1
    clock.now = at(TODAY + timedelta(days=11))  # passed: no more notices
    assert await service.deprecations.notify_due() == 0
    status = await shop.GetDeprecation(pb.GetDeprecationRequest(ref=ref("shop.sales.orders")))
    assert status.status == DEADLINE_PASSED and status.days_left == -1
    assert status.last_notice_days == 1
    passed = await shop.ListDeprecations(pb.ListDeprecationsRequest(status=DEADLINE_PASSED))
    assert {d.object_ref for d in passed.items} == {"shop.sales.orders", "shop.sales.customers"}

    sent = await notices(catalog_db)
    assert [(n.deprecation.object_ref, n.threshold_days) for n in sent] == [
        ("shop.sales.customers", 1),
        ("shop.sales.orders", 7),
        ("shop.sales.orders", 1),
    ]
    assert sent[1].deprecation.days_left == 7 and sent[2].deprecation.days_left == 1

    # A new deadline means new notices.
    clock.now = at(TODAY)
    await shop.DeprecateObject(
        pb.DeprecateObjectRequest(ref=ref("shop.sales.orders"), deadline=in_days(12))
    )
    clock.now = at(TODAY + timedelta(days=6))
    assert await service.deprecations.notify_due() == 1
    # Withdrawn deprecations get none.
    await shop.WithdrawDeprecation(pb.WithdrawDeprecationRequest(ref=ref("shop.sales.orders")))
    clock.now = at(TODAY + timedelta(days=11))
    assert await service.deprecations.notify_due() == 0


def test_domain_rules() -> None:
    assert domain.parse_deadline("2031-03-10", on=TODAY) == TODAY
    with pytest.raises(InvalidArgument, match="past"):
        domain.parse_deadline("2031-03-09", on=TODAY)
    assert domain.status(TODAY, False, on=TODAY) == "active"
    assert domain.status(TODAY, False, on=TODAY + timedelta(days=1)) == "deadline_passed"
    assert domain.status(TODAY, True, on=TODAY) == "withdrawn"
    with pytest.raises(InvalidArgument):
        domain.clean_message("x" * (domain.MAX_MESSAGE + 1))
