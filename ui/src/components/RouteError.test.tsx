import { render, screen } from "@testing-library/react";
import { createMemoryRouter, RouterProvider } from "react-router";
import RouteError from "./RouteError";

function Boom(): never {
  throw new TypeError("Failed to fetch dynamically imported module: /assets/SearchPage-old.js");
}

it("a page that cannot load says so and offers a reload instead of a blank screen", async () => {
  const spy = vi.spyOn(console, "error").mockImplementation(() => {});
  const router = createMemoryRouter([{ path: "/", element: <Boom />, errorElement: <RouteError /> }]);
  render(<RouterProvider router={router} />);
  expect(await screen.findByRole("alert")).toHaveTextContent("Data Compass was updated since this page was opened.");
  expect(screen.getByRole("button", { name: "Reload" })).toBeInTheDocument();
  spy.mockRestore();
});
