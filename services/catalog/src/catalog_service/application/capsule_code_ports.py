"""What capsule as code needs from the other services: the quality service's rules of a
capsule (adapters/ holds the gRPC client, app.py wires it in). Rules are plain data, as
domain/capsule_rules.py describes them, plus `id` for rules the quality service holds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol


class QualityRules(Protocol):
    async def rules_of(self, object_urn: str) -> list[dict[str, Any]]:
        """The capsule's rules, each with its `id`."""
        ...

    async def validate(
        self, object_urn: str, rules: Sequence[Mapping[str, Any]]
    ) -> list[dict[str, Any] | str]:
        """For each of `rules`, the rule as the quality service would store it (its config
        normalised: defaults filled in), or why it would refuse it (unknown type, bad
        configuration, not the caller's to make); writes nothing."""
        ...

    async def create(self, object_urn: str, rule: Mapping[str, Any]) -> int:
        """The new rule's id."""
        ...

    async def update(self, rule_id: int, rule: Mapping[str, Any]) -> None: ...

    async def delete(self, rule_id: int) -> None: ...
