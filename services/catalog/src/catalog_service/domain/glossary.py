"""The business glossary: what a term is made of, its approval workflow (draft → under_review →
approved → deprecated), how terms relate (is_a, has_a and replaces may not form cycles), and
how capsules and columns link to terms."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

from dckit.errors import FailedPrecondition, InvalidArgument

DRAFT, UNDER_REVIEW, APPROVED, DEPRECATED = "draft", "under_review", "approved", "deprecated"
STATUSES = (DRAFT, UNDER_REVIEW, APPROVED, DEPRECATED)
# status → the statuses a term may move to from it (under_review → draft sends it back).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    DRAFT: (UNDER_REVIEW, DEPRECATED),
    UNDER_REVIEW: (APPROVED, DRAFT, DEPRECATED),
    APPROVED: (DEPRECATED,),
    DEPRECATED: (),
}

RELATIONS = ("is_a", "has_a", "related", "replaces")
# Relations that order terms: a cycle in one of them is a contradiction.
ACYCLIC = ("is_a", "has_a", "replaces")
LINK_TYPES = ("defines", "uses", "derived_from", "related")
DEFAULT_LINK_TYPE = "related"

MAX_NAME = 200
MAX_TEXT = 200
MAX_DEFINITION = 10_000
MAX_LIST = 100
MAX_COMMENT = 2000
TEXT_FIELDS = ("display_name", "abbreviation", "category", "domain", "owner", "steward")
LIST_FIELDS = ("synonyms", "examples")
EDITABLE = ("name", "definition", *TEXT_FIELDS, *LIST_FIELDS, "related")


@dataclass(frozen=True)
class TermSpec:
    """A term as people write it; `related` holds (relation, other term's name) pairs."""

    name: str = ""
    display_name: str = ""
    definition: str = ""
    abbreviation: str = ""
    synonyms: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    category: str = ""
    domain: str = ""
    owner: str = ""
    steward: str = ""
    related: tuple[tuple[str, str], ...] = ()

    def validated(self, only: Collection[str] = EDITABLE) -> TermSpec:
        """The spec cleaned (trimmed, lists without blanks or repeats); InvalidArgument naming
        the first bad field among `only`."""
        values: dict[str, Any] = {}
        if "name" in only:
            values["name"] = check_name(self.name)
        if "definition" in only:
            definition = (self.definition or "").strip()
            if not definition:
                raise InvalidArgument("definition is required")
            if len(definition) > MAX_DEFINITION:
                raise InvalidArgument(f"definition is limited to {MAX_DEFINITION} characters")
            values["definition"] = definition
        for name in TEXT_FIELDS:
            if name in only:
                values[name] = _text(getattr(self, name), name)
        for name in LIST_FIELDS:
            if name in only:
                values[name] = clean_list(getattr(self, name), name)
        if "related" in only:
            values["related"] = clean_related(self.related, values.get("name") or self.name)
        return replace(self, **values)

    def row(self, only: Collection[str] = EDITABLE) -> dict[str, Any]:
        """The stored columns of the fields in `only` (relations are stored apart)."""
        out: dict[str, Any] = {}
        for spec in fields(self):
            if spec.name in only and spec.name != "related":
                value = getattr(self, spec.name)
                if isinstance(value, tuple):
                    out[spec.name] = list(value)
                else:
                    out[spec.name] = value or (None if spec.name in TEXT_FIELDS else value)
        return out


def check_name(value: str) -> str:
    name = " ".join((value or "").split())
    if not name:
        raise InvalidArgument("name is required")
    if len(name) > MAX_NAME:
        raise InvalidArgument(f"name is limited to {MAX_NAME} characters")
    if "/" in name:
        raise InvalidArgument(f"name {name!r} may not contain '/'")
    if name.isdigit():
        raise InvalidArgument(f"name {name!r} may not be a number (numbers name terms by id)")
    return name


def _text(value: str, what: str) -> str:
    text = (value or "").strip()
    if len(text) > MAX_TEXT:
        raise InvalidArgument(f"{what} is limited to {MAX_TEXT} characters")
    return text


def clean_list(values: Iterable[str], what: str) -> tuple[str, ...]:
    out: list[str] = []
    for value in values:
        text = " ".join(str(value).split())
        if text and text not in out:
            out.append(text)
    if len(out) > MAX_LIST:
        raise InvalidArgument(f"{what}: at most {MAX_LIST} entries")
    bad = [v for v in out if len(v) > MAX_TEXT]
    if bad:
        raise InvalidArgument(f"{what}: entries are limited to {MAX_TEXT} characters")
    return tuple(out)


def clean_related(pairs: Iterable[tuple[str, str]], own_name: str) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    for relation, term in pairs:
        check_relation(relation)
        other = check_name(term)
        if other.lower() == (own_name or "").strip().lower():
            raise InvalidArgument(f"term {other!r} cannot be related to itself")
        if (relation, other.lower()) not in {(r, t.lower()) for r, t in out}:
            out.append((relation, other))
    if len(out) > MAX_LIST:
        raise InvalidArgument(f"related: at most {MAX_LIST} entries")
    return tuple(out)


def check_relation(value: str) -> str:
    if value not in RELATIONS:
        raise InvalidArgument(f"relation must be one of {', '.join(RELATIONS)}, got {value!r}")
    return value


def check_status(value: str, what: str = "status") -> str:
    if value not in STATUSES:
        raise InvalidArgument(f"{what} must be one of {', '.join(STATUSES)}, got {value!r}")
    return value


def status_filter(value: str) -> str:
    return check_status(value) if value else ""


def check_transition(name: str, current: str, target: str) -> None:
    """FailedPrecondition naming the allowed steps when `current` → `target` is not one."""
    check_status(target)
    if target == current:
        raise FailedPrecondition(f"term {name!r} is already {current}")
    allowed = TRANSITIONS[current]
    if target not in allowed:
        steps = ", ".join(allowed) or "none (deprecated is final)"
        raise FailedPrecondition(
            f"term {name!r} cannot go from {current} to {target}; from {current}: {steps}"
        )


def clean_comment(value: str) -> str:
    text = (value or "").strip()
    if len(text) > MAX_COMMENT:
        raise InvalidArgument(f"comment is limited to {MAX_COMMENT} characters")
    return text


def check_link_type(value: str) -> str:
    value = value or DEFAULT_LINK_TYPE
    if value not in LINK_TYPES:
        raise InvalidArgument(f"link type must be one of {', '.join(LINK_TYPES)}, got {value!r}")
    return value


# ------------------------------------------------------------ relations
Edge = tuple[str, str, str]  # (term key, relation, related term key)


def find_cycle(edges: Iterable[Edge]) -> tuple[str, list[str]] | None:
    """The first cycle among `edges` in an ordering relation (ACYCLIC): (relation, the keys
    around it, first repeated at the end), else None."""
    graphs: dict[str, dict[str, list[str]]] = {}
    for source, relation, target in edges:
        if relation in ACYCLIC:
            graphs.setdefault(relation, {}).setdefault(source, []).append(target)
    for relation in ACYCLIC:
        graph = graphs.get(relation, {})
        state: dict[str, int] = {}  # 1 = on the current path, 2 = done
        for start in sorted(graph):
            if state.get(start):
                continue
            path: list[str] = []
            stack: list[tuple[str, int]] = [(start, 0)]
            while stack:
                node, i = stack.pop()
                if i == 0:
                    state[node] = 1
                    path.append(node)
                nexts = graph.get(node, [])
                if i < len(nexts):
                    stack.append((node, i + 1))
                    nxt = nexts[i]
                    if state.get(nxt) == 1:
                        return relation, [*path[path.index(nxt) :], nxt]
                    if not state.get(nxt):
                        stack.append((nxt, 0))
                else:
                    state[node] = 2
                    path.pop()
    return None


def check_acyclic(edges: Iterable[Edge], names: Mapping[str, str]) -> None:
    """InvalidArgument naming the cycle (with the terms' names) when `edges` have one."""
    found = find_cycle(edges)
    if found is not None:
        relation, keys = found
        around = " → ".join(names.get(k, k) for k in keys)
        raise InvalidArgument(f"related terms would form a cycle in {relation}: {around}")


# ------------------------------------------------------------ views
def public(row: Mapping[str, Any], related: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """The auditable view of a term."""
    out = {k: row[k] for k in ("name", "definition", *TEXT_FIELDS, "status")}
    out |= {k: list(row[k] or []) for k in LIST_FIELDS}
    out["related"] = sorted(f"{r['relation']}:{r['term']}" for r in related)
    return out
