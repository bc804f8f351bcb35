// The signed-in user: the access token lives in sessionStorage (gone when the tab closes, never
// in localStorage) and in memory; a 401 on an authenticated call signs the user out.
export type Role = "viewer" | "editor" | "steward" | "admin";
export interface Session {
  token: string;
  username: string;
  role: Role;
}

const KEY = "datacompass.session";
const ROLE_RANK: Record<Role, number> = { viewer: 0, editor: 1, steward: 2, admin: 3 };
let current: Session | null = null;
const listeners = new Set<() => void>();

export function loadSession(): Session | null {
  if (current) return current;
  try {
    const raw = sessionStorage.getItem(KEY);
    current = raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    current = null;
  }
  return current;
}

export function saveSession(session: Session | null): void {
  current = session;
  if (session) sessionStorage.setItem(KEY, JSON.stringify(session));
  else sessionStorage.removeItem(KEY);
  listeners.forEach((l) => l());
}

export function getToken(): string | null {
  return loadSession()?.token ?? null;
}

export function signalUnauthorized(): void {
  saveSession(null);
}

export function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Whether `role` may do what `needed` may (the gateway's role order; it still enforces). */
export function atLeast(role: Role | undefined, needed: Role): boolean {
  return role !== undefined && ROLE_RANK[role] >= ROLE_RANK[needed];
}

/** Test hook: forget the in-memory copy. */
export function resetSessionCache(): void {
  current = null;
}
