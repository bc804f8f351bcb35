"""Notification channels, subscription rules and the delivery log
(`/api/v1/notifications/...`). Only translates between REST and the notifier service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from google.protobuf.field_mask_pb2 import FieldMask

from datacompass.notifier.v1 import notifier_pb2 as pb
from gateway_service.core import patching
from gateway_service.core.convert import INT64_MAX, enum_value, page_of
from gateway_service.core.deps import Id, Notifier, PageParams
from gateway_service.notifications import mappers as m
from gateway_service.notifications import schemas as s

router = APIRouter(prefix="/notifications", tags=["notifications"])


# ---------------------------------------------------------------- channels
@router.post("/channels", response_model=s.CreatedChannel, status_code=201, summary="Add a channel")
async def create_channel(body: s.ChannelCreate, notifier: Notifier) -> s.CreatedChannel:
    return m.created_channel(await notifier.CreateChannel(m.create_channel_request(body)))


@router.get("/channels", response_model=s.ChannelPage, summary="List channels")
async def list_channels(
    notifier: Notifier,
    page: PageParams,
    channel_type: Annotated[s.ChannelType | None, Query()] = None,
) -> s.ChannelPage:
    resp = await notifier.ListChannels(
        pb.ListChannelsRequest(channel_type=channel_type or "", page=page.request())
    )
    return page_of(s.ChannelPage, resp, m.channel)


@router.get("/channels/{channel_id}", response_model=s.Channel, summary="Get a channel")
async def get_channel(channel_id: Id, notifier: Notifier) -> s.Channel:
    return m.channel(await notifier.GetChannel(pb.GetChannelRequest(id=channel_id)))


@router.patch("/channels/{channel_id}", response_model=s.Channel, summary="Change a channel")
async def update_channel(channel_id: Id, body: s.ChannelUpdate, notifier: Notifier) -> s.Channel:
    changes = patching.changes(body)
    req = pb.UpdateChannelRequest(
        id=channel_id,
        channel=m.channel_changes(changes),
        update_mask=FieldMask(paths=list(changes)),
    )
    return m.channel(await notifier.UpdateChannel(req))


@router.delete("/channels/{channel_id}", status_code=204, summary="Delete a channel")
async def delete_channel(channel_id: Id, notifier: Notifier) -> Response:
    await notifier.DeleteChannel(pb.DeleteChannelRequest(id=channel_id))
    return Response(status_code=204)


@router.post(
    "/channels/{channel_id}/test",
    response_model=s.ChannelTest,
    summary="Send a test message now (also written to the log)",
)
async def test_channel(channel_id: Id, notifier: Notifier) -> s.ChannelTest:
    return m.channel_test(await notifier.TestChannel(pb.TestChannelRequest(id=channel_id)))


# ---------------------------------------------------------------- rules
@router.post("/rules", response_model=s.Rule, status_code=201, summary="Add a subscription rule")
async def create_rule(body: s.RuleCreate, notifier: Notifier) -> s.Rule:
    return m.rule(await notifier.CreateRule(m.create_rule_request(body)))


@router.get("/rules", response_model=s.RulePage, summary="List subscription rules")
async def list_rules(notifier: Notifier, page: PageParams) -> s.RulePage:
    resp = await notifier.ListRules(pb.ListRulesRequest(page=page.request()))
    return page_of(s.RulePage, resp, m.rule)


@router.get("/rules/{rule_id}", response_model=s.Rule, summary="Get a rule")
async def get_rule(rule_id: Id, notifier: Notifier) -> s.Rule:
    return m.rule(await notifier.GetRule(pb.GetRuleRequest(id=rule_id)))


@router.patch("/rules/{rule_id}", response_model=s.Rule, summary="Change a rule")
async def update_rule(rule_id: Id, body: s.RuleUpdate, notifier: Notifier) -> s.Rule:
    changes = patching.changes(body)
    req = pb.UpdateRuleRequest(
        id=rule_id, rule=m.rule_changes(changes), update_mask=FieldMask(paths=list(changes))
    )
    return m.rule(await notifier.UpdateRule(req))


@router.delete("/rules/{rule_id}", status_code=204, summary="Delete a rule")
async def delete_rule(rule_id: Id, notifier: Notifier) -> Response:
    await notifier.DeleteRule(pb.DeleteRuleRequest(id=rule_id))
    return Response(status_code=204)


# ---------------------------------------------------------------- log
@router.get("/log", response_model=s.LogPage, summary="Every delivery attempt, newest first")
async def delivery_log(
    notifier: Notifier,
    page: PageParams,
    channel_id: Annotated[int | None, Query(ge=1, le=INT64_MAX)] = None,
    status: Annotated[str | None, Query(description="sent, retrying or dead")] = None,
    event_type: Annotated[str | None, Query()] = None,
) -> s.LogPage:
    resp = await notifier.ListLog(
        pb.ListLogRequest(
            channel_id=channel_id or 0,
            status=enum_value(pb.AttemptStatus.DESCRIPTOR, status, "status"),
            event_type=event_type or "",
            page=page.request(),
        )
    )
    return page_of(s.LogPage, resp, m.log_entry)
