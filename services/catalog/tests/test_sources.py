"""Source lifecycle over real gRPC, with the catalog's rows checked at rest."""

from __future__ import annotations

import asyncpg
import grpc
import pytest
from catalog_testkit import SECRET, audit_records, create_source, outbox_rows, struct
from google.protobuf import field_mask_pb2

from datacompass.catalog.v1 import catalog_pb2 as pb
from datacompass.catalog.v1 import catalog_pb2_grpc
from datacompass.common.v1 import paging_pb2

Stub = catalog_pb2_grpc.CatalogServiceStub

CONN = {
    "host": "db.internal",
    "port": 5432,
    "database": "app",
    "username": "reader",
    "password": SECRET,
}


async def test_source_lifecycle(stub: Stub) -> None:
    created = await create_source(stub, "warehouse", CONN, description="main DWH")
    assert created.id > 0
    assert created.name == "warehouse" and created.source_type == "postgres"
    assert created.description == "main DWH"
    assert list(created.connection_keys) == ["database", "host", "password", "port", "username"]
    assert not created.HasField("last_scan")
    assert created.created_at.seconds > 0

    got = await stub.GetSource(pb.GetSourceRequest(name="warehouse"))
    assert got == created

    for name in ("alpha", "zulu"):
        await create_source(stub, name, CONN)
    listed = await stub.ListSources(pb.ListSourcesRequest())
    assert [s.name for s in listed.items] == ["alpha", "warehouse", "zulu"]
    assert listed.page.next_cursor == ""

    first = await stub.ListSources(pb.ListSourcesRequest(page=paging_pb2.PageRequest(limit=2)))
    assert [s.name for s in first.items] == ["alpha", "warehouse"]
    assert first.page.next_cursor
    rest = await stub.ListSources(
        pb.ListSourcesRequest(page=paging_pb2.PageRequest(limit=2, cursor=first.page.next_cursor))
    )
    assert [s.name for s in rest.items] == ["zulu"] and rest.page.next_cursor == ""

    updated = await stub.UpdateSource(
        pb.UpdateSourceRequest(
            name="warehouse",
            description="renamed",
            connection=struct({"host": "db.internal", "sslmode": "require"}),
            update_mask=field_mask_pb2.FieldMask(paths=["description", "connection"]),
        )
    )
    assert updated.description == "renamed"
    # the password was not re-sent and is kept (the endpoint did not move)
    assert "password" in updated.connection_keys and "sslmode" in updated.connection_keys
    assert updated.updated_at.ToDatetime() >= created.updated_at.ToDatetime()

    # Only masked fields change; an empty mask names nothing to change.
    same = await stub.UpdateSource(
        pb.UpdateSourceRequest(
            name="warehouse",
            description="ignored",
            connection=struct({"host": "db2.internal", "password": SECRET}),
            update_mask=field_mask_pb2.FieldMask(paths=["connection"]),
        )
    )
    assert same.description == "renamed"
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.UpdateSource(
            pb.UpdateSourceRequest(
                name="warehouse", description="x", update_mask=field_mask_pb2.FieldMask()
            )
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "update_mask is empty" in (err.value.details() or "")

    deleted = await stub.DeleteSource(pb.DeleteSourceRequest(name="warehouse"))
    assert deleted.objects_deleted == 0
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.GetSource(pb.GetSourceRequest(name="warehouse"))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    assert "warehouse" in (err.value.details() or "")


async def test_duplicate_name_is_already_exists(stub: Stub) -> None:
    await create_source(stub, "dup", CONN)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await create_source(stub, "dup", CONN)
    assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert "already exists" in (err.value.details() or "")


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (
            pb.CreateSourceRequest(name="x", source_type="oracle", connection=struct(CONN)),
            "unknown source type",
        ),
        (
            pb.CreateSourceRequest(
                name="Bad Name", source_type="postgres", connection=struct(CONN)
            ),
            "invalid source name",
        ),
        (
            pb.CreateSourceRequest(
                name="x", source_type="postgres", connection=struct({**CONN, "port": 70000})
            ),
            "connection.port",
        ),
        (
            pb.CreateSourceRequest(
                name="x", source_type="postgres", connection=struct({"host": "h"})
            ),
            "is required",
        ),
    ],
)
async def test_invalid_create_is_invalid_argument(
    stub: Stub, request_: pb.CreateSourceRequest, message: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.CreateSource(request_)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert message in (err.value.details() or "")


async def test_bad_update_is_invalid_argument(stub: Stub) -> None:
    await create_source(stub, "src", CONN)
    for mask, conn in ((["name"], {}), (["connection"], {"port": 0})):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.UpdateSource(
                pb.UpdateSourceRequest(
                    name="src",
                    connection=struct(conn),
                    update_mask=field_mask_pb2.FieldMask(paths=mask),
                )
            )
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.DeleteSource(pb.DeleteSourceRequest(name="nope"))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


async def test_password_encrypted_at_rest_and_never_returned(
    stub: Stub, catalog_db: asyncpg.Connection
) -> None:
    created = await create_source(stub, "secretive", CONN)
    assert SECRET not in str(created)
    await stub.UpdateSource(
        pb.UpdateSourceRequest(
            name="secretive",
            connection=struct({"password": SECRET + "-rotated"}),
            update_mask=field_mask_pb2.FieldMask(paths=["connection"]),
        )
    )
    got = await stub.GetSource(pb.GetSourceRequest(name="secretive"))
    listed = await stub.ListSources(pb.ListSourcesRequest())
    for message in (got, listed):
        assert SECRET not in str(message)
        assert SECRET.encode() not in message.SerializeToString()

    row = await catalog_db.fetchrow("SELECT * FROM catalog.sources WHERE name = 'secretive'")
    assert row is not None
    for value in row.values():
        text = value if isinstance(value, bytes) else str(value).encode()
        assert SECRET.encode() not in text
        assert b"db.internal" not in text
    assert row["connection_encrypted"].startswith(b"gAAAAA")  # a Fernet token

    # Nothing in the whole catalog database holds the password: outbox, audit, anything.
    dump = await catalog_db.fetchval(
        "SELECT string_agg(t::text, E'\\n') FROM "
        "(SELECT row_to_json(o)::text FROM catalog.outbox o "
        " UNION ALL SELECT row_to_json(s)::text FROM catalog.sources s) t"
    )
    assert SECRET not in dump
    for row in await outbox_rows(catalog_db):
        assert SECRET.encode() not in row["payload"]


async def test_every_change_is_audited_in_the_outbox(
    stub: Stub, catalog_db: asyncpg.Connection
) -> None:
    created = await create_source(stub, "audited", CONN, description="first")
    await stub.UpdateSource(
        pb.UpdateSourceRequest(
            name="audited",
            description="second",
            connection=struct({"password": SECRET + "2"}),
            update_mask=field_mask_pb2.FieldMask(paths=["description", "connection"]),
        ),
        metadata=[("x-dc-actor", "alice"), ("x-request-id", "req-123")],
    )
    await stub.DeleteSource(pb.DeleteSourceRequest(name="audited"))

    rows = await outbox_rows(catalog_db)
    records = audit_records(rows)
    assert [r.action for r in records] == ["source.create", "source.update", "source.delete"]
    create, update, delete = records
    assert all(r.entity_type == "source" and r.service == "catalog" for r in records)
    assert all(r.entity_id == str(created.id) for r in records)
    assert all(r.entity_urn == "urn:dcs:source:audited" for r in records)

    create_changes = {c.field: (c.old_json, c.new_json) for c in create.changes}
    assert create_changes["name"] == ("null", '"audited"')
    assert create_changes["description"] == ("null", '"first"')
    assert "password" in create_changes["connection_keys"][1]  # the key name, not the value

    update_changes = {c.field: (c.old_json, c.new_json) for c in update.changes}
    assert update_changes["description"] == ('"first"', '"second"')
    assert "connection" in update_changes  # credentials changed, values redacted
    assert update.actor == "alice" and update.request_id == "req-123"

    delete_changes = {c.field: (c.old_json, c.new_json) for c in delete.changes}
    assert delete_changes["name"] == ('"audited"', "null")

    for record in records:
        text = str(record)
        assert SECRET not in text and "db.internal" not in text


async def test_resending_the_same_connection_changes_nothing(
    stub: Stub, catalog_db: asyncpg.Connection
) -> None:
    await create_source(stub, "steady", CONN)
    before = await catalog_db.fetchval(
        "SELECT connection_encrypted FROM catalog.sources WHERE name = 'steady'"
    )
    await stub.UpdateSource(
        pb.UpdateSourceRequest(
            name="steady",
            connection=struct({"host": CONN["host"], "password": SECRET}),
            update_mask=field_mask_pb2.FieldMask(paths=["connection"]),
        )
    )
    after = await catalog_db.fetchval(
        "SELECT connection_encrypted FROM catalog.sources WHERE name = 'steady'"
    )
    assert after == before
    assert audit_records(await outbox_rows(catalog_db), "source.update") == []


async def test_internal_callers_get_the_decrypted_connection(stub: Stub) -> None:
    await create_source(stub, "dq-target", CONN)
    got = await stub.GetSourceConnection(pb.GetSourceConnectionRequest(name="dq-target"))
    assert got.source_type == "postgres"
    assert dict(got.connection) == {**CONN, "port": 5432.0}  # Struct numbers are doubles
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.GetSourceConnection(pb.GetSourceConnectionRequest(name="nope"))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
