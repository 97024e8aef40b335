"""What the local platform runs, as data: one Component per process, with its argv, env and ports."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from doudi_platform.certificates import LocalPki
from doudi_platform.field_keys import ServiceKeys
from doudi_platform.ports import GRPC_PORTS, HOST, SERVICES, SIMULATORS, PortPlan
from doudi_platform.signin import LocalIssuer

# Only these pass from the developer's shell to the children: a stray DATABASE_URL or
# KAFKA_BOOTSTRAP_SERVERS in a shell must never point a local run at something real.
PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "LOG_LEVEL")


@dataclass(frozen=True)
class Component:
    """One long-running process of the platform."""

    name: str
    argv: tuple[str, ...]
    env: Mapping[str, str]
    grpc_port: int | None
    metrics_port: int | None
    store: Path | None
    http_port: int | None = None
    # Runs to completion, and must exit 0, before the component starts.
    migrate_argv: tuple[str, ...] | None = None


@dataclass(frozen=True)
class RunContext:
    """Everything the components of one run are built from."""

    run_dir: Path
    ports: PortPlan
    platform_token: str
    operator_token: str
    python: str
    base_env: Mapping[str, str] = field(default_factory=dict)
    #: The run's certificates: every component then serves and calls over mutual TLS, and its
    #: certificate names it (no platform token); None: plaintext with tokens.
    tls: LocalPki | None = None
    #: The local sign-in issuer whose tokens the gateway accepts from people; None: tokens only.
    sign_in: LocalIssuer | None = None
    #: Each service's keys for personal data at rest; a service missing here seals under the
    #: development keys (tests that start throwaway platforms).
    field_keys: Mapping[str, ServiceKeys] = field(default_factory=dict)

    @property
    def data_dir(self) -> Path:
        return self.run_dir / "data"

    @property
    def logs_dir(self) -> Path:
        return self.run_dir / "logs"

    @property
    def operator_token_file(self) -> Path:
        return self.run_dir / "operator.token"

    def common_env(self) -> dict[str, str]:
        """The settings every process gets, under the same names in every service."""
        env = {key: value for key, value in self.base_env.items() if key in PASSED_THROUGH}
        env.update(
            {
                "PYTHONUNBUFFERED": "1",
                "ENVIRONMENT": "local",
                "GRPC_HOST": HOST,
                "METRICS_HOST": HOST,
                "DATA_DIR": str(self.data_dir),
                "KAFKA_BOOTSTRAP_SERVERS": self.ports.bootstrap_servers,
                "LOG_FORMAT": "json",
            }
        )
        if self.tls is None:
            env["AUTH_MODE"] = "token"
            env["AUTH_TOKENS"] = json.dumps(
                {self.platform_token: "platform", self.operator_token: "operator"}
            )
            env["CLIENT_TOKEN"] = self.platform_token
        else:
            env["AUTH_MODE"] = "mtls"
            env["TLS_MODE"] = "mtls"
            env["AUTH_TOKENS"] = json.dumps({self.operator_token: "operator"})
            env["TLS_CA_FILE"] = str(self.tls.ca_file)
        env.update({f"{name.upper()}_TARGET": self.ports.target(name) for name in GRPC_PORTS})
        return env

    def env_for(self, name: str, *, http_port: int | None = None) -> dict[str, str]:
        env = self.common_env()
        env["GRPC_PORT"] = str(self.ports.grpc(name))
        env["METRICS_PORT"] = str(self.ports.metrics(name))
        if self.tls is not None:
            env.update(self.tls.files(name).env())
        if name in self.field_keys:
            env.update(self.field_keys[name].env())
        if http_port is not None:
            env["HTTP_HOST"] = HOST
            env["HTTP_PORT"] = str(http_port)
        if name == "gateway" and self.sign_in is not None:
            env.update(self.sign_in.gateway_env())
        return env


ComponentsFactory = Callable[[RunContext], list[Component]]


def platform_components(ctx: RunContext) -> list[Component]:
    """The real platform: the services in dependency-free order, then the simulators they call."""
    components: list[Component] = []
    for name in SERVICES:
        module = f"doudi_{name}"
        http_port = ctx.ports.gateway_http if name == "gateway" else None
        components.append(
            Component(
                name=name,
                argv=(ctx.python, "-m", module, "all"),
                env=ctx.env_for(name, http_port=http_port),
                grpc_port=ctx.ports.grpc(name),
                metrics_port=ctx.ports.metrics(name),
                # The gateway owns no store: it only calls the services.
                store=None if name == "gateway" else ctx.data_dir / f"{name}.db",
                http_port=http_port,
                migrate_argv=None if name == "gateway" else (ctx.python, "-m", module, "migrate"),
            )
        )
    for name in SIMULATORS:
        components.append(
            Component(
                name=name,
                argv=(ctx.python, "-m", "doudi_sim", name),
                env=ctx.env_for(name),
                grpc_port=ctx.ports.grpc(name),
                metrics_port=ctx.ports.metrics(name),
                store=None,
            )
        )
    return components


def default_base_env() -> dict[str, str]:
    return dict(os.environ)
