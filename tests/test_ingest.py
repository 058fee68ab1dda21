"""Bad input never costs a row: golden bad files, accounting, property tests, fuzz."""

from __future__ import annotations

import shutil

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, Polygon, box

from geoplan.cases.shangluo import demo, relocation
from geoplan.errors import CRSError, ValidationError
from geoplan.io import ingest
from geoplan.places.matcher import Matcher
from geoplan.planning import categories


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


GOOD = "id,name,code,lon,lat\nA,甲村,611002115220,110.15,33.91\n"


def test_encodings_are_detected_never_replaced(tmp_path):
    for encoding, label in (
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8"),
        ("gbk", "gb18030"),
        ("gb18030", "gb18030"),
    ):
        path = write(tmp_path / f"{encoding}.csv", GOOD, encoding)
        used, report = ingest.ingest_points(
            path, coords="wgs84", code_columns=("code",)
        )
        assert report.encoding == label
        assert used["name"].tolist() == ["甲村"]
        assert "\ufffd" not in "".join(used["name"])
    latin = tmp_path / "bad.csv"
    latin.write_bytes(b"id,name,lon,lat\n1,\xff\xfe\xfa,110,33\n")
    with pytest.raises(ValidationError, match="not UTF-8 or GBK/GB18030"):
        ingest.ingest_points(latin, coords="wgs84")


def test_codes_survive_or_are_rejected_with_the_fix(tmp_path):
    text = (
        "id,code,lon,lat\n"
        "1,611002115220,110.1,33.9\n"  # kept byte-identical
        "2,611002115220.0,110.1,33.9\n"  # repaired: trailing .0
        "3,6.11002115220E+11,110.1,33.9\n"  # repaired: all digits present
        "4,6.11002E+11,110.1,33.9\n"  # rejected: digits may be lost
        "5,61100211,110.1,33.9\n"
    )  # rejected: not a code
    used, report = ingest.ingest_points(
        write(tmp_path / "c.csv", text), coords="wgs84", code_columns=("code",)
    )
    assert used["code"].tolist() == ["611002115220"] * 3
    assert used["code_original"].tolist()[1:] == ["611002115220.0", "6.11002115220E+11"]
    notes = [r["note"] for r in report.repairs]
    assert "trailing .0 removed" in notes[0]
    assert "all digits present" in notes[1]
    rejected = report.rejected.set_index("id")
    assert rejected.loc["4", "reason"] == "code_mangled"
    assert "re-export the column formatted as text" in rejected.loc["4", "detail"]
    assert "not a 6, 9 or 12-digit code" in rejected.loc["5", "detail"]
    assert report.rows_in == 5
    report.check()


def test_swapped_columns_are_decided_per_column(tmp_path):
    text = "name,lon,lat\n甲,33.91,110.15\n乙,33.8,110.0\n丙,34.0,109.9\n"
    used, report = ingest.ingest_points(write(tmp_path / "s.csv", text), coords="wgs84")
    assert used.geometry.x.tolist() == [110.15, 110.0, 109.9]
    assert report.repairs[0]["row"] == "all"
    assert "decided for the whole column" in report.repairs[0]["note"]


def test_bad_coordinates_and_duplicates_are_rejected_with_reasons(tmp_path):
    text = (
        "id,lon,lat\n1,110.1,33.9\n2,,\n3,0,0\n4,-73.9,40.7\n5,inf,33\n"
        "1,110.2,33.8\n6,abc,33\n"
    )
    used, report = ingest.ingest_points(
        write(tmp_path / "b.csv", text), coords="wgs84", id_column="id"
    )
    assert used["id"].tolist() == ["1"]
    reasons = dict(
        zip(report.rejected["source_row"], report.rejected["reason"], strict=True)
    )
    assert reasons == {
        3: "coordinates_missing",
        4: "coordinates_zero",
        5: "outside_china",
        6: "coordinates_not_finite",
        7: "duplicate_id",
        8: "coordinates_missing",
    }
    summary = report.summary().set_index("reason")["rows"]
    assert summary["rows in"] == 7
    assert summary["rows used"] == 1


def test_whole_file_problems_are_one_message(tmp_path):
    with pytest.raises(ValidationError, match=r"no rows.*columns \['code'") as info:
        ingest.ingest_points(
            write(tmp_path / "e.csv", "id,lon,lat\n"),
            coords="wgs84",
            code_columns=("code",),
        )
    assert "e.csv" in str(info.value)
    with pytest.raises(CRSError, match="not declared"):
        ingest.ingest_points(write(tmp_path / "g.csv", GOOD), coords=None)


def test_unknown_categories_get_suggestions(tmp_path):
    text = "name,category,lon,lat\n甲,社工站,110.1,33.9\n乙,日间照料站,110.1,33.9\n"
    used, report = ingest.ingest_points(
        write(tmp_path / "k.csv", text),
        coords="wgs84",
        category_column="category",
        category_check=categories.category,
    )
    assert used["name"].tolist() == ["甲"]
    (detail,) = report.rejected["detail"]
    assert "closest: 日间照料中心 (day_care_centre)" in detail


