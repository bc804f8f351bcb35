"""Masking SQL: the PostgreSQL view really runs and agrees with the Python masker; Databricks
statements are checked as strings; hostile names and values cannot break out of quotes."""

from __future__ import annotations

import hashlib
import random
import string
import uuid
from datetime import date
from typing import Any

import asyncpg
import pytest

from dckit.errors import InvalidArgument
from devstack.testing import scratch_database
from governance_service.domain.masking import Masker, MaskingKeys, MaskingSpec
from governance_service.domain.masking_sql import preview

KEYS = MaskingKeys.derive("sql-test-secret-0123456789")
M = Masker(KEYS)
SCHEMA, TABLE = 'cr"m', "cust'omers"
HOSTILE = "O'Brien\\'; DROP TABLE x; --"

COLUMNS = [
    ("id", "integer"),
    ("email", "text"),
    ("name", "character varying(40)"),
    ("ssn", "text"),
    ("born", "date"),
    ("age", "integer"),
    ("card", "text"),
    ("note", "text"),
    ("city", "text"),
    ("salary", "numeric(12,2)"),
]

SETUP = """
CREATE SCHEMA "cr""m";
CREATE TABLE "cr""m"."cust'omers" (
  id integer PRIMARY KEY, email text, name varchar(40), ssn text, born date, age integer,
  card text, note text, city text, salary numeric(12,2));
"""

ROWS: list[tuple[Any, ...]] = [
    (1, "john.doe@example.com", "John", "123-45-6789", date(1990, 7, 14), 34,
     "4111-1111-1111-1111", "private", "Lyon", 51234.50),
    (2, "a@b.co", "Al", "987654321", date(2001, 1, 1), -7, "5500000000000004", "x", "Q", -0.5),
    (3, None, None, None, None, None, None, None, None, None),
    (4, "not-an-email", "Éloïse", "x@@y", date(1969, 12, 31), 0, "1", "", "2024-05-06", 9.99),
]  # fmt: skip


def _rules(steward: str) -> dict[str, MaskingSpec]:
    return {
        "email": MaskingSpec("partial_redaction", {}, (steward,)),
        "name": MaskingSpec("redaction", {}, (steward,)),
        "ssn": MaskingSpec("hashing", {}, (steward, "nobody_has_this_role")),
        "born": MaskingSpec("generalization", {}, (steward,)),
        "age": MaskingSpec("generalization", {"bucket_width": 10}, ()),
        "card": MaskingSpec("tokenization", {}, (steward,)),
        "note": MaskingSpec("substitution", {"value": HOSTILE}, (steward,), preserve_null=False),
        "city": MaskingSpec("generalization", {"prefix_length": 2}, ()),
        "salary": MaskingSpec("noise_addition", {}, (steward,)),
    }


PYTHON_CHECKED = ("email", "name", "ssn", "born", "age", "note", "city")


async def _read(conn: asyncpg.Connection, role: str) -> list[dict[str, Any]]:
    await conn.execute(f'SET ROLE "{role}"')
    try:
        rows = await conn.fetch('SELECT * FROM "cr""m"."cust\'omers_masked" ORDER BY id')
    finally:
        await conn.execute("RESET ROLE")
    return [dict(r) for r in rows]


