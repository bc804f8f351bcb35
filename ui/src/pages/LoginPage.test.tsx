import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { loadSession, resetSessionCache, saveSession } from "../auth/session";
import { ORDERS } from "../test/fixtures";
import { renderAt, stubApi } from "../test/render";

const TOKENS = {
  access_token: "jwt-abc",
  refresh_token: "r",
  token_type: "bearer",
  expires_in: 900,
  user: { id: 1, username: "ann", role: "steward", display_name: "Ann", disabled: false },
};

describe("login", () => {
  beforeEach(() => {
    resetSessionCache();
    saveSession(null);
  });

  it("sends an anonymous visitor to the login page, then back where they were going", async () => {
    const calls = stubApi({ "POST /api/v1/auth/login": TOKENS, "GET /api/v1/objects/demo.public.orders": ORDERS });
    const { router } = renderAt("/capsules/demo.public.orders");
    await userEvent.type(await screen.findByLabelText("User name"), "ann");
    await userEvent.type(screen.getByLabelText("Password"), "secret");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/capsules/demo.public.orders"));
    expect(calls[0].body).toEqual({ username: "ann", password: "secret" });
    expect(loadSession()).toMatchObject({ token: "jwt-abc", username: "ann", role: "steward" });
    // The token goes with every API call.
    await waitFor(() => expect(calls.length).toBeGreaterThan(1));
    const init = (fetch as unknown as { mock: { calls: [string, RequestInit][] } }).mock.calls[1][1];
    expect((init.headers as Record<string, string>).Authorization).toBe("Bearer jwt-abc");
    expect(await screen.findByText("steward")).toBeInTheDocument();
  });

  it("says when the password is wrong", async () => {
    stubApi({
      "POST /api/v1/auth/login": () =>
        new Response(JSON.stringify({ error: { code: "UNAUTHENTICATED", message: "bad" } }), { status: 401 }),
    });
    renderAt("/login");
    await userEvent.type(await screen.findByLabelText("User name"), "ann");
    await userEvent.type(screen.getByLabelText("Password"), "nope");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Wrong user name or password.");
    expect(loadSession()).toBeNull();
  });

  it("an expired token signs the user out", async () => {
    saveSession({ token: "old", username: "ann", role: "viewer" });
    stubApi({
      "GET /api/v1/objects": () => new Response(JSON.stringify({ error: { code: "UNAUTHENTICATED", message: "expired" } }), { status: 401 }),
    });
    const { router } = renderAt("/search?q=orders");
    await waitFor(() => expect(router.state.location.pathname).toBe("/login"));
    expect(loadSession()).toBeNull();
  });

  it("logs out", async () => {
    saveSession({ token: "t", username: "ann", role: "viewer" });
    stubApi({ "GET /api/v1/objects": { items: [], next_cursor: null, facets: {} } });
    const { router } = renderAt("/search");
    await userEvent.click(await screen.findByRole("button", { name: "Log out" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/login"));
    expect(sessionStorage.length).toBe(0);
  });

  it("signs in with an API key, taking the user and role from /auth/me", async () => {
    const calls = stubApi({
      "GET /api/v1/auth/me": (_url: URL, init: RequestInit) =>
        (init.headers as Record<string, string>).Authorization === "Bearer dc_admin_123"
          ? { username: "bootstrap-admin", role: "admin", method: "api_key" }
          : new Response(JSON.stringify({ error: { code: "UNAUTHENTICATED", message: "bad key" } }), { status: 401 }),
      "GET /api/v1/objects": { items: [], next_cursor: null, facets: {} },
    });
    const { router } = renderAt("/login");
    await userEvent.click(await screen.findByRole("button", { name: /Use an API key/ }));
    await userEvent.type(screen.getByLabelText("API key"), "dc_admin_123");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/search"));
    expect(loadSession()).toMatchObject({ token: "dc_admin_123", username: "bootstrap-admin", role: "admin" });
    expect(calls[0].url.pathname).toBe("/api/v1/auth/me");
  });

  it("refuses a wrong API key and keeps nobody signed in", async () => {
    stubApi({
      "GET /api/v1/auth/me": () => new Response(JSON.stringify({ error: { code: "UNAUTHENTICATED", message: "bad key" } }), { status: 401 }),
    });
    renderAt("/login");
    await userEvent.click(await screen.findByRole("button", { name: /Use an API key/ }));
    await userEvent.type(screen.getByLabelText("API key"), "dc_wrong");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("This API key is not valid.");
    expect(loadSession()).toBeNull();
  });
});
