"""Benchmark: incident → first offer latency with 10,000 volunteers in one county, at a sustained incident
rate, against a bare gRPC echo driven the same way in the same run (target: p99 ≤ 100 ms).

The county's teams (5 to 10 volunteers each, one per village, spread over the villages of 12 townships)
are registered through the service's own RegisterTeam RPC until the county has the requested number of
volunteers (not timed). Incidents are then reported by ReportIncident from one client thread on a fixed
schedule (open loop: each call goes out at its planned moment whether or not earlier calls have
answered), each near a different village. ReportIncident records the incident and offers it to the
nearest available volunteers of its township within the call, so the call's latency is the incident →
first offer latency; every answer is checked for offers. The baseline is a bare gRPC server (no
interceptors, health or reflection) echoing the same requests at the same rate.

Sizes: BENCH_DISPATCH_VOLUNTEERS (default 10000), BENCH_DISPATCH_RATE (incidents/s, default 20),
BENCH_DISPATCH_SECONDS (measured seconds, default 20).
"""

from __future__ import annotations

import logging
import random
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent import futures
from os import environ
from pathlib import Path
from typing import NamedTuple

import grpc

from doudi.common.v1 import types_pb2
from doudi.dispatch.v1 import dispatch_pb2, dispatch_pb2_grpc
from doudi_dispatch.main import DEFINITION, DispatchSettings
from doudi_runtime.grpc.server import GrpcServer
from doudi_runtime.logging import configure_logging
from doudi_runtime.service import build_context, migrate

VOLUNTEERS = int(environ.get("BENCH_DISPATCH_VOLUNTEERS", "10000"))
RATE = float(environ.get("BENCH_DISPATCH_RATE", "20"))
SECONDS = float(environ.get("BENCH_DISPATCH_SECONDS", "20"))
WARMUP = 40
TARGET_P99_MS = 100.0

TOKEN = "bench-dispatch-token"
AUTH = (("authorization", f"Bearer {TOKEN}"),)
COUNTY = "640402"
TOWNSHIPS = 12
#: The county seat; townships lie on a 4 × 3 grid about 15 km apart, villages about 1 km apart.
ORIGIN = (36_000_000, 106_100_000)
SKILL_SETS = (
    (dispatch_pb2.SKILL_FIRST_AID,),
    (dispatch_pb2.SKILL_FIRST_AID, dispatch_pb2.SKILL_TRANSPORT),
    (dispatch_pb2.SKILL_MEDICAL, dispatch_pb2.SKILL_FIRST_AID),
    (dispatch_pb2.SKILL_ELDERLY_CARE,),
    (dispatch_pb2.SKILL_RESCUE, dispatch_pb2.SKILL_TRANSPORT),
    (dispatch_pb2.SKILL_COUNSELLING, dispatch_pb2.SKILL_MEDICAL),
)
KINDS = (
    dispatch_pb2.INCIDENT_KIND_ILLNESS,
    dispatch_pb2.INCIDENT_KIND_ACCIDENT,
    dispatch_pb2.INCIDENT_KIND_FIRE,
    dispatch_pb2.INCIDENT_KIND_OUT_OF_CONTACT,
    dispatch_pb2.INCIDENT_KIND_CHECK_ON,
)
SOURCES = (
    dispatch_pb2.INCIDENT_SOURCE_HOTLINE,
    dispatch_pb2.INCIDENT_SOURCE_VILLAGER,
    dispatch_pb2.INCIDENT_SOURCE_VOLUNTEER,
)


class Village(NamedTuple):
    code: str
    base: tuple[int, int]


def team_sizes(volunteers: int) -> list[int]:
    """Team sizes of 5 to 10 adding up to ``volunteers`` (at least 5)."""
    sizes: list[int] = []
    remaining = volunteers
    while remaining > 0:
        size = 5 + len(sizes) % 6
        size = remaining if remaining <= 10 else min(size, remaining - 5)
        sizes.append(size)
        remaining -= size
    return sizes


