"""Channels and rules over the real gRPC API: validation per field, secrets never returned,
and test sends to a real SMTP server and a local HTTP receiver."""

from __future__ import annotations

import ipaddress
from typing import Any

import grpc
import pytest
from google.protobuf import field_mask_pb2
from notifier_testkit import SMTP_PASSWORD, SMTP_USER, Env, Mailbox, status, struct

from datacompass.notifier.v1 import notifier_pb2 as pb
from devstack.http_sink import Sink, verify_signature
from notifier_service.adapters.channels.targets import TargetGuard


def mask(*paths: str) -> field_mask_pb2.FieldMask:
    return field_mask_pb2.FieldMask(paths=list(paths))


def change_channel(channel_id: int, **fields: Any) -> pb.UpdateChannelRequest:
    """An update of the given fields (named in the mask)."""
    return pb.UpdateChannelRequest(
        id=channel_id, channel=pb.Channel(**fields), update_mask=mask(*fields)
    )


async def create(
    env: Env, channel_type: str, config: dict, name: str = "c"
) -> pb.CreateChannelResponse:  # type: ignore[type-arg]
    return await env.stub.CreateChannel(
        pb.CreateChannelRequest(name=name, channel_type=channel_type, config=struct(config))
    )


async def invalid(env: Env, channel_type: str, config: dict) -> str:  # type: ignore[type-arg]
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await create(env, channel_type, config)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    return err.value.details() or ""


async def test_config_validation_names_each_bad_field(env: Env) -> None:
    async with env.running():
        msg = await invalid(env, "webhook", {"url": "ftp://x", "secret": "short", "bogus": 1})
        assert "config.url: must be an http or https URL" in msg
        assert "config.secret: must be a string of at least 16 characters" in msg
        assert "config.bogus: unknown key" in msg
        msg = await invalid(env, "webhook", {"headers": {"X-DataCompass-Signature": "forged"}})
        assert "config.url: required" in msg and "cannot be overridden" in msg
        msg = await invalid(env, "slack", {"webhook_url": "https://evil.example/hook"})
        assert "config.webhook_url: host must be one of 127.0.0.1" in msg
        assert "config.webhook_url: required" in await invalid(env, "slack", {})
        msg = await invalid(
            env, "email",
            {"port": 70000, "starttls": "yes", "username": "u", "from": "nope",
             "to": ["a@b.io", "bad"]},
        )  # fmt: skip
        for expected in (
            "config.host: required",
            "config.port: must be between 1 and 65535",
            "config.starttls: must be true or false",
            "config.password: required when username is set",
            "config.from: 'nope' is not an email address",
            "config.to: not email addresses: bad",
        ):
            assert expected in msg
        assert "config.port: must be an integer" in await invalid(
            env, "email", {"host": "h", "port": 25.5, "from": "a@b.io", "to": ["a@b.io"]}
        )
        assert "config.to: at least one recipient" in await invalid(
            env, "email", {"host": "h", "from": "a@b.io"}
        )
        assert "channel_type: must be one of" in await invalid(env, "pager", {})
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await create(env, "webhook", {"url": "http://h"}, name=" ")
        assert "name: required" in (err.value.details() or "")


async def test_secrets_are_never_returned(env: Env, sink: Sink) -> None:
    async with env.running():
        # Header values (an Authorization header) and URL credentials are secrets too.
        url = sink.url("/h").replace("://", "://bob:url-pw-9@")
        headers = {"X-Team": "dq", "X-Api-Key": "hdr-secret-1"}
        created = await create(env, "webhook", {"url": url, "headers": headers})
        secret = created.generated_secret
        assert len(secret) >= 32 and created.channel.secrets_set == ["secret"]
        slack = await create(env, "slack", {"webhook_url": sink.url("/T0/B0/xyz")}, name="s")
        assert slack.generated_secret == "" and slack.channel.secrets_set == ["webhook_url"]
        mail = await create(
            env, "email",
            {"host": "127.0.0.1", "port": 25, "starttls": False, "username": "u",
             "password": "pw-123456", "from": "dc@x.io", "to": ["a@x.io"]},
            name="m",
        )  # fmt: skip
        got = await env.stub.GetChannel(pb.GetChannelRequest(id=created.channel.id))
        listed = await env.stub.ListChannels(pb.ListChannelsRequest())
        updated = await env.stub.UpdateChannel(
            change_channel(mail.channel.id, config=struct({"port": 2525, "password": "pw-123456"}))
        )
        # What the caller was shown may be sent back: `***` keeps the stored values.
        echoed = await env.stub.UpdateChannel(change_channel(created.channel.id, config=got.config))
        everything = str([created.channel, slack, mail, got, listed, updated, echoed])
        leaks = (secret, "xyz", "pw-123456", "hdr-secret-1", "url-pw-9")
        for leaked in leaks:
            assert leaked not in everything
        assert updated.config["port"] == 2525 and updated.secrets_set == ["password"]
        assert dict(got.config["headers"]) == {"X-Team": "***", "X-Api-Key": "***"}
        assert got.config["url"] == sink.url("/h").replace("://", "://***@")
        # Stored encrypted too, and absent from the audit records in the outbox.
        stored = await env.sql(
            "SELECT secrets::text AS s, config::text AS c FROM notifier.channels"
        )
        outbox = await env.sql("SELECT encode(payload, 'escape') AS p FROM notifier.outbox")
        for leaked in leaks:
            assert all(leaked not in r["s"] + r["c"] for r in stored)
            assert all(leaked not in r["p"] for r in outbox)
        # The secrets still work: the updates kept them (a test send is signed with it).
        result = await env.stub.TestChannel(pb.TestChannelRequest(id=created.channel.id))
        assert result.ok and result.response == "HTTP 200"
        verify_signature(sink.received("/h")[0], secret)
        assert sink.received("/h")[0].headers["X-Team"] == "dq"
        assert sink.received("/h")[0].headers["X-Api-Key"] == "hdr-secret-1"
        assert sink.received("/h")[0].headers["Authorization"] == "Basic Ym9iOnVybC1wdy05"


