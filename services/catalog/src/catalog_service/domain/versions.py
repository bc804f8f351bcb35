"""Schema versions: diff two schema snapshots, classify each change, pick a semver-like bump.

Breaking = a consumer that worked against the old schema can fail against the new one:
a removed column, a narrowed or incompatible type, a column becoming NOT NULL, a dropped or
changed primary key, unique key or foreign key (consumers join along foreign keys and rely on
the integrity they guarantee). Additions and widenings are not breaking.

A snapshot may also hold `semantics`, the capsule's semantic metadata as of that version
(description, layer, tags, term links, column meaning: the state of `capsule_code`); its
changes are diffed too, as non-breaking kinds (SEMANTIC_KINDS), and a version that changes
only them is a patch."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from catalog_service.domain.capsule_code import empty_state, plan

# Integer and float families, narrowest first: moving right widens, moving left narrows.
_NUMERIC_RANK = {
    "smallint": 1,
    "integer": 2,
    "bigint": 3,
    "numeric": 4,
    "real": 5,
    "double precision": 6,
}
_TEXT = ("text", "character varying", "character")
_KEYS = ("primary_key", "unique", "foreign_key")
SEMANTIC_KINDS = frozenset(
    {
        "description_changed",
        "layer_changed",
        "tags_changed",
        "term_linked",
        "term_unlinked",
        "term_link_changed",
        "column_definition_changed",
        "column_meaning_changed",
        "column_term_linked",
        "column_term_unlinked",
        "column_term_link_changed",
    }
)
_ARGS = re.compile(r"\(([0-9, ]+)\)")
# Spellings a declared (API) schema may use for the names PostgreSQL reports.
_ALIASES = {
    "int": "integer",
    "int4": "integer",
    "int8": "bigint",
    "int2": "smallint",
    "varchar": "character varying",
    "char": "character",
    "float8": "double precision",
    "float4": "real",
    "decimal": "numeric",
}


@dataclass(frozen=True)
class Change:
    kind: str  # column_added | column_removed | type_changed | nullability_changed | ...
    target: str  # column or constraint/index name
    detail: str
    breaking: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SchemaDiff:
    changes: tuple[Change, ...]

    @property
    def breaking(self) -> bool:
        return any(c.breaking for c in self.changes)

    @property
    def bump(self) -> str:
        """major for a breaking change, minor for additions/other changes, patch otherwise."""
        if self.breaking:
            return "major"
        return "minor" if any(c.kind not in SEMANTIC_KINDS for c in self.changes) else "patch"

    def summary(self) -> str:
        if not self.changes:
            return "no schema change"
        return "; ".join(f"{c.kind} {c.target}" for c in self.changes[:10]) + (
            f" (+{len(self.changes) - 10} more)" if len(self.changes) > 10 else ""
        )


def next_version(previous: str | None, bump: str) -> str:
    if not previous:
        return "1.0.0"
    major, minor, patch = (int(p) for p in previous.split("."))
    if bump == "major":
        return f"{major + 1}.0.0"
    if bump == "minor":
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


def diff_snapshots(old: dict[str, Any], new: dict[str, Any]) -> SchemaDiff:
    changes: list[Change] = []
    if old.get("object_type") != new.get("object_type"):
        changes.append(
            Change(
                "object_type_changed",
                "",
                f"{old.get('object_type')} -> {new.get('object_type')}",
                True,
            )
        )
    old_cols = {c["name"]: c for c in old.get("columns", [])}
    new_cols = {c["name"]: c for c in new.get("columns", [])}
    for name in old_cols.keys() - new_cols.keys():
        changes.append(Change("column_removed", name, old_cols[name]["data_type"], True))
    for name in new_cols.keys() - old_cols.keys():
        col = new_cols[name]
        # A new NOT NULL column without default breaks writers that do not know it.
        breaking = not col["nullable"] and col.get("default") is None
        changes.append(Change("column_added", name, col["data_type"], breaking))
    for name in sorted(old_cols.keys() & new_cols.keys()):
        before, after = old_cols[name], new_cols[name]
        if before["data_type"] != after["data_type"]:
            changes.append(
                Change(
                    "type_changed",
                    name,
                    f"{before['data_type']} -> {after['data_type']}",
                    not is_widening(before["data_type"], after["data_type"]),
                )
            )
        if before["nullable"] != after["nullable"]:
            changes.append(
                Change(
                    "nullability_changed",
                    name,
                    "nullable -> not null" if before["nullable"] else "not null -> nullable",
                    bool(before["nullable"]),
                )
            )
        if before.get("default") != after.get("default"):
            changes.append(
                Change(
                    "default_changed",
                    name,
                    f"{before.get('default')} -> {after.get('default')}",
                    False,
                )
            )
    changes.extend(
        _keyed_diff("constraint", old.get("constraints", []), new.get("constraints", []))
    )
    changes.extend(_keyed_diff("index", old.get("indexes", []), new.get("indexes", [])))
    if old.get("partitioning") != new.get("partitioning"):
        changes.append(Change("partitioning_changed", "", "", False))
    if old.get("definition") != new.get("definition"):
        changes.append(Change("definition_changed", "", "view definition changed", False))
    if "semantics" in new:
        changes.extend(semantic_changes(old.get("semantics") or {}, new["semantics"]))
    changes.sort(key=lambda c: (not c.breaking, c.kind, c.target))
    return SchemaDiff(tuple(changes))


def semantic_changes(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """The changes of a capsule's semantic metadata between two versions (never breaking)."""
    out: list[Change] = []
    for change in plan({**empty_state(), **old}, {**empty_state(), **new}):
        detail = f"{_short(change.old)} -> {_short(change.new)}"
        if change.term and not change.column:
            out.append(Change(_link_kind("term", change), change.term, detail, False))
        elif change.term:
            kind = _link_kind("column_term", change)
            out.append(Change(kind, change.column, f"{change.term}: {detail}", False))
        elif change.field == "business_definition":
            out.append(Change("column_definition_changed", change.column, detail, False))
        elif change.column:
            meaning = f"{change.field}: {detail}"
            out.append(Change("column_meaning_changed", change.column, meaning, False))
        else:
            out.append(Change(f"{change.path}_changed", "", detail, False))
    return out