def villages(count: int) -> list[Village]:
    """``count`` villages dealt round the county's townships, each with its committee's place."""
    found = []
    for index in range(count):
        township, number = index % TOWNSHIPS, index // TOWNSHIPS
        latitude = ORIGIN[0] + (township // 4) * 135_000 + (number // 12) * 9_000
        longitude = ORIGIN[1] + (township % 4) * 165_000 + (number % 12) * 11_000
        found.append(Village(f"{COUNTY}{100 + township:03d}{201 + number:03d}", (latitude, longitude)))
    return found


def _near(base: tuple[int, int], rng: random.Random, metres: int) -> dispatch_pb2.GeoPoint:
    """A place within about ``metres`` of ``base`` (9 micro-degrees of latitude, 11 of longitude a metre)."""
    return dispatch_pb2.GeoPoint(
        latitude_e6=base[0] + rng.randint(-metres, metres) * 9,
        longitude_e6=base[1] + rng.randint(-metres, metres) * 11,
    )


def _team(
    index: int, village: Village, size: int, first: int, rng: random.Random
) -> dispatch_pb2.RegisterTeamRequest:
    members = [
        dispatch_pb2.NewVolunteer(
            name=f"队员{first + n}",
            phone=f"139{first + n:08d}",
            skills=list(SKILL_SETS[(first + n) % len(SKILL_SETS)]),
            available=rng.random() < 0.9,
            location=_near(village.base, rng, 3000),
        )
        for n in range(size)
    ]
    return dispatch_pb2.RegisterTeamRequest(
        request_id=f"bench-team-{index}",
        village=types_pb2.RegionCode(code=village.code),
        name=f"第{index}村急难问题快速响应服务队",
        duty_phone=f"0954-{2_000_000 + index}",
        base_location=dispatch_pb2.GeoPoint(latitude_e6=village.base[0], longitude_e6=village.base[1]),
        members=members,
    )


def register_county(stub: dispatch_pb2_grpc.DispatchServiceStub, volunteers: int) -> list[Village]:
    """Register the county's teams; returns their villages."""
    rng = random.Random(2026)
    sizes = team_sizes(volunteers)
    places = villages(len(sizes))
    first = 0
    for index, (village, size) in enumerate(zip(places, sizes, strict=True)):
        answer = stub.RegisterTeam(_team(index, village, size, first, rng), metadata=AUTH, timeout=30)
        if len(answer.team.members) != size:
            raise RuntimeError(f"team {index} registered with {len(answer.team.members)} of {size} members")
        first += size
    return places


def incident_requests(
    places: list[Village], count: int, tag: str
) -> list[dispatch_pb2.ReportIncidentRequest]:
    """``count`` reports, each within 1 km of a different village in turn (a random walk over the county)."""
    rng = random.Random(tag)
    order = list(range(len(places)))
    rng.shuffle(order)
    requests = []
    for index in range(count):
        village = places[order[index % len(order)]]
        requests.append(
            dispatch_pb2.ReportIncidentRequest(
                request_id=f"bench-{tag}-{index}",
                kind=KINDS[index % len(KINDS)],
                region=types_pb2.RegionCode(code=village.code),
                person_name="求助人",
                contact_phone=f"138{index:08d}",
                description="村民来电：家中老人突发不适，需要就近人员上门查看",
                source=SOURCES[index % len(SOURCES)],
                source_reference=f"hotline-{tag}-{index:06d}",
                location=_near(village.base, rng, 1000),
            )
        )
    return requests


class Run(NamedTuple):
    latencies: list[float]
    rate: float
    answers: list[object]


def drive(
    call: Callable[[dispatch_pb2.ReportIncidentRequest], grpc.Future],
    requests: list[dispatch_pb2.ReportIncidentRequest],
    rate: float,
) -> Run:
    """Send each request at its planned moment (open loop) and time it until its answer arrives."""
    count = len(requests)
    latencies = [0.0] * count
    answers: list[object] = [None] * count
    done = threading.Semaphore(0)

    def finished(index: int, sent: float) -> Callable[[grpc.Future], None]:
        def record(future: grpc.Future) -> None:
            latencies[index] = time.perf_counter() - sent
            answers[index] = future.exception() or future.result()
            done.release()

        return record

    def client() -> None:
        started = time.perf_counter()
        for index, request in enumerate(requests):
            delay = started + index / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            sent = time.perf_counter()
            call(request).add_done_callback(finished(index, sent))

    started = time.perf_counter()
    sender = threading.Thread(target=client, name="bench-client")
    sender.start()
    sender.join()
    for _ in range(count):
        done.acquire()
    elapsed = time.perf_counter() - started
    return Run(latencies, count / elapsed, answers)


def summary(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[max(int(len(ordered) * 0.99) - 1, 0)] * 1000,
        "max_ms": ordered[-1] * 1000,
    }


def _echo_handler() -> grpc.GenericRpcHandler:
    return grpc.method_handlers_generic_handler(
        "doudi.bench.v1.EchoService",
        {
            "Echo": grpc.unary_unary_rpc_method_handler(
                lambda request, _context: request,
                request_deserializer=dispatch_pb2.ReportIncidentRequest.FromString,
                response_serializer=dispatch_pb2.ReportIncidentRequest.SerializeToString,
            )
        },
    )


def bare_echo(requests: list[dispatch_pb2.ReportIncidentRequest], rate: float) -> Run:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    server.add_generic_rpc_handlers((_echo_handler(),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            echo = channel.unary_unary(
                "/doudi.bench.v1.EchoService/Echo",
                request_serializer=dispatch_pb2.ReportIncidentRequest.SerializeToString,
                response_deserializer=dispatch_pb2.ReportIncidentRequest.FromString,
            )
            drive(lambda r: echo.future(r, metadata=AUTH, timeout=30), requests[:WARMUP], rate)
            return drive(lambda r: echo.future(r, metadata=AUTH, timeout=30), requests[WARMUP:], rate)
    finally:
        server.stop(0)


def dispatch_runs(
    volunteers: int, rate: float, count: int, work: Path
) -> tuple[float, list[Village], Run, list[dispatch_pb2.ReportIncidentRequest]]:
    settings = DispatchSettings(
        grpc_port=0,
        metrics_port=0,
        data_dir=work,
        database_url=f"sqlite:///{work / 'dispatch.db'}",
        auth_tokens=f'{{"{TOKEN}": "township-duty-officer"}}',
        client_token=TOKEN,
        shutdown_grace_seconds=0,
    )
    migrate(DEFINITION, settings)
    context = build_context(DEFINITION, settings)
    with (work / "dispatch.log").open("w") as log_stream:
        handler = configure_logging(settings, stream=log_stream)
        server = GrpcServer(settings, list(DEFINITION.grpc_bindings(context)))
        port = server.start()
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        try:
            stub = dispatch_pb2_grpc.DispatchServiceStub(channel)
            started = time.perf_counter()
            places = register_county(stub, volunteers)
            setup = time.perf_counter() - started
            requests = incident_requests(places, WARMUP + count, "incident")
            report = stub.ReportIncident.future
            drive(lambda r: report(r, metadata=AUTH, timeout=30), requests[:WARMUP], rate)
            run = drive(lambda r: report(r, metadata=AUTH, timeout=30), requests[WARMUP:], rate)
            return setup, places, run, requests
        finally:
            channel.close()
            server.stop(0)
            logging.getLogger().removeHandler(handler)
            assert context.database is not None
            context.database.dispose()


def main(volunteers: int = VOLUNTEERS, rate: float = RATE, seconds: float = SECONDS) -> list[str]:
    count = max(int(rate * seconds), 1)
    with tempfile.TemporaryDirectory() as tmp:
        setup, places, ours, requests = dispatch_runs(volunteers, rate, count, Path(tmp))
    baseline = bare_echo(requests, rate)

    failed = [a for a in ours.answers if isinstance(a, Exception)]
    if failed:
        raise RuntimeError(f"{len(failed)} of {count} reports failed, e.g. {failed[0]}")
    without_offers = sum(1 for a in ours.answers if not a.incident.offers)  # type: ignore[attr-defined]
    offers = [len(a.incident.offers) for a in ours.answers]  # type: ignore[attr-defined]
    mine, bare = summary(ours.latencies), summary(baseline.latencies)
    met = "met" if mine["p99_ms"] <= TARGET_P99_MS else "NOT met"
    return [
        f"county {COUNTY}: {volunteers} volunteers in {len(places)} teams over {TOWNSHIPS} townships,"
        f" registered by RegisterTeam in {setup:.1f} s (not timed)",
        f"bare gRPC echo at {rate:.0f}/s (baseline): {len(baseline.latencies)} calls"
        f" at {baseline.rate:5.1f}/s"
        f"  p50 {bare['p50_ms']:6.2f} ms  p99 {bare['p99_ms']:6.2f} ms  max {bare['max_ms']:6.2f} ms",
        f"ReportIncident → first offer at {rate:.0f}/s: {count} incidents at {ours.rate:5.1f}/s"
        f"  p50 {mine['p50_ms']:6.2f} ms  p99 {mine['p99_ms']:6.2f} ms  max {mine['max_ms']:6.2f} ms",
        f"offers per incident: {min(offers)}–{max(offers)}; incidents answered without an offer:"
        f" {without_offers}",
        f"p99 ratio ReportIncident / bare echo: {mine['p99_ms'] / bare['p99_ms']:.2f}",
        f"target p99 ≤ {TARGET_P99_MS:.0f} ms: {met} ({mine['p99_ms']:.1f} ms)",
    ]


if __name__ == "__main__":
    print("\n".join(main()))
