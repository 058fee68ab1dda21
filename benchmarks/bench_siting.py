"""Facility siting against PySAL spopt on the same instances.

Demand points and candidate sites spread over 60 × 40 km; service radius 1.5 km
(at 3 km the 1,000 × 20,000 MIPs outlast a minute's time limit in HiGHS and
twenty minutes in CBC). geoplan builds the sparse coverage from a cKDTree
(`euclidean_costs` with pairs) and solves with HiGHS; spopt builds from the
dense cost matrix (`scipy.spatial.distance.cdist`, its documented route) and
solves with CBC.
Both times include the build. Objectives must agree before times are reported;
the greedy heuristic's gap is reported beside them.

Run: .venv/bin/python benchmarks/bench_siting.py
"""

from __future__ import annotations

import sys
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pulp
from _common import UTM_49N, save
from scipy.spatial.distance import cdist
from spopt.locate import LSCP, MCLP

from geoplan.access import costs
from geoplan.planning import siting

RADIUS_M = 1500.0
SIZES = [(500, 5_000, 40), (1_000, 20_000, 80)]  # candidates, demand, k
if len(sys.argv) > 1:
    SIZES = SIZES[: int(sys.argv[1])]


def instance(m: int, n: int, seed: int):
    rng = np.random.default_rng(seed)
    d_xy = rng.uniform(0, 1, (n, 2)) * [60_000, 40_000]
    c_xy = rng.uniform(0, 1, (m, 2)) * [60_000, 40_000]
    w = rng.integers(1, 100, n).astype(float)
    return d_xy, c_xy, w


def ours(d_xy, c_xy, w, k):
    start = time.perf_counter()
    demand = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*d_xy.T), crs=UTM_49N)
    sites = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*c_xy.T), crs=UTM_49N)
    table = costs.euclidean_costs(demand, sites, cutoff_m=RADIUS_M, with_pairs=True)
    cov = siting.coverage_from_costs(table, weights=pd.Series(w))
    mclp = siting.mclp(cov, k=k)
    t_mclp = time.perf_counter() - start
    start = time.perf_counter()
    lscp = siting.lscp(cov, target_share=siting_share(cov))
    t_lscp = time.perf_counter() - start
    return cov, mclp, t_mclp, lscp, t_lscp


def siting_share(cov):
    """Full coverage of the demand any candidate can reach (as spopt requires)."""
    reachable = np.asarray(cov.matrix.sum(axis=1)).ravel() > 0
    return float(cov.weights[reachable].sum() / cov.total_weight)


def theirs(d_xy, c_xy, w, k, reachable):
    solver = pulp.PULP_CBC_CMD(msg=False)
    start = time.perf_counter()
    matrix = cdist(d_xy, c_xy)
    model = MCLP.from_cost_matrix(matrix, w, RADIUS_M, p_facilities=k).solve(solver)
    t_mclp = time.perf_counter() - start
    print(f"  spopt MCLP {t_mclp:.2f} s", flush=True)
    covered = float(pulp.value(model.problem.objective))
    start = time.perf_counter()
    lscp_model = LSCP.from_cost_matrix(cdist(d_xy[reachable], c_xy), RADIUS_M).solve(
        solver
    )
    t_lscp = time.perf_counter() - start
    n_sites = round(pulp.value(lscp_model.problem.objective))
    return covered, t_mclp, n_sites, t_lscp


def main() -> None:
    record = {"workload": f"MCLP and LSCP, radius {RADIUS_M:g} m, weighted demand"}
    for m, n, k in SIZES:
        d_xy, c_xy, w = instance(m, n, seed=m)
        cov, mclp, t_ours, lscp, t_ours_l = ours(d_xy, c_xy, w, k)
        print(
            f"{m}x{n}: geoplan MCLP {t_ours:.2f} s, LSCP {t_ours_l:.2f} s", flush=True
        )
        reachable = np.asarray(cov.matrix.sum(axis=1)).ravel() > 0
        covered, t_theirs, n_sites, t_theirs_l = theirs(d_xy, c_xy, w, k, reachable)
        assert mclp.objective == covered, (mclp.objective, covered)
        assert lscp.objective == n_sites, (lscp.objective, n_sites)
        greedy = siting.greedy(cov, k=k)
        greedy_l = siting.greedy(cov, target_share=siting_share(cov))
        record[f"{m}x{n}"] = {
            "k": k,
            "same_answer": True,
            "mclp_covered_weight": covered,
            "lscp_sites": n_sites,
            "geoplan_mclp_s": round(t_ours, 2),
            "spopt_mclp_s": round(t_theirs, 2),
            "ratio_mclp": round(t_ours / t_theirs, 3),
            "geoplan_lscp_s": round(t_ours_l, 2),
            "spopt_lscp_s": round(t_theirs_l, 2),
            "ratio_lscp": round(t_ours_l / t_theirs_l, 3),
            "ratio_total": round((t_ours + t_ours_l) / (t_theirs + t_theirs_l), 3),
            "geoplan_mip_gap": [mclp.mip_gap, lscp.mip_gap],
            "greedy_mclp_gap": round(1 - greedy.objective / covered, 4),
            "greedy_lscp_extra_sites": int(greedy_l.objective - n_sites),
        }
    record["target"] = "total time <= 0.2x spopt, build included"
    save("siting", record)


if __name__ == "__main__":
    main()
