"""The gazetteer: built-in units, adcode import with GCJ-02 conversion, storage."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from conftest import adcode_files
from pyproj import Geod

from geoplan import settings
from geoplan.errors import ValidationError
from geoplan.io import gazetteer_files
from geoplan.places import boundaries, gazetteer


def test_builtin_has_every_town_offline(builtin_gazetteer):
    units = builtin_gazetteer.units
    counts = units.loc[units["level"] != "village", "level"].value_counts().to_dict()
    assert counts == {"town": 38723, "county": 2845, "city": 333, "province": 33}
    xianan = builtin_gazetteer.children("421202", level="town")
    assert len(xianan) == 13  # 咸安区: the plan's "all 13 towns"
    assert {"温泉街道", "汀泗桥镇", "大幕乡"} <= set(xianan["name"])
    assert (units.loc[units["level"] == "county", "lon"].notna().mean()) > 0.99
    towns = units[units["level"] == "town"]
    assert towns["lon"].notna().sum() == 31912  # shipped adcode town points
    assert (
        towns.loc[towns["lon"].isna(), "point_source"].str.startswith("no point").all()
    )
    assert units.loc["611002000000", "source"].startswith("MCA division list 2025")


def test_the_builtin_table_is_built_once_then_read_from_the_cache(
    tmp_path, monkeypatch, caplog
):
    monkeypatch.setattr(settings, "cache_folder", tmp_path)
    built = gazetteer._builtin_units.__wrapped__()  # not this process's copy
    (cached,) = tmp_path.glob("builtin-units-*.parquet")
    assert not list(tmp_path.glob(".*.part"))  # written whole, then renamed

    def never(*_args):
        raise AssertionError("built again although cached")

    monkeypatch.setattr(gazetteer, "_build_builtin_units", never)
    read = gazetteer._builtin_units.__wrapped__()
    pd.testing.assert_frame_equal(read, built, check_exact=True)  # dtypes too

    cached.write_bytes(b"PAR1 cut short")  # a crash mid-copy, a full disk
    monkeypatch.undo()
    monkeypatch.setattr(settings, "cache_folder", tmp_path)
    with caplog.at_level("WARNING"):
        again = gazetteer._builtin_units.__wrapped__()
    assert "Rebuilding the built-in gazetteer" in caplog.text
    pd.testing.assert_frame_equal(again, built, check_exact=True)
    assert pd.read_parquet(cached).equals(built)  # the cache is whole again


def test_the_builtin_table_is_built_where_no_cache_can_be_written(
    tmp_path, monkeypatch
):
    blocked = tmp_path / "a file"
    blocked.write_text("not a folder")
    monkeypatch.setattr(settings, "cache_folder", blocked)
    units = gazetteer._builtin_units.__wrapped__()
    assert len(units) == len(gazetteer._builtin_units())
    assert blocked.read_text() == "not a folder"


def test_county_points_lie_in_their_polygons(builtin_gazetteer):
    units = builtin_gazetteer.units
    shangluo = units[units.index.str.startswith("6110") & (units["level"] == "county")]
    polygons = boundaries.counties(prefix="6110").set_index("county_code").geometry
    for code, row in shangluo.iterrows():
        assert polygons[code[:6]].contains(gpd.points_from_xy([row.lon], [row.lat])[0])


@pytest.mark.parametrize(
    ("name", "level", "short"),
    [
        ("北宽坪镇", "town", "北宽坪"),
        ("茅坪回族镇", "town", "茅坪"),
        ("城关街道办事处", "town", "城关"),
        ("王村", "village", "王村"),
        ("唐村委会", "village", "唐村"),
        ("三兴社区居委会", "village", "三兴"),
        ("商州区", "county", "商州"),
        ("新城区", "county", "新城"),
    ],
)
def test_short_names(name, level, short):
    assert gazetteer.short_name(name, level) == short


def test_codes_are_padded_and_checked():
    assert gazetteer.pad_code("611002") == "611002000000"
    assert gazetteer.pad_code(611002115) == "611002115000"
    with pytest.raises(ValidationError, match="not an administrative division code"):
        gazetteer.pad_code("6.11002E+11")


def test_adcode_import_converts_gcj02_and_flags_pseudo_units(shangluo_gazetteer):
    units = shangluo_gazetteer.units
    town = units.loc["611002115000"]  # 北宽坪镇: adcode GCJ-02 110.15062, 33.906072
    geod = Geod(ellps="WGS84")
    _, _, moved = geod.inv(110.15062, 33.906072, town["lon"], town["lat"])
    assert 400 < moved < 700
    assert town["point_source"].startswith("adcode by Vonng, CC BY 4.0")  # shipped
    assert units.loc["611002001000", "aliases"] == "城关街道办事处"
    assert units.loc["611002400000", "pseudo"]  # 二龙山水库
    # code reused: the 2016 金丝峡镇 611023111 is today's 金丝峡镇, not 青山镇
    (jinsixia,) = units.index[units["former_codes"].str.contains("611023111000@")]
    assert units.loc[jinsixia, "name"] == "金丝峡镇"
    assert units.loc["611023111000", "name"] == "青山镇"
    assert shangluo_gazetteer.path("611002115220") == [
        "610000000000",
        "611000000000",
        "611002000000",
        "611002115000",
        "611002115220",
    ]


def _own_county(code, counties):
    """Tianditu polygon of a town's county; a renamed county by its short name."""
    if code[:6] in counties.index:
        return counties.geometry[code[:6]]
    return None


