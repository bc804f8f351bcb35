from __future__ import annotations

import pytest

from dckit.crypto import SecretBox
from dckit.errors import FailedPrecondition


def test_seal_open_round_trip() -> None:
    box = SecretBox(SecretBox.generate_key())
    value = {"user": "scanner", "password": "hunter2-very-secret", "port": 5432, "tls": True}
    token = box.seal(value)
    assert isinstance(token, bytes)
    assert box.open(token) == value


def test_ciphertext_does_not_contain_plaintext() -> None:
    box = SecretBox(SecretBox.generate_key())
    token = box.seal({"password": "hunter2-very-secret"})
    assert b"hunter2" not in token
    assert b"password" not in token
    # Fresh IV each time: equal values do not produce equal ciphertexts.
    assert box.seal({"password": "hunter2-very-secret"}) != token


def test_wrong_key_fails_clearly() -> None:
    token = SecretBox(SecretBox.generate_key()).seal({"a": 1})
    other = SecretBox(SecretBox.generate_key())
    with pytest.raises(FailedPrecondition, match="cannot be decrypted"):
        other.open(token)


def test_tampered_token_fails() -> None:
    box = SecretBox(SecretBox.generate_key())
    token = bytearray(box.seal({"a": 1}))
    token[-5] ^= 0x01
    with pytest.raises(FailedPrecondition):
        box.open(bytes(token))


@pytest.mark.parametrize("key", ["", "short", "x" * 44])
def test_bad_key_rejected(key: str) -> None:
    with pytest.raises(ValueError, match="Fernet key"):
        SecretBox(key)
