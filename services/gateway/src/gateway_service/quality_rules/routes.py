"""Quality rules per capsule or column, check runs with failing samples, the quality score and
rule suggestions from the latest profile (`/capsules/{urn}/quality-rules`, `/quality-rules`,
`/quality-checks`). `{urn}` is an object URN or a `source.schema.name` ref. Only translates
between REST and the quality service, which validates rule configs and checks roles
(custom_sql: admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from datacompass.quality.v1 import quality_rules_pb2 as pb
from gateway_service.core import patching
from gateway_service.core.convert import object_ref, page_of
from gateway_service.core.deps import Id, PageParams, QualityRules, Settings
from gateway_service.quality_rules import mappers as m
from gateway_service.quality_rules import schemas as s

router = APIRouter(tags=["quality rules"])


# ---------------------------------------------------------------- rules
@router.get(
    "/capsules/{urn:path}/quality-rules",
    response_model=s.QualityRuleList,
    summary="An object's quality rules (capsule and column rules)",
)
async def list_rules(
    urn: str,
    quality: QualityRules,
    column: Annotated[str | None, Query(description="only this column's rules")] = None,
) -> s.QualityRuleList:
    resp = await quality.ListQualityRules(
        pb.ListQualityRulesRequest(object=object_ref(urn), column=column or "")
    )
    return s.QualityRuleList(items=[m.rule(r) for r in resp.items])


@router.post(
    "/capsules/{urn:path}/quality-rules",
    response_model=s.QualityRule,
    status_code=201,
    summary="Add a quality rule",
    description="A bad `rule_config` is a 400 naming the key; `custom_sql` needs the admin role.",
)
async def create_rule(urn: str, body: s.QualityRuleCreate, quality: QualityRules) -> s.QualityRule:
    req = m.create_rule_request(body, object=object_ref(urn))
    return m.rule(await quality.CreateQualityRule(req))


@router.get("/quality-rules/{rule_id}", response_model=s.QualityRule, summary="Get a rule")
async def get_rule(rule_id: Id, quality: QualityRules) -> s.QualityRule:
    return m.rule(await quality.GetQualityRule(pb.GetQualityRuleRequest(id=rule_id)))


@router.patch(
    "/quality-rules/{rule_id}",
    response_model=s.QualityRule,
    summary="Change a rule (rule_config is replaced whole)",
)
async def update_rule(
    rule_id: Id, body: s.QualityRuleUpdate, quality: QualityRules
) -> s.QualityRule:
    changes = patching.changes(body, nullable={"description"})
    return m.rule(await quality.UpdateQualityRule(m.update_rule_request(changes, id=rule_id)))


@router.delete("/quality-rules/{rule_id}", status_code=204, summary="Delete a rule")
async def delete_rule(rule_id: Id, quality: QualityRules) -> Response:
    await quality.DeleteQualityRule(pb.DeleteQualityRuleRequest(id=rule_id))
    return Response(status_code=204)


# ---------------------------------------------------------------- suggestions
@router.get(
    "/capsules/{urn:path}/quality-rules/suggestions",
    response_model=s.RuleSuggestionList,
    summary="Rules the latest profile suggests (each with why, and whether it already exists)",
)
async def suggest_rules(urn: str, quality: QualityRules) -> s.RuleSuggestionList:
    resp = await quality.SuggestRules(pb.SuggestRulesRequest(object=object_ref(urn)))
    return s.RuleSuggestionList(
        items=[m.suggestion(x) for x in resp.items], profile_run_id=resp.profile_run_id or None
    )


@router.post(
    "/capsules/{urn:path}/quality-rules/suggestions/accept",
    response_model=s.AcceptedSuggestions,
    summary="Turn suggestions into rules (no keys: every suggestion not yet a rule)",
)
async def accept_suggestions(
    urn: str, quality: QualityRules, body: s.AcceptSuggestions | None = None
) -> s.AcceptedSuggestions:
    keys = body.keys if body else []
    req = pb.AcceptSuggestionsRequest(object=object_ref(urn), keys=keys)
    resp = await quality.AcceptSuggestions(req)
    return s.AcceptedSuggestions(
        created=[m.rule(r) for r in resp.created], skipped=list(resp.skipped)
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
async def run_checks(
    body: s.CheckRunCreate, quality: QualityRules, settings: Settings
) -> s.CheckRun:
    req = m.run_checks_request(body, object=object_ref(body.capsule))
    # Checks query the source: allow them as long as a waited-for scan.
    run = await quality.RunChecks(req, timeout=settings.scan_wait_timeout_seconds)
    return m.check_run(run)


@router.get("/quality-checks", response_model=s.CheckRunPage, summary="Check runs, newest first")
async def list_check_runs(
    quality: QualityRules,
    page: PageParams,
    capsule: Annotated[str | None, Query(description="only this object's (URN or ref)")] = None,
) -> s.CheckRunPage:
    resp = await quality.ListCheckRuns(
        pb.ListCheckRunsRequest(
            object=object_ref(capsule) if capsule else None, page=page.request()
        )
    )
    return page_of(s.CheckRunPage, resp, m.check_run)


@router.get(
    "/quality-checks/{run_id}", response_model=s.CheckRun, summary="A check run with its checks"
)
async def get_check_run(run_id: Id, quality: QualityRules) -> s.CheckRun:
    return m.check_run(await quality.GetCheckRun(pb.GetCheckRunRequest(id=run_id)))


@router.get(
    "/capsules/{urn:path}/quality-score",
    response_model=s.QualityScore,
    summary="Quality score (0-100) overall and per dimension, from the latest check run",
)
async def quality_score(urn: str, quality: QualityRules) -> s.QualityScore:
    req = pb.GetQualityScoreRequest(object=object_ref(urn))
    return m.score(await quality.GetQualityScore(req))
