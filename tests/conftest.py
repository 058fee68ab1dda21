"""Shared fixtures: paths to ../shared and the bundled Shangluo tables."""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import pytest

from geoplan import relocation

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
    return relocation.load_sites()


@pytest.fixture(scope="session")
def totals():
    return relocation.load_county_totals()


@pytest.fixture(scope="session")
def community_types():
    return relocation.load_community_types()


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

    from geoplan import network

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


def adcode_files(pattern: str) -> list[Path]:
    """Adcode county files from ../shared/data, or skip the test."""
    files = sorted((ADCODE / "counties").glob(pattern))
    if not files:
        pytest.skip(f"adcode data not found under {ADCODE}")
    return files


@pytest.fixture(scope="session")
def builtin_gazetteer():
    from geoplan.gazetteer import Gazetteer

    return Gazetteer.builtin()


@pytest.fixture(scope="session")
def shangluo_gazetteer(builtin_gazetteer):
    """The built-in gazetteer extended with adcode's Shangluo towns and villages."""
    from geoplan.gazetteer import read_adcode

    return builtin_gazetteer.extend(read_adcode(adcode_files("611*.csv")))


def run_geoplan(*args: object, cwd: Path):
    """Run the installed ``geoplan`` command with a fresh HOME, as a user would."""
    import subprocess
    import sys

    env = {**os.environ, "HOME": str(cwd)}
    env.pop("TIANDITU_KEY", None)
    command = [str(Path(sys.executable).with_name("geoplan")), *map(str, args)]
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
