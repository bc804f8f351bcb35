"""Masking methods (capsule spec §5.2.2): how a rule's method and config turn a clear value into
a masked one. Pure: no I/O, keys are passed in (`MaskingKeys.derive` builds them from the one
configured secret).

Contract for every method: the output never equals a (non-null) clear value, except where the
value already looks masked and the method cannot tell (a value made only of redaction chars, a
substitute equal to the value); methods that promise determinism give the same output for the
same value and keys, so masked columns still join and group."""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import os
import re
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any, NamedTuple

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from ff3 import FF3Cipher

from dckit.errors import InvalidArgument

METHODS = (
    "redaction",
    "partial_redaction",
    "substitution",
    "hashing",
    "tokenization",
    "pseudonymization",
    "generalization",
    "noise_addition",
    "format_preserving_encryption",
)
# In the spec but not implemented: refused by name rather than silently passed through.
UNSUPPORTED = ("encryption", "data_masking", "custom")
# Methods whose output depends on a secret key: they cannot run in plain SQL.
KEYED = ("tokenization", "pseudonymization", "format_preserving_encryption", "noise_addition")

FIXED_MASK = "****"  # what redaction prints when the length must not show
TOKEN_PREFIX = "tok_"
HASH_ALGORITHMS = ("sha256", "sha512")
DATE_PRECISIONS = ("month", "year")
MAX_SUBSTITUTES = 10_000
MAX_TEXT = 1_000
MIN_SECRET = 16

_DETERMINISTIC, _RANDOMIZED = b"\x01", b"\x02"
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ].*)?", re.DOTALL)


class MaskingSpec(NamedTuple):
    """One column's masking: what `masking_sql.preview` takes per column."""

    method: str
    config: Mapping[str, Any]
    exempt_roles: Sequence[str] = ()
    preserve_null: bool = True


# ---------------------------------------------------------------------------------------------
# Config validation


_Check = Callable[[str, Any], Any]


