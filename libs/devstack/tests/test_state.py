"""The state directory and its secrets file."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from devstack.state import StateDir, load_or_create_secrets


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
