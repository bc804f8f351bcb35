"""Use cases for an object's structure and provenance: constraints (read, declare), indexes,
schema versions and diffs, lineage (traverse, declare) and transformation code."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from catalog_service.application.objects import _require
from catalog_service.application.structure_sync import code_hash
from catalog_service.db.repository import CatalogRepository, Row
from catalog_service.db.structure import StructureRepository
from catalog_service.domain.models import CONSTRAINT_TYPES
from catalog_service.domain.refs import column_urn
from catalog_service.domain.versions import SchemaDiff, diff_snapshots
from dckit import context
from dckit.db import Database
from dckit.errors import InvalidArgument, NotFound
from dckit.outbox import Outbox
from dckit.paging import clamp_limit, decode_cursor, next_cursor

FK_ACTIONS = ("NO ACTION", "RESTRICT", "CASCADE", "SET NULL", "SET DEFAULT")
EDGE_TYPES = ("flows_to", "derived_from", "references")
DIRECTIONS = ("upstream", "downstream")
MAX_DEPTH = 10
DEFAULT_DEPTH = 3
MAX_CODE_BYTES = 1_000_000


@dataclass(frozen=True)
class Lineage:
    urn: str
    edges: list[Row]
    view_parse: Row | None
    cursor: str


class StructureUseCases:
    def __init__(self, db: Database, outbox: Outbox) -> None:
        self.db, self.outbox = db, outbox

    # ------------------------------------------------------------ constraints, indexes
    async def constraints(self, ref: str) -> tuple[Row, list[dict[str, Any]]]:
        async with self.db.session() as session:
            obj = await _require(CatalogRepository(session), ref)
            rows = await StructureRepository(session).list_constraints(obj["id"])
        return obj, [_with_column_urns(obj, r) for r in rows]

    async def add_constraint(self, ref: str, spec: dict[str, Any]) -> dict[str, Any]:
        """A constraint the source does not declare (e.g. a key enforced by the loader)."""
        kind = spec.get("constraint_type", "")
        if kind not in CONSTRAINT_TYPES:
            raise InvalidArgument(
                f"constraint_type must be one of {', '.join(CONSTRAINT_TYPES)}, got {kind!r}"
            )
        cols = [c for c in spec.get("columns", []) if c]
        if not cols:
            raise InvalidArgument("a constraint needs at least one column")
        for action in ("on_delete", "on_update"):
            value = (spec.get(action) or "").upper()
            if value and value not in FK_ACTIONS:
                raise InvalidArgument(f"{action} must be one of {', '.join(FK_ACTIONS)}")
            spec[action] = value or None
        if kind == "check" and not spec.get("check_expression"):
            raise InvalidArgument("a check constraint needs check_expression")
        if kind == "default" and not spec.get("default_expression"):
            raise InvalidArgument("a default constraint needs default_expression")
        async with self.db.session() as session:
            repo = CatalogRepository(session)
            obj = await _require(repo, ref)
            _check_columns(obj, await repo.get_columns(obj), cols)
            target_urn, target_cols = None, []
            if kind == "foreign_key":
                if not spec.get("referenced_object"):
                    raise InvalidArgument("a foreign key needs referenced_object")
                target = await _require(repo, spec["referenced_object"])
                ref_cols = [c for c in spec.get("referenced_columns", []) if c]
                if len(ref_cols) != len(cols):
                    raise InvalidArgument("referenced_columns must name as many columns as columns")
                _check_columns(target, await repo.get_columns(target), ref_cols)
                target_urn = target["urn"]
                target_cols = [column_urn(target_urn, c) for c in ref_cols]
            row = await StructureRepository(session).insert_constraint(
                {
                    "object_id": obj["id"],
                    "origin": "declared",
                    "constraint_type": kind,
                    "name": spec.get("name") or None,
                    "columns": cols,
                    "referenced_object_urn": target_urn,
                    "referenced_column_urns": target_cols,
                    "on_delete": spec["on_delete"] if kind == "foreign_key" else None,
                    "on_update": spec["on_update"] if kind == "foreign_key" else None,
                    "check_expression": spec.get("check_expression") or None,
                    "default_expression": spec.get("default_expression") or None,
                    "enforced": False,
                    "created_by": context.current().actor,
                }
            )
            await self.outbox.audit(
                session,
                action="constraint.declare",
                entity_type="object",
                entity_id=obj["id"],
                entity_urn=obj["urn"],
                changes={"constraint": (None, f"{kind}({', '.join(cols)})")},
            )
        return _with_column_urns(obj, row)

    async def indexes(self, ref: str) -> list[Row]:
        async with self.db.session() as session:
            obj = await _require(CatalogRepository(session), ref)
            return list(await StructureRepository(session).list_indexes(obj["id"]))

    # ------------------------------------------------------------ versions
    async def versions(self, ref: str, limit: int, cursor: str) -> tuple[list[Row], str]:
        limit, offset = clamp_limit(limit), decode_cursor(cursor)
        async with self.db.session() as session:
            obj = await _require(CatalogRepository(session), ref)
            rows = await StructureRepository(session).list_versions(obj["id"], offset, limit + 1)
        page = list(rows[:limit])
        return page, next_cursor(offset, limit, len(page), len(rows) > limit)

    async def version(self, ref: str, version: str) -> Row:
        async with self.db.session() as session:
            obj = await _require(CatalogRepository(session), ref)
            return await _version(StructureRepository(session), obj, version)

    async def diff(
        self, ref: str, from_version: str, to_version: str
    ) -> tuple[Row, Row, SchemaDiff]:
        if not from_version:
            raise InvalidArgument("from_version is required")
        async with self.db.session() as session:
            obj = await _require(CatalogRepository(session), ref)
            repo = StructureRepository(session)
            old = await _version(repo, obj, from_version)
            if to_version:
                new = await _version(repo, obj, to_version)
            else:
                current = (await repo.current_versions([obj["id"]])).get(obj["id"])
                if current is None:
                    raise NotFound(f"object {obj['ref']} has no versions")
                new = current
        return old, new, diff_snapshots(old["schema_snapshot"], new["schema_snapshot"])

    # ------------------------------------------------------------ lineage
    async def lineage(
        self, ref: str, direction: str, depth: int, limit: int, cursor: str
    ) -> Lineage:
        if direction and direction not in DIRECTIONS:
            raise InvalidArgument("direction must be upstream, downstream or empty (both)")
        depth = depth or DEFAULT_DEPTH
        if not 1 <= depth <= MAX_DEPTH:
            raise InvalidArgument(f"depth must be between 1 and {MAX_DEPTH}")
        limit, offset = clamp_limit(limit), decode_cursor(cursor)
        async with self.db.session() as session:
            obj = await _require(CatalogRepository(session), ref)
            repo = StructureRepository(session)
            edges: list[Row] = []
            # Both directions: upstream edges first, then downstream, as one paged list.
            for way in [direction] if direction else list(DIRECTIONS):
                edges.extend(await repo.lineage(obj["id"], way, depth, 0, offset + limit + 1))
            page = edges[offset : offset + limit + 1]
            parse = await repo.view_parse(obj["id"])
        items = page[:limit]
        return Lineage(
            obj["urn"], items, parse, next_cursor(offset, limit, len(items), len(page) > limit)
        )

    async def add_edge(self, spec: dict[str, Any]) -> Row:
        edge_type = spec.get("edge_type") or "flows_to"
        if edge_type not in EDGE_TYPES:
            raise InvalidArgument(f"edge_type must be one of {', '.join(EDGE_TYPES)}")
        confidence = spec.get("confidence") or 1.0
        if not 0 < confidence <= 1:
            raise InvalidArgument("confidence must be in (0, 1]")
        up_col, down_col = spec.get("upstream_column", ""), spec.get("downstream_column", "")
        if bool(up_col) != bool(down_col):
            raise InvalidArgument("a column edge names both upstream_column and downstream_column")
        async with self.db.session() as session:
            repo = CatalogRepository(session)
            up = await _require(repo, spec.get("upstream", ""))
            down = await _require(repo, spec.get("downstream", ""))
            if up["id"] == down["id"]:
                raise InvalidArgument("an edge needs two different objects")
            if up_col:
                _check_columns(up, await repo.get_columns(up), [up_col])
                _check_columns(down, await repo.get_columns(down), [down_col])
            structure = StructureRepository(session)
            await structure.insert_edges(
                [
                    {
                        "upstream_id": up["id"],
                        "downstream_id": down["id"],
                        "edge_type": edge_type,
                        "upstream_column": up_col,
                        "downstream_column": down_col,
                        "origin": "declared",
                        "confidence": confidence,
                        "created_by": context.current().actor,
                    }
                ]
            )
            edges = await structure.lineage(down["id"], "upstream", 1, 0, 1000)
            edge = next(
                e
                for e in edges
                if e["upstream_id"] == up["id"]
                and e["origin"] == "declared"
                and e["edge_type"] == edge_type
                and e["upstream_column"] == up_col
                and e["downstream_column"] == down_col
            )
            await self.outbox.audit(
                session,
                action="lineage.declare",
                entity_type="object",
                entity_id=down["id"],
                entity_urn=down["urn"],
                changes={"upstream": (None, up["urn"])},
            )
        return edge

    # ------------------------------------------------------------ transformation code
    async def code(self, ref: str, limit: int, cursor: str) -> tuple[list[Row], str]:
        limit, offset = clamp_limit(limit), decode_cursor(cursor)
        async with self.db.session() as session:
            obj = await _require(CatalogRepository(session), ref)
            rows = await StructureRepository(session).list_code(obj["id"], offset, limit + 1)
        page = list(rows[:limit])
        return page, next_cursor(offset, limit, len(page), len(rows) > limit)

    async def add_code(self, ref: str, spec: dict[str, str]) -> Row:
        code = spec.get("code_text", "")
        if not code.strip():
            raise InvalidArgument("code_text is required")
        if len(code.encode()) > MAX_CODE_BYTES:
            raise InvalidArgument(f"code_text is limited to {MAX_CODE_BYTES} bytes")
        language = (spec.get("language") or "").strip().lower()
        if not language or len(language) > 32:
            raise InvalidArgument("language is required (e.g. sql, python, dbt), 32 chars max")
        sha = spec.get("git_commit_sha", "")
        if sha and not (7 <= len(sha) <= 40 and all(c in "0123456789abcdef" for c in sha.lower())):
            raise InvalidArgument("git_commit_sha must be 7-40 hex digits")
        async with self.db.session() as session:
            obj = await _require(CatalogRepository(session), ref)
            (row,) = await StructureRepository(session).insert_code(
                [
                    {
                        "object_id": obj["id"],
                        "origin": "declared",
                        "language": language,
                        "code_text": code,
                        "code_hash": code_hash(code),
                        "file_path": spec.get("file_path") or None,
                        "git_repository": spec.get("git_repository") or None,
                        "git_commit_sha": sha.lower() or None,
                        "git_branch": spec.get("git_branch") or None,
                        "created_by": context.current().actor,
                    }
                ]
            )
            await self.outbox.audit(
                session,
                action="transformation_code.add",
                entity_type="object",
                entity_id=obj["id"],
                entity_urn=obj["urn"],
                changes={"code_hash": (None, row["code_hash"])},
            )
        return row


async def _version(repo: StructureRepository, obj: Row, version: str) -> Row:
    version = (version or "").strip().removeprefix("v")
    if not version:
        raise InvalidArgument("version is required")
    row = await repo.get_version(obj["id"], version)
    if row is None:
        raise NotFound(f"object {obj['ref']} has no version {version!r}")
    return row


def _check_columns(obj: Row, columns: Sequence[dict[str, Any]], names: Sequence[str]) -> None:
    known = {c["name"] for c in columns}
    missing = [n for n in names if n not in known]
    if missing:
        raise InvalidArgument(f"object {obj['ref']} has no column(s) {', '.join(missing)}")


def _with_column_urns(obj: Row, row: Row) -> dict[str, Any]:
    return {**row, "column_urns": [column_urn(obj["urn"], c) for c in row["columns"]]}
