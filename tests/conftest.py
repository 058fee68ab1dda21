"""Shared fixtures: paths to ../shared and the bundled Shangluo tables."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import geopandas as gpd
import pytest

from geoplan.cases.shangluo import relocation

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("GEOPLAN_SHARED", REPO.parent / "shared"))
SHANGLUO_SEED = SHARED / "seeds" / "000_b4429173e2854f95.txt"


@pytest.fixture(scope="session")
def shangluo_seed_lines() -> list[str]:
    """The Shangluo plan's text, one string per line (line N at index N - 1)."""
    if not SHANGLUO_SEED.is_file():
        pytest.skip(f"the Shangluo seed plan is not at {SHANGLUO_SEED}")
    return SHANGLUO_SEED.read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="session")
def sites():
    return relocation.load("sites")


@pytest.fixture(scope="session")
def totals():
    return relocation.load("county_totals")


@pytest.fixture(scope="session")
def community_types():
    return relocation.load("community_types")


UTM_49N = "EPSG:32649"  # Shangluo, about 108-111 degrees E


@pytest.fixture
def u_street():
    """
    A U-shaped street, 3 km long, in UTM 49N (metres).

    ::

        d(0,1000) ------------ c(1000,1000)
                                  |
        a(0,0) --------------- b(1000,0)

    There is no street between a and d: from the bottom to the top the walk
    is around the U.
    """
    from shapely.geometry import LineString, Point

    from geoplan.access import network

    nodes = gpd.GeoDataFrame(
        index=list("abcd"),
        geometry=[Point(0, 0), Point(1000, 0), Point(1000, 1000), Point(0, 1000)],
        crs=UTM_49N,
    )
    edges = gpd.GeoDataFrame(
        {"u": list("abc"), "v": list("bcd")},
        geometry=[
            LineString([(0, 0), (1000, 0)]),
            LineString([(1000, 0), (1000, 1000)]),
            LineString([(1000, 1000), (0, 1000)]),
        ],
        crs=UTM_49N,
    )
    return network.network_from_frames(nodes, edges)


def points(*xy, crs=UTM_49N, **columns):
    """A point layer from (x, y) pairs; None gives a row with no location."""
    from shapely.geometry import Point

    geoms = [Point(p) if p is not None else None for p in xy]
    return gpd.GeoDataFrame(columns or None, geometry=geoms, crs=crs)


ADCODE = SHARED / "data" / "adcode"


def page_text(path: Path) -> str:
    """An HTML page with its JSON string escapes undone, as the browser shows it.

    Map points travel as GeoJSON inside the page, where ``<`` is ``\\u003c``,
    Chinese is ``\\u4e2d`` and a tab ``\\t``; searching the page for a name
    means searching it decoded.
    """
    html = path.read_text(encoding="utf-8")
    escape = r'\\u[0-9a-fA-F]{4}(?:\\u[dD][c-fC-F][0-9a-fA-F]{2})?|\\[nrtbf"\\/]'
    return re.sub(escape, lambda m: json.loads(f'"{m.group(0)}"'), html)


def adcode_files(pattern: str) -> list[Path]:
    """Adcode county files from ../shared/data, or skip the test."""
    files = sorted((ADCODE / "counties").glob(pattern))
    if not files:
        pytest.skip(f"adcode data not found under {ADCODE}")
    return files


@pytest.fixture(scope="session")
def builtin_gazetteer():
    from geoplan.places.gazetteer import Gazetteer

    return Gazetteer.builtin()


@pytest.fixture(scope="session")
def shangluo_gazetteer(builtin_gazetteer):
    """The built-in gazetteer extended with adcode's Shangluo towns and villages."""
    from geoplan.io.gazetteer_files import read_adcode

    return builtin_gazetteer.extend(read_adcode(adcode_files("611*.csv")))


def run_geoplan(*args: object, cwd: Path, subprocess: bool = False):
    """
    Run ``geoplan`` with a fresh HOME in `cwd`, as a user would.

    In-process by default (``main(argv)``, stdout, stderr and log records
    captured); ``subprocess=True`` runs the installed command instead, for the
    few smoke tests that check the entry point itself.
    """
    import subprocess as sp
    import sys

    if subprocess:
        env = {**os.environ, "HOME": str(cwd)}
        env.pop("TIANDITU_KEY", None)
        command = [str(Path(sys.executable).with_name("geoplan")), *map(str, args)]
        return sp.run(
            command, cwd=cwd, env=env, capture_output=True, text=True, check=False
        )
    return _in_process([str(a) for a in args], Path(cwd))


def _in_process(argv: list[str], cwd: Path):
    """Run ``main(argv)`` in `cwd` with HOME there; restore everything after."""
    import contextlib
    import io
    import logging
    import subprocess as sp

    from geoplan import settings
    from geoplan.cli import main

    out, err = io.StringIO(), io.StringIO()
    handler = logging.StreamHandler(err)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    saved_env = dict(os.environ)
    saved_settings = (settings.cache_folder, settings.gazetteer_path)
    saved_cwd = Path.cwd()
    os.chdir(cwd)
    os.environ["HOME"] = str(cwd)
    os.environ.pop("TIANDITU_KEY", None)
    settings.cache_folder = cwd / ".cache" / "geoplan"
    settings.gazetteer_path = settings.cache_folder / "gazetteer.gpkg"
    root.handlers = [handler]
    root.setLevel(logging.INFO if {"-v", "--verbose"} & set(argv) else logging.WARNING)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as stop:  # argparse's way out
                code = stop.code if isinstance(stop.code, int) else int(bool(stop.code))
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        settings.cache_folder, settings.gazetteer_path = saved_settings
        root.handlers, root.level = saved_handlers, saved_level
    return sp.CompletedProcess(["geoplan", *argv], code, out.getvalue(), err.getvalue())
