"""Connection settings of a Databricks source: one SQL warehouse and one Unity Catalog
catalog."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dcconnectors.config import ConnectionConfig, Setting, integer, names, plain_name, text

CONFIG = ConnectionConfig(
    "databricks",
    {
        "server_hostname": Setting(text, required=True, endpoint=True),
        "http_path": Setting(text, required=True, endpoint=True),
        "access_token": Setting(text, required=True, secret=True),
        # Interpolated (back-quoted) into the metadata queries.
        "catalog": Setting(plain_name, required=True),
        "schemas": Setting(names),
        "exclude_schemas": Setting(names),
        "connect_timeout_seconds": Setting(integer(1, 300)),
    },
)


def where(conn: Mapping[str, Any]) -> str:
    """The source as errors name it (no credentials)."""
    return f"{conn.get('server_hostname', 'databricks')}/{conn.get('catalog', '')}"
