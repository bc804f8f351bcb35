"""Limits on what a request may carry, enforced by the gateway before any backend is called
(issue 20): an over-sized body is 413, an over-long field 400 naming it. No backend runs here:
every route would answer 503 if a request got past the gateway's checks."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from devstack.embedded import free_port
from devstack.testing import serve_asgi, unreachable
from gateway_service.app import create_app
from gateway_service.config import GatewaySettings

ADMIN_KEY = "test-bootstrap-admin-key"


@pytest.fixture
async def gateway() -> AsyncIterator[httpx.AsyncClient]:
    settings = GatewaySettings(
        host="127.0.0.1",
        port=free_port(),
        catalog_addr=unreachable(),
        quality_addr=unreachable(),
        governance_addr=unreachable(),
        scheduler_addr=unreachable(),
        notifier_addr=unreachable(),
        database_url=f"postgresql://nobody@{unreachable()}/none",
        nats_url=f"nats://{unreachable()}",
        bootstrap_admin_key=ADMIN_KEY,
        max_body_bytes=100_000,
    )
    async with (
        serve_asgi(create_app(settings), settings.host, settings.port) as url,
        httpx.AsyncClient(
            base_url=f"{url}/api/v1", headers={"Authorization": f"Bearer {ADMIN_KEY}"}
        ) as client,
    ):
        yield client


def _error(resp: httpx.Response) -> dict[str, str]:
    body: dict[str, dict[str, str]] = resp.json()
    return body["error"]


async def test_an_over_long_description_is_refused_naming_the_field(
    gateway: httpx.AsyncClient,
) -> None:
    """Regression: a 600 kB description was accepted (200) and its event wedged the relay."""
    resp = await gateway.patch("/objects/shop.sales.orders", json={"description": "d" * 20_000})
    assert resp.status_code == 400, resp.text
    assert _error(resp)["code"] == "INVALID_ARGUMENT"
    assert "description" in _error(resp)["message"]
    # Every field where free text or a JSON config enters is capped the same way.
    for method, path, body, field in (
        ("PATCH", "/objects/a.b.c", {"tags": ["t" * 300]}, "tags"),
        ("PATCH", "/objects/a.b.c", {"tags": [f"t{i}" for i in range(500)]}, "tags"),
        (
            "POST",
            "/sources",
            {"name": "s", "source_type": "postgres", "connection": {}, "description": "d" * 20_000},
            "description",
        ),
        ("PATCH", "/quality-rules/1", {"rule_config": {"x": "y" * 70_000}}, "rule_config"),
        ("PATCH", "/schedules/1", {"params": {"k" * 20_000: 1}}, "params"),
    ):
        resp = await gateway.request(method, path, json=body)
        assert resp.status_code == 400, (path, resp.text)
        assert field in _error(resp)["message"], (path, resp.text)
    # Within the limits the request reaches the (absent) backend.
    resp = await gateway.patch("/objects/a.b.c", json={"description": "d" * 5_000})
    assert resp.status_code == 503, resp.text


async def test_a_body_over_the_limit_is_413(gateway: httpx.AsyncClient) -> None:
    resp = await gateway.patch("/objects/shop.sales.orders", json={"description": "d" * 200_000})
    assert resp.status_code == 413, resp.text
    assert _error(resp)["code"] == "PAYLOAD_TOO_LARGE"
    assert "100000" in _error(resp)["message"]

    # Chunked (no Content-Length): counted as it arrives.
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"description": "'
        for _ in range(30):
            yield b"d" * 10_000
        yield b'"}'

    resp = await gateway.patch(
        "/objects/shop.sales.orders",
        content=chunks(),
        headers={"Content-Type": "application/json"},
    )
    assert resp.status_code == 413, resp.text
    assert _error(resp)["code"] == "PAYLOAD_TOO_LARGE"


BIG = 2**64  # beyond int64: PostgreSQL and protobuf cannot hold it


async def test_ids_beyond_int64_are_400_naming_the_field(gateway: httpx.AsyncClient) -> None:
    """Schemathesis finding (issue 20): 500 `ValueError: Value out of range`."""
    for method, path, body, field in (
        ("DELETE", f"/auth/api-keys/{BIG}", None, "key_id"),
        ("DELETE", f"/policies/{BIG}", None, "policy_id"),
        ("GET", f"/masking-rules/{BIG}", None, "rule_id"),
        ("POST", "/notifications/rules", {"name": "r", "channel_ids": [1, BIG]}, "channel_ids"),
        ("PATCH", "/notifications/rules/1", {"channel_ids": [-BIG]}, "channel_ids"),
        # An int32 of the backend's: found by schemathesis after the int64 fix.
        (
            "POST",
            "/classification/rules",
            {"name": "r", "level": "public", "priority": -(2**40)},
            "priority",
        ),
    ):
        resp = await gateway.request(method, path, json=body)
        assert resp.status_code == 400, (path, resp.text)
        assert field in _error(resp)["message"], (path, resp.text)


async def test_every_integer_parameter_is_bounded_to_int64(gateway: httpx.AsyncClient) -> None:
    spec = (await gateway.get("/../../openapi.json")).json()
    unbounded = [
        f"{method.upper()} {path} {param['name']}"
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        for param in operation.get("parameters", [])
        if _is_integer(param.get("schema", {})) and not _bounded(param["schema"])
    ]
    assert not unbounded
    # Every integer a request body can carry, however nested, has a maximum.
    schemas = spec["components"]["schemas"]
    bodies = {
        ref.rsplit("/", 1)[-1]
        for operations in spec["paths"].values()
        for operation in operations.values()
        for media in operation.get("requestBody", {}).get("content", {}).values()
        for ref in _refs(media.get("schema", {}))
    }
    assert bodies
    loose = [
        f"{name}.{where}"
        for name in sorted(bodies)
        for where in _unbounded_ints(schemas, schemas[name])
    ]
    assert not loose


def _refs(schema: object) -> list[str]:
    if isinstance(schema, dict):
        own = [schema["$ref"]] if "$ref" in schema else []
        return own + [r for v in schema.values() for r in _refs(v)]
    if isinstance(schema, list):
        return [r for v in schema for r in _refs(v)]
    return []


def _unbounded_ints(
    schemas: dict[str, object], schema: object, where: str = "", seen: frozenset[str] = frozenset()
) -> list[str]:
    if isinstance(schema, list):
        return [w for item in schema for w in _unbounded_ints(schemas, item, where, seen)]
    if not isinstance(schema, dict):
        return []
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return [] if name in seen else _unbounded_ints(schemas, schemas[name], where, seen | {name})
    found = (
        [where or "(body)"] if schema.get("type") == "integer" and "maximum" not in schema else []
    )
    for key in ("anyOf", "oneOf", "allOf"):
        found += _unbounded_ints(schemas, schema.get(key, []), where, seen)
    if "items" in schema:
        found += _unbounded_ints(schemas, schema["items"], f"{where}[]", seen)
    for prop, sub in (schema.get("properties") or {}).items():
        found += _unbounded_ints(schemas, sub, f"{where}.{prop}" if where else prop, seen)
    return found


def _is_integer(schema: dict[str, object]) -> bool:
    options = schema.get("anyOf") or [schema]
    return any(isinstance(o, dict) and o.get("type") == "integer" for o in options)  # type: ignore[union-attr]


def _bounded(schema: dict[str, object]) -> bool:
    options = schema.get("anyOf") or [schema]
    return all(
        int(o.get("maximum", 2**63)) < 2**63
        and int(o.get("minimum", -(2**63))) >= -(2**63)  # type: ignore[union-attr]
        and ("maximum" in o)  # type: ignore[operator]
        for o in options
        if isinstance(o, dict) and o.get("type") == "integer"
    )


async def test_nul_characters_are_400_naming_the_field(gateway: httpx.AsyncClient) -> None:
    """Schemathesis finding (issue 20): a NUL in a string reached PostgreSQL (500)."""
    for method, path, body, params, field in (
        ("POST", "/auth/login", {"username": "a\x00b", "password": "p"}, None, "username"),
        ("POST", "/dq/runs", {"object_ref": "a.b.c\x00"}, None, "object_ref"),
        ("PATCH", "/objects/a.b.c", {"tags": ["ok", "n\x00"]}, None, "tags"),
        ("PATCH", "/sources/s", {"connection": {"host": "h\x00"}}, None, "connection"),
        ("GET", "/objects", None, {"q": "a\x00b"}, "q"),
    ):
        resp = await gateway.request(method, path, json=body, params=params)
        assert resp.status_code == 400, (path, resp.text)
        assert field in _error(resp)["message"], (path, resp.text)
        assert "NUL" in _error(resp)["message"], (path, resp.text)
    resp = await gateway.get("/objects/a.b%00c")
    assert resp.status_code == 400 and "NUL" in _error(resp)["message"], resp.text
