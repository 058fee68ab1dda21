"""Service areas for display: the network-reachable area and the circle.

These polygons are for maps only. Coverage is always decided from costs
(:mod:`geoplan.access.coverage`), never from these shapes.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import shapely
import shapely.ops
from numpy.typing import NDArray
from scipy.sparse.csgraph import dijkstra

from geoplan.access import modes
from geoplan.access.costs import point_coordinates
from geoplan.access.network import (
    StreetNetwork,
    _augment,
    _csr,
    _towards,
    snap_to_edges,
)


def _reached(
    network: StreetNetwork,
    dist: NDArray[np.float64],
    budget: float,
    weight: str = "length_m",
) -> tuple[NDArray[np.bool_], list[shapely.Geometry]]:
    """Edges wholly reachable within `budget` (a mask) and reached parts of others."""
    u, v = network.edge_nodes
    length = network.edges["length_m"].to_numpy()
    cost = network.edges[weight].to_numpy(dtype=float)
    per_m = np.divide(cost, length, out=np.ones_like(cost), where=length > 0)
    lines = network.edges.geometry.to_numpy()
    from_u = np.clip(budget - dist[u], 0.0, None) / per_m  # metres along the edge
    from_v = np.clip(budget - dist[v], 0.0, None) / per_m
    if network.directed:  # on a one-way street u -> v one reaches on via v only
        from_u[network.edges["oneway"].to_numpy()] = 0.0
    whole = from_u + from_v >= length
    partial = np.flatnonzero(~whole)
    pieces = [
        shapely.ops.substring(lines[e], 0.0, from_u[e])
        for e in partial[from_u[partial] > 0]
    ] + [
        shapely.ops.substring(lines[e], length[e] - from_v[e], length[e])
        for e in partial[from_v[partial] > 0]
    ]
    return whole & ((from_u > 0) | (from_v > 0)), pieces


def isochrones(
    facilities: gpd.GeoDataFrame,
    network: StreetNetwork,
    *,
    minutes: Sequence[float],
    buffer_m: float = 25.0,
) -> gpd.GeoDataFrame:
    """
    Draw, for each facility, the streets from which it is reached within each band.

    For display only: coverage is decided from travel times, never from these
    polygons. On a driving network one-way streets bind (the time is that of
    travelling *to* the facility); the walk from the street to the facility
    counts at the mode's off-network speed.

    Parameters
    ----------
    facilities
        Facility points (any declared CRS).
    network
        The street network of a travel mode.
    minutes
        The bands, e.g. ``(5, 10, 15)``.
    buffer_m
        Half-width of the drawn street corridor in metres.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per located facility and band: ``facility`` (index label),
        ``mode``, ``minutes``, ``area_m2`` and the polygon, in the network's
        metric CRS.
    """
    travel = modes.get(network.mode)
    xy, ok = point_coordinates(facilities.to_crs(network.crs), role="facilities")
    snap = snap_to_edges(network, xy[ok])
    split, n_total, (f_node,) = _augment(network, [snap], "travel_time_s")
    graph = _towards(split, n_total, directed=network.directed)
    n_nodes = len(network.nodes)
    limit = 60.0 * max(minutes, default=0.0)
    corridors = shapely.buffer(network.edges.geometry.to_numpy(), buffer_m, quad_segs=2)
    rows = []
    for k, label in enumerate(facilities.index[ok]):
        walk_s = snap.access_m[k] / travel.off_network_speed_m_s
        dist = dijkstra(graph, directed=True, indices=f_node[k], limit=limit)[:n_nodes]
        area = shapely.Polygon()
        drawn = np.zeros(len(corridors), dtype=bool)  # whole edges inside `area`
        for band in sorted(minutes):  # each band holds the one before it
            budget = 60.0 * band - walk_s
            if budget > 0:
                whole, pieces = _reached(network, dist, budget, "travel_time_s")
                area = shapely.union_all(
                    [
                        area,
                        *corridors[whole & ~drawn],
                        *shapely.buffer(pieces, buffer_m, quad_segs=2),
                    ]
                )
                drawn |= whole
            rows.append(
                {
                    "facility": label,
                    "mode": network.mode,
                    "minutes": float(band),
                    "area_m2": area.area,
                    "geometry": area,
                }
            )
    columns = ["facility", "mode", "minutes", "area_m2", "geometry"]
    return gpd.GeoDataFrame(rows, columns=columns, geometry="geometry", crs=network.crs)


def service_areas(
    facilities: gpd.GeoDataFrame,
    network: StreetNetwork,
    *,
    radius_m: float,
    buffer_m: float = 25.0,
) -> gpd.GeoDataFrame:
    """
    Draw each facility's network service area and its Euclidean circle.

    The network area is the union of the street pieces reachable within
    `radius_m` (access distance included), buffered by `buffer_m`; the
    circle has radius `radius_m`. Comparing the two shows the detour.

    Parameters
    ----------
    facilities
        Facility points (any declared CRS).
    network
        The street network.
    radius_m
        Reach in metres.
    buffer_m
        Half-width of the drawn street corridor in metres.

    Returns
    -------
    geopandas.GeoDataFrame
        Two rows per located facility: ``facility`` (index label), ``kind``
        (``network``/``euclidean``), ``radius_m``, ``area_m2``; in the
        network's metric CRS.
    """
    xy, ok = point_coordinates(facilities.to_crs(network.crs), role="facilities")
    snap = snap_to_edges(network, xy[ok])
    split, n_total, (f_node,) = _augment(network, [snap])
    graph = _csr(split.a, split.b, split.w, n_total)
    n_nodes = len(network.nodes)
    lines = network.edges.geometry.to_numpy()
    length = network.edges["length_m"].to_numpy()
    rows = []
    for k, label in enumerate(facilities.index[ok]):
        budget = radius_m - snap.access_m[k]
        pieces: list[shapely.Geometry] = []
        if budget > 0:
            dist = dijkstra(graph, directed=True, indices=f_node[k], limit=budget)
            whole, pieces = _reached(network, dist[:n_nodes], budget)
            pieces += list(lines[whole])
            e, at = snap.edge[k], snap.fraction[k] * length[snap.edge[k]]
            pieces.append(
                shapely.ops.substring(
                    lines[e], max(0.0, at - budget), min(length[e], at + budget)
                )
            )
        area = (
            shapely.union_all(shapely.buffer(pieces, buffer_m))
            if pieces
            else shapely.Polygon()
        )
        circle = shapely.Point(xy[ok][k]).buffer(radius_m, quad_segs=32)
        rows += [
            {
                "facility": label,
                "kind": "network",
                "radius_m": radius_m,
                "area_m2": area.area,
                "geometry": area,
            },
            {
                "facility": label,
                "kind": "euclidean",
                "radius_m": radius_m,
                "area_m2": circle.area,
                "geometry": circle,
            },
        ]
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=network.crs)
