"""Abuse limits and well-formedness: per-caller rate limit, largest request, unknown enums and bad times."""

from __future__ import annotations

import json
from typing import Any

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import REGISTRY

from doudi.care.v1 import care_pb2
from doudi.common.v1.types_pb2 import Period
from doudi.intake.v1 import intake_pb2
from doudi_common.errors import InvalidArgument
from doudi_runtime.grpc.limits import RETRY_AFTER_KEY, TokenBuckets
from doudi_runtime.grpc.wellformed import check_well_formed

PERSON = "clerk-token"
TOKENS = json.dumps(
    {
        "t0k": "caller-a",
        PERSON: {"name": "clerk.a", "org": "A乡窗口", "role": "township_office", "region": "640402100"},
    },
    ensure_ascii=False,
)
AS_PERSON = (("authorization", f"Bearer {PERSON}"),)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _limited(reason: str) -> float:
    value = REGISTRY.get_sample_value(
        "doudi_grpc_limited_requests_total",
        {"grpc_service": "doudi.test.v1.EchoService", "grpc_method": "Echo", "reason": reason},
    )
    return value or 0.0


def _code(echo: Any, metadata: tuple[tuple[str, str], ...]) -> grpc.StatusCode:
    try:
        echo.rpc("Echo")(Period(month="2026-06"), metadata=metadata, timeout=5)
    except grpc.RpcError as error:
        return error.code()  # type: ignore[no-any-return]
    return grpc.StatusCode.OK


# ------------------------------------------------------------------------------------------ token buckets


