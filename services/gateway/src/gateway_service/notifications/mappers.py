"""Notifier messages ↔ REST models."""

from __future__ import annotations

from datacompass.notifier.v1 import notifier_pb2 as pb
from gateway_service.core.convert import FromProto, ToProto
from gateway_service.notifications import schemas as s

channel = FromProto(s.Channel, pb.Channel)
created_channel = FromProto(s.CreatedChannel, pb.CreateChannelResponse, flatten={"channel"})
channel_test = FromProto(s.ChannelTest, pb.TestChannelResponse)
rule = FromProto(s.Rule, pb.Rule)
log_entry = FromProto(s.LogEntry, pb.LogEntry)

create_channel_request = ToProto(pb.CreateChannelRequest, s.ChannelCreate)
channel_changes = ToProto(pb.Channel, s.ChannelUpdate)
create_rule_request = ToProto(pb.CreateRuleRequest, s.RuleCreate)
rule_changes = ToProto(pb.Rule, s.RuleUpdate)
