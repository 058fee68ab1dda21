"""Euclidean distance coverage on hand-checkable worlds and against brute force."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import UTM_49N, points
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from geoplan.access import costs, coverage
from geoplan.errors import CRSError, ValidationError


def test_villages_at_known_distances():
    """Villages 0 m, 300 m and 1200 m east of one facility, radius 500 m."""
    demand = points((0, 0), (300, 0), (1200, 0), name=["a", "b", "c"])
    facilities = points((0, 0), name=["f"])
    facilities.index = ["F1"]
    table = coverage.distance_coverage(demand, facilities, radius_m=500)
    assert table.index.equals(demand.index)
    assert table["dist_to_nearest_m"].tolist() == [0.0, 300.0, 1200.0]
    assert table["covered_500m"].tolist() == [True, True, False]
    assert table["n_within_500m"].tolist() == [1, 1, 0]
    assert table["nearest_facility"].tolist() == ["F1", "F1", "F1"]
    assert table.attrs["method"] == "euclidean"
    assert table.attrs["crs"] == UTM_49N


def test_counts_with_two_facilities_and_a_point_without_location():
    demand = points((0, 0), (500, 0), None)
    facilities = points((-100, 0), (400, 0))
    table = coverage.distance_coverage(demand, facilities, radius_m=150)
    assert table["n_within_150m"].tolist() == [1, 1, 0]
    assert table["nearest_facility"].tolist()[:2] == [0, 1]
    assert pd.isna(table["nearest_facility"].iloc[2])
    assert table["covered_150m"].iloc[:2].tolist() == [True, True]
    assert pd.isna(table["covered_150m"].iloc[2])
    assert np.isnan(table["dist_to_nearest_m"].iloc[2])
    share = coverage.covered_share(table)
    assert share.loc["all"].to_dict() == {
        "demand": 3,
        "not_located": 1,
        "undetermined": 0,
        "covered": 2,
        "covered_share": 1.0,
        "covered_share_max": 1.0,
    }


def test_weighted_share_and_gaps_by_unit():
    """Four households groups, two towns; only the west is served."""
    demand = points((0, 0), (100, 0), (5000, 0), (5100, 0))
    town = pd.Series(["west", "west", "east", "east"], name="town")
    households = pd.Series([10, 30, 40, 20])
    table = coverage.distance_coverage(demand, points((50, 0)), radius_m=300)
    share = coverage.covered_share(table, weights=households, by=town)
    assert share.loc["west", ["covered", "weight", "weight_covered"]].tolist() == [
        2,
        40,
        40,
    ]
    assert share.loc["east", "weighted_share"] == 0.0
    ranked, summary = coverage.gaps(table, target_share=0.75, weights=households)
    assert ranked.index.tolist() == [2, 3]  # 40 households first, then 20
    assert summary["gap_units"] == 1.0  # 3 of 4 needed, 2 covered
    assert summary["gap_weight"] == pytest.approx(0.75 * 100 - 40)


def test_metric_crs_is_chosen_for_wgs84_input_and_logged(caplog):
    demand = points((109.94, 33.87), (109.95, 33.87), crs="EPSG:4326")
    facilities = points((109.94, 33.87), crs="EPSG:4326")
    with caplog.at_level("INFO"):
        table = coverage.distance_coverage(demand, facilities, radius_m=1000)
    assert table.attrs["crs"] == "EPSG:32649"
    assert "UTM zone 49N" in caplog.text
    # 0.01 degrees of longitude at 33.87 N is about 925 m
    assert table["dist_to_nearest_m"].iloc[1] == pytest.approx(925, abs=3)


def test_mixed_or_missing_crs_is_an_error():
    with pytest.raises(CRSError, match="reproject one so both match"):
        coverage.distance_coverage(
            points((0, 0)), points((109.9, 33.8), crs=4326), radius_m=10
        )
    with pytest.raises(CRSError, match="must declare a CRS"):
        coverage.distance_coverage(
            points((0, 0), crs=None), points((0, 0)), radius_m=10
        )
    with pytest.raises(CRSError, match="in metres"):
        coverage.distance_coverage(
            points((0, 0), crs=2229), points((1, 0), crs=2229), radius_m=10
        )


def test_polygons_are_refused_with_the_fix():
    demand = points((0, 0)).buffer(10).to_frame("geometry")
    with pytest.raises(ValidationError, match=r"representative_point\(\)"):
        coverage.distance_coverage(demand, points((0, 0)), radius_m=10)


def test_preset_gives_the_threshold():
    table = coverage.distance_coverage(
        points((0, 0), (999, 0), (1001, 0)), points((0, 0)), preset="gb50180-15min"
    )
    assert table["covered_1000m"].tolist() == [True, True, False]
    assert table.attrs["preset"] == "gb50180-15min"


coordinate = st.floats(-5000, 5000, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(
    demand=st.lists(st.tuples(coordinate, coordinate), min_size=1, max_size=40),
    facilities=st.lists(st.tuples(coordinate, coordinate), min_size=1, max_size=15),
    radius=st.floats(1, 4000),
)
def test_euclidean_costs_equal_brute_force(demand, facilities, radius):
    table = costs.euclidean_costs(
        points(*demand), points(*facilities), cutoff_m=radius, with_pairs=True
    )
    d, f = np.array(demand), np.array(facilities)
    full = np.hypot(d[:, None, 0] - f[None, :, 0], d[:, None, 1] - f[None, :, 1])
    np.testing.assert_allclose(table.nearest, full.min(axis=1), rtol=1e-12, atol=1e-9)
    chosen = full[np.arange(len(d)), table.nearest_pos]
    np.testing.assert_allclose(chosen, full.min(axis=1), rtol=1e-12, atol=1e-9)
    assume(np.all(np.abs(full - radius) > 1e-6))  # no exact ties on the circle
    inside = full <= radius
    assert table.within_count.tolist() == inside.sum(axis=1).tolist()
    rows, cols, cost = table.pairs
    np.testing.assert_allclose(cost, full[rows, cols])
    found = set(zip(rows.tolist(), cols.tolist(), strict=True))
    assert found == set(zip(*(a.tolist() for a in np.nonzero(inside)), strict=True))
    assert len(found) == len(rows)


@pytest.mark.parametrize("method", ["euclidean", "network"])
def test_nothing_located_is_said_not_hidden(method, u_street, caplog):
    network = u_street if method == "network" else None
    with pytest.raises(ValidationError, match="`facilities`: none of its 2 rows"):
        coverage.distance_coverage(
            points((0, 5)), points(None, None), radius_m=500, network=network
        )
    with caplog.at_level("WARNING"):
        table = coverage.distance_coverage(
            points(None, None), points((0, 0)), radius_m=500, network=network
        )
    assert table["coverage_status"].tolist() == ["not_located", "not_located"]
    assert "none of its 2 rows has a location" in caplog.text


def test_the_cli_says_when_nothing_is_located(tmp_path, capsys, monkeypatch):
    from geoplan.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "d.csv").write_text("name,lon,lat\nA,109.94,33.87\n")
    (tmp_path / "f.csv").write_text("name,lon,lat\nX,,\n")
    argv = ["coverage", "--demand", "d.csv", "--facilities", "f.csv", "--coords",
            "wgs84", "--radius-m", "500", "--basemap", "none"]  # fmt: skip
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "f.csv: none of its 1 facilities has a location" in err
    assert "Traceback" not in err
