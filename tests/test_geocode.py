"""County-precision placement keeps every row and stays inside the county."""

from __future__ import annotations

import pandas as pd
import pytest

from geoplan.errors import ValidationError
from geoplan.io import gazetteer_files
from geoplan.places import boundaries, geocode
from geoplan.places import geocode as gc
from geoplan.places.matcher import Matcher


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


@pytest.fixture(scope="module")
def matcher(shangluo_gazetteer):
    return Matcher(shangluo_gazetteer)


def names_of(gazetteer, codes):
    return sorted(gazetteer.units.loc[c, "name"] for c in codes)


def test_hierarchy_variants_and_site_words(matcher, shangluo_gazetteer):
    full = matcher.match("陕西省商洛市商州区北宽坪镇全脉村集中安置点")
    short = matcher.match("商州北宽坪全脉村安置点一期")
    assert full.status == short.status == "matched"
    assert full.code == short.code == "611002115220"  # 全脉村
    assert short.short_names == 2  # 商州, 北宽坪
    # 街办 = 街道办事处; 西口镇 = 西口回族镇; the county as context
    assert matcher.match("城关街办葛条安置点", context="611024").code.startswith(
        "611024001"
    )
    xikou = matcher.match("西口镇青树村安置点", context="611025").code
    assert shangluo_gazetteer.units.loc[xikou[:9] + "000", "name"] == "西口回族镇"
    # the context's own name written out is skipped
    assert matcher.match("商州区腰市镇", context="611002").code == "611002113000"


def test_bare_new_city_district_is_ambiguous(matcher, shangluo_gazetteer):
    bare = matcher.match("新城区")
    assert bare.status == "ambiguous"
    assert len(bare.candidates) >= 2
    assert {c[:6] for c in bare.candidates} >= {"150102", "610102"}
    # a street below it decides: 东街街道 is in Hohhot's 新城区 only
    street = matcher.match("新城区东街街道")
    assert street.status == "matched"
    assert street.code.startswith("150102")


def test_same_town_name_in_two_counties_is_reported_not_picked(
    matcher, shangluo_gazetteer
):
    city = matcher.match("城关街道", context="611000")  # 商洛市: several 城关街道
    assert city.status == "ambiguous"
    counties = {c[:6] for c in city.candidates}
    assert {"611002", "611021", "611024"} <= counties
    result = gc.geocode(
        pd.Series(["城关街道"]),
        gazetteer=shangluo_gazetteer,
        matcher=matcher,
        context="611000",
    )
    row = result.iloc[0]
    assert row["status"] == "ambiguous"
    assert row["precision"] == "city"  # placed at the common unit, no town picked
    assert row["confidence"] == 0.0
    assert "商州区/城关街道" in row["candidates"]
    assert "none picked" in row["explanation"]


def test_a_full_name_and_another_villages_short_name_tie(matcher, shangluo_gazetteer):
    # 洛南县 has 王村村委会 (古城镇) and two 王村委会 (石坡镇, 永丰镇): all are 王村
    names = shangluo_gazetteer.units["name"]
    wang = matcher.match("王村", context="611021")
    assert wang.status == "ambiguous"
    assert sorted(names[c] for c in wang.candidates) == [
        "王村委会",
        "王村委会",
        "王村村委会",
    ]
    assert {c[:9] for c in wang.candidates} == {"611021102", "611021108", "611021114"}


def test_shangluo_sites_at_town_precision_inside_their_counties(
    sites, shangluo_gazetteer, matcher
):
    result = gc.geocode(
        sites["site_name"],
        gazetteer=shangluo_gazetteer,
        matcher=matcher,
        context=sites["county_code"],
        fallback=sites["target"],
        fallback_label="cemetery target",
    )
    assert result.index.equals(sites.index)
    fine = result["precision"].isin(["village", "town"])
    # 115 of 124 with the 2016 adcode towns; the other nine name no place
    # (e.g. 天竺佳苑, attached to the county's urban cemetery) or a town
    # without any point (黑山镇): each is listed with its reason.
    assert fine.sum() >= 115
    counts, check = gc.match_report(result)
    assert counts["rows"].sum() == len(sites)
    assert len(check) == (~fine).sum()
    assert check["explanation"].str.len().gt(20).all()
    polygons = boundaries.counties(prefix="6110").set_index("county_code").geometry
    for code, point in zip(sites["county_code"], result.geometry, strict=True):
        assert polygons[code].contains(point)
    by_target = result.loc[result["status"] == "matched_fallback", "explanation"]
    assert by_target.str.contains("placed by its cemetery target").all()
    assert (result.loc[by_target.index, "confidence"] < 1).all()


def test_overrides_win_and_every_row_is_kept(shangluo_gazetteer, matcher, tmp_path):
    fixes = tmp_path / "fixes.csv"
    fixes.write_text("name,lon,lat\n天竺佳苑,109.88,33.53\n", encoding="utf-8")
    names = pd.Series(["天竺佳苑", "信合小区", "北宽坪镇", "无此地"])
    result = gc.geocode(
        names,
        gazetteer=shangluo_gazetteer,
        matcher=matcher,
        context=pd.Series(["611024", "611024", "611002", None]),
        overrides=gazetteer_files.read_overrides(fixes),
    )
    assert len(result) == 4
    assert result["status"].tolist() == ["override", "context", "matched", "unmatched"]
    assert result["precision"].tolist() == ["manual", "county", "town", "none"]
    assert (result.geometry.iloc[0].x, result.geometry.iloc[0].y) == (109.88, 33.53)
    assert result.geometry.iloc[3] is None


