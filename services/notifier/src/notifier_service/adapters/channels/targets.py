"""Where notifications may be sent (SSRF guard): a channel's host is resolved and every address
it resolves to must be public, unless it is listed in `allowed_private_targets` (a host name,
an address or a network) or is loopback with `allow_loopback_targets` (development). Without
this an admin's webhook or SMTP host could reach the cluster's internal services or the cloud
metadata endpoint (169.254.169.254).

The check runs right before each send; the HTTP client resolves the name once more, so a DNS
answer that changes between the two (rebinding) is not covered: list internal names you trust
instead of relying on DNS for them."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable

IP = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class TargetRefused(Exception):
    """The host resolves to an address notifications may not be sent to."""


class TargetGuard:
    def __init__(self, *, allow_loopback: bool, allowed: Iterable[str] = ()) -> None:
        self.allow_loopback = allow_loopback
        self.hosts: set[str] = set()
        self.networks: list[Network] = []
        for entry in allowed:
            try:
                self.networks.append(ipaddress.ip_network(entry.strip(), strict=False))
            except ValueError:
                self.hosts.add(entry.strip().lower().rstrip("."))

    def allows_address(self, ip: IP) -> bool:
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if any(ip in net for net in self.networks):
            return True
        if ip.is_loopback:
            return self.allow_loopback
        return ip.is_global and not ip.is_multicast

    async def check(self, host: str, port: int) -> None:
        """TargetRefused naming the host and the address; an unresolvable host passes (the
        connection then fails as it would anyway)."""
        name = host.strip().lower().rstrip(".").strip("[]")
        if name in self.hosts:
            return
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                name, port, type=socket.SOCK_STREAM
            )
        except (socket.gaierror, UnicodeError):
            return
        for info in infos:
            ip = ipaddress.ip_address(str(info[4][0]).split("%")[0])
            if not self.allows_address(ip):
                kind = "loopback" if ip.is_loopback else "private, link-local or reserved"
                raise TargetRefused(
                    f"{host} resolves to {ip} ({kind}); notifications go to public addresses "
                    "only (allow it with DATACOMPASS_NOTIFIER_ALLOWED_PRIVATE_TARGETS)"
                )
