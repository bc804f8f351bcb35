// Quality: a trend chart per DQ expectation (days in the URL), the quality rules, and the
// latest check run with its failing samples (masked by the API for the caller's role).
import { lazy, Suspense } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useSearchParams } from "react-router";
import { api, type Schemas } from "../../api/client";
import { atLeast } from "../../auth/session";
import { useSession } from "../../auth/useSession";
import { Empty, ErrorState, Loading, QueryView } from "../../components/states";
import type { Capsule } from "../CapsulePage";
// The chart library is the heaviest chunk: breaches, rules and checks show before it arrives.
const DqTrendChart = lazy(() => import("./DqTrendChart"));

const RANGES = [7, 30, 90, 365];

export default function QualityTab({ capsule }: { capsule: Capsule }) {
  const [params, setParams] = useSearchParams();
  const days = Number(params.get("days") ?? 30) || 30;
  const configs = useQuery({
    queryKey: ["dq-configs", capsule.ref],
    queryFn: ({ signal }) => api.get("/dq/configs", { query: { object_ref: capsule.ref, limit: 50 }, signal }),
  });
  return (
    <div className="quality">
      <section>
        <header className="section-head">
          <h2>Data quality trends</h2>
          <label className="inline">
            Range{" "}
            <select value={days} onChange={(e) => setParams({ days: e.target.value }, { replace: true })}>
              {RANGES.map((d) => (
                <option key={d} value={d}>
                  last {d} days
                </option>
              ))}
            </select>
          </label>
        </header>
        <QueryView query={configs} what="DQ configurations">
          {(page) => {
            const expectations = page.items.flatMap((c) => c.expectations as Schemas["Expectation"][]);
            return expectations.length === 0 ? (
              <Empty>No DQ expectation watches this capsule. Add one with `datacompass dq` or the API.</Empty>
            ) : (
              <div className="charts">
                {expectations.map((e) => (
                  <ExpectationTrend key={e.id} expectation={e} days={days} />
                ))}
              </div>
            );
          }}
        </QueryView>
      </section>
      <Breaches capsule={capsule} />
      <Rules capsule={capsule} />
      <LatestChecks capsule={capsule} />
    </div>
  );
}

function expectationLabel(e: Schemas["Expectation"]): string {
  return `${e.metric_type}${e.column ? ` of ${e.column}` : ""}`;
}

function ExpectationTrend({ expectation, days }: { expectation: Schemas["Expectation"]; days: number }) {
  const results = useQuery({
    queryKey: ["dq-results", expectation.id, days],
    queryFn: ({ signal }) =>
      api.get("/dq/expectations/{expectation_id}/results", { path: { expectation_id: expectation.id }, query: { days }, signal }),
  });
  const label = expectationLabel(expectation);
  return (
    <figure className="card">
      <figcaption>
        <strong>{label}</strong> <span className={`tag priority-${expectation.priority}`}>{expectation.priority}</span>
        {!expectation.enabled && <span className="tag">disabled</span>}
      </figcaption>
      <QueryView query={results} what="results">
        {(list) =>
          list.length === 0 ? (
            <Empty>No results in this range: run or backfill the DQ config.</Empty>
          ) : (
            <Suspense fallback={<Loading what="chart" />}>
              <DqTrendChart results={list} label={label} />
            </Suspense>
          )
        }
      </QueryView>
    </figure>
  );
}

function Rules({ capsule }: { capsule: Capsule }) {
  const rules = useQuery({
    queryKey: ["quality-rules", capsule.urn],
    queryFn: ({ signal }) => api.get("/capsules/{urn}/quality-rules", { path: { urn: capsule.urn }, signal }),
  });
  return (
    <section>
      <h2>Quality rules</h2>
      <QueryView query={rules} what="quality rules">
        {(list) =>
          list.items.length === 0 ? (
            <Empty>No quality rule yet: suggestions come from a column profile.</Empty>
          ) : (
            <ul className="rules">
              {list.items.map((r) => (
                <li key={r.id}>
                  <strong>{r.name}</strong> <span className="muted">{r.rule_type}</span>
                  {r.column && <span className="mono"> · {r.column}</span>}
                  <span className={`tag severity-${r.severity}`}>{r.severity}</span>
                  {r.blocking && <span className="tag">blocking</span>}
                  {!r.enabled && <span className="tag">disabled</span>}
                </li>
              ))}
            </ul>
          )
        }
      </QueryView>
    </section>
  );
}