async def test_postgres_view_masks_for_others_and_shows_exempt_roles(
    database_server_url: str,
) -> None:
    tag = uuid.uuid4().hex[:8]
    steward, alice, analyst = f'steward\'s "team" {tag}', f"alice_{tag}", f"analyst_{tag}"
    sql = preview("postgres", [SCHEMA, TABLE], COLUMNS, _rules(steward))
    async with scratch_database(database_server_url, SETUP, prefix="mask") as url:
        conn = await asyncpg.connect(url)
        try:
            await conn.executemany(
                'INSERT INTO "cr""m"."cust\'omers" VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)', ROWS
            )
            await conn.execute(sql)
            quoted_steward = '"' + steward.replace('"', '""') + '"'
            await conn.execute(
                f"CREATE ROLE {quoted_steward}; CREATE ROLE {alice} IN ROLE {quoted_steward};"
                f"CREATE ROLE {analyst};"
                f'GRANT USAGE ON SCHEMA "cr""m" TO {alice}, {analyst};'
                f'GRANT SELECT ON "cr""m"."cust\'omers_masked" TO {alice}, {analyst};'
            )
            try:
                # The salt is a session setting: never inlined in the view.
                assert KEYS.salt_setting not in sql
                await conn.execute(f"SET datacompass.masking_salt = '{KEYS.salt_setting}'")
                masked = await _read(conn, analyst)
                clear = await _read(conn, alice)
            finally:
                await conn.execute(f"DROP OWNED BY {alice}, {analyst}")
                await conn.execute(f"DROP ROLE {alice}, {analyst}, {quoted_steward}")
        finally:
            await conn.close()

    # Exempt (by inheritance): every value clear, as text.
    for row, want in zip(clear, ROWS, strict=True):
        got = [row[c] for c, _ in COLUMNS]
        for column, value, expected in zip(COLUMNS, got, want, strict=True):
            if column[0] in ("age", "city", "id"):
                continue  # not exempt for anyone / not masked
            if column[0] == "salary" and expected is not None:
                assert float(value) == expected
                continue
            assert value == (None if expected is None else str(expected)), column
    # Not exempt: the Python masker and the SQL agree on every method SQL can run.
    assert masked[0]["email"] == "jo******@example.com"
    assert masked[0]["ssn"] == hashlib.sha256(KEYS.salt + b"123-45-6789").hexdigest()
    for row, raw in zip(masked, ROWS, strict=True):
        values = dict(zip([c for c, _ in COLUMNS], raw, strict=True))
        assert row["id"] == values["id"]
        for column in PYTHON_CHECKED:
            spec = _rules(steward)[column]
            want = M.mask(
                spec.method, spec.config, values[column], preserve_null=spec.preserve_null
            )
            assert row[column] == want, (column, values[column])
        # Keyed methods cannot run in SQL: redacted (nulls stay null).
        for column in ("card", "salary"):
            assert row[column] == (None if values[column] is None else "****")
    assert masked[2]["note"] == "****"  # preserve_null false: a null is masked, not told apart
    assert masked[0]["note"] == HOSTILE


async def test_hashing_without_the_salt_setting_fails_closed(database_server_url: str) -> None:
    sql = preview(
        "postgres",
        ["public", "t"],
        [("v", "text")],
        {"v": MaskingSpec("hashing", {"truncate": 12})},
    )
    async with scratch_database(
        database_server_url, "CREATE TABLE t (v text);", prefix="mask"
    ) as url:
        conn = await asyncpg.connect(url)
        try:
            await conn.execute("INSERT INTO t VALUES ('abc'); " + sql)
            with pytest.raises(asyncpg.PostgresError, match=r"datacompass\.masking_salt"):
                await conn.fetch("SELECT * FROM t_masked")
            await conn.execute(f"SET datacompass.masking_salt = '{KEYS.salt_setting}'")
            assert await conn.fetchval("SELECT v FROM t_masked") == M.mask(
                "hashing", {"truncate": 12}, "abc"
            )
        finally:
            await conn.close()


def _edge_strings() -> list[str]:
    rng = random.Random(7)
    alphabet = string.ascii_letters + string.digits + "@.-_ *é\n'"
    fixed = ["", "a", "ab", "abc", "abcd", "a@b", "@b", "a@", "x@@y", "jo@ex.com", "é@ü.de",
             "line\nbreak@x.org", "2024-05-06", "2024-05-06T10:00+02:00", "2024-5-6"]  # fmt: skip
    return fixed + [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 25))) for _ in range(150)
    ]


