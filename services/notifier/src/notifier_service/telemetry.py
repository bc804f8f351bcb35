"""Prometheus metrics of the notifier service."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

SENT = Counter("dc_notifications_sent", "Notifications delivered", ["channel_type"])
FAILED = Counter(
    "dc_notifications_failed",
    "Failed delivery attempts (retried or dead-lettered), by reason",
    ["channel_type", "reason"],
)
DEAD = Counter(
    "dc_notifications_dead",
    "Deliveries given up (dead-lettered): out of retries, not retryable, or unknown outcome",
    ["channel_type", "reason"],
)
DELIVERY_SECONDS = Histogram(
    "dc_notification_delivery_seconds",
    "Time from the event to its successful delivery",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600),
)


class DeliveryMetrics:
    """application.ports.DeliveryMetrics over the counters above."""

    def sent(self, channel_type: str, lag_seconds: float) -> None:
        SENT.labels(channel_type).inc()
        DELIVERY_SECONDS.observe(lag_seconds)

    def failed(self, channel_type: str, *, reason: str, dead: bool) -> None:
        FAILED.labels(channel_type, reason).inc()
        if dead:
            DEAD.labels(channel_type, reason).inc()
