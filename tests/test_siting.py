"""Siting models reach the true optimum on instances small enough to enumerate."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pyogrio
import pytest
from conftest import points, run_geoplan
from hypothesis import given, settings
from hypothesis import strategies as st

from geoplan.access import costs
from geoplan.errors import ValidationError
from geoplan.planning import siting


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


def served_with_capacity(cov, sites, caps):
    """The most weight `sites` can serve: a transportation LP, solved apart."""
    from scipy.optimize import linprog

    already = float(cov.weights[cov.covered_now].sum())
    dense = cov.matrix.toarray() & ~cov.covered_now[:, None]
    pairs = [(i, j) for j in sites for i in np.flatnonzero(dense[:, j])]
    if not pairs:
        return already
    w = cov.weights
    rows, bounds = [], []
    for i in {i for i, _ in pairs}:  # each demand row at most once
        rows.append([1.0 if a == i else 0.0 for a, _ in pairs])
        bounds.append(1.0)
    for j in sites:  # each site up to its capacity
        rows.append([w[a] if b == j else 0.0 for a, b in pairs])
        bounds.append(caps[j])
    res = linprog(
        [-w[i] for i, _ in pairs], A_ub=rows, b_ub=bounds, bounds=(0, 1), method="highs"
    )
    return already - res.fun


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(1, 3), existing=st.integers(0, 1))
def test_capacitated_mclp_equals_enumeration(seed, k, existing):
    cov, _, _ = world(seed, existing=existing, radius=600)
    caps = np.random.default_rng(seed).integers(10, 120, 7).astype(float)
    best = max(
        served_with_capacity(cov, s, caps) for s in itertools.combinations(range(7), k)
    )
    result = siting.mclp(cov, k=k, capacity=caps)
    assert result.status == "Optimal"
    assert result.objective == pytest.approx(best, abs=1e-6)
    assert len(result.selected) == k
    assert (result.new_coverage <= caps[result.selected] + 1e-6).all()
    uncapped = siting.mclp(cov, k=k)
    assert result.objective <= uncapped.objective + 1e-6


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), target=st.sampled_from([0.3, 0.6, 0.9]))
def test_capacitated_lscp_is_the_fewest_sites(seed, target):
    cov, _, _ = world(seed, radius=600)
    caps = np.random.default_rng(seed).integers(20, 200, 7).astype(float)
    need = target * cov.total_weight - 1e-9
    fewest = next(
        (
            size
            for size in range(1, 8)
            if any(
                served_with_capacity(cov, s, caps) >= need
                for s in itertools.combinations(range(7), size)
            )
        ),
        None,
    )
    result = siting.lscp(cov, target_share=target, capacity=caps)
    if fewest is None:
        assert result.status == "Infeasible"
        most = served_with_capacity(cov, range(7), caps) / cov.total_weight
        assert result.covered_share == pytest.approx(most, abs=1e-6)
        assert result.covered_share < target
    else:
        assert result.status == "Optimal"
        assert result.objective == fewest
        assert result.covered_share >= target - 1e-9


def test_a_full_site_serves_no_more_than_its_capacity():
    # one candidate reaches two villages of 80 and 50 households; 100 places
    demand = points((0, 0), (300, 0))
    site = points((150, 0))
    table = costs.euclidean_costs(demand, site, cutoff_m=500, with_pairs=True)
    cov = siting.coverage_from_costs(table, weights=pd.Series([80, 50]))
    result = siting.mclp(cov, k=1, capacity=np.array([100.0]))
    assert result.objective == pytest.approx(100)
    assert result.covered_share == pytest.approx(100 / 130)
    assert result.new_coverage.tolist() == pytest.approx([100])
    with pytest.raises(ValidationError, match="one finite number per candidate"):
        siting.mclp(cov, k=1, capacity=np.array([100.0, 5.0]))


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
    command = [
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
        "--basemap",
        "none",
    ]
    run = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, check=True
    )
    # HiGHS prints a banner from C++ when its first solver is made: never ours
    assert run.stdout.startswith("MCLP (Optimal")
    assert "Running HiGHS" not in run.stdout + run.stderr
    quiet = subprocess.run(
        [command[0], "-q", *command[1:]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert quiet.stdout == ""
    assert "Running HiGHS" not in quiet.stderr
    chosen = pyogrio.read_dataframe(out, layer="recommended")
    assert len(chosen) == 3
    assert (chosen["newly_covered_weight"] >= 0).all()
    curve = pyogrio.read_dataframe(out, layer="coverage_curve")
    assert curve["covered_share"].is_monotonic_increasing
    demand = pyogrio.read_dataframe(out, layer="demand")
    assert len(demand) == 40
    hh = demand["hh"].astype(int)
    share = hh[demand["coverage_status"] == "new"].sum() / hh.sum()  # none existing
    assert f"covered share {share:.1%}" in run.stdout
    from browser import COUNT_LAYERS, legend_meanings, opened

    with opened(tmp_path / "maps" / "rec.html") as (page, external, errors):
        counts = page.evaluate(COUNT_LAYERS)
        assert counts["polygons"] == 3  # the radius around each recommended site
        assert counts["clustered"] == 40 + 3  # demand and recommended sites
        assert "推荐点新覆盖" in page.inner_text("#geoplan-point-legend")
        meanings = legend_meanings(page)
        assert meanings["new"] == "推荐点新覆盖 newly covered"
        assert errors == []
        assert external == []


def test_recommend_respects_capacities(tmp_path):

    # villages of 80 and 50 households 300 m apart; one centre of 100 places
    # between them, another of 200 places 40 km away
    pd.DataFrame(
        {"lon": [109.940, 109.9432], "lat": [33.87, 33.87], "hh": [80, 50]}
    ).to_csv(tmp_path / "d.csv", index=False)
    pd.DataFrame(
        {"lon": [109.9416, 110.4], "lat": [33.87, 33.87], "places": [100, 200]}
    ).to_csv(tmp_path / "c.csv", index=False)
    args = [
        "recommend", "--demand", "d.csv", "--candidates", "c.csv", "--coords",
        "wgs84", "--weight-column", "hh", "--radius-m", "1000", "--k", "1",
    ]  # fmt: skip
    run = run_geoplan(*args, "--capacity-column", "places", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "1 sites, covered share 76.9%; capacities respected" in run.stdout
    chosen = pyogrio.read_dataframe(
        tmp_path / "layers" / "recommend.gpkg", layer="recommended"
    )
    assert chosen["places"].tolist() == ["100"]
    assert chosen["newly_covered_weight"].tolist() == [100.0]
    free = run_geoplan(*args, "--out", "free.gpkg", cwd=tmp_path)
    assert "covered share 100.0%" in free.stdout
    bad = run_geoplan(*args, "--capacity-column", "beds", cwd=tmp_path)
    assert bad.returncode == 1
    assert "no column 'beds'" in bad.stderr


def test_recommend_along_streets_needs_more_sites(tmp_path):
    """
    A U-shaped street (UTM 49N, metres)::

        d(0,1000) ----- c(1000,1000)
                            |
        a(0,0) -------- b(1000,0)

    Villages at a and d are 1000 m apart in a straight line but 3000 m by
    street. Within 1500 m, one site at a serves both in a straight line; along
    the streets each needs its own.
    """
    from pyproj import Transformer

    to_lonlat = Transformer.from_crs(32649, 4326, always_xy=True)
    corners = {1: (500_000, 3_750_000), 2: (501_000, 3_750_000)}
    corners |= {3: (501_000, 3_751_000), 4: (500_000, 3_751_000)}
    lonlat = {n: to_lonlat.transform(*xy) for n, xy in corners.items()}
    nodes = "".join(
        f'<node id="{n}" version="1" lat="{lat:.9f}" lon="{lon:.9f}"/>'
        for n, (lon, lat) in lonlat.items()
    )
    way = "".join(f'<nd ref="{n}"/>' for n in (1, 2, 3, 4))
    (tmp_path / "u.osm").write_text(
        f'<?xml version="1.0" encoding="UTF-8"?><osm version="0.6">{nodes}'
        f'<way id="10" version="1">{way}<tag k="highway" v="residential"/></way>'
        "</osm>",
        encoding="utf-8",
    )
    a, d = lonlat[1], lonlat[4]
    frame = pd.DataFrame({"name": ["a", "d"], "lon": [a[0], d[0]], "lat": [a[1], d[1]]})
    frame.to_csv(tmp_path / "villages.csv", index=False)
    frame.to_csv(tmp_path / "sites.csv", index=False)
    args = [
        "recommend", "--demand", "villages.csv", "--candidates", "sites.csv",
        "--coords", "wgs84", "--radius-m", "1500", "--target-share", "1",
        "--basemap", "none",
    ]  # fmt: skip
    straight = run_geoplan(*args, "--out", "straight.gpkg", cwd=tmp_path)
    assert straight.returncode == 0, straight.stderr
    assert "LSCP (Optimal, gap 0.00%): 1 sites" in straight.stdout
    streets = run_geoplan(
        *args, "--network", "u.osm", "--out", "streets.gpkg", cwd=tmp_path
    )
    assert streets.returncode == 0, streets.stderr
    assert "LSCP (Optimal, gap 0.00%): 2 sites" in streets.stdout
    assert "路网 building the walk network" in streets.stderr
    meta = pyogrio.read_info(tmp_path / "streets.gpkg", layer="recommended")
    assert meta["features"] == 2
