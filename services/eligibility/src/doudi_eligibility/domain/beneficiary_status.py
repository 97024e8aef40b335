"""Who is a current beneficiary: the one fact an outside system with the ``beneficiary.check`` scope
may learn about a person (e.g. a hospital's one-stop settlement), by programme, and nothing else.

An entitlement makes its persons current beneficiaries while it is paid: active, under review (payments
continue) or in gradual exit (a frozen amount is still paid, DOMAIN §5.1.8). One not yet started, held
(suspended), being terminated or ended does not.
"""

from __future__ import annotations

from collections.abc import Iterable

from doudi_eligibility.domain.explain import Programme
from doudi_eligibility.domain.machines.entitlement import State

#: The entitlement states in which its persons are current beneficiaries.
CURRENT_STATES = frozenset({State.ACTIVE, State.UNDER_REVIEW, State.GRADUAL_EXIT})


def current_programmes(held: Iterable[tuple[Programme, State]]) -> tuple[Programme, ...]:
    """The programmes, each once and in a fixed order, of the entitlements in ``held`` that are paid now."""
    current = {programme for programme, state in held if state in CURRENT_STATES}
    return tuple(sorted(current, key=list(Programme).index))
