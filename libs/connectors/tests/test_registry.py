"""The registry: source types by name, and no database driver loaded until a reader or an
executor is built (domain code uses dialects without pulling drivers in)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dcconnectors import registry
from dcconnectors.dialect import Dialect
from dckit.errors import InvalidArgument


def test_names_and_lookup() -> None:
    assert registry.names() == ("databricks", "postgres")
    for name in registry.names():
        connector = registry.get(name)
        assert connector.name == connector.config.source_type == connector.dialect.name == name
        assert isinstance(connector.dialect, Dialect) and connector.executor is not None


def test_unknown_type_names_the_known_ones() -> None:
    with pytest.raises(InvalidArgument, match="unknown source type 'oracle'; supported: "
                       "databricks, postgres"):  # fmt: skip
        registry.get("oracle")
    with pytest.raises(registry.UnknownSourceType):
        registry.metadata_reader("", {}, statement_timeout_ms=1000)


def _loaded_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"import sys\n{code}\nprint(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {m.split(".")[0] for m in out.split()}


def test_registry_and_dialects_load_no_driver() -> None:
    loaded = _loaded_after(
        "from dcconnectors import registry\n"
        "from dcconnectors.postgres.dialect import PostgresDialect\n"
        "from dcconnectors.databricks.dialect import DatabricksDialect\n"
        "registry.get('postgres').validate({'host': 'h', 'database': 'd', 'username': 'u'})\n"
        "registry.dialect('databricks').type_family('string')"
    )
    assert "dcconnectors" in loaded
    assert not loaded & {"asyncpg", "databricks", "sqlalchemy", "grpc"}


def test_factories_load_their_driver_on_first_use() -> None:
    loaded = _loaded_after(
        "from dcconnectors import registry\n"
        "registry.metadata_reader('postgres', {'host': 'h', 'database': 'd', 'username': 'u'},"
        " statement_timeout_ms=1000)"
    )
    assert "asyncpg" in loaded and "databricks" not in loaded
    # databricks-sql-connector itself only with the first real connection.
    loaded = _loaded_after(
        "from dcconnectors import registry\n"
        "registry.get('databricks').executor({'catalog': 'main'}, statement_timeout_ms=1000)"
    )
    assert "databricks" not in loaded
