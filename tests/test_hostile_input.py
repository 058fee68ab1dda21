"""Hostile and odd rows: every row accounted for, by its line in the file."""

from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import Point

from geoplan.errors import ValidationError
from geoplan.io import ingest, layers
from geoplan.places import boundaries
from geoplan.places.coords import convert


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def test_a_row_with_extra_fields_is_rejected_not_shifted(tmp_path):
    text = (
        "id,name,lon,lat\n"
        "1,甲村,110.15,33.91\n"
        "2,乙村,x,y,110.10,33.80\n"  # a stray comma inside the name
        "3,丙村,110.00,33.85\n"
    )
    used, report = ingest.ingest_points(write(tmp_path / "x.csv", text), coords="wgs84")
    assert used["name"].tolist() == ["甲村", "丙村"]
    assert used["source_row"].tolist() == [2, 4]
    rejected = report.rejected
    assert rejected["source_row"].tolist() == [3]
    assert rejected["reason"].tolist() == ["too_many_fields"]
    assert "6 fields under a header of 4" in rejected["detail"].iloc[0]
    report.check()
    with pytest.raises(ValidationError, match=r"line 3: 6 fields under a header of 4"):
        layers.read_text_table(tmp_path / "x.csv")


def test_blank_lines_are_counted_and_later_rows_keep_their_line(tmp_path):
    text = "id,name,lon,lat\n1,甲村,110.15,33.91\n\n,,,\n2,乙村,110.10,33.80\n"
    used, report = ingest.ingest_points(write(tmp_path / "b.csv", text), coords="wgs84")
    assert used["source_row"].tolist() == [2, 5]
    assert report.rows_in == 4
    assert report.rejected[["source_row", "reason"]].values.tolist() == [
        [3, "blank_row"],
        [4, "blank_row"],
    ]
    report.check()
    points = layers.read_points(tmp_path / "b.csv", coords="wgs84")
    assert points["name"].tolist() == ["甲村", "乙村"]  # no empty place added


def test_a_quoted_cell_spanning_lines_keeps_the_line_it_starts_on(tmp_path):
    text = 'id,name,lon,lat\n1,"甲\n村",110.15,33.91\n2,乙村,,\n'
    used, report = ingest.ingest_points(write(tmp_path / "q.csv", text), coords="wgs84")
    assert used["source_row"].tolist() == [2]
    assert report.rejected["source_row"].tolist() == [4]


@pytest.mark.parametrize(
    ("city", "lon", "lat"),
    [
        ("Seoul", 126.978, 37.566),
        ("Hanoi", 105.834, 21.028),
        ("Ulaanbaatar", 106.917, 47.918),
        ("New Delhi", 77.209, 28.614),
        ("Pyongyang", 125.754, 39.039),
    ],
)
def test_foreign_capitals_are_rejected_by_name(tmp_path, city, lon, lat):
    text = f"id,name,lon,lat\n1,{city},{lon},{lat}\n2,商州,109.94,33.87\n"
    used, report = ingest.ingest_points(write(tmp_path / "f.csv", text), coords="wgs84")
    assert used["name"].tolist() == ["商州"]
    row = report.rejected.iloc[0]
    assert (row["name"], row["reason"]) == (city, "outside_china")
    assert f"({lon:.4f}, {lat:.4f})" in row["detail"]


def test_a_study_outside_china_says_so_and_stays_in_wgs84(tmp_path, monkeypatch):
    from geoplan import settings

    text = "id,name,lon,lat\n1,Helsinki,24.94,60.17\n2,商州,109.94,33.87\n"
    monkeypatch.setattr(settings, "territory", "world")
    used, report = ingest.ingest_points(write(tmp_path / "f.csv", text), coords="wgs84")
    assert used["name"].tolist() == ["Helsinki", "商州"]
    assert report.rejected.empty
    # GCJ-02 and BD-09 are defined inside China only
    used, report = ingest.ingest_points(tmp_path / "f.csv", coords="gcj02")
    assert used["name"].tolist() == ["商州"]
    assert report.rejected.iloc[0]["reason"] == "outside_china"
    assert "gcj02 is not defined" in report.rejected.iloc[0]["detail"]


