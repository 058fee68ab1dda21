"""Time-weighted, directed multi-source reach on a 102,400-node street grid.

A driving network: every street has a travel time at its class speed and a
fifth of the streets are one-way (random direction). geoplan's
`node_distances(..., weight="travel_time_s")` (the time from every node *to*
the nearest of 100 facilities) against:

- networkx `multi_source_dijkstra_path_length` on the same arcs, reversed
  (the expert's route in networkx), which must give the same time per node;
- raw `scipy.sparse.csgraph.dijkstra` on a CSR matrix built from the edge
  arrays, timed *with* the matrix build (geoplan's is timed cold as well);
- the osmnx isochrone recipe (`ego_graph` per facility on the reversed graph,
  radius 5 minutes), which must give the same set of nodes within 5 minutes.

Peak memory of each route is measured with tracemalloc (numpy and scipy report
their buffers to it).

Run: .venv/bin/python benchmarks/bench_travel.py [side]
"""

from __future__ import annotations

import sys

import networkx as nx
import numpy as np
from _common import best_of, ego_graph_union, grid_network, peak_mib, save
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

from geoplan.access import network

N_FACILITIES, LIMIT_S = 100, 300.0


def main(side: int = 320) -> None:
    nodes, edges = grid_network(side)
    rng = np.random.default_rng(11)
    edges["highway"] = rng.choice(["primary", "secondary", "residential"], len(edges))
    edges["oneway"] = rng.random(len(edges)) < 0.2
    net = network.network_from_frames(nodes, edges, source="grid", mode="drive")
    assert net.directed
    sources = rng.choice(len(nodes), N_FACILITIES, replace=False).tolist()
    u, v = net.edge_nodes
    w = net.edges["travel_time_s"].to_numpy()
    two = ~net.edges["oneway"].to_numpy()
    arc_a, arc_b = np.r_[u, v[two]], np.r_[v, u[two]]
    arc_w = np.r_[w, w[two]]
    graph = nx.DiGraph()
    graph.add_weighted_edges_from(zip(arc_b, arc_a, arc_w, strict=True), weight="t")

    net.matrix("travel_time_s")  # built once, like the networkx graph above

    def ours():
        return network.node_distances(net, sources, weight="travel_time_s").to_numpy()

    def ours_cold():
        fresh = network.StreetNetwork(net.nodes, net.edges, "grid", "drive")
        return network.node_distances(fresh, sources, weight="travel_time_s").to_numpy()

    def raw_csgraph():
        reverse = csr_array((arc_w, (arc_b, arc_a)), shape=(len(nodes), len(nodes)))
        return dijkstra(reverse, directed=True, indices=sources, min_only=True)

    def networkx_route():
        return nx.multi_source_dijkstra_path_length(graph, sources, weight="t")

    def osmnx_recipe():
        return ego_graph_union(graph, sources, LIMIT_S, "t")

    t_ours, times = best_of(ours, repeat=3)
    t_cold, _ = best_of(ours_cold, repeat=3)
    t_raw, raw = best_of(raw_csgraph, repeat=3)
    t_nx, truth = best_of(networkx_route, repeat=1)
    t_ego, reached = best_of(osmnx_recipe, repeat=1)
    expected = np.array([truth.get(n, np.inf) for n in range(len(nodes))])
    finite = np.isfinite(expected)
    assert np.array_equal(np.isfinite(times), finite)
    diff = float(np.abs(times[finite] - expected[finite]).max())
    assert diff < 1e-6
    assert np.allclose(times, raw, equal_nan=True)
    assert set(np.flatnonzero(times <= LIMIT_S).tolist()) == reached
    save(
        "travel",
        {
            "workload": f"grid {side}x{side} = {len(nodes)} nodes, {len(edges)} "
            f"streets ({int(net.edges['oneway'].sum())} one-way), "
            f"{N_FACILITIES} facilities, drive times to the nearest",
            "same_answer": True,
            "max_abs_diff_s": diff,
            "nodes_within_5_min": len(reached),
            "geoplan_s": round(t_ours, 3),
            "geoplan_cold_s": round(t_cold, 3),
            "raw_csgraph_with_build_s": round(t_raw, 3),
            "networkx_multi_source_s": round(t_nx, 3),
            "osmnx_ego_graph_recipe_s": round(t_ego, 3),
            "speedup_vs_networkx": round(t_nx / t_ours, 1),
            "geoplan_cold_over_raw_csgraph": round(t_cold / t_raw, 2),
            "peak_mib_geoplan_cold": round(peak_mib(ours_cold), 1),
            "peak_mib_raw_csgraph": round(peak_mib(raw_csgraph), 1),
            "peak_mib_networkx": round(peak_mib(networkx_route), 1),
            "target": ">= 10x networkx; within 1.5x of raw csgraph with the build",
        },
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 320)
