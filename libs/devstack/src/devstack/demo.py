"""The demo database `demo_shop`: a small, realistic web shop to scan, search and check.

Deterministic (seeded) and fast: rows are generated in Python and bulk-loaded with COPY
(`copy_records_to_table`); indexes, foreign keys, views and comments come after the load.
Order dates are spread over the 90 days before the load. Idempotent: a complete demo database
(marked by its database comment, written last) is kept; `reset=True` recreates it.

    python -m devstack.demo postgresql://postgres@127.0.0.1:55432/postgres [--reset]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import asyncpg

from devstack.urls import with_database

DEMO_DATABASE = "demo_shop"
READER_ROLE = "demo_reader"
DEFAULT_READER_PASSWORD = "demo_reader"
SEED = 20240501
SCHEMA_VERSION = 1
MARKER = f"Data Compass demo shop (v{SCHEMA_VERSION})"

N_CUSTOMERS = 6_000
N_PRODUCTS = 240
N_ORDERS = 22_000
DAYS = 90
# Days ago (UTC calendar day) with an outage: only a fraction of the usual orders.
DIP_DAY = 12
DIP_FACTOR = 0.15
NULL_PHONE_RATE = 0.015

# Data quality on the demo: `datacompass dq backfill demo.public.orders --days 30` measures
# these, and the DIP_DAY outage opens a row_count breach.
DQ_OBJECT = "public.orders"  # below the source name
DQ_DATE_COLUMN = "order_date"
DQ_EXPECTATIONS: list[dict[str, Any]] = [
    {"metric_type": "row_count", "priority": "high", "threshold": {"strategy": "anomaly"}},
    {
        "metric_type": "sum",
        "column": "order_total",
        "priority": "medium",
        "threshold": {"strategy": "anomaly", "sensitivity": 4},
    },
    {
        "metric_type": "max",
        "column": "order_total",
        "priority": "low",
        "threshold": {"strategy": "absolute", "min": 0, "max": 100_000},
    },
    {
        "metric_type": "null_count",
        "column": "status",
        "priority": "critical",
        "threshold": {"strategy": "absolute", "max": 0},
    },
    {
        "metric_type": "distinct_count",
        "column": "customer_id",
        "priority": "medium",
        "threshold": {"strategy": "relative", "window": 7, "max_decrease_pct": 60},
    },
]


def _words(text: str) -> list[str]:
    return text.split()


STATUSES = ("pending", "paid", "shipped", "delivered", "cancelled", "refunded")

# Quality rules on the demo: `datacompass quality check demo.public.customers` passes the
# e-mail and country rules and fails `not_null` on phone (NULL_PHONE_RATE of rows), with
# samples. Keys: (object below the source, column, rule type, config, severity).
QUALITY_RULES: list[tuple[str, str, str, dict[str, Any], str]] = [
    ("public.customers", "email", "format_valid", {"format": "email"}, "error"),
    ("public.customers", "phone", "not_null", {}, "error"),
    ("public.customers", "country", "pattern_match", {"pattern": "^[A-Z]{2}$"}, "warning"),
    ("public.customers", "id", "unique", {}, "critical"),
    ("public.orders", "status", "value_in_set", {"allowed_values": list(STATUSES)}, "error"),
]
# Masking rules on the demo's personal data: stewards see the values, everyone else masked
# ones (in profiles, failing-row samples, suggested value sets).
MASKING_RULES: list[tuple[str, str, str, dict[str, Any]]] = [
    ("public.customers", "email", "partial_redaction", {}),
    (
        "public.customers",
        "national_id",
        "redaction",
        {"full_redaction": False, "preserve_suffix": 4},
    ),
    ("public.customers", "phone", "hashing", {"truncate": 12}),
]
MASKING_EXEMPT_ROLES = ["steward"]

FIRST_NAMES = _words(
    "Olivia Liam Emma Noah Ava Elijah Sophia Lucas Mia Mateo Amelia Levi Harper Ethan Aria "
    "James Chloe Hiroshi Ingrid Kwame Leila Ana Jonas Priya Diego Fatima Sven Yuki Omar Nora "
    "Mei Tomasz Aisha Pierre Lena Rafael Zara Henrik Chiara Dmitri"
)
LAST_NAMES = _words(
    "Smith Johnson Garcia Müller Rossi Kowalski Nakamura Okafor Haddad Silva Jensen Dubois "
    "Novak Schmidt Patel Kim Nguyen Andersson Costa Fischer Moreau Ivanova Tanaka Mensah "
    "Oliveira Larsen Romero Weber Bianchi Singh Cohen Hansen Lopez Meyer Yilmaz Ortiz"
)
EMAIL_DOMAINS = ("example.com", "mail.example", "shopmail.test", "inbox.example")
COUNTRIES: tuple[tuple[str, int], ...] = (
    ("US", 30), ("DE", 12), ("GB", 10), ("FR", 9), ("NL", 6), ("PL", 6), ("ES", 6),
    ("IT", 5), ("SE", 4), ("JP", 4), ("BR", 4), ("IN", 4),
)  # fmt: skip
CATEGORIES = {
    "Electronics": ("Headphones", "Charger", "Speaker", "Keyboard", "Mouse", "Webcam"),
    "Home & Kitchen": ("Kettle", "Pan", "Knife Set", "Mug", "Toaster", "Blender"),
    "Books": ("Cookbook", "Novel", "Field Guide", "Atlas", "Biography", "Workbook"),
    "Sports": ("Yoga Mat", "Water Bottle", "Running Cap", "Dumbbell", "Jump Rope", "Backpack"),
    "Toys": ("Puzzle", "Building Set", "Plush Bear", "Kite", "Board Game", "Yo-yo"),
    "Beauty": ("Face Cream", "Shampoo", "Lip Balm", "Soap Bar", "Sunscreen", "Hand Lotion"),
    "Garden": ("Trowel", "Seed Pack", "Planter", "Hose", "Gloves", "Watering Can"),
    "Grocery": ("Coffee Beans", "Green Tea", "Olive Oil", "Dark Chocolate", "Honey", "Granola"),
}
ADJECTIVES = ("Classic", "Eco", "Pro", "Mini", "Deluxe")


@dataclass
class DemoResult:
    database: str
    created: bool  # False: an existing complete demo database was kept
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)


# --------------------------------------------------------------------------- schema (DDL)

TABLES_SQL = """
CREATE SCHEMA IF NOT EXISTS analytics;