CONFIGS: list[tuple[str, dict[str, Any]]] = [
    ("redaction", {}),
    ("redaction", {"preserve_length": False, "redaction_char": "#"}),
    ("redaction", {"full_redaction": False, "preserve_prefix": 3, "preserve_suffix": 2}),
    ("partial_redaction", {}),
    ("partial_redaction", {"preserve_prefix": 1, "preserve_suffix": 3}),
    ("partial_redaction", {"preserve_prefix": 4, "preserve_suffix": 4, "preserve_length": False}),
    ("partial_redaction", {"preserve_domain": False, "preserve_prefix": 2, "preserve_suffix": 2}),
    ("hashing", {"algorithm": "sha512", "truncate": 20}),
    ("generalization", {"prefix_length": 3}),
    ("generalization", {"date_precision": "year"}),
]


async def test_postgres_expressions_agree_with_python_on_edge_strings(
    database_server_url: str,
) -> None:
    values = _edge_strings()
    columns = [(f"c{i}", "text") for i in range(len(CONFIGS))]
    rules = {f"c{i}": MaskingSpec(method, cfg) for i, (method, cfg) in enumerate(CONFIGS)}
    sql = preview("postgres", ["public", "s"], [("id", "integer"), *columns], rules)
    setup = "CREATE TABLE s (id integer, " + ", ".join(f"{c} text" for c, _ in columns) + ");"
    async with scratch_database(database_server_url, setup, prefix="mask") as url:
        conn = await asyncpg.connect(url)
        try:
            await conn.executemany(
                f"INSERT INTO s VALUES ($1, {', '.join(['$2'] * len(columns))})",
                list(enumerate(values)),
            )
            await conn.execute(sql)
            await conn.execute(f"SET datacompass.masking_salt = '{KEYS.salt_setting}'")
            rows = await conn.fetch("SELECT * FROM s_masked ORDER BY id")
        finally:
            await conn.close()
    for row in rows:
        value = values[row["id"]]
        for i, (method, cfg) in enumerate(CONFIGS):
            assert row[f"c{i}"] == M.mask(method, cfg, value), (method, cfg, value)


async def test_postgres_numbers_and_dates(database_server_url: str) -> None:
    numbers = [0, 9, 10, -1, -10, -11, 35, 10**12 + 7, 9 * 10**18]
    floats = [0.5, -0.5, 39.99, -39.99, 1e6 + 0.25]
    dates = [date(1990, 7, 14), date(2000, 1, 1), date(1, 12, 31)]
    rules = {
        "n": MaskingSpec("generalization", {"bucket_width": 10}),
        "big": MaskingSpec("generalization", {"bucket_width": 1000}),
        "f": MaskingSpec("generalization", {"bucket_width": 5}),
        "d": MaskingSpec("generalization", {}),
        "y": MaskingSpec("generalization", {"date_precision": "year"}),
    }
    cols = [
        ("id", "int"),
        ("n", "bigint"),
        ("big", "numeric"),
        ("f", "double precision"),
        ("d", "date"),
        ("y", "date"),
    ]
    sql = preview("postgres", ["public", "g"], cols, rules)
    setup = "CREATE TABLE g (id int, n bigint, big numeric, f double precision, d date, y date);"
    async with scratch_database(database_server_url, setup, prefix="mask") as url:
        conn = await asyncpg.connect(url)
        try:
            count = max(len(numbers), len(floats), len(dates))
            await conn.executemany(
                "INSERT INTO g VALUES ($1, $2::bigint, $2::bigint::numeric * 1000 + 0.5,"
                " $3, $4, $4)",
                [
                    (i, numbers[i % len(numbers)], floats[i % len(floats)], dates[i % len(dates)])
                    for i in range(count)
                ],
            )
            await conn.execute(sql)
            rows = await conn.fetch("SELECT * FROM g_masked ORDER BY id")
            raw = await conn.fetch("SELECT * FROM g ORDER BY id")
        finally:
            await conn.close()
    for row, clear in zip(rows, raw, strict=True):
        for column, spec in rules.items():
            assert row[column] == M.mask(spec.method, spec.config, clear[column]), (
                column,
                clear[column],
            )


# -- Databricks and quoting ---------------------------------------------------------------------


