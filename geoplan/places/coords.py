"""Vectorised conversion between WGS-84, GCJ-02 (高德/腾讯) and BD-09 (百度).

GCJ-02 is an obfuscation of WGS-84 used by Chinese web maps, not a datum, so
pyproj cannot convert it. The forward formulas are the widely published public
domain ones; the inverses are solved by fixed-point iteration until the
round trip closes to 1e-10 degrees (about 0.01 mm), so converting a point to
GCJ-02 and back returns it to well under 0.01 m.

Only points inside China's rough bounding box are shifted (the out-of-China
rule of the forward formula); elsewhere the systems coincide.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

CoordSystem = Literal["wgs84", "gcj02", "bd09"]
SYSTEMS: tuple[CoordSystem, ...] = ("wgs84", "gcj02", "bd09")

_A = 6378245.0  # Krasovsky 1940 semi-major axis
_EE = 0.00669342162296594323  # its first eccentricity squared
_TOLERANCE_DEG = 1e-10
_MAX_ITERATIONS = 30

Array = NDArray[np.float64]


def in_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """
    Tell which points fall in the box where GCJ-02 differs from WGS-84.

    Parameters
    ----------
    lon, lat
        Longitudes and latitudes in degrees.

    Returns
    -------
    numpy.ndarray
        True inside 72.004–137.8347 E, 0.8293–55.8271 N.
    """
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    return (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)


def _offset(lon: Array, lat: Array) -> tuple[Array, Array]:
    x, y = lon - 105.0, lat - 35.0
    common = (
        (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    )
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y
    dlat += 0.2 * np.sqrt(np.abs(x)) + common
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2 / 3
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y
    dlon += 0.1 * np.sqrt(np.abs(x)) + common
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300 * np.sin(x / 30.0 * np.pi)) * 2 / 3
    rad = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad) * np.pi)
    return dlon, dlat


def _wgs_to_gcj(lon: Array, lat: Array) -> tuple[Array, Array]:
    dlon, dlat = _offset(lon, lat)
    inside = in_china(lon, lat)
    return np.where(inside, lon + dlon, lon), np.where(inside, lat + dlat, lat)


def _gcj_to_bd(lon: Array, lat: Array) -> tuple[Array, Array]:
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * np.pi * 3000.0 / 180.0)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * np.pi * 3000.0 / 180.0)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _invert(forward, lon: Array, lat: Array) -> tuple[Array, Array]:
    """Solve forward(x) = (lon, lat) for x by fixed-point iteration."""
    x, y = lon.copy(), lat.copy()
    for _ in range(_MAX_ITERATIONS):
        fx, fy = forward(x, y)
        dx, dy = lon - fx, lat - fy
        x += dx
        y += dy
        if np.nanmax(np.abs(np.concatenate([dx, dy])), initial=0.0) < _TOLERANCE_DEG:
            break
    return x, y


def _to_wgs(system: CoordSystem, lon: Array, lat: Array) -> tuple[Array, Array]:
    if system == "bd09":
        lon, lat = _invert(_gcj_to_bd, lon, lat)
        system = "gcj02"
    if system == "gcj02":
        return _invert(_wgs_to_gcj, lon, lat)
    return lon, lat


def _from_wgs(system: CoordSystem, lon: Array, lat: Array) -> tuple[Array, Array]:
    if system == "wgs84":
        return lon, lat
    lon, lat = _wgs_to_gcj(lon, lat)
    return _gcj_to_bd(lon, lat) if system == "bd09" else (lon, lat)


def convert(
    lon: ArrayLike, lat: ArrayLike, *, source: CoordSystem, target: CoordSystem
) -> tuple[Array, Array]:
    """
    Convert longitudes and latitudes between WGS-84, GCJ-02 and BD-09.

    Parameters
    ----------
    lon, lat
        Coordinates in degrees (scalars or arrays of equal shape); NaN stays
        NaN.
    source, target
        ``"wgs84"``, ``"gcj02"`` or ``"bd09"``.

    Returns
    -------
    tuple of numpy.ndarray
        Longitudes and latitudes in `target`.

    Raises
    ------
    ValueError
        If `source` or `target` is not a known system.

    Examples
    --------
    >>> lon, lat = convert(109.94, 33.87, source="wgs84", target="gcj02")
    >>> round(float(lon[0]), 4), round(float(lat[0]), 4)
    (109.945, 33.8683)
    """
    for name, value in (("source", source), ("target", target)):
        if value not in SYSTEMS:
            msg = f"`{name}` must be one of {list(SYSTEMS)}, got {value!r}."
            raise ValueError(msg)
    x = np.array(lon, dtype=float, ndmin=1)
    y = np.array(lat, dtype=float, ndmin=1)
    if source == target:
        return x, y
    return _from_wgs(target, *_to_wgs(source, x, y))
