"""Network nearest-facility distances on a 102,400-node street grid.

geoplan (one multi-source `scipy.sparse.csgraph.dijkstra` on a CSR matrix built
from edge arrays) against the routes below. Each side's graph is built before
timing (geoplan's CSR matrix, networkx's Graph); geoplan's time with a cold
build is reported too.

- networkx `multi_source_dijkstra_path_length` on the same graph (the graph
  build is not timed), which must give the same distance per node (1e-6 m);
- networkx `multi_source_dijkstra_path_length(..., cutoff=radius)`, the route an
  expert takes for "which nodes are within the radius", against geoplan's
  search limited to the radius: the same covered nodes;
- the osmnx isochrone recipe: one `networkx.ego_graph(G, f, radius, distance=
  "length")` per facility, whose union must give the same covered nodes.

Run: .venv/bin/python benchmarks/bench_network.py [side]
"""

from __future__ import annotations

import sys

import networkx as nx
import numpy as np
from _common import best_of, ego_graph_union, grid_network, save

from geoplan.access import network

N_FACILITIES, RADIUS_M = 100, 1000.0


def main(side: int = 320) -> None:
    nodes, edges = grid_network(side)
    net = network.network_from_frames(nodes, edges, source="grid")
    rng = np.random.default_rng(7)
    sources = rng.choice(len(nodes), N_FACILITIES, replace=False).tolist()
    graph = nx.Graph()
    graph.add_weighted_edges_from(
        net.edges[["u", "v", "length_m"]].itertuples(index=False), weight="length"
    )

    net.matrix()  # build once, like the networkx graph above

    def ours():
        return network.node_distances(net, sources).to_numpy()

    def ours_cold():
        fresh = network.StreetNetwork(net.nodes, net.edges, "grid")
        return network.node_distances(fresh, sources).to_numpy()

    def ours_within():
        return network.node_distances(net, sources, limit_m=RADIUS_M).to_numpy()

    def networkx_route():
        return nx.multi_source_dijkstra_path_length(graph, sources, weight="length")

    def networkx_within():
        return nx.multi_source_dijkstra_path_length(
            graph, sources, cutoff=RADIUS_M, weight="length"
        )

    def osmnx_recipe():
        return ego_graph_union(graph, sources, RADIUS_M, "length")

    t_ours, dist = best_of(ours, repeat=3)
    t_cold, _ = best_of(ours_cold, repeat=3)
    t_within, dist_within = best_of(ours_within, repeat=3)
    t_nx, truth = best_of(networkx_route, repeat=1)
    t_nx_within, near = best_of(networkx_within, repeat=3)
    t_ego, covered = best_of(osmnx_recipe, repeat=1)
    expected = np.array([truth[n] for n in range(len(nodes))])
    assert np.abs(dist - expected).max() < 1e-6
    assert set(np.flatnonzero(dist_within <= RADIUS_M).tolist()) == covered
    assert set(near) == covered
    save(
        "network",
        {
            "workload": f"grid {side}x{side} = {len(nodes)} nodes, {len(edges)} edges, "
            f"{N_FACILITIES} facilities, radius {RADIUS_M:g} m",
            "same_answer": True,
            "max_abs_diff_m": float(np.abs(dist - expected).max()),
            "covered_nodes": len(covered),
            "geoplan_all_nodes_s": round(t_ours, 3),
            "geoplan_all_nodes_with_matrix_build_s": round(t_cold, 3),
            "geoplan_within_radius_s": round(t_within, 3),
            "networkx_multi_source_s": round(t_nx, 3),
            "networkx_multi_source_cutoff_s": round(t_nx_within, 3),
            "osmnx_ego_graph_recipe_s": round(t_ego, 3),
            "speedup_vs_networkx": round(t_nx / t_ours, 1),
            "speedup_vs_networkx_with_build": round(t_nx / t_cold, 1),
            "speedup_within_vs_networkx_cutoff": round(t_nx_within / t_within, 1),
            "speedup_vs_osmnx_recipe": round(t_ego / t_within, 1),
            "target": ">= 10x faster than networkx (all nodes and with cutoff)",
        },
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 320)
