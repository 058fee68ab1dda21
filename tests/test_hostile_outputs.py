"""Names from data never become formulas, markup or paths outside the output folder."""

from __future__ import annotations

import csv
import re
import sqlite3
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from openpyxl import load_workbook
from payloads import PAYLOADS
from shapely.geometry import Point

from geoplan.cli import main
from geoplan.io import export, layers
from geoplan.io._tables import FORMULA_START, markdown_cell, spreadsheet_text

FORMULAS = [p for p in PAYLOADS if p.startswith(FORMULA_START)]
PLANS = Path(__file__).parent.parent / "geoplan" / "data" / "plans"


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


def csv_cells(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [cell for row in csv.reader(handle) for cell in row]


def assert_no_live_formula(cells: list[str]) -> None:
    live = [c for c in cells if c.startswith(FORMULA_START) and c != "-"]
    live = [c for c in live if not re.fullmatch(r"[+-]?[\d.]+(e[+-]?\d+)?", c)]
    assert not live, live


def xlsx_formulas(path: Path) -> list[str]:
    book = load_workbook(path)
    return [
        str(cell.value)
        for sheet in book
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]


def xlsx_texts(path: Path) -> list[str]:
    book = load_workbook(path)
    return [
        cell.value
        for sheet in book
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str)
    ]


def test_spreadsheet_text_guards_formulas_and_leaves_numbers():
    for payload in FORMULAS:
        assert spreadsheet_text(payload).startswith("'")
    assert spreadsheet_text("-73.5") == "-73.5"
    assert spreadsheet_text("+86") == "+86"
    assert spreadsheet_text("甲村") == "甲村"
    assert markdown_cell("<script>x</script>|y") == "&lt;script&gt;x&lt;/script&gt;\\|y"


@pytest.fixture
def hostile_gpkg(tmp_path):
    """Four layers: points named by payloads, a table, and a layer named like a path."""
    names = PAYLOADS[:12]
    points = gpd.GeoDataFrame(
        {"name": names, "households": range(len(names))},
        geometry=[Point(109.9 + i / 100, 33.8) for i in range(len(names))],
        crs="EPSG:4326",
    )
    path = tmp_path / "in.gpkg"
    export.write_geopackage(
        path,
        {
            "sites": points,
            "more": points.iloc[:3],
            "towns": points.iloc[3:6],
            "qa_report": pd.DataFrame(
                {"reason": FORMULAS, "rows": range(len(FORMULAS))}
            ),
        },
    )
    pyogrio.write_dataframe(
        points.iloc[:2], path, layer="trav", layer_options={"SPATIAL_INDEX": "NO"}
    )
    with sqlite3.connect(path) as con:  # GDAL refuses such a name; others do not
        evil = "../../trav_out"
        con.execute(f'ALTER TABLE trav RENAME TO "{evil}"')
        for table in ("gpkg_contents", "gpkg_geometry_columns"):
            con.execute(
                f"UPDATE {table} SET table_name = ? WHERE table_name = 'trav'", (evil,)
            )
        con.execute(
            "UPDATE gpkg_contents SET identifier = ? WHERE identifier = 'trav'", (evil,)
        )
    assert "../../trav_out" in pyogrio.list_layers(path)[:, 0]
    return path


def test_export_keeps_files_inside_out_dir_and_formulas_inert(
    hostile_gpkg, tmp_path, capsys
):
    out = tmp_path / "o" / "exp2"
    before = files_under(tmp_path)
    assert main(["export", str(hostile_gpkg), "--format", "geojson",
                 "--out-dir", str(out)]) == 0  # fmt: skip
    written = files_under(tmp_path) - before
    assert written
    assert all(p.is_relative_to(out) for p in written), written
    assert len(list(out.glob("*trav_out.geojson"))) == 1
    for fmt in ("csv", "xlsx", "gpkg"):
        folder = tmp_path / fmt
        argv = ["export", str(hostile_gpkg), "--format", fmt, "--out-dir", str(folder)]
        assert main(argv) == 0, capsys.readouterr().err
    for path in (tmp_path / "csv").glob("*.csv"):
        assert_no_live_formula(csv_cells(path))
    texts = []
    for path in (tmp_path / "xlsx").glob("*.xlsx"):
        assert xlsx_formulas(path) == []
        texts += xlsx_texts(path)
    for payload in FORMULAS:
        assert payload in texts  # kept as written, as a string cell
    assert len(list((tmp_path / "gpkg").glob("*.gpkg"))) == 5
    sites = layers.read_text_table(tmp_path / "csv" / "sites.csv")
    assert sites["name"].tolist() == PAYLOADS[:12]  # geoplan reads its CSV back


def test_coverage_and_geocode_csvs_carry_formulas_as_text(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rows = [
        {"name": p[:200], "lon": 109.94 + i / 1000, "lat": 33.87}
        for i, p in enumerate(PAYLOADS)
    ]
    pd.DataFrame(rows).to_csv("demand.csv", index=False)
    pd.DataFrame([{"name": "=cmd|' /C calc'!A0", "lon": 109.94, "lat": 33.87}]).to_csv(
        "fac.csv", index=False
    )
    assert main(["coverage", "--demand", "demand.csv", "--facilities", "fac.csv",
                 "--coords", "wgs84", "--radius-m", "500", "--out", "o/c.gpkg",
                 "--basemap", "none"]) == 0  # fmt: skip
    cells = csv_cells(tmp_path / "o" / "c.csv")
    assert_no_live_formula(cells)
    assert '\'=HYPERLINK("http://example.invalid","x")' in cells
    assert main(["geocode", "demand.csv", "--name-column", "name",
                 "--out", "o/g.gpkg", "--no-progress"]) == 0  # fmt: skip
    for path in (tmp_path / "o").glob("*.csv"):
        assert_no_live_formula(csv_cells(path))


def test_plan_check_of_a_hostile_plan_stays_in_out_dir_and_inert(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = (PLANS / "xianan.toml").read_text(encoding="utf-8")
    text = text.replace('id = "xianan"', 'id = "../../../pwnplan"')
    text = text.replace('id = "X02"', 'id = "../../../pwnchart"')
    text = re.sub(
        r'(?m)^name_zh = ".*"$', 'name_zh = "=HYPERLINK(\\"http://x.invalid\\")"', text
    )
    text = text.replace(
        'text_zh = "到2024年底,咸安区13个乡镇(街道)社工站实现全覆盖"',
        'text_zh = "<script>alert(1)</script>|@SUM(1)"',
    )
    Path("evil.toml").write_text(text, encoding="utf-8")
    Path("st.csv").write_text(
        "name\n温泉街道社会工作服务站\n=1+2社会工作服务站\n", encoding="utf-8"
    )
    out = tmp_path / "deep" / "er" / "out"
    code = main(["plan", "check", "evil.toml", "--facilities", "st.csv",
                 "--name-column", "name", "--category", "社工站",
                 "--units-from", "421202", "--out-dir", str(out)])  # fmt: skip
    assert code == 0
    outside = [p for p in files_under(tmp_path) if not p.is_relative_to(out)]
    assert sorted(p.name for p in outside) == ["evil.toml", "st.csv"]
    assert len(list((out / "charts").glob("*pwnchart.png"))) == 1
    for path in out.glob("*.csv"):
        assert_no_live_formula(csv_cells(path))
    (book,) = out.glob("*.xlsx")
    assert xlsx_formulas(book) == []
    assert '=HYPERLINK("http://x.invalid") 主要指标进展' in xlsx_texts(book)
    (md,) = out.glob("*.md")
    page = md.read_text(encoding="utf-8")
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;\\|@SUM(1)" in page
