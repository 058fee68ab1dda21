"""The gazetteer that ships with geoplan: national towns, villages, history."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import ADCODE, adcode_files
from pyproj import Geod

from geoplan.io import gazetteer_files
from geoplan.places import gazetteer as gz
from geoplan.places import geocode as gc
from geoplan.places.coords import convert
from geoplan.places.gazetteer import Gazetteer
from geoplan.places.matcher import Matcher
from geoplan.places.reconcile import reconcile

GEOD = Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def builtin():
    gazetteer = Gazetteer.builtin()
    return gazetteer, Matcher(gazetteer)


def run(builtin, names, context=None):
    gazetteer, matcher = builtin
    return gc.geocode(
        pd.Series(names), gazetteer=gazetteer, matcher=matcher, context=context
    )


def test_every_shipped_town_point_lies_in_its_own_county(builtin):
    from geoplan.places import boundaries

    gazetteer, _ = builtin
    towns = gazetteer.units[
        (gazetteer.units["level"] == "town") & gazetteer.units["lon"].notna()
    ]
    assert len(towns) > 30_000
    counties = boundaries.counties().set_index("county_code").geometry
    sample = towns.sample(2000, random_state=3)
    sample = sample[sample.index.str[:6].isin(counties.index)]
    import shapely

    inside = shapely.contains_xy(
        counties.loc[sample.index.str[:6]].to_numpy(), sample["lon"], sample["lat"]
    )
    assert inside.mean() >= 0.98
    assert sample["point_source"].str.contains("adcode by Vonng, CC BY 4.0").all()
    without = gazetteer.units[
        (gazetteer.units["level"] == "town") & gazetteer.units["lon"].isna()
    ]
    assert without["point_source"].str.startswith("no point").all()


RENAMES = {  # former name as written -> current unit (name), since 2016
    "河北省邢台市邢台县城关镇": "信都区",
    "河北省邢台市任县": "任泽区",
    "河北省邢台市桥东区": "襄都区",
    "河北省邯郸市肥乡县": "肥乡区",
    "河北省邯郸市永年县": "永年区",
    "河北省邯郸市邯郸县": "邯山区",
    "河北省唐山市滦县": "滦州市",
    "天津市蓟县": "蓟州区",
    "西藏自治区那曲地区那曲县": "色尼区",
    "新疆维吾尔自治区塔城地区沙湾县": "沙湾市",
    "辽宁省沈阳市东陵区": "浑南区",
    "江西省九江市庐山区": "濂溪区",
    "吉林省四平市公主岭市": "公主岭市",
}


def test_former_names_and_codes_resolve_to_the_current_unit(builtin):
    gazetteer, matcher = builtin
    history = gazetteer.units[gazetteer.units["former_names"] != ""]
    assert len(history) >= 20
    result = run(builtin, list(RENAMES))
    names = [gazetteer.units.at[c, "name"] if c else "" for c in result["code"]]
    assert names == list(RENAMES.values())
    renamed = [n for n, cur in RENAMES.items() if cur not in n]
    for text, note in zip(RENAMES, result["explanation"], strict=True):
        if text in renamed and not text.endswith("公主岭市"):
            assert "former name of" in note, (text, note)
    # twenty or more renames, each by its former name alone, under its province
    pairs = []
    for code, row in history.iterrows():
        for item in row["former_names"].split(";"):
            old = item.split("@")[0]
            province = gazetteer.units.at[code[:2].ljust(12, "0"), "name"]
            pairs.append((f"{province}{old}", code))
    assert len(pairs) >= 20
    found = run(builtin, [p for p, _ in pairs])
    right = found["code"].to_numpy() == [c for _, c in pairs]
    said = found["explanation"].str.contains("is the former name of").to_numpy()
    assert (right & said).sum() >= 20
    # the rest are names two units had (桥东区 in 邢台 and in 张家口): reported
    # ambiguous, never placed at the wrong one
    assert (found.loc[~right, "status"] == "ambiguous").all()
    assert matcher.current("220381000000") == "220184000000"


def test_village_names_place_sites_at_their_town(builtin):
    result = run(
        builtin,
        ["全脉村集中安置点", "广东坪村安置点", "北宽坪镇张河村"],
        context=pd.Series(["611002", "611002", None]),
    )
    assert result["code"].str[:9].tolist() == ["611002115"] * 3
    assert result["precision"].isin(["town", "village"]).all()
    assert result["explanation"].str.contains("matched village").all()


def test_a_city_without_counties_is_named_once_in_the_path(builtin):
    # 东莞市 and 嘉峪关市 are their towns' city and county at once (4419, 6202
    # padded): the path named them twice (广东省/东莞市/东莞市/清溪镇)
    result = run(
        builtin, ["广东省东莞市清溪镇敬老院", "嘉峪关市新城镇幸福小区", "商州区"]
    )
    assert result["name_path"].tolist() == [
        "广东省/东莞市/清溪镇",
        "甘肃省/嘉峪关市/新城镇",
        "陕西省/商洛市/商州区",
    ]
    assert (
        result["explanation"].str.contains("东莞市/东莞市|嘉峪关市/嘉峪关市").sum() == 0
    )


def test_a_short_text_does_not_match_a_longer_village_form(builtin):
    # 王村 is the plain name of 石坡镇's and 永丰镇's 王村委会 and a form of
    # 古城镇's 王村村委会: three villages fit, none is picked. (A slice past
    # the text's end once let the town with the longest forms win.)
    _, matcher = builtin
    found = matcher.match("王村", context="611021")
    assert found.status == "ambiguous"
    assert found.consumed == len("王村")  # not the length of a longer form
    # a town's short name ending the text is the town, not a village whose
    # longer form it starts (腰市社区居民委员会, 沙河子村委会)
    assert matcher.match("商州区腰市").code == "611002113000"
    assert matcher.match("商州区沙河子").code == "611002104000"
    assert found.candidates == ["611021102202", "611021108208", "611021114214"]
    # 庙沟 (a village of 大坪镇) is read first; 凤凰居 is the site's own name
    site = matcher.match("大坪镇庙沟凤凰居安置点", context="611025")
    assert site.code == "611025103201"
    assert site.consumed == len("大坪镇庙沟")


def test_national_towns_resolve_to_the_current_unit_and_its_point(builtin):
    path = ADCODE / "towns-national.csv"
    if not path.is_file():
        pytest.skip(f"adcode towns not found at {path}")
    gazetteer, _ = builtin
    raw = gazetteer_files._read_adcode_file(path)
    raw = raw[raw["level"].isin(gz.LEVELS)].drop_duplicates("code").set_index("code")
    towns = raw[(raw["level"] == "town") & (raw["longitude"] != "")]
    towns = towns[towns.index.str[6] != "4"]
    spine = gazetteer.units[gazetteer.units["level"].isin(["county", "town"])]
    counties = reconcile(spine, raw[raw["level"] == "county"])
    parents = dict(zip(counties.index, counties["code"], strict=True))
    expected = reconcile(spine, towns, parents={k: v for k, v in parents.items() if v})
    usable = expected[expected["code"] != ""]
    sample = towns.loc[usable.sample(2000, random_state=11).index]
    writings = []
    for code, row in sample.iterrows():
        county = row["county"] if row["county"] != "市辖区" else ""
        city = row["city"] if row["city"] != "市辖区" else row["province"]
        writings += [
            (code, f"{row['province']}{city}{county}{row['name']}安置点"),
            (code, f"{county}{row['name']}敬老院"),
            (code, f"{city}{row['name']}公墓"),
        ]
    result = run(builtin, [w for _, w in writings])
    want = [expected.at[c, "code"] for c, _ in writings]
    right = result["code"].to_numpy() == want
    assert right.mean() >= 0.98, result.loc[~right, "explanation"].head(10).tolist()
    lon = pd.to_numeric(sample["longitude"]).to_numpy()
    lat = pd.to_numeric(sample["latitude"]).to_numpy()
    x, y = convert(lon, lat, source="gcj02", target="wgs84")
    truth = {c: (a, b) for c, a, b in zip(sample.index, x, y, strict=True)}
    placed = result[right & (result["precision"] == "town")]
    codes = [writings[i][0] for i in placed.index]
    metres = np.asarray(
        GEOD.inv(
            placed.geometry.x.to_numpy(),
            placed.geometry.y.to_numpy(),
            np.array([truth[c][0] for c in codes]),
            np.array([truth[c][1] for c in codes]),
        )[2]
    )
    assert (metres <= 1).mean() >= 0.98
    # every row's code is the unit its point belongs to
    assert (placed["point_code"] == placed["code"]).all()


def test_importing_shangluo_adds_only_units_the_spine_lacks():
    files = adcode_files("611*.csv")
    base = Gazetteer.builtin()
    base.load_villages("61")
    before = len(base)
    imported = gazetteer_files.read_adcode(files)
    merged = base.extend(imported)
    report = merged.import_report
    assert len(merged) - before == report["added"]
    assert report["added"] + report["onto_existing"] == len(imported)
    assert report["added"] < 0.1 * len(imported)
    # no current unit got a twin: one code per (parent, level, short name)
    units = merged.units[merged.units.index.str[:4] == "6110"]
    key = units["parent_code"] + units["level"] + units["short_name"]
    assert not key[~units.index.str.contains("@")].duplicated().any()