def test_shaanxi_town_points_fall_in_their_counties():
    adcode = gazetteer_files.read_adcode(adcode_files("61*.csv"))
    towns = adcode[(adcode["level"] == "town") & adcode["lon"].notna()]
    counties = boundaries.counties(prefix="61").set_index("county_code")
    # counties renamed since 2016 (凤翔县 -> 凤翔区 ...): same city, same first
    # character of the short name
    old = adcode[adcode["level"] == "county"]
    for code, name in old["name"].items():
        if code[:6] in counties.index:
            continue
        same = counties[
            counties.index.str.startswith(code[:4])
            & counties["county"].str.startswith(name[0])
        ]
        if len(same) == 1:
            counties.loc[code[:6]] = same.iloc[0]
    inside = raw_inside = checked = 0
    raw = gpd.points_from_xy(*_gcj(towns))
    for (code, row), gcj in zip(towns.iterrows(), raw, strict=True):
        polygon = _own_county(code, counties)
        if polygon is None:
            continue
        checked += 1
        inside += polygon.contains(gpd.points_from_xy([row.lon], [row.lat])[0])
        raw_inside += polygon.contains(gcj)
    assert checked > 0.98 * len(towns)
    assert inside / checked >= 0.99
    assert raw_inside < inside  # unconverted points land in the wrong county more often


def _gcj(towns):
    from geoplan.places.coords import convert

    return convert(towns["lon"], towns["lat"], source="wgs84", target="gcj02")


def test_unconverted_gcj02_points_would_be_400_to_700_m_off():
    adcode = gazetteer_files.read_adcode(adcode_files("611*.csv"))
    towns = adcode[(adcode["level"] == "town") & adcode["lon"].notna()]
    gcj_lon, gcj_lat = _gcj(towns)
    _, _, off = Geod(ellps="WGS84").inv(towns["lon"], towns["lat"], gcj_lon, gcj_lat)
    assert len(off) == 93
    assert np.min(off) > 400
    assert np.max(off) < 700


def test_store_round_trip(shangluo_gazetteer, tmp_path):
    path = gazetteer_files.save_gazetteer(shangluo_gazetteer, tmp_path / "g.gpkg")
    back = gazetteer.Gazetteer.load(path)
    assert len(back) == len(shangluo_gazetteer)
    row = back.units.loc["611002115220"]
    assert row["name"] == "全脉村委会"
    assert row["level"] == "village"
    original = shangluo_gazetteer.units.loc["611002115000", ["lon", "lat"]]
    assert back.units.loc["611002115000", ["lon", "lat"]].tolist() == pytest.approx(
        original.tolist(), abs=1e-9
    )
    assert back.units["pseudo"].sum() == shangluo_gazetteer.units["pseudo"].sum()


GOOD_ROW = (
    "611002115000,611002000000,北宽坪镇,town,4,611002,,,,f,f,f,"
    "110.15062,33.906072,,陕西省,商洛市,商州区,北宽坪镇,\n"
)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (GOOD_ROW + "611002115201,611002115000\n", r"row 2: level ''"),
        (GOOD_ROW.replace(",town,", ",township,"), r"row 1: level 'township'"),
        (GOOD_ROW.replace("611002115000,611002000000", "6110021150,x", 1), "code"),
        (GOOD_ROW.replace("\n", ",extra\n"), "more than 20 columns"),
        (GOOD_ROW.encode("gbk"), "not UTF-8"),
    ],
)
def test_adcode_rows_are_checked_with_file_and_row(tmp_path, content, message):
    path = tmp_path / "611002.csv"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ValidationError, match=message) as error:
        gazetteer_files.read_adcode([path])
    assert str(path) in str(error.value)
    assert "adcode.ddl" in str(error.value)


