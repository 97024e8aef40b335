"""Places on the map in integer micro-degrees, and the great-circle distance between two of them.

Integers keep places exact in the store and on the wire; only the distance is computed in floating
point, and it is rounded to whole metres because matching needs an order, not a survey.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from doudi_common.errors import FieldViolation

EARTH_RADIUS_M = 6_371_008.8
MICRO = 1_000_000
MAX_LATITUDE_E6 = 90 * MICRO
MAX_LONGITUDE_E6 = 180 * MICRO


@dataclass(frozen=True)
class GeoPoint:
    latitude_e6: int
    longitude_e6: int


def point_violations(point: GeoPoint | None, field: str) -> list[FieldViolation]:
    if point is None:
        return []
    violations = []
    if not -MAX_LATITUDE_E6 <= point.latitude_e6 <= MAX_LATITUDE_E6:
        violations.append(FieldViolation(f"{field}.latitude_e6", "must be between -90 and 90 degrees"))
    if not -MAX_LONGITUDE_E6 <= point.longitude_e6 <= MAX_LONGITUDE_E6:
        violations.append(FieldViolation(f"{field}.longitude_e6", "must be between -180 and 180 degrees"))
    return violations


def distance_m(a: GeoPoint, b: GeoPoint) -> int:
    """Haversine distance in whole metres (symmetric, zero for the same place)."""
    lat1, lat2 = math.radians(a.latitude_e6 / MICRO), math.radians(b.latitude_e6 / MICRO)
    dlat = lat2 - lat1
    dlon = math.radians((b.longitude_e6 - a.longitude_e6) / MICRO)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return round(2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h))))
