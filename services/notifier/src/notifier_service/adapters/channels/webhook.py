"""Webhooks: a signed JSON POST to any http(s) URL, with optional extra headers."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Mapping
from typing import Any

from notifier_service.adapters.channels.base import ChannelType
from notifier_service.domain.channels import ChannelConfig, ConfigCheck
from notifier_service.domain.deliveries import Outcome
from notifier_service.domain.notices import Notice

# Headers we set ourselves; a channel must not be able to forge or break them.
RESERVED_HEADERS = {"content-type", "content-length", "host"}
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`: receivers recompute it and reject
    old timestamps, so a captured request cannot be replayed later."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def render(notice: Notice, event_id: str, delivery_id: int) -> dict[str, Any]:
    return {
        "delivery_id": delivery_id,
        "event_id": event_id,
        "event_type": notice.event_type,
        "title": notice.title,
        "body": notice.body,
        "priority": notice.priority,
        "source": notice.source,
        "object_ref": notice.object_ref,
        "link": notice.link,
        "timestamp": notice.time,
        "metadata": notice.metadata,
    }


def _headers(check: ConfigCheck) -> None:
    value = check.config.get("headers", {})
    if not isinstance(value, dict):
        check.error("headers", "must be an object of header name → string value")
        return
    out: dict[str, str] = {}
    for name, v in value.items():
        if not _HEADER_NAME.match(name) or not isinstance(v, str) or "\n" in v or "\r" in v:
            check.error(f"headers.{name}", "must be a valid header name with a string value")
        elif name.lower() in RESERVED_HEADERS or name.lower().startswith("x-datacompass-"):
            check.error(f"headers.{name}", "is set by Data Compass and cannot be overridden")
        else:
            out[name] = v
    check.out["headers"] = out


class Webhook(ChannelType):
    name = "webhook"
    keys = frozenset({"url", "headers", "secret"})
    secret_keys = frozenset({"secret"})

    def validate(self, config: Mapping[str, Any], *, generate_secret: bool) -> ChannelConfig:
        check = ConfigCheck(self.name, config, self.keys)
        check.url("url")
        _headers(check)
        secret, generated = config.get("secret"), ""
        if secret is None and generate_secret:
            secret = generated = secrets.token_urlsafe(32)
        if not isinstance(secret, str) or len(secret) < 16:
            check.error("secret", "must be a string of at least 16 characters")
        check.out["secret"] = secret
        # Header values (Authorization, API keys) and URL credentials are sealed too and shown
        # as `***`; moving the URL needs the headers again.
        return check.result(
            self.secret_keys,
            generated,
            sealed_keys={"url", "headers"},
            endpoint_keys={"url"},
            credential_keys={"headers"},
        )

    async def send(
        self, config: Mapping[str, Any], notice: Notice, *, event_id: str, delivery_id: int
    ) -> Outcome:
        body = json.dumps(render(notice, event_id, delivery_id), sort_keys=True).encode()
        timestamp = str(int(time.time()))
        headers = {
            **config.get("headers", {}),
            "X-DataCompass-Event": notice.event_type,
            "X-DataCompass-Delivery": str(delivery_id),
            "X-DataCompass-Timestamp": timestamp,
            "X-DataCompass-Signature": sign(config["secret"], timestamp, body),
        }
        return await self.env.http.post_json(config["url"], body, headers)
