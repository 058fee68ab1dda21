"""Coarse points decide only what they can: covered, not covered or undetermined."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import points
from hypothesis import given, settings
from hypothesis import strategies as st

from geoplan.access import coverage
from geoplan.errors import ValidationError
from geoplan.places import geocode, precision


def test_registry_covers_every_geocoding_precision_and_grows_coarser():
    levels = precision.registry()
    assert list(levels) == list(geocode.PRECISIONS)
    sizes = [levels[k].uncertainty_m for k in geocode.PRECISIONS[:-1]]
    assert sizes == sorted(sizes)
    assert levels["town"].uncertainty_m == 5000
    assert levels["county"].uncertainty_m == 30000
    assert levels["none"].uncertainty_m is None
    assert all(level.reasoning for level in levels.values())


def test_a_county_point_decides_nothing_near_it():
    """Five day-care centres placed at one county point, villages 0-3 km away."""
    demand = points((0, 0), (1000, 0), (3000, 0), (100_000, 0))
    centres = points(*[(0, 0)] * 5, precision=["county"] * 5)
    table = coverage.distance_coverage(demand, centres, radius_m=1000)
    assert table["coverage_status"].tolist() == [
        "undetermined",
        "undetermined",
        "undetermined",
        "not_covered",  # 100 km - 30 km is still beyond 1 km
    ]
    assert table["covered_1000m"].isna().tolist() == [True, True, True, False]
    assert table.attrs["undetermined"] == 3


def test_a_town_point_is_decided_when_the_radius_is_wide_enough():
    demand = points((0, 0), (2000, 0), precision=["town", "town"])
    facility = points((0, 0))
    wide = coverage.distance_coverage(demand, facility, radius_m=7000)
    assert wide["coverage_status"].tolist() == ["covered", "covered"]  # 0/2 + 5 km
    narrow = coverage.distance_coverage(demand, facility, radius_m=6000)
    assert narrow["coverage_status"].tolist() == ["covered", "undetermined"]
    assert narrow["uncertainty_m"].tolist() == [5000.0, 5000.0]


def test_a_coarse_facility_far_away_is_not_hidden_by_a_precise_one_nearby():
    """Exact facility 3 km east; a county-precision one 31 km west; radius 2 km."""
    demand = points((0, 0))
    facilities = points((3000, 0), (-31_000, 0), precision=["", "county"])
    table = coverage.distance_coverage(demand, facilities, radius_m=2000)
    assert table.loc[0, "nearest_facility"] == 0
    assert table.loc[0, "dist_to_nearest_m"] == 3000
    # the county point's place may lie within 1 km of the village: undetermined
    assert table.loc[0, "coverage_status"] == "undetermined"
    far = points((3000, 0), (-40_000, 0), precision=["", "county"])
    again = coverage.distance_coverage(demand, far, radius_m=2000)
    assert again.loc[0, "coverage_status"] == "not_covered"


def test_points_without_precision_are_exact_and_unknown_levels_refused():
    table = coverage.distance_coverage(points((0, 0)), points((999, 0)), radius_m=1000)
    assert table.loc[0, "coverage_status"] == "covered"
    with pytest.raises(ValidationError, match="column 'precision' holds"):
        coverage.distance_coverage(
            points((0, 0), precision=["street"]), points((0, 0)), radius_m=10
        )
    exact = coverage.distance_coverage(
        points((0, 0), precision=["county"]),
        points((500, 0)),
        radius_m=1000,
        use_precision=False,
    )
    assert exact.loc[0, "coverage_status"] == "covered"


def test_shares_and_gaps_keep_undetermined_rows_apart():
    demand = points((0, 0), (200, 0), (400, 0), (5000, 0), None)
    demand["precision"] = ["", "", "county", "", ""]
    table = coverage.distance_coverage(demand, points((0, 0)), radius_m=300)
    assert table["coverage_status"].tolist() == [
        "covered",
        "covered",
        "undetermined",
        "not_covered",
        "not_located",
    ]
    share = coverage.covered_share(table, weights=pd.Series([1, 2, 4, 8, 16]))
    row = share.loc["all"]
    assert (row["covered"], row["undetermined"], row["not_located"]) == (2, 1, 1)
    assert row["covered_share"] == 0.5
    assert row["covered_share_max"] == 0.75
    assert row["weighted_share"] == pytest.approx(3 / 15)
    assert row["weighted_share_max"] == pytest.approx(7 / 15)
    ranked, summary = coverage.gaps(table, target_share=1.0)
    assert ranked.index.tolist() == [3]  # the undetermined row is never a gap
    assert summary["undetermined"] == 1
    assert (summary["gap_units"], summary["gap_units_min"]) == (2, 1)


def test_network_coverage_widens_by_the_uncertainty_too(u_street):
    """Along the U street: a at (0,0), d at (0,1000) is 3 km away on foot."""
    demand = points((0, 1000), (0, 1000), precision=["", "village"])
    facility = points((0, 0))
    table = coverage.distance_coverage(
        demand, facility, radius_m=3500, network=u_street
    )
    assert table["dist_to_nearest_m"].tolist() == pytest.approx([3000, 3000])
    assert table["coverage_status"].tolist() == ["covered", "undetermined"]


coordinate = st.floats(-20_000, 20_000, allow_nan=False)
level = st.sampled_from(["", "manual", "village", "town", "county"])


@settings(max_examples=60, deadline=None)
@given(
    demand=st.lists(st.tuples(coordinate, coordinate, level), min_size=1, max_size=15),
    facilities=st.lists(
        st.tuples(coordinate, coordinate, level), min_size=1, max_size=8
    ),
    radius=st.floats(100, 40_000),
)
def test_states_equal_brute_force_bounds(demand, facilities, radius):
    d = points(*[p[:2] for p in demand], precision=[p[2] for p in demand])
    f = points(*[p[:2] for p in facilities], precision=[p[2] for p in facilities])
    table = coverage.distance_coverage(d, f, radius_m=radius)
    u = {k: v.uncertainty_m for k, v in precision.registry().items()} | {"": 0.0}
    for i, (x, y, lv) in enumerate(demand):
        dist = np.array([np.hypot(x - fx, y - fy) for fx, fy, _ in facilities])
        spread = np.array([u[fl] for _, _, fl in facilities]) + u[lv]
        low, high = (dist - spread).min(), (dist + spread).min()
        expected = (
            "covered"
            if high <= radius
            else "not_covered"
            if low > radius
            else "undetermined"
        )
        margin = min(abs(high - radius), abs(low - radius))
        if margin > 1e-6:  # float ties at the boundary may fall either way
            assert table.loc[i, "coverage_status"] == expected
