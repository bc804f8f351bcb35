import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { ORDERS, page } from "../test/fixtures";
import { renderAt, signIn, stubApi } from "../test/render";

const URN = ORDERS.urn;

function capsuleApi() {
  return stubApi({
    "GET /api/v1/objects/demo.public.orders": ORDERS,
    "PATCH /api/v1/objects/demo.public.orders": (_url: URL, init: RequestInit) => ({
      ...ORDERS,
      description: JSON.parse(String(init.body)).description,
    }),
    "GET /api/v1/ownership/objects/demo.public.orders": {
      object_ref: ORDERS.ref,
      object_urn: URN,
      domain: "sales",
      owners: [{ user: "alice", role: "owner", assigned_by: "admin", object_ref: ORDERS.ref, object_urn: URN, source_name: "demo" }],
    },
    "GET /api/v1/classification/objects/demo.public.orders": {
      object_ref: ORDERS.ref,
      object_urn: URN,
      own: null,
      effective: { level: "confidential", compliance: ["GDPR"], source: "rule", object_ref: ORDERS.ref, object_urn: URN, source_name: "demo" },
      columns: [{ column: "email", level: "confidential", compliance: ["GDPR"], source: "rule", object_ref: ORDERS.ref, object_urn: URN, source_name: "demo" }],
    },
    [`GET /api/v1/capsules/${URN}/columns`]: {
      items: [{ column: "id", business_definition: "Order number", semantic_type: "identifier" }],
    },
    [`GET /api/v1/capsules/${URN}/constraints`]: { items: [{ id: 1, name: "orders_pkey", constraint_type: "primary_key", columns: ["id"] }] },
    "GET /api/v1/masking-rules": { items: [{ id: 3, column: "email", method: "hash", enabled: true, exempt_roles: ["admin"] }] },
    [`GET /api/v1/capsules/${URN}/business-terms`]: page([]),
    [`GET /api/v1/capsules/${URN}/profile`]: {
      id: 1,
      finished_at: "2026-12-01T10:00:00Z",
      columns: [
        {
          column: "email",
          masked: ["most_common_values"],
          stats: { most_common_values: [{ value: "a7f3…", count: 3, percentage: 1.5 }] },
        },
      ],
    },
  });
}

describe("capsule page", () => {
  it("shows the overview: description, owners, domain, classification and quality score", async () => {
    signIn("viewer");
    capsuleApi();
    renderAt("/capsules/demo.public.orders");
    expect(await screen.findByRole("heading", { level: 1 })).toHaveTextContent("orders");
    expect(await screen.findByText("One row per customer order.")).toBeInTheDocument();
    expect(await screen.findByText("alice")).toBeInTheDocument();
    expect(screen.getByText("sales", { selector: "strong" })).toBeInTheDocument();
    expect(await screen.findByText("confidential")).toBeInTheDocument();
    expect(screen.getByText("92")).toBeInTheDocument();
    expect(screen.getByRole("tab", { name: "Overview" })).toHaveAttribute("aria-selected", "true");
  });

  it("switches tabs through the URL and shows columns with keys, definitions, classification and masking", async () => {
    signIn("viewer");
    capsuleApi();
    const { router } = renderAt("/capsules/demo.public.orders");
    await userEvent.click(await screen.findByRole("tab", { name: "Columns" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/capsules/demo.public.orders/columns"));
    const table = await screen.findByRole("table");
    await waitFor(() => expect(within(table).getByRole("row", { name: /^1 id/ })).toHaveTextContent("PK"));
    await waitFor(() => expect(within(table).getByRole("row", { name: /^1 id/ })).toHaveTextContent("Order number"));
    const email = within(table).getByRole("row", { name: /email/ });
    await waitFor(() => expect(email).toHaveTextContent("confidential"));
    expect(email).toHaveTextContent("hash");
    expect(email).toHaveTextContent("buyer e-mail");
  });

  it("moves between tabs with the arrow keys", async () => {
    signIn("viewer");
    capsuleApi();
    const { router } = renderAt("/capsules/demo.public.orders/columns");
    const tab = await screen.findByRole("tab", { name: "Columns" });
    tab.focus();
    await userEvent.keyboard("{ArrowRight}");
    await waitFor(() => expect(router.state.location.pathname).toBe("/capsules/demo.public.orders/lineage"));
  });

  it("says so when the capsule does not exist", async () => {
    signIn("viewer");
    stubApi({});
    renderAt("/capsules/demo.public.nope");
    expect(await screen.findByRole("alert")).toHaveTextContent("Not found.");
  });
});

describe("role-aware controls", () => {
  it("a viewer sees top values as the API masks them, and no profile button", async () => {
    signIn("viewer");
    capsuleApi();
    renderAt("/capsules/demo.public.orders/columns");
    const email = await screen.findByRole("row", { name: /email/ });
    await waitFor(() => expect(email).toHaveTextContent("a7f3…"));
    expect(within(email).getByText("masked")).toHaveAttribute("title", "masked for your role: most_common_values");
    expect(screen.getByText(/^Profiled /)).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Profile now" })).not.toBeInTheDocument();
  });

  it("an editor may profile the columns now", async () => {
    signIn("editor");
    const calls = capsuleApi();
    renderAt("/capsules/demo.public.orders/columns");
    expect(await screen.findByRole("button", { name: "Profile now" })).toBeInTheDocument();
    expect(calls.some((c) => c.method === "POST")).toBe(false);
  });

  it("a viewer sees no edit button", async () => {
    signIn("viewer");
    capsuleApi();
    renderAt("/capsules/demo.public.orders");
    await screen.findByText("One row per customer order.");
    expect(screen.queryByRole("button", { name: /edit/i })).not.toBeInTheDocument();
  });

  it("an editor edits the description and the API gets the change", async () => {
    signIn("editor");
    const calls = capsuleApi();
    renderAt("/capsules/demo.public.orders");
    await userEvent.click(await screen.findByRole("button", { name: "Edit description" }));
    const box = screen.getByRole("textbox", { name: "Description" });
    await userEvent.clear(box);
    await userEvent.type(box, "Orders, one per checkout.");
    await userEvent.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByText("Orders, one per checkout.")).toBeInTheDocument();
    const patch = calls.find((c) => c.method === "PATCH")!;
    expect(patch.body).toEqual({ description: "Orders, one per checkout." });
  });
});
