"""Governance service: users, roles, API keys and the audit trail."""
