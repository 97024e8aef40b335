"""JSON documents of an incident's offers, assessment and timeline, as its row stores them."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from doudi_dispatch.domain.incident import Assessment, Offer, OfferState, TimelineEntry, TimelineStep, Urgency


def _at(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _from_at(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def offers_to_json(offers: tuple[Offer, ...]) -> str:
    return json.dumps(
        [
            {
                "volunteer_id": o.volunteer_id,
                "wave": o.wave,
                "offered_at": _at(o.offered_at),
                "expires_at": _at(o.expires_at),
                "state": o.state.value,
                "responded_at": _at(o.responded_at),
                "distance_m": o.distance_m,
            }
            for o in offers
        ]
    )


def offers_from_json(text: str) -> tuple[Offer, ...]:
    def offer(data: dict[str, Any]) -> Offer:
        offered_at, expires_at = _from_at(data["offered_at"]), _from_at(data["expires_at"])
        assert offered_at is not None and expires_at is not None
        return Offer(
            volunteer_id=data["volunteer_id"],
            wave=data["wave"],
            offered_at=offered_at,
            expires_at=expires_at,
            state=OfferState(data["state"]),
            responded_at=_from_at(data["responded_at"]),
            distance_m=data["distance_m"],
        )

    return tuple(offer(item) for item in json.loads(text))


def timeline_to_json(timeline: tuple[TimelineEntry, ...]) -> str:
    return json.dumps(
        [
            {"step": e.step.value, "at": _at(e.at), "volunteer_id": e.volunteer_id, "note": e.note}
            for e in timeline
        ],
        ensure_ascii=False,
    )


def timeline_from_json(text: str) -> tuple[TimelineEntry, ...]:
    entries = []
    for item in json.loads(text):
        at = _from_at(item["at"])
        assert at is not None
        entries.append(TimelineEntry(TimelineStep(item["step"]), at, item["volunteer_id"], item["note"]))
    return tuple(entries)


def assessment_to_json(assessment: Assessment | None) -> str | None:
    if assessment is None:
        return None
    data = dict(assessment.__dict__)
    data["urgency"] = assessment.urgency.value if assessment.urgency else None
    return json.dumps(data, ensure_ascii=False)


def assessment_from_json(text: str | None) -> Assessment | None:
    if text is None:
        return None
    data = json.loads(text)
    data["urgency"] = Urgency(data["urgency"]) if data["urgency"] else None
    return Assessment(**data)
