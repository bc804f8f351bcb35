"""DQ, check and profile runs are leased (dckit.leases, time driven by a ManualClock): a run whose
process stopped heart-beating is failed once its kind's stale timeout passes, a held one is not;
a lost DQ run announces its failure. Objects are keyed by URN: migration 0003 derives the URNs
it can, the service completes the others through the catalog."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path

import asyncpg
from quality_testkit import OBJ, REF, Stack, outbox_events

from datacompass.quality.v1 import dq_pb2 as pb
from datacompass.quality.v1 import quality_rules_pb2 as cpb
from dckit.clock import ManualClock
from dckit.migrations import upgrade
from devstack.testing import scratch_database
from quality_service.adapters.catalog_grpc import GrpcCatalog
from quality_service.app import MIGRATIONS, RunLeases, run_leases
from quality_service.application.object_urns import ObjectUrnUseCases
from quality_service.db.tables import SCHEMA


def _leases(stack: Stack, clock: ManualClock, worker: str) -> RunLeases:
    leases = run_leases(stack.service.tx, stack.service.settings, worker, clock)
    leases.dq.on_lost = stack.service.runs.lost
    return leases


async def _forever() -> None:
    await asyncio.Event().wait()


async def test_runs_whose_process_died_are_failed_after_their_kind_s_timeout(stack: Stack) -> None:
    # Real now: the service's own sweeps (database time) must not see these runs as stale.
    clock = ManualClock(datetime.now(UTC))
    dead = _leases(stack, clock, "dead-worker")
    alive = _leases(stack, clock, "live-worker")
    config = await stack.config()
    async with stack.service.tx() as uow:
        lost_dq = await uow.dq_runs.insert(
            {"config_id": config.id, "start_date": date(2026, 1, 1), "end_date": date(2026, 1, 1),
             "status": "running", **dead.dq.stamp()}
        )  # fmt: skip
        lost_check = await uow.quality_checks.insert_run(
            {"object_urn": "u", "object_ref": REF, "status": "running", **dead.checks.stamp()}
        )
        held_check = await uow.quality_checks.insert_run(
            {"object_urn": "u", "object_ref": REF, "status": "running", **alive.checks.stamp()}
        )
        lost_profile = await uow.profiles.insert_run(
            {"object_urn": "u", "object_ref": REF, "status": "running", **dead.profiles.stamp()}
        )
    holder = asyncio.create_task(_forever())
    alive.checks.hold(held_check["id"], holder)
    settings = stack.service.settings
    try:
        clock.advance(settings.run_stale_seconds + 1)  # DQ runs: 60 s without a heartbeat
        assert [r["id"] for r in await alive.dq.sweep("lost")] == [lost_dq["id"]]
        assert await alive.checks.sweep("lost") == []  # check runs allow an hour
        assert await alive.profiles.sweep("lost") == []  # profile runs ten minutes
        # The live holder keeps its lease fresh; the dead worker's runs go stale.
        for _ in range(int(settings.check_stale_seconds // 30)):
            clock.advance(30)
            await alive.checks.renew()
        profiles = await alive.profiles.sweep("interrupted: its process stopped")
        checks = await alive.checks.sweep("interrupted: its process stopped")
        assert [r["id"] for r in profiles] == [lost_profile["id"]]
        assert [r["id"] for r in checks] == [lost_check["id"]]
    finally:
        holder.cancel()

    run = await stack.dq.GetRun(pb.GetRunRequest(id=lost_dq["id"]))
    assert run.status == pb.DQ_RUN_STATUS_FAILED and run.error == "lost"
    (failed,) = await outbox_events(stack, "datacompass.quality.run.failed")
    announced = pb.RunFinished()
    failed.data.Unpack(announced)
    assert announced.run.id == run.id and failed.subject == config.object_urn
    got = await stack.rules.GetCheckRun(cpb.GetCheckRunRequest(id=lost_check["id"]))
    assert got.status == cpb.CHECK_RUN_STATUS_ERROR and "interrupted" in got.error
    held = await stack.rules.GetCheckRun(cpb.GetCheckRunRequest(id=held_check["id"]))
    assert held.status == cpb.CHECK_RUN_STATUS_RUNNING
    profile = await stack.rules.GetProfileRun(cpb.GetProfileRunRequest(id=lost_profile["id"]))
    assert profile.status == cpb.PROFILE_RUN_STATUS_FAILED


async def test_rows_without_a_urn_get_it_from_the_catalog_at_start_up(stack: Stack) -> None:
    config = await stack.config()
    await stack.own_sql(
        "INSERT INTO quality.quality_rules (object_ref, source_name, name, rule_type, category,"
        " config) VALUES ($1, 'shop', 'legacy', 'not_null', 'completeness', '{}'),"
        " ('shop.sales.gone', 'shop', 'orphan', 'not_null', 'completeness', '{}')",
        REF,
    )
    listed = await stack.rules.ListQualityRules(cpb.ListQualityRulesRequest(object=OBJ))
    assert list(listed.items) == []  # keyed by URN: not found by it yet

    left = await ObjectUrnUseCases(stack.service.tx, GrpcCatalog(stack.catalog)).complete()
    assert left == ["shop.sales.gone"]  # the catalog does not know it: it stays ''
    listed = await stack.rules.ListQualityRules(cpb.ListQualityRulesRequest(object=OBJ))
    assert [r.name for r in listed.items] == ["legacy"]
    assert listed.items[0].object_urn == config.object_urn


async def test_migration_0003_derives_urns_from_the_rows_that_have_them(
    database_server_url: str,
) -> None:
    async with scratch_database(database_server_url, prefix="dc_qmig") as url:
        await _upgrade(url, "0002")
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(
                """
                INSERT INTO quality.profile_runs (id, object_ref, object_urn, status)
                VALUES (1, 'shop.s.a', 'urn:a', 'succeeded');
                INSERT INTO quality.column_profiles (profile_run_id, object_ref, column_name, stats)
                VALUES (1, 'shop.s.a', 'x', '{}');
                INSERT INTO quality.quality_check_runs (object_ref, object_urn, status)
                VALUES ('shop.s.a', '', 'passed'), ('shop.s.b', '', 'passed');
                """
            )
            await _upgrade(url, "head")
            rows = await conn.fetch(
                "SELECT object_ref, object_urn FROM quality.column_profiles UNION ALL"
                " SELECT object_ref, object_urn FROM quality.quality_check_runs ORDER BY 1, 2"
            )
        finally:
            await conn.close()
    assert [tuple(r) for r in rows] == [
        ("shop.s.a", "urn:a"),  # the column profile: from its profile run
        ("shop.s.a", "urn:a"),  # the check run: from another row of its ref
        ("shop.s.b", ""),  # nothing knows it: the service completes it at start-up
    ]


async def _upgrade(url: str, revision: str) -> None:
    await asyncio.to_thread(upgrade, Path(MIGRATIONS), url, SCHEMA, revision)
