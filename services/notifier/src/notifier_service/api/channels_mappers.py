"""Channels: domain records → protobuf, requests → use case arguments."""

from __future__ import annotations

from typing import Any

from datacompass.notifier.v1 import notifier_pb2 as pb
from dckit.protoconv import ProtoFrom, from_proto, masked
from notifier_service.domain.channels import UPDATABLE, Channel

channel = ProtoFrom(pb.Channel, Channel)


def create_args(request: pb.CreateChannelRequest) -> dict[str, Any]:
    """Unset optional fields take the use case's defaults."""
    names = ("name", "channel_type", "config", "enabled")
    return from_proto(request, names, only_set=True)


def changes(request: pb.UpdateChannelRequest) -> dict[str, Any]:
    return masked(request.channel, request.update_mask, UPDATABLE)


def created(made: Channel, generated_secret: str) -> pb.CreateChannelResponse:
    return pb.CreateChannelResponse(channel=channel(made), generated_secret=generated_secret)
