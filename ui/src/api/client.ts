// The typed REST client: paths, parameters and bodies come from the gateway's OpenAPI document
// (ui/openapi.json → schema.d.ts, `make ui-api`), so a changed API breaks the build, not a page.
import type { components, paths } from "./schema";
import { getToken, signalUnauthorized } from "../auth/session";

export type Schemas = components["schemas"];
export const API_BASE = "/api/v1";

type Prefixed = keyof paths & `${typeof API_BASE}${string}`;
type Strip<P> = P extends `${typeof API_BASE}${infer R}` ? R : never;
type Full<P extends string> = `${typeof API_BASE}${P}`;
type Method = "get" | "post" | "patch" | "put" | "delete";
type PathsWith<M extends Method> = {
  [P in Prefixed]: paths[P] extends Record<M, object> ? Strip<P> : never;
}[Prefixed];
type Op<P extends string, M extends Method> = Full<P> extends keyof paths
  ? paths[Full<P>] extends Record<M, infer O>
    ? O
    : never
  : never;
type JsonOf<R> = R extends { content: { "application/json": infer T } } ? T : undefined;
type Success<O> = O extends { responses: infer R }
  ? R extends { 200: infer A }
    ? JsonOf<A>
    : R extends { 201: infer A }
      ? JsonOf<A>
      : undefined
  : never;
type Params<O> = O extends { parameters: infer P } ? P : never;
type PathParams<O> = Params<O> extends { path: infer X } ? X : never;
type QueryParams<O> = Params<O> extends { query?: infer X } ? X : never;
type BodyOf<R> = [R] extends [{ content: { "application/json": infer B } }] ? B : never;
type Body<O> = O extends { requestBody?: infer R } ? BodyOf<NonNullable<R>> : never;

export type Options<O> = ([PathParams<O>] extends [never] ? { path?: never } : { path: PathParams<O> }) & {
  query?: QueryParams<O>;
  body?: Body<O>;
  signal?: AbortSignal;
  /** A bearer token to use instead of the session's (checking an API key before signing in). */
  token?: string;
};

/** An error answered by the gateway (its `{"error": {code, message}}` body) or the network. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function fillPath(template: string, params: Record<string, unknown> = {}): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined || value === null) throw new Error(`missing path parameter ${name}`);
    return encodeURIComponent(String(value));
  });
}

export function queryString(query: Record<string, unknown> = {}): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === "") continue;
    for (const v of Array.isArray(value) ? value : [value]) search.append(key, String(v));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

async function request<M extends Method, P extends PathsWith<M>>(
  method: M,
  path: P,
  options: Options<Op<P, M>>,
): Promise<Success<Op<P, M>>> {
  const opts = options as {
    path?: Record<string, unknown>;
    query?: Record<string, unknown>;
    body?: unknown;
    signal?: AbortSignal;
    token?: string;
  };
  const url = API_BASE + fillPath(path, opts.path) + queryString(opts.query);
  const headers: Record<string, string> = { Accept: "application/json" };
  const token = opts.token ?? getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (opts.body !== undefined) headers["Content-Type"] = "application/json";
  let resp: Response;
  try {
    resp = await fetch(url, {
      method: method.toUpperCase(),
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: opts.signal,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === "AbortError") throw err;
    throw new ApiError(0, "NETWORK", "The server cannot be reached. Is the gateway running?");
  }
  if (resp.status === 401 && token && !opts.token) signalUnauthorized();
  if (!resp.ok) {
    let code = `HTTP_${resp.status}`;
    let message = resp.statusText || `HTTP ${resp.status}`;
    try {
      const body = (await resp.json()) as { error?: { code?: string; message?: string } };
      code = body.error?.code ?? code;
      message = body.error?.message ?? message;
    } catch {
      // not our JSON error shape: keep the status text
    }
    throw new ApiError(resp.status, code, message);
  }
  if (resp.status === 204) return undefined as Success<Op<P, M>>;
  return (await resp.json()) as Success<Op<P, M>>;
}

export const api = {
  get: <P extends PathsWith<"get">>(path: P, options: Options<Op<P, "get">> = {} as Options<Op<P, "get">>) =>
    request("get", path, options),
  post: <P extends PathsWith<"post">>(path: P, options: Options<Op<P, "post">>) => request("post", path, options),
  patch: <P extends PathsWith<"patch">>(path: P, options: Options<Op<P, "patch">>) => request("patch", path, options),
  put: <P extends PathsWith<"put">>(path: P, options: Options<Op<P, "put">>) => request("put", path, options),
  delete: <P extends PathsWith<"delete">>(path: P, options: Options<Op<P, "delete">>) =>
    request("delete", path, options),
};
