"""Co-versioning (capsule model extension §8.1): a capsule's schema version records its semantic
metadata as of that version. A transaction that changes the semantic metadata of a capsule
ends with `record_version`, which adds a patch version (change type `metadata_change`, the
schema unchanged) holding the new state; scans carry the state forward into the versions they
add. So `catalog diff` shows definition, meaning and term-link changes beside schema changes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from catalog_service.application.ports import Record
from catalog_service.application.semantics_ports import SemanticsUnit
from catalog_service.domain.capsule_code import COLUMN_FIELDS
from catalog_service.domain.versions import semantic_version


async def semantic_state(uow: SemanticsUnit, obj: Mapping[str, Any]) -> dict[str, Any]:
    """What the catalog holds of a capsule's meaning, as plain data (capsule_code's state
    without its identity): description, layer, tags, capsule term links, and each current
    column's meaning and term links (columns with neither are left out)."""
    stored = await uow.semantics.column_rows(obj["id"])
    links = await uow.glossary.links(
        object_id=obj["id"], column=None, term_id=None, offset=0, count=None
    )
    names = [c["name"] for c in await uow.objects.columns(obj)]
    columns: dict[str, dict[str, Any]] = {}
    for name in names:
        row = stored.get(name)
        values: dict[str, Any] = {k: None for k in COLUMN_FIELDS}
        if row is not None:
            values = {k: _stored(row.get(k)) for k in COLUMN_FIELDS}
        values["business_terms"] = {
            link["term_name"]: link["link_type"] for link in links if link["column_name"] == name
        }
        if any(v not in (None, "", [], {}) for v in values.values()):
            columns[name] = values
    return {
        "description": obj.get("description") or None,
        "layer": obj.get("layer") or None,
        "tags": list(obj.get("tags") or []),
        "business_terms": {
            link["term_name"]: link["link_type"] for link in links if not link["column_name"]
        },
        "columns": columns,
    }


def _stored(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return list(value) or None
    return None if value == "" else value


async def record_version(uow: SemanticsUnit, obj: Mapping[str, Any]) -> Record | None:
    """Add the version recording the capsule's semantic metadata if it changed since its
    current version; the new version row, or None (no change, or no version yet: a capsule
    gets its first version from a scan). `obj` is the capsule's row as the transaction left
    it (re-read after editing its description, layer or tags)."""
    await uow.objects.lock(obj["id"])  # concurrent edits of one capsule: one version each
    current = (await uow.structure.current_versions([obj["id"]])).get(obj["id"])
    if current is None:
        return None
    row = semantic_version(dict(current), await semantic_state(uow, obj))
    if row is not None:
        await uow.structure.add_versions([row])
    return row
