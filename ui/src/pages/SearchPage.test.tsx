import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { ORDER_ITEMS, ORDERS, page } from "../test/fixtures";
import { renderAt, signIn, stubApi } from "../test/render";

const FACETS = { source: { demo: 2, warehouse: 1 }, type: { table: 2 }, schema: { public: 2 }, tag: { sales: 1 } };

function searchApi() {
  return stubApi({
    "GET /api/v1/objects": (url: URL) => {
      const q = url.searchParams.get("q") ?? "";
      if (q === "nothing") return page([], {});
      return page(q ? [ORDERS, ORDER_ITEMS] : [ORDER_ITEMS, ORDERS], FACETS);
    },
    "GET /api/v1/objects/demo.public.order_items": { ...ORDER_ITEMS, columns: [] },
    "GET /api/v1/ownership/objects/demo.public.order_items": { owners: [], object_ref: "", object_urn: "" },
    "GET /api/v1/classification/objects/demo.public.order_items": { columns: [], object_ref: "", object_urn: "" },
  });
}

describe("search", () => {
  beforeEach(() => signIn("viewer"));

  it("searches as the user types, keeps the query in the URL and asks for facets", async () => {
    const calls = searchApi();
    const { router } = renderAt("/search");
    await userEvent.type(await screen.findByRole("combobox"), "orders");
    await waitFor(() => expect(router.state.location.search).toBe("?q=orders"));
    await waitFor(() => expect(calls.some((c) => c.url.searchParams.get("q") === "orders")).toBe(true));
    const last = calls.filter((c) => c.url.pathname === "/api/v1/objects").at(-1)!;
    expect(last.url.searchParams.get("facets")).toBe("true");
    const options = await screen.findAllByRole("option");
    expect(options[0]).toHaveTextContent("orders");
    expect(options[0]).toHaveTextContent("demo.public.orders");
  });

  it("opens the search from a shared URL with its filters, and a facet click filters the API call", async () => {
    const calls = searchApi();
    const { router } = renderAt("/search?q=orders&type=table");
    const demo = await screen.findByRole("checkbox", { name: /demo/ });
    expect(screen.getByRole("combobox")).toHaveValue("orders");
    expect(screen.getByRole("checkbox", { name: /table/ })).toBeChecked();
    await userEvent.click(demo);
    await waitFor(() => expect(router.state.location.search).toContain("source=demo"));
    await waitFor(() =>
      expect(calls.some((c) => c.url.searchParams.get("source") === "demo" && c.url.searchParams.get("type") === "table")).toBe(true),
    );
  });

  it("narrows the shown results by a tag facet", async () => {
    searchApi();
    renderAt("/search?q=orders&tag=sales");
    await waitFor(() => expect(screen.getAllByRole("option")).toHaveLength(1));
    expect(screen.getByRole("option")).toHaveTextContent("demo.public.orders");
  });

  it("moves through results with the arrow keys and opens one with Enter", async () => {
    searchApi();
    const { router } = renderAt("/search?q=orders");
    const box = await screen.findByRole("combobox");
    await screen.findAllByRole("option");
    await userEvent.click(box);
    await userEvent.keyboard("{ArrowDown}");
    const [first, second] = screen.getAllByRole("option");
    expect(first).toHaveAttribute("aria-selected", "false");
    expect(second).toHaveAttribute("aria-selected", "true");
    expect(box).toHaveAttribute("aria-activedescendant", second.id);
    await userEvent.keyboard("{Enter}");
    await waitFor(() => expect(router.state.location.pathname).toBe("/capsules/demo.public.order_items"));
  });

  it("says what to do when nothing matches", async () => {
    searchApi();
    renderAt("/search?q=nothing");
    const empty = await screen.findByText(/Nothing matches “nothing”/);
    expect(within(empty.parentElement!).getByText(/clear a filter/)).toBeInTheDocument();
  });

  it("shows the API's error with a retry", async () => {
    stubApi({
      "GET /api/v1/objects": () =>
        new Response(JSON.stringify({ error: { code: "UNAVAILABLE", message: "catalog is unavailable" } }), { status: 503 }),
    });
    renderAt("/search?q=orders");
    expect(await screen.findByRole("alert")).toHaveTextContent("catalog is unavailable");
    expect(screen.getByRole("button", { name: "Try again" })).toBeInTheDocument();
  });
});
