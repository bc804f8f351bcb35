"""What a search query means, free of storage: its words, the tiers a hit can rank in, and
one-typo matching of words by symmetric delete (a word and its one-letter deletions)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum

TYPO_MIN_LENGTH = 4  # shorter words have too many one-edit neighbours to be useful
TOKEN_RE = re.compile(r"[^\W_]+")  # words as the stored name words split them ('_' splits)


class Tier(IntEnum):
    """Where a hit ranks: every hit of a lower tier comes before any hit of a higher one."""

    EXACT = 0  # the name (or the ref / URN) is the query
    NAME_PREFIX = 1  # the name starts with the query
    NAME_WORDS = 2  # every query word starts a word of the name
    TEXT = 3  # ... of anything indexed: column names and tags, then descriptions and the
    #           source comment (columns/tags rank first within the tier)
    GLOSSARY = 4  # a business term linked to the object matches the query
    TYPO = 5  # a name word is one edit away from a query word


@dataclass(frozen=True)
class SearchQuery:
    raw: str  # as typed, stripped (refs and URNs compare as typed)
    term: str  # lower-cased
    words: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> SearchQuery:
        raw = text.strip()
        term = raw.lower()
        return cls(raw, term, tuple(TOKEN_RE.findall(term)))

    @property
    def typo_words(self) -> tuple[str, ...]:
        return tuple(w for w in self.words if len(w) >= TYPO_MIN_LENGTH and not w.isdigit())


def deletions(word: str) -> set[str]:
    """The word and every string one deletion away (the symmetric-delete variants)."""
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


def one_edit(a: str, b: str) -> bool:
    """At most one insertion, deletion, substitution or swap of neighbours apart."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long_ = (a, b) if la < lb else (b, a)
    i = next((i for i in range(len(short)) if short[i] != long_[i]), len(short))
    return short[i:] == long_[i + 1 :]
