import { Suspense } from "react";
import { Link, NavLink, Outlet, useNavigate } from "react-router";
import { saveSession } from "../auth/session";
import { useSession } from "../auth/useSession";
import { Loading } from "./states";

export default function Layout() {
  const session = useSession();
  const navigate = useNavigate();
  return (
    <div className="app">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/" className="brand">
          Data Compass
        </Link>
        <nav aria-label="Main">
          <NavLink to="/search">Search</NavLink>
        </nav>
        {session && (
          <div className="who">
            <span>{session.username}</span>
            <span className={`role role-${session.role}`} title="Your role">
              {session.role}
            </span>
            <button
              type="button"
              onClick={() => {
                saveSession(null);
                navigate("/login");
              }}
            >
              Log out
            </button>
          </div>
        )}
      </header>
      <main id="main">
        <Suspense fallback={<Loading what="page" />}>
          <Outlet />
        </Suspense>
      </main>
    </div>
  );
}