function LatestChecks({ capsule }: { capsule: Capsule }) {
  const runs = useQuery({
    queryKey: ["quality-checks", capsule.urn],
    queryFn: ({ signal }) => api.get("/quality-checks", { query: { capsule: capsule.urn, limit: 1 }, signal }),
  });
  return (
    <section>
      <h2>Latest checks</h2>
      <QueryView query={runs} what="checks">
        {(page) => {
          const run = page.items[0];
          if (!run) return <Empty>No check has run on this capsule yet.</Empty>;
          return (
            <>
              <p className="muted">
                {run.started_at ? new Date(run.started_at).toLocaleString() : ""} · {run.passed} passed, {run.failed} failed,{" "}
                {run.warnings} warnings, {run.errors} errors
              </p>
              <table>
                <thead>
                  <tr>
                    <th scope="col">Rule</th>
                    <th scope="col">Status</th>
                    <th scope="col">Failures</th>
                    <th scope="col">Failing samples</th>
                  </tr>
                </thead>
                <tbody>
                  {run.checks.map((c) => (
                    <tr key={c.id}>
                      <th scope="row">{c.rule_name}</th>
                      <td>
                        <span className={`status status-${c.status}`}>{c.status}</span>
                      </td>
                      <td>{c.failure_count ?? "—"}</td>
                      <td className="mono small">
                        {c.sample_failures.length ? c.sample_failures.map((s) => JSON.stringify(s)).join(" · ") : "—"}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          );
        }}
      </QueryView>
    </section>
  );
}

type BreachStatus = Schemas["BreachUpdate"]["status"];
const NEXT: Partial<Record<string, { status: BreachStatus; label: string }[]>> = {
  open: [
    { status: "acknowledged", label: "Acknowledge" },
    { status: "resolved", label: "Resolve" },
  ],
  acknowledged: [{ status: "resolved", label: "Resolve" }],
};

/** Open and acknowledged breaches; editors and above acknowledge or resolve them. */
function Breaches({ capsule }: { capsule: Capsule }) {
  const session = useSession();
  const client = useQueryClient();
  const breaches = useQuery({
    queryKey: ["breaches", capsule.ref],
    queryFn: ({ signal }) =>
      api.get("/dq/breaches", { query: { object_ref: capsule.ref, status: ["open", "acknowledged"], limit: 50 }, signal }),
  });
  const change = useMutation({
    mutationFn: ({ id, status }: { id: number; status: BreachStatus }) =>
      api.patch("/dq/breaches/{breach_id}", { path: { breach_id: id }, body: { status, reason: "" } }),
    onSuccess: () => client.invalidateQueries({ queryKey: ["breaches", capsule.ref] }),
  });
  const mayChange = atLeast(session?.role, "editor");
  return (
    <section>
      <h2>Open breaches</h2>
      {change.error && <ErrorState error={change.error} />}
      <QueryView query={breaches} what="breaches">
        {(page) =>
          page.items.length === 0 ? (
            <Empty>No open breach: every expectation is within its thresholds.</Empty>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">Day</th>
                  <th scope="col">Metric</th>
                  <th scope="col">Value</th>
                  <th scope="col">Expected</th>
                  <th scope="col">Status</th>
                  {mayChange && <th scope="col">Actions</th>}
                </tr>
              </thead>
              <tbody>
                {page.items.map((b) => (
                  <tr key={b.id}>
                    <th scope="row">{b.bucket}</th>
                    <td>
                      {b.metric_type}
                      {b.column && <span className="mono"> · {b.column}</span>}{" "}
                      <span className={`tag priority-${b.priority}`}>{b.priority}</span>
                    </td>
                    <td>
                      {b.value === null ? <span title="masked for your role">masked</span> : b.value.toLocaleString()}{" "}
                      <span className="muted">({b.direction})</span>
                    </td>
                    <td>
                      {b.threshold_low?.toLocaleString() ?? "…"} – {b.threshold_high?.toLocaleString() ?? "…"}
                    </td>
                    <td>
                      <span className={`status status-${b.status}`}>{b.status}</span>
                    </td>
                    {mayChange && (
                      <td className="actions">
                        {(NEXT[b.status] ?? []).map((n) => (
                          <button
                            key={n.status}
                            type="button"
                            className="secondary"
                            disabled={change.isPending}
                            onClick={() => change.mutate({ id: b.id, status: n.status })}
                            aria-label={`${n.label} the ${b.metric_type} breach of ${b.bucket}`}
                          >
                            {n.label}
                          </button>
                        ))}
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </QueryView>
    </section>
  );
}