def _bool(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidArgument(f"method_config.{key}: must be true or false, got {value!r}")
    return value


def _int(low: int, high: int) -> _Check:
    def check(key: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidArgument(f"method_config.{key}: must be an integer, got {value!r}")
        if not low <= value <= high:
            raise InvalidArgument(f"method_config.{key}: must be between {low} and {high}")
        return value

    return check


def _number(low: float, high: float) -> _Check:
    def check(key: str, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidArgument(f"method_config.{key}: must be a number, got {value!r}")
        if not (math.isfinite(value) and low <= value <= high):
            raise InvalidArgument(f"method_config.{key}: must be between {low} and {high}")
        return float(value)

    return check


def _choice(allowed: tuple[str, ...]) -> _Check:
    def check(key: str, value: Any) -> str:
        text = value.strip().lower() if isinstance(value, str) else value
        if text not in allowed:
            raise InvalidArgument(
                f"method_config.{key}: unknown value {value!r}; one of {', '.join(allowed)}"
            )
        return str(text)

    return check


def _char(key: str, value: Any) -> str:
    if not isinstance(value, str) or len(value) != 1 or not value.isprintable():
        raise InvalidArgument(f"method_config.{key}: must be one printable character")
    return value


def _label(key: str, value: Any) -> str:
    if not isinstance(value, str) or len(value) > MAX_TEXT or "\x00" in value:
        raise InvalidArgument(
            f"method_config.{key}: must be text of at most {MAX_TEXT} chars, without NUL"
        )
    return value


def _scalar(key: str, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        return _label(key, value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidArgument(f"method_config.{key}: must be text or a number, got {value!r}")
    return value


def _scalars(key: str, value: Any) -> list[Any]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise InvalidArgument(f"method_config.{key}: must be a list")
    if len(value) > MAX_SUBSTITUTES:
        raise InvalidArgument(f"method_config.{key}: at most {MAX_SUBSTITUTES} entries")
    out = [_scalar(key, v) for v in value]
    if any(v is None for v in out):
        raise InvalidArgument(f"method_config.{key}: entries must not be null")
    return out


_PREFIX_SUFFIX = {
    "preserve_prefix": (0, _int(0, MAX_TEXT)),
    "preserve_suffix": (0, _int(0, MAX_TEXT)),
}

SCHEMAS: dict[str, dict[str, tuple[Any, _Check]]] = {
    "redaction": {
        "redaction_char": ("*", _char),
        "full_redaction": (True, _bool),
        "preserve_length": (True, _bool),
        **_PREFIX_SUFFIX,
    },
    "partial_redaction": {
        "redaction_char": ("*", _char),
        "preserve_domain": (True, _bool),
        "preserve_length": (True, _bool),
        "preserve_prefix": (2, _int(0, MAX_TEXT)),
        "preserve_suffix": (0, _int(0, MAX_TEXT)),
    },
    "substitution": {"value": (None, _scalar), "values": ([], _scalars)},
    "hashing": {
        "algorithm": ("sha256", _choice(HASH_ALGORITHMS)),
        "salt": ("use_system_salt", _choice(("use_system_salt",))),
        "truncate": (0, _int(0, 128)),
    },
    "tokenization": {"preserve_format": (False, _bool), "deterministic": (True, _bool)},
    "pseudonymization": {"preserve_format": (False, _bool)},
    "generalization": {
        "date_precision": ("month", _choice(DATE_PRECISIONS)),
        "bucket_width": (10, _int(1, 10**12)),
        "prefix_length": (1, _int(0, MAX_TEXT)),
    },
    "noise_addition": {
        "scale": (0.1, _number(1e-6, 10.0)),
        "min_noise": (1.0, _number(1e-9, 1e12)),
    },
    "format_preserving_encryption": {"tweak": ("", _label)},
}


def check_method(method: str) -> str:
    name = method.strip().lower() if isinstance(method, str) else ""
    if name in METHODS:
        return name
    if name in UNSUPPORTED:
        raise InvalidArgument(
            f"masking_method: {name} is not supported; one of {', '.join(METHODS)}"
        )
    raise InvalidArgument(f"masking_method: unknown method {method!r}; one of {', '.join(METHODS)}")


def validate_config(method: str, config: Mapping[str, Any] | None) -> dict[str, Any]:
    """`config` with every default filled in; InvalidArgument naming the first bad key.
    Rule-level `preserve_length` goes in the config of the redaction methods."""
    schema = SCHEMAS[check_method(method)]
    config = dict(config or {})
    unknown = sorted(k for k in config if k not in schema)
    if unknown:
        raise InvalidArgument(
            f"method_config.{unknown[0]}: unknown key for {method}; one of {', '.join(schema)}"
        )
    out = {
        k: check(k, config[k]) if k in config else default for k, (default, check) in schema.items()
    }
    if method == "substitution" and (out["value"] is None) == (not out["values"]):
        raise InvalidArgument("method_config.value: set either a value or a list of values")
    if method == "redaction" and out["full_redaction"]:
        for key in ("preserve_prefix", "preserve_suffix"):
            if out[key]:
                raise InvalidArgument(f"method_config.{key}: needs full_redaction false")
    if method == "tokenization" and out["preserve_format"] and not out["deterministic"]:
        raise InvalidArgument(
            "method_config.deterministic: format-preserving tokens are deterministic"
        )
    return out


def is_exempt(exempt_roles: Sequence[str], role: str) -> bool:
    """True when the caller's one role is listed (case and surrounding blanks ignored). Exactly
    membership: a higher role is not exempt unless listed too, so a rule says who sees clear."""
    wanted = role.strip().lower()
    return bool(wanted) and wanted in {r.strip().lower() for r in exempt_roles}


# ---------------------------------------------------------------------------------------------
# Keys


@dataclass(frozen=True, repr=False)
class MaskingKeys:
    salt: bytes  # hashing; also what SQL reads from `datacompass.masking_salt` (as hex)
    token_key: bytes  # AES-SIV-256: 64 bytes
    fpe_key: bytes  # FF3-1 AES key: 16, 24 or 32 bytes
    mac_key: bytes  # HMAC seeds for substitution picks, noise and FPE tweaks; never leaves

    def __post_init__(self) -> None:
        if len(self.salt) < 16:
            raise ValueError("salt: at least 16 bytes")
        if len(self.token_key) != 64:
            raise ValueError("token_key: AES-SIV-256 takes 64 bytes")
        if len(self.fpe_key) not in (16, 24, 32):
            raise ValueError("fpe_key: 16, 24 or 32 bytes")
        if len(self.mac_key) < 32:
            raise ValueError("mac_key: at least 32 bytes")

    @classmethod
    def derive(cls, secret: str) -> MaskingKeys:
        """All keys from one secret (HKDF-SHA256, one info label per key, so learning one key
        tells nothing of the others)."""
        if len(secret) < MIN_SECRET:
            raise InvalidArgument(f"masking secret: at least {MIN_SECRET} characters")

        def hkdf(label: str, length: int) -> bytes:
            kdf = HKDF(
                algorithm=hashes.SHA256(),
                length=length,
                salt=None,
                info=f"datacompass/masking/{label}".encode(),
            )
            return kdf.derive(secret.encode())

        return cls(hkdf("salt", 32), hkdf("token", 64), hkdf("fpe", 32), hkdf("mac", 32))

    @property
    def salt_setting(self) -> str:
        """The value to `SET datacompass.masking_salt` to for the SQL views' hashes."""
        return self.salt.hex()

    def __repr__(self) -> str:
        return "MaskingKeys(<secret>)"


# ---------------------------------------------------------------------------------------------
# Masking


def as_text(value: Any) -> str:
    """The text a value is hashed, tokenized or redacted as; matches PostgreSQL's `::text` for
    text, integers, booleans, dates and timestamps without time zone (floats may differ)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def reveal_window(length: int, prefix: int, suffix: int) -> tuple[int, int]:
    """How many leading and trailing chars stay clear. Never all of them: when the configured
    window covers the value, at most half (rounded down) shows, the prefix first."""
    if prefix + suffix < length:
        return prefix, suffix
    budget = length // 2
    shown_prefix = min(prefix, budget)
    return shown_prefix, min(suffix, budget - shown_prefix)


def _partial(text: str, prefix: int, suffix: int, char: str, preserve_length: bool) -> str:
    p, s = reveal_window(len(text), prefix, suffix)
    hidden = len(text) - p - s
    middle = char * hidden if preserve_length else FIXED_MASK
    return text[:p] + middle + (text[len(text) - s :] if s else "")


def split_email(text: str) -> tuple[str, str] | None:
    local, at, domain = text.rpartition("@")
    return (local, domain) if at and local and domain else None


class Masker:
    """Applies masking methods with one set of keys."""

    def __init__(self, keys: MaskingKeys) -> None:
        self._keys = keys
        self._siv = AESSIV(keys.token_key)

    def mask(
        self,
        method: str,
        config: Mapping[str, Any] | None,
        value: Any,
        *,
        preserve_null: bool = True,
    ) -> Any:
        """The masked value. A null stays null with `preserve_null`, else becomes "****" (so
        the output does not tell nulls apart)."""
        cfg = validate_config(method, config)
        method = check_method(method)
        if value is None:
            return None if preserve_null else FIXED_MASK
        return getattr(self, "_" + method)(cfg, value)

    # -- the methods (cfg is validated) --------------------------------------------------------

    def _redaction(self, cfg: dict[str, Any], value: Any) -> str:
        text = as_text(value)
        if cfg["full_redaction"]:
            return cfg["redaction_char"] * len(text) if cfg["preserve_length"] else FIXED_MASK
        return _partial(
            text,
            cfg["preserve_prefix"],
            cfg["preserve_suffix"],
            cfg["redaction_char"],
            cfg["preserve_length"],
        )

    def _partial_redaction(self, cfg: dict[str, Any], value: Any) -> str:
        text = as_text(value)
        args = (cfg["preserve_prefix"], cfg["preserve_suffix"], cfg["redaction_char"])
        email = split_email(text) if cfg["preserve_domain"] else None
        if email:
            local, domain = email
            return _partial(local, *args, cfg["preserve_length"]) + "@" + domain
        return _partial(text, *args, cfg["preserve_length"])

    def _substitution(self, cfg: dict[str, Any], value: Any) -> Any:
        values = cfg["values"]
        if not values:
            return cfg["value"]
        pick = self._mac(b"substitution", as_text(value))
        index = int.from_bytes(pick[:8], "big") % len(values)
        if len(values) > 1 and as_text(values[index]) == as_text(value):
            index = (index + 1) % len(values)  # never hand the clear value back
        return values[index]

    def _hashing(self, cfg: dict[str, Any], value: Any) -> str:
        digest = hashlib.new(
            cfg["algorithm"], self._keys.salt + as_text(value).encode()
        ).hexdigest()
        return digest[: cfg["truncate"]] if cfg["truncate"] else digest

    def _tokenization(self, cfg: dict[str, Any], value: Any) -> str:
        if cfg["preserve_format"]:
            return self._format_preserving_encryption({"tweak": "tokenization"}, value)
        data = as_text(value).encode()
        if cfg["deterministic"]:
            payload = _DETERMINISTIC + self._siv.encrypt(data, [_DETERMINISTIC])
        else:
            nonce = os.urandom(16)
            payload = _RANDOMIZED + nonce + self._siv.encrypt(data, [_RANDOMIZED, nonce])
        return TOKEN_PREFIX + base64.urlsafe_b64encode(payload).rstrip(b"=").decode()

    def _pseudonymization(self, cfg: dict[str, Any], value: Any) -> str:
        return self._tokenization({**cfg, "deterministic": True}, value)

    def _generalization(self, cfg: dict[str, Any], value: Any) -> str:
        month = cfg["date_precision"] == "month"
        if isinstance(value, date):
            return value.isoformat()[: 7 if month else 4]
        if _is_number(value):
            if not math.isfinite(value):
                raise InvalidArgument("value: generalization needs a finite number")
            width = cfg["bucket_width"]
            low = int(Fraction(value) // width) * width
            return f"{low}-{low + width - 1}"  # covers low <= value < low + width
        if isinstance(value, str):
            if _ISO_DATE.fullmatch(value):
                return value[: 7 if month else 4]
            keep = min(cfg["prefix_length"], max(len(value) - 1, 0))
            return value[:keep] + "*"
        raise InvalidArgument(
            f"value: generalization applies to dates, numbers and text, not {type(value).__name__}"
        )

    def _noise_addition(self, cfg: dict[str, Any], value: Any) -> int | float | Decimal:
        """value ± max(|value| * scale * u, min_noise), u in [0.25, 1) and the sign drawn from an
        HMAC of the value: the same value always gets the same noise (averaging repeated reads
        reveals nothing), and the noise is never zero. Ints stay ints (noise at least 1)."""
        if not _is_number(value) or (not isinstance(value, int) and not math.isfinite(value)):
            raise InvalidArgument("value: noise_addition needs a finite number")
        seed = self._mac(b"noise", f"{type(value).__name__}:{value!r}")
        u = Fraction(1, 4) + Fraction(3, 4) * Fraction(int.from_bytes(seed[:8], "big"), 2**64)
        sign = 1 if seed[8] & 1 else -1
        scale, floor = Fraction(cfg["scale"]), Fraction(cfg["min_noise"])
        if isinstance(value, int):
            magnitude = max(math.floor(abs(value) * scale * u), math.ceil(floor), 1)
            return value + sign * magnitude
        if isinstance(value, Decimal):
            step = max(abs(value) * Decimal(float(scale * u)), Decimal(cfg["min_noise"]))
            return value + sign * step
        step_f = max(abs(value) * float(scale * u), cfg["min_noise"])
        out = value + sign * step_f
        if not math.isfinite(out):
            out = value - sign * step_f  # near the float limit: go the other way
        return out

    def _format_preserving_encryption(self, cfg: dict[str, Any], value: Any) -> str:
        """FF3-1 over the value's ASCII digits (radix 10) and letters (radix 26, case kept per
        position); every other char stays where it is. A class too short for the cipher
        (fewer than 6 digits or 5 letters, FF3-1's minimum domain of a million) cannot be
        encrypted safely: the whole value is then redacted to a same-length run of "*"
        (irreversible). Long values are encrypted in chunks, each with its own tweak."""
        text = as_text(value)
        out = self._fpe(cfg["tweak"], text, decrypt=False)
        return out if out is not None else "*" * len(text)

    # -- reversal --------------------------------------------------------------------------------

    def unmask_token(self, token: str) -> str:
        """The clear text of a `tok_` token; InvalidArgument when it is not one or these keys
        did not make it."""
        if not token.startswith(TOKEN_PREFIX):
            raise InvalidArgument(f"token: not a token (tokens start with {TOKEN_PREFIX!r})")
        body = token[len(TOKEN_PREFIX) :]
        try:
            payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except ValueError:
            raise InvalidArgument("token: not a token (bad encoding)") from None
        head, rest = payload[:1], payload[1:]
        try:
            if head == _DETERMINISTIC:
                clear = self._siv.decrypt(rest, [_DETERMINISTIC])
            elif head == _RANDOMIZED and len(rest) > 16:
                clear = self._siv.decrypt(rest[16:], [_RANDOMIZED, rest[:16]])
            else:
                raise InvalidArgument("token: not a token (unknown version)")
        except InvalidTag:
            raise InvalidArgument(
                "token: cannot be decrypted with this masking key (wrong key or altered token)"
            ) from None
        return clear.decode()

    def unmask_fpe(self, config: Mapping[str, Any] | None, value: str) -> str:
        """The clear text of a format-preserving ciphertext made with the same config and keys.
        A wrong key gives a wrong (same-format) answer, not an error: FF3-1 has no tag."""
        cfg = validate_config("format_preserving_encryption", config)
        out = self._fpe(cfg["tweak"], value, decrypt=True)
        if out is None:
            raise InvalidArgument("value: too short to be a format-preserving ciphertext")
        return out

    # -- helpers ---------------------------------------------------------------------------------

    def _mac(self, purpose: bytes, text: str) -> bytes:
        return hmac.new(self._keys.mac_key, purpose + b"\x00" + text.encode(), "sha256").digest()

    def _fpe(self, label: str, text: str, *, decrypt: bool) -> str | None:
        chars = list(text)
        digits = [i for i, c in enumerate(chars) if c in string.digits]
        letters = [i for i, c in enumerate(chars) if c in string.ascii_letters]
        if not digits and not letters:
            return None
        for kind, positions, alphabet in (
            ("d", digits, string.digits),
            ("l", letters, string.ascii_lowercase),
        ):
            if not positions:
                continue
            clear = "".join(chars[i].lower() for i in positions)
            done = self._ff3(f"{label}|{kind}", alphabet, clear, decrypt)
            if done is None:
                return None
            for i, c in zip(positions, done, strict=True):
                chars[i] = c.upper() if chars[i].isupper() else c
        return "".join(chars)

    def _ff3(self, label: str, alphabet: str, text: str, decrypt: bool) -> str | None:
        first = FF3Cipher.withCustomAlphabet(self._keys.fpe_key.hex(), "00" * 7, alphabet)
        if len(text) < first.minLen:
            return None
        count = -(-len(text) // first.maxLen)
        size, extra = divmod(len(text), count)
        out, start = [], 0
        for n in range(count):
            end = start + size + (1 if n < extra else 0)
            tweak = self._mac(b"fpe-tweak", f"{label}|{n}")[:7].hex()
            cipher = FF3Cipher.withCustomAlphabet(self._keys.fpe_key.hex(), tweak, alphabet)
            chunk = text[start:end]
            out.append(cipher.decrypt(chunk) if decrypt else cipher.encrypt(chunk))
            start = end
        return "".join(out)
