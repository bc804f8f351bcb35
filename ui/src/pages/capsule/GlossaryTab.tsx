import { useQuery } from "@tanstack/react-query";
import { api } from "../../api/client";
import { Empty, QueryView } from "../../components/states";
import type { Capsule } from "../CapsulePage";

export default function GlossaryTab({ capsule }: { capsule: Capsule }) {
  const urn = capsule.urn;
  const links = useQuery({
    queryKey: ["term-links", urn],
    queryFn: ({ signal }) => api.get("/capsules/{urn}/business-terms", { path: { urn }, query: { limit: 200 }, signal }),
  });
  return (
    <QueryView query={links} what="glossary terms">
      {(page) =>
        page.items.length === 0 ? (
          <Empty>No business term is linked to this capsule or its columns yet.</Empty>
        ) : (
          <ul className="terms">
            {page.items.map((l) => (
              <li key={l.id}>
                <strong>{l.term_name}</strong> <span className={`tag status-${l.term_status}`}>{l.term_status}</span>
                <span className="muted">
                  {" "}
                  {l.column ? `column ${l.column}` : "whole capsule"} · {l.link_type}
                </span>
              </li>
            ))}
          </ul>
        )
      }
    </QueryView>
  );
}
