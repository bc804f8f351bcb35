// Columns: type, keys (constraints), definition (column semantics), classification, masking.
// Every secondary source is optional: the table shows as soon as the columns are there.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ApiError, type Schemas } from "../../api/client";
import { atLeast } from "../../auth/session";
import { useSession } from "../../auth/useSession";
import { Empty, ErrorState } from "../../components/states";
import type { Capsule } from "../CapsulePage";
import { ClassificationBadge } from "./ClassificationBadge";

export default function ColumnsTab({ capsule }: { capsule: Capsule }) {
  const { ref, urn } = capsule;
  const semantics = useQuery({
    queryKey: ["semantics", urn],
    queryFn: ({ signal }) => api.get("/capsules/{urn}/columns", { path: { urn }, signal }),
  });
  const constraints = useQuery({
    queryKey: ["constraints", urn],
    queryFn: ({ signal }) => api.get("/capsules/{urn}/constraints", { path: { urn }, signal }),
  });
  const classification = useQuery({
    queryKey: ["classification", ref],
    queryFn: ({ signal }) => api.get("/classification/objects/{ref}", { path: { ref }, signal }),
  });
  const profile = useQuery({
    queryKey: ["profile", urn],
    // 404 = never profiled: an empty state, not an error.
    queryFn: ({ signal }) =>
      api.get("/capsules/{urn}/profile", { path: { urn }, signal }).catch((err: unknown) => {
        if (err instanceof ApiError && err.status === 404) return null;
        throw err;
      }),
  });
  const masking = useQuery({
    queryKey: ["masking-rules", urn],
    queryFn: ({ signal }) => api.get("/masking-rules", { query: { object: urn }, signal }),
  });

  const columns = capsule.columns ?? [];
  if (columns.length === 0) return <Empty>This capsule has no columns (or they have not been scanned yet).</Empty>;

  const keys = new Map<string, string[]>();
  for (const c of constraints.data?.items ?? []) {
    const label = c.constraint_type === "primary_key" ? "PK" : c.constraint_type === "foreign_key" ? "FK" : c.constraint_type === "unique" ? "UQ" : null;
    if (!label) continue;
    for (const col of c.columns) keys.set(col, [...(keys.get(col) ?? []), label]);
  }
  const definition = new Map((semantics.data?.items ?? []).map((s) => [s.column, s]));
  const levels = new Map((classification.data?.columns ?? []).map((c) => [c.column ?? "", c]));
  const masked = new Map((masking.data?.items ?? []).filter((m) => m.enabled).map((m) => [m.column, m]));
  const profiles = new Map(
    ((profile.data?.columns ?? []) as Schemas["ColumnProfile"][]).map((p) => [p.column, p]),
  );
  const partial = [semantics, constraints, classification, masking, profile].find((q) => q.error);

  return (
    <>
      {partial && <ErrorState error={partial.error} retry={() => void partial.refetch()} />}
      <ProfileBar capsule={capsule} profiled={profile.data?.finished_at ?? null} known={profile.data !== undefined} />
      <div className="table-wrap">
        <table className="columns">
          <caption className="visually-hidden">Columns of {capsule.ref}</caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Name</th>
              <th scope="col">Type</th>
              <th scope="col">Keys</th>
              <th scope="col">Definition</th>
              <th scope="col">Classification</th>
              <th scope="col">Masking</th>
              <th scope="col">Top values</th>
            </tr>
          </thead>
          <tbody>
            {columns.map((col) => {
              const sem = definition.get(col.name);
              const cls = levels.get(col.name);
              const mask = masked.get(col.name);
              return (
                <tr key={col.urn}>
                  <td className="muted">{col.ordinal}</td>
                  <th scope="row" className="mono">
                    {col.name}
                  </th>
                  <td className="mono">
                    {col.data_type}
                    {!col.nullable && <span className="muted"> not null</span>}
                  </td>
                  <td>
                    {(keys.get(col.name) ?? []).map((k) => (
                      <span key={k} className={`key key-${k.toLowerCase()}`}>
                        {k}
                      </span>
                    ))}
                  </td>
                  <td>
                    {sem?.business_definition || col.comment || <span className="muted">—</span>}
                    {sem?.semantic_type && <span className="tag">{sem.semantic_type}</span>}
                  </td>
                  <td>
                    <ClassificationBadge level={cls?.level} />
                    {cls?.compliance.map((t) => (
                      <span key={t} className="tag compliance">
                        {t}
                      </span>
                    ))}
                  </td>
                  <td>
                    {mask ? (
                      <span className="tag masked" title={`exempt: ${mask.exempt_roles.join(", ") || "nobody"}`}>
                        {mask.method}
                      </span>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                  <td>
                    <TopValues profile={profiles.get(col.name)} />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}

type MostCommon = { value: string | null; count: number; percentage: number };

function TopValues({ profile }: { profile: Schemas["ColumnProfile"] | undefined }) {
  if (!profile) return <span className="muted">—</span>;
  const values = ((profile.stats as { most_common_values?: MostCommon[] }).most_common_values ?? []).slice(0, 3);
  return (
    <span className="top-values">
      {values.map((v, i) => (
        <span key={i} className="mono small">
          {v.value ?? "NULL"} <span className="muted">({v.percentage.toFixed(0)}%)</span>
        </span>
      ))}
      {profile.masked.length > 0 && (
        <span className="tag masked" title={`masked for your role: ${profile.masked.join(", ")}`}>
          masked
        </span>
      )}
    </span>
  );
}

/** When the columns were last profiled; editors (and the capsule's owners) may profile now. */
function ProfileBar({ capsule, profiled, known }: { capsule: Capsule; profiled: string | null; known: boolean }) {
  const session = useSession();
  const client = useQueryClient();
  const run = useMutation({
    mutationFn: () => api.post("/capsules/{urn}/profile", { path: { urn: capsule.urn }, body: { wait: true } }),
    onSuccess: () => client.invalidateQueries({ queryKey: ["profile", capsule.urn] }),
  });
  if (!known) return null;
  return (
    <p className="profile-bar muted">
      {profiled ? `Profiled ${new Date(profiled).toLocaleString()}.` : "Not profiled yet: top values appear after a profile."}{" "}
      {atLeast(session?.role, "editor") && (
        <button type="button" className="secondary" disabled={run.isPending} onClick={() => run.mutate()}>
          {run.isPending ? "Profiling…" : "Profile now"}
        </button>
      )}
      {run.error && <ErrorState error={run.error} />}
    </p>
  );
}
