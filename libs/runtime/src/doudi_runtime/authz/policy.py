"""Declarative authorisation: which roles may call a method, and which region the call touches.

Every service declares, in its ``api/policy.py``, one :class:`Rule` per full gRPC method name; the
runtime's :class:`~doudi_runtime.grpc.authz.PolicyStep` checks it before the handler runs. The
decisions, in the order they are made:

- **No rule, no call** (fail closed): a method of a service that declares a policy but has no rule
  for it is refused to everyone, services included — so an RPC added without a rule cannot be used.
  A service that declares no policy at all is open to doudi's own services only.
- **Role**: a caller whose role is not in the rule gets PERMISSION_DENIED. doudi's services
  (``Role.SERVICE``: plain-string tokens, mTLS certificates, and ``AUTH_MODE=off``) may call every
  method that has a rule and are not region-bound: ARCHITECTURE has them trust each other over mTLS,
  and a service acts for the whole platform (the gateway forwards a person's identity instead when
  it acts for one, see ``ON_BEHALF_OF_KEY``).
- **Scopes**: an external system must also hold every scope the rule names (e.g. ``monitoring.report``).
- **Subject**: a volunteer or a provider may only act as themself (the rule's ``subject_field`` equals
  their ``subject``), and only on records that are theirs (:class:`OwnedBy`: a provider's own work
  order); another's record answers NOT_FOUND like a missing one. One with no ``subject`` is refused.
- **Region**, for region-bound callers:
  - :class:`FromField` — the request names a region (e.g. the township an application is submitted
    to); outside the caller's scope is PERMISSION_DENIED: the caller named it, nothing leaks.
    ``optional`` fields are skipped when empty (a report names a record *or* a region).
  - :class:`FromRecord` — the request names a record; its region is loaded through a lookup the
    service supplies. A record outside the caller's scope answers **NOT_FOUND with the same text as
    a missing one** ("<kind> not found"), so another township's case id cannot be told from an
    unknown id (BOLA).
  - :class:`Listing` — a list's region filter. An empty filter is narrowed to the caller's scope
    (when it is one region); a filter outside the scope is PERMISSION_DENIED. The services' lists
    return only records inside their filter, so a narrowed list holds only the caller's records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from doudi_common.errors import InvalidArgument, NotFound, PermissionDenied
from doudi_common.region import RegionCode
from doudi_runtime.authz.principal import Principal, Role

#: A lookup from a record id to the region the record belongs to (None when there is no such record).
RegionLookup = Callable[[str], str | None]
#: A lookup from a record id to the record as it is stored (for audit's before/after), or None.
SnapshotLookup = Callable[[str], Mapping[str, Any] | None]
#: A lookup from a record id to the subject (e.g. provider id) the record belongs to, or None.
OwnerLookup = Callable[[str], str | None]

#: Roles bound to a subject of their own: they act only as themselves, on their own records.
SUBJECT_BOUND = frozenset({Role.VOLUNTEER, Role.PROVIDER})


@dataclass(frozen=True)
class FromField:
    """The region is a request field, e.g. ``township.code``; ``optional`` ones are skipped when empty."""

    path: str
    optional: bool = False


@dataclass(frozen=True)
class FromRecord:
    """The region is the region of the record whose id is the request field ``path``.

    ``optional`` sources are skipped when the field is empty (e.g. a list by run *or* beneficiary).
    """

    kind: str
    path: str
    optional: bool = False


@dataclass(frozen=True)
class Listing:
    """The region filter of a list RPC: narrowed to the caller's scope when empty."""

    path: str


RegionSource = FromField | FromRecord | Listing


@dataclass(frozen=True)
class OwnedBy:
    """For subject-bound callers: the record whose id is the request field ``path`` must be theirs."""

    kind: str
    path: str


@dataclass(frozen=True)
class Rule:
    """Who may call one method, and how to find the region(s) the call touches (all must be in scope)."""

    roles: frozenset[Role]
    regions: tuple[RegionSource, ...] = ()
    scopes: frozenset[str] = frozenset()
    subject_field: str | None = None
    owner: OwnedBy | None = None
    #: A state change: recorded in the audit trail when it succeeds.
    mutates: bool = False

    @property
    def record(self) -> FromRecord | None:
        """The record the call is about, when it names one (audit's subject)."""
        return next((s for s in self.regions if isinstance(s, FromRecord)), None)


def rule(
    *roles: Role,
    region: RegionSource | Iterable[RegionSource] = (),
    scopes: Iterable[str] = (),
    subject_field: str | None = None,
    owner: OwnedBy | None = None,
    mutates: bool = False,
) -> Rule:
    """A rule, written the way a policy module reads best; a region-bound role needs a region source."""
    sources = (region,) if isinstance(region, FromField | FromRecord | Listing) else tuple(region)
    return Rule(
        roles=frozenset(roles),
        regions=sources,
        scopes=frozenset(scopes),
        subject_field=subject_field,
        owner=owner,
        mutates=mutates,
    )


