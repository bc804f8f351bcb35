"""SQL of metadata completeness. The catalog's own facts are recomputed from its tables in one
statement per batch of objects; the other services' facts are sets of keys in JSONB arrays.
Methods run in the caller's transaction."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

Record = dict[str, Any]

# Which objects a refresh covers (`:urns`, `:source`; `missing`: those without a row yet).
_SCOPES = {
    "urns": "o.urn = ANY(:urns)",
    "source": "o.source_id = (SELECT id FROM catalog.sources WHERE name = :source)",
    "missing": "NOT EXISTS (SELECT 1 FROM catalog.capsule_completeness x WHERE x.object_id = o.id)",
}
_REFRESH = """
INSERT INTO catalog.capsule_completeness AS c
    (object_id, object_urn, has_description, columns, columns_defined, term_links)
SELECT o.id, o.urn,
       coalesce(nullif(o.description, ''), nullif(o.source_metadata->>'comment', '')) IS NOT NULL,
       (SELECT count(*) FROM catalog.columns col WHERE col.object_id = o.id),
       (SELECT count(*) FROM catalog.columns col
          LEFT JOIN catalog.column_semantics cs
            ON cs.object_id = col.object_id AND cs.column_name = col.name
         WHERE col.object_id = o.id
           AND (coalesce(cs.business_definition, '') <> '' OR coalesce(col.comment, '') <> '')),
       (SELECT count(*) FROM catalog.term_links t WHERE t.object_id = o.id)
FROM catalog.objects o
WHERE NOT o.deleted AND {scope}
ON CONFLICT (object_id) DO UPDATE SET
    has_description = excluded.has_description,
    columns = excluded.columns,
    columns_defined = excluded.columns_defined,
    term_links = excluded.term_links,
    updated_at = now()
RETURNING c.object_id
"""
SETS = ("owners", "classified", "policies", "rules")
_ROW = """
SELECT c.*, o.ref AS object_ref, o.layer, s.name AS source_name
FROM catalog.capsule_completeness c
JOIN catalog.objects o ON o.id = c.object_id
JOIN catalog.sources s ON s.id = o.source_id
"""


class CompletenessRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def refresh(self, scope: str, *, urns: Sequence[str] = (), source: str = "") -> list[int]:
        """Recompute the catalog's facts of the objects in `scope` (a row for each object that
        has none); the ids of the rows written."""
        sql = text(_REFRESH.format(scope=_SCOPES[scope]))
        params: dict[str, Any] = {}
        if ":urns" in sql.text:
            params["urns"] = list(urns)
        if ":source" in sql.text:
            params["source"] = source
        result = await self.s.execute(sql, params)
        return [row[0] for row in result]

    async def change_set(self, urn: str, fact: str, key: str, *, present: bool) -> list[int]:
        """Add `key` to (or remove it from) the set `fact` of the capsule `urn`."""
        if fact not in SETS:
            raise ValueError(f"not a set fact: {fact}")
        op = (
            f"(SELECT coalesce(jsonb_agg(DISTINCT v ORDER BY v), '[]'::jsonb) FROM "
            f"jsonb_array_elements_text({fact} || to_jsonb(CAST(:key AS text))) v)"
            if present
            else f"(SELECT coalesce(jsonb_agg(v ORDER BY v), '[]'::jsonb) FROM "
            f"jsonb_array_elements_text({fact}) v WHERE v <> :key)"
        )
        result = await self.s.execute(
            text(
                f"UPDATE catalog.capsule_completeness SET {fact} = {op}, updated_at = now() "
                "WHERE object_urn = :urn RETURNING object_id"
            ),
            {"urn": urn, "key": key},
        )
        return [row[0] for row in result]

    async def set_domain(self, urn: str, domain: str) -> list[int]:
        result = await self.s.execute(
            text(
                "UPDATE catalog.capsule_completeness SET domain = nullif(:domain, ''), "
                "updated_at = now() WHERE object_urn = :urn RETURNING object_id"
            ),
            {"urn": urn, "domain": domain},
        )
        return [row[0] for row in result]

    async def facts(self, object_ids: Sequence[int]) -> list[Record]:
        result = await self.s.execute(
            text("SELECT * FROM catalog.capsule_completeness WHERE object_id = ANY(:ids)"),
            {"ids": list(object_ids)},
        )
        return [dict(row._mapping) for row in result]

    async def all_ids(self) -> list[int]:
        result = await self.s.execute(text("SELECT object_id FROM catalog.capsule_completeness"))
        return [row[0] for row in result]

    async def save_score(self, object_id: int, score: float, missing: Sequence[str]) -> None:
        await self.s.execute(
            text(
                "UPDATE catalog.capsule_completeness SET score = :score, "
                "missing = CAST(:missing AS jsonb) WHERE object_id = :id"
            ),
            {"id": object_id, "score": score, "missing": _json_list(missing)},
        )

    async def of_object(self, object_id: int) -> Record | None:
        result = await self.s.execute(
            text(_ROW + "WHERE c.object_id = :id AND NOT o.deleted"), {"id": object_id}
        )
        row = result.first()
        return dict(row._mapping) if row else None

    async def least_complete(
        self, filters: Mapping[str, str], offset: int, count: int
    ) -> list[Record]:
        """Least complete first (then by ref), of objects not deleted, filtered by `source`,
        `layer`, `domain`, `owner` (any role) when given."""
        where = ["NOT o.deleted"]
        params: dict[str, Any] = {"offset": offset, "count": count}
        if filters.get("source"):
            where.append("s.name = :source")
            params["source"] = filters["source"]
        if filters.get("layer"):
            where.append("o.layer = :layer")
            params["layer"] = filters["layer"]
        if filters.get("domain"):
            where.append("lower(c.domain) = lower(:domain)")
            params["domain"] = filters["domain"]
        if filters.get("owner"):
            where.append(
                "EXISTS (SELECT 1 FROM jsonb_array_elements_text(c.owners) v "
                "WHERE lower(substr(v, strpos(v, ':') + 1)) = lower(:owner))"
            )
            params["owner"] = filters["owner"]
        result = await self.s.execute(
            text(
                _ROW + "WHERE " + " AND ".join(where) + " ORDER BY c.score, o.ref "
                "OFFSET :offset LIMIT :count"
            ),
            params,
        )
        return [dict(row._mapping) for row in result]


def _json_list(values: Sequence[str]) -> str:
    return json.dumps(list(values))
