"""The gRPC server every service runs: its APIs plus health and reflection, behind the interceptor chain."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent import futures
from dataclasses import dataclass
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from doudi_runtime.authz.policy import ServicePolicy
from doudi_runtime.grpc.authz import PolicyStep
from doudi_runtime.grpc.interceptors import ServerInterceptor
from doudi_runtime.grpc.limits import limit_steps
from doudi_runtime.grpc.tls import server_credentials
from doudi_runtime.settings import ServiceSettings

log = logging.getLogger(__name__)

OVERALL = ""


@dataclass(frozen=True)
class GrpcServiceBinding:
    """One API a server serves: its full proto name, the servicer, and the generated ``add_…_to_server``."""

    full_name: str
    servicer: object
    add_to_server: Callable[[Any, grpc.Server], None]
    #: Who may call which method (see ``doudi_runtime.authz.policy``); None: doudi's services only.
    policy: ServicePolicy | None = None


def _address(host: str, port: int) -> str:
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{host}:{port}"


class GrpcServer:
    """Serves the bindings with health, reflection and the interceptor chain; built once, started once.

    ``extra_interceptors`` run inside the standard chain, so they see an authenticated caller and
    the call's request id.
    """

    def __init__(
        self,
        settings: ServiceSettings,
        bindings: Sequence[GrpcServiceBinding],
        *,
        extra_interceptors: Sequence[grpc.ServerInterceptor] = (),
    ) -> None:
        names = [binding.full_name for binding in bindings]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate service bindings: {names}")
        self._settings = settings
        self._bindings = tuple(bindings)
        self._extra_interceptors = tuple(extra_interceptors)
        self._health = health.HealthServicer()
        self._server: grpc.Server | None = None
        self._probe_server: grpc.Server | None = None
        self._port: int | None = None
        self._probe_port: int | None = None
        self._lock = threading.Lock()

    @property
    def port(self) -> int | None:
        """The bound port once started."""
        return self._port

    @property
    def probe_port(self) -> int | None:
        """The bound plaintext health port, when TLS is on and HEALTH_PORT is set."""
        return self._probe_port

    def _service_names(self) -> list[str]:
        return [binding.full_name for binding in self._bindings]

    def _policy_step(self) -> PolicyStep:
        return PolicyStep({binding.full_name: binding.policy for binding in self._bindings})

    def start(self) -> int:
        """Bind, start serving and report SERVING; returns the bound port (useful with port 0)."""
        with self._lock:
            if self._server is not None:
                raise RuntimeError("the server is already started")
            server = grpc.server(
                futures.ThreadPoolExecutor(
                    max_workers=self._settings.grpc_max_workers,
                    thread_name_prefix=f"grpc-{self._settings.service_name}",
                ),
                interceptors=[
                    ServerInterceptor.for_settings(
                        self._settings, [*limit_steps(self._settings), self._policy_step()]
                    ),
                    *self._extra_interceptors,
                ],
                # Without this a second process could bind the same port and silently share traffic.
                options=[("grpc.so_reuseport", 0)],
            )
            for binding in self._bindings:
                binding.add_to_server(binding.servicer, server)
            health_pb2_grpc.add_HealthServicer_to_server(self._health, server)
            reflection.enable_server_reflection(
                (
                    *self._service_names(),
                    health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
                    reflection.SERVICE_NAME,
                ),
                server,
            )
            address = _address(self._settings.grpc_host, self._settings.grpc_port)
            try:
                if self._settings.transport_security != "off":
                    port = server.add_secure_port(address, server_credentials(self._settings))
                else:
                    port = server.add_insecure_port(address)
            except RuntimeError as exc:
                server.stop(None)  # releases the thread pool of a server that never started
                raise RuntimeError(f"could not bind the gRPC server to {address} (in use?)") from exc
            server.start()
            try:
                self._probe_server = self._start_probe_port()
            except RuntimeError:
                server.stop(None)
                raise
            self._server = server
            self._port = port
        self.set_serving(True)
        log.info(
            "grpc server started",
            extra={
                "grpc_port": port,
                "services": self._service_names(),
                "auth_mode": self._settings.auth_mode,
                "tls_mode": self._settings.transport_security,
            },
        )
        return port

    def _start_probe_port(self) -> grpc.Server | None:
        """With TLS, the health service alone on plaintext HEALTH_PORT: kubelet's gRPC probes speak no TLS."""
        settings = self._settings
        if settings.health_port is None or settings.transport_security == "off":
            return None
        probe = grpc.server(
            futures.ThreadPoolExecutor(
                max_workers=2, thread_name_prefix=f"grpc-health-{settings.service_name}"
            ),
            options=[("grpc.so_reuseport", 0)],
        )
        health_pb2_grpc.add_HealthServicer_to_server(self._health, probe)
        address = _address(settings.grpc_host, settings.health_port)
        try:
            self._probe_port = probe.add_insecure_port(address)
        except RuntimeError as exc:
            probe.stop(None)
            raise RuntimeError(f"could not bind the health port to {address} (in use?)") from exc
        probe.start()
        return probe

    def set_serving(self, serving: bool) -> None:
        """Report SERVING / NOT_SERVING for the whole server and each API (e.g. while draining)."""
        status = (
            health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        for name in (OVERALL, *self._service_names()):
            self._health.set(name, status)

    def stop(self, grace: float | None = None) -> None:
        """Report NOT_SERVING, then give in-flight calls ``grace`` seconds (default from settings)."""
        with self._lock:
            server = self._server
        if server is None:
            return
        # Flips every status to NOT_SERVING and freezes it, so probes see the drain.
        self._health.enter_graceful_shutdown()
        grace = self._settings.shutdown_grace_seconds if grace is None else grace
        server.stop(grace).wait()
        if self._probe_server is not None:
            self._probe_server.stop(0).wait()
        log.info("grpc server stopped")

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the server stops; False if ``timeout`` passed first."""
        with self._lock:
            server = self._server
        if server is None:
            raise RuntimeError("the server is not started")
        # grpc answers "did the wait time out", the opposite of what callers ask.
        return not server.wait_for_termination(timeout)
