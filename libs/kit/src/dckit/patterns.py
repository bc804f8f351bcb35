"""User-written regular expressions, compiled with RE2 (google-re2): matching time is linear in
the input, so a pathological pattern such as `(a+)+$` cannot backtrack catastrophically and
hang a service. Constructs RE2 cannot run in linear time (backreferences, lookaround) are
refused as invalid, with RE2's reason."""

from __future__ import annotations

from typing import Any

import re2

from dckit.errors import InvalidArgument

MAX_PATTERN = 1000
_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # a user's bad pattern is a 400, not a line on stderr


def compile_pattern(pattern: str, what: str = "pattern") -> Any:
    """The compiled pattern; InvalidArgument naming `what` when it is too long or not RE2."""
    if len(pattern) > MAX_PATTERN:
        raise InvalidArgument(f"{what} is longer than {MAX_PATTERN} characters")
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        detail = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else exc
        raise InvalidArgument(f"invalid {what} `{pattern}`: {detail}") from exc
