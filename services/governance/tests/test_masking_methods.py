"""Masking methods, property-based: every method hides the clear value, is deterministic where
promised, reverses only with its key, and keeps the formats it promises to keep."""

from __future__ import annotations

import hashlib
import math
import re
import string
from datetime import date, datetime
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dckit.errors import InvalidArgument
from governance_service.domain.masking import (
    METHODS,
    TOKEN_PREFIX,
    Masker,
    MaskingKeys,
    is_exempt,
    validate_config,
)

KEYS = MaskingKeys.derive("test-secret-for-masking")
OTHER_KEYS = MaskingKeys.derive("another-secret-entirely")
M = Masker(KEYS)
OTHER = Masker(OTHER_KEYS)
SETTINGS = settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])

texts = st.text(max_size=60)
numbers = st.integers(min_value=-(10**15), max_value=10**15) | st.floats(
    allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15
)
dates = st.dates() | st.datetimes()


def hides(method: str, clear: Any, out: Any) -> None:
    assert out != clear
    substring_rule = method != "generalization" and len(str(clear)) >= 4
    if substring_rule and isinstance(out, str) and isinstance(clear, str):
        assert clear not in out


# -- every method hides the clear value ---------------------------------------------------------


@SETTINGS
@given(value=texts, config=st.sampled_from([{}, {"preserve_length": False}]))
def test_redaction_hides(value: str, config: dict[str, Any]) -> None:
    assume(value and set(value) != {"*"})
    out = M.mask("redaction", config, value)
    hides("redaction", value, out)
    assert out == ("*" * len(value) if not config else "****")