async def test_moving_the_endpoint_needs_the_credentials_again(env: Env, sink: Sink) -> None:
    """Else an admin could point the stored SMTP password or webhook headers elsewhere."""
    async with env.running():
        hook = await create(
            env, "webhook", {"url": sink.url("/h"), "headers": {"Authorization": "Bearer t"}}
        )
        mail = await create(
            env, "email",
            {"host": "127.0.0.1", "port": 25, "username": "u", "password": "pw-123456",
             "from": "dc@x.io", "to": ["a@x.io"]},
            name="m",
        )  # fmt: skip
        refused = (
            (mail.channel.id, {"host": "smtp.evil.example"}, "config.password"),
            (mail.channel.id, {"port": 2525}, "config.password"),
            (hook.channel.id, {"url": "https://evil.example/h"}, "config.headers"),
            (
                hook.channel.id,
                {"url": "https://evil.example/h", "headers": {"Authorization": "***"}},
                "config.headers",
            ),
        )
        for channel_id, config, named in refused:
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await env.stub.UpdateChannel(change_channel(channel_id, config=struct(config)))
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert named in (err.value.details() or "")
        got = await env.stub.GetChannel(pb.GetChannelRequest(id=mail.channel.id))
        assert got.config["host"] == "127.0.0.1"
        moved = await env.stub.UpdateChannel(
            change_channel(mail.channel.id, config=struct({"host": "h2", "password": "new-pw"}))
        )
        assert moved.config["host"] == "h2"
        moved = await env.stub.UpdateChannel(
            change_channel(
                hook.channel.id,
                config=struct({"url": sink.url("/h2"), "headers": {"Authorization": "Bearer u"}}),
            )
        )
        assert moved.config["url"] == sink.url("/h2")


async def test_test_email_through_real_smtp_with_login(env: Env, smtp: Mailbox) -> None:
    async with env.running():
        created = await create(
            env, "email",
            {"host": "127.0.0.1", "port": smtp.port, "starttls": False, "username": SMTP_USER,
             "password": SMTP_PASSWORD, "from": "dc@example.io", "to": ["ops@example.io"]},
            name="<b>ops</b>",
        )  # fmt: skip
        result = await env.stub.TestChannel(pb.TestChannelRequest(id=created.channel.id))
        assert result.ok, result.error
        [mail] = await smtp.wait_for(1)
        assert smtp.logins == [SMTP_USER]
        assert mail["To"] == "ops@example.io" and mail["From"] == "dc@example.io"
        assert mail.is_multipart() and mail.get_content_type() == "multipart/alternative"
        plain = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
        assert "Test notification for channel <b>ops</b>" in plain
        assert "&lt;b&gt;ops&lt;/b&gt;" in html and "<b>ops</b>" not in html  # escaped
        # Wrong password: SMTP 535 is permanent; the attempt is logged as dead.
        await env.stub.UpdateChannel(
            change_channel(created.channel.id, config=struct({"password": "wrong-pw"}))
        )
        bad = await env.stub.TestChannel(pb.TestChannelRequest(id=created.channel.id))
        assert not bad.ok and "535" in bad.error
        log = await env.log(channel_id=created.channel.id)
        assert [status(e) for e in log] == ["sent", "dead"]


