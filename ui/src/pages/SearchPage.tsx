// Search as you type: the query and every filter live in the URL (shareable), results arrive
// ranked by the catalog (exact name first), facets narrow them; ↑/↓ move, Enter opens.
import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from "react";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Link, useNavigate, useSearchParams } from "react-router";
import { api, type Schemas } from "../api/client";
import { Empty, ErrorState, Loading } from "../components/states";
import { useDebounced } from "../components/useDebounced";

type ObjectType = NonNullable<NonNullable<Parameters<typeof api.get<"/objects">>[1]>["query"]>["type"];
// Facets the API filters on (source, type) and those narrowed here, over the page shown.
const SERVER_FACETS = ["source", "type"] as const;
const PAGE_FACETS = ["schema", "tag"] as const;
const FACETS = [...SERVER_FACETS, ...PAGE_FACETS];
type Facet = (typeof FACETS)[number];
const FACET_LABEL: Record<Facet, string> = { source: "Source", type: "Type", schema: "Schema", tag: "Tag" };

export function capsulePath(ref: string, tab?: string): string {
  return `/capsules/${encodeURIComponent(ref)}${tab ? `/${tab}` : ""}`;
}

export default function SearchPage() {
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const q = params.get("q") ?? "";
  const [text, setText] = useState(q);
  const debounced = useDebounced(text, 120);
  const [active, setActive] = useState(0);
  const listRef = useRef<HTMLOListElement>(null);

  // The typed text reaches the URL once the user pauses (replace: no history entry per key).
  useEffect(() => {
    if (debounced === q) return;
    const next = new URLSearchParams(params);
    if (debounced) next.set("q", debounced);
    else next.delete("q");
    setParams(next, { replace: true });
  }, [debounced]); // eslint-disable-line react-hooks/exhaustive-deps

  const filters = Object.fromEntries(FACETS.map((f) => [f, params.get(f) ?? ""])) as Record<Facet, string>;
  const query = useQuery({
    queryKey: ["objects", q, filters.source, filters.type],
    queryFn: ({ signal }) =>
      api.get("/objects", {
        query: { q, source: filters.source, type: (filters.type || undefined) as ObjectType, facets: true, limit: 50 },
        signal,
      }),
    placeholderData: keepPreviousData,
  });

  const items = useMemo(
    () =>
      (query.data?.items ?? []).filter(
        (o) => (!filters.schema || o.schema_name === filters.schema) && (!filters.tag || o.tags.includes(filters.tag)),
      ),
    [query.data, filters.schema, filters.tag],
  );
  useEffect(() => setActive(0), [q, filters.source, filters.type, filters.schema, filters.tag]);

  function toggle(facet: Facet, value: string) {
    const next = new URLSearchParams(params);
    if (next.get(facet) === value) next.delete(facet);
    else next.set(facet, value);
    setParams(next);
  }

  function onKey(event: KeyboardEvent) {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      const next = Math.min(Math.max(active + step, 0), Math.max(items.length - 1, 0));
      setActive(next);
      listRef.current?.children[next]?.scrollIntoView?.({ block: "nearest" });
    } else if (event.key === "Enter" && items[active]) {
      event.preventDefault();
      navigate(capsulePath(items[active].ref));
    } else if (event.key === "Escape") {
      setText("");
    }
  }

  const facets = (query.data?.facets ?? {}) as Record<string, Record<string, number>>;
  return (
    <div className="search">
      <h1 className="visually-hidden">Search</h1>
      <div className="searchbox">
        <label htmlFor="search-input" className="visually-hidden">
          Search tables, views, columns and tags
        </label>
        <input
          id="search-input"
          type="search"
          role="combobox"
          aria-expanded={items.length > 0}
          aria-controls="search-results"
          aria-activedescendant={items[active] ? `result-${items[active].id}` : undefined}
          placeholder="Search tables, views, columns, tags…  (↑↓ to move, Enter to open)"
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={onKey}
          autoFocus
          autoComplete="off"
        />
        {query.isFetching && <span className="spinner" aria-label="Searching" />}
      </div>
      <div className="search-body">
        <aside className="facets" aria-label="Filters">
          {FACETS.map((facet) => {
            const counts = Object.entries(facets[facet] ?? {});
            const chosen = filters[facet];
            if (!counts.length && !chosen) return null;
            return (
              <fieldset key={facet}>
                <legend>{FACET_LABEL[facet]}</legend>
                {chosen && !counts.some(([v]) => v === chosen) && (
                  <FacetOption facet={facet} value={chosen} count={undefined} checked onToggle={toggle} />
                )}
                {counts.map(([value, count]) => (
                  <FacetOption key={value} facet={facet} value={value} count={count} checked={chosen === value} onToggle={toggle} />
                ))}
              </fieldset>
            );
          })}
        </aside>
        <section className="results" aria-label="Results">
          {query.isPending ? (
            <Loading what="results" />
          ) : query.error ? (
            <ErrorState error={query.error} retry={() => void query.refetch()} />
          ) : items.length === 0 ? (
            <Empty>
              <p>{q ? `Nothing matches “${q}”.` : "The catalog is empty."}</p>
              <p className="muted">
                {q || FACETS.some((f) => filters[f])
                  ? "Try fewer words or clear a filter; names, descriptions, columns and tags are searched."
                  : "Scan a source (datacompass scan run <source>) and its tables appear here."}
              </p>
            </Empty>
          ) : (
            <ol id="search-results" role="listbox" ref={listRef} aria-label={`${items.length} results`}>
              {items.map((o, i) => (
                <ResultRow key={o.id} object={o} active={i === active} onHover={() => setActive(i)} />
              ))}
            </ol>
          )}
        </section>
      </div>
    </div>
  );
}

function FacetOption(props: {
  facet: Facet;
  value: string;
  count: number | undefined;
  checked: boolean;
  onToggle: (facet: Facet, value: string) => void;
}) {
  return (
    <label className="facet">
      <input type="checkbox" checked={props.checked} onChange={() => props.onToggle(props.facet, props.value)} />
      <span>{props.value}</span>
      {props.count !== undefined && <span className="count">{props.count}</span>}
    </label>
  );
}

function ResultRow({ object, active, onHover }: { object: Schemas["CatalogObject"]; active: boolean; onHover: () => void }) {
  return (
    <li id={`result-${object.id}`} role="option" aria-selected={active} className={active ? "active" : ""} onMouseEnter={onHover}>
      <Link to={capsulePath(object.ref)} tabIndex={-1}>
        <span className="name">{object.name}</span>
        <span className="ref">{object.ref}</span>
        <span className="badge">{object.object_type}</span>
        {object.layer && <span className="badge layer">{object.layer}</span>}
      </Link>
      {object.description && <p className="desc">{object.description}</p>}
      {object.tags.length > 0 && (
        <p className="tags">
          {object.tags.map((t) => (
            <span key={t} className="tag">
              {t}
            </span>
          ))}
        </p>
      )}
    </li>
  );
}
