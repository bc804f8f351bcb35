"""The dev stack's state directory (`.datacompass/` at the repo root, or `DATACOMPASS_HOME`).

.datacompass/
  postgres/        embedded PostgreSQL (pgdata/, postgres.log)
  nats/            embedded NATS (jetstream/, nats.log)
  logs/            one log per service (catalog.log, gateway.log, catalog-migrate.log)
  secrets.json     encryption key + bootstrap admin key (mode 0600, created once, reused)
  stack.json       pids and ports of the running stack (removed on a clean stop)
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from dckit.crypto import SecretBox

HOME_ENV = "DATACOMPASS_HOME"


def repo_root() -> Path:
    """The checkout this package lives in (libs/devstack/src/devstack/state.py → 4 up)."""
    return Path(__file__).resolve().parents[4]


@dataclass(frozen=True)
class StateDir:
    root: Path

    @classmethod
    def default(cls) -> StateDir:
        configured = os.environ.get(HOME_ENV)
        return cls(Path(configured).expanduser() if configured else repo_root() / ".datacompass")

    @property
    def postgres(self) -> Path:
        return self.root / "postgres"

    @property
    def nats(self) -> Path:
        return self.root / "nats"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def secrets_file(self) -> Path:
        return self.root / "secrets.json"

    @property
    def stack_file(self) -> Path:
        return self.root / "stack.json"

    def log(self, name: str) -> Path:
        return self.logs / f"{name}.log"

    def create(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(exist_ok=True)

    def secrets(self) -> Secrets:
        return load_or_create_secrets(self.secrets_file)

    def read_stack(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.stack_file.read_text())
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def write_stack(self, data: dict[str, Any]) -> None:
        _write_atomic(self.stack_file, json.dumps(data, indent=2) + "\n", 0o644)

    def remove_stack(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.stack_file.unlink()


@dataclass(frozen=True)
class Secrets:
    # Fernet key the catalog encrypts source credentials with: losing it makes them unreadable.
    encryption_key: str
    # Bearer token the gateway accepts as admin (DATACOMPASS_BOOTSTRAP_ADMIN_KEY).
    admin_key: str
    # Password of the demo database's read-only role the demo source scans with.
    demo_reader_password: str
    # Credential every gRPC call between the stack's services carries (DATACOMPASS_INTERNAL_TOKEN).
    internal_token: str
    # Key governance signs access tokens (JWTs) with.
    jwt_secret: str
    # Secret governance derives its masking keys from (hash salt, tokens, pseudonyms): changing
    # it changes every masked value and makes issued tokens undecryptable.
    masking_key: str
    # Fernet key the notifier encrypts channel secrets (webhook secrets, SMTP passwords) with.
    notifier_key: str


def _new_value(name: str) -> str:
    if name in ("encryption_key", "notifier_key"):
        return SecretBox.generate_key()
    if name == "admin_key":
        return "dc_admin_" + secrets.token_urlsafe(24)
    return secrets.token_urlsafe(18)


def load_or_create_secrets(path: Path) -> Secrets:
    """Read the secrets file, creating it (or adding missing keys) with mode 0600."""
    stored: dict[str, Any] = {}
    if path.exists():
        try:
            loaded = json.loads(path.read_text())
        except ValueError as exc:
            raise RuntimeError(
                f"{path} is not valid JSON; fix it or move it away (a new encryption key "
                "makes stored source credentials unreadable)"
            ) from exc
        if isinstance(loaded, dict):
            stored = loaded
    names = list(Secrets.__dataclass_fields__)
    values = {
        name: stored[name] if isinstance(stored.get(name), str) and stored[name] else ""
        for name in names
    }
    missing = [name for name, value in values.items() if not value]
    for name in missing:
        values[name] = _new_value(name)
    result = Secrets(**values)
    if missing or not path.exists():
        _write_atomic(path, json.dumps({**stored, **asdict(result)}, indent=2) + "\n", 0o600)
    elif path.stat().st_mode & 0o077:
        path.chmod(0o600)
    return result


def _write_atomic(path: Path, text: str, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
