import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { ORDERS, page } from "../../test/fixtures";
import { renderAt, signIn, stubApi } from "../../test/render";

const BREACH = {
  id: 41,
  bucket: "2026-11-22",
  metric_type: "row_count",
  column: null,
  priority: "high",
  value: 40,
  direction: "below",
  threshold_low: 150,
  threshold_high: 330,
  status: "open",
};

function qualityApi() {
  let status = "open";
  return stubApi({
    "GET /api/v1/objects/demo.public.orders": ORDERS,
    "GET /api/v1/dq/configs": page([]),
    "GET /api/v1/dq/breaches": (url: URL) => {
      expect(url.searchParams.getAll("status")).toEqual(["open", "acknowledged"]);
      return page(status === "resolved" ? [] : [{ ...BREACH, status }]);
    },
    "PATCH /api/v1/dq/breaches/41": (_url: URL, init: RequestInit) => {
      status = JSON.parse(String(init.body)).status;
      return { ...BREACH, status };
    },
    [`GET /api/v1/capsules/${ORDERS.urn}/quality-rules`]: { items: [] },
    "GET /api/v1/quality-checks": page([]),
  });
}

describe("quality tab", () => {
  it("an editor acknowledges, then resolves, an open breach", async () => {
    signIn("editor");
    const calls = qualityApi();
    renderAt("/capsules/demo.public.orders/quality");
    const row = await screen.findByRole("row", { name: /2026-11-22/ });
    expect(row).toHaveTextContent("open");
    await userEvent.click(within(row).getByRole("button", { name: "Acknowledge the row_count breach of 2026-11-22" }));
    await waitFor(() => expect(screen.getByRole("row", { name: /2026-11-22/ })).toHaveTextContent("acknowledged"));
    await userEvent.click(screen.getByRole("button", { name: /^Resolve/ }));
    expect(await screen.findByText(/No open breach/)).toBeInTheDocument();
    expect(calls.filter((c) => c.method === "PATCH").map((c) => c.body)).toEqual([
      { status: "acknowledged", reason: "" },
      { status: "resolved", reason: "" },
    ]);
    expect(screen.getByText(/No DQ expectation watches this capsule/)).toBeInTheDocument();
  });

  it("a viewer sees the breach but no buttons", async () => {
    signIn("viewer");
    qualityApi();
    renderAt("/capsules/demo.public.orders/quality");
    const row = await screen.findByRole("row", { name: /2026-11-22/ });
    expect(within(row).queryByRole("button")).not.toBeInTheDocument();
  });
});
