"""Plans as data: every main-table row as printed; progress; reports."""

from __future__ import annotations

import itertools
import re
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import SHARED, page_text

from geoplan.cases.shangluo import relocation
from geoplan.errors import ValidationError
from geoplan.io import gazetteer_files
from geoplan.planning import categories, plans, report
from geoplan.planning.categories import CategoryError

SEEDS = SHARED / "seeds"
GEOPLAN = Path(sys.executable).with_name("geoplan")


def seed_lines(prefix):
    files = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    if not files:
        pytest.skip(f"seed {prefix} not under {SEEDS}")
    return files[0].read_text(encoding="utf-8").splitlines()


def cells(lines, span):
    first, last = (int(x) for x in span.split("-"))
    return [c.strip() for c in lines[first - 1 : last] if c.strip()]


@pytest.mark.parametrize(
    ("plan_id", "prefix", "table", "span", "rows"),
    [
        ("shangluo", "000", "专栏一", "213-455", 23),
        ("chengde", "001", "主要发展指标", "168-316", 14),
        ("xincheng", "003", "主要发展指标", "152-344", 15),
    ],
)
def test_main_tables_are_complete_and_as_printed(plan_id, prefix, table, span, rows):
    lines = seed_lines(prefix)
    plan = plans.load(plan_id)
    ours = [i for i in plan.indicators if i.table == table]
    assert len(ours) == rows
    for item in ours:
        printed = cells(lines, item.source_lines)
        assert item.text_zh in printed, item.id
        for which in ("baseline", "target"):
            value = item.printed(which)
            if value and value != "--":
                assert value in printed, (item.id, which, value, printed)
        if item.attribute:
            assert item.attribute in printed, item.id
        if item.unit not in ("", "--"):
            assert item.unit in printed, item.id
    # every data row of the seed table is covered by one of ours
    table_cells = cells(lines, span)
    names = [i.text_zh for i in ours]
    assert all(name in table_cells for name in names)


def test_xiamen_reconstructed_table_matches_the_flattened_seed():
    # the truncated seed numbers its lines ("34、..."); the table runs across them
    raw = "".join(re.sub(r"^\d+、", "", line) for line in seed_lines("002")[32:35])
    plan = plans.load("xiamen")
    rows = [i for i in plan.indicators if i.table == "表2"]
    assert len(rows) == 19
    for number, item in enumerate(rows, start=1):
        printed = (
            f"{number}{item.text_zh}{item.unit}{item.printed('baseline')}"
            f"{item.printed('target')}{item.attribute}"
        )
        assert printed in raw, item.id


def test_contradictions_are_kept_with_their_lines():
    plan = plans.load("shangluo")
    station = {
        i.id: (i.target_value, i.source_lines)
        for i in plan.indicators
        if i.variant_group == "social_work_station"
    }
    assert station == {"S06": (100.0, "525"), "S07": (85.0, "533")}
    regional = sorted(
        i.target_value
        for i in plan.indicators
        if i.variant_group == "regional_elderly_centre"
    )
    assert regional == [60.0, 80.0]
    assert plan.indicator("S23").target_value == 51 + 70  # "再新建70个" on 51


def test_categories_know_the_plans_variants():
    assert categories.category("社工站").id == "social_work_station"
    assert categories.category("社会工作站(室)").id == "social_work_station"
    assert categories.category("社区日间照料设施").id == "day_care_centre"
    assert categories.category("儿童之家").counted_against == "community"
    assert len(categories.categories()) >= 47
    with pytest.raises(CategoryError, match="closest: 日间照料中心"):
        categories.category("日间照料站")
    for name in plans.available():  # every plan's categories are registered
        plans.load(name)


