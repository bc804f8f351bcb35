"""The PostgreSQL search index (application/ports.py `SearchIndex`): ranked search in tiers and
facet counts, every tier one index probe with a bounded candidate set, so a search costs the
same at 1M objects as at 10k. No contrib extension is needed (pg_trgm or not, one code path).

Tiers (domain/search.py `Tier`): exact name or ref/URN (btree), name prefix (btree range over
`lower(name) text_pattern_ops`), every query word starting a name word (GIN on the name's
words), ... a word of the name, columns or tags (the weighted `search_vector`, weights A/B),
... of anything indexed (A/B/C), a linked business term, then one typo in a name word (the
`search_tokens` symmetric-delete dictionary, a btree probe). Each tier yields at most
`TIER_CAP` candidates (more when a page reaches deeper); within a tier hits order by full-text
rank where it tells something, then shorter name, then ref."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.db.tables import objects, sources
from catalog_service.domain.search import SearchQuery, Tier, deletions, one_edit
from dckit.db import fetch_all

Record = dict[str, Any]
Facets = dict[str, list[tuple[str, int]]]

TIER_CAP = 200  # candidates per tier: ranks within a tier come from at most this many
FACET_CAP = 2_000  # facet counts are exact up to this many matches of each tier
FACET_LIMIT = 50  # values per facet
EXPAND_LIMIT = 50  # name words a query word may expand to before it becomes a prefix scan
SEARCH_COLUMNS = ("search_text", "search_vector", "name_trigrams")
OBJECT_COLUMNS = [
    *(c for c in objects.c if c.name not in SEARCH_COLUMNS),
    sources.c.name.label("source_name"),
    sources.c.source_type.label("source_type"),
]

NAME_WORDS = "to_tsvector('simple', o.name)"  # ix_objects_name_words (migration 0009)


class PostgresSearchIndex:
    """Search over catalog.objects in the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def search(
        self,
        *,
        query: str,
        source: str,
        object_type: str,
        include_deleted: bool,
        offset: int,
        count: int,
    ) -> list[Record]:
        """Hits `offset`..`offset + count` in rank order (all objects by ref when no query).
        Tiers run in order and stop once the page is full: a later tier cannot reach it."""
        q = SearchQuery.parse(query)
        filters, params = _filters(source, object_type, include_deleted)
        if not q.term:
            sql = (
                f"SELECT o.id FROM catalog.objects o WHERE {filters} "
                "ORDER BY o.ref, o.id OFFSET :offset LIMIT :count"
            )
            rows = await self.s.execute(text(sql), {**params, "offset": offset, "count": count})
            return await self._records(list(rows.scalars().all()))
        params["cap"] = max(TIER_CAP, offset + count)
        ids: dict[int, None] = {}  # hits in rank order
        for _, where, score, order in await self._tiers(q, filters, params, ranked=True):
            sql = (
                f"SELECT id FROM (SELECT o.id, {score}::real AS score, length(o.name) AS len, "
                f"o.ref FROM catalog.objects o WHERE {where} AND {filters}{order} LIMIT :cap) t "
                "ORDER BY score, len, ref, id"
            )
            for object_id in (await self.s.execute(text(sql), params)).scalars().all():
                ids.setdefault(object_id)
            if len(ids) >= offset + count:
                break
        return await self._records(list(ids)[offset : offset + count])

    async def facets(
        self, *, query: str, source: str, object_type: str, include_deleted: bool
    ) -> Facets:
        """Counts per source, type, schema and tag over what the search matches (exact up to
        `FACET_CAP` matches per tier; beyond, over the first `FACET_CAP` found)."""
        q = SearchQuery.parse(query)
        filters, params = _filters(source, object_type, include_deleted)
        fields = "o.id, o.source_id, o.object_type, o.schema_name, o.tags"
        if q.term:
            params["cap"] = FACET_CAP
            matched = " UNION ".join(
                f"(SELECT {fields} FROM catalog.objects o WHERE {where} AND {filters} LIMIT :cap)"
                for _, where, _, _ in await self._tiers(q, filters, params, ranked=False)
            )
        else:
            matched = f"SELECT {fields} FROM catalog.objects o WHERE {filters}"
        sql = (
            f"WITH r AS MATERIALIZED ({matched}), counts AS ("
            "SELECT 'source' AS facet, source_id::text AS value, count(*) AS n FROM r GROUP BY 2 "
            "UNION ALL SELECT 'type', object_type, count(*) FROM r GROUP BY 2 "
            "UNION ALL SELECT 'schema', schema_name, count(*) FROM r GROUP BY 2 "
            "UNION ALL SELECT 'tag', t, count(*) FROM r, jsonb_array_elements_text(r.tags) t "
            "GROUP BY 2) "
            "SELECT c.facet, CASE WHEN c.facet = 'source' THEN s.name ELSE c.value END, c.n "
            "FROM counts c LEFT JOIN catalog.sources s "
            "ON c.facet = 'source' AND s.id::text = c.value"
        )
        out: Facets = {"source": [], "type": [], "schema": [], "tag": []}
        for facet, value, n in (await self.s.execute(text(sql), params)).all():
            out[facet].append((str(value), int(n)))
        return {
            name: sorted(counts, key=lambda c: (-c[1], c[0]))[:FACET_LIMIT]
            for name, counts in out.items()
        }

    # ------------------------------------------------------------ tiers
    async def _tiers(
        self, q: SearchQuery, filters: str, params: dict[str, Any], *, ranked: bool
    ) -> list[tuple[Tier, str, str, str]]:
        """(tier, condition on `o`, score (lower first), ORDER BY of its candidates) per tier,
        best tier first; fills `params`. Unranked (for facets) leaves out the tiers whose
        matches the anything-indexed tier holds too (name words, columns)."""
        params.update(term=q.term, raw=q.raw, lo=q.term, hi=_successor(q.term))
        out = [
            (Tier.EXACT, "(lower(o.name) = :term OR o.ref = :raw OR o.urn = :raw)", "0", ""),
            (
                Tier.NAME_PREFIX,
                "lower(o.name) ~>=~ :lo AND lower(o.name) ~<~ :hi",
                "0",
                # ix_objects_name_prefix's order: a range scan that stops at :cap
                " ORDER BY lower(o.name) USING ~<~" if ranked else "",
            ),
        ]
        if not q.words:
            return out
        params["words"] = " & ".join(f"{w}:*" for w in q.words)
        params["exact_words"] = " & ".join(q.words)
        # Columns/tags and descriptions over the weighted vector: a hit whose words all sit in
        # the name, columns or tags (weights A/B) first, then by rank. Whole words first (GIN
        # exact lexemes are cheap), then words as prefixes (a GIN prefix scan).
        score = (
            "CASE WHEN o.search_vector @@ to_tsquery('simple', :words_ab) THEN 0 ELSE 2 END"
            " - least(ts_rank(o.search_vector, to_tsquery('simple', :words)), 1)"
        )
        text_exact = "o.search_vector @@ to_tsquery('simple', :exact_words)"
        text_prefix = "o.search_vector @@ to_tsquery('simple', :words)"
        expanded = await self._expand(q)
        if ranked:
            params["words_ab"] = " & ".join(f"{w}:*AB" for w in q.words)
            params["name_words"] = " & ".join(expanded[w] for w in q.words)
            out.append(
                (Tier.NAME_WORDS, f"{NAME_WORDS} @@ to_tsquery('simple', :name_words)", "0", "")
            )
            out.append((Tier.TEXT, text_exact, score, ""))
        out.append((Tier.TEXT, text_prefix, score, ""))
        out.append(
            (
                Tier.GLOSSARY,
                "o.id IN (SELECT l.object_id FROM catalog.term_links l "
                "JOIN catalog.business_terms t ON t.id = l.term_id "
                "WHERE t.search_vector @@ to_tsquery('english', :words))",
                "0",
                "",
            )
        )
        typos = await self._typo_query(q, expanded)
        if typos:
            params["typos"] = typos
            out.append((Tier.TYPO, f"{NAME_WORDS} @@ to_tsquery('simple', :typos)", "0", ""))
        return out

    async def _expand(self, q: SearchQuery) -> dict[str, str]:
        """Each query word as a tsquery over name words: the stored name words it starts, as
        exact lexemes `(word | words...)`, or `word:*` (a GIN prefix scan) when it is too short
        for the dictionary or starts more than `EXPAND_LIMIT` of them."""
        out = {}
        for word in q.words:
            out[word] = f"{word}:*"
            if word not in q.typo_words:
                continue
            rows = await self.s.execute(
                text(
                    "SELECT token FROM catalog.search_tokens WHERE variant = token "
                    "AND variant >= :lo AND variant < :hi LIMIT :n"
                ),
                {"lo": word, "hi": _successor(word), "n": EXPAND_LIMIT + 1},
            )
            tokens = sorted(set(rows.scalars().all()) | {word})
            if len(tokens) <= EXPAND_LIMIT:
                out[word] = "(" + " | ".join(tokens) + ")"
        return out

    async def _typo_query(self, q: SearchQuery, expanded: dict[str, str]) -> str:
        """A tsquery with each query word or a stored name word one edit away from it; ""
        when no word has such a neighbour."""
        words = q.typo_words
        if not words:
            return ""
        variants = sorted(set().union(*(deletions(w) for w in words)))
        stored = (
            (
                await self.s.execute(
                    text(
                        "SELECT DISTINCT token FROM catalog.search_tokens WHERE variant = ANY(:v)"
                    ),
                    {"v": variants},
                )
            )
            .scalars()
            .all()
        )
        found = False
        parts = []
        for word in q.words:
            near = sorted(t for t in stored if t != word and one_edit(word, t))
            found = found or bool(near)
            parts.append("(" + " | ".join([expanded[word], *near]) + ")")
        return " & ".join(parts) if found else ""

    async def _records(self, ids: Sequence[int]) -> list[Record]:
        if not ids:
            return []
        stmt = (
            select(*OBJECT_COLUMNS)
            .join(sources, sources.c.id == objects.c.source_id)
            .where(objects.c.id.in_(bindparam("ids", expanding=True)))
        )
        rows = {r["id"]: r for r in await fetch_all(self.s, stmt, {"ids": list(ids)})}
        return [rows[i] for i in ids if i in rows]


def _filters(source: str, object_type: str, include_deleted: bool) -> tuple[str, dict[str, Any]]:
    """SQL conditions on `o` for the request's filters, with their parameters."""
    conditions = ["true"]
    params: dict[str, Any] = {}
    if source:
        conditions.append("o.source_id = (SELECT id FROM catalog.sources WHERE name = :source)")
        params["source"] = source
    if object_type:
        conditions.append("o.object_type = :object_type")
        params["object_type"] = object_type
    if not include_deleted:
        conditions.append("NOT o.deleted")
    return " AND ".join(conditions), params


def _successor(prefix: str) -> str:
    """The least string above every string starting with `prefix` (byte order)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1) if prefix else "\U0010ffff"
