"""NotifierService servicer: translates protobuf ↔ use cases, nothing more."""

from __future__ import annotations

from typing import Any, TypeAlias

import grpc

from datacompass.common.v1 import paging_pb2
from datacompass.notifier.v1 import notifier_pb2 as pb
from datacompass.notifier.v1 import notifier_pb2_grpc
from dckit.protoconv import from_struct
from notifier_service.api import mappers as m
from notifier_service.application.channels import ChannelUseCases
from notifier_service.application.rules import FIELDS, RuleUseCases
from notifier_service.domain.rules import DEFAULT_RATE_LIMIT_SECONDS

Ctx: TypeAlias = grpc.aio.ServicerContext


def _page(cursor: str) -> paging_pb2.PageResponse:
    return paging_pb2.PageResponse(next_cursor=cursor)


def _rule_fields(rule: pb.Rule | pb.CreateRuleRequest, names: tuple[str, ...]) -> dict[str, Any]:
    return {n: list(getattr(rule, n)) if n in _LISTS else getattr(rule, n) for n in names}


_LISTS = {"event_types", "object_refs", "source_names", "priorities", "channel_ids"}


class NotifierServicer(notifier_pb2_grpc.NotifierServiceServicer):
    def __init__(self, channels: ChannelUseCases, rules: RuleUseCases) -> None:
        self.channels, self.rules = channels, rules

    # ------------------------------------------------------------ channels
    async def CreateChannel(
        self, request: pb.CreateChannelRequest, context: Ctx
    ) -> pb.CreateChannelResponse:
        row, generated = await self.channels.create(
            request.name,
            request.channel_type,
            from_struct(request.config),
            request.enabled if request.HasField("enabled") else True,
        )
        return pb.CreateChannelResponse(channel=m.channel(row), generated_secret=generated)

    async def ListChannels(
        self, request: pb.ListChannelsRequest, context: Ctx
    ) -> pb.ListChannelsResponse:
        rows, cursor = await self.channels.page(
            request.channel_type, request.page.limit, request.page.cursor
        )
        return pb.ListChannelsResponse(items=[m.channel(r) for r in rows], page=_page(cursor))

    async def GetChannel(self, request: pb.GetChannelRequest, context: Ctx) -> pb.Channel:
        return m.channel(await self.channels.get(request.id))

    async def UpdateChannel(self, request: pb.UpdateChannelRequest, context: Ctx) -> pb.Channel:
        row = await self.channels.update(
            request.id,
            request.name if request.HasField("name") else None,
            from_struct(request.config) if request.HasField("config") else None,
            request.enabled if request.HasField("enabled") else None,
        )
        return m.channel(row)

    async def DeleteChannel(
        self, request: pb.DeleteChannelRequest, context: Ctx
    ) -> pb.DeleteChannelResponse:
        await self.channels.delete(request.id)
        return pb.DeleteChannelResponse()

    async def TestChannel(
        self, request: pb.TestChannelRequest, context: Ctx
    ) -> pb.TestChannelResponse:
        result = await self.channels.test(request.id)
        return pb.TestChannelResponse(
            ok=result.outcome.ok,
            response=result.outcome.response,
            error=result.outcome.error,
            latency_ms=result.latency_ms,
        )

    # ------------------------------------------------------------ rules
    async def CreateRule(self, request: pb.CreateRuleRequest, context: Ctx) -> pb.Rule:
        fields = _rule_fields(request, FIELDS)
        fields["enabled"] = request.enabled if request.HasField("enabled") else True
        fields["rate_limit_seconds"] = (
            request.rate_limit_seconds
            if request.HasField("rate_limit_seconds")
            else DEFAULT_RATE_LIMIT_SECONDS
        )
        return m.rule(await self.rules.create(fields))

    async def ListRules(self, request: pb.ListRulesRequest, context: Ctx) -> pb.ListRulesResponse:
        rows, cursor = await self.rules.page(request.page.limit, request.page.cursor)
        return pb.ListRulesResponse(items=[m.rule(r) for r in rows], page=_page(cursor))

    async def GetRule(self, request: pb.GetRuleRequest, context: Ctx) -> pb.Rule:
        return m.rule(await self.rules.get(request.id))

    async def UpdateRule(self, request: pb.UpdateRuleRequest, context: Ctx) -> pb.Rule:
        names = tuple(request.update_fields)
        unknown = [n for n in names if n not in FIELDS]
        changes = _rule_fields(request.rule, tuple(n for n in names if n in FIELDS))
        changes.update({n: None for n in unknown})  # the use case names them in its error
        return m.rule(await self.rules.update(request.id, changes))

    async def DeleteRule(
        self, request: pb.DeleteRuleRequest, context: Ctx
    ) -> pb.DeleteRuleResponse:
        await self.rules.delete(request.id)
        return pb.DeleteRuleResponse()

    # ------------------------------------------------------------ log
    async def ListLog(self, request: pb.ListLogRequest, context: Ctx) -> pb.ListLogResponse:
        rows, cursor = await self.channels.page_log(
            request.channel_id, request.status, request.event_type, request.delivery_id,
            request.page.limit, request.page.cursor,
        )  # fmt: skip
        return pb.ListLogResponse(items=[m.log_entry(r) for r in rows], page=_page(cursor))
