"""Query parsing and one-typo matching of the search domain (no database)."""

from __future__ import annotations

import pytest

from catalog_service.domain.search import SearchQuery, deletions, one_edit


def test_parse_splits_words_like_the_name_index() -> None:
    q = SearchQuery.parse("  Order_Items 2024 ")
    assert (q.raw, q.term) == ("Order_Items 2024", "order_items 2024")
    assert q.words == ("order", "items", "2024")
    assert q.typo_words == ("order", "items")  # digits and words under 4 letters get none
    assert SearchQuery.parse("%_%").words == ()


@pytest.mark.parametrize(
    ("a", "b", "near"),
    [
        ("orders", "ordres", True),  # swap of neighbours
        ("customers", "custmers", True),  # deletion
        ("supplier", "supplyer", True),  # substitution
        ("warehouse", "warehouses", True),  # insertion
        ("orders", "orders", True),
        ("orders", "odrres", False),  # two edits apart
        ("orders", "ordersxx", False),
        ("department", "deparmen", False),
    ],
)
def test_one_edit(a: str, b: str, near: bool) -> None:
    assert one_edit(a, b) is near and one_edit(b, a) is near
    # Symmetric delete finds every one-edit pair: their variant sets meet.
    if near:
        assert deletions(a) & deletions(b)
