import type { Schemas } from "../api/client";

export const ORDERS: Schemas["CatalogObjectWithDeprecation"] = {
  id: 7,
  urn: "urn:dcs:postgres:table:demo.public:orders",
  ref: "demo.public.orders",
  name: "orders",
  schema_name: "public",
  source_name: "demo",
  source_type: "postgres",
  object_type: "table",
  description: "One row per customer order.",
  tags: ["sales"],
  layer: "silver",
  column_count: 2,
  deleted: false,
  quality_score: 92,
  first_seen_at: null,
  last_seen_at: null,
  updated_at: null,
  source_metadata: {},
  user_metadata: {},
  columns: [
    { name: "id", data_type: "integer", nullable: false, ordinal: 1, comment: null, default_expression: null, urn: "urn:dcs:postgres:table:demo.public:orders.id" },
    { name: "email", data_type: "text", nullable: true, ordinal: 2, urn: "urn:dcs:postgres:table:demo.public:orders.email", comment: "buyer e-mail", default_expression: null },
  ],
};

export const ORDER_ITEMS: Schemas["CatalogObject"] = {
  ...ORDERS,
  id: 8,
  urn: "urn:dcs:postgres:table:demo.public:order_items",
  ref: "demo.public.order_items",
  name: "order_items",
  description: "",
  tags: [],
  layer: null,
  columns: null,
};

export function page<T>(items: T[], facets?: Record<string, Record<string, number>>) {
  return { items, next_cursor: null, ...(facets ? { facets } : {}) };
}
