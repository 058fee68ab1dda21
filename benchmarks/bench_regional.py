"""A nation-sized analysis county by county: serial against a local Dask cluster.

Every county of China (2,845 in the shipped gazetteer) with the statistics
bureau's villages and communities (about 600k) as demand, placed at their
town's point; one synthetic facility per town that is a county seat's street or
town (the county's point) — the ``towns`` of each county would do as well, the
point is the work per county. Two reaches:

- ``euclidean``: 5 km in straight lines;
- ``network``: 5 km along a generated street grid per county, 400 m between
  crossings over the bounds of the county's demand and facilities, at most
  110 x 110 crossings (12,100 nodes, 24,000 edges; a rural county's drive
  network in OSM is of that order), built inside the task.

Each is run in this process (``workers=0``) and on a ``LocalCluster`` of two
worker processes (this machine has two cores); the answers are compared cell
by cell. Reported: wall time, the distribution of per-county task times, the
peak memory of each worker, the scheduler's overhead per task (5,000 empty
tasks), and the wall time to expect on 8, 32 and 128 workers, worked out by
scheduling the measured task times greedily in submission order (as the
scheduler does) plus the serial set-up and the scheduler's per-task cost.

Run: .venv/bin/python benchmarks/bench_regional.py [N_COUNTIES]   (default all)
"""

from __future__ import annotations

import heapq
import resource
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from _common import save

from geoplan import settings
from geoplan.access.network import StreetNetwork, network_from_frames
from geoplan.places.gazetteer import Gazetteer
from geoplan.workflows.regional import RegionalJob, run_regional

SPACING_M = 400.0
MAX_SIDE = 110
WORKERS = (8, 32, 128)


def grid_network(
    county: str, bounds: tuple[float, float, float, float]
) -> StreetNetwork:
    """A drivable street grid over `bounds`, 400 m apart, at most 110 x 110."""
    del county  # every county's grid is built the same way
    west, south, east, north = bounds
    mid = np.radians((south + north) / 2)
    wide = max((east - west) * 111_320 * np.cos(mid), SPACING_M)
    high = max((north - south) * 110_540, SPACING_M)
    nx = int(min(MAX_SIDE, max(2, wide // SPACING_M + 1)))
    ny = int(min(MAX_SIDE, max(2, high // SPACING_M + 1)))
    pad = 0.01
    lon = np.linspace(west - pad, east + pad, nx)
    lat = np.linspace(south - pad, north + pad, ny)
    xx, yy = np.meshgrid(lon, lat)
    ids = np.arange(nx * ny).reshape(ny, nx)
    nodes = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(xx.ravel(), yy.ravel()), crs="EPSG:4326"
    )
    u = np.concatenate([ids[:, :-1].ravel(), ids[:-1, :].ravel()])
    v = np.concatenate([ids[:, 1:].ravel(), ids[1:, :].ravel()])
    xy = np.column_stack([xx.ravel(), yy.ravel()])
    lines = shapely.linestrings(np.stack([xy[u], xy[v]], axis=1))
    edges = gpd.GeoDataFrame(
        {"u": u, "v": v, "highway": "secondary"}, geometry=lines, crs="EPSG:4326"
    )
    return network_from_frames(nodes, edges, source="grid", mode="drive")


def _noop(i: int) -> int:
    return i


def scheduler_overhead_s(n: int = 5000) -> float:
    """Seconds per task the scheduler adds: empty tasks on two workers."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as c,
        Client(c) as client,
    ):
        client.gather(client.map(_noop, range(100)))  # warm
        start = time.perf_counter()
        client.gather(client.map(_noop, range(n), pure=False))
        return (time.perf_counter() - start) / n


def makespan(seconds: list[float], workers: int) -> float:
    """Greedy list scheduling in submission order: each task to the first free."""
    free = [0.0] * workers
    for s in seconds:
        heapq.heappush(free, heapq.heappop(free) + s)
    return max(free)


def facilities(units: pd.DataFrame, counties: list[str]) -> Path:
    """One synthetic facility per county, at the county's point (a CSV)."""
    rows = units[(units["level"] == "county") & units["lon"].notna()]
    rows = rows[rows.index.str[:6].isin(counties)]
    path = Path(tempfile.mkdtemp()) / "facilities.csv"
    pd.DataFrame(
        {
            "id": rows.index.str[:6],
            "name": rows["name"],
            "lon": rows["lon"],
            "lat": rows["lat"],
        }
    ).to_csv(path, index=False)
    return path


def run(kind: str, counties: list[str], store: Gazetteer, where: Path, fac: Path):
    """One run: (wall seconds, result) for each of serial and local cluster."""
    results = {}
    for workers in (0, 2):
        job = RegionalJob(
            counties=counties,
            demand_units="village",
            facilities=fac,
            coords="wgs84",
            radius_m=5000,
            method="network" if kind == "network" else "euclidean",
            out=where / f"{kind}-{workers}" / "china.gpkg",
            workers=workers,
        )
        start = time.perf_counter()
        result = run_regional(
            job,
            gazetteer=store,
            network_for=grid_network if kind == "network" else None,
        )
        results[workers] = (time.perf_counter() - start, result)
    return results


def main(limit: int | None = None) -> None:
    settings.show_progress = False
    start = time.perf_counter()
    store = Gazetteer.builtin()
    units = store.units
    counties = sorted(units.index[units["level"] == "county"].str[:6])[:limit]
    for province in sorted({c[:2] for c in counties}):
        store.load_villages(province)
    load_s = time.perf_counter() - start
    fac = facilities(store.units, counties)
    overhead = scheduler_overhead_s()
    record: dict[str, object] = {
        "workload": f"{len(counties)} counties, the villages of the shipped gazetteer "
        "as demand, one facility per county; 5 km straight and along generated "
        "grids (400 m, <= 110 x 110 nodes)",
        "gazetteer_and_villages_load_s": round(load_s, 1),
        "scheduler_overhead_ms_per_task": round(overhead * 1000, 3),
    }
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("euclidean", "network"):
            runs = run(kind, counties, store, Path(tmp), fac)
            (serial_s, serial), (cluster_s, cluster) = runs[0], runs[2]
            for name in ("demand", "counties", "totals"):
                pd.testing.assert_frame_equal(
                    getattr(serial, name), getattr(cluster, name), check_exact=True
                )
            times = serial.timings["seconds"].to_numpy()
            setup_s = serial_s - times.sum()  # the client's own serial part
            by_worker = cluster.timings.groupby("worker")["peak_rss_mib"].max()
            largest = serial.timings.sort_values("demand").iloc[-1]
            record[kind] = {
                "demand_rows": len(serial.demand),
                "failed_counties": len(serial.failures),
                "serial_s": round(serial_s, 1),
                "local_cluster_2_workers_s": round(cluster_s, 1),
                "speed_up": round(serial_s / cluster_s, 2),
                "task_s_sum": round(float(times.sum()), 1),
                "task_s_p50_p90_p99_max": [
                    round(float(np.percentile(times, q)), 3) for q in (50, 90, 99, 100)
                ],
                "client_serial_part_s": round(setup_s, 1),
                "peak_rss_mib_per_worker": [round(float(v)) for v in by_worker],
                "largest_county": f"{largest['county']} ({largest['demand']} villages)",
                "expected_wall_s": {
                    w: round(
                        setup_s + max(makespan(list(times), w), len(times) * overhead),
                        1,
                    )
                    for w in WORKERS
                },
            }
    record["client_peak_rss_mib"] = round(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    )
    save("regional", record)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else None)
