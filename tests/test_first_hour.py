"""A newcomer's first hour: geocode a list, measure coverage, read the map.

Five day-care centres given by town address are placed at the only points the
built-in gazetteer has for them, their towns'. Coverage within 1 km of
villages near such a point cannot be decided from it (a town point may be
5 km off): the rows are `undetermined`, counted apart and explained, never
"not covered".
"""

from __future__ import annotations

import shlex

import pandas as pd
import pyogrio
import pytest
from browser import legend_meanings, opened

from geoplan import settings
from geoplan.cli import main

CENTRES = [
    "北宽坪镇日间照料中心",
    "腰市镇日间照料中心",
    "大荆镇日间照料中心",
    "夜村镇日间照料中心",
    "沙河子镇日间照料中心",
]


def town_point() -> tuple[float, float]:
    """The shipped point of 北宽坪镇 (adcode 2016, converted to WGS-84)."""
    from geoplan.places.gazetteer import Gazetteer

    row = Gazetteer.builtin().units.loc["611002115000"]
    return float(row["lon"]), float(row["lat"])


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(settings, "cache_folder", tmp_path / "cache")
    monkeypatch.setattr(settings, "gazetteer_path", tmp_path / "cache" / "gz.gpkg")
    pd.DataFrame({"name": CENTRES}).to_csv(tmp_path / "centres.csv", index=False)
    lon, lat = town_point()
    pd.DataFrame(
        {
            "name": ["近村", "东村", "西村", "远村"],
            "lon": [lon + 0.001, lon + 0.008, lon - 0.005, lon + 1.2],
            "lat": [lat, lat, lat + 0.004, lat],
        }
    ).to_csv(tmp_path / "villages.csv", index=False)
    return tmp_path


def cli(command: str) -> int:
    """Run a geoplan command line in-process, as a user types it."""
    return main(shlex.split(command))


def geocode(extra: str) -> int:
    return cli(
        f"geocode centres.csv --name-column name --context 611002 --no-progress {extra}"
    )


def test_geocode_never_writes_over_its_input(folder, capsys):
    before = (folder / "centres.csv").read_bytes()
    assert geocode("--out centres.gpkg") == 1
    err = capsys.readouterr().err
    assert "the CSV beside --out would write centres.csv" in err
    assert (folder / "centres.csv").read_bytes() == before
    assert not (folder / "centres.gpkg").exists()


def test_geocoded_csv_feeds_coverage_and_coarse_points_are_undetermined(folder, capsys):
    assert geocode("--out out/centres.gpkg") == 0
    table = pd.read_csv(folder / "out" / "centres.csv", encoding="utf-8-sig")
    assert table.columns[:3].tolist() == ["name", "lon", "lat"]
    assert (table["precision"] == "town").all()  # shipped town points
    assert table[["lon", "lat"]].round(4).drop_duplicates().shape[0] == 5
    capsys.readouterr()
    code = cli(
        "coverage --demand villages.csv --facilities out/centres.csv --coords wgs84 "
        "--radius-m 1000 --basemap none --out out/cov.gpkg --map out/cov.html"
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "未定 3 of 4 located demand points are undetermined" in out
    assert "facilities: 5 at town (up to 5 km off)" in out
    result = pyogrio.read_dataframe(folder / "out" / "cov.gpkg", layer="demand")
    assert result["coverage_status"].tolist() == [
        "undetermined",
        "undetermined",
        "undetermined",
        "not_covered",  # 110 km from every town point: beyond any doubt
    ]
    gaps = pyogrio.read_dataframe(folder / "out" / "cov.gpkg", layer="gaps")
    assert gaps["name"].tolist() == ["远村"]
    with opened(folder / "out" / "cov.html") as (page, external, errors):
        meanings = legend_meanings(page)
        assert "未定" in meanings["undetermined"]
        assert "未覆盖" in meanings["not_covered"]
        assert "covered" not in meanings  # nothing is drawn as covered
        assert any("设施" in label for label in meanings.values())
        assert any("radius 1000 m" in label for label in meanings.values())
        assert errors == []
        assert external == []


def test_geoplan_reads_its_own_geopackage_without_naming_the_layer(folder, capsys):
    assert geocode("--out out/centres.gpkg") == 0
    # the GeoPackage holds the points and QGIS's layer_styles table; the
    # points are the only feature layer, so no --facilities-layer is needed
    # (warnings are errors in the test suite)
    code = cli(
        "coverage --demand villages.csv --facilities out/centres.gpkg --coords wgs84 "
        "--radius-m 1000 --basemap none --out out/cov2.gpkg"
    )
    assert code == 0, capsys.readouterr().err
    several = cli(
        "coverage --demand villages.csv --facilities out/cov2.gpkg --coords wgs84 "
        "--radius-m 1000 --out out/cov3.gpkg"
    )
    assert several == 1
    assert "name one with --facilities-layer" in capsys.readouterr().err
