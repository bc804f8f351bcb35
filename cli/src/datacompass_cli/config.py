"""The per-user credentials file written by `datacompass auth login`.

It holds the access and refresh tokens of the last login, per gateway, in
`$DATACOMPASS_CREDENTIALS_FILE` or else `$XDG_CONFIG_HOME/datacompass/credentials.json`
(`~/.config/datacompass/credentials.json`), readable by the owner only (0600, directory 0700).
`datacompass auth logout` deletes it. An explicit token (`--token`, `DATACOMPASS_TOKEN`,
`DATACOMPASS_BOOTSTRAP_ADMIN_KEY`) always wins over the file."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

CREDENTIALS_FILE_ENV = "DATACOMPASS_CREDENTIALS_FILE"


def credentials_path() -> Path:
    override = os.environ.get(CREDENTIALS_FILE_ENV)
    if override:
        return Path(override).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "datacompass" / "credentials.json"


@dataclass
class Credentials:
    """Tokens of one login against one gateway (`url` = its API base URL)."""

    url: str
    username: str
    access_token: str
    refresh_token: str
    exported_token_sha256: str = ""
    """Digest of the access token `auth login` printed for `export DATACOMPASS_TOKEN=...`:
    that token, once exported, keeps selecting this login after refreshes replaced it."""

    def issued(self, token: str) -> bool:
        """Whether `token` belongs to this login (current or exported access token)."""
        return token == self.access_token or (
            bool(self.exported_token_sha256) and token_digest(token) == self.exported_token_sha256
        )


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _read_all(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    gateways = data.get("gateways") if isinstance(data, dict) else None
    return gateways if isinstance(gateways, dict) else {}


def load(url: str, path: Path | None = None) -> Credentials | None:
    """The stored credentials for the gateway at API base `url`, if any."""
    entry = _read_all(path or credentials_path()).get(url)
    if not isinstance(entry, dict):
        return None
    try:
        return Credentials(
            url=url,
            username=str(entry.get("username") or ""),
            access_token=str(entry["access_token"]),
            refresh_token=str(entry.get("refresh_token") or ""),
            exported_token_sha256=str(entry.get("exported_token_sha256") or ""),
        )
    except KeyError:
        return None


def save(credentials: Credentials, path: Path | None = None) -> Path:
    """Store (replace) the credentials of `credentials.url`; the file is written atomically
    and is never readable by anyone but the owner, not even for a moment."""
    path = path or credentials_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    gateways = _read_all(path)
    entry = asdict(credentials)
    del entry["url"]
    gateways[credentials.url] = entry
    fd, tmp = tempfile.mkstemp(prefix=".credentials-", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "w") as handle:
            os.fchmod(handle.fileno(), 0o600)
            json.dump({"gateways": gateways}, handle, indent=2)
            handle.write("\n")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def delete(path: Path | None = None) -> bool:
    """Remove the credentials file; False when there was none."""
    try:
        (path or credentials_path()).unlink()
    except FileNotFoundError:
        return False
    return True
