"""Protobuf answers → the capsule's sections (counts, details, links)."""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import quote

from google.protobuf.json_format import MessageToDict

from datacompass.catalog.v1 import catalog_pb2 as cpb
from datacompass.catalog.v1 import completeness_pb2 as kpb
from datacompass.catalog.v1 import semantics_pb2 as spb
from datacompass.governance.v1 import governance_pb2 as gpb
from datacompass.governance.v1 import masking_pb2 as mpb
from datacompass.quality.v1 import quality_rules_pb2 as qpb
from gateway_service.capsules.schemas import Section
from gateway_service.core.convert import timestamp

# How many of a profiled column's most common values the summary shows.
TOP_VALUES = 3
CONTRACT_PENDING = "data contracts are not yet available"


def _path(template: str, ref: str) -> str:
    return template.format(ref=quote(ref, safe=".:"))


def unavailable(error: str) -> Section:
    return Section(available=False, error=error)


def payload(obj: cpb.CatalogObject) -> Section:
    details: dict[str, Any] = {
        "source": obj.source_name,
        "source_type": obj.source_type,
        "schema": obj.schema_name,
        "object_type": obj.object_type,
        "tags": list(obj.tags),
        "storage_format": obj.storage_format or None,
        "size_bytes": obj.size_bytes if obj.HasField("size_bytes") else None,
        "row_estimate": obj.row_estimate if obj.HasField("row_estimate") else None,
        "partitioned": obj.HasField("partitioning"),
        "deleted": obj.deleted,
        "deprecated": obj.HasField("deprecation"),
        "first_seen_at": _iso(obj, "first_seen_at"),
        "last_seen_at": _iso(obj, "last_seen_at"),
        "updated_at": _iso(obj, "updated_at"),
    }
    links = {
        "object": _path("/objects/{ref}", obj.ref),
        "source": _path("/sources/{ref}", obj.source_name),
    }
    return Section(available=True, details=details, links=links)


def structure(
    obj: cpb.CatalogObject,
    constraints: cpb.ListConstraintsResponse,
    indexes: cpb.ListIndexesResponse,
    versions: cpb.ListVersionsResponse,
) -> Section:
    kinds = Counter(c.constraint_type for c in constraints.items)
    latest = versions.items[0] if versions.items else None
    counts = {
        "columns": len(obj.columns),
        "constraints": len(constraints.items),
        "primary_keys": kinds["primary_key"],
        "foreign_keys": kinds["foreign_key"],
        "indexes": len(indexes.items),
        "versions": latest.version_number if latest else 0,
    }
    details = {
        "columns": [
            {"name": c.name, "data_type": c.data_type, "nullable": c.nullable} for c in obj.columns
        ],
        "latest_version": latest.version if latest else None,
    }
    links = {
        "columns": _path("/objects/{ref}/columns", obj.ref),
        "constraints": _path("/capsules/{ref}/constraints", obj.urn),
        "indexes": _path("/capsules/{ref}/indexes", obj.urn),
        "versions": _path("/capsules/{ref}/versions", obj.urn),
    }
    return Section(available=True, counts=counts, details=details, links=links)


def semantics(
    obj: cpb.CatalogObject,
    links: spb.ListTermLinksResponse,
    columns: spb.ListColumnSemanticsResponse,
) -> Section:
    defined = [c for c in columns.items if c.business_definition]
    claimed = [c for c in columns.items if _claims(c.effective)]
    counts = {
        "business_terms": len({t.term_id for t in links.items}),
        "term_links": len(links.items),
        "columns": len(columns.items),
        "columns_defined": len(defined),
        "columns_with_claims": len(claimed),
    }
    details = {
        "business_terms": sorted({t.term_name for t in links.items if not t.column}),
        "column_terms": {
            c: sorted({t.term_name for t in links.items if t.column == c})
            for c in sorted({t.column for t in links.items if t.column})
        },
        "columns": {
            c.column: {
                "business_definition": c.business_definition or None,
                "semantic_type": c.semantic_type or None,
                "unit_of_measure": c.unit_of_measure or None,
                "value_domain": c.value_domain or None,
                "claims": _claims(c.effective),
            }
            for c in columns.items
            if c.business_definition
            or c.semantic_type
            or c.unit_of_measure
            or c.value_domain
            or _claims(c.effective)
        },
    }
    section_links = {
        "business_terms": _path("/capsules/{ref}/business-terms", obj.urn),
        "columns": _path("/capsules/{ref}/columns", obj.urn),
    }
    return Section(available=True, counts=counts, details=details, links=section_links)


