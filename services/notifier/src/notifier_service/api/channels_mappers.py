"""Channels: domain records → protobuf, requests → use case arguments."""

from __future__ import annotations

from typing import Any

from datacompass.notifier.v1 import notifier_pb2 as pb
from dckit.protoconv import mask_changes, message_values, to_message
from notifier_service.domain.channels import UPDATABLE, Channel, public_view


def channel(value: Channel) -> pb.Channel:
    """Header values and URL credentials redacted, for every caller."""
    return to_message(pb.Channel, public_view(value), complete=True)


def create_args(request: pb.CreateChannelRequest) -> dict[str, Any]:
    """Unset optional fields take the use case's defaults."""
    names = ("name", "channel_type", "config", "enabled")
    return message_values(request, names, only_set=True)


def changes(request: pb.UpdateChannelRequest) -> dict[str, Any]:
    return mask_changes(request.channel, request.update_mask, UPDATABLE)


def created(made: Channel, generated_secret: str) -> pb.CreateChannelResponse:
    return pb.CreateChannelResponse(channel=channel(made), generated_secret=generated_secret)