def test_china_keeps_its_edges_and_islands():
    places = {
        "Mohe": (122.35, 53.48),
        "Kashgar": (75.99, 39.47),
        "Sanya": (109.5, 18.25),
        "Yongxing Island": (112.33, 16.83),
        "Taipei": (121.56, 25.03),
        "Hong Kong": (114.17, 22.28),
        "Lhasa": (91.1, 29.65),
    }
    lon, lat = np.array(list(places.values())).T
    assert boundaries.in_china(lon, lat).all()


def test_duplicate_ids_are_rejected_and_listed_or_kept_on_request(tmp_path):
    text = (
        "编号,name,lon,lat\nA,甲,110.1,33.9\nB,乙,110.2,33.9\nA,丙,110.3,33.9\n"
        "A,丁,110.4,33.9\n"
    )
    path = write(tmp_path / "d.csv", text)
    used, report = ingest.ingest_points(path, coords="wgs84")
    assert used["name"].tolist() == ["甲", "乙"]
    assert report.rejected["reason"].tolist() == ["duplicate_id", "duplicate_id"]
    assert report.rejected["detail"].tolist() == ["编号 'A' repeats line 2"] * 2
    assert any("2 rows repeat an earlier 编号" in n for n in report.notes)
    used, report = ingest.ingest_points(path, coords="wgs84", duplicate_ids="keep")
    assert len(used) == 4
    assert any("used anyway" in n for n in report.notes)
    report.check()


def test_swapped_columns_are_reported_for_every_row(tmp_path):
    text = "name,lon,lat\n甲,33.91,110.15\n乙,33.8,110.0\n丙,,\n"
    _, report = ingest.ingest_points(write(tmp_path / "s.csv", text), coords="wgs84")
    assert report.rows_repaired == 2
    qa = report.qa_table()
    assert qa[qa["kind"] == "repaired"]["detail"].str.contains("exchanged").all()
    assert qa[qa["kind"] == "rejected"]["source_row"].tolist() == ["4"]


def _border_points(code: str, count: int) -> np.ndarray:
    """WGS-84 points 50-400 m inside a county's border."""
    county = boundaries.counties([code]).geometry.iloc[0]
    ring = max(getattr(county, "geoms", [county]), key=lambda g: g.area).exterior
    rng = np.random.default_rng(7)
    found = []
    for fraction in np.linspace(0, 1, 4 * count, endpoint=False):
        p = ring.interpolate(fraction, normalized=True)
        for _ in range(8):
            step = rng.uniform(0.0005, 0.004, 2) * rng.choice([-1, 1], 2)
            q = Point(p.x + step[0], p.y + step[1])
            if county.contains(q):
                found.append((q.x, q.y))
                break
    return np.array(found[:count])


def test_gcj02_declared_on_wgs84_points_is_doubted_with_evidence(tmp_path):
    points = _border_points("611002", 80)
    rows = "".join(f"{i},611002,{x:.6f},{y:.6f}\n" for i, (x, y) in enumerate(points))
    path = write(tmp_path / "w.csv", "id,county_code,lon,lat\n" + rows)
    _, report = ingest.ingest_points(
        path, coords="gcj02", code_columns=("county_code",)
    )
    doubt = [n for n in report.notes if "declared gcj02" in n]
    assert doubt, report.notes
    assert "read as wgs84 80 of 80 points lie in the county" in doubt[0]
    _, honest = ingest.ingest_points(
        path, coords="wgs84", code_columns=("county_code",)
    )
    assert not [n for n in honest.notes if "declared" in n]
    x, y = convert(points[:, 0], points[:, 1], source="wgs84", target="gcj02")
    rows = "".join(
        f"{i},611002,{a:.6f},{b:.6f}\n"
        for i, (a, b) in enumerate(zip(x, y, strict=True))
    )
    gcj = write(tmp_path / "g.csv", "id,county_code,lon,lat\n" + rows)
    _, right = ingest.ingest_points(gcj, coords="gcj02", code_columns=("county_code",))
    assert not [n for n in right.notes if "declared" in n]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "[outputs]\nlayers_dir = 5",
            "[outputs] layers_dir = 5 must be a text in quotes",
        ),
        (
            '[inputs.demand]\npath = "d.csv"\ncoords = "gcj03"',
            "[inputs.demand] coords = 'gcj03' is not one of ['wgs84', 'gcj02', 'bd09']",
        ),
        ("[coverage]\npreset = 5", "[coverage] preset = 5 must be a text in quotes"),
        ('analysis = "x"', "analysis = 'x' must be a section: write [analysis]"),
        ('[inputs]\ndemand = "x.csv"', "must be a table: write [inputs.demand]"),
        ('[coverage]\nradius_m = "500"', "must be a number, written without"),
        ("[gazetteer]\nimport_adcode = 3", "must be a list of texts"),
    ],
)
def test_analysis_files_with_wrong_types_get_one_message(
    tmp_path, capsys, body, expected
):
    from geoplan.cli import main

    path = tmp_path / "a.toml"
    path.write_text(
        '[analysis]\njob = "coverage"\n' * ("analysis =" not in body) + body
    )
    assert main(["run", str(path)]) == 1
    err = capsys.readouterr().err
    assert expected in err
    assert "Traceback" not in err
    assert err.count("\n") == 1


