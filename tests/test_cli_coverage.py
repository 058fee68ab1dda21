"""`geoplan coverage` from files on disk: tables with declared coordinates."""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

import pyogrio
import pytest
from conftest import run_geoplan

from geoplan.errors import CRSError
from geoplan.io import layers
from geoplan.places import coords

GEOPLAN = Path(sys.executable).with_name("geoplan")


def write_csv(path, rows, encoding="utf-8"):
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


@pytest.fixture
def tables(tmp_path):
    """Villages in GBK with Gaode (GCJ-02) points; one station in UTF-8 with BOM."""
    # the station sits exactly on village 甲 once both are converted to WGS-84
    lon, lat = coords.convert(109.94, 33.87, source="wgs84", target="gcj02")
    x, y = f"{lon[0]:.9f}", f"{lat[0]:.9f}"
    demand = write_csv(
        tmp_path / "villages.csv",
        [
            ("name", "lng", "lat", "hh"),
            ("甲村", x, y, "120"),
            ("乙村", "109.96", "33.87", "80"),
            ("丙村", "", "", "10"),
        ],
        encoding="gbk",
    )
    stations = write_csv(
        tmp_path / "stations.csv",
        [("名称", "经度", "纬度"), ("站1", x, y)],
        encoding="utf-8-sig",
    )
    return demand, stations


def test_read_points_converts_and_keeps_every_row(tables):
    demand, _ = tables
    frame = layers.read_points(demand, coords="gcj02")
    assert len(frame) == 3
    assert frame.attrs["encoding"] == "gb18030"
    assert frame["name"].tolist() == ["甲村", "乙村", "丙村"]
    assert frame.geometry.iloc[0].x == pytest.approx(109.94, abs=1e-8)
    assert frame.geometry.iloc[2] is None
    assert frame["location_note"].iloc[2].startswith("coordinates_missing")
    report = frame.attrs["ingest"]
    assert (report.rows_in, report.rows_used, len(report.rejected)) == (3, 2, 1)
    with pytest.raises(CRSError, match="never guesses"):
        layers.read_points(demand)


def test_coverage_command_writes_layers_and_prints_shares(tables, tmp_path):
    demand, stations = tables
    out = tmp_path / "out" / "cov.gpkg"
    run = run_geoplan(
        *[
            "coverage",
            "--demand",
            str(demand),
            "--facilities",
            str(stations),
            "--coords",
            "gcj02",
            "--radius-m",
            "500",
            "--weight-column",
            "hh",
            "--target-share",
            "1",
            "--out",
            str(out),
            "--map",
            str(tmp_path / "cov.html"),
            "--basemap",
            "none",
        ],
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    assert "measured in EPSG:32649" in run.stdout
    stages = re.findall(r"^\[\s*[\d.]+ s\] (\S+)", run.stderr, flags=re.MULTILINE)
    assert stages == ["读取", "距离", "写出"]  # progress on stderr, tables on stdout
    assert "gap_units 1" in run.stdout  # 乙村 is ~1.9 km away
    result = pyogrio.read_dataframe(out, layer="demand")
    assert result["name"].tolist() == ["甲村", "乙村", "丙村"]
    assert result["dist_to_nearest_m"].iloc[0] == pytest.approx(0, abs=0.01)
    assert result["covered_500m"].tolist()[:2] == [True, False]
    assert out.with_suffix(".csv").is_file()
    page = (tmp_path / "cov.html").read_text(encoding="utf-8")
    assert '<script src="http' not in page
    assert "geoplan-point-legend" in page
    gaps = pyogrio.read_dataframe(out, layer="gaps")
    assert gaps["name"].tolist() == ["乙村"]
    qa = pyogrio.read_dataframe(out, layer="qa_report")
    counts = qa[qa["kind"] == "count"].set_index(["input", "reason"])["rows"]
    assert counts.to_dict() == {
        ("demand", "rows in the file"): 3,
        ("demand", "rows used after a repair"): 0,
        ("demand", "rows read"): 3,
        ("demand", "no usable coordinates (kept, not located)"): 1,
        ("demand", "rejected: coordinates_missing"): 1,
        ("facilities", "rows in the file"): 1,
        ("facilities", "rows used after a repair"): 0,
        ("facilities", "rows read"): 1,
        ("facilities", "no usable coordinates (kept, not located)"): 0,
        ("demand", "undetermined: points too coarse to decide the radius"): 0,
    }
    rejected = qa[qa["kind"] == "rejected"]
    assert rejected[["input", "source_row", "reason"]].values.tolist() == [
        ["demand", "4", "coordinates_missing"]
    ]


def test_coverage_command_refuses_undeclared_coordinates(tables, tmp_path):
    demand, stations = tables
    run = run_geoplan(
        *[
            "coverage",
            "--demand",
            str(demand),
            "--facilities",
            str(stations),
            "--radius-m",
            "500",
            "--out",
            str(tmp_path / "x.gpkg"),
        ],
        cwd=tmp_path,
    )
    assert run.returncode == 1
    assert "--coords wgs84|gcj02|bd09" in run.stderr


def test_threshold_m_is_the_old_name_of_radius_m(tables, tmp_path, capsys):
    from geoplan.cli import main

    demand, stations = tables
    base = ["coverage", "--demand", str(demand), "--facilities", str(stations),
            "--coords", "gcj02", "--basemap", "none"]  # fmt: skip
    assert main([*base, "--radius-m", "500", "--out", str(tmp_path / "a.gpkg")]) == 0
    new = capsys.readouterr()
    assert main([*base, "--threshold-m", "500", "--out", str(tmp_path / "b.gpkg")]) == 0
    old = capsys.readouterr()
    assert "--threshold-m is deprecated; use --radius-m" in old.err
    assert "deprecated" not in new.err
    assert (
        old.out.replace("b.gpkg", "a.gpkg")
        .replace("b.csv", "a.csv")
        .replace("b.html", "a.html")
        == new.out
    )
