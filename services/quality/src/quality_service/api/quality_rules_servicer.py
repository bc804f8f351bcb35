"""QualityRulesService: the quality rules subsystem's RPCs (rules, check runs and the quality
score, column profiles, rule suggestions). Translates protobuf ↔ use cases, nothing more. The
caller's name and role come from the request context the gateway sends (the role decides the
masking of sample values and who may manage custom SQL)."""

from __future__ import annotations

from typing import TypeAlias

import grpc

from datacompass.common.v1 import paging_pb2
from datacompass.quality.v1 import quality_rules_pb2 as pb
from datacompass.quality.v1 import quality_rules_pb2_grpc
from dckit import context as request_context
from dckit.protoconv import from_struct
from dckit.summary import gather_parts, optional
from quality_service.api import profiles_mappers as profiles_m
from quality_service.api import quality_checks_mappers as checks_m
from quality_service.api import quality_rules_mappers as rules_m
from quality_service.api.object_names import named_object, object_name
from quality_service.application.profiles import ProfileUseCases
from quality_service.application.quality_checks import CheckRunUseCases
from quality_service.application.quality_rules import QualityRuleUseCases

Ctx: TypeAlias = grpc.aio.ServicerContext


def _role() -> str:
    return request_context.current().role


class QualityRulesServicer(quality_rules_pb2_grpc.QualityRulesServiceServicer):
    def __init__(
        self, rules: QualityRuleUseCases, checks: CheckRunUseCases, profiles: ProfileUseCases
    ) -> None:
        self.rules, self.checks, self.profiles = rules, checks, profiles

    # ------------------------------------------------------------ rules
    async def CreateQualityRule(
        self, request: pb.CreateQualityRuleRequest, context: Ctx
    ) -> pb.QualityRule:
        caller = request_context.current()
        if request.validate_only:
            spec = rules_m.rule_spec(request)
            checked = await self.rules.check_new(named_object(request), spec, caller.role)
            return rules_m.checked_rule(checked, spec)
        row = await self.rules.create(
            named_object(request), rules_m.rule_spec(request), actor=caller.actor, role=caller.role
        )
        return rules_m.rule(row)

    async def ListQualityRules(
        self, request: pb.ListQualityRulesRequest, context: Ctx
    ) -> pb.ListQualityRulesResponse:
        rows = await self.rules.of_object(
            object_name(request.object), column=request.column, role=_role()
        )
        return pb.ListQualityRulesResponse(items=[rules_m.rule(r) for r in rows])

    async def GetQualityRule(
        self, request: pb.GetQualityRuleRequest, context: Ctx
    ) -> pb.QualityRule:
        return rules_m.rule(await self.rules.get(request.id, _role()))

    async def UpdateQualityRule(
        self, request: pb.UpdateQualityRuleRequest, context: Ctx
    ) -> pb.QualityRule:
        changes = rules_m.rule_changes(request)
        return rules_m.rule(await self.rules.update(request.id, changes, _role()))

    async def DeleteQualityRule(
        self, request: pb.DeleteQualityRuleRequest, context: Ctx
    ) -> pb.DeleteQualityRuleResponse:
        await self.rules.delete(request.id, _role())
        return pb.DeleteQualityRuleResponse()

    # ------------------------------------------------------------ checks
    async def RunChecks(self, request: pb.RunChecksRequest, context: Ctx) -> pb.CheckRun:
        caller = request_context.current()
        view = await self.checks.run(
            named_object(request),
            list(request.rule_ids),
            execution_context=from_struct(request.execution_context),
            sample_limit=request.sample_limit,
            actor=caller.actor,
            role=caller.role,
        )
        return checks_m.check_run(view)

    async def GetCheckRun(self, request: pb.GetCheckRunRequest, context: Ctx) -> pb.CheckRun:
        return checks_m.check_run(await self.checks.get(request.id, _role()))

    async def ListCheckRuns(
        self, request: pb.ListCheckRunsRequest, context: Ctx
    ) -> pb.ListCheckRunsResponse:
        views, cursor = await self.checks.page(
            named_object(request), request.page.limit, request.page.cursor
        )
        return pb.ListCheckRunsResponse(
            items=[checks_m.check_run(v) for v in views],
            page=paging_pb2.PageResponse(next_cursor=cursor),
        )

    async def GetQualityScore(
        self, request: pb.GetQualityScoreRequest, context: Ctx
    ) -> pb.QualityScore:
        return checks_m.score(await self.checks.score(object_name(request.object)))

    async def GetCapsuleQuality(
        self, request: pb.GetCapsuleQualityRequest, context: Ctx
    ) -> pb.CapsuleQuality:
        """Every part as its own RPC answers it, the parts at once."""
        ref = request.object
        parts = await gather_parts(
            {
                "rules": self.ListQualityRules(pb.ListQualityRulesRequest(object=ref), context),
                "score": self.GetQualityScore(pb.GetQualityScoreRequest(object=ref), context),
                "profile": optional(
                    self.GetObjectProfile(pb.GetObjectProfileRequest(object=ref), context)
                ),
            }
        )
        return pb.CapsuleQuality(**parts)

    # ------------------------------------------------------------ profiles
    async def StartProfile(self, request: pb.StartProfileRequest, context: Ctx) -> pb.ProfileRun:
        caller = request_context.current()
        view = await self.profiles.start(
            named_object(request),
            list(request.columns),
            sample_rows=request.sample_rows,
            wait=request.wait,
            actor=caller.actor,
            role=caller.role,
        )
        return profiles_m.profile_run(view)

    async def GetProfileRun(self, request: pb.GetProfileRunRequest, context: Ctx) -> pb.ProfileRun:
        return profiles_m.profile_run(await self.profiles.get_run(request.id, _role()))

    async def GetObjectProfile(
        self, request: pb.GetObjectProfileRequest, context: Ctx
    ) -> pb.ProfileRun:
        view = await self.profiles.latest(object_name(request.object), _role())
        return profiles_m.profile_run(view)

    async def GetColumnProfile(
        self, request: pb.GetColumnProfileRequest, context: Ctx
    ) -> pb.ColumnProfile:
        view = await self.profiles.column(
            object_name(request.object), column=request.column, role=_role()
        )
        return profiles_m.column_profile(view.columns[0], view.masked)

    async def ListColumnProfiles(
        self, request: pb.ListColumnProfilesRequest, context: Ctx
    ) -> pb.ListColumnProfilesResponse:
        view = await self.profiles.column(
            object_name(request.object),
            column=request.column,
            role=_role(),
            limit=request.limit or 20,
        )
        return pb.ListColumnProfilesResponse(
            items=[profiles_m.column_profile(c, view.masked) for c in view.columns]
        )

    # ------------------------------------------------------------ suggestions
    async def SuggestRules(
        self, request: pb.SuggestRulesRequest, context: Ctx
    ) -> pb.SuggestRulesResponse:
        items, run_id = await self.profiles.suggestions(object_name(request.object), _role())
        return pb.SuggestRulesResponse(
            items=[profiles_m.suggestion(i) for i in items], profile_run_id=run_id
        )

    async def AcceptSuggestions(
        self, request: pb.AcceptSuggestionsRequest, context: Ctx
    ) -> pb.AcceptSuggestionsResponse:
        caller = request_context.current()
        created, skipped = await self.profiles.accept(
            object_name(request.object), list(request.keys), actor=caller.actor, role=caller.role
        )
        return pb.AcceptSuggestionsResponse(
            created=[rules_m.rule(r) for r in created], skipped=skipped
        )
