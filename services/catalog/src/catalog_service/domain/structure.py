"""An object's structure: its versioned shape (schema snapshot and hash), the constraints,
indexes and transformation code a scan records for it, the new schema versions a scan makes,
and the rules for what people declare (constraints, code)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, NamedTuple

from catalog_service.domain.objects import column_urn, object_ref, object_urn
from catalog_service.domain.scans import (
    CONSTRAINT_TYPES,
    ScannedObject,
    digest,
)
from catalog_service.domain.versions import SchemaDiff, diff_snapshots, next_version
from dckit.errors import InvalidArgument

FK_ACTIONS = ("NO ACTION", "RESTRICT", "CASCADE", "SET NULL", "SET DEFAULT")
MAX_CODE_BYTES = 1_000_000
SCANNED, DECLARED = "scanned", "declared"


class KnownObject(NamedTuple):
    """An object of the scanned source as stored: what scan-time rows point at."""

    id: int
    urn: str
    object_type: str


# (schema, name) -> the stored object, for every object of one source
ObjectIndex = dict[tuple[str, str], KnownObject]


# ------------------------------------------------------------ the versioned shape
def schema_snapshot(obj: ScannedObject) -> dict[str, Any]:
    """The versioned shape of an object, as JSON-ready data."""
    return {
        "object_type": obj.object_type,
        "columns": [
            {
                "name": c.name,
                "data_type": c.data_type,
                "nullable": c.nullable,
                "default": c.default_expression,
            }
            for c in sorted(obj.columns, key=lambda c: c.ordinal)
        ],
        "constraints": sorted(
            (
                {
                    "type": c.constraint_type,
                    "name": c.name,
                    "columns": list(c.columns),
                    "references": (
                        f"{c.referenced_schema}.{c.referenced_table}({','.join(c.referenced_columns)})"
                        if c.referenced_table
                        else None
                    ),
                    "check": c.check_expression,
                }
                for c in obj.constraints
                if c.constraint_type not in ("not_null", "default")  # already on the columns
            ),
            key=lambda c: (c["type"], c["name"] or "", c["columns"]),
        ),
        "indexes": sorted(
            (
                {
                    "name": i.name,
                    "type": i.index_type,
                    "unique": i.unique,
                    "columns": list(i.columns),
                    "expressions": list(i.expressions),
                    "predicate": i.predicate,
                }
                for i in obj.indexes
            ),
            key=lambda i: i["name"],
        ),
        "partitioning": asdict(obj.partitioning) if obj.partitioning else None,
        "definition": obj.definition,
    }


def schema_hash(obj: ScannedObject) -> str:
    """Digest of the schema alone (no comments, owner or statistics): a new version of the
    object is recorded exactly when this changes."""
    return digest(schema_snapshot(obj))


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


# ------------------------------------------------------------ what a scan records
def scanned_constraints(
    source: Mapping[str, Any], known: ObjectIndex, object_id: int, obj: ScannedObject
) -> list[dict[str, Any]]:
    rows = []
    for con in obj.constraints:
        target_urn, target_cols = None, []
        if con.referenced_table:
            key = (con.referenced_schema or obj.schema, con.referenced_table)
            # A target outside the scanned schemas still gets its would-be URN.
            target_urn = (
                known[key].urn
                if key in known
                else object_urn(source["source_type"], "table", source["name"], *key)
            )
            target_cols = [column_urn(target_urn, c) for c in con.referenced_columns]
        rows.append(
            {
                "object_id": object_id,
                "origin": SCANNED,
                "constraint_type": con.constraint_type,
                "name": con.name,
                "columns": list(con.columns),
                "referenced_object_urn": target_urn,
                "referenced_column_urns": target_cols,
                "on_delete": con.on_delete,
                "on_update": con.on_update,
                "check_expression": con.check_expression,
                "default_expression": con.default_expression,
                "deferrable": con.deferrable,
                "enforced": con.enforced,
            }
        )
    return rows


def scanned_indexes(object_id: int, obj: ScannedObject) -> list[dict[str, Any]]:
    return [
        {
            "object_id": object_id,
            "name": i.name,
            "index_type": i.index_type,
            "is_unique": i.unique,
            "is_primary": i.primary,
            "columns": list(i.columns),
            "expressions": list(i.expressions),
            "predicate": i.predicate,
            "definition": i.definition,
        }
        for i in obj.indexes
    ]


def scanned_code(
    views: Sequence[tuple[int, ScannedObject]], latest: Mapping[int, str]
) -> list[dict[str, Any]]:
    """View definitions as transformation code, when they differ from the newest scanned code
    (`latest`: object id -> its code hash)."""
    rows = []
    for object_id, obj in views:
        code = obj.definition or ""
        digest_ = code_hash(code)
        if latest.get(object_id) != digest_:
            rows.append(
                {
                    "object_id": object_id,
                    "origin": SCANNED,
                    "language": "sql",
                    "code_text": code,
                    "code_hash": digest_,
                }
            )
    return rows


@dataclass(frozen=True)
class VersionChange:
    """A scan stored a new schema version of an object that had one (schema.changed)."""

    object_urn: str
    object_ref: str
    version: str
    previous_version: str
    diff: SchemaDiff
    scan_id: int


def new_versions(
    source_name: str,
    known: ObjectIndex,
    written: Sequence[tuple[int, ScannedObject]],
    current: Mapping[int, Mapping[str, Any]],
    scan_id: int,
) -> tuple[list[dict[str, Any]], list[VersionChange]]:
    """The version rows a scan adds for the objects it wrote (`current`: object id -> its
    newest version) and the changes to announce. A comment or owner change is no version."""
    rows: list[dict[str, Any]] = []
    changes: list[VersionChange] = []
    for object_id, obj in written:
        digest_ = schema_hash(obj)
        previous = current.get(object_id)
        if previous is not None and previous["schema_hash"] == digest_:
            continue
        row: dict[str, Any] = {
            "object_id": object_id,
            "version_number": 1,
            "version": "1.0.0",
            "schema_hash": digest_,
            "schema_snapshot": schema_snapshot(obj),
            "change_type": "created",
            "changes": [],
            "change_summary": "",
            "breaking": False,
            "scan_id": scan_id,
        }
        if previous is not None:
            if "semantics" in previous["schema_snapshot"]:  # co-versioned: carried forward
                row["schema_snapshot"]["semantics"] = previous["schema_snapshot"]["semantics"]
            diff = diff_snapshots(previous["schema_snapshot"], row["schema_snapshot"])
            version = next_version(previous["version"], diff.bump)
            row |= {
                "version_number": previous["version_number"] + 1,
                "version": version,
                "change_type": "schema_change",
                "changes": [c.as_dict() for c in diff.changes],
                "change_summary": diff.summary(),
                "breaking": diff.breaking,
            }
            changes.append(
                VersionChange(
                    object_urn=known[obj.key].urn,
                    object_ref=object_ref(source_name, obj.schema, obj.name),
                    version=version,
                    previous_version=previous["version"],
                    diff=diff,
                    scan_id=scan_id,
                )
            )
        rows.append(row)
    return rows, changes


# ------------------------------------------------------------ what people declare
@dataclass(frozen=True)
class ConstraintSpec:
    """A constraint the source does not declare (e.g. a key enforced by the loader)."""

    constraint_type: str
    columns: Sequence[str]
    name: str = ""
    referenced_object: str = ""  # foreign keys: the target's ref, URN or id
    referenced_columns: Sequence[str] = field(default_factory=tuple)
    on_delete: str = ""
    on_update: str = ""
    check_expression: str = ""
    default_expression: str = ""

    def validated(self) -> ConstraintSpec:
        """This spec checked, without empty column names, FK actions upper-cased."""
        kind = self.constraint_type
        if kind not in CONSTRAINT_TYPES:
            raise InvalidArgument(
                f"constraint_type must be one of {', '.join(CONSTRAINT_TYPES)}, got {kind!r}"
            )
        columns = tuple(c for c in self.columns if c)
        if not columns:
            raise InvalidArgument("a constraint needs at least one column")
        actions = {}
        for name in ("on_delete", "on_update"):
            value = str(getattr(self, name) or "").upper()
            if value and value not in FK_ACTIONS:
                raise InvalidArgument(f"{name} must be one of {', '.join(FK_ACTIONS)}")
            actions[name] = value
        if kind == "check" and not self.check_expression:
            raise InvalidArgument("a check constraint needs check_expression")
        if kind == "default" and not self.default_expression:
            raise InvalidArgument("a default constraint needs default_expression")
        referenced = tuple(c for c in self.referenced_columns if c)
        if kind == "foreign_key":
            if not self.referenced_object:
                raise InvalidArgument("a foreign key needs referenced_object")
            if len(referenced) != len(columns):
                raise InvalidArgument("referenced_columns must name as many columns as columns")
        return replace(self, columns=columns, referenced_columns=referenced, **actions)

    def row(self, object_id: int, target_urn: str | None, actor: str) -> dict[str, Any]:
        """The stored constraint (`target_urn`: the foreign key's resolved target)."""
        fk = self.constraint_type == "foreign_key"
        return {
            "object_id": object_id,
            "origin": DECLARED,
            "constraint_type": self.constraint_type,
            "name": self.name or None,
            "columns": list(self.columns),
            "referenced_object_urn": target_urn,
            "referenced_column_urns": (
                [column_urn(target_urn, c) for c in self.referenced_columns] if target_urn else []
            ),
            "on_delete": (self.on_delete or None) if fk else None,
            "on_update": (self.on_update or None) if fk else None,
            "check_expression": self.check_expression or None,
            "default_expression": self.default_expression or None,
            "enforced": False,
            "created_by": actor,
        }

    def describe(self) -> str:
        return f"{self.constraint_type}({', '.join(self.columns)})"


@dataclass(frozen=True)
class CodeSpec:
    """Transformation code posted from elsewhere (dbt, Spark...), with its git context."""

    language: str
    code_text: str
    file_path: str = ""
    git_repository: str = ""
    git_commit_sha: str = ""
    git_branch: str = ""

    def row(self, object_id: int, actor: str) -> dict[str, Any]:
        """The stored code, checked."""
        code = self.code_text
        if not code.strip():
            raise InvalidArgument("code_text is required")
        if len(code.encode()) > MAX_CODE_BYTES:
            raise InvalidArgument(f"code_text is limited to {MAX_CODE_BYTES} bytes")
        language = (self.language or "").strip().lower()
        if not language or len(language) > 32:
            raise InvalidArgument("language is required (e.g. sql, python, dbt), 32 chars max")
        sha = self.git_commit_sha
        if sha and not (7 <= len(sha) <= 40 and all(c in "0123456789abcdef" for c in sha.lower())):
            raise InvalidArgument("git_commit_sha must be 7-40 hex digits")
        return {
            "object_id": object_id,
            "origin": DECLARED,
            "language": language,
            "code_text": code,
            "code_hash": code_hash(code),
            "file_path": self.file_path or None,
            "git_repository": self.git_repository or None,
            "git_commit_sha": sha.lower() or None,
            "git_branch": self.git_branch or None,
            "created_by": actor,
        }


def check_columns(ref: str, known: Sequence[str], names: Sequence[str]) -> None:
    missing = [n for n in names if n not in set(known)]
    if missing:
        raise InvalidArgument(f"object {ref} has no column(s) {', '.join(missing)}")


def parse_version(version: str) -> str:
    """A version as asked for: its number ("3") or name ("2.1.0", "v2.1.0")."""
    version = (version or "").strip().removeprefix("v")
    if not version:
        raise InvalidArgument("version is required")
    return version