def _link_kind(prefix: str, change: Any) -> str:
    if change.old is None:
        return f"{prefix}_linked"
    if change.new is None:
        return f"{prefix}_unlinked"
    return f"{prefix}_link_changed"


def _short(value: Any, limit: int = 60) -> str:
    text = "none" if value in (None, "", [], ()) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def semantic_version(previous: dict[str, Any], semantics: dict[str, Any]) -> dict[str, Any] | None:
    """The version row recording a change of the semantic metadata alone (the schema stays
    the previous version's), or None when `semantics` is what `previous` already holds."""
    snapshot = previous["schema_snapshot"]
    changes = semantic_changes(snapshot.get("semantics") or {}, semantics)
    if not changes:
        return None
    diff = SchemaDiff(tuple(changes))
    return {
        "object_id": previous["object_id"],
        "version_number": previous["version_number"] + 1,
        "version": next_version(previous["version"], "patch"),
        "schema_hash": previous["schema_hash"],
        "schema_snapshot": {**snapshot, "semantics": semantics},
        "change_type": "metadata_change",
        "changes": [c.as_dict() for c in diff.changes],
        "change_summary": diff.summary(),
        "breaking": False,
        "scan_id": None,
    }


def _keyed_diff(what: str, old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[Change]:
    def key(item: dict[str, Any]) -> str:
        return str(item.get("name") or f"{item.get('type')}({','.join(item.get('columns', []))})")

    before, after = {key(i): i for i in old}, {key(i): i for i in new}
    out: list[Change] = []
    for name in before.keys() - after.keys():
        item = before[name]
        # Dropping a key breaks consumers relying on uniqueness (joins, upserts) or, for a
        # foreign key, on referential integrity (inner joins that must not lose rows).
        breaking = what == "constraint" and item.get("type") in _KEYS
        out.append(Change(f"{what}_removed", name, str(item.get("type", "")), breaking))
    for name in after.keys() - before.keys():
        out.append(Change(f"{what}_added", name, str(after[name].get("type", "")), False))
    for name in before.keys() & after.keys():
        if before[name] != after[name]:
            breaking = what == "constraint" and before[name].get("type") in _KEYS
            out.append(Change(f"{what}_changed", name, str(after[name].get("type", "")), breaking))
    return out


def is_widening(old: str, new: str) -> bool:
    """True when every value of type `old` fits type `new` (e.g. integer -> bigint,
    varchar(50) -> varchar(100) or text); unknown pairs count as incompatible."""
    a, b = _parse(old), _parse(new)
    if a is None or b is None or a[2] != b[2]:  # arrays must stay arrays
        return False
    (base_a, args_a, _), (base_b, args_b, _) = a, b
    if base_a in _TEXT and base_b in _TEXT:
        if base_b == "text" or not args_b:
            return True
        return base_a != "text" and bool(args_a) and args_a[0] <= args_b[0]
    if base_a in _NUMERIC_RANK and base_b in _NUMERIC_RANK:
        if base_a == base_b == "numeric":
            if not args_b:
                return True
            if not args_a:
                return False
            precision_a, scale_a = args_a[0], (args_a[1] if len(args_a) > 1 else 0)
            precision_b, scale_b = args_b[0], (args_b[1] if len(args_b) > 1 else 0)
            return scale_b >= scale_a and precision_b - scale_b >= precision_a - scale_a
        if base_b == "numeric":
            return not args_b and base_a in ("smallint", "integer", "bigint")
        return _NUMERIC_RANK[base_b] >= _NUMERIC_RANK[base_a] and base_a != "numeric"
    if base_a == base_b:  # e.g. timestamp(3) -> timestamp(6)
        return args_a <= args_b or not args_b
    return False


def _parse(data_type: str) -> tuple[str, tuple[int, ...], str] | None:
    """ "numeric(12,2)" -> ("numeric", (12, 2), ""); "timestamp(3) with time zone" ->
    ("timestamp with time zone", (3,), ""); "integer[]" -> ("integer", (), "[]")."""
    text = data_type.strip().lower()
    array = "[]" * text.count("[]")
    text = text.replace("[]", "")
    match = _ARGS.search(text)
    args = tuple(int(x) for x in match.group(1).replace(" ", "").split(",") if x) if match else ()
    base = " ".join(_ARGS.sub(" ", text).split())
    if not base:
        return None
    return _ALIASES.get(base, base), args, array
