"""A notice as each channel shows it: Slack Block Kit, webhook JSON, email plain + HTML."""

from __future__ import annotations

import html
import re
from typing import Any

from notifier_service.domain.notices import Notice

_SLACK_SPECIAL = re.compile(r"[&<>]")


def _slack_escape(text: str) -> str:
    # Slack mrkdwn treats <...> as links/mentions: escape so event text cannot ping @channel.
    return _SLACK_SPECIAL.sub(lambda m: {"&": "&amp;", "<": "&lt;", ">": "&gt;"}[m.group()], text)


def slack(notice: Notice) -> dict[str, Any]:
    fields = [
        {"type": "mrkdwn", "text": f"*Priority:* {_slack_escape(notice.priority or 'n/a')}"},
        {"type": "mrkdwn", "text": f"*Source:* {_slack_escape(notice.source or 'n/a')}"},
    ]
    if notice.object_ref:
        fields.append({"type": "mrkdwn", "text": f"*Object:* {_slack_escape(notice.object_ref)}"})
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": notice.title[:150]}},
        {"type": "section", "fields": fields},
        {"type": "section", "text": {"type": "mrkdwn", "text": _slack_escape(notice.body)[:3000]}},
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


def webhook(notice: Notice, event_id: str, delivery_id: int) -> dict[str, Any]:
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


def email_subject(notice: Notice) -> str:
    prefix = f"[{notice.priority.upper()}] " if notice.priority else ""
    return f"[Data Compass] {prefix}{notice.title}"


def email_text(notice: Notice) -> str:
    lines = [notice.title, "", notice.body, ""]
    if notice.priority:
        lines.append(f"Priority: {notice.priority}")
    if notice.source:
        lines.append(f"Source: {notice.source}")
    if notice.link:
        lines += ["", f"View in Data Compass: {notice.link}"]
    return "\n".join(lines) + "\n"


def email_html(notice: Notice) -> str:
    e = html.escape
    rows = "".join(
        f"<tr><th align='left'>{e(k)}</th><td>{e(v)}</td></tr>"
        for k, v in (("Priority", notice.priority), ("Source", notice.source),
                     ("Object", notice.object_ref)) if v
    )  # fmt: skip
    body = "<br>".join(e(line) for line in notice.body.splitlines())
    link = f"<p><a href='{e(notice.link, quote=True)}'>View in Data Compass</a></p>"
    return (
        f"<html><body><h2>{e(notice.title)}</h2><table>{rows}</table><p>{body}</p>"
        f"{link if notice.link else ''}</body></html>"
    )
