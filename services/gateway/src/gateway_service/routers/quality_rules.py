"""Quality rules per capsule or column, check runs with failing samples, the quality score and
rule suggestions from the latest profile (`/capsules/{urn}/quality-rules`, `/quality-rules`,
`/quality-checks`). `{urn}` is an object URN or a `source.schema.name` ref. Only translates
between REST and the quality service, which validates rule configs and checks roles
(custom_sql: admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from datacompass.quality.v1 import checks_pb2 as pb
from gateway_service import mappers as m
from gateway_service import mappers_quality as qm
from gateway_service import patching
from gateway_service import schemas_quality as s
from gateway_service.deps import PageParams, Quality, Settings

router = APIRouter(tags=["quality rules"])
Id = Annotated[int, Path(ge=1, le=m.INT64_MAX)]


# ---------------------------------------------------------------- rules
@router.get(
    "/capsules/{urn:path}/quality-rules",
    response_model=s.QualityRuleList,
    summary="An object's quality rules (capsule and column rules)",
)
async def list_rules(
    urn: str,
    quality: Quality,
    column: Annotated[str | None, Query(description="only this column's rules")] = None,
) -> s.QualityRuleList:
    resp = await quality.ListQualityRules(
        pb.ListQualityRulesRequest(object_ref=urn, column=column or "")
    )
    return s.QualityRuleList(items=[qm.rule(r) for r in resp.items])


@router.post(
    "/capsules/{urn:path}/quality-rules",
    response_model=s.QualityRule,
    status_code=201,
    summary="Add a quality rule",
    description="A bad `rule_config` is a 400 naming the key; `custom_sql` needs the admin role.",
)
async def create_rule(urn: str, body: s.QualityRuleCreate, quality: Quality) -> s.QualityRule:
    req = pb.CreateQualityRuleRequest(
        object_ref=urn,
        column=body.column or "",
        name=body.name or "",
        rule_type=body.rule_type,
        config=m.to_struct(body.rule_config, "rule_config"),
        severity=body.severity,
        blocking=body.blocking,
        enabled=body.enabled,
        description=body.description,
    )
    return qm.rule(await quality.CreateQualityRule(req))


@router.get("/quality-rules/{rule_id}", response_model=s.QualityRule, summary="Get a rule")
async def get_rule(rule_id: Id, quality: Quality) -> s.QualityRule:
    return qm.rule(await quality.GetQualityRule(pb.GetQualityRuleRequest(id=rule_id)))


@router.patch(
    "/quality-rules/{rule_id}",
    response_model=s.QualityRule,
    summary="Change a rule (rule_config is replaced whole)",
)
async def update_rule(rule_id: Id, body: s.QualityRuleUpdate, quality: Quality) -> s.QualityRule:
    changes = patching.changes(body, nullable={"description"})
    req = pb.UpdateQualityRuleRequest(id=rule_id)
    if "rule_config" in changes:
        req.config.CopyFrom(m.to_struct(changes.pop("rule_config"), "rule_config"))
    if "description" in changes:
        changes["description"] = changes["description"] or ""
    for field, value in changes.items():
        setattr(req, field, value)
    return qm.rule(await quality.UpdateQualityRule(req))


@router.delete("/quality-rules/{rule_id}", status_code=204, summary="Delete a rule")
async def delete_rule(rule_id: Id, quality: Quality) -> Response:
    await quality.DeleteQualityRule(pb.DeleteQualityRuleRequest(id=rule_id))
    return Response(status_code=204)


# ---------------------------------------------------------------- suggestions
@router.get(
    "/capsules/{urn:path}/quality-rules/suggestions",
    response_model=s.RuleSuggestionList,
    summary="Rules the latest profile suggests (each with why, and whether it already exists)",
)
async def suggest_rules(urn: str, quality: Quality) -> s.RuleSuggestionList:
    resp = await quality.SuggestRules(pb.SuggestRulesRequest(object_ref=urn))
    return s.RuleSuggestionList(
        items=[qm.suggestion(x) for x in resp.items], profile_run_id=resp.profile_run_id or None
    )


@router.post(
    "/capsules/{urn:path}/quality-rules/suggestions/accept",
    response_model=s.AcceptedSuggestions,
    summary="Turn suggestions into rules (no keys: every suggestion not yet a rule)",
)
async def accept_suggestions(
    urn: str, quality: Quality, body: s.AcceptSuggestions | None = None
) -> s.AcceptedSuggestions:
    keys = body.keys if body else []
    resp = await quality.AcceptSuggestions(pb.AcceptSuggestionsRequest(object_ref=urn, keys=keys))
    return s.AcceptedSuggestions(
        created=[qm.rule(r) for r in resp.created], skipped=list(resp.skipped)
    )


# ---------------------------------------------------------------- checks
@router.post(
    "/quality-checks",
    response_model=s.CheckRun,
    status_code=201,
    summary="Run an object's quality rules now; answers with the finished run",
    description="Every enabled rule of the object, or `rule_ids`. Each check carries its "
    "measured and expected values, failure count and a sample of failing rows.",
)
async def run_checks(body: s.CheckRunCreate, quality: Quality, settings: Settings) -> s.CheckRun:
    req = pb.RunChecksRequest(
        object_ref=body.capsule,
        rule_ids=body.rule_ids,
        sample_limit=body.sample_limit or 0,
    )
    if body.execution_context is not None:
        req.execution_context.CopyFrom(m.to_struct(body.execution_context, "execution_context"))
    # Checks query the source: allow them as long as a waited-for scan.
    run = await quality.RunChecks(req, timeout=settings.scan_wait_timeout_seconds)
    return qm.check_run(run)


@router.get("/quality-checks", response_model=s.CheckRunPage, summary="Check runs, newest first")
async def list_check_runs(
    quality: Quality,
    page: PageParams,
    capsule: Annotated[str | None, Query(description="only this object's (URN or ref)")] = None,
) -> s.CheckRunPage:
    resp = await quality.ListCheckRuns(
        pb.ListCheckRunsRequest(
            object_ref=capsule or "", page=m.page_request(page.limit, page.cursor)
        )
    )
    return s.CheckRunPage(
        items=[qm.check_run(r) for r in resp.items], next_cursor=m.next_cursor(resp.page)
    )


@router.get(
    "/quality-checks/{run_id}", response_model=s.CheckRun, summary="A check run with its checks"
)
async def get_check_run(run_id: Id, quality: Quality) -> s.CheckRun:
    return qm.check_run(await quality.GetCheckRun(pb.GetCheckRunRequest(id=run_id)))


@router.get(
    "/capsules/{urn:path}/quality-score",
    response_model=s.QualityScore,
    summary="Quality score (0-100) overall and per dimension, from the latest check run",
)
async def quality_score(urn: str, quality: Quality) -> s.QualityScore:
    return qm.score(await quality.GetQualityScore(pb.GetQualityScoreRequest(object_ref=urn)))
