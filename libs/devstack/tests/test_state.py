"""The state directory and its secrets file."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from devstack.state import (
    ENV_VARS,
    SecretsError,
    StateDir,
    fingerprint,
    load_or_create_secrets,
)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_secrets_created_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "home" / "secrets.json"
    first = load_or_create_secrets(path)
    assert _mode(path) == 0o600
    Fernet(first.encryption_key.encode())  # a valid Fernet key
    assert first.admin_key and first.demo_reader_password
    second = load_or_create_secrets(path)
    assert second == first
    assert json.loads(path.read_text())["encryption_key"] == first.encryption_key


def test_missing_keys_are_added_and_existing_kept(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    key = Fernet.generate_key().decode()
    path.write_text(json.dumps({"encryption_key": key, "note": "mine"}))
    path.chmod(0o644)
    secrets = load_or_create_secrets(path)
    assert secrets.encryption_key == key
    assert secrets.admin_key
    assert _mode(path) == 0o600
    assert json.loads(path.read_text())["note"] == "mine"


def test_loose_permissions_are_tightened(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    load_or_create_secrets(path)
    path.chmod(0o666)
    load_or_create_secrets(path)
    assert _mode(path) == 0o600


def test_corrupt_secrets_file_is_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    path.write_text("{not json")
    with pytest.raises(RuntimeError, match="not valid JSON"):
        load_or_create_secrets(path)
    assert path.read_text() == "{not json"


def test_state_dir_layout_and_home_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATACOMPASS_HOME", str(tmp_path / "dc"))
    state = StateDir.default()
    assert state.root == tmp_path / "dc"
    state.create()
    assert state.logs.is_dir()
    assert state.log("catalog") == tmp_path / "dc" / "logs" / "catalog.log"
    assert state.read_stack() is None
    state.write_stack({"supervisor_pid": 1})
    assert state.read_stack() == {"supervisor_pid": 1}
    state.remove_stack()
    assert not state.stack_file.exists()


def test_default_home_is_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATACOMPASS_HOME", raising=False)
    root = StateDir.default().root
    assert root.name == ".datacompass"
    assert (root.parent / "Makefile").exists()


ENV_KEYS = {
    "DATACOMPASS_BOOTSTRAP_ADMIN_KEY": "my-admin-key",
    "DATACOMPASS_INTERNAL_TOKEN": "my-internal-token",
    "DATACOMPASS_GOVERNANCE_JWT_SECRET": "my-jwt-secret",
    "DATACOMPASS_GOVERNANCE_MASKING_KEY": "my-masking-key-0123456789",
}


def test_keys_from_the_environment_win_and_are_never_written(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    generated = load_or_create_secrets(path)
    catalog_key, notifier_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    path.unlink()  # fresh state: keys given from the start
    environ = {
        **ENV_KEYS,
        "DATACOMPASS_CATALOG_ENCRYPTION_KEY": catalog_key,
        "DATACOMPASS_NOTIFIER_ENCRYPTION_KEY": notifier_key,
        "UNRELATED": "x",
    }
    got = load_or_create_secrets(path, environ)
    assert (got.admin_key, got.internal_token, got.jwt_secret, got.masking_key) == (
        "my-admin-key",
        "my-internal-token",
        "my-jwt-secret",
        "my-masking-key-0123456789",
    )
    assert (got.encryption_key, got.notifier_key) == (catalog_key, notifier_key)
    assert got.from_env == {*ENV_KEYS, ENV_VARS["encryption_key"], ENV_VARS["notifier_key"]}
    assert got.demo_reader_password and got.demo_reader_password != generated.demo_reader_password
    text = path.read_text()
    for value in (*ENV_KEYS.values(), catalog_key, notifier_key):
        assert value not in text
    assert json.loads(text)["fingerprints"]["encryption_key"] == fingerprint(catalog_key)
    assert _mode(path) == 0o600


def test_a_key_not_given_is_still_generated_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    first = load_or_create_secrets(path, {"DATACOMPASS_BOOTSTRAP_ADMIN_KEY": "mine"})
    assert first.admin_key == "mine"
    assert first.from_env == {"DATACOMPASS_BOOTSTRAP_ADMIN_KEY"}
    again = load_or_create_secrets(path, {})
    assert again.admin_key.startswith("dc_admin_")  # without the variable: a generated one
    assert again.encryption_key == first.encryption_key
    assert load_or_create_secrets(path, {}).admin_key == again.admin_key


def test_a_different_encryption_key_than_the_stored_data_has_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    generated = load_or_create_secrets(path)
    before = path.read_text()
    other = Fernet.generate_key().decode()
    with pytest.raises(SecretsError) as info:
        load_or_create_secrets(path, {"DATACOMPASS_CATALOG_ENCRYPTION_KEY": other})
    message = str(info.value)
    assert "DATACOMPASS_CATALOG_ENCRYPTION_KEY differs from the key" in message
    assert "generated into secrets.json" in message and str(tmp_path) in message
    assert other not in message and generated.encryption_key not in message
    assert path.read_text() == before  # nothing half-written
    # The key the data has, given explicitly, is fine.
    same = {"DATACOMPASS_CATALOG_ENCRYPTION_KEY": generated.encryption_key}
    assert load_or_create_secrets(path, same).encryption_key == generated.encryption_key


def test_data_encrypted_with_a_given_key_needs_it_again(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    key = Fernet.generate_key().decode()
    load_or_create_secrets(path, {"DATACOMPASS_NOTIFIER_ENCRYPTION_KEY": key})
    with pytest.raises(SecretsError, match="set DATACOMPASS_NOTIFIER_ENCRYPTION_KEY to that key"):
        load_or_create_secrets(path, {})  # no silent new key
    other = {"DATACOMPASS_NOTIFIER_ENCRYPTION_KEY": Fernet.generate_key().decode()}
    with pytest.raises(SecretsError, match="given in the environment earlier"):
        load_or_create_secrets(path, other)
    got = load_or_create_secrets(path, {"DATACOMPASS_NOTIFIER_ENCRYPTION_KEY": key})
    assert got.notifier_key == key


def test_a_malformed_encryption_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    with pytest.raises(SecretsError, match="is not a Fernet key"):
        load_or_create_secrets(path, {"DATACOMPASS_CATALOG_ENCRYPTION_KEY": "too-short"})
    assert not path.exists()


def test_generated_secrets_are_strong_and_a_short_stored_jwt_secret_is_replaced(
    tmp_path: Path,
) -> None:
    """Governance refuses a JWT secret under 32 characters and the gateway a bootstrap key
    under 16: what make run generates passes, and a shorter one stored by an older devstack is
    replaced rather than stopping the stack."""
    path = tmp_path / "secrets.json"
    made = load_or_create_secrets(path)
    assert len(made.jwt_secret) >= 32 and len(made.admin_key) >= 16
    stored = json.loads(path.read_text())
    path.write_text(json.dumps({**stored, "jwt_secret": "x" * 24}))
    again = load_or_create_secrets(path)
    assert len(again.jwt_secret) >= 32 and again.admin_key == made.admin_key
    assert json.loads(path.read_text())["jwt_secret"] == again.jwt_secret
