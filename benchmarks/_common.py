"""Helpers shared by the benchmarks: timing, result files, synthetic worlds."""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
from shapely.geometry import LineString

RESULTS = Path(__file__).resolve().parent / "results"
UTM_49N = "EPSG:32649"


def best_of(fn: Callable[[], Any], repeat: int = 5) -> tuple[float, Any]:
    """Run `fn` `repeat` times; return the best wall time (s) and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def peak_mib(fn: Callable[[], Any]) -> float:
    """Peak traced memory of one call of `fn`, in MiB (numpy/scipy buffers count)."""
    import tracemalloc

    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def save(name: str, record: dict[str, Any]) -> Path:
    """Write a benchmark record as JSON under benchmarks/results/ and print it."""
    RESULTS.mkdir(exist_ok=True)
    record = {
        "benchmark": name,
        "python": platform.python_version(),
        "machine": platform.machine(),
        **record,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(record, indent=2, ensure_ascii=False))
    return path


def ego_graph_union(graph: Any, sources: list[int], radius: float, weight: str) -> set:
    """The osmnx isochrone recipe: the union of one `ego_graph` per source."""
    import networkx as nx

    reached: set = set()
    for source in sources:
        reached.update(nx.ego_graph(graph, source, radius=radius, distance=weight))
    return reached


def grid_network(side: int, spacing_m: float = 100.0, seed: int = 0):
    """A jittered `side` x `side` street grid in UTM 49N: (nodes, edges) frames."""
    rng = np.random.default_rng(seed)
    ij = np.indices((side, side)).reshape(2, -1).T
    xy = ij * spacing_m + rng.uniform(-spacing_m / 4, spacing_m / 4, ij.shape)
    ids = np.arange(side * side).reshape(side, side)
    pairs = np.concatenate(
        [
            np.stack([ids[:, :-1].ravel(), ids[:, 1:].ravel()], axis=1),
            np.stack([ids[:-1, :].ravel(), ids[1:, :].ravel()], axis=1),
        ]
    )
    nodes = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=UTM_49N
    )
    edges = gpd.GeoDataFrame(
        {"u": pairs[:, 0], "v": pairs[:, 1]},
        geometry=[LineString([xy[a], xy[b]]) for a, b in pairs],
        crs=UTM_49N,
    )
    return nodes, edges