def test_shangluo_relocation_indicator_per_county():
    plan = plans.load("shangluo")
    layers = plans.Layers(
        tables=relocation.plan_tables(),
    )
    progress = plans.evaluate(plan, layers)
    s47 = progress[progress["indicator"] == "S47"].set_index("scope")
    assert s47.loc["all", ["denominator_units", "covered_units", "gap"]].tolist() == [
        247,
        124,
        123,
    ]
    assert s47.loc["611002", ["denominator_units", "covered_units"]].tolist() == [
        45,
        11,
    ]
    assert s47.loc["611021", "gap"] == 2
    assert s47.loc["all", "status"] == "short by 123 units"
    assert "a cemetery is never counted as a covered site" in s47.loc["all", "reason"]
    # without layers nothing is met: every other indicator says why
    others = progress[progress["indicator"] != "S47"]
    assert (others["status"] == "not computable").all()
    assert others["reason"].str.len().gt(10).all()
    assert not (progress["status"] == "met").any()


def test_xianan_social_work_stations_from_a_list(tmp_path):
    towns = [
        "温泉街道",
        "浮山街道",
        "永安街道",
        "汀泗桥镇",
        "向阳湖镇",
        "官埠桥镇",
        "横沟桥镇",
        "贺胜桥镇",
        "双溪桥镇",
        "马桥镇",
    ]
    listing = tmp_path / "stations.csv"
    pd.DataFrame({"name": [f"{t}社会工作服务站" for t in towns]}).to_csv(
        listing, index=False, encoding="gbk"
    )
    out = tmp_path / "out"
    from conftest import run_geoplan

    run = run_geoplan(
        "plan", "check", "xianan", "--facilities", listing, "--name-column",
        "name", "--category", "社工站", "--units-from", "421202", "--out-dir", out,
        cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "X02" in run.stdout
    assert "76.92% (target 100%) - short by 3 units; 10 of 13" in run.stdout
    csv = pd.read_csv(out / "xianan-progress.csv", encoding="utf-8-sig")
    x02 = csv[(csv["indicator"] == "X02") & (csv["scope"] == "all")].iloc[0]
    assert (x02["denominator_units"], x02["covered_units"], x02["gap"]) == (13, 10, 3)
    x05 = csv[csv["indicator"] == "X05"].iloc[0]
    assert x05["status"] == "not computable"
    assert "no left_behind_children_station facilities" in x05["reason"]
    assert (out / "charts" / "X02.png").is_file()
    assert "name no town" not in run.stderr  # every station named its town
    # the shipped town points draw the gap map: the towns with and without one
    page = page_text(out / "xianan-units.html")
    assert page.count("汀泗桥镇") >= 1
    assert "No gap map" not in run.stderr
    # the gap list: the built-in township list of 咸安区 minus the towns listed
    from geoplan.places.gazetteer import Gazetteer

    all_towns = set(Gazetteer.builtin().children("421202", level="town")["name"])
    missing = sorted(all_towns - set(towns))
    assert len(missing) == 3
    units = pd.read_csv(out / "xianan-units.csv", encoding="utf-8-sig")
    assert sorted(units.loc[~units["has_one"], "unit_name"]) == missing
    assert units["facilities"].sum() == len(towns)
    line = next(x for x in run.stdout.splitlines() if "X02: 3 without one" in x)
    assert sorted(line.split(": ")[-1].split("、")) == missing
    sheet = pd.read_excel(out / "xianan-progress.xlsx", sheet_name="逐单元")
    assert sorted(sheet.loc[sheet["已有"] == "否", "单元名称"]) == missing
    assert "## 尚无设施的单元" in (out / "xianan-progress.md").read_text(
        encoding="utf-8"
    )


def test_one_list_computes_every_indicator_its_units_allow(tmp_path):
    """No --units flag: the plan's jurisdiction gives every unit type it counts."""
    from conftest import run_geoplan

    stations = ["温泉街道", "浮山街道", "汀泗桥镇", "向阳湖镇", "马桥镇"]
    listing = tmp_path / "facilities.csv"
    pd.DataFrame(
        {
            "name": [f"{t}社工站" for t in stations]
            + ["温泉街道综合性社区养老服务设施"],
            "category": ["社工站"] * len(stations) + ["综合性社区养老服务设施"],
        }
    ).to_csv(listing, index=False)
    out = tmp_path / "out"
    run = run_geoplan(
        "plan", "check", "xianan", "--facilities", listing, "--out-dir", out,
        cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    csv = pd.read_csv(out / "xianan-progress.csv", encoding="utf-8-sig")
    rows = csv[csv["scope"] == "all"].set_index("indicator")
    # 13 towns and streets (乡镇(街道)); 3 of them streets (街道): 温泉, 浮山, 永安
    assert (rows.at["X02", "denominator_units"], rows.at["X02", "covered_units"]) == (
        13,
        5,
    )
    assert (rows.at["X11", "denominator_units"], rows.at["X11", "covered_units"]) == (
        3,
        1,
    )
    assert rows.at["X11", "gap"] == 2


def test_facilities_that_name_no_town_are_said_and_not_counted(tmp_path):
    from conftest import run_geoplan

    (tmp_path / "s.csv").write_text(
        "name,count\n横沟桥镇社工站,1\n无此地社工站,1\n", encoding="utf-8"
    )
    args = ["plan", "check", "xianan", "--facilities", "s.csv", "--category", "社工站"]
    run = run_geoplan(*args, "--units-from", "421202", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "1 facilities name no town or community and count in no unit" in run.stderr
    assert "无此地社工站: no place name recognised" in run.stderr
    assert "1 of 13 township units have one; 1 social_work_station facilities lie" in (
        run.stdout
    )
    (tmp_path / "s.csv").write_text("name,count\n横沟桥镇社工站,一\n", encoding="utf-8")
    bad = run_geoplan(*args, "--units-from", "421202", cwd=tmp_path)
    assert bad.returncode == 1
    assert "column 'count' has 1 cells that are not a number >= 0 (row 2: '一')" in (
        bad.stderr
    )
    missing = run_geoplan(
        "plan", "check", "xianan", "--facilities", "s.csv", cwd=tmp_path
    )
    assert "no column 'category'" in missing.stderr


def test_excel_holds_the_numbers_of_the_csv(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    plan = plans.load("shangluo")
    progress = plans.evaluate(
        plan,
        plans.Layers(
            tables=relocation.plan_tables(),
        ),
    )
    csv = report.write_csv(progress, tmp_path / "p.csv")
    xlsx = report.write_excel(progress, tmp_path / "p.xlsx", title=plan.name_zh)
    sheet = openpyxl.load_workbook(xlsx).active
    header = [c.value for c in sheet[2]]
    assert header[:8] == [
        "编号",
        "指标",
        "单位",
        "基期值",
        "目标值",
        "现状值",
        "差距",
        "属性",
    ]
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    back = pd.read_csv(
        csv, encoding="utf-8-sig", dtype={"baseline": str, "target": str}
    )
    assert len(rows) == len(back)
    for row, (_, expected) in zip(rows, back.iterrows(), strict=True):
        assert row[0] == expected["indicator"]
        assert row[1] == expected["text_zh"]
        for col, name in ((5, "current"), (6, "gap")):
            if pd.isna(expected[name]):
                assert row[col] is None
            else:
                assert row[col] == pytest.approx(float(expected[name]))
    md = report.write_markdown(progress, tmp_path / "p.md", title=plan.name_zh)
    assert "| S47 |" in md.read_text(encoding="utf-8")


def test_located_sites_report_those_within_the_cemetery_radius(shangluo_gazetteer):
    from geoplan.cases.shangluo import demo

    sites = relocation.load("sites")
    located, _ = demo.locate_sites(sites, shangluo_gazetteer, radius_m=5000)
    layers = plans.Layers(
        tables=relocation.plan_tables(
            sites.assign(coverage_status=located["coverage_status"])
        ),
    )
    progress = plans.evaluate(plans.load("shangluo"), layers)
    s47 = progress[progress["indicator"] == "S47"].set_index("scope")
    within = int(located["within_radius"].sum())
    undetermined = int((located["coverage_status"] == "undetermined").sum())
    assert 0 < within <= 124
    assert undetermined > 0  # town points cannot decide most 5 km distances
    assert (
        f"{within} within the radius of their assigned cemetery for certain, "
        f"{undetermined} undetermined" in s47.loc["all", "reason"]
    )
    assert s47.loc["all", "covered_units"] == 124  # named sites, not cemeteries


def test_gap_map_shows_the_townships_with_and_without(tmp_path, shangluo_gazetteer):
    from browser import COUNT_LAYERS, legend_meanings, opened
    from conftest import run_geoplan

    store = gazetteer_files.save_gazetteer(shangluo_gazetteer, tmp_path / "gz.gpkg")
    (tmp_path / "s.csv").write_text("name\n北宽坪镇\n腰市镇\n", encoding="utf-8")
    run = run_geoplan(
        "plan", "check", "shangluo", "--facilities", "s.csv", "--category", "社工站",
        "--units-from", "611002", "--gazetteer", store, "--out-dir", "out",
        "--basemap", "none", cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    units = pd.read_csv(
        tmp_path / "out" / "shangluo-units.csv", encoding="utf-8-sig", dtype=str
    )
    units["has_one"] = units["has_one"] == "True"
    s06 = units[units["indicator"] == "S06"]
    assert len(s06) == 18  # 商州区's real townships, pseudo-units left out
    assert sorted(s06.loc[s06["has_one"], "unit_name"]) == ["北宽坪镇", "腰市镇"]
    # a township is drawn when it, or a village inside it, has a point
    units_all = shangluo_gazetteer.units
    located = units_all.index[units_all["lon"].notna()]
    with_point = sum(
        any(code.startswith(c[:9]) for code in located) for c in s06["unit_code"]
    )
    with opened(tmp_path / "out" / "shangluo-units.html") as (page, external, errors):
        counts = page.evaluate(COUNT_LAYERS)
        # one layer per indicator counted in townships: S06, and S07 (镇(街道办))
        assert sorted(units["indicator"].unique()) == ["S06", "S07"]
        assert counts["clustered"] == 2 * with_point
        assert with_point == 16  # 陈塬街道 and 黑山镇 have none
        legend = page.inner_text("#geoplan-point-legend")
        assert "已有 has one" in legend
        assert "尚无 none yet" in legend
        meanings = legend_meanings(page)
        assert meanings["yes"] == "已有 has one"
        assert meanings["no"] == "尚无 none yet"
        assert errors == []
        assert external == []


def test_a_plan_file_lists_every_problem_at_once(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(
        '[plan]\nid = "p"\nname_zh = "规划"\nname_en = "Plan"\nseed = "x"\n'
        '[[indicators]]\nid = "A1"\ntext_zh = "t"\nname_en = "n"\nunit = "%"\n'
        'source_lines = "1"\ncomputation = "guess"\ntarget = { value = "sixty" }\n',
        encoding="utf-8",
    )
    with pytest.raises(ValidationError) as caught:
        plans.load(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    for part in (
        "plan.jurisdiction_code is missing",
        "indicators.0.computation = 'guess' is not one of ['admin_ratio'",
        "indicators.0.target.value",
    ):
        assert part in message


EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


#: The bundled plans' example lists (shaanxi-facilities.csv is the regional
#: example's synthetic list, and says so in every row).
PLAN_EXAMPLES = [
    EXAMPLES / f"{name}-facilities.csv"
    for name in plans.available()
    if (EXAMPLES / f"{name}-facilities.csv").is_file()
]


def test_the_synthetic_list_says_so_in_every_row():
    rows = pd.read_csv(EXAMPLES / "shaanxi-facilities.csv", dtype=str)
    assert rows["basis"].str.startswith("synthetic:").all()
    assert rows["county_code"].str.startswith("61").all()
    assert len(rows) == rows["county_code"].nunique() == 107


@pytest.mark.parametrize("listing", PLAN_EXAMPLES, ids=lambda p: p.stem)
def test_every_example_row_cites_its_seed_line(listing):
    rows = pd.read_csv(listing, dtype=str)
    assert rows[["seed_file", "seed_line", "seed_says"]].notna().all().all()
    seeds = SHARED / "seeds"
    if not seeds.is_dir():
        pytest.skip(f"the seeds are not at {seeds}; only the citations were checked")
    for row in rows.itertuples():
        lines = (SHARED / row.seed_file).read_text(encoding="utf-8").splitlines()
        assert row.seed_says in lines[int(row.seed_line) - 1], (listing.name, row.name)


def _check_example(plan, tmp_path):
    """Run `plan check` on the bundled example list; the run and its CSV."""
    from conftest import run_geoplan

    out = tmp_path / "out"
    run = run_geoplan(
        "plan", "check", plan, "--facilities", EXAMPLES / f"{plan}-facilities.csv",
        "--out-dir", out, cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    return run, pd.read_csv(out / f"{plan}-progress.csv", encoding="utf-8-sig")


def test_xincheng_planned_cemeteries_count_once_built(tmp_path):
    _, csv = _check_example("xincheng", tmp_path)
    row = csv[csv["indicator"] == "XC-X28"].iloc[0]
    # the seed (line 542) plans two cemeteries by 2025; none is there yet
    assert (row["current"], float(row["target"]), row["gap"]) == (0, 2, 2)
    assert "2 planned, not counted (2 once built)" in row["reason"]


def test_xianan_welfare_centre_is_planned_not_there(tmp_path):
    _, csv = _check_example("xianan", tmp_path)
    row = csv[csv["indicator"] == "X10"].iloc[0]
    # seed 004 line 58 plans the welfare centre for 2023: planned, not there
    assert (row["current"], row["gap"]) == (0, 1)
    assert "1 planned, not counted (1 once built)" in row["reason"]
    # the seed names no town with a social-work station: X02 is not invented
    x02 = csv[csv["indicator"] == "X02"].iloc[0]
    assert x02["status"] == "not computable"


def test_shangluo_county_facilities_from_the_seed_alone(tmp_path):
    run, csv = _check_example("shangluo", tmp_path)
    assert "name no town" not in run.stderr  # county facilities name their county
    rows = csv[csv["scope"] == "all"].set_index("indicator")
    # seed lines 713, 739, 741: six urban cemeteries not yet in use (three being
    # built, three awaiting papers); funeral homes in five counties, 柞水's planned
    assert (rows.at["T21", "covered_units"], rows.at["T21", "denominator_units"]) == (
        0,
        7,
    )
    assert "6 of 7 once the planned ones are built" in rows.at["T21", "reason"]
    assert (rows.at["S43", "covered_units"], rows.at["S43", "gap"]) == (5, 2)
    line = next(x for x in run.stdout.splitlines() if x.strip().startswith("S43: 2"))
    assert sorted(line.split(": ")[-1].split("、")) == ["山阳县", "柞水县"]


def test_unit_types_are_cut_by_the_statistics_bureau_codes_and_names_agree():
    """镇, 乡 and 街道 by name; 居委会 (001-199) and 村委会 (200-399) by code, and
    every committee's own name says the same."""
    from geoplan.places.gazetteer import Gazetteer

    gazetteer = Gazetteer.builtin()

    def names(code: str, kind: str) -> list[str]:
        units = plans.units_from_gazetteer(gazetteer, code, unit_type=kind)
        assert set(units["unit_type"]) <= {kind}
        return units["name"].tolist()

    # Xian'an: 13 乡镇(街道) (seed 004 line 40) = 9 镇 + 3 街道 + 大幕乡
    assert len(names("421202", "township")) == 13
    assert len(names("421202", "town_only")) == 9
    assert len(names("421202", "subdistrict")) == 3
    # Xincheng: 保合少镇 (seed 003 line 107) is its only 镇; the rest are streets
    assert names("150102", "town_only") == ["保合少镇"]
    for place in ("611000", "421202", "150102"):
        urban = names(place, "urban_community")
        villages = names(place, "administrative_village")
        assert all(re.search("社区|居委会|居民委员会", n) for n in urban)
        assert all("村" in n for n in villages)
        assert names(place, "rural_community") == villages
        assert sorted(names(place, "community")) == sorted(urban + villages)
    assert len(names("421202", "community")) == 190


def test_the_15_minute_circle_is_measured_and_open_where_points_are_coarse():
    """Xincheng XC-X31 (seed 003 line 584) on a hand-checkable world: one centre;
    a community 500 m from it (covered), one 2 km away (not), one placed only at
    its street (±5 km: undetermined, never "not covered")."""
    metre = 1 / 110_574  # degrees of latitude per metre here, near enough

    def community(code: str, north_m: float, placed: str) -> dict[str, object]:
        return {
            "code": code, "name": code, "unit_type": "urban_community",
            "county_code": "150102", "lon": 111.70,
            "lat": 40.85 + north_m * metre, "precision": placed,
        }  # fmt: skip

    units = pd.DataFrame(
        [
            community("150102001001", 500, ""),
            community("150102001002", 2000, ""),
            community("150102001003", 300, "town"),
        ]
    )
    centre = pd.DataFrame(
        {
            "category": ["居家和社区养老服务中心"],
            "unit_code": ["150102001001"],
            "lon": [111.70],
            "lat": [40.85],
            "precision": [""],
        }
    )
    plan = plans.load("xincheng")
    rows = plans.evaluate(plan, plans.Layers(units=units, facilities=centre))
    row = rows[(rows["indicator"] == "XC-X31") & (rows["scope"] == "all")].iloc[0]
    assert row["covered_units"] == 1
    assert row["denominator_units"] == 3
    assert row["current"] == 33.33
    assert row["status"] == "short by 1 units"  # even if the open one is covered
    assert "between 33.3% and 66.7%" in row["reason"]
    status = plans.unit_status(plan, plans.Layers(units=units, facilities=centre))
    status = status[status["indicator"] == "XC-X31"].set_index("unit_code")
    assert status.at["150102001001", "has_one"]
    assert not status.at["150102001002", "has_one"]
    assert pd.isna(status.at["150102001003", "has_one"])  # open, not "without one"
    assert status.at["150102001001", "facilities"] == 1
    assert "1000 m in a straight line (gb50180-15min" in row["reason"]
    near = plans.evaluate(
        plan, plans.Layers(units=units.drop(index=1), facilities=centre)
    )
    row = near[(near["indicator"] == "XC-X31") & (near["scope"] == "all")].iloc[0]
    assert row["status"] == "undetermined: 1 units placed too coarsely to tell"


def test_the_15_minute_circle_in_minutes_along_a_street():
    """The same world with one street running north from the centre: 15 minutes'
    walk reaches the community 500 m up it, not the one 2 km up."""
    import geopandas as gpd
    from shapely.geometry import LineString

    from geoplan.access import modes
    from geoplan.access.network import network_from_frames

    metre = 1 / 110_574
    lats = [40.85 + m * metre for m in (0, 500, 1000, 2000)]
    nodes = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy([111.70] * 4, lats), crs="EPSG:4326"
    )
    edges = gpd.GeoDataFrame(
        {"u": [0, 1, 2], "v": [1, 2, 3]},
        geometry=[
            LineString([(111.70, a), (111.70, b)]) for a, b in itertools.pairwise(lats)
        ],
        crs="EPSG:4326",
    )
    street = network_from_frames(nodes, edges, source="one street", mode="walk")
    units = pd.DataFrame(
        {
            "code": ["150102001001", "150102001002"],
            "name": ["near", "far"],
            "unit_type": "urban_community",
            "county_code": "150102",
            "lon": 111.70,
            "lat": [lats[1], lats[3]],
            "precision": "",
        }
    )
    centre = pd.DataFrame(
        {"category": ["居家和社区养老服务中心"], "unit_code": ["150102001001"],
         "lon": [111.70], "lat": [40.85], "precision": [""]}
    )  # fmt: skip
    layers = plans.Layers(units=units, facilities=centre, network=street)
    rows = plans.evaluate(plans.load("xincheng"), layers)
    row = rows[(rows["indicator"] == "XC-X31") & (rows["scope"] == "all")].iloc[0]
    assert modes.get("walk").speed_m_s * 15 * 60 < 2000  # far is beyond a walk
    assert row["covered_units"] == 1
    assert row["status"] == "short by 1 units"
    assert "15 minutes by walk along one street" in row["reason"]


def test_a_ratio_says_which_list_its_units_come_from():
    """Xian'an X12 (社区, seed 004 line 58) counts the statistics bureau's 2023
    committees; the towns are the ministry's 2025 list; each reason says so."""
    from geoplan.places.gazetteer import Gazetteer

    plan = plans.load("xianan")
    units = plans.units_for_plan(Gazetteer.builtin(), plan)
    first = units[units["unit_type"] == "community"].iloc[0]
    facilities = pd.DataFrame(
        {"category": ["日间照料中心"], "unit_code": [first["code"]]}
    )
    rows = plans.evaluate(plan, plans.Layers(units=units, facilities=facilities))
    row = rows[(rows["indicator"] == "X12") & (rows["scope"] == "all")].iloc[0]
    assert row["covered_units"] == 1
    assert row["denominator_units"] == 190
    assert row["reason"].endswith("; units as listed on 2023-06-30")


#: A user's own list (not the seeds': they name no facility with its place),
#: one facility of each category the plan counts, and what it makes by hand.
USER_LISTS = {
    "chengde": (
        {
            "双桥区未成年人救助保护中心": "minor_protection_centre",
            "平泉市养老服务指导中心": "elderly_service_guidance_centre",
            "承德县公益性公墓": "public_burial_facility",
            "双桥区西大街街道未成年人保护工作站": "minor_protection_station",
            "双桥区西大街街道区域养老服务中心": "regional_elderly_service_centre",
            "双桥区社会组织孵化基地": "social_org_incubator",
            "兴隆县兴隆镇社会救助综合服务窗口": "social_assistance_service_point",
            "滦平县城市公益性公墓": "urban_public_cemetery",
            "双桥区福利彩票销售网点": "welfare_lottery_outlet",
            "双桥区西大街街道居家和社区养老服务中心": (
                "comprehensive_community_elderly_facility"
            ),
        },
        12,
        {  # 11 counties: 双桥 双滦 鹰手营子矿 承德县 兴隆 滦平 隆化 丰宁 宽城 围场 平泉
            "CD-X2": (11, 1),
            "CD-X5": (11, 1),
            "CD-T14": (11, 1),
            "CD-X12": (11, 1),
            "CD-X17": (11, 1),
            "CD-T3": (217, 1),  # the 2025 list's towns and streets of 承德市
            "CD-X15": (217, 1),
        },
    ),
    "xiamen": (
        {
            "思明区未成年人救助保护中心": "minor_protection_centre",
            "同安区公益性公墓": "public_burial_facility",
            "湖里区殿前街道未成年人保护工作站": "minor_protection_station",
            "集美区灌口镇区域养老服务中心": "regional_elderly_service_centre",
            "海沧区福利彩票销售网点": "welfare_lottery_outlet",
            "翔安区新店街道家庭养老床位": "family_care_bed",
        },
        6,
        {  # 6 districts: 思明 湖里 集美 海沧 同安 翔安
            "XM-T3": (6, 1),
            "XM-T17": (6, 1),
        },
    ),
}


@pytest.mark.parametrize("plan_id", sorted(USER_LISTS))
def test_a_users_list_computes_every_indicator_the_docs_promise(tmp_path, plan_id):
    """Chengde and Xiamen have no example list; a user's own list computes them."""
    from conftest import run_geoplan

    facilities, computable, by_hand = USER_LISTS[plan_id]
    listing = tmp_path / "mine.csv"
    pd.DataFrame(
        {"name": list(facilities), "category": list(facilities.values())}
    ).to_csv(listing, index=False)
    run = run_geoplan(
        "plan", "check", plan_id, "--facilities", listing, "--out-dir", tmp_path,
        cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "name no town or community" not in run.stderr  # every one placed
    table = pd.read_csv(tmp_path / f"{plan_id}-progress.csv", encoding="utf-8-sig")
    rows = table[table["scope"] == "all"].set_index("indicator")
    assert (rows["status"] != "not computable").sum() == computable  # docs/plans.md
    for indicator, (units, covered) in by_hand.items():
        got = rows.loc[indicator, ["denominator_units", "covered_units"]]
        assert tuple(got) == (units, covered), indicator