async def test_rule_validation_and_crud(env: Env, sink: Sink) -> None:
    async with env.running():
        hook, _ = await env.webhook(sink.url("/h"))
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await env.stub.CreateRule(
                pb.CreateRuleRequest(
                    name="", event_types=["nope", "breach_detected"], priorities=["urgent"],
                    rate_limit_seconds=-1,
                )
            )  # fmt: skip
        msg = err.value.details() or ""
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        for expected in ("name: required", "unknown event type 'nope'", "priorities: 'urgent'",
                         "channel_ids: at least one", "rate_limit_seconds"):  # fmt: skip
            assert expected in msg
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await env.rule([hook.id, 999])
        assert "channel_ids: no channel 999" in (err.value.details() or "")
        rule = await env.stub.CreateRule(pb.CreateRuleRequest(name="all", channel_ids=[hook.id]))
        assert "datacompass.catalog.scan.completed" not in rule.event_types  # opt-in
        assert "datacompass.quality.breach.detected" in rule.event_types
        assert rule.rate_limit_seconds == 300 and rule.enabled
        custom = await env.rule(
            [hook.id],
            event_types=["sync_completed", "datacompass.catalog.schema.changed", "schema_changed"],
        )
        assert list(custom.event_types) == [
            "datacompass.catalog.scan.completed",
            "datacompass.catalog.schema.changed",
        ]
        # Only catalogued events the notifier has notices for: not a made-up subject, not
        # one nobody publishes, not a catalogued one without notices (audit records).
        for unknown in ("datacompass.x.y.z", "datacompass.audit.recorded"):
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await env.rule([hook.id], event_types=[unknown])
            assert f"unknown event type {unknown!r}" in (err.value.details() or "")
        updated = await env.stub.UpdateRule(
            pb.UpdateRuleRequest(id=rule.id, rule=pb.Rule(enabled=False, object_refs=["shop.*"]),
                                 update_mask=mask("enabled", "object_refs"))
        )  # fmt: skip
        assert not updated.enabled and list(updated.object_refs) == ["shop.*"]
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await env.stub.UpdateRule(pb.UpdateRuleRequest(id=rule.id, update_mask=mask("id")))
        assert "update_mask: cannot change id" in (err.value.details() or "")
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await env.stub.UpdateRule(pb.UpdateRuleRequest(id=rule.id, rule=pb.Rule(name="x")))
        assert "update_mask: name the fields to change" in (err.value.details() or "")
        await env.stub.DeleteRule(pb.DeleteRuleRequest(id=rule.id))
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await env.stub.GetRule(pb.GetRuleRequest(id=rule.id))
        assert err.value.code() == grpc.StatusCode.NOT_FOUND
        assert len((await env.stub.ListRules(pb.ListRulesRequest())).items) == 1


async def test_targets_on_internal_addresses_are_refused(env: Env, sink: Sink) -> None:
    """SSRF guard: a webhook or SMTP host resolving to loopback (outside development), a
    private, link-local (cloud metadata) or reserved address is refused when sending, with a
    clear, non-retryable error; an allowlisted one goes through."""
    async with env.running(allow_loopback_targets=False):
        hooks = {
            "loopback": sink.url("/h"),
            "localhost": sink.url("/h").replace("127.0.0.1", "localhost"),
            "metadata": "http://169.254.169.254/latest/meta-data/",
            "private": "http://10.0.0.5/hook",
            "mapped": "http://[::ffff:10.0.0.5]/hook",
        }
        for i, (name, url) in enumerate(hooks.items()):
            made = await create(env, "webhook", {"url": url}, name=f"w{i}")
            result = await env.stub.TestChannel(pb.TestChannelRequest(id=made.channel.id))
            assert not result.ok and "target refused" in result.error, name
        mail = await create(
            env, "email", {"host": "127.0.0.1", "port": 25, "from": "a@b.io", "to": ["c@d.io"]},
            name="m",
        )  # fmt: skip
        result = await env.stub.TestChannel(pb.TestChannelRequest(id=mail.channel.id))
        assert not result.ok and "127.0.0.1 resolves to 127.0.0.1 (loopback)" in result.error
        assert not sink.received("/h")
    async with env.running(allow_loopback_targets=False, allowed_private_targets=["127.0.0.0/8"]):
        made = await create(env, "webhook", {"url": sink.url("/h")}, name="allowed")
        result = await env.stub.TestChannel(pb.TestChannelRequest(id=made.channel.id))
        assert result.ok, result.error


def test_target_guard_addresses() -> None:
    guard = TargetGuard(allow_loopback=False, allowed=["10.1.0.0/16", "smtp.internal"])
    allowed = ("93.184.216.34", "2606:4700::1111", "10.1.2.3")
    refused = (
        "127.0.0.1", "::1", "10.0.0.1", "192.168.1.1", "172.16.0.1", "169.254.169.254",
        "100.64.0.1", "0.0.0.0", "fd00::1", "fe80::1", "224.0.0.1", "::ffff:127.0.0.1",
    )  # fmt: skip
    for address in allowed:
        assert guard.allows_address(ipaddress.ip_address(address)), address
    for address in refused:
        assert not guard.allows_address(ipaddress.ip_address(address)), address
    assert "smtp.internal" in guard.hosts
    assert TargetGuard(allow_loopback=True).allows_address(ipaddress.ip_address("127.0.0.1"))
