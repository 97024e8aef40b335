"""Benchmark: a unary call through doudi's gRPC server chain against a bare gRPC echo, same run.

The bare server has no interceptors, health or reflection; doudi's adds token auth, metrics,
deadline tracking, structured (masked) logging and error mapping. The ratio is the price of the
runtime per call on this machine, whatever else the machine is doing at the time.
"""

from __future__ import annotations

import logging
import multiprocessing
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent import futures
from multiprocessing.connection import Connection
from pathlib import Path

import grpc

from doudi.common.v1.types_pb2 import Period
from doudi_runtime.grpc.client import ChannelFactory
from doudi_runtime.grpc.server import GrpcServer, GrpcServiceBinding
from doudi_runtime.logging import configure_logging
from doudi_runtime.settings import ServiceSettings

SERVICE = "doudi.bench.v1.EchoService"
METHOD = f"/{SERVICE}/Echo"
TOKEN = "bench-token"


def _echo(request: Period, _context: grpc.ServicerContext) -> Period:
    return Period(month=request.month)


def _handler() -> grpc.GenericRpcHandler:
    return grpc.method_handlers_generic_handler(
        SERVICE,
        {
            "Echo": grpc.unary_unary_rpc_method_handler(
                _echo, request_deserializer=Period.FromString, response_serializer=Period.SerializeToString
            )
        },
    )


def _measure(call: Callable[[], object], calls: int, warmup: int) -> dict[str, float]:
    for _ in range(warmup):
        call()
    latencies = []
    started = time.perf_counter()
    for _ in range(calls):
        t0 = time.perf_counter()
        call()
        latencies.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "calls_per_s": calls / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }


def _start_bare_server() -> tuple[grpc.Server, int]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    server.add_generic_rpc_handlers((_handler(),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, port


def serve_bare_echo(control: Connection) -> None:
    """The bare echo server in its own process: sends its port, serves until told to stop."""
    server, port = _start_bare_server()
    control.send(port)
    control.recv()
    server.stop(0)


def bare_echo(calls: int, warmup: int, own_process: bool = False) -> dict[str, float]:
    """A bare gRPC echo; ``own_process`` puts the server in another process, for comparison with a service
    measured that way."""
    if own_process:
        control, child_end = multiprocessing.get_context("spawn").Pipe()
        process = multiprocessing.get_context("spawn").Process(
            target=serve_bare_echo, args=(child_end,), daemon=True
        )
        process.start()
        server, port = None, control.recv()
    else:
        server, port = _start_bare_server()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = channel.unary_unary(
                METHOD, request_serializer=Period.SerializeToString, response_deserializer=Period.FromString
            )
            return _measure(lambda: stub(Period(month="2026-11"), timeout=5), calls, warmup)
    finally:
        if server is not None:
            server.stop(0)
        else:
            control.send("stop")
            process.join(timeout=30)


class _EchoBinding:
    """Registers the echo handler the way generated ``add_…_to_server`` functions do."""

    @staticmethod
    def add(_servicer: object, server: grpc.Server) -> None:
        server.add_generic_rpc_handlers((_handler(),))


def doudi_echo(calls: int, warmup: int, log_dir: Path) -> dict[str, float]:
    settings = ServiceSettings(
        service_name="bench",
        grpc_port=0,
        metrics_port=0,
        auth_mode="token",
        auth_tokens=f'{{"{TOKEN}": "bench"}}',
        client_token=TOKEN,
        shutdown_grace_seconds=0,
    )
    with (log_dir / "bench.log").open("w") as log_stream:
        handler = configure_logging(settings, stream=log_stream)
        server = GrpcServer(settings, [GrpcServiceBinding(SERVICE, object(), _EchoBinding.add)])
        port = server.start()
        channels = ChannelFactory(settings)
        try:
            stub = channels.channel(f"127.0.0.1:{port}").unary_unary(
                METHOD, request_serializer=Period.SerializeToString, response_deserializer=Period.FromString
            )
            return _measure(lambda: stub(Period(month="2026-11"), timeout=5), calls, warmup)
        finally:
            channels.close()
            server.stop(0)
            logging.getLogger().removeHandler(handler)


def main(calls: int = 3000, warmup: int = 300) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        baseline = bare_echo(calls, warmup)
        ours = doudi_echo(calls, warmup, Path(tmp))
    ratio = ours["calls_per_s"] / baseline["calls_per_s"]
    return [
        f"grpc unary, bare echo (baseline): {baseline['calls_per_s']:8.0f} calls/s  "
        f"p50 {baseline['p50_ms']:.3f} ms  p99 {baseline['p99_ms']:.3f} ms",
        f"grpc unary, doudi server chain:   {ours['calls_per_s']:8.0f} calls/s  "
        f"p50 {ours['p50_ms']:.3f} ms  p99 {ours['p99_ms']:.3f} ms",
        f"grpc unary, doudi / bare throughput ratio: {ratio:.2f}",
    ]


if __name__ == "__main__":
    print("\n".join(main()))
