"""The main job through the installed command: outputs, GeoPackage, errors."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
from conftest import adcode_files, run_geoplan

from geoplan.places import boundaries

GEOPLAN = Path(sys.executable).with_name("geoplan")


run = run_geoplan


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("demo")
    result = run("demo", "shangluo", cwd=workdir)
    assert result.returncode == 0, result.stderr
    return workdir, result


def test_demo_prints_the_table_with_the_seed_totals(demo_run):
    _, result = demo_run
    city = next(
        line for line in result.stdout.splitlines() if line.startswith("商洛市 ")
    )
    assert re.split(r"\s+", city.strip()) == [
        "商洛市",
        "247",
        "26",
        "60",
        "124",
        "77",
        "47",
        "3",  # within the cemetery radius for certain (village points decide)
        "0",  # beyond it for certain
        "121",  # undetermined: town points cannot decide 5 km
        "123",
        "50.2%",
        "123",
    ]
    # the shipped gazetteer has town points (and village points where adcode
    # has them): most sites at town precision, still too coarse for 5 km
    assert "Sites located: town 111, county 9, village 4" in result.stdout
    assert "未定 121 undetermined" in result.stdout
    assert "at town (up to 5 km off)" in result.stdout
    assert "a cemetery is not a site" in result.stdout
    assert "[mismatch] 商州区" in result.stdout
    assert "[mismatch] 镇安县" in result.stdout


def test_demo_writes_geopackage_and_map(demo_run):
    workdir, _ = demo_run
    gpkg = workdir / "layers" / "shangluo.gpkg"
    layers = dict(pyogrio.list_layers(gpkg).tolist())
    assert layers == {
        "counties": "MultiPolygon",
        "relocation_sites": "Point",
        "cemetery_targets": "Point",
        "seed_checks": None,
        "qa_report": None,
        "layer_styles": None,
    }
    html = (workdir / "maps" / "shangluo-relocation-cemeteries.html").read_text()
    assert "geoplan-legend" in html
    assert "L.map(" in html
    assert (workdir / "layers" / "shangluo-relocation-coverage.csv").is_file()
    assert not list((workdir / "layers").glob("*.tmp*"))


def test_geopackage_round_trip_keeps_text_crs_and_rows(demo_run, sites):
    workdir, _ = demo_run
    gpkg = workdir / "layers" / "shangluo.gpkg"
    back = pyogrio.read_dataframe(gpkg, layer="relocation_sites")
    assert back.crs.to_epsg() == 4326
    assert len(back) == len(sites) == 124
    assert back["site_name"].tolist() == sites["site_name"].tolist()
    assert (
        back.set_index("entry_id").loc["611025-15", "town_as_written"] == "茅坪回族镇"
    )
    counties = pyogrio.read_dataframe(gpkg, layer="counties")
    assert len(counties) == 7
    assert counties["sites"].sum() == 247
    assert counties["sites_named"].sum() == 124
    targets = pyogrio.read_dataframe(gpkg, layer="cemetery_targets")
    assert targets["sites_assigned"].sum() == 124


@pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="GDAL's ogrinfo missing")
def test_ogrinfo_lists_the_three_layers(demo_run):
    workdir, _ = demo_run
    out = subprocess.run(
        ["ogrinfo", "-so", "layers/shangluo.gpkg"],
        cwd=workdir,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = dict(re.findall(r"^\d+: (\w+) \(([^)]*)\)", out, flags=re.MULTILINE))
    assert {k for k, v in found.items() if v != "None"} == {
        "cemetery_targets",
        "counties",
        "relocation_sites",
    }
    aliases = subprocess.run(
        [
            "ogrinfo",
            "-q",
            "layers/shangluo.gpkg",
            "-sql",
            "SELECT column_name, title "
            "FROM gpkg_data_columns WHERE table_name = 'relocation_sites'",
        ],
        cwd=workdir,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "site_name" in aliases
    assert "安置点名称" in aliases
    styles = subprocess.run(
        [
            "ogrinfo",
            "-q",
            "layers/shangluo.gpkg",
            "-sql",
            "SELECT f_table_name FROM layer_styles",
        ],
        cwd=workdir,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert all(name in styles for name in ("counties", "relocation_sites"))


VALIDATOR = Path("/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py")


@pytest.mark.skipif(not VALIDATOR.is_file(), reason="GDAL's validate_gpkg.py missing")
def test_gdal_validator_passes_on_the_shangluo_output(demo_run):
    workdir, _ = demo_run
    run = subprocess.run(
        ["/usr/bin/python3", str(VALIDATOR), "layers/shangluo.gpkg"],
        cwd=workdir,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_help_and_bad_arguments(tmp_path):
    assert "demo" in run("--help", cwd=tmp_path).stdout
    bad = run("demo", "atlantis", cwd=tmp_path)
    assert bad.returncode == 2
    assert len(bad.stderr.strip().splitlines()) == 1
    assert "invalid choice: 'atlantis'" in bad.stderr
    unknown = run("--frobnicate", cwd=tmp_path)
    assert unknown.returncode == 2
    assert len(unknown.stderr.strip().splitlines()) == 1


def test_the_shipped_gazetteer_places_sites_by_town_inside_their_county(demo_run):
    workdir, result = demo_run
    layer = pyogrio.read_dataframe(
        workdir / "layers" / "shangluo.gpkg", layer="relocation_sites"
    )
    assert len(layer) == 124
    fine = layer["precision"].isin(["town", "village"])
    assert fine.sum() >= 110, layer["precision"].value_counts()
    polygons = boundaries.counties(prefix="6110").set_index("county_code").geometry
    located = layer[layer.geometry.notna()]
    outside = [
        (name, code)
        for name, code, point in zip(
            located["site_name"], located["county_code"], located.geometry, strict=True
        )
        if not polygons[code].contains(point)
    ]
    assert outside == []
    assert f"Sites located: town {int((layer['precision'] == 'town').sum())}" in (
        result.stdout
    )


def test_demo_with_adcode_towns_places_sites_finely(tmp_path, sites):
    files = adcode_files("611*.csv")
    store = tmp_path / "gz.gpkg"
    imported = run(
        "gazetteer",
        "import",
        "--format",
        "adcode",
        "--store",
        str(store),
        *map(str, files),
        cwd=tmp_path,
    )
    assert imported.returncode == 0, imported.stderr
    result = run("demo", "shangluo", "--gazetteer", str(store), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    layer = pyogrio.read_dataframe(
        tmp_path / "layers" / "shangluo.gpkg", layer="relocation_sites"
    )
    assert len(layer) == 124
    assert layer["precision"].isin(["town", "village"]).sum() >= 115
    polygons = boundaries.counties(prefix="6110").set_index("county_code").geometry
    assert all(
        polygons[c].contains(p)
        for c, p in zip(layer["county_code"], layer.geometry, strict=True)
    )
    # within-radius needs the site's own name located; a site placed by its
    # cemetery target never counts
    within = layer["within_radius"].astype(bool)
    assert not (within & (layer["status"] == "matched_fallback")).any()
    assert (layer.loc[within, "dist_to_target_m"] <= 5000).all()
    city = next(
        line for line in result.stdout.splitlines() if line.startswith("商洛市 ")
    )
    assert re.split(r"\s+", city.strip())[7] == str(within.sum())
    # fill the fixes template in place and rerun: every site is placed, the
    # filled file is left as it is
    fixes_path = tmp_path / "layers" / "shangluo-fixes.csv"
    coarse_count = (~layer["precision"].isin(["town", "village"])).sum()
    assert f"{coarse_count} sites placed no finer than a county" in result.stdout
    fixes = pd.read_csv(fixes_path, encoding="utf-8-sig", dtype=str).fillna("")
    coarse = layer[~layer["precision"].isin(["town", "village"])]
    assert set(coarse["site_name"]) <= set(fixes["name"])
    points = [polygons[c].representative_point() for c in fixes["code"]]
    fixes["lon"] = [f"{p.x:.6f}" for p in points]
    fixes["lat"] = [f"{p.y:.6f}" for p in points]
    fixes.to_csv(fixes_path, index=False, encoding="utf-8-sig")
    again = run(
        "demo", "shangluo", "--gazetteer", str(store), "--overrides", str(fixes_path),
        "--basemap", "none", cwd=tmp_path,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    fixed = pyogrio.read_dataframe(
        tmp_path / "layers" / "shangluo.gpkg", layer="relocation_sites"
    )
    assert fixed["precision"].isin(["town", "village", "manual"]).all()
    from geoplan.io.export import read_provenance

    (record,) = read_provenance(tmp_path / "layers" / "shangluo.gpkg")
    assert record["manual_fixes"].startswith("shangluo-fixes.csv: ")
    assert (fixed["status"] == "override").sum() == len(coarse)
    assert pd.read_csv(fixes_path, encoding="utf-8-sig", dtype=str)["lon"].notna().all()


def test_language_and_quiet_options(tmp_path):
    english = run("--lang", "en", "demo", "shangluo", "--basemap", "none", cwd=tmp_path)
    assert english.returncode == 0, english.stderr
    lines = english.stdout.splitlines()
    assert lines[0] == "Shangluo relocation-site cemetery coverage"
    assert lines[1].split()[:3] == ["county", "sites", "built"]
    assert "注：" not in english.stdout
    chinese = run("--lang", "zh", "demo", "shangluo", "--basemap", "none", cwd=tmp_path)
    assert chinese.stdout.splitlines()[1].split()[:2] == ["县区", "搬迁点"]
    assert "Note:" not in chinese.stdout
    quiet = run("-q", "demo", "shangluo", "--basemap", "none", cwd=tmp_path)
    assert quiet.returncode == 0
    assert quiet.stdout == ""
    assert "商洛示例" in english.stderr  # the stage message, gone when quiet
    assert "商洛示例" not in quiet.stderr
    assert (tmp_path / "layers" / "shangluo.gpkg").is_file()
    assert "Exit codes: 0 done; 1 the work failed" in run("--help", cwd=tmp_path).stdout


def _star_streets(path, sites, targets):
    """A straight secondary road from each site to its cemetery; places share nodes."""
    ids: dict[tuple[float, float], int] = {}

    def node(point):
        return ids.setdefault((round(point.x, 7), round(point.y, 7)), len(ids) + 1)

    ways = []
    ends = targets.set_index("target_key").geometry
    for key, site in zip(sites["target_key"], sites.geometry, strict=True):
        if site is not None and key in ends.index and ends[key] is not None:
            a, b = node(site), node(ends[key])
            if a != b:
                ways.append((a, b))
    nodes = "".join(
        f'<node id="{i}" lat="{y:.7f}" lon="{x:.7f}"/>' for (x, y), i in ids.items()
    )
    body = "".join(
        f'<way id="{k}"><nd ref="{a}"/><nd ref="{b}"/>'
        '<tag k="highway" v="secondary"/></way>'
        for k, (a, b) in enumerate(ways, start=1)
    )
    path.write_text(f'<?xml version="1.0"?><osm version="0.6">{nodes}{body}</osm>')
    return len(ways)


def test_demo_drives_each_site_to_its_assigned_cemetery(demo_run, tmp_path):
    from geoplan.access import modes

    workdir, _ = demo_run
    gpkg = workdir / "layers" / "shangluo.gpkg"
    sites = pyogrio.read_dataframe(gpkg, layer="relocation_sites")
    targets = pyogrio.read_dataframe(gpkg, layer="cemetery_targets")
    targets["target_key"] = targets["county_code"] + ":" + targets["target"]
    own = sites[sites["status"] != "matched_fallback"]
    assert _star_streets(tmp_path / "roads.osm", own, targets) >= 10
    result = run(
        "demo", "shangluo", "--network", tmp_path / "roads.osm", "--basemap", "none",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Along the streets (roads.osm (drive)):" in result.stdout
    out = pyogrio.read_dataframe(
        tmp_path / "layers" / "shangluo.gpkg", layer="relocation_sites"
    )
    reached = out[out["network_status"] == "reached"]
    assert len(reached) >= 10
    # a site with its own road (apart from its cemetery) goes straight along it,
    # at the secondary road's speed
    roads = reached[reached["dist_to_target_m"] > 1]
    assert len(roads) >= 5
    gap = roads["network_dist_to_target_m"] - roads["dist_to_target_m"]
    assert (gap.abs() < 1e-3 * roads["dist_to_target_m"]).all()
    speed = modes.get("drive").speeds_m_s("secondary")
    assert roads["time_to_target_s"].to_numpy() == pytest.approx(
        roads["network_dist_to_target_m"].to_numpy() / speed, rel=1e-4
    )
    # sites placed by their cemetery's place have no way of their own
    by_target = out["status"] == "matched_fallback"
    assert (out.loc[by_target, "network_status"] == "undetermined").all()
    assert out.loc[by_target, "time_to_target_s"].isna().all()