CREATE TABLE public.customers (
    id          integer PRIMARY KEY,
    full_name   text NOT NULL,
    email       text NOT NULL,
    phone       text,
    national_id char(11) NOT NULL,
    country     char(2) NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT customers_email_format CHECK (position('@' in email) > 1),
    CONSTRAINT customers_country_iso CHECK (country ~ '^[A-Z]{2}$')
);

CREATE TABLE public.products (
    id        integer PRIMARY KEY,
    sku       text NOT NULL,
    name      text NOT NULL,
    category  text NOT NULL,
    price     numeric(10,2) NOT NULL,
    active    boolean NOT NULL DEFAULT true,
    CONSTRAINT products_price_positive CHECK (price > 0)
);

CREATE TABLE public.orders (
    id           bigint PRIMARY KEY,
    customer_id  integer NOT NULL,
    order_date   timestamptz NOT NULL,
    status       text NOT NULL,
    order_total  numeric(12,2) NOT NULL,
    CONSTRAINT orders_status_valid CHECK (status IN
        ('pending', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded')),
    CONSTRAINT orders_total_non_negative CHECK (order_total >= 0)
);

CREATE TABLE public.order_items (
    order_id    bigint NOT NULL,
    line_no     smallint NOT NULL,
    product_id  integer NOT NULL,
    quantity    integer NOT NULL,
    unit_price  numeric(10,2) NOT NULL,
    PRIMARY KEY (order_id, line_no),
    CONSTRAINT order_items_quantity_positive CHECK (quantity > 0)
);
"""

AFTER_LOAD_SQL = """
ALTER TABLE public.orders ADD CONSTRAINT orders_customer_id_fkey
    FOREIGN KEY (customer_id) REFERENCES public.customers (id);
ALTER TABLE public.order_items ADD CONSTRAINT order_items_order_id_fkey
    FOREIGN KEY (order_id) REFERENCES public.orders (id) ON DELETE CASCADE;
ALTER TABLE public.order_items ADD CONSTRAINT order_items_product_id_fkey
    FOREIGN KEY (product_id) REFERENCES public.products (id);

CREATE UNIQUE INDEX customers_email_key ON public.customers (lower(email));
CREATE UNIQUE INDEX customers_national_id_key ON public.customers (national_id);
CREATE UNIQUE INDEX products_sku_key ON public.products (sku);
CREATE INDEX orders_order_date_idx ON public.orders (order_date);
CREATE INDEX orders_customer_id_idx ON public.orders (customer_id);
CREATE INDEX order_items_product_id_idx ON public.order_items (product_id);

CREATE VIEW public.customer_order_summary AS
SELECT c.id AS customer_id, c.full_name, c.country,
       count(o.id) AS order_count,
       coalesce(sum(o.order_total), 0)::numeric(14,2) AS total_spent,
       max(o.order_date) AS last_order_at
FROM public.customers c
LEFT JOIN public.orders o
       ON o.customer_id = c.id AND o.status NOT IN ('cancelled', 'refunded')
GROUP BY c.id, c.full_name, c.country;

CREATE VIEW analytics.daily_revenue AS
SELECT (o.order_date AT TIME ZONE 'UTC')::date AS day,
       count(*) AS orders,
       sum(o.order_total)::numeric(14,2) AS revenue
FROM public.orders o
WHERE o.status IN ('paid', 'shipped', 'delivered')
GROUP BY 1;

CREATE MATERIALIZED VIEW analytics.product_sales AS
SELECT p.id AS product_id, p.sku, p.name, p.category,
       sum(i.quantity)::bigint AS units_sold,
       sum(i.quantity * i.unit_price)::numeric(14,2) AS revenue
FROM public.products p
JOIN public.order_items i ON i.product_id = p.id
JOIN public.orders o ON o.id = i.order_id AND o.status NOT IN ('cancelled', 'refunded')
GROUP BY p.id, p.sku, p.name, p.category
WITH DATA;
CREATE UNIQUE INDEX product_sales_product_id_key ON analytics.product_sales (product_id);

COMMENT ON SCHEMA analytics IS 'Reporting views derived from the shop tables';
COMMENT ON TABLE public.customers IS 'Registered shop customers (contains personal data)';
COMMENT ON COLUMN public.customers.email IS 'Login and contact e-mail, unique ignoring case';
COMMENT ON COLUMN public.customers.phone IS 'Contact phone number in international format';
COMMENT ON COLUMN public.customers.national_id IS
    'Government identification number (SSN format) - sensitive';
COMMENT ON COLUMN public.customers.country IS 'ISO 3166-1 alpha-2 country code';
COMMENT ON TABLE public.products IS 'Product catalogue with current list prices';
COMMENT ON COLUMN public.products.sku IS 'Stock keeping unit, unique per product';
COMMENT ON COLUMN public.products.price IS 'Current list price in USD';
COMMENT ON TABLE public.orders IS 'Customer orders, one row per checkout';
COMMENT ON COLUMN public.orders.status IS
    'Lifecycle: pending, paid, shipped, delivered, cancelled or refunded';
COMMENT ON COLUMN public.orders.order_total IS 'Sum of the order lines in USD';
COMMENT ON TABLE public.order_items IS 'Order lines: which product, how many, at what price';
COMMENT ON VIEW public.customer_order_summary IS
    'Per customer: completed orders, total spent and last order time';
COMMENT ON VIEW analytics.daily_revenue IS 'Revenue of paid/shipped/delivered orders per UTC day';
COMMENT ON MATERIALIZED VIEW analytics.product_sales IS
    'Units sold and revenue per product (refresh after loading orders)';

ANALYZE;
"""


# --------------------------------------------------------------------------- data


def _decimal(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def generate(now: dt.datetime, seed: int = SEED) -> dict[str, list[tuple[Any, ...]]]:
    """All rows, deterministic for a given seed (dates relative to `now`)."""
    rng = random.Random(seed)
    now = now.astimezone(dt.UTC)
    countries = [c for c, _ in COUNTRIES]
    country_weights = [w for _, w in COUNTRIES]

    customers: list[tuple[Any, ...]] = []
    national_ids = rng.sample(range(1_000_000_000), N_CUSTOMERS)
    for cid in range(1, N_CUSTOMERS + 1):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = f"{first}.{last}{cid}@{rng.choice(EMAIL_DOMAINS)}".lower()
        phone = None
        if rng.random() >= NULL_PHONE_RATE:
            phone = f"+1-555-{rng.randrange(100, 1000)}-{rng.randrange(10_000):04d}"
        nid = national_ids[cid - 1]
        national_id = f"{nid // 1_000_000:03d}-{nid // 10_000 % 100:02d}-{nid % 10_000:04d}"
        created = now - dt.timedelta(days=rng.uniform(DAYS + 1, 3 * 365))
        country = rng.choices(countries, country_weights)[0]
        customers.append((cid, f"{first} {last}", email, phone, national_id, country, created))

    products: list[tuple[Any, ...]] = []
    price_cents: list[int] = []
    pid = 0
    for category, nouns in CATEGORIES.items():
        for noun in nouns:
            for adjective in ADJECTIVES:
                pid += 1
                cents = max(99, int(rng.lognormvariate(3.0, 0.8) * 100))
                price_cents.append(cents)
                sku = f"{category[:3].upper()}-{pid:05d}"
                active = rng.random() > 0.03
                row = (pid, sku, f"{adjective} {noun}", category, _decimal(cents), active)
                products.append(row)
    assert len(products) == N_PRODUCTS

    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    day_weights = [
        DIP_FACTOR if d == DIP_DAY else 1.0 + 0.3 * (d % 7 in (5, 6)) for d in range(DAYS)
    ]
    elapsed_today = (now - today).total_seconds()
    orders: list[tuple[Any, ...]] = []
    items: list[tuple[Any, ...]] = []
    for oid, days_ago in enumerate(rng.choices(range(DAYS), day_weights, k=N_ORDERS), 1):
        span = elapsed_today if days_ago == 0 else 86_400.0
        when = today - dt.timedelta(days=days_ago) + dt.timedelta(seconds=rng.uniform(0, span))
        status = _status(rng, days_ago)
        total = 0
        for line_no in range(1, rng.choices((1, 2, 3, 4, 5), (35, 30, 18, 10, 7))[0] + 1):
            product = rng.randrange(N_PRODUCTS)
            quantity = rng.choices((1, 2, 3, 4), (70, 20, 7, 3))[0]
            unit = price_cents[product]
            if rng.random() < 0.1:  # promotion
                unit = max(1, unit * 9 // 10)
            total += unit * quantity
            items.append((oid, line_no, product + 1, quantity, _decimal(unit)))
        customer = rng.randrange(1, N_CUSTOMERS + 1)
        orders.append((oid, customer, when, status, _decimal(total)))
    return {"customers": customers, "products": products, "orders": orders, "order_items": items}


def _status(rng: random.Random, days_ago: int) -> str:
    roll = rng.random()
    if roll < 0.04:
        return "cancelled"
    if roll < 0.06 and days_ago > 3:
        return "refunded"
    if days_ago <= 1:
        return rng.choice(("pending", "paid"))
    if days_ago <= 5:
        return rng.choice(("paid", "shipped", "shipped"))
    return "delivered" if rng.random() < 0.95 else "shipped"


COLUMNS: dict[str, Sequence[str]] = {
    "customers": ("id", "full_name", "email", "phone", "national_id", "country", "created_at"),
    "products": ("id", "sku", "name", "category", "price", "active"),
    "orders": ("id", "customer_id", "order_date", "status", "order_total"),
    "order_items": ("order_id", "line_no", "product_id", "quantity", "unit_price"),
}


# --------------------------------------------------------------------------- loading


async def load_demo(
    server_url: str,
    database: str = DEMO_DATABASE,
    *,
    reset: bool = False,
    reader_password: str = DEFAULT_READER_PASSWORD,
    seed: int = SEED,
) -> DemoResult:
    """Create and fill `database` on the server of `server_url` unless a complete one exists.

    Always (re)grants the read-only role `demo_reader` with `reader_password`."""
    started = time.monotonic()
    admin = await asyncpg.connect(server_url)
    try:
        marker = await admin.fetchval(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1",
            database,
        )
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        created = reset or marker != MARKER
        if created:
            if exists:
                await admin.execute(f"DROP DATABASE {_ident(database)} WITH (FORCE)")
            await admin.execute(f"CREATE DATABASE {_ident(database)}")
        await _ensure_reader(admin, reader_password)
    finally:
        await admin.close()

    conn = await asyncpg.connect(with_database(server_url, database))
    try:
        if created:
            await _fill(conn, database, seed)
        await _grant_reader(conn, database)
        counts = {
            table: int(await conn.fetchval(f"SELECT count(*) FROM public.{table}"))
            for table in COLUMNS
        }
    finally:
        await conn.close()
    return DemoResult(database, created, time.monotonic() - started, counts)


async def _fill(conn: asyncpg.Connection, database: str, seed: int) -> None:
    rows = generate(dt.datetime.now(dt.UTC), seed)
    async with conn.transaction():
        await conn.execute(TABLES_SQL)
        for table, records in rows.items():
            await conn.copy_records_to_table(
                table, records=records, columns=list(COLUMNS[table]), schema_name="public"
            )
        await conn.execute(AFTER_LOAD_SQL.replace("ANALYZE;", ""))
    await conn.execute("ANALYZE")
    # Written last: a database without this comment is an interrupted load and gets rebuilt.
    await conn.execute(f"COMMENT ON DATABASE {_ident(database)} IS {_literal(MARKER)}")


async def _ensure_reader(admin: asyncpg.Connection, password: str) -> None:
    exists = await admin.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", READER_ROLE)
    if not exists:
        with contextlib.suppress(asyncpg.DuplicateObjectError):  # created concurrently
            await admin.execute(f"CREATE ROLE {_ident(READER_ROLE)} LOGIN")
    statement = await admin.fetchval(
        "SELECT format('ALTER ROLE %I LOGIN PASSWORD %L', $1::text, $2::text)",
        READER_ROLE,
        password,
    )
    await admin.execute(statement)


async def _grant_reader(conn: asyncpg.Connection, database: str) -> None:
    role = _ident(READER_ROLE)
    await conn.execute(
        f"""
        GRANT CONNECT ON DATABASE {_ident(database)} TO {role};
        GRANT USAGE ON SCHEMA public, analytics TO {role};
        GRANT SELECT ON ALL TABLES IN SCHEMA public, analytics TO {role};
        ALTER DEFAULT PRIVILEGES IN SCHEMA public, analytics GRANT SELECT ON TABLES TO {role};
        """
    )


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m devstack.demo", description=__doc__)
    parser.add_argument("server_url", help="postgresql:// URL of the server (any database)")
    parser.add_argument("--database", default=DEMO_DATABASE)
    parser.add_argument("--reset", action="store_true", help="drop and recreate the database")
    parser.add_argument("--reader-password", default=DEFAULT_READER_PASSWORD)
    args = parser.parse_args(argv)
    result = asyncio.run(
        load_demo(
            args.server_url,
            args.database,
            reset=args.reset,
            reader_password=args.reader_password,
        )
    )
    verb = "created" if result.created else "kept existing"
    rows = ", ".join(f"{table} {count:,}" for table, count in result.counts.items())
    print(f"{verb} {result.database} in {result.seconds:.2f}s: {rows}")


if __name__ == "__main__":
    main()
