// Every page is its own chunk (lazy), so the first load fetches only the shell and one page.
import { lazy } from "react";
import { Navigate, Outlet, useLocation, type RouteObject } from "react-router";
import Layout from "./components/Layout";
import RouteError from "./components/RouteError";
import { useSession } from "./auth/useSession";

const LoginPage = lazy(() => import("./pages/LoginPage"));
const SearchPage = lazy(() => import("./pages/SearchPage"));
const CapsulePage = lazy(() => import("./pages/CapsulePage"));
const NotFound = lazy(() => import("./pages/NotFound"));

function RequireLogin() {
  const session = useSession();
  const location = useLocation();
  if (!session) return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  return <Outlet />;
}

export const routes: RouteObject[] = [
  {
    element: <Layout />,
    errorElement: <RouteError />,
    children: [
      { path: "/login", element: <LoginPage /> },
      {
        element: <RequireLogin />,
        errorElement: <RouteError />,
        children: [
          { path: "/", element: <Navigate to="/search" replace /> },
          { path: "/search", element: <SearchPage /> },
          { path: "/capsules/:ref", element: <CapsulePage /> },
          { path: "/capsules/:ref/:tab", element: <CapsulePage /> },
          { path: "*", element: <NotFound /> },
        ],
      },
    ],
  },
];
