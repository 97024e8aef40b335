"""A real Prometheus (Debian's) scrapes a running local platform, started through the runner's Python API."""

from __future__ import annotations

import json
import re
import shutil
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from doudi.common.v1 import programme_pb2, types_pb2
from doudi.intake.v1 import intake_pb2, intake_pb2_grpc
from doudi_common.testing import EXAMPLE_TOWNSHIP, EXAMPLE_VILLAGE
from doudi_platform.certificates import CertFiles
from doudi_platform.ports import GRPC_PORTS, PortPlan
from doudi_platform.runner import Platform
from doudi_sim.fixtures import example_households

# The platform listens on fixed ports (the offset below): its tests run on one pytest worker.
pytestmark = [pytest.mark.platform, pytest.mark.xdist_group("platform-prometheus")]

PORT_OFFSET = 5000
SCRAPE_SECONDS = 1.0
DASHBOARDS = Path(__file__).resolve().parents[1] / "dashboards"


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    assert shutil.which("prometheus"), "prometheus is missing: deploy/prometheus/install-prometheus.sh"
    runner = Platform(
        tmp_path_factory.mktemp("platform"),
        PortPlan(PORT_OFFSET),
        with_prometheus=True,
        scrape_interval_seconds=SCRAPE_SECONDS,
        timeout=60,
    )
    try:
        state = runner.up()
        state["token"] = Path(state["operator_token_file"]).read_text().strip()
        yield state
    finally:
        runner.down()


def _api(platform: dict[str, Any], path: str, **params: str) -> Any:
    url = f"{platform['prometheus']['url']}/api/v1/{path}?{urllib.parse.urlencode(params)}"
    with urllib.request.urlopen(url, timeout=5) as answer:
        body = json.load(answer)
    assert body["status"] == "success", body
    return body["data"]


def _query(platform: dict[str, Any], expr: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = _api(platform, "query", query=expr)["result"]
    return result


def _wait_for(platform: dict[str, Any], expr: str, timeout: float = 20) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = _query(platform, expr)
        if result:
            return result
        time.sleep(0.5)
    pytest.fail(f"no series for {expr} within {timeout:.0f} s")


def _submit_and_accept(platform: dict[str, Any]) -> None:
    """DOMAIN §13's H01 at the window: intake accepts it, verification checks it with the departments."""
    applicant, wife, son = example_households()["H01"]
    auth = (("authorization", f"Bearer {platform['token']}"),)
    members = [
        intake_pb2.HouseholdMember(
            person=types_pb2.Person(id_number=types_pb2.IdNumber(value=id_number), name=name),
            relation_to_applicant=relation,
            counted=True,
            consent_signed=True,
        )
        for id_number, name, relation in (
            (applicant, "李建军", intake_pb2.RELATION_SELF),
            (wife, "王丽", intake_pb2.RELATION_SPOUSE),
            (son, "李明", intake_pb2.RELATION_CHILD),
        )
    ]
    request = intake_pb2.SubmitApplicationRequest(
        request_id=f"prom-{uuid.uuid4()}",
        programme=programme_pb2.PROGRAMME_DIBAO,
        channel=programme_pb2.CHANNEL_WINDOW,
        township=types_pb2.RegionCode(code=EXAMPLE_TOWNSHIP),
        household=intake_pb2.Household(
            household_type=intake_pb2.HOUSEHOLD_TYPE_URBAN,
            residence_region=types_pb2.RegionCode(code=EXAMPLE_VILLAGE),
            members=members,
        ),
    )
    tls = platform["tls"]
    operator = CertFiles(Path(tls["cert"]), Path(tls["key"]), Path(tls["ca"]))
    target = f"127.0.0.1:{GRPC_PORTS['intake'] + PORT_OFFSET}"
    with grpc.secure_channel(target, operator.channel_credentials()) as channel:
        intake = intake_pb2_grpc.IntakeServiceStub(channel)
        submitted = intake.SubmitApplication(request, metadata=auth, timeout=10).application
        intake.AcceptApplication(
            intake_pb2.AcceptApplicationRequest(
                request_id=f"prom-{uuid.uuid4()}", application_id=submitted.application_id
            ),
            metadata=auth,
            timeout=10,
        )


def test_every_target_of_the_platform_is_up(platform: dict[str, Any]) -> None:
    components = {c["name"] for c in platform["components"] if c["metrics_port"]}
    up = _wait_for(platform, 'up{job=~"doudi|doudi-simulators"} == 1')
    deadline = time.monotonic() + 15
    while {s["metric"]["service"] for s in up} != components and time.monotonic() < deadline:
        time.sleep(0.5)
        up = _query(platform, 'up{job=~"doudi|doudi-simulators"} == 1')
    assert {s["metric"]["service"] for s in up} == components
    targets = _api(platform, "targets")["activeTargets"]
    assert all(t["health"] == "up" for t in targets), [t for t in targets if t["health"] != "up"]
    assert {t["labels"]["role"] for t in targets if t["labels"]["job"] == "doudi"} == {"all"}


def test_key_series_are_there_after_a_short_scenario(platform: dict[str, Any]) -> None:
    _submit_and_accept(platform)
    # gRPC, labelled as the SLO rules expect.
    _wait_for(
        platform, 'grpc_server_handled_total{job="doudi",service="intake",grpc_method="SubmitApplication"}'
    )
    _wait_for(platform, 'grpc_server_handling_seconds_bucket{job="doudi",service="intake",le="0.5"}')
    # The event bus: the consumer's lag and outcomes, the producer's outbox.
    _wait_for(
        platform,
        'doudi_consumer_lag_messages{job="doudi",service="verification",topic="doudi.intake.application.v1"}',
    )
    _wait_for(platform, 'doudi_consumer_events_total{job="doudi",service="verification",outcome="handled"}')
    _wait_for(platform, 'doudi_outbox_backlog_events{job="doudi",service="intake"}')
    # Business: the household check verification ran against the department records.
    _wait_for(platform, 'doudi_verification_checks_total{job="doudi",state="COMPLETE"}', timeout=40)


def _dashboard_queries() -> list[str]:
    exprs = []
    for path in sorted(DASHBOARDS.glob("*.json")):
        for panel in json.loads(path.read_text())["panels"]:
            exprs += [target["expr"] for target in panel.get("targets", [])]
    substitutions = {"$namespace": ".*", "$service": "intake", "$__rate_interval": "1m"}
    return [re.sub(r"\$[_a-z]+", lambda m: substitutions[m.group(0)], expr) for expr in exprs]


def test_every_dashboard_query_is_valid_promql(platform: dict[str, Any]) -> None:
    for expr in _dashboard_queries():
        _query(platform, expr)


def test_the_shared_rule_files_load_and_evaluate_without_error(platform: dict[str, Any]) -> None:
    groups = _api(platform, "rules")["groups"]
    assert {g["file"].rsplit("/", 1)[-1] for g in groups} == {
        "doudi-business.rules.yaml",
        "doudi-events.rules.yaml",
        "doudi-limits.rules.yaml",
        "doudi-slo.rules.yaml",
    }
    broken = [(r["name"], r["lastError"]) for g in groups for r in g["rules"] if r.get("health") == "err"]
    assert broken == []
