"""Delivery end to end: events published on the test's NATS stream are planned, sent to real
receivers (local HTTP server, aiosmtpd), retried, dead-lettered, rate-limited and logged."""

from __future__ import annotations

import asyncio
import time

from notifier_testkit import (
    SMTP_PASSWORD,
    SMTP_USER,
    Env,
    Mailbox,
    breach,
    eventually,
    status,
    struct,
)
from prometheus_client import REGISTRY

from datacompass.catalog.v1 import catalog_pb2 as cpb
from datacompass.notifier.v1 import notifier_pb2 as pb
from devstack.http_sink import Sink, verify_signature

DETECTED = "datacompass.quality.breach.detected"


async def test_breach_reaches_webhook_slack_and_email_once(
    env: Env, sink: Sink, smtp: Mailbox
) -> None:
    async with env.running():
        hook, secret = await env.webhook(sink.url("/hook"), headers={"X-Team": "dq"})
        slack = await env.stub.CreateChannel(
            pb.CreateChannelRequest(
                name="slack", channel_type="slack",
                config=struct({"webhook_url": sink.url("/services/T0/B0/x")}),
            )
        )  # fmt: skip
        mail = await env.stub.CreateChannel(
            pb.CreateChannelRequest(
                name="mail", channel_type="email",
                config=struct({"host": "127.0.0.1", "port": smtp.port, "starttls": False,
                               "username": SMTP_USER, "password": SMTP_PASSWORD,
                               "from": "dc@x.io", "to": ["a@x.io", "b@x.io"]}),
            )
        )  # fmt: skip
        await env.rule([hook.id, slack.channel.id, mail.channel.id])
        event = breach(41, column="<amount>")
        event_id = await env.publish(DETECTED, "urn:x", event)
        await env.publish(DETECTED, "urn:x", event, event_id=event_id)  # redelivered as-is

        [post] = await sink.wait_for("/hook", 1)
        verify_signature(post, secret)
        body = post.json()
        assert body["event_id"] == event_id and body["event_type"] == DETECTED
        assert body["link"] == "http://dc.example/objects/shop.sales.orders"
        assert body["metadata"]["breach_id"] == 41 and "Breach #41" in body["body"]
        assert body["priority"] == "high" and body["source"] == "shop"
        assert post.headers["X-Team"] == "dq"
        assert post.headers["X-DataCompass-Delivery"] == str(body["delivery_id"])

        [slack_post] = await sink.wait_for("/services/T0/B0/x", 1)
        blocks = slack_post.json()["blocks"]
        assert [b["type"] for b in blocks] == ["header", "section", "section", "actions"]
        assert "shop.sales.orders" in blocks[0]["text"]["text"]
        assert "&lt;amount&gt;" in blocks[2]["text"]["text"]  # mrkdwn-escaped
        assert blocks[3]["elements"][0]["url"] == body["link"]

        [email] = await smtp.wait_for(1)
        assert "[HIGH]" in email["Subject"] and "shop.sales.orders" in email["Subject"]
        html = email.get_body(("html",)).get_content()  # type: ignore[union-attr]
        assert "row_count(&lt;amount&gt;)" in html and body["link"] in html

        await asyncio.sleep(1.0)  # nothing else arrives: the duplicate was not planned again
        assert len(sink.received("/hook")) == 1 and len(smtp.messages) == 1
        log = await env.log(event_type=DETECTED)
        assert sorted(e.channel_type for e in log) == ["email", "slack", "webhook"]
        assert all(status(e) == "sent" and e.attempt == 1 for e in log)


async def test_retries_5xx_then_one_success_with_three_log_rows(env: Env, sink: Sink) -> None:
    sink.answer("/flaky", (500, {}), (503, {}))
    async with env.running():
        hook, _ = await env.webhook(sink.url("/flaky"))
        await env.rule([hook.id])
        await env.publish(DETECTED, "urn:x", breach(1))
        await sink.wait_for("/flaky", 3)

        async def logged() -> bool:
            return len(await env.log(channel_id=hook.id)) == 3

        await eventually(logged)
        log = await env.log(channel_id=hook.id)
        assert [(e.attempt, status(e), e.response) for e in log] == [
            (1, "retrying", "HTTP 500"), (2, "retrying", "HTTP 503"), (3, "sent", "HTTP 200"),
        ]  # fmt: skip
        assert len({e.delivery_id for e in log}) == 1
        await asyncio.sleep(0.5)
        assert len(sink.received("/flaky")) == 3
        rows = await env.sql("SELECT status, attempts FROM notifier.deliveries")
        assert [(r["status"], r["attempts"]) for r in rows] == [("sent", 3)]


