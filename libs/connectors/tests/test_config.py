"""Connection settings of each connector: required settings, defaults, secrets, and errors
that name the setting."""

from __future__ import annotations

import pytest

from dcconnectors import registry
from dcconnectors.postgres.connect import default_sslmode
from dckit.errors import InvalidArgument

PG = {"host": "db.example", "database": "app", "username": "reader", "password": "pw"}
DBX = {
    "server_hostname": "adb-1.azuredatabricks.net",
    "http_path": "/sql/1.0/warehouses/abc",
    "access_token": "dapi-secret",
    "catalog": "main",
}


def validate(source_type: str, connection: dict[str, object]) -> dict[str, object]:
    return registry.get(source_type).validate(connection)


def test_postgres_defaults_port_and_accepts_json_numbers() -> None:
    assert validate("postgres", PG)["port"] == 5432
    # protobuf Struct delivers numbers as floats
    clean = validate("postgres", {**PG, "port": 6543.0, "sslmode": "require"})
    assert clean["port"] == 6543 and isinstance(clean["port"], int)
    assert clean["sslmode"] == "require"
    assert validate("postgres", {**PG, "password": ""})["password"] == ""


@pytest.mark.parametrize("missing", ["host", "database", "username"])
def test_postgres_missing_required_setting(missing: str) -> None:
    conn = {k: v for k, v in PG.items() if k != missing}
    with pytest.raises(InvalidArgument, match=f"connection.{missing} is required for a postgres"):
        validate("postgres", conn)


@pytest.mark.parametrize("port", [0, 65536, -1, 5432.5, "5432", True])
def test_postgres_bad_port(port: object) -> None:
    with pytest.raises(InvalidArgument, match=r"connection\.port"):
        validate("postgres", {**PG, "port": port})


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"host": ""}, "connection.host must be a non-empty string"),
        ({"sslmode": "sometimes"}, "connection.sslmode must be one of disable, allow, prefer"),
        ({"schemas": "public"}, "connection.schemas must be a list"),
        ({"bogus": 1, "extra": 2}, "unknown connection setting\\(s\\) for postgres: bogus, extra"),
        ({"password": 5}, "connection.password"),
        ({"connect_timeout_seconds": 0}, "connect_timeout_seconds must be between 1 and 300"),
    ],
)
def test_postgres_bad_settings(extra: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        validate("postgres", {**PG, **extra})


def test_databricks_settings() -> None:
    assert validate("databricks", DBX) == DBX  # no defaults added
    for missing in ("server_hostname", "http_path", "access_token", "catalog"):
        with pytest.raises(InvalidArgument, match=f"connection.{missing} is required"):
            validate("databricks", {k: v for k, v in DBX.items() if k != missing})
    # The catalog is interpolated into SQL: plain names only.
    for bad in ("main`x", "a b", "", "x" * 256):
        with pytest.raises(InvalidArgument, match=r"connection\.catalog must be a name of"):
            validate("databricks", {**DBX, "catalog": bad})
    with pytest.raises(InvalidArgument, match="for databricks: warehouse"):
        validate("databricks", {**DBX, "warehouse": "x"})


def test_errors_never_echo_a_value() -> None:
    for source_type, conn, key in (("postgres", PG, "password"), ("databricks", DBX, "catalog")):
        with pytest.raises(InvalidArgument) as err:
            validate(source_type, {**conn, key: ["s3cr3t-value"]})
        assert "s3cr3t-value" not in str(err.value)


def test_secret_settings() -> None:
    assert registry.get("postgres").secrets == {"password"}
    assert registry.get("databricks").secrets == {"access_token"}
    assert registry.get("postgres").config.required == ("host", "database", "username")


@pytest.mark.parametrize(
    ("source_type", "old", "new"),
    [
        ("postgres", PG, {"host": "evil.example"}),
        ("postgres", {**PG, "port": 5432}, {"port": 6543}),
        ("postgres", PG, {"database": "other", "sslmode": "disable"}),
        ("databricks", DBX, {"server_hostname": "evil.example"}),
        ("databricks", DBX, {"http_path": "/sql/1.0/warehouses/other"}),
    ],
)
def test_moving_the_endpoint_needs_the_secret_again(
    source_type: str, old: dict[str, object], new: dict[str, object]
) -> None:
    connector = registry.get(source_type)
    secret = next(iter(connector.secrets))
    with pytest.raises(InvalidArgument, match=rf"connection\.{secret} must be given again"):
        connector.check_secrets_follow(old, new)
    connector.check_secrets_follow(old, {**new, secret: "again"})
    # The same endpoint, or other settings only: the stored secret stays.
    connector.check_secrets_follow(old, {k: old[k] for k in new if k in old})
    connector.check_secrets_follow(old, {"schemas": ["public"]})


@pytest.mark.parametrize(
    ("host", "mode"),
    [
        ("127.0.0.1", "prefer"),
        ("localhost", "prefer"),
        ("::1", "prefer"),
        ("127.8.0.1", "prefer"),
        ("/var/run/postgresql", "prefer"),
        ("db.example", "verify-full"),
        ("10.0.0.5", "verify-full"),
    ],
)
def test_postgres_verifies_tls_by_default_off_this_machine(host: str, mode: str) -> None:
    assert default_sslmode(host) == mode
