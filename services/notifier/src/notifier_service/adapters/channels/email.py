"""Email over SMTP (STARTTLS and login optional): a plain-text and an HTML part."""

from __future__ import annotations

import asyncio
import html
import re
import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

from notifier_service.adapters.channels.base import ChannelType
from notifier_service.domain.channels import ChannelConfig, ConfigCheck
from notifier_service.domain.deliveries import Outcome
from notifier_service.domain.notices import Notice

_ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")


# ---------------------------------------------------------------- rendering


def subject(notice: Notice) -> str:
    prefix = f"[{notice.priority.upper()}] " if notice.priority else ""
    return f"[Data Compass] {prefix}{notice.title}"


def text(notice: Notice) -> str:
    lines = [notice.title, "", notice.body, ""]
    if notice.priority:
        lines.append(f"Priority: {notice.priority}")
    if notice.source:
        lines.append(f"Source: {notice.source}")
    if notice.link:
        lines += ["", f"View in Data Compass: {notice.link}"]
    return "\n".join(lines) + "\n"


def html_body(notice: Notice) -> str:
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


# ---------------------------------------------------------------- config


def _server(check: ConfigCheck) -> None:
    config, out = check.config, check.out
    host = config.get("host")
    if not host or not isinstance(host, str):
        check.error("host", "required")
    else:
        out["host"] = host
    port = config.get("port", 587)
    # Struct numbers arrive as floats: 587.0 is fine, 587.5 is not.
    if isinstance(port, bool) or not isinstance(port, int | float) or port != int(port):
        check.error("port", "must be an integer")
    elif not 1 <= int(port) <= 65535:
        check.error("port", "must be between 1 and 65535")
    else:
        out["port"] = int(port)
    starttls = config.get("starttls", True)
    if not isinstance(starttls, bool):
        check.error("starttls", "must be true or false")
    else:
        out["starttls"] = starttls
    username, password = config.get("username", ""), config.get("password", "")
    if not isinstance(username, str):
        check.error("username", "must be a string")
    elif not isinstance(password, str):
        check.error("password", "must be a string")
    elif username and not password:
        check.error("password", "required when username is set")
    else:
        out["username"] = username
        if password:
            out["password"] = password


def _addresses(check: ConfigCheck) -> None:
    sender = check.config.get("from")
    if not sender:
        check.error("from", "required")
    elif not isinstance(sender, str) or not _ADDRESS.match(sender):
        check.error("from", f"{sender!r} is not an email address")
    else:
        check.out["from"] = sender
    to = check.config.get("to")
    if isinstance(to, str):
        to = [to]
    if not to:
        check.error("to", "at least one recipient is required")
    elif not isinstance(to, list):
        check.error("to", "must be a list of email addresses")
    else:
        bad = [a for a in to if not isinstance(a, str) or not _ADDRESS.match(a)]
        if bad:
            check.error("to", f"not email addresses: {', '.join(map(str, bad))}")
        check.out["to"] = to


# ---------------------------------------------------------------- the channel type


class Email(ChannelType):
    name = "email"
    keys = frozenset({"host", "port", "starttls", "username", "password", "from", "to"})
    secret_keys = frozenset({"password"})

    def validate(self, config: Mapping[str, Any], *, generate_secret: bool) -> ChannelConfig:
        check = ConfigCheck(self.name, config, self.keys)
        _server(check)
        _addresses(check)
        return check.result(
            self.secret_keys, endpoint_keys={"host", "port"}, credential_keys={"password"}
        )

    async def send(
        self, config: Mapping[str, Any], notice: Notice, *, event_id: str, delivery_id: int
    ) -> Outcome:
        await self.env.guard.check(config["host"], config["port"])
        # smtplib blocks: a thread, with the session's own timeout and one second to spare.
        timeout = self.env.settings.send_timeout_seconds
        return await asyncio.wait_for(
            asyncio.to_thread(self._send, config, notice, timeout), timeout + 1
        )

    @staticmethod
    def _send(config: Mapping[str, Any], notice: Notice, timeout: float) -> Outcome:
        msg = EmailMessage()
        msg["Subject"] = subject(notice)
        msg["From"] = config["from"]
        msg["To"] = ", ".join(config["to"])
        msg.set_content(text(notice))
        msg.add_alternative(html_body(notice), subtype="html")
        try:
            with smtplib.SMTP(config["host"], config["port"], timeout=timeout) as smtp:
                smtp.ehlo()
                if config.get("starttls", True):
                    smtp.starttls(context=ssl.create_default_context())
                    smtp.ehlo()
                if config.get("username"):
                    smtp.login(config["username"], config.get("password", ""))
                refused = smtp.send_message(msg)
                code, reply = smtp.noop()
        except smtplib.SMTPResponseException as exc:
            text_ = f"SMTP {exc.smtp_code} {exc.smtp_error!r}"
            # 4xx = try again later; 5xx = permanent (bad credentials, rejected sender).
            return Outcome(False, text_, text_, "smtp", 400 <= exc.smtp_code < 500)
        except smtplib.SMTPRecipientsRefused as exc:
            return Outcome(False, "", f"SMTP recipients refused: {exc.recipients}", "smtp", False)
        except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError) as exc:
            return Outcome(False, "", f"SMTP connection: {exc}", "connection", True)
        except smtplib.SMTPException as exc:
            return Outcome(False, "", f"SMTP: {exc}", "smtp", False)
        if refused:
            return Outcome(True, f"SMTP 250 (refused: {', '.join(refused)})")
        return Outcome(True, "SMTP 250 accepted" if code == 250 else f"SMTP {code} {reply!r}")
