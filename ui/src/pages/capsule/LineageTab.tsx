// Table lineage as a graph: upstream to the left, downstream to the right, the capsule in the
// middle; the depth is in the URL (?depth=), a node click opens that capsule.
import { useMemo } from "react";
import { useQuery } from "@tanstack/react-query";
import { Background, Controls, Position, ReactFlow, type Edge, type Node } from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { useNavigate, useSearchParams } from "react-router";
import { api, type Schemas } from "../../api/client";
import { Empty, QueryView } from "../../components/states";
import type { Capsule } from "../CapsulePage";
import { capsulePath } from "../SearchPage";

const DEPTHS = [1, 2, 3, 5];

export function layout(center: string, edges: Schemas["LineageEdge"][]): { nodes: Node[]; links: Edge[] } {
  const level = new Map<string, number>([[center, 0]]);
  // Levels spread out from the capsule along the edges (a few passes settle any order).
  for (let pass = 0; pass < 10; pass++) {
    for (const e of edges) {
      const up = level.get(e.upstream_ref);
      const down = level.get(e.downstream_ref);
      if (down !== undefined && up === undefined) level.set(e.upstream_ref, down - 1);
      if (up !== undefined && down === undefined) level.set(e.downstream_ref, up + 1);
    }
  }
  const rows = new Map<number, number>();
  const nodes: Node[] = [...level.entries()].map(([ref, l]) => {
    const row = rows.get(l) ?? 0;
    rows.set(l, row + 1);
    return {
      id: ref,
      position: { x: l * 320, y: row * 80 },
      data: { label: ref },
      sourcePosition: Position.Right,
      targetPosition: Position.Left,
      style: { width: 240 },
      className: ref === center ? "node center" : "node",
    };
  });
  const seen = new Set<string>();
  const links: Edge[] = [];
  for (const e of edges) {
    const id = `${e.upstream_ref}->${e.downstream_ref}`;
    if (seen.has(id) || !level.has(e.upstream_ref) || !level.has(e.downstream_ref)) continue;
    seen.add(id);
    links.push({ id, source: e.upstream_ref, target: e.downstream_ref, animated: false, label: e.edge_type });
  }
  return { nodes, links };
}

export default function LineageTab({ capsule }: { capsule: Capsule }) {
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const depth = Number(params.get("depth") ?? 2) || 2;
  const ref = capsule.ref;
  const lineage = useQuery({
    queryKey: ["lineage", ref, depth],
    queryFn: ({ signal }) => api.get("/objects/{ref}/lineage", { path: { ref }, query: { depth, limit: 200 }, signal }),
  });
  const graph = useMemo(() => (lineage.data ? layout(ref, lineage.data.edges) : null), [lineage.data, ref]);
  return (
    <>
      <label className="inline">
        Depth{" "}
        <select value={depth} onChange={(e) => setParams({ depth: e.target.value }, { replace: true })}>
          {DEPTHS.map((d) => (
            <option key={d}>{d}</option>
          ))}
        </select>
      </label>
      <QueryView query={lineage} what="lineage">
        {(data) =>
          data.edges.length === 0 || !graph ? (
            <Empty>No lineage is known for this capsule. Views and dbt models get it when scanned.</Empty>
          ) : (
            <>
              <div className="lineage-graph" aria-label="Lineage graph">
                <ReactFlow
                  nodes={graph.nodes}
                  edges={graph.links}
                  fitView
                  nodesDraggable={false}
                  onNodeClick={(_, node) => node.id !== ref && navigate(capsulePath(node.id, "lineage"))}
                  proOptions={{ hideAttribution: true }}
                >
                  <Background />
                  <Controls showInteractive={false} />
                </ReactFlow>
              </div>
              <ul className="lineage-list">
                {data.edges.map((e) => (
                  <li key={e.id}>
                    <span className="mono">{e.upstream_ref}</span> → <span className="mono">{e.downstream_ref}</span>
                    {e.upstream_column && (
                      <span className="muted">
                        {" "}
                        ({e.upstream_column} → {e.downstream_column})
                      </span>
                    )}
                    <span className="muted"> · {e.origin}</span>
                  </li>
                ))}
              </ul>
            </>
          )
        }
      </QueryView>
    </>
  );
}
