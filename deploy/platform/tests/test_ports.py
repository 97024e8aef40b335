"""The local platform's ports stay clear of the ports the kernel hands out to outgoing connections.

A listening port inside the ephemeral range can be taken at any moment by a client socket (a Kafka
connection, a test's own channel), and the service then fails to bind at start-up.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from doudi_platform.ports import PROMETHEUS_PORT, PortPlan

LINUX_DEFAULT_EPHEMERAL = range(32768, 61000)
#: The offsets the repository's own tests and `make run` use.
OFFSETS_IN_USE = (0, 3000, 5000, 11000)


def kernel_ephemeral_range() -> range:
    source = Path("/proc/sys/net/ipv4/ip_local_port_range")
    if not source.exists():
        return LINUX_DEFAULT_EPHEMERAL
    low, high = (int(part) for part in source.read_text().split())
    return range(low, high + 1)


@pytest.mark.parametrize("offset", OFFSETS_IN_USE)
@pytest.mark.parametrize(
    "ephemeral", [LINUX_DEFAULT_EPHEMERAL, kernel_ephemeral_range()], ids=["default", "kernel"]
)
def test_no_platform_port_lies_in_the_ephemeral_range(offset: int, ephemeral: range) -> None:
    plan = PortPlan(offset)
    inside = [(port, name) for port, name in plan.named() if port in ephemeral]
    inside += [(plan.prometheus, "prometheus")] if plan.prometheus in ephemeral else []
    assert inside == [], f"offset {offset}: {inside} can collide with outgoing connections"


def test_every_named_port_is_distinct() -> None:
    ports = [port for port, _ in PortPlan(0).named()] + [PROMETHEUS_PORT]
    assert len(ports) == len(set(ports))
