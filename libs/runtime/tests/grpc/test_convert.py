"""Proto ↔ Python conversions shared by every service's API and event mapping."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doudi.common.v1 import programme_pb2
from doudi_common.errors import InvalidArgument
from doudi_runtime.grpc.convert import domain_enum, timestamp


class WindowChannel(StrEnum):
    """A domain that keeps only some of the values the API declares."""

    WINDOW = "WINDOW"
    ONLINE = "ONLINE"


def channel(value: int) -> WindowChannel | None:
    return domain_enum(WindowChannel, programme_pb2.Channel, value, "CHANNEL_", "channel")


def test_a_declared_value_the_domain_keeps_is_its_member_and_unspecified_is_none() -> None:
    assert channel(programme_pb2.CHANNEL_ONLINE) is WindowChannel.ONLINE
    assert channel(programme_pb2.CHANNEL_UNSPECIFIED) is None


@pytest.mark.parametrize("value", [programme_pb2.CHANNEL_HOTLINE, 999])
def test_an_unknown_number_or_a_value_the_domain_never_keeps_is_the_callers_error(value: int) -> None:
    with pytest.raises(InvalidArgument) as raised:
        channel(value)
    assert [violation.field for violation in raised.value.violations] == ["channel"]


@given(st.datetimes(timezones=st.just(UTC)))
def test_a_timestamp_keeps_the_instant_to_the_microsecond(moment: datetime) -> None:
    assert timestamp(moment).ToDatetime(UTC) == moment


def test_no_moment_is_no_timestamp() -> None:
    assert timestamp(None) is None
