"""Encryption at rest for secrets (source credentials, channel secrets)."""

from __future__ import annotations

import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from dckit.errors import FailedPrecondition


class SecretBox:
    """Authenticated symmetric encryption (Fernet: AES-128-CBC + HMAC-SHA256) of JSON values."""

    def __init__(self, key: str) -> None:
        try:
            self._fernet = Fernet(key.encode())
        except (ValueError, TypeError) as exc:
            raise ValueError("encryption key must be a urlsafe-base64 32-byte Fernet key") from exc

    @staticmethod
    def generate_key() -> str:
        return Fernet.generate_key().decode()

    def seal(self, value: Any) -> bytes:
        return self._fernet.encrypt(json.dumps(value, sort_keys=True).encode())

    def open(self, token: bytes) -> Any:
        try:
            return json.loads(self._fernet.decrypt(token))
        except InvalidToken as exc:
            raise FailedPrecondition(
                "stored secret cannot be decrypted with the configured key"
            ) from exc
