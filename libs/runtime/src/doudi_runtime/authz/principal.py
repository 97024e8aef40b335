"""Who is calling: a principal's organisation, role (DOMAIN §1.2), region scope and scopes.

``AUTH_TOKENS`` maps a token either to a plain string — a doudi service, as before — or to an object
``{"name", "org", "role", "region", "scopes", "subject"}`` for people and external systems. A region
may be written with 6 (county), 9 (township) or 12 digits; it covers itself and every code below it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from doudi_common.region import RegionCode


class Role(StrEnum):
    """DOMAIN §1.2's actors as callers, plus doudi's own services and the auditors who read the trail."""

    SERVICE = "service"
    VILLAGE_COMMITTEE = "village_committee"
    TOWNSHIP_OFFICE = "township_office"
    COUNTY_BUREAU = "county_bureau"
    PROVIDER = "provider"
    VOLUNTEER = "volunteer"
    EXTERNAL_SYSTEM = "external_system"
    AUDITOR = "auditor"


#: Every role a person or an outside system may hold (all but SERVICE).
PEOPLE_AND_SYSTEMS = frozenset(Role) - {Role.SERVICE}


def parse_region(text: object, field_name: str = "region") -> RegionCode:
    """A 6-, 9- or 12-digit region code, padded to the 12-digit form."""
    if not isinstance(text, str) or not text.isdigit() or len(text) not in (6, 9, 12):
        raise ValueError(f"{field_name} must be a 6-, 9- or 12-digit administrative division code")
    return RegionCode(text.ljust(12, "0"))


@dataclass(frozen=True)
class Principal:
    """An authenticated caller.

    ``regions`` is the scope of a person or system (empty for a service, which is not region-bound);
    ``scopes`` narrow what an external system may ask; ``subject`` binds a volunteer to their own
    volunteer id; ``via`` names the doudi service that forwarded this caller's identity.
    """

    name: str
    role: Role
    org: str = ""
    regions: tuple[RegionCode, ...] = ()
    scopes: frozenset[str] = field(default_factory=frozenset)
    subject: str = ""
    via: str = ""

    @property
    def is_service(self) -> bool:
        return self.role is Role.SERVICE

    def covers(self, region: RegionCode) -> bool:
        """True when ``region`` lies within the caller's scope (a service covers every region)."""
        return self.is_service or any(scope.contains(region) for scope in self.regions)

    def to_json(self) -> str:
        """The form a trusted service forwards in the on-behalf-of header (ASCII: gRPC metadata is)."""
        payload: dict[str, Any] = {"name": self.name, "org": self.org, "role": self.role.value}
        if self.regions:
            payload["region"] = [r.code for r in self.regions]
        if self.scopes:
            payload["scopes"] = sorted(self.scopes)
        if self.subject:
            payload["subject"] = self.subject
        return json.dumps(payload, separators=(",", ":"))


def service_principal(name: str) -> Principal:
    """A doudi service (a plain-string token, or the service URI of an mTLS certificate)."""
    return Principal(name=name, role=Role.SERVICE)


def _regions(value: object) -> tuple[RegionCode, ...]:
    items: Iterable[object] = [value] if isinstance(value, str) else value  # type: ignore[assignment]
    if not isinstance(items, list | tuple):
        raise ValueError("region must be a code or a list of codes")
    return tuple(parse_region(item) for item in items)


def principal_from_config(value: object, *, allow_service: bool = True) -> Principal:
    """A principal from AUTH_TOKENS' value: a plain string (a service) or an object.

    People and systems must carry an organisation and a region scope (an external system may be
    region-free only when it is restricted by scopes instead); a service role in object form is
    refused when ``allow_service`` is false (a forwarded identity may never claim to be a service).
    """
    if isinstance(value, str):
        if not value:
            raise ValueError("a principal name must not be empty")
        if not allow_service:
            raise ValueError("a forwarded principal must be an object")
        return service_principal(value)
    if not isinstance(value, Mapping):
        raise ValueError("a principal is a name or an object {name, org, role, region, scopes}")
    unknown = set(value) - {"name", "org", "role", "region", "scopes", "subject"}
    if unknown:
        raise ValueError(f"unknown principal keys: {sorted(unknown)}")
    try:
        role = Role(value.get("role"))
    except ValueError:
        raise ValueError(f"role must be one of {[r.value for r in Role]}") from None
    org = value.get("org", "")
    name = value.get("name") or org
    if not isinstance(org, str) or not isinstance(name, str) or not name:
        raise ValueError("a principal needs a name or an org")
    if role is Role.SERVICE:
        if not allow_service:
            raise ValueError("a forwarded principal may not claim the service role")
        return service_principal(name)
    regions = _regions(value.get("region", []))
    scopes = value.get("scopes", [])
    if not isinstance(scopes, list) or not all(isinstance(s, str) and s for s in scopes):
        raise ValueError("scopes must be a list of non-empty strings")
    if not regions and not (role is Role.EXTERNAL_SYSTEM and scopes) and role is not Role.AUDITOR:
        raise ValueError(f"a {role.value} principal needs a region scope")
    subject = value.get("subject", "")
    if not isinstance(subject, str):
        raise ValueError("subject must be a string")
    if role is Role.VOLUNTEER and not subject:
        raise ValueError("a volunteer principal needs its volunteer id as subject")
    return Principal(
        name=name, role=role, org=org, regions=regions, scopes=frozenset(scopes), subject=subject
    )


def forwarded_principal(header: str, via: str) -> Principal:
    """The end user a trusted service forwards (JSON in the on-behalf-of header)."""
    try:
        parsed = json.loads(header)
    except json.JSONDecodeError:
        raise ValueError("the on-behalf-of header is not JSON") from None
    principal = principal_from_config(parsed, allow_service=False)
    return Principal(
        name=principal.name,
        role=principal.role,
        org=principal.org,
        regions=principal.regions,
        scopes=principal.scopes,
        subject=principal.subject,
        via=via,
    )
