import { layout } from "./LineageTab";

const edge = (up: string, down: string, id: number) =>
  ({ id, upstream_ref: up, downstream_ref: down, edge_type: "derived_from" }) as Parameters<typeof layout>[1][number];

it("lays lineage out upstream left, downstream right, one column per hop, edges once", () => {
  const { nodes, links } = layout("b", [edge("a", "b", 1), edge("b", "c", 2), edge("c", "d", 3), edge("a", "b", 4)]);
  const x = Object.fromEntries(nodes.map((n) => [n.id, n.position.x]));
  expect(x.a).toBeLessThan(x.b);
  expect(x.b).toBe(0);
  expect(x.c).toBeGreaterThan(x.b);
  expect(x.d).toBeGreaterThan(x.c);
  expect(links.map((l) => l.id)).toEqual(["a->b", "b->c", "c->d"]);
  expect(nodes.find((n) => n.id === "b")?.className).toContain("center");
});
