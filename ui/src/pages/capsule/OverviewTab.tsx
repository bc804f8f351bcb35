import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "../../api/client";
import { atLeast } from "../../auth/session";
import { useSession } from "../../auth/useSession";
import { ErrorState, QueryView } from "../../components/states";
import type { Capsule } from "../CapsulePage";
import { ClassificationBadge } from "./ClassificationBadge";

export default function OverviewTab({ capsule }: { capsule: Capsule }) {
  const ref = capsule.ref;
  const owners = useQuery({
    queryKey: ["owners", ref],
    queryFn: ({ signal }) => api.get("/ownership/objects/{ref}", { path: { ref }, signal }),
  });
  const classification = useQuery({
    queryKey: ["classification", ref],
    queryFn: ({ signal }) => api.get("/classification/objects/{ref}", { path: { ref }, signal }),
  });
  return (
    <div className="overview grid">
      <section className="card wide">
        <h2>Description</h2>
        <Description capsule={capsule} />
        {capsule.tags.length > 0 && (
          <p className="tags">
            {capsule.tags.map((t) => (
              <span key={t} className="tag">
                {t}
              </span>
            ))}
          </p>
        )}
      </section>
      <section className="card">
        <h2>Quality score</h2>
        {capsule.quality_score == null ? (
          <p className="muted">No quality checks have run yet.</p>
        ) : (
          <p className={`score ${capsule.quality_score >= 90 ? "good" : capsule.quality_score >= 70 ? "fair" : "poor"}`}>
            {capsule.quality_score.toFixed(0)}
            <span className="muted">/100</span>
          </p>
        )}
      </section>
      <section className="card">
        <h2>Classification</h2>
        <QueryView query={classification} what="classification">
          {(c) =>
            c.effective ? (
              <>
                <ClassificationBadge level={c.effective.level} />
                {c.effective.compliance.length > 0 && (
                  <p className="tags">
                    {c.effective.compliance.map((t) => (
                      <span key={t} className="tag compliance">
                        {t}
                      </span>
                    ))}
                  </p>
                )}
                <p className="muted small">
                  {c.own ? `set by ${c.own.classified_by ?? c.own.source}` : "inherited from its columns or source"}
                </p>
              </>
            ) : (
              <p className="muted">Not classified. Apply the classification rules or set a level.</p>
            )
          }
        </QueryView>
      </section>
      <section className="card">
        <h2>Owners</h2>
        <QueryView query={owners} what="owners">
          {(o) => (
            <>
              {o.domain && (
                <p>
                  Domain: <strong>{o.domain}</strong>
                </p>
              )}
              {o.owners.length === 0 ? (
                <p className="muted">No owner yet: a steward can assign one.</p>
              ) : (
                <ul className="plain">
                  {o.owners.map((w) => (
                    <li key={`${w.user}-${w.role}`}>
                      {w.user} <span className="muted">({w.role})</span>
                    </li>
                  ))}
                </ul>
              )}
            </>
          )}
        </QueryView>
      </section>
      <section className="card">
        <h2>Facts</h2>
        <dl className="facts">
          <dt>Source</dt>
          <dd>
            {capsule.source_name} ({capsule.source_type})
          </dd>
          <dt>Layer</dt>
          <dd>{capsule.layer ?? "—"}</dd>
          <dt>Columns</dt>
          <dd>{capsule.column_count}</dd>
          <dt>Rows (estimate)</dt>
          <dd>{capsule.row_estimate?.toLocaleString() ?? "—"}</dd>
          <dt>Last seen</dt>
          <dd>{capsule.last_seen_at ? new Date(capsule.last_seen_at).toLocaleString() : "—"}</dd>
        </dl>
      </section>
    </div>
  );
}

/** Editors and above may edit the description; a viewer sees none of the controls. */
function Description({ capsule }: { capsule: Capsule }) {
  const session = useSession();
  const client = useQueryClient();
  const [draft, setDraft] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: (description: string) =>
      api.patch("/objects/{ref}", { path: { ref: capsule.ref }, body: { description } }),
    onSuccess: (updated) => {
      client.setQueryData(["object", capsule.ref], updated);
      setDraft(null);
    },
  });
  if (draft !== null) {
    return (
      <form
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate(draft);
        }}
      >
        <label className="visually-hidden" htmlFor="description">
          Description
        </label>
        <textarea id="description" value={draft} onChange={(e) => setDraft(e.target.value)} rows={4} autoFocus />
        {save.error && <ErrorState error={save.error} />}
        <div className="actions">
          <button type="submit" disabled={save.isPending}>
            Save
          </button>
          <button type="button" className="secondary" onClick={() => setDraft(null)}>
            Cancel
          </button>
        </div>
      </form>
    );
  }
  return (
    <>
      <p>{capsule.description || <span className="muted">No description yet.</span>}</p>
      {atLeast(session?.role, "editor") && (
        <button type="button" className="secondary" onClick={() => setDraft(capsule.description)}>
          Edit description
        </button>
      )}
    </>
  );
}