OSM_HEAD = '<?xml version="1.0"?><osm version="0.6">'
MALFORMED_OSM = {
    "node_without_lat.osm": OSM_HEAD + '<node id="1" lon="109.9"/>'
    '<node id="2" lat="33.8" lon="109.91"/><way id="3"><nd ref="1"/><nd ref="2"/>'
    '<tag k="highway" v="residential"/></way></osm>',
    "way_missing_node.osm": OSM_HEAD + '<node id="1" lat="33.8" lon="109.9"/>'
    '<way id="3"><nd ref="1"/><nd ref="99"/><tag k="highway" v="residential"/>'
    "</way></osm>",
    "not_osm.osm": '<?xml version="1.0"?><html><body>hello</body></html>',
    "noise.osm": "\x00\x01garbage{{7*7}}",
    "noise.osm.bz2": "BZh91AY&SY-not-really",
    "noise.osm.pbf": "\x00\x00\x00\x0dOSMHeader-garbage",
}


@pytest.mark.parametrize("name", sorted(MALFORMED_OSM))
def test_malformed_osm_files_get_one_message(tmp_path, monkeypatch, capsys, name):
    from geoplan.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / name).write_bytes(MALFORMED_OSM[name].encode("latin-1"))
    write(tmp_path / "d.csv", "name,lon,lat\n甲,109.9,33.8\n")
    code = main(["coverage", "--demand", "d.csv", "--facilities", "d.csv",
                 "--coords", "wgs84", "--radius-m", "500", "--method",
                 "network", "--network", name, "--out", "o.gpkg",
                 "--basemap", "none"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1
    assert f"{name}:" in err
    assert "bug in geoplan" not in err
    assert "Traceback" not in err
    assert not (tmp_path / "o.gpkg").exists()


def test_coverage_lists_duplicate_ids_and_keeps_them_on_request(
    tmp_path, monkeypatch, capsys
):
    import pyogrio

    from geoplan.cli import main

    monkeypatch.chdir(tmp_path)
    write(
        tmp_path / "d.csv", "id,lon,lat\n7,109.90,33.8\n8,109.91,33.8\n7,109.92,33.8\n"
    )
    write(tmp_path / "f.csv", "name,lon,lat\n站,109.90,33.8\n")
    base = ["coverage", "--demand", "d.csv", "--facilities", "f.csv", "--coords",
            "wgs84", "--radius-m", "500", "--basemap", "none"]  # fmt: skip
    assert main([*base, "--out", "a.gpkg"]) == 0
    qa = pyogrio.read_dataframe("a.gpkg", layer="qa_report")
    rejected = qa[qa["kind"] == "rejected"]
    assert rejected[["source_row", "reason"]].values.tolist() == [["4", "duplicate_id"]]
    assert qa["detail"].str.contains("--duplicate-ids keep").any()
    assert len(pyogrio.read_dataframe("a.gpkg", layer="demand")) == 3  # kept unlocated
    assert main([*base, "--out", "b.gpkg", "--duplicate-ids", "keep"]) == 0
    qa = pyogrio.read_dataframe("b.gpkg", layer="qa_report")
    assert not (qa["kind"] == "rejected").any()
    assert qa["detail"].str.contains("used anyway").any()
