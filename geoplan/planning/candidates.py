"""Candidate sites for the siting models: gazetteer units, or a regular grid.

Candidates are points where a facility could be built. They come from a
user's layer (read with :func:`geoplan.io.layers.read_points`), from the
gazetteer (town seats and villages with a point, :func:`from_gazetteer`), or
from a regular grid clipped to the units where building is allowed
(:func:`grid`). Each candidate carries the code of the unit it lies in, so a
model can keep a facility to its own unit (:func:`geoplan.planning.siting.restrict`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan.errors import ValidationError
from geoplan.places.crs import WGS84, metric_crs, to_wgs84
from geoplan.places.gazetteer import LEVELS, Gazetteer, pad_code

logger = logging.getLogger(__name__)


def from_gazetteer(
    gazetteer: Gazetteer,
    *,
    within: str,
    levels: Sequence[str] = ("town", "village"),
) -> gpd.GeoDataFrame:
    """
    Return the units below `within` that have a point, as candidate sites.

    Statistical pseudo-units (reservoirs, forest farms, parks with 4xx codes)
    are left out; units from older lists are kept (their points are real
    places). Units without a point are counted in ``attrs["without_point"]``
    and logged, since they cannot be measured.

    Parameters
    ----------
    gazetteer
        The gazetteer (e.g. extended with adcode's town and village points).
    within
        The code of the unit the candidates lie in, e.g. ``"611002"``.
    levels
        The unit levels that can host a facility.

    Returns
    -------
    geopandas.GeoDataFrame
        Index: the gazetteer's row codes. Columns ``name``, ``level``,
        ``town_code`` (the town's row, see :meth:`Gazetteer.town_of`) and
        ``county_code``, points in EPSG:4326.
    """
    unknown = sorted(set(levels) - set(LEVELS))
    if unknown:
        msg = f"Unknown levels {unknown}; use some of {list(LEVELS)}."
        raise ValidationError(msg)
    code = pad_code(within)
    below = gazetteer.children(code)  # refuses a code the gazetteer lacks
    below = below[below["level"].isin(levels) & ~below["pseudo"]]
    has = below["lon"].notna()
    located = below[has]
    out = gpd.GeoDataFrame(
        {
            "name": located["name"],
            "level": located["level"],
            "town_code": gazetteer.town_of(located.index.to_series()),
            "county_code": located.index.str[:6] + "000000",
        },
        geometry=gpd.points_from_xy(located["lon"], located["lat"]),
        crs=WGS84,
        index=located.index.rename("code"),
    )
    out.attrs["without_point"] = int((~has).sum())
    logger.info(
        "%d candidate units below %s (%s); %d more have no point",
        len(out),
        gazetteer.units.loc[code, "name"],
        "/".join(levels),
        out.attrs["without_point"],
    )
    return out


def grid(
    units: gpd.GeoDataFrame,
    *,
    spacing_m: float,
    unit_column: str | None = None,
) -> gpd.GeoDataFrame:
    """
    Return a regular grid of candidate points inside the allowed units.

    The grid is laid in the UTM zone of the units (a metric CRS), anchored at
    whole multiples of `spacing_m`, and kept where a point falls inside a
    unit. The polygons only say where building is allowed; coverage is still
    decided from distances. A point lying exactly on a unit's edge may fall
    either way after reprojection.

    Parameters
    ----------
    units
        Polygons of the units where a facility may be built, with a CRS.
    spacing_m
        Distance between neighbouring grid points, in metres.
    unit_column
        A column of `units` copied to each point (``unit``); default the
        index of `units`.

    Returns
    -------
    geopandas.GeoDataFrame
        Points in EPSG:4326 with ``unit``, index ``g0``, ``g1`` and so on.
    """
    if not spacing_m > 0:
        msg = f"`spacing_m` must be positive, got {spacing_m!r}."
        raise ValueError(msg)
    if units.crs is None:
        msg = "The units declare no CRS; set it (e.g. EPSG:4490) before gridding."
        raise ValidationError(msg)
    polygons = to_wgs84(units[units.geometry.notna() & ~units.geometry.is_empty])
    metric = polygons.to_crs(metric_crs(polygons))
    xmin, ymin, xmax, ymax = metric.total_bounds
    xs = np.arange(np.floor(xmin / spacing_m), np.ceil(xmax / spacing_m) + 1)
    ys = np.arange(np.floor(ymin / spacing_m), np.ceil(ymax / spacing_m) + 1)
    if len(xs) * len(ys) > 5_000_000:
        msg = (
            f"A {spacing_m:g} m grid over these units has {len(xs) * len(ys):,} "
            "points; widen the spacing or grid fewer units."
        )
        raise ValidationError(msg)
    gx, gy = np.meshgrid(xs * spacing_m, ys * spacing_m)
    points = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(gx.ravel(), gy.ravel()), crs=metric.crs
    )
    labels = metric[unit_column] if unit_column else metric.index.to_series()
    allowed = metric.assign(unit=labels.to_numpy())[["unit", "geometry"]]
    hits = gpd.sjoin(points, allowed, predicate="within")
    hits = hits[~hits.index.duplicated()]  # overlapping units: the first one
    out = gpd.GeoDataFrame(
        {"unit": hits["unit"].to_numpy()},
        geometry=hits.geometry.to_crs(WGS84).to_numpy(),
        crs=WGS84,
        index=pd.Index([f"g{i}" for i in range(len(hits))], name="candidate"),
    )
    logger.info(
        "Grid of %d candidates at %g m inside %d units", len(out), spacing_m, len(units)
    )
    return out