def test_databricks_functions_and_masks() -> None:
    rules = {
        "email": MaskingSpec("partial_redaction", {}, ("data-stewards",)),
        "ssn": MaskingSpec("hashing", {}, ("a", "b")),
        "age": MaskingSpec("generalization", {"bucket_width": 10}),
        "card": MaskingSpec("format_preserving_encryption", {}),
        "born": MaskingSpec("generalization", {"date_precision": "year"}),
        "score": MaskingSpec("hashing", {}),
    }
    cols = [("email", "STRING"), ("ssn", "STRING"), ("age", "INT"), ("card", "STRING"),
            ("born", "DATE"), ("score", "DOUBLE")]  # fmt: skip
    sql = preview("databricks", ["main", "crm", "people"], cols, rules)
    statements = [s.strip() for s in sql.split(";\n") if s.strip()]
    assert len(statements) == 2 * len(rules)
    assert statements[0].startswith(
        "CREATE OR REPLACE FUNCTION `main`.`crm`.`mask_people_email`(v STRING)\nRETURNS STRING\n"
        "RETURN CASE WHEN is_account_group_member('data-stewards') THEN v ELSE "
    )
    assert statements[1] == (
        "ALTER TABLE `main`.`crm`.`people` ALTER COLUMN `email` "
        "SET MASK `main`.`crm`.`mask_people_email`"
    )
    assert "is_account_group_member('a') OR is_account_group_member('b')" in sql
    assert "sha2(concat(unhex(secret('datacompass', 'masking_salt'))" in sql
    assert "CAST(floor(v / 10) * 10 AS INT)" in sql
    assert "CAST(date_trunc('YEAR', v) AS DATE)" in sql
    assert "format_preserving_encryption needs the masking key" in sql
    assert "CAST(NULL AS DOUBLE)" in sql  # a text mask cannot go in a number column


def test_hostile_names_and_values_stay_quoted() -> None:
    role = "x') OR true OR ('"
    value = "it's \\' ` \" */ --"
    rules = {'co"l`': MaskingSpec("substitution", {"value": value}, (role,))}
    cols = [('co"l`', "text")]
    pg = preview("postgres", ['s"c', 't"b'], cols, rules)
    assert '"s""c"."t""b_masked"' in pg and 'AS "co""l`"' in pg
    assert "'x'') OR true OR ('''" in pg
    assert "E'it''s \\\\'' ` \" */ --'" in pg
    dbx = preview("databricks", ["c`a", "s", "t"], [('co"l`', "STRING")], rules)
    assert '`c``a`.`s`.`mask_t_co"l```' in dbx
    assert "is_account_group_member('x\\') OR true OR (\\'')" in dbx
    assert "'it\\'s \\\\\\' ` \" */ --'" in dbx


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("oracle", ["s", "t"], [("c", "text")], {}), "dialect"),
        (("postgres", ["t"], [("c", "text")], {}), "table"),
        (("postgres", ["s", "t" * 60], [("c", "text")], {}), "table"),
        (("postgres", ["s", "t"], [("c", "text")], {"d": MaskingSpec("redaction", {})}), "rules"),
        (
            ("postgres", ["s", "t"], [("c", "text")], {"c": MaskingSpec("custom", {})}),
            "masking_method",
        ),
        (
            ("postgres", ["s", "t"], [("c", "text")], {"c": MaskingSpec("redaction", {"x": 1})}),
            "method_config.x",
        ),
        (
            (
                "postgres",
                ["s", "t"],
                [("c", "text")],
                {"c": MaskingSpec("redaction", {}, (" ",))},
            ),
            "exempt_roles",
        ),
        (
            (
                "databricks",
                ["c", "s", "t"],
                [("c", "STRING); DROP")],
                {"c": MaskingSpec("redaction", {})},
            ),
            "columns",
        ),
        (
            ("postgres", ["s", "t\x00"], [("c", "text")], {"c": MaskingSpec("redaction", {})}),
            "identifier",
        ),
    ],
)
def test_preview_errors_name_the_field(args: tuple[Any, ...], field: str) -> None:
    with pytest.raises(InvalidArgument) as err:
        preview(*args)
    assert str(err.value).startswith(field + ":")
