import { useState, type FormEvent } from "react";
import { Navigate, useLocation, useNavigate } from "react-router";
import { api, ApiError } from "../api/client";
import { saveSession, type Role } from "../auth/session";
import { useSession } from "../auth/useSession";

export default function LoginPage() {
  const session = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const [withKey, setWithKey] = useState(false);
  const [apiKey, setApiKey] = useState("");
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const next = (location.state as { from?: string } | null)?.from ?? "/search";
  if (session) return <Navigate to={next} replace />;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (withKey) {
        // An API key is a bearer token too: who it belongs to comes from /auth/me.
        const me = await api.get("/auth/me", { token: apiKey.trim() });
        saveSession({ token: apiKey.trim(), username: me.username, role: me.role as Role });
      } else {
        const tokens = await api.post("/auth/login", { body: { username, password } });
        saveSession({ token: tokens.access_token, username: tokens.user.username, role: tokens.user.role as Role });
      }
      navigate(next, { replace: true });
    } catch (err) {
      setError(
        err instanceof ApiError && (err.status === 401 || err.status === 400)
          ? withKey
            ? "This API key is not valid."
            : "Wrong user name or password."
          : err instanceof Error
            ? err.message
            : String(err),
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="login">
      <form onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">Data Compass</h1>
        <p className="muted">Sign in to find, understand and trust your data.</p>
        {withKey ? (
          <label>
            API key
            <input name="api-key" type="password" autoComplete="off" value={apiKey} onChange={(e) => setApiKey(e.target.value)} required autoFocus />
          </label>
        ) : (
          <>
            <label>
              User name
              <input name="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} required autoFocus />
            </label>
            <label>
              Password
              <input name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
            </label>
          </>
        )}
        {error && (
          <p role="alert" className="state-error">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        <button type="button" className="secondary" onClick={() => { setWithKey(!withKey); setError(null); }}>
          {withKey ? "Use a user name and password" : "Use an API key (such as the admin key make run prints)"}
        </button>
      </form>
    </div>
  );
}
