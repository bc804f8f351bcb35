"""Pure ownership rules: user identifiers, roles, domain names, cycles, tree order."""

from __future__ import annotations

import pytest

from dckit.errors import InvalidArgument
from governance_service.domain import ownership as dom


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Data-Team@Company.com", "data-team@company.com"),
        ("alice", "alice"),
        ("j.doe_2", "j.doe_2"),
        ("  bob  ", "bob"),
    ],
)
def test_valid_users(value: str, expected: str) -> None:
    assert dom.check_user(value) == expected


@pytest.mark.parametrize("value", ["", "a b", "@company.com", "x@y", "a@b..com", "-lead", "a;b"])
def test_invalid_users(value: str) -> None:
    with pytest.raises(InvalidArgument):
        dom.check_user(value)


def test_roles() -> None:
    assert dom.check_role("", default="owner") == "owner"
    assert dom.check_role(" Steward ") == "steward"
    with pytest.raises(InvalidArgument, match="custodian"):
        dom.check_role("custodian")


@pytest.mark.parametrize("name", ["", "   ", "123", "x" * 201])
def test_invalid_domain_names(name: str) -> None:
    with pytest.raises(InvalidArgument):
        dom.check_domain_name(name)


def test_domain_names_are_space_normalized() -> None:
    assert dom.check_domain_name("  Customer   Data ") == "Customer Data"


# Sales(1) ← Customers(2) ← EU(3); Finance(4)
PARENTS: dict[int, int | None] = {1: None, 2: 1, 3: 2, 4: None}


@pytest.mark.parametrize(
    ("node", "parent", "expected"),
    [
        (1, 3, [1, 3, 2, 1]),  # Sales under its grandchild
        (1, 2, [1, 2, 1]),
        (2, 2, [2, 2]),  # its own parent
        (1, 4, []),
        (3, 4, []),
        (3, None, []),
        (4, 3, []),
    ],
)
def test_cycle(node: int, parent: int | None, expected: list[int]) -> None:
    assert dom.cycle(PARENTS, node, parent) == expected


def test_cycle_terminates_on_a_corrupt_existing_loop() -> None:
    assert dom.cycle({1: 2, 2: 1, 3: None}, 3, 1) == []


def test_depth_first_puts_parents_before_children() -> None:
    order = dom.depth_first(PARENTS, [4, 2, 1, 3])
    assert order == [(4, 0), (1, 0), (2, 1), (3, 2)]
