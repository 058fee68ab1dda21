"""Siting models reach the true optimum on instances small enough to enumerate."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from conftest import points
from hypothesis import given, settings
from hypothesis import strategies as st

from geoplan import costs, siting


def world(seed, n=14, m=7, radius=400.0, existing=0):
    rng = np.random.default_rng(seed)
    demand = points(*rng.uniform(0, 1500, (n, 2)).tolist())
    candidates = points(*rng.uniform(0, 1500, (m, 2)).tolist())
    weights = pd.Series(rng.integers(1, 50, n), index=demand.index)
    table = costs.euclidean_costs(demand, candidates, cutoff_m=radius, with_pairs=True)
    now = None
    if existing:
        now = costs.euclidean_costs(
            demand,
            points(*rng.uniform(0, 1500, (existing, 2)).tolist()),
            cutoff_m=radius,
        )
    return (
        siting.coverage_from_costs(table, weights=weights, existing=now),
        demand,
        candidates,
    )


def covered_weight(cov, sites):
    reached = cov.covered_now.copy()
    if sites:
        reached |= np.asarray(cov.matrix[:, list(sites)].sum(axis=1)).ravel() > 0
    return float(cov.weights[reached].sum())


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(1, 4), existing=st.integers(0, 2))
def test_mclp_equals_enumeration(seed, k, existing):
    cov, _, _ = world(seed, existing=existing)
    best = max(covered_weight(cov, s) for s in itertools.combinations(range(7), k))
    result = siting.mclp(cov, k=k)
    assert result.status == "Optimal"
    assert result.objective == pytest.approx(best)
    assert len(result.selected) == k
    assert result.objective == pytest.approx(
        covered_weight(cov, [cov.candidate_index.get_loc(s) for s in result.selected])
    )
    greedy = siting.greedy(cov, k=k)
    assert greedy.objective <= result.objective + 1e-9  # the gap the heuristic leaves


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), target=st.sampled_from([0.5, 0.8, 0.95, 1.0]))
def test_lscp_is_the_fewest_sites(seed, target):
    cov, _, _ = world(seed, existing=1)
    total = cov.total_weight
    fewest = None
    for size in range(8):
        if any(
            covered_weight(cov, s) >= target * total - 1e-9
            for s in itertools.combinations(range(7), size)
        ):
            fewest = size
            break
    result = siting.lscp(cov, target_share=target)
    if fewest is None:
        assert result.status == "Infeasible"
        assert result.covered_share < target
    else:
        assert result.objective == fewest
        assert result.covered_share >= target - 1e-9


def test_p_median_equals_enumeration():
    rng = np.random.default_rng(3)
    d = rng.uniform(0, 2000, (12, 6))
    w = rng.integers(1, 9, 12).astype(float)
    for p in (1, 2, 3):
        best = min(
            (w * d[:, list(s)].min(axis=1)).sum()
            for s in itertools.combinations(range(6), p)
        )
        result = siting.p_median(d, p=p, weights=w)
        assert result.objective == pytest.approx(best)


def test_existing_coverage_is_fixed_and_curve_rises():
    cov, _, _ = world(7, n=30, m=10, radius=350, existing=2)
    result = siting.greedy(cov, target_share=0.9)
    shares = result.curve["covered_share"].tolist()
    assert shares[0] == pytest.approx(
        cov.weights[cov.covered_now].sum() / cov.total_weight
    )
    assert all(b >= a for a, b in itertools.pairwise(shares))
    exact = siting.mclp(cov, k=3)
    assert exact.new_coverage.sum() <= exact.objective
    assert set(exact.new_coverage.index) == set(exact.selected)


def test_recommend_command(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    import pyogrio

    rng = np.random.default_rng(1)
    pd.DataFrame(
        {
            "lon": 109.9 + rng.uniform(0, 0.05, 40),
            "lat": 33.8 + rng.uniform(0, 0.05, 40),
            "hh": rng.integers(5, 80, 40),
        }
    ).to_csv(tmp_path / "d.csv", index=False)
    pd.DataFrame(
        {
            "lon": 109.9 + rng.uniform(0, 0.05, 12),
            "lat": 33.8 + rng.uniform(0, 0.05, 12),
        }
    ).to_csv(tmp_path / "c.csv", index=False)
    out = tmp_path / "rec.gpkg"
    run = subprocess.run(
        [
            str(Path(sys.executable).with_name("geoplan")),
            "recommend",
            "--demand",
            str(tmp_path / "d.csv"),
            "--candidates",
            str(tmp_path / "c.csv"),
            "--coords",
            "wgs84",
            "--weight-column",
            "hh",
            "--radius-m",
            "2500",
            "--k",
            "3",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert run.stdout.startswith("MCLP (Optimal")
    chosen = pyogrio.read_dataframe(out, layer="recommended")
    assert len(chosen) == 3
    assert (chosen["newly_covered_weight"] >= 0).all()
    curve = pyogrio.read_dataframe(out, layer="coverage_curve")
    assert curve["covered_share"].is_monotonic_increasing
