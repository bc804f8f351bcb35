"""Errors of reading a data source, shared by every connector."""

from __future__ import annotations


class SourceError(Exception):
    """The source could not be read (unreachable, bad credentials, timeout, bad SQL...).

    The message is shown to users and stored on runs: it must not contain secrets."""


class QueryFailed(SourceError):
    """The connection worked but the statement failed (bad SQL for this data, a cast error,
    a timeout): retrying a smaller batch may succeed where the whole batch did not."""


def first_line(exc: BaseException, limit: int = 300) -> str:
    """The first line of an error's text (drivers put whole server responses in theirs)."""
    return (str(exc) or type(exc).__name__).splitlines()[0][:limit]
