"""Coordinate systems: WGS-84 storage, declared CGCS2000, metric CRS for measuring.

geoplan stores every layer in WGS-84 (EPSG:4326). CGCS2000 (EPSG:4490) differs
from WGS-84 by well under a metre and is treated as equal, but the original
declaration is kept in ``GeoDataFrame.attrs["source_crs"]``. Distances and areas
are measured only in a projected metric CRS, chosen by :func:`metric_crs`.
"""

from __future__ import annotations

import functools
import logging
import math

import geopandas as gpd
import numpy as np
from pyproj import CRS

from geoplan.errors import CRSError

logger = logging.getLogger(__name__)

WGS84 = CRS.from_epsg(4326)
CGCS2000 = CRS.from_epsg(4490)


def to_wgs84(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """
    Return `frame` in WGS-84, recording the CRS it was declared in.

    CGCS2000 (EPSG:4490) is relabelled as WGS-84 without moving coordinates;
    any other declared CRS is transformed.

    Parameters
    ----------
    frame
        A layer with a declared CRS.

    Returns
    -------
    geopandas.GeoDataFrame
        The layer in EPSG:4326, with ``attrs["source_crs"]`` set.

    Raises
    ------
    CRSError
        If `frame` declares no CRS.
    """
    if frame.crs is None:
        msg = (
            "The layer declares no coordinate system; declare it first, e.g. "
            "`frame.set_crs('EPSG:4326')` for WGS-84 (GCJ-02 or BD-09 input must be "
            "converted, not relabelled)."
        )
        raise CRSError(msg)
    source = frame.crs
    if source.equals(WGS84):
        out = frame.copy()
    elif source.equals(CGCS2000):
        out = frame.set_crs(WGS84, allow_override=True)
    else:
        out = frame.to_crs(WGS84)
    out.attrs["source_crs"] = source.to_string()
    return out


def _utm_zone(lon: float, lat: float) -> CRS:
    """Return the WGS-84 UTM zone holding a point (on an edge, the lowest code)."""
    step = math.floor(lon / 6)
    if lon % 6 == 0 and lon > -180:  # on the edge of two zones: the western one
        step -= 1
    return _utm((step + 30) % 60 + 1, north=lat >= 0)


@functools.cache
def _utm(zone: int, *, north: bool) -> CRS:
    return CRS.from_epsg((32600 if north else 32700) + zone)


def metric_crs(frame: gpd.GeoDataFrame) -> CRS:
    """
    Choose a projected metric CRS (the UTM zone) for measuring `frame`.

    Parameters
    ----------
    frame
        A layer in a geographic CRS (WGS-84 or CGCS2000).

    Returns
    -------
    pyproj.CRS
        The WGS-84 UTM zone that holds the centre of the layer's bounds.
    """
    if frame.crs is None:
        msg = "Cannot choose a metric CRS for a layer that declares no CRS."
        raise CRSError(msg)
    geographic = frame if frame.crs.is_geographic else frame.to_crs(WGS84)
    west, south, east, north = geographic.total_bounds
    if not np.isfinite([west, south, east, north]).all():
        crs = frame.estimate_utm_crs(datum_name="WGS 84")  # its own message
    else:  # the zone holding the centre, as estimate_utm_crs finds it, 100x faster
        crs = _utm_zone((west + east) / 2, (south + north) / 2)
    logger.info("Chose metric CRS %s for %d features", crs.name, len(frame))
    return crs


def require_metric(*frames: gpd.GeoDataFrame) -> CRS:
    """
    Check that all `frames` share one projected CRS in metres.

    Parameters
    ----------
    *frames
        The layers a measurement will combine.

    Returns
    -------
    pyproj.CRS
        The shared CRS.

    Raises
    ------
    CRSError
        If the CRS differ, are missing, geographic or not in metres.
    """
    crs_set = {frame.crs for frame in frames}
    if len(crs_set) != 1:
        names = sorted(str(c) for c in crs_set)
        msg = f"Inputs have different CRS {names}; reproject them to one metric CRS."
        raise CRSError(msg)
    (only,) = crs_set
    if only is None or not only.is_projected:
        msg = (
            f"Need a projected CRS in metres, got {only!r}; "
            "reproject with `frame.to_crs(geoplan.places.crs.metric_crs(frame))`."
        )
        raise CRSError(msg)
    unit = only.axis_info[0].unit_name
    if unit != "metre":
        msg = f"Need a CRS in metres, got one in {unit!r}: {only.name}."
        raise CRSError(msg)
    return only
