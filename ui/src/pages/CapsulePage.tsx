// One capsule: its header and a tab per dimension; the tab is in the URL (/capsules/<ref>/<tab>)
// and each tab is its own chunk (lineage and quality carry the graph and chart libraries).
import { lazy, Suspense, useRef, type KeyboardEvent } from "react";
import { useQuery } from "@tanstack/react-query";
import { Link, useNavigate, useParams } from "react-router";
import { api, type Schemas } from "../api/client";
import { Loading, QueryView } from "../components/states";
import { capsulePath } from "./SearchPage";

export type Capsule = Schemas["CatalogObjectWithDeprecation"];

const TABS = [
  { id: "overview", label: "Overview", component: lazy(() => import("./capsule/OverviewTab")) },
  { id: "columns", label: "Columns", component: lazy(() => import("./capsule/ColumnsTab")) },
  { id: "lineage", label: "Lineage", component: lazy(() => import("./capsule/LineageTab")) },
  { id: "quality", label: "Quality", component: lazy(() => import("./capsule/QualityTab")) },
  { id: "glossary", label: "Glossary", component: lazy(() => import("./capsule/GlossaryTab")) },
] as const;

export function useCapsule(ref: string) {
  return useQuery({
    queryKey: ["object", ref],
    queryFn: ({ signal }) => api.get("/objects/{ref}", { path: { ref }, signal }),
  });
}

export default function CapsulePage() {
  const { ref = "", tab = "overview" } = useParams();
  const navigate = useNavigate();
  const query = useCapsule(ref);
  const tabRefs = useRef<(HTMLAnchorElement | null)[]>([]);
  const current = TABS.find((t) => t.id === tab) ?? TABS[0];

  function onTabKey(event: KeyboardEvent, index: number) {
    const step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
    if (!step) return;
    event.preventDefault();
    const next = (index + step + TABS.length) % TABS.length;
    tabRefs.current[next]?.focus();
    navigate(capsulePath(ref, TABS[next].id), { replace: true });
  }

  return (
    <QueryView query={query} what="capsule">
      {(capsule) => (
        <article className="capsule">
          <nav className="breadcrumb" aria-label="Breadcrumb">
            <Link to={`/search?source=${encodeURIComponent(capsule.source_name)}`}>{capsule.source_name}</Link>
            <span aria-hidden>›</span>
            <span>{capsule.schema_name}</span>
          </nav>
          <h1>
            {capsule.name} <span className="badge">{capsule.object_type}</span>
            {capsule.layer && <span className="badge layer">{capsule.layer}</span>}
          </h1>
          <p className="muted mono">{capsule.urn}</p>
          {capsule.deprecation && capsule.deprecation.status === "active" && (
            <p className="banner warn" role="note">
              Deprecated: {capsule.deprecation.message} (deadline {capsule.deprecation.deadline}
              {capsule.deprecation.replacement_ref && <>, use {capsule.deprecation.replacement_ref}</>})
            </p>
          )}
          <div role="tablist" aria-label="Capsule dimensions" className="tabs">
            {TABS.map((t, i) => (
              <Link
                key={t.id}
                ref={(el) => {
                  tabRefs.current[i] = el;
                }}
                role="tab"
                id={`tab-${t.id}`}
                aria-selected={t.id === current.id}
                aria-controls="tab-panel"
                tabIndex={t.id === current.id ? 0 : -1}
                to={capsulePath(ref, t.id)}
                replace
                onKeyDown={(e) => onTabKey(e, i)}
              >
                {t.label}
              </Link>
            ))}
          </div>
          <section role="tabpanel" id="tab-panel" aria-labelledby={`tab-${current.id}`}>
            <Suspense fallback={<Loading what={current.label.toLowerCase()} />}>
              <current.component capsule={capsule} />
            </Suspense>
          </section>
        </article>
      )}
    </QueryView>
  );
}
