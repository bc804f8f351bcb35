"""Notifier tables, all in the `notifier` schema."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB

from dckit.consumer import processed_events_table
from dckit.outbox import outbox_table

SCHEMA = "notifier"
metadata = MetaData(schema=SCHEMA)


def _now() -> Column[Any]:
    return Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now())


channels = Table(
    "channels",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("channel_type", String(16), nullable=False),
    Column("config", JSONB, nullable=False),  # non-secret keys
    Column("secrets", LargeBinary, nullable=False),  # SecretBox-sealed dict of secret keys
    Column("secret_keys", JSONB, nullable=False, server_default="[]"),  # names, for the API
    Column("enabled", Boolean, nullable=False, server_default="true"),
    _now(),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

rules = Table(
    "rules",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("event_types", JSONB, nullable=False),
    Column("object_refs", JSONB, nullable=False, server_default="[]"),
    Column("source_names", JSONB, nullable=False, server_default="[]"),
    Column("priorities", JSONB, nullable=False, server_default="[]"),
    Column("channel_ids", JSONB, nullable=False, server_default="[]"),
    Column("enabled", Boolean, nullable=False, server_default="true"),
    Column("rate_limit_seconds", Integer, nullable=False, server_default="300"),
    Column("include_non_breaking", Boolean, nullable=False, server_default="false"),
    _now(),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# One rate-limit window per rule and object: the first event is sent at once, later ones are
# folded into `folded` and sent as one digest when the window ends.
rate_windows = Table(
    "rate_windows",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("rule_id", BigInteger, ForeignKey("rules.id", ondelete="CASCADE"), nullable=False),
    Column("object_key", Text, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False),
    Column("seen_keys", JSONB, nullable=False, server_default="[]"),  # dedupe keys in window
    Column("folded", JSONB, nullable=False, server_default="[]"),  # notices for the digest
)
Index("ix_rate_windows_current", rate_windows.c.rule_id, rate_windows.c.object_key,
      rate_windows.c.ends_at.desc())  # fmt: skip

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("event_id", String(100), nullable=False),  # "digest-<window id>" for digests
    Column("event_type", String(200), nullable=False),
    Column("event_time", DateTime(timezone=True), nullable=False),
    Column("channel_id", BigInteger, ForeignKey("channels.id", ondelete="CASCADE"), nullable=False),
    Column("rule_id", BigInteger, nullable=False),
    Column("window_id", BigInteger),  # digests: the window whose folded notices they carry
    Column("notice", JSONB, nullable=False),  # rendered content (title, body, link, ...)
    # pending → sending (leased) → sent | pending (retry) | dead
    Column("status", String(16), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("lease_until", DateTime(timezone=True)),
    Column("last_error", Text),
    _now(),
    Column("sent_at", DateTime(timezone=True)),
    UniqueConstraint("event_id", "channel_id", name="uq_deliveries_event_channel"),
)
Index(
    "ix_deliveries_due",
    deliveries.c.next_attempt_at,
    postgresql_where=deliveries.c.status.in_(["pending", "sending"]),
)

notification_log = Table(
    "notification_log",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("delivery_id", BigInteger),  # no FK: the log outlives deleted channels
    Column("channel_id", BigInteger, nullable=False),
    Column("channel_type", String(16), nullable=False),
    Column("event_id", String(100), nullable=False),
    Column("event_type", String(200), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # sent | retrying | dead
    Column("response", Text, nullable=False, server_default=""),
    Column("error", Text, nullable=False, server_default=""),
    Column("latency_ms", BigInteger, nullable=False, server_default="0"),
    _now(),
)
Index("ix_notification_log_channel", notification_log.c.channel_id, notification_log.c.id)

outbox = outbox_table(metadata)
processed_events = processed_events_table(metadata)
