"""Capsule as code (capsule model extension, Appendix A): the YAML file of a capsule's
catalog-owned metadata, read and written; and the plan of an apply, the list of changes
between what the catalog holds and what a file says.

The state of a capsule is plain data:

    {"urn", "name", "description", "layer", "tags": [...],
     "business_terms": {term name: link type},
     "columns": {column: {field: value, ..., "business_terms": {term name: link type}}}}

A file names sections (`description`, `layer`, `tags`, `business_terms`, `columns`); a section
in the file is the whole truth for it (a column left out of `columns` loses its meaning and
term links, a field left out of a column is cleared), a section not in the file is left alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from catalog_service.domain import glossary
from catalog_service.domain.objects import clean_tags
from catalog_service.domain.semantics import (
    ColumnMeaning,
    check_layer,
    check_range,
    column_values,
)
from dckit.errors import InvalidArgument

ROOT = "data_capsule"
SECTIONS = ("description", "layer", "tags", "business_terms", "columns", "quality_rules")
IDENTITY = ("urn", "name")
# A column's fields in file order (business_terms last).
COLUMN_FIELDS = (
    "business_definition",
    "semantic_type",
    "unit_of_measure",
    "value_domain",
    "min_value",
    "max_value",
    "allowed_values",
    "format_pattern",
    "examples",
)
LIST_FIELDS = ("allowed_values", "examples")
NUMBER_FIELDS = ("min_value", "max_value")
MAX_PROBLEMS = 10
MAX_FILE = 1_000_000

TermLinks = dict[str, str]  # term name → link type


@dataclass(frozen=True)
class Change:
    """One line of a plan: `path` in the file changes from `old` to `new` (None = absent)."""

    section: str
    path: str
    old: Any
    new: Any
    column: str = ""  # the column it is about ("" = the capsule)
    field: str = ""  # the column field, or "business_terms" for a term link
    term: str = ""  # the term of a term link

    def as_dict(self) -> dict[str, Any]:
        return {"section": self.section, "path": self.path, "old": self.old, "new": self.new}


@dataclass(frozen=True)
class CapsuleFile:
    """A parsed file: its identity and the sections it names (values cleaned, not yet checked
    against the catalog: columns, terms and domains are the application's to resolve)."""

    urn: str
    name: str
    sections: dict[str, Any]


class Problems:
    """Every problem of a file, each naming its path; raised together."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.items.append(f"{path}: {message}")

    def check(self, path: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """fn(*args) or None with its InvalidArgument recorded under `path`."""
        try:
            return fn(*args, **kwargs)
        except InvalidArgument as exc:
            self.add(path, exc.message)
            return None

    def raise_any(self) -> None:
        if not self.items:
            return
        shown = self.items[:MAX_PROBLEMS]
        more = len(self.items) - len(shown)
        tail = f" (+{more} more)" if more else ""
        raise InvalidArgument(
            f"capsule file has {len(self.items)} problem(s): " + "; ".join(shown) + tail
        )


# ------------------------------------------------------------ reading a file
def parse(content: str, *, layers: Sequence[str]) -> CapsuleFile:
    """The file's identity and sections, cleaned; InvalidArgument listing every problem found
    (unknown keys, wrong types, bad values) with its path."""
    if len(content) > MAX_FILE:
        raise InvalidArgument(f"a capsule file is limited to {MAX_FILE} characters")
    try:
        doc = yaml.safe_load(content)
    except yaml.YAMLError as exc:
        raise InvalidArgument(f"the capsule file is not valid YAML: {exc}") from None
    if not isinstance(doc, dict) or set(doc) != {ROOT} or not isinstance(doc[ROOT], dict):
        raise InvalidArgument(f"a capsule file holds one mapping, {ROOT}: {{...}}")
    body: dict[str, Any] = doc[ROOT]
    problems = Problems()
    for key in body:
        if key not in IDENTITY and key not in SECTIONS:
            problems.add(
                f"{ROOT}.{key}",
                f"unknown key; a capsule file takes {', '.join((*IDENTITY, *SECTIONS))}",
            )
    urn = _text(body.get("urn"), f"{ROOT}.urn", problems)
    name = _text(body.get("name"), f"{ROOT}.name", problems)
    sections: dict[str, Any] = {}
    if "description" in body:
        sections["description"] = _text(body["description"], f"{ROOT}.description", problems)
    if "layer" in body:
        layer = _text(body["layer"], f"{ROOT}.layer", problems)
        sections["layer"] = problems.check(f"{ROOT}.layer", check_layer, layer, layers)
    if "tags" in body:
        tags = _strings(body["tags"], f"{ROOT}.tags", problems)
        sections["tags"] = problems.check(f"{ROOT}.tags", clean_tags, tags) or []
    if "business_terms" in body:
        sections["business_terms"] = _links(
            body["business_terms"], f"{ROOT}.business_terms", problems
        )
    if "columns" in body:
        sections["columns"] = _columns(body["columns"], f"{ROOT}.columns", problems)
    if "quality_rules" in body:
        from catalog_service.domain import capsule_rules  # it builds on this module

        sections["quality_rules"] = capsule_rules.parse(
            body["quality_rules"], f"{ROOT}.quality_rules", problems
        )
    problems.raise_any()
    return CapsuleFile(urn=urn or "", name=name or "", sections=sections)


def _text(value: Any, path: str, problems: Problems) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        problems.add(path, "must be text")
        return None
    return str(value).strip() or None


def _strings(value: Any, path: str, problems: Problems) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.add(path, "must be a list")
        return []
    out: list[str] = []
    for i, item in enumerate(value):
        if isinstance(item, (dict, list)) or item is None:
            problems.add(f"{path}[{i}]", "must be text")
        else:
            out.append(str(item))
    return out


def _links(value: Any, path: str, problems: Problems) -> TermLinks:
    """`[name, {term: name, type: defines}, ...]` → {name: type}; a bare name is `related`."""
    if value is None:
        return {}
    if not isinstance(value, list):
        problems.add(path, "must be a list of term names or {term, type} entries")
        return {}
    out: TermLinks = {}
    for i, item in enumerate(value):
        where = f"{path}[{i}]"
        if isinstance(item, dict):
            for key in item:
                if key not in ("term", "type"):
                    problems.add(f"{where}.{key}", "unknown key; an entry takes term and type")
            term = _text(item.get("term"), f"{where}.term", problems)
            link_type = problems.check(
                f"{where}.type", glossary.check_link_type, _text(item.get("type"), where, problems)
            )
        else:
            term, link_type = _text(item, where, problems), glossary.DEFAULT_LINK_TYPE
        if not term:
            problems.add(where, "names no term")
            continue
        if term.lower() in {t.lower() for t in out}:
            problems.add(where, f"term {term!r} appears twice")
            continue
        out[term] = link_type or glossary.DEFAULT_LINK_TYPE
    return out


def _columns(value: Any, path: str, problems: Problems) -> dict[str, dict[str, Any]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.add(path, "must be a mapping of column name → its meaning")
        return {}
    out: dict[str, dict[str, Any]] = {}
    for column, fields in value.items():
        where = f"{path}.{column}"
        fields = fields or {}
        if not isinstance(fields, dict):
            problems.add(where, "must be a mapping")
            continue
        for key in fields:
            if key not in COLUMN_FIELDS and key != "business_terms":
                problems.add(
                    f"{where}.{key}",
                    f"unknown key; a column takes {', '.join(COLUMN_FIELDS)}, business_terms",
                )
        meaning: dict[str, Any] = {}
        for key in ("business_definition", "semantic_type", "unit_of_measure", "value_domain"):
            meaning[key] = _text(fields.get(key), f"{where}.{key}", problems) or ""
        for key in ("format_pattern",):
            raw = fields.get(key)
            meaning[key] = "" if raw is None else str(raw)
        for key in NUMBER_FIELDS:
            raw = fields.get(key)
            if raw is not None and (isinstance(raw, bool) or not isinstance(raw, (int, float))):
                problems.add(f"{where}.{key}", "must be a number")
                raw = None
            meaning[key] = None if raw is None else float(raw)
        for key in LIST_FIELDS:
            meaning[key] = tuple(_strings(fields.get(key), f"{where}.{key}", problems))
        values = problems.check(where, column_values, ColumnMeaning(**meaning), COLUMN_FIELDS)
        if values is None:
            continue
        problems.check(where, check_range, values["min_value"], values["max_value"], column)
        values["value_domain"] = values["value_domain"] or None
        values["business_terms"] = _links(
            fields.get("business_terms"), f"{where}.business_terms", problems
        )
        out[str(column)] = values
    return out


# ------------------------------------------------------------ writing a file
def render(state: Mapping[str, Any]) -> str:
    """The file of a capsule's state, every section written (so it says all the catalog
    holds); the same state always gives the same bytes."""
    columns: dict[str, Any] = {}
    for name in sorted(state["columns"]):
        col = state["columns"][name]
        entry: dict[str, Any] = {}
        for key in COLUMN_FIELDS:
            value = col.get(key)
            if value in (None, "", [], ()):
                continue
            entry[key] = _number_out(value) if key in NUMBER_FIELDS else _plain(value)
        if col.get("business_terms"):
            entry["business_terms"] = _links_out(col["business_terms"])
        if entry:
            columns[name] = entry
    body: dict[str, Any] = {
        "urn": state["urn"],
        "name": state["name"],
        "description": state.get("description") or "",
        "layer": state.get("layer") or "",
        "tags": list(state.get("tags") or []),
        "business_terms": _links_out(state.get("business_terms") or {}),
        "columns": columns,
    }
    if "quality_rules" in state:  # held by the quality service, when the catalog reaches it
        from catalog_service.domain import capsule_rules

        body["quality_rules"] = capsule_rules.render(state["quality_rules"])
    return yaml.safe_dump(
        {ROOT: body}, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100
    )


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, (list, tuple)) else value


def _number_out(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def _links_out(links: Mapping[str, str]) -> list[Any]:
    return [
        name if kind == glossary.DEFAULT_LINK_TYPE else {"term": name, "type": kind}
        for name, kind in sorted(links.items(), key=lambda item: item[0].lower())
    ]


# ------------------------------------------------------------ the plan
def empty_state() -> dict[str, Any]:
    """The semantic state of a capsule nobody described."""
    return {"description": None, "layer": None, "tags": [], "business_terms": {}, "columns": {}}


def desired(current: Mapping[str, Any], sections: Mapping[str, Any]) -> dict[str, Any]:
    """The state after applying `sections` to `current` (names already resolved)."""
    out = {**current}
    for key in SECTIONS:
        if key in sections:
            out[key] = sections[key]
    if "columns" in sections:
        out["columns"] = {
            name: {**_EMPTY_COLUMN, **col} for name, col in sections["columns"].items()
        }
    return out


_EMPTY_COLUMN: dict[str, Any] = {
    **{k: None for k in COLUMN_FIELDS},
    "allowed_values": None,
    "examples": [],
    "business_terms": {},
}


def plan(current: Mapping[str, Any], target: Mapping[str, Any]) -> list[Change]:
    """What changes from `current` to `target`, one Change per field, term link and column
    field, in file order."""
    changes: list[Change] = []
    for key in ("description", "layer"):
        if (current.get(key) or None) != (target.get(key) or None):
            changes.append(Change("capsule", key, current.get(key), target.get(key)))
    if list(current.get("tags") or []) != list(target.get("tags") or []):
        changes.append(Change("capsule", "tags", current.get("tags"), target.get("tags")))
    changes.extend(
        _link_changes("business_terms", "", current["business_terms"], target["business_terms"])
    )
    names = sorted(set(current["columns"]) | set(target["columns"]))
    for name in names:
        before = {**_EMPTY_COLUMN, **current["columns"].get(name, {})}
        after = {**_EMPTY_COLUMN, **target["columns"].get(name, {})}
        for key in COLUMN_FIELDS:
            if _same(before.get(key), after.get(key)):
                continue
            changes.append(
                Change(
                    "columns",
                    f"columns.{name}.{key}",
                    before.get(key),
                    after.get(key),
                    column=name,
                    field=key,
                )
            )
        changes.extend(
            _link_changes(
                f"columns.{name}.business_terms",
                name,
                before["business_terms"],
                after["business_terms"],
            )
        )
    return changes


def _same(a: Any, b: Any) -> bool:
    def norm(v: Any) -> Any:
        if isinstance(v, (list, tuple)):
            return list(v) or None
        return None if v in (None, "") else v

    return bool(norm(a) == norm(b))


def _link_changes(
    path: str, column: str, before: Mapping[str, str], after: Mapping[str, str]
) -> list[Change]:
    section = "columns" if column else "business_terms"
    out: list[Change] = []
    for term in sorted(set(before) | set(after), key=str.lower):
        if before.get(term) != after.get(term):
            out.append(
                Change(
                    section,
                    f"{path}.{term}",
                    before.get(term),
                    after.get(term),
                    column=column,
                    field="business_terms",
                    term=term,
                )
            )
    return out


def column_changes(changes: Sequence[Change]) -> dict[str, set[str]]:
    """column → the fields a plan changes on it (meaning only; term links apart)."""
    out: dict[str, set[str]] = {}
    for change in changes:
        if change.column and change.field in COLUMN_FIELDS:
            out.setdefault(change.column, set()).add(change.field)
    return out
