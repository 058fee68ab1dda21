"""Shared fixtures: paths to ../shared and the bundled Shangluo tables."""

from __future__ import annotations

import os
from pathlib import Path

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
