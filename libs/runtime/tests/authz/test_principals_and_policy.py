"""Principals from AUTH_TOKENS, and the policy's decisions: role, scopes, subject, region, fail closed."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from doudi.common.v1 import types_pb2
from doudi_common.errors import InvalidArgument, NotFound, PermissionDenied
from doudi_runtime.authz.policy import (
    FromField,
    FromRecord,
    Listing,
    OwnedBy,
    ServicePolicy,
    authorise,
    rule,
)
from doudi_runtime.authz.principal import Principal, Role, forwarded_principal, principal_from_config
from doudi_runtime.settings import ServiceSettings

TOWNSHIP_A = {"name": "clerk", "org": "A乡", "role": "township_office", "region": "640402100"}


def principal(value: object) -> Principal:
    return principal_from_config(value)


def region(code: str) -> types_pb2.RegionCode:
    return types_pb2.RegionCode(code=code)


def test_a_plain_string_is_a_service_and_an_object_a_region_bound_person() -> None:
    assert principal("intake") == Principal(name="intake", role=Role.SERVICE)
    clerk = principal(TOWNSHIP_A)
    assert (clerk.role, clerk.org, [r.code for r in clerk.regions]) == (
        Role.TOWNSHIP_OFFICE,
        "A乡",
        ["640402100000"],
    )
    assert clerk.covers(clerk.regions[0]) and not clerk.is_service


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ({"org": "x", "role": "mayor", "region": "640402"}, "role must be one of"),
        ({"org": "x", "role": "township_office"}, "needs a region scope"),
        ({"org": "x", "role": "township_office", "region": "6404"}, "6-, 9- or 12-digit"),
        ({"org": "x", "role": "volunteer", "region": "640402100201"}, "volunteer id"),
        ({"org": "x", "role": "township_office", "region": "640402", "rank": 1}, "unknown principal keys"),
        ("", "must not be empty"),
    ],
)
def test_malformed_principals_are_refused(value: object, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        principal(value)


def test_auth_tokens_accept_both_forms_and_never_echo_a_token() -> None:
    settings = ServiceSettings(
        service_name="demo",
        grpc_port=0,
        metrics_port=0,
        auth_tokens=json.dumps({"t1": "platform", "t2": TOWNSHIP_A}),
    )
    assert settings.token_principals() == {"t1": "platform", "t2": "clerk"}
    assert settings.token_identities()["t2"].role is Role.TOWNSHIP_OFFICE
    with pytest.raises(ValueError) as raised:
        ServiceSettings(
            service_name="demo", grpc_port=0, metrics_port=0, auth_tokens='{"secret-token": {"role": "x"}}'
        )
    assert "secret-token" not in str(raised.value)


def test_a_forwarded_identity_may_not_claim_to_be_a_service() -> None:
    with pytest.raises(ValueError, match="service role"):
        forwarded_principal('{"name": "x", "role": "service"}', via="gateway")
    with pytest.raises(ValueError, match="must be an object"):
        forwarded_principal('"intake"', via="gateway")
    person = forwarded_principal(
        '{"name": "clerk", "org": "A乡", "role": "township_office", "region": "640402100"}', via="gateway"
    )
    assert (person.name, person.via) == ("clerk", "gateway")


REGIONS = {"app_a": "640402100000", "app_b": "640402101000"}
POLICY = ServicePolicy(
    "demo.v1.Demo",
    {
        "ByField": rule(Role.TOWNSHIP_OFFICE, region=FromField("code")),
        "ByRecord": rule(Role.TOWNSHIP_OFFICE, region=FromRecord("application", "code")),
        "Listing": rule(Role.TOWNSHIP_OFFICE, Role.COUNTY_BUREAU, region=Listing("code")),
        "Report": rule(Role.EXTERNAL_SYSTEM, region=FromField("code"), scopes=("report",)),
        "AsSelf": rule(Role.VOLUNTEER, region=FromField("code"), subject_field="code"),
        "NoRegion": rule(Role.TOWNSHIP_OFFICE),
    },
    lookups={"application": REGIONS.get},
)


def test_a_method_without_a_rule_is_refused_to_everyone_services_included() -> None:
    with pytest.raises(PermissionDenied, match="no authorisation rule"):
        authorise(principal("intake"), POLICY, "Unlisted", region("640402100000"))
    assert authorise(principal("intake"), POLICY, "ByRecord", types_pb2.RegionCode(code="app_b")) is not None


def test_an_api_without_a_policy_is_open_to_services_only() -> None:
    assert authorise(principal("intake"), None, "Anything", region("")) is None
    with pytest.raises(PermissionDenied, match="services only"):
        authorise(principal(TOWNSHIP_A), None, "Anything", region(""))


def test_a_region_named_in_the_request_must_lie_in_the_callers_scope() -> None:
    clerk = principal(TOWNSHIP_A)
    authorise(clerk, POLICY, "ByField", region("640402100201"))
    with pytest.raises(PermissionDenied, match="outside"):
        authorise(clerk, POLICY, "ByField", region("640402101000"))
    with pytest.raises(InvalidArgument):
        authorise(clerk, POLICY, "ByField", region("6404021"))
    with pytest.raises(InvalidArgument):
        authorise(clerk, POLICY, "ByField", region(""))


def test_another_regions_record_reads_exactly_like_a_missing_one() -> None:
    clerk = principal(TOWNSHIP_A)
    authorise(clerk, POLICY, "ByRecord", types_pb2.RegionCode(code="app_a"))
    answers = []
    for record_id in ("app_b", "app_missing"):
        with pytest.raises(NotFound) as raised:
            authorise(clerk, POLICY, "ByRecord", types_pb2.RegionCode(code=record_id))
        answers.append(str(raised.value))
    assert answers[0] == answers[1] == "application not found"


def test_an_empty_list_filter_is_narrowed_to_the_callers_scope_and_a_wider_one_refused() -> None:
    clerk = principal(TOWNSHIP_A)
    request = region("")
    authorise(clerk, POLICY, "Listing", request)
    assert request.code == "640402100000"
    with pytest.raises(PermissionDenied):
        authorise(clerk, POLICY, "Listing", region("640402000000"))
    county = principal({"name": "c", "org": "县民政局", "role": "county_bureau", "region": "640402"})
    authorise(county, POLICY, "Listing", region("640402101000"))


def test_roles_scopes_and_subjects() -> None:
    with pytest.raises(PermissionDenied, match="may not call"):
        authorise(
            principal({"org": "p", "role": "provider", "region": "640402"}),
            POLICY,
            "ByField",
            region("640402100000"),
        )
    hospital = principal({"org": "医院", "role": "external_system", "scopes": ["beneficiary.check"]})
    with pytest.raises(PermissionDenied, match="scopes"):
        authorise(hospital, POLICY, "Report", region("640402100000"))
    reporter = principal({"org": "应急局", "role": "external_system", "scopes": ["report"]})
    authorise(reporter, POLICY, "Report", region("650000000000"))
    volunteer = principal(
        {"org": "队", "role": "volunteer", "region": "640402100201", "subject": "640402100201"}
    )
    authorise(volunteer, POLICY, "AsSelf", region("640402100201"))
    other = principal({"org": "队", "role": "volunteer", "region": "640402100000", "subject": "vol_9"})
    with pytest.raises(PermissionDenied, match="themself"):
        authorise(other, POLICY, "AsSelf", region("640402100201"))
    with pytest.raises(PermissionDenied, match="needs a region"):
        authorise(principal(TOWNSHIP_A), POLICY, "NoRegion", region(""))


def test_a_rule_naming_a_lookup_the_policy_lacks_is_a_start_up_error() -> None:
    broken = ServicePolicy("demo.v1.Demo", {"X": rule(Role.TOWNSHIP_OFFICE, region=FromRecord("case", "id"))})
    with pytest.raises(ValueError, match="'case' lookup"):
        broken.check()


ORDERS = {"order_a": ("640402100201", "prov_a"), "order_b": ("640402100201", "prov_b")}
OWNED = ServicePolicy(
    "demo.v1.Owned",
    {
        "Complete": rule(
            Role.PROVIDER,
            Role.TOWNSHIP_OFFICE,
            region=FromRecord("order", "code"),
            owner=OwnedBy("order", "code"),
        ),
        "Report": rule(
            Role.TOWNSHIP_OFFICE,
            region=(FromRecord("order", "order_id", optional=True), FromField("region", optional=True)),
        ),
    },
    lookups={"order": lambda key: ORDERS[key][0] if key in ORDERS else None},
    owners={"order": lambda key: ORDERS[key][1] if key in ORDERS else None},
)


def test_a_provider_acts_only_on_its_own_records_and_anothers_reads_like_a_missing_one() -> None:
    provider = principal({"org": "照料中心", "role": "provider", "region": "640402", "subject": "prov_a"})
    authorise(provider, OWNED, "Complete", types_pb2.RegionCode(code="order_a"))
    answers = []
    for record_id in ("order_b", "order_missing"):
        with pytest.raises(NotFound) as raised:
            authorise(provider, OWNED, "Complete", types_pb2.RegionCode(code=record_id))
        answers.append(str(raised.value))
    assert answers[0] == answers[1] == "order not found"
    anonymous = principal({"org": "照料中心", "role": "provider", "region": "640402"})
    with pytest.raises(PermissionDenied, match="without a subject"):
        authorise(anonymous, OWNED, "Complete", types_pb2.RegionCode(code="order_a"))
    # The township is not subject-bound: its region alone decides.
    authorise(principal(TOWNSHIP_A), OWNED, "Complete", types_pb2.RegionCode(code="order_b"))


def test_optional_region_fields_are_skipped_when_empty_and_checked_when_given() -> None:
    clerk = principal(TOWNSHIP_A)
    authorise(clerk, OWNED, "Report", SimpleNamespace(order_id="order_a", region=""))
    authorise(clerk, OWNED, "Report", SimpleNamespace(order_id="", region="640402100201"))
    with pytest.raises(PermissionDenied, match="outside"):
        authorise(clerk, OWNED, "Report", SimpleNamespace(order_id="", region="640402101201"))
    with pytest.raises(PermissionDenied, match="needs a region"):
        authorise(clerk, OWNED, "Report", SimpleNamespace(order_id="", region=""))


def test_an_owner_rule_without_its_owner_lookup_is_a_start_up_error() -> None:
    broken = ServicePolicy(
        "demo.v1.Demo", {"X": rule(Role.PROVIDER, region=Listing("code"), owner=OwnedBy("order", "id"))}
    )
    with pytest.raises(ValueError, match="'order' owner lookup"):
        broken.check()
