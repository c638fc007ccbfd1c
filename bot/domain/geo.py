"""Distances on the Earth's surface and "which settlements are nearest to me". Pure logic.

Great-circle distance by the haversine formula on a sphere of the mean Earth radius: within
the region (a few hundred km) its error against the ellipsoid is under 0.5 %, far below
the precision of a village's published coordinates.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from babel.units import format_unit

EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius

T = TypeVar("T")


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres between two points given in decimal degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class Near(Generic[T]):
    """One place and how far it is."""

    place: T
    km: float


def nearest(
    places: Iterable[tuple[T, float, float]], lat: float, lon: float, limit: int = 5
) -> list[Near[T]]:
    """The `limit` places (given as (place, latitude, longitude)) nearest to (lat, lon),
    nearest first; ties keep the input order."""
    ranked = [Near(place, distance_km(lat, lon, p_lat, p_lon)) for place, p_lat, p_lon in places]
    ranked.sort(key=lambda near: near.km)  # stable: equal distances keep the input order
    return ranked[: max(0, limit)]


def format_km(km: float, lang: str) -> str:
    """`3,4 km`, `12 km`, `12 км` (Babel, the reader's locale): a decimal below 10 km only."""
    value = round(km, 1) if km < 10 else round(km)
    return format_unit(value, "length-kilometer", length="short", locale=lang)
