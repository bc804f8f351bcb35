// What a page that failed to render shows (a chunk of an older build after a deploy, a bug):
// never a blank screen.
import { isRouteErrorResponse, Link, useRouteError } from "react-router";

export default function RouteError() {
  const error = useRouteError();
  const message = isRouteErrorResponse(error)
    ? `${error.status} ${error.statusText}`
    : error instanceof Error
      ? error.message
      : String(error);
  const stale = /dynamically imported module|Importing a module script failed|Failed to fetch/i.test(message);
  return (
    <div className="state state-error" role="alert">
      <h1>Something went wrong</h1>
      <p>{stale ? "Data Compass was updated since this page was opened." : message}</p>
      <p>
        <button type="button" onClick={() => window.location.reload()}>
          Reload
        </button>{" "}
        <Link to="/search">Back to search</Link>
      </p>
    </div>
  );
}
