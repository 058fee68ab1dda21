"""Hostile strings through the readers, the matcher, the TOML loaders and the writers.

Each property asserts that geoplan either answers or raises one of its own
errors (never another exception), that rows are accounted for, and that no
payload reaches a written HTML page, CSV or XLSX unescaped.

The budget is small in ``make test``; a long run sets it by environment:
``GEOPLAN_FUZZ_EXAMPLES=10000 .venv/bin/pytest tests/test_fuzz.py`` (see
docs/security.md).
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import shutil

import geopandas as gpd
import pandas as pd
import pytest
import tomli_w
from conftest import page_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from payloads import PAYLOADS
from shapely.geometry import Point

from geoplan.errors import GeoplanError
from geoplan.io import ingest, layers
from geoplan.io._tables import (
    FORMULA_START,
    plain_text,
    spreadsheet_text,
    write_csv,
    write_xlsx,
)
from geoplan.places.matcher import Matcher
from geoplan.planning import plans
from geoplan.render import _html, maps
from geoplan.workflows import analysis

EXAMPLES = int(os.environ.get("GEOPLAN_FUZZ_EXAMPLES", "30"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

#: Pieces attackers and odd files are made of.
PIECES = [
    "{{", "}}", "{%", "%}", "${", "`", "<", ">", "</script>", "'", '"', "\\", "=",
    "+", "-", "@", "\t", "\r", "\n", "\u2028", "\u202e", "\u200f", "\x00", "\x07",
    "../", "..\\", "/", "CON", ",", ";", "|", "*", "村", "镇", "商州区", "0x",
]  # fmt: skip

hostile = st.one_of(
    st.sampled_from(PAYLOADS),
    st.lists(st.sampled_from(PIECES), max_size=8).map("".join),
    st.text(max_size=30),
    st.lists(st.sampled_from([*PIECES, "a", "1", " "]), max_size=200).map("".join),
    st.integers(300, 3000).map(lambda n: "长" * n),
)


def temp(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


# readers ---------------------------------------------------------------------


@FUZZ
@given(
    header=st.lists(st.text(max_size=6), min_size=1, max_size=4),
    rows=st.lists(st.lists(hostile, max_size=6), max_size=12),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
)
def test_csv_reader_keeps_cells_and_accounts_for_every_record(
    tmp_path_factory, header, rows, encoding
):
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows([header, *rows])
    folder = temp(tmp_path_factory)
    path = folder / "t.csv"
    try:
        path.write_bytes(buffer.getvalue().encode(encoding))
    except UnicodeEncodeError:
        return
    try:
        frame = layers.read_text_table(path, strict=False)
    except GeoplanError:
        return
    bad = frame.attrs["bad_rows"]
    records = list(csv.reader(io.StringIO(buffer.getvalue(), newline="")))[1:]
    assert len(frame) + len(bad) == len(records)
    width = len(header)
    fitting = [  # a leading ' that guards a formula is dropped on reading
        [plain_text(c) for c in r[:width]]
        for r in records
        if any(c.strip() for c in r) and not any(c.strip() for c in r[width:])
    ]
    assert len(fitting) == len(frame)
    for cells, (_, read) in zip(fitting, frame.iterrows(), strict=True):
        assert list(read)[: len(cells)] == cells
    shutil.rmtree(folder)


@FUZZ
@given(
    names=st.lists(hostile, min_size=1, max_size=10),
    lon=st.lists(
        st.sampled_from(["109.9", "", "abc", "126.97", "0", "inf"]),
        min_size=10,
        max_size=10,
    ),
)
def test_ingest_accounts_for_hostile_rows(tmp_path_factory, names, lon):
    frame = pd.DataFrame(
        {"name": names, "lon": lon[: len(names)], "lat": ["33.8"] * len(names)}
    )
    folder = temp(tmp_path_factory)
    path = folder / "p.csv"
    frame.to_csv(path, index=False)
    try:
        used, report = ingest.ingest_points(path, coords="gcj02")
    except GeoplanError:
        return
    report.check()
    with path.open(encoding="utf-8", newline="") as handle:
        assert report.rows_in == len(list(csv.reader(handle))) - 1
    assert set(used["source_row"]).isdisjoint(set(report.rejected["source_row"]))
    shutil.rmtree(folder)


# the matcher -----------------------------------------------------------------


@pytest.fixture(scope="module")
def matcher(builtin_gazetteer):
    return Matcher(builtin_gazetteer)


@FUZZ
@given(
    text=hostile, context=st.one_of(st.none(), st.sampled_from(["611002", "61", "x"]))
)
def test_matcher_answers_any_name(matcher, text, context):
    try:
        match = matcher.match(text, context=context)
    except GeoplanError:
        return
    assert match.status in ("matched", "ambiguous", "unmatched")


# TOML loaders ----------------------------------------------------------------

scalar = st.one_of(
    hostile, st.integers(-5, 10**6), st.floats(allow_nan=False), st.booleans()
)
toml_value = st.one_of(
    scalar,
    st.lists(scalar, max_size=3),
    st.dictionaries(
        hostile, st.one_of(scalar, st.lists(scalar, max_size=2)), max_size=3
    ),
)
sections = st.sampled_from(
    [*analysis.KNOWN, "plan", "indicators", "inputs.demand", "x"]
)


@FUZZ
@given(
    document=st.dictionaries(
        st.one_of(sections, hostile),
        st.one_of(
            st.dictionaries(
                st.one_of(
                    hostile,
                    st.sampled_from(
                        [
                            "job",
                            "coords",
                            "path",
                            "preset",
                            "layers_dir",
                            "id",
                            "radius_m",
                        ]
                    ),
                ),
                toml_value,
                max_size=4,
            ),
            toml_value,
        ),
        max_size=4,
    ),
    raw=st.booleans(),
    noise=hostile,
)
def test_toml_loaders_answer_or_name_the_problem(
    tmp_path_factory, document, raw, noise
):
    folder = temp(tmp_path_factory)
    path = folder / "a.toml"
    text = noise if raw else tomli_w.dumps(document)
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    for load in (analysis.load, plans.load):
        with contextlib.suppress(GeoplanError):
            load(path)
    shutil.rmtree(folder)


# writers ---------------------------------------------------------------------

#: What a payload must never keep on a page: it would run or render.
DANGEROUS = re.compile(r"[<>\"'`$\\{}]")


@FUZZ
@given(names=st.lists(hostile, min_size=1, max_size=6), title=hostile)
def test_map_pages_carry_names_only_escaped(tmp_path_factory, names, title):
    names = [f"⟦{n}⟧" for n in names]  # marks that let the raw text be searched
    points = gpd.GeoDataFrame(
        {"name": names, "note": list(reversed(names))},
        geometry=[Point(109.9 + i / 100, 33.8) for i in range(len(names))],
        crs="EPSG:4326",
    )
    m = maps.new_map((109.8, 33.7, 110.1, 33.9), basemap="none")
    maps.add_points(m, points, name=title, fields={"name": "名称", "note": "备注"})
    folder = temp(tmp_path_factory)
    page = page_text(maps.save(m, folder / "m.html"))
    for name in names:
        if DANGEROUS.search(name) or "\n" in name:
            assert name not in page
        assert _html.text(name) in page
    assert not re.search(r"uid=\d+\(", page)  # the output of `id`
    shutil.rmtree(folder)


@FUZZ
@given(
    cells=st.lists(
        st.one_of(hostile, st.floats(allow_nan=False), st.integers()),
        min_size=1,
        max_size=8,
    )
)
def test_csv_and_xlsx_cells_are_never_formulas_and_read_back(tmp_path_factory, cells):
    frame = pd.DataFrame({"value": pd.Series(cells, dtype=object)})
    folder = temp(tmp_path_factory)
    write_csv(frame, folder / "t.csv")
    with (folder / "t.csv").open(encoding="utf-8-sig", newline="") as handle:
        written = [r[0] for r in csv.reader(handle)][1:]
    for original, cell in zip(cells, written, strict=True):
        if isinstance(original, str):
            assert cell == spreadsheet_text(original)
            assert not cell.startswith(FORMULA_START) or cell == original
    texts = [c for c in cells if isinstance(c, str)]
    write_csv(pd.DataFrame({"value": texts}, dtype=object), folder / "s.csv")
    back = layers.read_text_table(folder / "s.csv", strict=False)
    # a row whose only cell is blank is a blank line; a guarded tab is not blank
    assert list(back["value"]) == [c for c in texts if spreadsheet_text(c).strip()]
    write_xlsx({"t": frame}, folder / "t.xlsx")
    sheet = load_workbook(folder / "t.xlsx")["t"]
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    shutil.rmtree(folder)
