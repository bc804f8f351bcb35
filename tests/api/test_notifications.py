"""Notifications over REST with the real notifier, quality and catalog services: the done-when
(a webhook subscribed to breach events gets exactly one signed POST per breach a DQ run opens),
channel validation, secrets never returned, the delivery log."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from api_testkit import Stack, cli, visits_source

from devstack.http_sink import Sink, running_sink, verify_signature

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture(scope="module")
def sink() -> Iterator[Sink]:
    with running_sink() as state:
        yield state


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def visits(stack: Stack, client: httpx.AsyncClient) -> AsyncIterator[str]:
    async with visits_source(stack, client, "ntfsrc", 14, 10) as ref:
        yield ref


def _error(resp: httpx.Response) -> str:
    message: str = resp.json()["error"]["message"]
    return message


async def test_one_signed_post_per_breach(
    client: httpx.AsyncClient, sink: Sink, visits: str
) -> None:
    made = await client.post(
        "/notifications/channels",
        json={"name": "ops hook", "channel_type": "webhook", "config": {"url": sink.url("/dq")}},
    )
    assert made.status_code == 201, made.text
    channel = made.json()
    secret = channel["generated_secret"]
    assert secret and channel["secrets_set"] == ["secret"] and "secret" not in channel["config"]
    shown = await client.get(f"/notifications/channels/{channel['id']}")
    assert shown.status_code == 200 and secret not in shown.text
    rule = await client.post(
        "/notifications/rules",
        json={
            "name": "visits breaches",
            "event_types": ["breach_detected"],
            "object_refs": [visits],
            "channel_ids": [channel["id"]],
            "rate_limit_seconds": 0,
        },
    )
    assert rule.status_code == 201, rule.text
    config = await client.post("/dq/configs", json={"object_ref": visits, "date_column": "at"})
    assert config.status_code == 201, config.text
    for body in (
        {"metric_type": "row_count", "threshold": {"strategy": "anomaly", "min_history": 5}},
        {
            "metric_type": "null_count",
            "column": "page",
            "threshold": {"strategy": "absolute", "max": 10},
        },
    ):
        resp = await client.post(
            "/dq/expectations", json={"config_id": config.json()["id"], **body}
        )
        assert resp.status_code == 201, resp.text
    run = await client.post(
        "/dq/runs", params={"wait": "true"}, json={"object_ref": visits, "days": 14}
    )
    assert run.status_code == 201, run.text
    opened = run.json()["breaches_opened"]
    assert opened == 2
    posts = await sink.wait_for("/dq", opened)
    for post in posts:
        verify_signature(post, secret)
        assert post.headers["X-DataCompass-Event"] == "datacompass.quality.breach.detected"
    # Exactly one per breach: a second run of the same days opens nothing and sends nothing.
    again = await client.post(
        "/dq/runs", params={"wait": "true"}, json={"object_ref": visits, "days": 14}
    )
    assert again.json()["breaches_opened"] == 0
    await asyncio.sleep(1.5)
    assert len(sink.received("/dq")) == opened
    assert len({p.headers["X-DataCompass-Delivery"] for p in posts}) == opened
    log = await client.get("/notifications/log", params={"channel_id": channel["id"]})
    assert log.status_code == 200
    assert [e["status"] for e in log.json()["items"]] == ["sent"] * opened
    sent = {"channel_id": channel["id"], "status": "sent"}
    assert len((await client.get("/notifications/log", params=sent)).json()["items"]) == opened
    dead = {"channel_id": channel["id"], "status": "dead"}
    assert (await client.get("/notifications/log", params=dead)).json()["items"] == []
    bad = await client.get("/notifications/log", params={"status": "lost"})
    assert bad.status_code == 400 and "status: must be one of sent, retrying, dead" in bad.text


async def test_bad_channels_and_rules_are_400(client: httpx.AsyncClient) -> None:
    for body, needle in [
        ({"name": "x", "channel_type": "webhook", "config": {}}, "url"),
        ({"name": "x", "channel_type": "webhook", "config": {"url": "ftp://a"}}, "url"),
        (
            {"name": "x", "channel_type": "email", "config": {"host": "smtp.x", "from": "a@b.c"}},
            "to",
        ),
        (
            {
                "name": "x",
                "channel_type": "slack",
                "config": {"webhook_url": "https://evil.example/h"},
            },
            "webhook_url",
        ),
    ]:
        resp = await client.post("/notifications/channels", json=body)
        assert resp.status_code == 400, (body, resp.text)
        assert needle in _error(resp), resp.text
    resp = await client.post(
        "/notifications/channels", json={"name": "x", "channel_type": "pager", "config": {}}
    )
    assert resp.status_code == 400
    resp = await client.post("/notifications/rules", json={"name": "r", "channel_ids": [424242]})
    assert resp.status_code in (400, 404), resp.text
    assert (await client.post("/notifications/channels/424242/test")).status_code == 404


async def test_channel_test_message_and_log(client: httpx.AsyncClient, sink: Sink) -> None:
    made = await client.post(
        "/notifications/channels",
        json={
            "name": "tester",
            "channel_type": "webhook",
            "config": {
                "url": sink.url("/test"),
                "secret": "s3cr3t-value-123",
                "headers": {"X-Team": "data"},
            },
        },
    )
    assert made.status_code == 201, made.text
    channel: dict[str, Any] = made.json()
    assert "s3cr3t-value-123" not in made.text and channel["generated_secret"] is None
    result = await client.post(f"/notifications/channels/{channel['id']}/test")
    assert result.status_code == 200 and result.json()["ok"], result.text
    (post,) = sink.received("/test")
    verify_signature(post, "s3cr3t-value-123")
    assert post.headers["X-Team"] == "data"
    changed = await client.patch(
        f"/notifications/channels/{channel['id']}", json={"enabled": False}
    )
    assert changed.status_code == 200 and changed.json()["enabled"] is False
    # Config untouched; header values are shown redacted, to everyone.
    assert changed.json()["config"]["headers"] == {"X-Team": "***"}
    made_rule = await client.post(
        "/notifications/rules",
        json={"name": "tester rule", "channel_ids": [channel["id"]], "priorities": ["high"]},
    )
    assert made_rule.status_code == 201, made_rule.text
    rule = await client.patch(
        f"/notifications/rules/{made_rule.json()['id']}",
        json={"priorities": [], "rate_limit_seconds": 0},
    )
    assert rule.status_code == 200, rule.text
    assert (rule.json()["priorities"], rule.json()["rate_limit_seconds"]) == ([], 0)
    assert rule.json()["name"] == "tester rule" and rule.json()["channel_ids"] == [channel["id"]]
    assert (await client.delete(f"/notifications/channels/{channel['id']}")).status_code == 204


async def test_cli_channel_rule_test_and_log(stack: Stack, sink: Sink) -> None:
    import json

    added = await cli(
        stack, "--format", "json", "notify", "channel", "add", "cli hook",
        "--type", "webhook", "--set", f"url={sink.url('/cli')}",
        "--set", "secret=cli-secret-0123456789",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    (channel,) = json.loads(added.stdout)
    assert "cli-secret-0123456789" not in added.stdout
    listed = await cli(stack, "notify", "channel", "list")
    assert listed.exit_code == 0 and "cli hook" in listed.stdout
    tested = await cli(stack, "notify", "test", str(channel["id"]))
    assert tested.exit_code == 0, tested.output
    assert "delivered" in tested.stdout
    verify_signature(sink.received("/cli")[0], "cli-secret-0123456789")
    rule = await cli(
        stack, "notify", "rule", "add", "cli rule", "--channel", str(channel["id"]),
        "--event", "breach_detected",
    )  # fmt: skip
    assert rule.exit_code == 0, rule.output
    log = await cli(stack, "--format", "json", "notify", "log", "--channel", str(channel["id"]))
    assert log.exit_code == 0 and json.loads(log.stdout)[0]["status"] == "sent"
    bad = await cli(stack, "notify", "channel", "add", "x", "--type", "webhook", "--set", "url")
    assert bad.exit_code == 2 and "key=value" in bad.output
    invalid = await cli(stack, "notify", "channel", "add", "x", "--type", "webhook")
    assert invalid.exit_code == 1 and "url" in invalid.output