def test_a_bucket_lets_a_burst_through_then_names_the_wait() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(rate=2.0, burst=3, clock=clock)
    assert [buckets.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a") == pytest.approx(0.5)
    clock.now += 0.5
    assert buckets.take("a") == 0.0


def test_each_caller_has_its_own_bucket() -> None:
    buckets = TokenBuckets(rate=1.0, burst=1, clock=FakeClock())
    assert buckets.take("a") == 0.0
    assert buckets.take("a") > 0
    assert buckets.take("b") == 0.0


def test_forgotten_callers_start_again_with_a_full_bucket() -> None:
    buckets = TokenBuckets(rate=1.0, burst=1, max_keys=2, clock=FakeClock())
    for key in ("a", "b", "c"):
        buckets.take(key)
    assert buckets.take("a") == 0.0  # "a" was the least recently seen, so forgotten
    assert buckets.take("c") > 0


@given(
    rate=st.floats(min_value=0.1, max_value=100),
    burst=st.integers(min_value=1, max_value=50),
    steps=st.lists(st.floats(min_value=0, max_value=2), max_size=200),
)
def test_no_caller_gets_more_than_the_burst_plus_the_rate(
    rate: float, burst: int, steps: list[float]
) -> None:
    clock = FakeClock()
    buckets = TokenBuckets(rate=rate, burst=burst, clock=clock)
    granted = 0
    for step in steps:
        clock.now += step
        if buckets.take("caller") == 0.0:
            granted += 1
    assert granted <= burst + rate * sum(steps) + 1e-6


def test_a_bucket_needs_a_rate_and_a_burst() -> None:
    with pytest.raises(ValueError):
        TokenBuckets(rate=0, burst=1)
    with pytest.raises(ValueError):
        TokenBuckets(rate=1, burst=0)


# ------------------------------------------------------------------------------- on a real server


def test_a_person_over_their_rate_is_told_when_to_retry(start_echo: Any) -> None:
    echo = start_echo(auth_tokens=TOKENS, rate_limit_per_second=0.5, rate_limit_burst=2)
    before = _limited("rate")
    # The Echo API is open to services only: a person's calls are refused, and still counted.
    assert [_code(echo, AS_PERSON) for _ in range(2)] == [grpc.StatusCode.PERMISSION_DENIED] * 2
    with pytest.raises(grpc.RpcError) as refused:
        echo.rpc("Echo")(Period(month="2026-06"), metadata=AS_PERSON, timeout=5)
    error = refused.value
    assert error.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    trailers = dict(error.trailing_metadata())
    assert 1 <= int(trailers[RETRY_AFTER_KEY]) <= 2000
    status = rpc_status.from_call(error)
    assert status is not None
    retry = error_details_pb2.RetryInfo()
    assert status.details[0].Unpack(retry)
    assert 0 < retry.retry_delay.ToMilliseconds() <= 2000
    assert _limited("rate") == before + 1


def test_doudi_services_are_not_rate_limited(start_echo: Any) -> None:
    echo = start_echo(auth_tokens=TOKENS, rate_limit_per_second=0.5, rate_limit_burst=1)
    for _ in range(5):
        echo.rpc("Echo")(Period(month="2026-06"), metadata=echo.auth, timeout=5)


def test_the_rate_limit_is_off_only_when_set_off(start_echo: Any, make_settings: Any) -> None:
    assert make_settings().rate_limit == "on"
    echo = start_echo(auth_tokens=TOKENS, rate_limit="off", rate_limit_per_second=0.5, rate_limit_burst=1)
    assert {_code(echo, AS_PERSON) for _ in range(5)} == {grpc.StatusCode.PERMISSION_DENIED}


def test_an_oversized_request_is_refused_from_anyone(start_echo: Any) -> None:
    echo = start_echo(auth_tokens=TOKENS, max_request_bytes=1024)
    before = _limited("size")
    echo.rpc("Echo")(Period(month="x" * 1000), metadata=echo.auth, timeout=5)
    with pytest.raises(grpc.RpcError) as refused:
        echo.rpc("Echo")(Period(month="x" * 2000), metadata=echo.auth, timeout=5)
    assert refused.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "1024" in refused.value.details()
    assert _limited("size") == before + 1


def test_a_refused_call_never_reaches_the_handler(start_echo: Any) -> None:
    echo = start_echo(auth_tokens=TOKENS, max_request_bytes=1024)
    with pytest.raises(grpc.RpcError):
        echo.rpc("Echo")(Period(month="x" * 2000), metadata=echo.auth, timeout=5)
    assert echo.state.calls["Echo"] == 0


# ---------------------------------------------------------------------------------- well-formedness


def _fields(error: pytest.ExceptionInfo[InvalidArgument]) -> list[str]:
    return [violation.field for violation in error.value.violations]


def test_unknown_enum_numbers_are_named_by_their_path() -> None:
    request = intake_pb2.SubmitApplicationRequest(request_id="r", programme=999)
    request.household.members.add(relation_to_applicant=intake_pb2.RELATION_SELF)
    request.household.members.add(relation_to_applicant=-5)
    with pytest.raises(InvalidArgument) as error:
        check_well_formed(request)
    assert _fields(error) == ["programme", "household.members[1].relation_to_applicant"]


@pytest.mark.parametrize(
    ("seconds", "nanos"),
    [(253_402_300_800, 0), (-62_135_596_801, 0), (0, -1), (0, 1_000_000_000)],
)
def test_times_outside_what_a_timestamp_holds_are_refused(seconds: int, nanos: int) -> None:
    request = care_pb2.RecordVisitRequest(request_id="r", visited_at=Timestamp(seconds=seconds, nanos=nanos))
    with pytest.raises(InvalidArgument) as error:
        check_well_formed(request)
    assert _fields(error) == ["visited_at"]


def test_well_formed_requests_pass() -> None:
    request = care_pb2.RecordVisitRequest(
        request_id="r", visited_at=Timestamp(seconds=253_402_300_799, nanos=999_999_999)
    )
    check_well_formed(request)
    check_well_formed(intake_pb2.SubmitApplicationRequest(programme=0))


def test_a_flood_of_bad_values_gets_a_bounded_answer() -> None:
    request = intake_pb2.SubmitApplicationRequest()
    for _ in range(1000):
        request.household.members.add(relation_to_applicant=-1)
    with pytest.raises(InvalidArgument) as error:
        check_well_formed(request)
    assert len(error.value.violations) == 20