async def test_429_retry_after_is_honoured(env: Env, sink: Sink) -> None:
    sink.answer("/busy", (429, {"Retry-After": "2"}))
    async with env.running():
        hook, _ = await env.webhook(sink.url("/busy"))
        await env.rule([hook.id])
        await env.publish(DETECTED, "urn:x", breach(2))
        first, second = await sink.wait_for("/busy", 2)
        # Backoff alone would retry after ~0.05 s; the receiver asked for 2 s.
        assert second.at - first.at >= 1.9

        async def both_logged() -> bool:  # the 200 is logged once the receiver has answered
            return len(await env.log(channel_id=hook.id)) >= 2

        await eventually(both_logged)
        assert [e.response for e in await env.log(channel_id=hook.id)] == ["HTTP 429", "HTTP 200"]


async def test_dead_letter_after_max_attempts_and_4xx_at_once(env: Env, sink: Sink) -> None:
    dead_before = {
        m.labels["reason"]: m.value
        for metric in REGISTRY.collect()
        if metric.name == "dc_notifications_dead"
        for m in metric.samples
        if m.name == "dc_notifications_dead_total" and m.labels["channel_type"] == "webhook"
    }
    sink.answer("/down", *[(502, {})] * 5)
    sink.answer("/gone", (404, {}))
    async with env.running():
        down, _ = await env.webhook(sink.url("/down"))
        gone, _ = await env.webhook(sink.url("/gone"))
        await env.rule([down.id, gone.id])
        await env.publish(DETECTED, "urn:x", breach(3))

        async def settled() -> bool:
            rows = await env.sql("SELECT status FROM notifier.deliveries")
            return len(rows) == 2 and all(r["status"] == "dead" for r in rows)

        await eventually(settled)
        down_log = await env.log(channel_id=down.id)
        assert [status(e) for e in down_log] == ["retrying", "retrying", "dead"]  # max_attempts=3
        assert "gave up after 3 attempts: HTTP 502" in down_log[-1].error
        [gone_log] = await env.log(channel_id=gone.id)
        assert status(gone_log) == "dead" and gone_log.response == "HTTP 404"
        assert len(sink.received("/down")) == 3 and len(sink.received("/gone")) == 1
        assert len(await env.log(status="dead")) == 2
        dead = {
            (m.labels["reason"]): m.value
            for metric in REGISTRY.collect()
            if metric.name == "dc_notifications_dead"
            for m in metric.samples
            if m.name == "dc_notifications_dead_total" and m.labels["channel_type"] == "webhook"
        }
        assert dead.get("http_5xx", 0) - dead_before.get("http_5xx", 0) == 1
        assert dead.get("http_4xx", 0) - dead_before.get("http_4xx", 0) == 1


async def test_notifier_killed_between_planning_and_sending_sends_once(
    env: Env, sink: Sink
) -> None:
    async with env.running():
        hook, secret = await env.webhook(sink.url("/once"))
        await env.rule([hook.id])
    async with env.running(send=False):  # this notifier plans, then dies before sending
        event_id = await env.publish(DETECTED, "urn:x", breach(4))

        async def planned() -> bool:
            return len(await env.sql("SELECT 1 FROM notifier.deliveries")) == 1

        await eventually(planned)
    assert sink.received("/once") == []
    async with env.running():  # restarted: the durable consumer does not plan it again
        [post] = await sink.wait_for("/once", 1)
        verify_signature(post, secret)
        assert post.json()["event_id"] == event_id
        await asyncio.sleep(1.0)
        assert len(sink.received("/once")) == 1
        rows = await env.sql("SELECT status FROM notifier.deliveries")
        assert [r["status"] for r in rows] == ["sent"]


