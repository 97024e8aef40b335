"""The JSON documents some columns hold: ledger details, id lists, protection steps and notes."""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from datetime import date
from enum import StrEnum
from typing import Any

from doudi_care.domain.ledger import (
    DETAILS_FIELD,
    ChildCategory,
    Details,
    DisabilityType,
    LivingArrangement,
    SelfCare,
)

_KINDS = {name: kind for kind, name in DETAILS_FIELD.items()}
_ENUMS: dict[str, type[StrEnum]] = {
    "living_arrangement": LivingArrangement,
    "self_care": SelfCare,
    "category": ChildCategory,
    "certificate_type": DisabilityType,
}
_DATES = ("valid_until", "agreement_signed_on")


def details_to_json(details: Details) -> str:
    values: dict[str, Any] = {}
    for key, value in asdict(details).items():
        if isinstance(value, date):
            value = value.isoformat()
        values[key] = value
    return json.dumps({"kind": DETAILS_FIELD[type(details)], **values}, ensure_ascii=False, sort_keys=True)


def details_from_json(text: str) -> Details:
    values = json.loads(text)
    kind = _KINDS[values.pop("kind")]
    known = {f.name for f in fields(kind)}
    args: dict[str, Any] = {}
    for key, value in values.items():
        if key not in known:
            continue
        if key in _ENUMS and value is not None:
            value = _ENUMS[key](value)
        elif key in _DATES and value is not None:
            value = date.fromisoformat(value)
        args[key] = value
    return kind(**args)  # type: ignore[no-any-return]


def ids_to_json(ids: tuple[str, ...]) -> str:
    return json.dumps(list(ids))


def ids_from_json(text: str) -> tuple[str, ...]:
    return tuple(json.loads(text))
