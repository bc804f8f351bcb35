"""The dev stack's state directory (`.datacompass/` at the repo root, or `DATACOMPASS_HOME`).

.datacompass/
  postgres/        embedded PostgreSQL (pgdata/, postgres.log)
  nats/            embedded NATS (jetstream/, nats.log)
  logs/            one log per service (catalog.log, gateway.log, catalog-migrate.log)
  secrets.json     generated keys (encryption, bootstrap admin, ...; mode 0600, created once,
                   reused) and fingerprints of the keys stored data is encrypted with
  stack.json       pids and ports of the running stack (removed on a clean stop)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
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

    def secrets(self, environ: Mapping[str, str] | None = None) -> Secrets:
        return load_or_create_secrets(self.secrets_file, environ)

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


class SecretsError(RuntimeError):
    """The secrets cannot be used as given (message meant for the person at the terminal)."""


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
    # The variables (of ENV_VARS) whose values were taken from the environment, not the file.
    from_env: frozenset[str] = field(default=frozenset(), compare=False)


# The variable that supplies each secret instead of secrets.json when set (the demo reader's
# password is the stack's own business).
ENV_VARS = {
    "encryption_key": "DATACOMPASS_CATALOG_ENCRYPTION_KEY",
    "admin_key": "DATACOMPASS_BOOTSTRAP_ADMIN_KEY",
    "internal_token": "DATACOMPASS_INTERNAL_TOKEN",
    "jwt_secret": "DATACOMPASS_GOVERNANCE_JWT_SECRET",
    "masking_key": "DATACOMPASS_GOVERNANCE_MASKING_KEY",
    "notifier_key": "DATACOMPASS_NOTIFIER_ENCRYPTION_KEY",
}
# Keys that stored data is encrypted with: starting with another one would leave that data
# unreadable, so it is refused. secrets.json keeps a fingerprint (never the key itself, when the
# key came from the environment) of the one in use.
FERNET_KEYS = ("encryption_key", "notifier_key")
SECRET_NAMES = tuple(f.name for f in fields(Secrets) if f.name != "from_env")


def _new_value(name: str) -> str:
    if name in FERNET_KEYS:
        return SecretBox.generate_key()
    if name == "admin_key":
        return "dc_admin_" + secrets.token_urlsafe(24)
    return secrets.token_urlsafe(32)  # 43 characters: over every service's minimum


# Secrets a service refuses below a length (jwt_secret: governance's JWT_SECRET_MIN_CHARS); a
# stored one made shorter by an older devstack is replaced (it only signs tokens: users log in
# again), never a user's own.
MIN_CHARS = {"jwt_secret": 32}


def fingerprint(key: str) -> str:
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def load_or_create_secrets(path: Path, environ: Mapping[str, str] | None = None) -> Secrets:
    """The stack's secrets: each from its variable in `environ` when set there, else from the
    secrets file, else generated and added to the file (mode 0600). A user's secret is never
    written to the file; for the encryption keys only its fingerprint is, so that a later start
    with a different key is refused instead of leaving stored credentials undecryptable.
    The file is only ever replaced whole (written beside it, fsynced, renamed): a write cut
    short by a kill or power loss leaves the previous file and a temporary one, removed here."""
    environ = environ or {}
    _remove_partial_writes(path)
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
    before = json.dumps(stored, sort_keys=True)
    in_use = stored.get("fingerprints")
    in_use = dict(in_use) if isinstance(in_use, dict) else {}
    values: dict[str, str] = {}
    from_env: set[str] = set()
    for name in SECRET_NAMES:
        var = ENV_VARS.get(name)
        given = environ.get(var, "").strip() if var else ""
        raw = stored.get(name)
        kept = raw if isinstance(raw, str) else ""
        if given:
            values[name] = given
            from_env.add(name)
        elif kept and len(kept) >= MIN_CHARS.get(name, 0):
            values[name] = kept
        elif name in FERNET_KEYS and in_use.get(name):
            raise SecretsError(
                f"the data under {path.parent} is encrypted with the {var} given when it was "
                f"created; set {var} to that key again (or delete {path.parent} to start over)"
            )
        else:
            values[name] = stored[name] = _new_value(name)
        if name in FERNET_KEYS:
            _check_key(name, values[name], in_use, kept, path)
    stored["fingerprints"] = in_use
    if json.dumps(stored, sort_keys=True) != before or not path.exists():
        _write_atomic(path, json.dumps(stored, indent=2) + "\n", 0o600)
    elif path.stat().st_mode & 0o077:
        path.chmod(0o600)
    return Secrets(**values, from_env=frozenset(ENV_VARS[n] for n in from_env))


def _check_key(name: str, key: str, in_use: dict[str, Any], kept: str, path: Path) -> None:
    """Refuse a Fernet key that is malformed or differs from the one the stored data is
    encrypted with; record the fingerprint of the key in use."""
    var = ENV_VARS[name]
    try:
        SecretBox(key)
    except ValueError as exc:
        raise SecretsError(
            f"{var} is not a Fernet key (32 url-safe base64-encoded bytes); generate one with "
            '`python -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())"`'
        ) from exc
    previous = in_use.get(name) or (fingerprint(kept) if kept else None)
    if previous and previous != fingerprint(key):
        origin = "generated into secrets.json" if kept else "given in the environment earlier"
        raise SecretsError(
            f"{var} differs from the key the data under {path.parent} was encrypted with "
            f"({origin}): the stored credentials would be unreadable. Unset {var} or set it to "
            f"that key (or delete {path.parent} to start over with the new one)"
        )
    in_use[name] = fingerprint(key)


def _write_atomic(path: Path, text: str, mode: int) -> None:
    """Replace `path` whole: a reader (or a start after a crash) sees the old file or the new
    one, never a part (the data is on disk before the rename, the rename before we return)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _remove_partial_writes(path: Path) -> None:
    """Temporary files `_write_atomic` left when it was killed mid-write."""
    for leftover in path.parent.glob(f".{path.name}.*"):
        with contextlib.suppress(OSError):
            leftover.unlink()
