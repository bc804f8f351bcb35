"""A glossary as a file, YAML or CSV: parsing every entry (all problems reported at once, none
written) and rendering the stored glossary back, so export → import changes nothing.

YAML: `{"terms": [{name, display_name, definition, abbreviation, synonyms: [...], examples:
[...], category, domain, owner, steward, status, related: {is_a: [...], has_a: [...], related:
[...], replaces: [...]}}, ...]}` (a bare list of terms is accepted too).
CSV: a header row with those names, the relations as columns `is_a`, `has_a`, `related`,
`replaces`; list cells separate entries with `|`.

An entry replaces the fields it names and keeps the others (in CSV every column is named: an
empty cell clears); naming `related` (or any relation column) replaces all the term's
relations. Without `status`, a new term is a draft and an existing one keeps its status."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from catalog_service.domain.glossary import (
    EDITABLE,
    LIST_FIELDS,
    RELATIONS,
    TEXT_FIELDS,
    TermSpec,
    check_status,
)
from dckit.errors import InvalidArgument

FORMATS = ("yaml", "csv")
MAX_BYTES = 5_000_000
MAX_TERMS = 5000
MAX_ERRORS = 10
LIST_SEPARATOR = "|"
CSV_COLUMNS = ("name", "definition", *TEXT_FIELDS, *LIST_FIELDS, "status", *RELATIONS)
_KNOWN = {"name", "definition", *TEXT_FIELDS, *LIST_FIELDS, "status", "related"}


@dataclass(frozen=True)
class Entry:
    """One term of a file: its fields (validated), which ones the file names, its status ("" =
    not given) and where it is (for error messages)."""

    spec: TermSpec
    present: frozenset[str]
    status: str
    where: str


def check_format(value: str, *, default: str = "") -> str:
    value = (value or default).strip().lower()
    if value not in FORMATS:
        raise InvalidArgument(f"format must be one of {', '.join(FORMATS)}, got {value!r}")
    return value


def parse(fmt: str, content: str) -> list[Entry]:
    """Every entry of the file, validated; InvalidArgument listing the problems (up to
    MAX_ERRORS of them) when any entry is bad or a name repeats."""
    fmt = check_format(fmt)
    if len(content.encode()) > MAX_BYTES:
        raise InvalidArgument(f"the file is larger than {MAX_BYTES} bytes")
    raw = _yaml_items(content) if fmt == "yaml" else _csv_items(content)
    if not raw:
        raise InvalidArgument("the file holds no terms")
    if len(raw) > MAX_TERMS:
        raise InvalidArgument(f"at most {MAX_TERMS} terms per import")
    entries: list[Entry] = []
    errors: list[str] = []
    seen: dict[str, str] = {}
    for where, item in raw:
        try:
            entry = _entry(where, item)
        except InvalidArgument as exc:
            errors.append(f"{where}: {exc.message}")
            continue
        key = entry.spec.name.lower()
        if key in seen:
            errors.append(f"{where}: term {entry.spec.name!r} is also at {seen[key]}")
            continue
        seen[key] = where
        entries.append(entry)
    fail_on(errors)
    return entries


def fail_on(errors: Sequence[str]) -> None:
    """InvalidArgument listing `errors` (the first MAX_ERRORS) when there are any."""
    if errors:
        more = len(errors) - MAX_ERRORS
        shown = "; ".join(errors[:MAX_ERRORS]) + (f"; and {more} more" if more > 0 else "")
        raise InvalidArgument(f"import refused, nothing was written: {shown}")


def _yaml_items(content: str) -> list[tuple[str, Any]]:
    try:
        data = yaml.safe_load(content)
    except yaml.YAMLError as exc:
        raise InvalidArgument(f"the file is not valid YAML: {exc}") from exc
    if isinstance(data, Mapping):
        data = data.get("terms")
    if not isinstance(data, list):
        raise InvalidArgument("YAML glossary: expected a list of terms under `terms:`")
    return [(f"term {i + 1}", item) for i, item in enumerate(data)]


def _csv_items(content: str) -> list[tuple[str, Any]]:
    reader = csv.DictReader(io.StringIO(content.lstrip("\ufeff")))
    header = [h.strip() for h in reader.fieldnames or []]
    if "name" not in header:
        raise InvalidArgument("CSV glossary: the header row must name a `name` column")
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown:
        raise InvalidArgument(
            f"CSV glossary: unknown column(s) {', '.join(unknown)}; known: {', '.join(CSV_COLUMNS)}"
        )
    items: list[tuple[str, Any]] = []
    for row in reader:
        if None in row:
            raise InvalidArgument(f"CSV glossary: line {reader.line_num} has too many cells")
        values = {k.strip(): (v or "").strip() for k, v in row.items()}
        if not any(values.values()):
            continue  # blank line
        item: dict[str, Any] = {}
        related: dict[str, list[str]] = {}
        for key, value in values.items():
            if key in RELATIONS:
                related[key] = _split(value)
            elif key in LIST_FIELDS:
                item[key] = _split(value)
            else:
                item[key] = value
        if any(r in header for r in RELATIONS):
            item["related"] = related
        items.append((f"line {reader.line_num}", item))
    return items


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(LIST_SEPARATOR) if v.strip()]


def _entry(where: str, item: Any) -> Entry:
    if not isinstance(item, Mapping):
        raise InvalidArgument("a term must be a mapping of fields")
    unknown = sorted(str(k) for k in item if k not in _KNOWN)
    if unknown:
        raise InvalidArgument(f"unknown field(s) {', '.join(unknown)}")
    values: dict[str, Any] = {}
    for key in ("name", "definition", *TEXT_FIELDS):
        if key in item:
            values[key] = _scalar(item[key], key)
    for key in LIST_FIELDS:
        if key in item:
            values[key] = tuple(_scalar(v, key) for v in _list(item[key], key))
    if "related" in item:
        values["related"] = _relations(item["related"])
    status = ""
    if item.get("status") not in (None, ""):
        status = check_status(_scalar(item["status"], "status").strip().lower())
    present = frozenset(k for k in EDITABLE if k in values)
    spec = TermSpec(**values).validated(present | {"name"})
    return Entry(spec, present, status, where)


def _scalar(value: Any, what: str) -> str:
    if value is None:
        return ""
    if isinstance(value, (Mapping, list)):
        raise InvalidArgument(f"{what} must be text")
    return str(value)


def _list(value: Any, what: str) -> list[Any]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise InvalidArgument(f"{what} must be a list")
    return value


def _relations(value: Any) -> tuple[tuple[str, str], ...]:
    if value in (None, ""):
        return ()
    if not isinstance(value, Mapping):
        raise InvalidArgument(f"related must map relations ({', '.join(RELATIONS)}) to terms")
    pairs: list[tuple[str, str]] = []
    for relation, terms in value.items():
        if relation not in RELATIONS:
            raise InvalidArgument(
                f"related: unknown relation {relation!r}; one of {', '.join(RELATIONS)}"
            )
        pairs.extend((relation, _scalar(t, "related")) for t in _list(terms, "related"))
    return tuple(pairs)


# ------------------------------------------------------------ rendering
def term_document(term: Mapping[str, Any]) -> dict[str, Any]:
    """A stored term (with `related`: [{relation, term}]) as an entry of the file."""
    out: dict[str, Any] = {"name": term["name"], "definition": term["definition"]}
    for key in TEXT_FIELDS:
        if term.get(key):
            out[key] = term[key]
    for key in LIST_FIELDS:
        if term.get(key):
            out[key] = list(term[key])
    out["status"] = term["status"]
    related: dict[str, list[str]] = {}
    for rel in sorted(term.get("related") or (), key=lambda r: (r["relation"], r["term"])):
        related.setdefault(rel["relation"], []).append(rel["term"])
    if related:
        out["related"] = {r: related[r] for r in RELATIONS if r in related}
    return out


def render(fmt: str, terms: Iterable[Mapping[str, Any]]) -> str:
    fmt = check_format(fmt, default="yaml")
    docs = [term_document(t) for t in terms]
    if fmt == "yaml":
        return str(yaml.safe_dump({"terms": docs}, sort_keys=False, allow_unicode=True, width=100))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for doc in docs:
        related = doc.get("related", {})
        row = {key: doc.get(key, "") for key in ("name", "definition", *TEXT_FIELDS, "status")}
        row |= {key: LIST_SEPARATOR.join(doc.get(key, [])) for key in LIST_FIELDS}
        row |= {r: LIST_SEPARATOR.join(related.get(r, [])) for r in RELATIONS}
        writer.writerow(row)
    return out.getvalue()