async def test_expired_lease_is_unknown_outcome_not_resent(env: Env, sink: Sink) -> None:
    async with env.running(send=False):
        hook, _ = await env.webhook(sink.url("/lease"))
        await env.rule([hook.id])
        await env.publish(DETECTED, "urn:x", breach(5))

        async def planned() -> bool:
            return len(await env.sql("SELECT 1 FROM notifier.deliveries")) == 1

        await eventually(planned)
    # What a sender that died mid-send leaves behind: claimed, lease run out.
    await env.sql(
        "UPDATE notifier.deliveries SET status = 'sending', attempts = 1, "
        "lease_until = now() - interval '1 second'"
    )
    async with env.running():

        async def dead() -> bool:
            return [status(e) for e in await env.log(channel_id=hook.id)] == ["dead"]

        await eventually(dead)
        assert "unknown outcome" in (await env.log(channel_id=hook.id))[0].error
        await asyncio.sleep(0.5)
        assert sink.received("/lease") == []


async def test_rate_limit_folds_into_one_digest_and_dedupes(env: Env, sink: Sink) -> None:
    async with env.running():
        hook, _ = await env.webhook(sink.url("/digest"))
        await env.rule(
            [hook.id], rate_limit_seconds=2, event_types=["breach_detected", "breach_bulk"]
        )
        opened = time.time()  # the rate window opens after this (the sink stamps time.time())
        await env.publish(DETECTED, "urn:x", breach(10))
        [first] = await sink.wait_for("/digest", 1)
        assert first.json()["metadata"]["breach_id"] == 10
        # Same object within the window: folded; a repeat of breach 11 (new event id) deduped;
        # another object is not limited by this one.
        for breach_id in (11, 12, 11):
            await env.publish(DETECTED, "urn:x", breach(breach_id))
        await env.publish(DETECTED, "urn:y", breach(20, ref="shop.sales.refunds"))
        posts = await sink.wait_for("/digest", 3, within=10)
        # The digest waited for the window's end: a lower bound, which load cannot break.
        assert posts[2].at >= opened + 2, posts[2].at - opened
        digest = posts[2].json()
        assert digest["event_type"] == "datacompass.notifier.digest"
        assert digest["metadata"]["count"] == 2
        assert "Breach #11" not in digest["body"] and digest["title"].startswith("2 more")
        await asyncio.sleep(0.5)
        assert len(sink.received("/digest")) == 3


async def test_scan_and_schema_events_follow_rule_filters(env: Env, sink: Sink) -> None:
    async with env.running():
        hook, _ = await env.webhook(sink.url("/catalog"))
        await env.rule(
            [hook.id], event_types=["sync_failed", "schema_changed"], source_names=["shop"],
            rate_limit_seconds=0,
        )  # fmt: skip
        scan = cpb.ScanRun(id=9, source_name="shop", error="connection refused")
        await env.publish("datacompass.catalog.scan.completed", "shop", cpb.ScanFinished(scan=scan))
        await env.publish("datacompass.catalog.scan.failed", "shop", cpb.ScanFinished(scan=scan))
        other = cpb.ScanRun(id=10, source_name="crm", error="x")
        await env.publish("datacompass.catalog.scan.failed", "crm", cpb.ScanFinished(scan=other))
        minor = cpb.SchemaChanged(object_ref="shop.a.b", version="1.1.0", breaking=False)
        await env.publish("datacompass.catalog.schema.changed", "u", minor)
        major = cpb.SchemaChanged(
            object_ref="shop.a.b", version="2.0.0", previous_version="1.1.0", breaking=True,
            changes=[cpb.SchemaChange(kind="column_removed", target="qty", breaking=True)],
        )  # fmt: skip
        await env.publish("datacompass.catalog.schema.changed", "u", major)
        posts = await sink.wait_for("/catalog", 2)
        await asyncio.sleep(1.0)
        bodies = sorted(
            (p.json() for p in sink.received("/catalog")), key=lambda b: b["event_type"]
        )
        assert [b["title"] for b in bodies] == [
            "Metadata scan of shop failed",
            "Breaking schema change on shop.a.b: 1.1.0 → 2.0.0",
        ]
        assert bodies[0]["body"] == "connection refused"
        assert "column_removed qty" in bodies[1]["body"]
        assert bodies[1]["link"] == "http://dc.example/objects/shop.a.b"
        del posts
