"""Slack: an incoming webhook (its URL is the secret) receiving a Block Kit message."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from notifier_service.adapters.channels.base import ChannelType
from notifier_service.domain.channels import ChannelConfig, ConfigCheck
from notifier_service.domain.deliveries import Outcome
from notifier_service.domain.notices import Notice

_SPECIAL = re.compile(r"[&<>]")


def _escape(text: str) -> str:
    # Slack mrkdwn treats <...> as links/mentions: escape so event text cannot ping @channel.
    return _SPECIAL.sub(lambda m: {"&": "&amp;", "<": "&lt;", ">": "&gt;"}[m.group()], text)


def render(notice: Notice) -> dict[str, Any]:
    fields = [
        {"type": "mrkdwn", "text": f"*Priority:* {_escape(notice.priority or 'n/a')}"},
        {"type": "mrkdwn", "text": f"*Source:* {_escape(notice.source or 'n/a')}"},
    ]
    if notice.object_ref:
        fields.append({"type": "mrkdwn", "text": f"*Object:* {_escape(notice.object_ref)}"})
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": notice.title[:150]}},
        {"type": "section", "fields": fields},
        {"type": "section", "text": {"type": "mrkdwn", "text": _escape(notice.body)[:3000]}},
    ]
    if notice.link:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "View in Data Compass"},
                        "url": notice.link,
                    }
                ],
            }
        )
    return {"text": notice.title, "blocks": blocks}  # `text`: the notification fallback


class Slack(ChannelType):
    name = "slack"
    keys = frozenset({"webhook_url"})
    secret_keys = frozenset({"webhook_url"})

    def validate(self, config: Mapping[str, Any], *, generate_secret: bool) -> ChannelConfig:
        check = ConfigCheck(self.name, config, self.keys)
        url = check.url("webhook_url")
        hosts = self.env.settings.slack_allowed_hosts
        if url is not None and (urlsplit(url).hostname or "") not in hosts:
            check.error("webhook_url", f"host must be one of {', '.join(hosts)}")
        return check.result(self.secret_keys)

    async def send(
        self, config: Mapping[str, Any], notice: Notice, *, event_id: str, delivery_id: int
    ) -> Outcome:
        body = json.dumps(render(notice)).encode()
        return await self.env.http.post_json(config["webhook_url"], body, {})