@dataclass(frozen=True)
class ServicePolicy:
    """One gRPC service's rules (keyed by method name) and the lookups its record sources use."""

    service: str
    rules: Mapping[str, Rule]
    lookups: Mapping[str, RegionLookup] = field(default_factory=dict)
    snapshots: Mapping[str, SnapshotLookup] = field(default_factory=dict)
    owners: Mapping[str, OwnerLookup] = field(default_factory=dict)
    audit: Any = None  # an AuditLog when the service keeps an audit trail

    def rule_for(self, method_name: str) -> Rule | None:
        return self.rules.get(method_name)

    def missing(self, method_names: Iterable[str]) -> list[str]:
        """Methods without a rule (for the test that fails when an RPC is added without one)."""
        return sorted(set(method_names) - set(self.rules))

    def check(self) -> None:
        """Refuse a policy whose rules name a lookup it does not have (a mistake found at start-up)."""
        for name, entry in self.rules.items():
            for source in entry.regions:
                if isinstance(source, FromRecord) and source.kind not in self.lookups:
                    raise ValueError(f"{self.service}/{name} needs a {source.kind!r} lookup")
            if entry.owner is not None and entry.owner.kind not in self.owners:
                raise ValueError(f"{self.service}/{name} needs a {entry.owner.kind!r} owner lookup")


# ---------------------------------------------------------------------------------------- request fields


def read_field(message: Any, path: str) -> str:
    """The string at a dotted path of a proto message ("" when absent)."""
    value: Any = message
    for part in path.split("."):
        value = getattr(value, part, "")
    return value if isinstance(value, str) else ""


def write_field(message: Any, path: str, value: str) -> None:
    *parents, last = path.split(".")
    target = message
    for part in parents:
        target = getattr(target, part)
    setattr(target, last, value)


def _region(text: str, path: str) -> RegionCode:
    return RegionCode.parse(text, field=path.removesuffix(".code"))


def _field_name(path: str) -> str:
    return path.removesuffix(".code")


# --------------------------------------------------------------------------------------------- decide


def authorise(
    principal: Principal, policy: ServicePolicy | None, method_name: str, request: Any
) -> Rule | None:
    """Allow the call (returning its rule) or raise PermissionDenied / NotFound / InvalidArgument.

    ``request`` may be narrowed in place (a list's empty region filter becomes the caller's scope).
    """
    if policy is None:
        if principal.is_service:
            return None
        raise PermissionDenied("this API is open to doudi's services only")
    entry = policy.rule_for(method_name)
    if entry is None:
        raise PermissionDenied(f"{method_name} has no authorisation rule and is refused")
    if principal.is_service:
        return entry
    if principal.role not in entry.roles:
        raise PermissionDenied(f"a {principal.role.value} may not call {method_name}")
    if principal.role is Role.EXTERNAL_SYSTEM and not entry.scopes <= principal.scopes:
        raise PermissionDenied(f"{method_name} needs the scopes {sorted(entry.scopes)}")
    if principal.role in SUBJECT_BOUND:
        _check_subject(principal, policy, entry, request)
    if principal.role is Role.AUDITOR and not entry.regions:
        return entry
    if principal.role is Role.EXTERNAL_SYSTEM and not principal.regions:
        # A region-free external system is bound by its scopes alone, so only a rule naming scopes lets it in.
        if not entry.scopes:
            raise PermissionDenied(f"{method_name} is not open to region-free external systems")
        return entry
    _check_regions(principal, policy, entry, request)
    return entry


def _check_subject(principal: Principal, policy: ServicePolicy, entry: Rule, request: Any) -> None:
    if entry.subject_field is None and entry.owner is None:
        return
    if not principal.subject:
        raise PermissionDenied(f"a {principal.role.value} without a subject may not act on its own records")
    if entry.subject_field is not None and read_field(request, entry.subject_field) != principal.subject:
        raise PermissionDenied(f"a {principal.role.value} may act only as themself ({entry.subject_field})")
    if entry.owner is not None:
        record_id = read_field(request, entry.owner.path)
        if not record_id:
            raise InvalidArgument.single(entry.owner.path, "is required")
        if policy.owners[entry.owner.kind](record_id) != principal.subject:
            # Another's record reads like a missing one, as another region's does (BOLA).
            raise NotFound(f"{entry.owner.kind} not found")


def _check_regions(principal: Principal, policy: ServicePolicy, entry: Rule, request: Any) -> None:
    checked = 0
    for source in entry.regions:
        if isinstance(source, FromField):
            text = read_field(request, source.path)
            if not text and source.optional:
                continue
            if not text:
                raise InvalidArgument.single(_field_name(source.path), "is required")
            if not principal.covers(_region(text, source.path)):
                raise PermissionDenied(f"{_field_name(source.path)} is outside the caller's region")
        elif isinstance(source, Listing):
            text = read_field(request, source.path)
            if not text:
                if len(principal.regions) != 1:
                    raise InvalidArgument.single(_field_name(source.path), "is required for this caller")
                write_field(request, source.path, principal.regions[0].code)
            elif not principal.covers(_region(text, source.path)):
                raise PermissionDenied(f"{_field_name(source.path)} is outside the caller's region")
        else:
            record_id = read_field(request, source.path)
            if not record_id:
                if source.optional:
                    continue
                raise InvalidArgument.single(source.path, "is required")
            region = policy.lookups[source.kind](record_id)
            if region is None or not _covers(principal, region):
                # The same answer for "no such record" and "someone else's record" (BOLA).
                raise NotFound(f"{source.kind} not found")
        checked += 1
    if checked == 0:
        # A region-bound caller on a call that touches no region it could be checked against.
        raise PermissionDenied("this call needs a region the caller's scope can be checked against")


def _covers(principal: Principal, region: str) -> bool:
    try:
        return principal.covers(RegionCode(region))
    except ValueError:
        return False
