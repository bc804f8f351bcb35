"""NotifierService servicer: translates protobuf ↔ use cases, nothing more."""

from __future__ import annotations

from typing import TypeAlias

import grpc

from datacompass.common.v1 import paging_pb2
from datacompass.notifier.v1 import notifier_pb2 as pb
from datacompass.notifier.v1 import notifier_pb2_grpc
from dckit.protoconv import enum_text
from notifier_service.api import channels_mappers, deliveries_mappers, rules_mappers
from notifier_service.application.channels import ChannelUseCases
from notifier_service.application.deliveries import DeliveryLog
from notifier_service.application.rules import RuleUseCases

Ctx: TypeAlias = grpc.aio.ServicerContext


def _page(cursor: str) -> paging_pb2.PageResponse:
    return paging_pb2.PageResponse(next_cursor=cursor)


class NotifierServicer(notifier_pb2_grpc.NotifierServiceServicer):
    def __init__(self, channels: ChannelUseCases, rules: RuleUseCases, log: DeliveryLog) -> None:
        self.channels, self.rules, self.log = channels, rules, log

    # ------------------------------------------------------------ channels
    async def CreateChannel(
        self, request: pb.CreateChannelRequest, context: Ctx
    ) -> pb.CreateChannelResponse:
        made, secret = await self.channels.create(**channels_mappers.create_args(request))
        return channels_mappers.created(made, secret)

    async def ListChannels(
        self, request: pb.ListChannelsRequest, context: Ctx
    ) -> pb.ListChannelsResponse:
        found, cursor = await self.channels.page(
            channel_type=request.channel_type, limit=request.page.limit, cursor=request.page.cursor
        )
        items = [channels_mappers.channel(c) for c in found]
        return pb.ListChannelsResponse(items=items, page=_page(cursor))

    async def GetChannel(self, request: pb.GetChannelRequest, context: Ctx) -> pb.Channel:
        return channels_mappers.channel(await self.channels.get(request.id))

    async def UpdateChannel(self, request: pb.UpdateChannelRequest, context: Ctx) -> pb.Channel:
        changed = await self.channels.update(request.id, channels_mappers.changes(request))
        return channels_mappers.channel(changed)

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
        return rules_mappers.rule(await self.rules.create(rules_mappers.spec(request)))

    async def ListRules(self, request: pb.ListRulesRequest, context: Ctx) -> pb.ListRulesResponse:
        found, cursor = await self.rules.page(limit=request.page.limit, cursor=request.page.cursor)
        return pb.ListRulesResponse(
            items=[rules_mappers.rule(r) for r in found], page=_page(cursor)
        )

    async def GetRule(self, request: pb.GetRuleRequest, context: Ctx) -> pb.Rule:
        return rules_mappers.rule(await self.rules.get(request.id))

    async def UpdateRule(self, request: pb.UpdateRuleRequest, context: Ctx) -> pb.Rule:
        changed = await self.rules.update(request.id, rules_mappers.changes(request))
        return rules_mappers.rule(changed)

    async def DeleteRule(
        self, request: pb.DeleteRuleRequest, context: Ctx
    ) -> pb.DeleteRuleResponse:
        await self.rules.delete(request.id)
        return pb.DeleteRuleResponse()

    # ------------------------------------------------------------ log
    async def ListLog(self, request: pb.ListLogRequest, context: Ctx) -> pb.ListLogResponse:
        found, cursor = await self.log.page(
            channel_id=request.channel_id,
            status=enum_text(pb.AttemptStatus.DESCRIPTOR, request.status),
            event_type=request.event_type,
            delivery_id=request.delivery_id,
            limit=request.page.limit,
            cursor=request.page.cursor,
        )
        items = [deliveries_mappers.log_entry(e) for e in found]
        return pb.ListLogResponse(items=items, page=_page(cursor))
