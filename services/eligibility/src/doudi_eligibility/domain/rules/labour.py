"""Labour capacity and severity tests shared by Dibao categories and Tekun K1 (DOMAIN §5.1.5, §5.2.1).

Keys read: ``labour.no_capacity.age_from``, ``labour.no_capacity.age_below``,
``labour.no_capacity.disability``.

A person has no labour capacity when aged ≥ 60 or < 16, or with a K1 disability, or with a certified loss
of labour capacity from serious illness.
"""

from __future__ import annotations

from doudi_common.parameters import Parameters
from doudi_eligibility.domain.rules.facts import Person

KEYS = ("labour.no_capacity.age_from", "labour.no_capacity.age_below", "labour.no_capacity.disability")


def has_labour_capacity(person: Person, params: Parameters) -> bool:
    if person.age >= params.integer("labour.no_capacity.age_from"):
        return False
    if person.age < params.integer("labour.no_capacity.age_below"):
        return False
    if params.grades("labour.no_capacity.disability").covers(person.disability):
        return False
    return not person.lost_labour_capacity
