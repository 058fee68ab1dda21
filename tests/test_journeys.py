"""The users' journeys through the installed command, from clean folders."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
from conftest import ADCODE, REPO, adcode_files, run_geoplan

GEOPLAN = Path(sys.executable).with_name("geoplan")


geoplan = run_geoplan


def test_planner_runs_the_shangluo_analysis_file(tmp_path):
    files = adcode_files("611*.csv")
    text = (REPO / "examples" / "shangluo.toml").read_text(encoding="utf-8")
    text = text.replace(
        '# import_adcode = ["../../shared/data/adcode/counties',
        f'import_adcode = ["{ADCODE / "counties"}',
    )
    text = text.replace('"../layers"', '"layers"').replace('"../maps"', '"maps"')
    text = text.replace('basemap = "auto"', 'basemap = "none"')
    (tmp_path / "shangluo.toml").write_text(text, encoding="utf-8")
    run = geoplan("run", "shangluo.toml", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "[3/3] plan shangluo:" in run.stdout
    assert "S47 " in run.stdout
    assert ": 50.2% (target 100%)" in run.stdout
    assert f"gazetteer: {len(files)} adcode files imported" in run.stdout
    city = next(line for line in run.stdout.splitlines() if line.startswith("商洛市 "))
    assert re.split(r"\s+", city)[:5] == ["商洛市", "247", "26", "60", "124"]
    sites = pyogrio.read_dataframe(
        tmp_path / "layers" / "shangluo.gpkg", layer="relocation_sites"
    )
    fine = sites["precision"].isin(["town", "village"])
    assert fine.sum() >= 115
    fixes = pd.read_csv(
        tmp_path / "layers" / "shangluo-fixes.csv", encoding="utf-8-sig", dtype=str
    )
    assert set(sites.loc[~fine, "site_name"]) <= set(fixes["name"])
    assert fixes["lon"].isna().all()
    assert (tmp_path / "maps" / "shangluo-relocation-cemeteries.html").is_file()
    progress = pd.read_csv(
        tmp_path / "layers" / "shangluo-progress.csv", encoding="utf-8-sig"
    )
    assert progress["status"].eq("met").sum() == 0


def test_the_bundled_example_runs_on_a_bare_clone(tmp_path):
    """examples/shangluo.toml as shipped, with nothing from ../shared."""
    (tmp_path / "examples").mkdir()
    example = tmp_path / "examples" / "shangluo.toml"
    text = (REPO / "examples" / "shangluo.toml").read_text(encoding="utf-8")
    example.write_text(text.replace('"auto"', '"none"'), encoding="utf-8")
    run = geoplan("run", "examples/shangluo.toml", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    # it says what `geoplan demo` says: precision, undetermined reach, fixes
    # the shipped gazetteer: town points, villages, village points of Shaanxi
    assert "Sites located: town 111, county 9, village 4" in run.stdout
    assert "未定 121 undetermined" in run.stdout
    assert "layers/shangluo-fixes.csv: fill in lon/lat" in run.stdout
    assert "/../" not in run.stdout
    demo = geoplan("demo", "shangluo", "--basemap", "none", cwd=tmp_path)
    table = demo.stdout.split("\nWritten:")[0]
    assert table in run.stdout
    assert (tmp_path / "layers" / "shangluo-progress.xlsx").is_file()


def test_analyst_starts_from_the_template(tmp_path):
    assert geoplan("init", "a.toml", cwd=tmp_path).returncode == 0
    assert geoplan("init", "a.toml", cwd=tmp_path).returncode == 1  # never overwrites
    pd.DataFrame(
        {
            "经度": [109.94, 109.96, 110.5],
            "纬度": [33.87, 33.87, 33.9],
            "households": [120, 80, 40],
        }
    ).to_csv(tmp_path / "demand.csv", index=False, encoding="gbk")
    pd.DataFrame({"lon": [109.941], "lat": [33.871]}).to_csv(
        tmp_path / "facilities.csv", index=False
    )
    text = (tmp_path / "a.toml").read_text(encoding="utf-8")
    text = text.replace('basemap = "auto"', 'basemap = "none"')
    text = text.replace(
        '# weight_column = "households"', 'weight_column = "households"'
    )
    (tmp_path / "a.toml").write_text(text, encoding="utf-8")
    run = geoplan("run", "a.toml", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    share = re.search(r"all\s+3\s+0\s+0\s+(\d+)\s+([\d.]+)", run.stdout)
    assert share.groups() == ("1", "0.333")  # 0.14, 1.8 and 52 km away; 1000 m
    assert (tmp_path / "layers" / "a.gpkg").is_file()
    (tmp_path / "a.toml").write_text(text + "\nbogus = 1\n", encoding="utf-8")
    bad = geoplan("run", "a.toml", cwd=tmp_path)
    assert bad.returncode == 1
    assert "unknown key 'bogus'" in bad.stderr
    # where to build next: two candidate sites, one 100 m from the 1.8 km
    # village, one far from everything; the fewest new sites for 100% of the
    # reachable households is that one
    pd.DataFrame({"lon": [109.961, 111.0], "lat": [33.87, 35.0]}).to_csv(
        tmp_path / "sites.csv", index=False
    )
    text = text.replace("# [recommend]", "[recommend]")
    text = text.replace('# candidates = "sites.csv"', 'candidates = "sites.csv"')
    text = text.replace("# target_share = 0.9 ", "target_share = 0.9 ")
    (tmp_path / "a.toml").write_text(text, encoding="utf-8")
    rec = geoplan("run", "a.toml", cwd=tmp_path)
    assert rec.returncode == 0, rec.stderr
    assert "[3/3] recommend" in rec.stdout
    # 120 covered now, 80 by the new site: 200 of 240 households < 0.9
    assert "LSCP (Infeasible" in rec.stdout
    assert "cover at most 83.3%" in rec.stdout
    text = text.replace("target_share = 0.9 ", "target_share = 0.8 ")
    (tmp_path / "a.toml").write_text(text, encoding="utf-8")
    rec = geoplan("run", "a.toml", cwd=tmp_path)
    assert "LSCP (Optimal, gap 0.00%): 1 sites, covered share 83.3%" in rec.stdout
    chosen = pyogrio.read_dataframe(
        tmp_path / "layers" / "a-recommend.gpkg", layer="recommended"
    )
    assert chosen.geometry.x.tolist() == [pytest.approx(109.961)]
    assert (tmp_path / "maps" / "a-recommend.html").is_file()
    text = text.replace(
        'candidates = "sites.csv"', 'candidates = "sites.csv"\ncandidates_from = "6110"'
    )
    (tmp_path / "a.toml").write_text(text, encoding="utf-8")
    two = geoplan("run", "a.toml", cwd=tmp_path)
    assert two.returncode == 1
    assert "exactly one of candidates, candidates_from" in two.stderr


def test_gis_team_exports_the_layers(tmp_path):
    run = geoplan("demo", "shangluo", "--basemap", "none", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    out = geoplan(
        "export",
        "layers/shangluo.gpkg",
        "--format",
        "shp",
        "--out-dir",
        "shp",
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    back = pyogrio.read_dataframe(tmp_path / "shp" / "relocation_sites.shp")
    assert len(back) == 124
    assert "茅坪回族镇" in set(back["town_as_wr"])
    mapping = pd.read_csv(
        tmp_path / "shp" / "relocation_sites.fields.csv", encoding="utf-8-sig"
    )
    assert (
        mapping.set_index("shapefile_field").loc["town_as_wr", "alias"] == "乡镇(原文)"
    )


def test_analyst_geocodes_a_list_then_fixes_the_rest_by_hand(tmp_path):
    from geoplan.cases.shangluo import relocation
    from geoplan.places import boundaries

    files = adcode_files("611*.csv")
    sites = relocation.load("sites")
    table = pd.DataFrame(
        {
            "安置点": sites["site_name"],
            "县区代码": sites["county_code"],
            "公墓安排": sites["target"],
        }
    )
    table.to_csv(tmp_path / "sites.csv", index=False, encoding="gbk")
    imported = geoplan(
        "gazetteer", "import", *files, "--format", "adcode", "--store", "gz.gpkg",
        cwd=tmp_path,
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    args = [
        "geocode", "sites.csv", "--name-column", "安置点", "--context-column",
        "县区代码", "--fallback-column", "公墓安排", "--store", "gz.gpkg",
        "--out", "out/sites.gpkg", "--no-progress",
    ]  # fmt: skip
    first = geoplan(*args, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "(encoding gb18030)" in first.stdout or "(encoding gbk)" in first.stdout
    placed = pyogrio.read_dataframe(tmp_path / "out" / "sites.gpkg", layer="geocoded")
    assert len(placed) == len(sites)
    coarse = ~placed["precision"].isin(["town", "village"])
    fixes = pd.read_csv(
        tmp_path / "out" / "sites-fixes.csv", encoding="utf-8-sig", dtype=str
    ).fillna("")
    assert len(fixes) == coarse.sum() > 0
    assert "--overrides out/sites-fixes.csv" in first.stdout
    inside = boundaries.counties(prefix="6110").set_index("county_code").geometry
    points = [inside[c].representative_point() for c in fixes["code"]]
    fixes["lon"] = [f"{p.x:.6f}" for p in points]
    fixes["lat"] = [f"{p.y:.6f}" for p in points]
    fixes.to_csv(tmp_path / "filled.csv", index=False, encoding="utf-8-sig")
    second = geoplan(*args, "--overrides", "filled.csv", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    again = pyogrio.read_dataframe(tmp_path / "out" / "sites.gpkg", layer="geocoded")
    assert (again["status"] == "override").sum() == coarse.sum()
    assert "0 rows to check" in second.stdout
    assert pd.read_csv(tmp_path / "out" / "sites-fixes.csv").empty
