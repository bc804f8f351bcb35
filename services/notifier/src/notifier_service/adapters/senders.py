"""Sending a notice through a channel: Slack and webhooks over HTTP, email over SMTP."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import smtplib
import ssl
import time
from email.message import EmailMessage
from typing import Any

import httpx

from notifier_service.domain import render
from notifier_service.domain.notices import Notice
from notifier_service.domain.retry import Outcome, http_outcome

USER_AGENT = "DataCompass-Notifier/1"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`: receivers recompute it and reject
    old timestamps, so a captured request cannot be replayed later."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class Senders:
    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.http = httpx.AsyncClient(timeout=timeout, follow_redirects=False)

    async def close(self) -> None:
        await self.http.aclose()

    async def send(
        self, channel_type: str, config: dict[str, Any], notice: Notice, event_id: str,
        delivery_id: int,
    ) -> Outcome:  # fmt: skip
        try:
            if channel_type == "slack":
                return await self._post(config["webhook_url"], render.slack(notice), {})
            if channel_type == "webhook":
                return await self._webhook(config, notice, event_id, delivery_id)
            return await asyncio.wait_for(
                asyncio.to_thread(self._email, config, notice), self.timeout + 1
            )
        except (httpx.TimeoutException, TimeoutError) as exc:
            return Outcome(False, "", f"timeout: {exc!r}", "timeout", True)
        except (httpx.TransportError, OSError) as exc:
            return Outcome(False, "", f"connection: {exc!r}", "connection", True)

    async def _webhook(
        self, config: dict[str, Any], notice: Notice, event_id: str, delivery_id: int
    ) -> Outcome:
        body = json.dumps(render.webhook(notice, event_id, delivery_id), sort_keys=True).encode()
        timestamp = str(int(time.time()))
        headers = {
            **config.get("headers", {}),
            "X-DataCompass-Event": notice.event_type,
            "X-DataCompass-Delivery": str(delivery_id),
            "X-DataCompass-Timestamp": timestamp,
            "X-DataCompass-Signature": sign(config["secret"], timestamp, body),
        }
        return await self._post(config["url"], body, headers)

    async def _post(
        self, url: str, payload: dict[str, Any] | bytes, headers: dict[str, str]
    ) -> Outcome:
        content = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        response = await self.http.post(
            url,
            content=content,
            headers={**headers, "Content-Type": "application/json", "User-Agent": USER_AGENT},
        )
        return http_outcome(response.status_code, response.headers.get("Retry-After"),
                            response.text)  # fmt: skip

    def _email(self, config: dict[str, Any], notice: Notice) -> Outcome:
        msg = EmailMessage()
        msg["Subject"] = render.email_subject(notice)
        msg["From"] = config["from"]
        msg["To"] = ", ".join(config["to"])
        msg.set_content(render.email_text(notice))
        msg.add_alternative(render.email_html(notice), subtype="html")
        try:
            with smtplib.SMTP(config["host"], config["port"], timeout=self.timeout) as smtp:
                smtp.ehlo()
                if config.get("starttls", True):
                    smtp.starttls(context=ssl.create_default_context())
                    smtp.ehlo()
                if config.get("username"):
                    smtp.login(config["username"], config.get("password", ""))
                refused = smtp.send_message(msg)
                code, reply = smtp.noop()
        except smtplib.SMTPResponseException as exc:
            text = f"SMTP {exc.smtp_code} {exc.smtp_error!r}"
            # 4xx = try again later; 5xx = permanent (bad credentials, rejected sender).
            return Outcome(False, text, text, "smtp", 400 <= exc.smtp_code < 500)
        except smtplib.SMTPRecipientsRefused as exc:
            return Outcome(False, "", f"SMTP recipients refused: {exc.recipients}", "smtp", False)
        except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError) as exc:
            return Outcome(False, "", f"SMTP connection: {exc}", "connection", True)
        except smtplib.SMTPException as exc:
            return Outcome(False, "", f"SMTP: {exc}", "smtp", False)
        if refused:
            return Outcome(True, f"SMTP 250 (refused: {', '.join(refused)})")
        return Outcome(True, "SMTP 250 accepted" if code == 250 else f"SMTP {code} {reply!r}")
