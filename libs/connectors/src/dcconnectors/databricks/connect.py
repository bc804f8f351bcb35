"""Talking to a Databricks SQL warehouse (databricks-sql-connector, a blocking DB-API driver)
from async code: a connection factory from the stored connection settings, and one query run
in a worker thread under a timeout. Shared by the metadata reader and the query executor; tests
pass their own `Connect` (a fake at the DB-API cursor boundary)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from dcconnectors.errors import SourceError, first_line


class Cursor(Protocol):
    @property
    def description(self) -> Sequence[Sequence[Any]] | None: ...

    def execute(self, operation: str, parameters: Any = None) -> Any: ...
    def fetchall(self) -> Sequence[Sequence[Any]]: ...
    def close(self) -> Any: ...


class Connection(Protocol):
    def cursor(self) -> Cursor: ...
    def close(self) -> Any: ...


Connect = Callable[[], Connection]


def connector(conn: Mapping[str, Any]) -> Connect:
    """A DB-API connection factory over databricks-sql-connector (`databricks.sql`)."""

    def connect() -> Connection:
        from databricks import sql  # imported on first real connection only

        result: Connection = sql.connect(
            server_hostname=conn["server_hostname"],
            http_path=conn["http_path"],
            access_token=conn["access_token"],
            _socket_timeout=float(conn.get("connect_timeout_seconds", 30)),
        )
        return result

    return connect


async def open_connection(connect: Connect, seconds: float, place: str) -> Connection:
    try:
        return await asyncio.wait_for(asyncio.to_thread(connect), timeout=seconds)
    except TimeoutError as exc:
        raise SourceError(f"cannot connect to {place}: timed out") from exc
    except SourceError:
        raise
    except Exception as exc:  # the connector's own error classes vary by version
        raise SourceError(f"cannot connect to {place}: {first_line(exc)}") from exc


async def query(
    connection: Connection,
    sql: str,
    parameters: Mapping[str, Any] | None,
    *,
    seconds: float,
    what: str,
) -> list[dict[str, Any]]:
    """Rows as dicts. `what` names the work in errors ("metadata query on host/catalog")."""

    def run() -> list[dict[str, Any]]:
        cursor = connection.cursor()
        try:
            if parameters:
                cursor.execute(sql, dict(parameters))
            else:
                cursor.execute(sql)
            names = [d[0] for d in cursor.description or ()]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        finally:
            cursor.close()

    try:
        return await asyncio.wait_for(asyncio.to_thread(run), timeout=seconds)
    except TimeoutError as exc:
        raise SourceError(f"{what} timed out after {seconds:g}s") from exc
    except SourceError:
        raise
    except Exception as exc:
        raise SourceError(f"{what} failed: {first_line(exc)}") from exc
