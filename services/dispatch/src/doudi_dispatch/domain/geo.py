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


@dataclass(frozen=True)
class BoundingBox:
    """A latitude/longitude rectangle in micro-degrees, bounds included."""

    min_latitude_e6: int
    max_latitude_e6: int
    min_longitude_e6: int
    max_longitude_e6: int

    def contains(self, point: GeoPoint) -> bool:
        return (
            self.min_latitude_e6 <= point.latitude_e6 <= self.max_latitude_e6
            and self.min_longitude_e6 <= point.longitude_e6 <= self.max_longitude_e6
        )


def box_around(origin: GeoPoint, radius_m: int) -> BoundingBox:
    """A rectangle holding every place within ``radius_m`` of ``origin``: whatever lies outside it is
    farther than ``radius_m`` by the haversine distance (so a store can search it by index).

    Latitude: an arc of ``radius_m`` along a meridian. Longitude: for two places in the box's latitude
    band, sin(d / 2R) ≥ cos(φmax) · sin(Δλ / 2), so Δλ = 2·asin(sin(r / 2R) / cos φmax) bounds it; near a
    pole, or across the antimeridian, the box spans every longitude.
    """
    angle = radius_m / EARTH_RADIUS_M
    dlat = math.degrees(angle)
    lat0 = origin.latitude_e6 / MICRO
    max_lat = min(90.0, abs(lat0) + dlat)
    cos_max = math.cos(math.radians(max_lat))
    ratio = math.sin(angle / 2) / cos_max if cos_max > 0 else 2.0
    min_lon = -MAX_LONGITUDE_E6
    max_lon = MAX_LONGITUDE_E6
    if ratio < 1:
        dlon_e6 = math.degrees(2 * math.asin(ratio)) * MICRO
        low = math.floor(origin.longitude_e6 - dlon_e6)
        high = math.ceil(origin.longitude_e6 + dlon_e6)
        if low >= -MAX_LONGITUDE_E6 and high <= MAX_LONGITUDE_E6:
            min_lon, max_lon = low, high
    return BoundingBox(
        min_latitude_e6=max(-MAX_LATITUDE_E6, math.floor(origin.latitude_e6 - dlat * MICRO)),
        max_latitude_e6=min(MAX_LATITUDE_E6, math.ceil(origin.latitude_e6 + dlat * MICRO)),
        min_longitude_e6=min_lon,
        max_longitude_e6=max_lon,
    )
