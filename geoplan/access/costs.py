"""The seam between geometry and maths: demand × facility costs in metres.

Producers turn layers into a :class:`CostTable`: :func:`euclidean_costs` here,
:func:`geoplan.access.network.network_costs` for street networks. Everything below
the seam (coverage, gaps, siting) reads only the table, never geometry.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from geoplan.errors import CRSError, ValidationError
from geoplan.places.crs import metric_crs, require_metric

logger = logging.getLogger(__name__)

_GEOM_NAMES = {
    1: "LineString",
    2: "LinearRing",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
    7: "GeometryCollection",
}


@dataclass(frozen=True)
class CostTable:
    """
    Costs from each demand point to the facilities, in metres or seconds.

    Attributes
    ----------
    demand_index, facility_index
        The indexes of the demand and facility layers.
    nearest_pos
        Position (in `facility_index`) of each demand point's nearest
        facility; -1 where none is reachable or the point is not located.
    nearest
        Cost to that facility, in `unit`; ``inf`` where none is reachable,
        NaN where the demand point has no location.
    cutoff
        The reach (in `unit`) the counts and pairs were computed for.
    within_count
        Number of facilities within `cutoff` of each demand point.
    pairs
        Optional ``(demand_pos, facility_pos, cost)`` arrays of every pair
        within `cutoff`.
    unit
        ``"m"`` (distance) or ``"s"`` (travel time).
    method
        ``"euclidean"`` or ``"network"``.
    crs
        The metric CRS the costs were measured in.
    extra
        Producer-specific per-demand columns (e.g. ``access_m``).
    """

    demand_index: pd.Index
    facility_index: pd.Index
    nearest_pos: NDArray[np.int64]
    nearest: NDArray[np.float64]
    cutoff: float
    within_count: NDArray[np.int64]
    method: str
    crs: str
    unit: Literal["m", "s"] = "m"
    pairs: tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]] | None = (
        None
    )
    extra: dict[str, NDArray] = field(default_factory=dict)


def point_coordinates(
    frame: gpd.GeoDataFrame, *, role: str
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """
    Return x/y of point geometries and a mask of rows that have a location.

    Parameters
    ----------
    frame
        A point layer; null, empty or non-finite points are allowed and
        reported as not located.
    role
        ``"demand"`` or ``"facilities"``, for messages.

    Returns
    -------
    tuple
        An (n, 2) array (NaN where not located) and the located mask.

    Raises
    ------
    ValidationError
        If a located geometry is not a point.
    """
    geoms = frame.geometry.to_numpy()
    type_id = shapely.get_type_id(geoms)  # -1 for missing, 0 for points
    other = np.flatnonzero(type_id > 0)
    other = other[~shapely.is_empty(geoms[other])]  # an empty polygon: no location
    if other.size:
        kinds = sorted(set(type_id[other].tolist()))
        names = [_GEOM_NAMES.get(k, str(k)) for k in kinds]
        msg = (
            f"`{role}` must hold points, found {names}; use "
            f"`{role}.representative_point()` to turn polygons into points."
        )
        raise ValidationError(msg)
    xy = np.column_stack([shapely.get_x(geoms), shapely.get_y(geoms)])
    xy[type_id != 0] = np.nan
    located = np.isfinite(xy).all(axis=1)
    xy[~located] = np.nan
    return xy, located


def to_common_metric(
    demand: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """
    Bring both layers into one metric CRS, choosing it when they are geographic.

    Parameters
    ----------
    demand, facilities
        Layers in the same declared CRS.

    Returns
    -------
    tuple of geopandas.GeoDataFrame
        Both layers in a projected CRS in metres.

    Raises
    ------
    CRSError
        If a layer declares no CRS or the two declare different ones.
    """
    if demand.crs is None or facilities.crs is None:
        msg = "Both `demand` and `facilities` must declare a CRS (e.g. EPSG:4326)."
        raise CRSError(msg)
    if not demand.crs.equals(facilities.crs):
        msg = (
            f"`demand` is in {demand.crs.name} but `facilities` in "
            f"{facilities.crs.name}; reproject one so both match."
        )
        raise CRSError(msg)
    if demand.crs.is_geographic:
        pooled = pd.concat([demand.geometry, facilities.geometry])
        target = metric_crs(gpd.GeoDataFrame(geometry=pooled, crs=demand.crs))
        demand, facilities = demand.to_crs(target), facilities.to_crs(target)
    require_metric(demand, facilities)
    return demand, facilities


def euclidean_costs(
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    *,
    cutoff_m: float,
    with_pairs: bool = False,
) -> CostTable:
    """
    Measure straight-line costs from demand points to facilities.

    Geographic inputs are projected to the UTM zone of the area first (logged);
    projected inputs must be in metres.

    Parameters
    ----------
    demand
        Demand points (settlements, communities, sites).
    facilities
        Facility points in the same CRS as `demand`.
    cutoff_m
        Counts and pairs are kept within this straight-line distance (m).
    with_pairs
        Also list every demand–facility pair within `cutoff_m` in ``pairs``.

    Returns
    -------
    CostTable
        Nearest facility, its distance and counts within `cutoff_m`.
    """
    demand_m, facilities_m = to_common_metric(demand, facilities)
    d_xy, d_ok = point_coordinates(demand_m, role="demand")
    f_xy, f_ok = point_coordinates(facilities_m, role="facilities")
    f_pos = np.flatnonzero(f_ok)
    table = start_table(
        demand_m, facilities_m, d_ok, cutoff_m, "euclidean", with_pairs=with_pairs
    )
    if len(f_pos) and d_ok.any():
        tree = cKDTree(f_xy if len(f_pos) == len(f_xy) else f_xy[f_pos])
        located = d_xy if d_ok.all() else d_xy[d_ok]  # no copy when all are
        dist, idx = tree.query(located, k=1, workers=-1)
        table.nearest[d_ok] = dist
        table.nearest_pos[d_ok] = f_pos[idx]
        table.within_count[d_ok] = tree.query_ball_point(
            located, r=cutoff_m, return_length=True, workers=-1
        )
        if with_pairs:
            table = replace(
                table, pairs=_pairs_within(tree, d_xy, d_ok, f_pos, cutoff_m)
            )
    logger.info(
        "Euclidean costs: %d demand x %d facilities in %s, %d demand not located",
        len(d_ok),
        len(f_pos),
        demand_m.crs.name,
        (~d_ok).sum(),
    )
    return table


def start_table(
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    located: NDArray[np.bool_],
    cutoff: float,
    method: str,
    *,
    with_pairs: bool,
    unit: Literal["m", "s"] = "m",
) -> CostTable:
    """
    Return a table in which no facility is reached yet, for a producer to fill.

    Its ``nearest_pos``, ``nearest_m`` and ``within_count`` arrays are filled
    in place; ``pairs`` (empty when `with_pairs`) and ``extra`` are replaced
    with :func:`dataclasses.replace`.

    Parameters
    ----------
    demand, facilities
        The layers, in the metric CRS the costs are measured in.
    located
        Mask of demand points that have a location.
    cutoff
        The reach, in `unit`; must be positive.
    method
        The producer: ``"euclidean"`` or ``"network"``.
    with_pairs
        Whether the table carries pairs within `cutoff`.
    unit
        ``"m"`` or ``"s"``.

    Returns
    -------
    CostTable
        Nearest position -1, cost ``inf`` (NaN where not located), counts 0.

    Raises
    ------
    ValueError
        If `cutoff` is not positive.
    """
    if not cutoff > 0:
        msg = f"the reach (`cutoff_m`, `cutoff_s`) must be positive, got {cutoff!r}."
        raise ValueError(msg)
    n = len(located)
    empty = np.array([], dtype=np.int64)
    return CostTable(
        demand_index=demand.index,
        facility_index=facilities.index,
        nearest_pos=np.full(n, -1, dtype=np.int64),
        nearest=np.where(located, np.inf, np.nan),
        cutoff=float(cutoff),
        unit=unit,
        within_count=np.zeros(n, dtype=np.int64),
        method=method,
        crs=demand.crs.to_string(),
        pairs=(empty, empty, np.array([], dtype=float)) if with_pairs else None,
    )


def _pairs_within(
    tree: cKDTree,
    d_xy: NDArray[np.float64],
    d_ok: NDArray[np.bool_],
    f_pos: NDArray[np.int64],
    cutoff_m: float,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    d_pos = np.flatnonzero(d_ok)
    hits = tree.query_ball_point(d_xy[d_ok], r=cutoff_m, workers=-1)
    lengths = np.fromiter((len(h) for h in hits), dtype=np.int64, count=len(hits))
    rows = np.repeat(d_pos, lengths)
    cols_local = (
        np.concatenate([np.asarray(h, dtype=np.int64) for h in hits])
        if lengths.sum()
        else np.array([], dtype=np.int64)
    )
    cost = np.hypot(*(d_xy[rows] - tree.data[cols_local]).T)
    return rows, f_pos[cols_local], cost
