"""Search latency over a large catalog: p50/p95 of ranked search (`ListObjects` over gRPC: the
tiered search index of catalog db/search.py) and of search with facets, on N generated objects.
Goals (issue 18): p95 < 25 ms and facets p95 < 50 ms at 100k objects, p95 < 100 ms at 1M.

Baseline (same run, same table): the walking skeleton's search, a bare
`lower(ref) LIKE '%term%'` scan ordered by ref, run directly with asyncpg — no gRPC, no ranking."""

from __future__ import annotations

import statistics
import time
import uuid
from typing import Any

import asyncpg

from bench.servers import Servers
from catalog_service.app import running
from catalog_service.config import CatalogSettings
from datacompass.catalog.v1 import catalog_pb2 as pb
from datacompass.catalog.v1 import catalog_pb2_grpc
from dckit.crypto import SecretBox
from dckit.grpc_client import channel
from devstack.embedded import free_port
from devstack.urls import with_database

QUERIES = ["orders", "customer", "ordres", "payment status", "inventory_daily", "zzzz", "ship"]

GENERATE = """
WITH words(w) AS (SELECT unnest($2::text[])),
     numbered AS (SELECT array_agg(w) AS ws FROM words)
INSERT INTO catalog.objects (source_id, schema_name, name, object_type, ref, urn,
                             content_hash, column_names, source_metadata)
SELECT $1, 's' || (i % 50),
       ws[1 + i % cardinality(ws)] || '_' || ws[1 + (i / 7) % cardinality(ws)] || '_' || i,
       CASE WHEN i % 5 = 0 THEN 'view' ELSE 'table' END,
       'bench.s' || (i % 50) || '.' || ws[1 + i % cardinality(ws)] || '_'
           || ws[1 + (i / 7) % cardinality(ws)] || '_' || i,
       'urn:dcs:postgres:table:bench.s' || (i % 50) || ':o' || i,
       md5(i::text),
       'id ' || ws[1 + (i / 3) % cardinality(ws)] || '_id amount created_at',
       jsonb_build_object('comment', 'generated object ' || i || ' about '
                          || ws[1 + (i / 11) % cardinality(ws)])
FROM numbered, generate_series(1, $3) AS i
"""
WORDS = [
    "order", "order_items", "customer", "payment", "invoice", "shipment", "product",
    "inventory", "daily", "status", "refund", "account", "session", "event", "campaign",
    "supplier", "warehouse", "ledger", "price", "region",
]  # fmt: skip
BASELINE_SQL = """
SELECT id, ref FROM catalog.objects
WHERE NOT deleted AND lower(ref) LIKE '%' || $1 || '%'
ORDER BY ref LIMIT 50
"""


def _pct(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


async def run(servers: Servers, objects: int = 100_000, repeat: int = 20) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:8]
    catalog_db = f"bench_search_{tag}"
    admin = await asyncpg.connect(servers.database_url)
    await admin.execute(f'CREATE DATABASE "{catalog_db}"')
    await admin.close()
    url = with_database(servers.database_url, catalog_db)
    try:
        settings = CatalogSettings(
            database_url=url,
            nats_url=servers.nats_url,
            nats_stream=f"BENCHS{tag.upper()}",
            event_subject_prefix=f"benchs{tag}",
            grpc_port=free_port(),
            metrics_port=0,
            encryption_key=SecretBox.generate_key(),
        )
        async with running(settings):
            conn = await asyncpg.connect(url)
            source_id = await conn.fetchval(
                "INSERT INTO catalog.sources (name, source_type, connection_encrypted) "
                "VALUES ('bench', 'postgres', '\\x00') RETURNING id"
            )
            load_start = time.perf_counter()
            await conn.execute(GENERATE, source_id, WORDS, objects - 1)
            await conn.execute(
                "INSERT INTO catalog.objects (source_id, schema_name, name, object_type, ref, "
                "urn, content_hash) VALUES ($1, 'public', 'orders', 'table', "
                "'bench.public.orders', 'urn:dcs:postgres:table:bench.public:orders', 'x')",
                source_id,
            )
            await conn.execute("VACUUM ANALYZE catalog.objects")
            load_seconds = time.perf_counter() - load_start
            trigram = bool(
                await conn.fetchval("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'")
            )
            chan = channel(f"127.0.0.1:{settings.grpc_port}", default_timeout=120)
            stub = catalog_pb2_grpc.CatalogServiceStub(chan)
            ranked: list[float] = []
            baseline: list[float] = []
            first_hit = ""
            for _ in range(repeat):
                for q in QUERIES:
                    start = time.perf_counter()
                    resp = await stub.ListObjects(pb.ListObjectsRequest(query=q))
                    ranked.append(time.perf_counter() - start)
                    if q == "orders":
                        first_hit = resp.items[0].ref
                    start = time.perf_counter()
                    await conn.fetch(BASELINE_SQL, q)
                    baseline.append(time.perf_counter() - start)
            facets: list[float] = []
            for _ in range(repeat):
                start = time.perf_counter()
                await stub.ListObjects(pb.ListObjectsRequest(query="order", include_facets=True))
                facets.append(time.perf_counter() - start)
            await chan.close()
            await conn.close()
        return {
            "benchmark": "search",
            "objects": objects,
            "pg_trgm": trigram,
            "load_seconds": round(load_seconds, 1),
            "queries": len(ranked),
            "orders_first_hit": first_hit,
            "ranked_p50_ms": round(statistics.median(ranked) * 1000, 2),
            "ranked_p95_ms": round(_pct(ranked, 95) * 1000, 2),
            "ranked_with_facets_p50_ms": round(statistics.median(facets) * 1000, 2),
            "ranked_with_facets_p95_ms": round(_pct(facets, 95) * 1000, 2),
            "baseline_like_p50_ms": round(statistics.median(baseline) * 1000, 2),
            "baseline_like_p95_ms": round(_pct(baseline, 95) * 1000, 2),
            "p50_vs_baseline": round(statistics.median(ranked) / statistics.median(baseline), 2),
            "p95_vs_baseline": round(_pct(ranked, 95) / _pct(baseline, 95), 2),
        }
    finally:
        admin = await asyncpg.connect(servers.database_url)
        await admin.execute(f'DROP DATABASE IF EXISTS "{catalog_db}" WITH (FORCE)')
        await admin.close()
