"""Parameter versions through the API (DOMAIN §3, §0.2): a new version is validated against the national
floors with each offending value named, is stored with its effective date, resolves province → city →
county, and a new standard re-determines every affected entitlement (EntitlementChanged)."""

from __future__ import annotations

from datetime import date

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from doudi.common.v1 import types_pb2
from doudi.eligibility.v1 import eligibility_pb2 as pb
from doudi.eligibility.v1 import events_pb2
from doudi_common.parameters import CATALOGUE
from doudi_eligibility.app.parameters import NewVersion, to_toml
from doudi_runtime.grpc.errors import field_violations_from

from .conftest import AUTH, COUNTY_OFFICER, TOWNSHIP_OFFICER, Eligibility
from .test_entitlements_api import approved_h01, get

CITY, COUNTY = "640400000000", "640402000000"


def publish(
    e: Eligibility,
    set_id: str,
    region: str,
    effective: date,
    values: dict[str, str],
    actor: pb.Actor = COUNTY_OFFICER,
    request_id: str | None = None,
) -> pb.PublishParameterVersionResponse:
    return e.stub.PublishParameterVersion(
        pb.PublishParameterVersionRequest(
            request_id=request_id or f"pub-{set_id}",
            version=pb.ParameterVersion(
                set_id=set_id,
                region=types_pb2.RegionCode(code=region),
                effective_from=types_pb2.Date(year=effective.year, month=effective.month, day=effective.day),
                source="县民政局文件",
                values=values,
            ),
            actor=actor,
        ),
        metadata=AUTH,
        timeout=30,
    )


def test_a_county_may_not_shorten_the_notice_nor_weaken_the_strict_income_test(eligibility) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as caught:
        publish(
            eligibility,
            "EX-GY-2026-01",
            COUNTY,
            date(2026, 1, 1),
            {"notice.days": "5", "dibao.income.comparison": "≤"},
        )
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    violations = dict(field_violations_from(caught.value))
    assert set(violations) == {"version.values[notice.days]", "version.values[dibao.income.comparison]"}
    assert "BELOW_FLOOR" in violations["version.values[notice.days]"]
    with pytest.raises(grpc.RpcError) as township:
        publish(
            eligibility,
            "EX-GY-2026-02",
            COUNTY,
            date(2026, 1, 1),
            {"notice.days": "10"},
            actor=TOWNSHIP_OFFICER,
        )
    assert township.value.code() is grpc.StatusCode.PERMISSION_DENIED


def test_a_published_version_is_stored_listed_and_resolved_from_its_date(eligibility) -> None:  # type: ignore[no-untyped-def]
    response = publish(eligibility, "EX-GY-2026-01", COUNTY, date(2026, 1, 1), {"notice.days": "10"})
    assert response.version.values["notice.days"] == "10"
    assert response.version.values["dls.amount"] == "100"  # carried over from the version it supersedes
    assert not response.version.shipped and response.version.published_by == "county-03"
    fetched = eligibility.stub.GetParameterVersion(
        pb.GetParameterVersionRequest(set_id="EX-GY-2026-01"), metadata=AUTH, timeout=10
    ).version
    assert fetched.values == response.version.values
    listed = eligibility.stub.ListParameterVersions(
        pb.ListParameterVersionsRequest(region=types_pb2.RegionCode(code=COUNTY)), metadata=AUTH, timeout=10
    )
    assert [v.set_id for v in listed.versions] == ["EX-GY-2024-01", "EX-GY-2026-01"]
    book = eligibility.app.procedure.book
    with eligibility.context.database.read() as session:  # type: ignore[union-attr]
        assert book.resolve(session, "640402100201", date(2025, 12, 31)).integer("notice.days") == 7
        after = book.resolve(session, "640402100201", date(2026, 1, 1))
    assert after.integer("notice.days") == 10
    assert after.version == "NX-2024-01+GY-2024-01+EX-GY-2026-01"
    with pytest.raises(grpc.RpcError) as again:
        publish(
            eligibility, "EX-GY-2026-01", COUNTY, date(2026, 2, 1), {"notice.days": "9"}, request_id="other"
        )
    assert again.value.code() is grpc.StatusCode.ALREADY_EXISTS


def test_a_new_standard_re_determines_active_entitlements_from_its_effective_month(eligibility) -> None:  # type: ignore[no-untyped-def]
    entitlement_id = approved_h01(eligibility)
    eligibility.clock.on(2025, 6, 10)
    response = publish(eligibility, "GY-2025-07", CITY, date(2025, 7, 1), {"dibao.std.urban.monthly": "600"})
    assert response.redetermined == 1
    after = get(eligibility, entitlement_id)
    assert after.monthly_amount.amount_fen == (60_000 - 54_000) * 3
    assert after.parameter_version == "NX-2024-01+GY-2025-07+EX-GY-2024-01"
    [changed] = eligibility.envelopes("EntitlementChanged")
    event = events_pb2.EntitlementChanged.FromString(changed.payload.value)  # type: ignore[attr-defined]
    assert event.effective_month.month == "2025-07"
    assert (event.before.monthly_amount.amount_fen, event.after.monthly_amount.amount_fen) == (6_000, 18_000)
    replay = publish(eligibility, "GY-2025-07", CITY, date(2025, 7, 1), {"dibao.std.urban.monthly": "600"})
    assert replay.redetermined == 1 and len(eligibility.envelopes("EntitlementChanged")) == 1


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    values=st.dictionaries(
        st.sampled_from(
            sorted(k for k, d in CATALOGUE.items() if d.kind.value in ("MONEY", "RATIO", "INTEGER"))
        ),
        st.fractions(min_value=0, max_value=100_000).map(lambda f: f.limit_denominator(100)),
        max_size=4,
    ),
    effective=st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)),
)
def test_any_version_written_by_the_api_reads_back_with_the_same_exact_values(values, effective) -> None:  # type: ignore[no-untyped-def]
    from doudi_common.parameters import read_set

    texts = {key: str(value) for key, value in values.items()}
    text = to_toml(NewVersion("P", COUNTY, effective, '来源 "quoted"', texts, {}))
    parsed = read_set(text).parameters
    assert parsed.effective_from == effective
    assert {k: parsed.values[k] for k in values} == values


def test_a_resolution_is_kept_until_a_new_version_is_published(eligibility) -> None:  # type: ignore[no-untyped-def]
    book = eligibility.app.procedure.book
    database = eligibility.context.database
    with database.read() as session:
        first = book.resolve(session, "640402100201", date(2026, 1, 1))
        assert book.resolve(session, "640402100201", date(2026, 1, 1)) is first
    publish(eligibility, "EX-GY-2026-01", COUNTY, date(2026, 1, 1), {"notice.days": "10"})
    with database.read() as session:
        after = book.resolve(session, "640402100201", date(2026, 1, 1))
    assert (first.integer("notice.days"), after.integer("notice.days")) == (7, 10)
