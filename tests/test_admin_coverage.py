"""Administrative coverage: inside, by code, by assignment; explicit denominators."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from conftest import UTM_49N, points
from shapely.geometry import box

from geoplan.access import coverage
from geoplan.errors import ValidationError


@pytest.fixture
def towns():
    """Four 1 km square towns in a row; the last is a reservoir pseudo-unit."""
    return gpd.GeoDataFrame(
        {
            "code": ["611002100000", "611002101000", "611002102000", "611002400000"],
            "county": ["611002"] * 3 + ["611002"],
        },
        geometry=[box(i * 1000, 0, (i + 1) * 1000, 1000) for i in range(4)],
        crs=UTM_49N,
    )


def test_facility_inside_and_a_town_with_none(towns):
    stations = points((500, 500), (600, 400), (2500, 500))
    result = coverage.admin_coverage(towns, stations)
    assert result["n_facilities"].tolist() == [2, 0, 1, 0]
    assert result["covered_by"].tolist() == ["inside", "", "inside", ""]
    ratios = coverage.admin_ratios(result, by=towns["county"])
    assert ratios.loc["611002", "label"] == "2 of 4"


def test_assignment_and_pseudo_unit_exclusion(towns):
    stations = points((500, 500))
    pseudo = towns["code"].str[6:9].str.startswith("4")
    result = coverage.admin_coverage(
        towns,
        stations,
        assignments={"611002101000": "611002100000", "611002102000": "611002101000"},
        exclude=pseudo,
        exclude_rule="town code 4xx = statistical pseudo-unit",
    )
    # 101 hangs on 100 (covered); 102 hangs on 101, which has no facility itself
    assert result["covered_by"].tolist() == ["inside", "assigned", "", ""]
    ratios = coverage.admin_ratios(result, by=towns["county"])
    assert ratios.loc["611002", ["units", "excluded", "covered"]].tolist() == [3, 1, 2]
    assert ratios.loc["611002", "label"] == "2 of 3"
    assert ratios.attrs["exclude_rule"].startswith("town code 4xx")


def test_by_code_needs_no_geometry():
    towns = pd.DataFrame({"code": ["a", "b", "c"], "county": ["x", "x", "y"]})
    stations = pd.DataFrame({"town_code": ["a", "a", "c"]})
    result = coverage.admin_coverage(towns, stations, facility_unit_code="town_code")
    assert result["n_facilities"].tolist() == [2, 0, 1]
    ratios = coverage.admin_ratios(result, by=towns["county"])
    assert ratios["covered_share"].tolist() == [0.5, 1.0]


def test_crs_mismatch_is_an_error_not_an_empty_join(towns):
    with pytest.raises(ValidationError, match="silently join nothing"):
        coverage.admin_coverage(towns, points((109.9, 33.8), crs="EPSG:4326"))