def test_a_fix_with_a_code_applies_only_inside_that_unit(
    shangluo_gazetteer, matcher, tmp_path
):
    # 信合小区 stands in both 洛南县 and 山阳县 (seed lines 785 and 815)
    fixes = tmp_path / "fixes.csv"
    fixes.write_text(
        "name,code,lon,lat\n"
        "信合小区,611024,109.88,33.53\n"
        "信合小区,,110.0,33.9\n"
        "福临佳苑,611024000000,109.89,33.54\n",
        encoding="utf-8",
    )
    overrides = gazetteer_files.read_overrides(fixes)
    names = pd.Series(["信合小区", "信合小区", "信合小区", "福临佳苑", "福临佳苑"])
    context = pd.Series(["611024", "611024102", "611021", "611024", "611021"])
    result = gc.geocode(
        names,
        gazetteer=shangluo_gazetteer,
        matcher=matcher,
        context=context,
        overrides=overrides,
    )
    xy = [(p.x, p.y) if p is not None else None for p in result.geometry]
    assert xy[:3] == [(109.88, 33.53), (109.88, 33.53), (110.0, 33.9)]
    assert xy[3] == (109.89, 33.54)
    assert result["status"].tolist()[:4] == ["override"] * 4
    assert result.loc[4, "status"] == "context"  # the 山阳 fix stays in 山阳
    assert result.loc[4, "precision"] == "county"


def test_fixes_template_round_trip(sites, shangluo_gazetteer, matcher, tmp_path):
    def run(overrides=None):
        return gc.geocode(
            sites["site_name"],
            gazetteer=shangluo_gazetteer,
            matcher=matcher,
            context=sites["county_code"],
            fallback=sites["target"],
            overrides=overrides,
        )

    first = run()
    coarse = ~first["precision"].isin(["village", "town"])
    template = gc.fixes_template(sites["site_name"], first, sites["county_code"])
    assert list(template.columns) == gc.FIXES_COLUMNS
    assert len(template) == coarse.sum()
    assert set(zip(template["name"], template["code"], strict=True)) == set(
        zip(
            sites.loc[coarse, "site_name"],
            sites.loc[coarse, "county_code"],
            strict=True,
        )
    )
    assert template["reason"].str.len().gt(20).all()
    assert (template[["lon", "lat"]] == "").all().all()
    # the planner fills in all rows but the last: a point inside each county
    inside = boundaries.counties(prefix="6110").set_index("county_code").geometry
    filled = template.copy()
    points = [inside[c].representative_point() for c in filled["code"]]
    filled["lon"] = [f"{p.x:.6f}" for p in points[:-1]] + [""]
    filled["lat"] = [f"{p.y:.6f}" for p in points[:-1]] + [""]
    path = tmp_path / "fixes.csv"
    filled.to_csv(path, index=False, encoding="utf-8-sig")
    overrides = gazetteer_files.read_overrides(path)
    assert overrides.pending == 1
    second = run(overrides)
    assert second.index.equals(sites.index)
    manual = second["status"] == "override"
    assert manual.sum() == coarse.sum() - 1
    assert (first.loc[~coarse, "precision"] == second.loc[~coarse, "precision"]).all()
    assert not manual[~coarse].any()
    assert second.loc[manual, "explanation"].str.contains("fixes.csv").all()


def test_fixes_without_a_usable_point_name_their_rows(tmp_path):
    path = tmp_path / "fixes.csv"
    path.write_text(
        "name,lon,lat\n天竺佳苑,109.88,33.53\n信合小区,abc,33.5\n福临佳苑,,\n",
        encoding="utf-8",
    )
    with pytest.raises(ValidationError, match=r"row 3 \(信合小区\)") as error:
        gazetteer_files.read_overrides(path)
    assert "福临佳苑" not in str(error.value)  # blank lon/lat: a template row
    path.write_text(
        "name,lon,lat\n天竺佳苑,109.88,33.53\n天竺佳苑,109.9,33.5\n", encoding="utf-8"
    )
    with pytest.raises(ValidationError, match="second, different point"):
        gazetteer_files.read_overrides(path)


def test_an_unknown_context_is_said_not_silently_dropped(shangluo_gazetteer, matcher):
    result = gc.geocode(
        pd.Series(["北宽坪镇全脉村", "北宽坪镇全脉村"]),
        gazetteer=shangluo_gazetteer,
        matcher=matcher,
        context=pd.Series(["619999", "611002"]),
    )
    assert result["code"].tolist() == ["611002115220"] * 2
    first, second = result["explanation"]
    assert first.startswith("context 619999000000 is not a unit of the gazetteer")
    assert "not a unit" not in second


def test_geocode_command_refuses_an_unknown_context(tmp_path):
    from conftest import run_geoplan

    (tmp_path / "n.csv").write_text("name\n北宽坪镇\n", encoding="utf-8")
    run = run_geoplan(
        "geocode", "n.csv", "--name-column", "name", "--context", "619999",
        "--out", "o.gpkg", "--no-progress", cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 1
    assert (
        "--context 619999 is not a unit of the gazetteer (province 61 is 陕西省)"
        in (run.stderr)
    )
    assert not (tmp_path / "o.gpkg").exists()
