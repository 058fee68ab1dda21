"""County-precision placement keeps every row and stays inside the county."""

from __future__ import annotations

import pandas as pd

from geoplan import boundaries, geocode


def test_every_site_lies_inside_its_own_county(sites):
    counties = boundaries.counties(prefix="6110")
    placed = geocode.points_at_county(sites, counties)
    assert placed.index.equals(sites.index)
    assert (placed["precision"] == "county").all()
    polygons = counties.set_index("county_code").geometry
    inside = [
        polygons[code].contains(point)
        for code, point in zip(placed["county_code"], placed.geometry, strict=True)
    ]
    assert all(inside)
    # and not inside any other county
    others = [
        sum(polygons.drop(code).contains(point))
        for code, point in zip(placed["county_code"], placed.geometry, strict=True)
    ]
    assert others == [0] * len(placed)


def test_unknown_county_keeps_the_row_with_precision_none():
    frame = pd.DataFrame({"county_code": ["611002", "999999"], "name": ["a", "b"]})
    placed = geocode.points_at_county(frame, boundaries.counties(prefix="6110"))
    assert len(placed) == 2
    assert placed["precision"].tolist() == ["county", "none"]
    assert placed.geometry.isna().tolist() == [False, True]
    assert "not found" in placed.loc[1, "precision_note"]
