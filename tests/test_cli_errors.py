"""Bad commands end with one readable line and exit code 1, never a traceback."""

from __future__ import annotations

import geopandas as gpd
import pytest
from conftest import run_geoplan
from shapely.geometry import Point


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    path = tmp_path_factory.mktemp("errors")
    (path / "d.csv").write_text("name,lon,lat\n甲,109.94,33.87\n", encoding="utf-8")
    (path / "junk.gpkg").write_text("not a database", encoding="utf-8")
    (path / "w.csv").write_text(
        "name,lon,lat,hh\n甲,109.94,33.87,12\n乙,109.95,33.87,abc\n丙,,,x\n",
        encoding="utf-8",
    )
    (path / "bad.osm").write_text("<osm", encoding="utf-8")
    (path / "empty.osm").write_text(
        '<?xml version="1.0"?><osm version="0.6">'
        '<node id="1" version="1" lat="33.87" lon="109.94"/></osm>',
        encoding="utf-8",
    )
    gpd.GeoDataFrame(
        {"share": [0.5], "name": ["甲镇"]},
        geometry=[Point(109.94, 33.87).buffer(0.01)],
        crs=4326,
    ).to_file(path / "u.gpkg", layer="units")
    return path


CASES = {
    "map, no file": (["map", "none.gpkg", "--units", "u", "--share-column", "s"],
                     "none.gpkg: file not found"),
    "map, no layer": (["map", "u.gpkg", "--units", "towns", "--share-column", "share"],
                      "no layer 'towns'; it has ['units'"),
    "map, not GIS": (["map", "junk.gpkg", "--units", "u", "--share-column", "s"],
                     "not a GIS file GDAL can read"),
    "map, not a share": (["map", "u.gpkg", "--units", "units", "--share-column",
                          "name"], "must hold shares between 0 and 1"),
    "recommend, k": (["recommend", "--demand", "d.csv", "--candidates", "d.csv",
                      "--coords", "wgs84", "--radius-m", "100", "--k", "5"],
                     "`k` must be between 1 and the 1 candidates"),
    "coverage, weights": (["coverage", "--demand", "w.csv", "--facilities", "d.csv",
                           "--coords", "wgs84", "--radius-m", "500",
                           "--weight-column", "hh"],
                          "1 rows have no usable weight (row 3: 'abc')"),
    "recommend, weights": (["recommend", "--demand", "w.csv", "--candidates", "d.csv",
                            "--coords", "wgs84", "--radius-m", "500", "--k", "1",
                            "--weight-column", "households"],
                           "--weight-column 'households' not found"),
    "recommend, no location": (["recommend", "--demand", "d.csv", "--candidates",
                                 "w.csv", "--coords", "wgs84", "--radius-m", "100",
                                 "--k", "5"],
                                "1 candidates have no usable location and are left "
                                "out (rows [4])"),
    "plan, units": (["plan", "check", "xianan", "--units-from", "429999"],
                    "429999000000 is not a unit of the gazetteer; province 42"),
    "geocode, context": (["geocode", "d.csv", "--name-column", "name",
                          "--context", "619999"],
                         "--context 619999 is not a unit of the gazetteer"),
    "coverage, bad OSM": (["coverage", "--demand", "d.csv", "--facilities", "d.csv",
                           "--coords", "wgs84", "--radius-m", "500",
                           "--network", "bad.osm"],
                          "bad.osm: not well-formed OSM XML"),
    "coverage, no streets": (["coverage", "--demand", "d.csv", "--facilities",
                              "d.csv", "--coords", "wgs84", "--radius-m", "500",
                              "--network", "empty.osm"],
                             "no streets in this OSM extract"),
    "import, no file": (["gazetteer", "import", "none.csv", "--format", "adcode"],
                        "none.csv: file not found"),
    "geocode, no file": (["geocode", "none.csv", "--name-column", "n"],
                         "none.csv: file not found"),
    "plan, no file": (["plan", "check", "xianan", "--facilities", "none.csv",
                       "--name-column", "n", "--category", "社工站",
                       "--units-from", "421202"],
                      "none.csv: file not found"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_bad_command_says_what_is_wrong(folder, case):
    args, message = CASES[case]
    run = run_geoplan(*args, cwd=folder)
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr
    assert run.stderr.startswith("geoplan: error: ") or "\ngeoplan: error: " in (
        run.stderr
    )
    assert message in run.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["coverage", "--radius-m", "-5"], "--radius-m: must be greater than 0"),
        (["recommend", "--target-share", "90"], "must be a share between 0 and 1"),
        (["recommend", "--radius-m", "nan"], "--radius-m: must be a finite number"),
        (["recommend", "--k", "0"], "--k: must be at least 1"),
        (["demo", "shangluo", "--cemetery-radius-m", "abc"], "must be a number"),
    ],
)
def test_impossible_numbers_are_usage_errors(folder, args, message):
    run = run_geoplan(*args, cwd=folder)
    assert run.returncode == 2
    assert message in run.stderr


def test_analysis_file_numbers_are_checked(folder):
    (folder / "a.toml").write_text(
        '[analysis]\njob = "coverage"\n'
        '[inputs.demand]\npath = "d.csv"\ncoords = "wgs84"\n'
        '[inputs.facilities]\npath = "d.csv"\ncoords = "wgs84"\n'
        "[coverage]\nradius_m = -5\ntarget_share = 90\n",
        encoding="utf-8",
    )
    run = run_geoplan("run", "a.toml", cwd=folder)
    assert run.returncode == 1
    assert "[coverage] radius_m must be greater than 0, got -5" in run.stderr
    assert "[coverage] target_share must be a share between 0 and 1" in run.stderr
