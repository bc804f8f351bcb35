"""Notification channels, subscription rules, the delivery log (notifier service)."""
