import { Link } from "react-router";
import { Empty } from "../components/states";

export default function NotFound() {
  return (
    <Empty>
      <h1>Page not found</h1>
      <p>
        Nothing lives at this address. <Link to="/search">Search the catalog</Link> instead.
      </p>
    </Empty>
  );
}
