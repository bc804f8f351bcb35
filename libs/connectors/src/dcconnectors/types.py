"""The one vocabulary of column type families. Each dialect maps its own type names onto it
(`Dialect.type_family`); catalog, quality and governance decide what a column allows by family,
never by a source's type name."""

from __future__ import annotations

import re

NUMERIC = "numeric"
TEXT = "text"
DATE = "date"
TIMESTAMP = "timestamp"  # wall-clock time without a zone
TIMESTAMPTZ = "timestamptz"  # an instant (shown in some zone)
OTHER = "other"
FAMILIES = (NUMERIC, TEXT, DATE, TIMESTAMP, TIMESTAMPTZ, OTHER)
TEMPORAL = frozenset({DATE, TIMESTAMP, TIMESTAMPTZ})

_PARAMETERS = re.compile(r"\(.*\)")
_SPACES = re.compile(r"\s+")


def base_type(data_type: str) -> str:
    """A type as the source reports it, without parameters, in lower case with single spaces:
    'character varying(20)' → 'character varying', 'timestamp(3) with time zone' →
    'timestamp with time zone'. Array and nested types keep their brackets ('integer[]',
    'array<string>') and so map to no family."""
    return _SPACES.sub(" ", _PARAMETERS.sub("", data_type)).strip().lower()
