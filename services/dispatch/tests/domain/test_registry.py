"""The vulnerable-person registry and the check-on tasks of a declared disaster (DOMAIN §8.2 M3)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from doudi_common.errors import InvalidArgument
from doudi_common.testing import make_resident_id
from doudi_dispatch.domain import incident as incidents
from doudi_dispatch.domain import registry
from doudi_dispatch.domain.incident import IncidentKind, IncidentSource, IncidentState
from doudi_dispatch.domain.registry import Disaster, DisasterDeclaration, VulnerableCategory, VulnerablePerson

from .builders import VILLAGE

NOW = datetime(2026, 7, 20, 8, 0, tzinfo=UTC)
#: DOMAIN §13 H07: grandmother Hu, 74, Tekun.
HU = VulnerablePerson(
    id_number=make_resident_id(date(1952, 4, 3), 61, female=True),
    name="胡秀兰",
    region=VILLAGE,
    category=VulnerableCategory.TEKUN_DISPERSED,
    contact_name="村主任 马",
    contact_phone="13909541234",
)


def test_a_registration_is_checked_and_made_compact() -> None:
    registered = registry.register(HU, now=NOW)
    assert registered.updated_at == NOW and registered.contact_phone == "13909541234"
    bad = VulnerablePerson(id_number="640402", name="", region="64", category=None, contact_phone="1")
    with pytest.raises(InvalidArgument) as raised:
        registry.register(bad, now=NOW)
    assert {v.field for v in raised.value.violations} == {
        "person.id_number",
        "person.name",
        "region",
        "category",
        "contact_phone",
    }


@pytest.mark.parametrize(("region", "ok"), [("640402000000", True), (VILLAGE, True), ("640000000000", False)])
def test_a_disaster_is_declared_for_a_county_or_below(region: str, ok: bool) -> None:
    declaration = DisasterDeclaration(region=region, description="暴雨引发山洪")
    if ok:
        assert registry.validate_declaration(declaration).code == region
    else:
        with pytest.raises(InvalidArgument):
            registry.validate_declaration(declaration)


def test_each_person_gets_a_check_on_task_linked_to_the_disaster() -> None:
    disaster = Disaster("dis_1", "640402100000", "暴雨引发山洪", NOW, 0)
    task = incidents.report(registry.check_on_report(HU, disaster), incident_id="inc_9", now=NOW)
    assert task.kind is IncidentKind.CHECK_ON and task.source is IncidentSource.DISASTER_DECLARATION
    assert task.person_id_number == HU.id_number and task.disaster_id == "dis_1"
    assert task.state is IncidentState.OPEN and task.next_check_at == NOW
    assert task.required_skill is None and task.contact_phone == "13909541234"
