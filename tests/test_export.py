"""GeoPackage deliverables and the other formats: valid, styled, atomic, lossless."""

from __future__ import annotations

import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import Point

from geoplan.errors import ValidationError
from geoplan.io import export
from geoplan.io.styles import PRECISION_COLOURS, category_style, share_style

VALIDATOR = Path("/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py")


@pytest.fixture
def sites():
    """Five sites with Chinese names and awkward values, in WGS-84."""
    return gpd.GeoDataFrame(
        {
            "site_name": [
                "北宽坪镇全脉村安置点",
                "色河铺镇敬老院安置小区",
                "天竺佳苑",
                "永乐街道办青河社区",
                "茅坪回族镇元坪村",
            ],
            "county_code": ["611002", "611024", "611024", "611025", "611025"],
            "precision": ["village", "town", "county", "town", "none"],
            "covered_1000m": pd.array([True, False, None, True, False], "boolean"),
            "dist_to_nearest_m": [12.5, 1500.25, np.nan, 0.0, np.inf],
            "nearest_facility": [7, 3, pd.NA, "F-1", None],
        },
        geometry=[
            Point(110.1452732, 33.9074421),
            Point(109.7396321, 33.4391),
            Point(109.8805, 33.531),
            Point(109.1512345, 33.4234567),
            None,
        ],
        crs="EPSG:4326",
    )


def test_geopackage_has_aliases_styles_and_provenance(sites, tmp_path):
    path = export.write_geopackage(
        tmp_path / "a.gpkg",
        {
            "sites": sites,
            "qa_report": pd.DataFrame({"reason": ["坐标缺失"], "rows": [1]}),
        },
        styles={"sites": category_style("precision", PRECISION_COLOURS)},
        provenance={"inputs": ["sites.csv (gcj02)"], "method": "euclidean"},
    )
    con = sqlite3.connect(path)
    columns = dict(
        con.execute(
            "SELECT column_name, title FROM gpkg_data_columns WHERE table_name='sites'"
        ).fetchall()
    )
    assert columns["site_name"] == "安置点名称"
    assert columns["covered_1000m"] == "1000米内已覆盖"
    qml, sld = con.execute(
        "SELECT styleQML, styleSLD FROM layer_styles WHERE f_table_name='sites'"
    ).fetchone()
    assert 'type="categorizedSymbol" attr="precision"' in qml
    assert '<alias field="site_name"' in qml
    assert "PropertyIsEqualTo" in sld
    assert "#33a02c" in sld  # the town colour of the HTML map
    con.close()
    (record,) = export.read_provenance(path)
    assert record["method"] == "euclidean"
    assert record["geoplan_version"]
    back = pyogrio.read_dataframe(path, layer="sites")
    assert back.crs.to_epsg() == 4326
    assert back["covered_1000m"].tolist()[:2] == [1, 0]
    assert back["nearest_facility"].fillna("NA").tolist() == [
        "7",
        "3",
        "NA",
        "F-1",
        "NA",
    ]


