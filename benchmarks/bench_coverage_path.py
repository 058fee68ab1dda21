"""The path users call: network coverage of 200,000 demand points, end to end.

On the 320 x 320 street grid (102,400 nodes, 204,160 streets), 100 facilities
at street corners and 200,000 demand points scattered over the grid; reach
1,000 m along the streets. Timed, each from the same points to the same
answer (covered flag per point, and the distance where covered):

- geoplan `coverage.distance_coverage(demand, facilities, radius_m=1000,
  method="network", network=net)` from GeoDataFrames: snapping every point,
  splitting streets, the bounded search and the table (the network's indexes
  warm, then cold: a fresh `StreetNetwork` that builds its matrix and index);
- the kernel alone, written by hand on the same primitives: nearest street
  by shapely's `STRtree.query_nearest` and `line_locate_point`, one
  multi-source `scipy.sparse.csgraph.dijkstra` with `limit`, the cost of each
  point through either end of its street; and the search step alone;
- the networkx + osmnx route an expert takes: `osmnx.distance.nearest_edges`
  then `networkx.multi_source_dijkstra_path_length(..., cutoff=radius)` and
  the same per-point arithmetic (graphs built before timing).

Run: .venv/bin/python benchmarks/bench_coverage_path.py [side] [n_demand]
"""

from __future__ import annotations

import sys

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import shapely
from _common import UTM_49N, best_of, grid_network, peak_mib, save
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

from geoplan.access import coverage, network

N_FACILITIES, RADIUS_M = 100, 1000.0


def _through_ends(access, along, length, d_u, d_v):
    """Cost of each point: to its street, along it, on from the nearer end."""
    return access + np.minimum(d_u + along, d_v + length - along)


def main(side: int = 320, n_demand: int = 200_000) -> None:
    nodes, edges = grid_network(side)
    net = network.network_from_frames(nodes, edges, source="grid")
    rng = np.random.default_rng(3)
    corner = rng.choice(len(nodes), N_FACILITIES, replace=False)
    facilities = gpd.GeoDataFrame(
        geometry=nodes.geometry.iloc[corner].values, crs=UTM_49N
    )
    low, high = nodes.total_bounds[:2], nodes.total_bounds[2:]
    xy = rng.uniform(low + 50, high - 50, (n_demand, 2))
    demand = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=UTM_49N
    )
    lines = net.edges.geometry.to_numpy()
    u, v = net.edge_nodes
    length = net.edges["length_m"].to_numpy()
    matrix = csr_array(
        (np.r_[length, length], (np.r_[u, v], np.r_[v, u])), shape=(len(nodes),) * 2
    )
    graph = nx.MultiDiGraph(crs=UTM_49N)
    graph.add_nodes_from(
        (i, {"x": p.x, "y": p.y}) for i, p in enumerate(nodes.geometry)
    )
    for a, b, line, metres in zip(u, v, lines, length, strict=True):
        graph.add_edge(a, b, key=0, geometry=line, length=metres)
    simple = nx.Graph(graph)

    def ours():
        return coverage.distance_coverage(
            demand, facilities, radius_m=RADIUS_M, method="network", network=net
        )

    def ours_cold():
        fresh = network.StreetNetwork(net.nodes, net.edges, "grid")
        return coverage.distance_coverage(
            demand, facilities, radius_m=RADIUS_M, method="network", network=fresh
        )

    def search_only():
        return dijkstra(
            matrix, directed=False, indices=corner, min_only=True, limit=RADIUS_M
        )

    def kernel():
        points = shapely.points(xy)
        which, edge = shapely.STRtree(lines).query_nearest(points, all_matches=False)
        edge = edge[np.argsort(which, kind="stable")]
        along = shapely.line_locate_point(lines[edge], points)
        access = shapely.distance(points, lines[edge])
        d = search_only()
        return _through_ends(access, along, length[edge], d[u[edge]], d[v[edge]])

    def networkx_osmnx():
        found, access = ox.distance.nearest_edges(
            graph, xy[:, 0], xy[:, 1], return_dist=True
        )
        a, b = np.array(found.tolist())[:, :2].T
        edge_lines = np.array(
            [graph[i][j][0]["geometry"] for i, j in zip(a, b, strict=True)],
            dtype=object,
        )
        along = shapely.line_locate_point(edge_lines, shapely.points(xy))
        reach = nx.multi_source_dijkstra_path_length(
            simple, corner.tolist(), cutoff=RADIUS_M, weight="length"
        )
        d_a = np.array([reach.get(i, np.inf) for i in a])
        d_b = np.array([reach.get(j, np.inf) for j in b])
        return _through_ends(access, along, shapely.length(edge_lines), d_a, d_b)

    t_ours, table = best_of(ours, repeat=3)
    t_cold, _ = best_of(ours_cold, repeat=2)
    t_search, _ = best_of(search_only, repeat=3)
    t_kernel, cost = best_of(kernel, repeat=2)
    t_nx, cost_nx = best_of(networkx_osmnx, repeat=1)
    covered = table[f"covered_{RADIUS_M:g}m"].to_numpy(dtype=bool)
    assert np.array_equal(covered, cost <= RADIUS_M)
    assert np.array_equal(covered, cost_nx <= RADIUS_M)
    ours_m = table["dist_to_nearest_m"].to_numpy()
    diff = float(np.abs(ours_m[covered] - cost[covered]).max())
    assert diff < 1e-6
    assert np.abs(ours_m[covered] - cost_nx[covered]).max() < 1e-6
    save(
        "coverage_path",
        {
            "workload": f"grid {side}x{side} = {len(nodes)} nodes, {len(edges)} "
            f"streets; {N_FACILITIES} facilities at corners, {n_demand} demand "
            f"points; reach {RADIUS_M:g} m",
            "same_answer": True,
            "covered": int(covered.sum()),
            "max_abs_diff_m": diff,
            "geoplan_coverage_s": round(t_ours, 3),
            "geoplan_coverage_cold_s": round(t_cold, 3),
            "kernel_hand_written_s": round(t_kernel, 3),
            "kernel_search_only_s": round(t_search, 3),
            "networkx_osmnx_s": round(t_nx, 3),
            "geoplan_over_kernel": round(t_ours / t_kernel, 2),
            "geoplan_over_search_only": round(t_ours / t_search, 1),
            "speedup_vs_networkx_osmnx": round(t_nx / t_ours, 1),
            "peak_mib_geoplan": round(peak_mib(ours), 1),
            "peak_mib_kernel": round(peak_mib(kernel), 1),
            "target": "within 2x of the kernel; >= 10x networkx + osmnx",
        },
    )


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(*args)
