"""Every loopback port the local platform uses, by name, and a check that they are free."""

from __future__ import annotations

import socket
from dataclasses import dataclass

HOST = "127.0.0.1"

BROKER_PORT = 9092
GATEWAY_HTTP_PORT = 8080
#: Only with `run --prometheus` (`make run PROMETHEUS=1`).
PROMETHEUS_PORT = 9090

SERVICES: tuple[str, ...] = (
    "intake",
    "verification",
    "eligibility",
    "disbursement",
    "care",
    "dispatch",
    "gateway",
)
SIMULATORS: tuple[str, ...] = ("records", "bank")

GRPC_PORTS: dict[str, int] = {
    "intake": 15051,
    "verification": 15052,
    "eligibility": 15053,
    "disbursement": 15054,
    "care": 15055,
    "dispatch": 15056,
    "gateway": 15057,
    "records": 15071,
    "bank": 15072,
}
METRICS_PORTS: dict[str, int] = {
    "intake": 9101,
    "verification": 9102,
    "eligibility": 9103,
    "disbursement": 9104,
    "care": 9105,
    "dispatch": 9106,
    "gateway": 9107,
    "records": 9171,
    "bank": 9172,
}


@dataclass(frozen=True)
class PortPlan:
    """The platform's ports shifted by one offset, so a second platform can run beside the first."""

    offset: int = 0

    def __post_init__(self) -> None:
        lowest = min(BROKER_PORT, GATEWAY_HTTP_PORT, *GRPC_PORTS.values(), *METRICS_PORTS.values())
        highest = max(BROKER_PORT, GATEWAY_HTTP_PORT, *GRPC_PORTS.values(), *METRICS_PORTS.values())
        if lowest + self.offset < 1024 or highest + self.offset > 65535:
            raise ValueError(
                f"port offset {self.offset} moves ports outside 1024–65535 "
                f"(allowed offsets: {1024 - lowest} to {65535 - highest})"
            )

    @property
    def broker(self) -> int:
        return BROKER_PORT + self.offset

    @property
    def bootstrap_servers(self) -> str:
        return f"{HOST}:{self.broker}"

    @property
    def gateway_http(self) -> int:
        return GATEWAY_HTTP_PORT + self.offset

    @property
    def prometheus(self) -> int:
        return PROMETHEUS_PORT + self.offset

    def grpc(self, name: str) -> int:
        return GRPC_PORTS[name] + self.offset

    def metrics(self, name: str) -> int:
        return METRICS_PORTS[name] + self.offset

    def target(self, name: str) -> str:
        """The host:port a caller dials to reach that component's gRPC API."""
        return f"{HOST}:{self.grpc(name)}"

    def named(self) -> list[tuple[int, str]]:
        """Every port with the name an operator reads in an error message."""
        ports = [(self.broker, "broker Kafka")]
        ports += [(self.grpc(name), f"{name} gRPC") for name in GRPC_PORTS]
        ports += [(self.metrics(name), f"{name} metrics") for name in METRICS_PORTS]
        ports.append((self.gateway_http, "gateway HTTP"))
        return ports


def port_in_use(port: int, host: str = HOST) -> bool:
    """True when nothing could listen on host:port now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # SO_REUSEADDR as the servers use it: a port held only by TIME_WAIT connections is free for them.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def busy_ports(plan: PortPlan) -> list[tuple[int, str]]:
    return [(port, name) for port, name in plan.named() if port_in_use(port)]
