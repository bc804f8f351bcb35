// Renders the real routes at a URL with a fresh query cache, against a fetch that answers from a
// table of API paths (component tests; the browser tests in tests/e2e use the real stack).
import { render } from "@testing-library/react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createMemoryRouter, RouterProvider } from "react-router";
import { vi } from "vitest";
import { routes } from "../routes";
import { resetSessionCache, saveSession, type Role } from "../auth/session";

export type Answer = unknown | ((url: URL, init: RequestInit) => unknown);
export interface Call {
  method: string;
  url: URL;
  body: unknown;
}

/** Stub fetch: `answers` maps "GET /api/v1/objects" (path only) to a JSON body or a function. */
export function stubApi(answers: Record<string, Answer>): Call[] {
  const calls: Call[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: string, init: RequestInit = {}) => {
      const url = new URL(input, "http://ui.test");
      const method = (init.method ?? "GET").toUpperCase();
      calls.push({ method, url, body: init.body ? JSON.parse(String(init.body)) : undefined });
      const key = `${method} ${decodeURIComponent(url.pathname)}`;
      if (!(key in answers)) {
        return new Response(JSON.stringify({ error: { code: "NOT_FOUND", message: `no stub for ${key}` } }), { status: 404 });
      }
      const answer = answers[key];
      const body = typeof answer === "function" ? (answer as (u: URL, i: RequestInit) => unknown)(url, init) : answer;
      if (body instanceof Response) return body;
      return new Response(JSON.stringify(body), { status: 200, headers: { "Content-Type": "application/json" } });
    }),
  );
  return calls;
}

export function signIn(role: Role, username = `${role}1`) {
  resetSessionCache();
  saveSession({ token: `token-${role}`, username, role });
}

export function renderAt(url: string) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const router = createMemoryRouter(routes, { initialEntries: [url] });
  const view = render(
    <QueryClientProvider client={client}>
      <RouterProvider router={router} />
    </QueryClientProvider>,
  );
  return { ...view, router };
}
