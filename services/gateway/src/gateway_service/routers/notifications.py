"""Notification channels, subscription rules and the delivery log
(`/api/v1/notifications/...`). Only translates between REST and the notifier service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from datacompass.notifier.v1 import notifier_pb2 as pb
from gateway_service import mappers as m
from gateway_service import mappers_notify as nm
from gateway_service import patching
from gateway_service import schemas_notify as s
from gateway_service.deps import Notifier, PageParams

router = APIRouter(prefix="/notifications", tags=["notifications"])
Id = Annotated[int, Path(ge=1, le=m.INT64_MAX)]


# ---------------------------------------------------------------- channels
@router.post("/channels", response_model=s.CreatedChannel, status_code=201, summary="Add a channel")
async def create_channel(body: s.ChannelCreate, notifier: Notifier) -> s.CreatedChannel:
    resp = await notifier.CreateChannel(
        pb.CreateChannelRequest(
            name=body.name,
            channel_type=body.channel_type,
            config=m.to_struct(body.config, "config"),
            enabled=body.enabled,
        )
    )
    return nm.created_channel(resp)


@router.get("/channels", response_model=s.ChannelPage, summary="List channels")
async def list_channels(
    notifier: Notifier,
    page: PageParams,
    channel_type: Annotated[s.ChannelType | None, Query()] = None,
) -> s.ChannelPage:
    resp = await notifier.ListChannels(
        pb.ListChannelsRequest(
            channel_type=channel_type or "", page=m.page_request(page.limit, page.cursor)
        )
    )
    return s.ChannelPage(
        items=[nm.channel(c) for c in resp.items], next_cursor=m.next_cursor(resp.page)
    )


@router.get("/channels/{channel_id}", response_model=s.Channel, summary="Get a channel")
async def get_channel(channel_id: Id, notifier: Notifier) -> s.Channel:
    return nm.channel(await notifier.GetChannel(pb.GetChannelRequest(id=channel_id)))


@router.patch("/channels/{channel_id}", response_model=s.Channel, summary="Change a channel")
async def update_channel(channel_id: Id, body: s.ChannelUpdate, notifier: Notifier) -> s.Channel:
    changes = patching.changes(body)
    req = pb.UpdateChannelRequest(id=channel_id)
    if "name" in changes:
        req.name = str(changes["name"])
    if "enabled" in changes:
        req.enabled = bool(changes["enabled"])
    if "config" in changes:
        req.config.CopyFrom(m.to_struct(body.config or {}, "config"))
    return nm.channel(await notifier.UpdateChannel(req))


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
    resp = await notifier.TestChannel(pb.TestChannelRequest(id=channel_id))
    return s.ChannelTest(
        ok=resp.ok,
        response=m.optional(resp.response),
        error=m.optional(resp.error),
        latency_ms=resp.latency_ms,
    )


# ---------------------------------------------------------------- rules
@router.post("/rules", response_model=s.Rule, status_code=201, summary="Add a subscription rule")
async def create_rule(body: s.RuleCreate, notifier: Notifier) -> s.Rule:
    req = pb.CreateRuleRequest(
        name=body.name,
        event_types=body.event_types,
        object_refs=body.object_refs,
        source_names=body.source_names,
        priorities=body.priorities,
        channel_ids=body.channel_ids,
        enabled=body.enabled,
        rate_limit_seconds=body.rate_limit_seconds,
        include_non_breaking=body.include_non_breaking,
    )
    return nm.rule(await notifier.CreateRule(req))


@router.get("/rules", response_model=s.RulePage, summary="List subscription rules")
async def list_rules(notifier: Notifier, page: PageParams) -> s.RulePage:
    resp = await notifier.ListRules(
        pb.ListRulesRequest(page=m.page_request(page.limit, page.cursor))
    )
    return s.RulePage(items=[nm.rule(r) for r in resp.items], next_cursor=m.next_cursor(resp.page))


@router.get("/rules/{rule_id}", response_model=s.Rule, summary="Get a rule")
async def get_rule(rule_id: Id, notifier: Notifier) -> s.Rule:
    return nm.rule(await notifier.GetRule(pb.GetRuleRequest(id=rule_id)))


@router.patch("/rules/{rule_id}", response_model=s.Rule, summary="Change a rule")
async def update_rule(rule_id: Id, body: s.RuleUpdate, notifier: Notifier) -> s.Rule:
    changes = patching.changes(body)
    rule = pb.Rule(**changes)
    req = pb.UpdateRuleRequest(id=rule_id, rule=rule, update_fields=list(changes))
    return nm.rule(await notifier.UpdateRule(req))


@router.delete("/rules/{rule_id}", status_code=204, summary="Delete a rule")
async def delete_rule(rule_id: Id, notifier: Notifier) -> Response:
    await notifier.DeleteRule(pb.DeleteRuleRequest(id=rule_id))
    return Response(status_code=204)


# ---------------------------------------------------------------- log
@router.get("/log", response_model=s.LogPage, summary="Every delivery attempt, newest first")
async def delivery_log(
    notifier: Notifier,
    page: PageParams,
    channel_id: Annotated[int | None, Query(ge=1, le=m.INT64_MAX)] = None,
    status: Annotated[str | None, Query(description="sent, retrying or dead")] = None,
    event_type: Annotated[str | None, Query()] = None,
) -> s.LogPage:
    resp = await notifier.ListLog(
        pb.ListLogRequest(
            channel_id=channel_id or 0,
            status=status or "",
            event_type=event_type or "",
            page=m.page_request(page.limit, page.cursor),
        )
    )
    return s.LogPage(
        items=[nm.log_entry(e) for e in resp.items], next_cursor=m.next_cursor(resp.page)
    )