def quality(
    obj: cpb.CatalogObject,
    rules: qpb.ListQualityRulesResponse,
    score: qpb.QualityScore,
    profile: qpb.ProfileRun | None,
) -> Section:
    counts = {
        "rules": len(rules.items),
        "rules_enabled": sum(r.enabled for r in rules.items),
        "blocking_rules": sum(r.blocking for r in rules.items),
        "checks_counted": score.checks_counted,
    }
    details: dict[str, Any] = {
        "score": round(score.score, 2) if score.HasField("score") else None,
        "dimensions": {k: round(v, 2) for k, v in sorted(score.dimensions.items())},
        "score_as_of": _iso(score, "as_of"),
        "rule_types": dict(sorted(Counter(r.rule_type for r in rules.items).items())),
        "profile": _profile(profile) if profile else None,
    }
    links = {
        "rules": _path("/capsules/{ref}/quality-rules", obj.urn),
        "score": _path("/capsules/{ref}/quality-score", obj.urn),
    }
    if profile:
        links["profile"] = _path("/capsules/{ref}/profile", obj.urn)
    return Section(available=True, counts=counts, details=details, links=links)


def _profile(run: qpb.ProfileRun) -> dict[str, Any]:
    """The latest profile, its sample values as quality masked them for the caller."""
    columns = {}
    for col in run.columns:
        stats = MessageToDict(col.stats)
        columns[col.column] = {
            "null_percentage": stats.get("null_percentage"),
            "distinct_count": stats.get("distinct_count"),
            "most_common_values": list(stats.get("most_common_values", []))[:TOP_VALUES],
            "masked": list(col.masked),
        }
    return {
        "run_id": run.id,
        "row_count": run.row_count,
        "finished_at": _iso(run, "finished_at"),
        "columns": columns,
    }


def policy(
    obj: cpb.CatalogObject,
    classification: gpb.ObjectClassification,
    owners: gpb.ObjectOwners,
    policies: gpb.ListPoliciesResponse,
    masking: mpb.ListMaskingRulesResponse,
) -> Section:
    effective = classification.effective if classification.HasField("effective") else None
    counts = {
        "owners": len(owners.owners),
        "classified_columns": len(classification.columns),
        "policies": len(policies.items),
        "overdue_policies": sum(p.overdue for p in policies.items),
        "masking_rules": len(masking.items),
    }
    details = {
        "classification": effective.level if effective else None,
        "compliance": list(effective.compliance) if effective else [],
        "owners": [{"user": o.user, "role": o.role} for o in owners.owners],
        "domain": owners.domain or None,
        "masked_columns": sorted({r.column for r in masking.items if r.enabled}),
    }
    links = {
        "classification": _path("/classification/objects/{ref}", obj.urn),
        "owners": _path("/ownership/objects/{ref}", obj.urn),
        "policies": _path("/capsules/{ref}/policies", obj.urn),
        "masking_rules": "/masking-rules?object=" + quote(obj.urn, safe=".:"),
    }
    return Section(available=True, counts=counts, details=details, links=links)


def lineage(obj: cpb.CatalogObject, graph: cpb.GetLineageResponse) -> Section:
    upstream = {e.upstream_urn for e in graph.edges if e.downstream_urn == obj.urn}
    downstream = {e.downstream_urn for e in graph.edges if e.upstream_urn == obj.urn}
    refs = {e.upstream_urn: e.upstream_ref for e in graph.edges}
    refs.update({e.downstream_urn: e.downstream_ref for e in graph.edges})
    counts = {
        "upstream": len(upstream),
        "downstream": len(downstream),
        "column_edges": sum(bool(e.upstream_column) for e in graph.edges),
    }
    details = {
        "upstream": sorted(refs[u] for u in upstream),
        "downstream": sorted(refs[d] for d in downstream),
        "more": bool(graph.page.next_cursor),
    }
    links = {"lineage": _path("/objects/{ref}/lineage", obj.ref)}
    return Section(available=True, counts=counts, details=details, links=links)


def completeness(obj: cpb.CatalogObject, got: kpb.Completeness) -> Section:
    counts = {"columns": got.columns, "columns_defined": got.columns_defined}
    details = {
        "score": round(got.score, 2),
        "missing": list(got.missing),
        "not_yet_available": [i.name for i in got.items if not i.available],
    }
    links = {"completeness": _path("/capsules/{ref}/completeness", obj.urn)}
    return Section(available=True, counts=counts, details=details, links=links)


def contract() -> Section:
    return unavailable(CONTRACT_PENDING)


def _claims(claims: spb.ValueClaims) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if claims.HasField("min_value"):
        out["min_value"] = claims.min_value
    if claims.HasField("max_value"):
        out["max_value"] = claims.max_value
    if claims.allowed_values:
        out["allowed_values"] = list(claims.allowed_values)
    if claims.format_pattern:
        out["format_pattern"] = claims.format_pattern
    return out


def _iso(msg: Any, field: str) -> str | None:
    at = timestamp(msg, field)
    return at.isoformat() if at else None
