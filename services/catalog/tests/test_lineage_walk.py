"""The lineage walk visits objects, not paths (issue 20): with one edge per view column a
path walk grew as columns^depth rows (~10^13 at depth 10) and one viewer could exhaust the
database; the walk's work now grows with objects x depth."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator

import asyncpg
import pytest

from catalog_service.db.lineage import LineageRepository
from dckit.db import Database

pytestmark = pytest.mark.timeout(120)

HOPS, COLUMNS = 11, 30


@pytest.fixture
async def chain(service_database: str) -> AsyncIterator[tuple[Database, list[int]]]:
    """Objects o0 → o1 → ... → o10, each hop a table-level edge plus one edge per column,
    and a cycle back from the end to the start."""
    conn = await asyncpg.connect(service_database)
    try:
        source = await conn.fetchval(
            "INSERT INTO catalog.sources (name, source_type, connection_encrypted) "
            "VALUES ('lin', 'postgres', '\\x00') RETURNING id"
        )
        ids = [
            await conn.fetchval(
                "INSERT INTO catalog.objects (source_id, schema_name, name, object_type, ref, "
                "urn, content_hash) VALUES ($1, 's', $2, 'view', $3, $4, '') RETURNING id",
                source,
                f"o{i}",
                f"lin.s.o{i}",
                f"urn:dcs:postgres:view:lin.s:o{i}",
            )
            for i in range(HOPS)
        ]
        rows = []
        for up, down in [*itertools.pairwise(ids), (ids[-1], ids[0])]:
            rows.append((up, down, "", ""))
            rows += [(up, down, f"c{c}", f"c{c}") for c in range(COLUMNS)]
        await conn.executemany(
            "INSERT INTO catalog.lineage_edges (upstream_id, downstream_id, edge_type, "
            "upstream_column, downstream_column, origin) VALUES ($1, $2, 'flows_to', $3, $4, "
            "'view')",
            rows,
        )
    finally:
        await conn.close()
    db = Database(service_database, instrument=False)
    try:
        yield db, ids
    finally:
        await db.dispose()


async def test_a_deep_walk_over_column_edges_is_fast_and_complete(
    chain: tuple[Database, list[int]],
) -> None:
    db, ids = chain
    began = time.monotonic()
    async with db.session() as session:
        walk = LineageRepository(session).walk(ids[0], "downstream", 10, 0, 10_000)
        edges = await asyncio.wait_for(walk, timeout=10)
    print(f"depth-10 walk over {len(edges)} edges: {time.monotonic() - began:.3f}s")
    per_hop = COLUMNS + 1
    assert len(edges) == 10 * per_hop  # every edge once, the cycle's last hop beyond depth 10
    assert [e["depth"] for e in edges] == sorted(e["depth"] for e in edges)
    assert {e["depth"] for e in edges} == set(range(1, 11))
    first = [e for e in edges if e["depth"] == 1]
    assert {e["downstream_ref"] for e in first} == {"lin.s.o1"}
    assert len(first) == per_hop

    async with db.session() as session:  # upstream: o0 is reached through the cycle
        up = await asyncio.wait_for(
            LineageRepository(session).walk(ids[0], "upstream", 2, 0, 10_000), timeout=10
        )
    assert sorted({(e["depth"], e["upstream_ref"]) for e in up}) == [
        (1, "lin.s.o10"),
        (2, "lin.s.o9"),
    ]

    async with db.session() as session:  # paging: offset and limit over the same order
        repo = LineageRepository(session)
        page = await repo.walk(ids[0], "downstream", 10, per_hop, per_hop)
    assert page == edges[per_hop : 2 * per_hop]