@SETTINGS
@given(value=texts, prefix=st.integers(0, 8), suffix=st.integers(0, 8), length=st.booleans())
def test_partial_redaction_hides_and_never_reveals_everything(
    value: str, prefix: int, suffix: int, length: bool
) -> None:
    assume(value and "*" not in value)
    for method, extra in (
        ("partial_redaction", {"preserve_domain": False}),
        ("redaction", {"full_redaction": False}),
    ):
        cfg = {
            "preserve_prefix": prefix,
            "preserve_suffix": suffix,
            "preserve_length": length,
            **extra,
        }
        out = M.mask(method, cfg, value)
        hides(method, value, out)
        n = len(value)
        if prefix + suffix < n:
            p, s = prefix, suffix
        else:  # reveal at most half
            p = min(prefix, n // 2)
            s = min(suffix, n // 2 - p)
        assert p + s < n
        hidden = "*" * (n - p - s) if length else "****"
        assert out == value[:p] + hidden + value[n - s :]


@SETTINGS
@given(
    local=st.text(alphabet=string.ascii_letters + string.digits + "._+-", min_size=1, max_size=30),
    domain=st.from_regex(r"[a-z0-9]{1,12}\.[a-z]{2,6}", fullmatch=True),
)
def test_partial_email_keeps_domain_hides_local_part(local: str, domain: str) -> None:
    email = f"{local}@{domain}"
    out = M.mask("partial_redaction", {}, email)
    hides("partial_redaction", email, out)
    assert out.endswith("@" + domain)
    masked_local = out[: -len(domain) - 1]
    assert len(masked_local) == len(local) and masked_local != local
    shown = 2 if len(local) > 2 else len(local) // 2
    assert masked_local == local[:shown] + "*" * (len(local) - shown)


def test_partial_email_example() -> None:
    assert M.mask("partial_redaction", {}, "john.doe@example.com") == "jo******@example.com"


@SETTINGS
@given(
    value=texts,
    substitutes=st.lists(
        st.text(st.characters(blacklist_characters="\x00"), min_size=1, max_size=10),
        min_size=2,
        max_size=8,
        unique=True,
    ),
)
def test_substitution_from_list_is_deterministic(value: str, substitutes: list[str]) -> None:
    assume(not any(len(value) >= 4 and value in s for s in substitutes))
    out = M.mask("substitution", {"values": substitutes}, value)
    hides("substitution", value, out)
    assert out in substitutes
    assert M.mask("substitution", {"values": substitutes}, value) == out


def test_substitution_spreads_over_the_list_and_fixed_value() -> None:
    picks = {M.mask("substitution", {"values": ["a", "b", "c"]}, f"v{i}") for i in range(60)}
    assert picks == {"a", "b", "c"}
    assert M.mask("substitution", {"value": "REDACTED"}, "secret") == "REDACTED"


@SETTINGS
@given(value=texts | st.integers(), truncate=st.sampled_from([0, 8, 16]))
def test_hashing_is_salted_sha256(value: str | int, truncate: int) -> None:
    out = M.mask("hashing", {"truncate": truncate}, value)
    full = hashlib.sha256(KEYS.salt + str(value).encode()).hexdigest()
    assert out == (full[:truncate] if truncate else full)
    hides("hashing", value, out)
    assert OTHER.mask("hashing", {"truncate": truncate}, value) != out  # the salt matters


def test_hashing_sha512() -> None:
    assert (
        M.mask("hashing", {"algorithm": "sha512"}, "x")
        == hashlib.sha512(KEYS.salt + b"x").hexdigest()
    )


@SETTINGS
@given(value=texts)
def test_tokenization_round_trips_only_with_the_key(value: str) -> None:
    assume(not value.startswith(TOKEN_PREFIX))
    token = M.mask("tokenization", {}, value)
    hides("tokenization", value, token)
    assert token.startswith(TOKEN_PREFIX)
    assert re.fullmatch(r"tok_[A-Za-z0-9_-]+", token)
    assert M.mask("tokenization", {}, value) == token  # deterministic
    assert M.mask("pseudonymization", {}, value) == token
    assert M.unmask_token(token) == value
    with pytest.raises(InvalidArgument, match="wrong key"):
        OTHER.unmask_token(token)


@SETTINGS
@given(value=texts)
def test_randomized_tokens_differ_and_round_trip(value: str) -> None:
    a = M.mask("tokenization", {"deterministic": False}, value)
    b = M.mask("tokenization", {"deterministic": False}, value)
    assert a != b and value not in (a, b)
    assert M.unmask_token(a) == M.unmask_token(b) == value
    with pytest.raises(InvalidArgument, match="wrong key"):
        OTHER.unmask_token(a)


@pytest.mark.parametrize("bad", ["abc", "tok_", "tok_!!!!", "tok_AAAA", TOKEN_PREFIX + "Ag" * 20])
def test_garbage_tokens_are_refused(bad: str) -> None:
    with pytest.raises(InvalidArgument, match=r"^token: "):
        M.unmask_token(bad)


FPE_ALPHABET = string.digits + string.ascii_letters + "-. /_@"


def _classes(text: str) -> list[str]:
    return [
        "d" if c in string.digits else "u" if c in string.ascii_uppercase
        else "l" if c in string.ascii_lowercase else c
        for c in text
    ]  # fmt: skip


@SETTINGS
@given(value=st.text(alphabet=FPE_ALPHABET, max_size=120), tweak=st.sampled_from(["", "cards"]))
def test_fpe_preserves_format_and_round_trips(value: str, tweak: str) -> None:
    out = M.mask("format_preserving_encryption", {"tweak": tweak}, value)
    digits = sum(c in string.digits for c in value)
    letters = sum(c in string.ascii_letters for c in value)
    too_short = (digits == 0 and letters == 0) or 0 < digits < 6 or 0 < letters < 5
    assert len(out) == len(value)
    if too_short:
        assert out == "*" * len(value)  # documented fallback: redaction
        return
    hides("format_preserving_encryption", value, out)
    assert _classes(out) == _classes(value)
    assert M.mask("format_preserving_encryption", {"tweak": tweak}, value) == out
    assert M.unmask_fpe({"tweak": tweak}, out) == value
    assert OTHER.unmask_fpe({"tweak": tweak}, out) != value


def test_fpe_card_number_keeps_layout() -> None:
    out = M.mask("format_preserving_encryption", {}, "4111-1111-1111-1111")
    assert re.fullmatch(r"\d{4}-\d{4}-\d{4}-\d{4}", out) and out != "4111-1111-1111-1111"
    token = M.mask("tokenization", {"preserve_format": True}, "4111-1111-1111-1111")
    assert re.fullmatch(r"\d{4}-\d{4}-\d{4}-\d{4}", token)


@SETTINGS
@given(value=numbers, width=st.sampled_from([1, 5, 10, 1000]))
def test_generalization_puts_numbers_in_their_range(value: int | float, width: int) -> None:
    out = M.mask("generalization", {"bucket_width": width}, value)
    hides("generalization", value, out)
    low_text, high_text = re.fullmatch(r"(-?\d+)-(-?\d+)", out).groups()  # type: ignore[union-attr]
    low, high = int(low_text), int(high_text)
    assert low % width == 0 and high - low == width - 1
    assert low <= Fraction(value) < high + 1


@SETTINGS
@given(value=dates, precision=st.sampled_from(["month", "year"]))
def test_generalization_of_dates(value: date, precision: str) -> None:
    out = M.mask("generalization", {"date_precision": precision}, value)
    expected = (
        f"{value.year:04d}-{value.month:02d}" if precision == "month" else f"{value.year:04d}"
    )
    assert out == expected
    as_string = value.isoformat()
    assert M.mask("generalization", {"date_precision": precision}, as_string) == expected
    hides("generalization", as_string, out)


@SETTINGS
@given(value=texts, keep=st.integers(0, 5))
def test_generalization_of_text_keeps_a_short_prefix(value: str, keep: int) -> None:
    assume(not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ].*)?", value, re.DOTALL))
    assume(not value.endswith("*"))  # already looks generalized: "ab*" may map to itself
    out = M.mask("generalization", {"prefix_length": keep}, value)
    hides("generalization", value, out)
    assert out.endswith("*") and value.startswith(out[:-1])
    assert len(out) - 1 == min(keep, max(len(value) - 1, 0))


def test_generalization_refuses_other_types() -> None:
    with pytest.raises(InvalidArgument, match=r"^value: "):
        M.mask("generalization", {}, b"bytes")


@SETTINGS
@given(value=numbers, scale=st.sampled_from([0.01, 0.1, 0.5]), floor=st.sampled_from([0.5, 1, 3]))
def test_noise_is_bounded_deterministic_and_never_zero(
    value: int | float, scale: float, floor: float
) -> None:
    cfg = {"scale": scale, "min_noise": floor}
    out = M.mask("noise_addition", cfg, value)
    assert out != value and M.mask("noise_addition", cfg, value) == out
    assert type(out) is type(value)
    bound = max(Fraction(abs(value)) * Fraction(scale), Fraction(floor))
    if isinstance(value, int):
        bound = max(bound, Fraction(math.ceil(floor)))
        assert abs(out - value) <= bound
    else:
        assert abs(Fraction(out) - Fraction(value)) <= bound * Fraction(1 + 1e-9) + Fraction(1e-300)
    assert abs(Fraction(out) - Fraction(value)) >= min(Fraction(floor), 1) * Fraction(1 - 1e-9)


def test_noise_spreads_both_ways() -> None:
    signs = {M.mask("noise_addition", {}, 1000 + i) > 1000 + i for i in range(40)}
    assert signs == {True, False}


@pytest.mark.parametrize("bad", ["12", True, float("nan"), float("inf")])
def test_noise_refuses_non_numbers(bad: Any) -> None:
    with pytest.raises(InvalidArgument, match=r"^value: "):
        M.mask("noise_addition", {}, bad)


# -- nulls, config, keys, roles -----------------------------------------------------------------

SAMPLE_CONFIG = {"substitution": {"value": "X"}}


@pytest.mark.parametrize("method", METHODS)
def test_preserve_null(method: str) -> None:
    cfg = SAMPLE_CONFIG.get(method, {})
    assert M.mask(method, cfg, None) is None
    assert M.mask(method, cfg, None, preserve_null=False) == "****"


@pytest.mark.parametrize(
    ("method", "config", "field"),
    [
        ("redaction", {"redaction_char": "**"}, "redaction_char"),
        ("redaction", {"full_redaction": "yes"}, "full_redaction"),
        ("redaction", {"preserve_prefix": 2}, "preserve_prefix"),
        ("redaction", {"colour": "red"}, "colour"),
        ("partial_redaction", {"preserve_prefix": -1}, "preserve_prefix"),
        ("partial_redaction", {"preserve_suffix": True}, "preserve_suffix"),
        ("substitution", {}, "value"),
        ("substitution", {"value": "a", "values": ["b"]}, "value"),
        ("substitution", {"values": "abc"}, "values"),
        ("substitution", {"values": ["a", None]}, "values"),
        ("hashing", {"algorithm": "md5"}, "algorithm"),
        ("hashing", {"salt": "pepper"}, "salt"),
        ("hashing", {"truncate": 500}, "truncate"),
        ("tokenization", {"preserve_format": True, "deterministic": False}, "deterministic"),
        ("pseudonymization", {"deterministic": False}, "deterministic"),
        ("generalization", {"bucket_width": 0}, "bucket_width"),
        ("generalization", {"date_precision": "week"}, "date_precision"),
        ("noise_addition", {"scale": 0}, "scale"),
        ("noise_addition", {"min_noise": float("nan")}, "min_noise"),
        ("format_preserving_encryption", {"tweak": 3}, "tweak"),
    ],
)
def test_config_errors_name_the_field(method: str, config: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidArgument) as err:
        validate_config(method, config)
    assert str(err.value).startswith(f"method_config.{field}: ")


def test_config_defaults_are_filled_in() -> None:
    cfg = validate_config("partial_redaction", {"preserve_prefix": 1})
    assert cfg == {
        "redaction_char": "*",
        "preserve_domain": True,
        "preserve_length": True,
        "preserve_prefix": 1,
        "preserve_suffix": 0,
    }
    assert validate_config("Hashing", {}) == {
        "algorithm": "sha256",
        "salt": "use_system_salt",
        "truncate": 0,
    }


@pytest.mark.parametrize("method", ["encryption", "data_masking", "custom"])
def test_unsupported_spec_methods_are_refused(method: str) -> None:
    with pytest.raises(
        InvalidArgument, match=rf"^masking_method: {method} is not supported; one of"
    ):
        M.mask(method, {}, "x")


def test_unknown_method() -> None:
    with pytest.raises(InvalidArgument, match=r"^masking_method: unknown"):
        validate_config("scramble", {})


def test_keys_derive_distinct_and_stable() -> None:
    again = MaskingKeys.derive("test-secret-for-masking")
    assert again == KEYS and again != OTHER_KEYS
    assert len(KEYS.token_key) == 64 and len(KEYS.fpe_key) in (16, 24, 32)
    parts = [KEYS.salt, KEYS.token_key[:32], KEYS.token_key[32:], KEYS.fpe_key, KEYS.mac_key]
    assert len(set(parts)) == len(parts)
    assert "test-secret" not in repr(KEYS) and KEYS.salt.hex() not in repr(KEYS)
    with pytest.raises(InvalidArgument, match=r"^masking secret: "):
        MaskingKeys.derive("short")


def test_is_exempt_is_plain_membership() -> None:
    assert is_exempt(["steward", "Admin "], "admin")
    assert not is_exempt(["steward"], "admin")  # outranking is not membership
    assert not is_exempt([], "admin") and not is_exempt(["steward"], "")


def test_same_value_other_types_are_distinct_inputs() -> None:
    # noise keys on the type too, so 1 and 1.0 are independent draws but both stay in bounds
    assert isinstance(M.mask("noise_addition", {}, 1), int)
    assert isinstance(M.mask("noise_addition", {}, 1.0), float)
    assert M.mask("redaction", {}, datetime(2024, 1, 2, 3, 4, 5)) == "*" * len(
        "2024-01-02 03:04:05"
    )