@pytest.mark.skipif(
    not VALIDATOR.is_file(),
    reason="GDAL's validate_gpkg.py missing (Debian python3-gdal)",
)
def test_gdal_validator_passes(sites, tmp_path):
    path = export.write_geopackage(
        tmp_path / "v.gpkg",
        {
            "sites": sites,
            "units": gpd.GeoDataFrame(
                {"provided_share": [0.5]},
                geometry=[Point(109, 33).buffer(0.1)],
                crs=4326,
            ),
        },
        styles={"units": share_style("provided_share")},
        provenance={"x": 1},
    )
    run = subprocess.run(
        ["/usr/bin/python3", str(VALIDATOR), str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_cgcs2000_on_request_and_bad_names_refused(sites, tmp_path):
    path = export.write_geopackage(
        tmp_path / "c.gpkg", {"sites": sites}, crs="EPSG:4490"
    )
    back = pyogrio.read_dataframe(path)
    assert back.crs.to_epsg() == 4490
    assert back.geometry.iloc[0].x == pytest.approx(110.1452732, abs=1e-9)
    with pytest.raises(
        ValidationError, match=r"layer names \['x; DROP TABLE gpkg_contents'\]"
    ):
        export.write_geopackage(
            tmp_path / "d.gpkg", {"x; DROP TABLE gpkg_contents": sites}
        )
    assert not (tmp_path / "d.gpkg").exists()
    # user columns in Chinese get stable ASCII names; the original is the alias
    path = export.write_geopackage(tmp_path / "e.gpkg", {"ok": sites.assign(名称="甲")})
    back = pyogrio.read_dataframe(path)
    assert "field_7" in back.columns
    assert back["field_7"].iloc[0] == "甲"
    con = sqlite3.connect(path)
    title = con.execute(
        "SELECT title FROM gpkg_data_columns WHERE column_name = 'field_7'"
    ).fetchone()
    con.close()
    assert title == ("名称",)


def test_updating_one_layer_keeps_the_others(sites, tmp_path):
    path = tmp_path / "u.gpkg"
    export.write_geopackage(
        path, {"sites": sites, "other": sites.iloc[:2]}, provenance={"run": 1}
    )
    export.write_geopackage(
        path, {"sites": sites.iloc[:3]}, update=True, provenance={"run": 2}
    )
    layers = dict(pyogrio.list_layers(path).tolist())
    assert {"sites", "other"} <= set(layers)
    assert len(pyogrio.read_dataframe(path, layer="sites")) == 3
    assert len(pyogrio.read_dataframe(path, layer="other")) == 2
    assert [r["run"] for r in export.read_provenance(path)] == [1, 2]


WRITER = """
import sys, numpy as np, geopandas as gpd
from geoplan.io import export
n = 2_000_000
xy = np.random.rand(2, n) + [[109], [33]]
frame = gpd.GeoDataFrame(
    {"v": np.arange(n)}, geometry=gpd.points_from_xy(*xy), crs=4326
)
print("writing", flush=True)
export.write_geopackage(sys.argv[1], {"sites": frame})
"""


def test_killed_write_leaves_the_previous_file_intact(sites, tmp_path):
    path = tmp_path / "k.gpkg"
    export.write_geopackage(path, {"sites": sites})
    before = path.read_bytes()
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert writer.stdout.readline().strip() == "writing"
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".k.gpkg.tmp-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # well inside the write
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    writer.stdout.close()
    assert writer.returncode == -signal.SIGKILL
    assert path.read_bytes() == before
    assert len(pyogrio.read_dataframe(path)) == 5
    # the next write clears what the killed writer left behind
    assert list(tmp_path.glob(".k.gpkg.tmp-*"))
    export.write_geopackage(path, {"sites": sites.iloc[:1]})
    assert not list(tmp_path.glob(".k.gpkg.tmp-*"))


@pytest.mark.parametrize(
    "suffix", [".geojson", ".fgb", ".csv", ".shp", ".xlsx", ".gpkg"]
)
def test_formats_round_trip(sites, tmp_path, suffix):
    located = sites.iloc[:4]  # formats without null geometry support aside
    files = export.export_layer(located, tmp_path / f"sites{suffix}")
    assert all(f.is_file() for f in files)
    path = files[0]
    if suffix == ".xlsx":
        back = pd.read_excel(path, dtype={"county_code": str})
        assert "geometry" not in back.columns
    elif suffix == ".csv":
        back = pd.read_csv(path, dtype={"county_code": str}, encoding="utf-8-sig")
        back = gpd.GeoDataFrame(
            back, geometry=gpd.GeoSeries.from_wkt(back["wkt"]), crs=4326
        )
    else:
        back = pyogrio.read_dataframe(path)
        assert back.crs.to_epsg() == 4326
    if suffix == ".shp":
        mapping = pd.read_csv(files[2], encoding="utf-8-sig")
        renamed = dict(zip(mapping["shapefile_field"], mapping["field"], strict=True))
        assert renamed["dist_to_ne"] == "dist_to_nearest_m"
        assert Path(files[1]).read_text() == "UTF-8"
        back = back.rename(columns=renamed)
    assert len(back) == len(located)
    if suffix == ".fgb":  # FlatGeobuf stores features in spatial-index order
        back = back.set_index("site_name").loc[located["site_name"]].reset_index()
    assert back["site_name"].tolist() == located["site_name"].tolist()
    assert back["county_code"].tolist() == located["county_code"].tolist()
    if "geometry" in back:
        np.testing.assert_allclose(back.geometry.x, located.geometry.x, atol=1e-7)
        np.testing.assert_allclose(back.geometry.y, located.geometry.y, atol=1e-7)


def test_shapefile_names_stay_unique():
    mapping = export._short_names(["dist_to_nearest_m", "dist_to_nearest_km", "a"])
    assert mapping == {
        "dist_to_nearest_m": "dist_to_ne",
        "dist_to_nearest_km": "dist_to__1",
        "a": "a",
    }
    assert all(len(v.encode()) <= 10 for v in mapping.values())
    assert shutil.which  # (keeps the import honest)


def test_export_command_lists_and_converts(sites, tmp_path):
    from conftest import run_geoplan

    gpkg = export.write_geopackage(tmp_path / "s.gpkg", {"sites": sites.iloc[:4]})
    listing = run_geoplan("export", gpkg, "--list", cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    assert listing.stdout.startswith("sites (Point, 4 rows): site_name:str")
    out = tmp_path / "out"
    converted = run_geoplan(
        "export", gpkg, "--format", "shp", "--out-dir", out, cwd=tmp_path
    )
    assert converted.returncode == 0, converted.stderr
    back = pyogrio.read_dataframe(out / "sites.shp")
    assert back["site_name"].tolist() == sites["site_name"].iloc[:4].tolist()
    bad = run_geoplan("export", gpkg, "--layer", "nope", cwd=tmp_path)
    assert bad.returncode == 1
    assert "no layers ['nope']" in bad.stderr