def test_gcj02_input_is_converted(tmp_path):
    used, _ = ingest.ingest_points(write(tmp_path / "g.csv", GOOD), coords="gcj02")
    assert used.geometry.x.iloc[0] == pytest.approx(110.1448, abs=2e-4)


def test_invalid_polygons_repaired_and_points_in_no_or_two_units():
    bowtie = Polygon([(110, 33), (110.1, 33.1), (110.1, 33), (110, 33.1)])
    units = gpd.GeoDataFrame(
        {"code": ["611002101000", "611002102000", "611002103000"]},
        geometry=[bowtie, box(110.2, 33, 110.4, 33.2), box(110.3, 33, 110.5, 33.2)],
        crs=4326,
    )
    fixed, log = ingest.repair_polygons(units)
    assert fixed.is_valid.all()
    assert log["row"].tolist() == [0]
    assert log.loc[0, "area_after_m2"] > 0
    pts = gpd.GeoDataFrame(
        geometry=[Point(110.25, 33.1), Point(110.35, 33.1), Point(111, 33.1)], crs=4326
    )
    codes, issues = ingest.assign_units(pts, fixed)
    assert codes.tolist()[:2] == ["611002102000", "611002102000"]  # tie: smallest code
    assert pd.isna(codes.iloc[2])
    assert issues["reason"].tolist() == ["in_no_unit", "in_several_units"]
    with pytest.raises(CRSError, match="silently join nothing"):
        ingest.assign_units(pts.to_crs(32649), fixed)


def test_shangluo_from_gbk_sources_gives_identical_results(tmp_path):
    folder = tmp_path / "sources"
    folder.mkdir()
    for name in (
        relocation.SITES_FILE,
        relocation.COUNTIES_FILE,
        relocation.COMMUNITY_TYPES_FILE,
    ):
        text = (relocation.SOURCES / name).read_text(encoding="utf-8")
        (folder / name).write_bytes(text.encode("gbk"))
    kwargs = {
        "layers_folder": tmp_path / "l",
        "maps_folder": tmp_path / "m",
        "write_map": False,
        "gazetteer": None,
    }
    original = demo.run_shangluo(**kwargs)
    from_gbk = demo.run_shangluo(sources_folder=folder, **kwargs)
    pd.testing.assert_frame_equal(original.coverage, from_gbk.coverage)
    assert original.sites["site_name"].tolist() == from_gbk.sites["site_name"].tolist()


cell = st.one_of(
    st.sampled_from(["", "nan", "inf", "0", "-0", "1e400", "6.11002E+11", "甲", " "]),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.text(max_size=8),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(cell, cell, cell, cell), min_size=1, max_size=25))
def test_accounting_holds_for_any_table(rows):
    table = pd.DataFrame(rows, columns=["id", "code", "lon", "lat"])
    good = pd.DataFrame(
        {"id": ["g"], "code": ["611002115220"], "lon": ["110.1"], "lat": ["33.9"]}
    )
    table = pd.concat([table, good], ignore_index=True)
    used, report = ingest.ingest_points(
        table, coords="wgs84", id_column="id", code_columns=("code",)
    )
    assert report.rows_in == len(table) == report.rows_used + len(report.rejected)
    assert len(used) == report.rows_used
    assert used.geometry.is_valid.all()
    assert np.isfinite(used.geometry.x).all()


@pytest.fixture(scope="module")
def small_matcher(builtin_gazetteer):
    return Matcher(builtin_gazetteer)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_fuzz_address_parser(small_matcher, text):
    match = small_matcher.match(text, context="611002")
    assert match.status in ("matched", "ambiguous", "unmatched")


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=300))
def test_fuzz_csv_reader(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "f.csv"
    path.write_bytes(b"id,lon,lat\n" + data)
    try:
        _, report = ingest.ingest_points(path, coords="wgs84")
    except (ValidationError, CRSError):
        return  # a clear, named error is an accepted outcome
    assert report.rows_in == report.rows_used + len(report.rejected)
    shutil.rmtree(path.parent)


def test_shapefile_with_missing_or_wrong_cpg(tmp_path):
    from geoplan.io import layers

    frame = gpd.GeoDataFrame(
        {"name": ["北宽坪镇全脉村安置点", "茅坪回族镇"]},
        geometry=[Point(110.1, 33.9), Point(109.2, 33.4)],
        crs=4326,
    )
    path = tmp_path / "gbk.shp"
    frame.to_file(path, engine="pyogrio", encoding="GBK")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    back = layers.read_points(path)
    assert back["name"].tolist() == frame["name"].tolist()
    assert back.attrs["encoding"] == "gb18030"
    path.with_suffix(".cpg").write_text("UTF-8")  # wrong
    encoding, note = layers.shapefile_encoding(path)
    assert encoding == "gb18030"
    assert "its .cpg says 'UTF-8'" in note
    assert layers.read_points(path)["name"].tolist() == frame["name"].tolist()
    good = tmp_path / "utf8.shp"
    frame.to_file(good, engine="pyogrio", encoding="UTF-8")
    assert layers.shapefile_encoding(good) == ("UTF-8", "")
