"""Masking rules applied to every sample value the product shows, through the real services:
a viewer sees a masked column's values masked in profiles, failing-row samples, suggestions
and rule configs; the exempt role sees them clear; other columns are untouched."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from api_testkit import Secured, Stack, table_source

pytestmark = pytest.mark.asyncio(loop_scope="session")
SOURCE = "masksrc"
TABLE = f"{SOURCE}.public.members"
EMAILS = [f"member{i}@example.org" for i in range(1, 31)]
SETUP_SQL = (
    "CREATE TABLE public.members (id integer PRIMARY KEY, email text, tier text);"
    "INSERT INTO public.members VALUES "
    + ", ".join(f"({i}, '{e}', '{'gold' if i % 3 else 'silver'}')" for i, e in enumerate(EMAILS, 1))
    + ", (31, 'not-an-email', 'gold')"
)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def members(stack: Stack, client: httpx.AsyncClient) -> AsyncIterator[str]:
    async with table_source(stack, client, SOURCE, SETUP_SQL):
        resp = await client.post(
            f"/columns/{TABLE}.email/masking-rules",
            json={"method": "partial_redaction", "exempt_roles": ["steward"]},
        )
        assert resp.status_code == 201, resp.text
        yield TABLE


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def viewer(secured: Secured) -> AsyncIterator[httpx.AsyncClient]:
    async with secured.as_role("viewer") as http:
        yield http


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def steward(secured: Secured) -> AsyncIterator[httpx.AsyncClient]:
    async with secured.as_role("steward") as http:
        yield http


def _values(profile: dict[str, Any]) -> set[str]:
    return {v["value"] for v in profile["stats"]["most_common_values"]}


def _is_masked_email(value: str) -> bool:
    local, _, domain = value.partition("@")
    return domain == "example.org" and "*" in local and value not in EMAILS


async def test_a_viewer_sees_masked_emails_and_the_exempt_role_sees_them_clear(
    client: httpx.AsyncClient,
    viewer: httpx.AsyncClient,
    steward: httpx.AsyncClient,
    members: str,
) -> None:
    resp = await client.post(f"/capsules/{members}/profile", json={"wait": True})
    assert resp.status_code in (200, 201), resp.text

    seen = (await viewer.get(f"/columns/{members}.email/profile")).json()
    masked = _values(seen)
    assert masked and all(_is_masked_email(v) for v in masked if "@" in v)
    assert not masked & set(EMAILS)
    clear = (await steward.get(f"/columns/{members}.email/profile")).json()
    assert _values(clear) <= {*EMAILS, "not-an-email"} and _values(clear) & set(EMAILS)
    # A column without a rule is shown as stored to everyone.
    tiers = (await viewer.get(f"/columns/{members}.tier/profile")).json()
    assert _values(tiers) == {"gold", "silver"}
    # The admin is not exempt: exemption is by listed role only.
    admin = (await client.get(f"/columns/{members}.email/profile")).json()
    assert not _values(admin) & set(EMAILS)


async def test_failing_rows_and_suggested_value_sets_are_masked_too(
    client: httpx.AsyncClient,
    viewer: httpx.AsyncClient,
    steward: httpx.AsyncClient,
    members: str,
) -> None:
    resp = await client.post(
        f"/capsules/{members}/quality-rules",
        json={"column": "email", "rule_type": "format_valid", "rule_config": {"format": "email"}},
    )
    assert resp.status_code == 201, resp.text
    run = (await client.post("/quality-checks", json={"capsule": members})).json()
    check = next(c for c in run["checks"] if c["rule_type"] == "format_valid")
    assert check["failure_count"] == 1
    for reader, expect_clear in ((viewer, False), (steward, True)):
        got = (await reader.get(f"/quality-checks/{run['id']}")).json()
        sample = next(c for c in got["checks"] if c["rule_type"] == "format_valid")
        values = [s["values"]["email"] for s in sample["sample_failures"]]
        assert (values == ["not-an-email"]) is expect_clear, values

    await client.post(f"/capsules/{members}/profile", json={"wait": True})
    for reader in (viewer, steward):
        suggestions = (await reader.get(f"/capsules/{members}/quality-rules/suggestions")).json()
        tier_set = next(
            s for s in suggestions["items"] if s["key"] == "tier:value_in_set"
        )  # tier has no masking rule: its values are shown to everyone
        assert sorted(tier_set["rule_config"]["allowed_values"]) == ["gold", "silver"]
