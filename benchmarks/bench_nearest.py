"""Nearest-facility coverage at province size: geoplan against raw cKDTree.

20,000 demand points x 2,000 facilities spread over 400 x 300 km (UTM 49N),
radius 5 km. The peer is the raw kernel geoplan is built on: one cKDTree of the
facilities, `query(k=1)` and `query_ball_point(return_length=True)`. Both must
give the same nearest distances and counts before any time is reported.

Run: .venv/bin/python benchmarks/bench_nearest.py
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
from _common import UTM_49N, best_of, save
from scipy.spatial import cKDTree

from geoplan.access import costs, coverage

N_DEMAND, N_FACILITIES, RADIUS_M = 20_000, 2_000, 5_000.0


def main() -> None:
    rng = np.random.default_rng(42)
    extent = np.array([400_000.0, 300_000.0])
    d_xy = rng.uniform(0, 1, (N_DEMAND, 2)) * extent + [300_000, 3_700_000]
    f_xy = rng.uniform(0, 1, (N_FACILITIES, 2)) * extent + [300_000, 3_700_000]
    demand = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*d_xy.T), crs=UTM_49N)
    facilities = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*f_xy.T), crs=UTM_49N)

    def ours():
        table = costs.euclidean_costs(demand, facilities, cutoff_m=RADIUS_M)
        return coverage.coverage_from_costs(table, radius_m=RADIUS_M)

    def raw():
        tree = cKDTree(f_xy)
        dist, idx = tree.query(d_xy, k=1, workers=-1)
        count = tree.query_ball_point(d_xy, r=RADIUS_M, return_length=True, workers=-1)
        return dist, idx, count

    t_ours, table = best_of(ours)
    t_raw, (dist, _, count) = best_of(raw)
    np.testing.assert_allclose(table["dist_to_nearest_m"].to_numpy(), dist)
    assert (table["n_within_5000m"].to_numpy() == count).all()
    assert (table["covered_5000m"].to_numpy(bool) == (dist <= RADIUS_M)).all()
    save(
        "nearest",
        {
            "workload": f"{N_DEMAND} demand x {N_FACILITIES} facilities, "
            f"radius {RADIUS_M:g} m",
            "same_answer": True,
            "covered_share": float(table["covered_5000m"].mean()),
            "geoplan_s": round(t_ours, 4),
            "raw_ckdtree_s": round(t_raw, 4),
            "ratio_geoplan_over_raw": round(t_ours / t_raw, 2),
            "target": "<= 1.5",
        },
    )


if __name__ == "__main__":
    main()
