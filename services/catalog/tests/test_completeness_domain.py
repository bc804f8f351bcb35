"""Metadata completeness scoring: weights (defaults, configured, refused), the share of defined
columns, the missing items named, the contract listed but never weighed."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from catalog_service.config import CatalogSettings
from catalog_service.domain.completeness import (
    DEFAULT_WEIGHTS,
    ITEMS,
    Facts,
    check_weights,
    score,
)
from dckit.errors import InvalidArgument

EMPTY = Facts(columns=4)
FULL = Facts(
    has_description=True,
    columns=4,
    columns_defined=4,
    term_links=1,
    owners=frozenset({"owner:olga"}),
    classified=frozenset({""}),
    policies=frozenset({"1"}),
    rules=frozenset({"7"}),
)


def test_nothing_scores_zero_and_everything_is_missing() -> None:
    got = score(EMPTY, check_weights(DEFAULT_WEIGHTS))
    assert got.score == 0 and got.missing == ITEMS
    assert score(FULL, check_weights(DEFAULT_WEIGHTS)).score == 100
    assert [(i.name, i.available) for i in got.items][-1] == ("contract", False)


def test_column_definitions_count_by_share() -> None:
    weights = check_weights({"column_definitions": 1})
    half = Facts(columns=4, columns_defined=2)
    assert score(half, weights).score == 50
    assert score(half, weights).missing == ("column_definitions",)
    assert score(Facts(columns=0), weights).score == 100  # nothing to define


def test_configured_weights_decide_the_score() -> None:
    owned = Facts(columns=1, owners=frozenset({"owner:x"}))
    assert score(owned, check_weights({"owner": 3, "description": 1})).score == 75
    assert score(owned, check_weights({"owner": 1, "description": 3})).score == 25
    # An item weighing 0 is not missing.
    assert "policies" not in score(owned, check_weights({"owner": 1})).missing


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({"contract": 1}, "unknown item"),
        ({"owner": -1}, "negative"),
        ({"owner": 0}, "above zero"),
    ],
)
def test_bad_weights_are_refused(weights: dict[str, float], message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        check_weights(weights)
    with pytest.raises(ValidationError, match=message):
        CatalogSettings(encryption_key="k", completeness_weights=weights)
