"""Notifier service: channels, subscription rules and once-only delivery of notifications."""