def test_a_good_adcode_row_reads(tmp_path):
    path = tmp_path / "611002.csv"
    path.write_text(GOOD_ROW, encoding="utf-8")
    seen = []
    units = gazetteer_files.read_adcode([path], progress=seen.append)
    assert seen == [1]
    assert units.loc["611002115000", "name"] == "北宽坪镇"
    assert units.loc["611002115000", "lon"] < 110.15062  # moved west from GCJ-02


def test_table_import_converts_declared_systems(tmp_path):
    from geoplan.places.coords import convert

    # 北宽坪镇 and one of its villages, written in GCJ-02 as read off Amap
    table = pd.DataFrame(
        {
            "名称": ["北宽坪镇", "全脉村"],
            "代码": ["611002115", "611002115220.0"],  # a code saved as a number
            "经度": [110.15062, 110.1712],
            "纬度": [33.906072, 33.9301],
        }
    )
    csv = tmp_path / "towns.csv"
    table.to_csv(csv, index=False, encoding="gbk")
    units = gazetteer_files.read_table(
        csv, name_column="名称", code_column="代码", level="town", coords="gcj02"
    )
    assert units.index.tolist() == ["611002115000", "611002115220"]
    lon, lat = convert(
        table["经度"].to_numpy(),
        table["纬度"].to_numpy(),
        source="gcj02",
        target="wgs84",
    )
    assert np.allclose(units["lon"], lon)
    assert np.allclose(units["lat"], lat)
    assert units["point_source"].tolist() == ["towns.csv (gcj02)"] * 2
    xlsx = tmp_path / "towns.xlsx"
    table.to_excel(xlsx, index=False)
    again = gazetteer_files.read_table(
        xlsx, name_column="名称", code_column="代码", level="town", coords="gcj02"
    )
    assert np.allclose(again["lon"], units["lon"])
    gpkg = tmp_path / "towns.gpkg"
    gpd.GeoDataFrame(
        table[["名称", "代码"]],
        geometry=gpd.points_from_xy(lon, lat),
        crs="EPSG:4490",
    ).to_file(gpkg)
    layer = gazetteer_files.read_table(
        gpkg, name_column="名称", code_column="代码", level="town", coords="wgs84"
    )
    assert np.allclose(layer["lon"], units["lon"])
    assert np.allclose(layer["lat"], units["lat"])


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("名称,代码,lon,lat\n甲,6110021150,110,33\n", r"row 2: "),
        (
            "名称,代码,lon,lat\n甲,611002115,110,33\n乙,611002115000,110,33\n",
            r"repeat in rows \[2, 3\]",
        ),
        ("name,代码,lon,lat\n甲,611002115,110,33\n", r"no column \['名称'\]"),
    ],
)
def test_table_import_errors_name_file_and_row(tmp_path, rows, message):
    path = tmp_path / "t.csv"
    path.write_text(rows, encoding="utf-8")
    with pytest.raises(ValidationError, match=message) as error:
        gazetteer_files.read_table(
            path, name_column="名称", code_column="代码", level="town", coords="wgs84"
        )
    assert str(path) in str(error.value)


def test_gazetteer_import_table_command(tmp_path):
    from conftest import run_geoplan

    (tmp_path / "v.csv").write_text(
        "名称,代码,lon,lat\n全脉村,611002115220,110.17,33.93\n", encoding="utf-8"
    )
    base = ["gazetteer", "import", "v.csv", "--format", "table", "--store", "g.gpkg"]
    half = run_geoplan(*base, "--name-column", "名称", cwd=tmp_path)
    assert half.returncode == 1
    assert "needs --code-column, --level, --coords" in half.stderr
    full = run_geoplan(
        *base, "--name-column", "名称", "--code-column", "代码", "--level", "village",
        "--coords", "wgs84", cwd=tmp_path,
    )  # fmt: skip
    assert full.returncode == 0, full.stderr
    assert (
        "Imported 1 units from 1 files (1 with points): 1 onto units the gazetteer "
        "has, 0 added" in full.stdout
    )
    store = gazetteer.Gazetteer.load(tmp_path / "g.gpkg")
    units = store.units
    # the statistics bureau's 全脉村委会 (shipped, no point) gets the table's point
    assert units.at["611002115220", "name"] == "全脉村委会"
    assert "全脉村" in units.at["611002115220", "aliases"]
    assert units.at["611002115220", "lon"] == pytest.approx(110.17)
    assert len(units[units.index.str.startswith("611002115220")]) == 1


def test_children_of_an_unknown_unit_is_an_error(builtin_gazetteer):
    towns = builtin_gazetteer.children("421202", level="town")  # 咸安区
    assert len(towns) >= 13
    with pytest.raises(ValidationError, match="province 42 is 湖北省"):
        builtin_gazetteer.children("429999")
