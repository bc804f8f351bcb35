"""Notifier service settings (env prefix DATACOMPASS_NOTIFIER_)."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from dckit.settings import BackendSettings


class NotifierSettings(BackendSettings):
    model_config = SettingsConfigDict(
        env_prefix="DATACOMPASS_NOTIFIER_", extra="ignore", populate_by_name=True
    )

    grpc_port: int = 50054
    """gRPC port."""
    metrics_port: int = 9104
    """Prometheus metrics port."""
    encryption_key: SecretStr
    """Fernet key encrypting channel secrets (webhook URLs, SMTP passwords) at rest; required."""
    public_url: str = "http://127.0.0.1:8000"
    """Base URL of the Data Compass UI/API; messages link to `<public_url>/objects/<ref>`."""
    slack_allowed_hosts: list[str] = ["hooks.slack.com"]
    """Hosts a Slack channel's webhook URL may point at (JSON list)."""
    allowed_private_targets: list[str] = []
    """Webhook / SMTP hosts allowed although they resolve to private, link-local or reserved
    addresses (JSON list of host names, addresses or networks, e.g. ["smtp.internal",
    "10.1.0.0/16"]); every other such target is refused when sending (SSRF guard)."""
    allow_loopback_targets: bool = False
    """Allow webhook / SMTP targets on loopback (127.0.0.1, ::1): development only (`make run`
    and the tests set it)."""
    send_timeout_seconds: float = 10.0
    """Longest one send (HTTP request or SMTP session) may take before it counts as failed."""
    max_attempts: int = 5
    """Attempts per delivery before it is dead-lettered."""
    retry_base_seconds: float = 2.0
    """First retry delay; doubles per attempt, with jitter (Retry-After wins when longer)."""
    retry_max_seconds: float = 600.0
    """Upper bound on one retry delay (and on an honoured Retry-After)."""
    lease_seconds: float = 120.0
    """A delivery marked `sending` longer than this belongs to a process that died mid-send."""
    resend_unknown_outcome: bool = False
    """After a lease expired (outcome unknown): resend (at-least-once) instead of
    dead-lettering (at-most-once). Webhook receivers can dedupe on X-DataCompass-Delivery."""
    poll_seconds: float = 1.0
    """How often the sender looks for due deliveries when nothing woke it."""
    sender_batch: int = 20
    """Deliveries one sender claims at a time."""
    sender_concurrency: int = 8
    """Sends in flight at once per process."""
